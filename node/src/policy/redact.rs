//! Markings read off a response: the strictest marking anywhere in it
//! (what its envelope is marked and sealed by), each section's effective
//! marking, and the restrictions it imposes that the requester declared it
//! cannot honour (10.3). What an officer may see is decided by the release
//! gate (`policy::gate`), not here.

use std::collections::BTreeSet;

use iti_proto::v1 as pb;

use super::marking::{Marking, Restriction};
use super::sections::Section;

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
    let mut out = Marking::try_from(&response.marking.clone().unwrap_or_default())?;
    for (_, m) in section_markings(response) {
        out = out.join(&m?);
    }
    Ok(out)
}

/// The effective marking of every present section, by protobuf JSON name:
/// for showing an officer how a response is marked.
pub fn section_markings(
    response: &pb::TraceResponse,
) -> Vec<(&'static str, Result<Marking, super::marking::MarkingError>)> {
    Section::ALL
        .iter()
        .filter_map(|&s| s.marking(response).map(|m| (s.name(), m)))
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
    use crate::policy::marking::Tlp;
    use crate::policy::sections::tests::{mark, response};

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
