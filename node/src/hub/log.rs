//! A hub's directory log, and the copy a node keeps of it (issue 13,
//! equivocation). In the manner of Certificate Transparency, with a hash
//! chain where CT has a Merkle tree (a member fetches every leaf anyway):
//!
//! - the hub appends every entry version it accepts, never rewrites one, and
//!   signs the head (size and chained hash) with its node key;
//! - a member fetches the leaves it lacks with the signed head, checks that
//!   they extend what it saw before up to that head, and that the entries
//!   the hub serves are exactly the newest of its log;
//! - a member puts the heads it holds in every receipt it signs; the sender
//!   compares them with its own copy. Two signed heads of one hub that no
//!   single append-only log explains are proof that the hub equivocated.
//!
//! Pure: no I/O, no clock.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

const LEAF_DOMAIN: &[u8] = b"ITI-DIRECTORY-LOG-LEAF-V1\0";
const CHAIN_DOMAIN: &[u8] = b"ITI-DIRECTORY-LOG-CHAIN-V1\0";

/// The chained hash of an empty log.
pub const EMPTY: [u8; 32] = [0; 32];

/// The hash of one leaf: an encoded `SignedDirectoryEntry`.
pub fn leaf_hash(signed_entry: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(LEAF_DOMAIN)
        .chain_update(signed_entry)
        .finalize()
        .into()
}

/// The chained hash after one more leaf.
pub fn chain(previous: &[u8; 32], leaf: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(CHAIN_DOMAIN)
        .chain_update(previous)
        .chain_update(leaf)
        .finalize()
        .into()
}

/// A chained hash as it travels and is stored: hex, empty for an empty log.
pub fn chain_hex(c: &[u8; 32]) -> String {
    if c == &EMPTY {
        String::new()
    } else {
        hex::encode(c)
    }
}

pub fn chain_from_hex(s: &str) -> Option<[u8; 32]> {
    if s.is_empty() {
        return Some(EMPTY);
    }
    hex::decode(s).ok()?.try_into().ok()
}

/// One leaf as a follower keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    pub participant: String,
    pub leaf: [u8; 32],
    /// The chained hash up to and including this leaf.
    pub chain: [u8; 32],
}

/// A head: how many leaves, and their chained hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub size: u64,
    pub chain: [u8; 32],
}

/// What a head shows against the log held here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The head is one of ours.
    Consistent,
    /// The head is beyond ours: it can be checked once we have fetched up
    /// to it.
    Ahead,
    /// Another log of the same size: the hub equivocated. `ours` is our
    /// chained hash at that size.
    Forked { ours: [u8; 32] },
}

/// Why fetched leaves do not extend the log held here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fork {
    #[error("the hub's log holds {theirs} leaves, fewer than the {ours} seen before")]
    Shrunk { ours: u64, theirs: u64 },
    /// An answer older than what we hold (two fetches crossed): a prefix of
    /// our log, nothing to take and nothing wrong.
    #[error("an answer of {theirs} leaves, older than the {ours} held")]
    Stale { ours: u64, theirs: u64 },
    #[error("the leaves sent start after leaf {from}, but {ours} are held here")]
    Gap { ours: u64, from: u64 },
    #[error("the {sent} leaves sent do not reach the head's {size}")]
    Short { sent: u64, size: u64 },
    #[error("the leaves sent do not chain to the signed head: the log was rewritten")]
    Rewritten { at_size: u64 },
}

/// A node's copy of one hub's log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Followed {
    pub leaves: Vec<Leaf>,
}

impl Followed {
    pub fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// The chained hash after the first `size` leaves, if held.
    pub fn chain_at(&self, size: u64) -> Option<[u8; 32]> {
        match size {
            0 => Some(EMPTY),
            n => self
                .leaves
                .get(usize::try_from(n - 1).ok()?)
                .map(|l| l.chain),
        }
    }

    pub fn head(&self) -> Head {
        Head {
            size: self.size(),
            chain: self.chain_at(self.size()).unwrap_or(EMPTY),
        }
    }

    /// How `head`, signed by the hub and seen elsewhere, stands against
    /// ours.
    pub fn compare(&self, head: &Head) -> Verdict {
        match self.chain_at(head.size) {
            None => Verdict::Ahead,
            Some(ours) if ours == head.chain => Verdict::Consistent,
            Some(ours) => Verdict::Forked { ours },
        }
    }

