//! What each kind of message does when it arrives, worked out before the
//! write: small handlers, one per kind (or family of kinds), each returning
//! the transitions of `pipeline` it causes.

use std::sync::Arc;

use iti_proto::v1 as pb;
use sqlx::AnyConnection;
use time::OffsetDateTime;

use super::super::pipeline::{self, Change, Event, Outgoing, Transition};
use super::super::{Actor, Node, ServiceError, ServiceResult};
use crate::case::completeness;
use crate::case::draft;
use crate::case::kinds;
use crate::case::machine::{Side, Step, TraceState, transition};
use crate::case::role::{Awaiting, TraceRole};
use crate::clock::from_timestamp;
use crate::config::CompletenessPolicy;
use crate::deadlines::{self, DeadlinePolicy, Due};
use crate::envelope::{self, Header};
use crate::fact;
use crate::ids::{EnvelopeId, ParticipantId, TraceId};
use crate::policy::consent::Consent;
use crate::policy::gate::{Audience, Whole, release};
use crate::policy::marked::{Marked, Provider, Source};
use crate::policy::marking::Restriction;
use crate::store::envelopes::{self, Direction};
use crate::store::provenance::held_under;
use crate::store::traces::{self, ConsentRow, TraceHead, TraceRow};
use crate::store::{Writes, audit, outbox};

/// What an incoming envelope does. `Clone`: its write job may run again.
#[derive(Clone)]
pub(crate) enum Effect {
    /// Changes of traces (the usual case).
    Transitions {
        transitions: Vec<Transition>,
        /// A provider's consent arrived: drafts waiting for it may go.
        consent: bool,
    },
    /// A destination's receipt for an envelope of ours, relayed by a hub.
    Receipt(Box<(envelope::VerifiedReceipt, super::SentEnvelope)>),
    /// A hub reports that an envelope of ours it signed for was refused
    /// further on; at a hub, the same report goes one leg further back.
    Failure {
        envelope_id: EnvelopeId,
        reason: String,
        onward: Option<Box<Outgoing>>,
    },
}

impl Effect {
    fn of(transitions: Vec<Transition>) -> Effect {
        Effect::Transitions {
            transitions,
            consent: false,
        }
    }

    pub(crate) fn consent_arrived(&self) -> bool {
        matches!(self, Effect::Transitions { consent: true, .. })
    }

    /// Whether applying it may give the outbox something to send: an
    /// envelope it queues, or an entry of ours it settles (the next
    /// envelope of that conversation may then go).
    pub(crate) fn may_send(&self) -> bool {
        match self {
            Effect::Transitions { transitions, .. } => {
                transitions.iter().any(|t| !t.outgoing.is_empty())
            }
            Effect::Receipt(_) | Effect::Failure { .. } => true,
        }
    }

    /// Writes the effect inside the delivery's job, after `pending`.
    pub(crate) async fn apply(
        self,
        conn: &mut AnyConnection,
        pending: &mut Writes,
        h: &Header,
        policy: &DeadlinePolicy,
        now: OffsetDateTime,
    ) -> ServiceResult<()> {
        match self {
            Effect::Transitions { transitions, .. } => {
                for t in transitions {
                    pipeline::apply(conn, pending, t, policy, now).await?;
                }
            }
            Effect::Receipt(receipt) => {
                let (receipt, sent) = *receipt;
                super::record_delivery(conn, std::mem::take(pending), &receipt, &sent, policy, now)
                    .await?;
            }
            Effect::Failure {
                envelope_id,
                reason,
                onward,
            } => failed(conn, pending, h, envelope_id, reason, onward, policy, now).await?,
        }
        Ok(())
    }
}

