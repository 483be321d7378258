//! Node configuration: a TOML file plus `ITI_*` environment overrides, parsed
//! once, fully, before any port is bound. Every problem is reported, naming
//! its key; fields are checked against each other (the certificate's
//! identity must be the configured participant).
//!
//! Environment overrides: `ITI_NODE__<KEY>` for a top-level key and
//! `ITI_NODE__<SECTION>__<KEY>` for a nested one, e.g.
//! `ITI_NODE__DATABASE_URL`, `ITI_NODE__DEADLINES__RESPOND_WITHIN_DAYS=28`.
//! (A prefix of its own: other `ITI_*` variables are not configuration.)

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::identity::pki::{self, KeyedCert};
use crate::identity::{Credentials, Identity};
use crate::ids::ParticipantId;
use crate::store::Durability;

/// The file format, as written by operators. See `deploy/*.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// This node's participant id: "GHA", "hub:ECOWAS". Required.
    pub participant: String,
    /// "state" (default) or "hub": a hub relays for its members (clause 11).
    #[serde(default = "default_mode")]
    pub mode: String,
    /// Federation port, open to pinned peers. Default "0.0.0.0:7100".
    #[serde(default = "default_federation_listen")]
    pub federation_listen: String,
    /// Local port for the state's own officers. Default "127.0.0.1:7101".
    #[serde(default = "default_local_listen")]
    pub local_listen: String,
    /// Prometheus metrics (HTTP). Default: off.
    #[serde(default)]
    pub metrics_listen: Option<String>,
    /// The web console for the state's officers and hub operators (HTTPS,
    /// mutual TLS with the officer's certificate, like `local_listen`).
    /// Default: off.
    #[serde(default)]
    pub console_listen: Option<String>,
    /// The endpoint peers should dial, published in peer cards and the
    /// directory. Default: the federation address.
    #[serde(default)]
    pub public_endpoint: Option<String>,
    /// Where the node keeps its data. Required.
    pub data_dir: PathBuf,
    /// sqlite://... (default: `<data_dir>/node.db`) or postgres://...
    #[serde(default)]
    pub database_url: Option<String>,
    /// "full" (default: fsync every commit) or "normal" (SQLite only).
    #[serde(default = "default_durability")]
    pub durability: String,
    /// "text" (default) or "json".
    #[serde(default = "default_log_format")]
    pub log_format: String,
    /// Log filter, e.g. "info" (default) or "iti_node=debug".
    #[serde(default = "default_log_level")]
    pub log_level: String,
    pub tls: RawTls,
    #[serde(default)]
    pub deadlines: RawDeadlines,
    /// 10.2: "return" incomplete requests automatically (default), or
    /// "queue" them for the officer.
    #[serde(default = "default_completeness")]
    pub completeness_policy: String,
    #[serde(default)]
    pub outbox: RawOutbox,
    /// Six-field cron schedule (seconds first) of the deadline sweep.
    /// Default "0 * * * * *": every minute.
    #[serde(default = "default_sweep")]
    pub sweep_schedule: String,
    /// Destinations reached through a hub: `CIV = "hub:ECOWAS"`; the key
    /// `"*"` names the hub for every other destination.
    #[serde(default)]
    pub routes: BTreeMap<String, String>,
    /// Directory of peer cards (`*.json`) pinned at start.
    #[serde(default)]
    pub peers_dir: Option<PathBuf>,
    /// A node's own directory entry (signed by its CA), published at start.
    #[serde(default)]
    pub directory_entry: Option<PathBuf>,
    /// Seconds between directory refreshes from peers; 0 turns them off.
    /// Default 300.
    #[serde(default = "default_directory_refresh")]
    pub directory_refresh_secs: u64,
    /// Hubs: how long to wait, milliseconds, when handing an envelope
    /// straight to a destination it is peered with (the sender then gets
    /// the destination's receipt, and the hub stores no content). Past that,
    /// or if the destination is unreachable, the hub keeps the envelope and
    /// forwards it from its outbox. 0: always keep and forward. Default 2000;
    /// at most 10000, since the sender waits for the whole relay.
    #[serde(default = "default_pass_through")]
    pub pass_through_ms: u64,
    /// This process's name among replicas sharing a database: in outbox
    /// claims, as PostgreSQL's `application_name` (`pg_stat_activity`), and
    /// in the metrics (`iti_replica_info`). Default "<participant>@<host
    /// name>"; set it when several replicas share a host.
    #[serde(default)]
    pub replica_name: Option<String>,
    /// Days an envelope may have been on its way (from the creation time
    /// its origin signed to its arrival here) and still be taken. It must
    /// outlast the longest outage the federation rides out: envelopes
    /// queued longer are refused. It bounds how far back a retired or
    /// expired key could date a new envelope. Default 30.
    #[serde(default = "default_max_envelope_age")]
    pub max_envelope_age_days: u32,
    /// How many hubs must offer the same entry (the same CA) before a
    /// participant they introduced is trusted with content that must be
    /// sealed (TLP:RED, TLP:AMBER+STRICT), unless an admin confirms its CA
    /// fingerprint first (`itictl peer confirm`). Default 2.
    #[serde(default = "default_introduction_vouches")]
    pub introduction_vouches: usize,
    /// For benchmarks only: a file holding whole seconds by which this
    /// node's clock runs ahead of the wall clock, re-read while it runs
    /// (`clock::SimulatedClock`). Takes a federation of real processes
    /// through a simulated week. Never set in production.
    #[serde(default)]
    pub simulated_clock_offset_file: Option<PathBuf>,
    #[serde(default)]
    pub transport: RawTransport,
}

