//! Relaying: a hub forwards an envelope it is not the destination of, on its
//! header alone. It appends itself to the hop path, refuses loops and
//! destinations it cannot route, and signs for custody. When the destination
//! is its peer and answers at once, the hub passes the envelope straight
//! through and never stores the content; otherwise it keeps the payload
//! until delivery and forwards it from its outbox.

use iti_proto::v1 as pb;
use time::OffsetDateTime;

use crate::clock::to_timestamp;
use crate::envelope::Header;
use crate::envelope::{self, Verified};
use crate::ids::ParticipantId;
use crate::peering::RouteError;
use crate::service::receive::{Delivered, ReceiptSlot};
use crate::service::{Node, ServiceError, ServiceResult};
use crate::store::envelopes::{self, Direction, ReceiptRow};
use crate::store::{Writes, audit, boxed, hub, outbox};

/// The end-to-end receipt an envelope carries back to its origin, if it is
/// one.
fn relayed_receipt_of(verified: &Verified) -> Option<pb::SignedReceipt> {
    if verified.header.kind != pb::PayloadKind::Receipt {
        return None;
    }
    match verified.plain_payload() {
        Ok(pb::Payload {
            body: Some(pb::payload::Body::Receipt(signed)),
        }) => Some(signed),
        _ => None,
    }
}

/// What a receipt says it acknowledges: (envelope id, digest, destination).
fn acknowledged(signed: &pb::SignedReceipt) -> Option<(crate::ids::EnvelopeId, Vec<u8>, String)> {
    use prost::Message;
    let r = pb::Receipt::decode(signed.receipt.as_slice()).ok()?;
    Some((
        r.envelope_id.parse().ok()?,
        r.envelope_digest,
        r.destination,
    ))
}

/// The hub's audit entry for one relay (`how`: "via X", "passed straight
/// through"), appended after `writes`.
async fn record_relay(
    conn: &mut sqlx::AnyConnection,
    writes: Writes,
    now: OffsetDateTime,
    from: &str,
    h: &envelope::Header,
    how: &str,
) -> Result<(), crate::store::StoreError> {
    audit::append_after(
        conn,
        writes,
        now,
        from,
        "relayed",
        &format!("envelope {}", h.id),
        &format!(
            "{} → {} ({}), {how}",
            h.origin,
            h.destination,
            h.kind.as_str_name()
        ),
    )
    .await
}

pub(crate) use crate::service::pipeline::Outgoing;

impl Node {
    /// A refusal, further on, of an envelope this hub relayed: a delivery
    /// failure to the participant that handed it over (the previous hub, or
    /// the origin). Each notice travels one leg back and is signed by a peer
    /// of its receiver, so an origin that has never heard of the hub that
    /// met the refusal still learns of it, through the hub it pinned.
    /// `None` for an envelope not relayed here, or for a receipt or a
    /// failure notice itself (never reported back: no endless echo).
    pub(crate) async fn failure_notice(
        &self,
        envelope_id: crate::ids::EnvelopeId,
        reason: &str,
    ) -> ServiceResult<Option<Outgoing>> {
        let Some(relayed) = hub::relayed(self.store.pool(), envelope_id).await? else {
            return Ok(None);
        };
        if matches!(
            pb::PayloadKind::try_from(relayed.kind),
            Ok(pb::PayloadKind::Receipt | pb::PayloadKind::DeliveryFailure)
        ) {
            return Ok(None);
        }
        let payload = pb::Payload {
            body: Some(pb::payload::Body::DeliveryFailure(pb::DeliveryFailure {
                envelope_id: envelope_id.to_string(),
                reason: reason.to_string(),
            })),
        };
        let clear = pb::Marking {
            tlp: pb::Tlp::Clear as i32,
            restrictions: vec![],
        };
        let (header, env) = self.make_envelope(
            relayed.case_id,
            relayed.trace_id,
            &relayed.received_from,
            &payload,
            &clear,
            None,
        )?;
        Ok(Some(crate::service::pipeline::outgoing(
            header, env, &payload,
        )))
    }

