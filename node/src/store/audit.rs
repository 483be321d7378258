//! Persistence of the hash-chained audit log. Appends happen inside the
//! transaction of the action they record.

use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use super::{Backend, StoreError};
use crate::audit::{AuditRecord, GENESIS, StoredEntry, entry_hash};
use crate::clock::to_millis;

/// Appends one entry, chained to the previous one.
pub async fn append(
    conn: &mut AnyConnection,
    at: OffsetDateTime,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), StoreError> {
    if Backend::of(conn) == Backend::Postgres {
        // Replicas share one chain: serialise appends for this transaction.
        sqlx::query("SELECT pg_advisory_xact_lock(7101)")
            .execute(&mut *conn)
            .await?;
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let (seq, prev_hash) = match head {
        Some(row) => (
            row.try_get::<i64, _>("seq")? as u64 + 1,
            row.try_get::<String, _>("hash")?,
        ),
        None => (1, GENESIS.to_string()),
    };
    let record = AuditRecord {
        seq,
        at_ms: to_millis(at),
        actor: actor.to_string(),
        action: action.to_string(),
        subject: subject.to_string(),
        detail: detail.to_string(),
    };
    let hash = entry_hash(&prev_hash, &record);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq as i64)
    .bind(record.at_ms)
    .bind(&record.actor)
    .bind(&record.action)
    .bind(&record.subject)
    .bind(&record.detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Entries after `after_seq`, in order; `limit` 0 means all.
pub async fn entries(
    pool: &AnyPool,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<StoredEntry>, StoreError> {
    let limit = if limit == 0 {
        i64::MAX
    } else {
        i64::from(limit)
    };
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log \
         WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after_seq as i64)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredEntry {
                record: AuditRecord {
                    seq: row.try_get::<i64, _>("seq")? as u64,
                    at_ms: row.try_get("at")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    subject: row.try_get("subject")?,
                    detail: row.try_get("detail")?,
                },
                prev_hash: row.try_get("prev_hash")?,
                hash: row.try_get("hash")?,
            })
        })
        .collect()
}
