//! Following hubs' directory logs, and catching a hub that shows members
//! different directories (issue 13). The mechanism is in `hub::log`; its
//! limits are in the README ("Equivocation").
//!
//! - A hub serves its directory from its log, with the leaves the caller
//!   lacks and a signed head.
//! - A node takes a hub's entries only if the leaves extend the log it saw
//!   before up to the signed head, and the entries are exactly the newest
//!   of that log. A log that does not extend ours is proof, kept and raised.
//! - A node puts the heads it holds in every receipt it signs; the sender
//!   compares them with its own copy of each hub's log.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use prost::Message;

use iti_proto::v1 as pb;

use super::log::{self, Followed, Fork, Head, Verdict};
use crate::clock::to_timestamp;
use crate::envelope;
use crate::ids::ParticipantId;
use crate::service::{Node, ServiceError, ServiceResult};
use crate::store::directory_log::{self as store_log, EquivocationRow};
use crate::store::{StoreError, Writes, audit, boxed};

/// Witnessed heads beyond our copy, kept per hub until we have fetched
/// that far (at most this many: the newest are enough).
const PENDING_PER_HUB: usize = 16;

/// Heads a receipt may carry that are looked at (one per hub followed).
const HEADS_PER_RECEIPT: usize = 16;

/// What a node holds of one hub's log.
#[derive(Debug, Clone, Default)]
struct Follow {
    log: Followed,
    head: Option<pb::SignedDirectoryLogHead>,
    /// Heads peers witnessed beyond ours, and who witnessed them.
    pending: Vec<(ParticipantId, pb::SignedDirectoryLogHead)>,
    /// Proof of equivocation is open: its entries are refused.
    equivocated: bool,
    /// The leaves whose entries have all been taken here: a fetch of the
    /// changes asks from there. Moved only once a fetch's entries were all
    /// taken, none refused: one cut short (its caller gone, a timeout, a
    /// stop) leaves it, so the next fetch offers them again. Not stored: a
    /// restarted node's first fetch asks for everything.
    taken: Option<u64>,
}

/// The hub logs a node follows, in memory (receipts carry their heads
/// without a database read).
#[derive(Debug, Default)]
pub struct Logs {
    followed: Mutex<HashMap<ParticipantId, Follow>>,
    /// Held while a hub's answer is checked and taken: two fetches from one
    /// hub must not both append from the same size.
    following: tokio::sync::Mutex<()>,
}

