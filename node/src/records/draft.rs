//! Drafting the answer to an international request from the records (8.3,
//! 10.4): exported (with licence and consignee), diverted internally (with
//! the last legal possessor and the point of diversion), still held,
//! destroyed, or no record found (with what was searched).
//!
//! Every value of the draft comes from record fields and carries their
//! markings: each section's marking is the join of the markings of the
//! values in it (highest TLP, every restriction), the response's the join
//! of all, and each value keeps its provenance. Each domain's findings are
//! kept apart, so that several points of contact can each confirm their own.

use std::collections::BTreeMap;

use iti_proto::v1 as pb;

use super::history::{self, End, History, Step};
use super::search::{Query, WeaponMatch};
use super::{Derived, Domain, Domains, Kind, RecordMarking, list};
use crate::policy::marking::{Marking, Tlp};

/// One item of the request as searched, and what the records matched.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemSearch {
    pub item_index: usize,
    pub item_ref: String,
    pub query: Query,
    pub weapons: Vec<WeaponMatch>,
}

/// Which 10.4 case the records show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Exported,
    DivertedInternally,
    StillHeld,
    Destroyed,
    NoRecord,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Exported => "exported",
            Outcome::DivertedInternally => "diverted_internally",
            Outcome::StillHeld => "still_held",
            Outcome::Destroyed => "destroyed",
            Outcome::NoRecord => "no_record",
        }
    }
}

/// One domain's part of a draft.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainFinding {
    pub domain: Domain,
    pub sources: Vec<String>,
    pub summary: Derived<String>,
    pub steps: Vec<Step>,
}

/// A drafted response: the 10.4 message, each value's marking and
/// provenance, and each domain's findings.
#[derive(Clone, Debug, PartialEq)]
pub struct DraftedResponse {
    pub outcome: Outcome,
    pub response: pb::TraceResponse,
    /// Each value of `response` by its JSON path, marked, with provenance.
    pub values: Vec<(String, Derived<String>)>,
    pub findings: Vec<DomainFinding>,
    pub searched: Vec<String>,
}

/// Collects the values that go into one section, and their markings.
#[derive(Default)]
struct Section {
    values: Vec<(String, Derived<String>)>,
}

impl Section {
    /// Takes `value` into the section at `path`; returns its text.
    fn take(&mut self, path: &str, value: Option<Derived<String>>) -> String {
        match value {
            Some(v) => {
                let text = v.value.clone();
                self.values.push((path.to_string(), v));
                text
            }
            None => String::new(),
        }
    }

    fn marking(&self) -> Option<RecordMarking> {
        RecordMarking::join_all(self.values.iter().map(|(_, v)| &v.marking))
    }
}

fn text(value: &str, marking: &RecordMarking) -> Derived<String> {
    Derived {
        value: value.to_string(),
        marking: marking.clone(),
        provenance: vec![],
    }
}

fn history_kind(kind: Kind) -> pb::HistoryEventKind {
    match kind {
        Kind::Manufacture => pb::HistoryEventKind::Manufacture,
        Kind::Import => pb::HistoryEventKind::Import,
        Kind::Export => pb::HistoryEventKind::Export,
        Kind::Transfer => pb::HistoryEventKind::InternalTransfer,
        Kind::Loss => pb::HistoryEventKind::Diversion,
        Kind::Holding | Kind::Destruction => pb::HistoryEventKind::Other,
    }
}

