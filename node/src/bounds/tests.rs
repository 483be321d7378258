use iti_proto::v1 as pb;
use pb::recovered_item::Item;
use time::OffsetDateTime;

use super::table::{Count, FIELDS, Rule};
use super::*;
use crate::demo::fixtures;

fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-11-30 12:00 UTC)
}

fn request() -> pb::TraceRequest {
    fixtures::fal_request()
}

fn weapon(r: &mut pb::TraceRequest) -> &mut pb::WeaponIdentification {
    match r.items[0].item.as_mut() {
        Some(Item::Weapon(w)) => w,
        _ => panic!("the fixture's first item is a weapon"),
    }
}

/// The error `edit` causes in the fixture request: "field: reason".
fn refused(edit: impl FnOnce(&mut pb::TraceRequest)) -> String {
    let mut r = request();
    edit(&mut r);
    match check(&mut r, now()) {
        Err(e) => e.to_string(),
        Ok(flags) => panic!("accepted, with flags {flags:?}"),
    }
}

fn accepted(edit: impl FnOnce(&mut pb::TraceRequest)) -> (pb::TraceRequest, Vec<pb::InputFlag>) {
    let mut r = request();
    edit(&mut r);
    let flags = check(&mut r, now()).expect("accepted");
    (r, flags)
}

#[test]
fn the_fixture_request_and_responses_are_within_bounds() {
    let (_, flags) = accepted(|_| {});
    assert!(flags.is_empty(), "{flags:?}");
    for response in [
        fixtures::bel_export_response(),
        fixtures::nga_diversion_response(),
    ] {
        let mut payload = pb::Payload {
            body: Some(pb::payload::Body::Response(response)),
        };
        check(&mut payload, now()).expect("fixture response within bounds");
    }
}

// ------------------------------------------------------------ issue 13's list

#[test]
fn a_serial_of_ten_thousand_characters_is_refused_naming_the_field() {
    let e = refused(|r| weapon(r).serial_number = "1".repeat(10_000));
    assert_eq!(e, "items[0].weapon.serialNumber: longer than 64 characters");
}

#[test]
fn a_serial_with_a_nul_byte_is_refused() {
    let e = refused(|r| weapon(r).serial_number = "1502\u{0}347".into());
    assert_eq!(
        e,
        "items[0].weapon.serialNumber: contains a control character (U+0000) at character 5"
    );
}

#[test]
fn a_serial_mixing_cyrillic_and_latin_is_accepted_and_flagged() {
    // "FN" with a Cyrillic Н (U+041D) for the Latin N.
    let (_, flags) = accepted(|r| weapon(r).serial_number = "F\u{41D}1502347".into());
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].field, "items[0].weapon.serialNumber");
    assert_eq!(flags[0].flag, "mixed-script");
    assert!(
        flags[0].description.contains("Cyrillic") && flags[0].description.contains("Latin"),
        "{}",
        flags[0].description
    );
}

#[test]
fn an_all_cyrillic_lookalike_mark_is_flagged_as_confusable() {
    // "АВ" in Cyrillic: one script, but it reads as the Latin "AB".
    let (_, flags) = accepted(|r| weapon(r).marks[1].value = "\u{410}\u{412} 4471".into());
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].field, "items[0].weapon.marks[1].value");
    assert_eq!(flags[0].flag, "confusable");
}

#[test]
fn flags_of_a_stored_request_are_the_flags_of_its_check() {
    let (r, flags) = accepted(|r| weapon(r).serial_number = "F\u{41D}1502347".into());
    assert_eq!(flags_of(&r), flags);
    assert!(flags_of(&request()).is_empty());
}

#[test]
fn a_nationality_that_is_not_an_assigned_country_is_refused() {
    let e = refused(|r| r.individuals[0].nationality = "XXX".into());
    assert_eq!(
        e,
        "individuals[0].nationality: not an ISO 3166-1 alpha-3 code of an assigned country (e.g. \"GHA\")"
    );
}

#[test]
fn a_recovery_date_thirty_days_ahead_is_refused() {
    let e = refused(|r| {
        r.context.as_mut().unwrap().recovered_at =
            Some(crate::clock::to_timestamp(now() + time::Duration::days(30)))
    });
    assert_eq!(e, "context.recoveredAt: is in the future");
    // Today's, written as the end of the day, is fine.
    accepted(|r| {
        r.context.as_mut().unwrap().recovered_at = Some(crate::clock::to_timestamp(
            now() + time::Duration::hours(11),
        ))
    });
}