/// A hub's failure report for an envelope of ours (or, at a hub, one it
/// relayed): the outbox entry is rejected, the report goes one leg further
/// back, and the trace's history says why.
#[allow(clippy::too_many_arguments)]
async fn failed(
    conn: &mut AnyConnection,
    pending: &mut Writes,
    h: &Header,
    envelope_id: EnvelopeId,
    reason: String,
    onward: Option<Box<Outgoing>>,
    policy: &DeadlinePolicy,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    let Some(row) = outbox::get(conn, envelope_id).await? else {
        return Err(ServiceError::NotFound(format!(
            "no envelope {envelope_id} sent from here"
        )));
    };
    if row.next_hop.is_none() && row.state == outbox::OutboxState::Pending {
        // The report came faster than our record of handing the envelope
        // over: the sender tries again shortly.
        return Err(ServiceError::NotYet(format!(
            "envelope {envelope_id} is still being handed over here"
        )));
    }
    if row.next_hop.as_deref() != Some(h.origin.to_string().as_str()) {
        return Err(ServiceError::PermissionDenied(format!(
            "{} did not carry envelope {envelope_id}",
            h.origin
        )));
    }
    outbox::reject_relayed(conn, envelope_id, &h.origin.to_string(), &reason, now).await?;
    if let Some(onward) = onward {
        let destination = onward.0.destination.clone();
        let mut writes = std::mem::take(pending);
        pipeline::outgoing_writes(&mut writes, *onward, now);
        audit::append_after(
            conn,
            writes,
            now,
            &h.origin.to_string(),
            "delivery_refused",
            &format!("envelope {envelope_id}"),
            &format!("reported back to {destination}"),
        )
        .await?;
    }
    if traces::exists(conn, row.trace_id).await? {
        let t = Transition::new(Change::Note(row.trace_id)).event(
            Event::new(
                "delivery_refused",
                Actor::Participant(h.origin.clone()),
                kinds::not_delivered(&reason),
            )
            .about(envelope_id),
        );
        pipeline::apply(conn, pending, t, policy, now).await?;
    }
    Ok(())
}

/// One incoming message: who handed it over, its header, its content.
struct Incoming<'a> {
    from: &'a ParticipantId,
    h: &'a Header,
    payload: &'a pb::Payload,
    now: OffsetDateTime,
}

fn incoming<'a>(
    from: &'a ParticipantId,
    h: &'a Header,
    payload: &'a pb::Payload,
    now: OffsetDateTime,
) -> Incoming<'a> {
    Incoming {
        from,
        h,
        payload,
        now,
    }
}

impl Incoming<'_> {
    fn sender(&self) -> Actor {
        Actor::Participant(self.h.origin.clone())
    }

    /// " (relayed by hub:X)" when a hub handed it over; nothing otherwise.
    fn relayed(&self) -> pb::FactArg {
        if self.from != &self.h.origin {
            fact::word(
                "relayed",
                fact::fact("history-relayed-by", [fact::text("hub", self.from)]),
            )
        } else {
            fact::text("relayed", "")
        }
    }

    /// The event of this message arriving: its kind and facts.
    fn received(&self) -> Event {
        Event::new(
            kinds::received(self.h.kind),
            self.sender(),
            fact::fact(
                "history-received",
                [
                    fact::word("message", kinds::facts(self.payload)),
                    fact::text("origin", &self.h.origin),
                    self.relayed(),
                ],
            ),
        )
        .about(self.h.id)
    }

    /// Where the message's content came from.
    fn source(&self) -> Source {
        Source::message(Provider::Participant(self.h.origin.clone()), self.h.id)
    }
}

impl Node {
    pub(super) async fn effect_of(
        &self,
        from: &ParticipantId,
        h: &Header,
        mut payload: pb::Payload,
        now: OffsetDateTime,
    ) -> ServiceResult<Effect> {
        use pb::payload::Body as B;
        if matches!(payload.body, Some(B::Request(_))) {
            // A request goes whole into its trace: taken, not copied.
            let received = incoming(from, h, &payload, now).received();
            if let Some(B::Request(request)) = payload.body.take() {
                let m = incoming(from, h, &payload, now);
                return Ok(Effect::of(self.request_received(&m, received, request)?));
            }
        }
        let m = incoming(from, h, &payload, now);
        match payload.body.as_ref() {
            Some(B::SharedInformation(shared)) => {
                Ok(Effect::of(vec![information_received(&m, shared)]))
            }
            Some(B::Receipt(signed)) => {
                let (receipt, sent) = self.check_relayed_receipt(from, signed, now).await?;
                Ok(Effect::Receipt(Box::new((receipt, sent))))
            }
            Some(B::Consent(c)) => self.consent_received(&m, c).await,
            Some(B::ConsentRequest(_)) => Ok(Effect::of(vec![self.consent_asked(&m).await?])),
            Some(B::BrokerNotice(_)) => Ok(Effect::of(vec![broker_notice(&m)])),
            Some(B::OnBehalfRequest(ob)) => Ok(Effect::of(vec![self.take_on_behalf(&m, ob)?])),
            Some(B::DeliveryFailure(d)) => self.failure_reported(&m, d).await,
            Some(_) => Ok(Effect::of(self.step_received(&m).await?)),
            None => Err(ServiceError::invalid("payload", "empty")),
        }
    }

