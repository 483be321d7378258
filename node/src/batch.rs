//! Deliveries batched per peer. Envelopes for the same next hop that queue
//! while earlier calls to it are in flight go together in one
//! `Federation/DeliverBatch` call; an envelope that finds the hop idle goes
//! at once, alone, in a `Deliver` call. So a quiet line waits for nothing,
//! and a busy one pays one call, one HTTP/2 stream and one task per batch
//! instead of per envelope (group commit, applied to calls).
//!
//! Nothing else changes: each envelope is received on its own, as `Deliver`
//! would receive it, and each gets its own signed receipt. The outbox's
//! rules (one envelope per conversation in flight, retries, refusals) hold
//! per envelope, because each sender waits for its own answer.
//!
//! A batch carries at most `MAX_ENVELOPES` envelopes and `BATCH_BYTES`
//! encoded: on a weak line it takes no longer than the largest envelope
//! sent whole. A peer that does not know `DeliverBatch` yet (an older node
//! during an upgrade) answers UNIMPLEMENTED: its envelopes are retried, and
//! sent to it one by one for `SINGLE_AFTER_UNIMPLEMENTED`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iti_proto::v1 as pb;
use iti_proto::v1::federation_client::FederationClient;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;
use tonic::transport::Channel;

use crate::ids::ParticipantId;
use crate::metrics::DeliveryCalls;
use crate::transfer::{PartsError, WHOLE_AT_MOST};

/// The most envelopes one `DeliverBatch` call carries (and a receiver takes).
pub const MAX_ENVELOPES: usize = 64;

/// The most one batch carries, encoded: what one envelope sent whole may
/// weigh, so that a batch is no slower on a weak line than that envelope.
pub const BATCH_BYTES: usize = WHOLE_AT_MOST;

/// Calls in flight to one hop at a time. Envelopes that come while all are
/// busy wait, and go together in the next call. More than one keeps the
/// receiver's cores and its writer busy while a call crosses the line.
const CALLS_PER_HOP: usize = 4;

/// How long a hop that answered UNIMPLEMENTED gets envelopes one by one.
const SINGLE_AFTER_UNIMPLEMENTED: Duration = Duration::from_secs(600);

/// What a receiver answers for one envelope, or why there is no answer.
pub type Answer = Result<pb::DeliverReply, PartsError>;

/// The receiver's side: why a batch is refused whole. `None` if `count`
/// envelopes may come in one call.
pub fn refuse_count(count: usize) -> Option<String> {
    match count {
        0 => Some("empty: a batch carries at least one envelope".into()),
        n if n > MAX_ENVELOPES => Some(format!(
            "{n} envelopes, more than the {MAX_ENVELOPES} one call may carry"
        )),
        _ => None,
    }
}

/// One envelope's result in a batch, as the sender reads it: the status
/// `Deliver` would have answered, with its unknown-origin metadata.
pub fn answer_of(result: pb::DeliverResult) -> Answer {
    match result.outcome {
        Some(pb::deliver_result::Outcome::Delivered(reply)) => Ok(reply),
        Some(pb::deliver_result::Outcome::Refused(r)) => {
            let mut status = tonic::Status::new(tonic::Code::from(r.code), r.message);
            if !r.unknown_origin.is_empty()
                && let Ok(value) = r.unknown_origin.parse()
            {
                status
                    .metadata_mut()
                    .insert(crate::envelope::UNKNOWN_ORIGIN_METADATA, value);
            }
            Err(PartsError::Status(status))
        }
        None => Err(PartsError::Confused(
            "answered an envelope with nothing".into(),
        )),
    }
}

/// The receiver's side: `Deliver`'s answer for one envelope as a batch
/// result.
pub fn result_of(answer: Result<pb::DeliverReply, tonic::Status>) -> pb::DeliverResult {
    use pb::deliver_result::Outcome;
    let outcome = match answer {
        Ok(reply) => Outcome::Delivered(reply),
        Err(status) => Outcome::Refused(pb::DeliverRefusal {
            code: status.code() as i32,
            message: status.message().to_string(),
            unknown_origin: status
                .metadata()
                .get(crate::envelope::UNKNOWN_ORIGIN_METADATA)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
        }),
    };
    pb::DeliverResult {
        outcome: Some(outcome),
    }
}

