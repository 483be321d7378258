//! The node's application core: plain domain code (routing, lifecycle,
//! completeness, deadlines, policy) wired to the store and the outbox. The
//! gRPC adapters in `api/` call these methods and nothing else.
//!
//! Every change of a trace goes through one path: validate the step against
//! the state machine, then, in one write job, update the trace, append the
//! event, store and queue the outgoing envelope, and append to the audit log.

pub mod access;
pub mod act;
pub mod admin;
mod delivery;
mod duplicate;
mod error;
pub mod onward;
pub mod photos;
pub(crate) mod pipeline;
pub mod receive;
pub mod records;
pub mod submit;
pub mod sweep;
pub mod views;
mod witness;

pub use error::{ServiceError, ServiceResult};

use std::sync::Arc;

use sqlx::AnyConnection;
use time::OffsetDateTime;
use tokio::sync::Notify;

use iti_proto::v1 as pb;

use crate::clock::SharedClock;
use crate::config::NodeConfig;
use crate::envelope::seal::{OpeningKey, RecipientKey, must_seal};
use crate::envelope::{self, Header, Signer, Signers};
use crate::identity::tls::Refusals;
use crate::identity::trust::TrustStore;
use crate::identity::{Officer, pki};
use crate::ids::{CaseId, EnvelopeId, ParticipantId, TraceId};
use crate::peering::{PeerEntry, Peering, RouteError};
use crate::store::traces::TraceRow;
use crate::store::{Store, StoreError, Writes, peers};

/// Who did something, as recorded in events and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Officer(Officer),
    /// Another participant, through a message it sent.
    Participant(ParticipantId),
    /// This node, on its own (policy, scheduler).
    Node,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Officer(o) => write!(f, "{}/{} ({})", o.participant, o.name, o.role),
            Actor::Participant(p) => write!(f, "{p}"),
            Actor::Node => f.write_str("node"),
        }
    }
}