    /// A new request: a trace where we are the requested state, returned
    /// at once if incomplete and our policy says so (10.2).
    /// `m` no longer holds the request: `received` is the event of its
    /// arrival, made before it was taken.
    fn request_received(
        &self,
        m: &Incoming<'_>,
        mut received: Event,
        mut request: pb::TraceRequest,
    ) -> ServiceResult<Vec<Transition>> {
        let missing = completeness::check(&request);
        let flags = crate::bounds::flags_in(&mut request);
        let cannot_provide_all = request.cannot_provide_all;
        let marking = held_under(request.marking.as_ref());
        let trace = TraceRow {
            trace_id: m.h.trace_id,
            case_id: m.h.case_id,
            role: TraceRole::Requested,
            counterpart: m.h.origin.clone(),
            state: TraceState::Delivered,
            request: Marked::new(request, marking, m.source()),
            draft: None,
            awaiting: Awaiting::Nothing,
            on_behalf_of: m.h.on_behalf_of.clone(),
            opened_at: m.now,
            received_at: Some(m.now),
            due: deadlines::on_receipt(&self.config.deadlines, m.now),
            updated_at: m.now,
            missing: missing.clone(),
            flags,
        };
        received.kind = "request_received".into();
        if !missing.is_empty() {
            received.detail.push_str(&format!(
                "; incomplete (10.2), missing: {}",
                missing
                    .iter()
                    .map(|e| e.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let returned = self.auto_return(&trace, cannot_provide_all, &missing)?;
        let mut out = vec![Transition::new(Change::open(trace)).event(received)];
        out.extend(returned);
        Ok(out)
    }

    /// 10.2: an incomplete request returned by policy, without an officer
    /// (never one whose sender declared it cannot provide everything).
    fn auto_return(
        &self,
        trace: &TraceRow,
        cannot_provide_all: bool,
        missing: &[pb::MissingElement],
    ) -> ServiceResult<Option<Transition>> {
        if missing.is_empty()
            || cannot_provide_all
            || self.config.completeness == CompletenessPolicy::Queue
        {
            return Ok(None);
        }
        let payload = pb::Payload {
            body: Some(pb::payload::Body::ReturnForCompletion(
                pb::ReturnForCompletion {
                    missing: missing.to_vec(),
                    note: "Returned automatically: the request lacks elements of ISACS 05.31 9.2. \
                       Please resubmit it with the information listed."
                        .into(),
                    automatic: true,
                },
            )),
        };
        let outgoing = self.own_message(trace, payload, trace.request.marking().clone())?;
        let id = outgoing.0.id;
        Ok(Some(
            Transition::new(Change::step(trace.trace_id, Step::ReturnForCompletion))
                .event(
                    Event::new(
                        "returned for completion",
                        Actor::Node,
                        fact::code("history-returned-automatically"),
                    )
                    .about(id),
                )
                .send(outgoing),
        ))
    }

    /// A message that takes a lifecycle step: checked against the trace
    /// (its sender must be the other side of ours), and, as it calls for,
    /// a resubmitted request checked again, a follow-up drafted from an
    /// export, or the message passed on by a hub conducting the trace.
    async fn step_received(&self, m: &Incoming<'_>) -> ServiceResult<Vec<Transition>> {
        use pb::payload::Body as B;
        let step = kinds::step_of(m.payload)
            .ok_or_else(|| ServiceError::invalid("payload", "unexpected message"))?;
        let mut delay_until = None;
        let mut new_request = None;
        match m.payload.body.as_ref() {
            Some(B::Delay(d)) => {
                delay_until = d.new_response_due.as_ref().and_then(from_timestamp);
                if delay_until.is_none() {
                    return Err(ServiceError::invalid("delay.newResponseDue", "missing"));
                }
            }
            Some(B::Resubmission(r)) => {
                new_request = Some(
                    r.request
                        .clone()
                        .ok_or_else(|| ServiceError::invalid("resubmission.request", "missing"))?,
                );
            }
            _ => {}
        }
        let forward = self.pass_on(m).await?;
        let h = m.h.clone();
        let source = m.source();
        let resubmitted = new_request
            .as_ref()
            .map(|r| (completeness::check(r), crate::bounds::flags_of(r)));
        let completion = new_request
            .as_ref()
            .zip(resubmitted.as_ref())
            .map(|(r, (missing, _))| (r.cannot_provide_all, missing.clone()));
        let mut out = vec![
            Transition::new(Change::Step {
                trace_id: m.h.trace_id,
                step: Some(step),
                delay_until,
                check: Arc::new(move |t| {
                    check_counterpart(t, &h)?;
                    check_sender_side(t, &h, step)
                }),
                update: Arc::new(move |t| {
                    if let Some((missing, flags)) = resubmitted.clone() {
                        t.missing = missing;
                        t.flags = flags;
                        t.received_at = Some(t.updated_at);
                    }
                }),
                request: new_request.map(|request| {
                    let marking = held_under(request.marking.as_ref());
                    Box::new(Marked::new(request, marking, source))
                }),
            })
            .event(m.received()),
        ];
        // A hub passes answers on; the member, not the hub, decides on
        // follow-ups and completions.
        if let Some(forward) = forward {
            let id = forward.0.id;
            let to = forward.0.destination.clone();
            out.push(
                Transition::new(Change::Note(m.h.trace_id))
                    .event(
                        Event::new(
                            "passed_on",
                            Actor::Node,
                            fact::fact("history-passed-on", [fact::text("to", &to)]),
                        )
                        .about(id),
                    )
                    .send(forward),
            );
            return Ok(out);
        }
        if let Some((cannot_provide_all, missing)) = completion {
            let trace = self.trace_here(m.h.trace_id).await?;
            out.extend(self.auto_return(trace.row(), cannot_provide_all, &missing)?);
        }
        if let Some(B::Response(r)) = m.payload.body.as_ref() {
            out.extend(self.follow_up_of(m, r).await?);
        }
        Ok(out)
    }

    /// The trace `id`, its request as a head.
    async fn trace_here(&self, id: TraceId) -> ServiceResult<TraceHead> {
        traces::head_from_pool(self.store.pool(), id)
            .await?
            .ok_or_else(|| ServiceError::FailedPrecondition(format!("no trace {id} here")))
    }

    /// A response reporting an export (10.4.3): the follow-up to the
    /// importing state, drafted from our request and the finding, with each
    /// field's provenance and marking, waiting for the officer.
    async fn follow_up_of(
        &self,
        m: &Incoming<'_>,
        response: &pb::TraceResponse,
    ) -> ServiceResult<Option<Transition>> {
        let (Some(responder), Some(original)) = (
            m.h.origin.state(),
            traces::get_from_pool(self.store.pool(), m.h.trace_id).await?,
        ) else {
            return Ok(None);
        };
        let Some(ours) = original.request.own() else {
            return Ok(None);
        };
        let Some(mut draft) = draft::follow_up(
            ours,
            &held_under(ours.marking.as_ref()),
            response,
            responder,
            m.h.id,
        ) else {
            return Ok(None);
        };
        let Some(importing) = draft::importing_state(&draft) else {
            return Ok(None);
        };
        // Routed now, so that the officer sees the grounds (9.2.1 b) it
        // would be sent with.
        if let Ok(decision) = crate::routing::route(&draft.request) {
            draft.request.grounds = Some(crate::routing::grounds(&decision));
            draft.request.requested_state = decision.state.to_string();
        }
        let finding = draft
            .fields
            .first()
            .map(|f| f.marking.clone())
            .unwrap_or_else(|| draft.marking());
        let trace_id = TraceId::new_v7(m.now);
        let proposal = TraceRow {
            trace_id,
            case_id: original.case_id,
            role: TraceRole::Requester,
            counterpart: ParticipantId::State(importing),
            state: TraceState::Drafted,
            missing: completeness::check(&draft.request),
            flags: crate::bounds::flags_of(&draft.request),
            request: Marked::from_sources(draft.stored_request(), draft.marking(), draft.sources()),
            draft: Some(draft.provenance()),
            awaiting: Awaiting::Nothing,
            on_behalf_of: None,
            opened_at: m.now,
            received_at: None,
            due: Due::default(),
            updated_at: m.now,
        };
        Ok(Some(
            Transition::new(Change::open(proposal)).event(
                Event::new(
                    "follow_up_proposed",
                    Actor::Node,
                    fact::fact(
                        "history-follow-up-proposed",
                        [
                            fact::text("origin", &m.h.origin),
                            fact::text("state", importing),
                            fact::text("trace", trace_id),
                        ],
                    ),
                )
                // Where the items went is the finding's content.
                .derived(finding, vec![m.source()]),
            ),
        ))
    }

    /// 11.3.1: a member asks this hub to initiate and conduct a trace. The hub
    /// becomes the requester of record toward the requested state, under the
    /// same case and trace ids, and names the member in `on_behalf_of`.
    fn take_on_behalf(
        &self,
        m: &Incoming<'_>,
        ob: &pb::OnBehalfRequest,
    ) -> ServiceResult<Transition> {
        if !self.is_hub() {
            return Err(ServiceError::FailedPrecondition(format!(
                "{} is not a hub: it cannot conduct traces on a member's behalf",
                self.participant()
            )));
        }
        let request = ob
            .request
            .clone()
            .ok_or_else(|| ServiceError::invalid("onBehalfRequest.request", "missing"))?;
        let requested: ParticipantId = request
            .requested_state
            .parse::<crate::ids::StateCode>()
            .map(ParticipantId::State)
            .map_err(|e| {
                ServiceError::invalid("onBehalfRequest.request.requestedState", e.to_string())
            })?;
        self.check_route(&requested)?;
        let marking = held_under(request.marking.as_ref());
        let trace = TraceRow {
            trace_id: m.h.trace_id,
            case_id: m.h.case_id,
            role: TraceRole::OnBehalf,
            counterpart: requested.clone(),
            state: transition(TraceState::Drafted, Step::Send)?,
            missing: completeness::check(&request),
            flags: crate::bounds::flags_of(&request),
            request: Marked::new(request.clone(), marking.clone(), m.source()),
            draft: None,
            awaiting: Awaiting::Nothing,
            on_behalf_of: Some(m.h.origin.clone()),
            opened_at: m.now,
            received_at: None,
            due: Due::default(),
            updated_at: m.now,
        };
        let payload = pb::Payload {
            body: Some(pb::payload::Body::Request(request)),
        };
        let (rh, renv) = self.make_envelope(
            m.h.case_id,
            m.h.trace_id,
            &requested,
            &payload,
            &marking.to_proto(),
            Some(m.h.origin.clone()),
        )?;
        let id = rh.id;
        Ok(Transition::new(Change::open(trace))
            .event(
                Event::new(
                    "on_behalf_request",
                    m.sender(),
                    fact::fact(
                        "history-on-behalf",
                        [
                            fact::text("member", &m.h.origin),
                            fact::text("state", &requested),
                        ],
                    ),
                )
                .about(id),
            )
            .send(pipeline::outgoing(rh, renv, &payload)))
    }

    /// On a trace this hub conducts for a member, the message passed on to
    /// the other party, unchanged (markings intact): the hub is a conduit
    /// between the parties of the trace.
    async fn pass_on(&self, m: &Incoming<'_>) -> ServiceResult<Option<Outgoing>> {
        let Some(head) = traces::head_from_pool(self.store.pool(), m.h.trace_id).await? else {
            return Ok(None);
        };
        let trace = head.row();
        let (TraceRole::OnBehalf, Some(member)) = (trace.role, &trace.on_behalf_of) else {
            return Ok(None);
        };
        let (to, on_behalf_of) = if &m.h.origin == member {
            (trace.counterpart.clone(), Some(member.clone()))
        } else {
            (member.clone(), None)
        };
        let content = Marked::new(
            m.payload.clone(),
            held_under(Some(&m.h.marking)),
            m.source(),
        );
        let released = release(
            &content,
            &Audience::Party(to.clone()),
            &Default::default(),
            Whole::Required,
        )
        .map_err(super::super::onward::refused)?;
        let payload = released.into_value();
        let (fh, fenv) = self.make_envelope(
            m.h.case_id,
            m.h.trace_id,
            &to,
            &payload,
            &m.h.marking,
            on_behalf_of,
        )?;
        Ok(Some(pipeline::outgoing(fh, fenv, &payload)))
    }

    /// A provider's consent (10.3): taken only from the participant that
    /// provided the information it covers, and recorded; drafts waiting for
    /// it may then go.
    async fn consent_received(&self, m: &Incoming<'_>, c: &pb::Consent) -> ServiceResult<Effect> {
        let trace = self.trace_here(m.h.trace_id).await?;
        let provider = self.provider_of(trace.row(), &c.regarding).await?;
        if provider != m.h.origin {
            return Err(ServiceError::PermissionDenied(format!(
                "{} did not provide the information it consents to the use of; only {provider} may",
                m.h.origin
            )));
        }
        let forward = self.pass_on(m).await?;
        let mut t = Transition::new(Change::Note(m.h.trace_id)).event(m.received());
        if let Some(forward) = forward {
            t = t.send(forward);
        }
        if let Some(consent) = consent_of(c, &m.h.origin)? {
            t = t.write(traces::consent_write(&ConsentRow {
                trace_id: m.h.trace_id,
                envelope_id: m.h.id.to_string(),
                consent,
                granted_at: m.now,
            }));
        }
        Ok(Effect::Transitions {
            transitions: vec![t],
            consent: !c.declined,
        })
    }

    /// Who provided the information a consent is about: the sender of the
    /// response it names, or the other side of the trace (never the member
    /// a hub conducts the trace for).
    async fn provider_of(&self, trace: &TraceRow, regarding: &str) -> ServiceResult<ParticipantId> {
        if regarding.trim().is_empty() {
            return Ok(trace.counterpart.clone());
        }
        let id: EnvelopeId = regarding
            .trim()
            .parse()
            .map_err(|_| ServiceError::invalid("consent.regarding", "not an envelope id"))?;
        match envelopes::signed(self.store.pool(), id).await? {
            Some(e) if e.header.trace_id == trace.trace_id && e.direction == Direction::In => {
                Ok(e.header.origin)
            }
            _ => Err(ServiceError::invalid(
                "consent.regarding",
                "no message of this trace came from the sender with that id",
            )),
        }
    }

    /// A consent asked of us, the provider: the trace waits for our answer
    /// (it is in our inbox).
    async fn consent_asked(&self, m: &Incoming<'_>) -> ServiceResult<Transition> {
        let forward = self.pass_on(m).await?;
        let h = m.h.clone();
        let mut t = Transition::new(Change::Step {
            trace_id: m.h.trace_id,
            step: None,
            delay_until: None,
            check: Arc::new(move |t| check_counterpart(t, &h)),
            update: Arc::new(|t| {
                if t.role == TraceRole::Requested {
                    t.awaiting = Awaiting::ConsentAsked;
                }
            }),
            request: None,
        })
        .event(m.received());
        if let Some(forward) = forward {
            t = t.send(forward);
        }
        Ok(t)
    }

    /// A hub reports that an envelope of ours it had signed for was refused
    /// further on; at a hub, it is reported one leg further back.
    async fn failure_reported(
        &self,
        m: &Incoming<'_>,
        d: &pb::DeliveryFailure,
    ) -> ServiceResult<Effect> {
        if !m.h.origin.is_hub() {
            return Err(ServiceError::PermissionDenied(
                "only a hub reports delivery failures".into(),
            ));
        }
        let envelope_id = d
            .envelope_id
            .parse()
            .map_err(|_| ServiceError::invalid("deliveryFailure.envelopeId", "not an id"))?;
        let reason = format!("{}: {}", m.h.origin, d.reason);
        Ok(Effect::Failure {
            envelope_id,
            onward: self
                .failure_notice(envelope_id, &reason)
                .await?
                .map(Box::new),
            reason,
        })
    }
}

/// Information another participant passed on to us: open, with the
/// identification it concerns, until an officer has read it.
fn information_received(m: &Incoming<'_>, shared: &pb::SharedInformation) -> Transition {
    let marking = shared
        .response
        .as_ref()
        .and_then(|r| r.marking.clone())
        .unwrap_or_else(|| m.h.marking.clone());
    let request = pb::TraceRequest {
        marking: Some(marking),
        items: shared.items.clone(),
        ..Default::default()
    };
    let trace = TraceRow {
        trace_id: m.h.trace_id,
        case_id: m.h.case_id,
        role: TraceRole::Informed,
        counterpart: m.h.origin.clone(),
        state: TraceState::Delivered,
        request: Marked::new(
            request.clone(),
            held_under(request.marking.as_ref()),
            m.source(),
        ),
        draft: None,
        awaiting: Awaiting::InformationToRead,
        on_behalf_of: None,
        opened_at: m.now,
        received_at: Some(m.now),
        due: Due::default(),
        updated_at: m.now,
        missing: vec![],
        flags: vec![],
    };
    let mut event = m.received();
    event.kind = "information_received".into();
    Transition::new(Change::open(trace)).event(event)
}

/// A broker's notice: recorded on the trace it concerns (the broker is not
/// a party to it).
fn broker_notice(m: &Incoming<'_>) -> Transition {
    Transition::new(Change::Note(m.h.trace_id)).event(m.received())
}

/// The consent a provider's message gives, if it gives one.
fn consent_of(c: &pb::Consent, provider: &ParticipantId) -> ServiceResult<Option<Consent>> {
    if c.declined {
        return Ok(None);
    }
    let use_ = crate::policy::Use::try_from_onward_wire(c.r#use, "consent.use")
        .map_err(|e| ServiceError::invalid("consent.use", e.to_string()))?;
    let restrictions = std::iter::once(c.restriction)
        .chain(c.restrictions.iter().copied())
        .filter(|r| *r != 0)
        .map(|r| {
            Restriction::try_from_wire(r, "consent.restrictions")
                .map_err(|e| ServiceError::invalid("consent.restrictions", e.to_string()))
        })
        .collect::<ServiceResult<_>>()?;
    let destination = if c.destination.trim().is_empty() {
        None
    } else {
        Some(
            c.destination
                .trim()
                .parse()
                .map_err(|_| ServiceError::invalid("consent.destination", "not a participant"))?,
        )
    };
    Ok(Some(Consent {
        provider: provider.clone(),
        regarding: c.regarding.trim().parse().ok(),
        use_,
        tlp: c.lifts_tlp && destination.is_some(),
        destination,
        restrictions,
    }))
}

/// The sender's side of a step must be the other side of ours. On a trace
/// a hub conducts for a member, the member speaks for the requesting side.
fn check_sender_side(trace: &TraceRow, h: &Header, step: Step) -> ServiceResult<()> {
    let from_member =
        trace.role == TraceRole::OnBehalf && trace.on_behalf_of.as_ref() == Some(&h.origin);
    let ours = if trace.role.is_requesting() && !from_member {
        Side::Requester
    } else {
        Side::Requested
    };
    if step.taken_by() == ours {
        return Err(ServiceError::FailedPrecondition(format!(
            "only the {} side may {} this trace",
            match ours {
                Side::Requester => "requesting",
                Side::Requested => "requested",
            },
            step.as_str()
        )));
    }
    Ok(())
}

/// The sender of a message about a trace must be the trace's counterpart, or
/// the hub that conducts it on a member's behalf. A broker's notice comes
/// from the hub that checked the request, which is not a party.
fn check_counterpart(trace: &TraceRow, h: &Header) -> ServiceResult<()> {
    if h.origin == trace.counterpart
        || trace.on_behalf_of.as_ref() == Some(&h.origin)
        || (h.kind == pb::PayloadKind::BrokerNotice && h.origin.is_hub())
    {
        Ok(())
    } else {
        Err(ServiceError::PermissionDenied(format!(
            "{} is not a party to trace {}",
            h.origin, trace.trace_id
        )))
    }
}
