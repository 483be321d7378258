//! Traces (one request to one requested state), their events, deadline
//! alerts and consents.

use prost::Message;
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use iti_proto::v1 as pb;

use super::StoreError;
use super::provenance::{self, key};
use super::{Write, composed};
use crate::case::draft::DraftProvenance;
use crate::case::machine::TraceState;
use crate::case::role::{Awaiting, TraceRole};
use crate::clock::{from_millis, to_millis};
use crate::deadlines::Due;
use crate::ids::{CaseId, ParticipantId, TraceId};
use crate::policy::marked::{Marked, Provider, Source};
use crate::policy::marking::Marking;

#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow {
    pub trace_id: TraceId,
    pub case_id: CaseId,
    pub role: TraceRole,
    /// The other side: the requested state, or the requester.
    pub counterpart: ParticipantId,
    pub state: TraceState,
    /// The request as last sent (after any resubmission), held as marked
    /// content: where it came from, under which marking.
    pub request: Marked<pb::TraceRequest>,
    /// For a drafted request: this node's own marking, and the fields that
    /// came from another state's information.
    pub draft: Option<DraftProvenance>,
    /// What the trace waits for from this node beyond its state.
    pub awaiting: Awaiting,
    pub on_behalf_of: Option<ParticipantId>,
    pub opened_at: OffsetDateTime,
    /// When the requested side received the request: deadlines count from it.
    pub received_at: Option<OffsetDateTime>,
    pub due: Due,
    pub updated_at: OffsetDateTime,
    /// Elements the completeness check (10.2) found missing.
    pub missing: Vec<pb::MissingElement>,
    /// Fields of the request accepted but flagged (`bounds`).
    pub flags: Vec<pb::InputFlag>,
}

/// One entry of a trace's history. Its detail holds facts (ids, kinds,
/// participants, rules, markings), never content; an event that is itself
/// derived from marked content (a follow-up drafted toward the state a
/// restricted finding named) carries that marking and its sources, and is
/// shown through the release gate.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub trace_id: TraceId,
    pub case_id: CaseId,
    pub at: OffsetDateTime,
    pub kind: String,
    pub actor: String,
    pub detail: String,
    pub envelope_id: Option<String>,
    pub state_after: Option<String>,
    pub derived_from: Option<(Marking, Vec<Source>)>,
    /// The detail as a fact, worded in the reader's language; `None` for
    /// events recorded before facts were (their English detail stands).
    pub fact: Option<pb::Fact>,
}

const TRACE_COLUMNS: &str = "trace_id, case_id, role, counterpart, state, request, on_behalf_of, \
     opened_at, received_at, ack_due, response_due, updated_at, missing, sources, draft_fields, \
     awaiting, flags";

/// Who provided a trace's request when no sources were written down (rows
/// of an earlier version): ourselves when we asked, else the other side.
fn sources_by_role(
    role: TraceRole,
    counterpart: &ParticipantId,
    member: Option<&ParticipantId>,
) -> Vec<Source> {
    let provider = match (role, member) {
        (TraceRole::Requester, _) => Provider::Us,
        (TraceRole::OnBehalf, Some(m)) => Provider::Participant(m.clone()),
        _ => Provider::Participant(counterpart.clone()),
    };
    vec![Source {
        provider,
        message: None,
    }]
}

/// The request as marked content (a draft's request carries the join of
/// its parts already).
fn marked_request(
    request: pb::TraceRequest,
    sources: Vec<Source>,
    draft: Option<&DraftProvenance>,
) -> Marked<pb::TraceRequest> {
    let marking = provenance::held_under(request.marking.as_ref());
    let mut sources = sources;
    if let Some(d) = draft {
        sources.extend(d.fields.iter().map(|f| f.source.clone()));
    }
    provenance::marked(request, marking, sources)
}

fn opt_ms(t: Option<OffsetDateTime>) -> Option<i64> {
    t.map(to_millis)
}

fn missing_json(m: &[pb::MissingElement]) -> String {
    serde_json::to_string(m).unwrap_or_else(|_| "[]".into())
}

fn flags_json(f: &[pb::InputFlag]) -> String {
    serde_json::to_string(f).unwrap_or_else(|_| "[]".into())
}

