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

use std::ops::Range;
use std::time::Duration;

use prost::Message;

use iti_proto::v1 as pb;
use iti_proto::v1::federation_client::FederationClient;

use super::access::{Operation, require};
use super::submit::require_poc;
use super::{Actor, Node, ServiceError, ServiceResult};
use crate::bounds::table::MAX_PHOTO_BYTES;
use crate::case::items::ItemWindow;
use crate::envelope::{self, PhotoAskError, seal};
use crate::identity::Officer;
use crate::ids::ParticipantId;
use crate::peering::RouteError;
use crate::photo::{self, PhotoHash};
use crate::policy::photo::{Held, PhotoPermit, PhotoRefused, release_photo};
use crate::store::envelopes::Direction;
use crate::store::photos::{self, PhotoFacts, PhotoRow, Reference};
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

/// A whole photograph, as an officer gets it.
fn view(hash: &PhotoHash, row: PhotoRow) -> pb::Photo {
    pb::Photo {
        sha256: hash.to_string(),
        media_type: row.media_type,
        size_bytes: row.content.len() as u64,
        content: row.content,
        sealed: None,
        offset: 0,
    }
}

/// The largest answer a photograph fetch may bring: one chunk, and what
/// wraps it (the hash, the media type, a seal).
pub const MAX_PHOTO_ANSWER_BYTES: usize = photo::CHUNK_BYTES as usize + 4096;

/// The bytes an answer from `offset` carries, chunks of `length` asked,
/// once `policy::photo` has released the photograph: none when it is not
/// held here. `fields` name the offset and the length for an error.
fn chunk_released(
    facts: Option<&PhotoFacts>,
    (offset, length): (u64, u64),
    fields: [&str; 2],
) -> ServiceResult<Option<Range<u64>>> {
    let length = photo::chunk_length(length).map_err(|e| ServiceError::invalid(fields[1], e))?;
    facts
        .map(|f| {
            photo::chunk_range(offset, length, f.size)
                .map_err(|e| ServiceError::invalid(fields[0], e))
        })
        .transpose()
}

