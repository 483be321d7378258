//! A federation on loopback, built from scratch in a folder: for each
//! participant its own CA, node certificate, officer certificates, sealing
//! key, configuration file and database; nodes started in this process on
//! ephemeral ports and peered explicitly. The demo and the integration tests
//! use it; it does nothing a real deployment does differently, except bind
//! 127.0.0.1:0.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use tonic::transport::Channel;

use crate::clock::SharedClock;
use crate::envelope::seal::OpeningKey;
use crate::identity::pki::{self, KeyedCert, Validity};
use crate::identity::{Identity, Role, tls};
use crate::ids::ParticipantId;
use crate::service::{Actor, Node};
use crate::{Listeners, RunningNode, StartOptions};

/// `ITI_TEST_BACKEND=postgres` puts every member's database on the
/// PostgreSQL server named by `ITI_TEST_POSTGRES_URL` (one fresh database
/// each), so that the same federation tests run on both backends.
pub const BACKEND_VAR: &str = "ITI_TEST_BACKEND";

/// How to set up one participant.
#[derive(Debug, Clone, Default)]
pub struct MemberOptions {
    pub hub: bool,
    /// 10.2 policy "queue" instead of "return".
    pub queue_incomplete: bool,
    /// `routes` entries: destination → hub.
    pub routes: Vec<(String, String)>,
    /// A database URL instead of SQLite in the member's folder.
    pub database_url: Option<String>,
    /// Issue a next node certificate that takes over at this time.
    pub rotate_at: Option<time::OffsetDateTime>,
    /// Serve Prometheus metrics on an ephemeral port (`metrics_listen`).
    pub metrics: bool,
    /// Serve the web console on an ephemeral port (`console_listen`).
    pub console: bool,
    /// SQLite durability; default `Normal` (the sandbox favours speed; a
    /// deployment's default is `Full`).
    pub durability: Option<crate::store::Durability>,
    /// `outbox.delivery_timeout_secs`; default 10 (below the default
    /// `claim_lease_secs`, 120, which it must stay under).
    pub delivery_timeout_secs: Option<u64>,
    /// `simulated_clock_offset_file`: the node's clock runs ahead by the
    /// seconds this file holds (benchmarks only).
    pub simulated_clock_offset_file: Option<PathBuf>,
}

pub struct Member {
    pub participant: ParticipantId,
    pub dir: PathBuf,
    pub ca: KeyedCert,
    pub node_cert: KeyedCert,
    /// The next node certificate and its switch-over time, if any.
    pub next_node_cert: Option<(KeyedCert, time::OffsetDateTime)>,
    pub sealing: OpeningKey,
    pub config_path: PathBuf,
    pub running: Option<RunningNode>,
    /// The ports of the first start, reused on restart so peers' cards stay true.
    ports: Option<(std::net::SocketAddr, std::net::SocketAddr)>,
    /// A PostgreSQL database made for this member (see `BACKEND_VAR`),
    /// dropped with the sandbox.
    pub postgres: Option<crate::store::testdb::ThrowawayDatabase>,
    officers: BTreeMap<Role, KeyedCert>,
}

impl Member {
    pub fn node(&self) -> anyhow::Result<&Arc<Node>> {
        self.running
            .as_ref()
            .map(|r| &r.node)
            .ok_or_else(|| anyhow!("{} is not running", self.participant))
    }
}

pub struct Sandbox {
    pub root: PathBuf,
    _temp: Option<tempfile::TempDir>,
    pub clock: SharedClock,
    pub members: BTreeMap<ParticipantId, Member>,
}