/// A request sent from here is found again by its key (duplicates).
fn request_key(t: &TraceRow) -> Option<String> {
    (t.role == TraceRole::Requester)
        .then(|| t.request.within_node(crate::case::duplicate::request_key))
}

fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::corrupt(format!("{what} {s:?}")))
}

fn trace_from_row(row: &sqlx::any::AnyRow) -> Result<TraceRow, StoreError> {
    // Borrowed from the row: a request can be tens of megabytes.
    let bytes: &[u8] = row.try_get("request")?;
    let request = pb::TraceRequest::decode(bytes)
        .map_err(|e| StoreError::corrupt(format!("stored request: {e}")))?;
    row_with(row, request)
}

/// A trace as a list shows it: its request with its first `HEAD_ITEMS`
/// items only, and how many it has. A list of a node holding requests of
/// 100,000 items used to decode every one of them whole (some 150 MB a
/// request). Not a [`TraceRow`], so that it cannot be written back.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceHead {
    row: TraceRow,
    items_total: usize,
}

impl TraceHead {
    /// The items a list shows of each request.
    pub const HEAD_ITEMS: usize = 2;

    /// The row, whose request holds its first items only: for reading.
    pub fn row(&self) -> &TraceRow {
        &self.row
    }

    pub fn items_total(&self) -> usize {
        self.items_total
    }

    /// The head of a row held whole: its request cut to its first items.
    pub fn of(row: TraceRow) -> TraceHead {
        let items_total = row.request.within_node(|r| r.items.len());
        let row = TraceRow {
            request: row.request.map(|mut r| {
                r.items.truncate(Self::HEAD_ITEMS);
                // Or the head keeps the whole list's buffer (40 MB for
                // 100,000 items).
                r.items.shrink_to_fit();
                r
            }),
            ..row
        };
        TraceHead { row, items_total }
    }

    /// The row, for a step to change: [`progress_write`] writes it back,
    /// its request aside.
    pub fn row_mut(&mut self) -> &mut TraceRow {
        &mut self.row
    }

    /// The head with `request` in place of its own (a resubmission, a draft
    /// sent): a whole row again, for [`update_write`].
    pub fn with_request(self, request: Marked<pb::TraceRequest>) -> TraceRow {
        TraceRow {
            request,
            ..self.row
        }
    }
}

fn head_from_row(row: &sqlx::any::AnyRow) -> Result<TraceHead, StoreError> {
    // Borrowed from the row: a request can be tens of megabytes.
    let bytes: &[u8] = row.try_get("request")?;
    let (request, items_total) = decode_head(bytes, TraceHead::HEAD_ITEMS)
        .map_err(|e| StoreError::corrupt(format!("stored request: {e}")))?;
    Ok(TraceHead {
        row: row_with(row, request)?,
        items_total,
    })
}

/// Decodes a request keeping its first `keep` items, and counts them all:
/// the others are skipped, not decoded.
fn decode_head(bytes: &[u8], keep: usize) -> Result<(pb::TraceRequest, usize), prost::DecodeError> {
    super::partial::request_keeping(bytes, |i| i < keep)
}

