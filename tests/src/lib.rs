//! The federation test harness. A `Federation` is an `iti_node::sandbox`
//! with the helpers scenarios need: officers of each state as gRPC clients,
//! realistic request and response fixtures, and a shared manual clock so
//! that three weeks pass in a call, never in a sleep.
//!
//! Layout: `fixtures` (requests and responses of ISACS 05.31 shape),
//! `Federation` (start, peer, act as officers, wait for deliveries),
//! officer calls scenarios repeat (`act`, `trace_view`, `summary`),
//! `process` (nodes as OS processes, for fault tests and the benchmark),
//! `replicas` (several processes of one state on one PostgreSQL database),
//! `proxy` (a TCP fault proxy), `records_gen` (synthetic national records),
//! `scrape_metrics` (a minimal HTTP client for `/metrics`), `logs` (every
//! tracing event of the process, in memory), `console` (an HTTPS client of
//! the web console, presenting an officer's certificate, as a browser does),
//! `bench` (what the benchmarks share), `world` (the whole world on one
//! machine: 193 states, hubs and a broker as processes).

pub mod bench;
pub mod console;
pub mod process;
pub mod records_gen;
pub mod replicas;
pub mod world;

pub use iti_node::demo::fixtures;
pub mod logs;
pub mod proxy;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::anyhow;
use iti_node::clock::ManualClock;
use iti_node::i18n::Lang;
use iti_node::identity::Role;
use iti_node::ids::ParticipantId;
use iti_node::sandbox::{MemberOptions, Sandbox};
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_proto::v1::records_client::RecordsClient;
use tonic::transport::Channel;

pub use iti_node;

/// One number from a node's database, SQLite or PostgreSQL (for checking
/// what a node keeps).
pub async fn db_scalar(node: &iti_node::service::Node, sql: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(node.store.pool())
        .await?)
}

/// A column of blobs from a node's database.
pub async fn db_blobs(node: &iti_node::service::Node, sql: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(node.store.pool())
        .await?)
}

/// A column of text from a node's database (what a node keeps, read
/// directly: event details, audit entries).
pub async fn db_texts(node: &iti_node::service::Node, sql: &str) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(node.store.pool())
        .await?)
}

/// Every outbox item of the officer's node, delivered ones included, page
/// after page.
pub async fn outbox_items(
    officer: &mut LocalClient<Channel>,
) -> anyhow::Result<Vec<pb::OutboxItem>> {
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let page = officer
            .outbox(pb::OutboxRequest {
                include_delivered: true,
                page: Some(pb::PageRequest { size: 0, token }),
            })
            .await?
            .into_inner();
        items.extend(page.items);
        if page.next_page_token.is_empty() {
            return Ok(items);
        }
        token = page.next_page_token;
    }
}

/// Parses a participant id in tests.
pub fn p(s: &str) -> ParticipantId {
    s.parse().expect("participant id")
}

/// How long a wait polls before it gives up. A safety net, not a measure of
/// speed: a loaded CI machine on PostgreSQL takes several seconds where an
/// idle one takes milliseconds.
const WAIT_LIMIT: Duration = Duration::from_secs(60);

pub struct Federation {
    pub sandbox: Sandbox,
    pub clock: Arc<ManualClock>,
    /// How far the clock moves at each poll of a wait, in milliseconds; 0
    /// while it stands still (see [`Federation::let_time_run`]).
    running_ms: AtomicI64,
}

impl Federation {
    /// States (no hubs), started and all peered with each other.
    pub async fn of_states(codes: &[&str]) -> anyhow::Result<Federation> {
        let members: Vec<(&str, MemberOptions)> = codes
            .iter()
            .map(|c| (*c, MemberOptions::default()))
            .collect();
        Federation::of_members(&members).await
    }

    /// Like `of_states`, with each member's options (a 10.2 policy of
    /// "queue", say).
    pub async fn of_members(members: &[(&str, MemberOptions)]) -> anyhow::Result<Federation> {
        let mut f = Federation::empty()?;
        for (code, opts) in members {
            f.add(code, opts.clone())?;
        }
        f.sandbox.start_all().await?;
        for (i, (a, _)) in members.iter().enumerate() {
            for (b, _) in &members[i + 1..] {
                f.sandbox.peer(&p(a), &p(b)).await?;
            }
        }
        Ok(f)
    }

    pub fn empty() -> anyhow::Result<Federation> {
        let clock = ManualClock::starting_now();
        Ok(Federation {
            sandbox: Sandbox::create(clock.clone())?,
            clock,
            running_ms: AtomicI64::new(0),
        })
    }

