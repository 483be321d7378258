//! The storage boundary. Everything durable goes through here, and only here
//! is SQL spoken. One implementation serves both backends through sqlx's
//! `Any` driver: SQLite (embedded, the default) and PostgreSQL (production,
//! several replicas), chosen by the database URL. Where the two differ (row
//! claiming, leases, advisory locks) the functions branch on the backend.
//!
//! Writes are group-committed: every state change is a job sent to one
//! writer task (on a connection of its own), which runs up to `MAX_BATCH`
//! jobs in one transaction, each inside its own savepoint (a failing job
//! rolls back alone), then commits and only then answers each caller. A
//! caller that has its answer has its data on disk. Within a job, writes
//! that need no answer travel together (`fused`): on SQLite as one query,
//! since each statement through sqlx is a round trip to another thread.
//!
//! On PostgreSQL, where replicas share the database, every batch takes the
//! audit chain's lock before anything else and is run again, whole, after a
//! deadlock or a lost connection (`pg_batch`), and a URL may list several
//! servers, of which the store uses the one that accepts writes (`hosts`).
//!
//! Layout: `fused` (writes sent together), `envelopes` (envelopes,
//! receipts), `traces` (cases, events, deadlines, consents), `outbox`,
//! `audit`, `peers` (peers, directory), `directory_log` (a hub's directory
//! log, the hub logs a node follows, equivocations found), `hub` (relay log, lost/stolen
//! register), `records` (the national tracing system's records, recovered
//! weapons, drafted answers), `photos` (photographs by hash, and the
//! messages that reference them), `pg_batch` (the writer's batches on
//! PostgreSQL), `hosts` (finding the primary); `testdb` makes throwaway
//! PostgreSQL databases for the tests (`ITI_TEST_POSTGRES_URL`).

pub mod audit;
pub mod directory_log;
pub mod envelope_parts;
pub mod envelopes;
pub mod fused;
pub mod hosts;
pub mod hub;
mod kept;
pub mod outbox;
mod partial;
pub mod peers;
mod pg_batch;
pub mod photos;
pub(crate) mod provenance;
pub mod records;
pub mod register;
mod sql;
pub mod testdb;
pub mod traces;

use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use tokio::sync::{mpsc, oneshot};

pub use fused::{Write, Writes};
pub use pg_batch::FAILOVER_WAIT;

/// Jobs committed together at most.
pub const MAX_BATCH: usize = 256;

/// PostgreSQL: bulk jobs run at once beside the writer, each on a connection
/// of its own. Two keep both of this machine's cores busy with an import
/// (the server's backends and the node's decoding) where one left a
/// quarter of them idle.
const BULK_WRITERS: usize = 2;

/// The savepoint that isolates one job of a batch from the others.
const SAVEPOINT: &str = "SAVEPOINT job";