/// A trace row of `row`, with its request as decoded.
fn row_with(row: &sqlx::any::AnyRow, request: pb::TraceRequest) -> Result<TraceRow, StoreError> {
    let missing: String = row.try_get("missing")?;
    let flags: String = row.try_get("flags")?;
    let on_behalf: Option<String> = row.try_get("on_behalf_of")?;
    let role: TraceRole = parse("role", &row.try_get::<String, _>("role")?)?;
    let counterpart: ParticipantId =
        parse("counterpart", &row.try_get::<String, _>("counterpart")?)?;
    let on_behalf_of: Option<ParticipantId> = on_behalf
        .filter(|s| !s.is_empty())
        .map(|s| parse("participant", &s))
        .transpose()?;
    let mut sources = provenance::sources_from(&row.try_get::<String, _>("sources")?)?;
    if sources.is_empty() {
        sources = sources_by_role(role, &counterpart, on_behalf_of.as_ref());
    }
    let draft = provenance::draft_from(&row.try_get::<String, _>("draft_fields")?)?;
    Ok(TraceRow {
        trace_id: parse("trace id", &row.try_get::<String, _>("trace_id")?)?,
        case_id: parse("case id", &row.try_get::<String, _>("case_id")?)?,
        role,
        counterpart,
        state: parse("state", &row.try_get::<String, _>("state")?)?,
        request: marked_request(request, sources, draft.as_ref()),
        draft,
        awaiting: parse("awaiting", &row.try_get::<String, _>("awaiting")?)?,
        on_behalf_of,
        opened_at: from_millis(row.try_get("opened_at")?),
        received_at: row
            .try_get::<Option<i64>, _>("received_at")?
            .map(from_millis),
        due: Due {
            acknowledgement: row.try_get::<Option<i64>, _>("ack_due")?.map(from_millis),
            response: row
                .try_get::<Option<i64>, _>("response_due")?
                .map(from_millis),
        },
        updated_at: from_millis(row.try_get("updated_at")?),
        missing: serde_json::from_str(&missing)
            .map_err(|e| StoreError::corrupt(format!("missing elements: {e}")))?,
        flags: serde_json::from_str(&flags)
            .map_err(|e| StoreError::corrupt(format!("flags: {e}")))?,
    })
}

pub async fn insert(conn: &mut AnyConnection, t: &TraceRow) -> Result<(), StoreError> {
    insert_write(t).execute(conn).await?;
    Ok(())
}

/// The request's own sources (those of its draft fields are written with
/// them).
fn own_sources(t: &TraceRow) -> String {
    let field_sources: Vec<&Source> = t
        .draft
        .iter()
        .flat_map(|d| d.fields.iter().map(|f| &f.source))
        .collect();
    provenance::sources_json(t.request.sources().filter(|s| !field_sources.contains(s)))
}

/// [`insert`], to run with other writes.
pub fn insert_write(t: &TraceRow) -> Write {
    Write::new(
        "INSERT INTO traces (trace_id, case_id, role, counterpart, state, request, on_behalf_of, \
         opened_at, received_at, ack_due, response_due, updated_at, missing, sources, \
         draft_fields, awaiting, flags, request_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18)",
    )
    .bind(t.trace_id.to_string())
    .bind(t.case_id.to_string())
    .bind(t.role.as_str())
    .bind(t.counterpart.to_string())
    .bind(t.state.as_str())
    .bind(t.request.for_store(&key()).encode_to_vec())
    .bind(t.on_behalf_of.as_ref().map(|p| p.to_string()))
    .bind(to_millis(t.opened_at))
    .bind(opt_ms(t.received_at))
    .bind(opt_ms(t.due.acknowledgement))
    .bind(opt_ms(t.due.response))
    .bind(to_millis(t.updated_at))
    .bind(missing_json(&t.missing))
    .bind(own_sources(t))
    .bind(provenance::draft_json(t.draft.as_ref()))
    .bind(t.awaiting.as_str())
    .bind(flags_json(&t.flags))
    .bind(request_key(t))
}

/// Writes back everything that changes over a trace's life.
pub async fn update(conn: &mut AnyConnection, t: &TraceRow) -> Result<(), StoreError> {
    update_write(t).execute(conn).await?;
    Ok(())
}

/// [`update`], to run with other writes: what a step changes, and the
/// request with what goes with it.
pub fn update_write(t: &TraceRow) -> Write {
    bind_progress(
        Write::new(
            "UPDATE traces SET state = $1, received_at = $2, ack_due = $3, response_due = $4, \
             updated_at = $5, missing = $6, counterpart = $7, awaiting = $8, flags = $9, \
             request = $10, sources = $11, draft_fields = $12, request_key = $13 \
             WHERE trace_id = $14",
        ),
        t,
    )
    .bind(t.request.for_store(&key()).encode_to_vec())
    .bind(own_sources(t))
    .bind(provenance::draft_json(t.draft.as_ref()))
    .bind(request_key(t))
    .bind(t.trace_id.to_string())
}

