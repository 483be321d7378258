//! ITI Exchange node: a state's (or a regional hub's) point of contact on the
//! federation for tracing illicit small arms and light weapons (ISACS 05.31).
//!
//! Layout, in the order a trace request flows through it:
//! - `api/`: the gRPC adapters. `local` serves the state's officers,
//!   `federation` serves peer nodes. Identity comes from the verified
//!   certificate (`identity::tls`), never from a message field.
//! - `service/`: the application core. `submit` (route and send a request),
//!   `act` (officer actions), `receive` (incoming envelopes), `sweep`
//!   (deadlines), `views` (what an officer may see), `admin` (peering).
//! - Domain modules, free of I/O: `routing` (9.1), `case` (lifecycle state
//!   machine, completeness 10.2, chained traces), `deadlines` (10.1, 10.5),
//!   `policy` (markings, use restrictions, redaction; 10.3), `audit` (hash
//!   chain), `envelope` (canonical signing input, signatures, receipts,
//!   sealing).
//! - `records/`: the national tracing system (clauses 5, 7, 8), pure:
//!   records, search, a weapon's history, the domestic trace's
//!   determination, answers drafted from records, clause 12 figures.
//! - `store/`: the only place SQL is spoken (SQLite or PostgreSQL).
//! - `outbox`: the delivery loop with retries and receipts.
//! - `metrics`: Prometheus figures, served on `metrics_listen`.
//! - `console`: the web console on `console_listen` (HTTPS, the officer's
//!   certificate): one more exit, over the same service layer as `api/local`.
//! - `peering`: who is reachable and how (direct, or through a hub).
//! - `hub/`: relaying, on-behalf traces, lost/stolen register, directory.
//! - `matching`: serial and make comparison forgiving misreadings (register, records).
//! - `photo`: photographs (6.2.3) by hash: what is taken, what a message names.
//! - `bounds`: the bounds of every input (lengths, codes, dates, hashes,
//!   Unicode), one table; `json`: reading JSON files with field paths in errors;
//!   `fuzzing`: the fuzz targets' entry points (`fuzz/`), replayed by the tests.
//! - `config`, `clock`, `ids`: typed settings, injected time, newtypes.
//! - `reload`: what a running node reads again on SIGHUP (its own CRL).
//! - `demo`: a small federation on loopback (`iti-node demo`).
//! - `i18n`: the languages (Fluent catalogs in `node/i18n/`) of the console
//!   and of `render`, the text `itictl` and the demo print; `fact`: what
//!   the node records (a trace's history) as facts the catalogs word.

pub mod api;
pub mod audit;
pub mod batch;
pub mod bounds;
pub mod case;
pub mod clock;
pub mod config;
pub mod console;
pub mod deadlines;
pub mod demo;
pub mod envelope;
pub mod fact;
pub mod fuzzing;
pub mod hub;
pub mod i18n;
pub mod identity;
pub mod ids;
pub mod json;
pub mod matching;
pub mod memory;
pub mod metrics;
pub mod outbox;
pub mod peering;
pub mod photo;
pub mod policy;
pub mod records;
pub mod reload;
pub mod render;
pub mod report;
pub mod routing;
pub mod sandbox;
pub mod service;
pub mod store;
pub mod transfer;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::federation::FederationApi;
use crate::api::local::LocalApi;
use crate::api::records::RecordsApi;
use crate::clock::SharedClock;
use crate::config::NodeConfig;
use crate::identity::tls;
use crate::service::{Node, StartError};
use iti_proto::v1::federation_server::FederationServer;
use iti_proto::v1::local_server::LocalServer;
use iti_proto::v1::records_server::RecordsServer;

/// The ports a node serves, already bound (tests bind port 0).
pub struct Listeners {
    pub federation: TcpListener,
    pub local: TcpListener,
    /// Prometheus metrics over plain HTTP, when configured.
    pub metrics: Option<TcpListener>,
    /// The web console (HTTPS, mutual TLS), when configured.
    pub console: Option<TcpListener>,
}

impl Listeners {
    pub async fn bind(config: &NodeConfig) -> Result<Listeners, StartError> {
        let bind = |what: &'static str, addr: SocketAddr| async move {
            TcpListener::bind(addr).await.map_err(|e| StartError::Bind {
                what,
                addr: addr.to_string(),
                reason: e.to_string(),
            })
        };
        Ok(Listeners {
            federation: bind("federation_listen", config.federation_listen).await?,
            local: bind("local_listen", config.local_listen).await?,
            metrics: match config.metrics_listen {
                Some(addr) => Some(bind("metrics_listen", addr).await?),
                None => None,
            },
            console: match config.console_listen {
                Some(addr) => Some(bind("console_listen", addr).await?),
                None => None,
            },
        })
    }
}

