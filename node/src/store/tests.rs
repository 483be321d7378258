//! Store tests, run against both backends. Each `check_*` body takes a
//! fresh, empty store; `both_backends!` turns it into a `sqlite_*` test (a
//! temporary file) and a `postgres_*` test (a database of its own, see
//! [`super::testdb`]), the latter skipped when `ITI_TEST_POSTGRES_URL` is
//! unset.

use std::collections::HashSet;

use prost::Message;
use time::{Duration, OffsetDateTime};

use iti_proto::v1 as pb;

use super::testdb::{POSTGRES_URL_VAR, ThrowawayDatabase, fresh_postgres};
use super::*;
use crate::case::machine::TraceState;
use crate::case::role::TraceRole;
use crate::deadlines::Due;
use crate::envelope::Header;
use crate::ids::{CaseId, EnvelopeId, ParticipantId, TraceId};

/// Runs `batch` as the store's writer would, on its backend.
async fn run_batch_on(store: &Store, batch: Vec<Job>) {
    match store.backend() {
        Backend::Sqlite => run_batch(store.pool(), batch, store.committed.as_ref()).await,
        Backend::Postgres => {
            let lock = pg_batch::AuditLock::First;
            pg_batch::run_batch(store.pool(), None, &store.reruns, batch, lock).await
        }
    }
}

pub(super) async fn sqlite_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("node.db").display());
    let store = Store::open(&url, Durability::Normal, "test").await.unwrap();
    (dir, store)
}

/// A fresh PostgreSQL store and its URL, or `None` (with a note) when the
/// PostgreSQL tests are not enabled.
pub(super) async fn postgres_store(test: &str) -> Option<(ThrowawayDatabase, Store)> {
    let Some(db) = fresh_postgres().await else {
        eprintln!("{test}: skipped, {POSTGRES_URL_VAR} is not set");
        return None;
    };
    let store = Store::open(db.url(), Durability::Full, "test")
        .await
        .unwrap();
    Some((db, store))
}

macro_rules! both_backends {
    ($($check:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test]
        async fn $sqlite() {
            let (_dir, store) = sqlite_store().await;
            assert_eq!(store.backend(), Backend::Sqlite);
            $check(store).await;
        }

        #[tokio::test]
        async fn $postgres() {
            let Some((_db, store)) = postgres_store(stringify!($postgres)).await else {
                return;
            };
            assert_eq!(store.backend(), Backend::Postgres);
            $check(store).await;
        }
    )*};
}

both_backends! {
    check_a_failed_job_rolls_back_alone => sqlite_a_failed_job_rolls_back_alone, postgres_a_failed_job_rolls_back_alone;
    check_batch_savepoints => sqlite_batch_savepoints, postgres_batch_savepoints;
    check_an_answer_tells_whether_the_write_was_kept => sqlite_an_answer_tells_whether_the_write_was_kept, postgres_an_answer_tells_whether_the_write_was_kept;
    check_first_write_of_a_job_counts_its_own_rows => sqlite_first_write_of_a_job_counts_its_own_rows, postgres_first_write_of_a_job_counts_its_own_rows;
    check_envelopes => sqlite_envelopes, postgres_envelopes;
    check_traces => sqlite_traces, postgres_traces;
    check_a_step_on_a_head_keeps_the_request_whole => sqlite_a_step_on_a_head_keeps_the_request_whole, postgres_a_step_on_a_head_keeps_the_request_whole;
    check_an_event_from_before_facts_shows_its_english => sqlite_an_event_from_before_facts_shows_its_english, postgres_an_event_from_before_facts_shows_its_english;
    check_outbox_claims => sqlite_outbox_claims, postgres_outbox_claims;
    check_outbox_due => sqlite_outbox_due, postgres_outbox_due;
    check_deadline_alert_once => sqlite_deadline_alert_once, postgres_deadline_alert_once;
    check_audit_chain => sqlite_audit_chain, postgres_audit_chain;
    check_peers => sqlite_peers, postgres_peers;
    check_directory_keeps_the_higher_serial => sqlite_directory_keeps_the_higher_serial, postgres_directory_keeps_the_higher_serial;
    check_hub_tables => sqlite_hub_tables, postgres_hub_tables;
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_760_000_000).unwrap() + Duration::milliseconds(123)
}

fn participant(s: &str) -> ParticipantId {
    s.parse().unwrap()
}

async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar(composed(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// Inserts peer `name` (plain INSERT, so a duplicate is a database error).
fn insert_peer(name: String) -> impl WriteJob<(), StoreError> {
    move |conn| {
        boxed(async move {
            peer_insert(name).execute(conn).await?;
            Ok(())
        })
    }
}

fn peer_insert(name: String) -> Write {
    Write::new(
        "INSERT INTO peers (participant, endpoint, ca_der, added_at) VALUES ($1, 'x', $2, 0)",
    )
    .bind(name)
    .bind(vec![1u8])
}

async fn check_a_failed_job_rolls_back_alone(store: Store) {
    let mut handles = Vec::new();
    for i in 0..20i64 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.write(move |conn| {
                boxed(async move {
                    peer_insert(format!("P{i}")).execute(conn).await?;
                    if i % 5 == 0 {
                        return Err(StoreError::corrupt("refused on purpose"));
                    }
                    Ok::<_, StoreError>(i)
                })
            })
            .await
        }));
    }
    let mut ok = 0;
    for h in handles {
        if h.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 16);
    assert_eq!(
        count(&store, "peers").await,
        16,
        "the four failing jobs left nothing behind"
    );
}

/// An import's bulk job runs in a transaction of its own: the jobs before
/// it form one batch, it the next, and those after it the one after.
#[test]
fn a_bulk_job_is_batched_alone() {
    let (tx, mut rx) = mpsc::channel::<Job>(8);
    let quick = || job(insert_peer("A".into()), false).0;
    for alone in [false, false, true, false, false] {
        let j = if alone {
            job(insert_peer("B".into()), true).0
        } else {
            quick()
        };
        tx.try_send(j).unwrap();
    }
    let mut held = None;
    let mut sizes = Vec::new();
    while let Some(first) = held.take().or_else(|| rx.try_recv().ok()) {
        let batch = gather(first, &mut rx, &mut held);
        sizes.push((batch.len(), batch[0].alone));
    }
    assert_eq!(sizes, [(2, false), (1, true), (2, false)]);
}

