//! The delivery loop: takes due envelopes from the durable outbox, delivers
//! them to the next hop over mutual TLS, and records the signed receipt.
//!
//! - Unreachable is never final: retries back off exponentially, with
//!   jitter, capped so that delivery resumes within `retry_cap` of a peer's
//!   return, for as long as it takes.
//! - Only a definite refusal (bad signature, unknown participant, illegal
//!   step) dead-letters an envelope, and the officer sees why.
//! - An envelope is delivered when the destination's receipt is in; a hub's
//!   receipt means custody (relayed), and the destination's receipt comes
//!   back later through the hub.
//! - One envelope per conversation is in flight at a time, so order within
//!   a conversation is kept.
//!
//! The loop knows its node only through [`Deliveries`]: where to send, how to
//! check a receipt, and where to report how each attempt ended
//! ([`Deliveries::record`]). What an outcome does to a trace is the
//! service's business (`service::delivery`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use iti_proto::v1 as pb;
use iti_proto::v1::federation_client::FederationClient;
use prost::Message;
use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::config::OutboxConfig;
use crate::envelope::{self, VerifiedReceipt};
use crate::identity::trust::TrustStore;
use crate::ids::{EnvelopeId, ParticipantId};
use crate::metrics::{Direction, Metrics};
use crate::peering::Peering;
use crate::store::envelopes::{self, Direction as Stored, StoredEnvelope};
use crate::store::outbox::{self as ob, OutboxRow};
use crate::store::{Backend, Store, StoreError};
use crate::transfer::{self, PartsError};

/// What the delivery loop needs of its node, and nothing more.
pub trait Deliveries: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
    fn settings(&self) -> &OutboxConfig;
    /// This process's name among replicas (its outbox claims).
    fn replica(&self) -> &str;
    fn store(&self) -> &Store;
    fn peering(&self) -> &Peering;
    fn trust(&self) -> &TrustStore;
    fn metrics(&self) -> &Metrics;
    /// Woken when there may be something (more) to send.
    fn wake(&self) -> &tokio::sync::Notify;
    fn handover(&self) -> &Handover;
    /// What each next hop carried last (parts are sized to it).
    fn lines(&self) -> &transfer::Lines;
    /// Envelopes queued per next hop, sent together when they queue.
    fn batches(&self) -> &crate::batch::Batches;
    /// Before checking a receipt a hub passed on from a signer not learned
    /// yet: learn it from that hub. Whether it is known now.
    fn learn_signer(
        &self,
        receipt: &pb::SignedReceipt,
        via: &ParticipantId,
    ) -> impl std::future::Future<Output = bool> + Send;
    /// Builds an envelope that waited for its destination's sealing key;
    /// `Err` says why it still waits.
    fn build_waiting(
        &self,
        stored: &StoredEnvelope,
    ) -> impl std::future::Future<Output = Result<pb::Envelope, String>> + Send;
    /// A receiver did not know the envelope's origin: refresh the
    /// directory soon.
    fn refresh_directory_soon(&self);
    /// Records durably how one attempt ended.
    fn record(
        &self,
        attempt: Attempt,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
}

/// How one attempt to deliver ended, for the node to record.
#[derive(Debug)]
pub struct Attempt {
    pub row: OutboxRow,
    /// The participant it was handed to (empty when it went nowhere).
    pub hop: String,
    pub outcome: Recorded,
    /// The envelope, as already read (saves reading it again).
    pub stored: Option<StoredEnvelope>,
    pub now: OffsetDateTime,
}

/// An outcome to record.
#[derive(Debug)]
pub enum Recorded {
    /// The destination signed for it.
    Delivered(VerifiedReceipt),
    /// A hub signed for custody.
    Relayed(VerifiedReceipt),
    /// Not delivered; tried again at `next_attempt`.
    Retry {
        error: String,
        next_attempt: OffsetDateTime,
    },
    /// Definitely refused: dead-lettered, and the officer (or, at a hub,
    /// the participant that handed it over) told.
    Refused(String),
}

