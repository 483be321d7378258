//! What an officer sees: traces, cases, messages, drafts, the timeline and
//! the conclusion, the outbox, overdue items, the audit trail. Every view
//! model is built here, and every piece of content in it comes out of the
//! release gate (`policy::gate::release`) for the officer's role: a part an
//! officer may not see is absent from the reply and named in its `withheld`
//! list with the rules that keep it in. The adapters (`api/`, the console)
//! receive these view models and nothing else. Access to marked content is
//! written to the audit trail.

use time::OffsetDateTime;

use iti_proto::v1 as pb;

use super::{Node, ServiceError, ServiceResult};
use crate::case::chain::{self, Conclusion};
use crate::case::draft::Draft;
use crate::case::items::ItemWindow;
use crate::case::machine::TraceState;
use crate::case::role::TraceRole;
use crate::clock::to_timestamp;
use crate::identity::{Officer, Role};
use crate::ids::{CaseId, TraceId};
use crate::policy::consent::Consents;
use crate::policy::gate::{Audience, Part, Releasable, Released, Whole, release, release_owned};
use crate::policy::marked::Marked;
use crate::policy::marking::{Marking, Tlp};
use crate::store::envelopes::{self, Direction, StoredEnvelope};
use crate::store::outbox::{self, OutboxRow, OutboxState};
use crate::store::traces::{self, EventRow, TraceHead, TraceRow};
use crate::store::{audit, boxed};

/// A short description of the items of a request (already released).
pub fn items_summary(request: &pb::TraceRequest) -> String {
    crate::render::items_summary(&crate::i18n::english(), &request.items)
}

/// The consents recorded on a case's traces, for the gate.
pub(crate) async fn consents_of_case(node: &Node, case: CaseId) -> ServiceResult<Consents> {
    Ok(traces::consents_in_case(node.store.pool(), case)
        .await?
        .into_iter()
        .map(|row| row.consent)
        .collect())
}

/// Releases content for an officer to see: never refused, parts withheld.
fn shown<T: Releasable>(content: &Marked<T>, role: Role, consents: &Consents) -> Released<T> {
    viewed(release(
        content,
        &Audience::Officer(role),
        consents,
        Whole::PartsMayBeWithheld,
    ))
}

/// [`shown`], of content its holder has no further use for.
fn shown_owned<T: Releasable>(content: Marked<T>, role: Role, consents: &Consents) -> Released<T> {
    viewed(release_owned(
        content,
        &Audience::Officer(role),
        consents,
        Whole::PartsMayBeWithheld,
    ))
}

fn viewed<T>(judged: Result<Released<T>, crate::policy::gate::Refusal>) -> Released<T> {
    match judged {
        Ok(released) => released,
        // A view withholds; it is never refused as a whole.
        Err(refusal) => unreachable!("a view was refused: {refusal}"),
    }
}

fn is_marked(m: &Marking) -> bool {
    m.tlp != Tlp::Clear || !m.restrictions.is_empty()
}

fn role_to_proto(role: TraceRole) -> pb::TraceRole {
    match role {
        TraceRole::Requester => pb::TraceRole::Requester,
        TraceRole::Requested => pb::TraceRole::Requested,
        TraceRole::OnBehalf => pb::TraceRole::OnBehalf,
        TraceRole::Informed => pb::TraceRole::Informed,
    }
}

/// An event derived from marked content (its detail names what that
/// content said, such as the state a restricted finding named).
#[derive(Clone)]
struct Detail(String);

impl Releasable for Detail {
    fn parts(&self) -> Vec<Part> {
        vec![Part::new("detail")]
    }
    fn withhold(&mut self, _: &str) {
        self.0.clear();
    }
}

impl Node {
    /// A trace's summary line, as `role` may see it.
    pub fn summary(&self, role: Role, t: &TraceRow, consents: &Consents) -> pb::TraceSummary {
        self.summary_counting(role, t, None, consents)
    }

    /// [`Node::summary`] of a trace read with its first items only.
    pub fn head_summary(&self, role: Role, t: &TraceHead, consents: &Consents) -> pb::TraceSummary {
        self.summary_counting(role, t.row(), Some(t.items_total()), consents)
    }

