//! How a node learns the directory quickly, so that nothing is lost while a
//! federation starts, a state joins or a key rotates.
//!
//! - **At start** the node exchanges directories with every peer: it
//!   announces its own entry and fetches theirs, and tries again soon, with
//!   a growing pause, until each peer has answered once. Then it refreshes
//!   every `directory_refresh_secs`.
//! - **Announcements.** A node that publishes its entry announces it to its
//!   peers at once (`Federation/Announce`); a hub announces every entry it
//!   learns to its other peers. A receiver takes what a state announces
//!   as if it had fetched it; told by a hub, it fetches from the hub what
//!   changed since its last fetch (the log's new leaves and their entries),
//!   so that the hub's entries always come checked against its log.
//! - **On demand.** An envelope whose origin is not known yet makes the
//!   receiver fetch the directory of the hub that relayed it (then of its
//!   other hubs) before it answers; still unknown, it answers "unknown
//!   origin" and the sender retries (`outbox`). A sender told "unknown
//!   origin" refreshes soon too, so that a hub learns what its peers ask of
//!   it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

use iti_proto::v1 as pb;

use super::directory::Fetch;
use crate::identity::Identity;
use crate::ids::ParticipantId;
use crate::service::{Node, ServiceError, ServiceResult};

/// A peer's directory is not fetched again on demand within this long: a
/// burst of envelopes from one unknown origin costs one fetch.
const REFETCH_AFTER: Duration = Duration::from_millis(500);

/// An on-demand fetch must be short: a sender (or a hub passing an envelope
/// straight through) waits for our answer.
const FETCH_ON_DEMAND: Duration = Duration::from_secs(3);

/// At start, peers that did not answer are asked again after this, doubling
/// up to [`START_RETRY_CAP`].
const START_RETRY: Duration = Duration::from_millis(250);
const START_RETRY_CAP: Duration = Duration::from_secs(30);

/// A refresh asked for (after an "unknown origin") runs this soon after the
/// first ask, taking the asks in between with it.
const SOON: Duration = Duration::from_millis(200);

/// An entry to announce, and the peer it came from (not told again).
type Announcement = (pb::SignedDirectoryEntry, Option<ParticipantId>);

/// The learning state a node keeps.
pub struct Learning {
    /// Per peer: when its directory was last fetched on demand. The lock is
    /// held during the fetch, so a second asker waits for the first's result.
    fetched: Mutex<HashMap<ParticipantId, Arc<tokio::sync::Mutex<Option<Instant>>>>>,
    /// Asks the learner task to refresh from every peer soon.
    soon: Notify,
    announce_tx: mpsc::UnboundedSender<Announcement>,
    announce_rx: Mutex<Option<mpsc::UnboundedReceiver<Announcement>>>,
    /// Held while an entry is checked and taken, and while an admin pins or
    /// confirms a CA: each reads a participant's standing and writes it
    /// back, and interleaved, an entry taken from a hub would write back
    /// the standing it read before the admin's confirmation, losing it.
    pub(crate) accepting: tokio::sync::Mutex<()>,
}

impl Default for Learning {
    fn default() -> Self {
        let (announce_tx, announce_rx) = mpsc::unbounded_channel();
        Learning {
            fetched: Mutex::default(),
            soon: Notify::new(),
            announce_tx,
            announce_rx: Mutex::new(Some(announce_rx)),
            accepting: tokio::sync::Mutex::new(()),
        }
    }
}

impl std::fmt::Debug for Learning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Learning").finish_non_exhaustive()
    }
}

impl Learning {
    /// Queues `signed` for announcement to every peer but `came_from` and
    /// its subject.
    pub(crate) fn announce(
        &self,
        signed: pb::SignedDirectoryEntry,
        came_from: Option<ParticipantId>,
    ) {
        let _ = self.announce_tx.send((signed, came_from));
    }

    /// Asks for a refresh from every peer soon.
    pub fn refresh_soon(&self) {
        self.soon.notify_one();
    }

    fn slot(&self, peer: &ParticipantId) -> Arc<tokio::sync::Mutex<Option<Instant>>> {
        self.fetched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(peer.clone())
            .or_default()
            .clone()
    }
}

impl Node {
    /// Tries to learn `who` (not pinned here) from the directory of `via`,
    /// the hub that relayed its message, then of our other hubs. Returns
    /// the hubs asked.
    pub(crate) async fn learn_participant(
        &self,
        who: &ParticipantId,
        via: &ParticipantId,
    ) -> Vec<ParticipantId> {
        let mut hubs: Vec<ParticipantId> = self
            .peering
            .peers()
            .into_iter()
            .map(|p| p.participant)
            .filter(|p| p.is_hub() && p != via)
            .collect();
        if via.is_hub() && self.peering.is_peer(via) {
            hubs.insert(0, via.clone());
        }
        let mut asked = Vec::new();
        for hub in hubs {
            if self.trust.is_pinned(who) {
                break;
            }
            let slot = self.learning.slot(&hub);
            let mut last = slot.lock().await;
            if self.trust.is_pinned(who) {
                break;
            }
            asked.push(hub.clone());
            if last.is_some_and(|at| at.elapsed() < REFETCH_AFTER) {
                continue;
            }
            *last = Some(Instant::now());
            let mut reply = pb::RefreshDirectoryReply::default();
            if tokio::time::timeout(
                FETCH_ON_DEMAND,
                self.fetch_directory_from(&hub, Fetch::Everything, &mut reply),
            )
            .await
            .is_err()
            {
                tracing::debug!(%hub, "directory fetch on demand took too long");
            }
        }
        asked
    }