/// Writes back what a step changes of a trace read as a head: everything
/// but its request and what goes with it (its sources, its draft's fields,
/// its duplicate key), which a head does not hold whole.
pub fn progress_write(head: &TraceHead) -> Write {
    let t = &head.row;
    bind_progress(
        Write::new(
            "UPDATE traces SET state = $1, received_at = $2, ack_due = $3, response_due = $4, \
             updated_at = $5, missing = $6, counterpart = $7, awaiting = $8, flags = $9 \
             WHERE trace_id = $10",
        ),
        t,
    )
    .bind(t.trace_id.to_string())
}

/// Binds $1 to $9 of both updates: the columns a step changes.
fn bind_progress(w: Write, t: &TraceRow) -> Write {
    w.bind(t.state.as_str())
        .bind(opt_ms(t.received_at))
        .bind(opt_ms(t.due.acknowledgement))
        .bind(opt_ms(t.due.response))
        .bind(to_millis(t.updated_at))
        .bind(missing_json(&t.missing))
        .bind(t.counterpart.to_string())
        .bind(t.awaiting.as_str())
        .bind(flags_json(&t.flags))
}

/// The trace `id`, its request read as a head: what a step that leaves the
/// request as it is needs. A step on a trace of a 100,000-item request
/// used to decode it whole (some 150 MB) and write it back unchanged.
pub async fn head(conn: &mut AnyConnection, id: TraceId) -> Result<Option<TraceHead>, StoreError> {
    row_of(conn, id)
        .await?
        .as_ref()
        .map(head_from_row)
        .transpose()
}

