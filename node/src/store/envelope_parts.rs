//! The parts of envelopes larger than one message, as they arrive
//! (`transfer`): kept in order from the first byte, per sender and
//! SHA-256 of the whole encoding.

use futures::TryStreamExt;
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use super::{StoreError, Write};
use crate::clock::to_millis;
use crate::ids::ParticipantId;

/// How many bytes of an envelope `sender` is delivering are held, from its
/// first byte on (parts are kept only in order), and the size its parts
/// gave (none before the first).
pub async fn held(
    pool: &AnyPool,
    sender: &ParticipantId,
    sha256: &str,
) -> Result<(u64, Option<u64>), StoreError> {
    let row = sqlx::query(
        "SELECT CAST(SUM(length(content)) AS BIGINT) AS held, MAX(size) AS size \
         FROM envelope_parts WHERE sender = $1 AND sha256 = $2",
    )
    .bind(sender.to_string())
    .bind(sha256)
    .fetch_one(pool)
    .await?;
    let held: Option<i64> = row.try_get("held")?;
    let size: Option<i64> = row.try_get("size")?;
    Ok((held.unwrap_or(0) as u64, size.map(|s| s as u64)))
}

/// Keeps the part of an envelope of `size` bytes that starts at `offset`.
/// A part held already (the same part sent twice at once) is kept once.
pub async fn put(
    conn: &mut AnyConnection,
    sender: &ParticipantId,
    sha256: &str,
    offset: u64,
    size: u64,
    content: Vec<u8>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    Write::new(
        "INSERT INTO envelope_parts (sender, sha256, start, size, content, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sender, sha256, start) DO NOTHING",
    )
    .bind(sender.to_string())
    .bind(sha256)
    .bind(offset as i64)
    .bind(size as i64)
    .bind(content)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The parts held of an envelope, joined in order.
pub async fn joined(
    pool: &AnyPool,
    sender: &ParticipantId,
    sha256: &str,
) -> Result<Vec<u8>, StoreError> {
    let mut parts = sqlx::query_scalar::<_, Vec<u8>>(
        "SELECT content FROM envelope_parts WHERE sender = $1 AND sha256 = $2 ORDER BY start",
    )
    .bind(sender.to_string())
    .bind(sha256)
    .fetch(pool);
    let mut whole = Vec::new();
    while let Some(part) = parts.try_next().await? {
        whole.extend_from_slice(&part);
    }
    Ok(whole)
}

/// Forgets the parts of an envelope: received, or not the envelope named.
pub async fn forget(
    conn: &mut AnyConnection,
    sender: &ParticipantId,
    sha256: &str,
) -> Result<(), StoreError> {
    Write::new("DELETE FROM envelope_parts WHERE sender = $1 AND sha256 = $2")
        .bind(sender.to_string())
        .bind(sha256)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets the parts `sender` left unfinished that arrived before `before`.
pub async fn forget_unfinished(
    conn: &mut AnyConnection,
    sender: &ParticipantId,
    before: OffsetDateTime,
) -> Result<(), StoreError> {
    Write::new("DELETE FROM envelope_parts WHERE sender = $1 AND received_at < $2")
        .bind(sender.to_string())
        .bind(to_millis(before))
        .execute(conn)
        .await?;
    Ok(())
}
