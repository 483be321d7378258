//! `iti-bench`: what one machine sustains, in one go, side by side at a
//! fixed concurrency:
//!
//! 1. the ceiling: an empty unary gRPC call (grpc.health.v1 Check) over the
//!    same mutual TLS, on loopback, in this process;
//! 2. direct: a trace request from one `iti-node` process to another: routed,
//!    signed, stored durably on both sides, verified, the signed receipt
//!    returned, verified and stored;
//! 3. through a hub: the same relayed by a third `iti-node` process, the
//!    destination's receipt coming back through the hub;
//! 4. nats: what a state's IT team might build instead (module `nats`): the
//!    same request signed (ECDSA P-256) by its sender, carried by NATS
//!    JetStream over TLS on a file-backed stream with publisher
//!    acknowledgements, taken by a durable consumer that verifies it and
//!    acknowledges it (confirmed by the server). It needs `nats-server` on
//!    the path (Debian: `apt-get install nats-server`), runs it as a child
//!    process on a free port, and is skipped, saying so, without it. The
//!    exchange through a hub should be at least as fast.
//!
//! 5. photos (only when named; module `photos`): photographs through the
//!    hub, with each node's memory during the transfer;
//! 6. two-hubs (only when named; module `two_hubs`): GHA -> ECOWAS -> EU ->
//!    BEL, at its maximum rate and then paced at a tenth of it;
//! 7. large (only when named; module `large`): one request larger than one
//!    message through the hub, in parts, with each node's memory.
//!
//! Then the floor: the least CPU time an exchange of (2) and (3) needs here
//! if storage, routing and everything else cost nothing (its RPCs at the
//! CPU cost per call measured in (1), its signatures timed with the node's
//! own code), and the throughput that allows on this machine's cores. And
//! the floor of a design batched wherever it could be: deliveries and
//! receipts shared by many requests (free), and the rows each exchange adds
//! to the nodes' databases (counted in the run) at the cheapest cost per
//! row this stack allows (measured here), with ECDSA P-256 and with
//! Ed25519.
//!
//! Run it on a release build:
//!
//! ```text
//! cargo run --release -p iti-tests --bin iti-bench -- [--concurrency 64] [--requests 20000] [--seconds N]
//! ```
//!
//! It prints figures and asserts nothing about them. Concurrency means
//! operations in flight end to end: each of N workers submits a request and
//! waits until the requester holds the destination's receipt before it
//! submits the next one.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::Parser;
use iti_node::clock::{SharedClock, SystemClock};
use iti_node::envelope::{self, Header, Signer};
use iti_node::identity::trust::TrustStore;
use iti_node::identity::{Identity, Role, pki, tls};
use iti_node::ids::{CaseId, EnvelopeId, TraceId};
use iti_node::sandbox::{MemberOptions, Sandbox};
use iti_node::store::Durability;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::bench::{local_client, machine, percentile, pin};
use iti_tests::process::{NodeProcess, cpu_time, node_binary, require_binary, rss_anon_kb, rss_kb};
use iti_tests::{fixtures, p};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tonic::transport::Channel;

#[path = "iti_bench/large.rs"]
mod large;
#[path = "iti_bench/nats.rs"]
mod nats;
#[path = "iti_bench/photos.rs"]
mod photos;
#[path = "iti_bench/two_hubs.rs"]
mod two_hubs;

#[derive(Parser, Debug)]
#[command(
    name = "iti-bench",
    about = "Throughput and latency of ITI Exchange on this machine: the mTLS gRPC ceiling, a direct exchange, one through a hub, and a NATS JetStream pipeline beside them"
)]
struct Args {
    /// Operations in flight at once (end to end).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Trace requests per node case (the ceiling runs ten times as many
    /// empty calls).
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Longest a case measures, in seconds, whatever `--requests` says.
    #[arg(long, default_value_t = 25)]
    seconds: u64,
    /// SQLite durability of the nodes: "full" (fsync every commit, the
    /// deployment default) or "normal".
    #[arg(long, default_value = "full")]
    durability: String,
    /// Cases to run: any of ceiling, direct, hub, nats, and, only when
    /// named, two-hubs, photos and large.
    #[arg(long, value_delimiter = ',', default_value = "ceiling,direct,hub,nats")]
    cases: Vec<String>,
    /// The photos case: how many photographs GHA sends BEL through the hub.
    #[arg(long, default_value_t = 1_000)]
    photos: usize,
    /// The photos case: each photograph's size, in MB (10^6 bytes).
    #[arg(long, default_value_t = 2.0)]
    photo_mb: f64,
    /// The photos case: photographs BEL's officers fetch at once.
    #[arg(long, default_value_t = 4)]
    photo_concurrency: usize,
    /// The large case: the items of the one request GHA sends BEL.
    #[arg(long, default_value_t = 100_000)]
    large_items: usize,
    /// Keep the sandbox folders (configurations, databases, node logs).
    #[arg(long)]
    keep: bool,
}

/// What one case measured.
struct Figures {
    label: String,
    done: usize,
    errors: usize,
    elapsed: Duration,
    /// Per operation, in the measured phase.
    latencies: Vec<Duration>,
    latency_source: &'static str,
    /// Per process: idle memory before load and after load.
    rss: Vec<(String, Memory, Memory)>,
    /// Per process (and this load generator): CPU time used in the
    /// measured phase, per operation.
    cpu_per_op: Vec<(String, Duration)>,
    /// Per node: rows its database gained in the measured phase, per
    /// operation (rows changed in place are not counted).
    rows_per_op: Vec<(String, f64)>,
}

