//! PostgreSQL only: what replicas sharing a database rely on from the
//! store's locks (issue 17). Each test makes a database of its own and is
//! skipped when `ITI_TEST_POSTGRES_URL` is unset.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use sqlx::{Connection, Executor};
use time::{Duration, OffsetDateTime};
use tokio::task::JoinHandle;

use super::testdb::{POSTGRES_URL_VAR, ThrowawayDatabase, fresh_postgres};
use super::*;
use crate::ids::{EnvelopeId, TraceId};

async fn postgres(test: &str) -> Option<(ThrowawayDatabase, Store)> {
    let Some(db) = fresh_postgres().await else {
        eprintln!("{test}: skipped, {POSTGRES_URL_VAR} is not set");
        return None;
    };
    let store = Store::open(db.url(), Durability::Full, "test")
        .await
        .unwrap();
    Some((db, store))
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_760_000_000).unwrap()
}

/// One pending envelope in the outbox; its id.
async fn pending(store: &Store) -> EnvelopeId {
    let id = EnvelopeId::new_v7(t0());
    let trace = TraceId::new_v7(t0());
    store
        .write(move |conn| {
            boxed(async move { outbox::enqueue(conn, id, trace, "BEL", 5, t0()).await })
        })
        .await
        .unwrap();
    id
}

/// Another session on the database, as another replica (or an operator).
async fn session(db: &ThrowawayDatabase) -> AnyConnection {
    AnyConnection::connect(db.url()).await.unwrap()
}

/// Waits until a session of the database other than `except` waits for a
/// lock.
async fn until_waiting(db: &ThrowawayDatabase, except: i32) {
    let mut c = session(db).await;
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND pid <> $1",
        )
        .bind(except)
        .fetch_one(&mut c)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    panic!("no session came to wait for a lock");
}

async fn pid(c: &mut AnyConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(c)
        .await
        .unwrap()
}

/// Another session with a transaction open, and its backend's pid.
async fn open_transaction(db: &ThrowawayDatabase) -> (AnyConnection, i32) {
    let mut c = session(db).await;
    let pid = pid(&mut c).await;
    sqlx::query("BEGIN").execute(&mut c).await.unwrap();
    (c, pid)
}

/// [`update_then_audit`] through the store's writer, running meanwhile.
fn write_meanwhile(store: &Store, id: EnvelopeId) -> JoinHandle<Result<(), StoreError>> {
    let store = store.clone();
    tokio::spawn(async move { store.write(update_then_audit(id)).await })
}

/// A job that updates an outbox row and then appends to the audit chain,
/// as recording a delivery does.
fn update_then_audit(id: EnvelopeId) -> impl WriteJob<(), StoreError> {
    move |conn| {
        boxed(async move {
            outbox::retry_later(conn, id, "BEL", "slow", t0()).await?;
            audit::append(conn, t0(), "node", "retried", &id.to_string(), "").await
        })
    }
}

/// The deadlock: one replica's transaction held the audit lock and
/// waited for an outbox row, another held the row and waited for the audit
/// lock. Here a session takes the audit lock and then the row, as every
/// batch does; the store's writer job takes the row and then appends. It
/// waits for the audit lock before it takes any row, so no cycle forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_batch_takes_the_audit_lock_before_any_row_so_replicas_cannot_deadlock() {
    let Some((db, store)) = postgres(
        "postgres_a_batch_takes_the_audit_lock_before_any_row_so_replicas_cannot_deadlock",
    )
    .await
    else {
        return;
    };
    let id = pending(&store).await;
    let (mut other, other_pid) = open_transaction(&db).await;
    sqlx::query(pg_batch::AUDIT_LOCK)
        .execute(&mut other)
        .await
        .unwrap();
    let job = write_meanwhile(&store, id);
    until_waiting(&db, other_pid).await;
    // The row is free: the writer waits for the audit lock holding nothing.
    let row = sqlx::query("UPDATE outbox SET last_error = 'other' WHERE envelope_id = $1")
        .bind(id.to_string())
        .execute(&mut other)
        .await;
    assert!(row.is_ok(), "the other replica's update failed: {row:?}");
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    job.await.unwrap().unwrap();
    assert_eq!(store.reruns()[0], ("deadlock", 0));
}

/// A deadlock PostgreSQL reports anyway (a foreign transaction that takes
/// the locks in the other order) is not an error to the caller: the batch
/// runs again and commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_deadlock_reported_anyway_runs_the_batch_again() {
    let Some((db, store)) =
        postgres("postgres_a_deadlock_reported_anyway_runs_the_batch_again").await
    else {
        return;
    };
    // PostgreSQL checks a waiter for a cycle once, `deadlock_timeout` after
    // its wait began. On a loaded machine the foreign transaction may ask
    // for the audit lock only after the writer's check found no cycle; the
    // foreign one is then the victim, and the case is set up again.
    let mut id = pending(&store).await;
    for attempt in 1.. {
        let (mut foreign, foreign_pid) = open_transaction(&db).await;
        sqlx::query("UPDATE outbox SET last_error = 'foreign' WHERE envelope_id = $1")
            .bind(id.to_string())
            .execute(&mut foreign)
            .await
            .unwrap();
        let job = write_meanwhile(&store, id);
        // The writer holds the audit lock and waits for the row; the foreign
        // transaction now wants the audit lock: a cycle. The writer waited
        // first, so PostgreSQL's check (after deadlock_timeout) picks it.
        until_waiting(&db, foreign_pid).await;
        let foreign_lock = sqlx::query(pg_batch::AUDIT_LOCK)
            .execute(&mut foreign)
            .await;
        sqlx::query("ROLLBACK").execute(&mut foreign).await.unwrap();
        job.await.unwrap().unwrap();
        match foreign_lock {
            Ok(_) => break,
            Err(e) if attempt < 5 => {
                eprintln!("attempt {attempt}: the foreign transaction was the victim ({e}); again");
                id = pending(&store).await;
            }
            Err(e) => panic!("the writer was never the deadlock's victim: {e}"),
        }
    }
    assert_eq!(store.reruns()[0], ("deadlock", 1));
    let mut c = store.pool().acquire().await.unwrap();
    let row = outbox::get(&mut c, id).await.unwrap().unwrap();
    assert_eq!(
        (row.attempts, row.last_error.as_deref()),
        (1, Some("slow")),
        "written once, by the run that committed"
    );
}