    /// [`Node::summary`]; `items_total`: of a trace read with its first
    /// items only (`traces::TraceHead`), how many its request has.
    fn summary_counting(
        &self,
        role: Role,
        t: &TraceRow,
        items_total: Option<usize>,
        consents: &Consents,
    ) -> pb::TraceSummary {
        let now = self.now();
        let request = shown(&t.request, role, consents);
        let hidden = request.withheld.iter().any(|w| w.part == "request");
        let overdue = t.due.acknowledgement.is_some_and(|d| d <= now)
            || t.due.response.is_some_and(|d| d <= now);
        // A draft's destination comes from the finding it was drafted from.
        let (reference, context) = if hidden {
            (String::new(), pb::RecoveryContext::default())
        } else {
            let r = request.value();
            (
                r.requester_reference.clone(),
                r.context.clone().unwrap_or_default(),
            )
        };
        let counterpart = if hidden && t.state == TraceState::Drafted {
            crate::render::WITHHELD.to_string()
        } else {
            t.counterpart.to_string()
        };
        pb::TraceSummary {
            trace_id: t.trace_id.to_string(),
            case_id: t.case_id.to_string(),
            role: role_to_proto(t.role) as i32,
            counterpart,
            state: t.state.as_str().to_string(),
            opened_at: Some(to_timestamp(t.opened_at)),
            received_at: t.received_at.map(to_timestamp),
            ack_due: t.due.acknowledgement.map(to_timestamp),
            response_due: t.due.response.map(to_timestamp),
            updated_at: Some(to_timestamp(t.updated_at)),
            items: if hidden {
                crate::render::WITHHELD.into()
            } else {
                let items = &request.value().items;
                let total = items_total.unwrap_or(items.len());
                crate::render::items_summary_of(&crate::i18n::english(), items, total)
            },
            marking: Some(t.request.marking().to_proto()),
            on_behalf_of: t
                .on_behalf_of
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            first_items: if hidden {
                vec![]
            } else {
                request.value().items.iter().take(2).cloned().collect()
            },
            item_count: if hidden {
                0
            } else {
                items_total.unwrap_or(request.value().items.len()) as u32
            },
            awaiting_code: t.awaiting.as_str().to_string(),
            missing: t.missing.clone(),
            restrictions_cannot_comply: request.value().restrictions_cannot_comply.clone(),
            overdue,
            awaiting: crate::i18n::english().coded("awaiting", t.awaiting.as_str()),
            flags: t.flags.clone(),
            requester_reference: reference,
            place_of_recovery: context.place_of_recovery,
            recovered_at: context.recovered_at,
        }
    }

    /// A page of the traces' summaries, newest first, after `after`, at
    /// most `size`; `inbox` keeps those that need us. Also where the next
    /// page starts, if there may be one.
    pub async fn trace_summaries(
        &self,
        officer: &Officer,
        inbox: bool,
        include_closed: bool,
        after: Option<TraceId>,
        size: usize,
    ) -> ServiceResult<(Vec<pb::TraceSummary>, Option<TraceId>)> {
        let keep = |t: &TraceRow| {
            (include_closed || t.state != TraceState::Closed) && (!inbox || needs_us(t))
        };
        let (rows, next) = traces::page_matching(self.store.pool(), after, size, keep).await?;
        let summaries = rows
            .iter()
            .map(|t| self.head_summary(officer.role, t, &Consents::none()))
            .collect();
        Ok((summaries, next))
    }

    /// Resolves a case id or a trace id to a case.
    async fn resolve_case(&self, id: &str) -> ServiceResult<CaseId> {
        if let Ok(trace_id) = id.parse::<TraceId>()
            && let Some(t) = traces::head_from_pool(self.store.pool(), trace_id).await?
        {
            return Ok(t.row().case_id);
        }
        let case_id: CaseId = id
            .parse()
            .map_err(|e: crate::ids::IdError| ServiceError::invalid("id", e.to_string()))?;
        if !traces::case_exists(self.store.pool(), case_id).await? {
            return Err(ServiceError::NotFound(format!("no case or trace {id}")));
        }
        Ok(case_id)
    }

