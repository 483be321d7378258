//! The writer's batches on PostgreSQL, where several replicas write to one
//! database.
//!
//! Lock order: a batch takes the audit chain's advisory lock first, before
//! any job runs (so before any row lock), and holds it to its commit. Every
//! transaction that waits for a lock held by another replica's transaction
//! therefore waits for a batch that holds the audit lock, and that batch
//! waits for nothing this replica's transaction holds: nothing else takes a
//! row lock and then waits. The outbox's claims, the only other writes,
//! are transactions of their own that never wait (`FOR UPDATE SKIP LOCKED`,
//! `store::outbox::claim_due`). No cycle of waits, no deadlock. Almost every
//! batch appends to the audit chain anyway, and so held that lock until its
//! commit already; taking it first costs no concurrency.
//!
//! Bulk jobs (an import's thousands of rows, `Store::write_bulk`) run beside
//! the writer, each in a transaction of its own ([`AuditLock::WhenAppending`]):
//! they write rows of tables only imports write (national records, the
//! register), in key order, and take the audit lock last, to append their
//! entry just before committing. A batch holding the audit lock waits for
//! no such row, and two imports meeting on a key wait for each other in key
//! order: still no cycle. Should one arise all the same, PostgreSQL breaks
//! it and the transaction is run again, as below.
//!
//! A batch that fails for a passing reason is run again as a whole: a
//! deadlock or serialization failure PostgreSQL reports anyway (a foreign
//! transaction, an operator's) a few times; a lost connection or a server
//! that stopped accepting writes (a failover) for up to [`FAILOVER_WAIT`],
//! the pools moved to the new primary meanwhile (see [`super::hosts`]). The
//! callers wait and get the answer of the run that committed. A connection
//! lost during COMMIT is different: the commit may have happened, so the
//! jobs are answered that their outcome is unknown, never run again.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{AnyConnection, AnyPool, Connection, Executor};

use super::hosts::Locator;
use super::{Completion, Failure, Job, SAVEPOINT};

/// The advisory lock that serialises appends to the shared audit chain, and
/// with it every writer transaction of every replica.
pub const AUDIT_LOCK: &str = "SELECT pg_advisory_xact_lock(7101)";

/// How many times a batch is run when PostgreSQL reports a deadlock or a
/// serialization failure.
const MAX_CONFLICT_RUNS: u32 = 5;

/// How long a batch keeps being run again while the database is away.
pub const FAILOVER_WAIT: Duration = Duration::from_secs(60);

/// Why a run of a batch may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passing {
    /// SQLSTATE 40P01.
    Deadlock,
    /// SQLSTATE 40001.
    Serialization,
    /// The connection or the server went away, or the server no longer
    /// accepts writes.
    Connection,
}

impl Passing {
    pub fn label(self) -> &'static str {
        match self {
            Passing::Deadlock => "deadlock",
            Passing::Serialization => "serialization",
            Passing::Connection => "connection",
        }
    }
}

/// Whether `e` is worth running the batch again for.
pub fn passing(e: &sqlx::Error) -> Option<Passing> {
    match e {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("40P01") => Some(Passing::Deadlock),
            Some("40001") => Some(Passing::Serialization),
            // Connection exceptions; the server shutting down or starting;
            // a read-only transaction (a standby, or a demoted primary).
            Some(c) if c.starts_with("08") => Some(Passing::Connection),
            Some("57P01" | "57P02" | "57P03" | "25006") => Some(Passing::Connection),
            _ => None,
        },
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => Some(Passing::Connection),
        _ => None,
    }
}

thread_local! {
    /// Set on the writer's thread while a job runs.
    static IN_JOB: Cell<bool> = const { Cell::new(false) };
    /// A passing failure the running job met, whatever it did with it.
    static MET: Cell<Option<Passing>> = const { Cell::new(None) };
    /// Set on the writer's thread while its transaction holds the audit lock.
    static AUDIT_LOCKED: Cell<bool> = const { Cell::new(false) };
}

/// Called for every database error the store sees. A job may turn the error
/// into its own type, or go on; the writer must still know that PostgreSQL
/// aborted the statement for a passing reason, so it is noted here.
pub(super) fn note(e: &sqlx::Error) {
    if IN_JOB.with(Cell::get)
        && let Some(p) = passing(e)
    {
        MET.with(|m| m.set(Some(p)));
    }
}