/// The row of trace `id`, to read whole or as a head.
async fn row_of(
    conn: &mut AnyConnection,
    id: TraceId,
) -> Result<Option<sqlx::any::AnyRow>, StoreError> {
    Ok(sqlx::query(composed(format!(
        "SELECT {TRACE_COLUMNS} FROM traces WHERE trace_id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?)
}

pub async fn head_from_pool(pool: &AnyPool, id: TraceId) -> Result<Option<TraceHead>, StoreError> {
    let mut conn = pool.acquire().await?;
    head(&mut conn, id).await
}

pub async fn exists(conn: &mut AnyConnection, id: TraceId) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 AS one FROM traces WHERE trace_id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

pub async fn get(conn: &mut AnyConnection, id: TraceId) -> Result<Option<TraceRow>, StoreError> {
    row_of(conn, id)
        .await?
        .as_ref()
        .map(trace_from_row)
        .transpose()
}

pub async fn get_from_pool(pool: &AnyPool, id: TraceId) -> Result<Option<TraceRow>, StoreError> {
    let mut conn = pool.acquire().await?;
    get(&mut conn, id).await
}

/// The first trace sent from here (not a draft) whose request has `key`
/// (`case::duplicate::request_key`).
pub async fn sent_with_key(pool: &AnyPool, key: &str) -> Result<Option<TraceRow>, StoreError> {
    let row = sqlx::query(composed(format!(
        "SELECT {TRACE_COLUMNS} FROM traces \
         WHERE request_key = $1 AND role = 'requester' AND state <> 'drafted' \
         ORDER BY opened_at, trace_id LIMIT 1"
    )))
    .bind(key.to_string())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(trace_from_row).transpose()
}

pub async fn case_exists(pool: &AnyPool, case: CaseId) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 AS one FROM traces WHERE case_id = $1 LIMIT 1")
        .bind(case.to_string())
        .fetch_optional(pool)
        .await?;
    Ok(row.is_some())
}

/// The traces of a case as heads: what a case's view needs of any trace
/// but a draft (whose request it shows).
pub async fn heads_for_case(pool: &AnyPool, case: CaseId) -> Result<Vec<TraceHead>, StoreError> {
    case_rows(pool, case)
        .await?
        .iter()
        .map(head_from_row)
        .collect()
}

pub async fn for_case(pool: &AnyPool, case: CaseId) -> Result<Vec<TraceRow>, StoreError> {
    case_rows(pool, case)
        .await?
        .iter()
        .map(trace_from_row)
        .collect()
}

/// The rows of a case's traces, oldest first.
async fn case_rows(pool: &AnyPool, case: CaseId) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    Ok(sqlx::query(composed(format!(
        "SELECT {TRACE_COLUMNS} FROM traces WHERE case_id = $1 ORDER BY opened_at, trace_id"
    )))
    .bind(case.to_string())
    .fetch_all(pool)
    .await?)
}

/// Every trace, most recently updated first, as heads: for figures (the
/// clause 12 report, a hub's statistics), which need no items.
pub async fn all(pool: &AnyPool) -> Result<Vec<TraceHead>, StoreError> {
    let rows = sqlx::query(composed(format!(
        "SELECT {TRACE_COLUMNS} FROM traces ORDER BY updated_at DESC, trace_id"
    )))
    .fetch_all(pool)
    .await?;
    rows.iter().map(head_from_row).collect()
}

/// A page of the traces `keep` accepts, newest first (trace ids are
/// time-ordered UUIDv7: an order that new or changed traces cannot shuffle
/// between pages), starting after the trace `after`; at most `size`. Reads
/// `size` rows at a time, so memory stays flat however many there are.
/// Also returns where the next page starts, if there may be one.
pub async fn page_matching(
    pool: &AnyPool,
    after: Option<TraceId>,
    size: usize,
    keep: impl Fn(&TraceRow) -> bool,
) -> Result<(Vec<TraceHead>, Option<TraceId>), StoreError> {
    let size = size.max(1);
    let mut page = Vec::with_capacity(size);
    let mut cursor = after;
    loop {
        let rows = match cursor {
            Some(after) => {
                sqlx::query(composed(format!(
                    "SELECT {TRACE_COLUMNS} FROM traces WHERE trace_id < $1 \
                     ORDER BY trace_id DESC LIMIT $2"
                )))
                .bind(after.to_string())
                .bind(size as i64)
                .fetch_all(pool)
                .await?
            }
            None => {
                sqlx::query(composed(format!(
                    "SELECT {TRACE_COLUMNS} FROM traces ORDER BY trace_id DESC LIMIT $1"
                )))
                .bind(size as i64)
                .fetch_all(pool)
                .await?
            }
        };
        let exhausted = rows.len() < size;
        for row in &rows {
            let trace = head_from_row(row)?;
            cursor = Some(trace.row.trace_id);
            if keep(&trace.row) {
                page.push(trace);
                if page.len() == size {
                    return Ok((page, cursor));
                }
            }
        }
        if exhausted {
            return Ok((page, None));
        }
    }
}

/// Traces with a deadline at or before `horizon`: read every minute by the
/// sweep, so as heads (a deadline needs no items).
pub async fn with_deadline_before(
    pool: &AnyPool,
    horizon: OffsetDateTime,
) -> Result<Vec<TraceHead>, StoreError> {
    let h = to_millis(horizon);
    let rows = sqlx::query(composed(format!(
        "SELECT {TRACE_COLUMNS} FROM traces \
         WHERE (ack_due IS NOT NULL AND ack_due <= $1) OR (response_due IS NOT NULL AND response_due <= $2) \
         ORDER BY trace_id"
    )))
    .bind(h)
    .bind(h)
    .fetch_all(pool)
    .await?;
    rows.iter().map(head_from_row).collect()
}

/// Open deadlines of the traces of one role, as of `now`: pending (set, not
/// yet passed) and overdue, for the acknowledgement and the response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeadlineCounts {
    pub acknowledgement_pending: i64,
    pub acknowledgement_overdue: i64,
    pub response_pending: i64,
    pub response_overdue: i64,
}

/// Open deadlines by trace role, as of `now` (for the metrics gauges).
pub async fn deadline_counts(
    pool: &AnyPool,
    now: OffsetDateTime,
) -> Result<Vec<(TraceRole, DeadlineCounts)>, StoreError> {
    let t = to_millis(now);
    // A NULL deadline compares to NULL and is counted nowhere.
    let rows = sqlx::query(
        "SELECT role, \
           COUNT(CASE WHEN ack_due > $1 THEN 1 END) AS ack_pending, \
           COUNT(CASE WHEN ack_due <= $2 THEN 1 END) AS ack_overdue, \
           COUNT(CASE WHEN response_due > $3 THEN 1 END) AS response_pending, \
           COUNT(CASE WHEN response_due <= $4 THEN 1 END) AS response_overdue \
         FROM traces WHERE ack_due IS NOT NULL OR response_due IS NOT NULL GROUP BY role",
    )
    .bind(t)
    .bind(t)
    .bind(t)
    .bind(t)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let role = row
                .try_get::<String, _>("role")?
                .parse::<TraceRole>()
                .map_err(StoreError::corrupt)?;
            Ok((
                role,
                DeadlineCounts {
                    acknowledgement_pending: row.try_get("ack_pending")?,
                    acknowledgement_overdue: row.try_get("ack_overdue")?,
                    response_pending: row.try_get("response_pending")?,
                    response_overdue: row.try_get("response_overdue")?,
                },
            ))
        })
        .collect()
}

