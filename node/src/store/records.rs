//! The national tracing system's tables: record sources, records (upserted
//! by source key, many rows per statement), the national database of
//! recovered weapons, and answers drafted from the records.

use std::collections::BTreeMap;
use std::sync::Arc;

use prost::Message;
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use iti_proto::v1 as pb;

use super::sql::{json_column, json_columns, list, placeholder, placeholders};
use super::{Backend, Store, StoreError, Write, composed, ensure_savepoint};
use crate::clock::{from_millis, to_millis};
use crate::records::{Domain, Domains, FieldMarkings, Kind, Record, Source, StoredRecord};

/// Rows per INSERT on SQLite: five values each (the source, kind, domain
/// and time are bound once a statement), well under its limit of bound
/// values per statement: one statement per write job of an import.
/// PostgreSQL takes a job's rows in one statement whatever their number.
const ROWS_PER_STATEMENT: usize = 1000;

/// A record as the writer stores it, made beforehand by the import's own
/// task (the writer is serial for the whole node: it only binds).
#[derive(Clone, Debug)]
pub struct RecordRow {
    source_key: String,
    make_key: String,
    serial_key: String,
    date_key: i64,
    record: Vec<u8>,
}

impl From<Record> for RecordRow {
    fn from(r: Record) -> Self {
        RecordRow {
            record: r.fields.encode_to_vec(),
            source_key: r.fields.source_key,
            make_key: r.make_key,
            serial_key: r.serial_key,
            date_key: r.date.key,
        }
    }
}

fn encode_source(s: &Source) -> Vec<u8> {
    pb::ImportHeader {
        source: s.name.clone(),
        kind: 0,
        domain: s.domain.to_proto() as i32,
        markings: s.markings.to_proto(),
        dry_run: false,
    }
    .encode_to_vec()
}

fn decode_source(name: String, domain: &str, markings: &[u8]) -> Result<Source, StoreError> {
    let header = pb::ImportHeader::decode(markings)
        .map_err(|_| StoreError::corrupt(format!("record source {name}: markings")))?;
    Ok(Source {
        domain: Domain::parse(domain)
            .ok_or_else(|| StoreError::corrupt(format!("record source {name}: domain")))?,
        markings: FieldMarkings::try_from_proto(&header.markings)
            .map_err(|_| StoreError::corrupt(format!("record source {name}: markings")))?,
        name,
    })
}

/// Creates or updates a source (its markings; the caller keeps its domain).
pub fn upsert_source_write(s: &Source, now: OffsetDateTime) -> Write {
    Write::new(
        "INSERT INTO record_sources (name, domain, markings, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET domain = excluded.domain, markings = excluded.markings, \
         updated_at = excluded.updated_at",
    )
    .bind(&s.name)
    .bind(s.domain.as_str())
    .bind(encode_source(s))
    .bind(to_millis(now))
}

pub async fn sources(pool: &AnyPool) -> Result<BTreeMap<String, Source>, StoreError> {
    let rows = sqlx::query("SELECT name, domain, markings FROM record_sources")
        .fetch_all(pool)
        .await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let name: String = row.try_get("name")?;
        let domain: String = row.try_get("domain")?;
        let markings: Vec<u8> = row.try_get("markings")?;
        let s = decode_source(name, &domain, &markings)?;
        out.insert(s.name.clone(), s);
    }
    Ok(out)
}

/// Record sources by name.
pub type Sources = BTreeMap<String, Source>;

impl Store {
    /// The record sources: every request received asks which domains have
    /// records, and sources change only when an import ends (kept in
    /// memory on SQLite, once read).
    pub async fn record_sources(&self) -> Result<Arc<Sources>, StoreError> {
        match &self.kept {
            Some(kept) => kept.sources.get(sources(&self.pool)).await,
            None => Ok(Arc::new(sources(&self.pool).await?)),
        }
    }

    /// After a write of [`upsert_source_write`] returned (committed or
    /// not): the sources are read again next time.
    pub fn record_sources_changed(&self) {
        if let Some(kept) = &self.kept {
            kept.sources.changed();
        }
    }
}

