//! The world's nodes as real `iti-node` processes on loopback: each
//! participant's CA, node certificate, sealing key, configuration and
//! database made by the sandbox (with the code `itictl ca init`, `cert
//! issue`, `peer export` and `directory sign` use), started, peered with
//! `AddPeer` (`itictl peer add`), and its signed directory entry published
//! with `PublishDirectoryEntry` (`itictl directory publish`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use iti_node::clock::SystemClock;
use iti_node::identity::Role;
use iti_node::sandbox::{MemberOptions, Sandbox, default_points_of_contact};
use iti_node::store::Durability;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use tokio::task::JoinSet;
use tonic::transport::Channel;

use super::topology::{Kind, Topology};
use crate::bench::{local_client, pin};
use crate::p;
use crate::process::{NodeProcess, keep_ports, node_binary, pss_kb, rss_anon_kb, rss_kb};

/// One participant's node.
pub struct WorldNode {
    pub id: String,
    pub kind: Kind,
    /// None while the node is stopped.
    pub process: Option<NodeProcess>,
    pub federation: SocketAddr,
    pub local: SocketAddr,
    pub config: PathBuf,
    pub database_url: String,
}

pub struct World {
    pub topology: Topology,
    pub sandbox: Sandbox,
    /// The file every node's clock reads its offset from, when the world
    /// runs on simulated time.
    clock_offset: Option<PathBuf>,
    pub nodes: BTreeMap<String, WorldNode>,
    admins: BTreeMap<String, LocalClient<Channel>>,
    pocs: BTreeMap<String, LocalClient<Channel>>,
}

/// The resident memory of one node process.
#[derive(Debug, Clone)]
pub struct Memory {
    pub id: String,
    pub kind: Kind,
    pub rss_kb: u64,
    pub anon_kb: u64,
    /// Proportional: shared pages split among the processes sharing them.
    pub pss_kb: u64,
}

/// When each participant's directory held every participant, from the
/// moment the entries were published.
#[derive(Debug, Default)]
pub struct Convergence {
    pub at: BTreeMap<String, Duration>,
    /// Participants whose directory still lacked someone at the time
    /// limit, with what they lacked.
    pub lacking: BTreeMap<String, Vec<String>>,
}

/// A job of [`bounded`].
type Job<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

/// Runs `jobs`, `parallel` at a time; their results in their order.
async fn bounded<T: Send + 'static>(parallel: usize, jobs: Vec<Job<T>>) -> Vec<T> {
    let permits = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut set = JoinSet::new();
    for (i, job) in jobs.into_iter().enumerate() {
        let permits = permits.clone();
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (i, job.await)
        });
    }
    let mut out: Vec<(usize, T)> = Vec::new();
    while let Some(done) = set.join_next().await {
        if let Ok(v) = done {
            out.push(v);
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, v)| v).collect()
}

/// The participants whose entries a node's database holds, read beside the
/// running node on a read-only connection kept open between polls (cheaper
/// than asking 200 nodes for their whole directory every poll).
async fn directory_in_database(
    conn: &mut Option<sqlx::SqliteConnection>,
    url: &str,
) -> anyhow::Result<BTreeSet<String>> {
    use sqlx::Connection;
    if conn.is_none() {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?.read_only(true);
        *conn = Some(sqlx::SqliteConnection::connect_with(&options).await?);
    }
    let Some(c) = conn.as_mut() else {
        unreachable!()
    };
    let rows: Vec<String> = sqlx::query_scalar("SELECT participant FROM directory")
        .fetch_all(c)
        .await?;
    Ok(rows.into_iter().collect())
}

impl World {
    /// Makes every participant's PKI, configuration and folder (nothing runs
    /// yet).
    ///
    /// With `simulated_time`, every node's clock reads one offset file
    /// ([`World::advance_clock`]).
    pub fn create(
        topology: Topology,
        durability: Durability,
        simulated_time: bool,
    ) -> anyhow::Result<World> {
        let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
        let clock_offset = simulated_time.then(|| sandbox.root.join("clock-offset"));
        if let Some(file) = &clock_offset {
            std::fs::write(file, "0\n")?;
        }
        for (id, kind) in topology.participants() {
            sandbox.add(
                &id,
                MemberOptions {
                    hub: kind != Kind::State,
                    routes: topology.routes(&id),
                    durability: Some(durability),
                    simulated_clock_offset_file: clock_offset.clone(),
                    ..Default::default()
                },
            )?;
            sandbox.officer_cert(&p(&id), Role::Admin)?;
            if kind == Kind::State {
                sandbox.officer_cert(&p(&id), Role::Poc)?;
            }
        }
        Ok(World {
            topology,
            sandbox,
            clock_offset,
            nodes: BTreeMap::new(),
            admins: BTreeMap::new(),
            pocs: BTreeMap::new(),
        })
    }

    pub fn root(&self) -> PathBuf {
        self.sandbox.root.clone()
    }

    fn config_of(&self, id: &str) -> anyhow::Result<PathBuf> {
        Ok(self.sandbox.member(&p(id))?.config_path.clone())
    }

