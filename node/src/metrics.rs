//! Prometheus metrics (issue: operations): messages by type and direction,
//! outbox depth and oldest age, deadlines due and overdue, delivery latency,
//! and refused TLS handshakes.
//!
//! Layout:
//! - `Metrics`: the registry. Counters and the latency histogram are updated
//!   where envelopes are stored (`service::receive`, `outbox`, `hub::relay`).
//! - `Node::render_metrics`: gauges are computed at scrape time from the
//!   store, so they are right after a restart and across replicas sharing a
//!   database; nothing keeps them up to date in between.
//! - `serve`: `GET /metrics` over plain HTTP/1 on `metrics_listen`. It
//!   carries figures, never case content, and is meant for a scraper on the
//!   operator's own network.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;

use iti_proto::v1 as pb;

use crate::service::Node;
use crate::store::{StoreError, outbox, traces};

/// Which way a counted envelope went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Addressed to this node, verified and stored.
    In,
    /// Left this node's outbox with the next hop's signed receipt (the
    /// destination's, or a hub's for custody).
    Out,
    /// Taken into custody by this hub for a member.
    Relayed,
}

impl Direction {
    fn label(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Relayed => "relayed",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MessageLabels {
    direction: &'static str,
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeadlineLabels {
    /// "acknowledgement" (10.1) or "response" (10.5).
    owed: &'static str,
    /// "us" (we are the requested side) or "counterpart".
    owed_by: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PortLabels {
    port: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReplicaLabels {
    participant: String,
    replica: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    rpc: &'static str,
}

/// The calls made to deliver envelopes to next hops, and the envelopes they
/// carried, by RPC (`Deliver` alone, `DeliverBatch` several): how much the
/// batching per peer (`batch`) saves.
#[derive(Debug, Clone, Default)]
pub struct DeliveryCalls {
    calls: Family<RpcLabels, Counter>,
    envelopes: Family<RpcLabels, Counter>,
}

impl DeliveryCalls {
    /// Counts one call of `rpc` carrying `envelopes`.
    pub fn count(&self, rpc: &'static str, envelopes: usize) {
        let labels = RpcLabels { rpc };
        self.calls.get_or_create(&labels).inc();
        self.envelopes
            .get_or_create(&labels)
            .inc_by(envelopes as u64);
    }
}

/// "request", "response", "acknowledgement": the payload kind as a label.
pub fn kind_label(kind: pb::PayloadKind) -> String {
    kind.as_str_name()
        .trim_start_matches("PAYLOAD_KIND_")
        .to_lowercase()
}

/// The node's metrics registry.
pub struct Metrics {
    registry: Registry,
    messages: Family<MessageLabels, Counter>,
    delivery_latency: Histogram,
    outbox_depth: Gauge,
    outbox_oldest_age: Gauge<f64, AtomicU64>,
    deadlines_due: Family<DeadlineLabels, Gauge>,
    deadlines_overdue: Family<DeadlineLabels, Gauge>,
    handshakes_refused: Family<PortLabels, Counter>,
    duplicates_received: Counter,
    outcomes_unrecorded: Counter,
    replica_info: Family<ReplicaLabels, Gauge>,
    batches_rerun: Family<ReasonLabels, Counter>,
    unknown_origins: Counter,
    directory_conflicts: Counter,
    directory_equivocations: Counter,
    delivery_calls: DeliveryCalls,
    receipts_signed: Counter,
    receipt_signatures: Counter,
    /// Scrapes are serialised: the gauges and the refusal counters are
    /// brought up to date and encoded as one snapshot.
    scrape: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let messages = Family::<MessageLabels, Counter>::default();
        registry.register(
            "iti_messages",
            "Envelopes stored, by direction (in, out, relayed) and payload kind",
            messages.clone(),
        );
        // 1 ms to about 33 min: loopback deliveries and week-long outages alike.
        let delivery_latency = Histogram::new(exponential_buckets(0.001, 2.0, 22));
        registry.register(
            "iti_delivery_latency_seconds",
            "Time from enqueueing an envelope to holding the next hop's signed receipt",
            delivery_latency.clone(),
        );
        let outbox_depth = Gauge::default();
        registry.register(
            "iti_outbox_depth",
            "Envelopes waiting in the outbox to be delivered",
            outbox_depth.clone(),
        );
        let outbox_oldest_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "iti_outbox_oldest_age_seconds",
            "Age of the oldest envelope waiting in the outbox (0 when it is empty)",
            outbox_oldest_age.clone(),
        );
        let deadlines_due = Family::<DeadlineLabels, Gauge>::default();
        registry.register(
            "iti_deadlines_due",
            "Open deadlines not yet passed (10.1 acknowledgement, 10.5 response)",
            deadlines_due.clone(),
        );
        let deadlines_overdue = Family::<DeadlineLabels, Gauge>::default();
        registry.register(
            "iti_deadlines_overdue",
            "Open deadlines that have passed",
            deadlines_overdue.clone(),
        );
        let handshakes_refused = Family::<PortLabels, Counter>::default();
        registry.register(
            "iti_tls_handshakes_refused",
            "TLS handshakes refused because the client certificate was not accepted",
            handshakes_refused.clone(),
        );
        let duplicates_received = Counter::default();
        registry.register(
            "iti_duplicates_received",
            "Envelopes received again though already stored (a sender that did not see our \
             receipt, or sent twice): answered with the stored receipt, processed once",
            duplicates_received.clone(),
        );
        let unknown_origins = Counter::default();
        registry.register(
            "iti_unknown_origin_envelopes",
            "Envelopes answered \"unknown origin\" (their origin not learned yet, even after \
             asking the relaying hub): the sender retries",
            unknown_origins.clone(),
        );
        let directory_conflicts = Counter::default();
        registry.register(
            "iti_directory_conflicts",
            "Directory entries refused because they name another CA than the one held for \
             their participant (pinned, or offered by another hub): an alarm; the entry stays \
             frozen until an admin decides",
            directory_conflicts.clone(),
        );
        let directory_equivocations = Counter::default();
        registry.register(
            "iti_directory_equivocations",
            "A hub's directory log that does not extend the one seen here before, or that \
             differs from the head a peer witnessed: proof that the hub showed members different \
             directories (an alarm; its entries are refused until an admin decides)",
            directory_equivocations.clone(),
        );
        let outcomes_unrecorded = Counter::default();
        registry.register(
            "iti_delivery_outcomes_unrecorded",
            "Deliveries whose outcome the store could not record (a full disk, a lost \
             database): the envelope stays pending and is held back for outbox.retry_cap_secs",
            outcomes_unrecorded.clone(),
        );
        let replica_info = Family::<ReplicaLabels, Gauge>::default();
        registry.register(
            "iti_replica_info",
            "This process: its participant and its replica_name (always 1)",
            replica_info.clone(),
        );
        let batches_rerun = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "iti_store_batches_rerun",
            "PostgreSQL: write batches rolled back and run again, by reason (deadlock, \
             serialization, connection: the database went away or failed over); a deadlock \
             means a transaction outside the node's lock order",
            batches_rerun.clone(),
        );
        let delivery_calls = DeliveryCalls::default();
        registry.register(
            "iti_delivery_calls",
            "Calls made to deliver envelopes to a next hop, by RPC: Deliver (one envelope) or \
             DeliverBatch (the envelopes queued for that hop while its earlier calls were in flight)",
            delivery_calls.calls.clone(),
        );
        registry.register(
            "iti_delivery_call_envelopes",
            "Envelopes those calls carried, by RPC",
            delivery_calls.envelopes.clone(),
        );
        let receipts_signed = Counter::default();
        registry.register(
            "iti_receipts_signed",
            "Receipts this node signed for envelopes it received (as destination, or as a hub \
             taking custody)",
            receipts_signed.clone(),
        );
        let receipt_signatures = Counter::default();
        registry.register(
            "iti_receipt_signatures",
            "Signatures those receipts took: one covers the receipts of a batch received together",
            receipt_signatures.clone(),
        );
        Metrics {
            registry,
            delivery_calls,
            receipts_signed,
            receipt_signatures,
            replica_info,
            batches_rerun,
            duplicates_received,
            outcomes_unrecorded,
            unknown_origins,
            directory_conflicts,
            directory_equivocations,
            messages,
            delivery_latency,
            outbox_depth,
            outbox_oldest_age,
            deadlines_due,
            deadlines_overdue,
            handshakes_refused,
            scrape: tokio::sync::Mutex::new(()),
        }
    }

    /// Counts one stored envelope.
    pub fn count_message(&self, direction: Direction, kind: pb::PayloadKind) {
        self.messages
            .get_or_create(&MessageLabels {
                direction: direction.label(),
                kind: kind_label(kind),
            })
            .inc();
    }

    /// The counters of delivery calls, for the batches (`batch`).
    pub fn delivery_calls(&self) -> DeliveryCalls {
        self.delivery_calls.clone()
    }

    /// Counts a receipt signed; the first of a batch counts its signature.
    pub fn count_receipt_signed(&self, receipt: &pb::SignedReceipt) {
        self.receipts_signed.inc();
        if receipt
            .batch
            .as_ref()
            .is_none_or(|place| place.leaf_index == 0)
        {
            self.receipt_signatures.inc();
        }
    }

    /// Counts an envelope received again.
    pub fn count_duplicate(&self) {
        self.duplicates_received.inc();
    }

    /// Counts an envelope answered "unknown origin".
    pub fn count_unknown_origin(&self) {
        self.unknown_origins.inc();
    }

    /// Counts a directory entry that conflicts with the one held (an alarm).
    pub fn count_directory_conflict(&self) {
        self.directory_conflicts.inc();
    }

    /// Counts proof that a hub equivocated (an alarm).
    pub fn count_directory_equivocation(&self) {
        self.directory_equivocations.inc();
    }

    /// Counts a delivery whose outcome the store refused.
    pub fn count_unrecorded_outcome(&self) {
        self.outcomes_unrecorded.inc();
    }

    /// Delivery outcomes the store refused since the node started.
    pub fn outcomes_unrecorded(&self) -> u64 {
        self.outcomes_unrecorded.get()
    }

    /// Envelopes received again since the node started.
    pub fn duplicates_received(&self) -> u64 {
        self.duplicates_received.get()
    }

    /// Records the time from enqueueing to the next hop's receipt.
    pub fn observe_delivery_latency(&self, latency: Duration) {
        self.delivery_latency.observe(latency.as_secs_f64());
    }

    fn set_deadlines(&self, owed_by: &'static str, counts: traces::DeadlineCounts) {
        for (owed, due, overdue) in [
            (
                "acknowledgement",
                counts.acknowledgement_pending,
                counts.acknowledgement_overdue,
            ),
            ("response", counts.response_pending, counts.response_overdue),
        ] {
            let labels = DeadlineLabels { owed, owed_by };
            self.deadlines_due.get_or_create(&labels).set(due);
            self.deadlines_overdue.get_or_create(&labels).set(overdue);
        }
    }

    /// Brings a counter that mirrors a total kept elsewhere up to `total`.
    fn sync_refusals(&self, port: &'static str, total: u64) {
        let counter = self.handshakes_refused.get_or_create(&PortLabels { port });
        let seen = counter.get();
        if total > seen {
            counter.inc_by(total - seen);
        }
    }
}

impl Node {
    /// The Prometheus text exposition (format 0.0.4): counters as they
    /// stand, gauges computed now from the store.
    pub async fn render_metrics(&self) -> Result<String, StoreError> {
        let m = &self.metrics;
        let _one_at_a_time = m.scrape.lock().await;
        let now = self.now();
        let (depth, oldest) = outbox::depth(self.store.pool()).await?;
        m.outbox_depth.set(depth);
        let age = oldest
            .map(|t| (now - t).as_seconds_f64().max(0.0))
            .unwrap_or(0.0);
        m.outbox_oldest_age.set(age);
        let mut us = traces::DeadlineCounts::default();
        let mut counterpart = traces::DeadlineCounts::default();
        for (role, counts) in traces::deadline_counts(self.store.pool(), now).await? {
            let sum = if role.is_requesting() {
                &mut counterpart
            } else {
                &mut us
            };
            sum.acknowledgement_pending += counts.acknowledgement_pending;
            sum.acknowledgement_overdue += counts.acknowledgement_overdue;
            sum.response_pending += counts.response_pending;
            sum.response_overdue += counts.response_overdue;
        }
        m.set_deadlines("us", us);
        m.set_deadlines("counterpart", counterpart);
        m.sync_refusals("federation", self.federation_refusals.total());
        m.sync_refusals("local", self.local_refusals.total());
        m.replica_info
            .get_or_create(&ReplicaLabels {
                participant: self.participant().to_string(),
                replica: self.config.replica.clone(),
            })
            .set(1);
        for (reason, total) in self.store.reruns() {
            let counter = m.batches_rerun.get_or_create(&ReasonLabels { reason });
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &m.registry)
            .map_err(|e| StoreError::corrupt(format!("encoding metrics: {e}")))?;
        Ok(text)
    }
}

fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

async fn respond<B>(node: &Node, req: Request<B>) -> Response<Full<Bytes>> {
    if req.uri().path() != "/metrics" {
        return plain(StatusCode::NOT_FOUND, "not found: try /metrics\n");
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n");
    }
    match node.render_metrics().await {
        Ok(text) => {
            let mut response = Response::new(Full::new(Bytes::from(text)));
            if let Ok(v) = hyper::header::HeaderValue::from_str(
                prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            ) {
                response
                    .headers_mut()
                    .insert(hyper::header::CONTENT_TYPE, v);
            }
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering metrics failed");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics unavailable; the node's log has the details\n",
            )
        }
    }
}

/// Resolves once `shutdown` is true (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|s| *s).await;
}