fn write_config(
    path: &Path,
    participant: &ParticipantId,
    opts: &MemberOptions,
) -> anyhow::Result<()> {
    let mut toml = format!(
        "participant = \"{participant}\"\n\
         mode = \"{}\"\n\
         federation_listen = \"127.0.0.1:0\"\n\
         local_listen = \"127.0.0.1:0\"\n\
         data_dir = \"data\"\n\
         durability = \"{}\"\n\
         directory_refresh_secs = 0\n\
         completeness_policy = \"{}\"\n",
        if opts.hub { "hub" } else { "state" },
        match opts.durability {
            Some(crate::store::Durability::Full) => "full",
            Some(crate::store::Durability::Normal) | None => "normal",
        },
        if opts.queue_incomplete {
            "queue"
        } else {
            "return"
        },
    );
    if opts.metrics {
        toml.push_str("metrics_listen = \"127.0.0.1:0\"\n");
    }
    if opts.console {
        toml.push_str("console_listen = \"127.0.0.1:0\"\n");
    }
    if let Some(url) = &opts.database_url {
        toml.push_str(&format!("database_url = \"{url}\"\n"));
    }
    if let Some(file) = &opts.simulated_clock_offset_file {
        toml.push_str(&format!(
            "simulated_clock_offset_file = {:?}\n",
            file.display().to_string()
        ));
    }
    toml.push_str(
        "\n[tls]\nca_cert = \"ca/cert.pem\"\nnode_cert = \"node/cert.pem\"\n\
         node_key = \"node/key.pem\"\nsealing_key = \"node/seal.key\"\n\
         \n[outbox]\nretry_base_ms = 50\nretry_cap_secs = 2\n",
    );
    toml.push_str(&format!(
        "delivery_timeout_secs = {}\n",
        opts.delivery_timeout_secs.unwrap_or(10)
    ));
    if let Some(at) = opts.rotate_at {
        let at = crate::clock::rfc3339(at);
        toml = toml.replace(
            "sealing_key = \"node/seal.key\"\n",
            &format!(
                "sealing_key = \"node/seal.key\"\nnext_node_cert = \"node-next/cert.pem\"\n\
                 next_node_key = \"node-next/key.pem\"\nswitch_over_at = \"{at}\"\n"
            ),
        );
    }
    if !opts.routes.is_empty() {
        toml.push_str("\n[routes]\n");
        for (dest, via) in &opts.routes {
            toml.push_str(&format!("\"{dest}\" = \"{via}\"\n"));
        }
    }
    std::fs::write(path, toml).with_context(|| format!("writing {}", path.display()))
}

impl Sandbox {
    /// A sandbox in a new temporary folder, removed on drop unless kept.
    pub fn create(clock: SharedClock) -> anyhow::Result<Sandbox> {
        let temp = tempfile::Builder::new().prefix("iti-sandbox-").tempdir()?;
        Ok(Sandbox {
            root: temp.path().to_path_buf(),
            _temp: Some(temp),
            clock,
            members: BTreeMap::new(),
        })
    }

    /// Keeps the folder (and any PostgreSQL databases) after the sandbox
    /// is dropped; returns the folder's path.
    pub fn keep(&mut self) -> PathBuf {
        if let Some(t) = self._temp.take() {
            let _ = t.keep();
        }
        for db in self
            .members
            .values_mut()
            .filter_map(|m| m.postgres.as_mut())
        {
            db.keep();
        }
        self.root.clone()
    }

    /// Creates a participant's CA, node certificate, sealing key and
    /// configuration. Certificates are valid for a year from the clock's now.
    pub fn add(&mut self, participant: &str, opts: MemberOptions) -> anyhow::Result<ParticipantId> {
        let participant: ParticipantId = participant.parse()?;
        let dir = self.root.join(participant.to_string().replace(':', "-"));
        let now = self.clock.now();
        let ca = pki::create_ca(&participant, Validity::days_from(now, 3650))?;
        pki::write_keyed(&dir.join("ca"), &ca)?;
        let node_cert = pki::issue(
            &ca,
            &Identity::Node(participant.clone()),
            Validity::days_from(now, 365),
        )?;
        pki::write_keyed(&dir.join("node"), &node_cert)?;
        let next_node_cert = match opts.rotate_at {
            Some(at) => {
                let next = pki::issue(
                    &ca,
                    &Identity::Node(participant.clone()),
                    Validity::days_from(now, 730),
                )?;
                pki::write_keyed(&dir.join("node-next"), &next)?;
                Some((next, at))
            }
            None => None,
        };
        let sealing = OpeningKey::generate();
        pki::write_secret(
            &dir.join("node/seal.key"),
            &pki::SecretPem::new(sealing.secret_hex()),
        )?;
        let config_path = dir.join("node.toml");
        write_config(&config_path, &participant, &opts)?;
        self.members.insert(
            participant.clone(),
            Member {
                participant: participant.clone(),
                dir,
                ca,
                node_cert,
                next_node_cert,
                sealing,
                config_path,
                running: None,
                ports: None,
                postgres: None,
                officers: BTreeMap::new(),
            },
        );
        Ok(participant)
    }

