//! Receiving envelopes from the federation. Identity comes from the verified
//! TLS certificate; the origin's signature is checked against its pinned CA
//! before anything is stored (an origin not learned yet is learned first, or
//! the sender asked to retry); then the envelope, its effect (transitions
//! built by `handlers`, one per kind of message), the events, the audit
//! entries and the signed receipt are committed in one transaction keyed by
//! the envelope id, so a retried delivery is answered with the original
//! receipt and applied once.

mod handlers;
mod parts;
mod signing;

pub(crate) use signing::ReceiptSlot;

use std::sync::Arc;

use iti_proto::v1 as pb;
use sqlx::AnyConnection;
use time::OffsetDateTime;

use super::pipeline::{self, Change, Event, Transition};
use super::{Actor, Node, ServiceError, ServiceResult};
use crate::case::machine::{Step, TraceState, transition};
use crate::deadlines;
use crate::envelope::{self, EnvelopeError, Header, Verified};
use crate::identity::Identity;
use crate::ids::{ParticipantId, TraceId};
use crate::store::envelopes::{self, Direction, HeldPayload, ReceiptRow};
use crate::store::traces;
use crate::store::{Write, Writes, audit, boxed, outbox, photos};

/// The answer to a delivery: the receiver's signed receipt.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub receipt: pb::SignedReceipt,
    pub duplicate: bool,
    /// A hub's answer for an envelope it passed straight through: the
    /// destination's receipt.
    pub destination_receipt: Option<pb::SignedReceipt>,
}