/// A started node. Dropping it does not stop it: call `stop`.
pub struct RunningNode {
    pub node: Arc<Node>,
    pub federation_addr: SocketAddr,
    pub local_addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
    pub console_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    scheduler: Option<tokio_cron_scheduler::JobScheduler>,
}

impl RunningNode {
    /// Stops accepting, lets deliveries in flight finish, and waits for
    /// every task.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(mut s) = self.scheduler.take() {
            let _ = s.shutdown().await;
        }
        for task in self.tasks.drain(..) {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
        }
    }
}

/// Options of `start` that production and tests set differently.
#[derive(Debug, Clone, Copy)]
pub struct StartOptions {
    /// Run the deadline sweep on the wall clock (tokio-cron-scheduler).
    /// Tests leave it off and call `Node::sweep(now)` with their own clock.
    pub scheduler: bool,
}

/// Opens the store, starts both gRPC servers on the given listeners, the
/// metrics endpoint (if given a listener), the outbox and (optionally) the
/// deadline scheduler.
pub async fn start(
    config: NodeConfig,
    listeners: Listeners,
    clock: SharedClock,
    options: StartOptions,
) -> Result<RunningNode, StartError> {
    let federation_addr = address(&listeners.federation, "federation_listen")?;
    let local_addr = address(&listeners.local, "local_listen")?;
    let metrics_addr = listeners
        .metrics
        .as_ref()
        .map(|l| address(l, "metrics_listen"))
        .transpose()?;
    let console_addr = listeners
        .console
        .as_ref()
        .map(|l| address(l, "console_listen"))
        .transpose()?;
    let node = Node::open(config, clock.clone()).await?;
    node.publish_own_directory_entry()
        .await
        .map_err(|e| StartError::PeerCard {
            path: "directory_entry".into(),
            reason: e.to_string(),
        })?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let ports = Ports {
        node: node.clone(),
        clock,
        stop: shutdown_rx.clone(),
    };
    let mut tasks = ports
        .serve_grpc(listeners.federation, listeners.local)
        .await?;
    tasks.push(tokio::spawn(outbox::run(node.clone(), shutdown_rx.clone())));
    tasks.push(tokio::spawn(hub::learning::run(
        node.clone(),
        shutdown_rx.clone(),
    )));
    if let Some(listener) = listeners.metrics {
        tasks.push(tokio::spawn(metrics::serve(
            listener,
            node.clone(),
            shutdown_rx.clone(),
        )));
    }
    if let Some(listener) = listeners.console {
        tasks.extend(ports.serve_console(listener)?);
    }
    let scheduler = if options.scheduler {
        Some(start_scheduler(node.clone()).await?)
    } else {
        None
    };
    tracing::info!(
        participant = %node.participant(),
        federation = %federation_addr,
        local = %local_addr,
        metrics = ?metrics_addr,
        console = ?console_addr,
        "node started"
    );
    Ok(RunningNode {
        node,
        federation_addr,
        local_addr,
        metrics_addr,
        console_addr,
        shutdown,
        tasks,
        scheduler,
    })
}

/// The address a listener is bound to, for the start-up log and the caller.
fn address(listener: &TcpListener, what: &'static str) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|e| StartError::Bind {
        what,
        addr: "?".into(),
        reason: e.to_string(),
    })
}

/// What every port of a starting node is served with: each accepts mutual
/// TLS with its own verifier, under the limits of the node's transport
/// settings, and stops with the node.
struct Ports {
    node: Arc<Node>,
    clock: SharedClock,
    stop: watch::Receiver<bool>,
}

impl Ports {
    /// The accept loop of one port: TLS checked against `trust`, refusals
    /// counted in `refusals` under the port's name.
    fn accept(
        &self,
        listener: TcpListener,
        port: &'static str,
        trust: Arc<identity::trust::TrustStore>,
        refusals: &Arc<tls::Refusals>,
        browsers: bool,
    ) -> Result<(tls::Incoming, JoinHandle<()>), StartError> {
        let credentials = self.node.config.credentials();
        let mut config = tls::server_config(
            &credentials,
            trust,
            self.clock.clone(),
            refusals.clone(),
            port,
        )?;
        if browsers {
            config = console::tls_for_browsers(&config);
        }
        let limits = tls::AcceptLimits {
            port,
            max_handshakes: self.node.config.transport.max_handshakes,
            handshake_timeout: self.node.config.transport.handshake_timeout,
            refusals: refusals.clone(),
        };
        Ok(tls::accept_tls(listener, config, limits, self.stop.clone()))
    }