    pub fn member(&self, p: &ParticipantId) -> anyhow::Result<&Member> {
        self.members
            .get(p)
            .ok_or_else(|| anyhow!("no participant {p} in the sandbox"))
    }

    pub fn node(&self, p: &ParticipantId) -> anyhow::Result<&Arc<Node>> {
        self.member(p)?.node()
    }

    /// Starts a participant's node in this process, on ephemeral ports.
    pub async fn start(&mut self, p: &ParticipantId) -> anyhow::Result<()> {
        let clock = self.clock.clone();
        let member = self
            .members
            .get_mut(p)
            .ok_or_else(|| anyhow!("no participant {p}"))?;
        if member.running.is_some() {
            bail!("{p} is already running");
        }
        let mut config =
            crate::config::load(&member.config_path, &[]).map_err(|e| anyhow!("{e}"))?;
        if config.database_url.starts_with("sqlite:")
            && std::env::var(BACKEND_VAR).is_ok_and(|v| v == "postgres")
        {
            if member.postgres.is_none() {
                member.postgres = crate::store::testdb::fresh_postgres().await;
            }
            match &member.postgres {
                Some(db) => config.database_url = db.url().to_string(),
                None => bail!(
                    "{BACKEND_VAR}=postgres needs {}",
                    crate::store::testdb::POSTGRES_URL_VAR
                ),
            }
        }
        let before = member.ports;
        if let Some((federation, local)) = before {
            config.federation_listen = federation;
            config.local_listen = local;
        }
        let listeners = match Listeners::bind(&config).await {
            Ok(l) => l,
            // Between a stop and a start, another test (or an outgoing
            // connection) may take a port the node had: it starts on new
            // ones, and its peers are told (below).
            Err(crate::service::StartError::Bind { .. }) if before.is_some() => {
                config.federation_listen = "127.0.0.1:0".parse()?;
                config.local_listen = "127.0.0.1:0".parse()?;
                Listeners::bind(&config).await?
            }
            Err(e) => return Err(e.into()),
        };
        let running =
            crate::start(config, listeners, clock, StartOptions { scheduler: false }).await?;
        let moved = before.is_some_and(|(f, _)| f != running.federation_addr);
        member.ports = Some((running.federation_addr, running.local_addr));
        member.running = Some(running);
        if moved {
            self.tell_peers_new_endpoint(p).await?;
        }
        Ok(())
    }

    /// Every running node that pinned `p` learns its new endpoint, as an
    /// admin would by adding its new card.
    async fn tell_peers_new_endpoint(&self, p: &ParticipantId) -> anyhow::Result<()> {
        for (other, member) in &self.members {
            let Some(running) = &member.running else {
                continue;
            };
            let rows = running.node.peers().await?;
            if let Some(row) = rows.iter().find(|r| &r.participant == p) {
                let serves: Vec<String> = row.serves.iter().map(|s| s.to_string()).collect();
                let serves: Vec<&str> = serves.iter().map(String::as_str).collect();
                self.pin(other, p, &serves).await?;
            }
        }
        Ok(())
    }