/// Limits of the TLS accept loop on both ports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransport {
    /// TLS handshakes in progress at once, per port; a connection beyond
    /// them is closed at once (and logged). Default 64.
    #[serde(default = "default_max_handshakes")]
    pub max_handshakes: usize,
    /// Time a client has to complete its TLS handshake, milliseconds.
    /// Default 10000.
    #[serde(default = "default_handshake_timeout")]
    pub handshake_timeout_ms: u64,
}

impl Default for RawTransport {
    fn default() -> Self {
        RawTransport {
            max_handshakes: default_max_handshakes(),
            handshake_timeout_ms: default_handshake_timeout(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    /// PEM of the participant's own CA certificate.
    pub ca_cert: PathBuf,
    /// PEM of this node's certificate (identity iti://node/<participant>).
    pub node_cert: PathBuf,
    /// PEM of this node's private key.
    pub node_key: PathBuf,
    /// The X25519 key sealed payloads are opened with (hex). Optional.
    #[serde(default)]
    pub sealing_key: Option<PathBuf>,
    /// PEM CRL of the own CA, if any.
    #[serde(default)]
    pub crl: Option<PathBuf>,
    /// The next node certificate and key, used from `switch_over_at`
    /// (RFC 3339). Announce it in the directory entry beforehand.
    #[serde(default)]
    pub next_node_cert: Option<PathBuf>,
    #[serde(default)]
    pub next_node_key: Option<PathBuf>,
    #[serde(default)]
    pub switch_over_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeadlines {
    /// 10.1: days to acknowledge receipt. Default 7.
    #[serde(default = "seven")]
    pub acknowledge_within_days: u32,
    /// 10.5.1: days to respond. Default 21 (three weeks).
    #[serde(default = "twenty_one")]
    pub respond_within_days: u32,
    /// Days before a deadline that a reminder is raised. Default 2.
    #[serde(default = "two")]
    pub remind_before_days: u32,
}

impl Default for RawDeadlines {
    fn default() -> Self {
        RawDeadlines {
            acknowledge_within_days: 7,
            respond_within_days: 21,
            remind_before_days: 2,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutbox {
    /// First retry delay, milliseconds. Default 500.
    #[serde(default = "default_retry_base")]
    pub retry_base_ms: u64,
    /// Longest retry delay, seconds: delivery resumes within this long of a
    /// peer's return. Default 120.
    #[serde(default = "default_retry_cap")]
    pub retry_cap_secs: u64,
    /// Time allowed for one delivery, seconds. Default 20.
    #[serde(default = "default_delivery_timeout")]
    pub delivery_timeout_secs: u64,
    /// Deliveries in flight at once. Default 64.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// How long a replica's claim on an envelope lasts before another
    /// replica may take it over (if the first died mid-delivery), seconds.
    /// Must exceed delivery_timeout_secs. Default 120.
    #[serde(default = "default_claim_lease")]
    pub claim_lease_secs: u64,
    /// How long an envelope is retried while its receiver cannot verify it
    /// because it has not learned the envelope's origin yet (directories
    /// still propagating), seconds. Past that it is refused and the
    /// origin's officer is told. Default 86400 (a day).
    #[serde(default = "default_unknown_origin_limit")]
    pub unknown_origin_limit_secs: u64,
}

impl Default for RawOutbox {
    fn default() -> Self {
        RawOutbox {
            retry_base_ms: default_retry_base(),
            retry_cap_secs: default_retry_cap(),
            delivery_timeout_secs: default_delivery_timeout(),
            concurrency: default_concurrency(),
            claim_lease_secs: default_claim_lease(),
            unknown_origin_limit_secs: default_unknown_origin_limit(),
        }
    }
}

fn default_mode() -> String {
    "state".into()
}
fn default_federation_listen() -> String {
    "0.0.0.0:7100".into()
}
fn default_local_listen() -> String {
    "127.0.0.1:7101".into()
}
fn default_durability() -> String {
    "full".into()
}
fn default_log_format() -> String {
    "text".into()
}
fn default_log_level() -> String {
    "info".into()
}
fn default_completeness() -> String {
    "return".into()
}
fn default_sweep() -> String {
    "0 * * * * *".into()
}
fn default_unknown_origin_limit() -> u64 {
    86_400
}
fn default_directory_refresh() -> u64 {
    300
}
fn default_pass_through() -> u64 {
    2000
}
fn default_introduction_vouches() -> usize {
    2
}
fn default_max_envelope_age() -> u32 {
    30
}
fn default_max_handshakes() -> usize {
    64
}
fn default_handshake_timeout() -> u64 {
    10_000
}
fn seven() -> u32 {
    7
}
fn twenty_one() -> u32 {
    21
}
fn two() -> u32 {
    2
}
fn default_retry_base() -> u64 {
    500
}
fn default_retry_cap() -> u64 {
    120
}
fn default_delivery_timeout() -> u64 {
    20
}
fn default_claim_lease() -> u64 {
    120
}
fn default_concurrency() -> usize {
    64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    State,
    Hub,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletenessPolicy {
    /// Return an incomplete request automatically (unless its sender declared
    /// it cannot provide everything).
    Return,
    /// Queue it for the officer with the list of missing elements.
    Queue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct OutboxConfig {
    pub retry_base: std::time::Duration,
    pub retry_cap: std::time::Duration,
    pub delivery_timeout: std::time::Duration,
    pub concurrency: usize,
    pub claim_lease: std::time::Duration,
    pub unknown_origin_limit: std::time::Duration,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub participant: ParticipantId,
    pub mode: Mode,
    pub federation_listen: SocketAddr,
    pub local_listen: SocketAddr,
    pub metrics_listen: Option<SocketAddr>,
    pub console_listen: Option<SocketAddr>,
    pub public_endpoint: Option<String>,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub durability: Durability,
    pub log_format: LogFormat,
    pub log_level: String,
    pub ca_cert_pem: String,
    pub node: KeyedCert,
    /// The next certificate and the time it takes over.
    pub next_node: Option<(KeyedCert, time::OffsetDateTime)>,
    pub sealing_key: Option<PathBuf>,
    pub crl: Option<PathBuf>,
    pub deadlines: crate::deadlines::DeadlinePolicy,
    pub completeness: CompletenessPolicy,
    pub outbox: OutboxConfig,
    pub sweep_schedule: String,
    pub routes: BTreeMap<ParticipantId, ParticipantId>,
    pub default_route: Option<ParticipantId>,
    pub peers_dir: Option<PathBuf>,
    pub directory_entry: Option<PathBuf>,
    pub directory_refresh: Option<std::time::Duration>,
    /// A hub's wait for a destination when passing an envelope straight
    /// through; `None`: always keep and forward.
    pub pass_through: Option<std::time::Duration>,
    /// This process's name among replicas (`replica_name`).
    pub replica: String,
    /// How long before its arrival an envelope may have been created.
    pub max_envelope_age: time::Duration,
    pub introduction_vouches: usize,
    /// Benchmarks only: the clock runs ahead by the seconds in this file.
    pub simulated_clock_offset_file: Option<PathBuf>,
    pub transport: TransportConfig,
}

/// Limits of the TLS accept loop (`[transport]`).
#[derive(Debug, Clone, Copy)]
pub struct TransportConfig {
    pub max_handshakes: usize,
    pub handshake_timeout: std::time::Duration,
}

impl NodeConfig {
    /// The node's certificates, current and next.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            current: self.node.clone(),
            next: self.next_node.clone(),
        }
    }
}

/// Every problem found, each naming its key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl ConfigError {
    fn one(p: impl Into<String>) -> Self {
        ConfigError {
            problems: vec![p.into()],
        }
    }
}

/// The prefix of environment overrides.
pub const ENV_PREFIX: &str = "ITI_NODE__";

/// Reads `path`, applies `ITI_NODE__*` overrides from `env`, and validates.
pub fn load(path: &Path, env: &[(String, String)]) -> Result<NodeConfig, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::one(format!("config file {}: {e}", path.display())))?;
    let mut value: toml::Table = toml::from_str(&text)
        .map_err(|e| ConfigError::one(format!("config file {}: {e}", path.display())))?;
    apply_env(&mut value, env)?;
    let raw: RawConfig = value.try_into().map_err(|e: toml::de::Error| {
        ConfigError::one(format!("config file {}: {e}", path.display()))
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    validate(raw, base)
}

fn apply_env(table: &mut toml::Table, env: &[(String, String)]) -> Result<(), ConfigError> {
    for (key, value) in env {
        let Some(rest) = key.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let path: Vec<String> = rest.split("__").map(|s| s.to_lowercase()).collect();
        // Numbers and booleans as such; anything else as a string.
        let parsed: toml::Value = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.clone()));
        let mut cursor = &mut *table;
        for (i, part) in path.iter().enumerate() {
            if i + 1 == path.len() {
                cursor.insert(part.clone(), parsed.clone());
            } else {
                let entry = cursor
                    .entry(part.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                cursor = entry.as_table_mut().ok_or_else(|| {
                    ConfigError::one(format!("environment {key}: {part} is not a table"))
                })?;
            }
        }
    }
    Ok(())
}

/// Validates a parsed configuration; relative paths are taken from `base`.
/// Every problem is collected, each naming its key.
pub fn validate(raw: RawConfig, base: &Path) -> Result<NodeConfig, ConfigError> {
    let mut problems = Vec::new();
    let resolve = |p: &Path| resolve_path(base, p);
    let participant = raw
        .participant
        .parse::<ParticipantId>()
        .map_err(|e| problems.push(format!("participant: {e}")))
        .ok();
    let Choices {
        mode,
        durability,
        log_format,
        completeness,
    } = choices(&raw, &mut problems);
    let federation_listen = address("federation_listen", &raw.federation_listen, &mut problems);
    let local_listen = address("local_listen", &raw.local_listen, &mut problems);
    let metrics_listen = raw
        .metrics_listen
        .as_deref()
        .and_then(|m| address("metrics_listen", m, &mut problems));
    let console_listen = raw
        .console_listen
        .as_deref()
        .and_then(|m| address("console_listen", m, &mut problems));
    let data_dir = resolve(&raw.data_dir);
    let database_url = database_url(&raw, &data_dir, &mut problems);
    let tls = tls_section(&raw.tls, participant.as_ref(), &resolve, &mut problems);
    let deadlines = deadline_policy(&raw.deadlines, &mut problems);
    let outbox = outbox_section(&raw.outbox, &mut problems);
    check_limits(&raw, &mut problems);
    let (routes, default_route) = route_table(&raw.routes, &mut problems);
    let peers_dir = existing(
        raw.peers_dir.as_deref(),
        "peers_dir",
        Kind::Directory,
        &resolve,
        &mut problems,
    );
    let directory_entry = existing(
        raw.directory_entry.as_deref(),
        "directory_entry",
        Kind::File,
        &resolve,
        &mut problems,
    );
    let replica = replica_name(&raw, &mut problems);
    let simulated_clock_offset_file = existing(
        raw.simulated_clock_offset_file.as_deref(),
        "simulated_clock_offset_file",
        Kind::File,
        &resolve,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(ConfigError { problems });
    }
    let (
        Some(participant),
        Some(federation_listen),
        Some(local_listen),
        Some(ca_cert_pem),
        Some(node),
    ) = (
        participant,
        federation_listen,
        local_listen,
        tls.ca_cert_pem,
        tls.node,
    )
    else {
        return Err(ConfigError::one("incomplete configuration"));
    };
    Ok(NodeConfig {
        replica,
        participant,
        mode,
        federation_listen,
        local_listen,
        metrics_listen,
        console_listen,
        public_endpoint: raw.public_endpoint,
        data_dir,
        database_url,
        durability,
        log_format,
        log_level: raw.log_level,
        ca_cert_pem,
        node,
        next_node: tls.next_node,
        sealing_key: tls.sealing_key,
        crl: tls.crl,
        deadlines,
        completeness,
        outbox,
        sweep_schedule: raw.sweep_schedule,
        routes,
        default_route,
        peers_dir,
        directory_entry,
        directory_refresh: (raw.directory_refresh_secs > 0)
            .then(|| std::time::Duration::from_secs(raw.directory_refresh_secs)),
        pass_through: (raw.pass_through_ms > 0)
            .then(|| std::time::Duration::from_millis(raw.pass_through_ms)),
        max_envelope_age: time::Duration::days(i64::from(raw.max_envelope_age_days)),
        introduction_vouches: raw.introduction_vouches.max(1),
        simulated_clock_offset_file,
        transport: TransportConfig {
            max_handshakes: raw.transport.max_handshakes,
            handshake_timeout: std::time::Duration::from_millis(raw.transport.handshake_timeout_ms),
        },
    })
}

/// The settings chosen from a fixed list of words.
struct Choices {
    mode: Mode,
    durability: Durability,
    log_format: LogFormat,
    completeness: CompletenessPolicy,
}

fn choices(raw: &RawConfig, problems: &mut Vec<String>) -> Choices {
    Choices {
        mode: choice(
            "mode",
            &raw.mode,
            &[("state", Mode::State), ("hub", Mode::Hub)],
            problems,
        ),
        durability: choice(
            "durability",
            &raw.durability,
            &[("full", Durability::Full), ("normal", Durability::Normal)],
            problems,
        ),
        log_format: choice(
            "log_format",
            &raw.log_format,
            &[("text", LogFormat::Text), ("json", LogFormat::Json)],
            problems,
        ),
        completeness: choice(
            "completeness_policy",
            &raw.completeness_policy,
            &[
                ("return", CompletenessPolicy::Return),
                ("queue", CompletenessPolicy::Queue),
            ],
            problems,
        ),
    }
}

/// The database: `database_url` as given, or SQLite in `data_dir`.
fn database_url(raw: &RawConfig, data_dir: &Path, problems: &mut Vec<String>) -> String {
    let url = raw
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("node.db").display()));
    if !(url.starts_with("sqlite:") || url.starts_with("postgres")) {
        problems.push("database_url: must start with sqlite:// or postgres://".into());
    }
    url
}

/// What an optional path must be.
#[derive(Clone, Copy)]
enum Kind {
    Directory,
    File,
}

/// An optional path that must exist, as `kind`.
fn existing(
    given: Option<&Path>,
    key: &str,
    kind: Kind,
    resolve: &impl Fn(&Path) -> PathBuf,
    problems: &mut Vec<String>,
) -> Option<PathBuf> {
    let path = resolve(given?);
    match kind {
        Kind::Directory if !path.is_dir() => {
            problems.push(format!("{key}: {} is not a directory", path.display()));
        }
        Kind::File if !path.is_file() => {
            problems.push(format!("{key}: {} not found", path.display()));
        }
        _ => {}
    }
    Some(path)
}

/// This process's name among replicas: given, or made from the participant.
fn replica_name(raw: &RawConfig, problems: &mut Vec<String>) -> String {
    match &raw.replica_name {
        Some(name) => {
            if let Err(e) = check_replica_name(name) {
                problems.push(format!("replica_name: {e}"));
            }
            name.clone()
        }
        None => default_replica_name(&raw.participant),
    }
}

/// An absolute path: the database URL and error messages must not depend
/// on the directory the node was started from.
fn resolve_path(base: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    std::path::absolute(&joined).unwrap_or(joined)
}

/// One of a closed set of words; anything else is a problem naming the
/// choices (and the first choice stands in).
fn choice<T: Copy>(key: &str, value: &str, options: &[(&str, T)], problems: &mut Vec<String>) -> T {
    if let Some((_, v)) = options.iter().find(|(word, _)| *word == value) {
        return *v;
    }
    let words: Vec<String> = options.iter().map(|(w, _)| format!("{w:?}")).collect();
    problems.push(format!("{key}: {value:?} is not {}", words.join(" or ")));
    options[0].1
}

fn address(key: &str, value: &str, problems: &mut Vec<String>) -> Option<SocketAddr> {
    value
        .parse()
        .map_err(|_| {
            problems.push(format!(
                "{key}: {value:?} is not an address like 127.0.0.1:7100"
            ))
        })
        .ok()
}

/// The `[tls]` section, read and checked.
struct Tls {
    ca_cert_pem: Option<String>,
    node: Option<KeyedCert>,
    next_node: Option<(KeyedCert, time::OffsetDateTime)>,
    sealing_key: Option<PathBuf>,
    crl: Option<PathBuf>,
}

fn tls_section(
    raw: &RawTls,
    participant: Option<&ParticipantId>,
    resolve: &impl Fn(&Path) -> PathBuf,
    problems: &mut Vec<String>,
) -> Tls {
    let ca_cert_pem = pki::read_cert_pem(&resolve(&raw.ca_cert))
        .map_err(|e| problems.push(format!("tls.ca_cert: {e}")))
        .ok();
    let node = pki::read_keyed(&resolve(&raw.node_cert), &resolve(&raw.node_key))
        .map_err(|e| {
            let key = if e.to_string().starts_with("key file") {
                "tls.node_key"
            } else {
                "tls.node_cert"
            };
            problems.push(format!("{key}: {e}"))
        })
        .ok();
    if let (Some(node), Some(participant)) = (&node, participant) {
        match node.cert_der().map(|d| Identity::from_certificate_der(&d)) {
            Ok(Ok(Identity::Node(p))) if &p == participant => {}
            Ok(Ok(other)) => problems.push(format!(
                "tls.node_cert: the certificate is for {other}, but participant is {participant}"
            )),
            Ok(Err(e)) => problems.push(format!("tls.node_cert: {e}")),
            Err(e) => problems.push(format!("tls.node_cert: {e}")),
        }
    }
    let next_node = next_certificate(raw, participant, node.as_ref(), resolve, problems);
    let sealing_key = raw.sealing_key.as_deref().map(resolve);
    if let Some(path) = &sealing_key
        && let Err(e) = crate::envelope::seal::OpeningKey::read(path)
    {
        problems.push(format!("tls.sealing_key: {e}"));
    }
    let crl = raw.crl.as_deref().map(resolve);
    if let Some(path) = &crl
        && let Err(e) = pki::read_crl_der(path)
    {
        problems.push(format!("tls.crl: {e}"));
    }
    Tls {
        ca_cert_pem,
        node,
        next_node,
        sealing_key,
        crl,
    }
}

/// The next node certificate and the time it takes over: all three keys,
/// or none.
fn next_certificate(
    raw: &RawTls,
    participant: Option<&ParticipantId>,
    node: Option<&KeyedCert>,
    resolve: &impl Fn(&Path) -> PathBuf,
    problems: &mut Vec<String>,
) -> Option<(KeyedCert, time::OffsetDateTime)> {
    let (c, k, at) = match (&raw.next_node_cert, &raw.next_node_key, &raw.switch_over_at) {
        (None, None, None) => return None,
        (Some(c), Some(k), Some(at)) => (c, k, at),
        _ => {
            problems.push(
                "tls.next_node_cert, tls.next_node_key and tls.switch_over_at go together".into(),
            );
            return None;
        }
    };
    let when = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            problems.push(format!(
                "tls.switch_over_at: {at:?} is not an RFC 3339 time"
            ))
        })
        .ok();
    let keyed = pki::read_keyed(&resolve(c), &resolve(k))
        .map_err(|e| problems.push(format!("tls.next_node_cert: {e}")))
        .ok();
    if let (Some(keyed), Some(participant)) = (&keyed, participant) {
        match keyed.cert_der().map(|d| Identity::from_certificate_der(&d)) {
            Ok(Ok(Identity::Node(p))) if &p == participant => {}
            _ => problems.push(format!(
                "tls.next_node_cert: not a node certificate of {participant}"
            )),
        }
    }
    if let (Some(keyed), Some(when)) = (&keyed, when) {
        check_switch_over(node, keyed, when, problems);
    }
    keyed.zip(when)
}

fn deadline_policy(
    d: &RawDeadlines,
    problems: &mut Vec<String>,
) -> crate::deadlines::DeadlinePolicy {
    if d.acknowledge_within_days == 0 {
        problems.push("deadlines.acknowledge_within_days: must be at least 1".into());
    }
    if d.respond_within_days < d.acknowledge_within_days {
        problems.push(
            "deadlines.respond_within_days: must not be shorter than acknowledge_within_days"
                .into(),
        );
    }
    crate::deadlines::DeadlinePolicy {
        acknowledge_within: time::Duration::days(i64::from(d.acknowledge_within_days)),
        respond_within: time::Duration::days(i64::from(d.respond_within_days)),
        remind_before: time::Duration::days(i64::from(d.remind_before_days)),
    }
}

fn outbox_section(o: &RawOutbox, problems: &mut Vec<String>) -> OutboxConfig {
    if o.retry_base_ms == 0 || o.retry_cap_secs == 0 || o.delivery_timeout_secs == 0 {
        problems.push(
            "outbox: retry_base_ms, retry_cap_secs and delivery_timeout_secs must be positive"
                .into(),
        );
    }
    if o.claim_lease_secs <= o.delivery_timeout_secs {
        problems.push("outbox.claim_lease_secs: must exceed outbox.delivery_timeout_secs".into());
    }
    if o.concurrency == 0 {
        problems.push("outbox.concurrency: must be at least 1".into());
    }
    if o.unknown_origin_limit_secs < o.retry_cap_secs {
        problems.push(
            "outbox.unknown_origin_limit_secs: must be at least outbox.retry_cap_secs \
             (an envelope needs a few retries while directories propagate)"
                .into(),
        );
    }
    OutboxConfig {
        retry_base: std::time::Duration::from_millis(o.retry_base_ms),
        retry_cap: std::time::Duration::from_secs(o.retry_cap_secs),
        delivery_timeout: std::time::Duration::from_secs(o.delivery_timeout_secs),
        concurrency: o.concurrency,
        claim_lease: std::time::Duration::from_secs(o.claim_lease_secs),
        unknown_origin_limit: std::time::Duration::from_secs(o.unknown_origin_limit_secs),
    }
}

/// The bounds of the remaining numeric keys, and the sweep's schedule.
fn check_limits(raw: &RawConfig, problems: &mut Vec<String>) {
    if raw.pass_through_ms > 10_000 {
        problems.push(format!(
            "pass_through_ms: {} is more than 10000 (the sender waits for the whole relay)",
            raw.pass_through_ms
        ));
    }
    if !(1..=3650).contains(&raw.max_envelope_age_days) {
        problems.push(format!(
            "max_envelope_age_days: {} is not between 1 and 3650",
            raw.max_envelope_age_days
        ));
    }
    let t = &raw.transport;
    if t.max_handshakes == 0 {
        problems.push("transport.max_handshakes: must be at least 1".into());
    }
    if !(100..=120_000).contains(&t.handshake_timeout_ms) {
        problems.push(format!(
            "transport.handshake_timeout_ms: {} is not between 100 and 120000",
            t.handshake_timeout_ms
        ));
    }
    if tokio_cron_scheduler::Job::new_async(raw.sweep_schedule.as_str(), |_, _| Box::pin(async {}))
        .is_err()
    {
        problems.push(format!(
            "sweep_schedule: {:?} is not a six-field cron schedule (seconds first)",
            raw.sweep_schedule
        ));
    }
}

/// `[routes]`: destinations reached through a hub, and `"*"`, the default.
fn route_table(
    raw: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> (
    BTreeMap<ParticipantId, ParticipantId>,
    Option<ParticipantId>,
) {
    let mut routes = BTreeMap::new();
    let mut default_route = None;
    for (dest, via) in raw {
        if dest == "*" {
            match via.parse::<ParticipantId>() {
                Ok(v) if v.is_hub() => default_route = Some(v),
                Ok(v) => problems.push(format!("routes.\"*\": {v} is not a hub")),
                Err(e) => problems.push(format!("routes.\"*\": {e}")),
            }
            continue;
        }
        match (dest.parse::<ParticipantId>(), via.parse::<ParticipantId>()) {
            (Ok(d), Ok(v)) if v.is_hub() => {
                routes.insert(d, v);
            }
            (Ok(_), Ok(v)) => problems.push(format!("routes.{dest}: {v} is not a hub")),
            (Err(e), _) | (_, Err(e)) => problems.push(format!("routes.{dest}: {e}")),
        }
    }
    (routes, default_route)
}

/// PostgreSQL keeps 63 bytes of an `application_name`.
const REPLICA_NAME_MAX: usize = 63;

fn check_replica_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > REPLICA_NAME_MAX {
        return Err(format!(
            "{name:?} must be 1 to {REPLICA_NAME_MAX} characters"
        ));
    }
    if let Some(c) = name.chars().find(|c| !replica_name_char(*c)) {
        return Err(format!(
            "{name:?} has {c:?}: use letters, digits and . _ - : @"
        ));
    }
    Ok(())
}

fn replica_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '@')
}