impl Logs {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<ParticipantId, Follow>) -> T) -> T {
        f(&mut self.followed.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn get(&self, hub: &ParticipantId) -> Follow {
        self.with(|m| m.get(hub).cloned().unwrap_or_default())
    }

    /// The newest head of every hub followed: what our receipts carry.
    pub fn heads(&self) -> Vec<pb::SignedDirectoryLogHead> {
        self.with(|m| m.values().filter_map(|f| f.head.clone()).collect())
    }

    /// How `head` stands against the copy of `hub`'s log held here; `None`
    /// when this node follows no log of `hub`.
    fn verdict(&self, hub: &ParticipantId, head: &Head) -> Option<Verdict> {
        self.with(|m| {
            m.get(hub)
                .filter(|f| f.head.is_some())
                .map(|f| f.log.compare(head))
        })
    }

    fn forget(&self, hub: &ParticipantId) {
        self.with(|m| m.remove(hub));
    }
}

/// The hub and head a signed head claims, unverified.
fn claimed_head(signed: &pb::SignedDirectoryLogHead) -> Option<(ParticipantId, Head)> {
    let head = pb::DirectoryLogHead::decode(signed.head.as_slice()).ok()?;
    Some((
        head.hub.parse().ok()?,
        Head {
            size: head.size,
            chain: log::chain_from_hex(&head.chain)?,
        },
    ))
}

/// The participant a log leaf is about.
fn participant_of(signed: &pb::SignedDirectoryEntry) -> Result<String, String> {
    pb::DirectoryEntry::decode(signed.entry.as_slice())
        .map(|e| e.participant)
        .map_err(|_| "a leaf of its log is not a directory entry".to_string())
}

fn leaves_of(entries: &[pb::SignedDirectoryEntry]) -> Result<Vec<(String, [u8; 32])>, String> {
    entries
        .iter()
        .map(|s| Ok((participant_of(s)?, log::leaf_hash(&s.encode_to_vec()))))
        .collect()
}

impl Node {
    /// A hub's directory: the newest entry of each participant in its log
    /// (`changed_only`: of those whose newest leaf comes after the caller's
    /// `since`), the leaves after `since`, and the signed head.
    pub(crate) async fn hub_directory(
        &self,
        since: u64,
        changed_only: bool,
    ) -> ServiceResult<pb::Directory> {
        // A participant's newest leaf is after `since` exactly when one of
        // its leaves is: the leaves after it are all that is read.
        let start = if changed_only { since } else { 0 };
        let tail = store_log::own_since(self.store.pool(), start).await?;
        let decode = |signed: &[u8]| pb::SignedDirectoryEntry::decode(signed).ok();
        let newest: BTreeMap<&str, &[u8]> = tail
            .leaves
            .iter()
            .map(|l| (l.participant.as_str(), l.signed.as_slice()))
            .collect();
        let from = since.min(tail.size);
        // The leaves read start at `start`: all of them for the changes,
        // those from `from` on otherwise.
        let skip = (from - start.min(from)) as usize;
        let head = pb::DirectoryLogHead {
            hub: self.participant().to_string(),
            size: tail.size,
            chain: log::chain_hex(&tail.chain),
            signed_at: Some(to_timestamp(self.now())),
        };
        Ok(pb::Directory {
            entries: newest.values().filter_map(|s| decode(s)).collect(),
            log_from: from,
            log: tail.leaves[skip..]
                .iter()
                .filter_map(|l| decode(&l.signed))
                .collect(),
            log_head: Some(envelope::sign_log_head(self.signer(), &head)),
        })
    }

    /// At start: a hub logs entries it holds but has not logged (those from
    /// before it kept a log); a node restores the logs it follows and the
    /// proofs still open.
    pub(crate) async fn restore_logs(&self) -> Result<(), StoreError> {
        let pool = self.store.pool();
        if self.is_hub() {
            let logged: BTreeMap<String, Vec<u8>> = store_log::own_since(pool, 0)
                .await?
                .leaves
                .into_iter()
                .map(|l| (l.participant, l.signed))
                .collect();
            let missing: Vec<_> = crate::store::peers::directory(pool)
                .await?
                .into_iter()
                .filter(|r| logged.get(&r.participant.to_string()) != Some(&r.signed))
                .collect();
            if !missing.is_empty() {
                self.store
                    .write(move |conn| {
                        boxed(async move {
                            for r in &missing {
                                store_log::append(conn, &r.participant, &r.signed).await?;
                            }
                            Ok::<_, StoreError>(())
                        })
                    })
                    .await?;
            }
        }
        let open = store_log::equivocations(pool).await?;
        let followed = store_log::followed(pool).await?;
        self.logs.with(|m| {
            for (hub, row) in followed {
                let follow = m.entry(hub.clone()).or_default();
                follow.log = row.log;
                follow.head = row
                    .head
                    .and_then(|h| pb::SignedDirectoryLogHead::decode(h.as_slice()).ok());
            }
            for e in open {
                m.entry(e.hub).or_default().equivocated = true;
            }
        });
        Ok(())
    }

    /// How many leaves of `hub`'s log this node holds.
    pub(crate) fn log_size_of(&self, hub: &ParticipantId) -> u64 {
        self.logs.get(hub).log.size()
    }

    /// How many leaves of `hub`'s log have had all their entries taken
    /// here, if known.
    pub(crate) fn entries_taken_of(&self, hub: &ParticipantId) -> Option<u64> {
        self.logs.get(hub).taken
    }

    /// Notes that every entry of the first `size` leaves of `hub`'s log
    /// has been taken.
    pub(crate) fn entries_taken(&self, hub: &ParticipantId, size: u64) {
        self.logs.with(|m| {
            let f = m.entry(hub.clone()).or_default();
            f.taken = Some(f.taken.map_or(size, |t| t.max(size)));
        });
    }