/// Upserts records of one source and kind by their source keys, many rows
/// per statement. Returns (new, updated). The caller gives distinct keys.
pub async fn upsert(
    conn: &mut AnyConnection,
    source: &Source,
    kind: Kind,
    rows: &[RecordRow],
    now: OffsetDateTime,
) -> Result<(u64, u64), StoreError> {
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let backend = Backend::of(conn);
    if backend == Backend::Postgres {
        return upsert_counted(conn, source, kind, rows, now).await;
    }
    // New rows take ids above the largest (SQLite's rowid): counted among
    // the last ids afterwards (an index read of as many ids as rows), rather
    // than every key looked up first or every id returned. The writer is
    // the database's only one, so no other row comes in between.
    let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM records")
        .fetch_one(&mut *conn)
        .await?;
    ensure_savepoint(conn).await?;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = upsert_sql(backend, chunk.len());
        bound(sql, source, kind, chunk, now)
            .execute(&mut *conn)
            .await?;
    }
    let (mut newest, mut above) = (String::new(), String::new());
    placeholder(backend, 1, &mut newest);
    placeholder(backend, 2, &mut above);
    let new: i64 = sqlx::query_scalar(composed(format!(
        "SELECT COUNT(*) FROM (SELECT id FROM records ORDER BY id DESC LIMIT {newest}) AS t \
         WHERE id > {above}"
    )))
    .bind(rows.len() as i64)
    .bind(before)
    .fetch_one(&mut *conn)
    .await?;
    let new = new as u64;
    Ok((new, rows.len() as u64 - new))
}

/// PostgreSQL, where imports run side by side (`Store::write_bulk`) and
/// another's new ids may come between: the statement counts its own new
/// rows (a row just inserted has no `xmax`; one updated has this
/// transaction's). The whole batch is one statement, its columns bound as
/// JSON arrays (`sql::json_columns`) in the caller's order, which is the
/// key order.
async fn upsert_counted(
    conn: &mut AnyConnection,
    source: &Source,
    kind: Kind,
    rows: &[RecordRow],
    now: OffsetDateTime,
) -> Result<(u64, u64), StoreError> {
    let columns = json_columns(
        5,
        &["source_key", "make_key", "serial_key", "date_key", "record"],
    );
    let sql = format!(
        "WITH upserted AS (INSERT INTO records ({RECORD_COLUMNS}) \
         SELECT $1, $2, $3, $4, source_key, make_key, serial_key, date_key::bigint, \
         decode(record, 'hex') FROM {columns} ORDER BY n {UPSERT} RETURNING xmax = 0 AS inserted) \
         SELECT COUNT(*) FROM upserted WHERE inserted"
    );
    let dates: Vec<String> = rows.iter().map(|r| r.date_key.to_string()).collect();
    let records: Vec<String> = rows.iter().map(|r| hex::encode(&r.record)).collect();
    let counted = sqlx::query(composed(sql))
        .bind(source.name.as_str())
        .bind(kind.as_str())
        .bind(source.domain.as_str())
        .bind(to_millis(now))
        .bind(json_column(rows.iter().map(|r| r.source_key.as_str())))
        .bind(json_column(rows.iter().map(|r| r.make_key.as_str())))
        .bind(json_column(rows.iter().map(|r| r.serial_key.as_str())))
        .bind(json_column(dates.iter().map(String::as_str)))
        .bind(json_column(records.iter().map(String::as_str)))
        .fetch_one(&mut *conn)
        .await?;
    let new = counted.try_get::<i64, _>(0)? as u64;
    Ok((new, rows.len() as u64 - new))
}

/// SQLite: `sql` (an [`upsert_sql`]) with the source's values and `chunk`'s bound.
fn bound<'q>(
    sql: String,
    source: &'q Source,
    kind: Kind,
    chunk: &'q [RecordRow],
    now: OffsetDateTime,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let q = sqlx::query(composed(sql))
        .bind(source.name.as_str())
        .bind(kind.as_str())
        .bind(source.domain.as_str())
        .bind(to_millis(now));
    chunk.iter().fold(q, |q, r| {
        q.bind(r.source_key.as_str())
            .bind(r.make_key.as_str())
            .bind(r.serial_key.as_str())
            .bind(r.date_key)
            .bind(r.record.as_slice())
    })
}

