//! What an officer sees of a request or response, and whether a response may
//! leave the node. Every section of a response is judged under its effective
//! marking (its own, else the response's), with `authorize`.
//!
//! A section an officer may not see is *absent* from what the local API
//! returns, not flagged inside it; `withheld` says what was removed and by
//! which rule ("lastLegalPossessor (TLP:RED)"), so the officer knows to ask
//! the point of contact. A marking that cannot be read withholds what it
//! covers, from everyone: fail closed.

use std::collections::BTreeSet;

use iti_proto::v1 as pb;

use super::marking::{Marking, Restriction, effective_in};
use super::{Consents, Denied, Permit, Use, authorize};
use crate::identity::Role;

/// A message with what the reader may not see removed, and a note of each
/// removal (protobuf JSON name and the rule, e.g. "individuals (LE-ONLY)").
#[derive(Clone, Debug, PartialEq)]
pub struct Redacted<T> {
    pub value: T,
    pub withheld: Vec<String>,
}

/// The sections of a response (10.4), each with a marking of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Finding,
    History,
    LastLegalPossessor,
    Commercial,
    Individuals,
}

impl Section {
    const ALL: [Section; 5] = [
        Section::Finding,
        Section::History,
        Section::LastLegalPossessor,
        Section::Commercial,
        Section::Individuals,
    ];

    /// The protobuf JSON name.
    fn name(self) -> &'static str {
        match self {
            Section::Finding => "finding",
            Section::History => "history",
            Section::LastLegalPossessor => "lastLegalPossessor",
            Section::Commercial => "commercial",
            Section::Individuals => "individuals",
        }
    }

    /// `None` when the section is absent; else its own marking, if any.
    fn own_marking(self, response: &pb::TraceResponse) -> Option<Option<&pb::Marking>> {
        match self {
            Section::Finding => response.finding.as_ref().map(|s| s.marking.as_ref()),
            Section::History => response.history.as_ref().map(|s| s.marking.as_ref()),
            Section::LastLegalPossessor => response
                .last_legal_possessor
                .as_ref()
                .map(|s| s.marking.as_ref()),
            Section::Commercial => response.commercial.as_ref().map(|s| s.marking.as_ref()),
            Section::Individuals => response.individuals.as_ref().map(|s| s.marking.as_ref()),
        }
    }

    fn remove(self, response: &mut pb::TraceResponse) {
        match self {
            Section::Finding => response.finding = None,
            Section::History => response.history = None,
            Section::LastLegalPossessor => response.last_legal_possessor = None,
            Section::Commercial => response.commercial = None,
            Section::Individuals => response.individuals = None,
        }
    }
}

/// 9.2.2, 7.3: names of detained individuals are personal data, for law
/// enforcement only, whatever their marking.
fn may_see_personal_data(role: Role) -> bool {
    match role {
        Role::Poc | Role::Investigator => true,
        Role::Analyst | Role::Auditor | Role::Admin => false,
    }
}

/// `authorize` under the effective marking of a section (or, with
/// `own = None`, of the response itself).
fn authorize_under(
    name: &str,
    own: Option<&pb::Marking>,
    default: &pb::Marking,
    use_: Use,
    consents: &Consents,
) -> Result<Permit, Denied> {
    match effective_in(name, own, default) {
        Ok(marking) => authorize(&marking, use_, consents),
        Err(error) => Err(Denied::InvalidMarking {
            section: name.to_string(),
            use_,
            error,
        }),
    }
}

fn default_marking(response: &pb::TraceResponse) -> pb::Marking {
    // An unset marking reads as TLP unspecified, which `effective_in` refuses.
    response.marking.clone().unwrap_or_default()
}

/// Removes every section, and the response's own text, that `use_` is not
/// allowed for.
fn redact_for(
    response: &pb::TraceResponse,
    use_: Use,
    consents: &Consents,
) -> Redacted<pb::TraceResponse> {
    let mut value = response.clone();
    let mut withheld = Vec::new();
    let default = default_marking(response);

    for section in Section::ALL {
        let Some(own) = section.own_marking(response) else {
            continue;
        };
        if let Err(denied) = authorize_under(section.name(), own, &default, use_, consents) {
            section.remove(&mut value);
            withheld.push(format!("{} ({})", section.name(), denied.rule()));
        }
    }

    // `marking`, `restricted` and `restriction_reason` describe the response
    // and always stay (10.5.2: the requester is told a response is
    // restricted, and why); the free text follows the response's marking.
    if let Err(denied) = authorize_under("response", None, &default, use_, consents) {
        if !value.restriction_explanation.is_empty() {
            value.restriction_explanation.clear();
            withheld.push(format!("restrictionExplanation ({})", denied.rule()));
        }
        if !value.additional_information.is_empty() {
            value.additional_information.clear();
            withheld.push(format!("additionalInformation ({})", denied.rule()));
        }
    }
    Redacted { value, withheld }
}

