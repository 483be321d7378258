//! How the store writes down where content came from and how it is marked:
//! sources, markings and draft fields as JSON columns, and the `Marked`
//! values rebuilt from them when rows are read.

use iti_proto::v1 as pb;
use serde_json::{Value, json};

use super::StoreError;
use crate::case::draft::{DraftField, DraftProvenance};
use crate::policy::marked::{Marked, Provider, Source, StoreKey};
use crate::policy::marking::{Marking, Tlp};

/// The key the store reads raw content with.
pub(crate) fn key() -> StoreKey {
    StoreKey::for_the_store()
}

pub(crate) fn source_json(s: &Source) -> Value {
    json!({
        "provider": match &s.provider {
            Provider::Us => String::new(),
            Provider::Participant(p) => p.to_string(),
        },
        "message": s.message.map(|m| m.to_string()),
    })
}

pub(crate) fn source_from(v: &Value) -> Result<Source, StoreError> {
    let provider = v["provider"].as_str().unwrap_or_default();
    Ok(Source {
        provider: if provider.is_empty() {
            Provider::Us
        } else {
            Provider::Participant(
                provider
                    .parse()
                    .map_err(|_| StoreError::corrupt("source provider"))?,
            )
        },
        message: match v["message"].as_str() {
            Some(m) => Some(
                m.parse()
                    .map_err(|_| StoreError::corrupt("source message"))?,
            ),
            None => None,
        },
    })
}

pub(crate) fn sources_json<'a>(sources: impl IntoIterator<Item = &'a Source>) -> String {
    Value::Array(sources.into_iter().map(source_json).collect()).to_string()
}

pub(crate) fn sources_from(text: &str) -> Result<Vec<Source>, StoreError> {
    let v: Value = serde_json::from_str(text).map_err(|_| StoreError::corrupt("sources"))?;
    v.as_array()
        .map(|a| a.iter().map(source_from).collect())
        .unwrap_or_else(|| Ok(Vec::new()))
}

pub(crate) fn marking_json(m: &Marking) -> Value {
    serde_json::to_value(m.to_proto()).unwrap_or(Value::Null)
}

pub(crate) fn marking_from(v: &Value) -> Result<Marking, StoreError> {
    let wire: pb::Marking =
        serde_json::from_value(v.clone()).map_err(|_| StoreError::corrupt("marking"))?;
    Marking::try_from(&wire).map_err(|_| StoreError::corrupt("marking"))
}

pub(crate) fn draft_json(draft: Option<&DraftProvenance>) -> String {
    let Some(d) = draft else {
        return "null".into();
    };
    json!({
        "own": marking_json(&d.own_marking),
        "fields": d.fields.iter().map(|f| json!({
            "field": f.field,
            "source": source_json(&f.source),
            "marking": marking_json(&f.marking),
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

pub(crate) fn draft_from(text: &str) -> Result<Option<DraftProvenance>, StoreError> {
    let v: Value = serde_json::from_str(text).map_err(|_| StoreError::corrupt("draft fields"))?;
    if !v.is_object() {
        return Ok(None);
    }
    let fields = v["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    Ok(DraftField {
                        field: f["field"].as_str().unwrap_or_default().to_string(),
                        source: source_from(&f["source"])?,
                        marking: marking_from(&f["marking"])?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .unwrap_or_else(|| Ok(Vec::new()))?;
    Ok(Some(DraftProvenance {
        own_marking: marking_from(&v["own"])?,
        fields,
    }))
}

/// The marking a message's content is held under: its own, or, when it
/// has none or it cannot be read, TLP:RED (fail closed: the gate withholds
/// what an unreadable marking covers anyway).
pub(crate) fn held_under(marking: Option<&pb::Marking>) -> Marking {
    marking
        .and_then(|m| Marking::try_from(m).ok())
        .unwrap_or_else(|| Marking::new(Tlp::Red))
}

/// Rebuilds a marked value from its parts.
pub(crate) fn marked<T>(value: T, marking: Marking, sources: Vec<Source>) -> Marked<T> {
    Marked::from_sources(value, marking, sources)
}