const RECORD_COLUMNS: &str = "source, kind, domain, updated_at, source_key, make_key, \
                              serial_key, date_key, record";

/// A record again from its source replaces the one stored, in place.
const UPSERT: &str = "ON CONFLICT (source, source_key) DO UPDATE SET kind = excluded.kind, \
                      domain = excluded.domain, make_key = excluded.make_key, \
                      serial_key = excluded.serial_key, date_key = excluded.date_key, \
                      record = excluded.record, updated_at = excluded.updated_at";

/// SQLite: the upsert of `rows` records, the source's values bound once,
/// then five a row (`VALUES` names its columns column1... on both backends; SQLite
/// needs the `WHERE` to read `ON CONFLICT` as the upsert's).
fn upsert_sql(backend: Backend, rows: usize) -> String {
    let mut first = String::new();
    for n in 1..=4 {
        if n > 1 {
            first.push_str(", ");
        }
        placeholder(backend, n, &mut first);
    }
    format!(
        "INSERT INTO records ({RECORD_COLUMNS}) SELECT {first}, column1, column2, column3, \
         column4, column5 FROM (VALUES {}) AS v WHERE true {UPSERT}",
        placeholders(backend, rows, 5, 5)
    )
}

fn stored(
    row: &sqlx::any::AnyRow,
    sources: &BTreeMap<String, Source>,
) -> Result<StoredRecord, StoreError> {
    let source: String = row.try_get("source")?;
    let kind: String = row.try_get("kind")?;
    let domain: String = row.try_get("domain")?;
    let blob: Vec<u8> = row.try_get("record")?;
    let fields = pb::NationalRecord::decode(blob.as_slice())
        .map_err(|_| StoreError::corrupt("a record that does not decode"))?;
    Ok(StoredRecord {
        id: row.try_get("id")?,
        markings: sources
            .get(&source)
            .map(|s| s.markings.clone())
            .unwrap_or_default(),
        source,
        domain: Domain::parse(&domain).ok_or_else(|| StoreError::corrupt("record domain"))?,
        kind: Kind::parse(&kind).ok_or_else(|| StoreError::corrupt("record kind"))?,
        fields,
        make_key: row.try_get("make_key")?,
        serial_key: row.try_get("serial_key")?,
        date: crate::records::RecordDate {
            key: row.try_get("date_key")?,
        },
    })
}

/// Records whose serial key is one of `keys`, in `domains`: an index lookup
/// per key.
pub async fn by_serial_keys(
    pool: &AnyPool,
    keys: &[String],
    domains: &Domains,
    sources: &BTreeMap<String, Source>,
) -> Result<Vec<StoredRecord>, StoreError> {
    if keys.is_empty() || domains.is_empty() {
        return Ok(vec![]);
    }
    // Numbered placeholders work on both backends; a search binds a few.
    let backend = Backend::Postgres;
    let sql = format!(
        "SELECT id, source, kind, domain, make_key, serial_key, date_key, record FROM records \
         WHERE serial_key IN ({}) AND domain IN ({})",
        list(backend, keys.len(), 1),
        list(backend, domains.len(), keys.len() + 1)
    );
    let mut q = sqlx::query(composed(sql));
    for k in keys {
        q = q.bind(k.clone());
    }
    for d in domains {
        q = q.bind(d.as_str());
    }
    let rows = q.fetch_all(pool).await?;
    rows.iter().map(|r| stored(r, sources)).collect()
}

pub async fn count(pool: &AnyPool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM records")
        .fetch_one(pool)
        .await?)
}

/// The record of `source` with `source_key`, if any.
pub async fn by_source_key(
    pool: &AnyPool,
    source: &str,
    source_key: &str,
) -> Result<Option<StoredRecord>, StoreError> {
    let sources = sources(pool).await?;
    let row = sqlx::query(
        "SELECT id, source, kind, domain, make_key, serial_key, date_key, record FROM records \
         WHERE source = $1 AND source_key = $2",
    )
    .bind(source)
    .bind(source_key)
    .fetch_optional(pool)
    .await?;
    row.map(|r| stored(&r, &sources)).transpose()
}

