//! Photographs (6.2.3): uploaded by an officer composing a request, stored
//! by hash, referenced by hash in the request; released to another
//! participant only through `policy::photo`, and shown to an officer only
//! when their view of a message (after the release gate) references it.
//! The receiving node fetches the bytes from the sender on first use:
//! directly from a peer, or, when it reaches the sender only through hubs,
//! with an ask it signs (naming itself, the sender and the time) that the
//! hubs relay (`hub::photos`); the sender decides for the participant the
//! ask names and answers with the bytes sealed to that participant's key,
//! so the hubs carry ciphertext only.
//! Audit entries and logs name the hash, participants and rules, never the
//! bytes.

use prost::Message;

use iti_proto::v1 as pb;
use iti_proto::v1::federation_client::FederationClient;

use super::access::{Operation, require};
use super::submit::require_poc;
use super::{Actor, Node, ServiceError, ServiceResult};
use crate::bounds::table::MAX_PHOTO_BYTES;
use crate::envelope::{self, PhotoAskError, seal};
use crate::identity::Officer;
use crate::ids::ParticipantId;
use crate::peering::RouteError;
use crate::photo::{self, PhotoHash};
use crate::policy::photo::{Held, PhotoPermit, PhotoRefused, release_photo};
use crate::store::envelopes::Direction;
use crate::store::photos::{self, PhotoRow, Reference};
use crate::store::{audit, boxed};

/// A photograph's hash as given, or the refusal naming `field`.
pub fn hash_of(typed: &str, field: &str) -> ServiceResult<PhotoHash> {
    typed
        .trim()
        .parse()
        .map_err(|e: String| ServiceError::invalid(field, e))
}

/// What a photograph's bytes must be: within the bounds, an image.
fn check_bytes(content: &[u8], field: &str) -> ServiceResult<&'static str> {
    if content.is_empty() || content.len() as u64 > MAX_PHOTO_BYTES {
        return Err(ServiceError::invalid(
            field,
            format!(
                "{} bytes; a photograph has 1 to {MAX_PHOTO_BYTES} bytes",
                content.len()
            ),
        ));
    }
    photo::media_type(content)
        .ok_or_else(|| ServiceError::invalid(field, "not a JPEG, PNG, GIF or WebP image"))
}

fn view(hash: &PhotoHash, row: PhotoRow) -> pb::Photo {
    pb::Photo {
        sha256: hash.to_string(),
        media_type: row.media_type,
        content: row.content,
        sealed: None,
    }
}

/// The largest answer a photograph fetch may bring: the bytes, and what
/// wraps them (the hash, the media type, a seal).
pub const MAX_PHOTO_ANSWER_BYTES: usize = MAX_PHOTO_BYTES as usize + 4096;

/// A signed ask that is not taken, as the caller should read it.
fn ask_refused(e: PhotoAskError) -> ServiceError {
    match e {
        PhotoAskError::Malformed { field, reason } => ServiceError::invalid(field, reason),
        PhotoAskError::NotSignedByFetcher { .. } => {
            ServiceError::PermissionDenied(format!("photograph ask refused: {e}"))
        }
    }
}

/// What another node answered to a fetch, as this node's error: its words
/// kept (a refusal names the rules, an invalid ask the field).
pub(crate) fn answered(status: &tonic::Status, who: &ParticipantId) -> ServiceError {
    let m = status.message().to_string();
    match status.code() {
        tonic::Code::PermissionDenied => ServiceError::PermissionDenied(m),
        tonic::Code::NotFound => ServiceError::NotFound(m),
        tonic::Code::FailedPrecondition => ServiceError::FailedPrecondition(m),
        tonic::Code::InvalidArgument => match m.split_once(": ") {
            Some((field, reason)) => ServiceError::invalid(field, reason),
            None => ServiceError::invalid("sha256", m),
        },
        _ => ServiceError::Unreachable(format!("{who} is unreachable: {m}")),
    }
}

impl Node {
    /// Stores a photograph an officer uploads, for a request to reference.
    pub async fn upload_photo(
        &self,
        officer: &Officer,
        content: Vec<u8>,
        field: &str,
    ) -> ServiceResult<pb::Attachment> {
        require_poc(officer, "attach photographs to requests")?;
        let media_type = check_bytes(&content, field)?;
        let hash = PhotoHash::of(&content);
        let attachment = pb::Attachment {
            sha256: hash.to_string(),
            media_type: media_type.into(),
            size_bytes: content.len() as u64,
            ..Default::default()
        };
        self.store_photo(&hash, media_type, Held::Uploaded, content)
            .await?;
        tracing::info!(officer = %officer, sha256 = %hash, size = attachment.size_bytes, "photograph uploaded");
        Ok(attachment)
    }