/// One batch of several jobs, run directly so that the savepoint path is
/// certain to be taken: a job refused by the code and a job refused by the
/// database (a duplicate key, which on PostgreSQL aborts the transaction
/// until the savepoint is rolled back) both roll back alone.
async fn check_batch_savepoints(store: Store) {
    let (a, a_rx) = job(insert_peer("A".into()), false);
    let (refused, refused_rx) = job(
        |conn: &mut AnyConnection| {
            boxed(async move {
                insert_peer("B".into())(&mut *conn).await?;
                Err::<(), _>(StoreError::corrupt("refused on purpose"))
            })
        },
        false,
    );
    let (duplicate, duplicate_rx) = job(
        |conn: &mut AnyConnection| {
            boxed(async move {
                insert_peer("C".into())(&mut *conn).await?;
                insert_peer("A".into())(&mut *conn).await
            })
        },
        false,
    );
    let (d, d_rx) = job(insert_peer("D".into()), false);
    let (panics, panics_rx) = job::<(), StoreError, _>(
        |_conn: &mut AnyConnection| boxed(async move { panic!("a job that panics") }),
        false,
    );
    let (e, e_rx) = job(insert_peer("E".into()), false);
    run_batch_on(&store, vec![a, refused, duplicate, d, panics, e]).await;
    assert!(a_rx.await.unwrap().is_ok());
    assert!(matches!(
        refused_rx.await.unwrap(),
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        duplicate_rx.await.unwrap(),
        Err(StoreError::Database(_))
    ));
    assert!(d_rx.await.unwrap().is_ok());
    assert!(matches!(
        panics_rx.await.unwrap(),
        Err(StoreError::Panicked)
    ));
    assert!(e_rx.await.unwrap().is_ok());
    let names: Vec<String> =
        sqlx::query_scalar("SELECT participant FROM peers ORDER BY participant")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(names, ["A", "D", "E"]);

    // A batch of one (on SQLite, without a savepoint): a database error
    // rolls it back.
    let (only, only_rx) = job(insert_peer("A".into()), false);
    run_batch_on(&store, vec![only]).await;
    assert!(matches!(
        only_rx.await.unwrap(),
        Err(StoreError::Database(_))
    ));
    // And the store still works through the writer.
    store.write(insert_peer("F".into())).await.unwrap();
    assert_eq!(count(&store, "peers").await, 4);
}

/// In a batch, a job's savepoint rides with its first write: the count that
/// write reports is its own, not the previous statement's, and a job that
/// fails before writing leaves the others alone.
async fn check_first_write_of_a_job_counts_its_own_rows(store: Store) {
    for name in ["A", "B", "C"] {
        store.write(insert_peer(name.into())).await.unwrap();
    }
    let upsert = |name: &str| {
        Write::new(
            "INSERT INTO peers (participant, endpoint, ca_der, added_at) VALUES ($1, 'x', $2, 0) \
             ON CONFLICT (participant) DO NOTHING",
        )
        .bind(name)
        .bind(vec![1u8])
    };
    let (three, three_rx) = job(
        |conn: &mut AnyConnection| {
            boxed(async move {
                Write::new("UPDATE peers SET endpoint = 'y'")
                    .execute(conn)
                    .await
            })
        },
        false,
    );
    let (fails_first, fails_first_rx) = job::<(), StoreError, _>(
        |_conn: &mut AnyConnection| {
            boxed(async move { Err(StoreError::corrupt("refused before writing")) })
        },
        false,
    );
    let new = upsert("D");
    let (fresh, fresh_rx) = job(
        move |conn: &mut AnyConnection| boxed(new.execute(conn)),
        false,
    );
    let again = upsert("D");
    let (duplicate, duplicate_rx) = job(
        move |conn: &mut AnyConnection| boxed(again.execute(conn)),
        false,
    );
    run_batch_on(&store, vec![three, fails_first, fresh, duplicate]).await;
    assert_eq!(three_rx.await.unwrap().unwrap(), 3);
    assert!(fails_first_rx.await.unwrap().is_err());
    assert_eq!(fresh_rx.await.unwrap().unwrap(), 1, "a new row counts one");
    assert_eq!(
        duplicate_rx.await.unwrap().unwrap(),
        0,
        "a duplicate counts none"
    );
    assert_eq!(count(&store, "peers").await, 4);
}

/// A write that bypasses `Write` in a batch would land outside its job's
/// savepoint, beyond the reach of that job's rollback: debug builds refuse
/// the batch, whether or not the job writes through `Write` afterwards
/// (SQLite, where the savepoint is made by the job's first `Write`).
#[cfg(debug_assertions)]
#[tokio::test]
async fn sqlite_a_write_outside_the_savepoint_is_caught() {
    let (_dir, store) = sqlite_store().await;
    for then_through_write in [false, true] {
        let (bypass, bypass_rx) = job(
            move |conn: &mut AnyConnection| {
                boxed(async move {
                    sqlx::query("UPDATE peers SET endpoint = 'z'")
                        .execute(&mut *conn)
                        .await?;
                    if then_through_write {
                        peer_insert("R".into()).execute(conn).await?;
                    }
                    Ok::<_, StoreError>(())
                })
            },
            false,
        );
        let (other, other_rx) = job(insert_peer("Q".into()), false);
        run_batch_on(&store, vec![other, bypass]).await;
        let refused = bypass_rx.await.unwrap().unwrap_err().to_string();
        assert!(
            refused.contains("before creating its savepoint"),
            "{refused}"
        );
        assert!(
            other_rx.await.unwrap().is_err(),
            "the batch is refused whole"
        );
        assert!(!has_peer(&store, "Q").await && !has_peer(&store, "R").await);
    }
}

async fn has_peer(store: &Store, name: &str) -> bool {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM peers WHERE participant = $1")
        .bind(name)
        .fetch_one(store.pool())
        .await
        .unwrap();
    n == 1
}

/// Writes `name`, then tries to write it again and ignores the failure.
fn swallowing(name: &'static str) -> impl WriteJob<(), StoreError> {
    move |conn| {
        boxed(async move {
            insert_peer(name.into())(&mut *conn).await?;
            let duplicate = insert_peer(name.into())(&mut *conn).await;
            assert!(duplicate.is_err());
            Ok(())
        })
    }
}

/// A job that goes on after a failed statement: SQLite undid the statement
/// alone and keeps the rest; PostgreSQL aborted the transaction, so the job
/// cannot be kept. Either way an `Ok` answer means the data is stored, and
/// other jobs of the batch are unaffected.
async fn check_an_answer_tells_whether_the_write_was_kept(store: Store) {
    let keeps = store.backend() == Backend::Sqlite;

    // Alone in its batch.
    let alone = store.write(swallowing("A")).await;
    assert_eq!(alone.is_ok(), has_peer(&store, "A").await);
    assert_eq!(alone.is_ok(), keeps, "{alone:?}");

    // In a batch with others.
    let (x, x_rx) = job(insert_peer("X".into()), false);
    let (b, b_rx) = job(swallowing("B"), false);
    let (c, c_rx) = job(insert_peer("C".into()), false);
    run_batch_on(&store, vec![x, b, c]).await;
    let b = b_rx.await.unwrap();
    assert_eq!(b.is_ok(), has_peer(&store, "B").await);
    assert_eq!(b.is_ok(), keeps, "{b:?}");
    assert!(x_rx.await.unwrap().is_ok());
    assert!(c_rx.await.unwrap().is_ok());
    assert!(has_peer(&store, "X").await && has_peer(&store, "C").await);
}

fn header(trace: TraceId, case: CaseId, at: OffsetDateTime) -> Header {
    Header {
        id: EnvelopeId::new_v7(at),
        case_id: case,
        trace_id: trace,
        origin: participant("FRA"),
        destination: participant("DEU"),
        created_at: at,
        kind: pb::PayloadKind::Acknowledgement,
        marking: pb::Marking::default(),
        sealing: None,
        on_behalf_of: None,
    }
}

fn ack(note: &str) -> pb::Payload {
    pb::Payload {
        body: Some(pb::payload::Body::Acknowledgement(pb::Acknowledgement {
            reference: "ref-1".into(),
            note: note.into(),
        })),
    }
}