/// What an audit entry says of a release: the bytes that went.
fn released(range: &Option<Range<u64>>, facts: Option<&PhotoFacts>) -> String {
    match (range, facts) {
        (Some(r), Some(f)) => format!("released bytes {}-{} of {}", r.start, r.end, f.size),
        _ => "released".to_string(),
    }
}

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
        let facts = photos::facts(self.store.pool(), hash).await?;
        Ok(facts
            .filter(|f| f.held == Held::Uploaded)
            .map(|f| pb::Attachment {
                sha256: hash.to_string(),
                media_type: f.media_type,
                size_bytes: f.size,
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
                    photos::clear_parts(conn, &hash).await?;
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
            let asked = (req.offset, req.length);
            return self.release_photo_to(caller, &req.sha256, asked).await;
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

    /// `FetchPhoto` without a signed ask: the chunk of a photograph from
    /// `offset`, for `caller`, if `policy::photo` releases it; the decision
    /// is audited either way.
    pub async fn release_photo_to(
        &self,
        caller: &ParticipantId,
        hash: &str,
        asked: (u64, u64),
    ) -> ServiceResult<pb::Photo> {
        let hash = hash_of(hash, "sha256")?;
        let (facts, decision) = self.photo_decision(caller, &hash).await?;
        let range = match &decision {
            Ok(_) => chunk_released(facts.as_ref(), asked, ["offset", "length"])?,
            Err(_) => None,
        };
        let detail = match &decision {
            Ok(_) => released(&range, facts.as_ref()),
            Err(refused) => refused.rules.join("; "),
        };
        self.audit_decision(caller, &hash, decision.is_ok(), &detail)
            .await?;
        decision.map_err(|refused| ServiceError::PermissionDenied(refused.to_string()))?;
        self.photo_chunk(&hash, facts, range).await
    }

    /// The chunk `range` of a photograph held here, with its facts.
    async fn photo_chunk(
        &self,
        hash: &PhotoHash,
        facts: Option<PhotoFacts>,
        range: Option<Range<u64>>,
    ) -> ServiceResult<pb::Photo> {
        let missing = || ServiceError::NotFound(format!("photograph {hash}"));
        let (facts, range) = facts.zip(range).ok_or_else(missing)?;
        let offset = range.start;
        let content = photos::chunk(self.store.pool(), hash, range)
            .await?
            .ok_or_else(missing)?;
        Ok(pb::Photo {
            sha256: hash.to_string(),
            media_type: facts.media_type,
            content,
            sealed: None,
            offset,
            size_bytes: facts.size,
        })
    }

    /// `policy::photo`'s decision for `to`, with the photograph's facts if
    /// held.
    async fn photo_decision(
        &self,
        to: &ParticipantId,
        hash: &PhotoHash,
    ) -> ServiceResult<(Option<PhotoFacts>, Result<PhotoPermit, PhotoRefused>)> {
        let pool = self.store.pool();
        let sent_to: Vec<ParticipantId> = photos::references(pool, hash)
            .await?
            .into_iter()
            .filter(|r| r.direction == Direction::Out)
            .map(|r| r.participant)
            .collect();
        let facts = photos::facts(pool, hash).await?;
        let held = facts
            .as_ref()
            .map(|f| f.held.clone())
            .unwrap_or(Held::Uploaded);
        let decision = release_photo(&held, to, &sent_to);
        Ok((facts, decision))
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
        if req.offset != ask.offset {
            return Err(ServiceError::invalid(
                "offset",
                format!("differs from the signed ask's ({})", ask.offset),
            ));
        }
        if req.length != ask.length {
            return Err(ServiceError::invalid(
                "length",
                format!("differs from the signed ask's ({})", ask.length),
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
        let (facts, decision) = self.photo_decision(&fetcher, &hash).await?;
        let key = self.sealing_key_of(&fetcher);
        let range = match (&decision, &key) {
            (Ok(_), Ok(_)) => chunk_released(
                facts.as_ref(),
                (ask.offset, ask.length),
                ["signed.ask.offset", "signed.ask.length"],
            )?,
            _ => None,
        };
        let detail = match (&decision, &key) {
            (Err(refused), _) => refused.rules.join("; "),
            (Ok(_), Err(why)) => why.clone(),
            (Ok(_), Ok(_)) => format!("{}, sealed to {fetcher}", released(&range, facts.as_ref())),
        };
        let is_released = decision.is_ok() && key.is_ok();
        self.audit_decision(&fetcher, &hash, is_released, &format!("{detail}{through}"))
            .await?;
        decision.map_err(|refused| ServiceError::PermissionDenied(refused.to_string()))?;
        let key = key.map_err(ServiceError::FailedPrecondition)?;
        let plain = self.photo_chunk(&hash, facts, range).await?.encode_to_vec();
        let sealed = seal::seal_photo(&key, &signed.ask, &plain)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(pb::Photo {
            sha256: hash.to_string(),
            sealed: Some(sealed),
            ..Default::default()
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
        let missing = || ServiceError::NotFound(format!("photograph {hash}"));
        if reference.direction != Direction::In {
            return Err(missing());
        }
        self.fetch_photo(&reference.participant, &hash).await?;
        // Read back as stored: the bytes fetched were not kept in memory.
        let row = photos::get(self.store.pool(), &hash)
            .await?
            .ok_or_else(missing)?;
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
                .case_view(officer, &reference.trace_id.to_string(), ItemWindow::ALL)
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
    /// it), one chunk per call, each sized to the line and kept as it
    /// comes, so that a fetch cut off resumes after the chunks held (a
    /// chunk that timed out is asked again smaller); then checks the whole
    /// against the hash, and keeps it.
    async fn fetch_photo(&self, from: &ParticipantId, hash: &PhotoHash) -> ServiceResult<()> {
        let path = self.peering.path(from).map_err(|e| match e {
            RouteError::Unroutable(_) => ServiceError::Unreachable(format!(
                "{from}, which holds photograph {hash}, is unreachable: {e}"
            )),
            RouteError::ToSelf(_) => ServiceError::Internal(e.to_string()),
        })?;
        // Chunks are sized to the line to the next hop; through a hub, the
        // hub waits for the origin up to the delivery timeout, and we twice that.
        let line = path.first().unwrap_or(from);
        let wait = self.config.outbox.delivery_timeout * (1 + path.len().min(1) as u32);
        loop {
            // Another fetch of it (a second officer, the same photograph
            // shown twice on a page) may have finished it meanwhile.
            if photos::facts(self.store.pool(), hash).await?.is_some() {
                return Ok(());
            }
            let (held, size) = photos::parts_held(self.store.pool(), hash).await?;
            if size == Some(held) {
                // Every chunk is held (this fetch or another took the last).
                return self.assemble_photo(from, hash).await;
            }
            let length = self.lines.part_len(line) as u64;
            let asked = photo::Asked { held, length };
            let started = tokio::time::Instant::now();
            let chunk = match path.first() {
                None => self.fetch_direct(from, hash, asked, wait).await?,
                Some(hub) => self.fetch_through(hub, from, hash, asked, wait).await?,
            };
            let len = chunk.content.len() as u64;
            self.lines
                .crossed(line, len as usize, started.elapsed(), wait);
            photo::check_chunk(asked, chunk.offset, len, chunk.size_bytes, MAX_PHOTO_BYTES)
                .map_err(|e| {
                    ServiceError::Unreachable(format!(
                        "{from} answered for photograph {hash} with a chunk that {e}: not taken"
                    ))
                })?;
            tracing::debug!(sha256 = %hash, %from, offset = held, len, size = chunk.size_bytes, "photograph chunk fetched");
            self.keep_chunk(hash, held, chunk.size_bytes, chunk.content)
                .await?;
        }
    }

    async fn keep_chunk(
        &self,
        hash: &PhotoHash,
        offset: u64,
        size: u64,
        content: Vec<u8>,
    ) -> ServiceResult<()> {
        let hash = hash.clone();
        self.store
            .write(move |conn| {
                boxed(async move {
                    photos::put_part(conn, &hash, offset, size, content).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await
    }

    /// The chunks fetched, joined and checked against the hash the message
    /// named (which its signature covers): kept if they are the photograph,
    /// forgotten if not (asked again, it is fetched anew).
    async fn assemble_photo(&self, from: &ParticipantId, hash: &PhotoHash) -> ServiceResult<()> {
        let content = photos::parts(self.store.pool(), hash).await?;
        let media_type = check_bytes(&content, "photo")
            .ok()
            .filter(|_| PhotoHash::of(&content) == *hash);
        let Some(media_type) = media_type else {
            if photos::facts(self.store.pool(), hash).await?.is_some() {
                // Joined and stored by another fetch, which took the chunks.
                return Ok(());
            }
            let forget = hash.clone();
            self.store
                .write(move |conn| {
                    boxed(async move {
                        photos::clear_parts(conn, &forget).await?;
                        Ok::<_, ServiceError>(())
                    })
                })
                .await?;
            return Err(ServiceError::Unreachable(format!(
                "{from} sent bytes that are not photograph {hash}"
            )));
        };
        let held = Held::FetchedFrom(from.clone());
        self.store_photo(hash, media_type, held, content).await
    }

    /// The chunk from `offset`, from `from`, our peer, over the federation
    /// port (it knows us by our certificate).
    async fn fetch_direct(
        &self,
        from: &ParticipantId,
        hash: &PhotoHash,
        asked: photo::Asked,
        wait: Duration,
    ) -> ServiceResult<pb::Photo> {
        let channel = self
            .peering
            .channel(from)
            .map_err(|e| ServiceError::Unreachable(format!("{from} is unreachable: {e}")))?;
        let mut client =
            FederationClient::new(channel).max_decoding_message_size(MAX_PHOTO_ANSWER_BYTES);
        let asked = tokio::time::timeout(
            wait,
            client.fetch_photo(pb::FetchPhotoRequest {
                sha256: hash.to_string(),
                offset: asked.held,
                length: asked.length,
                ..Default::default()
            }),
        )
        .await
        .map_err(|_| {
            self.lines.timed_out(from, asked.length as usize);
            ServiceError::Unreachable(format!("{from} did not answer in time"))
        })?;
        let photo = asked.map_err(|status| fetch_refused(&status, from, hash))?;
        Ok(photo.into_inner())
    }

    /// A signed ask for photograph `hash` of `origin`, from this node: what
    /// it hands to the hub on its route to `origin`.
    pub fn photo_ask(
        &self,
        origin: &ParticipantId,
        hash: &PhotoHash,
        asked: photo::Asked,
    ) -> pb::FetchPhotoRequest {
        let ask = pb::PhotoAsk {
            sha256: hash.to_string(),
            fetcher: self.participant().to_string(),
            origin: origin.to_string(),
            asked_at: Some(crate::clock::to_timestamp(self.now())),
            offset: asked.held,
            length: asked.length,
        };
        pb::FetchPhotoRequest {
            sha256: hash.to_string(),
            signed: Some(envelope::sign_photo_ask(self.signer(), &ask)),
            via: Vec::new(),
            offset: asked.held,
            length: asked.length,
        }
    }

    /// The chunk from `offset`, from `origin`, asked through `hub`: our
    /// signed ask goes out, and the answer comes back sealed to our key.
    async fn fetch_through(
        &self,
        hub: &ParticipantId,
        origin: &ParticipantId,
        hash: &PhotoHash,
        asked: photo::Asked,
        wait: Duration,
    ) -> ServiceResult<pb::Photo> {
        let opening = self.opening_key.as_ref().ok_or_else(|| {
            ServiceError::FailedPrecondition(format!(
                "{origin} is reached through {hub}, and a photograph asked through a hub comes \
                 sealed to this node's key: configure sealing_key"
            ))
        })?;
        let req = self.photo_ask(origin, hash, asked);
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
        let asked = tokio::time::timeout(wait, client.fetch_photo(req))
            .await
            .map_err(|_| {
                self.lines.timed_out(hub, asked.length as usize);
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
        pb::Photo::decode(plain.as_slice()).map_err(|_| {
            ServiceError::Unreachable(format!(
                "the answer through {hub} does not hold a photograph: not taken"
            ))
        })
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
