//! Photographs through a hub: a member that reaches the state holding a
//! photograph only through hubs hands its signed ask to its hub, which
//! passes it on towards that state (the ask's origin) as it would route an
//! envelope, and passes the answer back. The hub relays, it never decides:
//! the origin verifies the fetcher's signature, applies `policy::photo` for
//! the fetcher, and seals the bytes to the fetcher's key. The hub keeps
//! nothing but an audit entry of facts (hash, fetcher, origin, outcome),
//! and refuses to carry an answer in clear.

use iti_proto::v1 as pb;
use iti_proto::v1::federation_client::FederationClient;

use crate::ids::ParticipantId;
use crate::peering::RouteError;
use crate::service::photos::{MAX_PHOTO_ANSWER_BYTES, answered, hash_of};
use crate::service::{Actor, Node, ServiceError, ServiceResult};

/// The most hubs an ask may pass through (envelopes cross one or two).
pub const MAX_PHOTO_HOPS: usize = 4;

impl Node {
    /// Passes `req`, a signed ask of `fetcher` for a photograph of `origin`,
    /// handed over by `caller`, one hop on towards `origin`; the answer
    /// (sealed to the fetcher) back. Audited here as facts only.
    pub(crate) async fn relay_photo_ask(
        &self,
        caller: &ParticipantId,
        mut req: pb::FetchPhotoRequest,
        fetcher: &ParticipantId,
        origin: &ParticipantId,
    ) -> ServiceResult<pb::Photo> {
        let me = self.participant().clone();
        let ask = req
            .signed
            .as_ref()
            .and_then(|s| crate::envelope::read_photo_ask(s).ok())
            .map(|(ask, _, _)| ask)
            .unwrap_or_default();
        let hash = hash_of(&ask.sha256, "signed.ask.sha256")?;
        if caller != fetcher && !caller.is_hub() {
            return Err(ServiceError::PermissionDenied(format!(
                "{caller} hands over an ask naming {fetcher} as the fetcher: a hub relays an \
                 ask from its fetcher or from another hub only"
            )));
        }
        let outcome = self.pass_photo_ask(caller, &mut req, &me, origin).await;
        let (action, detail) = match &outcome {
            Ok((next, _)) => (
                "photo_relayed",
                format!(
                    "{fetcher} asked {origin}, via {next}: sealed answer relayed (from byte {})",
                    ask.offset
                ),
            ),
            Err(e) => (
                "photo_relay_failed",
                format!("{fetcher} asked {origin}: {e}"),
            ),
        };
        tracing::info!(%caller, %fetcher, %origin, sha256 = %hash, outcome = action, "photograph ask relayed");
        self.audit_photo(&Actor::Participant(caller.clone()), action, &hash, &detail)
            .await?;
        outcome.map(|(_, photo)| photo)
    }

    /// One hop on: the participant it went to, and the answer.
    async fn pass_photo_ask(
        &self,
        caller: &ParticipantId,
        req: &mut pb::FetchPhotoRequest,
        me: &ParticipantId,
        origin: &ParticipantId,
    ) -> ServiceResult<(ParticipantId, pb::Photo)> {
        if req.via.iter().any(|hub| hub == &me.to_string()) {
            return Err(ServiceError::FailedPrecondition(format!(
                "routing loop: the ask has already passed through {me}"
            )));
        }
        if req.via.len() >= MAX_PHOTO_HOPS {
            return Err(ServiceError::FailedPrecondition(format!(
                "the ask has passed through {} hubs already (at most {MAX_PHOTO_HOPS})",
                req.via.len()
            )));
        }
        let unreachable = |why: String| {
            ServiceError::Unreachable(format!(
                "the origin {origin} is unreachable from {me}: {why}"
            ))
        };
        let next = self.peering.next_hop(origin).map_err(|e| match e {
            RouteError::Unroutable(_) => {
                unreachable("not a member or peer, and no hub serves it".into())
            }
            RouteError::ToSelf(_) => ServiceError::Internal("photograph ask to self".into()),
        })?;
        if &next == caller {
            return Err(ServiceError::FailedPrecondition(format!(
                "routing loop: {me} would send the ask back to {next}"
            )));
        }
        let channel = self.peering.channel(&next).map_err(unreachable)?;
        let mut client =
            FederationClient::new(channel).max_decoding_message_size(MAX_PHOTO_ANSWER_BYTES);
        req.via.push(me.to_string());
        let wait = self.config.outbox.delivery_timeout;
        let asked = tokio::time::timeout(wait, client.fetch_photo(req.clone()))
            .await
            .map_err(|_| unreachable(format!("no answer within {} s", wait.as_secs())))?;
        let photo = match asked {
            Ok(photo) => photo.into_inner(),
            // A hub further on already says who is unreachable.
            Err(status)
                if status.code() == tonic::Code::Unavailable
                    && next != *origin
                    && status.message().contains("unreachable") =>
            {
                return Err(ServiceError::Unreachable(status.message().to_string()));
            }
            Err(status)
                if matches!(
                    status.code(),
                    tonic::Code::Unavailable
                        | tonic::Code::DeadlineExceeded
                        | tonic::Code::Unknown
                        | tonic::Code::Cancelled
                ) =>
            {
                let via = if next == *origin {
                    String::new()
                } else {
                    format!(" (through {next})")
                };
                return Err(unreachable(format!("{}{via}", status.message())));
            }
            Err(status) => return Err(answered(&status, &next)),
        };
        if !photo.content.is_empty() || photo.sealed.is_none() {
            return Err(ServiceError::FailedPrecondition(format!(
                "{next} answered with the photograph unsealed: {me} relays sealed answers only"
            )));
        }
        Ok((next, photo))
    }
}