fn envelope_of(h: &Header, payload: &pb::Payload) -> pb::Envelope {
    pb::Envelope {
        header: h.to_proto().encode_to_vec(),
        payload: payload.encode_to_vec(),
        signature: vec![0xAB; 64],
        signer_certificate: vec![0x30, 0x82, 0x00, 0x00],
        hops: Vec::new(),
    }
}

/// Stores an envelope as received or relayed; whether it was new.
async fn insert_envelope(
    store: &Store,
    h: &Header,
    direction: envelopes::Direction,
    env: pb::Envelope,
    payload: Option<pb::Payload>,
    at: OffsetDateTime,
) -> bool {
    let h = h.clone();
    store
        .write(move |conn| {
            boxed(async move {
                envelopes::insert(conn, &h, direction, &env, payload.as_ref(), at).await
            })
        })
        .await
        .unwrap()
}

async fn check_envelopes(store: Store) {
    let at = t0();
    let (trace, case) = (TraceId::new_v7(at), CaseId::new_v7(at));
    let h = header(trace, case, at);
    let payload = ack("first");
    let env = envelope_of(&h, &payload);
    let insert = |env: pb::Envelope, payload: Option<pb::Payload>| {
        insert_envelope(&store, &h, envelopes::Direction::In, env, payload, at)
    };
    assert!(insert(env.clone(), Some(payload.clone())).await);
    assert!(
        !insert(env.clone(), Some(payload.clone())).await,
        "the second insert of the same id is a duplicate"
    );
    assert_eq!(
        envelopes::count(store.pool(), envelopes::Direction::In)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        envelopes::count(store.pool(), envelopes::Direction::Out)
            .await
            .unwrap(),
        0
    );

    let stored = envelopes::get_from_pool(store.pool(), h.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.header, h);
    assert_eq!(stored.direction, envelopes::Direction::In);
    assert_eq!(stored.stored_at, at);
    assert_eq!(stored.envelope, env);
    assert_eq!(
        stored
            .payload
            .as_ref()
            .map(|p| p.for_store(&super::provenance::key()).clone()),
        Some(payload)
    );
    assert!(
        envelopes::get_from_pool(store.pool(), EnvelopeId::new_v7(at))
            .await
            .unwrap()
            .is_none()
    );
    // In clear and as it came, the payload is stored once: in its envelope.
    let beside = "SELECT payload FROM envelopes WHERE id = $1";
    let stored_beside: Option<Vec<u8>> = sqlx::query_scalar(beside)
        .bind(h.id.to_string())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(stored_beside, None, "the payload was stored twice");
    // As this node holds it (normalised on receipt), it differs from the
    // envelope's: that is the payload read back.
    let other_trace = TraceId::new_v7(at);
    let normalised = header(other_trace, case, at + Duration::milliseconds(500));
    let (held, sent) = (ack("Cafe\u{301}"), ack("Café"));
    let env = envelope_of(&normalised, &sent);
    let in_ = envelopes::Direction::In;
    insert_envelope(&store, &normalised, in_, env, Some(held.clone()), at).await;
    let got = envelopes::get_from_pool(store.pool(), normalised.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got.payload
            .map(|p| p.for_store(&super::provenance::key()).clone()),
        Some(held)
    );

    // A relayed envelope without a clear payload; it does not show in the
    // trace's own history, and its content can be forgotten.
    let relayed_header = header(trace, case, at + Duration::seconds(1));
    let relayed = envelope_of(&relayed_header, &ack("relayed"));
    let relay = envelopes::Direction::Relay;
    let later = at + Duration::seconds(1);
    let fresh = insert_envelope(&store, &relayed_header, relay, relayed, None, later).await;
    assert!(fresh);
    let history = envelopes::for_trace(store.pool(), trace).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].header.id, h.id);
    let relayed_id = relayed_header.id;
    let mut more_hops = envelope_of(&relayed_header, &ack("relayed"));
    more_hops.hops.push(pb::Hop::default());
    store
        .write(move |conn| {
            boxed(async move { envelopes::replace_envelope(conn, relayed_id, &more_hops).await })
        })
        .await
        .unwrap();
    let got = envelopes::get_from_pool(store.pool(), relayed_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.envelope.hops.len(), 1);
    assert_eq!(got.payload, None);
    store
        .write(move |conn| boxed(async move { envelopes::forget_payload(conn, relayed_id).await }))
        .await
        .unwrap();
    let raw: Vec<u8> = sqlx::query_scalar("SELECT envelope FROM envelopes WHERE id = $1")
        .bind(relayed_id.to_string())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(raw, pb::Envelope::default().encode_to_vec());

    // Receipts: stored once per (envelope, receiver).
    let receipt = envelopes::ReceiptRow {
        envelope_id: h.id,
        receiver: "DEU".into(),
        received_at: at + Duration::seconds(2),
        signed: pb::SignedReceipt {
            signature: vec![7; 64],
            ..Default::default()
        },
    };
    for _ in 0..2 {
        let r = receipt.clone();
        store
            .write(move |conn| boxed(async move { envelopes::add_receipt(conn, &r).await }))
            .await
            .unwrap();
    }
    let receipts = envelopes::receipts_for(store.pool(), h.id).await.unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].signed, receipt.signed);
    assert_eq!(receipts[0].received_at, receipt.received_at);
    let mut conn = store.pool().acquire().await.unwrap();
    let one = envelopes::receipt(&mut conn, h.id, "DEU")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.envelope_id, h.id);
    assert!(
        envelopes::receipt(&mut conn, h.id, "FRA")
            .await
            .unwrap()
            .is_none()
    );
}

fn trace_row(at: OffsetDateTime) -> traces::TraceRow {
    traces::TraceRow {
        trace_id: TraceId::new_v7(at),
        case_id: CaseId::new_v7(at),
        role: TraceRole::Requester,
        counterpart: participant("DEU"),
        state: TraceState::Sent,
        request: crate::policy::marked::Marked::new(
            pb::TraceRequest {
                information_sought: "the weapon's history".into(),
                purpose: "criminal investigation".into(),
                marking: Some(
                    crate::policy::marking::Marking::new(crate::policy::marking::Tlp::Amber)
                        .to_proto(),
                ),
                ..Default::default()
            },
            crate::policy::marking::Marking::new(crate::policy::marking::Tlp::Amber),
            crate::policy::marked::Source::us(),
        ),
        draft: None,
        awaiting: crate::case::role::Awaiting::Nothing,
        on_behalf_of: None,
        opened_at: at,
        received_at: None,
        due: Due::default(),
        updated_at: at,
        missing: Vec::new(),
        flags: Vec::new(),
    }
}