/// The response as an officer in `role` may see it.
pub fn redact_response(
    response: &pb::TraceResponse,
    role: Role,
    consents: &Consents,
) -> Redacted<pb::TraceResponse> {
    let mut redacted = redact_for(response, Use::Display(role), consents);
    if !may_see_personal_data(role) && redacted.value.individuals.is_some() {
        redacted.value.individuals = None;
        redacted
            .withheld
            .push(format!("{} (personal data)", Section::Individuals.name()));
    }
    redacted
}

/// The response with only what may be passed on for `use_` (for instance
/// what may go to a UN panel under 11.4), for when the officer chooses to
/// share part of it rather than be refused by `check_onward`.
pub fn redact_for_onward(
    response: &pb::TraceResponse,
    use_: Use,
    consents: &Consents,
) -> Redacted<pb::TraceResponse> {
    redact_for(response, use_, consents)
}

/// The request as an officer in `role` may see it. An officer who may not
/// see the request at all still sees that it exists, where it went and under
/// which routing rule.
pub fn redact_request(
    request: &pb::TraceRequest,
    role: Role,
    consents: &Consents,
) -> Redacted<pb::TraceRequest> {
    let marking = request.marking.clone().unwrap_or_default();
    if let Err(denied) = authorize_under("request", None, &marking, Use::Display(role), consents) {
        let value = pb::TraceRequest {
            marking: request.marking.clone(),
            requested_state: request.requested_state.clone(),
            grounds: request.grounds.as_ref().map(|grounds| pb::RoutingGrounds {
                rule: grounds.rule,
                ..Default::default()
            }),
            ..Default::default()
        };
        return Redacted {
            value,
            withheld: vec![format!("request ({})", denied.rule())],
        };
    }

    let mut value = request.clone();
    let mut withheld = Vec::new();
    if !may_see_personal_data(role) && !value.individuals.is_empty() {
        value.individuals.clear();
        withheld.push("individuals (personal data)".to_string());
    }
    Redacted { value, withheld }
}

/// Whether the whole response may be used for `use_`: every present section
/// must allow it, and so must the response's own marking when the response
/// carries text of its own. The first denial, in section order, is returned.
pub fn check_onward(
    response: &pb::TraceResponse,
    use_: Use,
    consents: &Consents,
) -> Result<(), Denied> {
    let default = default_marking(response);
    for section in Section::ALL {
        if let Some(own) = section.own_marking(response) {
            authorize_under(section.name(), own, &default, use_, consents)?;
        }
    }
    if !response.restriction_explanation.is_empty() || !response.additional_information.is_empty() {
        authorize_under("response", None, &default, use_, consents)?;
    }
    Ok(())
}

/// 10.3 last paragraph: the restrictions a response imposes (on any section,
/// or on the whole) that the requester declared in advance it cannot comply
/// with. Each is reported once, in enum order.
pub fn conflicts_with_declared(
    response: &pb::TraceResponse,
    cannot_comply: &[pb::UseRestriction],
) -> Vec<Restriction> {
    let declared: BTreeSet<Restriction> = cannot_comply
        .iter()
        .filter_map(|&r| Restriction::from_proto(r))
        .collect();
    let markings = std::iter::once(response.marking.as_ref())
        .chain(Section::ALL.iter().filter_map(|s| s.own_marking(response)))
        .flatten();
    let imposed: BTreeSet<Restriction> = markings
        .flat_map(|m| m.restrictions.iter())
        .filter_map(|&value| pb::UseRestriction::try_from(value).ok())
        .filter_map(Restriction::from_proto)
        .collect();
    imposed.intersection(&declared).copied().collect()
}