    /// Starts another replica of `p`'s node on its own ports, sharing the
    /// member's PostgreSQL database (replicas need PostgreSQL). The caller
    /// owns it and stops it.
    pub async fn start_replica(
        &mut self,
        p: &ParticipantId,
        name: &str,
    ) -> anyhow::Result<RunningNode> {
        let clock = self.clock.clone();
        let member = self
            .members
            .get_mut(p)
            .ok_or_else(|| anyhow!("no participant {p}"))?;
        let url = member
            .postgres
            .as_ref()
            .map(|db| db.url().to_string())
            .ok_or_else(|| {
                anyhow!("replicas of {p} need its database on PostgreSQL ({BACKEND_VAR}=postgres)")
            })?;
        let mut config =
            crate::config::load(&member.config_path, &[]).map_err(|e| anyhow!("{e}"))?;
        config.database_url = url;
        config.replica = format!("{p}-{name}");
        config.federation_listen = "127.0.0.1:0".parse()?;
        config.local_listen = "127.0.0.1:0".parse()?;
        let listeners = Listeners::bind(&config).await?;
        Ok(crate::start(config, listeners, clock, StartOptions { scheduler: false }).await?)
    }

    pub async fn start_all(&mut self) -> anyhow::Result<()> {
        let all: Vec<_> = self.members.keys().cloned().collect();
        for p in all {
            self.start(&p).await?;
        }
        Ok(())
    }

    /// Stops a node (its data stays).
    pub async fn stop(&mut self, p: &ParticipantId) -> anyhow::Result<()> {
        let member = self
            .members
            .get_mut(p)
            .ok_or_else(|| anyhow!("no participant {p}"))?;
        if let Some(r) = member.running.take() {
            r.stop().await;
        }
        Ok(())
    }

    pub async fn stop_all(&mut self) {
        for member in self.members.values_mut() {
            if let Some(r) = member.running.take() {
                r.stop().await;
            }
        }
    }

    /// The peer card `itictl peer export` would write for `p`.
    pub fn card(&self, p: &ParticipantId, serves: &[&str]) -> anyhow::Result<pb::PeerCard> {
        let m = self.member(p)?;
        let endpoint = m
            .running
            .as_ref()
            .map(|r| r.federation_addr.to_string())
            .ok_or_else(|| anyhow!("{p} is not running: its endpoint is not known"))?;
        self.card_at(p, &endpoint, serves)
    }

    /// The peer card of `p` for a node reachable at `endpoint` (one that runs
    /// elsewhere, e.g. as a separate process).
    pub fn card_at(
        &self,
        p: &ParticipantId,
        endpoint: &str,
        serves: &[&str],
    ) -> anyhow::Result<pb::PeerCard> {
        let m = self.member(p)?;
        let endpoint = endpoint.to_string();
        Ok(pb::PeerCard {
            participant: p.to_string(),
            endpoint,
            ca_certificate_pem: m.ca.cert_pem.clone(),
            crl_pem: String::new(),
            serves: serves.iter().map(|s| s.to_string()).collect(),
            encryption_key_hex: m.sealing.public().to_hex(),
        })
    }

    /// `a` pins `b` (b's card, with what b serves if it is a hub).
    pub async fn pin(
        &self,
        a: &ParticipantId,
        b: &ParticipantId,
        serves: &[&str],
    ) -> anyhow::Result<()> {
        let card = self.card(b, serves)?;
        self.node(a)?
            .add_peer(&Actor::Node, card)
            .await
            .map_err(|e| anyhow!("{a} pinning {b}: {e}"))?;
        Ok(())
    }

    /// `a`'s admin confirms `b`'s CA fingerprint, as read to them over the
    /// phone by `b`'s admin (`itictl peer confirm`).
    pub async fn confirm(&self, a: &ParticipantId, b: &ParticipantId) -> anyhow::Result<()> {
        let fingerprint = crate::identity::pki::fingerprint(&self.member(b)?.ca.cert_der()?);
        self.node(a)?
            .confirm_peer(&Actor::Node, b, &fingerprint)
            .await
            .map_err(|e| anyhow!("{a} confirming {b}: {e}"))?;
        Ok(())
    }

