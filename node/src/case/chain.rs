//! Chained traces. A response that finds the items were exported (10.4.3)
//! sends the requester on to the importing state, which holds more recent
//! jurisdiction (9.1 a); the chain ends at the point of diversion (10.4.4,
//! 8.1 d 3) or where the records run out.
//!
//! Everything here reads the responses of one case, in the order they were
//! received, and is recomputed whenever a response arrives. What it derives
//! is marked: each timeline step with the marking of the section it was read
//! from, and flagged when it names a private person; the conclusion with
//! the markings of the sections it draws on. The release gate judges each
//! part (`Releasable`).

use iti_proto::v1 as pb;
use pb::HistoryEventKind as Kind;
use pb::finding::Case;

use crate::policy::gate::{Part, Releasable};
use crate::policy::marked::{Provider, Source};
use crate::policy::marking::Marking;
use crate::policy::sections::{Section, is_natural_person};

/// A section's effective marking for a derived step; an unreadable one
/// becomes an unspecified marking, which the gate withholds (fail closed).
fn marking_of(response: &pb::TraceResponse, section: Section) -> Option<pb::Marking> {
    Some(match section.marking(response) {
        Some(Ok(m)) => m.to_proto(),
        _ => pb::Marking::default(),
    })
}

/// The items' path across every response of a case: each history event
/// (10.4), plus the steps a response's finding and last legal possessor
/// state when its history does not already record one of that kind. Sorted
/// by date; undated steps come last, in the order they were reported.
///
/// `responses` pairs each response with the participant that provided it.
pub fn timeline(responses: &[(String, pb::TraceResponse)]) -> Vec<pb::TimelineStep> {
    let mut steps: Vec<pb::TimelineStep> = responses
        .iter()
        .flat_map(|(provider, response)| timeline_of(provider, response))
        .collect();
    sort(&mut steps);
    steps
}

/// Sorts steps by date; undated steps last, in the order they were reported.
pub fn sort(steps: &mut [pb::TimelineStep]) {
    // Stable: steps of one date keep the order they were reported in.
    steps.sort_by_key(|s| {
        let date = parse_date(&s.date);
        (date.is_none(), date)
    });
}

/// The steps one response reports, in the order it reports them.
pub fn timeline_of(provider: &str, response: &pb::TraceResponse) -> Vec<pb::TimelineStep> {
    let from = Provided::new(provider, response);
    let mut steps = from.history();
    let finding = match finding_case(response) {
        // 10.4.1
        Some(Case::ManufactureOrImport(m)) => from.manufacture_or_import(m),
        // 10.4.2
        Some(Case::InternalTransfer(t)) => from.transfers(t),
        // 10.4.3
        Some(Case::Export(e)) => from.export(e),
        // 10.4.4
        Some(Case::InternalDiversion(d)) => from.diversion(d),
        Some(Case::NoRecord(_)) | None => Vec::new(),
    };
    steps.extend(finding);
    // 10.4: the minimum every response gives.
    steps.extend(from.last_legal_possession());
    steps
}

/// One provider's response, turned into timeline steps. A step the
/// provider's own history records already is not added again.
struct Provided<'a> {
    provider: String,
    response: &'a pb::TraceResponse,
    events: &'a [pb::HistoryEvent],
    possessor: Option<&'a pb::LastLegalPossessor>,
}

impl<'a> Provided<'a> {
    fn new(provider: &str, response: &'a pb::TraceResponse) -> Self {
        Provided {
            provider: provider.to_string(),
            response,
            events: response
                .history
                .as_ref()
                .map_or(&[], |h| h.events.as_slice()),
            possessor: response
                .last_legal_possessor
                .as_ref()
                .filter(|p| present(&p.name) || present(&p.category)),
        }
    }

    fn recorded(&self, kind: Kind) -> bool {
        self.events.iter().any(|e| e.kind == kind as i32)
    }

    fn private_possessor(&self) -> bool {
        self.possessor
            .is_some_and(|p| is_natural_person(p.natural_person, &p.category))
    }