thread_local! {
    /// Set on a SQLite writer's thread while a job of a batch has written
    /// nothing yet: its savepoint is owed, and the job's first write creates
    /// it in the same query (see [`fused`]), saving a trip to sqlx's worker
    /// thread per job.
    static SAVEPOINT_OWED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Debug builds: rows the writer's connection had changed when the
    /// running job started, to catch a write that would land before the
    /// job's savepoint.
    #[cfg(debug_assertions)]
    static CHANGES_AT_JOB_START: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

thread_local! {
    /// Set on the writer's thread when a job's write dropped content: after
    /// the commit, the writer schedules a scrub.
    static FORGOTTEN_CONTENT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub(crate) fn note_forgotten_content() {
    FORGOTTEN_CONTENT.with(|f| f.set(true));
}

fn take_forgotten_content() -> bool {
    FORGOTTEN_CONTENT.with(|f| f.replace(false))
}

/// How long after a commit that forgot content the writer scrubs: long
/// enough that a busy hub scrubs once for many envelopes, short enough that
/// nothing readable lingers for long.
pub const SCRUB_AFTER: Duration = Duration::from_millis(500);

/// Makes forgotten content unreadable in the database's files. SQLite
/// (with `secure_delete`, so freed cells and pages are zeroed in the
/// database file) keeps the old page images in its write-ahead log until a
/// checkpoint copies the new ones over and truncates the log: done here.
/// PostgreSQL keeps the old row versions as dead tuples until VACUUM
/// removes them from the table, which is done here; it does not overwrite
/// the freed space or its own WAL segments, so bytes may stay on disk until
/// reused (README, "Nothing left behind at a hub"). Returns whether it
/// completed (a SQLite checkpoint waits for readers, and gives up at the
/// busy timeout).
async fn scrub(pool: &AnyPool) -> bool {
    let done: Result<bool, sqlx::Error> = async {
        let mut conn = pool.acquire().await?;
        match Backend::of(&conn) {
            Backend::Sqlite => {
                // (busy, frames in the log, frames checkpointed)
                let busy: i64 = sqlx::query_scalar("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(busy == 0)
            }
            Backend::Postgres => {
                conn.execute("VACUUM envelopes").await?;
                Ok(true)
            }
        }
    }
    .await;
    match done {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!(error = %e, "scrubbing forgotten content failed; will try again");
            false
        }
    }
}

fn take_owed_savepoint() -> bool {
    SAVEPOINT_OWED.with(|o| o.replace(false))
}

fn owe_savepoint(owed: bool) {
    SAVEPOINT_OWED.with(|o| o.set(owed));
}

/// Whether the write about to run must create the running job's savepoint
/// (it is then no longer owed). Debug builds check that the job has changed
/// nothing before it.
pub(crate) async fn claim_owed_savepoint(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    if !take_owed_savepoint() {
        return Ok(false);
    }
    #[cfg(debug_assertions)]
    if total_changes(conn).await? != CHANGES_AT_JOB_START.with(std::cell::Cell::get) {
        // Still owed: the writer then refuses the whole batch.
        owe_savepoint(true);
        return Err(StoreError::OutsideSavepoint);
    }
    // Release builds make no check.
    #[cfg(not(debug_assertions))]
    let _ = conn;
    Ok(true)
}

/// For a write that is not a [`Write`]: creates the running job's savepoint
/// first, if it is owed.
pub(crate) async fn ensure_savepoint(conn: &mut AnyConnection) -> Result<(), StoreError> {
    if claim_owed_savepoint(conn).await? {
        conn.execute(SAVEPOINT).await?;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[source] sqlx::Error),
    /// The database could not take the change now (away, failing over, or
    /// in conflict past the retries): worth trying again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The connection was lost while the change was being committed: it may
    /// or may not have been saved, and it is not run again.
    #[error(
        "the database connection was lost while the change was being committed: \
         it may or may not have been saved ({0})"
    )]
    OutcomeUnknown(String),
    #[error("database_url: {0}")]
    BadUrl(String),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store is shut down")]
    Closed,
    #[error("a write job panicked")]
    Panicked,
    #[error("unsupported database URL {0:?}: use sqlite:// or postgres://")]
    UnsupportedUrl(String),
    /// A bug this store's debug builds catch: a job wrote other than through
    /// `Write`/`Writes` before its savepoint existed.
    #[error(
        "a write job changed rows before creating its savepoint: \
         write through store::Write, or call store::ensure_savepoint first"
    )]
    OutsideSavepoint,
}

impl StoreError {
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }

    /// A new trace whose id is taken here: the traces' primary key refused
    /// it (SQLite names the column, PostgreSQL the constraint).
    pub fn is_duplicate_trace(&self) -> bool {
        let StoreError::Database(sqlx::Error::Database(e)) = self else {
            return false;
        };
        e.is_unique_violation()
            && (e.constraint() == Some("traces_pkey") || e.message().contains("traces.trace_id"))
    }

    /// The database is away or busy, not wrong: the same request may
    /// succeed later.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Database(e) => pg_batch::passing(e).is_some(),
            _ => false,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        // The writer must know of a deadlock or a lost connection even if
        // the job turns the error into its own, or goes on.
        pg_batch::note(&e);
        StoreError::Database(e)
    }
}

/// Why a batch's jobs were not committed. sqlx errors are not `Clone`, and
/// every job of a batch gets the failure, so it travels as text.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    text: String,
    kind: FailureKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureKind {
    /// The database refused the change.
    Refused,
    /// The database is away or busy: worth trying again later.
    Transient,
    /// The commit was cut off: saved or not, no one can tell.
    InDoubt,
}

impl Failure {
    fn of(e: &sqlx::Error) -> Failure {
        let kind = match pg_batch::passing(e) {
            Some(_) => FailureKind::Transient,
            None => FailureKind::Refused,
        };
        Failure {
            text: e.to_string(),
            kind,
        }
    }

    fn refused(text: String) -> Failure {
        Failure {
            text,
            kind: FailureKind::Refused,
        }
    }

    fn unavailable(text: String) -> Failure {
        Failure {
            text,
            kind: FailureKind::Transient,
        }
    }

