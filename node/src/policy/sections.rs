//! How the messages of the protocol split into parts for the release gate:
//! each part under its own marking (a response's sections carry their own;
//! a section without one takes the response's), and which parts are
//! personal data.
//!
//! **Personal data** is a defined set of fields, withheld from analysts,
//! auditors, admins and reports whatever the marking:
//! - `individuals` of a request or a response (9.2.2);
//! - a last legal possessor who is a natural person: `name`, `address`,
//!   `identityDocument` (`lastLegalPossessor.identity`); the category and
//!   the state stay;
//! - a final consignee who is a natural person
//!   (`finding.export.finalConsignee`);
//! - anything derived from these (timeline steps, the conclusion).
//!
//! A natural person is one whose flag says so, or whose category reads as
//! a private person ("civilian", "individual", "private person", "natural
//! person").

use iti_proto::v1 as pb;

use super::gate::{Part, Releasable};
use super::marking::{MarkingError, effective_in};

/// The sections of a response (10.4), each with a marking of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    Finding,
    History,
    LastLegalPossessor,
    Commercial,
    Individuals,
}

impl Section {
    pub(crate) const ALL: [Section; 5] = [
        Section::Finding,
        Section::History,
        Section::LastLegalPossessor,
        Section::Commercial,
        Section::Individuals,
    ];

    /// The protobuf JSON name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Section::Finding => "finding",
            Section::History => "history",
            Section::LastLegalPossessor => "lastLegalPossessor",
            Section::Commercial => "commercial",
            Section::Individuals => "individuals",
        }
    }

    /// `None` when the section is absent; else its own marking, if any.
    pub(crate) fn own_marking(self, r: &pb::TraceResponse) -> Option<Option<&pb::Marking>> {
        match self {
            Section::Finding => r.finding.as_ref().map(|s| s.marking.as_ref()),
            Section::History => r.history.as_ref().map(|s| s.marking.as_ref()),
            Section::LastLegalPossessor => {
                r.last_legal_possessor.as_ref().map(|s| s.marking.as_ref())
            }
            Section::Commercial => r.commercial.as_ref().map(|s| s.marking.as_ref()),
            Section::Individuals => r.individuals.as_ref().map(|s| s.marking.as_ref()),
        }
    }

    fn remove(self, r: &mut pb::TraceResponse) {
        match self {
            Section::Finding => r.finding = None,
            Section::History => r.history = None,
            Section::LastLegalPossessor => r.last_legal_possessor = None,
            Section::Commercial => r.commercial = None,
            Section::Individuals => r.individuals = None,
        }
    }

    /// The effective marking of the section in `r`.
    pub(crate) fn marking(
        self,
        r: &pb::TraceResponse,
    ) -> Option<Result<super::marking::Marking, MarkingError>> {
        let default = r.marking.clone().unwrap_or_default();
        self.own_marking(r)
            .map(|own| effective_in(self.name(), own, &default))
    }
}

/// Whether a category names a private person.
pub fn is_natural_person(flag: bool, category: &str) -> bool {
    let c = category.trim().to_ascii_lowercase();
    flag || matches!(
        c.as_str(),
        "civilian" | "individual" | "private person" | "natural person" | "licensed civilian"
    )
}

/// The marking of the response's own text (restriction explanation,
/// additional information): its default marking.
fn text_marking(r: &pb::TraceResponse) -> Result<super::marking::Marking, MarkingError> {
    effective_in("response", None, &r.marking.clone().unwrap_or_default())
}

const POSSESSOR_IDENTITY: &str = "lastLegalPossessor.identity";
const FINAL_CONSIGNEE: &str = "finding.export.finalConsignee";
const RESPONSE_TEXT: &str = "response";

fn export_finding(r: &pb::TraceResponse) -> Option<&pb::ExportFinding> {
    match r.finding.as_ref()?.case.as_ref()? {
        pb::finding::Case::Export(e) => Some(e),
        _ => None,
    }
}

impl Releasable for pb::TraceResponse {
    fn parts(&self) -> Vec<Part> {
        let mut parts = Vec::new();
        for section in Section::ALL {
            if let Some(marking) = section.marking(self) {
                parts.push(
                    Part::new(section.name())
                        .marked(marking)
                        .personal(section == Section::Individuals),
                );
            }
        }
        if let Some(p) = &self.last_legal_possessor
            && is_natural_person(p.natural_person, &p.category)
            && let Some(marking) = Section::LastLegalPossessor.marking(self)
        {
            parts.push(Part::new(POSSESSOR_IDENTITY).marked(marking).personal(true));
        }
        if let Some(e) = export_finding(self)
            && e.final_consignee_natural_person
            && let Some(marking) = Section::Finding.marking(self)
        {
            parts.push(Part::new(FINAL_CONSIGNEE).marked(marking).personal(true));
        }
        if !self.restriction_explanation.is_empty() || !self.additional_information.is_empty() {
            parts.push(Part::new(RESPONSE_TEXT).marked(text_marking(self)));
        }
        parts
    }