pub struct Node {
    pub config: NodeConfig,
    pub store: Store,
    pub clock: SharedClock,
    signers: Signers,
    /// CAs pinned for peers (and our own, to recognise our officers).
    pub trust: Arc<TrustStore>,
    /// Our own CA only: the local port.
    pub local_trust: Arc<TrustStore>,
    pub opening_key: Option<OpeningKey>,
    pub peering: Peering,
    pub outbox_wake: Notify,
    /// New traces' first envelopes, handed to the delivery loop as committed.
    pub(crate) handover: crate::outbox::Handover,
    /// What each next hop carried last: envelopes' parts and photographs'
    /// chunks are sized to it.
    pub(crate) lines: crate::transfer::Lines,
    /// Envelopes queued per next hop, sent together when they queue.
    pub(crate) batches: crate::batch::Batches,
    pub federation_refusals: Arc<Refusals>,
    pub local_refusals: Arc<Refusals>,
    pub metrics: crate::metrics::Metrics,
    /// Directory learning: on demand, announcements, refreshes asked for.
    pub learning: crate::hub::learning::Learning,
    /// The hub directory logs this node follows (equivocation).
    pub logs: crate::hub::equivocation::Logs,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("participant", &self.config.participant)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("node certificate or key: {0}")]
    Signer(#[from] envelope::SignerError),
    #[error("own CA certificate: {0}")]
    Ca(String),
    #[error("peer card {path}: {reason}")]
    PeerCard { path: String, reason: String },
    #[error("sealing key: {0}")]
    Seal(String),
    #[error("TLS: {0}")]
    Tls(#[from] crate::identity::tls::TlsSetupError),
    #[error("cannot bind {what} {addr}: {reason}")]
    Bind {
        what: &'static str,
        addr: String,
        reason: String,
    },
    #[error("scheduler: {0}")]
    Scheduler(String),
    #[error("simulated_clock_offset_file: {0}")]
    Clock(#[from] crate::clock::OffsetError),
}

impl Node {
    /// Opens the store and loads pinned peers. Binds nothing.
    pub async fn open(config: NodeConfig, clock: SharedClock) -> Result<Arc<Node>, StartError> {
        use rustls::pki_types::pem::PemObject;
        std::fs::create_dir_all(&config.data_dir).map_err(|e| StartError::Bind {
            what: "data_dir",
            addr: config.data_dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let store = Store::open(&config.database_url, config.durability, &config.replica).await?;
        let signers = Signers::from_credentials(&config.credentials())?;
        let own_ca =
            rustls::pki_types::CertificateDer::from_pem_slice(config.ca_cert_pem.as_bytes())
                .map_err(|e| StartError::Ca(e.to_string()))?;
        let own_crl = match &config.crl {
            Some(path) => Some(pki::read_crl_der(path).map_err(|e| StartError::Ca(e.to_string()))?),
            None => None,
        };
        let trust = TrustStore::new();
        let local_trust = TrustStore::new();
        for t in [&trust, &local_trust] {
            t.pin(&config.participant, own_ca.clone(), own_crl.clone())
                .map_err(|e| StartError::Ca(e.to_string()))?;
        }
        let opening_key = match &config.sealing_key {
            Some(path) => {
                Some(OpeningKey::read(path).map_err(|e| StartError::Seal(e.to_string()))?)
            }
            None => None,
        };
        let peering = Peering::new(
            config.participant.clone(),
            config.credentials(),
            trust.clone(),
            clock.clone(),
            config.outbox.delivery_timeout,
            config.routes.clone(),
            config.default_route.clone(),
        );
        let handover = crate::outbox::Handover::new(store.backend());
        let metrics = crate::metrics::Metrics::new();
        let node = Arc::new(Node {
            config,
            store,
            clock,
            signers,
            trust,
            local_trust,
            opening_key,
            peering,
            outbox_wake: Notify::new(),
            handover,
            lines: Default::default(),
            batches: crate::batch::Batches::new(metrics.delivery_calls()),
            federation_refusals: Arc::default(),
            local_refusals: Arc::default(),
            metrics,
            learning: Default::default(),
            logs: Default::default(),
        });
        if node.store.backend() == crate::store::Backend::Sqlite {
            let released = node
                .store
                .write(|conn| {
                    crate::store::boxed(async move {
                        crate::store::outbox::release_all_claims(conn).await
                    })
                })
                .await?;
            if released > 0 {
                tracing::info!(released, "released the outbox claims of a previous run");
            }
            node.forget_unfinished_imports().await?;
        }
        for row in peers::all(node.store.pool()).await? {
            node.install_peer(&row).map_err(|e| StartError::PeerCard {
                path: format!("stored peer {}", row.participant),
                reason: e.to_string(),
            })?;
        }
        if let Some(dir) = node.config.peers_dir.clone() {
            node.load_peer_cards(&dir).await?;
        }
        // After the pins: a cached entry never replaces a pinned CA. The
        // standing of introduced CAs first: a restart restores exactly the
        // trust there was.
        node.restore_standings().await?;
        node.restore_logs().await?;
        node.rekey_register().await?;
        let restored = node.restore_directory().await?;
        if restored > 0 {
            tracing::info!(restored, "directory entries restored from the cache");
        }
        Ok(node)
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The signing key in use now (keys rotate at their switch-over time).
    pub fn signer(&self) -> &Signer {
        self.signers.at(self.now())
    }

    /// The signing key in use now, to be held beyond this call.
    pub(crate) fn shared_signer(&self) -> Arc<Signer> {
        self.signers.at(self.now()).clone()
    }

    pub fn participant(&self) -> &ParticipantId {
        &self.config.participant
    }

    pub fn is_hub(&self) -> bool {
        self.config.mode == crate::config::Mode::Hub
    }

    /// Pins a stored peer's CA and makes it routable.
    pub(crate) fn install_peer(&self, row: &peers::PeerRow) -> Result<(), ServiceError> {
        let crl = row
            .crl_der
            .clone()
            .map(rustls::pki_types::CertificateRevocationListDer::from);
        self.trust
            .pin(
                &row.participant,
                rustls::pki_types::CertificateDer::from(row.ca_der.clone()),
                crl,
            )
            .map_err(|e| ServiceError::invalid("caCertificatePem", e.to_string()))?;
        let encryption_key = row
            .encryption_key
            .as_deref()
            .map(RecipientKey::from_bytes)
            .transpose()
            .map_err(|e| ServiceError::invalid("encryptionKeyHex", e.to_string()))?;
        self.peering.upsert(PeerEntry {
            participant: row.participant.clone(),
            endpoint: row.endpoint.clone(),
            serves: row.serves.clone(),
            encryption_key,
        });
        self.peering.reset_channel(&row.participant);
        Ok(())
    }

    async fn load_peer_cards(&self, dir: &std::path::Path) -> Result<(), StartError> {
        let entries = std::fs::read_dir(dir).map_err(|e| StartError::PeerCard {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let fail = |reason: String| StartError::PeerCard {
                path: path.display().to_string(),
                reason,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
            let card: pb::PeerCard = crate::json::parse(&text).map_err(|e| fail(e.to_string()))?;
            self.add_peer(&Actor::Node, card)
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
        Ok(())
    }

    /// Builds and signs an envelope from this node. A payload whose marking
    /// demands it (TLP:AMBER+STRICT, TLP:RED) is sealed to the destination's
    /// key, whether it goes direct or through hubs: it never leaves this
    /// node in clear. Without the key, the envelope waits in the outbox,
    /// unbuilt, and the officer sees why (`build_waiting`).
    pub(crate) fn make_envelope(
        &self,
        case_id: CaseId,
        trace_id: TraceId,
        destination: &ParticipantId,
        payload: &pb::Payload,
        marking: &pb::Marking,
        on_behalf_of: Option<ParticipantId>,
    ) -> ServiceResult<(Header, pb::Envelope)> {
        let now = self.now();
        let header = Header {
            id: EnvelopeId::new_v7(now),
            case_id,
            trace_id,
            origin: self.participant().clone(),
            destination: destination.clone(),
            created_at: now,
            kind: pb::PayloadKind::Unspecified,
            marking: marking.clone(),
            sealing: None,
            on_behalf_of,
        };
        let env = match self.sealing_key_for(destination, marking) {
            Sealing::To(key) => envelope::build(self.signer(), header, payload, key.as_ref())
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
            Sealing::Waiting => envelope::waiting_for_key(header, payload),
        };
        let header =
            Header::decode(&env.header).map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok((header, env))
    }

    /// How content under `marking` may go to `destination` now.
    fn sealing_key_for(&self, destination: &ParticipantId, marking: &pb::Marking) -> Sealing {
        if !must_seal(marking) {
            return Sealing::To(None);
        }
        // A key only a hub vouches for may be that hub's own.
        let needed = self.config.introduction_vouches;
        if !self.trust.standing.may_seal_to(destination, needed) {
            return Sealing::Waiting;
        }
        match self.peering.encryption_key(destination) {
            Some(key) => Sealing::To(Some(key)),
            None => Sealing::Waiting,
        }
    }

    /// Builds an envelope that waited for its destination's sealing key,
    /// if the key is known now: signed at this moment, sealed, stored in
    /// place of the unbuilt one. `Err` says why it still waits.
    pub(crate) async fn build_waiting(
        &self,
        stored: &crate::store::envelopes::StoredEnvelope,
    ) -> Result<pb::Envelope, String> {
        let h = &stored.header;
        let Sealing::To(Some(key)) = self.sealing_key_for(&h.destination, &h.marking) else {
            if !self
                .trust
                .standing
                .may_seal_to(&h.destination, self.config.introduction_vouches)
            {
                return Err(format!(
                    "waiting for {} to be confirmed: its CA is known only from a hub's word \
                     (or two hubs disagree), and content marked as this is sealed only to a \
                     confirmed participant; an admin confirms its CA fingerprint with \
                     `itictl peer confirm` (see `itictl directory`)",
                    h.destination
                ));
            }
            return Err(format!(
                "waiting for {}'s sealing key: content marked {} is never sent unsealed \
                 (the key comes with its peer card or its directory entry)",
                h.destination,
                crate::policy::marking::Tlp::try_from_wire(h.marking.tlp, "marking.tlp")
                    .map(|t| t.label())
                    .unwrap_or("as it is")
            ));
        };
        let payload = stored
            .payload
            .as_ref()
            .map(|p| p.for_store(&crate::store::provenance::key()).clone())
            .ok_or_else(|| "the envelope's content is not here".to_string())?;
        let mut header = h.clone();
        header.created_at = self.now();
        let env = envelope::build(self.signer(), header, &payload, Some(&key))
            .map_err(|e| e.to_string())?;
        let id = h.id;
        let built = env.clone();
        self.store
            .write(move |conn| {
                crate::store::boxed(async move {
                    crate::store::envelopes::replace_envelope(conn, id, &built).await
                })
            })
            .await
            .map_err(|e| e.to_string())?;
        Ok(env)
    }

    /// Checks that `destination` can be reached now (a peer, or via a hub).
    pub(crate) fn check_route(
        &self,
        destination: &ParticipantId,
    ) -> ServiceResult<Vec<ParticipantId>> {
        self.peering.path(destination).map_err(|e| match e {
            RouteError::Unroutable(_) => ServiceError::NotFound(e.to_string()),
            RouteError::ToSelf(_) => ServiceError::invalid("requestedState", e.to_string()),
        })
    }

    pub(crate) fn wake_outbox(&self) {
        self.outbox_wake.notify_one();
    }

    /// What waits for `participant` (its pin, sealing key or confirmation)
    /// is tried now rather than at its next backoff.
    pub(crate) async fn wake_for(&self, participant: &ParticipantId) {
        let (who, now) = (participant.to_string(), self.now());
        let woken = self
            .store
            .write(move |conn| {
                crate::store::boxed(async move {
                    crate::store::outbox::wake_participant(conn, &who, now).await
                })
            })
            .await;
        if let Err(e) = woken {
            tracing::warn!(%participant, error = %e, "could not make its envelopes due now");
        }
        self.wake_outbox();
    }
}

/// How an envelope's content may leave: sealed to a key (or in clear,
/// `None`, when its marking allows), or not yet.
enum Sealing {
    To(Option<RecipientKey>),
    Waiting,
}

/// Inside a write job: store an outgoing envelope and queue it.
pub(crate) async fn queue_outgoing(
    conn: &mut AnyConnection,
    outgoing: pipeline::Outgoing,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut writes = Writes::new();
    pipeline::outgoing_writes(&mut writes, outgoing, now);
    writes.execute(conn).await
}

/// Inside a write job: append a trace event (facts only) and its audit
/// entry.
pub(crate) async fn record_event(
    conn: &mut AnyConnection,
    trace: &TraceRow,
    kind: &str,
    actor: &Actor,
    fact: pb::Fact,
    envelope_id: Option<EnvelopeId>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    record_event_after(
        conn,
        Writes::new(),
        trace,
        kind,
        actor,
        fact,
        envelope_id,
        at,
    )
    .await
}

/// [`record_event`] after `before`, all sent to the database together.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_event_after(
    conn: &mut AnyConnection,
    before: Writes,
    trace: &TraceRow,
    kind: &str,
    actor: &Actor,
    fact: pb::Fact,
    envelope_id: Option<EnvelopeId>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut event = pipeline::Event::new(kind, actor.clone(), fact);
    event.envelope = envelope_id;
    pipeline::record_events(conn, before, trace, &[event], at).await
}