    /// The whole case as `officer` may see it: every trace of the chain, its
    /// events, messages and draft, and the weapon's timeline across states
    /// with the conclusion, each part marked; of each request, the items in
    /// `items`.
    pub async fn case_view(
        &self,
        officer: &Officer,
        id: &str,
        items: ItemWindow,
    ) -> ServiceResult<pb::CaseView> {
        let case_id = self.resolve_case(id).await?;
        let pool = self.store.pool();
        let consents = consents_of_case(self, case_id).await?;
        let mut views = Vec::new();
        let mut responses = Vec::new();
        let mut accessed = Vec::new();
        // Heads: a request of 100,000 items was decoded whole at every page
        // of the case an officer turned (its messages show the page).
        for head in traces::heads_for_case(pool, case_id).await? {
            let trace = head.row();
            let mut messages = Vec::new();
            for (stored, page) in envelopes::for_trace_paged(pool, trace.trace_id, items).await? {
                if let Some(response) = response_of(&stored) {
                    responses.push(response);
                }
                let view = self
                    .message_view(stored, page, officer.role, &consents, &mut accessed)
                    .await?;
                messages.push(view);
            }
            let request = shown(&trace.request, officer.role, &consents);
            if request.is_whole() && is_marked(trace.request.marking()) {
                accessed.push(format!("request of trace {}", trace.trace_id));
            }
            let draft = match trace.state {
                TraceState::Drafted => match traces::get_from_pool(pool, trace.trace_id).await? {
                    Some(whole) => draft_view(&whole, officer.role, &consents),
                    None => pb::TraceView::default(),
                },
                _ => pb::TraceView::default(),
            };
            let mut view = pb::TraceView {
                summary: Some(self.head_summary(officer.role, &head, &consents)),
                events: traces::events(pool, trace.trace_id)
                    .await?
                    .into_iter()
                    .map(|e| event_view(e, officer.role, &consents))
                    .collect(),
                messages,
                ..draft
            };
            view.draft_items_shown = view.draft.as_mut().and_then(|d| items.keep(&mut d.items));
            views.push(view);
        }
        let responses = Marked::gather(responses);
        let timeline = shown(&responses.derive(timeline_of), officer.role, &consents);
        let conclusion = shown(
            &responses.derive(|rs| Conclusion::of(rs)),
            officer.role,
            &consents,
        );
        if !accessed.is_empty() {
            self.audit_access(officer, &format!("case {case_id}"), &accessed, "display")
                .await?;
        }
        Ok(pb::CaseView {
            case_id: case_id.to_string(),
            traces: views,
            timeline: steps_with_withheld(timeline),
            conclusion: conclusion.value().text(),
            conclusion_marking: Some(conclusion.marking.to_proto()),
            conclusion_withheld: conclusion.withheld_labels(),
        })
    }

    /// One message as an officer may see it.
    async fn message_view(
        &self,
        mut stored: StoredEnvelope,
        mut items_shown: Option<pb::ItemsShown>,
        role: Role,
        consents: &Consents,
        accessed: &mut Vec<String>,
    ) -> ServiceResult<pb::MessageView> {
        let kind = crate::metrics::kind_label(stored.header.kind);
        // The payload holds a page of a request's items (`items_shown`),
        // read so: a request of 100,000 items was decoded and released
        // whole for the 100 a page shows.
        let (payload, withheld, marking) = match stored.payload.take() {
            None => (
                None,
                vec!["payload (sealed, not addressed to us)".to_string()],
                None,
            ),
            Some(content) => {
                let marked = is_marked(content.marking());
                let released = shown_owned(content, role, consents);
                if released.is_whole() && marked {
                    accessed.push(format!("{kind} {}", stored.header.id));
                }
                // How many items a withheld request has is not shown either.
                if released.withheld.iter().any(|w| w.part == "request") {
                    items_shown = None;
                }
                let withheld = released.withheld_labels();
                let marking = released.marking.to_proto();
                let payload = released.into_value();
                (
                    payload.body.is_some().then_some(payload),
                    withheld,
                    Some(marking),
                )
            }
        };
        let outbox_row = match stored.direction {
            Direction::Out => {
                let mut conn = self
                    .store
                    .pool()
                    .acquire()
                    .await
                    .map_err(crate::store::StoreError::from)?;
                outbox::get(&mut conn, stored.header.id).await?
            }
            _ => None,
        };
        let receipt_at = envelopes::receipts_for(self.store.pool(), stored.header.id)
            .await?
            .into_iter()
            .find(|r| r.receiver == stored.header.destination.to_string())
            .map(|r| r.received_at);
        Ok(pb::MessageView {
            envelope_id: stored.header.id.to_string(),
            kind: stored.header.kind as i32,
            origin: stored.header.origin.to_string(),
            destination: stored.header.destination.to_string(),
            created_at: Some(to_timestamp(stored.header.created_at)),
            payload,
            withheld,
            delivery: delivery_state(outbox_row.as_ref(), stored.direction) as i32,
            receipt_at: receipt_at.map(to_timestamp),
            error: outbox_row.and_then(|r| r.last_error).unwrap_or_default(),
            hops: stored
                .envelope
                .hops
                .iter()
                .map(|h| h.participant.clone())
                .collect(),
            marking,
            items_shown,
        })
    }