    /// The attachment of a photograph uploaded here, for a new request; none
    /// for one not held or fetched from another state (not ours to send).
    pub async fn uploaded_photo(&self, hash: &PhotoHash) -> ServiceResult<Option<pb::Attachment>> {
        let row = photos::get(self.store.pool(), hash).await?;
        Ok(row
            .filter(|r| r.held == Held::Uploaded)
            .map(|r| pb::Attachment {
                sha256: hash.to_string(),
                media_type: r.media_type,
                size_bytes: r.content.len() as u64,
                ..Default::default()
            }))
    }

    async fn store_photo(
        &self,
        hash: &PhotoHash,
        media_type: &str,
        held: Held,
        content: Vec<u8>,
    ) -> ServiceResult<()> {
        let (hash, media_type, now) = (hash.clone(), media_type.to_string(), self.now());
        self.store
            .write(move |conn| {
                boxed(async move {
                    photos::put(conn, &hash, &media_type, &held, content, now).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await
    }

    /// `FetchPhoto` on the federation port, from the authenticated node
    /// `caller`: a direct fetch (released to the caller), a signed ask for
    /// one of ours (released to the fetcher it names, sealed), or, at a hub,
    /// a signed ask for another participant (relayed towards it).
    pub async fn answer_fetch_photo(
        &self,
        caller: &ParticipantId,
        req: pb::FetchPhotoRequest,
    ) -> ServiceResult<pb::Photo> {
        let Some(signed) = req.signed.as_ref() else {
            return self.release_photo_to(caller, &req.sha256).await;
        };
        let (ask, fetcher, _) = envelope::read_photo_ask(signed).map_err(ask_refused)?;
        let origin: ParticipantId = ask.origin.parse().map_err(|e: crate::ids::IdError| {
            ServiceError::invalid("signed.ask.origin", e.to_string())
        })?;
        if &origin == self.participant() {
            return self.release_sealed_photo(caller, &req).await;
        }
        if self.is_hub() {
            return self.relay_photo_ask(caller, req, &fetcher, &origin).await;
        }
        Err(ServiceError::invalid(
            "signed.ask.origin",
            format!(
                "names {origin}, not this node ({}); only hubs relay photograph asks",
                self.participant()
            ),
        ))
    }

    /// `FetchPhoto` without a signed ask: a photograph's bytes for `caller`,
    /// if `policy::photo` releases them; the decision is audited either way.
    pub async fn release_photo_to(
        &self,
        caller: &ParticipantId,
        hash: &str,
    ) -> ServiceResult<pb::Photo> {
        let hash = hash_of(hash, "sha256")?;
        let (row, decision) = self.photo_decision(caller, &hash).await?;
        let detail = match &decision {
            Ok(_) => "released".to_string(),
            Err(refused) => refused.rules.join("; "),
        };
        self.audit_decision(caller, &hash, decision.is_ok(), &detail)
            .await?;
        decision.map_err(|refused| ServiceError::PermissionDenied(refused.to_string()))?;
        let row = row.ok_or_else(|| ServiceError::NotFound(format!("photograph {hash}")))?;
        Ok(view(&hash, row))
    }

    /// `policy::photo`'s decision for `to`, with the photograph if held.
    async fn photo_decision(
        &self,
        to: &ParticipantId,
        hash: &PhotoHash,
    ) -> ServiceResult<(Option<PhotoRow>, Result<PhotoPermit, PhotoRefused>)> {
        let pool = self.store.pool();
        let sent_to: Vec<ParticipantId> = photos::references(pool, hash)
            .await?
            .into_iter()
            .filter(|r| r.direction == Direction::Out)
            .map(|r| r.participant)
            .collect();
        let row = photos::get(pool, hash).await?;
        let held = row
            .as_ref()
            .map(|r| r.held.clone())
            .unwrap_or(Held::Uploaded);
        let decision = release_photo(&held, to, &sent_to);
        Ok((row, decision))
    }

    /// The audit entry of a release decision, in `to`'s name.
    async fn audit_decision(
        &self,
        to: &ParticipantId,
        hash: &PhotoHash,
        released: bool,
        detail: &str,
    ) -> ServiceResult<()> {
        let action = if released {
            "photo_released"
        } else {
            "photo_refused"
        };
        self.audit_photo(&Actor::Participant(to.clone()), action, hash, detail)
            .await
    }

    /// A signed ask for one of our photographs, from `caller` (the fetcher
    /// itself, or the hub that relays it): the ask must be signed by the
    /// fetcher it names, be for this node, and be fresh; `policy::photo`
    /// decides for the fetcher (never for the hub), the decision is audited
    /// in the fetcher's name, and the bytes go sealed to the fetcher's
    /// confirmed key.
    async fn release_sealed_photo(
        &self,
        caller: &ParticipantId,
        req: &pb::FetchPhotoRequest,
    ) -> ServiceResult<pb::Photo> {
        let signed = req
            .signed
            .as_ref()
            .ok_or_else(|| ServiceError::invalid("signed", "missing"))?;
        let now = self.now();
        let (ask, fetcher, asked_at) = match envelope::verify_photo_ask(signed, &self.trust, now) {
            Ok(verified) => verified,
            Err(e @ PhotoAskError::NotSignedByFetcher { .. }) => {
                return Err(self.refuse_forged_ask(caller, signed, e).await?);
            }
            Err(e) => return Err(ask_refused(e)),
        };
        let hash = hash_of(&ask.sha256, "signed.ask.sha256")?;
        if !req.sha256.trim().is_empty() && req.sha256.trim() != ask.sha256 {
            return Err(ServiceError::invalid(
                "sha256",
                format!("differs from the signed ask's ({})", ask.sha256),
            ));
        }
        let through = if caller == &fetcher {
            String::new()
        } else {
            format!(", asked through {caller}")
        };
        if let Err(reason) = photo::check_asked_at(asked_at, now) {
            self.audit_decision(&fetcher, &hash, false, &format!("{reason}{through}"))
                .await?;
            return Err(ServiceError::invalid("signed.ask.asked_at", reason));
        }
        let (row, decision) = self.photo_decision(&fetcher, &hash).await?;
        let key = self.sealing_key_of(&fetcher);
        let detail = match (&decision, &key) {
            (Err(refused), _) => refused.rules.join("; "),
            (Ok(_), Err(why)) => why.clone(),
            (Ok(_), Ok(_)) => format!("released, sealed to {fetcher}"),
        };
        let released = decision.is_ok() && key.is_ok();
        self.audit_decision(&fetcher, &hash, released, &format!("{detail}{through}"))
            .await?;
        decision.map_err(|refused| ServiceError::PermissionDenied(refused.to_string()))?;
        let key = key.map_err(ServiceError::FailedPrecondition)?;
        let row = row.ok_or_else(|| ServiceError::NotFound(format!("photograph {hash}")))?;
        let plain = view(&hash, row).encode_to_vec();
        let sealed = seal::seal_photo(&key, &signed.ask, &plain)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(pb::Photo {
            sha256: hash.to_string(),
            media_type: String::new(),
            content: Vec::new(),
            sealed: Some(sealed),
        })
    }

    /// An ask not signed by the fetcher it names (forged or altered on the
    /// way): refused, audited in the name of the participant that handed it
    /// over, and logged.
    async fn refuse_forged_ask(
        &self,
        caller: &ParticipantId,
        signed: &pb::SignedPhotoAsk,
        e: PhotoAskError,
    ) -> ServiceResult<ServiceError> {
        let (ask, claimed, _) = envelope::read_photo_ask(signed).map_err(ask_refused)?;
        let hash = hash_of(&ask.sha256, "signed.ask.sha256")?;
        let detail = format!(
            "an ask naming {claimed} as the fetcher, handed over by {caller}, is not signed by \
             {claimed}'s key: {e}"
        );
        self.audit_photo(
            &Actor::Participant(caller.clone()),
            "photo_refused",
            &hash,
            &detail,
        )
        .await?;
        tracing::warn!(%caller, fetcher = %claimed, sha256 = %hash, error = %e, "forged photograph ask refused");
        Ok(ask_refused(e))
    }

    /// The key a photograph is sealed to for `fetcher`: its published key,
    /// once its CA is pinned or confirmed (a key only a hub vouches for may
    /// be that hub's own).
    fn sealing_key_of(&self, fetcher: &ParticipantId) -> Result<seal::RecipientKey, String> {
        if !self
            .trust
            .standing
            .may_seal_to(fetcher, self.config.introduction_vouches)
        {
            return Err(format!(
                "{fetcher}'s CA is known only from a hub's word (not confirmed): a photograph \
                 is sealed only to a confirmed participant (itictl peer confirm)"
            ));
        }
        self.peering.encryption_key(fetcher).ok_or_else(|| {
            format!("{fetcher}'s sealing key is not known (it comes with its directory entry)")
        })
    }

    /// Writes one photograph decision to the audit trail: facts only.
    pub(crate) async fn audit_photo(
        &self,
        actor: &Actor,
        action: &'static str,
        hash: &PhotoHash,
        detail: &str,
    ) -> ServiceResult<()> {
        let (who, subject, detail, now) = (
            actor.to_string(),
            format!("photo {hash}"),
            detail.to_string(),
            self.now(),
        );
        self.store
            .write(move |conn| {
                boxed(async move {
                    audit::append(conn, now, &who, action, &subject, &detail).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await
    }

    /// A photograph for an officer: only when a message they may read (as
    /// the release gate shows it to them) references it. Fetched from the
    /// state that sent that message if not held yet.
    pub async fn photo_for(&self, officer: &Officer, hash: &str) -> ServiceResult<pb::Photo> {
        require(officer, Operation::ReadCases)?;
        let hash = hash_of(hash, "sha256")?;
        let reference = self
            .visible_reference(officer, &hash)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "no message you may read references photograph {hash}"
                ))
            })?;
        if let Some(row) = photos::get(self.store.pool(), &hash).await? {
            return Ok(view(&hash, row));
        }
        if reference.direction != Direction::In {
            return Err(ServiceError::NotFound(format!("photograph {hash}")));
        }
        let row = self.fetch_photo(&reference.participant, &hash).await?;
        Ok(view(&hash, row))
    }

    /// The first message referencing `hash` whose view, as the gate
    /// releases it to `officer`, still references it.
    async fn visible_reference(
        &self,
        officer: &Officer,
        hash: &PhotoHash,
    ) -> ServiceResult<Option<Reference>> {
        for reference in photos::references(self.store.pool(), hash).await? {
            let case = self
                .case_view(officer, &reference.trace_id.to_string())
                .await?;
            let shown = case
                .traces
                .iter()
                .flat_map(|t| &t.messages)
                .filter(|m| m.envelope_id == reference.envelope_id.to_string())
                .filter_map(|m| m.payload.as_ref())
                .any(|p| photo::referenced(p).contains(hash));
            if shown {
                return Ok(Some(reference));
            }
        }
        Ok(None)
    }

    /// Fetches a photograph from the participant that referenced it
    /// (directly if it is our peer, else through the hub on our route to
    /// it), checks its bytes against the hash, and keeps it.
    async fn fetch_photo(&self, from: &ParticipantId, hash: &PhotoHash) -> ServiceResult<PhotoRow> {
        let path = self.peering.path(from).map_err(|e| match e {
            RouteError::Unroutable(_) => ServiceError::Unreachable(format!(
                "{from}, which holds photograph {hash}, is unreachable: {e}"
            )),
            RouteError::ToSelf(_) => ServiceError::Internal(e.to_string()),
        })?;
        let content = match path.first() {
            None => self.fetch_direct(from, hash).await?,
            Some(hub) => self.fetch_through(hub, from, hash).await?,
        };
        let media_type = check_bytes(&content, "photo")
            .ok()
            .filter(|_| PhotoHash::of(&content) == *hash)
            .ok_or_else(|| {
                ServiceError::Unreachable(format!(
                    "{from} sent bytes that are not photograph {hash}"
                ))
            })?;
        let held = Held::FetchedFrom(from.clone());
        self.store_photo(hash, media_type, held.clone(), content.clone())
            .await?;
        Ok(PhotoRow {
            media_type: media_type.into(),
            held,
            content,
        })
    }

    /// The bytes from `from`, our peer, over the federation port (it knows
    /// us by our certificate).
    async fn fetch_direct(&self, from: &ParticipantId, hash: &PhotoHash) -> ServiceResult<Vec<u8>> {
        let channel = self
            .peering
            .channel(from)
            .map_err(|e| ServiceError::Unreachable(format!("{from} is unreachable: {e}")))?;
        let mut client =
            FederationClient::new(channel).max_decoding_message_size(MAX_PHOTO_ANSWER_BYTES);
        let asked = tokio::time::timeout(
            self.config.outbox.delivery_timeout,
            client.fetch_photo(pb::FetchPhotoRequest {
                sha256: hash.to_string(),
                ..Default::default()
            }),
        )
        .await
        .map_err(|_| ServiceError::Unreachable(format!("{from} did not answer in time")))?;
        let photo = asked.map_err(|status| fetch_refused(&status, from, hash))?;
        Ok(photo.into_inner().content)
    }

    /// A signed ask for photograph `hash` of `origin`, from this node: what
    /// it hands to the hub on its route to `origin`.
    pub fn photo_ask(&self, origin: &ParticipantId, hash: &PhotoHash) -> pb::FetchPhotoRequest {
        let ask = pb::PhotoAsk {
            sha256: hash.to_string(),
            fetcher: self.participant().to_string(),
            origin: origin.to_string(),
            asked_at: Some(crate::clock::to_timestamp(self.now())),
        };
        pb::FetchPhotoRequest {
            sha256: hash.to_string(),
            signed: Some(envelope::sign_photo_ask(self.signer(), &ask)),
            via: Vec::new(),
        }
    }

    /// The bytes from `origin`, asked through `hub`: our signed ask goes
    /// out, and the answer comes back sealed to our key.
    async fn fetch_through(
        &self,
        hub: &ParticipantId,
        origin: &ParticipantId,
        hash: &PhotoHash,
    ) -> ServiceResult<Vec<u8>> {
        let opening = self.opening_key.as_ref().ok_or_else(|| {
            ServiceError::FailedPrecondition(format!(
                "{origin} is reached through {hub}, and a photograph asked through a hub comes \
                 sealed to this node's key: configure sealing_key"
            ))
        })?;
        let req = self.photo_ask(origin, hash);
        let ask = req
            .signed
            .as_ref()
            .map(|s| s.ask.clone())
            .unwrap_or_default();
        let channel = self.peering.channel(hub).map_err(|e| {
            ServiceError::Unreachable(format!(
                "{hub}, through which {origin} is reached, is unreachable: {e}"
            ))
        })?;
        let mut client =
            FederationClient::new(channel).max_decoding_message_size(MAX_PHOTO_ANSWER_BYTES);
        // The hub waits for the origin up to the same timeout.
        let wait = self.config.outbox.delivery_timeout * 2;
        let asked = tokio::time::timeout(wait, client.fetch_photo(req))
            .await
            .map_err(|_| {
                ServiceError::Unreachable(format!("{origin} did not answer through {hub} in time"))
            })?;
        let photo = asked
            .map_err(|status| fetch_refused(&status, origin, hash))?
            .into_inner();
        let sealed = photo.sealed.ok_or_else(|| {
            ServiceError::Unreachable(format!(
                "the answer through {hub} is not sealed to this node: not taken"
            ))
        })?;
        let plain = opening.open_photo(&sealed, &ask).map_err(|e| {
            ServiceError::Unreachable(format!(
                "the answer through {hub} does not open with this node's key ({e}): not taken"
            ))
        })?;
        let inner = pb::Photo::decode(plain.as_slice()).map_err(|_| {
            ServiceError::Unreachable(format!(
                "the answer through {hub} does not hold a photograph: not taken"
            ))
        })?;
        Ok(inner.content)
    }
}

/// A fetch that did not bring the bytes, as the officer reads it.
fn fetch_refused(status: &tonic::Status, from: &ParticipantId, hash: &PhotoHash) -> ServiceError {
    match status.code() {
        tonic::Code::PermissionDenied => ServiceError::PermissionDenied(format!(
            "{from} refused the photograph: {}",
            status.message()
        )),
        tonic::Code::NotFound => {
            ServiceError::NotFound(format!("{from} does not hold photograph {hash}"))
        }
        tonic::Code::Unavailable if status.message().contains(&from.to_string()) => {
            ServiceError::Unreachable(status.message().to_string())
        }
        _ => answered(status, from),
    }
}