#[test]
fn a_photo_hash_that_is_a_path_is_refused() {
    let e = refused(|r| weapon(r).photographs[0].sha256 = "not-a-hash/../../etc/passwd".into());
    assert_eq!(
        e,
        "items[0].weapon.photographs[0].sha256: not a lower-case hex SHA-256 (64 characters 0-9, a-f)"
    );
    let upper = "3F1C5B2A9E7D4C8B6A5F4E3D2C1B0A9F8E7D6C5B4A3F2E1D0C9B8A7F6E5D4C3B";
    let e = refused(|r| weapon(r).photographs[0].sha256 = upper.into());
    assert!(
        e.starts_with("items[0].weapon.photographs[0].sha256: "),
        "{e}"
    );
}

#[test]
fn a_declared_photo_size_of_fifty_megabytes_is_refused() {
    let e = refused(|r| weapon(r).photographs[0].size_bytes = 50_000_000);
    assert_eq!(
        e,
        "items[0].weapon.photographs[0].sizeBytes: more than 20971520 bytes (20 MiB)"
    );
}

// ------------------------------------------------------------ the other rules

#[test]
fn text_is_stored_in_nfc() {
    // "e" + combining acute accent becomes "é".
    let (r, _) = accepted(|r| {
        r.purpose = "Identify the point of diversion (Liége)".replace('é', "e\u{301}")
    });
    assert!(r.purpose.contains('\u{e9}'), "{:?}", r.purpose);
    assert!(!r.purpose.contains('\u{301}'));
}

#[test]
fn free_text_keeps_line_breaks_but_one_line_fields_do_not() {
    accepted(|r| r.purpose = "line one\nline two\r\n\tindented".into());
    let e = refused(|r| weapon(r).make = "FN\nHerstal".into());
    assert_eq!(
        e,
        "items[0].weapon.make: contains a control character (U+000A) at character 3"
    );
}

#[test]
fn bidirectional_overrides_are_refused() {
    let e = refused(|r| r.purpose = "abc\u{202E}fed".into());
    assert_eq!(
        e,
        "purpose: contains a bidirectional control character (U+202E) at character 4"
    );
}

#[test]
fn the_number_of_items_is_bounded() {
    let e = refused(|r| {
        let first = r.items[0].clone();
        r.items = vec![first; table::MAX_ITEMS + 1];
    });
    assert_eq!(e, format!("items: more than {} entries", table::MAX_ITEMS));
    accepted(|r| {
        let first = r.items[0].clone();
        r.items = vec![first; table::MAX_ITEMS];
    });
}

#[test]
fn country_codes_are_checked_everywhere_they_appear() {
    for (edit, field) in [
        (
            (|r: &mut pb::TraceRequest| weapon(r).country_of_manufacture = "Belgium".into())
                as fn(&mut pb::TraceRequest),
            "items[0].weapon.countryOfManufacture",
        ),
        (
            |r| weapon(r).marks[0].country = "bel".into(),
            "items[0].weapon.marks[0].country",
        ),
        (
            |r| {
                r.domestic_findings.as_mut().unwrap().export_record = Some(pb::ExportRecord {
                    importing_state: "ZZZ".into(),
                    ..Default::default()
                })
            },
            "domesticFindings.exportRecord.importingState",
        ),
        (|r| r.requested_state = "EU".into(), "requestedState"),
    ] {
        let e = refused(edit);
        assert!(e.starts_with(&format!("{field}: not an ISO 3166-1")), "{e}");
    }
    let (r, _) = accepted(|r| weapon(r).country_of_manufacture = " BEL ".into());
    let pb::RecoveredItem {
        item: Some(Item::Weapon(w)),
        ..
    } = &r.items[0]
    else {
        unreachable!()
    };
    assert_eq!(w.country_of_manufacture, "BEL", "codes are trimmed");
}

#[test]
fn dates_are_iso_8601_and_not_in_the_future() {
    for bad in [
        "17/04/1988",
        "1988-13-01",
        "1988-02-30",
        "88-04-17",
        "1988-4-17",
    ] {
        let e = refused(|r| r.individuals[0].date_of_birth = bad.into());
        assert!(
            e.starts_with("individuals[0].dateOfBirth: not an ISO 8601 date"),
            "{bad}: {e}"
        );
    }
    for good in ["1988", "1988-04", "1988-04-17", "2026-12-01"] {
        accepted(|r| r.individuals[0].date_of_birth = good.into());
    }
    let e = refused(|r| r.individuals[0].date_of_birth = "2027".into());
    assert_eq!(e, "individuals[0].dateOfBirth: is in the future");
}

#[test]
fn a_photo_file_name_is_not_a_path() {
    let e = refused(|r| weapon(r).photographs[0].filename = "../../etc/passwd".into());
    assert_eq!(
        e,
        "items[0].weapon.photographs[0].filename: a file name, not a path: no / or \\"
    );
}

