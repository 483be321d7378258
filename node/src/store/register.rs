//! The broker's lost/stolen register: imports staged and merged in key
//! order, lookups by key, keys computed again when their rules change.

use sqlx::{AnyConnection, AnyPool, Executor, Row};

use super::{Store, StoreError, Write};

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

/// Reports per INSERT on SQLite: 12 values each, under its limit on
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

/// A report of a feed, with the line of the feed it came on.
#[derive(Debug, Clone)]
pub struct FeedLine {
    pub line: u64,
    pub report: LostStolenRow,
}

/// Takes a batch of `feed`'s reports. On SQLite they are appended to the
/// feed's staging, a sequential write, neither checked against the
/// register nor found by matching until [`merge_staged`] adds them. On
/// PostgreSQL, whose B-trees and shared buffers take random keys well,
/// they are added now, in key order; what they repeat is answered now.
pub async fn stage(
    conn: &mut AnyConnection,
    feed: i64,
    lines: &[FeedLine],
) -> Result<Merged, StoreError> {
    super::ensure_savepoint(conn).await?;
    match super::Backend::of(conn) {
        super::Backend::Postgres => add_in_key_order(conn, lines).await,
        super::Backend::Sqlite => {
            for chunk in lines.chunks(REPORTS_PER_STATEMENT) {
                stage_as_rows(conn, feed, chunk).await?;
            }
            Ok(Merged::default())
        }
    }
}