impl Figures {
    fn throughput(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Resident memory of a process, kB: all of it, and its anonymous part.
#[derive(Debug, Clone, Copy, Default)]
struct Memory {
    rss: Option<u64>,
    anon: Option<u64>,
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn mb(kb: Option<u64>) -> String {
    kb.map(|k| format!("{:.1}", k as f64 / 1024.0))
        .unwrap_or_else(|| "?".into())
}

// ------------------------------------------------------------ (1) ceiling

fn trust_with(participant: &str, ca_pem: &str) -> anyhow::Result<Arc<TrustStore>> {
    let trust = TrustStore::new();
    let der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
        .map_err(|e| anyhow!("CA of {participant}: {e}"))?;
    trust
        .pin(&p(participant), der, None)
        .map_err(|e| anyhow!("pinning {participant}: {e}"))?;
    Ok(trust)
}

/// An empty unary call over our mutual TLS: the server is `BEL`'s node
/// certificate behind `accept_tls`, the client `GHA`'s with a pinned CA.
async fn ceiling(args: &Args) -> anyhow::Result<Figures> {
    let clock: SharedClock = Arc::new(SystemClock);
    let mut sandbox = Sandbox::create(clock.clone())?;
    sandbox.add("GHA", MemberOptions::default())?;
    sandbox.add("BEL", MemberOptions::default())?;
    let gha = sandbox.member(&p("GHA"))?;
    let bel = sandbox.member(&p("BEL"))?;
    let server_tls = tls::server_config(
        &iti_node::identity::Credentials::single(bel.node_cert.clone()),
        trust_with("GHA", &gha.ca.cert_pem)?,
        clock.clone(),
        Arc::default(),
        "federation",
    )?;
    let client_tls = tls::client_config(
        &iti_node::identity::Credentials::single(gha.node_cert.clone()),
        trust_with("BEL", &bel.ca.cert_pem)?,
        clock.clone(),
        Some(p("BEL")),
    )?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // The node's default limits, as for the nodes in the other cases.
    let limits = tls::AcceptLimits {
        port: "federation",
        max_handshakes: 64,
        handshake_timeout: Duration::from_secs(10),
        refusals: Arc::default(),
    };
    let (incoming, _acceptor) = tls::accept_tls(listener, server_tls, limits, stop_rx.clone());
    let (_reporter, health) = tonic_health::server::health_reporter();
    let mut stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await
    });
    let channel = tls::channel(&addr.to_string(), client_tls, Duration::from_secs(10))
        .map_err(|e| anyhow!(e))?;
    let client = tonic_health::pb::health_client::HealthClient::new(channel);
    let call = move |mut c: tonic_health::pb::health_client::HealthClient<Channel>| async move {
        c.check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(|_| ())
        .map_err(|e| anyhow!("{e}"))
    };
    // Warm up: connection, TLS session, allocator.
    run_closed_loop(args.concurrency, args.concurrency * 20, Duration::MAX, {
        let client = client.clone();
        move || call(client.clone())
    })
    .await;
    let cpu_before = cpu_time(std::process::id());
    let measured = run_closed_loop(
        args.concurrency,
        args.requests * 10,
        Duration::from_secs(args.seconds),
        {
            let client = client.clone();
            move || call(client.clone())
        },
    )
    .await;
    let cpu_after = cpu_time(std::process::id());
    let _ = stop_tx.send(true);
    drop(client);
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    Ok(Figures {
        label: "(1) ceiling: empty unary RPC, mTLS".into(),
        done: measured.done,
        errors: measured.errors,
        elapsed: measured.elapsed,
        latencies: measured.latencies,
        latency_source: "client",
        rss: vec![],
        cpu_per_op: per_op(cpu_before, cpu_after, measured.done)
            .map(|d| vec![("iti-bench (client and server)".to_string(), d)])
            .unwrap_or_default(),
        rows_per_op: vec![],
    })
}

struct LoopResult {
    done: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    first_error: Option<String>,
}

/// Runs `op` a few times per worker before anything is measured
/// (connections, files, the allocator), and fails if none got through.
async fn warm_up<F, Fut>(concurrency: usize, op: F) -> anyhow::Result<()>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let warm = run_closed_loop(concurrency, concurrency * 4, Duration::from_secs(60), op).await;
    if warm.done == 0 {
        bail!(
            "nothing got through while warming up: {}",
            warm.first_error
                .unwrap_or_else(|| "no error reported".into())
        );
    }
    Ok(())
}

/// `concurrency` workers run `op` back to back until `total` operations
/// have started or `limit` has passed; each operation's latency is taken by
/// the client.
async fn run_closed_loop<F, Fut>(
    concurrency: usize,
    total: usize,
    limit: Duration,
    op: F,
) -> LoopResult
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let started = Arc::new(AtomicU64::new(0));
    let begin = Instant::now();
    let deadline = begin.checked_add(limit);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let op = op.clone();
        let started = started.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut first_error = None;
            loop {
                if started.fetch_add(1, Ordering::Relaxed) as usize >= total
                    || deadline.is_some_and(|d| Instant::now() >= d)
                {
                    break;
                }
                let t = Instant::now();
                match op().await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            (latencies, errors, first_error)
        });
    }
    let mut result = LoopResult {
        done: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        first_error: None,
    };
    while let Some(joined) = workers.join_next().await {
        if let Ok((latencies, errors, first_error)) = joined {
            result.done += latencies.len();
            result.latencies.extend(latencies);
            result.errors += errors;
            if result.first_error.is_none() {
                result.first_error = first_error;
            }
        }
    }
    result.elapsed = begin.elapsed();
    result
}

// ------------------------------------------------------------ (2), (3) nodes

/// How often the requester's outbox is polled for finished exchanges.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Resolves submitted envelopes once the requester's outbox no longer lists
/// them as pending or relayed: the requester then holds the destination's
/// receipt.
struct DeliveryWatch {
    waiting: Mutex<HashMap<String, oneshot::Sender<Result<(), String>>>>,
}

/// A running watch: its poller, and how to stop it.
struct Watching {
    watch: Arc<DeliveryWatch>,
    stop: tokio::sync::watch::Sender<bool>,
    poller: tokio::task::JoinHandle<u64>,
}

impl Watching {
    /// Stops polling; how many polls there were.
    async fn stop(self) -> u64 {
        let _ = self.stop.send(true);
        self.poller.await.unwrap_or(0)
    }
}

