//! Photographs by the SHA-256 of their bytes, and which messages reference
//! which (who was sent a reference, who sent us one).

use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use iti_proto::v1 as pb;

use super::envelopes::Direction;
use super::{StoreError, Write};
use crate::clock::to_millis;
use crate::envelope::Header;
use crate::ids::{EnvelopeId, ParticipantId, TraceId};
use crate::photo::{self, PhotoHash};
use crate::policy::photo::Held;

/// A stored photograph.
#[derive(Debug, Clone)]
pub struct PhotoRow {
    pub media_type: String,
    pub held: Held,
    pub content: Vec<u8>,
}

/// A message that references a photograph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub envelope_id: EnvelopeId,
    pub trace_id: TraceId,
    pub direction: Direction,
    /// To whom we sent it, or from whom we received it.
    pub participant: ParticipantId,
}

/// Stores a photograph unless it is stored already.
pub async fn put(
    conn: &mut AnyConnection,
    hash: &PhotoHash,
    media_type: &str,
    held: &Held,
    content: Vec<u8>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let origin = match held {
        Held::Uploaded => String::new(),
        Held::FetchedFrom(p) => p.to_string(),
    };
    Write::new(
        "INSERT INTO photos (sha256, media_type, size, origin, stored_at, content) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(hash.as_str())
    .bind(media_type)
    .bind(content.len() as i64)
    .bind(origin)
    .bind(to_millis(at))
    .bind(content)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(pool: &AnyPool, hash: &PhotoHash) -> Result<Option<PhotoRow>, StoreError> {
    let row = sqlx::query("SELECT media_type, origin, content FROM photos WHERE sha256 = $1")
        .bind(hash.as_str())
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let origin: String = row.try_get("origin")?;
    let held = if origin.is_empty() {
        Held::Uploaded
    } else {
        Held::FetchedFrom(
            origin
                .parse()
                .map_err(|_| StoreError::corrupt("photo origin"))?,
        )
    };
    Ok(Some(PhotoRow {
        media_type: row.try_get("media_type")?,
        held,
        content: row.try_get("content")?,
    }))
}

/// The writes that record the photographs a message sent or received
/// references, beside the message.
pub fn reference_writes(
    header: &Header,
    direction: Direction,
    payload: &pb::Payload,
) -> Vec<Write> {
    let (dir, participant) = match direction {
        Direction::Out => ("out", &header.destination),
        Direction::In => ("in", &header.origin),
        Direction::Relay => return vec![],
    };
    photo::referenced(payload)
        .into_iter()
        .map(|hash| {
            Write::new(
                "INSERT INTO photo_refs (sha256, envelope_id, trace_id, direction, participant) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256, envelope_id) DO NOTHING",
            )
            .bind(hash.as_str())
            .bind(header.id.to_string())
            .bind(header.trace_id.to_string())
            .bind(dir)
            .bind(participant.to_string())
        })
        .collect()
}

/// The messages that reference a photograph.
pub async fn references(pool: &AnyPool, hash: &PhotoHash) -> Result<Vec<Reference>, StoreError> {
    let rows = sqlx::query(
        "SELECT envelope_id, trace_id, direction, participant FROM photo_refs \
         WHERE sha256 = $1 ORDER BY envelope_id",
    )
    .bind(hash.as_str())
    .fetch_all(pool)
    .await?;
    let corrupt = |what: &str| StoreError::corrupt(format!("photo reference {what}"));
    rows.iter()
        .map(|r| {
            let direction = match r.try_get::<String, _>("direction")?.as_str() {
                "in" => Direction::In,
                _ => Direction::Out,
            };
            Ok(Reference {
                envelope_id: r
                    .try_get::<String, _>("envelope_id")?
                    .parse()
                    .map_err(|_| corrupt("envelope"))?,
                trace_id: r
                    .try_get::<String, _>("trace_id")?
                    .parse()
                    .map_err(|_| corrupt("trace"))?,
                direction,
                participant: r
                    .try_get::<String, _>("participant")?
                    .parse()
                    .map_err(|_| corrupt("participant"))?,
            })
        })
        .collect()
}