    /// The history the provider gave, step by step.
    fn history(&self) -> Vec<pb::TimelineStep> {
        self.events
            .iter()
            .map(|e| pb::TimelineStep {
                date: e.date.clone(),
                kind: e.kind,
                state: e.state.clone(),
                party: e.party.clone(),
                description: e.description.clone(),
                provided_by: self.provider.clone(),
                marking: marking_of(self.response, Section::History),
                ..Default::default()
            })
            .collect()
    }

    fn step(&self, date: &str, kind: Kind, party: &str, description: String) -> pb::TimelineStep {
        pb::TimelineStep {
            date: date.trim().to_string(),
            kind: kind as i32,
            state: self.provider.clone(),
            party: party.trim().to_string(),
            description,
            provided_by: self.provider.clone(),
            marking: marking_of(self.response, Section::Finding),
            ..Default::default()
        }
    }

    fn manufacture_or_import(&self, m: &pb::ManufactureOrImport) -> Vec<pb::TimelineStep> {
        let provider = &self.provider;
        let (kind, what) = if m.manufactured {
            (Kind::Manufacture, format!("Manufactured in {provider}."))
        } else {
            (Kind::Import, format!("Imported into {provider}."))
        };
        if self.recorded(kind) {
            return Vec::new();
        }
        vec![self.step(
            &m.date,
            kind,
            &m.manufacturer_or_importer,
            with_details(what, &m.details),
        )]
    }

    /// One step per transfer, with its final consignee.
    fn transfers(&self, t: &pb::InternalTransfer) -> Vec<pb::TimelineStep> {
        if self.recorded(Kind::InternalTransfer) {
            return Vec::new();
        }
        let transfers = t.transfer_dates.len().max(t.final_consignees.len()).max(1);
        (0..transfers)
            .map(|i| {
                self.step(
                    t.transfer_dates.get(i).map_or("", String::as_str),
                    Kind::InternalTransfer,
                    t.final_consignees.get(i).map_or("", String::as_str),
                    with_details(format!("Transferred within {}.", self.provider), &t.details),
                )
            })
            .collect()
    }

    fn export(&self, e: &pb::ExportFinding) -> Vec<pb::TimelineStep> {
        if self.recorded(Kind::Export) {
            return Vec::new();
        }
        let mut what = format!("Exported from {}", self.provider);
        if present(&e.importing_state) {
            what.push_str(&format!(" to {}", e.importing_state.trim()));
        }
        let transit: Vec<String> = e
            .transit_states
            .iter()
            .filter(|s| present(s))
            .map(|s| s.trim().to_string())
            .collect();
        if !transit.is_empty() {
            what.push_str(&format!(" in transit through {}", join_and(&transit)));
        }
        what.push('.');
        let mut s = self.step(
            &e.export_date,
            Kind::Export,
            &e.final_consignee,
            with_details(what, &e.details),
        );
        s.personal_data = e.final_consignee_natural_person;
        vec![s]
    }

    fn diversion(&self, d: &pb::InternalDiversion) -> Vec<pb::TimelineStep> {
        if self.recorded(Kind::Diversion) {
            return Vec::new();
        }
        let mut s = self.step(
            &d.diversion_date,
            Kind::Diversion,
            self.possessor.map_or("", |p| p.name.as_str()),
            with_details(
                format!(
                    "Diverted while under the jurisdiction of {}.",
                    self.provider
                ),
                &d.details,
            ),
        );
        // The party is the possessor: its marking joins in.
        if self.possessor.is_some() {
            s.marking = join_proto(
                s.marking.as_ref(),
                marking_of(self.response, Section::LastLegalPossessor).as_ref(),
            );
            s.personal_data = self.private_possessor();
        }
        vec![s]
    }

    fn last_legal_possession(&self) -> Option<pb::TimelineStep> {
        let p = self.possessor?;
        if self.recorded(Kind::LastLegalPossession) {
            return None;
        }
        let mut s = self.step(
            &p.since,
            Kind::LastLegalPossession,
            &p.name,
            if present(&p.category) {
                format!("Last legal possessor ({}).", p.category.trim())
            } else {
                "Last legal possessor.".to_string()
            },
        );
        if present(&p.state) {
            s.state = p.state.trim().to_string();
        }
        s.marking = marking_of(self.response, Section::LastLegalPossessor);
        s.personal_data = self.private_possessor();
        Some(s)
    }
}

