//! Several `iti-node` processes of one state sharing one PostgreSQL database,
//! as an operator runs them behind a load balancer: each can be killed with
//! SIGKILL and started again (on new ports) while the others go on. For the
//! soak and failover tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow};
use iti_node::identity::pki::KeyedCert;
use iti_node::identity::tls;
use iti_node::sandbox::Sandbox;
use iti_proto::v1::local_client::LocalClient;
use tonic::transport::Channel;

use crate::p;
use crate::process::{NodeProcess, node_binary};

pub type Client = LocalClient<Channel>;

/// One replica: its configuration file and, while it runs, its process.
#[derive(Debug)]
pub struct Replica {
    pub name: String,
    pub config: PathBuf,
    pub process: Option<NodeProcess>,
}

impl Replica {
    /// Starts the replica and waits for its ready line.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let process = NodeProcess::spawn(&node_binary(), &self.config)
            .await
            .with_context(|| format!("starting replica {}", self.name))?;
        self.process = Some(process);
        Ok(())
    }

    /// Kills the process at once (SIGKILL).
    pub async fn kill9(&mut self) -> anyhow::Result<()> {
        if let Some(mut process) = self.process.take() {
            process.kill9().await?;
        }
        Ok(())
    }

    /// Stops the process gracefully (SIGTERM).
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut process) = self.process.take() {
            process.stop().await?;
        }
        Ok(())
    }

    pub fn local(&self) -> Option<SocketAddr> {
        self.process.as_ref().map(|p| p.local)
    }

    pub fn federation(&self) -> Option<SocketAddr> {
        self.process.as_ref().map(|p| p.federation)
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(NodeProcess::pid)
    }
}

/// Configuration files for `names.len()` replicas of `participant`, beside
/// its own, all on `database_url`, with `outbox` replacing the sandbox's
/// `[outbox]` settings (a short claim lease, say). `extra` goes to the top
/// level of each file, where `{name}` stands for the replica's name.
pub fn replica_configs(
    sandbox: &Sandbox,
    participant: &str,
    database_url: &str,
    outbox: &str,
    extra: &str,
    names: &[&str],
) -> anyhow::Result<Vec<Replica>> {
    let base = sandbox.member(&p(participant))?.config_path.clone();
    let text = std::fs::read_to_string(&base)?;
    let (top, rest) = text
        .split_once("\n[tls]")
        .ok_or_else(|| anyhow!("{}: no [tls] section", base.display()))?;
    let (tls_section, _) = rest
        .split_once("\n[outbox]")
        .ok_or_else(|| anyhow!("{}: no [outbox] section", base.display()))?;
    names
        .iter()
        .map(|name| {
            let top = top.replace(
                "data_dir = \"data\"",
                &format!("data_dir = \"data-{name}\"\ndatabase_url = \"{database_url}\""),
            );
            let extra = extra.replace("{name}", name);
            let config = format!("{top}\n{extra}\n[tls]{tls_section}\n[outbox]\n{outbox}\n");
            let path = base.with_file_name(format!("node-{name}.toml"));
            std::fs::write(&path, config)?;
            Ok(Replica {
                name: name.to_string(),
                config: path,
                process: None,
            })
        })
        .collect()
}

/// An officer's client to the local port at `addr`.
pub fn officer_client(cert: &KeyedCert, ca_pem: &str, addr: SocketAddr) -> anyhow::Result<Client> {
    Ok(LocalClient::new(tls::officer_channel(
        &addr.to_string(),
        cert,
        ca_pem,
        Duration::from_secs(10),
    )?))
}

/// The folder of a configuration file.
pub fn dir_of(config: &Path) -> PathBuf {
    config.parent().unwrap_or(Path::new(".")).to_path_buf()
}

/// A URL to read `member`'s database with, beside the running node: its own
/// PostgreSQL database if it has one (`db`), else its SQLite file read-only.
pub fn read_url(
    sandbox: &Sandbox,
    member: &str,
    db: Option<&iti_node::store::testdb::ThrowawayDatabase>,
) -> anyhow::Result<String> {
    Ok(match db {
        Some(db) => db.url().to_string(),
        None => format!(
            "sqlite://{}?mode=ro",
            sandbox
                .member(&p(member))?
                .dir
                .join("data/node.db")
                .display()
        ),
    })
}