    /// Annex A.2: a request passing through the broker is checked against the
    /// lost/stolen register; each match becomes a notice to both sides. A
    /// sealed request cannot be checked (the hub cannot read it).
    async fn broker_notices(&self, verified: &Verified) -> ServiceResult<Vec<Outgoing>> {
        let h = &verified.header;
        if h.kind != pb::PayloadKind::Request || h.sealing.is_some() {
            return Ok(Vec::new());
        }
        // A hub without a register is no broker: the request (tens of
        // megabytes decoded, for a large cache) is not read.
        if !self.store.register_holds_reports().await? {
            return Ok(Vec::new());
        }
        let Ok(pb::Payload {
            body: Some(pb::payload::Body::Request(request)),
        }) = verified.plain_payload()
        else {
            return Ok(Vec::new());
        };
        let (notices, matches) = crate::hub::register::check_request(self, &request).await?;
        if matches > notices.len() {
            tracing::warn!(
                envelope = %h.id,
                matches,
                sent = notices.len(),
                "lost/stolen matches beyond the notices one request may cause"
            );
        }
        let mut out = Vec::new();
        for notice in notices {
            let payload = pb::Payload {
                body: Some(pb::payload::Body::BrokerNotice(notice)),
            };
            for to in [&h.origin, &h.destination] {
                let (nh, nenv) =
                    self.make_envelope(h.case_id, h.trace_id, to, &payload, &h.marking, None)?;
                out.push(crate::service::pipeline::outgoing(nh, nenv, &payload));
            }
        }
        Ok(out)
    }

    /// The envelope an end-to-end receipt passing through proves delivered,
    /// if this hub relayed it and the receipt verifies: signed by that
    /// envelope's destination under the destination's pinned CA, for exactly
    /// the content this hub signed custody of. Any member can send a
    /// receipt; an unverified one must not stop a kept envelope's delivery.
    async fn delivered_by(
        &self,
        signed: &pb::SignedReceipt,
        now: OffsetDateTime,
    ) -> ServiceResult<Option<crate::ids::EnvelopeId>> {
        let Some((id, _, _)) = acknowledged(signed) else {
            return Ok(None);
        };
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(crate::store::StoreError::from)?;
        let custody = envelopes::receipt(&mut conn, id, &self.participant().to_string()).await?;
        drop(conn);
        let Some((_, digest, destination)) = custody.as_ref().and_then(|c| acknowledged(&c.signed))
        else {
            return Ok(None);
        };
        match envelope::verify_receipt_of_digest(signed, &digest, &self.trust, now) {
            Ok(r) if r.envelope_id == id && r.receiver.to_string() == destination => Ok(Some(id)),
            Ok(r) => {
                tracing::warn!(envelope = %id, receiver = %r.receiver, %destination, "a receipt relayed back is not the destination's; the envelope stays queued");
                Ok(None)
            }
            Err(e) => {
                tracing::warn!(envelope = %id, error = %e, "a receipt relayed back does not verify; the envelope stays queued");
                Ok(None)
            }
        }
    }

    pub(crate) async fn relay(
        &self,
        from: &ParticipantId,
        verified: Verified,
        now: OffsetDateTime,
        slot: ReceiptSlot,
    ) -> ServiceResult<Delivered> {
        let me = self.participant().clone();
        let next = self.relay_hop(from, &verified.header, &verified.envelope)?;
        let notices = self.broker_notices(&verified).await?;
        let relayed_receipt = relayed_receipt_of(&verified);
        // Kept as it came, with our hop: a large request is not copied.
        let Verified {
            header: h,
            envelope: mut env,
        } = verified;
        env.hops.push(pb::Hop {
            participant: me.to_string(),
            received_at: Some(to_timestamp(now)),
        });
        // Our audit head goes in the receipt: the sender witnesses our chain.
        let head = self.store.audit_head().await?;
        let receipt = envelope::receipt_for(&me, &env, &h, now, head.as_ref(), self.logs.heads());
        let receipt = slot.sign(self.signer(), receipt).await;
        self.metrics.count_receipt_signed(&receipt);
        if notices.is_empty()
            && next == h.destination
            && relayed_receipt.is_none()
            && let Some(delivered) = self.pass_through(from, &h, &env, &receipt, now).await?
        {
            return Ok(delivered);
        }
        let confirmed = match relayed_receipt {
            Some(signed) => self.delivered_by(&signed, now).await?,
            None => None,
        };
        let kind = h.kind;
        let commit = RelayCommit {
            me: me.to_string(),
            from: from.clone(),
            next,
            header: h,
            envelope: env,
            receipt,
            confirmed,
            notices,
            now,
        };
        let outcome = self
            .store
            .write(move |conn| boxed(commit.run(conn)))
            .await?;
        self.count_relayed(&outcome, kind);
        self.wake_outbox();
        Ok(outcome)
    }