/// The strictest marking anywhere in a response: what the envelope carrying
/// it is marked (and sealed) by, so that a TLP:RED section never travels
/// readable through a hub under a milder top-level marking.
pub fn envelope_marking(
    response: &pb::TraceResponse,
) -> Result<Marking, super::marking::MarkingError> {
    let mut out = Marking::try_from(&default_marking(response))?;
    for (_, m) in section_markings(response) {
        out = super::marking::stricter(&out, &m?);
    }
    Ok(out)
}

/// The effective marking of every present section, by protobuf JSON name:
/// for showing an officer how a response is marked.
pub fn section_markings(
    response: &pb::TraceResponse,
) -> Vec<(&'static str, Result<Marking, super::marking::MarkingError>)> {
    let default = default_marking(response);
    Section::ALL
        .iter()
        .filter_map(|&s| {
            s.own_marking(response)
                .map(|own| (s.name(), effective_in(s.name(), own, &default)))
        })
        .collect()
}

#[cfg(test)]
mod envelope_marking_tests {
    use super::*;

    #[test]
    fn the_envelope_takes_the_strictest_section_marking() {
        let response = pb::TraceResponse {
            marking: Some(pb::Marking {
                tlp: pb::Tlp::Amber as i32,
                restrictions: vec![],
            }),
            last_legal_possessor: Some(pb::LastLegalPossessor {
                marking: Some(pb::Marking {
                    tlp: pb::Tlp::Red as i32,
                    restrictions: vec![pb::UseRestriction::LawEnforcementOnly as i32],
                }),
                name: "x".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let m = envelope_marking(&response).unwrap();
        assert_eq!(m.tlp, super::super::marking::Tlp::Red);
        assert!(m.restrictions.contains(&Restriction::LawEnforcementOnly));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::marking::{MarkingError, Tlp};

    fn mark(tlp: Tlp, restrictions: &[Restriction]) -> Option<pb::Marking> {
        let mut m = Marking::new(tlp);
        for &r in restrictions {
            m = m.with(r);
        }
        Some(m.to_proto())
    }

    /// A full response at TLP:AMBER; every section inherits unless a test
    /// gives it a marking.
    fn response() -> pb::TraceResponse {
        pb::TraceResponse {
            marking: mark(Tlp::Amber, &[]),
            restricted: true,
            restriction_reason: pb::WithholdingReason::OngoingInvestigationOrLaw as i32,
            restriction_explanation: "a domestic investigation is open".into(),
            finding: Some(pb::Finding {
                marking: None,
                ..Default::default()
            }),
            history: Some(pb::History {
                marking: None,
                events: vec![pb::HistoryEvent {
                    date: "2009-03-01".into(),
                    ..Default::default()
                }],
            }),
            last_legal_possessor: Some(pb::LastLegalPossessor {
                name: "Central Arms Depot".into(),
                ..Default::default()
            }),
            commercial: Some(pb::CommercialDetails {
                brokers: vec!["Acme Brokers Ltd".into()],
                ..Default::default()
            }),
            individuals: Some(pb::Individuals {
                marking: None,
                individuals: vec![pb::Individual {
                    name: "J. Doe".into(),
                    ..Default::default()
                }],
            }),
            additional_information: "serial re-stamped".into(),
        }
    }

    fn request(tlp: Tlp) -> pb::TraceRequest {
        pb::TraceRequest {
            marking: mark(tlp, &[]),
            requested_state: "BEL".into(),
            grounds: Some(pb::RoutingGrounds {
                rule: pb::RoutingRule::ExportRecord as i32,
                requested_state: "BEL".into(),
                explanation: "export licence 2009/114".into(),
                ..Default::default()
            }),
            purpose: "criminal investigation".into(),
            individuals: vec![pb::Individual {
                name: "J. Doe".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn the_point_of_contact_sees_the_whole_response() {
        let r = response();
        let seen = redact_response(&r, Role::Poc, &Consents::none());
        assert_eq!(seen.value, r);
        assert!(seen.withheld.is_empty());
    }

    #[test]
    fn a_red_section_is_absent_for_an_investigator_and_the_rest_stays() {
        let mut r = response();
        r.last_legal_possessor.as_mut().unwrap().marking = mark(Tlp::Red, &[]);
        let seen = redact_response(&r, Role::Investigator, &Consents::none());
        assert_eq!(seen.value.last_legal_possessor, None);
        assert_eq!(seen.withheld, ["lastLegalPossessor (TLP:RED)"]);
        let mut expected = r.clone();
        expected.last_legal_possessor = None;
        assert_eq!(seen.value, expected);
    }

    #[test]
    fn a_law_enforcement_only_section_is_absent_for_an_analyst() {
        let mut r = response();
        r.commercial.as_mut().unwrap().marking =
            mark(Tlp::Green, &[Restriction::LawEnforcementOnly]);
        let seen = redact_response(&r, Role::Analyst, &Consents::none());
        assert_eq!(seen.value.commercial, None);
        assert!(seen.value.finding.is_some());
        assert!(seen.value.history.is_some());
        assert_eq!(
            seen.withheld,
            ["commercial (LE-ONLY)", "individuals (personal data)"]
        );
    }

    #[test]
    fn individuals_are_withheld_from_non_law_enforcement_roles_even_when_clear() {
        let mut r = response();
        r.marking = mark(Tlp::Clear, &[]);
        for role in [Role::Analyst, Role::Auditor, Role::Admin] {
            let seen = redact_response(&r, role, &Consents::none());
            assert_eq!(seen.value.individuals, None, "{role}");
            assert_eq!(seen.withheld, ["individuals (personal data)"], "{role}");
        }
        let seen = redact_response(&r, Role::Investigator, &Consents::none());
        assert!(seen.value.individuals.is_some());
    }

    #[test]
    fn an_auditor_sees_only_what_describes_the_response() {
        let r = response();
        let seen = redact_response(&r, Role::Auditor, &Consents::none());
        let expected = pb::TraceResponse {
            marking: r.marking.clone(),
            restricted: true,
            restriction_reason: r.restriction_reason,
            ..Default::default()
        };
        assert_eq!(seen.value, expected);
        assert_eq!(
            seen.withheld,
            [
                "finding (TLP:AMBER)",
                "history (TLP:AMBER)",
                "lastLegalPossessor (TLP:AMBER)",
                "commercial (TLP:AMBER)",
                "individuals (TLP:AMBER)",
                "restrictionExplanation (TLP:AMBER)",
                "additionalInformation (TLP:AMBER)",
            ]
        );
    }

    #[test]
    fn a_section_marked_more_openly_than_the_response_is_shown() {
        let mut r = response();
        r.marking = mark(Tlp::Red, &[]);
        r.last_legal_possessor.as_mut().unwrap().marking = mark(Tlp::Green, &[]);
        let seen = redact_response(&r, Role::Analyst, &Consents::none());
        assert!(seen.value.last_legal_possessor.is_some());
        assert_eq!(seen.value.finding, None);
        assert_eq!(seen.value.restriction_explanation, "");
        assert!(seen.withheld.contains(&"finding (TLP:RED)".to_string()));
    }

    #[test]
    fn absent_sections_are_not_reported_as_withheld() {
        let r = pb::TraceResponse {
            marking: mark(Tlp::Red, &[]),
            last_legal_possessor: Some(pb::LastLegalPossessor::default()),
            ..Default::default()
        };
        let seen = redact_response(&r, Role::Investigator, &Consents::none());
        assert_eq!(seen.withheld, ["lastLegalPossessor (TLP:RED)"]);
    }

    #[test]
    fn a_section_with_an_unreadable_marking_is_withheld_even_from_the_point_of_contact() {
        let mut r = response();
        r.finding.as_mut().unwrap().marking = Some(pb::Marking::default());
        let seen = redact_response(&r, Role::Poc, &Consents::none());
        assert_eq!(seen.value.finding, None);
        assert_eq!(seen.withheld, ["finding (invalid marking)"]);
    }

    #[test]
    fn an_unmarked_response_shows_only_sections_with_their_own_marking() {
        let mut r = response();
        r.marking = None;
        r.history.as_mut().unwrap().marking = mark(Tlp::Amber, &[]);
        let seen = redact_response(&r, Role::Poc, &Consents::none());
        assert!(seen.value.history.is_some());
        assert_eq!(seen.value.finding, None);
        assert_eq!(seen.value.additional_information, "");
        assert_eq!(seen.withheld.len(), 6, "{:?}", seen.withheld);
    }

    #[test]
    fn a_request_an_officer_may_not_see_keeps_only_its_routing() {
        let r = request(Tlp::Red);
        let seen = redact_request(&r, Role::Investigator, &Consents::none());
        let expected = pb::TraceRequest {
            marking: r.marking.clone(),
            requested_state: "BEL".into(),
            grounds: Some(pb::RoutingGrounds {
                rule: pb::RoutingRule::ExportRecord as i32,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(seen.value, expected);
        assert_eq!(seen.withheld, ["request (TLP:RED)"]);
    }

    #[test]
    fn a_law_enforcement_only_request_is_withheld_from_an_analyst() {
        let mut r = request(Tlp::Green);
        r.marking = mark(Tlp::Green, &[Restriction::LawEnforcementOnly]);
        let seen = redact_request(&r, Role::Analyst, &Consents::none());
        assert_eq!(seen.withheld, ["request (LE-ONLY)"]);
        assert_eq!(seen.value.purpose, "");
    }

    #[test]
    fn individuals_in_a_request_are_withheld_from_an_analyst_regardless_of_marking() {
        let r = request(Tlp::Clear);
        let seen = redact_request(&r, Role::Analyst, &Consents::none());
        assert!(seen.value.individuals.is_empty());
        assert_eq!(seen.value.purpose, "criminal investigation");
        assert_eq!(seen.withheld, ["individuals (personal data)"]);
    }

    #[test]
    fn an_investigator_sees_the_whole_request_within_their_tlp() {
        let r = request(Tlp::AmberStrict);
        let seen = redact_request(&r, Role::Investigator, &Consents::none());
        assert_eq!(seen.value, r);
        assert!(seen.withheld.is_empty());
    }

    #[test]
    fn a_request_without_individuals_withholds_nothing_from_an_analyst() {
        let mut r = request(Tlp::Amber);
        r.individuals.clear();
        let seen = redact_request(&r, Role::Analyst, &Consents::none());
        assert_eq!(seen.value, r);
        assert!(seen.withheld.is_empty());
    }

    #[test]
    fn an_unmarked_request_is_withheld() {
        let mut r = request(Tlp::Green);
        r.marking = None;
        let seen = redact_request(&r, Role::Poc, &Consents::none());
        assert_eq!(seen.withheld, ["request (invalid marking)"]);
        assert_eq!(seen.value.purpose, "");
    }

    #[test]
    fn a_green_response_may_go_to_a_un_panel() {
        let mut r = response();
        r.marking = mark(Tlp::Green, &[]);
        assert_eq!(
            check_onward(&r, Use::ForwardToUnPanel, &Consents::none()),
            Ok(())
        );
    }

    #[test]
    fn one_proprietary_section_stops_forwarding_until_consent() {
        let mut r = response();
        r.marking = mark(Tlp::Green, &[]);
        r.commercial.as_mut().unwrap().marking =
            mark(Tlp::Green, &[Restriction::ProprietaryCommercial]);
        assert_eq!(
            check_onward(&r, Use::ForwardToHub, &Consents::none()),
            Err(Denied::Restriction {
                restriction: Restriction::ProprietaryCommercial,
                use_: Use::ForwardToHub
            })
        );
        let mut consents = Consents::none();
        consents.grant(Restriction::ProprietaryCommercial, Use::ForwardToHub);
        assert_eq!(check_onward(&r, Use::ForwardToHub, &consents), Ok(()));
        assert!(check_onward(&r, Use::ForwardToThirdState, &consents).is_err());
    }

    #[test]
    fn the_first_section_in_order_reports_the_denial() {
        let mut r = response();
        r.marking = mark(Tlp::Green, &[]);
        r.history.as_mut().unwrap().marking = mark(Tlp::Amber, &[]);
        r.commercial.as_mut().unwrap().marking =
            mark(Tlp::Green, &[Restriction::ProprietaryCommercial]);
        assert_eq!(
            check_onward(&r, Use::Report, &Consents::none()),
            Err(Denied::Tlp {
                tlp: Tlp::Amber,
                use_: Use::Report
            })
        );
    }

    #[test]
    fn the_responses_own_text_follows_its_marking_when_forwarded() {
        let mut r = response();
        r.marking = mark(Tlp::Red, &[]);
        for section in Section::ALL {
            section.remove(&mut r);
        }
        r.last_legal_possessor = Some(pb::LastLegalPossessor {
            marking: mark(Tlp::Green, &[]),
            ..Default::default()
        });
        let denied = Err(Denied::Tlp {
            tlp: Tlp::Red,
            use_: Use::ForwardToUnPanel,
        });
        assert_eq!(
            check_onward(&r, Use::ForwardToUnPanel, &Consents::none()),
            denied
        );

        r.restriction_explanation.clear();
        r.additional_information.clear();
        assert_eq!(
            check_onward(&r, Use::ForwardToUnPanel, &Consents::none()),
            Ok(())
        );
    }

    #[test]
    fn an_unreadable_section_marking_stops_forwarding() {
        let mut r = response();
        r.marking = mark(Tlp::Clear, &[]);
        r.individuals.as_mut().unwrap().marking = Some(pb::Marking {
            tlp: 77,
            restrictions: vec![],
        });
        assert_eq!(
            check_onward(&r, Use::Export, &Consents::none()),
            Err(Denied::InvalidMarking {
                section: "individuals".into(),
                use_: Use::Export,
                error: MarkingError::UnknownTlp {
                    field: "individuals.marking.tlp".into(),
                    value: 77
                },
            })
        );
    }

    #[test]
    fn redacting_for_a_un_panel_keeps_what_may_be_shared() {
        let mut r = response();
        r.marking = mark(Tlp::Green, &[Restriction::NoOnwardDisclosure]);
        r.last_legal_possessor.as_mut().unwrap().marking = mark(Tlp::Green, &[]);
        let shared = redact_for_onward(&r, Use::ForwardToUnPanel, &Consents::none());
        assert!(shared.value.last_legal_possessor.is_some());
        assert_eq!(shared.value.finding, None);
        assert!(check_onward(&shared.value, Use::ForwardToUnPanel, &Consents::none()).is_ok());
    }

    #[test]
    fn conflicts_are_the_imposed_restrictions_the_requester_declared() {
        let mut r = response();
        r.marking = mark(Tlp::Amber, &[Restriction::NoOnwardDisclosure]);
        r.commercial.as_mut().unwrap().marking =
            mark(Tlp::Amber, &[Restriction::ProprietaryCommercial]);
        let declared = [
            pb::UseRestriction::ProprietaryCommercial,
            pb::UseRestriction::IntelligenceOnly,
            pb::UseRestriction::Unspecified,
        ];
        assert_eq!(
            conflicts_with_declared(&r, &declared),
            [Restriction::ProprietaryCommercial]
        );
        assert_eq!(
            conflicts_with_declared(&r, &[pb::UseRestriction::NoOnwardDisclosure]),
            [Restriction::NoOnwardDisclosure]
        );
    }

    #[test]
    fn no_conflict_when_nothing_declared_or_nothing_imposed() {
        let mut r = response();
        r.marking = mark(Tlp::Amber, &[Restriction::IntelligenceOnly]);
        assert!(conflicts_with_declared(&r, &[]).is_empty());
        r.marking = mark(Tlp::Amber, &[]);
        assert!(conflicts_with_declared(&r, &[pb::UseRestriction::IntelligenceOnly]).is_empty());
    }

    #[test]
    fn conflicts_are_reported_once_each() {
        let mut r = response();
        r.marking = mark(Tlp::Amber, &[Restriction::IntelligenceOnly]);
        r.history.as_mut().unwrap().marking = mark(
            Tlp::Amber,
            &[
                Restriction::IntelligenceOnly,
                Restriction::LawEnforcementOnly,
            ],
        );
        let declared = [
            pb::UseRestriction::LawEnforcementOnly,
            pb::UseRestriction::IntelligenceOnly,
        ];
        assert_eq!(
            conflicts_with_declared(&r, &declared),
            [
                Restriction::IntelligenceOnly,
                Restriction::LawEnforcementOnly
            ]
        );
    }

    #[test]
    fn section_markings_show_each_present_sections_effective_marking() {
        let mut r = pb::TraceResponse {
            marking: mark(Tlp::Amber, &[]),
            ..Default::default()
        };
        r.history = Some(pb::History::default());
        r.commercial = Some(pb::CommercialDetails {
            marking: mark(Tlp::Red, &[Restriction::ProprietaryCommercial]),
            ..Default::default()
        });
        assert_eq!(
            section_markings(&r),
            [
                ("history", Ok(Marking::new(Tlp::Amber))),
                (
                    "commercial",
                    Ok(Marking::new(Tlp::Red).with(Restriction::ProprietaryCommercial))
                ),
            ]
        );
    }
}