/// How envelopes reach a hop: one call, or one call for several.
pub trait Carrier: Clone + Send + Sync + 'static {
    fn one(
        &self,
        env: pb::Envelope,
    ) -> impl Future<Output = Result<pb::DeliverReply, tonic::Status>> + Send;
    fn many(
        &self,
        envelopes: Vec<pb::Envelope>,
    ) -> impl Future<Output = Result<Vec<pb::DeliverResult>, tonic::Status>> + Send;
}

impl Carrier for Channel {
    async fn one(&self, env: pb::Envelope) -> Result<pb::DeliverReply, tonic::Status> {
        let reply = FederationClient::new(self.clone()).deliver(env).await?;
        Ok(reply.into_inner())
    }

    async fn many(
        &self,
        envelopes: Vec<pb::Envelope>,
    ) -> Result<Vec<pb::DeliverResult>, tonic::Status> {
        let reply = FederationClient::new(self.clone())
            .deliver_batch(pb::DeliverBatchRequest { envelopes })
            .await?;
        Ok(reply.into_inner().results)
    }
}

/// One envelope waiting for its hop.
struct Item<C> {
    envelope: pb::Envelope,
    size: usize,
    carrier: C,
    wait: Duration,
    answer: oneshot::Sender<Answer>,
}

/// The queues of the hops this node delivers to (one task each, started
/// with the first envelope for that hop).
pub struct Batches<C = Channel> {
    hops: Mutex<HashMap<ParticipantId, mpsc::UnboundedSender<Item<C>>>>,
    calls: DeliveryCalls,
    calls_per_hop: usize,
}

impl<C: Carrier> Batches<C> {
    pub fn new(calls: DeliveryCalls) -> Batches<C> {
        Batches::with_calls_per_hop(calls, CALLS_PER_HOP)
    }

    fn with_calls_per_hop(calls: DeliveryCalls, calls_per_hop: usize) -> Batches<C> {
        Batches {
            hops: Mutex::new(HashMap::new()),
            calls,
            calls_per_hop,
        }
    }

    /// Delivers `envelope` (`size` bytes encoded, at most
    /// `transfer::WHOLE_AT_MOST`) to `hop` through `carrier`, alone or in a
    /// batch; waits at most `wait` for the answer, the time queued included.
    pub async fn deliver(
        &self,
        hop: &ParticipantId,
        carrier: C,
        envelope: pb::Envelope,
        size: usize,
        wait: Duration,
    ) -> Answer {
        let (answer, answered) = oneshot::channel();
        let item = Item {
            envelope,
            size,
            carrier,
            wait,
            answer,
        };
        if let Err(refused) = self.queue_of(hop).send(item) {
            // The hop's task has ended (only if it panicked): start again.
            self.hops
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(hop);
            if self.queue_of(hop).send(refused.0).is_err() {
                return Err(PartsError::Confused("could not queue the envelope".into()));
            }
        }
        match tokio::time::timeout(wait, answered).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(PartsError::Confused("the call was dropped".into())),
            Err(_) => Err(PartsError::TimedOut),
        }
    }

    fn queue_of(&self, hop: &ParticipantId) -> mpsc::UnboundedSender<Item<C>> {
        let mut hops = self.hops.lock().unwrap_or_else(|e| e.into_inner());
        hops.entry(hop.clone())
            .or_insert_with(|| {
                let (queue, queued) = mpsc::unbounded_channel();
                let calls = Arc::new(Semaphore::new(self.calls_per_hop));
                tokio::spawn(run_hop(queued, calls, self.calls.clone()));
                queue
            })
            .clone()
    }
}