    pub fn add(&mut self, participant: &str, opts: MemberOptions) -> anyhow::Result<ParticipantId> {
        self.sandbox.add(participant, opts)
    }

    pub async fn start(&mut self, participant: &str) -> anyhow::Result<()> {
        self.sandbox.start(&p(participant)).await
    }

    pub async fn restart(&mut self, participant: &str) -> anyhow::Result<()> {
        self.sandbox.stop(&p(participant)).await?;
        self.sandbox.start(&p(participant)).await
    }

    /// The point of contact of a participant, or another role.
    pub fn officer(
        &mut self,
        participant: &str,
        role: Role,
    ) -> anyhow::Result<LocalClient<Channel>> {
        self.sandbox.officer(&p(participant), role)
    }

    pub fn poc(&mut self, participant: &str) -> anyhow::Result<LocalClient<Channel>> {
        self.officer(participant, Role::Poc)
    }

    pub fn node(&self, participant: &str) -> anyhow::Result<&Arc<iti_node::service::Node>> {
        self.sandbox.node(&p(participant))
    }

    /// Where `participant`'s federation port listens.
    pub fn federation_addr(&self, participant: &str) -> anyhow::Result<std::net::SocketAddr> {
        Ok(self
            .sandbox
            .member(&p(participant))?
            .running
            .as_ref()
            .ok_or_else(|| anyhow!("{participant} is not running"))?
            .federation_addr)
    }

    /// The national records service as `participant`'s point of contact.
    pub fn records(&mut self, participant: &str) -> anyhow::Result<RecordsClient<Channel>> {
        let dir = self.sandbox.officer_dir(&p(participant), Role::Poc)?;
        Ok(RecordsClient::new(
            self.sandbox.channel_as(&p(participant), &dir)?,
        ))
    }

    /// The national records service as a point of contact of its own name
    /// (one of several, 5.1).
    pub fn records_as(
        &mut self,
        participant: &str,
        name: &str,
    ) -> anyhow::Result<RecordsClient<Channel>> {
        let dir = self
            .sandbox
            .named_officer_dir(&p(participant), Role::Poc, name)?;
        Ok(RecordsClient::new(
            self.sandbox.channel_as(&p(participant), &dir)?,
        ))
    }

    /// Runs `itictl` in this process against `participant`'s node as its
    /// point of contact (or the named one): its output, or its error as text.
    /// In English, whatever the locale of the machine running the tests.
    pub async fn itictl(
        &mut self,
        participant: &str,
        officer: Option<&str>,
        args: &[&str],
    ) -> Result<String, String> {
        self.itictl_in_locale(participant, officer, &[], args).await
    }

