//! Who we can reach and how: pinned peers, hubs and what they serve, and the
//! gRPC channels to them. A destination with a configured route goes through
//! that hub; otherwise a destination we are peered with is reached directly,
//! and any other through the hub that serves it (what peered hubs and the
//! directory say they serve, then the default route).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tonic::transport::Channel;

use crate::clock::SharedClock;
use crate::envelope::seal::RecipientKey;
use crate::identity::Credentials;
use crate::identity::tls;
use crate::identity::trust::TrustStore;
use crate::ids::ParticipantId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerEntry {
    pub participant: ParticipantId,
    pub endpoint: String,
    /// For a hub: the participants it serves.
    pub serves: Vec<ParticipantId>,
    pub encryption_key: Option<RecipientKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("unknown destination {0}: not a peer, and no hub is known to serve it")]
    Unroutable(ParticipantId),
    #[error("{0} is this node itself")]
    ToSelf(ParticipantId),
}

pub struct Peering {
    own: ParticipantId,
    own_cert: Credentials,
    trust: Arc<TrustStore>,
    clock: SharedClock,
    timeout: Duration,
    peers: RwLock<HashMap<ParticipantId, PeerEntry>>,
    /// Configured routes: destination → hub, and a default hub.
    routes: BTreeMap<ParticipantId, ParticipantId>,
    default_route: Option<ParticipantId>,
    /// Learned from the directory: destination → hub that serves it, and
    /// encryption keys of participants we are not peered with.
    learned_routes: RwLock<HashMap<ParticipantId, ParticipantId>>,
    learned_keys: RwLock<HashMap<ParticipantId, RecipientKey>>,
    channels: Mutex<HashMap<ParticipantId, Channel>>,
}

impl std::fmt::Debug for Peering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peering")
            .field("own", &self.own)
            .finish_non_exhaustive()
    }
}

impl Peering {
    pub fn new(
        own: ParticipantId,
        own_cert: Credentials,
        trust: Arc<TrustStore>,
        clock: SharedClock,
        timeout: Duration,
        routes: BTreeMap<ParticipantId, ParticipantId>,
        default_route: Option<ParticipantId>,
    ) -> Self {
        Peering {
            own,
            own_cert,
            trust,
            clock,
            timeout,
            peers: RwLock::default(),
            routes,
            default_route,
            learned_routes: RwLock::default(),
            learned_keys: RwLock::default(),
            channels: Mutex::default(),
        }
    }

    pub fn own(&self) -> &ParticipantId {
        &self.own
    }