async fn check_traces(store: Store) {
    let at = t0();
    let t = trace_row(at);
    let row = t.clone();
    store
        .write(move |conn| boxed(async move { traces::insert(conn, &row).await }))
        .await
        .unwrap();
    let got = traces::get_from_pool(store.pool(), t.trace_id)
        .await
        .unwrap();
    assert_eq!(got.as_ref(), Some(&t), "a trace reads back as written");
    assert!(
        traces::get_from_pool(store.pool(), TraceId::new_v7(at))
            .await
            .unwrap()
            .is_none()
    );

    // Every optional column filled in, then written back.
    let mut u = t.clone();
    u.state = TraceState::Acknowledged;
    u.counterpart = participant("hub:EU-HUB");
    u.received_at = Some(at + Duration::seconds(5));
    u.due = Due {
        acknowledgement: Some(at + Duration::days(2)),
        response: Some(at + Duration::days(30)),
    };
    u.updated_at = at + Duration::seconds(6);
    u.request = u.request.derive(|r| pb::TraceRequest {
        purpose: "resubmitted".into(),
        ..r.clone()
    });
    u.awaiting = crate::case::role::Awaiting::ConsentAsked;
    u.missing = vec![pb::MissingElement {
        clause: "9.2.1 e".into(),
        field: "purpose".into(),
        description: "no purpose given".into(),
    }];
    let row = u.clone();
    store
        .write(move |conn| boxed(async move { traces::update(conn, &row).await }))
        .await
        .unwrap();
    let got = traces::get_from_pool(store.pool(), t.trace_id)
        .await
        .unwrap();
    assert_eq!(got.as_ref(), Some(&u), "an update reads back as written");

    // A second trace on behalf of a hub, in the same case.
    let mut other = trace_row(at + Duration::seconds(1));
    other.case_id = t.case_id;
    other.role = TraceRole::OnBehalf;
    other.on_behalf_of = Some(participant("hub:EU-HUB"));
    let row = other.clone();
    store
        .write(move |conn| boxed(async move { traces::insert(conn, &row).await }))
        .await
        .unwrap();
    let in_case = traces::for_case(store.pool(), t.case_id).await.unwrap();
    assert_eq!(in_case, vec![u.clone(), other.clone()]);
    let all = traces::all(store.pool()).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0].row().trace_id,
        u.trace_id,
        "most recently updated first"
    );
    assert_eq!(all[0].row().state, u.state);
    let due = traces::with_deadline_before(store.pool(), at + Duration::days(3))
        .await
        .unwrap();
    let ids: Vec<TraceId> = due.iter().map(|h| h.row().trace_id).collect();
    assert_eq!(ids, vec![u.trace_id]);
    assert_eq!(due[0].row().due, u.due);
    assert!(
        traces::with_deadline_before(store.pool(), at + Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );

    // Events, in the order added.
    let events: Vec<traces::EventRow> = (0..3)
        .map(|i| traces::EventRow {
            trace_id: t.trace_id,
            case_id: t.case_id,
            at: at + Duration::seconds(i),
            kind: format!("kind-{i}"),
            actor: "node".into(),
            detail: format!("detail {i}"),
            envelope_id: (i == 1).then(|| "env-1".to_string()),
            state_after: (i != 1).then(|| "sent".to_string()),
            derived_from: (i == 2).then(|| {
                (
                    crate::policy::marking::Marking::new(crate::policy::marking::Tlp::Red),
                    vec![crate::policy::marked::Source::message(
                        crate::policy::marked::Provider::Participant(participant("BEL")),
                        EnvelopeId::new_v7(at),
                    )],
                )
            }),
            fact: (i != 1).then(|| crate::fact::code("history-information-closed")),
        })
        .collect();
    let rows = events.clone();
    store
        .write(move |conn| {
            boxed(async move {
                for e in &rows {
                    traces::add_event(conn, e).await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .await
        .unwrap();
    assert_eq!(
        traces::events(store.pool(), t.trace_id).await.unwrap(),
        events
    );
    assert!(
        traces::events(store.pool(), other.trace_id)
            .await
            .unwrap()
            .is_empty()
    );

    // Consents, once per message that carried one.
    let consent = traces::ConsentRow {
        trace_id: t.trace_id,
        envelope_id: EnvelopeId::new_v7(at).to_string(),
        consent: crate::policy::consent::Consent {
            provider: participant("DEU"),
            regarding: Some(EnvelopeId::new_v7(at)),
            use_: crate::policy::Use::ForwardToThirdState,
            destination: Some(participant("FRA")),
            restrictions: [crate::policy::marking::Restriction::NoOnwardDisclosure].into(),
            tlp: true,
        },
        granted_at: at + Duration::seconds(9),
    };
    for _ in 0..2 {
        let c = consent.clone();
        store
            .write(move |conn| boxed(async move { traces::consent_write(&c).execute(conn).await }))
            .await
            .unwrap();
    }
    assert_eq!(
        traces::consents_in_case(store.pool(), t.case_id)
            .await
            .unwrap(),
        vec![consent]
    );
}

/// A step that reads its trace as a head (the request's first items only)
/// writes back what it changed, never the cut request.
async fn check_a_step_on_a_head_keeps_the_request_whole(store: Store) {
    let at = t0();
    let mut whole = trace_row(at);
    whole.request = whole.request.map(|mut r| {
        r.items = (0..5)
            .map(|i| pb::RecoveredItem {
                item_ref: format!("exhibit {i}"),
                quantity: 1,
                ..Default::default()
            })
            .collect();
        r
    });
    let row = whole.clone();
    store
        .write(move |conn| boxed(async move { traces::insert(conn, &row).await }))
        .await
        .unwrap();

    let mut head = traces::head_from_pool(store.pool(), whole.trace_id)
        .await
        .unwrap()
        .expect("the trace's head");
    assert_eq!(head.items_total(), 5);
    let shown = head.row().request.within_node(|r| r.items.len());
    assert_eq!(shown, traces::TraceHead::HEAD_ITEMS);
    let step = head.row_mut();
    step.state = TraceState::Acknowledged;
    step.awaiting = crate::case::role::Awaiting::ConsentAsked;
    step.received_at = Some(at + Duration::seconds(3));
    step.updated_at = at + Duration::seconds(4);
    let write = traces::progress_write(&head);
    store
        .write(move |conn| boxed(async move { write.execute(conn).await }))
        .await
        .unwrap();

    let mut expected = whole.clone();
    expected.state = TraceState::Acknowledged;
    expected.awaiting = crate::case::role::Awaiting::ConsentAsked;
    expected.received_at = Some(at + Duration::seconds(3));
    expected.updated_at = at + Duration::seconds(4);
    let got = traces::get_from_pool(store.pool(), whole.trace_id)
        .await
        .unwrap();
    assert_eq!(
        got,
        Some(expected),
        "the step is written and the request kept whole"
    );
}

/// An event recorded before facts were (migration 0012): its row has no
/// fact, and every reader sees the English the node stored.
async fn check_an_event_from_before_facts_shows_its_english(store: Store) {
    let t = trace_row(t0());
    let trace = t.trace_id;
    let (trace_id, case_id) = (t.trace_id.to_string(), t.case_id.to_string());
    store
        .write(move |conn| {
            boxed(async move {
                traces::insert(conn, &t).await?;
                Write::new(
                    "INSERT INTO case_events (trace_id, case_id, at, kind, actor, detail) \
                     VALUES ($1, $2, $3, 'sent', 'GHA/poc.officer (poc)', $4)",
                )
                .bind(trace_id)
                .bind(case_id)
                .bind(crate::clock::to_millis(t0()))
                .bind("request sent to BEL (9.1 c manufacture marking)")
                .execute(conn)
                .await?;
                Ok::<_, StoreError>(())
            })
        })
        .await
        .unwrap();
    let events = traces::events(store.pool(), trace).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].fact, None);
    let fr = crate::i18n::Texts::new(crate::i18n::Lang::Fr);
    assert_eq!(
        fr.detail(events[0].fact.as_ref(), &events[0].detail),
        "request sent to BEL (9.1 c manufacture marking)"
    );
}

async fn enqueue(store: &Store, envelope: EnvelopeId, trace: TraceId, at: OffsetDateTime) {
    store
        .write(move |conn| {
            boxed(async move { outbox::enqueue(conn, envelope, trace, "DEU", 5, at).await })
        })
        .await
        .unwrap();
}

async fn claim(
    store: &Store,
    claimer: &'static str,
    now: OffsetDateTime,
    lease: Duration,
) -> Vec<outbox::OutboxRow> {
    outbox::claim_due(store, claimer, now, now + lease, 10)
        .await
        .unwrap()
}

fn ids(rows: &[outbox::OutboxRow]) -> Vec<EnvelopeId> {
    rows.iter().map(|r| r.envelope_id).collect()
}

/// What a node alone on its database sends next: the oldest pending
/// envelope of each conversation that is due, oldest first.
async fn check_outbox_due(store: Store) {
    let at = t0();
    let (ta, tb) = (TraceId::new_v7(at), TraceId::new_v7(at));
    let e: [EnvelopeId; 3] =
        std::array::from_fn(|i| EnvelopeId::new_v7(at + Duration::milliseconds(i as i64)));
    enqueue(&store, e[0], ta, at).await;
    enqueue(&store, e[1], ta, at + Duration::seconds(1)).await;
    enqueue(&store, e[2], tb, at + Duration::seconds(2)).await;
    let due = |now: OffsetDateTime, limit: i64| {
        let pool = store.pool().clone();
        async move { ids(&outbox::due(&pool, now, limit).await.unwrap()) }
    };
    assert!(due(at - Duration::seconds(1), 10).await.is_empty());
    let now = at + Duration::seconds(10);
    assert_eq!(due(now, 10).await, vec![e[0], e[2]]);
    assert_eq!(due(now, 1).await, vec![e[0]]);
    // Reading claims nothing: the same again.
    assert_eq!(due(now, 10).await, vec![e[0], e[2]]);

    // e0 to be retried in an hour: e1 still waits behind it; e2 is due.
    store
        .write(move |conn| {
            boxed(async move {
                outbox::retry_later(conn, e[0], "DEU", "no answer", now + Duration::hours(1)).await
            })
        })
        .await
        .unwrap();
    assert_eq!(due(now, 10).await, vec![e[2]]);
    // e0 delivered: e1 is next in its conversation.
    store
        .write(move |conn| {
            boxed(async move {
                outbox::finish(conn, e[0], outbox::OutboxState::Delivered, "DEU", None, now).await
            })
        })
        .await
        .unwrap();
    assert_eq!(due(now, 10).await, vec![e[1], e[2]]);

    // Through a hub, the destination's receipt can be recorded before the
    // hub's custody receipt: "relayed" then does not undo "delivered", nor
    // does a retry.
    store
        .write(move |conn| {
            boxed(async move {
                assert!(outbox::mark_delivered(conn, e[2], now).await?);
                outbox::finish(
                    conn,
                    e[2],
                    outbox::OutboxState::Relayed,
                    "hub:EU",
                    None,
                    now,
                )
                .await?;
                outbox::retry_later(conn, e[2], "hub:EU", "late", now).await
            })
        })
        .await
        .unwrap();
    // A hub's report that it could not deliver refuses what it holds, and
    // leaves alone what was delivered meanwhile.
    store
        .write(move |conn| {
            boxed(async move {
                outbox::finish(
                    conn,
                    e[1],
                    outbox::OutboxState::Relayed,
                    "hub:EU",
                    None,
                    now,
                )
                .await?;
                outbox::reject_relayed(conn, e[1], "hub:EU", "a loop", now).await?;
                outbox::reject_relayed(conn, e[2], "hub:EU", "a loop", now).await
            })
        })
        .await
        .unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let row = outbox::get(&mut conn, e[2]).await.unwrap().unwrap();
    assert_eq!(row.state, outbox::OutboxState::Delivered);
    assert_eq!((row.attempts, row.last_error), (0, None));
    let row = outbox::get(&mut conn, e[1]).await.unwrap().unwrap();
    assert_eq!(row.state, outbox::OutboxState::Rejected);
    assert_eq!(row.last_error.as_deref(), Some("a loop"));
}

async fn check_outbox_claims(store: Store) {
    let at = t0();
    let lease = Duration::seconds(30);
    let (ta, tb) = (TraceId::new_v7(at), TraceId::new_v7(at));
    let e: [EnvelopeId; 3] =
        std::array::from_fn(|i| EnvelopeId::new_v7(at + Duration::milliseconds(i as i64)));
    assert_eq!(outbox::next_due(store.pool()).await.unwrap(), None);
    assert_eq!(outbox::depth(store.pool()).await.unwrap(), (0, None));
    enqueue(&store, e[0], ta, at).await;
    enqueue(&store, e[1], ta, at + Duration::seconds(1)).await;
    enqueue(&store, e[2], tb, at + Duration::seconds(2)).await;
    // Enqueueing the same envelope again changes nothing.
    enqueue(&store, e[2], tb, at + Duration::seconds(3)).await;
    assert_eq!(outbox::next_due(store.pool()).await.unwrap(), Some(at));
    assert_eq!(outbox::depth(store.pool()).await.unwrap(), (3, Some(at)));
    assert!(
        claim(&store, "r1", at - Duration::seconds(1), lease)
            .await
            .is_empty(),
        "nothing is due yet"
    );

    let now = at + Duration::seconds(10);
    let first = claim(&store, "r1", now, lease).await;
    assert_eq!(
        ids(&first),
        vec![e[0], e[2]],
        "only the oldest pending envelope of each trace"
    );
    assert!(first.windows(2).all(|w| w[0].seq < w[1].seq));
    let row = &first[0];
    assert_eq!(row.trace_id, ta);
    assert_eq!(row.destination, "DEU");
    assert_eq!(row.kind, 5);
    assert_eq!(row.state, outbox::OutboxState::Pending);
    assert_eq!(row.attempts, 0);
    assert_eq!(row.next_attempt_at, at);
    assert_eq!(row.enqueued_at, at);
    assert_eq!(
        (row.next_hop.as_deref(), row.last_error.as_deref()),
        (None, None)
    );
    assert_eq!(row.done_at, None);
    assert!(
        claim(&store, "r2", now + Duration::seconds(1), lease)
            .await
            .is_empty(),
        "a claim while the lease holds gets nothing"
    );

    // The lease runs out: the same envelopes are claimable again, and the
    // attempt r1 never recorded (it died, say) counts.
    let later = now + lease + Duration::seconds(1);
    let taken_over = claim(&store, "r2", later, lease).await;
    assert_eq!(ids(&taken_over), vec![e[0], e[2]]);
    assert!(taken_over.iter().all(|r| r.attempts == 1), "{taken_over:?}");

    // e0 delivered: e1 becomes the head of its trace. e2 retried later.
    let done_at = later + Duration::seconds(1);
    store
        .write(move |conn| {
            boxed(async move {
                outbox::finish(
                    conn,
                    e[0],
                    outbox::OutboxState::Delivered,
                    "DEU",
                    None,
                    done_at,
                )
                .await?;
                outbox::retry_later(
                    conn,
                    e[2],
                    "hub:EU-HUB",
                    "no answer",
                    done_at + Duration::hours(1),
                )
                .await
            })
        })
        .await
        .unwrap();
    assert_eq!(ids(&claim(&store, "r1", done_at, lease).await), vec![e[1]]);
    let mut conn = store.pool().acquire().await.unwrap();
    let delivered = outbox::get(&mut conn, e[0]).await.unwrap().unwrap();
    assert_eq!(delivered.state, outbox::OutboxState::Delivered);
    assert_eq!(delivered.attempts, 2, "r1's attempt and r2's");
    assert_eq!(delivered.done_at, Some(done_at));
    assert_eq!(delivered.next_hop.as_deref(), Some("DEU"));
    let retried = outbox::get(&mut conn, e[2]).await.unwrap().unwrap();
    assert_eq!(retried.attempts, 2);
    assert_eq!(retried.last_error.as_deref(), Some("no answer"));
    assert_eq!(retried.next_attempt_at, done_at + Duration::hours(1));
    drop(conn);
    assert_eq!(
        outbox::next_due(store.pool()).await.unwrap(),
        Some(at + Duration::seconds(1))
    );
    assert_eq!(
        outbox::depth(store.pool()).await.unwrap(),
        (2, Some(at + Duration::seconds(1)))
    );

    // Its hub is back: e2 is due now.
    let woken = store
        .write(move |conn| {
            boxed(async move { outbox::wake_participant(conn, "hub:EU-HUB", done_at).await })
        })
        .await
        .unwrap();
    assert_eq!(woken, 1);
    let after_lease = done_at + lease + Duration::seconds(1);
    assert_eq!(
        ids(&claim(&store, "r1", after_lease, lease).await),
        vec![e[1], e[2]]
    );

    // Relayed, then the end-to-end receipt arrives (once).
    let relayed_at = after_lease + Duration::seconds(1);
    store
        .write(move |conn| {
            boxed(async move {
                outbox::finish(
                    conn,
                    e[1],
                    outbox::OutboxState::Relayed,
                    "hub:EU-HUB",
                    None,
                    relayed_at,
                )
                .await
            })
        })
        .await
        .unwrap();
    for expected in [true, false] {
        let marked = store
            .write(move |conn| {
                boxed(async move { outbox::mark_delivered(conn, e[1], relayed_at).await })
            })
            .await
            .unwrap();
        assert_eq!(marked, expected);
    }

    let pending = outbox::list(store.pool(), false, 0, 10).await.unwrap();
    assert_eq!(ids(&pending), vec![e[2]]);
    let everything = outbox::list(store.pool(), true, 0, 10).await.unwrap();
    assert_eq!(ids(&everything), vec![e[0], e[1], e[2]]);
    // A page at a time, from where the last one ended.
    let first = outbox::list(store.pool(), true, 0, 2).await.unwrap();
    assert_eq!(ids(&first), vec![e[0], e[1]]);
    let rest = outbox::list(store.pool(), true, first[1].seq, 2)
        .await
        .unwrap();
    assert_eq!(ids(&rest), vec![e[2]]);
    let of_a = outbox::for_trace(store.pool(), ta).await.unwrap();
    assert_eq!(ids(&of_a), vec![e[0], e[1]]);
}

async fn check_deadline_alert_once(store: Store) {
    let at = t0();
    let trace = TraceId::new_v7(at);
    let raise = |alert: &'static str| {
        store.write(move |conn| {
            boxed(async move {
                traces::raise_alert(conn, trace, "acknowledgement", alert, at, at).await
            })
        })
    };
    assert!(raise("reminder").await.unwrap());
    assert!(!raise("reminder").await.unwrap(), "raised once only");
    assert!(
        raise("overdue").await.unwrap(),
        "another alert is another key"
    );
    assert_eq!(count(&store, "deadline_alerts").await, 2);
}

async fn check_audit_chain(store: Store) {
    let at = t0();
    // What a receipt's signer puts in it: the head as committed, whichever
    // way the store keeps it.
    async fn committed_head_is_the_last_entry(store: &Store) {
        let entries = audit::entries(store.pool(), 0, 0).await.unwrap();
        let last = entries.last().map(|e| crate::audit::Head {
            seq: e.record.seq,
            hash: e.hash.clone(),
        });
        assert_eq!(store.audit_head().await.unwrap(), last);
    }
    committed_head_is_the_last_entry(&store).await;
    for i in 0..3i64 {
        store
            .write(move |conn| {
                boxed(async move {
                    audit::append(
                        conn,
                        at + Duration::seconds(i),
                        "officer:FRA:alice",
                        "case.view",
                        &format!("case-{i}"),
                        "",
                    )
                    .await
                })
            })
            .await
            .unwrap();
    }
    let entries = audit::entries(store.pool(), 0, 0).await.unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.record.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(entries[0].prev_hash, crate::audit::GENESIS);
    assert_eq!(entries[1].prev_hash, entries[0].hash);
    assert_eq!(entries[2].prev_hash, entries[1].hash);
    assert_eq!(entries[2].record.at_ms, crate::clock::to_millis(at) + 2000);
    assert_eq!(entries[2].record.subject, "case-2");
    assert_eq!(crate::audit::verify_chain(&entries), Ok(3));
    let page = audit::entries(store.pool(), 1, 1).await.unwrap();
    assert_eq!(page, entries[1..2]);
    assert_eq!(store.audit_head().await.unwrap().map(|h| h.seq), Some(3));
    committed_head_is_the_last_entry(&store).await;

    // Appends from concurrent writers (one batch, or several) stay chained.
    let mut handles = Vec::new();
    for i in 0..10i64 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.write(move |conn| {
                boxed(async move {
                    audit::append(conn, at, "node", "outbox.send", &format!("env-{i}"), "").await
                })
            })
            .await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let entries = audit::entries(store.pool(), 0, 0).await.unwrap();
    assert_eq!(crate::audit::verify_chain(&entries), Ok(13));

    // An append rolled back with its job leaves nothing in the chain: the
    // next one chains to the entry before it. (The SQLite writer keeps the
    // head in memory and must forget it on every rollback.) Alone in a
    // batch, then in batches with others.
    fn append_then(i: i64, fail: bool) -> impl WriteJob<(), StoreError> {
        move |conn| {
            boxed(async move {
                audit::append(conn, t0(), "node", "case.view", &format!("r-{i}"), "").await?;
                if fail {
                    return Err(StoreError::corrupt("refused on purpose"));
                }
                Ok(())
            })
        }
    }
    assert!(store.write(append_then(0, true)).await.is_err());
    assert_eq!(store.audit_head().await.unwrap().map(|h| h.seq), Some(13));
    committed_head_is_the_last_entry(&store).await;
    store.write(append_then(1, false)).await.unwrap();
    let mut handles = Vec::new();
    for i in 2..14i64 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.write(append_then(i, i % 3 == 0)).await
        }));
    }
    let kept = futures::future::join_all(handles)
        .await
        .into_iter()
        .filter(|h| h.as_ref().unwrap().is_ok())
        .count();
    assert_eq!(kept, 8);
    let entries = audit::entries(store.pool(), 0, 0).await.unwrap();
    assert_eq!(crate::audit::verify_chain(&entries), Ok(13 + 1 + 8));
    assert!(entries.iter().all(|e| e.record.subject != "r-0"));
    committed_head_is_the_last_entry(&store).await;
    // Batches whose last job failed: the head is the last one kept.
    let mut handles = Vec::new();
    for i in 14..20i64 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.write(append_then(i, i >= 17)).await
        }));
    }
    futures::future::join_all(handles).await;
    committed_head_is_the_last_entry(&store).await;
}