/// A client that has not sent its request headers by then is dropped.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `GET /metrics` on `listener` until `shutdown` turns true; open
/// connections finish their request and close.
pub async fn serve(listener: TcpListener, node: Arc<Node>, shutdown: watch::Receiver<bool>) {
    let mut stop = shutdown.clone();
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
        let node = node.clone();
        let mut stop = shutdown.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let node = node.clone();
                async move { Ok::<_, Infallible>(respond(&node, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(tcp), service);
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "metrics connection ended");
                    }
                }
                _ = stopped(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                }
            }
        });
    }
    while connections.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_kinds_become_short_lowercase_labels() {
        assert_eq!(kind_label(pb::PayloadKind::Request), "request");
        assert_eq!(
            kind_label(pb::PayloadKind::OnBehalfRequest),
            "on_behalf_request"
        );
    }

    #[test]
    fn counters_are_exposed_with_their_labels() {
        let m = Metrics::new();
        m.count_message(Direction::In, pb::PayloadKind::Request);
        m.count_message(Direction::In, pb::PayloadKind::Request);
        m.count_message(Direction::Relayed, pb::PayloadKind::Response);
        m.observe_delivery_latency(Duration::from_millis(3));
        m.sync_refusals("federation", 2);
        m.sync_refusals("federation", 2);
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &m.registry).unwrap();
        assert!(text.contains("iti_messages_total{direction=\"in\",kind=\"request\"} 2"));
        assert!(text.contains("iti_messages_total{direction=\"relayed\",kind=\"response\"} 1"));
        assert!(text.contains("iti_delivery_latency_seconds_count 1"));
        assert!(text.contains("iti_tls_handshakes_refused_total{port=\"federation\"} 2"));
    }
}
