//! The durable outbox: what waits to be sent, to whom, since when, and why
//! it has not gone yet.

use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use super::composed;
use super::{Backend, Store, StoreError, Write};
use crate::clock::{from_millis, to_millis};
use crate::ids::{EnvelopeId, TraceId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    Pending,
    /// A hub signed for custody; the destination's receipt is still to come.
    Relayed,
    Delivered,
    /// Definitely refused by the receiver (bad signature, unknown participant…).
    Rejected,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Relayed => "relayed",
            OutboxState::Delivered => "delivered",
            OutboxState::Rejected => "rejected",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => OutboxState::Pending,
            "relayed" => OutboxState::Relayed,
            "delivered" => OutboxState::Delivered,
            "rejected" => OutboxState::Rejected,
            other => return Err(StoreError::corrupt(format!("outbox state {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub seq: i64,
    pub envelope_id: EnvelopeId,
    pub trace_id: TraceId,
    pub destination: String,
    pub kind: i32,
    pub state: OutboxState,
    pub attempts: u32,
    pub next_attempt_at: OffsetDateTime,
    pub next_hop: Option<String>,
    pub last_error: Option<String>,
    pub enqueued_at: OffsetDateTime,
    pub done_at: Option<OffsetDateTime>,
}

impl OutboxRow {
    /// The row `enqueue_write` makes for `header`, as the delivery loop would
    /// read it back.
    pub fn pending(header: &crate::envelope::Header, now: OffsetDateTime) -> OutboxRow {
        OutboxRow {
            seq: 0,
            envelope_id: header.id,
            trace_id: header.trace_id,
            destination: header.destination.to_string(),
            kind: header.kind as i32,
            state: OutboxState::Pending,
            attempts: 0,
            next_attempt_at: now,
            next_hop: None,
            last_error: None,
            enqueued_at: now,
            done_at: None,
        }
    }
}

const COLUMNS: &str = "seq, envelope_id, trace_id, destination, kind, state, attempts, \
     next_attempt_at, next_hop, last_error, enqueued_at, done_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        seq: row.try_get("seq")?,
        envelope_id: row
            .try_get::<String, _>("envelope_id")?
            .parse()
            .map_err(|_| StoreError::corrupt("outbox envelope id"))?,
        trace_id: row
            .try_get::<String, _>("trace_id")?
            .parse()
            .map_err(|_| StoreError::corrupt("outbox trace id"))?,
        destination: row.try_get("destination")?,
        kind: row.try_get::<i64, _>("kind")? as i32,
        state: OutboxState::parse(&row.try_get::<String, _>("state")?)?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?),
        next_hop: row.try_get("next_hop")?,
        last_error: row.try_get("last_error")?,
        enqueued_at: from_millis(row.try_get("enqueued_at")?),
        done_at: row.try_get::<Option<i64>, _>("done_at")?.map(from_millis),
    })
}

pub async fn enqueue(
    conn: &mut AnyConnection,
    envelope_id: EnvelopeId,
    trace_id: TraceId,
    destination: &str,
    kind: i32,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    enqueue_write(envelope_id, trace_id, destination, kind, now)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`enqueue`], to run with other writes.
pub fn enqueue_write(
    envelope_id: EnvelopeId,
    trace_id: TraceId,
    destination: &str,
    kind: i32,
    now: OffsetDateTime,
) -> Write {
    Write::new(
        "INSERT INTO outbox (envelope_id, trace_id, destination, kind, state, attempts, \
         next_attempt_at, enqueued_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6) \
         ON CONFLICT (envelope_id) DO NOTHING",
    )
    .bind(envelope_id.to_string())
    .bind(trace_id.to_string())
    .bind(destination)
    .bind(i64::from(kind))
    .bind(to_millis(now))
    .bind(to_millis(now))
}

