//! `DeliverPart`: an envelope larger than one message, part by part
//! (`transfer`). The parts are kept durably; the one that completes the
//! envelope has it checked against its hash and received like any other
//! (`Node::receive`), whose answer it returns.

use iti_proto::v1 as pb;
use prost::Message;

use super::{Delivered, Node, ServiceError, ServiceResult};
use crate::identity::Identity;
use crate::ids::ParticipantId;
use crate::store::{boxed, envelope_parts};
use crate::transfer::{self, Step};

impl Node {
    /// One part from the authenticated `peer`: kept if it is the next,
    /// answered with the bytes held; with the last one, the delivery.
    pub async fn receive_part(
        &self,
        peer: &Identity,
        part: pb::EnvelopePart,
    ) -> ServiceResult<pb::DeliverPartReply> {
        // Only a peer may leave parts here (they take disk until received).
        let sender = self.delivering_peer(peer)?;
        let pool = self.store.pool();
        let (mut held, size_held) = envelope_parts::held(pool, &sender, &part.sha256).await?;
        let step = transfer::check_part(&part, held, size_held)
            .map_err(|(field, reason)| ServiceError::invalid(field, reason))?;
        let (sha256, size) = (part.sha256.clone(), part.size_bytes);
        if step == Step::Keep {
            held += part.content.len() as u64;
            self.keep_part(&sender, part).await?;
        }
        if held < size {
            return Ok(pb::DeliverPartReply {
                held,
                delivered: None,
            });
        }
        let delivered = self.receive_whole(peer, &sender, &sha256, size).await?;
        Ok(pb::DeliverPartReply {
            held,
            delivered: Some(pb::DeliverReply {
                receipt: Some(delivered.receipt),
                duplicate: delivered.duplicate,
                destination_receipt: delivered.destination_receipt,
            }),
        })
    }

    async fn keep_part(&self, sender: &ParticipantId, part: pb::EnvelopePart) -> ServiceResult<()> {
        let sender = sender.clone();
        let now = self.now();
        let stale = now - transfer::FORGET_UNFINISHED_AFTER;
        self.store
            .write(move |conn| {
                boxed(async move {
                    if part.offset == 0 {
                        envelope_parts::forget_unfinished(conn, &sender, stale).await?;
                    }
                    let (sha, offset, size) = (part.sha256, part.offset, part.size_bytes);
                    envelope_parts::put(conn, &sender, &sha, offset, size, part.content, now)
                        .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await
    }

    /// Every part is held (`size` bytes): the envelope, checked against
    /// its name and received. Its parts are forgotten unless receiving it is worth
    /// trying again (the receiver's store away, its origin not learned
    /// yet): then the sender's next call completes it without resending.
    async fn receive_whole(
        &self,
        peer: &Identity,
        sender: &ParticipantId,
        sha256: &str,
        size: u64,
    ) -> ServiceResult<Delivered> {
        let whole = envelope_parts::joined(self.store.pool(), sender, sha256).await?;
        if whole.len() as u64 != size {
            // Another call of the same sender's completed it meanwhile and
            // forgot the parts: asked again, it is sent again and answered
            // as a duplicate.
            return Err(ServiceError::NotYet(
                "the envelope's parts were just taken by another call; send it again".into(),
            ));
        }
        let env = if transfer::name_of(&whole) != sha256 {
            Err(ServiceError::invalid(
                "content",
                "the parts do not hash to sha256; they are forgotten: send the envelope again",
            ))
        } else {
            pb::Envelope::decode(whole.as_slice())
                .map_err(|e| ServiceError::invalid("content", format!("not an envelope: {e}")))
        };
        drop(whole);
        let received = match env {
            Ok(env) => self.receive(peer, env).await,
            Err(e) => Err(e),
        };
        if !matches!(&received, Err(e) if worth_trying_again(e)) {
            self.forget_parts(sender, sha256).await?;
        }
        received
    }

    async fn forget_parts(&self, sender: &ParticipantId, sha256: &str) -> ServiceResult<()> {
        let (sender, sha256) = (sender.clone(), sha256.to_string());
        self.store
            .write(move |conn| {
                boxed(async move {
                    envelope_parts::forget(conn, &sender, &sha256).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await
    }
}

fn worth_trying_again(e: &ServiceError) -> bool {
    use ServiceError as E;
    matches!(
        e,
        E::Unavailable(_)
            | E::Unreachable(_)
            | E::OutcomeUnknown(_)
            | E::NotYet(_)
            | E::UnknownOrigin { .. }
            | E::Internal(_)
    )
}