#[test]
fn a_year_on_a_mark_is_a_plausible_year() {
    let e = refused(|r| weapon(r).marks[0].year = 3008);
    assert_eq!(
        e,
        "items[0].weapon.marks[0].year: not a year from 1800 to 2026"
    );
}

#[test]
fn a_payload_over_its_limit_is_refused_naming_the_limit() {
    // Every field within its own bound, in four-byte characters, and fewer
    // items than the bound: the whole is over what one payload may weigh.
    let wide = |n: usize| "\u{1F52B}".repeat(n);
    let e = refused(|r| {
        let mut item = r.items[0].clone();
        if let Some(Item::Weapon(w)) = item.item.as_mut() {
            w.description = wide(2000);
            w.marks = vec![
                pb::WeaponMark {
                    value: wide(128),
                    location: wide(128),
                    ..w.marks[0].clone()
                };
                32
            ];
            w.photographs = vec![
                pb::Attachment {
                    caption: wide(500),
                    filename: wide(255),
                    ..w.photographs[0].clone()
                };
                32
            ];
        }
        let enough = super::MAX_PAYLOAD_BYTES / prost::Message::encoded_len(&item) + 1;
        assert!(enough < table::MAX_ITEMS);
        r.items = vec![item; enough];
    });
    assert!(e.starts_with("traceRequest: "), "{e}");
    assert!(e.contains("(64 MiB) one payload may weigh"), "{e}");
}

#[test]
fn a_peers_payload_is_checked_with_its_path() {
    let mut r = request();
    r.individuals[0].nationality = "XXX".into();
    let mut payload = pb::Payload {
        body: Some(pb::payload::Body::Request(r)),
    };
    let e = check(&mut payload, now()).unwrap_err();
    assert_eq!(e.field, "request.individuals[0].nationality");
}

#[test]
fn response_dates_and_states_are_checked() {
    let mut response = fixtures::bel_export_response();
    if let Some(pb::finding::Case::Export(e)) =
        response.finding.as_mut().and_then(|f| f.case.as_mut())
    {
        e.transit_states = vec!["NLD".into(), "Holland".into()];
    }
    let mut payload = pb::Payload {
        body: Some(pb::payload::Body::Response(response)),
    };
    let e = check(&mut payload, now()).unwrap_err();
    assert_eq!(e.field, "response.finding.export.transitStates[1]");
}

// ------------------------------------------------------------ the table

#[test]
fn every_field_of_every_bounded_message_has_a_rule() {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(iti_proto::v1::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let bounded: Vec<&str> = FIELDS.iter().map(|f| f.message).collect();
    let mut checked = 0;
    for file in &set.file {
        for m in &file.message_type {
            let name = m.name();
            if !bounded.contains(&name) {
                continue;
            }
            for f in &m.field {
                use prost_types::field_descriptor_proto::{Label, Type};
                let repeated = f.label() == Label::Repeated;
                let skipped = !repeated && matches!(f.r#type(), Type::Bool | Type::Enum);
                let entry = table::lookup(name, f.json_name());
                if skipped {
                    assert!(entry.is_none(), "{name}.{} needs no entry", f.json_name());
                    continue;
                }
                let entry = entry.unwrap_or_else(|| panic!("{name}.{} has no rule", f.json_name()));
                assert_eq!(
                    matches!(entry.count, Count::Many(_)),
                    repeated,
                    "{name}.{}: count",
                    f.json_name()
                );
                let fits = match f.r#type() {
                    Type::Message if f.type_name() == ".google.protobuf.Timestamp" => {
                        matches!(entry.rule, Rule::Time | Rule::PastTime)
                    }
                    Type::Message => entry.rule == Rule::Message,
                    Type::Enum => entry.rule == Rule::Enum,
                    Type::Bytes => matches!(entry.rule, Rule::Bytes(_)),
                    Type::Uint32 | Type::Uint64 => {
                        matches!(entry.rule, Rule::Number { .. } | Rule::Year)
                    }
                    Type::String => !matches!(
                        entry.rule,
                        Rule::Message
                            | Rule::Enum
                            | Rule::Bytes(_)
                            | Rule::Number { .. }
                            | Rule::Year
                            | Rule::Time
                            | Rule::PastTime
                    ),
                    other => panic!("{name}.{}: no rule kind for {other:?}", f.json_name()),
                };
                assert!(
                    fits,
                    "{name}.{}: {:?} does not fit",
                    f.json_name(),
                    entry.rule
                );
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked,
        FIELDS.len(),
        "the table has entries no message has"
    );
}

#[test]
fn the_readme_prints_the_table() {
    let readme = include_str!("../../../README.md");
    let table = table::markdown();
    assert!(
        readme.contains(&table),
        "README.md's table of bounds differs from bounds::table; it should read:\n{table}"
    );
}