    /// `a` and `b` pin each other.
    pub async fn peer(&self, a: &ParticipantId, b: &ParticipantId) -> anyhow::Result<()> {
        self.pin(a, b, &[]).await?;
        self.pin(b, a, &[]).await
    }

    /// Signs `p`'s directory entry with its CA key and publishes it on its
    /// node, as `itictl directory sign` and `publish` do.
    pub async fn publish_directory_entry(
        &self,
        p: &ParticipantId,
        serves: &[&str],
        serial: u64,
    ) -> anyhow::Result<pb::SignedDirectoryEntry> {
        self.publish_entry_with(p, serves, serial, default_points_of_contact(p))
            .await
    }

    /// [`Sandbox::publish_directory_entry`] with these points of contact
    /// (several, each authorised for some record domains, say).
    pub async fn publish_entry_with(
        &self,
        p: &ParticipantId,
        serves: &[&str],
        serial: u64,
        points_of_contact: Vec<pb::PointOfContact>,
    ) -> anyhow::Result<pb::SignedDirectoryEntry> {
        let running = self
            .member(p)?
            .running
            .as_ref()
            .ok_or_else(|| anyhow!("{p} is not running"))?;
        let signed = self.signed_entry_at(
            p,
            &running.federation_addr.to_string(),
            serves,
            serial,
            points_of_contact,
        )?;
        running
            .node
            .accept_directory_entry(signed.clone(), None)
            .await
            .map_err(|e| anyhow!("{p} publishing its entry: {e}"))?;
        Ok(signed)
    }

    /// `p`'s directory entry for a node reachable at `endpoint` (one that
    /// runs elsewhere, e.g. as a separate process), signed with its CA key
    /// as `itictl directory sign` signs it; published with
    /// `PublishDirectoryEntry` (`itictl directory publish`).
    pub fn signed_entry_at(
        &self,
        p: &ParticipantId,
        endpoint: &str,
        serves: &[&str],
        serial: u64,
        points_of_contact: Vec<pb::PointOfContact>,
    ) -> anyhow::Result<pb::SignedDirectoryEntry> {
        let m = self.member(p)?;
        let entry = pb::DirectoryEntry {
            participant: p.to_string(),
            endpoints: vec![endpoint.to_string()],
            points_of_contact,
            languages: vec!["en".into(), "fr".into()],
            ca_certificate: m.ca.cert_der()?.to_vec(),
            certificate: m.node_cert.cert_der()?.to_vec(),
            next_certificate: match &m.next_node_cert {
                Some((next, _)) => next.cert_der()?.to_vec(),
                None => vec![],
            },
            switch_over_at: m
                .next_node_cert
                .as_ref()
                .map(|(_, at)| crate::clock::to_timestamp(*at)),
            encryption_key: m.sealing.public().bytes().to_vec(),
            serves: serves.iter().map(|s| s.to_string()).collect(),
            published_at: Some(crate::clock::to_timestamp(self.clock.now())),
            revocation_list: vec![],
            serial,
        };
        crate::hub::directory::sign_entry(&entry, m.ca.key_pem.expose()).map_err(|e| anyhow!(e))
    }

    /// An officer certificate of `p` with `role` (issued on first use).
    pub fn officer_cert(&mut self, p: &ParticipantId, role: Role) -> anyhow::Result<KeyedCert> {
        let now = self.clock.now();
        let member = self
            .members
            .get_mut(p)
            .ok_or_else(|| anyhow!("no participant {p}"))?;
        if let Some(c) = member.officers.get(&role) {
            return Ok(c.clone());
        }
        let name = format!("{}.officer", role.as_str());
        let cert = pki::issue(
            &member.ca,
            &Identity::officer(p.clone(), role, &name)?,
            Validity::days_from(now, 365),
        )?;
        let dir = member.dir.join("officers").join(role.as_str());
        pki::write_keyed(&dir, &cert)?;
        // As `itictl cert issue --officer` writes it: an identity directory.
        pki::write_public(&dir.join("ca.pem"), &member.ca.cert_pem)?;
        member.officers.insert(role, cert.clone());
        Ok(cert)
    }