    /// What to append, given the leaves `(participant, leaf hash)` a hub
    /// sent from `from` and its signed `head`. Leaves we hold already must
    /// be ours (an answer to an older ask overlaps), and the rest must lead
    /// exactly to `head`. Any other answer is a fork.
    pub fn extension(
        &self,
        from: u64,
        sent: &[(String, [u8; 32])],
        head: &Head,
    ) -> Result<Vec<Leaf>, Fork> {
        let ours = self.size();
        if head.size < ours {
            let theirs = head.size;
            return Err(match self.compare(head) {
                Verdict::Consistent => Fork::Stale { ours, theirs },
                _ => Fork::Shrunk { ours, theirs },
            });
        }
        if from > ours {
            return Err(Fork::Gap { ours, from });
        }
        if from + sent.len() as u64 != head.size {
            return Err(Fork::Short {
                sent: sent.len() as u64,
                size: head.size,
            });
        }
        let overlap = (ours - from) as usize;
        let held = &self.leaves[from as usize..];
        if let Some(i) = (0..overlap).find(|&i| sent[i].1 != held[i].leaf) {
            return Err(Fork::Rewritten {
                at_size: from + i as u64 + 1,
            });
        }
        let mut at = self.head().chain;
        let leaves: Vec<Leaf> = sent[overlap..]
            .iter()
            .map(|(participant, leaf)| {
                at = chain(&at, leaf);
                Leaf {
                    participant: participant.clone(),
                    leaf: *leaf,
                    chain: at,
                }
            })
            .collect();
        if at != head.chain {
            return Err(Fork::Rewritten { at_size: head.size });
        }
        Ok(leaves)
    }

    /// The newest leaf of each participant: what the hub must be serving.
    pub fn newest(&self) -> BTreeMap<&str, [u8; 32]> {
        self.leaves
            .iter()
            .map(|l| (l.participant.as_str(), l.leaf))
            .collect()
    }
}

/// Why the entries a hub serves are not its log's newest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Served {
    #[error("the hub serves an entry for {0} that is not the newest of its log")]
    NotNewest(String),
    #[error("the hub's log holds an entry for {0} that it does not serve")]
    Withheld(String),
}