/// Claims up to `limit` envelopes that are due, taking only the oldest
/// pending envelope of each conversation so that order within a
/// conversation is kept. A claim is a lease: if the claimer dies, the
/// envelope is claimable again after `lease_until`, and the claim that
/// takes it over counts the attempt the dead claimer never recorded.
///
/// A claim is a transaction of its own (one statement), never part of the
/// writer's batches, and on PostgreSQL it skips rows another transaction
/// has locked instead of waiting for them: it never waits for a lock, so it
/// can never be part of a deadlock (see `pg_batch`).
pub async fn claim_due(
    store: &Store,
    claimer: &str,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let lock = match store.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE outbox SET claimed_by = $1, claimed_until = $2, \
           attempts = attempts + CASE WHEN claimed_by IS NULL THEN 0 ELSE 1 END \
         WHERE seq IN ( \
           SELECT o.seq FROM outbox o \
           WHERE o.state = 'pending' AND o.next_attempt_at <= $3 \
             AND (o.claimed_until IS NULL OR o.claimed_until <= $3) \
             AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.trace_id = o.trace_id \
                             AND p.state = 'pending' AND p.seq < o.seq) \
           ORDER BY o.seq LIMIT $4 {lock}) \
         RETURNING {COLUMNS}"
    );
    let rows = sqlx::query(composed(sql))
        .bind(claimer)
        .bind(to_millis(lease_until))
        .bind(to_millis(now))
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    let mut claimed: Vec<OutboxRow> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    claimed.sort_by_key(|r| r.seq);
    Ok(claimed)
}