    fn in_doubt(text: String) -> Failure {
        Failure {
            text,
            kind: FailureKind::InDoubt,
        }
    }
}

impl From<Failure> for StoreError {
    fn from(f: Failure) -> Self {
        match f.kind {
            FailureKind::Refused => StoreError::Database(sqlx::Error::Protocol(f.text)),
            FailureKind::Transient => StoreError::Unavailable(f.text),
            FailureKind::InDoubt => StoreError::OutcomeUnknown(f.text),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(conn: &AnyConnection) -> Backend {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// How SQLite syncs commits to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync at every commit: survives power loss (the default).
    Full,
    /// fsync at checkpoints only: survives a process crash, not power loss.
    Normal,
}

/// How one run of a job went: whether its writes are to be kept, and how
/// to answer its caller once the batch's fate is known.
struct Completion {
    keep: bool,
    finish: Box<dyn FnOnce(Result<(), Failure>) + Send>,
}

impl Completion {
    /// This run, answered with `failure` whatever the batch does.
    fn failing(self, failure: Failure) -> Completion {
        let finish = self.finish;
        Completion {
            keep: false,
            finish: Box::new(move |_| finish(Err(failure))),
        }
    }
}

/// One write job: run in the writer's transaction, or, when the batch failed
/// before its turn (a lost connection), abandoned with the batch's error.
struct Job {
    op: Box<dyn JobOp>,
    abandon: Box<dyn FnOnce(Failure) + Send>,
    /// Runs in a transaction of its own (see [`Store::write_bulk`]).
    alone: bool,
}

/// A job's work, which the PostgreSQL writer may run more than once (the
/// whole batch again, after a deadlock): the caller is answered only by
/// the run whose batch committed.
trait JobOp: Send {
    /// A run that leaves the job to be run again.
    fn rerunnable(&self) -> RunJob;
    /// The only run.
    fn last(self: Box<Self>) -> RunJob;
}

type RunJob = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Completion> + Send>;

/// A handle to the node's database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    jobs: mpsc::Sender<Job>,
    /// Where [`Store::write_bulk`] sends: the writer on SQLite (one writer
    /// per database), the bulk writers on PostgreSQL.
    bulk: mpsc::Sender<Job>,
    reruns: Arc<pg_batch::Reruns>,
    /// SQLite: the audit chain's head as last committed ([`Store::audit_head`]).
    committed: Option<audit::CommittedHead>,
    /// SQLite: what is read on every delivery and changed rarely.
    kept: Option<Arc<KeptReads>>,
}

/// Reads kept in memory (SQLite, where this process alone writes).
#[derive(Default)]
struct KeptReads {
    /// The record sources ([`Store::record_sources`]).
    sources: kept::Kept<records::Sources>,
    /// Whether the broker's register holds any report
    /// ([`Store::register_holds_reports`]).
    register_holds_reports: kept::Kept<bool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `url` and runs migrations.
    /// `name` names this process to the database (PostgreSQL's
    /// `application_name`, unless the URL sets one).
    pub async fn open(url: &str, durability: Durability, name: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, options, locator) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, AnyConnectOptions::from_str(url)?, None)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let locator = Arc::new(hosts::Locator::new(&hosts::servers(url, name)?)?);
            locator.settle().await?;
            (Backend::Postgres, locator.current(), Some(locator))
        } else {
            return Err(StoreError::UnsupportedUrl(hosts::redact(url)));
        };
        let mut setup = Setup {
            backend,
            durability,
            locator,
            checkpoints: None,
            committed: None,
        };
        let pool = connect(&options, &setup, Role::Readers).await?;
        match backend {
            Backend::Sqlite => {
                sqlx::migrate!("migrations/sqlite").run(&pool).await?;
                let (tx, rx) = mpsc::channel(1);
                tokio::spawn(checkpointer(pool.clone(), rx));
                setup.checkpoints = Some(tx);
                setup.committed = Some(audit::CommittedHead::read(&pool).await?);
            }
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        let (tx, rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
        let reruns = Arc::new(pg_batch::Reruns::default());
        let bulk = match backend {
            Backend::Sqlite => tx.clone(),
            Backend::Postgres => spawn_bulk_writers(&options, &setup, &reruns).await?,
        };
        let committed = setup.committed.clone();
        spawn_writer(options, setup, reruns.clone(), rx).await?;
        Ok(Store {
            pool,
            committed,
            kept: (backend == Backend::Sqlite).then(Arc::default),
            backend,
            jobs: tx,
            bulk,
            reruns,
        })
    }

    /// Batches the PostgreSQL writer ran again, by reason ("deadlock",
    /// "serialization", "connection"), since the store opened.
    pub fn reruns(&self) -> [(&'static str, u64); 3] {
        self.reruns.counts()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for reads. Reads see every write whose caller has returned.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The audit chain's newest committed entry (`None`: empty), as a read
    /// would see it. On SQLite the writer keeps it as it commits, which
    /// saves a receipt's signer a trip to the database.
    pub async fn audit_head(&self) -> Result<Option<crate::audit::Head>, StoreError> {
        match &self.committed {
            Some(committed) => Ok(committed.get()),
            None => audit::head(&self.pool).await,
        }
    }

    /// Runs `op` inside the group-commit writer: in a transaction shared
    /// with other jobs, isolated from their failures by a savepoint. Returns
    /// once the transaction is committed (or `op` failed and was rolled back).
    /// On PostgreSQL `op` may run more than once (its batch run again after a
    /// deadlock or a lost connection), so it is `Clone` and does nothing
    /// but write through `conn`; the answer is that of the run committed.
    pub async fn write<T, E, F>(&self, op: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: WriteJob<T, E>,
    {
        self.submit(op, false).await
    }

    /// Like [`Store::write`], for a large job (a thousand rows of an
    /// import): it runs in a transaction of its own, committed before its
    /// caller is answered. In a shared transaction its savepoint would copy
    /// every page it touches first, which costs more than the rows' writing.
    /// On PostgreSQL it runs beside the writer ([`BULK_WRITERS`] at once),
    /// takes the audit lock only to append, and must write rows in key
    /// order (see `pg_batch`'s lock order).
    pub async fn write_bulk<T, E, F>(&self, op: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: WriteJob<T, E>,
    {
        self.submit(op, true).await
    }

    async fn submit<T, E, F>(&self, op: F, alone: bool) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: WriteJob<T, E>,
    {
        let (job, rx) = job(op, alone);
        let queue = if alone { &self.bulk } else { &self.jobs };
        queue
            .send(job)
            .await
            .map_err(|_| E::from(StoreError::Closed))?;
        rx.await.map_err(|_| E::from(StoreError::Closed))?
    }
}

/// What [`Store::write`] runs: a change made through the writer's
/// connection, answering `T` or failing with `E`. `Clone` because on
/// PostgreSQL its batch may be run again.
pub trait WriteJob<T, E>:
    for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>> + Clone + Send + 'static
{
}

impl<T, E, F> WriteJob<T, E> for F where
    F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>>
        + Clone
        + Send
        + 'static
{
}

/// Where a job's answer goes: answered once, by the completion of the run
/// that counts or, if none ran, by abandon.
type Slot<T, E> = Arc<std::sync::Mutex<Option<oneshot::Sender<Result<T, E>>>>>;

fn answer<T, E>(slot: &Slot<T, E>, a: Result<T, E>) {
    if let Some(tx) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let _ = tx.send(a);
    }
}

/// A caller's `op` and where its answer goes.
struct Op<F, T, E> {
    op: F,
    slot: Slot<T, E>,
}

impl<T, E, F> JobOp for Op<F, T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: WriteJob<T, E>,
{
    fn rerunnable(&self) -> RunJob {
        run_op(self.op.clone(), self.slot.clone())
    }

    fn last(self: Box<Self>) -> RunJob {
        run_op(self.op, self.slot)
    }
}

fn run_op<T, E, F>(op: F, slot: Slot<T, E>) -> RunJob
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: WriteJob<T, E>,
{
    Box::new(move |conn| {
        Box::pin(async move {
            let outcome = AssertUnwindSafe(op(conn)).catch_unwind().await;
            let result = outcome.unwrap_or(Err(E::from(StoreError::Panicked)));
            let keep = result.is_ok();
            Completion {
                keep,
                finish: Box::new(move |commit: Result<(), Failure>| {
                    let a = match (commit, result) {
                        (Ok(()), r) => r,
                        (Err(f), Ok(_)) => Err(E::from(StoreError::from(f))),
                        (Err(_), Err(e)) => Err(e),
                    };
                    answer(&slot, a);
                }),
            }
        })
    })
}

/// Wraps `op` as a job for the writer, and the channel its answer comes on.
fn job<T, E, F>(op: F, alone: bool) -> (Job, oneshot::Receiver<Result<T, E>>)
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: WriteJob<T, E>,
{
    let (tx, rx) = oneshot::channel::<Result<T, E>>();
    let slot: Slot<T, E> = Arc::new(std::sync::Mutex::new(Some(tx)));
    let abandoned = slot.clone();
    let abandon = Box::new(move |f: Failure| answer(&abandoned, Err(E::from(StoreError::from(f)))));
    (
        Job {
            op: Box::new(Op { op, slot }),
            abandon,
            alone,
        },
        rx,
    )
}

/// Starts the writer on a thread of its own, with a connection of its own.
///
/// Every statement is a round trip (for SQLite, to sqlx's worker thread) and
/// the writer runs them one after another for the whole node. On the node's
/// shared runtime each of those wake-ups would queue behind every RPC and
/// delivery task that is ready to run, which made the writer, not the disk,
/// the limit under load. Here it resumes at once. The thread ends when the
/// last `Store` handle is dropped.
async fn spawn_writer(
    options: AnyConnectOptions,
    setup: Setup,
    reruns: Arc<pg_batch::Reruns>,
    jobs: mpsc::Receiver<Job>,
) -> Result<(), StoreError> {
    on_writer_thread(
        "iti-store-writer",
        options,
        setup,
        move |pool, setup| async move {
            if setup.backend == Backend::Sqlite {
                audit::cache_head_on_this_thread();
            }
            // With several servers listed, a check every second that the pools
            // are on the one accepting writes (ends with this thread's runtime).
            if let Some(locator) = setup.locator.clone().filter(|l| l.can_move()) {
                tokio::spawn(locator.watch());
            }
            writer(pool, &setup, &reruns, jobs).await;
        },
    )
    .await
}

/// PostgreSQL: starts the bulk writers, which take turns at one queue.
/// Each runs a job at a time, in a transaction of its own.
async fn spawn_bulk_writers(
    options: &AnyConnectOptions,
    setup: &Setup,
    reruns: &Arc<pg_batch::Reruns>,
) -> Result<mpsc::Sender<Job>, StoreError> {
    let (tx, rx) = mpsc::channel::<Job>(BULK_WRITERS);
    let queue = Arc::new(tokio::sync::Mutex::new(rx));
    for _ in 0..BULK_WRITERS {
        let (queue, reruns) = (queue.clone(), reruns.clone());
        on_writer_thread(
            "iti-store-bulk",
            options.clone(),
            setup.clone(),
            move |pool, setup| async move {
                loop {
                    let next = queue.lock().await.recv().await;
                    let Some(job) = next else { break };
                    let locator = setup.locator.as_deref();
                    pg_batch::run_batch(
                        &pool,
                        locator,
                        &reruns,
                        vec![job],
                        pg_batch::AuditLock::WhenAppending,
                    )
                    .await;
                }
            },
        )
        .await?;
    }
    Ok(tx)
}

/// Runs `work` on a thread of its own, on a pool of one connection, until
/// it returns; answers once the connection is made (or could not be).
async fn on_writer_thread<F, Fut>(
    name: &str,
    options: AnyConnectOptions,
    setup: Setup,
    work: F,
) -> Result<(), StoreError>
where
    F: FnOnce(AnyPool, Setup) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (ready_tx, ready_rx) = oneshot::channel::<Result<(), StoreError>>();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(StoreError::Database(sqlx::Error::Io(e))));
                    return;
                }
            };
            runtime.block_on(async move {
                match connect(&options, &setup, Role::Writer).await {
                    Ok(pool) => {
                        let _ = ready_tx.send(Ok(()));
                        work(pool.clone(), setup).await;
                        pool.close().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })
        .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
    ready_rx.await.map_err(|_| StoreError::Closed)?
}

/// The shortest time between two checkpoints: a busy writer's log is
/// copied into the database a few times a second, a page written many
/// times in between copied once; a quiet node's after each commit, at most.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Copies SQLite's write-ahead log into the database file, on a reader
/// connection. SQLite would do it inside the commit that fills the log
/// (past 4 MiB), on the writer, which serves the whole node; here it runs
/// beside it. Ends with the writer.
async fn checkpointer(pool: AnyPool, mut commits: mpsc::Receiver<()>) {
    while commits.recv().await.is_some() {
        // PASSIVE: never waits for readers or the writer.
        if let Err(e) = pool.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %e, "checkpoint failed; will try after the next commit");
        }
        tokio::time::sleep(CHECKPOINT_EVERY).await;
    }
}

