//! What an officer sees: traces, cases, messages, the outbox, overdue items.
//! Content is filtered here by role and marking (policy::redact), before it
//! leaves the node: a section an officer may not see is absent from the
//! reply. Access to marked content is written to the audit trail.

use time::OffsetDateTime;

use iti_proto::v1 as pb;

use super::{Node, ServiceError, ServiceResult};
use crate::case::chain;
use crate::case::machine::TraceState;
use crate::case::role::TraceRole;
use crate::envelope::Header;
use crate::identity::{Officer, Role};
use crate::ids::{CaseId, EnvelopeId, TraceId};
use crate::policy::marking::{Marking, Restriction};
use crate::policy::redact::{redact_request, redact_response};
use crate::policy::{Consents, Use, authorize};
use crate::store::envelopes::{self, Direction, StoredEnvelope};
use crate::store::outbox::{self, OutboxRow, OutboxState};
use crate::store::traces::{self, EventRow, TraceRow};
use crate::store::{audit, boxed};

/// A message of a trace as an officer may see it.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub header: Header,
    pub direction: Direction,
    pub payload: Option<pb::Payload>,
    pub withheld: Vec<String>,
    pub outbox: Option<OutboxRow>,
    pub receipt_at: Option<OffsetDateTime>,
    pub hops: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct TraceView {
    pub trace: TraceRow,
    /// The request as this officer may see it.
    pub request: pb::TraceRequest,
    pub request_withheld: Vec<String>,
    pub events: Vec<EventRow>,
    pub messages: Vec<MessageView>,
}

#[derive(Debug, Clone)]
pub struct CaseView {
    pub case_id: CaseId,
    pub traces: Vec<TraceView>,
    pub timeline: Vec<pb::TimelineStep>,
    pub conclusion: String,
}

/// A short description of the items of a request, if the officer may see it.
pub fn items_summary(request: &pb::TraceRequest) -> String {
    use pb::recovered_item::Item;
    let parts: Vec<String> = request
        .items
        .iter()
        .map(|i| {
            let q = if i.quantity > 1 {
                format!("{} × ", i.quantity)
            } else {
                String::new()
            };
            match &i.item {
                Some(Item::Weapon(w)) => format!(
                    "{q}{} {} {} s/n {}",
                    w.make, w.model, w.calibre, w.serial_number
                ),
                Some(Item::Ammunition(a)) => format!(
                    "{q}ammunition {} lot {} ({})",
                    a.calibre, a.lot_number, a.manufacturer
                ),
                Some(Item::Part(p)) => format!("{q}part {} s/n {}", p.description, p.serial_number),
                None => format!("{q}(unidentified item)"),
            }
        })
        .collect();
    match parts.len() {
        0 => "(no items)".into(),
        1..=2 => parts.join("; "),
        n => format!("{}; and {} more", parts[..2].join("; "), n - 2),
    }
}

/// Consents received for a trace, as policy consents.
pub(crate) fn consents_of<'a>(rows: impl IntoIterator<Item = &'a traces::ConsentRow>) -> Consents {
    let mut c = Consents::none();
    for row in rows {
        let r = pb::UseRestriction::try_from(row.restriction)
            .ok()
            .and_then(Restriction::from_proto);
        let u = pb::OnwardUse::try_from(row.use_)
            .ok()
            .and_then(|u| Use::try_from(u).ok());
        if let (Some(r), Some(u)) = (r, u) {
            c.grant(r, u);
        }
    }
    c
}

/// The consents that apply to one response (10.3: consent is given for
/// particular information): those naming it, and those naming no response,
/// which apply to every response of the trace.
pub(crate) fn consents_regarding(rows: &[traces::ConsentRow], response: EnvelopeId) -> Consents {
    let id = response.to_string();
    consents_of(rows.iter().filter(|row| {
        let regarding = row.regarding.trim();
        regarding.is_empty() || regarding == id
    }))
}

fn may_display(marking: &pb::Marking, role: Role, consents: &Consents) -> Result<(), String> {
    match Marking::try_from(marking) {
        Ok(m) => authorize(&m, Use::Display(role), consents)
            .map(|_| ())
            .map_err(|d| d.rule().to_string()),
        // Fail closed: a marking that cannot be read hides what it covers.
        Err(_) => Err("unreadable marking".into()),
    }
}

fn is_marked(marking: &pb::Marking) -> bool {
    marking.tlp != pb::Tlp::Clear as i32 || !marking.restrictions.is_empty()
}