    /// An officer of `p` with `role` and a name of its own (a second point
    /// of contact, say): its identity directory, issued on first use.
    pub fn named_officer_dir(
        &mut self,
        p: &ParticipantId,
        role: Role,
        name: &str,
    ) -> anyhow::Result<PathBuf> {
        let now = self.clock.now();
        let member = self
            .members
            .get_mut(p)
            .ok_or_else(|| anyhow!("no participant {p}"))?;
        let dir = member.dir.join("officers").join(format!("{role}-{name}"));
        if !dir.join("cert.pem").exists() {
            let cert = pki::issue(
                &member.ca,
                &Identity::officer(p.clone(), role, name)?,
                Validity::days_from(now, 365),
            )?;
            pki::write_keyed(&dir, &cert)?;
            pki::write_public(&dir.join("ca.pem"), &member.ca.cert_pem)?;
        }
        Ok(dir)
    }

    /// A channel to `p`'s local port as the officer whose identity
    /// directory is `dir` (for any service on that port).
    pub fn channel_as(&self, p: &ParticipantId, dir: &Path) -> anyhow::Result<Channel> {
        let member = self.member(p)?;
        let cert = pki::read_keyed(&dir.join("cert.pem"), &dir.join("key.pem"))?;
        let addr = member
            .running
            .as_ref()
            .map(|r| r.local_addr.to_string())
            .ok_or_else(|| anyhow!("{p} is not running"))?;
        Ok(tls::officer_channel(
            &addr,
            &cert,
            &member.ca.cert_pem,
            Duration::from_secs(30),
        )?)
    }

    /// The identity directory of an officer (cert.pem, key.pem, ca.pem), for
    /// `itictl --identity`.
    pub fn officer_dir(&mut self, p: &ParticipantId, role: Role) -> anyhow::Result<PathBuf> {
        self.officer_cert(p, role)?;
        Ok(self.member(p)?.dir.join("officers").join(role.as_str()))
    }

    /// The local address of a running node, for `itictl --node`.
    pub fn local_addr(&self, p: &ParticipantId) -> anyhow::Result<String> {
        Ok(self
            .member(p)?
            .running
            .as_ref()
            .ok_or_else(|| anyhow!("{p} is not running"))?
            .local_addr
            .to_string())
    }

    /// A local-API client for an officer of `p` with `role`.
    pub fn officer(
        &mut self,
        p: &ParticipantId,
        role: Role,
    ) -> anyhow::Result<LocalClient<Channel>> {
        let cert = self.officer_cert(p, role)?;
        let member = self.member(p)?;
        let addr = member
            .running
            .as_ref()
            .map(|r| r.local_addr.to_string())
            .ok_or_else(|| anyhow!("{p} is not running"))?;
        let channel =
            tls::officer_channel(&addr, &cert, &member.ca.cert_pem, Duration::from_secs(30))?;
        Ok(LocalClient::new(channel))
    }
}

/// The one point of contact a sandbox member's directory entry names.
pub fn default_points_of_contact(p: &ParticipantId) -> Vec<pb::PointOfContact> {
    vec![pb::PointOfContact {
        name: format!("{p} national point of contact on tracing"),
        agency: "national police".into(),
        email: format!(
            "iti@{}.example",
            p.to_string().to_lowercase().replace(':', "-")
        ),
        phone: "+000 000 0000".into(),
        authorised_records: vec![
            pb::RecordDomain::LawEnforcement as i32,
            pb::RecordDomain::Dealers as i32,
        ],
        languages: vec!["en".into(), "fr".into()],
        officer: String::new(),
    }]
}