    /// Checks `hub`'s answer against the log seen before: true when its
    /// entries may be taken, false for an answer older than our copy (two
    /// fetches crossed: nothing to take). A log that does not extend ours is
    /// raised.
    pub(crate) async fn follow_log(
        &self,
        hub: &ParticipantId,
        directory: &pb::Directory,
        changed_since: Option<u64>,
    ) -> Result<bool, String> {
        let _one_at_a_time = self.logs.following.lock().await;
        let follow = self.logs.get(hub);
        if follow.equivocated {
            return Err(format!(
                "{hub} showed a directory log that contradicts another it signed: its entries \
                 are refused until an admin decides (`itictl directory {hub}` shows the proof)"
            ));
        }
        let signed_head = directory
            .log_head
            .as_ref()
            .ok_or_else(|| format!("{hub} sent no signed head of its directory log"))?;
        let head = self.verified_head(hub, signed_head)?;
        let sent = leaves_of(&directory.log)?;
        let leaves = match follow.log.extension(directory.log_from, &sent, &head) {
            Ok(leaves) => leaves,
            Err(Fork::Stale { .. }) => return Ok(false),
            Err(fork @ (Fork::Shrunk { .. } | Fork::Rewritten { .. })) => {
                let ours = follow.log.chain_at(head.size.min(follow.log.size()));
                self.raise_equivocation(hub, "its own answer", &head, ours, signed_head)
                    .await;
                return Err(format!("{hub}: {fork}"));
            }
            Err(other) => return Err(format!("{hub}: {other}")),
        };
        let mut next = follow.log.clone();
        next.leaves.extend(leaves.iter().cloned());
        // Changes only: the entries of the leaves before were taken.
        log::check_served(
            &next,
            changed_since.unwrap_or(0),
            &leaves_of(&directory.entries)?,
        )
        .map_err(|e| format!("{hub}: {e}"))?;
        let writes = store_log::follow_writes(
            hub,
            follow.log.size(),
            &leaves,
            &signed_head.encode_to_vec(),
        );
        self.store
            .write(move |conn| boxed(Writes::from(writes).execute(conn)))
            .await
            .map_err(|e| e.to_string())?;
        let pending = self.logs.with(|m| {
            let f = m.entry(hub.clone()).or_default();
            f.log = next;
            f.head = Some(signed_head.clone());
            std::mem::take(&mut f.pending)
        });
        for (witness, head) in pending {
            self.compare_witnessed_head(&witness, &head).await;
        }
        Ok(true)
    }

    fn verified_head(
        &self,
        hub: &ParticipantId,
        signed: &pb::SignedDirectoryLogHead,
    ) -> Result<Head, String> {
        let (signer, head) = envelope::verify_log_head(signed, &self.trust, self.now())
            .map_err(|e| format!("{hub}: {e}"))?;
        if &signer != hub {
            return Err(format!("{hub} sent a log head signed by {signer}"));
        }
        let chain = log::chain_from_hex(&head.chain)
            .ok_or_else(|| format!("{hub}: its log head's chain is not a hash"))?;
        Ok(Head {
            size: head.size,
            chain,
        })
    }

    /// Compares the hub log heads a receipt carries with our copies.
    pub(crate) async fn compare_witnessed_heads(&self, receipt: &pb::SignedReceipt) {
        let Ok(r) = pb::Receipt::decode(receipt.receipt.as_slice()) else {
            return;
        };
        let Ok(witness) = r.receiver.parse::<ParticipantId>() else {
            return;
        };
        for head in r.hub_log_heads.iter().take(HEADS_PER_RECEIPT) {
            self.compare_witnessed_head(&witness, head).await;
        }
    }

