//! Hub bookkeeping: what was relayed (headers only), and the broker's
//! lost/stolen register.

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostStolenRow {
    pub reported_by: String,
    pub make: String,
    pub model: String,
    pub serial_number: String,
    pub calibre: String,
    pub make_key: String,
    pub serial_key: String,
    pub reported_on: String,
    pub circumstances: String,
    pub reference: String,
}

/// Reports per INSERT on SQLite: 10 values each, under its limit on
/// parameters. PostgreSQL takes a whole batch in one statement.
const REPORTS_PER_STATEMENT: usize = 500;

/// The columns a report is written in, in [`report_values`]' order.
const REPORT_COLUMNS: &str = "reported_by, make, model, serial_number, calibre, make_key, \
                              serial_key, reported_on, circumstances, reference";

fn report_values(r: &LostStolenRow) -> [&str; 10] {
    [
        &r.reported_by,
        &r.make,
        &r.model,
        &r.serial_number,
        &r.calibre,
        &r.make_key,
        &r.serial_key,
        &r.reported_on,
        &r.circumstances,
        &r.reference,
    ]
}

/// What makes a report one of its own: a weapon, reported by one state.
fn weapon_key(r: &LostStolenRow) -> (&str, &str, &str) {
    (&r.make_key, &r.serial_key, &r.reported_by)
}

type WeaponKey = (String, String, String);

/// Adds reports in key order; for each, whether it was added (false: the
/// same state had already reported that weapon, or it is repeated in
/// `rows`).
///
/// In key order because imports run side by side on PostgreSQL: two that
/// meet on a key then wait for each other in one order, never in a cycle.
/// On both backends consecutive keys also share index pages.
pub async fn add_lost_stolen_many(
    conn: &mut AnyConnection,
    rows: &[LostStolenRow],
) -> Result<Vec<bool>, StoreError> {
    super::ensure_savepoint(conn).await?;
    let mut sorted: Vec<&LostStolenRow> = rows.iter().collect();
    sorted.sort_unstable_by(|a, b| weapon_key(a).cmp(&weapon_key(b)));
    let mut inserted = std::collections::HashSet::new();
    match super::Backend::of(conn) {
        super::Backend::Postgres => insert_as_columns(conn, &sorted, &mut inserted).await?,
        super::Backend::Sqlite => {
            for chunk in sorted.chunks(REPORTS_PER_STATEMENT) {
                insert_as_rows(conn, chunk, &mut inserted).await?;
            }
        }
    }
    // A report repeated in `rows`: its first line was the one added.
    let owned = |(m, s, r): (&str, &str, &str)| (m.to_owned(), s.to_owned(), r.to_owned());
    Ok(rows
        .iter()
        .map(|r| inserted.remove(&owned(weapon_key(r))))
        .collect())
}

/// SQLite: a multi-row VALUES, ten parameters a report.
async fn insert_as_rows(
    conn: &mut AnyConnection,
    chunk: &[&LostStolenRow],
    inserted: &mut std::collections::HashSet<WeaponKey>,
) -> Result<(), StoreError> {
    let backend = super::Backend::of(conn);
    let sql = format!(
        "INSERT INTO lost_stolen ({REPORT_COLUMNS}) VALUES {} ON CONFLICT DO NOTHING \
         RETURNING make_key, serial_key, reported_by",
        super::sql::placeholders(backend, chunk.len(), 10, 1)
    );
    let mut q = sqlx::query(super::composed(sql));
    for r in chunk {
        for v in report_values(r) {
            q = q.bind(v);
        }
    }
    collect_keys(q.fetch_all(&mut *conn).await?, inserted)
}

