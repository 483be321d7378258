//! Drafted requests: a follow-up the node proposes when a response reports
//! an export (10.4.3, 9.1 a). The draft is this node's request with fields
//! filled in from the responder's finding, so it is derived content: each
//! such field keeps where it came from and the marking of the section it
//! was read from, and the draft as a whole carries the join.
//!
//! Sending it to the importing state is an onward use of the responder's
//! information: the release gate judges each field (`Releasable`), and a
//! field it may not send is either consented to by its provider or left out.

use iti_proto::v1 as pb;

use crate::ids::{EnvelopeId, StateCode};
use crate::policy::gate::{Part, Releasable};
use crate::policy::marked::{Provider, Source};
use crate::policy::marking::Marking;
use crate::policy::sections::{REQUEST_INDIVIDUALS, Section};

/// A field of a draft whose value came from another state's information.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftField {
    /// Protobuf JSON path.
    pub field: String,
    pub source: Source,
    pub marking: Marking,
}

/// Where a stored draft's content came from: this node's own part, under
/// its own marking, and the fields taken from other states' information.
/// The stored request carries the join of all of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftProvenance {
    pub own_marking: Marking,
    pub fields: Vec<DraftField>,
}

/// A drafted request, as it would be sent, with where its fields came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub request: pb::TraceRequest,
    /// The marking of this node's own part of the request.
    pub own_marking: Marking,
    pub fields: Vec<DraftField>,
}

pub const EXPORT_RECORD: &str = "domesticFindings.exportRecord";
pub const GROUNDS: &str = "grounds.explanation";

impl Draft {
    /// Where its content came from, to store with it.
    pub fn provenance(&self) -> DraftProvenance {
        DraftProvenance {
            own_marking: self.own_marking.clone(),
            fields: self.fields.clone(),
        }
    }

    /// The request to store: marked with the join of every part.
    pub fn stored_request(&self) -> pb::TraceRequest {
        let mut request = self.request.clone();
        request.marking = Some(self.marking().to_proto());
        request
    }

    /// The join of every marking in the draft.
    pub fn marking(&self) -> Marking {
        self.fields
            .iter()
            .fold(self.own_marking.clone(), |m, f| m.join(&f.marking))
    }

    /// Every source of the draft: this node, and the providers of fields.
    pub fn sources(&self) -> Vec<Source> {
        let mut sources = vec![Source::us()];
        sources.extend(self.fields.iter().map(|f| f.source.clone()));
        sources.sort();
        sources.dedup();
        sources
    }
}

impl Releasable for Draft {
    fn parts(&self) -> Vec<Part> {
        let mut parts = vec![
            Part::new("request")
                .marked(Ok(self.own_marking.clone()))
                .from(vec![Source::us()]),
        ];
        // The people named in the request are personal data (10.3), shown
        // only to those who may see it, as in the request itself.
        if !self.request.individuals.is_empty() {
            parts.push(
                Part::new(REQUEST_INDIVIDUALS)
                    .marked(Ok(self.own_marking.clone()))
                    .from(vec![Source::us()])
                    .personal(true),
            );
        }
        parts.extend(self.fields.iter().map(|f| {
            Part::new(f.field.clone())
                .marked(Ok(f.marking.clone()))
                .from(vec![f.source.clone()])
        }));
        parts
    }

    fn withhold(&mut self, part: &str) {
        match part {
            "request" | REQUEST_INDIVIDUALS => self.request.withhold(part),
            EXPORT_RECORD => {
                if let Some(f) = self.request.domestic_findings.as_mut() {
                    f.export_record = None;
                }
            }
            GROUNDS => {
                if let Some(g) = self.request.grounds.as_mut() {
                    g.explanation.clear();
                }
            }
            _ => {}
        }
        self.fields.retain(|f| f.field != part);
    }
}

/// The request to send next when `response` found the items were exported
/// (10.4.3): a copy of `original` for the importing state, with the export
/// as the domestic finding that routes it (9.1 a). `None` for any other
/// finding, or an export that does not name the importing state.
///
/// The grounds and requested state are cleared: routing fills them in (and
/// `grounded` records that the grounds derive from the export record).
pub fn follow_up(
    original: &pb::TraceRequest,
    original_marking: &Marking,
    response: &pb::TraceResponse,
    responder: StateCode,
    response_id: EnvelopeId,
) -> Option<Draft> {
    let Some(pb::finding::Case::Export(export)) =
        response.finding.as_ref().and_then(|f| f.case.as_ref())
    else {
        return None;
    };
    if export.importing_state.trim().is_empty() {
        return None;
    }
    let finding_marking = Section::Finding.marking(response)?.ok()?;
    let mut request = original.clone();
    let notes = original
        .domestic_findings
        .as_ref()
        .map(|f| f.notes.clone())
        .unwrap_or_default();
    request.domestic_findings = Some(pb::DomesticFindings {
        export_record: Some(pb::ExportRecord {
            importing_state: export.importing_state.trim().to_string(),
            export_date: export.export_date.trim().to_string(),
            licence_number: export
                .licences
                .first()
                .map(|l| l.number.trim().to_string())
                .unwrap_or_default(),
            recorded_by: responder.to_string(),
        }),
        notes,
    });
    request.grounds = None;
    request.requested_state.clear();
    let source = Source::message(
        Provider::Participant(crate::ids::ParticipantId::State(responder)),
        response_id,
    );
    let field = |name: &str| DraftField {
        field: name.to_string(),
        source: source.clone(),
        marking: finding_marking.clone(),
    };
    Some(Draft {
        request,
        own_marking: original_marking.clone(),
        fields: vec![field(EXPORT_RECORD), field(GROUNDS)],
    })
}