/// A hop's task: takes a call slot, then every envelope queued meanwhile
/// (up to a batch), and makes the call.
async fn run_hop<C: Carrier>(
    mut queued: mpsc::UnboundedReceiver<Item<C>>,
    calls: Arc<Semaphore>,
    counted: DeliveryCalls,
) {
    // Until when this hop gets envelopes one by one (it answered
    // UNIMPLEMENTED to a batch).
    let single_until = Arc::new(Mutex::new(None));
    let mut carried_over = None;
    loop {
        let first = match carried_over.take() {
            Some(item) => item,
            None => match queued.recv().await {
                Some(item) => item,
                None => return,
            },
        };
        let Ok(slot) = calls.clone().acquire_owned().await else {
            return;
        };
        let mut batch = Vec::new();
        let mut bytes = 0;
        for item in std::iter::once(first).chain(std::iter::from_fn(|| queued.try_recv().ok())) {
            // Its sender stopped waiting: it will be sent again later.
            if item.answer.is_closed() {
                continue;
            }
            if !batch.is_empty() && bytes + item.size > BATCH_BYTES {
                carried_over = Some(item);
                break;
            }
            bytes += item.size;
            batch.push(item);
            if batch.len() == MAX_ENVELOPES {
                break;
            }
        }
        if batch.is_empty() {
            continue;
        }
        let single_until = single_until.clone();
        let counted = counted.clone();
        tokio::spawn(async move {
            call(batch, &single_until, &counted).await;
            drop(slot);
        });
    }
}

/// Makes one call for `batch` (one per envelope if it is alone, or the hop
/// does not take batches) and answers each envelope's sender.
async fn call<C: Carrier>(
    batch: Vec<Item<C>>,
    single_until: &Mutex<Option<Instant>>,
    counted: &DeliveryCalls,
) {
    let single = single_until
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .is_some_and(|until| Instant::now() < until);
    if batch.len() == 1 || single {
        let calls = batch.into_iter().map(|item| call_alone(item, counted));
        futures::future::join_all(calls).await;
        return;
    }
    counted.count("DeliverBatch", batch.len());
    let wait = batch.iter().map(|i| i.wait).max().unwrap_or_default();
    let carrier = batch[0].carrier.clone();
    let (envelopes, senders): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|i| (i.envelope, i.answer)).unzip();
    let sent = envelopes.len();
    let answered = tokio::time::timeout(wait, carrier.many(envelopes)).await;
    let answers = answers_of(answered, sent, single_until);
    for (answer, to) in answers.into_iter().zip(senders) {
        let _ = to.send(answer);
    }
}

/// One envelope in a `Deliver` call of its own.
async fn call_alone<C: Carrier>(item: Item<C>, counted: &DeliveryCalls) {
    counted.count("Deliver", 1);
    let answer = match tokio::time::timeout(item.wait, item.carrier.one(item.envelope)).await {
        Err(_) => Err(PartsError::TimedOut),
        Ok(answer) => answer.map_err(PartsError::Status),
    };
    let _ = item.answer.send(answer);
}

/// Each of `sent` envelopes' answer from how their batch's call went; a
/// hop that does not take batches gets envelopes one by one for a while.
fn answers_of(
    answered: Result<Result<Vec<pb::DeliverResult>, tonic::Status>, tokio::time::error::Elapsed>,
    sent: usize,
    single_until: &Mutex<Option<Instant>>,
) -> Vec<Answer> {
    let every = |e: PartsError| (0..sent).map(|_| Err(e.clone())).collect();
    match answered {
        Err(_) => every(PartsError::TimedOut),
        Ok(Err(status)) if status.code() == tonic::Code::Unimplemented => {
            *single_until.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Instant::now() + SINGLE_AFTER_UNIMPLEMENTED);
            every(PartsError::Confused(
                "does not take batches yet; its envelopes go one by one".into(),
            ))
        }
        Ok(Err(status)) => every(PartsError::Status(status)),
        Ok(Ok(results)) if results.len() != sent => every(PartsError::Confused(format!(
            "answered {} results for {sent} envelopes",
            results.len()
        ))),
        Ok(Ok(results)) => results.into_iter().map(answer_of).collect(),
    }
}

#[cfg(test)]
mod tests;