/// PostgreSQL: the whole batch in one statement, its columns bound as
/// JSON arrays (`sql::json_columns`), in the key order they were sorted in.
async fn insert_as_columns(
    conn: &mut AnyConnection,
    sorted: &[&LostStolenRow],
    inserted: &mut std::collections::HashSet<WeaponKey>,
) -> Result<(), StoreError> {
    let names: Vec<&str> = REPORT_COLUMNS.split(", ").collect();
    let sql = format!(
        "INSERT INTO lost_stolen ({REPORT_COLUMNS}) SELECT {REPORT_COLUMNS} FROM {} ORDER BY n \
         ON CONFLICT DO NOTHING RETURNING make_key, serial_key, reported_by",
        super::sql::json_columns(1, &names)
    );
    let mut q = sqlx::query(super::composed(sql));
    for column in 0..names.len() {
        q = q.bind(super::sql::json_column(
            sorted.iter().map(|r| report_values(r)[column]),
        ));
    }
    collect_keys(q.fetch_all(&mut *conn).await?, inserted)
}

fn collect_keys(
    rows: Vec<sqlx::any::AnyRow>,
    inserted: &mut std::collections::HashSet<WeaponKey>,
) -> Result<(), StoreError> {
    for row in rows {
        inserted.insert((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
    }
    Ok(())
}

/// Register entries for a normalised make whose serial key is one of
/// `serial_keys` (a reading's own and its transpositions): an index probe
/// per key, whatever the size of the register.
pub async fn lost_stolen_candidates(
    pool: &AnyPool,
    make_key: &str,
    serial_keys: &[String],
) -> Result<Vec<LostStolenRow>, StoreError> {
    if serial_keys.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (2..serial_keys.len() + 2)
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "SELECT reported_by, make, model, serial_number, calibre, make_key, serial_key, \
         reported_on, circumstances, reference FROM lost_stolen \
         WHERE make_key = $1 AND serial_key IN ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query(super::composed(sql)).bind(make_key);
    for k in serial_keys {
        q = q.bind(k.clone());
    }
    let rows = q.fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            Ok(LostStolenRow {
                reported_by: row.try_get("reported_by")?,
                make: row.try_get("make")?,
                model: row.try_get("model")?,
                serial_number: row.try_get("serial_number")?,
                calibre: row.try_get("calibre")?,
                make_key: row.try_get("make_key")?,
                serial_key: row.try_get("serial_key")?,
                reported_on: row.try_get("reported_on")?,
                circumstances: row.try_get("circumstances")?,
                reference: row.try_get("reference")?,
            })
        })
        .collect()
}

/// The rules the register's keys were computed by.
pub async fn register_key_rules(pool: &AnyPool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT rules FROM register_key_rules")
        .fetch_optional(pool)
        .await?
        .unwrap_or(0))
}

/// One report as stored, to compute its keys again.
#[derive(Debug, Clone)]
pub struct KeyedReport {
    pub id: i64,
    pub make: String,
    pub serial_number: String,
    pub make_key: String,
    pub serial_key: String,
}

/// Up to `limit` reports after `after_id`, in id order.
pub async fn reports_after(
    pool: &AnyPool,
    after_id: i64,
    limit: i64,
) -> Result<Vec<KeyedReport>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, make, serial_number, make_key, serial_key FROM lost_stolen \
         WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(KeyedReport {
                id: r.try_get("id")?,
                make: r.try_get("make")?,
                serial_number: r.try_get("serial_number")?,
                make_key: r.try_get("make_key")?,
                serial_key: r.try_get("serial_key")?,
            })
        })
        .collect()
}

/// New keys for a report. A report that now has the keys of another report
/// of the same state is that report: it goes.
pub fn rekey_writes(r: &KeyedReport) -> [Write; 2] {
    [
        Write::new(
            "DELETE FROM lost_stolen WHERE id = $1 AND EXISTS (SELECT 1 FROM lost_stolen o \
             WHERE o.id <> $1 AND o.make_key = $2 AND o.serial_key = $3 \
             AND o.reported_by = (SELECT reported_by FROM lost_stolen WHERE id = $1))",
        )
        .bind(r.id)
        .bind(r.make_key.clone())
        .bind(r.serial_key.clone()),
        Write::new("UPDATE lost_stolen SET make_key = $2, serial_key = $3 WHERE id = $1")
            .bind(r.id)
            .bind(r.make_key.clone())
            .bind(r.serial_key.clone()),
    ]
}

pub fn key_rules_write(rules: i64) -> Write {
    Write::new("UPDATE register_key_rules SET rules = $1").bind(rules)
}
