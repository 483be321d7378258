//! One weapon's history from the records (7.2): from manufacture or import,
//! through transfers and holdings, to how it ends (the last legal
//! possessor, a loss or theft, an export, a destruction). Each step keeps
//! its record, so its source and markings go with it.

use super::{Derived, HolderCategory, Kind, RecordMarking, StoredRecord};

/// One step, in words, with its record.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub record: StoredRecord,
    pub description: Derived<String>,
}

/// How the history ends.
#[derive(Clone, Debug, PartialEq)]
pub enum End {
    /// Still held by the last legal possessor (no later event).
    Held { possessor: StoredRecord },
    /// Lost or stolen (the point of diversion, 7.1 e).
    Lost {
        loss: StoredRecord,
        possessor: Option<StoredRecord>,
    },
    /// Left the jurisdiction by export (7.1 d).
    Exported {
        export: StoredRecord,
        possessor: Option<StoredRecord>,
    },
    /// Recorded destroyed (7.1 d).
    Destroyed {
        destruction: StoredRecord,
        possessor: Option<StoredRecord>,
    },
}

/// A weapon's steps in order, and how they end.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    pub steps: Vec<Step>,
    pub end: Option<End>,
}

/// Records in the order things happened: by date, and on one date in the
/// order a life runs (manufacture, import, holding, transfer, loss, export,
/// destruction). Undated records come first.
pub fn in_order(records: &mut [StoredRecord]) {
    records.sort_by_key(|a| (a.date, a.kind, a.id));
}

/// Who held the weapon by this record (the party a possession rests on).
pub fn possessor_field(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Manufacture => Some("manufacturer"),
        Kind::Import => Some("importer"),
        Kind::Holding | Kind::Transfer => Some("holder"),
        Kind::Export => Some("exporter"),
        Kind::Loss | Kind::Destruction => None,
    }
}

/// The possessor a record names, marked; a manufacture record without a
/// manufacturer names the make.
pub fn possessor(record: &StoredRecord) -> Option<Derived<String>> {
    let field = possessor_field(record.kind)?;
    record.get(field).or_else(|| {
        (record.kind == Kind::Manufacture)
            .then(|| record.get("make"))
            .flatten()
    })
}

/// The category of a possessor record.
pub fn category(record: &StoredRecord) -> Option<HolderCategory> {
    match record.kind {
        Kind::Manufacture => Some(HolderCategory::Manufacturer),
        Kind::Import => Some(HolderCategory::Importer),
        _ => record.holder_category(),
    }
}

fn join(
    parts: &[Option<Derived<String>>],
    template: impl Fn(&[&str]) -> String,
) -> Derived<String> {
    let values: Vec<&str> = parts
        .iter()
        .map(|p| p.as_ref().map_or("", |d| d.value.as_str()))
        .collect();
    let present: Vec<&Derived<String>> = parts.iter().flatten().collect();
    Derived {
        value: template(&values),
        marking: RecordMarking::join_all(present.iter().map(|d| &d.marking)).unwrap_or_else(|| {
            RecordMarking::new(crate::policy::marking::Marking::new(
                crate::policy::marking::Tlp::Amber,
            ))
        }),
        provenance: present.iter().flat_map(|d| d.provenance.clone()).collect(),
    }
}

fn with(s: &str, prefix: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("{prefix}{s}")
    }
}

/// A step in words, from the record's own fields (marked as they are).
pub fn describe(r: &StoredRecord) -> Derived<String> {
    let g = |f: &str| r.get(f);
    match r.kind {
        Kind::Manufacture => join(&[possessor(r), g("model")], |v| {
            format!("Manufactured by {}{}", v[0], with(v[1], ", model "))
        }),
        Kind::Import => join(&[g("importer"), g("origin_state"), g("licence")], |v| {
            format!(
                "Imported by {}{}{}",
                v[0],
                with(v[1], " from "),
                with(v[2], " under licence ")
            )
        }),
        Kind::Holding => join(&[g("holder"), g("holder_category"), g("unit")], |v| {
            format!("Held by {} ({}){}", v[0], v[1], with(v[2], ", "))
        }),
        Kind::Transfer => join(&[g("from_holder"), g("holder"), g("licence")], |v| {
            format!(
                "Transferred{} to {}{}",
                with(v[0], " from "),
                v[1],
                with(v[2], " under licence ")
            )
        }),
        Kind::Loss => join(
            &[
                g("circumstances"),
                g("holder"),
                g("place"),
                g("report_reference"),
            ],
            |v| {
                let what = if v[0].eq_ignore_ascii_case("loss") {
                    "Reported lost"
                } else {
                    "Reported stolen"
                };
                format!(
                    "{what} from {}{}{}",
                    v[1],
                    with(v[2], " at "),
                    with(v[3], ", report ")
                )
            },
        ),
        Kind::Export => join(&[g("importing_state"), g("consignee"), g("licence")], |v| {
            format!(
                "Exported to {}{}{}",
                v[0],
                with(v[1], ", consignee "),
                with(v[2], ", licence ")
            )
        }),
        Kind::Destruction => join(&[g("place"), g("certificate")], |v| {
            format!(
                "Recorded destroyed{}{}",
                with(v[0], " at "),
                with(v[1], ", certificate ")
            )
        }),
    }
}