/// Filters one message for an officer.
fn view_message(
    stored: &StoredEnvelope,
    role: Role,
    consents: &Consents,
    accessed: &mut Vec<String>,
) -> (Option<pb::Payload>, Vec<String>) {
    use pb::payload::Body;
    let Some(payload) = stored.payload.clone() else {
        return (None, vec!["payload (sealed, not addressed to us)".into()]);
    };
    let kind = stored
        .header
        .kind
        .as_str_name()
        .trim_start_matches("PAYLOAD_KIND_")
        .to_lowercase();
    match payload.body {
        Some(Body::Request(r)) => {
            let red = redact_request(&r, role, consents);
            if red.withheld.is_empty() && r.marking.as_ref().is_some_and(is_marked) {
                accessed.push(format!("{kind} {}", stored.header.id));
            }
            (
                Some(pb::Payload {
                    body: Some(Body::Request(red.value)),
                }),
                red.withheld,
            )
        }
        Some(Body::Resubmission(mut r)) => {
            let mut withheld = Vec::new();
            if let Some(req) = r.request.take() {
                let red = redact_request(&req, role, consents);
                withheld = red.withheld;
                r.request = Some(red.value);
            }
            (
                Some(pb::Payload {
                    body: Some(Body::Resubmission(r)),
                }),
                withheld,
            )
        }
        Some(Body::Response(r)) => {
            let red = redact_response(&r, role, consents);
            if r.marking.as_ref().is_some_and(is_marked) {
                accessed.push(format!("{kind} {}", stored.header.id));
            }
            (
                Some(pb::Payload {
                    body: Some(Body::Response(red.value)),
                }),
                red.withheld,
            )
        }
        Some(Body::SharedInformation(mut s)) => {
            let mut withheld = Vec::new();
            if let Some(resp) = s.response.take() {
                let red = redact_response(&resp, role, consents);
                withheld = red.withheld;
                s.response = Some(red.value);
            }
            (
                Some(pb::Payload {
                    body: Some(Body::SharedInformation(s)),
                }),
                withheld,
            )
        }
        other => match may_display(&stored.header.marking, role, consents) {
            Ok(()) => (Some(pb::Payload { body: other }), vec![]),
            Err(rule) => (None, vec![format!("{kind} ({rule})")]),
        },
    }
}

impl Node {
    /// A page of the traces, newest first, after `after`; `inbox` keeps
    /// those where we are asked and still owe something. Also where the
    /// next page starts, if there may be one.
    pub async fn list_traces(
        &self,
        inbox: bool,
        include_closed: bool,
        after: Option<TraceId>,
        size: usize,
    ) -> ServiceResult<(Vec<TraceRow>, Option<TraceId>)> {
        let keep = |t: &TraceRow| {
            (include_closed || t.state != TraceState::Closed)
                && (!inbox
                    || (t.role == TraceRole::Requested
                        && crate::case::machine::awaiting_requested(t.state))
                    || (t.role == TraceRole::OnBehalf && t.state == TraceState::Drafted))
        };
        Ok(traces::page_matching(self.store.pool(), after, size, keep).await?)
    }

    /// Resolves a case id or a trace id to a case.
    async fn resolve_case(&self, id: &str) -> ServiceResult<CaseId> {
        if let Ok(trace_id) = id.parse::<TraceId>()
            && let Some(t) = traces::get_from_pool(self.store.pool(), trace_id).await?
        {
            return Ok(t.case_id);
        }
        let case_id: CaseId = id
            .parse()
            .map_err(|e: crate::ids::IdError| ServiceError::invalid("id", e.to_string()))?;
        if traces::for_case(self.store.pool(), case_id)
            .await?
            .is_empty()
        {
            return Err(ServiceError::NotFound(format!("no case or trace {id}")));
        }
        Ok(case_id)
    }

    /// The whole case as `officer` may see it: every trace of the chain, its
    /// events and messages, and the weapon's timeline across states.
    pub async fn case_view(&self, officer: &Officer, id: &str) -> ServiceResult<CaseView> {
        let case_id = self.resolve_case(id).await?;
        let pool = self.store.pool();
        let mut views = Vec::new();
        let mut responses = Vec::new();
        let mut accessed = Vec::new();
        for trace in traces::for_case(pool, case_id).await? {
            let consents = consents_of(&traces::consents(pool, trace.trace_id).await?);
            let red = redact_request(&trace.request, officer.role, &consents);
            if red.withheld.is_empty() && trace.request.marking.as_ref().is_some_and(is_marked) {
                accessed.push(format!("request of trace {}", trace.trace_id));
            }
            let mut messages = Vec::new();
            for stored in envelopes::for_trace(pool, trace.trace_id).await? {
                if let Some(pb::payload::Body::Response(r)) =
                    stored.payload.as_ref().and_then(|p| p.body.as_ref())
                {
                    let visible = redact_response(r, officer.role, &consents).value;
                    responses.push((stored.header.origin.to_string(), visible));
                }
                let (payload, withheld) =
                    view_message(&stored, officer.role, &consents, &mut accessed);
                let outbox_row = match stored.direction {
                    Direction::Out => {
                        let mut conn = pool
                            .acquire()
                            .await
                            .map_err(crate::store::StoreError::from)?;
                        outbox::get(&mut conn, stored.header.id).await?
                    }
                    _ => None,
                };
                let receipt_at = envelopes::receipts_for(pool, stored.header.id)
                    .await?
                    .into_iter()
                    .find(|r| r.receiver == stored.header.destination.to_string())
                    .map(|r| r.received_at);
                messages.push(MessageView {
                    hops: stored
                        .envelope
                        .hops
                        .iter()
                        .map(|h| h.participant.clone())
                        .collect(),
                    header: stored.header,
                    direction: stored.direction,
                    payload,
                    withheld,
                    outbox: outbox_row,
                    receipt_at,
                });
            }
            views.push(TraceView {
                request: red.value,
                request_withheld: red.withheld,
                events: traces::events(pool, trace.trace_id).await?,
                messages,
                trace,
            });
        }
        let timeline = chain::timeline(&responses);
        let conclusion = chain::conclusion(&responses);
        if !accessed.is_empty() {
            self.audit_access(officer, &format!("case {case_id}"), &accessed, "display")
                .await?;
        }
        Ok(CaseView {
            case_id,
            traces: views,
            timeline,
            conclusion,
        })
    }

