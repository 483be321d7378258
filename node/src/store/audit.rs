//! Persistence of the hash-chained audit log. Appends happen inside the
//! transaction of the action they record.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex};

use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use super::{Backend, StoreError, Write, Writes};
use crate::audit::{AuditRecord, GENESIS, Head, StoredEntry, entry_hash};
use crate::clock::to_millis;

thread_local! {
    /// Whether this thread is a SQLite store's writer: the only thread that
    /// appends to its chain, so it may remember the head it last wrote.
    static CACHING: Cell<bool> = const { Cell::new(false) };
    /// The head (seq, hash) this writer last appended, in a transaction that
    /// has not been rolled back since.
    static HEAD: RefCell<Option<(u64, String)>> = const { RefCell::new(None) };
}

/// Called on a SQLite store's writer thread: appends there keep the chain's
/// head in memory instead of reading it back before every entry (one round
/// trip to the database less per append, on the writer that every change
/// waits for). PostgreSQL replicas share a chain and always read it.
pub(super) fn cache_head_on_this_thread() {
    CACHING.with(|c| c.set(true));
}

/// Called whenever the writer rolls anything back: the remembered head may
/// be an entry that no longer exists.
pub(super) fn forget_cached_head() {
    HEAD.with(|h| h.borrow_mut().take());
}

/// The chain's head as a SQLite store's writer last committed it, read
/// without a trip to the database: a receiver puts its head in every
/// receipt it signs. Only the writer sets it, after each commit, so it is
/// never ahead of what is committed. (PostgreSQL replicas share one chain:
/// there the head is read.)
#[derive(Clone, Debug)]
pub(super) struct CommittedHead(Arc<Mutex<Option<Head>>>);

impl CommittedHead {
    /// As committed when the store opens.
    pub(super) async fn read(pool: &AnyPool) -> Result<CommittedHead, StoreError> {
        Ok(CommittedHead(Arc::new(Mutex::new(head(pool).await?))))
    }

    pub(super) fn get(&self) -> Option<Head> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// On the writer, just after a commit: the head it appended last, or,
    /// when a rollback made it forget that, the head read back (and
    /// remembered again). A failed read keeps the head before, which is
    /// committed too: the batch's commit stands either way.
    pub(super) async fn publish(&self, conn: &mut AnyConnection) {
        let caching = CACHING.with(Cell::get);
        let remembered = caching.then(|| HEAD.with(|h| h.borrow().clone())).flatten();
        let head = match remembered {
            Some(head) => head,
            None => match read_head(conn).await {
                Ok(Some(head)) => {
                    if caching {
                        HEAD.with(|h| *h.borrow_mut() = Some(head.clone()));
                    }
                    head
                }
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "the audit head could not be read after a commit");
                    return;
                }
            },
        };
        let (seq, hash) = head;
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(Head { seq, hash });
    }
}

/// The newest entry's (seq, hash), read through `conn`.
async fn read_head(conn: &mut AnyConnection) -> Result<Option<(u64, String)>, StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| Ok((row.try_get::<i64, _>("seq")? as u64, row.try_get("hash")?)))
        .transpose()
}

/// Appends one entry, chained to the previous one.
pub async fn append(
    conn: &mut AnyConnection,
    at: OffsetDateTime,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), StoreError> {
    append_after(conn, Writes::new(), at, actor, action, subject, detail).await
}

/// Runs `before`, then appends one entry, all in one trip to the database
/// where the backend allows (see [`super::fused`]).
pub async fn append_after(
    conn: &mut AnyConnection,
    mut before: Writes,
    at: OffsetDateTime,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), StoreError> {
    if Backend::of(conn) == Backend::Postgres && !super::pg_batch::audit_locked() {
        // Replicas share one chain: serialise appends for this transaction.
        // (The writer's batches take this lock before anything else.)
        sqlx::query(super::pg_batch::AUDIT_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let caching = CACHING.with(Cell::get);
    let cached = if caching {
        HEAD.with(|h| h.borrow_mut().take())
    } else {
        None
    };
    let (seq, prev_hash) = match cached {
        Some((seq, hash)) => (seq + 1, hash),
        None => match read_head(conn).await? {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS.to_string()),
        },
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
    before.push(
        Write::new(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq as i64)
        .bind(record.at_ms)
        .bind(record.actor)
        .bind(record.action)
        .bind(record.subject)
        .bind(record.detail)
        .bind(prev_hash)
        .bind(hash.as_str()),
    );
    before.execute(&mut *conn).await?;
    if caching {
        HEAD.with(|h| *h.borrow_mut() = Some((seq, hash)));
    }
    Ok(())
}

/// The chain's newest entry (`None`: empty), as committed.
pub async fn head(pool: &AnyPool) -> Result<Option<Head>, StoreError> {
    let mut conn = pool.acquire().await?;
    Ok(read_head(&mut conn)
        .await?
        .map(|(seq, hash)| Head { seq, hash }))
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