/// The importing state a draft goes to, if it has an export record.
pub fn importing_state(draft: &Draft) -> Option<StateCode> {
    draft
        .request
        .domestic_findings
        .as_ref()?
        .export_record
        .as_ref()?
        .importing_state
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::marking::{Restriction, Tlp};
    use crate::routing;
    use pb::finding::Case;

    fn state(code: &str) -> StateCode {
        code.parse().expect("valid test state code")
    }

    fn id() -> EnvelopeId {
        EnvelopeId::new_v7(time::OffsetDateTime::UNIX_EPOCH)
    }

    fn amber() -> Marking {
        Marking::new(Tlp::Amber)
    }

    /// CIV recovered a rifle bearing a Belgian manufacture marking.
    fn original() -> pb::TraceRequest {
        pb::TraceRequest {
            context: Some(pb::RecoveryContext {
                illicit_nature: "Seized from an armed group".into(),
                legal_basis: "Code de procédure pénale, art. 41".into(),
                ..Default::default()
            }),
            grounds: Some(pb::RoutingGrounds {
                rule: pb::RoutingRule::ManufactureMarking as i32,
                requested_state: "BEL".into(),
                explanation: "Manufactured in BEL.".into(),
                ..Default::default()
            }),
            items: vec![pb::RecoveredItem {
                item_ref: "exhibit 3".into(),
                quantity: 1,
                item: Some(pb::recovered_item::Item::Weapon(pb::WeaponIdentification {
                    make: "FN Herstal".into(),
                    model: "FAL".into(),
                    calibre: "7.62x51mm".into(),
                    serial_number: "1234567".into(),
                    country_of_manufacture: "BEL".into(),
                    ..Default::default()
                })),
            }],
            information_sought: "Full history".into(),
            purpose: "Criminal investigation".into(),
            intended_use: "Evidence".into(),
            requested_state: "BEL".into(),
            requester_reference: "CIV-2024-17".into(),
            ..Default::default()
        }
    }

    /// BEL: exported to NGA in 2012, the finding marked TLP:RED NO-ONWARD.
    fn belgian_response() -> pb::TraceResponse {
        pb::TraceResponse {
            marking: Some(Marking::new(Tlp::Amber).to_proto()),
            finding: Some(pb::Finding {
                marking: Some(
                    Marking::new(Tlp::Red)
                        .with(Restriction::NoOnwardDisclosure)
                        .to_proto(),
                ),
                case: Some(Case::Export(pb::ExportFinding {
                    export_date: "2012-05-14".into(),
                    importing_state: "NGA".into(),
                    licences: vec![pb::Licence {
                        kind: "export".into(),
                        number: "EX-2012-881".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                })),
            }),
            ..Default::default()
        }
    }

    fn nigerian_response() -> pb::TraceResponse {
        pb::TraceResponse {
            finding: Some(pb::Finding {
                marking: None,
                case: Some(Case::InternalDiversion(pb::InternalDiversion::default())),
            }),
            ..Default::default()
        }
    }

    fn finding(case: Case) -> Option<pb::Finding> {
        Some(pb::Finding {
            marking: None,
            case: Some(case),
        })
    }

    #[test]
    fn fields_taken_from_the_finding_keep_its_provider_and_marking() {
        let draft = follow_up(
            &original(),
            &amber(),
            &belgian_response(),
            state("BEL"),
            id(),
        )
        .expect("follow-up");
        let red = Marking::new(Tlp::Red).with(Restriction::NoOnwardDisclosure);
        let fields: Vec<(&str, &Marking)> = draft
            .fields
            .iter()
            .map(|f| (f.field.as_str(), &f.marking))
            .collect();
        assert_eq!(fields, [(EXPORT_RECORD, &red), (GROUNDS, &red)]);
        assert!(
            draft
                .fields
                .iter()
                .all(|f| f.source.provider == Provider::Participant("BEL".parse().unwrap()))
        );
        assert_eq!(
            draft.marking(),
            amber().join(&red),
            "the draft carries the join"
        );
    }

    #[test]
    fn withholding_a_field_takes_its_value_out_of_the_request() {
        let mut draft = follow_up(
            &original(),
            &amber(),
            &belgian_response(),
            state("BEL"),
            id(),
        )
        .expect("follow-up");
        draft.request.grounds = Some(pb::RoutingGrounds {
            explanation: "Domestic records of BEL show ... licence EX-2012-881".into(),
            ..Default::default()
        });
        draft.withhold(EXPORT_RECORD);
        draft.withhold(GROUNDS);
        let text = format!("{:?}", draft.request);
        assert!(!text.contains("EX-2012-881"), "{text}");
        assert!(draft.fields.is_empty());
        assert_eq!(draft.request.items, original().items);
    }

    #[test]
    fn the_people_a_draft_names_are_withheld_from_analysts_as_in_the_request() {
        use crate::identity::Role;
        use crate::policy::consent::Consents;
        use crate::policy::gate::{Audience, Whole, release};
        use crate::policy::marked::Marked;
        let mut with_people = original();
        with_people.individuals = vec![pb::Individual {
            name: "Kwame Mensah".into(),
            ..Default::default()
        }];
        let draft = follow_up(
            &with_people,
            &amber(),
            &belgian_response(),
            state("BEL"),
            id(),
        )
        .expect("follow-up");
        let (marking, sources) = (draft.marking(), draft.sources());
        let draft = Marked::from_sources(draft, marking, sources);
        let none = Consents::none();
        let seen = |role| {
            let released = release(
                &draft,
                &Audience::Officer(role),
                &none,
                Whole::PartsMayBeWithheld,
            )
            .expect("a view");
            format!("{:?}", released.into_value().request)
        };
        assert!(!seen(Role::Analyst).contains("Kwame Mensah"));
        assert!(seen(Role::Investigator).contains("Kwame Mensah"));
    }

    #[test]
    fn export_finding_yields_a_follow_up_routed_to_the_importing_state() {
        let draft = follow_up(
            &original(),
            &amber(),
            &belgian_response(),
            state("BEL"),
            id(),
        )
        .expect("an export calls for a follow-up");
        let request = draft.request.clone();
        let record = request
            .domestic_findings
            .as_ref()
            .and_then(|f| f.export_record.as_ref())
            .expect("export record");
        assert_eq!(
            record,
            &pb::ExportRecord {
                importing_state: "NGA".into(),
                export_date: "2012-05-14".into(),
                licence_number: "EX-2012-881".into(),
                recorded_by: "BEL".into(),
            }
        );
        assert_eq!(request.grounds, None);
        assert!(request.requested_state.is_empty());
        assert_eq!(request.items, original().items);
        assert_eq!(request.context, original().context);
        assert_eq!(request.requester_reference, "CIV-2024-17");

        let decision = routing::route(&request).expect("routes");
        assert_eq!(decision.state, state("NGA"));
        assert_eq!(decision.rule, pb::RoutingRule::ExportRecord);
        assert!(
            decision.explanation.starts_with("Domestic records of BEL"),
            "{}",
            decision.explanation
        );
    }

    #[test]
    fn follow_up_keeps_the_requesters_domestic_notes() {
        let mut original = original();
        original.domestic_findings = Some(pb::DomesticFindings {
            export_record: None,
            notes: "No national record of the weapon.".into(),
        });
        let request = follow_up(&original, &amber(), &belgian_response(), state("BEL"), id())
            .expect("follow-up")
            .request;
        assert_eq!(
            request.domestic_findings.map(|f| f.notes),
            Some("No national record of the weapon.".to_string())
        );
    }

    #[test]
    fn no_follow_up_for_findings_other_than_an_export() {
        assert_eq!(
            follow_up(
                &original(),
                &amber(),
                &nigerian_response(),
                state("NGA"),
                id()
            ),
            None
        );
        let manufactured = pb::TraceResponse {
            finding: finding(Case::ManufactureOrImport(pb::ManufactureOrImport {
                manufactured: true,
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(
            follow_up(&original(), &amber(), &manufactured, state("BEL"), id()),
            None
        );
        assert_eq!(
            follow_up(
                &original(),
                &amber(),
                &pb::TraceResponse::default(),
                state("BEL"),
                id()
            ),
            None
        );
    }

    #[test]
    fn no_follow_up_for_an_export_without_an_importing_state() {
        let mut response = belgian_response();
        if let Some(Case::Export(e)) = response.finding.as_mut().and_then(|f| f.case.as_mut()) {
            e.importing_state = " ".into();
        }
        assert_eq!(
            follow_up(&original(), &amber(), &response, state("BEL"), id()),
            None
        );
    }
}