    fn withhold(&mut self, part: &str) {
        if let Some(section) = Section::ALL.into_iter().find(|s| s.name() == part) {
            section.remove(self);
        }
        match part {
            POSSESSOR_IDENTITY => {
                if let Some(p) = self.last_legal_possessor.as_mut() {
                    p.name.clear();
                    p.address.clear();
                    p.identity_document.clear();
                }
            }
            FINAL_CONSIGNEE => {
                if let Some(pb::finding::Case::Export(e)) =
                    self.finding.as_mut().and_then(|f| f.case.as_mut())
                {
                    e.final_consignee.clear();
                }
            }
            // `marking`, `restricted` and `restriction_reason` describe the
            // response and always stay (10.5.2: the requester is told a
            // response is restricted, and why).
            RESPONSE_TEXT => {
                self.restriction_explanation.clear();
                self.additional_information.clear();
            }
            _ => {}
        }
    }
}

const REQUEST: &str = "request";
pub(crate) const REQUEST_INDIVIDUALS: &str = "individuals";

impl Releasable for pb::TraceRequest {
    fn parts(&self) -> Vec<Part> {
        // An unmarked request is unreadable as to its marking: fail closed.
        let marking = Some(super::marking::Marking::try_from_proto_at(
            &self.marking.clone().unwrap_or_default(),
            "marking",
        ));
        let mut request = Part::new(REQUEST);
        request.marking = marking.clone();
        let mut parts = vec![request];
        if !self.individuals.is_empty() {
            let mut individuals = Part::new(REQUEST_INDIVIDUALS).personal(true);
            individuals.marking = marking;
            parts.push(individuals);
        }
        parts
    }

    /// An officer who may not see the request at all still sees that it
    /// exists, where it went and under which routing rule.
    fn withhold(&mut self, part: &str) {
        match part {
            REQUEST => {
                *self = pb::TraceRequest {
                    marking: self.marking.clone(),
                    requested_state: self.requested_state.clone(),
                    grounds: self.grounds.as_ref().map(|g| pb::RoutingGrounds {
                        rule: g.rule,
                        requested_state: g.requested_state.clone(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            }
            REQUEST_INDIVIDUALS => self.individuals.clear(),
            _ => {}
        }
    }
}

/// The part name of a message that is one piece of text under the
/// message's marking (a clarification, a delay, a refusal, a consent...).
const MESSAGE: &str = "message";
const SHARED_NOTE: &str = "note";
const SHARED_ITEMS: &str = "items";

impl Releasable for pb::Payload {
    fn parts(&self) -> Vec<Part> {
        use pb::payload::Body;
        match &self.body {
            Some(Body::Request(r)) => r.parts(),
            Some(Body::Resubmission(r)) => {
                r.request.as_ref().map(|r| r.parts()).unwrap_or_default()
            }
            Some(Body::OnBehalfRequest(r)) => {
                r.request.as_ref().map(|r| r.parts()).unwrap_or_default()
            }
            Some(Body::Response(r)) => r.parts(),
            Some(Body::SharedInformation(s)) => {
                let provider = s
                    .provided_by
                    .parse()
                    .ok()
                    .map(super::marked::Provider::Participant);
                let mut parts: Vec<Part> =
                    s.response.as_ref().map(|r| r.parts()).unwrap_or_default();
                if let Some(provider) = provider.clone() {
                    parts = parts
                        .into_iter()
                        .map(|p| {
                            p.from(vec![super::marked::Source {
                                provider: provider.clone(),
                                message: s.source_response.parse().ok(),
                            }])
                        })
                        .collect();
                }
                // The note and the identification are the forwarder's.
                for name in [SHARED_NOTE, SHARED_ITEMS] {
                    let part = Part::new(name);
                    parts.push(match &provider {
                        Some(p) => part.excluding(p.clone()),
                        None => part,
                    });
                }
                parts
            }
            None => vec![],
            Some(_) => vec![Part::new(MESSAGE)],
        }
    }

    fn withhold(&mut self, part: &str) {
        use pb::payload::Body;
        match &mut self.body {
            Some(Body::Request(r)) => r.withhold(part),
            Some(Body::Resubmission(r)) => {
                if let Some(r) = r.request.as_mut() {
                    r.withhold(part);
                }
                r.note.clear();
            }
            Some(Body::OnBehalfRequest(r)) => {
                if let Some(r) = r.request.as_mut() {
                    r.withhold(part);
                }
                r.note.clear();
            }
            Some(Body::Response(r)) => r.withhold(part),
            Some(Body::SharedInformation(s)) if part == SHARED_NOTE => s.note.clear(),
            Some(Body::SharedInformation(s)) if part == SHARED_ITEMS => s.items.clear(),
            Some(Body::SharedInformation(s)) => {
                if let Some(r) = s.response.as_mut() {
                    r.withhold(part);
                }
            }
            _ if part == MESSAGE => self.body = None,
            _ => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