    /// Records who accessed which marked content, for what purpose: ids
    /// and kinds, never the content.
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

    /// A page of what waits in the outbox (facts only: ids, kinds, hops,
    /// errors), in queue order after the envelope queued as `after_seq`, at
    /// most `size`. Also where the next page starts, if there may be one.
    pub async fn outbox_items(
        &self,
        include_done: bool,
        after_seq: i64,
        size: usize,
    ) -> ServiceResult<(Vec<pb::OutboxItem>, Option<i64>)> {
        let rows = outbox::list(self.store.pool(), include_done, after_seq, size as i64).await?;
        let next = (rows.len() == size)
            .then(|| rows.last().map(|r| r.seq))
            .flatten();
        let items = rows
            .into_iter()
            .map(|r| pb::OutboxItem {
                envelope_id: r.envelope_id.to_string(),
                destination: r.destination.clone(),
                next_hop: r.next_hop.clone().unwrap_or_default(),
                kind: r.kind,
                state: delivery_state(Some(&r), Direction::Out) as i32,
                enqueued_at: Some(to_timestamp(r.enqueued_at)),
                attempts: r.attempts,
                next_attempt_at: Some(to_timestamp(r.next_attempt_at)),
                last_error: r.last_error.clone().unwrap_or_default(),
                trace_id: r.trace_id.to_string(),
                done_at: r.done_at.map(to_timestamp),
            })
            .collect();
        Ok((items, next))
    }

    /// Deadlines passed, owed by us or by the counterpart.
    pub async fn overdue_items(&self, now: OffsetDateTime) -> ServiceResult<Vec<pb::OverdueItem>> {
        Ok(self
            .overdue(now)
            .await?
            .into_iter()
            .map(|(head, owed, due)| {
                let t = head.row();
                pb::OverdueItem {
                    trace_id: t.trace_id.to_string(),
                    case_id: t.case_id.to_string(),
                    role: role_to_proto(t.role) as i32,
                    counterpart: t.counterpart.to_string(),
                    what: owed.as_str().to_string(),
                    due: Some(to_timestamp(due)),
                    owed_by: super::sweep::owed_by(self.participant(), t).to_string(),
                }
            })
            .collect())
    }

    /// The audit trail: facts only (who, what, about which ids), so every
    /// role that may read it sees it whole.
    pub async fn audit_entries(
        &self,
        after: u64,
        limit: u32,
    ) -> ServiceResult<Vec<pb::AuditEntry>> {
        Ok(audit::entries(self.store.pool(), after, limit)
            .await?
            .into_iter()
            .map(|e| pb::AuditEntry {
                seq: e.record.seq,
                at: Some(to_timestamp(crate::clock::from_millis(e.record.at_ms))),
                actor: e.record.actor,
                action: e.record.action,
                subject: e.record.subject,
                detail: e.record.detail,
                hash: e.hash,
            })
            .collect())
    }

    /// Recomputes the audit chain and reports the first entry that breaks it.
    /// The sequence number of the newest audit entry (0: none yet).
    pub async fn audit_head_seq(&self) -> ServiceResult<u64> {
        Ok(self.store.audit_head().await?.map_or(0, |h| h.seq))
    }

