//! Hub bookkeeping: what was relayed (headers only). The broker's
//! lost/stolen register is in `register`.

use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use super::{StoreError, Write};
use crate::clock::{from_millis, to_millis};
use crate::envelope::Header;
use crate::ids::{CaseId, EnvelopeId, ParticipantId, TraceId};

pub async fn log_relay(
    conn: &mut AnyConnection,
    h: &Header,
    from: &ParticipantId,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    relay_write(h, from, at).execute(conn).await?;
    Ok(())
}

/// [`log_relay`], to run with other writes. `from` is the authenticated
/// peer that handed the envelope over.
pub fn relay_write(h: &Header, from: &ParticipantId, at: OffsetDateTime) -> Write {
    Write::new(
        "INSERT INTO relay_log (envelope_id, trace_id, origin, destination, kind, received_at, \
         received_from, case_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(h.id.to_string())
    .bind(h.trace_id.to_string())
    .bind(h.origin.to_string())
    .bind(h.destination.to_string())
    .bind(i64::from(h.kind as i32))
    .bind(to_millis(at))
    .bind(from.to_string())
    .bind(h.case_id.to_string())
}

/// What this hub recorded of an envelope it relayed: header facts, and who
/// handed it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relayed {
    pub case_id: CaseId,
    pub trace_id: TraceId,
    pub origin: ParticipantId,
    pub kind: i32,
    pub received_from: ParticipantId,
}

pub async fn relayed(pool: &AnyPool, envelope: EnvelopeId) -> Result<Option<Relayed>, StoreError> {
    let row = sqlx::query(
        "SELECT case_id, trace_id, origin, kind, received_from FROM relay_log \
         WHERE envelope_id = $1 AND received_from IS NOT NULL",
    )
    .bind(envelope.to_string())
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let text = |column: &str| -> Result<String, StoreError> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .unwrap_or_default())
    };
    let corrupt = |column: &str| StoreError::corrupt(format!("relay_log {column}"));
    Ok(Some(Relayed {
        case_id: text("case_id")?.parse().map_err(|_| corrupt("case_id"))?,
        trace_id: text("trace_id")?.parse().map_err(|_| corrupt("trace_id"))?,
        origin: text("origin")?.parse().map_err(|_| corrupt("origin"))?,
        kind: row.try_get::<i64, _>("kind")? as i32,
        received_from: text("received_from")?
            .parse()
            .map_err(|_| corrupt("received_from"))?,
    }))
}

/// Whether the hub already has `envelope`, or still has an envelope of the
/// same conversation to forward: either way the envelope must not be passed
/// straight through (a repeat is answered from the store; a later message of
/// a conversation must not overtake an earlier one).
pub async fn holds_envelope_or_conversation(
    pool: &AnyPool,
    envelope: EnvelopeId,
    trace: TraceId,
) -> Result<bool, StoreError> {
    let held: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM envelopes WHERE id = $1) \
              + (SELECT COUNT(*) FROM outbox WHERE trace_id = $2 AND state = 'pending')",
    )
    .bind(envelope.to_string())
    .bind(trace.to_string())
    .fetch_one(pool)
    .await?;
    Ok(held > 0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayRow {
    pub trace_id: String,
    pub origin: String,
    pub destination: String,
    pub kind: i32,
    pub received_at: OffsetDateTime,
}

pub async fn relay_log(pool: &AnyPool) -> Result<Vec<RelayRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT trace_id, origin, destination, kind, received_at FROM relay_log ORDER BY received_at",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RelayRow {
                trace_id: row.try_get("trace_id")?,
                origin: row.try_get("origin")?,
                destination: row.try_get("destination")?,
                kind: row.try_get::<i64, _>("kind")? as i32,
                received_at: from_millis(row.try_get("received_at")?),
            })
        })
        .collect()
}