/// The longest the loop sleeps without looking at the outbox again.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Delay before retry number `attempts + 1`: exponential from `base`, capped
/// at `cap`, with "equal jitter" (half fixed, half random) so that a crowd of
/// senders does not retry in step. `jitter` is in [0, 1).
pub fn retry_delay(attempts: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exp = base.saturating_mul(1u32.checked_shl(attempts.min(31)).unwrap_or(u32::MAX));
    let ceiling = exp.min(cap);
    let half = ceiling / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// gRPC codes that mean the receiver examined the envelope and refused it.
/// Anything else (unreachable, timeout, overload, internal error) is retried.
pub fn is_definite_refusal(code: tonic::Code) -> bool {
    use tonic::Code as C;
    matches!(
        code,
        C::InvalidArgument
            | C::PermissionDenied
            | C::FailedPrecondition
            | C::NotFound
            | C::AlreadyExists
            | C::Unauthenticated
            | C::OutOfRange
            | C::Unimplemented
    )
}

/// Envelopes handed to the delivery loop as they are committed, so that it
/// sends them without reading them back from the store. Only the first
/// envelope of a new trace is handed over (no earlier one of its
/// conversation can be waiting), and only on SQLite, where this node alone
/// decides what is being sent; everything else the loop finds by reading.
pub struct Handover {
    sending: Arc<Sending>,
    tx: mpsc::UnboundedSender<(OutboxRow, StoredEnvelope)>,
    rx: std::sync::Mutex<Option<mpsc::UnboundedReceiver<(OutboxRow, StoredEnvelope)>>>,
    enabled: bool,
}

impl Handover {
    pub fn new(backend: Backend) -> Handover {
        let (tx, rx) = mpsc::unbounded_channel();
        Handover {
            sending: Arc::new(Sending::default()),
            tx,
            rx: std::sync::Mutex::new(Some(rx)),
            enabled: backend == Backend::Sqlite,
        }
    }

    /// Before the write that queues `header`'s envelope: keeps the loop's
    /// reads from taking it, and keeps it in hand. `None` when hand-over is
    /// off (the loop will read it).
    pub fn reserve(
        &self,
        header: &crate::envelope::Header,
        envelope: &pb::Envelope,
        now: OffsetDateTime,
    ) -> Option<Reserved> {
        if !(self.enabled && self.sending.reserve(header.id)) {
            return None;
        }
        Some(Reserved {
            row: OutboxRow::pending(header, now),
            stored: StoredEnvelope {
                header: header.clone(),
                direction: Stored::Out,
                stored_at: now,
                envelope: envelope.clone(),
                // The delivery loop sends the envelope; it never reads content.
                payload: None,
            },
        })
    }

    /// After that write: hands the envelope over if it was committed, and
    /// otherwise gives the reservation up.
    pub fn complete(&self, reserved: Reserved, committed: bool) {
        let id = reserved.row.envelope_id;
        if !committed || self.tx.send((reserved.row, reserved.stored)).is_err() {
            // Not committed, or no loop (shutting down: a read after restart
            // finds it).
            self.sending.release(id);
        }
    }
}

/// An envelope reserved for hand-over, with its outbox row as the loop
/// would read it back.
pub struct Reserved {
    row: OutboxRow,
    stored: StoredEnvelope,
}

/// Runs until `shutdown` turns true.
pub async fn run<D: Deliveries>(node: Arc<D>, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(node.settings().concurrency));
    let sending = node.handover().sending.clone();
    let Some(mut handed) = node
        .handover()
        .rx
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    else {
        tracing::error!("the delivery loop is already running");
        return;
    };
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Handed over first: no read needed.
        while let Ok((row, stored)) = handed.try_recv() {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                sending.release(row.envelope_id);
                break;
            };
            spawn_delivery(&node, &sending, row, Some(stored), permit);
        }
        let limit = permits.available_permits().min(256);
        let claimed = if limit > 0 {
            claim(node.as_ref(), &sending, limit).await
        } else {
            Vec::new()
        };
        // A claim costs a query: claim again at once only if there may be more
        // due now; otherwise wait to be woken (a new envelope, a finished
        // delivery) or for the poll, so that a busy node does not spend a
        // claim on every wake-up only to find nothing.
        let wait = limit == 0 || claimed.len() < limit;
        let mut claimed = claimed.into_iter();
        while let Some(row) = claimed.next() {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                // Shutting down: nothing of this claim will be sent.
                for row in std::iter::once(row).chain(claimed) {
                    sending.done(row.envelope_id);
                }
                break;
            };
            spawn_delivery(&node, &sending, row, None, permit);
        }
        if wait {
            tokio::select! {
                _ = node.wake().notified() => {}
                Some((row, stored)) = handed.recv() => {
                    match permits.clone().acquire_owned().await {
                        Ok(permit) => spawn_delivery(&node, &sending, row, Some(stored), permit),
                        Err(_) => sending.release(row.envelope_id),
                    }
                }
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
    // Handed over but not sent: a read after restart finds them.
    handed.close();
    while let Ok((row, _)) = handed.try_recv() {
        sending.release(row.envelope_id);
    }
    // Let deliveries in flight finish (their results are durable either way).
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        permits.acquire_many(node.settings().concurrency as u32),
    )
    .await;
}