    /// The federation port (other nodes) and the local port (officers,
    /// `itictl`, records feeds), with health and the local port's
    /// reflection.
    async fn serve_grpc(
        &self,
        federation: TcpListener,
        local: TcpListener,
    ) -> Result<Vec<JoinHandle<()>>, StartError> {
        let node = &self.node;
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_serving::<FederationServer<FederationApi>>()
            .await;
        health.set_serving::<LocalServer<LocalApi>>().await;
        let reflection = api::reflection::local_port()
            .map_err(|e| StartError::Scheduler(format!("reflection: {e}")))?;
        let (incoming, federation_acceptor) = self.accept(
            federation,
            "federation",
            node.trust.clone(),
            &node.federation_refusals,
            false,
        )?;
        let federation_server = tonic::transport::Server::builder()
            .add_service(
                FederationServer::new(FederationApi { node: node.clone() })
                    .max_decoding_message_size(bounds::MAX_MESSAGE_BYTES),
            )
            .add_service(health_service.clone());
        let federation = self.spawn_grpc(federation_server, incoming, "federation");
        let (incoming, local_acceptor) = self.accept(
            local,
            "local",
            node.local_trust.clone(),
            &node.local_refusals,
            false,
        )?;
        let local_server = tonic::transport::Server::builder()
            .add_service(
                LocalServer::new(LocalApi { node: node.clone() })
                    .max_decoding_message_size(bounds::MAX_LOCAL_MESSAGE_BYTES),
            )
            .add_service(
                RecordsServer::new(RecordsApi { node: node.clone() })
                    .max_decoding_message_size(bounds::MAX_MESSAGE_BYTES),
            )
            .add_service(health_service)
            .add_service(reflection);
        let local = self.spawn_grpc(local_server, incoming, "local");
        Ok(vec![federation_acceptor, federation, local_acceptor, local])
    }

    /// Serves one gRPC port until the node stops.
    fn spawn_grpc(
        &self,
        server: tonic::transport::server::Router,
        incoming: tls::Incoming,
        port: &'static str,
    ) -> JoinHandle<()> {
        let mut stop = self.stop.clone();
        tokio::spawn(async move {
            let signal = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = server.serve_with_incoming_shutdown(incoming, signal).await {
                tracing::error!(error = %e, port, "server stopped");
            }
        })
    }

    /// The console, for officers' browsers: the local port's verifier of
    /// officers' certificates, speaking HTTP/1.1.
    fn serve_console(&self, listener: TcpListener) -> Result<Vec<JoinHandle<()>>, StartError> {
        let node = &self.node;
        let (incoming, acceptor) = self.accept(
            listener,
            "console",
            node.local_trust.clone(),
            &node.local_refusals,
            true,
        )?;
        let console = tokio::spawn(console::serve(incoming, node.clone(), self.stop.clone()));
        Ok(vec![acceptor, console])
    }
}

/// The deadline sweep on the wall clock. tokio-cron-scheduler reads the
/// system time itself, so it only triggers; the sweep reads the node's clock.
async fn start_scheduler(
    node: Arc<Node>,
) -> Result<tokio_cron_scheduler::JobScheduler, StartError> {
    use tokio_cron_scheduler::{Job, JobScheduler};
    let scheduler = JobScheduler::new()
        .await
        .map_err(|e| StartError::Scheduler(e.to_string()))?;
    let schedule = node.config.sweep_schedule.clone();
    let job = Job::new_async(schedule.as_str(), move |_, _| {
        let node = node.clone();
        Box::pin(async move {
            if let Err(e) = node.sweep(node.now()).await {
                tracing::error!(error = %e, "deadline sweep failed");
            }
        })
    })
    .map_err(|e| StartError::Scheduler(e.to_string()))?;
    scheduler
        .add(job)
        .await
        .map_err(|e| StartError::Scheduler(e.to_string()))?;
    scheduler
        .start()
        .await
        .map_err(|e| StartError::Scheduler(e.to_string()))?;
    Ok(scheduler)
}

/// Runs a node until `shutdown` completes: what `iti-node run` does.
pub async fn run(
    config: NodeConfig,
    listeners: Listeners,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), StartError> {
    let clock = clock_of(&config)?;
    let running = start(config, listeners, clock, StartOptions { scheduler: true }).await?;
    shutdown.await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

/// The clock a node process runs on: the wall clock, or, when told to
/// simulate time (`simulated_clock_offset_file`), the wall clock moved ahead
/// by its file, re-read every 100 ms for as long as the process runs.
pub fn clock_of(config: &NodeConfig) -> Result<SharedClock, StartError> {
    let Some(path) = &config.simulated_clock_offset_file else {
        return Ok(Arc::new(clock::SystemClock));
    };
    let clock = clock::SimulatedClock::open(path)?;
    tracing::warn!(
        offset_secs = clock.offset().whole_seconds(),
        "this node's clock is simulated (simulated_clock_offset_file): for benchmarks only"
    );
    let watched = clock.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
        loop {
            tick.tick().await;
            match watched.reload() {
                Ok(Some(secs)) => tracing::info!(offset_secs = secs, "the simulated clock moved"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "simulated clock offset not taken"),
            }
        }
    });
    Ok(clock)
}
