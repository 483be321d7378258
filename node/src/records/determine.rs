//! The determination of a domestic trace (8.1): from the records of a
//! recovered weapon, whether it was diverted while under national
//! jurisdiction (8.1 b 1), after it left (8.1 b 2), or whether the records
//! hold nothing (8.1 c), and what follows (8.1 d, e).

use std::fmt;

use iti_proto::v1 as pb;

use super::history::{self, End, History};
use super::search::{self, WeaponMatch};
use super::{Derived, HolderCategory, RecordMarking};
use crate::ids::StateCode;
use crate::routing;

/// Where a weapon was diverted, by category (clause 12 reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiversionCategory {
    StateArmoury,
    Dealer,
    Civilian,
    AfterExport,
    Other,
}

impl DiversionCategory {
    pub const ALL: [DiversionCategory; 5] = [
        DiversionCategory::StateArmoury,
        DiversionCategory::Dealer,
        DiversionCategory::Civilian,
        DiversionCategory::AfterExport,
        DiversionCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DiversionCategory::StateArmoury => "state armoury",
            DiversionCategory::Dealer => "dealer",
            DiversionCategory::Civilian => "civilian",
            DiversionCategory::AfterExport => "after export",
            DiversionCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<DiversionCategory> {
        DiversionCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn of_holder(c: Option<HolderCategory>) -> DiversionCategory {
        match c {
            Some(c) if c.is_state() => DiversionCategory::StateArmoury,
            Some(HolderCategory::Dealer) => DiversionCategory::Dealer,
            Some(HolderCategory::Civilian) => DiversionCategory::Civilian,
            _ => DiversionCategory::Other,
        }
    }
}

/// How a weapon left legal possession under national jurisdiction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiversionKind {
    Theft,
    Loss,
    /// Recorded as held, never reported lost or stolen.
    Unreported,
    /// Recorded destroyed, yet recovered.
    AllegedDestruction,
}

impl DiversionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiversionKind::Theft => "theft",
            DiversionKind::Loss => "loss",
            DiversionKind::Unreported => "unreported",
            DiversionKind::AllegedDestruction => "alleged destruction",
        }
    }
}

/// One piece of evidence: what it is, and the marked value.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub what: &'static str,
    pub value: Derived<String>,
}

/// The 8.1 determination.
#[derive(Clone, Debug, PartialEq)]
pub enum Determination {
    /// 8.1 b 1: diverted under national jurisdiction; investigate (8.1 d).
    DivertedDomestically {
        how: DiversionKind,
        category: DiversionCategory,
        evidence: Vec<Evidence>,
    },
    /// 8.1 b 2: left the jurisdiction by export; ask the importing state
    /// (8.1 e 3, 9.1 a), the export record as grounds.
    LeftJurisdiction {
        to: StateCode,
        export: pb::ExportRecord,
        /// The join of the export record fields the grounds use.
        marking: RecordMarking,
        evidence: Vec<Evidence>,
    },
    /// 8.1 c: no record. Ask the state of last import or manufacture from
    /// the markings (8.1 e 4, 9.1 b, c), or, where the markings name this
    /// state, suspect illicit manufacture here (8.1 c 2, d 2).
    NoRecord {
        route: Result<routing::Decision, String>,
        illicit_manufacture_suspected: bool,
    },
    /// Several weapons match equally well: an officer must choose.
    Ambiguous { candidates: usize },
}

