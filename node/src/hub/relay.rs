//! Relaying: a hub forwards an envelope it is not the destination of, on its
//! header alone. It appends itself to the hop path, refuses loops and
//! destinations it cannot route, keeps the payload only until delivery, and
//! signs for custody.

use iti_proto::v1 as pb;
use time::OffsetDateTime;

use crate::clock::to_timestamp;
use crate::envelope::{self, Verified};
use crate::ids::ParticipantId;
use crate::peering::RouteError;
use crate::service::receive::Delivered;
use crate::service::{Node, ServiceError, ServiceResult};
use crate::store::envelopes::{self, Direction, ReceiptRow};
use crate::store::{Writes, audit, boxed, hub, outbox};

/// The envelope id an end-to-end receipt (travelling back to its origin)
/// acknowledges.
fn relayed_receipt_of(verified: &Verified) -> Option<crate::ids::EnvelopeId> {
    use prost::Message;
    if verified.header.kind != pb::PayloadKind::Receipt {
        return None;
    }
    let Ok(pb::Payload {
        body: Some(pb::payload::Body::Receipt(signed)),
    }) = verified.plain_payload()
    else {
        return None;
    };
    pb::Receipt::decode(signed.receipt.as_slice())
        .ok()?
        .envelope_id
        .parse()
        .ok()
}

impl Node {
    /// Annex A.2: a request passing through the broker is checked against the
    /// lost/stolen register; each match becomes a notice to both sides. A
    /// sealed request cannot be checked (the hub cannot read it).
    async fn broker_notices(
        &self,
        verified: &Verified,
    ) -> ServiceResult<Vec<(crate::envelope::Header, pb::Envelope, pb::Payload)>> {
        let h = &verified.header;
        if h.kind != pb::PayloadKind::Request || h.sealing.is_some() {
            return Ok(Vec::new());
        }
        let Ok(pb::Payload {
            body: Some(pb::payload::Body::Request(request)),
        }) = verified.plain_payload()
        else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for notice in crate::hub::register::check_request(self, &request).await? {
            let payload = pb::Payload {
                body: Some(pb::payload::Body::BrokerNotice(notice)),
            };
            for to in [&h.origin, &h.destination] {
                let (nh, nenv) =
                    self.make_envelope(h.case_id, h.trace_id, to, &payload, &h.marking, None)?;
                out.push((nh, nenv, payload.clone()));
            }
        }
        Ok(out)
    }

    pub(crate) async fn relay(
        &self,
        from: &ParticipantId,
        verified: Verified,
        now: OffsetDateTime,
    ) -> ServiceResult<Delivered> {
        let me = self.participant().clone();
        let h = verified.header.clone();
        let mut env = verified.envelope.clone();
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
        env.hops.push(pb::Hop {
            participant: me.to_string(),
            received_at: Some(to_timestamp(now)),
        });
        let receipt = envelope::sign_receipt(self.signer(), &env, &h, now);
        let notices = self.broker_notices(&verified).await?;
        let me_s = me.to_string();
        let from_s = from.to_string();
        let kind = h.kind;
        let outcome = self
            .store
            .write(move |conn| {
                boxed(async move {
                    if !envelopes::insert(conn, &h, Direction::Relay, &env, None, now).await? {
                        let stored =
                            envelopes::receipt(conn, h.id, &me_s)
                                .await?
                                .ok_or_else(|| {
                                    ServiceError::Internal(format!(
                                        "duplicate relayed envelope {} without a receipt",
                                        h.id
                                    ))
                                })?;
                        return Ok::<_, ServiceError>(Delivered {
                            receipt: stored.signed,
                            duplicate: true,
                        });
                    }
                    if let Some(delivered) = relayed_receipt_of(&verified) {
                        // The destination signed for an envelope we relayed
                        // earlier: it is delivered end to end.
                        if outbox::mark_delivered(conn, delivered, now).await? {
                            envelopes::forget_payload(conn, delivered).await?;
                        }
                    }
                    let mut writes = Writes::new();
                    writes.push(outbox::enqueue_write(
                        h.id,
                        h.trace_id,
                        &h.destination.to_string(),
                        h.kind as i32,
                        now,
                    ));
                    if !notices.is_empty() {
                        // Queued before any notice: per-conversation order
                        // puts the notice behind the request at the destination.
                        std::mem::take(&mut writes).execute(conn).await?;
                    }
                    for (nh, nenv, npayload) in &notices {
                        crate::service::queue_outgoing(conn, nh, nenv, npayload, now).await?;
                        audit::append(
                            conn,
                            now,
                            &me_s,
                            "lost_stolen_match",
                            &format!("trace {}", nh.trace_id),
                            &format!("broker notice to {}", nh.destination),
                        )
                        .await?;
                    }
                    writes.push(hub::relay_write(&h, now));
                    writes.push(envelopes::receipt_write(&ReceiptRow {
                        envelope_id: h.id,
                        receiver: me_s.clone(),
                        received_at: now,
                        signed: receipt.clone(),
                    }));
                    audit::append_after(
                        conn,
                        writes,
                        now,
                        &from_s,
                        "relayed",
                        &format!("envelope {}", h.id),
                        &format!(
                            "{} → {} ({}), via {next}",
                            h.origin,
                            h.destination,
                            h.kind.as_str_name()
                        ),
                    )
                    .await?;
                    Ok(Delivered {
                        receipt,
                        duplicate: false,
                    })
                })
            })
            .await?;
        if outcome.duplicate {
            self.metrics.count_duplicate();
        } else {
            self.metrics
                .count_message(crate::metrics::Direction::Relayed, kind);
        }
        self.wake_outbox();
        Ok(outcome)
    }
}