    pub async fn verify_audit(&self) -> ServiceResult<pb::AuditVerifyReply> {
        let entries = audit::entries(self.store.pool(), 0, 0).await?;
        let mut reply = match crate::audit::verify_chain(&entries) {
            Ok(n) => pb::AuditVerifyReply {
                ok: true,
                entries: n,
                ..Default::default()
            },
            Err(brk) => pb::AuditVerifyReply {
                ok: false,
                entries: entries.len() as u64,
                first_bad_seq: brk.seq,
                problem: brk.to_string(),
                ..Default::default()
            },
        };
        if reply.ok {
            // The chain holds together; its witnesses show whether it was
            // cut off or rewritten as a whole.
            reply.witnesses = self.witness_checks(&entries).await;
            if let Some(bad) = reply
                .witnesses
                .iter()
                .find(|w| w.outcome == "truncated" || w.outcome == "rewritten")
            {
                reply.ok = false;
                reply.first_bad_seq = bad.seq;
                reply.problem = bad.detail.clone();
            }
        }
        Ok(reply)
    }

    /// Whether a stored envelope travelled sealed, and its ciphertext's
    /// size (facts, for the demo).
    pub async fn sealing_of(
        &self,
        id: crate::ids::EnvelopeId,
    ) -> ServiceResult<Option<Option<usize>>> {
        Ok(envelopes::signed(self.store.pool(), id)
            .await?
            .map(|e| e.header.sealing.map(|_| e.envelope.payload.len())))
    }

    /// The peers this node pins (admin facts: no case content).
    pub async fn peer_views(&self) -> ServiceResult<Vec<pb::PeerView>> {
        Ok(self.peers().await?.iter().map(peer_view).collect())
    }

    /// The cached directory, or one participant's entry.
    pub async fn directory_entries(
        &self,
        only: Option<&crate::ids::ParticipantId>,
    ) -> ServiceResult<pb::DirectoryView> {
        let conflicts = crate::store::peers::conflicts(self.store.pool()).await?;
        let mut entries = Vec::new();
        for (entry, row) in self.directory_view().await? {
            if only.is_some_and(|p| &row.participant != p) {
                continue;
            }
            let mut view = pb::DirectoryEntryView {
                entry: Some(entry),
                trust: row.trust,
                cached_at: Some(to_timestamp(row.cached_at)),
                log: self.log_view(&row.participant).await?,
                ..Default::default()
            };
            self.standing_view(&mut view, &row.participant, &conflicts);
            entries.push(view);
        }
        Ok(pb::DirectoryView { entries })
    }
}

pub(crate) fn peer_view(row: &crate::store::peers::PeerRow) -> pb::PeerView {
    pb::PeerView {
        participant: row.participant.to_string(),
        endpoint: row.endpoint.clone(),
        ca_fingerprint: crate::identity::pki::fingerprint(&row.ca_der),
        ca_subject: crate::identity::pki::subject_of(&row.ca_der),
        serves: row.serves.iter().map(|s| s.to_string()).collect(),
        added_at: Some(to_timestamp(row.added_at)),
        ca_not_after: crate::identity::pki::not_after(&row.ca_der).map(to_timestamp),
    }
}

/// A received response, with the state that provided it, as marked content.
fn response_of(stored: &StoredEnvelope) -> Option<Marked<(String, String, pb::TraceResponse)>> {
    if stored.direction != Direction::In {
        return None;
    }
    let payload = stored.payload.as_ref()?;
    let origin = stored.header.origin.to_string();
    let id = stored.header.id.to_string();
    payload
        .facts(|p| matches!(p.body, Some(pb::payload::Body::Response(_))))
        .then(|| {
            payload.derive(|p| match &p.body {
                Some(pb::payload::Body::Response(r)) => (origin, id, r.clone()),
                _ => unreachable!("checked above"),
            })
        })
}

/// The timeline of the responses, each step with its source message.
#[allow(clippy::ptr_arg)] // a `Marked<Vec<_>>` derives through `&Vec<_>`
fn timeline_of(responses: &Vec<(String, String, pb::TraceResponse)>) -> Vec<pb::TimelineStep> {
    let mut steps: Vec<pb::TimelineStep> = responses
        .iter()
        .flat_map(|(provider, id, r)| {
            chain::timeline_of(provider, r).into_iter().map(|mut s| {
                s.source_message = id.clone();
                s
            })
        })
        .collect();
    chain::sort(&mut steps);
    steps
}