fn peer(name: &str, at: OffsetDateTime) -> peers::PeerRow {
    peers::PeerRow {
        participant: participant(name),
        endpoint: format!("https://{}.example:7443", name.to_lowercase()),
        ca_der: vec![0x30, 0x82, 1, 2, 3],
        crl_der: None,
        serves: Vec::new(),
        encryption_key: None,
        added_at: at,
    }
}

async fn upsert_peer(store: &Store, p: &peers::PeerRow) {
    let p = p.clone();
    store
        .write(move |conn| boxed(async move { peers::upsert(conn, &p).await }))
        .await
        .unwrap();
}

async fn check_peers(store: Store) {
    let at = t0();
    let fra = peer("FRA", at);
    let mut hub = peer("hub:EU-HUB", at + Duration::seconds(1));
    hub.serves = vec![participant("BEL"), participant("LUX")];
    hub.crl_der = Some(vec![9, 9]);
    hub.encryption_key = Some(vec![0u8; 32]);
    upsert_peer(&store, &hub).await;
    upsert_peer(&store, &fra).await;
    assert_eq!(
        peers::all(store.pool()).await.unwrap(),
        vec![fra.clone(), hub.clone()]
    );

    // Upserting again replaces everything but when the peer was added.
    let mut fra2 = peer("FRA", at + Duration::days(1));
    fra2.endpoint = "https://fra2.example:7443".into();
    fra2.crl_der = Some(vec![1]);
    fra2.serves = vec![participant("MCO")];
    upsert_peer(&store, &fra2).await;
    let expected = peers::PeerRow {
        added_at: fra.added_at,
        ..fra2
    };
    assert_eq!(peers::all(store.pool()).await.unwrap(), vec![expected, hub]);
}