/// The join of two wire markings; an unreadable one makes the result
/// unreadable (withheld: fail closed).
fn join_proto(a: Option<&pb::Marking>, b: Option<&pb::Marking>) -> Option<pb::Marking> {
    let read = |m: Option<&pb::Marking>| m.and_then(|m| Marking::try_from(m).ok());
    Some(match (read(a), read(b)) {
        (Some(a), Some(b)) => a.join(&b).to_proto(),
        _ => pb::Marking::default(),
    })
}

/// Each step is judged under its own marking, as from the state that
/// reported it; a step naming a private person is personal data.
impl Releasable for Vec<pb::TimelineStep> {
    fn parts(&self) -> Vec<Part> {
        self.iter()
            .enumerate()
            .map(|(i, s)| {
                let provider = s
                    .provided_by
                    .parse()
                    .map(Provider::Participant)
                    .unwrap_or(Provider::Us);
                Part::new(format!("timeline[{i}]"))
                    .marked(Marking::try_from(&s.marking.clone().unwrap_or_default()))
                    .from(vec![Source {
                        provider,
                        message: s.source_message.parse().ok(),
                    }])
                    .personal(s.personal_data)
            })
            .collect()
    }

    /// A withheld step keeps its place (and the state that reported it),
    /// nothing else.
    fn withhold(&mut self, part: &str) {
        let index = part
            .strip_prefix("timeline[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok());
        if let Some(step) = index.and_then(|i| self.get_mut(i)) {
            *step = pb::TimelineStep {
                provided_by: step.provided_by.clone(),
                marking: step.marking.clone(),
                source_message: step.source_message.clone(),
                withheld: "withheld".into(),
                ..Default::default()
            };
        }
    }
}

/// How the chain ends so far, for the case view: the point of diversion
/// once a response reports one, else the state to follow up with when the
/// latest finding is an export, else "Open". Derived, so marked: the
/// finding's marking, and, where it names the last legal possessor, that
/// section's (personal data when a private person).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Conclusion {
    pub summary: String,
    pub summary_marking: Option<pb::Marking>,
    /// The state whose response the conclusion draws on.
    pub provider: Option<String>,
    pub possessor: Option<String>,
    pub possessor_marking: Option<pb::Marking>,
    pub possessor_private: bool,
}

impl Conclusion {
    /// The conclusion in one line.
    pub fn text(&self) -> String {
        match &self.possessor {
            Some(p) => format!("{}; last legal possessor: {p}.", self.summary),
            None if self.summary.starts_with("Point of diversion") => {
                format!("{}.", self.summary)
            }
            None => self.summary.clone(),
        }
    }
}

const CONCLUSION: &str = "conclusion";
const CONCLUSION_POSSESSOR: &str = "conclusion.lastLegalPossessor";

impl Releasable for Conclusion {
    fn parts(&self) -> Vec<Part> {
        let from = |m: &Option<pb::Marking>| Marking::try_from(&m.clone().unwrap_or_default());
        let sources = self
            .provider
            .as_ref()
            .and_then(|p| p.parse().ok())
            .map(|p| {
                vec![Source {
                    provider: Provider::Participant(p),
                    message: None,
                }]
            });
        let mut parts = Vec::new();
        if self.summary_marking.is_some() {
            let mut part = Part::new(CONCLUSION).marked(from(&self.summary_marking));
            part.sources = sources.clone();
            parts.push(part);
        }
        if self.possessor.is_some() {
            let mut part = Part::new(CONCLUSION_POSSESSOR)
                .marked(from(&self.possessor_marking))
                .personal(self.possessor_private);
            part.sources = sources;
            parts.push(part);
        }
        parts
    }

    fn withhold(&mut self, part: &str) {
        match part {
            CONCLUSION => {
                self.summary = "Withheld".into();
                self.possessor = None;
            }
            CONCLUSION_POSSESSOR => self.possessor = None,
            _ => {}
        }
    }
}