    /// `itictl` as above, in a POSIX locale: `env` holds the variables an
    /// officer's shell would set (`[("LANG", "fr_FR.UTF-8")]`).
    pub async fn itictl_in_locale(
        &mut self,
        participant: &str,
        officer: Option<&str>,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Result<String, String> {
        let locale = Lang::from_posix(|var| {
            env.iter()
                .find(|(name, _)| *name == var)
                .map(|(_, value)| value.to_string())
        });
        let dir = match officer {
            Some(name) => self
                .sandbox
                .named_officer_dir(&p(participant), Role::Poc, name),
            None => self.sandbox.officer_dir(&p(participant), Role::Poc),
        }
        .map_err(|e| e.to_string())?;
        let addr = self
            .sandbox
            .local_addr(&p(participant))
            .map_err(|e| e.to_string())?;
        let mut argv = vec![
            "itictl".to_string(),
            "--node".into(),
            addr,
            "--identity".into(),
            dir.display().to_string(),
        ];
        argv.extend(args.iter().map(|a| a.to_string()));
        let mut out = Vec::new();
        itictl::run(argv, locale, &mut out)
            .await
            .map(|()| String::from_utf8_lossy(&out).into_owned())
            .map_err(|e| e.to_string())
    }

    /// The database URL a member's node uses (PostgreSQL when the suite runs
    /// on it), or `None` for the SQLite file of its configuration.
    /// A connection to a stopped node's database (SQLite or PostgreSQL), as
    /// someone with access to the disk or the database server would open it.
    pub async fn open_database(&self, participant: &str) -> anyhow::Result<sqlx::AnyConnection> {
        use sqlx::Connection;
        let config =
            iti_node::config::load(&self.sandbox.member(&p(participant))?.config_path, &[])
                .map_err(|e| anyhow!("{e}"))?;
        let url = self
            .database_url(participant)
            .unwrap_or(config.database_url);
        sqlx::any::install_default_drivers();
        Ok(sqlx::AnyConnection::connect(&url).await?)
    }

    pub fn database_url(&self, participant: &str) -> Option<String> {
        self.sandbox
            .member(&p(participant))
            .ok()?
            .postgres
            .as_ref()
            .map(|db| db.url().to_string())
    }

    /// Advances the shared clock.
    pub fn advance(&self, by: time::Duration) {
        self.clock.advance(by);
    }

    /// From now on the clock moves on by `step` at every poll of a wait, as
    /// time passes for real while a network heals. Needed where a retry is
    /// scheduled from a moment the test cannot pin down: an attempt that
    /// failed just before a link was healed may be recorded after the test
    /// last moved the clock, and on a clock that stands still it would never
    /// fall due.
    pub fn let_time_run(&self, step: time::Duration) {
        let ms = i64::try_from(step.whole_milliseconds()).unwrap_or(i64::MAX);
        self.running_ms.store(ms.max(0), Ordering::SeqCst);
    }

    /// One poll's worth of time (if it runs), then every outbox woken.
    fn tick(&self) {
        let ms = self.running_ms.load(Ordering::SeqCst);
        if ms > 0 {
            self.clock.advance(time::Duration::milliseconds(ms));
        }
        self.nudge();
    }

    /// Waits until `check` holds, polling the nodes' state (deliveries run in
    /// background tasks). Fails after [`WAIT_LIMIT`] with `what`.
    pub async fn until<F, Fut>(&self, what: &str, mut check: F) -> anyhow::Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<bool>>,
    {
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        loop {
            if check().await? {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                let outboxes = self.outbox_report().await;
                return Err(anyhow!("timed out waiting until {what}; {outboxes}"));
            }
            self.tick();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until `participant` has a trace `trace_id` in `state`.
    pub async fn until_state(
        &mut self,
        participant: &str,
        trace_id: &str,
        state: &str,
    ) -> anyhow::Result<pb::TraceSummary> {
        let mut poc = self.poc(participant)?;
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        loop {
            let list = poc
                .list_traces(pb::ListTracesRequest {
                    inbox: false,
                    include_closed: true,
                    page: None,
                })
                .await?
                .into_inner();
            let found = list.traces.into_iter().find(|t| t.trace_id == trace_id);
            match found {
                Some(t) if t.state == state => return Ok(t),
                other if tokio::time::Instant::now() > deadline => {
                    return Err(anyhow!(
                        "timed out waiting for {participant} to see trace {trace_id} {state}; last seen: {}; {}",
                        other.map(|t| t.state).unwrap_or_else(|| "absent".into()),
                        self.outbox_report().await
                    ));
                }
                _ => {}
            }
            self.tick();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// For a wait that gave up: each running node's pending envelopes, and
    /// how many of them wait for a time the clock has not reached (a retry
    /// that a clock standing still never brings).
    async fn outbox_report(&self) -> String {
        use iti_node::store::outbox::{self, OutboxState};
        let now = iti_node::clock::Clock::now(self.clock.as_ref());
        let mut report = Vec::new();
        for (participant, member) in &self.sandbox.members {
            let Some(running) = &member.running else {
                continue;
            };
            report.push(
                match outbox::list(running.node.store.pool(), false, 0, i64::MAX).await {
                    Ok(rows) => {
                        let pending: Vec<_> = rows
                            .iter()
                            .filter(|r| r.state == OutboxState::Pending)
                            .collect();
                        let later = pending.iter().filter(|r| r.next_attempt_at > now).count();
                        // Each pending envelope's attempts, when it is due
                        // against the test's clock, and why its last attempt
                        // failed: what a CI failure needs to be understood.
                        let details: Vec<String> = pending
                            .iter()
                            .map(|r| {
                                format!(
                                    "[{} attempts, due in {} ms, last error: {}]",
                                    r.attempts,
                                    (r.next_attempt_at - now).whole_milliseconds(),
                                    r.last_error.as_deref().unwrap_or("none")
                                )
                            })
                            .collect();
                        format!(
                            "{participant}: {} pending, {later} not yet due {}",
                            pending.len(),
                            details.join(" ")
                        )
                    }
                    Err(e) => format!("{participant}: outbox unreadable ({e})"),
                },
            );
        }
        format!("outboxes: {}", report.join(", "))
    }

    /// Wakes every outbox (after the clock moved, say).
    pub fn nudge(&self) {
        for m in self.sandbox.members.values() {
            if let Some(r) = &m.running {
                r.node.outbox_wake.notify_one();
            }
        }
    }

    pub async fn shutdown(mut self) {
        self.sandbox.stop_all().await;
    }
}

/// One officer action on a trace (`Act`), without confirming restrictions
/// the requester declared it cannot honour. The status is returned as is so
/// that a scenario can assert on a refusal's code and message.
pub async fn act(
    officer: &mut LocalClient<Channel>,
    trace_id: &str,
    action: pb::act_request::Action,
) -> Result<pb::ActReply, tonic::Status> {
    officer
        .act(pb::ActRequest {
            trace_id: trace_id.to_string(),
            action: Some(action),
            confirm_despite_declared_restrictions: false,
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Submits `request` as the officer (duplicates allowed: a scenario may
/// send one weapon twice) and returns its trace id.
pub async fn submit(
    officer: &mut LocalClient<Channel>,
    request: pb::TraceRequest,
) -> anyhow::Result<String> {
    Ok(officer
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: true,
        })
        .await?
        .into_inner()
        .trace_id)
}

/// One trace of a case as the officer sees it in `ShowCase`: its summary,
/// its event history and its messages.
pub async fn trace_view(
    officer: &mut LocalClient<Channel>,
    trace_id: &str,
) -> anyhow::Result<pb::TraceView> {
    let case = officer
        .show_case(pb::ShowCaseRequest {
            id: trace_id.to_string(),
            ..Default::default()
        })
        .await?
        .into_inner();
    case.traces
        .into_iter()
        .find(|t| t.summary.as_ref().is_some_and(|s| s.trace_id == trace_id))
        .ok_or_else(|| anyhow!("trace {trace_id} is not in its own case"))
}

/// The summary of a trace in `ListTraces` (closed ones included), if the
/// node has it.
pub async fn summary(
    officer: &mut LocalClient<Channel>,
    trace_id: &str,
) -> anyhow::Result<Option<pb::TraceSummary>> {
    let list = officer
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner();
    Ok(list.traces.into_iter().find(|t| t.trace_id == trace_id))
}

/// `GET /metrics` over plain HTTP/1.1: the status code and the body.
pub async fn scrape_metrics(addr: std::net::SocketAddr) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut raw)).await??;
    let text = String::from_utf8(raw)?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow!("no end of headers in the metrics reply"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| anyhow!("no status in the metrics reply: {head}"))?;
    Ok((status, body.to_string()))
}

/// The value of one series (`name{labels}` exactly as exposed) in a
/// Prometheus text exposition.
pub fn metric_value(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?;
        rest.strip_prefix(' ')?.trim().parse().ok()
    })
}

/// GHA and NGA are members of hub:ECOWAS; hub:ECOWAS reaches BEL through
/// the broker hub:INTERPOL. Nobody is peered with anyone but their hub(s):
/// the states know each other only from the hubs' word (unconfirmed).
pub async fn regional(with_broker_route: bool) -> anyhow::Result<Federation> {
    let mut f = Federation::empty()?;
    f.add("GHA", via("hub:ECOWAS"))?;
    f.add("NGA", via("hub:ECOWAS"))?;
    f.add("BEL", via("hub:INTERPOL"))?;
    f.add(
        "hub:ECOWAS",
        MemberOptions {
            hub: true,
            routes: if with_broker_route {
                vec![("*".into(), "hub:INTERPOL".into())]
            } else {
                vec![]
            },
            ..Default::default()
        },
    )?;
    f.add(
        "hub:INTERPOL",
        MemberOptions {
            hub: true,
            ..Default::default()
        },
    )?;
    f.sandbox.start_all().await?;
    let s = &f.sandbox;
    for m in ["GHA", "NGA"] {
        s.pin(&p(m), &p("hub:ECOWAS"), &[]).await?;
        s.pin(&p("hub:ECOWAS"), &p(m), &[]).await?;
    }
    s.pin(&p("BEL"), &p("hub:INTERPOL"), &[]).await?;
    s.pin(&p("hub:INTERPOL"), &p("BEL"), &[]).await?;
    s.pin(&p("hub:ECOWAS"), &p("hub:INTERPOL"), &["BEL"])
        .await?;
    s.pin(&p("hub:INTERPOL"), &p("hub:ECOWAS"), &["GHA", "NGA"])
        .await?;
    // Everyone publishes a signed entry; hubs gather their members', then
    // each other's; members fetch from their hubs.
    for (who, serves) in [
        ("GHA", vec![]),
        ("NGA", vec![]),
        ("BEL", vec![]),
        ("hub:ECOWAS", vec!["GHA", "NGA"]),
        ("hub:INTERPOL", vec!["BEL"]),
    ] {
        s.publish_directory_entry(&p(who), &serves, 1).await?;
    }
    for who in [
        "hub:ECOWAS",
        "hub:INTERPOL",
        "hub:ECOWAS",
        "GHA",
        "NGA",
        "BEL",
    ] {
        let r = f.node(who)?.refresh_directory().await?;
        assert!(r.rejected.is_empty(), "{who}: {:?}", r.rejected);
    }
    Ok(f)
}

/// `members` reach each other only through hub:ECOWAS (those named in
/// `with_console` have a console): the directory is learned, sealing keys
/// included, and the states' admins confirmed each other's CAs (the hub
/// only introduced them). Time runs while the test waits, so that a
/// delivery retried after a backoff goes (README, Testing).
pub async fn one_hub(members: &[&str], with_console: &[&str]) -> anyhow::Result<Federation> {
    one_hub_with(members, |m| MemberOptions {
        console: with_console.contains(&m),
        ..MemberOptions::default()
    })
    .await
}

/// `one_hub`, each member started with `options(member)`, routed to the hub.
pub async fn one_hub_with(
    members: &[&str],
    options: impl Fn(&str) -> MemberOptions,
) -> anyhow::Result<Federation> {
    const HUB: &str = "hub:ECOWAS";
    let mut f = Federation::empty()?;
    for m in members {
        let options = MemberOptions {
            routes: via(HUB).routes,
            ..options(m)
        };
        f.add(m, options)?;
    }
    f.add(
        HUB,
        MemberOptions {
            hub: true,
            ..MemberOptions::default()
        },
    )?;
    f.sandbox.start_all().await?;
    for m in members {
        f.sandbox.pin(&p(m), &p(HUB), &[]).await?;
        f.sandbox.pin(&p(HUB), &p(m), &[]).await?;
        f.sandbox.publish_directory_entry(&p(m), &[], 1).await?;
    }
    f.sandbox
        .publish_directory_entry(&p(HUB), members, 1)
        .await?;
    for who in std::iter::once(HUB).chain(members.iter().copied()) {
        let r = f.node(who)?.refresh_directory().await?;
        anyhow::ensure!(r.rejected.is_empty(), "{who}: {:?}", r.rejected);
    }
    f.confirm_each_other(members).await?;
    f.let_time_run(time::Duration::milliseconds(250));
    for a in members {
        for b in members.iter().filter(|b| *b != a) {
            anyhow::ensure!(
                !f.node(a)?.peering.is_peer(&p(b)),
                "{a} and {b} are peers: the test needs them to meet only through the hub"
            );
        }
    }
    Ok(f)
}

fn via(hub: &str) -> MemberOptions {
    MemberOptions {
        routes: vec![("*".into(), hub.into())],
        ..Default::default()
    }
}

impl Federation {
    /// Each state's admin confirms every other state's CA fingerprint, as
    /// read over the phone (`itictl peer confirm`).
    pub async fn confirm_each_other(&self, states: &[&str]) -> anyhow::Result<()> {
        for a in states {
            for b in states.iter().filter(|b| *b != a) {
                self.sandbox.confirm(&p(a), &p(b)).await?;
            }
        }
        Ok(())
    }
}

/// A client of `to`'s federation port that authenticates with the node
/// certificate of `as_`, exactly as `as_`'s outbox does.
pub fn federation_port(
    f: &Federation,
    as_: &str,
    to: &str,
) -> anyhow::Result<iti_proto::v1::federation_client::FederationClient<Channel>> {
    let caller = f.sandbox.member(&p(as_))?;
    let endpoint = f.federation_addr(to)?;
    let config = iti_node::identity::tls::client_config(
        &iti_node::identity::Credentials::single(caller.node_cert.clone()),
        caller.node()?.trust.clone(),
        f.sandbox.clock.clone(),
        Some(p(to)),
    )?;
    let channel =
        iti_node::identity::tls::channel(&endpoint.to_string(), config, Duration::from_secs(10))
            .map_err(|e| anyhow!(e))?;
    Ok(iti_proto::v1::federation_client::FederationClient::new(
        channel,
    ))
}