async fn check_directory_keeps_the_higher_serial(store: Store) {
    let at = t0();
    let entry = |serial: u64, signed: u8| peers::DirectoryRow {
        participant: participant("DEU"),
        signed: vec![signed; 8],
        serial,
        trust: "pinned".into(),
        cached_at: at + Duration::seconds(serial as i64),
    };
    let upsert = |d: peers::DirectoryRow| {
        store.write(move |conn| boxed(async move { peers::upsert_directory(conn, &d).await }))
    };
    assert!(upsert(entry(5, 5)).await.unwrap());
    assert!(
        !upsert(entry(3, 3)).await.unwrap(),
        "an older serial is ignored"
    );
    assert!(
        !upsert(entry(5, 6)).await.unwrap(),
        "the same serial is ignored"
    );
    assert_eq!(
        peers::directory(store.pool()).await.unwrap(),
        vec![entry(5, 5)]
    );
    assert!(upsert(entry(7, 7)).await.unwrap());
    let mut other = entry(1, 1);
    other.participant = participant("AUT");
    assert!(upsert(other.clone()).await.unwrap());
    assert_eq!(
        peers::directory(store.pool()).await.unwrap(),
        vec![other, entry(7, 7)]
    );
}

async fn check_hub_tables(store: Store) {
    let at = t0();
    let h = header(TraceId::new_v7(at), CaseId::new_v7(at), at);
    for _ in 0..2 {
        let h = h.clone();
        store
            .write(move |conn| {
                boxed(async move { hub::log_relay(conn, &h, &"BEL".parse().unwrap(), at).await })
            })
            .await
            .unwrap();
    }
    assert_eq!(
        hub::relay_log(store.pool()).await.unwrap(),
        vec![hub::RelayRow {
            trace_id: h.trace_id.to_string(),
            origin: "FRA".into(),
            destination: "DEU".into(),
            kind: pb::PayloadKind::Acknowledgement as i32,
            received_at: at,
        }]
    );
    assert_eq!(
        hub::relayed(store.pool(), h.id).await.unwrap(),
        Some(hub::Relayed {
            case_id: h.case_id,
            trace_id: h.trace_id,
            origin: "FRA".parse().unwrap(),
            kind: pb::PayloadKind::Acknowledgement as i32,
            received_from: "BEL".parse().unwrap(),
        }),
        "a hub knows who handed it each envelope it relayed"
    );

    check_register(&store).await;
}

