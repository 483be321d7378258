//! Search by identification (6.1): the records whose serial matches a
//! reading (by the rules of `matching`), grouped into weapons. The store
//! finds the candidates by key; this decides which match and how well.

use crate::matching::{self, Quality, SerialMatch};

use super::StoredRecord;

/// What an officer searches for: the clause 6.1 essentials as read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub make: String,
    pub model: String,
    pub calibre: String,
    pub serial: String,
}

/// One record that matched, how well, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordMatch {
    pub record: StoredRecord,
    pub quality: Quality,
    pub reasons: Vec<String>,
}

/// One weapon: every matching record that shares its serial and make, the
/// best match first.
#[derive(Clone, Debug, PartialEq)]
pub struct WeaponMatch {
    pub quality: Quality,
    pub reasons: Vec<String>,
    pub records: Vec<RecordMatch>,
}

impl WeaponMatch {
    /// The serial as the best-matching record gives it.
    pub fn serial(&self) -> &str {
        self.records
            .first()
            .map_or("", |r| r.record.fields.serial.as_str())
    }

    pub fn make(&self) -> &str {
        self.records
            .first()
            .map_or("", |r| r.record.fields.make.as_str())
    }
}

fn words_key(s: &str) -> String {
    matching::make_key(s)
}

/// Whether a record is the weapon read, and how well. Make, if given, must
/// agree; a model or calibre that differs is a reason, not a refusal
/// (records often abbreviate them).
pub fn match_record(query: &Query, record: &StoredRecord) -> Option<RecordMatch> {
    let SerialMatch {
        quality,
        mut reasons,
    } = matching::match_serial(&query.serial, &record.fields.serial)?;
    let make = matching::make_key(&query.make);
    if !make.is_empty() {
        if !matching::makes_agree(&make, &record.make_key) {
            return None;
        }
        if make != record.make_key {
            reasons.push("make recorded in other words".to_string());
        }
    }
    for (what, read, recorded) in [
        ("model", &query.model, &record.fields.model),
        ("calibre", &query.calibre, &record.fields.calibre),
    ] {
        let (a, b) = (words_key(read), words_key(recorded));
        if !a.is_empty() && !b.is_empty() && !matching::makes_agree(&a, &b) {
            reasons.push(format!("{what} recorded differently"));
        }
    }
    Some(RecordMatch {
        record: record.clone(),
        quality,
        reasons,
    })
}

/// The weapons among `candidates` that match `query`, best first: records
/// of one serial key whose makes agree are one weapon.
pub fn weapons(query: &Query, candidates: &[StoredRecord]) -> Vec<WeaponMatch> {
    let mut found: Vec<WeaponMatch> = Vec::new();
    for record in candidates {
        let Some(m) = match_record(query, record) else {
            continue;
        };
        let same = found.iter_mut().find(|w| {
            w.records.iter().any(|r| {
                r.record.serial_key == record.serial_key
                    && matching::makes_agree(&r.record.make_key, &record.make_key)
            })
        });
        match same {
            Some(w) => w.records.push(m),
            None => found.push(WeaponMatch {
                quality: m.quality,
                reasons: vec![],
                records: vec![m],
            }),
        }
    }
    for w in &mut found {
        w.records.sort_by_key(|a| (a.quality, a.reasons.len()));
        w.quality = w.records[0].quality;
        w.reasons = w.records[0].reasons.clone();
    }
    found.sort_by(|a, b| {
        (
            a.quality,
            a.reasons.len(),
            std::cmp::Reverse(a.records.len()),
        )
            .cmp(&(
                b.quality,
                b.reasons.len(),
                std::cmp::Reverse(b.records.len()),
            ))
    });
    found
}

/// Whether the best weapon stands out: no other matched as well.
pub fn conclusive(weapons: &[WeaponMatch]) -> bool {
    match weapons {
        [] => false,
        [_] => true,
        [a, b, ..] => (a.quality, a.reasons.len()) < (b.quality, b.reasons.len()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::records::{Domain, FieldMarkings, Kind, Record};
    use iti_proto::v1 as pb;

    pub(crate) fn stored(id: i64, kind: Kind, domain: Domain, f: &[(&str, &str)]) -> StoredRecord {
        let mut line = pb::NationalRecord::default();
        for (k, v) in f {
            crate::records::set_field(&mut line, k, v.to_string());
        }
        if line.source_key.is_empty() {
            line.source_key = format!("K{id}");
        }
        let r = Record::try_from_line(kind, &line).expect("valid test record");
        StoredRecord {
            id,
            source: format!("{domain}-source"),
            domain,
            kind,
            fields: r.fields,
            make_key: r.make_key,
            serial_key: r.serial_key,
            date: r.date,
            markings: FieldMarkings::default(),
        }
    }

    fn q(make: &str, serial: &str) -> Query {
        Query {
            make: make.into(),
            serial: serial.into(),
            ..Default::default()
        }
    }

    #[test]
    fn records_of_one_weapon_group_and_the_best_reading_leads() {
        let a = stored(
            1,
            Kind::Manufacture,
            Domain::Manufacturers,
            &[
                ("make", "FN Herstal"),
                ("serial", "1502347"),
                ("model", "FAL"),
            ],
        );
        let b = stored(
            2,
            Kind::Holding,
            Domain::LawEnforcement,
            &[
                ("make", "FN"),
                ("serial", "15O2347"),
                ("holder", "armoury"),
                ("holder_category", "state_armoury"),
            ],
        );
        let other = stored(
            3,
            Kind::Manufacture,
            Domain::Manufacturers,
            &[("make", "Beretta"), ("serial", "1502347")],
        );
        let found = weapons(&q("FN Herstal", "1502347"), &[b.clone(), a.clone(), other]);
        assert_eq!(found.len(), 1, "Beretta's serial is another weapon");
        assert_eq!(found[0].quality, Quality::Exact);
        assert_eq!(found[0].records[0].record.id, 1);
        assert_eq!(found[0].records[1].quality, Quality::Misread);
    }

    #[test]
    fn without_a_make_two_makers_are_two_weapons_and_not_conclusive() {
        let a = stored(
            1,
            Kind::Manufacture,
            Domain::Manufacturers,
            &[("make", "FN Herstal"), ("serial", "1502347")],
        );
        let b = stored(
            2,
            Kind::Manufacture,
            Domain::Manufacturers,
            &[("make", "Beretta"), ("serial", "1502347")],
        );
        let found = weapons(&q("", "1502347"), &[a, b]);
        assert_eq!(found.len(), 2);
        assert!(!conclusive(&found));
    }

    #[test]
    fn a_differing_model_is_a_reason_not_a_refusal() {
        let a = stored(
            1,
            Kind::Manufacture,
            Domain::Manufacturers,
            &[("make", "FN"), ("serial", "1502347"), ("model", "FAL")],
        );
        let query = Query {
            make: "FN".into(),
            model: "Minimi".into(),
            serial: "1502347".into(),
            ..Default::default()
        };
        let found = weapons(&query, &[a]);
        assert_eq!(found[0].reasons, ["model recorded differently"]);
    }
}