/// Delivers one envelope under `permit`; `stored` if already in hand.
fn spawn_delivery<D: Deliveries>(
    node: &Arc<D>,
    sending: &Arc<Sending>,
    row: OutboxRow,
    stored: Option<StoredEnvelope>,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let node = node.clone();
    let sending = sending.clone();
    tokio::spawn(async move {
        let id = row.envelope_id;
        if deliver(&node, row, stored).await {
            // Only now, with the outcome committed, may it be taken again.
            sending.done(id);
        } else {
            // The store refused the outcome (a full disk, a lost database):
            // the envelope is still pending. Hold it back for a while rather
            // than send it again at once, and again, to a peer that already
            // has it. (On PostgreSQL the claim's lease, still in place, does
            // the same.)
            node.metrics().count_unrecorded_outcome();
            sending.hold(id, node.now() + node.settings().retry_cap);
        }
        drop(permit);
        // The next envelope of that conversation may now go.
        node.wake().notify_one();
    });
}

/// The envelopes this node is sending now (on SQLite its claims live here,
/// not in the database), those it finished lately, and those held back
/// because the store could not record how their delivery went.
///
/// A read of what is due sees the database as it was when the read began: an
/// envelope finished while the read ran can come back from it as pending.
/// So each finish is stamped with a count, and a read drops what was
/// finished at or after the count it started at: the next read, which begins
/// after that finish was committed, sees it as it is.
#[derive(Default)]
struct Sending(std::sync::Mutex<SendingState>);

#[derive(Default)]
struct SendingState {
    in_flight: HashSet<EnvelopeId>,
    finished: HashMap<EnvelopeId, u64>,
    count: u64,
    /// Not to be taken before the time given (node clock).
    held: HashMap<EnvelopeId, OffsetDateTime>,
}

impl Sending {
    fn state(&self) -> std::sync::MutexGuard<'_, SendingState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called once the outcome of sending `id` is committed.
    fn done(&self, id: EnvelopeId) {
        let mut s = self.state();
        s.in_flight.remove(&id);
        s.count += 1;
        let stamp = s.count;
        s.finished.insert(id, stamp);
    }

    /// Marks `id` as being sent before it is even committed (it is handed
    /// over); false if it already is.
    fn reserve(&self, id: EnvelopeId) -> bool {
        self.state().in_flight.insert(id)
    }

    /// Gives up a reservation of `id` that sent nothing: a read may take it.
    fn release(&self, id: EnvelopeId) {
        self.state().in_flight.remove(&id);
    }