    /// Adds or replaces a peer (its CA is pinned separately, in the trust store).
    pub fn upsert(&self, entry: PeerEntry) {
        let participant = entry.participant.clone();
        let mut peers = self.peers.write().unwrap_or_else(|e| e.into_inner());
        let endpoint_changed = peers
            .get(&participant)
            .is_none_or(|old| old.endpoint != entry.endpoint);
        peers.insert(participant.clone(), entry);
        if endpoint_changed {
            self.channels
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&participant);
        }
    }

    pub fn peer(&self, p: &ParticipantId) -> Option<PeerEntry> {
        self.peers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(p)
            .cloned()
    }

    pub fn is_peer(&self, p: &ParticipantId) -> bool {
        self.peers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(p)
    }

    pub fn peers(&self) -> Vec<PeerEntry> {
        let mut v: Vec<_> = self
            .peers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        v.sort_by(|a, b| a.participant.cmp(&b.participant));
        v
    }

    pub fn learn_route(&self, destination: ParticipantId, hub: ParticipantId) {
        self.learned_routes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(destination, hub);
    }

    pub fn learn_key(&self, participant: ParticipantId, key: RecipientKey) {
        self.learned_keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(participant, key);
    }

    /// The next participant an envelope for `destination` goes to.
    pub fn next_hop(&self, destination: &ParticipantId) -> Result<ParticipantId, RouteError> {
        if destination == &self.own {
            return Err(RouteError::ToSelf(destination.clone()));
        }
        let reachable_hub = |hub: &ParticipantId| hub != &self.own && self.is_peer(hub);
        // An operator's explicit route wins over a direct peering: a state
        // may pin another's CA (to verify its signatures and receipts end to
        // end) and still reach it only through their hub (clause 11).
        if let Some(hub) = self.routes.get(destination).filter(|h| reachable_hub(h)) {
            return Ok(hub.clone());
        }
        if self.is_peer(destination) {
            return Ok(destination.clone());
        }
        let served_by = self
            .peers()
            .into_iter()
            .find(|p| p.serves.contains(destination))
            .map(|p| p.participant);
        if let Some(hub) = served_by {
            return Ok(hub);
        }
        if let Some(hub) = self
            .learned_routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(destination)
            .filter(|h| reachable_hub(h))
        {
            return Ok(hub.clone());
        }
        if let Some(hub) = self.default_route.as_ref().filter(|h| reachable_hub(h)) {
            return Ok(hub.clone());
        }
        Err(RouteError::Unroutable(destination.clone()))
    }

    /// The path an envelope would take, for display ("direct" is empty).
    pub fn path(&self, destination: &ParticipantId) -> Result<Vec<ParticipantId>, RouteError> {
        let hop = self.next_hop(destination)?;
        Ok(if &hop == destination {
            vec![]
        } else {
            vec![hop]
        })
    }

    pub fn encryption_key(&self, p: &ParticipantId) -> Option<RecipientKey> {
        self.peer(p).and_then(|e| e.encryption_key).or_else(|| {
            self.learned_keys
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(p)
                .cloned()
        })
    }

    /// A channel to a peer, created on first use and kept.
    pub fn channel(&self, p: &ParticipantId) -> Result<Channel, String> {
        if let Some(ch) = self
            .channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(p)
        {
            return Ok(ch.clone());
        }
        let entry = self.peer(p).ok_or_else(|| format!("{p} is not a peer"))?;
        let config = tls::client_config(
            &self.own_cert,
            self.trust.clone(),
            self.clock.clone(),
            Some(p.clone()),
        )
        .map_err(|e| e.to_string())?;
        let channel = tls::channel(&entry.endpoint, config, self.timeout)?;
        self.channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(p.clone(), channel.clone());
        Ok(channel)
    }

    /// Forgets a channel (after its peer's certificate or endpoint changed).
    pub fn reset_channel(&self, p: &ParticipantId) {
        self.channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;
    use crate::identity::pki::{self, Validity};

    fn p(s: &str) -> ParticipantId {
        s.parse().expect("participant id")
    }

    fn peering(routes: &[(&str, &str)], default_route: Option<&str>) -> Peering {
        let now = time::OffsetDateTime::now_utc();
        let ca = pki::create_ca(&p("GHA"), Validity::days_from(now, 10)).expect("ca");
        let node =
            pki::issue(&ca, &Identity::Node(p("GHA")), Validity::days_from(now, 10)).expect("cert");
        Peering::new(
            p("GHA"),
            crate::identity::Credentials::single(node),
            TrustStore::new(),
            Arc::new(crate::clock::SystemClock),
            Duration::from_secs(1),
            routes.iter().map(|(d, h)| (p(d), p(h))).collect(),
            default_route.map(p),
        )
    }

    fn add(peering: &Peering, who: &str, serves: &[&str]) {
        peering.upsert(PeerEntry {
            participant: p(who),
            endpoint: "127.0.0.1:9".into(),
            serves: serves.iter().map(|s| p(s)).collect(),
            encryption_key: None,
        });
    }

    #[test]
    fn a_peer_is_reached_directly() {
        let peering = peering(&[], Some("hub:ECOWAS"));
        add(&peering, "BEL", &[]);
        add(&peering, "hub:ECOWAS", &[]);
        assert_eq!(peering.next_hop(&p("BEL")), Ok(p("BEL")));
        assert_eq!(peering.path(&p("BEL")), Ok(vec![]));
    }

    #[test]
    fn a_configured_route_wins_over_a_direct_peering() {
        let peering = peering(&[("BEL", "hub:ECOWAS")], None);
        add(&peering, "BEL", &[]);
        add(&peering, "hub:ECOWAS", &[]);
        assert_eq!(peering.next_hop(&p("BEL")), Ok(p("hub:ECOWAS")));
    }

    #[test]
    fn a_route_through_a_hub_that_is_not_a_peer_is_ignored() {
        let peering = peering(&[("BEL", "hub:ECOWAS")], None);
        add(&peering, "BEL", &[]);
        assert_eq!(peering.next_hop(&p("BEL")), Ok(p("BEL")));
        assert_eq!(
            peering.next_hop(&p("NGA")),
            Err(RouteError::Unroutable(p("NGA")))
        );
    }

    #[test]
    fn others_go_through_the_hub_that_serves_them_then_the_default_route() {
        let peering = peering(&[], Some("hub:AU"));
        add(&peering, "hub:ECOWAS", &["NGA"]);
        add(&peering, "hub:AU", &[]);
        assert_eq!(peering.next_hop(&p("NGA")), Ok(p("hub:ECOWAS")));
        assert_eq!(peering.next_hop(&p("KEN")), Ok(p("hub:AU")));
        assert_eq!(
            peering.next_hop(&p("GHA")),
            Err(RouteError::ToSelf(p("GHA")))
        );
    }
}
