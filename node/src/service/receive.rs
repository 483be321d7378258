//! Receiving envelopes from the federation. Identity comes from the verified
//! TLS certificate; the origin's signature is checked against its pinned CA
//! before anything is stored; and the envelope, its effect on the trace, the
//! event, the audit entry and the signed receipt are committed in one
//! transaction keyed by the envelope id, so a retried delivery is answered
//! with the original receipt and applied once.

use iti_proto::v1 as pb;
use sqlx::AnyConnection;
use time::OffsetDateTime;

use super::{
    Actor, Node, ServiceError, ServiceResult, queue_outgoing, record_event, record_event_after,
};
use crate::case::chain;
use crate::case::completeness;
use crate::case::machine::{Side, Step, TraceState, transition};
use crate::case::role::TraceRole;
use crate::clock::from_timestamp;
use crate::config::CompletenessPolicy;
use crate::deadlines::{self, Due};
use crate::envelope::{self, EnvelopeError, Header, Verified};
use crate::identity::Identity;
use crate::ids::{ParticipantId, TraceId};
use crate::store::envelopes::{self, Direction, ReceiptRow};
use crate::store::traces::{self, ConsentRow, TraceRow};
use crate::store::{StoreError, Writes, audit, boxed, outbox};

/// The answer to a delivery: the receiver's signed receipt.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub receipt: pb::SignedReceipt,
    pub duplicate: bool,
    /// A hub's answer for an envelope it passed straight through: the
    /// destination's receipt.
    pub destination_receipt: Option<pb::SignedReceipt>,
}

/// A prepared outgoing envelope (built before the write job).
type Outgoing = (Header, pb::Envelope, pb::Payload);

/// What an incoming envelope does, worked out before the write job. Made
/// and consumed once per delivery, so variant sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Effect {
    NewTrace {
        trace: Box<TraceRow>,
        auto_return: Option<Outgoing>,
        kind: &'static str,
        detail: String,
    },
    Step {
        step: Step,
        detail: String,
        delay_until: Option<OffsetDateTime>,
        new_request: Option<Box<pb::TraceRequest>>,
        auto_return: Option<Outgoing>,
        follow_up: Option<Box<pb::TraceRequest>>,
        /// On a hub's on-behalf trace: the same message, passed on.
        forward: Option<Outgoing>,
    },
    /// A message that changes no state: consent, consent request, notices.
    Note {
        consent: Option<(i32, i32, String)>,
        detail: String,
        forward: Option<Outgoing>,
    },
    /// A destination's receipt for an envelope of ours, relayed by a hub.
    Receipt(Box<envelope::VerifiedReceipt>, SentEnvelope),
    /// A hub reports that an envelope of ours it had signed for was refused
    /// further on.
    Failure {
        envelope_id: crate::ids::EnvelopeId,
        reason: String,
    },
    /// A hub asked by a member to conduct a trace on its behalf (11.3.1).
    OnBehalf {
        trace: Box<TraceRow>,
        request: Outgoing,
    },
}

fn step_of(payload: &pb::Payload) -> Option<Step> {
    use pb::payload::Body as B;
    Some(match payload.body.as_ref()? {
        B::Acknowledgement(_) => Step::Acknowledge,
        B::ReturnForCompletion(_) => Step::ReturnForCompletion,
        B::Resubmission(_) => Step::Resubmit,
        B::Response(r) if r.restricted => Step::RespondRestricted,
        B::Response(_) => Step::Respond,
        B::Delay(_) => Step::Delay,
        B::Refusal(_) => Step::Refuse,
        B::ClarificationRequest(_) => Step::RequestClarification,
        B::ClarificationReply(_) => Step::AnswerClarification,
        B::Closure(_) => Step::Close,
        _ => return None,
    })
}

fn refusal_status(e: &EnvelopeError) -> ServiceError {
    match e {
        EnvelopeError::BadSignature
        | EnvelopeError::SignerNotOrigin { .. }
        | EnvelopeError::Signer(_) => {
            ServiceError::PermissionDenied(format!("envelope refused: {e}"))
        }
        _ => ServiceError::invalid("envelope", e.to_string()),
    }
}