    /// Before checking a receipt that `via` passed on from a participant not
    /// pinned here (a destination a hub reached for us): learns it from
    /// `via`. Whether the signer is known now.
    pub(crate) async fn learn_receipt_signer(
        &self,
        signed: &pb::SignedReceipt,
        via: &ParticipantId,
    ) -> bool {
        use prost::Message;
        let Some(receiver) = pb::Receipt::decode(signed.receipt.as_slice())
            .ok()
            .and_then(|r| r.receiver.parse::<ParticipantId>().ok())
        else {
            return false;
        };
        if !self.trust.is_pinned(&receiver) {
            self.learn_participant(&receiver, via).await;
        }
        self.trust.is_pinned(&receiver)
    }

    /// `Federation/Announce`: entries a peer announces, taken as if fetched
    /// from it.
    pub async fn take_announcement(
        &self,
        peer: &Identity,
        directory: pb::Directory,
    ) -> ServiceResult<pb::AnnounceReply> {
        let from = match peer {
            Identity::Node(p) if self.peering.is_peer(p) => p.clone(),
            Identity::Node(p) => {
                return Err(ServiceError::PermissionDenied(format!(
                    "{p} is not a peer of this node"
                )));
            }
            Identity::Officer(o) => {
                return Err(ServiceError::PermissionDenied(format!(
                    "officer certificates ({o}) are not accepted on the federation port"
                )));
            }
        };
        let mut reply = pb::RefreshDirectoryReply::default();
        if from.is_hub() {
            // A hub's entries come with its log: fetched, they are checked
            // against the log seen before (equivocation).
            self.fetch_directory_from(&from, Fetch::Changes, &mut reply)
                .await;
        } else {
            self.take_entries_from(&from, directory, &mut reply).await;
        }
        Ok(pb::AnnounceReply {
            accepted: reply.accepted,
            rejected: reply.rejected,
        })
    }

    /// Announces `entries` to `p`, waiting at most the delivery timeout.
    async fn announce_to(&self, p: &ParticipantId, entries: Vec<pb::SignedDirectoryEntry>) {
        use iti_proto::v1::federation_client::FederationClient;
        let Ok(channel) = self.peering.channel(p) else {
            return;
        };
        let mut client = FederationClient::new(channel);
        let call = client.announce(pb::Directory {
            entries,
            ..Default::default()
        });
        match tokio::time::timeout(self.config.outbox.delivery_timeout, call).await {
            Ok(Ok(_)) => {}
            // The peer learns at its next exchange instead.
            Ok(Err(status)) => {
                tracing::debug!(peer = %p, code = ?status.code(), "announcement not taken")
            }
            Err(_) => tracing::debug!(peer = %p, "announcement unanswered"),
        }
    }
}

/// An entry to announce, held once for every peer it goes to (a broker's
/// ninety queues each holding a copy of a federation's entries at start
/// was the largest peak of its memory), with its subject read once.
struct Queued {
    signed: Arc<pb::SignedDirectoryEntry>,
    subject: String,
    came_from: Option<ParticipantId>,
}

impl Queued {
    fn batch(batch: Vec<Announcement>) -> Vec<Queued> {
        use prost::Message;
        batch
            .into_iter()
            .filter_map(|(signed, came_from)| {
                let subject = pb::DirectoryEntry::decode(signed.entry.as_slice())
                    .ok()?
                    .participant;
                Some(Queued {
                    signed: Arc::new(signed),
                    subject,
                    came_from,
                })
            })
            .collect()
    }
}

/// The entries of `batch` for `p`: those it did not send, of others.
fn entries_for(p: &ParticipantId, batch: &[Queued]) -> Vec<Arc<pb::SignedDirectoryEntry>> {
    let name = p.to_string();
    batch
        .iter()
        .filter(|q| q.came_from.as_ref() != Some(p) && q.subject != name)
        .map(|q| q.signed.clone())
        .collect()
}

/// Calls announcing at once. Each makes its peer fetch from this node: all
/// of a broker's ninety peers at once would make it serve ninety fetches
/// at a time, and their calls time out (entries then wait for the peer's
/// next exchange).
const ANNOUNCING_AT_ONCE: usize = 4;

/// Announcements on their way, per peer: one call at a time to each peer,
/// [`ANNOUNCING_AT_ONCE`] peers at a time. A peer that takes the connection
/// and never answers (a weak line) holds up only its own announcements,
/// each for at most the delivery timeout, and what comes for it meanwhile
/// goes in its next call. Dropped with the learner, which stops the calls.
struct Announcers {
    queues: HashMap<ParticipantId, Arc<Mutex<PeerQueue>>>,
    calls: tokio::task::JoinSet<()>,
    at_once: Arc<tokio::sync::Semaphore>,
}

