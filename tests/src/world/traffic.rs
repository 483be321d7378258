//! Trace requests between pairs of states at a steady rate, their delivery
//! as each requester's outbox records it, and what each receiver holds.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use iti_proto::v1 as pb;
use rand::Rng;
use tokio::task::JoinSet;

use super::fleet::World;
use crate::{fixtures, outbox_items};

/// One trace request submitted.
#[derive(Debug, Clone)]
pub struct Sent {
    pub origin: String,
    pub destination: String,
    /// Hubs the topology expects it to cross.
    pub expected_hubs: usize,
    pub trace_id: String,
    pub envelope_id: String,
    /// Sent while its destination was offline.
    pub to_offline: bool,
}

/// What became of one trace.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The requester's outbox: enqueued → the destination's receipt held.
    pub latency: Option<Duration>,
    /// The requester's outbox says refused, and why.
    pub refused: Option<String>,
    /// Request messages of this envelope the receiver holds (1: exactly once).
    pub received: usize,
    /// The hubs it crossed, as the receiver recorded them.
    pub hops: Vec<String>,
}

/// The pairs of states of each expected number of hubs (0 to 3).
pub fn pairs_by_hubs(world: &World) -> BTreeMap<usize, Vec<(String, String)>> {
    let mut classes: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    let states = &world.topology.states;
    for a in states {
        for b in states {
            if a != b {
                classes
                    .entry(world.topology.path(a, b).len())
                    .or_default()
                    .push((a.clone(), b.clone()));
            }
        }
    }
    classes
}

/// The request of one trace: the fixture, routed to `destination` by the
/// officer's choice (9.1 leaves it to the officer when the rules cannot
/// decide), with a reference of its own.
fn submission(origin: &str, destination: &str, n: usize) -> pb::SubmitRequestRequest {
    let mut request = fixtures::fal_request();
    request.requester_reference = format!("WORLD/{origin}/{n}");
    pb::SubmitRequestRequest {
        request: Some(request),
        routing_override: Some(pb::RoutingOverride {
            requested_state: destination.to_string(),
            reason: "world benchmark: a pair of states drawn at random".into(),
        }),
        on_behalf_via: String::new(),
        allow_duplicate: true,
    }
}

/// Submits one trace request every `1/rate` seconds for `duration`, each
/// between the pair `pick` draws (the n-th call); does not wait for
/// deliveries. Submissions that fail are returned as errors.
pub async fn send_steadily<R: Rng>(
    world: &World,
    rng: &mut R,
    rate: f64,
    duration: Duration,
    mut pick: impl FnMut(&mut R, usize) -> Option<(String, String, bool)>,
) -> (Vec<Sent>, Vec<String>) {
    let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let begin = Instant::now();
    let mut set = JoinSet::new();
    let mut n = 0usize;
    while begin.elapsed() < duration {
        ticks.tick().await;
        let Some((origin, destination, to_offline)) = pick(rng, n) else {
            n += 1;
            continue;
        };
        let expected_hubs = world.topology.path(&origin, &destination).len();
        let poc = world.poc(&origin);
        let request = submission(&origin, &destination, n);
        n += 1;
        set.spawn(async move {
            let mut poc = poc?;
            let reply = poc
                .submit_request(request)
                .await
                .map_err(|e| anyhow!("{origin} -> {destination}: {}", e.message()))?
                .into_inner();
            Ok::<_, anyhow::Error>(Sent {
                origin,
                destination,
                expected_hubs,
                trace_id: reply.trace_id,
                envelope_id: reply.envelope_id,
                to_offline,
            })
        });
    }
    let mut sent = Vec::new();
    let mut errors = Vec::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok(Ok(s)) => sent.push(s),
            Ok(Err(e)) => errors.push(e.to_string()),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (sent, errors)
}

fn duration_between(
    from: Option<&pbjson_types::Timestamp>,
    to: Option<&pbjson_types::Timestamp>,
) -> Option<Duration> {
    let (from, to) = (from?, to?);
    let nanos =
        (to.seconds - from.seconds) as i128 * 1_000_000_000 + i128::from(to.nanos - from.nanos);
    u64::try_from(nanos).ok().map(Duration::from_nanos)
}