impl DeliveryWatch {
    /// A watch of `requester`'s outbox, polling until stopped.
    fn start(requester: &LocalClient<Channel>) -> Watching {
        let watch = Arc::new(DeliveryWatch {
            waiting: Mutex::new(HashMap::new()),
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let poller = tokio::spawn(watch.clone().run(requester.clone(), stopped));
        Watching {
            watch,
            stop,
            poller,
        }
    }

    fn wait_for(&self, envelope_id: String) -> oneshot::Receiver<Result<(), String>> {
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(envelope_id, tx);
        rx
    }

    /// Polls the outbox until `stop`. Only envelopes registered before a poll
    /// began are judged by it.
    async fn run(
        self: Arc<Self>,
        mut outbox: LocalClient<Channel>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> u64 {
        let mut polls = 0;
        while !*stop.borrow() {
            let tick = Instant::now();
            let registered: Vec<String> = self
                .waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .keys()
                .cloned()
                .collect();
            if !registered.is_empty() {
                let listed = match outbox
                    .outbox(pb::OutboxRequest {
                        include_delivered: false,
                        page: None,
                    })
                    .await
                {
                    Ok(r) => r.into_inner().items,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                polls += 1;
                let rejected = pb::DeliveryState::Rejected as i32;
                let in_flight: HashSet<&str> = listed
                    .iter()
                    .filter(|i| i.state != rejected)
                    .map(|i| i.envelope_id.as_str())
                    .collect();
                let refused: HashMap<&str, &str> = listed
                    .iter()
                    .filter(|i| i.state == rejected)
                    .map(|i| (i.envelope_id.as_str(), i.last_error.as_str()))
                    .collect();
                let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
                for id in registered {
                    if in_flight.contains(id.as_str()) {
                        continue;
                    }
                    if let Some(tx) = waiting.remove(&id) {
                        let _ = tx.send(match refused.get(id.as_str()) {
                            Some(error) => Err(format!("refused: {error}")),
                            None => Ok(()),
                        });
                    }
                }
            }
            // Each poll is an RPC the requester serves: measurement
            // overhead, kept to one every POLL_INTERVAL.
            let pause = POLL_INTERVAL.saturating_sub(tick.elapsed());
            tokio::time::sleep(pause).await;
        }
        polls
    }
}

fn submission() -> pb::SubmitRequestRequest {
    pb::SubmitRequestRequest {
        request: Some(fixtures::fal_request()),
        routing_override: None,
        on_behalf_via: String::new(),
        // The same request again, on purpose.
        allow_duplicate: true,
    }
}

/// Settles (all deliveries done, the writers' idle shrink run) before RSS
/// is read.
async fn idle_rss(nodes: &[(&str, &NodeProcess)]) -> Vec<Memory> {
    tokio::time::sleep(iti_node::store::SHRINK_WHEN_IDLE_FOR + Duration::from_secs(1)).await;
    nodes
        .iter()
        .map(|(_, n)| Memory {
            rss: n.pid().and_then(rss_kb),
            anon: n.pid().and_then(rss_anon_kb),
        })
        .collect()
}

/// Drives trace requests through `requester`'s local API at the given
/// concurrency; latency is the requester's own record, from enqueueing the
/// signed request to holding the destination's receipt.
async fn exchange(
    args: &Args,
    label: &str,
    requester: LocalClient<Channel>,
    nodes: &[(&str, &NodeProcess, String)],
) -> anyhow::Result<Figures> {
    let databases: Vec<(&str, &str)> = nodes.iter().map(|(n, _, db)| (*n, db.as_str())).collect();
    let nodes: Vec<(&str, &NodeProcess)> = nodes.iter().map(|(n, p, _)| (*n, *p)).collect();
    let nodes = nodes.as_slice();
    let rss_before = idle_rss(nodes).await;
    let watching = DeliveryWatch::start(&requester);
    let watch = watching.watch.clone();
    let submitted = Arc::new(Mutex::new(Vec::<String>::new()));
    let op = {
        let requester = requester.clone();
        let watch = watch.clone();
        let submitted = submitted.clone();
        move || {
            let mut requester = requester.clone();
            let watch = watch.clone();
            let submitted = submitted.clone();
            async move {
                let reply = requester
                    .submit_request(submission())
                    .await
                    .map_err(|e| anyhow!("submit: {}", e.message()))?
                    .into_inner();
                let delivered = watch.wait_for(reply.envelope_id.clone());
                submitted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(reply.envelope_id);
                delivered
                    .await
                    .map_err(|_| anyhow!("watch stopped"))?
                    .map_err(|e| anyhow!(e))
            }
        }
    };
    warm_up(args.concurrency, op.clone())
        .await
        .with_context(|| label.to_string())?;
    submitted.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let cpu = |_: ()| -> Vec<Option<Duration>> {
        nodes
            .iter()
            .map(|(_, n)| n.pid().and_then(cpu_time))
            .chain([cpu_time(std::process::id())])
            .collect()
    };
    let rows_before = rows_of(&databases).await?;
    let calls_before = delivery_calls(nodes).await;
    let cpu_before = cpu(());
    let measured = run_closed_loop(
        args.concurrency,
        args.requests,
        Duration::from_secs(args.seconds),
        op,
    )
    .await;
    let cpu_after = cpu(());
    let calls_after = delivery_calls(nodes).await;
    let rows_after = rows_of(&databases).await?;
    let polls = watching.stop().await;
    report_delivery_calls(label, nodes, &calls_before, &calls_after);
    let names = nodes
        .iter()
        .map(|(name, _)| name.to_string())
        .chain(["iti-bench".to_string()]);
    let cpu_per_op = names
        .zip(cpu_before.into_iter().zip(cpu_after))
        .filter_map(|(name, (before, after))| Some((name, per_op(before, after, measured.done)?)))
        .collect();
    if let Some(e) = &measured.first_error {
        eprintln!("{label}: {} errors, the first: {e}", measured.errors);
    }
    // Idle memory first: the listing below is the benchmark's own (large)
    // query, and the allocator would keep what it used.
    let rss_after = idle_rss(nodes).await;
    // The requester's own timestamps: enqueued (signed, committed) → receipt held.
    let ids: HashSet<String> = submitted
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .cloned()
        .collect();
    let latencies = outbox_latencies(&requester, &ids).await?;
    eprintln!(
        "{label}: {} exchanges in {:.1} s ({} outbox polls by the benchmark), client-observed p50 {} ms",
        measured.done,
        measured.elapsed.as_secs_f64(),
        polls,
        ms(percentile(&sorted(measured.latencies.clone()), 0.5))
    );
    Ok(Figures {
        label: label.to_string(),
        done: measured.done,
        errors: measured.errors,
        elapsed: measured.elapsed,
        latencies,
        latency_source: "node",
        rss: nodes
            .iter()
            .zip(rss_before.into_iter().zip(rss_after))
            .map(|((name, _), (before, after))| (name.to_string(), before, after))
            .collect(),
        cpu_per_op,
        rows_per_op: databases
            .iter()
            .zip(rows_before.into_iter().zip(rows_after))
            .map(|((name, _), (before, after))| {
                let added = after.saturating_sub(before) as f64;
                (name.to_string(), added / measured.done.max(1) as f64)
            })
            .collect(),
    })
}

/// Per node, when it serves metrics: its delivery calls and the envelopes
/// they carried, by RPC (`Deliver`, `DeliverBatch`); then the receipts it
/// signed, and the signatures they took.
async fn delivery_calls(nodes: &[(&str, &NodeProcess)]) -> Vec<Option<[f64; 6]>> {
    let mut all = Vec::new();
    for (_, node) in nodes {
        let text = match node.metrics {
            Some(addr) => iti_tests::scrape_metrics(addr).await.ok().map(|(_, t)| t),
            None => None,
        };
        all.push(text.map(|t| {
            let value = |series: &str, rpc: &str| {
                iti_tests::metric_value(&t, &format!("{series}{{rpc=\"{rpc}\"}}")).unwrap_or(0.0)
            };
            [
                value("iti_delivery_calls_total", "Deliver"),
                value("iti_delivery_call_envelopes_total", "Deliver"),
                value("iti_delivery_calls_total", "DeliverBatch"),
                value("iti_delivery_call_envelopes_total", "DeliverBatch"),
                iti_tests::metric_value(&t, "iti_receipts_signed_total").unwrap_or(0.0),
                iti_tests::metric_value(&t, "iti_receipt_signatures_total").unwrap_or(0.0),
            ]
        }));
    }
    all
}

/// How the nodes' deliveries went in the measured phase: alone or batched.
fn report_delivery_calls(
    label: &str,
    nodes: &[(&str, &NodeProcess)],
    before: &[Option<[f64; 6]>],
    after: &[Option<[f64; 6]>],
) {
    let mut parts = Vec::new();
    for (((name, _), before), after) in nodes.iter().zip(before).zip(after) {
        let (Some(b), Some(a)) = (before, after) else {
            continue;
        };
        let d: Vec<f64> = a.iter().zip(b).map(|(a, b)| a - b).collect();
        let (calls, envelopes) = (d[0] + d[2], d[1] + d[3]);
        if envelopes > 0.0 {
            parts.push(format!(
                "{name} sent {envelopes:.0} envelopes in {calls:.0} calls ({:.0} alone, {:.0} batches of {:.1} on average)",
                d[0],
                d[2],
                d[3] / d[2].max(1.0)
            ));
        }
        if d[4] > 0.0 {
            parts.push(format!(
                "{name} signed {:.0} receipts with {:.0} signatures",
                d[4], d[5]
            ));
        }
    }
    if !parts.is_empty() {
        eprintln!(
            "{label}: deliveries in the measured phase: {}",
            parts.join("; ")
        );
    }
}

/// The requester's own record of each envelope in `ids` delivered: from
/// enqueueing the signed request to holding the destination's receipt.
async fn outbox_latencies(
    requester: &LocalClient<Channel>,
    ids: &HashSet<String>,
) -> anyhow::Result<Vec<Duration>> {
    // Every page: the first holds only the oldest 1,000 (warm-up included).
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let page = requester
            .clone()
            .outbox(pb::OutboxRequest {
                include_delivered: true,
                page: Some(pb::PageRequest { size: 1000, token }),
            })
            .await
            .map_err(|e| anyhow!("reading the outbox: {}", e.message()))?
            .into_inner();
        items.extend(page.items);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    Ok(items
        .iter()
        .filter(|i| ids.contains(&i.envelope_id) && i.state == pb::DeliveryState::Delivered as i32)
        .filter_map(|i| {
            let enqueued = i.enqueued_at.as_ref()?;
            let done = i.done_at.as_ref()?;
            let nanos = (done.seconds - enqueued.seconds) as i128 * 1_000_000_000
                + i128::from(done.nanos - enqueued.nanos);
            u64::try_from(nanos).ok().map(Duration::from_nanos)
        })
        .collect())
}

/// Rows in each node's database (every table), read from a read-only
/// connection of this process while the node runs.
async fn rows_of(databases: &[(&str, &str)]) -> anyhow::Result<Vec<u64>> {
    use sqlx::{Connection, Row};
    let mut counts = Vec::new();
    for (name, url) in databases {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .with_context(|| format!("database of {name}: {url}"))?
            .read_only(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .with_context(|| format!("opening the database of {name}"))?;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%'",
        )
        .fetch_all(&mut conn)
        .await?;
        let mut total = 0u64;
        for table in tables {
            // Names come from the schema, quoted as identifiers.
            let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut conn)
                .await?;
            total += u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0);
        }
        conn.close().await?;
        counts.push(total);
    }
    Ok(counts)
}

/// CPU time used between two readings, per operation.
fn per_op(before: Option<Duration>, after: Option<Duration>, ops: usize) -> Option<Duration> {
    let used = after?.checked_sub(before?)?;
    Some(used / u32::try_from(ops.max(1)).unwrap_or(u32::MAX))
}

fn sorted(mut v: Vec<Duration>) -> Vec<Duration> {
    v.sort();
    v
}

fn durability(args: &Args) -> anyhow::Result<Durability> {
    match args.durability.as_str() {
        "full" => Ok(Durability::Full),
        "normal" => Ok(Durability::Normal),
        other => bail!("--durability: {other:?} is not \"full\" or \"normal\""),
    }
}

fn finish_sandbox(mut sandbox: Sandbox, keep: bool) {
    if keep {
        eprintln!("kept {}", sandbox.keep().display());
    }
}

/// The database URL a member's node runs on.
fn database_of(sandbox: &Sandbox, who: &str) -> anyhow::Result<String> {
    let config = &sandbox.member(&p(who))?.config_path;
    let loaded =
        iti_node::config::load(config, &[]).map_err(|e| anyhow!("{}: {e}", config.display()))?;
    Ok(loaded.database_url)
}

async fn spawn(sandbox: &Sandbox, who: &str) -> anyhow::Result<NodeProcess> {
    let config = sandbox.member(&p(who))?.config_path.clone();
    NodeProcess::spawn(&node_binary(), &config)
        .await
        .with_context(|| format!("starting {who}"))
}

async fn direct(args: &Args) -> anyhow::Result<Figures> {
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    let options = MemberOptions {
        durability: Some(durability(args)?),
        metrics: true,
        ..Default::default()
    };
    sandbox.add("GHA", options.clone())?;
    sandbox.add("BEL", options)?;
    let mut gha = spawn(&sandbox, "GHA").await?;
    let mut bel = spawn(&sandbox, "BEL").await?;
    let mut gha_admin = local_client(&mut sandbox, "GHA", Role::Admin, &gha)?;
    let mut bel_admin = local_client(&mut sandbox, "BEL", Role::Admin, &bel)?;
    pin(
        &mut gha_admin,
        sandbox.card_at(&p("BEL"), &bel.federation.to_string(), &[])?,
    )
    .await?;
    pin(
        &mut bel_admin,
        sandbox.card_at(&p("GHA"), &gha.federation.to_string(), &[])?,
    )
    .await?;
    let poc = local_client(&mut sandbox, "GHA", Role::Poc, &gha)?;
    let figures = exchange(
        args,
        "(2) direct: GHA -> BEL",
        poc,
        &[
            ("GHA", &gha, database_of(&sandbox, "GHA")?),
            ("BEL", &bel, database_of(&sandbox, "BEL")?),
        ],
    )
    .await;
    gha.stop().await?;
    bel.stop().await?;
    finish_sandbox(sandbox, args.keep);
    figures
}

/// Where nothing listens: the end states pin each other's CA to verify
/// signatures and receipts end to end, but reach each other only through
/// the hub (their configured route).
const UNREACHABLE: &str = "127.0.0.1:9";

/// GHA and BEL, reaching each other only through hub:ECOWAS: three
/// `iti-node` processes, pinned as `itictl peer add` would.
struct HubCase {
    sandbox: Sandbox,
    gha: NodeProcess,
    bel: NodeProcess,
    hub: NodeProcess,
}

const HUB: &str = "hub:ECOWAS";

async fn start_hub_case(args: &Args) -> anyhow::Result<HubCase> {
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    let d = Some(durability(args)?);
    sandbox.add(
        "GHA",
        MemberOptions {
            durability: d,
            metrics: true,
            routes: vec![("BEL".into(), HUB.into())],
            ..Default::default()
        },
    )?;
    sandbox.add(
        "BEL",
        MemberOptions {
            durability: d,
            metrics: true,
            routes: vec![("GHA".into(), HUB.into())],
            ..Default::default()
        },
    )?;
    sandbox.add(
        HUB,
        MemberOptions {
            durability: d,
            metrics: true,
            hub: true,
            ..Default::default()
        },
    )?;
    let gha = spawn(&sandbox, "GHA").await?;
    let bel = spawn(&sandbox, "BEL").await?;
    let hub = spawn(&sandbox, HUB).await?;
    let mut gha_admin = local_client(&mut sandbox, "GHA", Role::Admin, &gha)?;
    let mut bel_admin = local_client(&mut sandbox, "BEL", Role::Admin, &bel)?;
    let mut hub_admin = local_client(&mut sandbox, HUB, Role::Admin, &hub)?;
    let hub_card = sandbox.card_at(&p(HUB), &hub.federation.to_string(), &["GHA", "BEL"])?;
    pin(&mut gha_admin, hub_card.clone()).await?;
    pin(&mut bel_admin, hub_card).await?;
    for (who, node) in [("GHA", &gha), ("BEL", &bel)] {
        let card = sandbox.card_at(&p(who), &node.federation.to_string(), &[])?;
        pin(&mut hub_admin, card).await?;
    }
    pin(
        &mut gha_admin,
        sandbox.card_at(&p("BEL"), UNREACHABLE, &[])?,
    )
    .await?;
    pin(
        &mut bel_admin,
        sandbox.card_at(&p("GHA"), UNREACHABLE, &[])?,
    )
    .await?;
    Ok(HubCase {
        sandbox,
        gha,
        bel,
        hub,
    })
}

impl HubCase {
    async fn stop(mut self, keep: bool) -> anyhow::Result<()> {
        self.gha.stop().await?;
        self.bel.stop().await?;
        self.hub.stop().await?;
        finish_sandbox(self.sandbox, keep);
        Ok(())
    }
}

async fn through_hub(args: &Args) -> anyhow::Result<Figures> {
    let mut case = start_hub_case(args).await?;
    let poc = local_client(&mut case.sandbox, "GHA", Role::Poc, &case.gha)?;
    let plan = poc
        .clone()
        .plan_request(submission())
        .await
        .map_err(|e| anyhow!("planning: {}", e.message()))?
        .into_inner();
    if plan.path != vec![HUB.to_string()] {
        bail!(
            "the request would not go through {HUB}: path {:?}",
            plan.path
        );
    }
    let figures = exchange(
        args,
        "(3) via hub: GHA -> hub -> BEL",
        poc,
        &[
            ("GHA", &case.gha, database_of(&case.sandbox, "GHA")?),
            ("hub", &case.hub, database_of(&case.sandbox, HUB)?),
            ("BEL", &case.bel, database_of(&case.sandbox, "BEL")?),
        ],
    )
    .await;
    case.stop(args.keep).await?;
    figures
}

// ------------------------------------------------------------ the floor

/// The signature work of one exchange, timed with the node's own code on one
/// thread: what no storage or transport design can leave out.
struct Crypto {
    sign_envelope: Duration,
    verify_envelope: Duration,
    sign_receipt: Duration,
    verify_receipt: Duration,
    /// The bare algorithms on a message of the envelope's size: what the
    /// node uses, and the cheaper one it could use instead.
    p256: Algorithm,
    ed25519: Algorithm,
}

struct Algorithm {
    sign: Duration,
    verify: Duration,
}

impl Algorithm {
    fn timed(
        rounds: u32,
        sign: impl FnMut() -> anyhow::Result<()>,
        verify: impl FnMut() -> anyhow::Result<()>,
    ) -> anyhow::Result<Algorithm> {
        Ok(Algorithm {
            sign: time_per_call(rounds, sign)?,
            verify: time_per_call(rounds, verify)?,
        })
    }
}

/// ECDSA P-256 and Ed25519 (ring), sign and verify of `message`.
fn algorithms(rounds: u32, message: &[u8]) -> anyhow::Result<(Algorithm, Algorithm)> {
    use ring::signature::{self, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let fail = |what: &str| anyhow!("{what}");
    let pkcs8 =
        signature::EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|_| fail("P-256 key"))?;
    let p256 = signature::EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        pkcs8.as_ref(),
        &rng,
    )
    .map_err(|_| fail("P-256 key"))?;
    let p256_sig = p256.sign(&rng, message).map_err(|_| fail("P-256 sign"))?;
    let p256_pub =
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, p256.public_key());
    let pkcs8 = signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| fail("Ed25519 key"))?;
    let ed =
        signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| fail("Ed25519 key"))?;
    let ed_sig = ed.sign(message);
    let ed_pub = signature::UnparsedPublicKey::new(&signature::ED25519, ed.public_key());
    let p256 = Algorithm::timed(
        rounds,
        || {
            p256.sign(&rng, message).map_err(|_| fail("P-256 sign"))?;
            Ok(())
        },
        || {
            p256_pub
                .verify(message, p256_sig.as_ref())
                .map_err(|_| fail("P-256 verify"))
        },
    )?;
    let ed25519 = Algorithm::timed(
        rounds,
        || {
            ed.sign(message);
            Ok(())
        },
        || {
            ed_pub
                .verify(message, ed_sig.as_ref())
                .map_err(|_| fail("Ed25519 verify"))
        },
    )?;
    Ok((p256, ed25519))
}