/// The history of one weapon's records.
pub fn assemble(mut records: Vec<StoredRecord>) -> History {
    in_order(&mut records);
    let mut possessor_record: Option<StoredRecord> = None;
    let mut end = None;
    for r in &records {
        match r.kind {
            Kind::Loss => {
                end = Some(End::Lost {
                    loss: r.clone(),
                    possessor: possessor_record.clone(),
                })
            }
            Kind::Export => {
                end = Some(End::Exported {
                    export: r.clone(),
                    possessor: possessor_record.clone(),
                })
            }
            Kind::Destruction => {
                end = Some(End::Destroyed {
                    destruction: r.clone(),
                    possessor: possessor_record.clone(),
                })
            }
            Kind::Manufacture | Kind::Import | Kind::Holding | Kind::Transfer => {
                possessor_record = Some(r.clone());
                // A later possession (recovered, re-imported) reopens it.
                end = Some(End::Held {
                    possessor: r.clone(),
                });
            }
        }
    }
    let steps = records
        .into_iter()
        .map(|record| Step {
            description: describe(&record),
            record,
        })
        .collect();
    History { steps, end }
}

impl End {
    /// The last legal possessor (10.4's minimum): for a loss, the holder it
    /// was taken from; for an export, the exporter (else the holder before).
    pub fn last_legal_possessor(&self) -> Option<(Derived<String>, Option<HolderCategory>)> {
        let from = |r: &StoredRecord| possessor(r).map(|p| (p, category(r)));
        match self {
            End::Held { possessor } => from(possessor),
            End::Lost { loss, possessor } => loss
                .get("holder")
                .map(|h| (h, loss.holder_category()))
                .or_else(|| possessor.as_ref().and_then(from)),
            End::Exported { export, possessor } => export
                .get("exporter")
                .map(|e| (e, None))
                .or_else(|| possessor.as_ref().and_then(from)),
            End::Destroyed {
                destruction,
                possessor,
            } => destruction
                .get("holder")
                .map(|h| (h, destruction.holder_category()))
                .or_else(|| possessor.as_ref().and_then(from)),
        }
    }

    /// The end in words, for an officer.
    pub fn describe(&self) -> String {
        let llp = self
            .last_legal_possessor()
            .map(|(p, _)| p.value)
            .unwrap_or_else(|| "not recorded".into());
        match self {
            End::Held { .. } => format!("still held: last legal possessor {llp}"),
            End::Lost { loss, .. } => format!(
                "{} on {}: last legal possessor {llp}",
                if loss.fields.circumstances.eq_ignore_ascii_case("loss") {
                    "lost"
                } else {
                    "stolen"
                },
                loss.fields.date
            ),
            End::Exported { export, .. } => format!(
                "exported to {} on {}: last legal possessor {llp}",
                export.fields.importing_state, export.fields.date
            ),
            End::Destroyed { destruction, .. } => format!(
                "recorded destroyed on {}: last legal possessor {llp}",
                destruction.fields.date
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Domain;
    use crate::records::search::tests::stored;

    fn life() -> Vec<StoredRecord> {
        vec![
            stored(
                3,
                Kind::Loss,
                Domain::LawEnforcement,
                &[
                    ("make", "FN"),
                    ("serial", "1502347"),
                    ("holder", "Kaduna armoury"),
                    ("holder_category", "state_armoury"),
                    ("circumstances", "theft"),
                    ("date", "2015-06-02"),
                    ("place", "Kaduna"),
                ],
            ),
            stored(
                1,
                Kind::Import,
                Domain::TransferLicensing,
                &[
                    ("make", "FN"),
                    ("serial", "1502347"),
                    ("importer", "Nigeria Police Force"),
                    ("origin_state", "BEL"),
                    ("date", "2009-04-02"),
                ],
            ),
            stored(
                2,
                Kind::Transfer,
                Domain::LawEnforcement,
                &[
                    ("make", "FN"),
                    ("serial", "1502347"),
                    ("holder", "Kaduna armoury"),
                    ("holder_category", "state_armoury"),
                    ("date", "2011-08-15"),
                ],
            ),
        ]
    }

    #[test]
    fn a_theft_ends_the_history_with_the_holder_it_was_taken_from() {
        let h = assemble(life());
        let kinds: Vec<Kind> = h.steps.iter().map(|s| s.record.kind).collect();
        assert_eq!(kinds, [Kind::Import, Kind::Transfer, Kind::Loss]);
        let end = h.end.unwrap();
        assert!(matches!(end, End::Lost { .. }));
        let (llp, category) = end.last_legal_possessor().unwrap();
        assert_eq!(llp.value, "Kaduna armoury");
        assert_eq!(category, Some(HolderCategory::StateArmoury));
        assert_eq!(llp.provenance[0].kind, Kind::Loss);
    }

    #[test]
    fn without_a_later_event_the_weapon_is_still_held() {
        let mut records = life();
        records.retain(|r| r.kind != Kind::Loss);
        let end = assemble(records).end.unwrap();
        assert!(matches!(end, End::Held { .. }));
        assert_eq!(
            end.last_legal_possessor().unwrap().0.value,
            "Kaduna armoury"
        );
    }

    #[test]
    fn each_step_says_what_happened_and_carries_its_fields_markings() {
        let h = assemble(life());
        assert_eq!(
            h.steps[2].description.value,
            "Reported stolen from Kaduna armoury at Kaduna"
        );
        assert!(
            h.steps[2]
                .description
                .provenance
                .iter()
                .all(|p| p.domain == Domain::LawEnforcement)
        );
    }
}