    /// Called when sending `id` ended without its outcome committed: it is
    /// still pending, but not to be sent again before `until`.
    fn hold(&self, id: EnvelopeId, until: OffsetDateTime) {
        let mut s = self.state();
        s.in_flight.remove(&id);
        s.held.insert(id, until);
    }

    /// Before a read: how many rows it may have to drop, and the count it
    /// starts at.
    fn before_read(&self) -> (usize, u64) {
        let s = self.state();
        (s.in_flight.len() + s.finished.len() + s.held.len(), s.count)
    }

    /// After a read begun at `started`: takes up to `limit` of `rows` that
    /// are neither in flight, nor possibly stale, nor held back at `now`,
    /// and marks them in flight.
    fn take(
        &self,
        rows: Vec<OutboxRow>,
        started: u64,
        limit: usize,
        now: OffsetDateTime,
    ) -> Vec<OutboxRow> {
        let mut s = self.state();
        // Finishes before `started` were committed before the read began.
        s.finished.retain(|_, stamp| *stamp > started);
        s.held.retain(|_, until| *until > now);
        let SendingState {
            in_flight,
            finished,
            held,
            ..
        } = &mut *s;
        rows.into_iter()
            .filter(|r| !finished.contains_key(&r.envelope_id))
            .filter(|r| !held.contains_key(&r.envelope_id))
            .filter(|r| in_flight.insert(r.envelope_id))
            .take(limit)
            .collect()
    }
}

/// Takes up to `limit` due envelopes to send. Replicas sharing a PostgreSQL
/// database claim them there, under a lease. A node alone on its SQLite
/// database reads them and remembers what it is sending: a claim in the
/// database would cost a write transaction, and the wait for it, before
/// every delivery, and a restart clears claims anyway.
async fn claim<D: Deliveries>(node: &D, sending: &Sending, limit: usize) -> Vec<OutboxRow> {
    let now = node.now();
    let result = match node.store().backend() {
        Backend::Sqlite => {
            let (busy, started) = sending.before_read();
            ob::due(node.store().pool(), now, (limit + busy) as i64)
                .await
                .map(|rows| sending.take(rows, started, limit, now))
        }
        Backend::Postgres => {
            let lease = node.settings().claim_lease;
            ob::claim_due(node.store(), node.replica(), now, now + lease, limit as i64).await
        }
    };
    match result {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, "outbox claim failed");
            Vec::new()
        }
    }
}

enum Outcome {
    /// The destination signed for it.
    Delivered(VerifiedReceipt),
    /// A hub signed for custody.
    Relayed(VerifiedReceipt),
    Retry(String),
    /// The receiver has not learned the origin yet: retried, but not for
    /// ever (`unknown_origin_limit`).
    NotYetKnown(String),
    Refused(String),
}

/// Sends one envelope and records the outcome; false if the outcome could
/// not be recorded (the envelope is then still pending).
async fn deliver<D: Deliveries>(
    node: &Arc<D>,
    row: OutboxRow,
    stored: Option<StoredEnvelope>,
) -> bool {
    let destination: ParticipantId = match row.destination.parse() {
        Ok(d) => d,
        Err(e) => {
            return finish(
                node,
                &row,
                "",
                Outcome::Refused(format!("bad destination: {e}")),
                None,
            )
            .await;
        }
    };
    let stored = match stored {
        Some(s) => Ok(Some(s)),
        None => envelopes::to_send(node.store().pool(), row.envelope_id).await,
    };
    let stored = match stored {
        Ok(Some(s)) => s,
        Ok(None) => {
            return finish(
                node,
                &row,
                "",
                Outcome::Refused("envelope missing from store".into()),
                None,
            )
            .await;
        }
        Err(e) => return finish(node, &row, "", Outcome::Retry(e.to_string()), None).await,
    };
    let mut stored = stored;
    if envelope::is_waiting_for_key(&stored.envelope) {
        match node.build_waiting(&stored).await {
            Ok(built) => stored.envelope = built,
            Err(why) => return finish(node, &row, "", Outcome::Retry(why), Some(stored)).await,
        }
    }
    let hop = match node.peering().next_hop(&destination) {
        Ok(h) => h,
        Err(e) => {
            return finish(node, &row, "", Outcome::Retry(e.to_string()), Some(stored)).await;
        }
    };
    let outcome = attempt(node.as_ref(), &hop, &destination, &stored.envelope).await;
    finish(node, &row, &hop.to_string(), outcome, Some(stored)).await
}