/// Drafts the response to `request` from the searches of its items, in the
/// state `own`. The first item the records know leads; the others are
/// summed up in the additional information.
pub fn draft_response(
    own: &str,
    request: &pb::TraceRequest,
    searches: &[ItemSearch],
    domains: &Domains,
) -> DraftedResponse {
    let searched = describe_searches(searches, domains);
    let request_marking = request
        .marking
        .as_ref()
        .and_then(|m| Marking::try_from(m).ok())
        .map(RecordMarking::new)
        .unwrap_or_else(|| RecordMarking::new(Marking::new(Tlp::Amber)));
    let lead = searches.iter().find(|s| !s.weapons.is_empty());
    let Some(lead) = lead else {
        return no_record(searched, domains, &request_marking);
    };
    let weapon = &lead.weapons[0];
    let history = history::assemble(weapon.records.iter().map(|r| r.record.clone()).collect());
    let mut values = Vec::new();
    let mut response = pb::TraceResponse::default();

    let outcome = finding(&history, &mut response, &mut values);
    last_legal_possessor(own, &history, &mut response, &mut values);
    commercial(&history, &mut response, &mut values);
    history_section(own, &history, &mut response, &mut values);
    additional(lead, searches, &history, &mut response, &mut values);

    let all = RecordMarking::join_all(values.iter().map(|(_, v)| &v.marking))
        .unwrap_or_else(|| request_marking.clone());
    response.marking = Some(all.to_proto());
    DraftedResponse {
        outcome,
        response,
        values,
        findings: domain_findings(&history, domains),
        searched,
    }
}

fn describe_searches(searches: &[ItemSearch], domains: &Domains) -> Vec<String> {
    let domains: Vec<&str> = domains.iter().map(|d| d.as_str()).collect();
    searches
        .iter()
        .map(|s| {
            let mut what = vec![];
            for (label, v) in [
                ("make", &s.query.make),
                ("model", &s.query.model),
                ("calibre", &s.query.calibre),
                ("serial", &s.query.serial),
            ] {
                if !v.trim().is_empty() {
                    what.push(format!("{label} {}", v.trim()));
                }
            }
            format!(
                "items[{}]: {} (serial misread-tolerant) in {}: {} weapon(s) matched",
                s.item_index,
                what.join(", "),
                if domains.is_empty() {
                    "no domain".to_string()
                } else {
                    domains.join(", ")
                },
                s.weapons.len()
            )
        })
        .collect()
}

fn no_record(searched: Vec<String>, domains: &Domains, marking: &RecordMarking) -> DraftedResponse {
    let details = "No record of the items was found in the domestic records searched.";
    let response = pb::TraceResponse {
        marking: Some(marking.to_proto()),
        finding: Some(pb::Finding {
            marking: Some(marking.to_proto()),
            case: Some(pb::finding::Case::NoRecord(pb::NoRecordFound {
                searched: searched.clone(),
                details: details.into(),
            })),
        }),
        ..Default::default()
    };
    let findings = domains
        .iter()
        .map(|d| DomainFinding {
            domain: *d,
            sources: vec![],
            summary: text("no record", marking),
            steps: vec![],
        })
        .collect();
    DraftedResponse {
        outcome: Outcome::NoRecord,
        response,
        values: searched
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("finding.noRecord.searched[{i}]"), text(s, marking)))
            .collect(),
        findings,
        searched,
    }
}

/// The 10.4 finding of a history.
fn finding(
    history: &History,
    response: &mut pb::TraceResponse,
    values: &mut Vec<(String, Derived<String>)>,
) -> Outcome {
    let mut s = Section::default();
    let (outcome, case) = match &history.end {
        Some(End::Exported { export, .. }) => {
            let p = "finding.export";
            let transit = s.take(&format!("{p}.transitStates"), export.get("transit_states"));
            let consignee = export.get("end_user").or_else(|| export.get("consignee"));
            let case = pb::finding::Case::Export(pb::ExportFinding {
                export_date: s.take(&format!("{p}.exportDate"), export.get("date")),
                importing_state: s.take(
                    &format!("{p}.importingState"),
                    export.get("importing_state"),
                ),
                transit_states: list(&transit),
                final_consignee: s.take(&format!("{p}.finalConsignee"), consignee),
                licences: vec![pb::Licence {
                    kind: "export".into(),
                    number: s.take(&format!("{p}.licences[0].number"), export.get("licence")),
                    issued_by: String::new(),
                    date: s.take(&format!("{p}.licences[0].date"), export.get("date")),
                }],
                details: s.take(
                    &format!("{p}.details"),
                    export
                        .get("consignee")
                        .filter(|_| !export.fields.end_user.is_empty())
                        .map(|mut c| {
                            c.value = format!("Consignee: {}", c.value);
                            c
                        }),
                ),
                ..Default::default()
            });
            (Outcome::Exported, case)
        }
        Some(End::Lost { loss, .. }) => {
            let p = "finding.internalDiversion";
            let case = pb::finding::Case::InternalDiversion(pb::InternalDiversion {
                diversion_date: s.take(&format!("{p}.diversionDate"), loss.get("date")),
                details: s.take(&format!("{p}.details"), Some(history::describe(loss))),
                // 10.4.4: the point of contact states it (launched or envisaged).
                investigation: pb::InvestigationStatus::Unspecified as i32,
            });
            (Outcome::DivertedInternally, case)
        }
        Some(End::Held { .. }) | Some(End::Destroyed { .. }) | None => {
            let outcome = if matches!(history.end, Some(End::Destroyed { .. })) {
                Outcome::Destroyed
            } else {
                Outcome::StillHeld
            };
            (outcome, held_case(history, &mut s))
        }
    };
    response.finding = Some(pb::Finding {
        marking: s.marking().map(|m| m.to_proto()),
        case: Some(case),
    });
    values.extend(s.values);
    outcome
}