/// Whether the running transaction of this thread holds the audit lock.
pub(super) fn audit_locked() -> bool {
    AUDIT_LOCKED.with(Cell::get)
}

/// Batches run again, by reason: for the metrics.
#[derive(Debug, Default)]
pub struct Reruns {
    pub deadlock: AtomicU64,
    pub serialization: AtomicU64,
    pub connection: AtomicU64,
}

impl Reruns {
    pub fn counts(&self) -> [(&'static str, u64); 3] {
        [
            (
                Passing::Deadlock.label(),
                self.deadlock.load(Ordering::Relaxed),
            ),
            (
                Passing::Serialization.label(),
                self.serialization.load(Ordering::Relaxed),
            ),
            (
                Passing::Connection.label(),
                self.connection.load(Ordering::Relaxed),
            ),
        ]
    }

    fn count(&self, p: Passing) {
        let c = match p {
            Passing::Deadlock => &self.deadlock,
            Passing::Serialization => &self.serialization,
            Passing::Connection => &self.connection,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// When a run takes the audit chain's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuditLock {
    /// Before anything else: the writer's batches (see the lock order above).
    First,
    /// Only if a job appends to the chain, when it does: a bulk job beside
    /// the writer, which writes rows no batch of the writer writes.
    WhenAppending,
}

/// How one run of a batch ended.
enum Run {
    Committed(Vec<Completion>),
    /// A failure that running again would not cure: the jobs that ran are
    /// answered with it, the others (from `ran` on) abandoned.
    Failed {
        completions: Vec<Completion>,
        error: sqlx::Error,
        ran: usize,
    },
    /// The connection was lost during COMMIT.
    InDoubt(Vec<Completion>, sqlx::Error),
    Again(Passing, String),
}

/// Runs `batch` until it commits, fails for good, or its runs are used up.
pub(super) async fn run_batch(
    pool: &AnyPool,
    locator: Option<&Locator>,
    reruns: &Arc<Reruns>,
    batch: Vec<Job>,
    lock: AuditLock,
) {
    let mut conflicts = 0u32;
    let mut away_since: Option<Instant> = None;
    let mut pause = Duration::from_millis(50);
    loop {
        match run_once(pool, &batch, lock).await {
            Run::Committed(completions) => {
                for c in completions {
                    (c.finish)(Ok(()));
                }
                return;
            }
            Run::Failed {
                completions,
                error,
                ran,
            } => {
                tracing::error!(error = %error, "write batch failed");
                let failure = Failure::of(&error);
                for c in completions {
                    (c.finish)(Err(failure.clone()));
                }
                for job in batch.into_iter().skip(ran) {
                    (job.abandon)(failure.clone());
                }
                return;
            }
            Run::InDoubt(completions, error) => {
                tracing::error!(error = %error, "the connection was lost during a commit");
                let failure = Failure::in_doubt(error.to_string());
                for c in completions {
                    (c.finish)(Err(failure.clone()));
                }
                return;
            }
            Run::Again(why, error) => {
                reruns.count(why);
                let give_up = match why {
                    Passing::Deadlock | Passing::Serialization => {
                        conflicts += 1;
                        conflicts >= MAX_CONFLICT_RUNS
                    }
                    Passing::Connection => {
                        away_since.get_or_insert_with(Instant::now).elapsed() >= FAILOVER_WAIT
                    }
                };
                if give_up {
                    tracing::error!(reason = why.label(), %error, "write batch failed; gave up running it again");
                    let failure = Failure::unavailable(format!(
                        "the database could not take the change now ({error}); try again"
                    ));
                    for job in batch {
                        (job.abandon)(failure.clone());
                    }
                    return;
                }
                tracing::warn!(reason = why.label(), %error, "write batch rolled back; running it again");
                if why == Passing::Connection {
                    if let Some(locator) = locator.filter(|l| l.can_move()) {
                        locator.relocate().await;
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}

/// One run of the batch; a connection that failed is not used again.
async fn run_once(pool: &AnyPool, batch: &[Job], lock: AuditLock) -> Run {
    let mut conn = match pool.acquire().await {
        Ok(c) => c,
        Err(e) => return stop(Vec::new(), 0, e),
    };
    let run = run_in(&mut conn, batch, lock).await;
    if matches!(
        run,
        Run::Again(Passing::Connection, _) | Run::InDoubt(..) | Run::Failed { .. }
    ) {
        conn.close_on_drop();
    }
    run
}

/// A run stopped by `error` after `ran` jobs: again if it is passing.
fn stop(completions: Vec<Completion>, ran: usize, error: sqlx::Error) -> Run {
    match passing(&error) {
        Some(why) => Run::Again(why, error.to_string()),
        None => Run::Failed {
            completions,
            error,
            ran,
        },
    }
}

/// One run of the batch in one transaction: the audit lock first (unless
/// `lock` says otherwise), then each job in a savepoint of its own.
///
/// After a failed statement PostgreSQL refuses every later one until the
/// transaction is rolled back (to a savepoint), and then turns COMMIT into
/// a silent ROLLBACK: a job that went on after a failed statement and
/// reported success would lose its writes, unnoticed, if alone in its
/// batch, and fail every other job of the batch if not. So every job gets a
/// savepoint, released (open subtransactions are costly here), and one
/// whose RELEASE fails is rolled back alone and answered with the error.
async fn run_in(conn: &mut AnyConnection, batch: &[Job], lock: AuditLock) -> Run {
    let mut completions = Vec::with_capacity(batch.len());
    let mut tx = match conn.begin().await {
        Ok(tx) => tx,
        Err(e) => return stop(completions, 0, e),
    };
    if lock == AuditLock::First {
        if let Err(e) = tx.execute(AUDIT_LOCK).await {
            return stop(completions, 0, e);
        }
        AUDIT_LOCKED.with(|l| l.set(true));
    }
    let _unlocked = Unlocked;
    for (i, job) in batch.iter().enumerate() {
        if let Err(e) = tx.execute(SAVEPOINT).await {
            return stop(completions, i, e);
        }
        IN_JOB.with(|j| j.set(true));
        MET.with(|m| m.set(None));
        let completion = (job.op.rerunnable())(&mut tx).await;
        IN_JOB.with(|j| j.set(false));
        if let Some(why) = MET.with(Cell::take) {
            // PostgreSQL aborted one of its statements: run everything again.
            let _ = tx.rollback().await;
            return Run::Again(why, format!("a job met a {} failure", why.label()));
        }
        if !completion.keep {
            completions.push(completion);
            for sql in ["ROLLBACK TO SAVEPOINT job", "RELEASE SAVEPOINT job"] {
                if let Err(e) = tx.execute(sql).await {
                    return stop(completions, i + 1, e);
                }
            }
            continue;
        }
        if let Err(e) = tx.execute("RELEASE SAVEPOINT job").await {
            if let Some(why) = passing(&e) {
                return Run::Again(why, e.to_string());
            }
            tracing::error!(error = %e, "a write job succeeded over a failed statement");
            // Its writes are undone either way: rolled back to the savepoint,
            // or with the whole batch if that fails too.
            completions.push(completion.failing(Failure::refused(format!(
                "the write went on after a failed statement and was rolled back: {e}"
            ))));
            for sql in ["ROLLBACK TO SAVEPOINT job", "RELEASE SAVEPOINT job"] {
                if let Err(e) = tx.execute(sql).await {
                    return stop(completions, i + 1, e);
                }
            }
            continue;
        }
        completions.push(completion);
    }
    match tx.commit().await {
        Ok(()) => Run::Committed(completions),
        Err(e) => match passing(&e) {
            Some(Passing::Connection) => Run::InDoubt(completions, e),
            // Refused at commit (a serialization failure): not committed.
            Some(why) => Run::Again(why, e.to_string()),
            None => Run::Failed {
                completions,
                error: e,
                ran: batch.len(),
            },
        },
    }
}

/// Clears the audit-lock mark when a run ends, however it ends.
struct Unlocked;

impl Drop for Unlocked {
    fn drop(&mut self) {
        AUDIT_LOCKED.with(|l| l.set(false));
    }
}