async fn attempt<D: Deliveries>(
    node: &D,
    hop: &ParticipantId,
    destination: &ParticipantId,
    env: &pb::Envelope,
) -> Outcome {
    let channel = match node.peering().channel(hop) {
        Ok(c) => c,
        Err(e) => return Outcome::Retry(e),
    };
    let reply = match send(node, hop, channel, env).await {
        Err(PartsError::TimedOut) => {
            return Outcome::Retry(format!("{hop} did not answer in time"));
        }
        Err(PartsError::Confused(why)) => return Outcome::Retry(format!("{hop} {why}")),
        Err(PartsError::Status(status)) => {
            let text = crate::identity::tls::explain_transport_error(&status)
                .unwrap_or_else(|| format!("{:?}: {}", status.code(), status.message()));
            if status
                .metadata()
                .contains_key(envelope::UNKNOWN_ORIGIN_METADATA)
            {
                return Outcome::NotYetKnown(format!("{hop}: {}", status.message()));
            }
            return if is_definite_refusal(status.code()) {
                Outcome::Refused(format!("{hop} refused it: {}", status.message()))
            } else {
                Outcome::Retry(format!("{hop}: {text}"))
            };
        }
        Ok(reply) => reply,
    };
    // A hub that passed the envelope straight through adds the destination's
    // receipt: delivered end to end. If that one does not verify here (its
    // signer's CA unknown to us, say), the hub's custody receipt still holds.
    if hop != destination
        && let Some(signed) = &reply.destination_receipt
        && node.learn_signer(signed, hop).await
        && let Ok(r) = envelope::verify_receipt(signed, env, node.trust(), node.now())
        && &r.receiver == destination
    {
        return Outcome::Delivered(r);
    }
    let Some(signed) = reply.receipt else {
        return Outcome::Retry(format!("{hop} answered without a receipt"));
    };
    match envelope::verify_receipt(&signed, env, node.trust(), node.now()) {
        Ok(r) if &r.receiver == destination => Outcome::Delivered(r),
        Ok(r) if &r.receiver == hop && hop.is_hub() => Outcome::Relayed(r),
        Ok(r) => Outcome::Retry(format!("receipt signed by {}, expected {hop}", r.receiver)),
        Err(e) => Outcome::Retry(format!("{hop} returned an invalid receipt: {e}")),
    }
}

/// Delivers `env` to `hop` whole, alone or batched with others for that
/// hop (`batch`), or in parts sized to the line if it is larger than
/// `transfer::WHOLE_AT_MOST`; the delivery timeout bounds each call.
async fn send<D: Deliveries>(
    node: &D,
    hop: &ParticipantId,
    channel: tonic::transport::Channel,
    env: &pb::Envelope,
) -> Result<pb::DeliverReply, PartsError> {
    let wait = node.settings().delivery_timeout;
    let size = env.encoded_len();
    if !transfer::travels_whole(size) {
        let line = (hop, node.lines());
        let mut client = FederationClient::new(channel);
        return transfer::deliver_in_parts(&mut client, env, wait, line).await;
    }
    node.batches()
        .deliver(hop, channel, env.clone(), size, wait)
        .await
}