    /// Runs on every receipt: a head that agrees with our copy costs a
    /// decode and a lookup; only one that does not is verified (it is then
    /// proof, or worth waiting for).
    async fn compare_witnessed_head(
        &self,
        witness: &ParticipantId,
        signed: &pb::SignedDirectoryLogHead,
    ) {
        let Some((hub, claimed)) = claimed_head(signed) else {
            return;
        };
        if &hub == self.participant() {
            return;
        }
        let verdict = match self.logs.verdict(&hub, &claimed) {
            None | Some(Verdict::Consistent) => return,
            Some(v) => v,
        };
        let Ok(head) = self.verified_head(&hub, signed) else {
            return;
        };
        match verdict {
            Verdict::Consistent => {}
            Verdict::Ahead => {
                self.logs.with(|m| {
                    let f = m.entry(hub.clone()).or_default();
                    if f.pending.len() < PENDING_PER_HUB {
                        f.pending.push((witness.clone(), signed.clone()));
                    }
                });
                self.learning.refresh_soon();
            }
            Verdict::Forked { ours } => {
                let through = format!("witnessed by {witness}");
                self.raise_equivocation(&hub, &through, &head, Some(ours), signed)
                    .await;
            }
        }
    }

    /// Keeps the proof, counts it, writes the audit entry and refuses the
    /// hub's entries from now on. Facts only: sizes and hashes.
    async fn raise_equivocation(
        &self,
        hub: &ParticipantId,
        seen_through: &str,
        theirs: &Head,
        ours: Option<[u8; 32]>,
        evidence: &pb::SignedDirectoryLogHead,
    ) {
        self.logs
            .with(|m| m.entry(hub.clone()).or_default().equivocated = true);
        let row = EquivocationRow {
            hub: hub.clone(),
            seen_through: seen_through.to_string(),
            size: theirs.size,
            ours: ours.map(|c| log::chain_hex(&c)).unwrap_or_default(),
            theirs: log::chain_hex(&theirs.chain),
            evidence: evidence.encode_to_vec(),
            seen_at: self.now(),
        };
        tracing::warn!(%hub, seen_through, size = theirs.size, "directory log equivocation: the hub signed heads no single log explains");
        let detail = format!(
            "{hub} signed a directory log head of size {} ({}), seen through {seen_through}, \
             that the log seen here does not explain (ours: {}); its entries are refused until \
             an admin decides",
            row.size,
            short(&row.theirs),
            short(&row.ours)
        );
        let written = self
            .store
            .write(move |conn| {
                boxed(async move {
                    let new = store_log::equivocation_write(&row).execute(conn).await? == 1;
                    if new {
                        let subject = row.hub.to_string();
                        audit::append(
                            conn,
                            row.seen_at,
                            "node",
                            "directory_equivocation",
                            &subject,
                            &detail,
                        )
                        .await?;
                    }
                    Ok::<_, StoreError>(new)
                })
            })
            .await;
        match written {
            Ok(true) => self.metrics.count_directory_equivocation(),
            Ok(false) => {}
            Err(e) => tracing::error!(%hub, error = %e, "equivocation proof not stored"),
        }
    }

    /// An admin settled it (`itictl peer confirm` of the hub): the proofs
    /// close and the node follows the hub's log afresh.
    pub(crate) fn settle_equivocation_writes(
        &self,
        hub: &ParticipantId,
    ) -> Vec<crate::store::Write> {
        self.logs.forget(hub);
        store_log::settle_writes(hub)
    }

    /// A followed hub's log as seen here, with the proofs open against it.
    pub(crate) async fn log_view(
        &self,
        hub: &ParticipantId,
    ) -> ServiceResult<Option<pb::DirectoryLogView>> {
        let follow = self.logs.get(hub);
        let Some(head) = &follow.head else {
            return Ok(None);
        };
        let signed_at = pb::DirectoryLogHead::decode(head.head.as_slice())
            .ok()
            .and_then(|h| h.signed_at);
        let equivocations = store_log::equivocations(self.store.pool())
            .await
            .map_err(ServiceError::from)?
            .into_iter()
            .filter(|e| &e.hub == hub)
            .map(|e| pb::Equivocation {
                seen_through: e.seen_through,
                size: e.size,
                ours: e.ours,
                theirs: e.theirs,
                seen_at: Some(to_timestamp(e.seen_at)),
            })
            .collect();
        Ok(Some(pb::DirectoryLogView {
            size: follow.log.size(),
            chain: log::chain_hex(&follow.log.head().chain),
            signed_at,
            equivocations,
        }))
    }
}

/// The first 12 hex digits of a hash, for messages (empty: "empty log").
fn short(hex: &str) -> &str {
    if hex.is_empty() {
        "empty log"
    } else {
        &hex[..hex.len().min(12)]
    }
}