/// SQLite's page cache per connection, at most: its own default (2 MiB).
/// A cache grows with the pages touched and its memory is not given back
/// to the system, so larger caches left every node at about 100 MB after
/// a burst of traffic, for no gain in speed (the OS caches the file too).
const SMALL_CACHE: &str = "PRAGMA cache_size = -2048";

/// The writer's cache during bulk jobs (imports): inserts into large
/// indexes (a register of millions of reports) touch pages all over them,
/// and with the small cache each was read back from the OS again and again.
const BULK_CACHE: &str = "PRAGMA cache_size = -65536";

/// Where SQLite keeps temporary data: in memory for the writer's batches
/// (their savepoints' page copies; on disk that was a tenth of the
/// writer's time), on disk for bulk jobs, whose sorts and sorted copies
/// are as large as the import merged (hundreds of MB for a million
/// reports), so that the process's memory stays flat.
const TEMP_IN_MEMORY: &str = "PRAGMA temp_store = MEMORY";
const TEMP_ON_DISK: &str = "PRAGMA temp_store = FILE";

/// How long the SQLite writer waits idle before it goes back to the small
/// cache and gives its cache's memory back to the allocator.
pub const SHRINK_WHEN_IDLE_FOR: Duration = Duration::from_secs(2);

/// Who uses a pool: the reads of the whole node, or the single writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Readers,
    Writer,
}