pub fn conclusion(responses: &[(String, pb::TraceResponse)]) -> Conclusion {
    let diversion =
        responses
            .iter()
            .rev()
            .find_map(|(provider, response)| match finding_case(response) {
                Some(Case::InternalDiversion(d)) => Some((provider, d, response)),
                _ => None,
            });
    if let Some((provider, diversion, response)) = diversion {
        let mut summary = format!("Point of diversion found: diverted in {provider}");
        if present(&diversion.diversion_date) {
            summary.push_str(&format!(" on {}", diversion.diversion_date.trim()));
        }
        let possessor = response
            .last_legal_possessor
            .as_ref()
            .filter(|p| present(&p.name));
        return Conclusion {
            summary,
            summary_marking: marking_of(response, Section::Finding),
            provider: Some(provider.clone()),
            possessor: possessor.map(|p| p.name.trim().to_string()),
            possessor_marking: possessor
                .and_then(|_| marking_of(response, Section::LastLegalPossessor)),
            possessor_private: possessor
                .is_some_and(|p| is_natural_person(p.natural_person, &p.category)),
        };
    }

    let latest = responses.iter().rev().find_map(|(provider, response)| {
        finding_case(response).map(|case| (provider, case, response))
    });
    if let Some((provider, Case::Export(export), response)) = latest
        && present(&export.importing_state)
    {
        let to = export.importing_state.trim();
        return Conclusion {
            summary: format!("Exported by {provider} to {to}: follow-up with {to}"),
            summary_marking: marking_of(response, Section::Finding),
            provider: Some(provider.clone()),
            ..Default::default()
        };
    }
    Conclusion {
        summary: "Open".to_string(),
        ..Default::default()
    }
}

fn finding_case(response: &pb::TraceResponse) -> Option<&Case> {
    response.finding.as_ref().and_then(|f| f.case.as_ref())
}

/// A history date ("2009", "2009-03" or "2009-03-01", optionally followed by
/// a time) as (year, month, day), with 0 for an unknown month or day so that
/// "2009" sorts before "2009-01-01". Anything else is undated.
fn parse_date(date: &str) -> Option<(u16, u8, u8)> {
    let date = date.trim();
    let date = date.split_once('T').map_or(date, |(d, _)| d);
    let mut parts = date.split('-');
    let year = parts.next().filter(|y| y.len() == 4)?;
    let year: u16 = digits(year)?;
    let month = match parts.next() {
        Some(m) => Some(m)
            .filter(|m| m.len() == 2)
            .and_then(digits)
            .filter(|m: &u8| (1..=12).contains(m))?,
        None => 0,
    };
    let day = match parts.next() {
        Some(d) => Some(d)
            .filter(|d| d.len() == 2)
            .and_then(digits)
            .filter(|d: &u8| (1..=31).contains(d))?,
        None => 0,
    };
    parts.next().is_none().then_some((year, month, day))
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| s.parse().ok())
        .flatten()
}

fn with_details(what: String, details: &str) -> String {
    if present(details) {
        format!("{what} {}", details.trim())
    } else {
        what
    }
}