impl Default for Announcers {
    fn default() -> Self {
        Announcers {
            queues: HashMap::new(),
            calls: tokio::task::JoinSet::new(),
            at_once: Arc::new(tokio::sync::Semaphore::new(ANNOUNCING_AT_ONCE)),
        }
    }
}

#[derive(Default)]
struct PeerQueue {
    waiting: Vec<Arc<pb::SignedDirectoryEntry>>,
    calling: bool,
}

impl Announcers {
    /// Queues `batch` for every peer but the one each entry came from and
    /// its subject.
    fn queue(&mut self, node: &Arc<Node>, batch: Vec<Announcement>) {
        let batch = Queued::batch(batch);
        while self.calls.try_join_next().is_some() {}
        for peer in node.peering.peers() {
            let p = peer.participant;
            let entries = entries_for(&p, &batch);
            if entries.is_empty() {
                continue;
            }
            let queue = self.queues.entry(p.clone()).or_default().clone();
            let idle = {
                let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
                q.waiting.extend(entries);
                !std::mem::replace(&mut q.calling, true)
            };
            if idle {
                let at_once = self.at_once.clone();
                self.calls
                    .spawn(announce_queued(node.clone(), p, queue, at_once));
            }
        }
    }
}

/// Calls `peer` with what waits for it until nothing does.
async fn announce_queued(
    node: Arc<Node>,
    peer: ParticipantId,
    queue: Arc<Mutex<PeerQueue>>,
    at_once: Arc<tokio::sync::Semaphore>,
) {
    loop {
        let Ok(_turn) = at_once.acquire().await else {
            return;
        };
        let entries = {
            let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
            if q.waiting.is_empty() {
                q.calling = false;
                return;
            }
            std::mem::take(&mut q.waiting)
        };
        // The call's own copy, made only when its turn comes.
        let entries = entries.iter().map(|e| e.as_ref().clone()).collect();
        node.announce_to(&peer, entries).await;
    }
}

/// The learner: the exchange at start, periodic refreshes, refreshes asked
/// for (`Learning::refresh_soon`) and announcements. Runs until `shutdown`.
pub async fn run(node: Arc<Node>, mut shutdown: watch::Receiver<bool>) {
    let Some(mut announcements) = node
        .learning
        .announce_rx
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    else {
        tracing::error!("the directory learner is already running");
        return;
    };
    let every = node.config.directory_refresh;
    let mut starting = true;
    let mut retry = START_RETRY;
    let mut next_refresh = Some(Instant::now());
    let mut announcers = Announcers::default();
    // A refresh runs beside the loop: a peer that takes the connection and
    // never answers holds it up to the delivery timeout, and announcements
    // must not wait for it. Dropped with the loop, which stops it.
    let mut refreshing = tokio::task::JoinSet::new();
    loop {
        if refreshing.is_empty() && next_refresh.is_some_and(|at| at <= Instant::now()) {
            if starting && let Ok(Some(own)) = node.own_entry().await {
                announcers.queue(&node, vec![(own, None)]);
            }
            let fetching = node.clone();
            refreshing.spawn(async move { refresh(&fetching).await });
            // Set again by a refresh asked for meanwhile, or when it ends.
            next_refresh = None;
        }
        let due_at = next_refresh.filter(|_| refreshing.is_empty());
        let due = async {
            match due_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let announce = tokio::select! {
            Some(unreachable) = refreshing.join_next() => {
                // At start, until every peer has answered once, ask again soon.
                starting &= unreachable.map_or(true, |n| n > 0);
                let after = if starting {
                    let at = Instant::now() + retry;
                    retry = (retry * 2).min(START_RETRY_CAP);
                    Some(at)
                } else {
                    every.map(|e| Instant::now() + e)
                };
                next_refresh = crate::clock::earliest(next_refresh, after);
                None
            }
            _ = due => None,
            // Soon, not at once: one refresh for a burst of asks.
            _ = node.learning.soon.notified() => {
                next_refresh = crate::clock::earliest(next_refresh, Some(Instant::now() + SOON));
                None
            }
            Some(first) = announcements.recv() => Some(first),
            _ = shutdown.changed() => return,
        };
        if let Some(first) = announce {
            let mut batch = vec![first];
            while let Ok(more) = announcements.try_recv() {
                batch.push(more);
            }
            announcers.queue(&node, batch);
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Fetches every peer's directory; returns how many did not answer.
async fn refresh(node: &Node) -> usize {
    match node.refresh_directory().await {
        Ok(reply) => {
            if !reply.rejected.is_empty() {
                tracing::warn!(
                    rejected = reply.rejected.len(),
                    "directory refresh refused entries"
                );
            }
            reply.unreachable.len()
        }
        Err(e) => {
            tracing::warn!(error = %e, "directory refresh failed");
            1
        }
    }
}