    /// Starts these participants' processes, `parallel` at a time; each is
    /// ready when it prints its ready line. Its ports are then written into
    /// its configuration, so that a restart comes back on them.
    pub async fn start(&mut self, ids: &[String], parallel: usize) -> anyhow::Result<()> {
        let binary = node_binary();
        let mut jobs: Vec<Job<_>> = Vec::new();
        for id in ids {
            let config = self.config_of(id)?;
            let binary = binary.clone();
            let id = id.clone();
            jobs.push(Box::pin(async move {
                let started = NodeProcess::spawn(&binary, &config)
                    .await
                    .with_context(|| format!("starting {id}"));
                (id, config, started)
            }));
        }
        let mut first_error = None;
        for (id, config, started) in bounded(parallel, jobs).await {
            let process = match started {
                Ok(process) => process,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            keep_ports(&config, process.federation, process.local)?;
            let loaded = iti_node::config::load(&config, &[])
                .map_err(|e| anyhow!("{}: {e}", config.display()))?;
            let kind = self.topology.kind(&id);
            let admin = local_client(&mut self.sandbox, &id, Role::Admin, &process)?;
            self.admins.insert(id.clone(), admin);
            if kind == Kind::State {
                let poc = local_client(&mut self.sandbox, &id, Role::Poc, &process)?;
                self.pocs.insert(id.clone(), poc);
            }
            self.nodes.insert(
                id.clone(),
                WorldNode {
                    id,
                    kind,
                    federation: process.federation,
                    local: process.local,
                    process: Some(process),
                    config,
                    database_url: loaded.database_url,
                },
            );
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every participant of the topology.
    pub async fn start_all(&mut self, parallel: usize) -> anyhow::Result<()> {
        let all: Vec<String> = self
            .topology
            .participants()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        self.start(&all, parallel).await
    }

    pub fn admin(&self, id: &str) -> anyhow::Result<LocalClient<Channel>> {
        self.admins
            .get(id)
            .cloned()
            .ok_or_else(|| anyhow!("{id} has no admin client (not started?)"))
    }

    /// The point of contact of a state.
    pub fn poc(&self, id: &str) -> anyhow::Result<LocalClient<Channel>> {
        self.pocs
            .get(id)
            .cloned()
            .ok_or_else(|| anyhow!("{id} has no point of contact client (not started?)"))
    }

    fn endpoint(&self, id: &str) -> anyhow::Result<String> {
        Ok(self
            .nodes
            .get(id)
            .ok_or_else(|| anyhow!("{id} has not been started"))?
            .federation
            .to_string())
    }

    /// The peer card `itictl peer export` writes for `id`, with what it
    /// serves.
    pub fn card(&self, id: &str) -> anyhow::Result<pb::PeerCard> {
        let serves = self.topology.serves(id);
        let serves: Vec<&str> = serves.iter().map(String::as_str).collect();
        self.sandbox.card_at(&p(id), &self.endpoint(id)?, &serves)
    }

    /// Every peering of the topology, as each admin would add the other's
    /// card; `parallel` nodes at a time, each its pins one after the other.
    /// Returns how many pins were made.
    pub async fn peer_all(&self, parallel: usize) -> anyhow::Result<usize> {
        let mut by_pinner: BTreeMap<String, Vec<pb::PeerCard>> = BTreeMap::new();
        for (a, b) in self.topology.peerings() {
            by_pinner.entry(a).or_default().push(self.card(&b)?);
        }
        let total = by_pinner.values().map(Vec::len).sum();
        let mut jobs: Vec<Job<_>> = Vec::new();
        for (a, cards) in by_pinner {
            let mut admin = self.admin(&a)?;
            jobs.push(Box::pin(async move {
                for card in cards {
                    pin(&mut admin, card)
                        .await
                        .map_err(|e| anyhow!("{a}: {e}"))?;
                }
                Ok::<_, anyhow::Error>(())
            }));
        }
        for outcome in bounded(parallel, jobs).await {
            outcome?;
        }
        Ok(total)
    }

    /// Each participant signs its directory entry with its CA key (as
    /// `itictl directory sign`) and publishes it on its node (`itictl
    /// directory publish`), which announces it to its peers.
    pub async fn publish_all(&self, parallel: usize) -> anyhow::Result<()> {
        let mut jobs: Vec<Job<_>> = Vec::new();
        for (id, _) in self.topology.participants() {
            let serves = self.topology.serves(&id);
            let serves: Vec<&str> = serves.iter().map(String::as_str).collect();
            let who = p(&id);
            let signed = self.sandbox.signed_entry_at(
                &who,
                &self.endpoint(&id)?,
                &serves,
                1,
                default_points_of_contact(&who),
            )?;
            let mut admin = self.admin(&id)?;
            jobs.push(Box::pin(async move {
                admin
                    .publish_directory_entry(signed)
                    .await
                    .map_err(|e| anyhow!("{id} publishing its entry: {}", e.message()))?;
                Ok::<_, anyhow::Error>(())
            }));
        }
        for outcome in bounded(parallel, jobs).await {
            outcome?;
        }
        Ok(())
    }

    /// Polls every node's directory until each holds every participant, or
    /// until `limit`; times are from `since`.
    pub async fn await_convergence(&self, since: Instant, limit: Duration) -> Convergence {
        let everyone: BTreeSet<String> = self
            .topology
            .participants()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut result = Convergence::default();
        let mut waiting: Vec<(String, String, Option<sqlx::SqliteConnection>)> = self
            .nodes
            .values()
            .map(|n| (n.id.clone(), n.database_url.clone(), None))
            .collect();
        loop {
            let mut still = Vec::new();
            for (id, url, mut conn) in waiting {
                let held = directory_in_database(&mut conn, &url)
                    .await
                    .unwrap_or_default();
                let lacking: Vec<String> = everyone.difference(&held).cloned().collect();
                if lacking.is_empty() {
                    result.lacking.remove(&id);
                    result.at.insert(id, since.elapsed());
                    if let Some(c) = conn {
                        use sqlx::Connection;
                        let _ = c.close().await;
                    }
                } else {
                    result.lacking.insert(id.clone(), lacking);
                    still.push((id, url, conn));
                }
            }
            waiting = still;
            if waiting.is_empty() || since.elapsed() >= limit {
                return result;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Asks every state's node for its directory over the local API (`itictl
    /// directory`): the participants each lacks (empty when all converged).
    pub async fn directory_lacking(&self) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
        let everyone: BTreeSet<String> = self
            .topology
            .participants()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut jobs: Vec<Job<_>> = Vec::new();
        for id in &self.topology.states {
            let mut admin = self.admin(id)?;
            let id = id.clone();
            let everyone = everyone.clone();
            jobs.push(Box::pin(async move {
                let view = admin
                    .get_directory(pb::GetDirectoryRequest::default())
                    .await
                    .map_err(|e| anyhow!("{id}: directory: {}", e.message()))?
                    .into_inner();
                let held: BTreeSet<String> = view
                    .entries
                    .into_iter()
                    .filter_map(|e| e.entry.map(|e| e.participant))
                    .collect();
                let lacking: Vec<String> = everyone.difference(&held).cloned().collect();
                Ok::<_, anyhow::Error>((id, lacking))
            }));
        }
        let mut out = BTreeMap::new();
        for outcome in bounded(4, jobs).await {
            let (id, lacking) = outcome?;
            if !lacking.is_empty() {
                out.insert(id, lacking);
            }
        }
        Ok(out)
    }

    /// The resident memory of every running node process.
    pub fn memory(&self) -> Vec<Memory> {
        self.nodes
            .values()
            .filter_map(|n| {
                let pid = n.process.as_ref()?.pid()?;
                Some(Memory {
                    id: n.id.clone(),
                    kind: n.kind,
                    rss_kb: rss_kb(pid)?,
                    anon_kb: rss_anon_kb(pid).unwrap_or(0),
                    pss_kb: pss_kb(pid).unwrap_or(0),
                })
            })
            .collect()
    }

    /// CPU time every node process has used so far, summed.
    pub fn cpu_total(&self) -> Duration {
        self.nodes
            .values()
            .filter_map(|n| n.process.as_ref()?.pid())
            .filter_map(crate::process::cpu_time)
            .sum()
    }

    /// Kills these nodes at once (SIGKILL), as a power cut would.
    pub async fn kill(&mut self, ids: &[String]) -> anyhow::Result<()> {
        for id in ids {
            let node = self
                .nodes
                .get_mut(id)
                .ok_or_else(|| anyhow!("no node {id}"))?;
            if let Some(mut process) = node.process.take() {
                process.kill9().await?;
            }
            self.admins.remove(id);
            self.pocs.remove(id);
        }
        Ok(())
    }

    /// Moves every node's clock `by` further ahead (running nodes within a
    /// tenth of a second; stopped ones as they start). Written whole, then
    /// renamed, so that no node reads half a number.
    pub fn advance_clock(&self, by: Duration) -> anyhow::Result<()> {
        let file = self
            .clock_offset
            .as_ref()
            .ok_or_else(|| anyhow!("this world runs on the wall clock"))?;
        let now: u64 = std::fs::read_to_string(file)?.trim().parse()?;
        let next = file.with_extension("next");
        std::fs::write(&next, format!("{}\n", now + by.as_secs()))?;
        std::fs::rename(&next, file)?;
        Ok(())
    }

    /// Starts stopped nodes again on their data and ports.
    pub async fn restart(&mut self, ids: &[String], parallel: usize) -> anyhow::Result<()> {
        self.start(ids, parallel).await
    }

    /// Stops every node (SIGTERM, then waits).
    pub async fn stop_all(&mut self) {
        let mut set = JoinSet::new();
        for node in self.nodes.values_mut() {
            if let Some(mut process) = node.process.take() {
                set.spawn(async move {
                    let _ = process.stop().await;
                });
            }
        }
        while set.join_next().await.is_some() {}
    }
}
