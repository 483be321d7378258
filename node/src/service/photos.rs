//! Photographs (6.2.3): uploaded by an officer composing a request, stored
//! by hash, referenced by hash in the request; released to another
//! participant only through `policy::photo`, and shown to an officer only
//! when their view of a message (after the release gate) references it.
//! The receiving node fetches the bytes from the sender on first use.
//! Audit entries and logs name the hash, participants and rules, never the
//! bytes.

use iti_proto::v1 as pb;
use iti_proto::v1::federation_client::FederationClient;

use super::access::{Operation, require};
use super::submit::require_poc;
use super::{Actor, Node, ServiceError, ServiceResult};
use crate::bounds::table::MAX_PHOTO_BYTES;
use crate::identity::Officer;
use crate::ids::ParticipantId;
use crate::photo::{self, PhotoHash};
use crate::policy::photo::{Held, release_photo};
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

    /// `FetchPhoto`: a photograph's bytes for `caller`, if `policy::photo`
    /// releases them; the decision is audited either way.
    pub async fn release_photo_to(
        &self,
        caller: &ParticipantId,
        hash: &str,
    ) -> ServiceResult<pb::Photo> {
        let hash = hash_of(hash, "sha256")?;
        let pool = self.store.pool();
        let sent_to: Vec<ParticipantId> = photos::references(pool, &hash)
            .await?
            .into_iter()
            .filter(|r| r.direction == Direction::Out)
            .map(|r| r.participant)
            .collect();
        let row = photos::get(pool, &hash).await?;
        let held = row
            .as_ref()
            .map(|r| r.held.clone())
            .unwrap_or(Held::Uploaded);
        let decision = release_photo(&held, caller, &sent_to);
        let detail = match &decision {
            Ok(_) => "released".to_string(),
            Err(refused) => refused.rules.join("; "),
        };
        let action = if decision.is_ok() {
            "photo_released"
        } else {
            "photo_refused"
        };
        self.audit_photo(&Actor::Participant(caller.clone()), action, &hash, &detail)
            .await?;
        decision.map_err(|refused| ServiceError::PermissionDenied(refused.to_string()))?;
        let row = row.ok_or_else(|| ServiceError::NotFound(format!("photograph {hash}")))?;
        Ok(view(&hash, row))
    }

    async fn audit_photo(
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

    /// Fetches a photograph from the participant that referenced it, checks
    /// its bytes against the hash, and keeps it.
    async fn fetch_photo(&self, from: &ParticipantId, hash: &PhotoHash) -> ServiceResult<PhotoRow> {
        let channel = self
            .peering
            .channel(from)
            .map_err(ServiceError::Unavailable)?;
        let mut client = FederationClient::new(channel)
            .max_decoding_message_size(MAX_PHOTO_BYTES as usize + 1024);
        let asked = tokio::time::timeout(
            self.config.outbox.delivery_timeout,
            client.fetch_photo(pb::FetchPhotoRequest {
                sha256: hash.to_string(),
            }),
        )
        .await
        .map_err(|_| ServiceError::Unavailable(format!("{from} did not answer in time")))?;
        let photo = asked.map_err(|status| match status.code() {
            tonic::Code::PermissionDenied => ServiceError::PermissionDenied(format!(
                "{from} refused the photograph: {}",
                status.message()
            )),
            tonic::Code::NotFound => {
                ServiceError::NotFound(format!("{from} does not hold photograph {hash}"))
            }
            _ => ServiceError::Unavailable(status.message().to_string()),
        })?;
        let photo = photo.into_inner();
        let media_type = check_bytes(&photo.content, "photo")
            .ok()
            .filter(|_| PhotoHash::of(&photo.content) == *hash)
            .ok_or_else(|| {
                ServiceError::Unavailable(format!(
                    "{from} sent bytes that are not photograph {hash}"
                ))
            })?;
        let held = Held::FetchedFrom(from.clone());
        self.store_photo(hash, media_type, held.clone(), photo.content.clone())
            .await?;
        Ok(PhotoRow {
            media_type: media_type.into(),
            held,
            content: photo.content,
        })
    }
}