/// The origin of `env`, when `e` says only that its CA is not known here:
/// the origin is not learned yet (a signer claiming to be someone else is
/// not this case).
fn unknown_origin(env: &pb::Envelope, e: &EnvelopeError) -> Option<ParticipantId> {
    let EnvelopeError::Signer(crate::identity::trust::TrustError::NotPinned(p)) = e else {
        return None;
    };
    let header = Header::decode(&env.header).ok()?;
    (header.origin == *p).then_some(header.origin)
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
        self.receive_in(peer, env, ReceiptSlot::alone()).await
    }

    /// [`Node::receive`], with the receipt signed in `slot`: alone, or with
    /// the rest of its batch.
    async fn receive_in(
        &self,
        peer: &Identity,
        env: pb::Envelope,
        mut slot: ReceiptSlot,
    ) -> ServiceResult<Delivered> {
        let from = self.delivering_peer(peer)?;
        let now = self.now();
        let max_age = self.config.max_envelope_age;
        // Checked, then kept as it came: a large request is not copied.
        let verified = match envelope::check(&env, &self.trust, now, max_age) {
            Err(e) if unknown_origin(&env, &e).is_some() => {
                // Learning takes a call to a hub: the batch does not wait.
                slot.step_aside();
                self.verify_after_learning(&from, env, now).await?
            }
            Ok(header) => Verified {
                header,
                envelope: env,
            },
            Err(e) => {
                // Refused: the rest of the batch does not wait for the record.
                slot.step_aside();
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
            slot.step_aside();
            self.record_refused_envelope(&from, &verified.envelope, &reason, now)
                .await?;
            return Err(ServiceError::PermissionDenied(reason));
        }
        if &h.destination != self.participant() {
            if self.is_hub() {
                return self.relay(&from, verified, now, slot).await;
            }
            return Err(ServiceError::FailedPrecondition(format!(
                "misaddressed: this node is {}, the envelope is for {}",
                self.participant(),
                h.destination
            )));
        }
        self.deliver_locally(&from, verified, now, slot).await
    }

    /// Handles a batch of envelopes delivered by `peer` in one call: each
    /// received on its own task, as if it came alone (in parallel, and to
    /// its end even if the caller stops waiting), but with one signature
    /// over the batch's receipts. The results are in the envelopes' order.
    /// A batch empty or larger than one call may carry is refused whole,
    /// before anything is received.
    pub async fn receive_batch(
        self: &Arc<Self>,
        peer: &Identity,
        envelopes: Vec<pb::Envelope>,
    ) -> ServiceResult<Vec<ServiceResult<Delivered>>> {
        if let Some(reason) = crate::batch::refuse_count(envelopes.len()) {
            return Err(ServiceError::invalid("envelopes", reason));
        }
        let slots = ReceiptSlot::batch(envelopes.len(), self.shared_signer());
        let received = envelopes.into_iter().zip(slots).map(|(env, slot)| {
            let (node, peer) = (self.clone(), peer.clone());
            tokio::spawn(async move { node.receive_in(&peer, env, slot).await })
        });
        Ok(futures::future::join_all(received)
            .await
            .into_iter()
            .map(|joined| {
                joined.unwrap_or_else(|e| Err(ServiceError::Internal(format!("receiving: {e}"))))
            })
            .collect())
    }

    /// Who delivers: a node peered with this one, never itself.
    fn delivering_peer(&self, peer: &Identity) -> ServiceResult<ParticipantId> {
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
        Ok(from)
    }

    /// An envelope from an origin this node has not learned yet: "not known
    /// yet" is not "forged". The directory is fetched from the hub that
    /// relayed it (then from our other hubs), and the envelope verified
    /// again; still unknown, the sender is asked to retry later.
    async fn verify_after_learning(
        &self,
        from: &ParticipantId,
        env: pb::Envelope,
        now: OffsetDateTime,
    ) -> ServiceResult<Verified> {
        let header = Header::decode(&env.header)?;
        let origin = header.origin;
        tracing::info!(%origin, via = %from, envelope = %header.id, "envelope from an origin not learned yet");
        let asked = self.learn_participant(&origin, from).await;
        match envelope::check(&env, &self.trust, now, self.config.max_envelope_age) {
            Ok(header) => Ok(Verified {
                header,
                envelope: env,
            }),
            Err(e) if unknown_origin(&env, &e).is_some() => {
                self.metrics.count_unknown_origin();
                Err(ServiceError::UnknownOrigin {
                    origin,
                    asked: if asked.is_empty() {
                        "no hub".into()
                    } else {
                        asked
                            .iter()
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                })
            }
            Err(e) => {
                self.record_refused_envelope(from, &env, &e, now).await?;
                Err(refusal_status(&e))
            }
        }
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
        tracing::debug!(%from, reason = %e, "refused envelope");
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

    /// A destination's receipt relayed back by a hub: verify it against the
    /// envelope we sent and the destination's CA.
    async fn check_relayed_receipt(
        &self,
        from: &ParticipantId,
        signed: &pb::SignedReceipt,
        now: OffsetDateTime,
    ) -> ServiceResult<(envelope::VerifiedReceipt, SentEnvelope)> {
        use prost::Message;
        let receipt = pb::Receipt::decode(signed.receipt.as_slice())
            .map_err(|_| ServiceError::invalid("receipt", "malformed"))?;
        if !self.learn_receipt_signer(signed, from).await {
            // Not known yet, not forged: the hub sends it again later.
            return Err(ServiceError::UnknownOrigin {
                origin: receipt
                    .receiver
                    .parse()
                    .map_err(|_| ServiceError::invalid("receipt.receiver", "not a participant"))?,
                asked: from.to_string(),
            });
        }
        let id = receipt
            .envelope_id
            .parse()
            .map_err(|_| ServiceError::invalid("receipt.envelopeId", "not an id"))?;
        let ours = envelopes::signed(self.store.pool(), id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("receipt for unknown envelope {id}")))?;
        let verified = envelope::verify_receipt(signed, &ours.envelope, &self.trust, now)
            .map_err(|e| ServiceError::PermissionDenied(e.to_string()))?;
        self.compare_witnessed_heads(signed).await;
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
        mut slot: ReceiptSlot,
    ) -> ServiceResult<Delivered> {
        let mut payload = self.open_payload(&verified)?;
        // Bounds on what a peer sends: out of bounds is refused, naming the
        // field, and nothing but the refusal's audit entry is stored.
        if let Err(e) = crate::bounds::check(&mut payload, now) {
            slot.step_aside();
            self.record_refused_envelope(from, &verified.envelope, &e, now)
                .await?;
            return Err(e.into());
        }
        // What is stored of the payload is settled now: the effect takes
        // the payload itself (a request goes whole into its trace).
        let held = HeldPayload::of(
            &verified.header,
            Direction::In,
            &verified.envelope,
            Some(&payload),
        );
        let photo_refs = photos::reference_writes(&verified.header, Direction::In, &payload);
        let effect = self.effect_of(from, &verified.header, payload, now).await?;
        // The effect holds what it writes, encoded: the decoded payload is gone.
        crate::memory::give_back_after(verified.envelope.payload.len());
        // Our audit head goes in the receipt: the sender witnesses our chain.
        let head = self.store.audit_head().await?;
        let receipt = envelope::receipt_for(
            self.participant(),
            &verified.envelope,
            &verified.header,
            now,
            head.as_ref(),
            self.logs.heads(),
        );
        let receipt = slot.sign(self.signer(), receipt).await;
        self.metrics.count_receipt_signed(&receipt);
        let header = verified.header.clone();
        let consented = effect.consent_arrived();
        let may_send = effect.may_send();
        let outcome = self
            .commit_delivery(verified, (held, photo_refs), effect, receipt, now)
            .await?;
        if outcome.duplicate {
            self.metrics.count_duplicate();
        } else {
            self.after_delivery(&header, consented).await;
        }
        // Woken only when there may be something to send: a wake costs the
        // outbox a read of what is due.
        if may_send {
            self.wake_outbox();
        }
        Ok(outcome)
    }

    /// One write job keyed by the envelope id: the envelope, our receipt and
    /// the effect, or, for an envelope received before, the receipt given
    /// then (exactly once).
    async fn commit_delivery(
        &self,
        verified: Verified,
        (held, photo_refs): (HeldPayload, Vec<Write>),
        effect: handlers::Effect,
        receipt: pb::SignedReceipt,
        now: OffsetDateTime,
    ) -> ServiceResult<Delivered> {
        let me = self.participant().to_string();
        let policy = self.config.deadlines;
        self.store
            .write(move |conn| {
                boxed(async move {
                    let h = &verified.header;
                    let fresh = envelopes::insert_held(
                        conn,
                        h,
                        Direction::In,
                        &verified.envelope,
                        held,
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
                    // The photographs' references and our receipt go to the
                    // database with the first writes of the effect that take
                    // them along, or else on their own: one trip, not two.
                    let mut pending = Writes::from(photo_refs);
                    pending.push(envelopes::receipt_write(&ReceiptRow {
                        envelope_id: h.id,
                        receiver: me.clone(),
                        received_at: now,
                        signed: receipt.clone(),
                    }));
                    effect.apply(conn, &mut pending, h, &policy, now).await?;
                    pending.execute(conn).await?;
                    Ok(Delivered {
                        receipt,
                        duplicate: false,
                        destination_receipt: None,
                    })
                })
            })
            .await
    }

    /// What follows a first delivery outside its write job: an answer
    /// drafted from the national records for a request, the metrics, and
    /// drafts that waited for the consent that just came.
    async fn after_delivery(&self, header: &Header, consent_arrived: bool) {
        if matches!(
            header.kind,
            pb::PayloadKind::Request | pb::PayloadKind::Resubmission
        ) {
            super::records::draft_in_background(self, header.trace_id);
        }
        self.metrics
            .count_message(crate::metrics::Direction::In, header.kind);
        let case = header.case_id;
        if consent_arrived && let Err(e) = self.send_drafts_consented(case).await {
            tracing::warn!(%case, error = %e, "a draft waiting for consent could not be sent");
        }
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
/// count from receipt). The trace changes through the one pipeline.
///
/// `before` are writes of the caller's, sent to the database with these.
pub(crate) async fn record_delivery(
    conn: &mut AnyConnection,
    mut before: Writes,
    receipt: &envelope::VerifiedReceipt,
    sent: &SentEnvelope,
    policy: &crate::deadlines::DeadlinePolicy,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    before.push(envelopes::receipt_write(&ReceiptRow {
        envelope_id: receipt.envelope_id,
        receiver: receipt.receiver.to_string(),
        received_at: receipt.received_at,
        signed: receipt.signed.clone(),
    }));
    let first = !sent.outbox_done && outbox::mark_delivered(conn, receipt.envelope_id, now).await?;
    // A receipt changes no request: the trace is read without it.
    let Some(head) = traces::head(conn, sent.trace_id).await? else {
        return Ok(before.execute(conn).await?);
    };
    if !first && head.row().received_at.is_some() {
        return Ok(before.execute(conn).await?);
    }
    let is_request = matches!(
        sent.kind,
        pb::PayloadKind::Request | pb::PayloadKind::Resubmission | pb::PayloadKind::OnBehalfRequest
    );
    let change = if is_request {
        let (policy, received_at) = (*policy, receipt.received_at);
        Change::Step {
            trace_id: sent.trace_id,
            // Not a step of its own: the partner may have acknowledged or
            // answered already (a retried delivery, a hub's slower path).
            step: None,
            delay_until: None,
            check: Arc::new(|_| Ok(())),
            update: Arc::new(move |t| delivered(t, &policy, received_at)),
            request: None,
        }
    } else {
        Change::Note(sent.trace_id)
    };
    let fact = crate::fact::fact(
        "history-delivered",
        [
            crate::fact::text("receiver", &receipt.receiver),
            crate::fact::word("kind", crate::fact::proto_code(sent.kind.as_str_name())),
            crate::fact::text("at", crate::clock::rfc3339(receipt.received_at)),
        ],
    );
    let actor = Actor::Participant(receipt.receiver.clone());
    let t = Transition::new(change)
        .event(Event::new("delivered", actor, fact).about(receipt.envelope_id));
    pipeline::apply_read(conn, &mut before, Some(head), t, policy, now).await?;
    Ok(())
}

/// A request the requested state signed for: delivered, and its deadlines
/// count from the receipt (10.1, 10.5). Nothing already given is owed.
fn delivered(
    t: &mut traces::TraceRow,
    policy: &crate::deadlines::DeadlinePolicy,
    received_at: OffsetDateTime,
) {
    if t.state == TraceState::Sent {
        t.state = transition(t.state, Step::Deliver).unwrap_or(t.state);
    }
    t.received_at = Some(received_at);
    t.due = deadlines::still_owed(deadlines::on_receipt(policy, received_at), t.state, t.due);
}

impl From<EnvelopeError> for ServiceError {
    fn from(e: EnvelopeError) -> Self {
        ServiceError::invalid("envelope", e.to_string())
    }
}