impl Determination {
    pub fn name(&self) -> &'static str {
        match self {
            Determination::DivertedDomestically { .. } => "diverted_domestically",
            Determination::LeftJurisdiction { .. } => "left_jurisdiction",
            Determination::NoRecord { .. } => "no_record",
            Determination::Ambiguous { .. } => "ambiguous",
        }
    }

    /// Whether a domestic investigation is opened (8.1 d).
    pub fn opens_investigation(&self) -> bool {
        match self {
            Determination::DivertedDomestically { .. } => true,
            Determination::NoRecord {
                illicit_manufacture_suspected,
                ..
            } => *illicit_manufacture_suspected,
            _ => false,
        }
    }

    /// The state an international request is drafted to (8.1 e).
    pub fn request_to(&self) -> Option<StateCode> {
        match self {
            Determination::LeftJurisdiction { to, .. } => Some(*to),
            Determination::NoRecord {
                route: Ok(d),
                illicit_manufacture_suspected: false,
            } => Some(d.state),
            _ => None,
        }
    }

    pub fn category(&self) -> Option<DiversionCategory> {
        match self {
            Determination::DivertedDomestically { category, .. } => Some(*category),
            Determination::LeftJurisdiction { .. } => Some(DiversionCategory::AfterExport),
            _ => None,
        }
    }

    pub fn evidence(&self) -> &[Evidence] {
        match self {
            Determination::DivertedDomestically { evidence, .. }
            | Determination::LeftJurisdiction { evidence, .. } => evidence,
            _ => &[],
        }
    }
}

impl Determination {
    /// The determination in words, with its clause, as a fact worded in
    /// each reader's language. Facts only: states, kinds, counts (the
    /// evidence carries the content, marked).
    pub fn fact(&self) -> pb::Fact {
        use crate::fact::{code, fact, text, word};
        let id = |s: &str| s.replace(' ', "-");
        match self {
            Determination::DivertedDomestically { how, category, .. } => fact(
                "determination-summary-diverted",
                [
                    word("how", code(&id(&format!("diversion-how-{}", how.as_str())))),
                    word(
                        "category",
                        code(&id(&format!("diversion-{}", category.as_str()))),
                    ),
                ],
            ),
            Determination::LeftJurisdiction { to, .. } => {
                fact("determination-summary-left", [text("to", to)])
            }
            Determination::NoRecord {
                illicit_manufacture_suspected: true,
                ..
            } => code("determination-summary-illicit-manufacture"),
            Determination::NoRecord { route: Ok(d), .. } => {
                let rule = if d.rule == pb::RoutingRule::ImportMarking {
                    "b"
                } else {
                    "c"
                };
                fact(
                    "determination-summary-no-record",
                    [text("state", d.state), text("rule", rule)],
                )
            }
            Determination::NoRecord { route: Err(e), .. } => {
                fact("determination-summary-no-route", [text("reason", e)])
            }
            Determination::Ambiguous { candidates } => fact(
                "determination-summary-ambiguous",
                [text("count", candidates)],
            ),
        }
    }
}

impl fmt::Display for Determination {
    /// The determination in English (the catalogs' wording).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::fact::english(&self.fact()))
    }
}

fn evidence(what: &'static str, value: Option<Derived<String>>) -> Option<Evidence> {
    value.map(|value| Evidence { what, value })
}

/// The export record of a history's export, as grounds for routing (9.1 a).
fn export_grounds(own: StateCode, export: &super::StoredRecord) -> pb::ExportRecord {
    pb::ExportRecord {
        importing_state: export.fields.importing_state.clone(),
        export_date: export.fields.date.clone(),
        licence_number: export.fields.licence.clone(),
        recorded_by: own.to_string(),
    }
}

/// The determination for a recovered weapon, from the weapons the records
/// matched (best first) and the request that identifies it.
pub fn determine(
    own: StateCode,
    recovered: &pb::TraceRequest,
    weapons: &[WeaponMatch],
) -> Determination {
    let Some(best) = weapons.first() else {
        return no_record(own, recovered);
    };
    if !search::conclusive(weapons) {
        return Determination::Ambiguous {
            candidates: weapons.len(),
        };
    }
    let history = history::assemble(best.records.iter().map(|r| r.record.clone()).collect());
    from_history(own, &history).unwrap_or_else(|| no_record(own, recovered))
}