/// 10.4.2 when the weapon was transferred within the state, else 10.4.1.
fn held_case(history: &History, s: &mut Section) -> pb::finding::Case {
    let transfers: Vec<&Step> = history
        .steps
        .iter()
        .filter(|st| st.record.kind == Kind::Transfer)
        .collect();
    if !transfers.is_empty() {
        let p = "finding.internalTransfer";
        let mut t = pb::InternalTransfer::default();
        for (i, st) in transfers.iter().enumerate() {
            t.transfer_dates
                .push(s.take(&format!("{p}.transferDates[{i}]"), st.record.get("date")));
            t.final_consignees.push(s.take(
                &format!("{p}.finalConsignees[{i}]"),
                st.record.get("holder"),
            ));
            let number = s.take(
                &format!("{p}.licences[{i}].number"),
                st.record.get("licence"),
            );
            if !number.is_empty() {
                t.licences.push(pb::Licence {
                    kind: "transfer".into(),
                    number,
                    ..Default::default()
                });
            }
        }
        return pb::finding::Case::InternalTransfer(t);
    }
    let first = history
        .steps
        .iter()
        .find(|st| matches!(st.record.kind, Kind::Manufacture | Kind::Import));
    let p = "finding.manufactureOrImport";
    let mut m = pb::ManufactureOrImport::default();
    if let Some(st) = first {
        m.manufactured = st.record.kind == Kind::Manufacture;
        m.manufacturer_or_importer = s.take(
            &format!("{p}.manufacturerOrImporter"),
            history::possessor(&st.record),
        );
        m.date = s.take(&format!("{p}.date"), st.record.get("date"));
        m.details = s.take(&format!("{p}.details"), Some(st.description.clone()));
    }
    pb::finding::Case::ManufactureOrImport(m)
}

fn last_legal_possessor(
    own: &str,
    history: &History,
    response: &mut pb::TraceResponse,
    values: &mut Vec<(String, Derived<String>)>,
) {
    let Some((name, category)) = history.end.as_ref().and_then(End::last_legal_possessor) else {
        return;
    };
    let mut s = Section::default();
    let since = match &history.end {
        Some(End::Held { possessor }) => possessor.get("date"),
        _ => None,
    };
    let category = match (&history.end, category) {
        (Some(End::Exported { .. }), None) => "exporter".to_string(),
        (_, Some(c)) => c.words().to_string(),
        (_, None) => String::new(),
    };
    let name_marking = name.marking.clone();
    let p = "lastLegalPossessor";
    let llp = pb::LastLegalPossessor {
        marking: None,
        name: s.take(&format!("{p}.name"), Some(name)),
        // The category is the name's kind: marked as the name is.
        category: s.take(
            &format!("{p}.category"),
            (!category.is_empty()).then(|| text(&category, &name_marking)),
        ),
        state: own.to_string(),
        address: String::new(),
        since: s.take(&format!("{p}.since"), since),
        ..Default::default()
    };
    // A licensed civilian holder is a private person: personal data.
    let llp = pb::LastLegalPossessor {
        natural_person: crate::policy::sections::is_natural_person(false, &llp.category),
        ..llp
    };
    response.last_legal_possessor = Some(pb::LastLegalPossessor {
        marking: s.marking().map(|m| m.to_proto()),
        ..llp
    });
    values.extend(s.values);
}