impl Node {
    /// Handles one envelope delivered by the authenticated `peer`.
    pub async fn receive(&self, peer: &Identity, env: pb::Envelope) -> ServiceResult<Delivered> {
        let from = match peer {
            Identity::Node(p) => p.clone(),
            Identity::Officer(o) => {
                return Err(ServiceError::PermissionDenied(format!(
                    "officer certificates ({o}) are not accepted on the federation port; \
                     officers use their own node's local port"
                )));
            }
        };
        if &from == self.participant() {
            return Err(ServiceError::PermissionDenied(
                "a node does not deliver to itself".into(),
            ));
        }
        if !self.peering.is_peer(&from) {
            return Err(ServiceError::PermissionDenied(format!(
                "{from} is not a peer of this node"
            )));
        }
        let now = self.now();
        let verified = match envelope::verify(&env, &self.trust, now) {
            Ok(v) => v,
            Err(e) => {
                self.record_refused_envelope(&from, &env, &e, now).await?;
                return Err(refusal_status(&e));
            }
        };
        let h = &verified.header;
        if h.origin != from && !from.is_hub() {
            // Genuine, but replayed or forwarded by a state that is not its
            // origin: refused and, like a forgery, kept in the audit trail.
            let reason = format!(
                "envelope origin {} differs from the authenticated peer {from}",
                h.origin
            );
            self.record_refused_envelope(&from, &verified.envelope, &reason, now)
                .await?;
            return Err(ServiceError::PermissionDenied(reason));
        }
        if &h.destination != self.participant() {
            if self.is_hub() {
                return self.relay(&from, verified, now).await;
            }
            return Err(ServiceError::FailedPrecondition(format!(
                "misaddressed: this node is {}, the envelope is for {}",
                self.participant(),
                h.destination
            )));
        }
        self.deliver_locally(&from, verified, now).await
    }

