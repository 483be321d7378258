//! The release gate on the protocol's messages: what each role sees, what
//! may leave the node, and personal data.

use iti_proto::v1 as pb;

use crate::identity::Role;
use crate::ids::{EnvelopeId, ParticipantId};
use crate::policy::consent::{Consent, Consents};
use crate::policy::gate::{Audience, Refusal, Released, Rule, Whole, release};
use crate::policy::marked::{Marked, Provider, Source};
use crate::policy::marking::{Marking, Restriction, Tlp};
use crate::policy::{Denied, Use};

/// A marking in its wire form (shared with `redact`'s tests).
pub(crate) fn mark(tlp: Tlp, restrictions: &[Restriction]) -> Option<pb::Marking> {
    let mut m = Marking::new(tlp);
    for &r in restrictions {
        m = m.with(r);
    }
    Some(m.to_proto())
}

fn p(s: &str) -> ParticipantId {
    s.parse().unwrap()
}

fn message() -> EnvelopeId {
    EnvelopeId::new_v7(time::OffsetDateTime::UNIX_EPOCH)
}

/// A response from BEL, held as received.
fn from_bel<T>(value: T, id: EnvelopeId) -> Marked<T> {
    Marked::new(
        value,
        Marking::new(Tlp::Amber),
        Source::message(Provider::Participant(p("BEL")), id),
    )
}