/// The determination a weapon's history gives (`None`: no end recorded).
pub fn from_history(own: StateCode, history: &History) -> Option<Determination> {
    let end = history.end.as_ref()?;
    let llp = end.last_legal_possessor();
    let category = DiversionCategory::of_holder(llp.as_ref().and_then(|(_, c)| *c));
    let llp = llp.map(|(p, _)| p);
    Some(match end {
        End::Exported { export, .. } => {
            let to: StateCode = export.fields.importing_state.parse().ok()?;
            let used = ["importing_state", "date", "licence"];
            let marking = RecordMarking::join_all(
                used.iter()
                    .filter_map(|f| export.get(f))
                    .map(|d| d.marking)
                    .collect::<Vec<_>>()
                    .iter(),
            )?;
            Determination::LeftJurisdiction {
                to,
                export: export_grounds(own, export),
                marking,
                evidence: [
                    evidence("last legal possessor", llp),
                    evidence("export date", export.get("date")),
                    evidence("importing state", export.get("importing_state")),
                    evidence("export licence", export.get("licence")),
                    evidence("consignee", export.get("consignee")),
                    evidence("end user", export.get("end_user")),
                ]
                .into_iter()
                .flatten()
                .collect(),
            }
        }
        End::Lost { loss, .. } => Determination::DivertedDomestically {
            how: if loss.fields.circumstances.eq_ignore_ascii_case("loss") {
                DiversionKind::Loss
            } else {
                DiversionKind::Theft
            },
            category,
            evidence: [
                evidence("last legal possessor", llp),
                evidence("point of diversion", Some(history::describe(loss))),
                evidence("date of diversion", loss.get("date")),
                evidence("place", loss.get("place")),
                evidence("report reference", loss.get("report_reference")),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
        End::Held { possessor } => Determination::DivertedDomestically {
            how: DiversionKind::Unreported,
            category,
            evidence: [
                evidence("last legal possessor", llp),
                evidence(
                    "point of diversion",
                    Some(history::describe(possessor)).map(|mut d| {
                        d.value = format!("Not reported lost or stolen; last record: {}", d.value);
                        d
                    }),
                ),
                evidence("held since", possessor.get("date")),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
        End::Destroyed { destruction, .. } => Determination::DivertedDomestically {
            how: DiversionKind::AllegedDestruction,
            category,
            evidence: [
                evidence("last legal possessor", llp),
                evidence("point of diversion", Some(history::describe(destruction))),
                evidence("date of destruction", destruction.get("date")),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
    })
}

fn no_record(own: StateCode, recovered: &pb::TraceRequest) -> Determination {
    // The officer's own export finding is not a record: routing here goes by
    // the markings alone.
    let mut request = recovered.clone();
    request.domestic_findings = None;
    match routing::route(&request) {
        Ok(d) if d.state == own => Determination::NoRecord {
            route: Ok(d),
            illicit_manufacture_suspected: true,
        },
        Ok(d) => Determination::NoRecord {
            route: Ok(d),
            illicit_manufacture_suspected: false,
        },
        Err(e) => Determination::NoRecord {
            route: Err(e.to_string()),
            illicit_manufacture_suspected: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::search::tests::stored;
    use crate::records::search::{Query, weapons};
    use crate::records::{Domain, Kind, StoredRecord};

    #[test]
    fn a_determination_reads_in_the_readers_language_and_in_english_as_before() {
        use crate::i18n::{Lang, Texts};
        let stolen = Determination::DivertedDomestically {
            how: DiversionKind::Theft,
            category: DiversionCategory::StateArmoury,
            evidence: vec![],
        };
        assert_eq!(
            stolen.to_string(),
            "Diverted while under national jurisdiction (8.1 b 1): theft from a state \
             armoury holder; a domestic investigation is opened (8.1 d)."
        );
        let french = Texts::new(Lang::Fr).fact(&stolen.fact());
        assert!(
            french.starts_with("Détourné sous la juridiction nationale (8.1 b 1) : vol")
                && french.contains("arsenal de l'État"),
            "{french}"
        );
        let ambiguous = Determination::Ambiguous { candidates: 3 };
        assert!(
            Texts::new(Lang::Fr)
                .fact(&ambiguous.fact())
                .starts_with("3 armes des registres"),
            "{}",
            ambiguous.to_string()
        );
    }

    fn nga() -> StateCode {
        "NGA".parse().unwrap()
    }

    fn recovered(country_of_manufacture: &str) -> pb::TraceRequest {
        pb::TraceRequest {
            items: vec![pb::RecoveredItem {
                item: Some(pb::recovered_item::Item::Weapon(pb::WeaponIdentification {
                    make: "FN Herstal".into(),
                    serial_number: "1502347".into(),
                    country_of_manufacture: country_of_manufacture.into(),
                    ..Default::default()
                })),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn found(records: &[StoredRecord]) -> Vec<WeaponMatch> {
        weapons(
            &Query {
                make: "FN Herstal".into(),
                serial: "1502347".into(),
                ..Default::default()
            },
            records,
        )
    }

    fn theft() -> Vec<StoredRecord> {
        vec![
            stored(
                1,
                Kind::Holding,
                Domain::LawEnforcement,
                &[
                    ("make", "FN Herstal"),
                    ("serial", "1502347"),
                    ("holder", "Kaduna State Command armoury"),
                    ("holder_category", "state_armoury"),
                    ("date", "2011-08-15"),
                ],
            ),
            stored(
                2,
                Kind::Loss,
                Domain::LawEnforcement,
                &[
                    ("make", "FN Herstal"),
                    ("serial", "15O2347"),
                    ("holder", "Kaduna State Command armoury"),
                    ("holder_category", "state_armoury"),
                    ("circumstances", "theft"),
                    ("date", "2015-06-02"),
                    ("report_reference", "KD/2015/0098"),
                ],
            ),
        ]
    }

    #[test]
    fn a_theft_is_a_diversion_under_national_jurisdiction_with_its_evidence() {
        let d = determine(nga(), &recovered("BEL"), &found(&theft()));
        let Determination::DivertedDomestically {
            how,
            category,
            evidence,
        } = &d
        else {
            panic!("{d:?}");
        };
        assert_eq!(*how, DiversionKind::Theft);
        assert_eq!(*category, DiversionCategory::StateArmoury);
        assert_eq!(evidence[0].what, "last legal possessor");
        assert_eq!(evidence[0].value.value, "Kaduna State Command armoury");
        assert!(evidence.iter().any(|e| e.value.value == "KD/2015/0098"));
        assert!(d.opens_investigation());
        assert_eq!(d.request_to(), None);
    }

    #[test]
    fn an_export_drafts_a_request_to_the_importing_state_with_the_record_as_grounds() {
        let mut records = theft();
        records.truncate(1);
        records.push(stored(
            3,
            Kind::Export,
            Domain::TransferLicensing,
            &[
                ("make", "FN Herstal"),
                ("serial", "1502347"),
                ("importing_state", "CIV"),
                ("licence", "NG-EX-2016-7"),
                ("date", "2016-02-01"),
            ],
        ));
        let d = determine(nga(), &recovered("BEL"), &found(&records));
        assert_eq!(d.request_to(), Some("CIV".parse().unwrap()));
        let Determination::LeftJurisdiction { export, .. } = &d else {
            panic!("{d:?}")
        };
        assert_eq!(export.licence_number, "NG-EX-2016-7");
        assert_eq!(export.recorded_by, "NGA");
        assert!(!d.opens_investigation());
        assert_eq!(d.category(), Some(DiversionCategory::AfterExport));
    }

    #[test]
    fn no_record_routes_by_the_markings_or_suspects_illicit_manufacture_here() {
        let d = determine(nga(), &recovered("BEL"), &[]);
        assert_eq!(d.request_to(), Some("BEL".parse().unwrap()));
        assert!(!d.opens_investigation());
        let d = determine(nga(), &recovered("NGA"), &[]);
        assert_eq!(d.request_to(), None);
        assert!(d.opens_investigation());
        let d = determine(nga(), &recovered(""), &[]);
        assert!(matches!(d, Determination::NoRecord { route: Err(_), .. }));
    }

    #[test]
    fn a_weapon_still_held_was_diverted_unreported_from_its_holder() {
        let mut records = theft();
        records.truncate(1);
        let d = determine(nga(), &recovered("BEL"), &found(&records));
        assert!(matches!(
            d,
            Determination::DivertedDomestically {
                how: DiversionKind::Unreported,
                ..
            }
        ));
    }
}