/// How the store's pools are made.
#[derive(Clone)]
struct Setup {
    backend: Backend,
    durability: Durability,
    /// PostgreSQL: the servers of the URL and which one is in use.
    locator: Option<Arc<hosts::Locator>>,
    /// SQLite: told after each commit, for [`checkpointer`].
    checkpoints: Option<mpsc::Sender<()>>,
    /// SQLite: the audit chain's head, set by the writer as it commits.
    committed: Option<audit::CommittedHead>,
}

/// A pool for `role`, each connection set up for the backend.
async fn connect(
    options: &AnyConnectOptions,
    setup: &Setup,
    role: Role,
) -> Result<AnyPool, StoreError> {
    let (backend, durability) = (setup.backend, setup.durability);
    let (max, test_before_acquire) = match (role, backend) {
        // A SQLite connection is a file handle: nothing on the way can drop
        // it, so testing it before each read would only cost a round trip.
        (Role::Readers, Backend::Sqlite) => (4, false),
        (Role::Readers, Backend::Postgres) => (8, true),
        // The writer alone uses its pool: no need to test the connection at
        // every batch (a broken one fails the batch and is replaced).
        (Role::Writer, _) => (1, false),
    };
    let pool = match backend {
        Backend::Sqlite => {
            let sync = match durability {
                Durability::Full => "PRAGMA synchronous = FULL",
                Durability::Normal => "PRAGMA synchronous = NORMAL",
            };
            AnyPoolOptions::new()
                .max_connections(max)
                .test_before_acquire(test_before_acquire)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute(sync).await?;
                        conn.execute(SMALL_CACHE).await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // Deleted or overwritten content is zeroed in the
                        // file, not left in free space (a hub forgets the
                        // payloads it has handed on; see `scrub`).
                        conn.execute("PRAGMA secure_delete = ON").await?;
                        // The writer keeps one savepoint per job of a batch
                        // open until the commit, and SQLite copies each page
                        // a job changes into a sub-journal per savepoint. On
                        // disk (the default, past 64 KiB) that was a temp
                        // file written, synced and deleted at every batch:
                        // a tenth of the writer's time under load. (Bulk
                        // jobs put it on disk again: `TEMP_ON_DISK`.)
                        conn.execute(TEMP_IN_MEMORY).await?;
                        if role == Role::Writer {
                            // The checkpointer copies the log as it grows.
                            // The log starts over only after a checkpoint
                            // that copied all of it, which one running
                            // beside a busy writer never does: the writer
                            // still checkpoints past 64 MiB of log, by then
                            // copied but for its tail.
                            conn.execute("PRAGMA wal_autocheckpoint = 16384").await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(options.clone())
                .await?
        }
        Backend::Postgres => {
            // The writer gives up on a connection sooner and looks for the
            // primary again (`pg_batch`), rather than wait for a dead one.
            let wait = match role {
                Role::Readers => Duration::from_secs(10),
                Role::Writer => Duration::from_secs(3),
            };
            let mut pool = AnyPoolOptions::new()
                .max_connections(max)
                .test_before_acquire(test_before_acquire)
                .acquire_timeout(wait);
            if let Some(locator) = setup.locator.clone() {
                let check = locator.clone();
                pool = pool
                    .after_connect(move |conn, _| {
                        let check = check.clone();
                        Box::pin(async move { check.acceptable(conn).await })
                    })
                    // A connection from before the primary moved may be on
                    // a server that no longer takes writes.
                    .before_acquire(move |_, meta| {
                        let stale = locator.is_stale(meta.age);
                        Box::pin(async move { Ok(!stale) })
                    });
            }
            let pool = pool.connect_with(options.clone()).await?;
            if let Some(locator) = &setup.locator {
                locator.serve(&pool);
            }
            pool
        }
    };
    Ok(pool)
}

async fn writer(
    pool: AnyPool,
    setup: &Setup,
    reruns: &Arc<pg_batch::Reruns>,
    mut jobs: mpsc::Receiver<Job>,
) {
    // When to scrub content forgotten by a committed batch (once for every
    // batch committed until then).
    let mut scrub_at: Option<tokio::time::Instant> = None;
    // A bulk job received while a batch was gathered: it starts the next.
    let mut held: Option<Job> = None;
    let mut cache = WriterCache::default();
    loop {
        let next = match (
            held.take(),
            crate::clock::earliest(scrub_at, cache.shrink_at),
        ) {
            (Some(job), _) => Some(job),
            (None, None) => jobs.recv().await,
            (None, Some(at)) => tokio::select! {
                // A job waiting goes first: the chores are for idle time.
                biased;
                job = jobs.recv() => job,
                _ = tokio::time::sleep_until(at) => {
                    let now = tokio::time::Instant::now();
                    if scrub_at.is_some_and(|t| t <= now) {
                        scrub_at = (!scrub(&pool).await).then(|| now + SCRUB_AFTER);
                    }
                    cache.shrink_if_due(&pool, now).await;
                    continue;
                }
            },
        };
        let Some(first) = next else { break };
        if setup.backend == Backend::Sqlite {
            cache.before(&pool, first.alone).await;
        }
        let batch = gather(first, &mut jobs, &mut held);
        match &setup.locator {
            Some(locator) => {
                let lock = pg_batch::AuditLock::First;
                pg_batch::run_batch(&pool, Some(locator), reruns, batch, lock).await
            }
            None => {
                run_batch(&pool, batch, setup.committed.as_ref()).await;
                cache.after();
                if let Some(c) = &setup.checkpoints {
                    // Full: one is already due.
                    let _ = c.try_send(());
                }
            }
        }
        if take_forgotten_content() && scrub_at.is_none() {
            scrub_at = Some(tokio::time::Instant::now() + SCRUB_AFTER);
        }
    }
    if scrub_at.is_some() {
        scrub(&pool).await;
    }
}

/// The SQLite writer's page cache: small, grown for bulk jobs, and given
/// back once the writer has been idle for [`SHRINK_WHEN_IDLE_FOR`].
#[derive(Default)]
struct WriterCache {
    grown: bool,
    temp_on_disk: bool,
    /// When to shrink, unless another batch comes first.
    shrink_at: Option<tokio::time::Instant>,
}

impl WriterCache {
    /// Before a batch that starts with a bulk job (`alone`) or not.
    async fn before(&mut self, pool: &AnyPool, alone: bool) {
        self.shrink_at = None;
        if alone && !self.grown {
            self.grown = pragma(pool, BULK_CACHE).await;
        }
        if alone != self.temp_on_disk {
            let setting = if alone { TEMP_ON_DISK } else { TEMP_IN_MEMORY };
            if pragma(pool, setting).await {
                self.temp_on_disk = alone;
            }
        }
    }

    /// After a batch: the idle time counts from its end.
    fn after(&mut self) {
        self.shrink_at = Some(tokio::time::Instant::now() + SHRINK_WHEN_IDLE_FOR);
    }

    async fn shrink_if_due(&mut self, pool: &AnyPool, now: tokio::time::Instant) {
        if self.shrink_at.is_none_or(|t| t > now) {
            return;
        }
        self.shrink_at = None;
        if self.grown {
            self.grown = !pragma(pool, SMALL_CACHE).await;
        }
        pragma(pool, "PRAGMA shrink_memory").await;
        crate::memory::give_back_freed();
    }
}

/// Runs a PRAGMA on the writer's connection; whether it ran. A failure
/// costs memory, not correctness: it is logged and the writer goes on.
async fn pragma(pool: &AnyPool, statement: &'static str) -> bool {
    match pool.execute(statement).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = %e, statement, "writer cache setting failed");
            false
        }
    }
}