/// Checks that each of `served` (participant, leaf hash of the entry) is
/// its participant's newest leaf in `log`, and that every participant with
/// a leaf after the first `from` is served: with `from` 0, exactly the
/// newest leaf of each participant; with the size of the log the caller
/// held before, what changed since (it took the rest then).
pub fn check_served(
    log: &Followed,
    from: u64,
    served: &[(String, [u8; 32])],
) -> Result<(), Served> {
    let newest = log.newest();
    for (participant, leaf) in served {
        if newest.get(participant.as_str()) != Some(leaf) {
            return Err(Served::NotNewest(participant.clone()));
        }
    }
    let served: std::collections::BTreeSet<&str> = served.iter().map(|(p, _)| p.as_str()).collect();
    let start = usize::try_from(from).map_or(log.leaves.len(), |f| f.min(log.leaves.len()));
    if let Some(missing) = log.leaves[start..]
        .iter()
        .find(|l| !served.contains(l.participant.as_str()))
    {
        return Err(Served::Withheld(missing.participant.clone()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(names: &[&str]) -> Vec<(String, [u8; 32])> {
        names
            .iter()
            .map(|n| (n.to_string(), leaf_hash(n.as_bytes())))
            .collect()
    }

    fn log_of(names: &[&str]) -> Followed {
        let sent = leaves(names);
        let head = head_of(&Followed::default(), &sent);
        Followed {
            leaves: Followed::default().extension(0, &sent, &head).unwrap(),
        }
    }

    fn head_of(base: &Followed, sent: &[(String, [u8; 32])]) -> Head {
        let mut at = base.head().chain;
        for (_, l) in sent {
            at = chain(&at, l);
        }
        Head {
            size: base.size() + sent.len() as u64,
            chain: at,
        }
    }

    #[test]
    fn an_extension_that_chains_to_the_head_is_taken() {
        let log = log_of(&["GHA", "NGA"]);
        let more = leaves(&["BEL"]);
        let head = head_of(&log, &more);
        let taken = log.extension(2, &more, &head).unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].chain, head.chain);
    }

    #[test]
    fn a_rewritten_or_shrunk_log_is_a_fork() {
        let log = log_of(&["GHA", "NGA"]);
        // The same size from another history: not an extension of ours.
        let other = log_of(&["NGA", "GHA"]);
        assert!(matches!(
            log.extension(2, &[], &other.head()),
            Err(Fork::Rewritten { at_size: 2 })
        ));
        let shorter = log_of(&["NGA"]);
        assert!(matches!(
            log.extension(2, &[], &shorter.head()),
            Err(Fork::Shrunk { ours: 2, theirs: 1 })
        ));
        // A shorter head that is our own prefix is an older answer, not a
        // fork (two fetches crossed).
        let older = log_of(&["GHA"]);
        assert!(matches!(
            log.extension(0, &leaves(&["GHA"]), &older.head()),
            Err(Fork::Stale { ours: 2, theirs: 1 })
        ));
        // An answer that overlaps ours must hold our leaves there.
        let overlapping = leaves(&["BEL", "CIV"]);
        let head = head_of(&log_of(&["GHA"]), &overlapping);
        assert!(matches!(
            log.extension(1, &overlapping, &head),
            Err(Fork::Rewritten { at_size: 2 })
        ));
        // Leaves that start beyond ours leave a gap.
        let more = leaves(&["CIV"]);
        let beyond = head_of(&log_of(&["GHA", "NGA", "BEL"]), &more);
        assert!(matches!(
            log.extension(3, &more, &beyond),
            Err(Fork::Gap { ours: 2, from: 3 })
        ));
    }

    #[test]
    fn an_answer_to_an_older_ask_overlaps_and_is_taken() {
        let log = log_of(&["GHA", "NGA"]);
        let sent = leaves(&["NGA", "BEL"]);
        let head = head_of(&log, &sent[1..]);
        let taken = log.extension(1, &sent, &head).unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].participant, "BEL");
    }

    #[test]
    fn a_witnessed_head_is_consistent_ahead_or_forked() {
        let log = log_of(&["GHA", "NGA", "BEL"]);
        assert_eq!(log.compare(&log_of(&["GHA"]).head()), Verdict::Consistent);
        assert_eq!(log.compare(&log.head()), Verdict::Consistent);
        assert_eq!(
            log.compare(&log_of(&["GHA", "NGA", "BEL", "CIV"]).head()),
            Verdict::Ahead
        );
        let forked = log_of(&["GHA", "BEL"]).head();
        assert_eq!(
            log.compare(&forked),
            Verdict::Forked {
                ours: log.chain_at(2).unwrap()
            }
        );
    }

    #[test]
    fn served_entries_must_be_the_newest_of_the_log() {
        let log = log_of(&["GHA", "NGA"]);
        let served = leaves(&["GHA", "NGA"]);
        assert_eq!(check_served(&log, 0, &served), Ok(()));
        // GHA's newer entry appended: serving the old one is refused.
        let mut newer = log.clone();
        let gha2 = vec![("GHA".to_string(), leaf_hash(b"GHA v2"))];
        newer
            .leaves
            .extend(newer.extension(2, &gha2, &head_of(&newer, &gha2)).unwrap());
        assert_eq!(
            check_served(&newer, 0, &served),
            Err(Served::NotNewest("GHA".into()))
        );
        assert_eq!(
            check_served(&log, 0, &served[..1]),
            Err(Served::Withheld("NGA".into()))
        );
    }

    #[test]
    fn served_changes_must_hold_every_participant_changed_since() {
        // The caller held GHA and NGA; the hub then logged BEL and GHA v2.
        let mut log = log_of(&["GHA", "NGA"]);
        let added = vec![
            ("BEL".to_string(), leaf_hash(b"BEL")),
            ("GHA".to_string(), leaf_hash(b"GHA v2")),
        ];
        log.leaves
            .extend(log.extension(2, &added, &head_of(&log, &added)).unwrap());
        assert_eq!(check_served(&log, 2, &added), Ok(()));
        // NGA, unchanged, may be left out; BEL and GHA may not.
        assert_eq!(
            check_served(&log, 2, &added[1..]),
            Err(Served::Withheld("BEL".into()))
        );
        assert_eq!(
            check_served(&log, 2, &added[..1]),
            Err(Served::Withheld("GHA".into()))
        );
        // Nor may a change be served as the entry it replaced.
        let stale = vec![added[0].clone(), ("GHA".to_string(), leaf_hash(b"GHA"))];
        assert_eq!(
            check_served(&log, 2, &stale),
            Err(Served::NotNewest("GHA".into()))
        );
        // Asked for everything, the unchanged NGA is owed too.
        assert_eq!(
            check_served(&log, 0, &added),
            Err(Served::Withheld("NGA".into()))
        );
    }

    #[test]
    fn chain_hex_round_trips_and_empty_is_empty() {
        assert_eq!(chain_hex(&EMPTY), "");
        assert_eq!(chain_from_hex(""), Some(EMPTY));
        let c = chain(&EMPTY, &leaf_hash(b"x"));
        assert_eq!(chain_from_hex(&chain_hex(&c)), Some(c));
        assert_eq!(chain_from_hex("zz"), None);
    }
}