    /// Records a refused (tampered, forged or misattributed) envelope in the
    /// audit trail.
    async fn record_refused_envelope(
        &self,
        from: &ParticipantId,
        env: &pb::Envelope,
        e: &(dyn std::fmt::Display + Sync),
        now: OffsetDateTime,
    ) -> ServiceResult<()> {
        // Only routing facts: an unverified envelope's content is not trusted
        // and, being possibly confidential, is not logged.
        let about = Header::decode(&env.header)
            .map(|h| format!("envelope {} ({} → {})", h.id, h.origin, h.destination))
            .unwrap_or_else(|_| "an envelope with an unreadable header".into());
        tracing::warn!(%from, reason = %e, "refused envelope");
        let detail = format!("refused {about} delivered by {from}: {e}");
        let from = from.to_string();
        self.store
            .write(move |conn| {
                boxed(async move {
                    audit::append(conn, now, &from, "envelope_refused", "federation", &detail)
                        .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await
    }

    fn open_payload(&self, v: &Verified) -> ServiceResult<pb::Payload> {
        match &v.header.sealing {
            None => v.plain_payload(),
            Some(sealing) => {
                let key = self.opening_key.as_ref().ok_or_else(|| {
                    ServiceError::FailedPrecondition(
                        "sealed payload, but this node has no sealing key".into(),
                    )
                })?;
                let bytes = key.open(sealing, &v.envelope.header, &v.envelope.payload)?;
                envelope::decode_payload(&v.header, &bytes)
            }
        }
        .map_err(|e| ServiceError::invalid("envelope.payload", e.to_string()))
    }

    /// Whether to return an incomplete request automatically (10.2), and the
    /// envelope that does it.
    fn auto_return(
        &self,
        h: &Header,
        request: &pb::TraceRequest,
        missing: &[pb::MissingElement],
    ) -> ServiceResult<Option<Outgoing>> {
        // 10.2: a sender that declared it cannot provide everything is never
        // returned automatically.
        if missing.is_empty()
            || request.cannot_provide_all
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
        let marking = request.marking.clone().unwrap_or_default();
        let (header, env) =
            self.make_envelope(h.case_id, h.trace_id, &h.origin, &payload, &marking, None)?;
        Ok(Some((header, env, payload)))
    }

    async fn effect_of(
        &self,
        from: &ParticipantId,
        h: &Header,
        payload: &pb::Payload,
        now: OffsetDateTime,
    ) -> ServiceResult<Effect> {
        use pb::payload::Body as B;
        match payload.body.as_ref() {
            Some(B::Request(request)) => {
                let missing = completeness::check(request);
                let auto_return = self.auto_return(h, request, &missing)?;
                let counterpart = h.origin.clone();
                let trace = TraceRow {
                    trace_id: h.trace_id,
                    case_id: h.case_id,
                    role: TraceRole::Requested,
                    counterpart,
                    state: TraceState::Delivered,
                    request: request.clone(),
                    on_behalf_of: h.on_behalf_of.clone(),
                    opened_at: now,
                    received_at: Some(now),
                    due: deadlines::on_receipt(&self.config.deadlines, now),
                    updated_at: now,
                    missing,
                    flags: crate::bounds::flags_of(request),
                };
                let detail = format!("request received from {}", h.origin);
                Ok(Effect::NewTrace {
                    trace: Box::new(trace),
                    auto_return,
                    kind: "request_received",
                    detail,
                })
            }
            Some(B::SharedInformation(shared)) => {
                // Information passed on from another participant's trace: we
                // keep it under its markings; nothing is owed.
                let marking = shared
                    .response
                    .as_ref()
                    .and_then(|r| r.marking.clone())
                    .or_else(|| Some(h.marking.clone()));
                let trace = TraceRow {
                    trace_id: h.trace_id,
                    case_id: h.case_id,
                    role: TraceRole::Informed,
                    counterpart: h.origin.clone(),
                    state: TraceState::Closed,
                    request: pb::TraceRequest {
                        marking,
                        ..Default::default()
                    },
                    on_behalf_of: None,
                    opened_at: now,
                    received_at: Some(now),
                    due: Due::default(),
                    updated_at: now,
                    missing: vec![],
                    flags: vec![],
                };
                Ok(Effect::NewTrace {
                    trace: Box::new(trace),
                    auto_return: None,
                    kind: "information_received",
                    detail: format!(
                        "{} passed on information provided by {} (case {})",
                        h.origin, shared.provided_by, shared.source_case
                    ),
                })
            }
            Some(B::Receipt(signed)) => {
                let (receipt, sent) = self.check_relayed_receipt(signed, now).await?;
                Ok(Effect::Receipt(Box::new(receipt), sent))
            }
            Some(B::Consent(c)) => Ok(Effect::Note {
                consent: Some((c.restriction, c.r#use, c.regarding.clone())),
                detail: super::act::describe_payload(payload),
                forward: self.pass_on(h, payload).await?,
            }),
            Some(B::ConsentRequest(_)) | Some(B::BrokerNotice(_)) => Ok(Effect::Note {
                consent: None,
                detail: super::act::describe_payload(payload),
                forward: self.pass_on(h, payload).await?,
            }),
            Some(B::OnBehalfRequest(ob)) => self.take_on_behalf(h, ob, now),
            Some(B::DeliveryFailure(d)) => {
                if !h.origin.is_hub() {
                    return Err(ServiceError::PermissionDenied(
                        "only a hub reports delivery failures".into(),
                    ));
                }
                Ok(Effect::Failure {
                    envelope_id: d.envelope_id.parse().map_err(|_| {
                        ServiceError::invalid("deliveryFailure.envelopeId", "not an id")
                    })?,
                    reason: format!("{}: {}", h.origin, d.reason),
                })
            }
            Some(_) => {
                let step = step_of(payload)
                    .ok_or_else(|| ServiceError::invalid("payload", "unexpected message"))?;
                let _ = from;
                let mut delay_until = None;
                let mut new_request = None;
                let mut auto_return = None;
                let mut follow_up = None;
                match payload.body.as_ref() {
                    Some(B::Delay(d)) => {
                        delay_until = d.new_response_due.as_ref().and_then(from_timestamp);
                        if delay_until.is_none() {
                            return Err(ServiceError::invalid("delay.newResponseDue", "missing"));
                        }
                    }
                    Some(B::Resubmission(r)) => {
                        let request = r.request.clone().ok_or_else(|| {
                            ServiceError::invalid("resubmission.request", "missing")
                        })?;
                        let missing = completeness::check(&request);
                        auto_return = self.auto_return(h, &request, &missing)?;
                        new_request = Some(Box::new(request));
                    }
                    Some(B::Response(r)) => {
                        let responder = h.origin.state();
                        if let (Some(responder), Some(original)) = (
                            responder,
                            traces::get_from_pool(self.store.pool(), h.trace_id).await?,
                        ) {
                            follow_up =
                                chain::follow_up(&original.request, r, responder).map(Box::new);
                        }
                    }
                    _ => {}
                }
                let forward = self.pass_on(h, payload).await?;
                if forward.is_some() {
                    // The hub passes answers on; the member, not the hub,
                    // decides on follow-ups and completions.
                    follow_up = None;
                    auto_return = None;
                }
                Ok(Effect::Step {
                    step,
                    detail: super::act::describe_payload(payload),
                    delay_until,
                    new_request,
                    auto_return,
                    follow_up,
                    forward,
                })
            }
            None => Err(ServiceError::invalid("payload", "empty")),
        }
    }

    /// 11.3.1: a member asks this hub to initiate and conduct a trace. The hub
    /// becomes the requester of record toward the requested state, under the
    /// same case and trace ids, and names the member in `on_behalf_of`.
    fn take_on_behalf(
        &self,
        h: &Header,
        ob: &pb::OnBehalfRequest,
        now: OffsetDateTime,
    ) -> ServiceResult<Effect> {
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
        let payload = pb::Payload {
            body: Some(pb::payload::Body::Request(request.clone())),
        };
        let marking = request.marking.clone().unwrap_or_default();
        let (rh, renv) = self.make_envelope(
            h.case_id,
            h.trace_id,
            &requested,
            &payload,
            &marking,
            Some(h.origin.clone()),
        )?;
        let trace = TraceRow {
            trace_id: h.trace_id,
            case_id: h.case_id,
            role: TraceRole::OnBehalf,
            counterpart: requested,
            state: transition(TraceState::Drafted, Step::Send)?,
            missing: completeness::check(&request),
            flags: crate::bounds::flags_of(&request),
            request,
            on_behalf_of: Some(h.origin.clone()),
            opened_at: now,
            received_at: None,
            due: Due::default(),
            updated_at: now,
        };
        Ok(Effect::OnBehalf {
            trace: Box::new(trace),
            request: (rh, renv, payload),
        })
    }

    /// On a trace this hub conducts for a member, the message passed on to
    /// the other party, unchanged (markings intact).
    async fn pass_on(&self, h: &Header, payload: &pb::Payload) -> ServiceResult<Option<Outgoing>> {
        let Some(trace) = traces::get_from_pool(self.store.pool(), h.trace_id).await? else {
            return Ok(None);
        };
        let (TraceRole::OnBehalf, Some(member)) = (trace.role, &trace.on_behalf_of) else {
            return Ok(None);
        };
        let (to, on_behalf_of) = if &h.origin == member {
            (trace.counterpart.clone(), Some(member.clone()))
        } else {
            (member.clone(), None)
        };
        let (fh, fenv) = self.make_envelope(
            h.case_id,
            h.trace_id,
            &to,
            payload,
            &h.marking,
            on_behalf_of,
        )?;
        Ok(Some((fh, fenv, payload.clone())))
    }

    /// A destination's receipt relayed back by a hub: verify it against the
    /// envelope we sent and the destination's CA.
    async fn check_relayed_receipt(
        &self,
        signed: &pb::SignedReceipt,
        now: OffsetDateTime,
    ) -> ServiceResult<(envelope::VerifiedReceipt, SentEnvelope)> {
        use prost::Message;
        let receipt = pb::Receipt::decode(signed.receipt.as_slice())
            .map_err(|_| ServiceError::invalid("receipt", "malformed"))?;
        let id = receipt
            .envelope_id
            .parse()
            .map_err(|_| ServiceError::invalid("receipt.envelopeId", "not an id"))?;
        let ours = envelopes::get_from_pool(self.store.pool(), id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("receipt for unknown envelope {id}")))?;
        let verified = envelope::verify_receipt(signed, &ours.envelope, &self.trust, now)
            .map_err(|e| ServiceError::PermissionDenied(e.to_string()))?;
        if verified.receiver != ours.header.destination {
            return Err(ServiceError::PermissionDenied(format!(
                "receipt signed by {}, but the envelope was for {}",
                verified.receiver, ours.header.destination
            )));
        }
        let sent = SentEnvelope {
            kind: ours.header.kind,
            trace_id: ours.header.trace_id,
            outbox_done: false,
        };
        Ok((verified, sent))
    }

    async fn deliver_locally(
        &self,
        from: &ParticipantId,
        verified: Verified,
        now: OffsetDateTime,
    ) -> ServiceResult<Delivered> {
        let mut payload = self.open_payload(&verified)?;
        // Bounds on what a peer sends: out of bounds is refused, naming the
        // field, and nothing but the refusal's audit entry is stored.
        if let Err(e) = crate::bounds::check(&mut payload, now) {
            self.record_refused_envelope(from, &verified.envelope, &e, now)
                .await?;
            return Err(e.into());
        }
        let effect = self
            .effect_of(from, &verified.header, &payload, now)
            .await?;
        let receipt =
            envelope::sign_receipt(self.signer(), &verified.envelope, &verified.header, now);
        let me = self.participant().to_string();
        let policy = self.config.deadlines;
        let from = from.clone();
        let kind = verified.header.kind;
        let outcome = self
            .store
            .write(move |conn| {
                boxed(async move {
                    let h = &verified.header;
                    let fresh = envelopes::insert(
                        conn,
                        h,
                        Direction::In,
                        &verified.envelope,
                        Some(&payload),
                        now,
                    )
                    .await?;
                    if !fresh {
                        let stored =
                            envelopes::receipt(conn, h.id, &me).await?.ok_or_else(|| {
                                ServiceError::Internal(format!(
                                    "duplicate envelope {} without a receipt",
                                    h.id
                                ))
                            })?;
                        return Ok::<_, ServiceError>(Delivered {
                            receipt: stored.signed,
                            duplicate: true,
                            destination_receipt: None,
                        });
                    }
                    // Our receipt goes to the database with the first writes
                    // of the effect that take it along, or else on its own.
                    let mut pending = Writes::new();
                    pending.push(envelopes::receipt_write(&ReceiptRow {
                        envelope_id: h.id,
                        receiver: me.clone(),
                        received_at: now,
                        signed: receipt.clone(),
                    }));
                    apply(conn, &mut pending, &from, h, effect, &policy, now).await?;
                    pending.execute(conn).await?;
                    Ok(Delivered {
                        receipt,
                        duplicate: false,
                        destination_receipt: None,
                    })
                })
            })
            .await?;
        if outcome.duplicate {
            self.metrics.count_duplicate();
        } else {
            self.metrics
                .count_message(crate::metrics::Direction::In, kind);
        }
        self.wake_outbox();
        Ok(outcome)
    }
}

/// "response", "clarification_request": the event kind of a received message.
fn kind_name(kind: pb::PayloadKind) -> String {
    format!(
        "{}_received",
        kind.as_str_name()
            .trim_start_matches("PAYLOAD_KIND_")
            .to_lowercase()
    )
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

async fn load_trace(conn: &mut AnyConnection, id: TraceId) -> ServiceResult<TraceRow> {
    traces::get(conn, id)
        .await?
        .ok_or_else(|| ServiceError::FailedPrecondition(format!("no trace {id} here")))
}

/// The sender of a message about a trace must be the trace's counterpart, or
/// the hub that conducts it on a member's behalf.
fn check_counterpart(trace: &TraceRow, h: &Header) -> ServiceResult<()> {
    if h.origin == trace.counterpart || trace.on_behalf_of.as_ref() == Some(&h.origin) {
        Ok(())
    } else {
        Err(ServiceError::PermissionDenied(format!(
            "{} is not a party to trace {}",
            h.origin, trace.trace_id
        )))
    }
}

/// `pending` are writes of the caller's: a branch may send them with its own
/// (taking them), and the caller sends whatever is left.
async fn apply(
    conn: &mut AnyConnection,
    pending: &mut Writes,
    from: &ParticipantId,
    h: &Header,
    effect: Effect,
    policy: &crate::deadlines::DeadlinePolicy,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    let sender = Actor::Participant(h.origin.clone());
    let relayed = if from != &h.origin {
        format!(" (relayed by {from})")
    } else {
        String::new()
    };
    match effect {
        Effect::NewTrace {
            trace,
            auto_return,
            kind,
            detail,
        } => {
            if traces::get(conn, trace.trace_id).await?.is_some() {
                return Err(ServiceError::FailedPrecondition(format!(
                    "trace {} already exists here",
                    trace.trace_id
                )));
            }
            let mut trace = *trace;
            let mut writes = std::mem::take(pending);
            writes.push(traces::insert_write(&trace));
            let missing_note = if trace.missing.is_empty() {
                String::new()
            } else {
                format!(
                    "; incomplete (10.2), missing: {}",
                    trace
                        .missing
                        .iter()
                        .map(|m| m.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            record_event_after(
                conn,
                writes,
                &trace,
                kind,
                &sender,
                &format!("{detail}{relayed}{missing_note}"),
                Some(h.id),
                now,
            )
            .await?;
            if let Some((rh, renv, rpayload)) = auto_return {
                trace.state = transition(trace.state, Step::ReturnForCompletion)?;
                trace.due =
                    deadlines::after_step(policy, trace.due, Step::ReturnForCompletion, now, None);
                trace.updated_at = now;
                traces::update(conn, &trace).await?;
                queue_outgoing(conn, &rh, &renv, &rpayload, now).await?;
                record_event(
                    conn,
                    &trace,
                    "returned for completion",
                    &Actor::Node,
                    "returned automatically for completion (10.2) by this node's policy",
                    Some(rh.id),
                    now,
                )
                .await?;
            }
        }
        Effect::Step {
            step,
            detail,
            delay_until,
            new_request,
            auto_return,
            follow_up,
            forward,
        } => {
            let mut trace = load_trace(conn, h.trace_id).await?;
            check_counterpart(&trace, h)?;
            check_sender_side(&trace, h, step)?;
            trace.state = transition(trace.state, step)?;
            trace.due = deadlines::after_step(policy, trace.due, step, now, delay_until);
            if let Some(request) = new_request {
                trace.missing = completeness::check(&request);
                trace.flags = crate::bounds::flags_of(&*request);
                trace.request = *request;
                trace.received_at = Some(now);
            }
            trace.updated_at = now;
            traces::update(conn, &trace).await?;
            record_event(
                conn,
                &trace,
                &kind_name(h.kind),
                &sender,
                &format!("{detail} from {}{relayed}", h.origin),
                Some(h.id),
                now,
            )
            .await?;
            if let Some((rh, renv, rpayload)) = auto_return {
                trace.state = transition(trace.state, Step::ReturnForCompletion)?;
                trace.due =
                    deadlines::after_step(policy, trace.due, Step::ReturnForCompletion, now, None);
                traces::update(conn, &trace).await?;
                queue_outgoing(conn, &rh, &renv, &rpayload, now).await?;
                record_event(
                    conn,
                    &trace,
                    "returned for completion",
                    &Actor::Node,
                    "still incomplete: returned automatically again (10.2)",
                    Some(rh.id),
                    now,
                )
                .await?;
            }
            if let Some(request) = follow_up {
                propose_follow_up(conn, &trace, *request, now).await?;
            }
            if let Some((fh, fenv, fpayload)) = forward {
                queue_outgoing(conn, &fh, &fenv, &fpayload, now).await?;
                record_event(
                    conn,
                    &trace,
                    "passed_on",
                    &Actor::Node,
                    &format!("passed on to {}", fh.destination),
                    Some(fh.id),
                    now,
                )
                .await?;
            }
        }
        Effect::OnBehalf {
            trace,
            request: (rh, renv, rpayload),
        } => {
            if traces::get(conn, trace.trace_id).await?.is_some() {
                return Err(ServiceError::FailedPrecondition(format!(
                    "trace {} already exists here",
                    trace.trace_id
                )));
            }
            traces::insert(conn, &trace).await?;
            queue_outgoing(conn, &rh, &renv, &rpayload, now).await?;
            record_event(
                conn,
                &trace,
                "on_behalf_request",
                &sender,
                &format!(
                    "{} asked this hub to conduct the trace on its behalf (11.3.1); request sent to {} as requester of record",
                    h.origin, trace.counterpart
                ),
                Some(rh.id),
                now,
            )
            .await?;
        }
        Effect::Note {
            consent,
            detail,
            forward,
        } => {
            let trace = load_trace(conn, h.trace_id).await?;
            // A broker's notice comes from the hub that checked the request,
            // which is not a party to the trace.
            if !(h.kind == pb::PayloadKind::BrokerNotice && h.origin.is_hub()) {
                check_counterpart(&trace, h)?;
            }
            if let Some((fh, fenv, fpayload)) = forward {
                queue_outgoing(conn, &fh, &fenv, &fpayload, now).await?;
            }
            if let Some((restriction, use_, regarding)) = consent {
                traces::add_consent(
                    conn,
                    &ConsentRow {
                        trace_id: trace.trace_id,
                        regarding,
                        restriction,
                        use_,
                        envelope_id: h.id.to_string(),
                        granted_at: now,
                    },
                )
                .await?;
            }
            record_event(
                conn,
                &trace,
                &kind_name(h.kind),
                &sender,
                &format!("{detail} from {}{relayed}", h.origin),
                Some(h.id),
                now,
            )
            .await?;
        }
        Effect::Failure {
            envelope_id,
            reason,
        } => {
            // Only for an envelope of ours that a hub (this sender) holds.
            let Some(row) = outbox::get(conn, envelope_id).await? else {
                return Err(ServiceError::NotFound(format!(
                    "no envelope {envelope_id} sent from here"
                )));
            };
            if row.next_hop.as_deref() != Some(h.origin.to_string().as_str()) {
                return Err(ServiceError::PermissionDenied(format!(
                    "{} did not carry envelope {envelope_id}",
                    h.origin
                )));
            }
            outbox::reject_relayed(conn, envelope_id, &h.origin.to_string(), &reason, now).await?;
            if let Some(trace) = traces::get(conn, row.trace_id).await? {
                record_event(
                    conn,
                    &trace,
                    "delivery_refused",
                    &sender,
                    &format!("not delivered: {reason}"),
                    Some(envelope_id),
                    now,
                )
                .await?;
            }
        }
        Effect::Receipt(receipt, sent) => {
            record_delivery(conn, std::mem::take(pending), &receipt, &sent, policy, now).await?;
        }
    }
    Ok(())
}

/// A pre-filled follow-up request to the importing state (10.4.3), linked
/// to the same case, waiting for the officer to send it.
async fn propose_follow_up(
    conn: &mut AnyConnection,
    trace: &TraceRow,
    request: pb::TraceRequest,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    let Some(importing) = request
        .domestic_findings
        .as_ref()
        .and_then(|d| d.export_record.as_ref())
        .and_then(|r| r.importing_state.parse::<crate::ids::StateCode>().ok())
    else {
        return Ok(());
    };
    // Route it now, so that the officer sees the grounds (9.2.1 b) it would
    // be sent with.
    let mut request = request;
    if let Ok(decision) = crate::routing::route(&request) {
        request.grounds = Some(crate::routing::grounds(&decision));
        request.requested_state = decision.state.to_string();
    }
    let proposal = TraceRow {
        trace_id: TraceId::new_v7(now),
        case_id: trace.case_id,
        role: TraceRole::Requester,
        counterpart: ParticipantId::State(importing),
        state: TraceState::Drafted,
        missing: completeness::check(&request),
        flags: crate::bounds::flags_of(&request),
        request,
        on_behalf_of: None,
        opened_at: now,
        received_at: None,
        due: Due::default(),
        updated_at: now,
    };
    traces::insert(conn, &proposal).await?;
    record_event(
        conn,
        &proposal,
        "follow_up_proposed",
        &Actor::Node,
        &format!(
            "{} reported export to {importing}: follow-up request to {importing} drafted (send it with `itictl request send {}`)",
            trace.counterpart, proposal.trace_id
        ),
        None,
        now,
    )
    .await?;
    Ok(())
}

/// What `record_delivery` needs of the envelope a receipt is for (the caller
/// has it at hand, so the writer need not read the envelope back).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SentEnvelope {
    pub kind: pb::PayloadKind,
    pub trace_id: TraceId,
    /// The outbox entry is already marked delivered (the delivery loop did
    /// it in the same job): skip that statement.
    pub outbox_done: bool,
}

/// Records a destination's receipt for one of our envelopes: the outbox
/// entry is delivered, and for a request the deadlines start (10.1, 10.5
/// count from receipt).
///
/// `before` are writes of the caller's, sent to the database with these.
pub(crate) async fn record_delivery(
    conn: &mut AnyConnection,
    mut before: Writes,
    receipt: &envelope::VerifiedReceipt,
    sent: &SentEnvelope,
    policy: &crate::deadlines::DeadlinePolicy,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    before.push(envelopes::receipt_write(&ReceiptRow {
        envelope_id: receipt.envelope_id,
        receiver: receipt.receiver.to_string(),
        received_at: receipt.received_at,
        signed: receipt.signed.clone(),
    }));
    let first = !sent.outbox_done && outbox::mark_delivered(conn, receipt.envelope_id, now).await?;
    let is_request = matches!(
        sent.kind,
        pb::PayloadKind::Request | pb::PayloadKind::Resubmission | pb::PayloadKind::OnBehalfRequest
    );
    let Some(mut trace) = traces::get(conn, sent.trace_id).await? else {
        return before.execute(conn).await;
    };
    if !first && trace.received_at.is_some() {
        return before.execute(conn).await;
    }
    if is_request {
        if trace.state == TraceState::Sent {
            trace.state = transition(trace.state, Step::Deliver).unwrap_or(trace.state);
        }
        trace.received_at = Some(receipt.received_at);
        // Deadlines count from the receipt (10.1, 10.5). A receipt can come
        // after the partner already acknowledged or answered (a retried
        // delivery, a hub's slower path): nothing already given is owed.
        trace.due = deadlines::still_owed(
            deadlines::on_receipt(policy, receipt.received_at),
            trace.state,
            trace.due,
        );
        trace.updated_at = now;
        before.push(traces::update_write(&trace));
    }
    record_event_after(
        conn,
        before,
        &trace,
        "delivered",
        &Actor::Participant(receipt.receiver.clone()),
        &format!(
            "{} signed receipt of {} at {}",
            receipt.receiver,
            sent.kind
                .as_str_name()
                .trim_start_matches("PAYLOAD_KIND_")
                .to_lowercase(),
            crate::clock::rfc3339(receipt.received_at)
        ),
        Some(receipt.envelope_id),
        now,
    )
    .await
}

impl From<EnvelopeError> for ServiceError {
    fn from(e: EnvelopeError) -> Self {
        ServiceError::invalid("envelope", e.to_string())
    }
}