/// SQLite: a multi-row VALUES, twelve parameters a report.
async fn stage_as_rows(
    conn: &mut AnyConnection,
    feed: i64,
    chunk: &[FeedLine],
) -> Result<(), StoreError> {
    let backend = super::Backend::of(conn);
    let sql = format!(
        "INSERT INTO lost_stolen_staged (feed, line, {REPORT_COLUMNS}) VALUES {}",
        super::sql::placeholders(backend, chunk.len(), 12, 1)
    );
    let mut q = sqlx::query(super::composed(sql));
    for l in chunk {
        q = q.bind(feed).bind(l.line as i64);
        for v in report_values(&l.report) {
            q = q.bind(v);
        }
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// What makes a report one of its own: a weapon, reported by one state.
fn weapon_key(r: &LostStolenRow) -> (&str, &str, &str) {
    (&r.make_key, &r.serial_key, &r.reported_by)
}

type WeaponKey = (String, String, String);

/// PostgreSQL: adds a batch in one statement, its columns bound as JSON
/// arrays (`sql::json_columns`), in key order: two imports that meet on a
/// key then wait for each other in one order, never in a cycle. The first
/// line of a weapon reported by a state is added.
async fn add_in_key_order(
    conn: &mut AnyConnection,
    lines: &[FeedLine],
) -> Result<Merged, StoreError> {
    let mut sorted: Vec<&LostStolenRow> = lines.iter().map(|l| &l.report).collect();
    sorted.sort_unstable_by(|a, b| weapon_key(a).cmp(&weapon_key(b)));
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
    let mut inserted = std::collections::HashSet::<WeaponKey>::new();
    for row in q.fetch_all(&mut *conn).await? {
        inserted.insert((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
    }
    let owned = |(m, s, r): (&str, &str, &str)| (m.to_owned(), s.to_owned(), r.to_owned());
    let mut merged = Merged::default();
    for l in lines {
        // A report repeated in the batch: its first line was the one added.
        if inserted.remove(&owned(weapon_key(&l.report))) {
            merged.added += 1;
        } else {
            merged.repeated.push(Repeated::of(l));
        }
    }
    Ok(merged)
}

/// A line of a feed that was not added: the register already held that
/// weapon from that state, or an earlier line of the feed did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated {
    pub line: u64,
    pub make: String,
    pub serial_number: String,
    pub reported_by: String,
}

impl Repeated {
    fn of(l: &FeedLine) -> Repeated {
        Repeated {
            line: l.line,
            make: l.report.make.clone(),
            serial_number: l.report.serial_number.clone(),
            reported_by: l.report.reported_by.clone(),
        }
    }
}

/// What a merge (or, on PostgreSQL, a batch's staging) did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Merged {
    pub added: u64,
    /// In line order.
    pub repeated: Vec<Repeated>,
}

/// The staging of a merge, sorted: `n`, the rowid, numbers its rows in
/// key order, so that reading them in that order is a plain scan.
const SORTED_TABLE: &str = "CREATE TEMPORARY TABLE lost_stolen_sorted (n INTEGER PRIMARY KEY, \
     line BIGINT NOT NULL, reported_by TEXT NOT NULL, make TEXT NOT NULL, model TEXT NOT NULL, \
     serial_number TEXT NOT NULL, calibre TEXT NOT NULL, make_key TEXT NOT NULL, \
     serial_key TEXT NOT NULL, reported_on TEXT NOT NULL, circumstances TEXT NOT NULL, \
     reference TEXT NOT NULL)";

/// Adds every report staged by `feed` to the register, in key order, and
/// forgets the staging. The first line of a weapon reported by a state is
/// added; a later line, or one the register already holds, is not.
///
/// In key order because a large index is written page after page: many
/// reports of one merge share each page, where batches of random keys
/// wrote about one page of a large index each (at ten million reports,
/// SQLite's single writer spent its time writing those pages).
/// PostgreSQL stages nothing ([`stage`]): nothing to do there.
pub async fn merge_staged(conn: &mut AnyConnection, feed: i64) -> Result<Merged, StoreError> {
    if super::Backend::of(conn) == super::Backend::Postgres {
        return Ok(Merged::default());
    }
    super::ensure_savepoint(conn).await?;
    conn.execute(SORTED_TABLE).await?;
    sqlx::query(super::composed(format!(
        "INSERT INTO lost_stolen_sorted (line, {REPORT_COLUMNS}) \
         SELECT line, {REPORT_COLUMNS} FROM lost_stolen_staged WHERE feed = $1 \
         ORDER BY make_key, serial_key, reported_by, line"
    )))
    .bind(feed)
    .execute(&mut *conn)
    .await?;
    let repeated = repeated_lines(conn).await?;
    let added = sqlx::query(super::composed(format!(
        "INSERT INTO lost_stolen ({REPORT_COLUMNS}) SELECT {REPORT_COLUMNS} \
         FROM lost_stolen_sorted ORDER BY n ON CONFLICT DO NOTHING"
    )))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    conn.execute("DROP TABLE lost_stolen_sorted").await?;
    forget_feed(feed).execute(conn).await?;
    Ok(Merged { added, repeated })
}

/// The sorted lines a merge will not add: the one before has the same
/// weapon and state (so a smaller line), or the register holds it.
async fn repeated_lines(conn: &mut AnyConnection) -> Result<Vec<Repeated>, StoreError> {
    let same = |t: &str| {
        format!(
            "{t}.make_key = s.make_key AND {t}.serial_key = s.serial_key \
             AND {t}.reported_by = s.reported_by"
        )
    };
    let rows = sqlx::query(super::composed(format!(
        "SELECT line, make, serial_number, reported_by FROM lost_stolen_sorted s \
         WHERE EXISTS (SELECT 1 FROM lost_stolen_sorted p WHERE p.n = s.n - 1 AND {}) \
         OR EXISTS (SELECT 1 FROM lost_stolen r WHERE {}) ORDER BY line",
        same("p"),
        same("r")
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Repeated {
                line: row.try_get::<i64, _>("line")? as u64,
                make: row.try_get("make")?,
                serial_number: row.try_get("serial_number")?,
                reported_by: row.try_get("reported_by")?,
            })
        })
        .collect()
}

/// Forgets what `feed` staged (merged, or abandoned by a failed import).
pub fn forget_feed(feed: i64) -> Write {
    Write::new("DELETE FROM lost_stolen_staged WHERE feed = $1").bind(feed)
}

/// Forgets everything staged: at start on SQLite, where this process is the
/// only writer, it was left by imports the node stopped during.
pub fn forget_all_staged() -> Write {
    Write::new("DELETE FROM lost_stolen_staged")
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

async fn holds_reports(pool: &AnyPool) -> Result<bool, StoreError> {
    let one: Option<i64> = sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM lost_stolen LIMIT 1")
        .fetch_optional(pool)
        .await?;
    Ok(one.is_some())
}

impl Store {
    /// Whether the register holds any report: a hub that holds none (not a
    /// broker) need not read the requests it relays. Asked for each
    /// request relayed, changed only by an import (kept in memory on
    /// SQLite, once read).
    pub async fn register_holds_reports(&self) -> Result<bool, StoreError> {
        match &self.kept {
            Some(kept) => Ok(*kept
                .register_holds_reports
                .get(holds_reports(&self.pool))
                .await?),
            None => holds_reports(&self.pool).await,
        }
    }

    /// After an import's merge returned (committed or not): the register
    /// is asked again next time.
    pub fn register_changed(&self) {
        if let Some(kept) = &self.kept {
            kept.register_holds_reports.changed();
        }
    }
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