/// 7.3 b, c: brokers, carriers, financial transactions of an export.
fn commercial(
    history: &History,
    response: &mut pb::TraceResponse,
    values: &mut Vec<(String, Derived<String>)>,
) {
    let Some(End::Exported { export, .. }) = &history.end else {
        return;
    };
    let mut s = Section::default();
    let p = "commercial";
    let brokers = s.take(&format!("{p}.brokers"), export.get("brokers"));
    let carrier = s.take(&format!("{p}.transportAgents"), export.get("carrier"));
    let financial = s.take(
        &format!("{p}.financialTransactions"),
        export.get("financial"),
    );
    if s.values.is_empty() {
        return;
    }
    response.commercial = Some(pb::CommercialDetails {
        marking: s.marking().map(|m| m.to_proto()),
        brokers: list(&brokers),
        transport_agents: list(&carrier),
        contract_reference: String::new(),
        financial_transactions: financial,
        notes: String::new(),
    });
    values.extend(s.values);
}

fn history_section(
    own: &str,
    history: &History,
    response: &mut pb::TraceResponse,
    values: &mut Vec<(String, Derived<String>)>,
) {
    let mut s = Section::default();
    let mut events = Vec::new();
    for (i, st) in history.steps.iter().enumerate() {
        let p = format!("history.events[{i}]");
        events.push(pb::HistoryEvent {
            date: s.take(&format!("{p}.date"), st.record.get("date")),
            kind: history_kind(st.record.kind) as i32,
            state: own.to_string(),
            party: s.take(&format!("{p}.party"), history::possessor(&st.record)),
            description: s.take(&format!("{p}.description"), Some(st.description.clone())),
        });
    }
    if events.is_empty() {
        return;
    }
    response.history = Some(pb::History {
        marking: s.marking().map(|m| m.to_proto()),
        events,
    });
    values.extend(s.values);
}