fn lost_stolen_row(i: usize) -> register::LostStolenRow {
    register::LostStolenRow {
        reported_by: ["GHA", "NGA", "BEL"][i % 3].into(),
        make: "Česká \"zbrojovka\"".into(),
        model: format!("vz. {i}"),
        serial_number: format!("CZ-{i:05}"),
        calibre: "7.62×39".into(),
        make_key: "CZ".into(),
        serial_key: format!("CZ{i:05}"),
        reported_on: "2025-03-04".into(),
        circumstances: format!("stolen from \\\\depot\\{i}\n\t{{\"n\": {i}}}"),
        reference: format!("réf. {i}"),
    }
}

/// A feed's reports, numbered as lines from 1.
fn feed_lines(reports: &[register::LostStolenRow]) -> Vec<register::FeedLine> {
    (1..)
        .zip(reports)
        .map(|(line, report)| register::FeedLine {
            line,
            report: report.clone(),
        })
        .collect()
}

/// Stages `lines` of `feed`: what PostgreSQL added at once (SQLite adds at
/// the merge).
async fn stage(store: &Store, feed: i64, lines: Vec<register::FeedLine>) -> register::Merged {
    store
        .write_bulk(move |conn| boxed(async move { register::stage(conn, feed, &lines).await }))
        .await
        .unwrap()
}

async fn merge(store: &Store, feed: i64) -> register::Merged {
    store
        .write_bulk(move |conn| boxed(async move { register::merge_staged(conn, feed).await }))
        .await
        .unwrap()
}

/// Stages every batch of a feed, then merges it: what was added and
/// repeated, in line order, whichever step did it.
async fn import(
    store: &Store,
    feed: i64,
    batches: Vec<Vec<register::FeedLine>>,
) -> register::Merged {
    let mut all = register::Merged::default();
    for batch in batches {
        let merged = stage(store, feed, batch).await;
        all.added += merged.added;
        all.repeated.extend(merged.repeated);
    }
    let merged = merge(store, feed).await;
    all.added += merged.added;
    all.repeated.extend(merged.repeated);
    all.repeated.sort_by_key(|r| r.line);
    all
}

fn repeated(line: u64, r: &register::LostStolenRow) -> register::Repeated {
    register::Repeated {
        line,
        make: r.make.clone(),
        serial_number: r.serial_number.clone(),
        reported_by: r.reported_by.clone(),
    }
}

async fn candidates(store: &Store, r: &register::LostStolenRow) -> Vec<register::LostStolenRow> {
    register::lost_stolen_candidates(
        store.pool(),
        &r.make_key,
        std::slice::from_ref(&r.serial_key),
    )
    .await
    .unwrap()
}