    /// Where a relayed envelope goes next; a loop or an unknown destination
    /// is refused.
    fn relay_hop(
        &self,
        from: &ParticipantId,
        h: &Header,
        env: &pb::Envelope,
    ) -> ServiceResult<ParticipantId> {
        let me = self.participant();
        if env.hops.iter().any(|hop| hop.participant == me.to_string()) {
            return Err(ServiceError::FailedPrecondition(format!(
                "routing loop: envelope {} has already passed through {me}",
                h.id
            )));
        }
        let next = self.peering.next_hop(&h.destination).map_err(|e| match e {
            RouteError::Unroutable(d) => ServiceError::NotFound(format!(
                "{me} cannot route to {d}: not a member or peer, and no hub serves it"
            )),
            RouteError::ToSelf(_) => ServiceError::Internal("relay to self".into()),
        })?;
        if &next == from || next == h.origin {
            return Err(ServiceError::FailedPrecondition(format!(
                "routing loop: {me} would send envelope {} back to {next}",
                h.id
            )));
        }
        Ok(next)
    }

    fn count_relayed(&self, outcome: &Delivered, kind: pb::PayloadKind) {
        if outcome.duplicate {
            self.metrics.count_duplicate();
        } else {
            self.metrics
                .count_message(crate::metrics::Direction::Relayed, kind);
        }
    }

