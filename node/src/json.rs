//! Reading JSON files (the protobuf JSON mapping: requests, responses, peer
//! cards, directory entries) with errors that name the field's path:
//! `items[0].quantity: invalid type: string "one", expected ...`, not only
//! a line and column.

use serde::de::DeserializeOwned;

/// A JSON document that does not read as the message expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct JsonError {
    /// The JSON path of the field ("items[0].quantity"), or "(top level)".
    pub path: String,
    /// What is wrong there, with serde's line and column.
    pub reason: String,
}

/// Parses `text` as a `T`; the error names the field's path.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        JsonError {
            path: if path == "." {
                "(top level)".into()
            } else {
                path
            },
            reason: e.into_inner().to_string(),
        }
    })?;
    de.end().map_err(|e| JsonError {
        path: "(top level)".into(),
        reason: e.to_string(),
    })?;
    Ok(value)
}

/// Like [`parse`], from a JSON value already read (a row of a file).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, JsonError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        JsonError {
            path: if path == "." {
                "(top level)".into()
            } else {
                path
            },
            reason: e.into_inner().to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use iti_proto::v1 as pb;

    #[test]
    fn a_wrong_type_names_the_field_path() {
        let text = r#"{"items": [{"itemRef": "exhibit 14", "quantity": "one"}]}"#;
        let e = parse::<pb::TraceRequest>(text).unwrap_err();
        assert_eq!(e.path, "items[0].quantity", "{e}");
    }

    #[test]
    fn a_nested_wrong_type_names_the_whole_path() {
        let text = r#"{"items": [{}, {"weapon": {"marks": [{"year": "last year"}]}}]}"#;
        let e = parse::<pb::TraceRequest>(text).unwrap_err();
        assert_eq!(e.path, "items[1].weapon.marks[0].year", "{e}");
    }

    #[test]
    fn an_unknown_enum_value_names_its_field() {
        let text = r#"{"marking": {"tlp": "TLP_PURPLE"}}"#;
        let e = parse::<pb::TraceRequest>(text).unwrap_err();
        assert_eq!(e.path, "marking.tlp", "{e}");
    }

    #[test]
    fn trailing_text_and_a_wrong_top_level_are_named() {
        let e = parse::<pb::TraceRequest>("{} {}").unwrap_err();
        assert_eq!(e.path, "(top level)");
        let e = parse::<pb::PeerCard>("[]").unwrap_err();
        assert_eq!(e.path, "(top level)");
    }
}