/// "<participant>@<host name>": the same after a restart, so a replica is
/// recognised in `pg_stat_activity` and the metrics; the process id when
/// the host has no usable name.
fn default_replica_name(participant: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| {
            h.trim()
                .chars()
                .filter(|c| replica_name_char(*c))
                .collect::<String>()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| format!("pid{}", std::process::id()));
    let mut name = format!("{participant}@{host}");
    name.truncate(REPLICA_NAME_MAX);
    name
}

/// The switch-over to the next certificate must come while the current
/// one is valid: after it expires the node would present an expired
/// certificate, and a date beyond any certificate's life is a typo that
/// would otherwise surface as an overflow in a delivery.
fn check_switch_over(
    current: Option<&KeyedCert>,
    next: &KeyedCert,
    when: time::OffsetDateTime,
    problems: &mut Vec<String>,
) {
    let not_after = |k: &KeyedCert| crate::identity::pki::not_after(&k.cert_der().ok()?);
    let at = crate::clock::rfc3339(when);
    if let Some(expires) = current.and_then(not_after)
        && when > expires
    {
        problems.push(format!(
            "tls.switch_over_at: {at} is after tls.node_cert expires ({}); \
             switch over while the current certificate is valid",
            crate::clock::rfc3339(expires)
        ));
    }
    if let Some(expires) = not_after(next)
        && when >= expires
    {
        problems.push(format!(
            "tls.switch_over_at: {at} is not before tls.next_node_cert expires ({})",
            crate::clock::rfc3339(expires)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_name_is_checked_and_defaults_to_the_host() {
        assert!(check_replica_name("GHA-a").is_ok());
        assert!(check_replica_name("GHA@node-1.accra.example").is_ok());
        let e = check_replica_name("GHA a").unwrap_err();
        assert!(e.contains("' '"), "{e}");
        assert!(check_replica_name("").is_err());
        assert!(check_replica_name(&"x".repeat(64)).is_err());
        let d = default_replica_name("GHA");
        assert!(
            d.starts_with("GHA@") && check_replica_name(&d).is_ok(),
            "{d}"
        );
        assert_eq!(d, default_replica_name("GHA"), "the same at every start");
    }

    #[test]
    fn environment_overrides_set_nested_keys_with_their_types() {
        let mut table: toml::Table =
            toml::from_str("participant = \"GHA\"\n[deadlines]\nrespond_within_days = 21\n")
                .unwrap();
        let env = vec![
            (
                "ITI_NODE__DEADLINES__RESPOND_WITHIN_DAYS".to_string(),
                "28".to_string(),
            ),
            (
                "ITI_NODE__DATABASE_URL".to_string(),
                "postgres://db/iti".to_string(),
            ),
            // Other ITI_ variables are not configuration.
            ("ITI_TEST_BACKEND".to_string(), "postgres".to_string()),
        ];
        apply_env(&mut table, &env).unwrap();
        assert_eq!(
            table["deadlines"]["respond_within_days"].as_integer(),
            Some(28)
        );
        assert_eq!(table["database_url"].as_str(), Some("postgres://db/iti"));
        assert!(!table.contains_key("test_backend"));
    }
}