/// The jobs of one transaction: `first` and those waiting, up to
/// `MAX_BATCH`. A bulk job runs alone: one that comes after others is
/// `held` to start the next batch.
fn gather(first: Job, jobs: &mut mpsc::Receiver<Job>, held: &mut Option<Job>) -> Vec<Job> {
    let mut batch = Vec::with_capacity(if first.alone { 1 } else { MAX_BATCH });
    let alone = first.alone;
    batch.push(first);
    while !alone && batch.len() < MAX_BATCH {
        match jobs.try_recv() {
            Ok(job) if job.alone => {
                *held = Some(job);
                break;
            }
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    batch
}

/// A batch on SQLite, where this process alone writes: one run.
async fn run_batch(pool: &AnyPool, batch: Vec<Job>, committed: Option<&audit::CommittedHead>) {
    let jobs = batch.len();
    let mut finishes = Vec::with_capacity(jobs);
    // What a failure leaves here never ran: it is answered with the failure.
    let mut waiting = batch.into_iter();
    let started = std::time::Instant::now();
    let mut acquired = Duration::ZERO;
    let outcome: Result<(), sqlx::Error> = async {
        let mut conn = pool.acquire().await?;
        acquired = started.elapsed();
        // Every statement is a round trip to sqlx's worker thread and the
        // writer is serial, so statements are saved: a lone job runs
        // without a savepoint; in a batch, a job's savepoint is owed until
        // its first write, which creates it in the same query (a job that
        // fails before writing has nothing to undo); and a kept job's
        // savepoint is left open rather than released (savepoints of one
        // name nest, ROLLBACK TO undoes only the latest, COMMIT releases
        // them all). A failed statement undoes only itself on SQLite.
        let single = jobs == 1;
        owe_savepoint(false);
        let mut tx = conn.begin().await?;
        for job in waiting.by_ref() {
            if single {
                let completion = (job.op.last())(&mut tx).await;
                if !completion.keep {
                    // Nothing to keep: roll back rather than commit a failure.
                    audit::forget_cached_head();
                    finishes.push(completion.finish);
                    tx.rollback().await?;
                    return Ok(());
                }
                finishes.push(completion.finish);
                continue;
            }
            #[cfg(debug_assertions)]
            {
                let changes = total_changes(&mut tx).await?;
                CHANGES_AT_JOB_START.with(|c| c.set(changes));
            }
            owe_savepoint(true);
            let completion = (job.op.last())(&mut tx).await;
            let savepoint_made = !take_owed_savepoint();
            #[cfg(debug_assertions)]
            if !savepoint_made
                && total_changes(&mut tx).await? != CHANGES_AT_JOB_START.with(std::cell::Cell::get)
            {
                // Outside the job's savepoint, its writes could not be undone
                // alone: refuse the whole batch (debug builds, the tests).
                finishes.push(completion.finish);
                return Err(sqlx::Error::Protocol(
                    StoreError::OutsideSavepoint.to_string(),
                ));
            }
            if !completion.keep {
                audit::forget_cached_head();
                // Answered with its own error, whatever happens next.
                finishes.push(completion.finish);
                if savepoint_made {
                    tx.execute("ROLLBACK TO SAVEPOINT job").await?;
                    tx.execute("RELEASE SAVEPOINT job").await?;
                }
                continue;
            }
            finishes.push(completion.finish);
        }
        tx.commit().await?;
        // Before the jobs are answered: a caller then reads its own entries.
        if let Some(committed) = committed {
            committed.publish(&mut conn).await;
        }
        Ok(())
    }
    .await;
    tracing::debug!(
        jobs,
        acquire_us = acquired.as_micros() as u64,
        total_us = started.elapsed().as_micros() as u64,
        "write batch"
    );
    let commit = outcome.map_err(|e| {
        audit::forget_cached_head();
        tracing::error!(error = %e, "write batch failed");
        Failure::of(&e)
    });
    for finish in finishes {
        finish(commit.clone());
    }
    if let Err(e) = &commit {
        for job in waiting {
            (job.abandon)(e.clone());
        }
    }
}

/// Rows changed on this SQLite connection since it opened.
#[cfg(debug_assertions)]
async fn total_changes(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT total_changes()")
        .fetch_one(conn)
        .await
}

/// Shorthand for the futures write jobs return.
pub fn boxed<'c, T>(f: impl std::future::Future<Output = T> + Send + 'c) -> BoxFuture<'c, T> {
    Box::pin(f)
}

#[cfg(test)]
mod pg_tests;
#[cfg(test)]
mod tests;

/// SQL assembled from this module's own constants (column lists, a lock
/// clause), never from input: values always travel as bind parameters.
pub(crate) fn composed(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}