impl Conclusion {
    fn of(responses: &[(String, String, pb::TraceResponse)]) -> Conclusion {
        let pairs: Vec<(String, pb::TraceResponse)> = responses
            .iter()
            .map(|(p, _, r)| (p.clone(), r.clone()))
            .collect();
        chain::conclusion(&pairs)
    }
}

/// The released timeline, each withheld step saying by which rules.
fn steps_with_withheld(released: Released<Vec<pb::TimelineStep>>) -> Vec<pb::TimelineStep> {
    let labels: Vec<(String, String)> = released
        .withheld
        .iter()
        .map(|w| {
            let rules: Vec<&str> = w.rules.iter().map(|r| r.label()).collect();
            (w.part.clone(), rules.join(", "))
        })
        .collect();
    let mut steps = released.into_value();
    for (part, rules) in labels {
        let index = part
            .strip_prefix("timeline[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok());
        if let Some(step) = index.and_then(|i| steps.get_mut(i)) {
            step.withheld = rules;
        }
    }
    steps
}

/// An event as an officer may see it: facts, and, for an event derived from
/// marked content, its detail through the gate.
fn event_view(e: EventRow, role: Role, consents: &Consents) -> pb::CaseEvent {
    // The fact says what the detail says: shown only when the detail is.
    let mut fact = e.fact;
    let detail = match e.derived_from {
        None => e.detail,
        Some((marking, sources)) => {
            let released = shown(
                &Marked::from_sources(Detail(e.detail), marking, sources),
                role,
                consents,
            );
            if released.is_whole() {
                released.into_value().0
            } else {
                fact = None;
                crate::i18n::withheld_detail(&released.withheld_labels())
            }
        }
    };
    pb::CaseEvent {
        at: Some(to_timestamp(e.at)),
        kind: e.kind,
        actor: e.actor,
        detail,
        envelope_id: e.envelope_id.unwrap_or_default(),
        state_after: e.state_after.unwrap_or_default(),
        fact,
    }
}

/// For a drafted trace: the draft as the officer may see it, and where each
/// field that came from another state's information came from.
fn draft_view(trace: &TraceRow, role: Role, consents: &Consents) -> pb::TraceView {
    if trace.state != TraceState::Drafted {
        return pb::TraceView::default();
    }
    let draft = draft_of(trace);
    let released = shown(&draft, role, consents);
    let withheld = released.withheld_labels();
    let draft = released.into_value();
    pb::TraceView {
        draft_fields: draft
            .fields
            .iter()
            .map(|f| pb::DraftField {
                field: f.field.clone(),
                provided_by: f.source.provider.to_string(),
                source_message: f.source.message.map(|m| m.to_string()).unwrap_or_default(),
                marking: Some(f.marking.to_proto()),
            })
            .collect(),
        draft: Some(draft.request),
        draft_withheld: withheld,
        ..Default::default()
    }
}

/// A drafted trace's request with its fields' provenance, as marked
/// content. A draft of our own with no fields from elsewhere is all ours.
pub(crate) fn draft_of(trace: &TraceRow) -> Marked<Draft> {
    let provenance = trace.draft.clone();
    trace.request.derive(|r| {
        let own = crate::store::provenance::held_under(r.marking.as_ref());
        match provenance {
            Some(p) => Draft {
                request: pb::TraceRequest {
                    marking: Some(p.own_marking.to_proto()),
                    ..r.clone()
                },
                own_marking: p.own_marking,
                fields: p.fields,
            },
            None => Draft {
                request: r.clone(),
                own_marking: own,
                fields: vec![],
            },
        }
    })
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

/// Whether a trace needs something of us now: a request we owe an answer
/// to, an on-behalf draft, a consent asked of us, information to read.
fn needs_us(t: &TraceRow) -> bool {
    (t.role == TraceRole::Requested && crate::case::machine::awaiting_requested(t.state))
        || (t.role == TraceRole::OnBehalf && t.state == TraceState::Drafted)
        || t.awaiting.owed_by_us()
}