pub async fn add_event(conn: &mut AnyConnection, e: &EventRow) -> Result<(), StoreError> {
    event_write(e).execute(conn).await?;
    Ok(())
}

/// [`add_event`], to run with other writes.
pub fn event_write(e: &EventRow) -> Write {
    Write::new(
        "INSERT INTO case_events (trace_id, case_id, at, kind, actor, detail, envelope_id, \
         state_after, marking, fact) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(e.trace_id.to_string())
    .bind(e.case_id.to_string())
    .bind(to_millis(e.at))
    .bind(e.kind.as_str())
    .bind(e.actor.as_str())
    .bind(e.detail.as_str())
    .bind(e.envelope_id.clone())
    .bind(e.state_after.clone())
    .bind(e.derived_from.as_ref().map(|(m, sources)| {
        serde_json::json!({
            "marking": provenance::marking_json(m),
            "sources": sources.iter().map(provenance::source_json).collect::<Vec<_>>(),
        })
        .to_string()
    }))
    .bind(e.fact.as_ref().and_then(|f| serde_json::to_string(f).ok()))
}

pub async fn events(pool: &AnyPool, trace: TraceId) -> Result<Vec<EventRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT trace_id, case_id, at, kind, actor, detail, envelope_id, state_after, marking, \
         fact FROM case_events WHERE trace_id = $1 ORDER BY id",
    )
    .bind(trace.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(EventRow {
                trace_id: parse("trace id", &row.try_get::<String, _>("trace_id")?)?,
                case_id: parse("case id", &row.try_get::<String, _>("case_id")?)?,
                at: from_millis(row.try_get("at")?),
                kind: row.try_get("kind")?,
                actor: row.try_get("actor")?,
                detail: row.try_get("detail")?,
                envelope_id: row.try_get("envelope_id")?,
                state_after: row.try_get("state_after")?,
                derived_from: row
                    .try_get::<Option<String>, _>("marking")?
                    .map(|text| derived_from(&text))
                    .transpose()?,
                fact: row
                    .try_get::<Option<String>, _>("fact")?
                    .map(|text| serde_json::from_str(&text))
                    .transpose()
                    .map_err(|_| StoreError::corrupt("event fact"))?,
            })
        })
        .collect()
}

/// Whether this transaction may sweep deadlines: on PostgreSQL one replica
/// at a time (a transaction-scoped advisory lock, not waited for); on
/// SQLite the node is alone.
pub async fn try_sweep_lock(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    if super::Backend::of(conn) != super::Backend::Postgres {
        return Ok(true);
    }
    Ok(sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(7102)")
        .fetch_one(&mut *conn)
        .await?)
}

/// Records a deadline alert; false if it was already raised (by us before a
/// restart, or by another replica).
pub async fn raise_alert(
    conn: &mut AnyConnection,
    trace: TraceId,
    owed: &str,
    alert: &str,
    due: OffsetDateTime,
    raised_at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = Write::new(
        "INSERT INTO deadline_alerts (trace_id, owed, alert, due, raised_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(trace.to_string())
    .bind(owed)
    .bind(alert)
    .bind(to_millis(due))
    .bind(to_millis(raised_at))
    .execute(conn)
    .await?;
    Ok(done == 1)
}

fn derived_from(text: &str) -> Result<(Marking, Vec<Source>), StoreError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|_| StoreError::corrupt("event marking"))?;
    let sources = v["sources"]
        .as_array()
        .map(|a| a.iter().map(provenance::source_from).collect())
        .unwrap_or_else(|| Ok(Vec::new()))?;
    Ok((provenance::marking_from(&v["marking"])?, sources))
}