/// An import's reports reach the register each weapon once per state,
/// whatever the feed repeats, every value as sent. On SQLite they are
/// staged and reach it only through their feed's merge; two feeds staged
/// at once stay apart.
async fn check_register(store: &Store) {
    // More reports than one statement takes, out of key order, with
    // quotes, backslashes and accents; line 701 repeats line 11.
    let reports: Vec<_> = (0..1_203).rev().map(lost_stolen_row).collect();
    let mut first = reports.clone();
    first.insert(700, reports[10].clone());
    let mut rest = feed_lines(&first[600..]);
    rest.iter_mut().for_each(|l| l.line += 600);
    let other = lost_stolen_row(5_000);
    let sqlite = store.backend() == Backend::Sqlite;
    stage(store, 12, feed_lines(std::slice::from_ref(&other))).await;
    assert_eq!(
        import(store, 11, vec![feed_lines(&first[..600]), rest]).await,
        register::Merged {
            added: reports.len() as u64,
            repeated: vec![repeated(701, &reports[10])],
        }
    );
    for r in [&reports[0], &reports[10], &reports[1_202]] {
        assert_eq!(candidates(store, r).await, vec![r.clone()]);
    }
    if sqlite {
        assert!(
            candidates(store, &other).await.is_empty(),
            "another feed's merge leaves it staged"
        );
        assert_eq!(count(store, "lost_stolen_staged").await, 1);
    }
    // A later feed: what the register holds is not added again, and the
    // other feed, merged now, is added.
    let again = vec![lost_stolen_row(9_000), reports[5].clone()];
    let staged = stage(store, 11, feed_lines(&again)).await;
    if sqlite {
        assert_eq!(
            candidates(store, &again[0]).await,
            vec![],
            "staged is not yet registered"
        );
    }
    let merged = merge(store, 11).await;
    assert_eq!(staged.added + merged.added, 1, "{staged:?} {merged:?}");
    assert_eq!(
        [staged.repeated, merged.repeated].concat(),
        vec![repeated(2, &reports[5])]
    );
    if sqlite {
        assert_eq!(merge(store, 12).await.added, 1);
    }
    assert_eq!(candidates(store, &other).await, vec![other.clone()]);
    assert_eq!(count(store, "lost_stolen_staged").await, 0);
}

// PostgreSQL only: several replicas sharing one database.

/// Two stores on one database, as two replicas would be.
async fn postgres_replicas(test: &str) -> Option<(ThrowawayDatabase, Store, Store)> {
    let (db, a) = postgres_store(test).await?;
    let b = Store::open(db.url(), Durability::Full, "test-b")
        .await
        .unwrap();
    Some((db, a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_share_one_audit_chain() {
    let Some((_db, a, b)) = postgres_replicas("postgres_replicas_share_one_audit_chain").await
    else {
        return;
    };
    let mut handles = Vec::new();
    for i in 0..40i64 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        handles.push(tokio::spawn(async move {
            s.write(move |conn| {
                boxed(async move {
                    audit::append(conn, t0(), "node", "outbox.send", &format!("env-{i}"), "").await
                })
            })
            .await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let entries = audit::entries(a.pool(), 0, 0).await.unwrap();
    assert_eq!(crate::audit::verify_chain(&entries), Ok(40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_never_claim_the_same_envelope() {
    let Some((_db, a, b)) =
        postgres_replicas("postgres_replicas_never_claim_the_same_envelope").await
    else {
        return;
    };
    let at = t0();
    let mut all = HashSet::new();
    for i in 0..60 {
        let e = EnvelopeId::new_v7(at + Duration::milliseconds(i));
        enqueue(&a, e, TraceId::new_v7(at), at).await;
        all.insert(e);
    }
    let now = at + Duration::seconds(1);
    let mut handles = Vec::new();
    for i in 0..12 {
        let (s, who) = if i % 2 == 0 {
            (a.clone(), "a")
        } else {
            (b.clone(), "b")
        };
        handles.push(tokio::spawn(async move {
            claim(&s, who, now, Duration::minutes(5)).await
        }));
    }
    let mut claimed = Vec::new();
    for h in handles {
        let rows = h.await.unwrap();
        assert!(rows.len() <= 10, "a claim respects its limit");
        claimed.extend(ids(&rows));
    }
    let distinct: HashSet<_> = claimed.iter().copied().collect();
    assert_eq!(distinct.len(), claimed.len(), "no envelope claimed twice");
    assert_eq!(distinct, all, "and every due envelope claimed");
}

/// The sweep (service::sweep) takes a try-lock whose result it reads as a
/// bool, and the audit append an exclusive lock whose result is void: both
/// must decode through the `Any` driver.
#[tokio::test]
async fn postgres_advisory_locks_decode() {
    let Some((_db, store)) = postgres_store("postgres_advisory_locks_decode").await else {
        return;
    };
    let got = store
        .write(|conn| {
            boxed(async move {
                sqlx::query("SELECT pg_advisory_xact_lock(7101)")
                    .execute(&mut *conn)
                    .await?;
                traces::try_sweep_lock(conn).await
            })
        })
        .await
        .unwrap();
    assert!(got);
}

/// A batch whose connection is lost before its commit is run again, whole,
/// on a new connection: every job is answered with the run that committed,
/// and each write is made once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_batch_that_lost_its_connection_runs_again_on_a_new_one() {
    let Some((_db, store)) =
        postgres_store("postgres_a_batch_that_lost_its_connection_runs_again_on_a_new_one").await
    else {
        return;
    };
    // Hold the writer in a job of its own, so that the next three queue up
    // and run as one batch.
    let held = Arc::new(tokio::sync::Notify::new());
    let inside = Arc::new(tokio::sync::Notify::new());
    let holder = {
        let (store, held, inside) = (store.clone(), held.clone(), inside.clone());
        tokio::spawn(async move {
            store
                .write(move |_conn| {
                    boxed(async move {
                        inside.notify_one();
                        held.notified().await;
                        Ok::<_, StoreError>(())
                    })
                })
                .await
        })
    };
    inside.notified().await;
    let write = |op: Box<dyn Fn() -> Option<&'static str> + Send + Sync>, name: &'static str| {
        let store = store.clone();
        let op = Arc::new(op);
        tokio::spawn(async move {
            store
                .write(move |conn| {
                    boxed(async move {
                        peer_insert(name.to_string()).execute(&mut *conn).await?;
                        if let Some(q) = op() {
                            sqlx::query(q).execute(&mut *conn).await?;
                        }
                        Ok::<_, StoreError>(())
                    })
                })
                .await
        })
    };
    // The second job kills its own connection, the first time only.
    let killed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let first = write(Box::new(|| None), "A");
    let killer = write(
        Box::new(move || {
            (!killed.swap(true, std::sync::atomic::Ordering::SeqCst))
                .then_some("SELECT pg_terminate_backend(pg_backend_pid())")
        }),
        "B",
    );
    let after = write(Box::new(|| None), "C");
    while store.jobs.max_capacity() - store.jobs.capacity() < 3 {
        tokio::task::yield_now().await;
    }
    held.notify_one();
    holder.await.unwrap().unwrap();
    for (name, job) in [("first", first), ("killer", killer), ("after", after)] {
        if let Err(e) = job.await.unwrap() {
            panic!("{name}: its batch was not run again after the connection was lost: {e}");
        }
    }
    let peers: Vec<String> = sqlx::query_scalar("SELECT participant FROM peers ORDER BY 1")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(peers, ["A", "B", "C"]);
    assert_eq!(store.reruns()[2], ("connection", 1));
}