/// Envelopes that are due, read without claiming them: the oldest pending
/// envelope of each conversation, oldest first, up to `limit`. For a node
/// that alone sends from its database (SQLite) and keeps what it is sending
/// in memory; replicas sharing a database claim with [`claim_due`].
pub async fn due(
    pool: &AnyPool,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let rows = sqlx::query(composed(format!(
        "SELECT {COLUMNS} FROM outbox o \
         WHERE o.state = 'pending' AND o.next_attempt_at <= $1 \
           AND (o.claimed_until IS NULL OR o.claimed_until <= $1) \
           AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.trace_id = o.trace_id \
                           AND p.state = 'pending' AND p.seq < o.seq) \
         ORDER BY o.seq LIMIT $2"
    )))
    .bind(to_millis(now))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Releases every claim: on SQLite only one process uses the database, so
/// at start any claim is a dead process's (on PostgreSQL, replicas' claims
/// expire with their lease instead).
pub async fn release_all_claims(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    Write::new(
        "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL",
    )
    .execute(conn)
    .await
}

/// When the next pending envelope becomes due, if any.
pub async fn next_due(pool: &AnyPool) -> Result<Option<OffsetDateTime>, StoreError> {
    let row = sqlx::query("SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state = 'pending'")
        .fetch_one(pool)
        .await?;
    Ok(row.try_get::<Option<i64>, _>("t")?.map(from_millis))
}

/// Records the outcome of an attempt on a pending envelope. An envelope no
/// longer pending is left alone: the destination's end-to-end receipt may
/// have come back (through a hub) before the hub's custody receipt was
/// recorded, and "relayed" must not undo "delivered".
pub async fn finish(
    conn: &mut AnyConnection,
    envelope_id: EnvelopeId,
    state: OutboxState,
    next_hop: &str,
    error: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    finish_write(envelope_id, state, next_hop, error, at)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`finish`], to run with other writes.
pub fn finish_write(
    envelope_id: EnvelopeId,
    state: OutboxState,
    next_hop: &str,
    error: Option<&str>,
    at: OffsetDateTime,
) -> Write {
    Write::new(
        "UPDATE outbox SET state = $1, next_hop = $2, last_error = $3, done_at = $4, \
         attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL \
         WHERE envelope_id = $5 AND state = 'pending'",
    )
    .bind(state.as_str())
    .bind(next_hop)
    .bind(error)
    .bind(to_millis(at))
    .bind(envelope_id.to_string())
}

/// A hub that signed for an envelope reports that it could not deliver it:
/// refused, unless its delivery was recorded meanwhile.
pub async fn reject_relayed(
    conn: &mut AnyConnection,
    envelope_id: EnvelopeId,
    hub: &str,
    reason: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    Write::new(
        "UPDATE outbox SET state = 'rejected', next_hop = $1, last_error = $2, done_at = $3, \
         claimed_by = NULL, claimed_until = NULL \
         WHERE envelope_id = $4 AND state IN ('pending', 'relayed')",
    )
    .bind(hub)
    .bind(reason)
    .bind(to_millis(at))
    .bind(envelope_id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the destination's end-to-end receipt for an envelope a hub had
/// signed for.
pub async fn mark_delivered(
    conn: &mut AnyConnection,
    envelope_id: EnvelopeId,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = Write::new(
        "UPDATE outbox SET state = 'delivered', done_at = $1 WHERE envelope_id = $2 \
         AND state IN ('pending', 'relayed')",
    )
    .bind(to_millis(at))
    .bind(envelope_id.to_string())
    .execute(conn)
    .await?;
    Ok(done == 1)
}

pub async fn retry_later(
    conn: &mut AnyConnection,
    envelope_id: EnvelopeId,
    next_hop: &str,
    error: &str,
    next_attempt_at: OffsetDateTime,
) -> Result<(), StoreError> {
    Write::new(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, \
         next_hop = $3, claimed_by = NULL, claimed_until = NULL \
         WHERE envelope_id = $4 AND state = 'pending'",
    )
    .bind(to_millis(next_attempt_at))
    .bind(error)
    .bind(next_hop)
    .bind(envelope_id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes everything pending for `participant`, as the next hop or as the
/// destination, due now: something it waited for (a pin, a sealing key, a
/// confirmation) has come.
pub async fn wake_participant(
    conn: &mut AnyConnection,
    participant: &str,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    Write::new(
        "UPDATE outbox SET next_attempt_at = $1 WHERE state = 'pending' \
         AND (next_hop = $2 OR destination = $2) AND next_attempt_at > $3",
    )
    .bind(to_millis(now))
    .bind(participant)
    .bind(to_millis(now))
    .execute(conn)
    .await
}

pub async fn get(
    conn: &mut AnyConnection,
    envelope_id: EnvelopeId,
) -> Result<Option<OutboxRow>, StoreError> {
    let row = sqlx::query(composed(format!(
        "SELECT {COLUMNS} FROM outbox WHERE envelope_id = $1"
    )))
    .bind(envelope_id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A page of the outbox in the order envelopes were queued, from the
/// envelope after `after_seq` (0: the first), at most `limit`; delivered
/// ones only with `include_done`.
pub async fn list(
    pool: &AnyPool,
    include_done: bool,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let filter = if include_done {
        ""
    } else {
        "AND state IN ('pending', 'relayed', 'rejected')"
    };
    let rows = sqlx::query(composed(format!(
        "SELECT {COLUMNS} FROM outbox WHERE seq > $1 {filter} ORDER BY seq LIMIT $2"
    )))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn for_trace(pool: &AnyPool, trace: TraceId) -> Result<Vec<OutboxRow>, StoreError> {
    let rows = sqlx::query(composed(format!(
        "SELECT {COLUMNS} FROM outbox WHERE trace_id = $1 ORDER BY seq"
    )))
    .bind(trace.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Pending depth and the enqueue time of the oldest pending envelope.
pub async fn depth(pool: &AnyPool) -> Result<(i64, Option<OffsetDateTime>), StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(enqueued_at) AS oldest FROM outbox WHERE state = 'pending'",
    )
    .fetch_one(pool)
    .await?;
    Ok((
        row.try_get("n")?,
        row.try_get::<Option<i64>, _>("oldest")?.map(from_millis),
    ))
}

/// A next hop whose deliveries fail now: pending envelopes already tried
/// and not delivered.
#[derive(Debug, Clone)]
pub struct FailingHop {
    pub hop: String,
    /// When the oldest of them was enqueued.
    pub since: OffsetDateTime,
    pub waiting: u64,
}

pub async fn failing_hops(pool: &AnyPool) -> Result<Vec<FailingHop>, StoreError> {
    let rows = sqlx::query(
        "SELECT COALESCE(next_hop, destination) AS hop, MIN(enqueued_at) AS since, \
         COUNT(*) AS waiting FROM outbox WHERE state = 'pending' AND attempts > 0 \
         GROUP BY COALESCE(next_hop, destination)",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(FailingHop {
                hop: row.try_get("hop")?,
                since: from_millis(row.try_get("since")?),
                waiting: u64::try_from(row.try_get::<i64, _>("waiting")?).unwrap_or(0),
            })
        })
        .collect()
}