/// A full response at TLP:AMBER; every section inherits unless a test
/// gives it a marking.
pub(crate) fn response() -> pb::TraceResponse {
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
            category: "state armoury".into(),
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

fn shown<T: crate::policy::gate::Releasable>(content: T, role: Role) -> Released<T> {
    release(
        &from_bel(content, message()),
        &Audience::Officer(role),
        &Consents::none(),
        Whole::PartsMayBeWithheld,
    )
    .expect("a view never refuses")
}

fn sent<T: crate::policy::gate::Releasable>(
    content: &Marked<T>,
    to: &str,
    consents: &Consents,
) -> Result<Released<T>, Refusal> {
    release(
        content,
        &Audience::Participant(p(to)),
        consents,
        Whole::Required,
    )
}

#[test]
fn the_point_of_contact_sees_the_whole_response() {
    let r = response();
    let seen = shown(r.clone(), Role::Poc);
    assert_eq!(seen.value(), &r);
    assert!(seen.is_whole());
}

#[test]
fn a_red_section_is_absent_for_an_investigator_and_the_rest_stays() {
    let mut r = response();
    r.last_legal_possessor.as_mut().unwrap().marking = mark(Tlp::Red, &[]);
    let seen = shown(r.clone(), Role::Investigator);
    assert_eq!(seen.withheld_labels(), ["lastLegalPossessor (TLP:RED)"]);
    let mut expected = r;
    expected.last_legal_possessor = None;
    assert_eq!(seen.value(), &expected);
}

#[test]
fn a_law_enforcement_only_section_is_absent_for_an_analyst() {
    let mut r = response();
    r.commercial.as_mut().unwrap().marking = mark(Tlp::Green, &[Restriction::LawEnforcementOnly]);
    let seen = shown(r, Role::Analyst);
    assert_eq!(seen.value().commercial, None);
    assert!(seen.value().finding.is_some());
    assert_eq!(
        seen.withheld_labels(),
        ["commercial (LE-ONLY)", "individuals (personal data)"]
    );
}

#[test]
fn individuals_are_withheld_from_non_law_enforcement_roles_even_when_clear() {
    let mut r = response();
    r.marking = mark(Tlp::Clear, &[]);
    for role in [Role::Analyst, Role::Auditor, Role::Admin] {
        let seen = shown(r.clone(), role);
        assert_eq!(seen.value().individuals, None, "{role}");
        assert_eq!(
            seen.withheld_labels(),
            ["individuals (personal data)"],
            "{role}"
        );
    }
    assert!(shown(r, Role::Investigator).value().individuals.is_some());
}

#[test]
fn a_possessor_who_is_a_private_person_is_personal_data_but_a_state_armoury_is_not() {
    let mut r = response();
    r.marking = mark(Tlp::Clear, &[]);
    r.individuals = None;
    let seen = shown(r.clone(), Role::Analyst);
    assert_eq!(
        seen.value().last_legal_possessor.as_ref().unwrap().name,
        "Central Arms Depot",
        "an organisation is not personal data"
    );
    let p = r.last_legal_possessor.as_mut().unwrap();
    p.name = "Kwame Boateng".into();
    p.address = "12 Ring Road, Accra".into();
    p.identity_document = "GHA-ID-0042".into();
    p.category = "civilian".into();
    p.state = "GHA".into();
    for role in [Role::Analyst, Role::Auditor, Role::Admin] {
        let seen = shown(r.clone(), role);
        let possessor = seen.value().last_legal_possessor.clone().unwrap();
        assert_eq!(
            (
                possessor.name.as_str(),
                possessor.address.as_str(),
                possessor.identity_document.as_str()
            ),
            ("", "", ""),
            "{role}"
        );
        assert_eq!(
            (possessor.category.as_str(), possessor.state.as_str()),
            ("civilian", "GHA")
        );
        assert_eq!(
            seen.withheld_labels(),
            ["lastLegalPossessor.identity (personal data)"],
            "{role}"
        );
    }
    let seen = shown(r, Role::Investigator);
    assert_eq!(
        seen.value().last_legal_possessor.as_ref().unwrap().name,
        "Kwame Boateng"
    );
}

#[test]
fn a_final_consignee_who_is_a_natural_person_is_personal_data() {
    let r = pb::TraceResponse {
        marking: mark(Tlp::Clear, &[]),
        finding: Some(pb::Finding {
            marking: None,
            case: Some(pb::finding::Case::Export(pb::ExportFinding {
                importing_state: "NGA".into(),
                final_consignee: "Chidi Okafor".into(),
                final_consignee_natural_person: true,
                ..Default::default()
            })),
        }),
        ..Default::default()
    };
    let seen = shown(r, Role::Analyst);
    let Some(pb::finding::Case::Export(e)) = seen.value().finding.clone().and_then(|f| f.case)
    else {
        panic!("the export finding stays");
    };
    assert_eq!(
        (e.importing_state.as_str(), e.final_consignee.as_str()),
        ("NGA", "")
    );
}

#[test]
fn an_auditor_sees_only_what_describes_the_response() {
    let r = response();
    let seen = shown(r.clone(), Role::Auditor);
    let expected = pb::TraceResponse {
        marking: r.marking.clone(),
        restricted: true,
        restriction_reason: r.restriction_reason,
        ..Default::default()
    };
    assert_eq!(seen.value(), &expected);
    assert_eq!(
        seen.withheld_labels(),
        [
            "finding (TLP:AMBER)",
            "history (TLP:AMBER)",
            "lastLegalPossessor (TLP:AMBER)",
            "commercial (TLP:AMBER)",
            "individuals (TLP:AMBER, personal data)",
            "response (TLP:AMBER)",
        ]
    );
}

#[test]
fn a_section_marked_more_openly_than_the_response_is_shown() {
    let mut r = response();
    r.marking = mark(Tlp::Red, &[]);
    r.last_legal_possessor.as_mut().unwrap().marking = mark(Tlp::Green, &[]);
    let seen = shown(r, Role::Analyst);
    assert!(seen.value().last_legal_possessor.is_some());
    assert_eq!(seen.value().finding, None);
    assert_eq!(seen.value().restriction_explanation, "");
    assert!(
        seen.withheld_labels()
            .contains(&"finding (TLP:RED)".to_string())
    );
}

#[test]
fn a_section_with_an_unreadable_marking_is_withheld_even_from_the_point_of_contact() {
    let mut r = response();
    r.finding.as_mut().unwrap().marking = Some(pb::Marking::default());
    let seen = shown(r, Role::Poc);
    assert_eq!(seen.value().finding, None);
    assert_eq!(seen.withheld_labels(), ["finding (invalid marking)"]);
}

#[test]
fn a_request_an_officer_may_not_see_keeps_only_its_routing() {
    let r = request(Tlp::Red);
    let seen = shown(r.clone(), Role::Investigator);
    let expected = pb::TraceRequest {
        marking: r.marking.clone(),
        requested_state: "BEL".into(),
        grounds: Some(pb::RoutingGrounds {
            rule: pb::RoutingRule::ExportRecord as i32,
            requested_state: "BEL".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(seen.value(), &expected);
    assert_eq!(seen.withheld_labels()[0], "request (TLP:RED)");
}

#[test]
fn individuals_in_a_request_are_withheld_from_an_analyst_regardless_of_marking() {
    let r = request(Tlp::Clear);
    let seen = shown(r, Role::Analyst);
    assert!(seen.value().individuals.is_empty());
    assert_eq!(seen.value().purpose, "criminal investigation");
    assert_eq!(seen.withheld_labels(), ["individuals (personal data)"]);
}

#[test]
fn an_unmarked_request_is_withheld() {
    let mut r = request(Tlp::Green);
    r.marking = None;
    let seen = shown(r, Role::Poc);
    assert_eq!(seen.value().purpose, "");
}

#[test]
fn a_refusal_names_every_rule_in_the_way_and_consent_from_the_provider_lifts_them() {
    let id = message();
    let mut r = response();
    r.marking = mark(Tlp::Amber, &[Restriction::NoOnwardDisclosure]);
    r.individuals = None;
    r.commercial = None;
    r.restriction_explanation.clear();
    r.additional_information.clear();
    let held = from_bel(r, id);
    let refused = sent(&held, "NGA", &Consents::none()).unwrap_err();
    assert_eq!(refused.use_, Use::ForwardToThirdState);
    let rules: Vec<String> = refused.withheld[0]
        .rules
        .iter()
        .map(|r| r.label().to_string())
        .collect();
    assert_eq!(
        rules,
        ["TLP:AMBER", "NO-ONWARD"],
        "both rules, not the first alone"
    );
    let text = refused.to_string();
    assert!(
        text.contains("provided by BEL")
            && text.contains("TLP:AMBER")
            && text.contains("NO-ONWARD"),
        "{text}"
    );

    // A consent from anyone but BEL changes nothing.
    let consent = |provider: &str, tlp: bool| Consent {
        provider: p(provider),
        regarding: Some(id),
        use_: Use::ForwardToThirdState,
        destination: Some(p("NGA")),
        restrictions: [Restriction::NoOnwardDisclosure].into(),
        tlp,
    };
    let from_gha: Consents = [consent("GHA", true)].into_iter().collect();
    assert!(sent(&held, "NGA", &from_gha).is_err());
    // Lifting the restriction alone leaves the TLP level in the way.
    let restriction_only: Consents = [consent("BEL", false)].into_iter().collect();
    let refused = sent(&held, "NGA", &restriction_only).unwrap_err();
    assert_eq!(
        refused.withheld[0].rules,
        [Rule::Policy(Denied::Tlp {
            tlp: Tlp::Amber,
            use_: Use::ForwardToThirdState
        })]
    );
    // BEL lifting both, for NGA: it goes to NGA, and nowhere else.
    let both: Consents = [consent("BEL", true)].into_iter().collect();
    let released = sent(&held, "NGA", &both).expect("consented");
    assert!(!released.under_consent.is_empty());
    assert!(sent(&held, "CIV", &both).is_err());
}

#[test]
fn content_goes_back_to_its_provider_and_our_own_goes_where_we_send_it() {
    let mut r = response();
    r.marking = mark(Tlp::Red, &[Restriction::NoOnwardDisclosure]);
    let held = from_bel(r.clone(), message());
    assert!(sent(&held, "BEL", &Consents::none()).is_ok());
    assert!(sent(&held, "NGA", &Consents::none()).is_err());
    let ours = Marked::new(r, Marking::new(Tlp::Red), Source::us());
    assert!(sent(&ours, "NGA", &Consents::none()).is_ok());
}

#[test]
fn a_view_of_our_own_content_follows_its_marking() {
    let ours = Marked::new(request(Tlp::Red), Marking::new(Tlp::Red), Source::us());
    let seen = release(
        &ours,
        &Audience::Officer(Role::Analyst),
        &Consents::none(),
        Whole::PartsMayBeWithheld,
    )
    .unwrap();
    assert_eq!(seen.value().purpose, "");
}

#[test]
fn reports_never_carry_personal_data() {
    let mut r = response();
    r.marking = mark(Tlp::Clear, &[]);
    let held = from_bel(r, message());
    let released = release(
        &held,
        &Audience::Report,
        &Consents::none(),
        Whole::PartsMayBeWithheld,
    )
    .unwrap();
    assert_eq!(released.value().individuals, None);
}