    /// Records who accessed which marked content, for what purpose.
    pub(crate) async fn audit_access(
        &self,
        officer: &Officer,
        subject: &str,
        sections: &[String],
        purpose: &str,
    ) -> ServiceResult<()> {
        let now = self.now();
        let who = super::Actor::Officer(officer.clone()).to_string();
        let subject = subject.to_string();
        let detail = format!("purpose: {purpose}; content: {}", sections.join(", "));
        self.store
            .write(move |conn| {
                boxed(async move {
                    audit::append(conn, now, &who, "accessed", &subject, &detail).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await
    }

    /// A page of the outbox, after the envelope queued as `after_seq`.
    pub async fn outbox_view(
        &self,
        include_done: bool,
        after_seq: i64,
        size: usize,
    ) -> ServiceResult<Vec<OutboxRow>> {
        Ok(outbox::list(self.store.pool(), include_done, after_seq, size as i64).await?)
    }

    pub async fn envelope(&self, id: EnvelopeId) -> ServiceResult<Option<StoredEnvelope>> {
        Ok(envelopes::get_from_pool(self.store.pool(), id).await?)
    }
}

/// How an outgoing envelope stands, for display.
pub fn delivery_state(row: Option<&OutboxRow>, direction: Direction) -> pb::DeliveryState {
    match (direction, row.map(|r| r.state)) {
        (Direction::In, _) => pb::DeliveryState::Received,
        (_, Some(OutboxState::Pending)) => pb::DeliveryState::Queued,
        (_, Some(OutboxState::Relayed)) => pb::DeliveryState::Relayed,
        (_, Some(OutboxState::Delivered)) => pb::DeliveryState::Delivered,
        (_, Some(OutboxState::Rejected)) => pb::DeliveryState::Rejected,
        (_, None) => pb::DeliveryState::Unspecified,
    }
}

impl Node {
    /// Recomputes the audit chain and reports the first entry that breaks it.
    pub async fn verify_audit(&self) -> ServiceResult<pb::AuditVerifyReply> {
        let entries = audit::entries(self.store.pool(), 0, 0).await?;
        Ok(match crate::audit::verify_chain(&entries) {
            Ok(n) => pb::AuditVerifyReply {
                ok: true,
                entries: n,
                first_bad_seq: 0,
                problem: String::new(),
            },
            Err(brk) => pb::AuditVerifyReply {
                ok: false,
                entries: entries.len() as u64,
                first_bad_seq: brk.seq,
                problem: brk.to_string(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(regarding: &str, restriction: Restriction, use_: Use) -> traces::ConsentRow {
        let now = OffsetDateTime::UNIX_EPOCH;
        traces::ConsentRow {
            trace_id: TraceId::new_v7(now),
            regarding: regarding.to_string(),
            restriction: restriction.to_proto() as i32,
            use_: use_.to_onward().map(|u| u as i32).unwrap_or_default(),
            envelope_id: EnvelopeId::new_v7(now).to_string(),
            granted_at: now,
        }
    }

    #[test]
    fn a_consent_applies_to_the_response_it_names_and_not_to_another() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let (first, second) = (EnvelopeId::new_v7(now), EnvelopeId::new_v7(now));
        let rows = [consent(
            &first.to_string(),
            Restriction::NoOnwardDisclosure,
            Use::ForwardToThirdState,
        )];
        let lifted =
            |c: &Consents| c.contains(Restriction::NoOnwardDisclosure, Use::ForwardToThirdState);
        assert!(lifted(&consents_regarding(&rows, first)));
        assert!(!lifted(&consents_regarding(&rows, second)));
    }

    #[test]
    fn a_consent_naming_no_response_applies_to_every_response_of_the_trace() {
        let rows = [consent(
            "",
            Restriction::ProprietaryCommercial,
            Use::ExportAsEvidence,
        )];
        let any = EnvelopeId::new_v7(OffsetDateTime::UNIX_EPOCH);
        assert!(
            consents_regarding(&rows, any)
                .contains(Restriction::ProprietaryCommercial, Use::ExportAsEvidence)
        );
    }
}