/// A claim is a transaction of its own that skips what is locked: it goes
/// through while every batch waits (here for the audit lock, held by
/// another session), and takes nothing a batch holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_claim_never_waits_for_a_batch() {
    let Some((db, store)) = postgres("postgres_a_claim_never_waits_for_a_batch").await else {
        return;
    };
    let free = pending(&store).await;
    let busy = pending(&store).await;
    let (mut other, _) = open_transaction(&db).await;
    sqlx::query(pg_batch::AUDIT_LOCK)
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("SELECT 1 FROM outbox WHERE envelope_id = $1 FOR UPDATE")
        .bind(busy.to_string())
        .execute(&mut other)
        .await
        .unwrap();
    // The writer is stuck behind the audit lock meanwhile.
    let stuck = write_meanwhile(&store, free);
    let now = t0() + Duration::seconds(1);
    let claimed = tokio::time::timeout(
        StdDuration::from_secs(10),
        outbox::claim_due(&store, "r1", now, now + Duration::minutes(1), 10),
    )
    .await
    .expect("a claim waited for a lock")
    .unwrap();
    assert_eq!(
        claimed.iter().map(|r| r.envelope_id).collect::<Vec<_>>(),
        [free],
        "the locked envelope is skipped, not waited for"
    );
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    stuck.await.unwrap().unwrap();
}

/// A URL may list several servers: the store uses the first one that
/// answers and accepts writes, and names itself to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_url_with_several_servers_uses_the_one_that_accepts_writes() {
    let Some(db) = fresh_postgres().await else {
        eprintln!("skipped, {POSTGRES_URL_VAR} is not set");
        return;
    };
    // A server that is down: a port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let url = db.url();
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, rest) = rest.rsplit_once('@').unwrap();
    let list = format!("{scheme}://{user}@127.0.0.1:{dead_port},{rest}");
    let list = format!(
        "{list}{}target_session_attrs=read-write",
        if list.contains('?') { '&' } else { '?' }
    );
    let store = Store::open(&list, Durability::Full, "GHA-replica-7")
        .await
        .unwrap();
    let id = pending(&store).await;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(names.iter().any(|n| n == "GHA-replica-7"), "{names:?}");
    let mut c = store.pool().acquire().await.unwrap();
    assert!(outbox::get(&mut c, id).await.unwrap().is_some());
}

/// Nothing in the store treats a job as run once on PostgreSQL: a job whose
/// batch is run again sees a fresh transaction each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_job_run_again_sees_none_of_its_first_run() {
    let Some((_db, store)) = postgres("postgres_a_job_run_again_sees_none_of_its_first_run").await
    else {
        return;
    };
    let failed_once = Arc::new(AtomicBool::new(false));
    let rows = store
        .write(move |conn| {
            boxed(async move {
                sqlx::query(
                    "INSERT INTO peers (participant, endpoint, ca_der, added_at) \
                             VALUES ('X', 'x', $1, 0)",
                )
                .bind(vec![1u8])
                .execute(&mut *conn)
                .await?;
                if !failed_once.swap(true, Ordering::SeqCst) {
                    // As PostgreSQL reports a deadlock.
                    conn.execute("DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END $$")
                        .await?;
                }
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM peers")
                    .fetch_one(&mut *conn)
                    .await?;
                Ok::<_, StoreError>(n)
            })
        })
        .await
        .unwrap();
    assert_eq!(rows, 1);
    assert_eq!(store.reruns()[0], ("deadlock", 1));
}

/// A connection lost during COMMIT leaves the change saved or not, no one
/// can tell: the job is not run again (it might then be saved twice), and
/// the officer is told that the outcome is unknown, not to try again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_connection_lost_during_commit_is_answered_outcome_unknown() {
    let Some((db, store)) =
        postgres("postgres_a_connection_lost_during_commit_is_answered_outcome_unknown").await
    else {
        return;
    };
    // A deferred constraint trigger runs at COMMIT: this one ends its own
    // session there, as a server that goes away mid-commit.
    session(&db)
        .await
        .execute(
            "CREATE TABLE commit_cut (x INT); \
             CREATE FUNCTION cut() RETURNS trigger LANGUAGE plpgsql AS \
               $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$; \
             CREATE CONSTRAINT TRIGGER cut AFTER INSERT ON commit_cut \
               DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cut();",
        )
        .await
        .unwrap();
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = runs.clone();
    let answer = store
        .write(move |conn| {
            counted.fetch_add(1, Ordering::SeqCst);
            boxed(async move {
                conn.execute("INSERT INTO commit_cut VALUES (1)")
                    .await
                    .map_err(StoreError::from)?;
                Ok::<_, crate::service::ServiceError>(())
            })
        })
        .await;
    let error = answer.expect_err("a commit cut off cannot be answered OK");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the job was run again");
    let status = crate::api::to_status(error);
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(
        status.message().contains("may or may not have been saved"),
        "{}",
        status.message()
    );
    // The store goes on, on a new connection.
    pending(&store).await;
}