/// One entry of the national database of recovered weapons.
#[derive(Clone, Debug, PartialEq)]
pub struct RecoveredRow {
    pub id: String,
    pub recorded_at: OffsetDateTime,
    pub officer: String,
    pub recovered: pb::TraceRequest,
    pub determination: String,
    pub category: Option<String>,
    pub investigation_case: Option<String>,
    pub drafted_trace: Option<String>,
}

pub fn recovered_write(r: &RecoveredRow) -> Write {
    Write::new(
        "INSERT INTO recovered_weapons (id, recorded_at, officer, recovered, determination, \
         category, investigation_case, drafted_trace) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&r.id)
    .bind(to_millis(r.recorded_at))
    .bind(&r.officer)
    .bind(r.recovered.encode_to_vec())
    .bind(&r.determination)
    .bind(r.category.clone())
    .bind(r.investigation_case.clone())
    .bind(r.drafted_trace.clone())
}

pub async fn recovered(pool: &AnyPool) -> Result<Vec<RecoveredRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, recorded_at, officer, recovered, determination, category, investigation_case, \
         drafted_trace FROM recovered_weapons ORDER BY recorded_at, id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let blob: Vec<u8> = row.try_get("recovered")?;
            Ok(RecoveredRow {
                id: row.try_get("id")?,
                recorded_at: from_millis(row.try_get("recorded_at")?),
                officer: row.try_get("officer")?,
                recovered: pb::TraceRequest::decode(blob.as_slice())
                    .map_err(|_| StoreError::corrupt("recovered weapon"))?,
                determination: row.try_get("determination")?,
                category: row.try_get("category")?,
                investigation_case: row.try_get("investigation_case")?,
                drafted_trace: row.try_get("drafted_trace")?,
            })
        })
        .collect()
}

/// A stored draft answer.
#[derive(Clone, Debug, PartialEq)]
pub struct DraftRow {
    pub trace_id: String,
    pub drafted_at: OffsetDateTime,
    pub outcome: String,
    pub category: Option<String>,
    pub draft: pb::DraftView,
    pub sent_at: Option<OffsetDateTime>,
    pub sent_by: Option<String>,
}

/// Stores a draft, replacing one not yet sent.
pub fn draft_write(d: &DraftRow) -> Write {
    Write::new(
        "INSERT INTO response_drafts (trace_id, drafted_at, outcome, category, draft) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (trace_id) DO UPDATE SET \
         drafted_at = excluded.drafted_at, outcome = excluded.outcome, \
         category = excluded.category, draft = excluded.draft \
         WHERE response_drafts.sent_at IS NULL",
    )
    .bind(&d.trace_id)
    .bind(to_millis(d.drafted_at))
    .bind(&d.outcome)
    .bind(d.category.clone())
    .bind(d.draft.encode_to_vec())
}

/// Records confirmations (the draft with them) or the sending.
pub fn draft_update_write(d: &DraftRow) -> Write {
    Write::new(
        "UPDATE response_drafts SET draft = $2, sent_at = $3, sent_by = $4 WHERE trace_id = $1",
    )
    .bind(&d.trace_id)
    .bind(d.draft.encode_to_vec())
    .bind(d.sent_at.map(to_millis))
    .bind(d.sent_by.clone())
}

fn draft_row(row: &sqlx::any::AnyRow) -> Result<DraftRow, StoreError> {
    let blob: Vec<u8> = row.try_get("draft")?;
    Ok(DraftRow {
        trace_id: row.try_get("trace_id")?,
        drafted_at: from_millis(row.try_get("drafted_at")?),
        outcome: row.try_get("outcome")?,
        category: row.try_get("category")?,
        draft: pb::DraftView::decode(blob.as_slice())
            .map_err(|_| StoreError::corrupt("response draft"))?,
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(from_millis),
        sent_by: row.try_get("sent_by")?,
    })
}

const DRAFT_COLUMNS: &str = "trace_id, drafted_at, outcome, category, draft, sent_at, sent_by";