/// Wall time per call of `op` over `rounds` calls, on this thread.
fn time_per_call(
    rounds: u32,
    mut op: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Duration> {
    op()?;
    let begin = Instant::now();
    for _ in 0..rounds {
        op()?;
    }
    Ok(begin.elapsed() / rounds)
}

fn crypto(rounds: u32) -> anyhow::Result<Crypto> {
    let now = OffsetDateTime::now_utc();
    let trust = TrustStore::new();
    let mut signers = Vec::new();
    for code in ["GHA", "BEL"] {
        let who = p(code);
        let ca = pki::create_ca(&who, pki::Validity::days_from(now, 30))?;
        let ca_der = CertificateDer::from_pem_slice(ca.cert_pem.as_bytes())
            .map_err(|e| anyhow!("CA of {code}: {e}"))?;
        trust
            .pin(&who, ca_der, None)
            .map_err(|e| anyhow!("pinning {code}: {e}"))?;
        let node = pki::issue(&ca, &Identity::Node(who), pki::Validity::days_from(now, 30))?;
        signers.push(Signer::from_keyed(&node)?);
    }
    let (gha, bel) = (&signers[0], &signers[1]);
    let header = Header {
        id: EnvelopeId::new_v7(now),
        case_id: CaseId::new_v7(now),
        trace_id: TraceId::new_v7(now),
        origin: p("GHA"),
        destination: p("BEL"),
        created_at: now,
        kind: pb::PayloadKind::Request,
        marking: pb::Marking::default(),
        sealing: None,
        on_behalf_of: None,
    };
    let payload = pb::Payload {
        body: Some(pb::payload::Body::Request(fixtures::fal_request())),
    };
    let env = envelope::build(gha, header.clone(), &payload, None)?;
    let receipt = envelope::sign_receipt(bel, &env, &header, now, None, vec![]);
    let (p256, ed25519) = algorithms(rounds, &envelope::signing_input(&env.header, &env.payload))?;
    Ok(Crypto {
        p256,
        ed25519,
        sign_envelope: time_per_call(rounds, || {
            envelope::build(gha, header.clone(), &payload, None)?;
            Ok(())
        })?,
        verify_envelope: time_per_call(rounds, || {
            envelope::verify(&env, &trust, now, time::Duration::days(30))?;
            Ok(())
        })?,
        sign_receipt: time_per_call(rounds, || {
            envelope::sign_receipt(bel, &env, &header, now, None, vec![]);
            Ok(())
        })?,
        verify_receipt: time_per_call(rounds, || {
            envelope::verify_receipt(&receipt, &env, &trust, now)?;
            Ok(())
        })?,
    })
}

/// Rows per multi-row INSERT, and INSERTs per transaction, when measuring
/// the cheapest durable row this stack can write.
const ROWS_PER_INSERT: usize = 64;
const INSERTS_PER_COMMIT: usize = 4;

/// What storage through sqlx and SQLite costs here, in CPU time.
struct Storage {
    /// A row written the cheapest way this stack allows: small rows
    /// (64-byte blob, no index but the key), 64 per INSERT, 256 per
    /// transaction, with the nodes' journal and durability. A lower bound on
    /// what any row of an exchange costs, however writes are batched.
    batched_row: Duration,
    /// One statement (`SELECT 1`): sqlx runs each SQLite statement on a
    /// worker thread of the connection, so this is the round trip between
    /// threads that every statement of a node pays.
    round_trip: Duration,
}

async fn storage_costs(durability: Durability, commits: usize) -> anyhow::Result<Storage> {
    use sqlx::Connection;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let dir = tempfile::tempdir()?;
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("rows.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        });
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    sqlx::query("CREATE TABLE r (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .execute(&mut conn)
        .await?;
    let values: Vec<String> = (1..=ROWS_PER_INSERT).map(|i| format!("(${i})")).collect();
    let sql = format!("INSERT INTO r (body) VALUES {}", values.join(", "));
    let body = vec![0x5au8; 64];
    let before = cpu_time(std::process::id());
    for _ in 0..commits {
        let mut tx = conn.begin().await?;
        for _ in 0..INSERTS_PER_COMMIT {
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for _ in 0..ROWS_PER_INSERT {
                insert = insert.bind(body.clone());
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    let after = cpu_time(std::process::id());
    let batched_row = per_op(
        before,
        after,
        commits * INSERTS_PER_COMMIT * ROWS_PER_INSERT,
    );
    let statements = commits * 10;
    let before = cpu_time(std::process::id());
    for _ in 0..statements {
        sqlx::query("SELECT 1").execute(&mut conn).await?;
    }
    let after = cpu_time(std::process::id());
    conn.close().await?;
    let no_reading = || anyhow!("no CPU time reading for this process");
    Ok(Storage {
        batched_row: batched_row.ok_or_else(no_reading)?,
        round_trip: per_op(before, after, statements).ok_or_else(no_reading)?,
    })
}

/// The least CPU time one exchange of a case needs on this machine, with
/// storage, routing and everything else free: its RPCs at the ceiling's own
/// cost, and its signatures.
struct Floor {
    label: &'static str,
    what: &'static str,
    per_exchange: Duration,
}

fn floors(rpc: Duration, c: &Crypto) -> Vec<Floor> {
    vec![
        Floor {
            label: "(2)",
            what: "2 RPCs (submit, deliver), the request signed and verified, the receipt signed and verified",
            per_exchange: 2 * rpc
                + c.sign_envelope
                + c.verify_envelope
                + c.sign_receipt
                + c.verify_receipt,
        },
        Floor {
            label: "(3)",
            what: "3 RPCs, the request signed and verified twice (hub, destination), two receipts signed \
                   (hub's custody, destination's), the destination's verified twice (hub, requester)",
            per_exchange: 3 * rpc
                + c.sign_envelope
                + 2 * c.verify_envelope
                + 2 * c.sign_receipt
                + 2 * c.verify_receipt,
        },
    ]
}

fn report_floor(all: &[Figures], crypto: &Crypto, storage: &Storage) {
    let Some(ceiling) = all.iter().find(|f| f.label.starts_with("(1)")) else {
        return;
    };
    let Some((_, rpc)) = ceiling.cpu_per_op.first() else {
        return;
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let us = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1e6);
    println!();
    println!(
        "floor: the least CPU an exchange needs here if storage, routing and all else cost nothing \
         (its RPCs at the cost of (1), its signatures timed with the node's code):"
    );
    println!(
        "  one empty mTLS RPC, client and server: {} us (CPU of (1) per call); ECDSA P-256, one thread: \
         envelope signed {} us, verified {} us; receipt signed {} us, verified {} us",
        us(*rpc),
        us(crypto.sign_envelope),
        us(crypto.verify_envelope),
        us(crypto.sign_receipt),
        us(crypto.verify_receipt)
    );
    for floor in floors(*rpc, crypto) {
        let most = cores as f64 / floor.per_exchange.as_secs_f64().max(1e-9);
        let measured: Option<Duration> = all
            .iter()
            .find(|f| f.label.starts_with(floor.label))
            .map(|f| f.cpu_per_op.iter().map(|(_, d)| *d).sum());
        println!(
            "  {}: {} = {} us -> at most {:.0}/s on {cores} cores = {:.3} of (1){}",
            floor.label,
            floor.what,
            us(floor.per_exchange),
            most,
            most / ceiling.throughput(),
            measured
                .map(|m| format!("; measured: {} us per exchange, all processes", us(m)))
                .unwrap_or_default()
        );
    }
    report_batched_floor(all, crypto, *rpc, storage, ceiling.throughput(), cores);
}

/// The floor of an exchange designed around batches: deliveries and
/// receipts batched per peer (their RPCs and receipt signatures shared by
/// many requests, counted as free), hubs that do not verify, and every
/// row written at the cheapest batched cost. What remains is per request
/// whatever the design: the officer's submit call, the request signed by
/// its origin and verified by its destination, and its rows.
fn report_batched_floor(
    all: &[Figures],
    c: &Crypto,
    rpc: Duration,
    storage: &Storage,
    ceiling: f64,
    cores: usize,
) {
    let row_cost = storage.batched_row;
    let us = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1e6);
    println!();
    println!(
        "floor if everything that can be batched were (deliveries and receipts per peer: free; hubs \
         that do not verify; rows written {ROWS_PER_INSERT} per INSERT, {} per commit):",
        ROWS_PER_INSERT * INSERTS_PER_COMMIT
    );
    println!(
        "  one SQLite statement through sqlx (a round trip to its worker thread): {} us; \
         cheapest durable row: {:.1} us (64-byte rows); bare signatures on the envelope's bytes: ECDSA P-256 sign {} us, verify {} us; \
         Ed25519 sign {} us, verify {} us",
        us(storage.round_trip),
        row_cost.as_secs_f64() * 1e6,
        us(c.p256.sign),
        us(c.p256.verify),
        us(c.ed25519.sign),
        us(c.ed25519.verify)
    );
    let ed25519 = |d: Duration, p256: Duration, ed: Duration| d.saturating_sub(p256) + ed;
    for (label, target) in [("(2)", 1.0 / 3.0), ("(3)", 1.0 / 4.0)] {
        let Some(f) = all.iter().find(|f| f.label.starts_with(label)) else {
            continue;
        };
        let rows: f64 = f.rows_per_op.iter().map(|(_, r)| r).sum();
        let per_node: Vec<String> = f
            .rows_per_op
            .iter()
            .map(|(name, r)| format!("{name} {r:.1}"))
            .collect();
        let storage = row_cost.mul_f64(rows);
        let p256 = rpc + c.sign_envelope + c.verify_envelope + storage;
        let ed = rpc
            + ed25519(c.sign_envelope, c.p256.sign, c.ed25519.sign)
            + ed25519(c.verify_envelope, c.p256.verify, c.ed25519.verify)
            + storage;
        let ratio = |d: Duration| cores as f64 / d.as_secs_f64().max(1e-9) / ceiling;
        println!(
            "  {label}: 1 RPC {} + request signed {} and verified {} + {rows:.1} rows added ({}) x {:.1} us \
             = {} us -> at most {:.3} of (1); with Ed25519: {} us -> {:.3}; target {:.3}, which allows {} us",
            us(rpc),
            us(c.sign_envelope),
            us(c.verify_envelope),
            per_node.join(", "),
            row_cost.as_secs_f64() * 1e6,
            us(p256),
            ratio(p256),
            us(ed),
            ratio(ed),
            target,
            us(Duration::from_secs_f64(
                cores as f64 / (ceiling * target).max(1e-9)
            ))
        );
    }
}

// ------------------------------------------------------------ report

fn report(args: &Args, all: &[Figures]) {
    let ceiling = all
        .iter()
        .find(|f| f.label.starts_with("(1)"))
        .map(Figures::throughput);
    println!();
    println!(
        "{:<38} {:>9} {:>8} {:>8} {:>8} {:>7}  latency measured by",
        "case", "ops/s", "p50 ms", "p99 ms", "ops", "ratio"
    );
    for f in all {
        let lat = sorted(f.latencies.clone());
        let ratio = ceiling
            .map(|c| format!("{:.3}", f.throughput() / c))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<38} {:>9.0} {:>8} {:>8} {:>8} {:>7}  {}{}",
            f.label,
            f.throughput(),
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99)),
            f.done,
            ratio,
            match f.latency_source {
                "client" => "client, per call",
                "nats" => "sender: signed -> receiver's ack confirmed",
                _ => "requester's outbox: enqueued -> receipt held (ms clock)",
            },
            if f.errors > 0 {
                format!("; {} errors", f.errors)
            } else {
                String::new()
            }
        );
    }
    println!();
    println!(
        "idle RSS of each node process (and of nats-server) (MB), before load -> after load (anonymous part in brackets):"
    );
    for f in all.iter().filter(|f| !f.rss.is_empty()) {
        let parts: Vec<String> = f
            .rss
            .iter()
            .map(|(name, before, after)| {
                format!(
                    "{name} {} [{}] -> {} [{}]",
                    mb(before.rss),
                    mb(before.anon),
                    mb(after.rss),
                    mb(after.anon)
                )
            })
            .collect();
        println!("  {:<36} {}", f.label, parts.join(", "));
    }
    println!();
    println!("CPU time per exchange in the measured phase (ms; user + system, 10 ms ticks):");
    for f in all.iter().filter(|f| !f.cpu_per_op.is_empty()) {
        let parts: Vec<String> = f
            .cpu_per_op
            .iter()
            .map(|(name, d)| format!("{name} {}", ms(*d)))
            .collect();
        println!("  {:<36} {}", f.label, parts.join(", "));
    }
    println!();
    println!(
        "targets: (2) >= 1/3 of (1), (3) >= 1/4 of (1), idle RSS <= 30 MB; concurrency {}",
        args.concurrency
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let profile = if cfg!(debug_assertions) {
        "debug (figures meaningless: use --release)"
    } else {
        "release"
    };
    let cases: HashSet<&str> = args.cases.iter().map(|s| s.as_str()).collect();
    println!("iti-bench: ITI Exchange on this machine");
    for line in machine() {
        println!("{line}");
    }
    println!(
        "conditions:  {profile} build; concurrency {} (operations in flight end to end); \
         up to {} requests or {} s per node case",
        args.concurrency, args.requests, args.seconds
    );
    println!(
        "storage:     SQLite (bundled by sqlx), WAL, durability {} ({}), one database per node in {}",
        args.durability,
        if args.durability == "full" {
            "fsync at every commit"
        } else {
            "fsync at checkpoints"
        },
        std::env::temp_dir().display()
    );
    println!(
        "transport:   gRPC (tonic) over mutual TLS 1.3 (rustls, ring), ECDSA P-256, loopback; \
         load generator in this process, nodes as separate iti-node processes ({})",
        node_binary().display()
    );
    if ["direct", "hub", "two-hubs", "photos", "large"]
        .iter()
        .any(|c| cases.contains(c))
    {
        require_binary(&node_binary())?;
    }
    let mut all = Vec::new();
    if cases.contains("ceiling") {
        all.push(ceiling(&args).await?);
    }
    if cases.contains("direct") {
        all.push(direct(&args).await?);
    }
    if cases.contains("hub") {
        all.push(through_hub(&args).await?);
    }
    if cases.contains("nats") {
        all.extend(nats::run(&args).await?);
    }
    if cases.contains("two-hubs") {
        all.extend(two_hubs::run(&args).await?);
    }
    if cases.contains("photos") {
        photos::run(&args).await?;
    }
    if cases.contains("large") {
        large::run(&args).await?;
    }
    report(&args, &all);
    nats::compare(&all);
    if cases.contains("ceiling") {
        let storage = storage_costs(durability(&args)?, 400).await?;
        report_floor(&all, &crypto(2_000)?, &storage);
    }
    Ok(())
}