/// A consent a provider gave (10.3), recorded on the trace it came in on
/// (or, at the provider, the trace it was given on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub trace_id: TraceId,
    /// The message that carried it: its key.
    pub envelope_id: String,
    pub consent: crate::policy::consent::Consent,
    pub granted_at: OffsetDateTime,
}

/// [`ConsentRow`], to write with other writes.
pub fn consent_write(c: &ConsentRow) -> Write {
    let restrictions: Vec<&str> = c.consent.restrictions.iter().map(|r| r.code()).collect();
    Write::new(
        "INSERT INTO consent_grants (envelope_id, trace_id, provider, regarding, use_, destination, \
         restrictions, lifts_tlp, granted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT DO NOTHING",
    )
    .bind(c.envelope_id.clone())
    .bind(c.trace_id.to_string())
    .bind(c.consent.provider.to_string())
    .bind(c.consent.regarding.map(|r| r.to_string()).unwrap_or_default())
    .bind(i64::from(
        c.consent
            .use_
            .to_onward()
            .map(|u| u as i32)
            .unwrap_or_default(),
    ))
    .bind(
        c.consent
            .destination
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default(),
    )
    .bind(restrictions.join(","))
    .bind(i64::from(c.consent.tlp))
    .bind(to_millis(c.granted_at))
}

/// The consents recorded on the traces of a case.
pub async fn consents_in_case(pool: &AnyPool, case: CaseId) -> Result<Vec<ConsentRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT g.envelope_id, g.trace_id, g.provider, g.regarding, g.use_, g.destination, \
         g.restrictions, g.lifts_tlp, g.granted_at FROM consent_grants g \
         JOIN traces t ON t.trace_id = g.trace_id WHERE t.case_id = $1 ORDER BY g.granted_at",
    )
    .bind(case.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter().map(consent_from_row).collect()
}

fn consent_from_row(row: &sqlx::any::AnyRow) -> Result<ConsentRow, StoreError> {
    use crate::policy::Use;
    let corrupt = |what: &str| StoreError::corrupt(format!("consent {what}"));
    let text = |c: &str| row.try_get::<String, _>(c);
    let use_ = pb::OnwardUse::try_from(row.try_get::<i64, _>("use_")? as i32)
        .ok()
        .and_then(|u| Use::try_from(u).ok())
        .ok_or_else(|| corrupt("use"))?;
    let optional = |s: String| (!s.is_empty()).then_some(s);
    Ok(ConsentRow {
        trace_id: parse("trace id", &text("trace_id")?)?,
        envelope_id: text("envelope_id")?,
        consent: crate::policy::consent::Consent {
            provider: text("provider")?.parse().map_err(|_| corrupt("provider"))?,
            regarding: optional(text("regarding")?)
                .map(|r| r.parse().map_err(|_| corrupt("regarding")))
                .transpose()?,
            use_,
            destination: optional(text("destination")?)
                .map(|d| d.parse().map_err(|_| corrupt("destination")))
                .transpose()?,
            restrictions: text("restrictions")?
                .split(',')
                .filter(|r| !r.is_empty())
                .map(|r| r.parse().map_err(|_| corrupt("restriction")))
                .collect::<Result<_, _>>()?,
            tlp: row.try_get::<i64, _>("lifts_tlp")? != 0,
        },
        granted_at: from_millis(row.try_get("granted_at")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_keeps_the_first_items_counts_all_and_every_other_field() {
        let item = |n: usize| pb::RecoveredItem {
            item_ref: format!("exhibit {n}"),
            ..Default::default()
        };
        let request = pb::TraceRequest {
            items: (0..5).map(item).collect(),
            purpose: "tracing".into(),
            requester_reference: "GHA-2026-1".into(),
            individuals: vec![pb::Individual {
                name: "A. Person".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let (head, total) = decode_head(&request.encode_to_vec(), 2).unwrap();
        assert_eq!(total, 5);
        let whole_but_items = pb::TraceRequest {
            items: vec![item(0), item(1)],
            ..request
        };
        assert_eq!(head, whole_but_items);
        assert!(decode_head(&[0x1a, 0x05, 0x0a], 2).is_err(), "a cut item");
    }
}