/// Records the outcome of one attempt; false if the store refused it.
/// `stored` is the envelope as `deliver` read it, if it got that far (saves
/// reading it again).
async fn finish<D: Deliveries>(
    node: &Arc<D>,
    row: &OutboxRow,
    hop: &str,
    outcome: Outcome,
    stored: Option<StoredEnvelope>,
) -> bool {
    let now = node.now();
    let settings = node.settings();
    if matches!(outcome, Outcome::NotYetKnown(_)) {
        // This node (a hub, say) may hold what the receiver lacks once it
        // has refreshed: announcements then carry it on.
        node.refresh_directory_soon();
    }
    let recorded = match outcome {
        Outcome::NotYetKnown(why) if now - row.enqueued_at >= settings.unknown_origin_limit => {
            Recorded::Refused(format!(
                "still not delivered after {}: {why}",
                crate::render::duration(settings.unknown_origin_limit)
            ))
        }
        Outcome::NotYetKnown(error) | Outcome::Retry(error) => {
            let delay = retry_delay(
                row.attempts,
                settings.retry_base,
                settings.retry_cap,
                rand::random::<f64>(),
            );
            tracing::debug!(envelope = %row.envelope_id, %error, attempts = row.attempts + 1, "delivery will be retried");
            Recorded::Retry {
                error,
                next_attempt: now + delay,
            }
        }
        Outcome::Delivered(r) => Recorded::Delivered(r),
        Outcome::Relayed(r) => Recorded::Relayed(r),
        Outcome::Refused(error) => {
            tracing::warn!(envelope = %row.envelope_id, %error, "delivery refused");
            Recorded::Refused(error)
        }
    };
    let handed_over = matches!(recorded, Recorded::Delivered(_) | Recorded::Relayed(_));
    let kind = pb::PayloadKind::try_from(row.kind).unwrap_or(pb::PayloadKind::Unspecified);
    let attempt = Attempt {
        row: row.clone(),
        hop: hop.to_string(),
        outcome: recorded,
        stored,
        now,
    };
    match node.record(attempt).await {
        Ok(()) if handed_over => {
            node.metrics().count_message(Direction::Out, kind);
            let latency = (now - row.enqueued_at).max(time::Duration::ZERO);
            node.metrics()
                .observe_delivery_latency(latency.try_into().unwrap_or_default());
        }
        Ok(()) => {}
        Err(e) => {
            tracing::error!(envelope = %row.envelope_id, error = %e, "recording delivery outcome failed");
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::outbox::OutboxState;
    use proptest::prelude::*;

    #[test]
    fn retries_grow_exponentially_then_stay_under_the_cap() {
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(120);
        assert_eq!(retry_delay(0, base, cap, 0.0), Duration::from_millis(250));
        assert_eq!(retry_delay(3, base, cap, 0.0), Duration::from_secs(2));
        assert_eq!(retry_delay(40, base, cap, 0.999_999).as_secs(), 119);
    }

    fn row(id: EnvelopeId) -> OutboxRow {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        OutboxRow {
            seq: 0,
            envelope_id: id,
            trace_id: crate::ids::TraceId::new_v7(at),
            destination: "BEL".into(),
            kind: 0,
            state: OutboxState::Pending,
            attempts: 0,
            next_attempt_at: at,
            next_hop: None,
            last_error: None,
            enqueued_at: at,
            done_at: None,
        }
    }

    #[test]
    fn an_envelope_is_taken_once_even_by_a_read_older_than_its_finish() {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        let [a, b, c, d]: [EnvelopeId; 4] = std::array::from_fn(|_| EnvelopeId::new_v7(at));
        let ids = |rows: Vec<OutboxRow>| rows.iter().map(|r| r.envelope_id).collect::<Vec<_>>();
        let sending = Sending::default();
        let (_, started) = sending.before_read();
        assert_eq!(
            ids(sending.take(vec![row(a), row(b)], started, 10, at)),
            [a, b]
        );
        // In flight: not taken again.
        assert_eq!(
            ids(sending.take(vec![row(a), row(b), row(c)], started, 10, at)),
            [c]
        );
        // A read begins; a finishes and is committed; the read still lists a.
        let (_, started) = sending.before_read();
        sending.done(a);
        assert_eq!(
            ids(sending.take(vec![row(a), row(d)], started, 10, at)),
            [d]
        );
        // A read begun after that finish lists what is really pending.
        let (_, started) = sending.before_read();
        assert_eq!(ids(sending.take(vec![row(a)], started, 10, at)), [a]);
        // At most `limit`, the rest left for later.
        sending.done(b);
        sending.done(c);
        let (_, started) = sending.before_read();
        assert_eq!(ids(sending.take(vec![row(b), row(c)], started, 1, at)), [b]);
    }

    #[test]
    fn an_envelope_whose_outcome_was_not_recorded_waits_until_its_hold_ends() {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        let a = EnvelopeId::new_v7(at);
        let ids = |rows: Vec<OutboxRow>| rows.iter().map(|r| r.envelope_id).collect::<Vec<_>>();
        let sending = Sending::default();
        let (_, started) = sending.before_read();
        assert_eq!(ids(sending.take(vec![row(a)], started, 10, at)), [a]);
        let until = at + time::Duration::seconds(60);
        sending.hold(a, until);
        let (busy, started) = sending.before_read();
        assert_eq!(busy, 1, "a held envelope may come back from a read");
        let just_before = until - time::Duration::milliseconds(1);
        assert!(
            sending
                .take(vec![row(a)], started, 10, just_before)
                .is_empty()
        );
        assert_eq!(ids(sending.take(vec![row(a)], started, 10, until)), [a]);
        // Taken again, it is in flight (and no longer held).
        assert!(sending.take(vec![row(a)], started, 10, until).is_empty());
        sending.done(a);
        let (_, started) = sending.before_read();
        assert_eq!(ids(sending.take(vec![row(a)], started, 10, until)), [a]);
    }

    #[test]
    fn an_envelope_handed_over_is_not_read_again_unless_given_back() {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        let [a, b]: [EnvelopeId; 2] = std::array::from_fn(|_| EnvelopeId::new_v7(at));
        let ids = |rows: Vec<OutboxRow>| rows.iter().map(|r| r.envelope_id).collect::<Vec<_>>();
        let sending = Sending::default();
        // Reserved before its write commits; a read then lists it.
        assert!(sending.reserve(a));
        assert!(sending.reserve(b));
        let (_, started) = sending.before_read();
        assert!(
            sending
                .take(vec![row(a), row(b)], started, 10, at)
                .is_empty()
        );
        // a was sent and finished; b's write failed, or it was never sent.
        sending.done(a);
        sending.release(b);
        let (_, started) = sending.before_read();
        assert_eq!(ids(sending.take(vec![row(b)], started, 10, at)), [b]);
    }

    #[test]
    fn refusals_are_final_and_outages_are_not() {
        assert!(is_definite_refusal(tonic::Code::PermissionDenied));
        assert!(is_definite_refusal(tonic::Code::FailedPrecondition));
        assert!(!is_definite_refusal(tonic::Code::Unavailable));
        assert!(!is_definite_refusal(tonic::Code::DeadlineExceeded));
        assert!(!is_definite_refusal(tonic::Code::Internal));
    }

    proptest! {
        #[test]
        fn a_retry_delay_is_never_above_the_cap_nor_below_half_the_backoff(
            attempts in 0u32..200, jitter in 0.0f64..1.0,
        ) {
            let base = Duration::from_millis(500);
            let cap = Duration::from_secs(120);
            let d = retry_delay(attempts, base, cap, jitter);
            prop_assert!(d <= cap);
            let exp = base.saturating_mul(1u32.checked_shl(attempts.min(31)).unwrap_or(u32::MAX)).min(cap);
            prop_assert!(d >= exp / 2);
        }
    }
}
