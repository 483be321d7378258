//! Photographs by the SHA-256 of their bytes, and which messages reference
//! which (who was sent a reference, who sent us one).

use std::ops::Range;

use futures::TryStreamExt;
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
    Ok(Some(PhotoRow {
        media_type: row.try_get("media_type")?,
        held: held_of(row.try_get("origin")?)?,
        content: row.try_get("content")?,
    }))
}

/// A stored photograph's facts, without its bytes.
#[derive(Debug, Clone)]
pub struct PhotoFacts {
    pub media_type: String,
    pub held: Held,
    pub size: u64,
}

pub async fn facts(pool: &AnyPool, hash: &PhotoHash) -> Result<Option<PhotoFacts>, StoreError> {
    let row = sqlx::query("SELECT media_type, origin, size FROM photos WHERE sha256 = $1")
        .bind(hash.as_str())
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(PhotoFacts {
        media_type: row.try_get("media_type")?,
        held: held_of(row.try_get("origin")?)?,
        size: row.try_get::<i64, _>("size")? as u64,
    }))
}

/// The bytes `range` of a stored photograph, read without the rest (a
/// chunk of a large one is all a fetch needs in memory).
pub async fn chunk(
    pool: &AnyPool,
    hash: &PhotoHash,
    range: Range<u64>,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row = sqlx::query(
        "SELECT substr(content, CAST($2 AS INTEGER), CAST($3 AS INTEGER)) AS part \
         FROM photos WHERE sha256 = $1",
    )
    .bind(hash.as_str())
    .bind(range.start as i64 + 1)
    .bind((range.end - range.start) as i64)
    .fetch_optional(pool)
    .await?;
    row.map(|r| r.try_get("part"))
        .transpose()
        .map_err(Into::into)
}

fn held_of(origin: String) -> Result<Held, StoreError> {
    if origin.is_empty() {
        return Ok(Held::Uploaded);
    }
    let from = origin
        .parse()
        .map_err(|_| StoreError::corrupt("photo origin"))?;
    Ok(Held::FetchedFrom(from))
}

/// How many bytes of a photograph being fetched are held already, from
/// its first byte on (chunks are kept only in order), and the whole size
/// its origin gave (none before the first chunk).
pub async fn parts_held(
    pool: &AnyPool,
    hash: &PhotoHash,
) -> Result<(u64, Option<u64>), StoreError> {
    let row = sqlx::query(
        "SELECT CAST(SUM(length(content)) AS BIGINT) AS held, MAX(size) AS size \
         FROM photo_parts WHERE sha256 = $1",
    )
    .bind(hash.as_str())
    .fetch_one(pool)
    .await?;
    let held: Option<i64> = row.try_get("held")?;
    let size: Option<i64> = row.try_get("size")?;
    Ok((held.unwrap_or(0) as u64, size.map(|s| s as u64)))
}

/// Keeps a chunk of a photograph of `size` bytes being fetched, so that a
/// fetch cut off resumes after it. A chunk held already (two fetches of
/// one photograph at once) is kept once, and none once the photograph is
/// stored (another fetch joined it and took its chunks).
pub async fn put_part(
    conn: &mut AnyConnection,
    hash: &PhotoHash,
    offset: u64,
    size: u64,
    content: Vec<u8>,
) -> Result<(), StoreError> {
    Write::new(
        "INSERT INTO photo_parts (sha256, start, size, content) SELECT $1, $2, $3, $4 \
         WHERE NOT EXISTS (SELECT 1 FROM photos WHERE sha256 = $1) \
         ON CONFLICT (sha256, start) DO NOTHING",
    )
    .bind(hash.as_str())
    .bind(offset as i64)
    .bind(size as i64)
    .bind(content)
    .execute(conn)
    .await?;
    Ok(())
}

/// The chunks held of a photograph being fetched, joined in order.
pub async fn parts(pool: &AnyPool, hash: &PhotoHash) -> Result<Vec<u8>, StoreError> {
    let mut chunks = sqlx::query_scalar::<_, Vec<u8>>(
        "SELECT content FROM photo_parts WHERE sha256 = $1 ORDER BY start",
    )
    .bind(hash.as_str())
    .fetch(pool);
    let mut whole = Vec::new();
    while let Some(chunk) = chunks.try_next().await? {
        whole.extend_from_slice(&chunk);
    }
    Ok(whole)
}

/// Forgets the chunks of a photograph: assembled and stored, or found not
/// to be the photograph named.
pub async fn clear_parts(conn: &mut AnyConnection, hash: &PhotoHash) -> Result<(), StoreError> {
    Write::new("DELETE FROM photo_parts WHERE sha256 = $1")
        .bind(hash.as_str())
        .execute(conn)
        .await?;
    Ok(())
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