/// The other items, the records' caveats: at the response's level, under
/// the response's marking (the join of everything).
fn additional(
    lead: &ItemSearch,
    searches: &[ItemSearch],
    history: &History,
    response: &mut pb::TraceResponse,
    values: &mut Vec<(String, Derived<String>)>,
) {
    let mut lines: Vec<Derived<String>> = Vec::new();
    let note = |s: &str| text(s, &RecordMarking::new(Marking::new(Tlp::Green)));
    if let Some(End::Held { .. }) = history.end {
        lines.push(note(
            "The records show the weapon still held by its last legal possessor; it was not \
             reported lost or stolen.",
        ));
    }
    if let Some(End::Destroyed { destruction, .. }) = &history.end {
        lines.push(history::describe(destruction));
    }
    if !lead.weapons[0].reasons.is_empty() {
        lines.push(note(&format!(
            "items[{}] matched the records with differences: {}.",
            lead.item_index,
            lead.weapons[0].reasons.join("; ")
        )));
    }
    for other in searches.iter().filter(|s| s.item_index != lead.item_index) {
        match other.weapons.first() {
            None => lines.push(note(&format!(
                "items[{}]: no record found.",
                other.item_index
            ))),
            Some(w) => {
                let h = history::assemble(w.records.iter().map(|r| r.record.clone()).collect());
                if let Some(end) = &h.end {
                    let marking =
                        RecordMarking::join_all(h.steps.iter().map(|s| &s.description.marking))
                            .unwrap_or_else(|| RecordMarking::new(Marking::new(Tlp::Amber)));
                    lines.push(Derived {
                        value: format!("items[{}]: {}.", other.item_index, end.describe()),
                        marking,
                        provenance: h
                            .steps
                            .iter()
                            .flat_map(|s| s.description.provenance.clone())
                            .collect(),
                    });
                }
            }
        }
    }
    if lines.is_empty() {
        return;
    }
    response.additional_information = lines
        .iter()
        .map(|l| l.value.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for (i, l) in lines.into_iter().enumerate() {
        values.push((format!("additionalInformation[{i}]"), l));
    }
}

/// Each searched domain's findings on the weapon.
fn domain_findings(history: &History, domains: &Domains) -> Vec<DomainFinding> {
    let mut by_domain: BTreeMap<Domain, Vec<Step>> = BTreeMap::new();
    for st in &history.steps {
        by_domain
            .entry(st.record.domain)
            .or_default()
            .push(st.clone());
    }
    let mut out = Vec::new();
    for d in domains
        .iter()
        .chain(by_domain.keys().filter(|d| !domains.contains(d)))
    {
        let steps = by_domain.get(d).cloned().unwrap_or_default();
        let mut sources: Vec<String> = steps.iter().map(|s| s.record.source.clone()).collect();
        sources.dedup();
        let marking = RecordMarking::join_all(steps.iter().map(|s| &s.description.marking))
            .unwrap_or_else(|| RecordMarking::new(Marking::new(Tlp::Green)));
        let summary = if steps.is_empty() {
            "no record".to_string()
        } else {
            steps
                .iter()
                .map(|s| {
                    format!(
                        "{}{}",
                        s.description.value,
                        if s.record.fields.date.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", s.record.fields.date)
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        out.push(DomainFinding {
            domain: *d,
            sources,
            summary: Derived {
                value: summary,
                marking,
                provenance: steps
                    .iter()
                    .flat_map(|s| s.description.provenance.clone())
                    .collect(),
            },
            steps,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::marking::Restriction;
    use crate::records::search::tests::stored;
    use crate::records::search::weapons;
    use crate::records::{FieldMarkings, StoredRecord};

    fn query() -> Query {
        Query {
            make: "FN Herstal".into(),
            serial: "1502347".into(),
            ..Default::default()
        }
    }

    fn search(records: &[StoredRecord]) -> Vec<ItemSearch> {
        vec![ItemSearch {
            item_index: 0,
            item_ref: "exhibit 14".into(),
            query: query(),
            weapons: weapons(&query(), records),
        }]
    }

    fn request() -> pb::TraceRequest {
        pb::TraceRequest {
            marking: Some(Marking::new(Tlp::Amber).to_proto()),
            ..Default::default()
        }
    }

    fn all() -> Domains {
        Domain::ALL.into_iter().collect()
    }

    fn exported() -> Vec<StoredRecord> {
        vec![
            stored(
                1,
                Kind::Manufacture,
                Domain::Manufacturers,
                &[
                    ("make", "FN Herstal"),
                    ("serial", "1502347"),
                    ("manufacturer", "FN Herstal SA"),
                    ("date", "2008-11-04"),
                ],
            ),
            stored(
                2,
                Kind::Export,
                Domain::TransferLicensing,
                &[
                    ("make", "FN Herstal"),
                    ("serial", "1502347"),
                    ("exporter", "FN Herstal SA"),
                    ("importing_state", "NGA"),
                    ("transit_states", "NLD"),
                    ("consignee", "Nigeria Police Force, Abuja"),
                    ("licence", "BE-W-2009-0412"),
                    ("carrier", "Antwerp Freight Services NV"),
                    ("financial", "letter of credit"),
                    ("date", "2009-03-12"),
                ],
            ),
        ]
    }

    #[test]
    fn an_export_gives_licence_consignee_and_proprietary_commercial_details() {
        let d = draft_response("BEL", &request(), &search(&exported()), &all());
        assert_eq!(d.outcome, Outcome::Exported);
        let Some(pb::finding::Case::Export(e)) =
            d.response.finding.as_ref().and_then(|f| f.case.clone())
        else {
            panic!("{:?}", d.response.finding);
        };
        assert_eq!(e.importing_state, "NGA");
        assert_eq!(e.final_consignee, "Nigeria Police Force, Abuja");
        assert_eq!(e.licences[0].number, "BE-W-2009-0412");
        assert_eq!(e.transit_states, ["NLD"]);
        let llp = d.response.last_legal_possessor.as_ref().unwrap();
        assert_eq!(llp.name, "FN Herstal SA");
        let commercial = d.response.commercial.as_ref().unwrap();
        let m = Marking::try_from(commercial.marking.as_ref().unwrap()).unwrap();
        assert!(m.restrictions.contains(&Restriction::ProprietaryCommercial));
        let finding_m = Marking::try_from(
            d.response
                .finding
                .as_ref()
                .unwrap()
                .marking
                .as_ref()
                .unwrap(),
        )
        .unwrap();
        assert!(
            !finding_m
                .restrictions
                .contains(&Restriction::ProprietaryCommercial),
            "the finding holds no commercial field"
        );
        let top = Marking::try_from(d.response.marking.as_ref().unwrap()).unwrap();
        assert!(
            top.restrictions
                .contains(&Restriction::ProprietaryCommercial),
            "the response's marking joins every section"
        );
        let (_, licence) = d
            .values
            .iter()
            .find(|(p, _)| p == "finding.export.licences[0].number")
            .unwrap();
        assert_eq!(licence.provenance[0].source, "transfer_licensing-source");
        assert_eq!(licence.provenance[0].field, "licence");
    }

    #[test]
    fn a_theft_gives_the_diversion_and_the_holder_marked_as_its_source_says() {
        let police = FieldMarkings::try_from_proto(&[pb::FieldMarking {
            field: "holder".into(),
            marking: Some(
                Marking::new(Tlp::Red)
                    .with(Restriction::LawEnforcementOnly)
                    .to_proto(),
            ),
            personal: false,
        }])
        .unwrap();
        let mut records = vec![
            stored(
                1,
                Kind::Holding,
                Domain::LawEnforcement,
                &[
                    ("make", "FN Herstal"),
                    ("serial", "15O2347"),
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
                ],
            ),
        ];
        for r in &mut records {
            r.markings = police.clone();
        }
        let d = draft_response("NGA", &request(), &search(&records), &all());
        assert_eq!(d.outcome, Outcome::DivertedInternally);
        let llp = d.response.last_legal_possessor.as_ref().unwrap();
        assert_eq!(llp.name, "Kaduna State Command armoury");
        assert_eq!(llp.category, "state armoury");
        let m = Marking::try_from(llp.marking.as_ref().unwrap()).unwrap();
        assert_eq!(m.tlp, Tlp::Red);
        assert!(
            d.response.additional_information.contains("0→O at 3"),
            "the misreading is stated: {}",
            d.response.additional_information
        );
        let le = d
            .findings
            .iter()
            .find(|f| f.domain == Domain::LawEnforcement)
            .unwrap();
        assert_eq!(le.steps.len(), 2);
        let civ = d
            .findings
            .iter()
            .find(|f| f.domain == Domain::Civilians)
            .unwrap();
        assert_eq!(civ.summary.value, "no record");
    }

    #[test]
    fn nothing_found_says_what_was_searched() {
        let d = draft_response("NGA", &request(), &search(&[]), &all());
        assert_eq!(d.outcome, Outcome::NoRecord);
        let Some(pb::finding::Case::NoRecord(n)) =
            d.response.finding.as_ref().and_then(|f| f.case.clone())
        else {
            panic!()
        };
        assert!(n.searched[0].contains("serial 1502347"), "{:?}", n.searched);
        assert!(n.searched[0].contains("law_enforcement"));
        assert!(d.response.last_legal_possessor.is_none());
    }

    #[test]
    fn a_civilian_last_legal_possessor_is_personal_data() {
        let records = vec![stored(
            1,
            Kind::Holding,
            Domain::Civilians,
            &[
                ("make", "FN Herstal"),
                ("serial", "1502347"),
                ("holder", "J. Doe"),
                ("holder_category", "civilian"),
                ("licence", "CIV-991"),
            ],
        )];
        let d = draft_response("NGA", &request(), &search(&records), &all());
        assert_eq!(d.outcome, Outcome::StillHeld);
        let m = Marking::try_from(
            d.response
                .last_legal_possessor
                .as_ref()
                .unwrap()
                .marking
                .as_ref()
                .unwrap(),
        )
        .unwrap();
        assert!(m.restrictions.contains(&Restriction::LawEnforcementOnly));
        assert!(
            d.values
                .iter()
                .any(|(p, v)| p == "lastLegalPossessor.name" && v.marking.personal)
        );
    }
}
