//! Lost/stolen reports from a file (`itictl lost-stolen import`): CSV with
//! a header row, or JSON (an array of objects with the same field names).
//! Read as a stream, one report at a time, so that a file of ten million
//! reports takes no more memory than one of ten. Rows that cannot be read
//! come with their line numbers (a JSON row's number is its position, from
//! 1) and why, naming the field.

use iti_proto::v1 as pb;

/// One row of the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Report(pb::LostStolenRecord),
    Unreadable(pb::RejectedLine),
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Fields {
    reported_by: String,
    make: String,
    model: String,
    serial_number: String,
    calibre: String,
    reported_on: String,
    circumstances: String,
    reference: String,
}

fn report(line: u64, r: Fields) -> pb::LostStolenRecord {
    pb::LostStolenRecord {
        line,
        reported_by: r.reported_by,
        make: r.make,
        model: r.model,
        serial_number: r.serial_number,
        calibre: r.calibre,
        reported_on: r.reported_on,
        circumstances: r.circumstances,
        reference: r.reference,
    }
}

/// Reads the file from `reader` and hands `each` row over as it is read;
/// an error from `each` stops the reading and is returned. An error of the
/// file as a whole (no header, not an array) names what is wrong.
pub fn read(
    reader: impl std::io::Read,
    json: bool,
    each: &mut dyn FnMut(Row) -> Result<(), String>,
) -> Result<(), String> {
    match json {
        true => read_json_array(reader, each),
        false => read_csv(reader, each),
    }
}

/// The whole file's text at once: its reports and the rows not read.
pub fn parse(
    text: &str,
    json: bool,
) -> Result<(Vec<pb::LostStolenRecord>, Vec<pb::RejectedLine>), String> {
    let (mut reports, mut unreadable) = (Vec::new(), Vec::new());
    read(text.as_bytes(), json, &mut |row| {
        match row {
            Row::Report(r) => reports.push(r),
            Row::Unreadable(u) => unreadable.push(u),
        }
        Ok(())
    })?;
    Ok((reports, unreadable))
}

/// An array of objects, read element by element (never whole).
fn read_json_array(
    reader: impl std::io::Read,
    each: &mut dyn FnMut(Row) -> Result<(), String>,
) -> Result<(), String> {
    use serde::de::{Deserializer, Error, SeqAccess, Visitor};
    struct Each<'a>(&'a mut dyn FnMut(Row) -> Result<(), String>);
    impl<'de> Visitor<'de> for Each<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of report objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut line = 0;
            while let Some(value) = seq.next_element::<serde_json::Value>()? {
                line += 1;
                let row = match crate::json::from_value::<Fields>(value) {
                    Ok(r) => Row::Report(report(line, r)),
                    Err(e) => Row::Unreadable(pb::RejectedLine {
                        line,
                        reason: e.to_string(),
                    }),
                };
                (self.0)(row).map_err(A::Error::custom)?;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    de.deserialize_seq(Each(each)).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

fn read_csv(
    reader: impl std::io::Read,
    each: &mut dyn FnMut(Row) -> Result<(), String>,
) -> Result<(), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let headers = reader
        .headers()
        .map_err(|e| format!("header row: {e}"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    for required in ["reported_by", "make", "serial_number"] {
        if col(required).is_none() {
            return Err(format!("the header has no column {required:?}"));
        }
    }
    let mut record = csv::StringRecord::new();
    loop {
        let row = match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let get = |name: &str| {
                    col(name)
                        .and_then(|i| record.get(i))
                        .unwrap_or("")
                        .to_string()
                };
                Row::Report(report(
                    line,
                    Fields {
                        reported_by: get("reported_by"),
                        make: get("make"),
                        model: get("model"),
                        serial_number: get("serial_number"),
                        calibre: get("calibre"),
                        reported_on: get("reported_on"),
                        circumstances: get("circumstances"),
                        reference: get("reference"),
                    },
                ))
            }
            Err(e) if e.is_io_error() => return Err(e.to_string()),
            Err(e) => Row::Unreadable(pb::RejectedLine {
                line: e.position().map(|p| p.line()).unwrap_or(0),
                reason: e.to_string(),
            }),
        };
        each(row)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_row_that_cannot_be_read_is_named_and_the_rest_read() {
        let text = "reported_by,make,serial_number\nGHA,FN,1502347\nGHA,FN\nBEL,Beretta,B1\n";
        let (reports, unreadable) = parse(text, false).unwrap();
        let serials: Vec<_> = reports.iter().map(|r| r.serial_number.as_str()).collect();
        assert_eq!(serials, ["1502347", "B1"]);
        assert_eq!(unreadable.len(), 1);
        assert_eq!(unreadable[0].line, 3);
    }

    #[test]
    fn a_json_row_of_the_wrong_shape_is_named_by_its_position_and_field() {
        let text = r#"[{"reported_by":"GHA","make":"FN","serial_number":"1"},
                       {"reported_by":"GHA","make":7}]"#;
        let (reports, unreadable) = parse(text, true).unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(unreadable[0].line, 2);
        assert!(unreadable[0].reason.starts_with("make: "), "{unreadable:?}");
    }

    #[test]
    fn a_file_that_is_not_an_array_or_has_no_header_is_refused() {
        assert!(parse(r#"{"make":"FN"}"#, true).is_err());
        assert!(parse("[1,2] trailing", true).is_err());
        let e = parse("make,model\nFN,FAL\n", false).unwrap_err();
        assert!(e.contains("reported_by"), "{e}");
    }

    #[test]
    fn reading_stops_when_the_receiver_does() {
        let text = "reported_by,make,serial_number\nGHA,FN,1\nGHA,FN,2\nGHA,FN,3\n";
        let mut seen = 0;
        let stopped = read(text.as_bytes(), false, &mut |_| {
            seen += 1;
            Err("the import stopped".into())
        });
        assert_eq!(stopped.unwrap_err(), "the import stopped");
        assert_eq!(seen, 1);
    }
}