/// Polls the requesters' outboxes until every one of `sent` is delivered
/// (the destination's receipt held) or refused, or until `limit`. Returns
/// each envelope's outcome so far, and when the last one was settled.
pub async fn await_delivery(
    world: &World,
    sent: &[Sent],
    limit: Duration,
) -> (BTreeMap<String, Outcome>, Duration) {
    let begin = Instant::now();
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    let mut settled_at = Duration::ZERO;
    loop {
        let mut pending: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for s in sent {
            if !outcomes.contains_key(&s.envelope_id) {
                pending
                    .entry(s.origin.clone())
                    .or_default()
                    .insert(s.envelope_id.clone());
            }
        }
        if pending.is_empty() || begin.elapsed() >= limit {
            return (outcomes, settled_at);
        }
        let mut set = JoinSet::new();
        for (origin, ids) in pending {
            let Ok(mut poc) = world.poc(&origin) else {
                continue;
            };
            set.spawn(async move {
                let items = outbox_items(&mut poc).await.unwrap_or_default();
                items
                    .into_iter()
                    .filter(|i| ids.contains(&i.envelope_id))
                    .collect::<Vec<_>>()
            });
        }
        while let Some(Ok(items)) = set.join_next().await {
            for item in items {
                let delivered = item.state == pb::DeliveryState::Delivered as i32;
                let refused = item.state == pb::DeliveryState::Rejected as i32;
                if delivered || refused {
                    outcomes.insert(
                        item.envelope_id.clone(),
                        Outcome {
                            latency: delivered
                                .then(|| {
                                    duration_between(
                                        item.enqueued_at.as_ref(),
                                        item.done_at.as_ref(),
                                    )
                                })
                                .flatten(),
                            refused: refused.then(|| item.last_error.clone()),
                            ..Default::default()
                        },
                    );
                    settled_at = begin.elapsed();
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Asks each receiver what it holds of each trace: how many times the
/// request arrived, and the hubs it came through.
pub async fn receivers_hold(
    world: &World,
    sent: &[Sent],
    outcomes: &mut BTreeMap<String, Outcome>,
) {
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    let mut set = JoinSet::new();
    for s in sent {
        let Ok(mut poc) = world.poc(&s.destination) else {
            continue;
        };
        let s = s.clone();
        let permits = permits.clone();
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let view = poc
                .show_case(pb::ShowCaseRequest {
                    id: s.trace_id.clone(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner());
            let mut received = 0;
            let mut hops = Vec::new();
            if let Ok(view) = view {
                for trace in view
                    .traces
                    .iter()
                    .filter(|t| t.summary.as_ref().is_some_and(|x| x.trace_id == s.trace_id))
                {
                    for m in &trace.messages {
                        if m.kind == pb::PayloadKind::Request as i32 && m.origin == s.origin {
                            received += 1;
                            hops = m.hops.clone();
                        }
                    }
                }
            }
            (s.envelope_id, received, hops)
        });
    }
    while let Some(Ok((id, received, hops))) = set.join_next().await {
        let o = outcomes.entry(id).or_default();
        o.received = received;
        o.hops = hops;
    }
}

/// Traces each state holds as the requested state (to find any that
/// arrived where none was sent, or twice).
pub async fn requested_traces(world: &World, state: &str) -> anyhow::Result<Vec<String>> {
    let mut poc = world.poc(state)?;
    let mut ids = Vec::new();
    let mut token = String::new();
    loop {
        let page = poc
            .list_traces(pb::ListTracesRequest {
                inbox: false,
                include_closed: true,
                page: Some(pb::PageRequest { size: 0, token }),
            })
            .await
            .map_err(|e| anyhow!("{state}: traces: {}", e.message()))?
            .into_inner();
        ids.extend(
            page.traces
                .into_iter()
                .filter(|t| t.role == pb::TraceRole::Requested as i32)
                .map(|t| t.trace_id),
        );
        if page.next_page_token.is_empty() {
            return Ok(ids);
        }
        token = page.next_page_token;
    }
}