pub async fn draft(pool: &AnyPool, trace_id: &str) -> Result<Option<DraftRow>, StoreError> {
    let row = sqlx::query(composed(format!(
        "SELECT {DRAFT_COLUMNS} FROM response_drafts WHERE trace_id = $1"
    )))
    .bind(trace_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(draft_row).transpose()
}

/// The same, inside a write job (to update it without a race).
pub async fn draft_in(
    conn: &mut AnyConnection,
    trace_id: &str,
) -> Result<Option<DraftRow>, StoreError> {
    let row = sqlx::query(composed(format!(
        "SELECT {DRAFT_COLUMNS} FROM response_drafts WHERE trace_id = $1"
    )))
    .bind(trace_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(draft_row).transpose()
}

/// Facts of every draft (no content): trace, outcome, category, sent.
pub async fn draft_facts(
    pool: &AnyPool,
) -> Result<Vec<(String, Option<String>, Option<OffsetDateTime>)>, StoreError> {
    let rows = sqlx::query("SELECT trace_id, category, sent_at FROM response_drafts")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("trace_id")?,
                row.try_get("category")?,
                row.try_get::<Option<i64>, _>("sent_at")?.map(from_millis),
            ))
        })
        .collect()
}

/// Requests received and answered: trace, received at, first response sent.
pub async fn answered(
    pool: &AnyPool,
) -> Result<Vec<(String, OffsetDateTime, OffsetDateTime)>, StoreError> {
    let rows = sqlx::query(
        "SELECT t.trace_id, t.received_at, MIN(e.created_at) AS answered_at FROM traces t \
         JOIN envelopes e ON e.trace_id = t.trace_id AND e.direction = 'out' AND e.kind = $1 \
         WHERE t.role = 'requested' AND t.received_at IS NOT NULL \
         GROUP BY t.trace_id, t.received_at",
    )
    .bind(i64::from(pb::PayloadKind::Response as i32))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("trace_id")?,
                from_millis(row.try_get("received_at")?),
                from_millis(row.try_get("answered_at")?),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{postgres_store, sqlite_store};
    use crate::store::{Store, boxed};

    fn source() -> Source {
        Source {
            name: "police-armoury".into(),
            domain: Domain::LawEnforcement,
            markings: FieldMarkings::default(),
        }
    }

    fn record(key: &str, serial: &str, holder: &str) -> Record {
        Record::try_from_line(
            Kind::Holding,
            &pb::NationalRecord {
                source_key: key.into(),
                make: "FN Herstal".into(),
                serial: serial.into(),
                holder: holder.into(),
                holder_category: "state_armoury".into(),
                ..Default::default()
            },
        )
        .unwrap()
    }

    async fn check(store: Store) {
        let now = OffsetDateTime::from_unix_timestamp(1_760_000_000).unwrap();
        let src = source();
        let batch: Vec<RecordRow> = (0..1203)
            .map(|i| record(&format!("K{i}"), &format!("S{i:06}"), "armoury A").into())
            .collect();
        let s = src.clone();
        let (new, updated) = store
            .write(move |conn| {
                boxed(async move {
                    upsert_source_write(&s, now).execute(&mut *conn).await?;
                    upsert(conn, &s, Kind::Holding, &batch, now).await
                })
            })
            .await
            .unwrap();
        assert_eq!((new, updated), (1203, 0));
        // A re-import of one key updates it in place.
        let again: Vec<RecordRow> = vec![
            record("K7", "S000007", "armoury B").into(),
            record("K9999", "X1", "c").into(),
        ];
        let s = src.clone();
        let (new, updated) = store
            .write(move |conn| {
                boxed(async move { upsert(conn, &s, Kind::Holding, &again, now).await })
            })
            .await
            .unwrap();
        assert_eq!((new, updated), (1, 1));
        assert_eq!(count(store.pool()).await.unwrap(), 1204);
        let r = by_source_key(store.pool(), "police-armoury", "K7")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.fields.holder, "armoury B");
        let sources = sources(store.pool()).await.unwrap();
        let keys = vec![crate::matching::serial_key("SOOOOO7")];
        let found = by_serial_keys(
            store.pool(),
            &keys,
            &[Domain::LawEnforcement].into_iter().collect(),
            &sources,
        )
        .await
        .unwrap();
        assert_eq!(found.len(), 1);
        let none = by_serial_keys(
            store.pool(),
            &keys,
            &[Domain::Civilians].into_iter().collect(),
            &sources,
        )
        .await
        .unwrap();
        assert!(none.is_empty(), "another domain's search does not see it");
    }

    fn rows(from: usize, to: usize) -> Vec<RecordRow> {
        (from..to)
            .map(|i| record(&format!("K{i}"), &format!("S{i:06}"), "armoury A").into())
            .collect()
    }

    async fn import(store: &Store, source: &Source, rows: Vec<RecordRow>) -> (u64, u64) {
        let now = OffsetDateTime::from_unix_timestamp(1_760_000_000).unwrap();
        let s = source.clone();
        store
            .write_bulk(move |conn| {
                boxed(async move { upsert(conn, &s, Kind::Holding, &rows, now).await })
            })
            .await
            .unwrap()
    }

    /// Four sources imported at once, each a batch at a time, half of each
    /// batch keys imported before: every import counts its own rows, whatever
    /// the others insert meanwhile (on PostgreSQL they run side by side).
    async fn check_imports_at_once_count_their_own(store: Store) {
        let imports = (0..4).map(|n| {
            let store = store.clone();
            let source = Source {
                name: format!("source-{n}"),
                ..source()
            };
            tokio::spawn(async move {
                let mut counted = (0, 0);
                for b in 0..8 {
                    let (new, updated) =
                        import(&store, &source, rows(b * 300, b * 300 + 600)).await;
                    counted = (counted.0 + new, counted.1 + updated);
                }
                counted
            })
        });
        for counted in futures::future::join_all(imports).await {
            // 2,700 keys in all; each batch's first 300 were in the one before.
            assert_eq!(counted.unwrap(), (2700, 2100));
        }
        assert_eq!(count(store.pool()).await.unwrap(), 4 * 2700);
    }

    #[tokio::test]
    async fn sqlite_imports_at_once_count_their_own() {
        let (_dir, store) = sqlite_store().await;
        check_imports_at_once_count_their_own(store).await;
    }

    #[tokio::test]
    async fn postgres_imports_at_once_count_their_own() {
        let Some((_db, store)) = postgres_store("postgres_imports_at_once_count_their_own").await
        else {
            return;
        };
        check_imports_at_once_count_their_own(store).await;
    }

    /// PostgreSQL: an import's transaction, however long, holds up neither
    /// the node's other writes (a trace arriving) nor another import.
    #[tokio::test]
    async fn postgres_an_import_holds_up_no_other_write() {
        let Some((_db, store)) = postgres_store("postgres_an_import_holds_up_no_other_write").await
        else {
            return;
        };
        let now = OffsetDateTime::from_unix_timestamp(1_760_000_000).unwrap();
        let (started, release) = (
            std::sync::Arc::new(tokio::sync::Notify::new()),
            std::sync::Arc::new(tokio::sync::Notify::new()),
        );
        let (s, batch) = (source(), rows(0, 500));
        let (on_start, on_release) = (started.clone(), release.clone());
        let long = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .write_bulk(move |conn| {
                        boxed(async move {
                            let r = upsert(conn, &s, Kind::Holding, &batch, now).await?;
                            on_start.notify_one();
                            on_release.notified().await;
                            Ok::<_, StoreError>(r)
                        })
                    })
                    .await
            }
        });
        started.notified().await;
        let other = Source {
            name: "army-inventory".into(),
            ..source()
        };
        let guard = std::time::Duration::from_secs(60);
        let s = other.clone();
        let write = store.write(move |conn| {
            boxed(async move { upsert_source_write(&s, now).execute(&mut *conn).await })
        });
        tokio::time::timeout(guard, write)
            .await
            .expect("a write waited for the import's transaction")
            .unwrap();
        let second = import(&store, &other, rows(0, 500));
        assert_eq!(
            tokio::time::timeout(guard, second)
                .await
                .expect("an import waited for another's transaction"),
            (500, 0)
        );
        release.notify_one();
        assert_eq!(long.await.unwrap().unwrap(), (500, 0));
    }

    #[tokio::test]
    async fn sqlite_records_upsert_in_place_and_are_found_by_key() {
        let (_dir, store) = sqlite_store().await;
        check(store).await;
    }

    #[tokio::test]
    async fn postgres_records_upsert_in_place_and_are_found_by_key() {
        let test = "postgres_records_upsert_in_place_and_are_found_by_key";
        let Some((_db, store)) = postgres_store(test).await else {
            return;
        };
        check(store).await;
    }
}