    /// Hands `env` (its hop through this hub recorded) straight to its
    /// destination, a peer of this hub, and waits up to `pass_through_ms`
    /// for the destination's receipt. With it, the hub records the relay
    /// (headers and both receipts, never the content) and answers the
    /// sender with its custody receipt and the destination's. `None` when
    /// the envelope must be kept and forwarded instead: passing through is
    /// off, the hub already holds this envelope or an earlier one of its
    /// conversation, the envelope is larger than one message, or the
    /// destination did not sign for it in time (if it did get it, the
    /// forwarded copy is answered as a duplicate).
    async fn pass_through(
        &self,
        from: &ParticipantId,
        h: &envelope::Header,
        env: &pb::Envelope,
        custody: &pb::SignedReceipt,
        now: OffsetDateTime,
    ) -> ServiceResult<Option<Delivered>> {
        let Some(wait) = self.config.pass_through else {
            return Ok(None);
        };
        if hub::holds_envelope_or_conversation(self.store.pool(), h.id, h.trace_id).await? {
            return Ok(None);
        }
        // One sent in parts goes on in parts, from custody.
        let size = prost::Message::encoded_len(env);
        if !crate::transfer::travels_whole(size) {
            return Ok(None);
        }
        let Ok(channel) = self.peering.channel(&h.destination) else {
            return Ok(None);
        };
        let answer = self
            .batches
            .deliver(&h.destination, channel, env.clone(), size, wait)
            .await;
        let signed = match answer {
            Ok(reply) => reply.receipt,
            Err(crate::transfer::PartsError::Status(status)) => {
                tracing::debug!(envelope = %h.id, code = ?status.code(), "pass-through declined; keeping it");
                None
            }
            Err(_) => None,
        };
        let Some(signed) = signed else {
            return Ok(None);
        };
        let delivered = match envelope::verify_receipt(&signed, env, &self.trust, self.now()) {
            Ok(r) if r.receiver == h.destination => r,
            Ok(_) | Err(_) => {
                tracing::warn!(envelope = %h.id, "the destination's receipt does not verify; keeping the envelope");
                return Ok(None);
            }
        };
        // The record of the relay: headers and both receipts, no content.
        let mut writes = Writes::new();
        writes.push(envelopes::insert_write(
            h,
            Direction::Relay,
            &pb::Envelope::default(),
            None,
            now,
        ));
        writes.push(hub::relay_write(h, from, now));
        writes.push(envelopes::receipt_write(&ReceiptRow {
            envelope_id: h.id,
            receiver: self.participant().to_string(),
            received_at: now,
            signed: custody.clone(),
        }));
        writes.push(envelopes::receipt_write(&ReceiptRow {
            envelope_id: h.id,
            receiver: delivered.receiver.to_string(),
            received_at: delivered.received_at,
            signed: delivered.signed.clone(),
        }));
        let (header, from_s) = (h.clone(), from.to_string());
        self.store
            .write(move |conn| {
                boxed(async move {
                    record_relay(
                        conn,
                        writes,
                        now,
                        &from_s,
                        &header,
                        "passed straight through",
                    )
                    .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        let outcome = Delivered {
            receipt: custody.clone(),
            duplicate: false,
            destination_receipt: Some(delivered.signed),
        };
        self.count_relayed(&outcome, h.kind);
        Ok(Some(outcome))
    }
}

/// What a hub commits when it takes custody of an envelope to relay: the
/// envelope kept until delivered, its outbox entry, broker notices, the
/// relay log and its custody receipt, in one write.
#[derive(Clone)]
struct RelayCommit {
    me: String,
    from: ParticipantId,
    next: ParticipantId,
    header: Header,
    envelope: pb::Envelope,
    receipt: pb::SignedReceipt,
    /// An envelope relayed earlier that a receipt riding on this one proves
    /// delivered end to end (verified).
    confirmed: Option<crate::ids::EnvelopeId>,
    notices: Vec<Outgoing>,
    now: OffsetDateTime,
}

impl RelayCommit {
    async fn run(self, conn: &mut sqlx::AnyConnection) -> ServiceResult<Delivered> {
        let (h, now) = (self.header.clone(), self.now);
        if !envelopes::insert(conn, &h, Direction::Relay, &self.envelope, None, now).await? {
            return self.duplicate(conn).await;
        }
        if let Some(delivered) = self.confirmed
            && outbox::mark_delivered(conn, delivered, now).await?
        {
            envelopes::forget_payload(conn, delivered).await?;
        }
        let mut writes = Writes::new();
        writes.push(outbox::enqueue_write(
            h.id,
            h.trace_id,
            &h.destination.to_string(),
            h.kind as i32,
            now,
        ));
        if !self.notices.is_empty() {
            // Queued before any notice: per-conversation order puts the
            // notice behind the request at the destination.
            std::mem::take(&mut writes).execute(conn).await?;
        }
        for notice in &self.notices {
            let nh = &notice.0;
            crate::service::queue_outgoing(conn, notice.clone(), now).await?;
            audit::append(
                conn,
                now,
                &self.me,
                "lost_stolen_match",
                &format!("trace {}", nh.trace_id),
                &format!("broker notice to {}", nh.destination),
            )
            .await?;
        }
        writes.push(hub::relay_write(&h, &self.from, now));
        writes.push(envelopes::receipt_write(&ReceiptRow {
            envelope_id: h.id,
            receiver: self.me.clone(),
            received_at: now,
            signed: self.receipt.clone(),
        }));
        let via = format!("via {}", self.next);
        record_relay(conn, writes, now, &self.from.to_string(), &h, &via).await?;
        Ok(Delivered {
            receipt: self.receipt,
            duplicate: false,
            destination_receipt: None,
        })
    }

    /// Relayed before: the custody receipt we signed then and, if it was
    /// passed straight through, the destination's.
    async fn duplicate(self, conn: &mut sqlx::AnyConnection) -> ServiceResult<Delivered> {
        let h = &self.header;
        let stored = envelopes::receipt(conn, h.id, &self.me)
            .await?
            .ok_or_else(|| {
                ServiceError::Internal(format!(
                    "duplicate relayed envelope {} without a receipt",
                    h.id
                ))
            })?;
        let destination_receipt = envelopes::receipt(conn, h.id, &h.destination.to_string())
            .await?
            .map(|r| r.signed);
        Ok(Delivered {
            receipt: stored.signed,
            duplicate: true,
            destination_receipt,
        })
    }
}