fn present(s: &str) -> bool {
    !s.trim().is_empty()
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(date: &str, kind: Kind, state: &str, party: &str) -> pb::HistoryEvent {
        pb::HistoryEvent {
            date: date.into(),
            kind: kind as i32,
            state: state.into(),
            party: party.into(),
            description: String::new(),
        }
    }

    fn finding(case: Case) -> Option<pb::Finding> {
        Some(pb::Finding {
            marking: None,
            case: Some(case),
        })
    }

    /// BEL: manufactured in 2009, exported to NGA in 2012 through TGO.
    fn belgian_response() -> pb::TraceResponse {
        pb::TraceResponse {
            finding: finding(Case::Export(pb::ExportFinding {
                export_date: "2012-05-14".into(),
                importing_state: "NGA".into(),
                transit_states: vec!["TGO".into()],
                final_consignee: "Nigerian Army".into(),
                licences: vec![
                    pb::Licence {
                        kind: "export".into(),
                        number: "EX-2012-881".into(),
                        ..Default::default()
                    },
                    pb::Licence {
                        kind: "transit".into(),
                        number: "TR-44".into(),
                        ..Default::default()
                    },
                ],
                details: String::new(),
                final_consignee_natural_person: false,
            })),
            history: Some(pb::History {
                marking: None,
                events: vec![event("2009", Kind::Manufacture, "BEL", "FN Herstal")],
            }),
            last_legal_possessor: Some(pb::LastLegalPossessor {
                name: "FN Herstal".into(),
                category: "manufacturer".into(),
                state: "BEL".into(),
                since: "2009".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// NGA: imported in 2012, issued to an armoury, diverted in 2019.
    fn nigerian_response() -> pb::TraceResponse {
        pb::TraceResponse {
            finding: finding(Case::InternalDiversion(pb::InternalDiversion {
                diversion_date: "2019-04-02".into(),
                details: "Reported missing after an attack on the armoury.".into(),
                investigation: pb::InvestigationStatus::Launched as i32,
            })),
            history: Some(pb::History {
                marking: None,
                events: vec![
                    event("", Kind::Other, "NGA", "inventory check, date unknown"),
                    event("2012-06-01", Kind::Import, "NGA", "Nigerian Army"),
                ],
            }),
            last_legal_possessor: Some(pb::LastLegalPossessor {
                name: "3rd Battalion armoury".into(),
                category: "state armoury".into(),
                state: "NGA".into(),
                since: "2012-07".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn chain() -> Vec<(String, pb::TraceResponse)> {
        vec![
            ("BEL".to_string(), belgian_response()),
            ("NGA".to_string(), nigerian_response()),
        ]
    }

    fn summary(steps: &[pb::TimelineStep]) -> Vec<(&str, Kind, &str, &str)> {
        steps
            .iter()
            .map(|s| {
                (
                    s.date.as_str(),
                    Kind::try_from(s.kind).unwrap_or(Kind::Unspecified),
                    s.state.as_str(),
                    s.provided_by.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn three_state_chain_gives_a_sorted_timeline_with_providers() {
        let steps = timeline(&chain());
        assert_eq!(
            summary(&steps),
            [
                ("2009", Kind::Manufacture, "BEL", "BEL"),
                ("2009", Kind::LastLegalPossession, "BEL", "BEL"),
                ("2012-05-14", Kind::Export, "BEL", "BEL"),
                ("2012-06-01", Kind::Import, "NGA", "NGA"),
                ("2012-07", Kind::LastLegalPossession, "NGA", "NGA"),
                ("2019-04-02", Kind::Diversion, "NGA", "NGA"),
                ("", Kind::Other, "NGA", "NGA"),
            ]
        );
        let export = &steps[2];
        assert_eq!(export.party, "Nigerian Army");
        assert_eq!(
            export.description,
            "Exported from BEL to NGA in transit through TGO."
        );
        let diversion = &steps[5];
        assert_eq!(diversion.party, "3rd Battalion armoury");
        assert_eq!(
            diversion.description,
            "Diverted while under the jurisdiction of NGA. Reported missing after an attack \
             on the armoury."
        );
        assert_eq!(
            steps[4].description,
            "Last legal possessor (state armoury)."
        );
    }

    #[test]
    fn finding_already_in_the_history_is_not_repeated() {
        let mut response = belgian_response();
        if let Some(h) = response.history.as_mut() {
            h.events
                .push(event("2012-05-15", Kind::Export, "BEL", "Nigerian Army"));
            h.events.push(event(
                "2009",
                Kind::LastLegalPossession,
                "BEL",
                "FN Herstal",
            ));
        }
        let steps = timeline(&[("BEL".to_string(), response)]);
        assert_eq!(
            summary(&steps),
            [
                ("2009", Kind::Manufacture, "BEL", "BEL"),
                ("2009", Kind::LastLegalPossession, "BEL", "BEL"),
                ("2012-05-15", Kind::Export, "BEL", "BEL"),
            ]
        );
    }

    #[test]
    fn manufacture_or_import_finding_becomes_a_step_of_its_kind() {
        let response = |manufactured| pb::TraceResponse {
            finding: finding(Case::ManufactureOrImport(pb::ManufactureOrImport {
                manufactured,
                manufacturer_or_importer: "Arms Ltd".into(),
                date: "2010-01-10".into(),
                details: String::new(),
            })),
            ..Default::default()
        };
        let made = timeline(&[("AUT".to_string(), response(true))]);
        assert_eq!(
            summary(&made),
            [("2010-01-10", Kind::Manufacture, "AUT", "AUT")]
        );
        assert_eq!(made[0].party, "Arms Ltd");
        assert_eq!(made[0].description, "Manufactured in AUT.");
        let imported = timeline(&[("GHA".to_string(), response(false))]);
        assert_eq!(
            summary(&imported),
            [("2010-01-10", Kind::Import, "GHA", "GHA")]
        );
        assert_eq!(imported[0].description, "Imported into GHA.");
    }

    #[test]
    fn internal_transfers_become_one_step_each() {
        let response = pb::TraceResponse {
            finding: finding(Case::InternalTransfer(pb::InternalTransfer {
                transfer_dates: vec!["2014-02-01".into(), "2011-03-01".into()],
                final_consignees: vec!["Police HQ".into(), "Dealer A".into()],
                licences: vec![],
                details: String::new(),
            })),
            ..Default::default()
        };
        let steps = timeline(&[("GHA".to_string(), response)]);
        let parties: Vec<(&str, &str)> = steps
            .iter()
            .map(|s| (s.date.as_str(), s.party.as_str()))
            .collect();
        assert_eq!(
            parties,
            [("2011-03-01", "Dealer A"), ("2014-02-01", "Police HQ")]
        );
    }

    #[test]
    fn undated_and_unparseable_dates_sort_last_in_reported_order() {
        let response = pb::TraceResponse {
            history: Some(pb::History {
                marking: None,
                events: vec![
                    event("March 2009", Kind::Other, "GHA", "a"),
                    event("2010", Kind::Other, "GHA", "b"),
                    event("", Kind::Other, "GHA", "c"),
                    event("2009-13-01", Kind::Other, "GHA", "d"),
                    event("2009-12-31T10:00:00Z", Kind::Other, "GHA", "e"),
                ],
            }),
            ..Default::default()
        };
        let steps = timeline(&[("GHA".to_string(), response)]);
        let parties: Vec<&str> = steps.iter().map(|s| s.party.as_str()).collect();
        assert_eq!(parties, ["e", "b", "a", "c", "d"]);
    }

    #[test]
    fn dates_parse_at_year_month_and_day_precision() {
        assert_eq!(parse_date("2009"), Some((2009, 0, 0)));
        assert_eq!(parse_date("2009-03"), Some((2009, 3, 0)));
        assert_eq!(parse_date(" 2009-03-01 "), Some((2009, 3, 1)));
        assert_eq!(parse_date("2009-3-1"), None);
        assert_eq!(parse_date("09-03-01"), None);
        assert_eq!(parse_date("2009-03-01-04"), None);
        assert_eq!(parse_date("+009"), None);
    }

    #[test]
    fn diversion_anywhere_in_the_chain_concludes_it() {
        assert_eq!(
            conclusion(&chain()).text(),
            "Point of diversion found: diverted in NGA on 2019-04-02; last legal possessor: \
             3rd Battalion armoury."
        );
        let mut undated = nigerian_response();
        undated.last_legal_possessor = None;
        if let Some(Case::InternalDiversion(d)) =
            undated.finding.as_mut().and_then(|f| f.case.as_mut())
        {
            d.diversion_date.clear();
        }
        assert_eq!(
            conclusion(&[("NGA".to_string(), undated)]).text(),
            "Point of diversion found: diverted in NGA."
        );
    }

    #[test]
    fn latest_export_calls_for_a_follow_up_with_the_importing_state() {
        assert_eq!(
            conclusion(&chain()[..1]).text(),
            "Exported by BEL to NGA: follow-up with NGA"
        );
    }

    #[test]
    fn chain_without_diversion_or_pending_export_is_open() {
        assert_eq!(conclusion(&[]).text(), "Open");
        let imported = pb::TraceResponse {
            finding: finding(Case::ManufactureOrImport(pb::ManufactureOrImport::default())),
            ..Default::default()
        };
        let responses = vec![
            ("BEL".to_string(), belgian_response()),
            ("NGA".to_string(), imported),
        ];
        assert_eq!(conclusion(&responses).text(), "Open");
    }
}
