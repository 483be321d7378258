//! The pure part of the audit log: an append-only, hash-chained record of
//! what officers and peers did. Each entry's hash covers its content and the
//! hash of the entry before it, so editing, deleting or reordering stored
//! entries breaks the chain at the first entry touched.
//!
//! Entry hash (domain-separated, every field length-prefixed, so that no two
//! different entries share a hashing input):
//! `SHA-256("ITI-AUDIT-V1\0" || lp(prev_hash) || lp(u64be seq) || lp(i64be at_ms)
//!  || lp(actor) || lp(action) || lp(subject) || lp(detail))`, where
//! `lp(x) = u64be(len x) || x`, written as lower-case hex.
//!
//! The chain starts at seq 1, linked to [`GENESIS`]. A chain alone cannot
//! show that its newest entries were cut off, or that it was rewritten as a
//! whole: [`check_witness`] compares it with a [`Head`] a peer holds in a
//! receipt this node signed (`service/witness.rs`).

use std::fmt;

use sha2::{Digest, Sha256};

const AUDIT_DOMAIN: &[u8] = b"ITI-AUDIT-V1\0";

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The seq of the first entry.
pub const FIRST_SEQ: u64 = 1;

/// One thing that happened, as written to the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: u64,
    /// Milliseconds since the Unix epoch, UTC.
    pub at_ms: i64,
    /// The officer or node that acted: an identity URI.
    pub actor: String,
    /// What it did, as a stable verb ("response.forward", "case.view").
    pub action: String,
    /// What it acted on (a case or envelope id).
    pub subject: String,
    pub detail: String,
}

/// A record as stored, with its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEntry {
    /// Chains `record` after the entry whose hash is `prev_hash` (or
    /// [`GENESIS`]).
    pub fn seal(record: AuditRecord, prev_hash: &str) -> StoredEntry {
        let hash = entry_hash(prev_hash, &record);
        StoredEntry {
            record,
            prev_hash: prev_hash.to_string(),
            hash,
        }
    }
}

/// The hash of `record` chained after `prev_hash`, in lower-case hex.
pub fn entry_hash(prev_hash: &str, record: &AuditRecord) -> String {
    fn put(hasher: &mut Sha256, bytes: &[u8]) {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    let mut hasher = Sha256::new();
    hasher.update(AUDIT_DOMAIN);
    put(&mut hasher, prev_hash.as_bytes());
    put(&mut hasher, &record.seq.to_be_bytes());
    put(&mut hasher, &record.at_ms.to_be_bytes());
    put(&mut hasher, record.actor.as_bytes());
    put(&mut hasher, record.action.as_bytes());
    put(&mut hasher, record.subject.as_bytes());
    put(&mut hasher, record.detail.as_bytes());
    hex::encode(hasher.finalize())
}

/// What is wrong at the entry where the chain breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The entry's hash does not match its content: it was edited.
    Modified,
    /// The entry does not follow on from the one before it: its seq skips,
    /// or it does not link to the previous entry's hash. An entry before it
    /// was deleted (or replaced).
    Missing,
    /// The entry stored at this seq belongs elsewhere in the chain: entries
    /// were moved, swapped or copied.
    OutOfOrder,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::Modified => "was modified after it was written",
            Problem::Missing => {
                "does not follow on from the entry before it: an entry before it was deleted \
                 or replaced"
            }
            Problem::OutOfOrder => "is out of order: entries were moved, swapped or copied",
        })
    }
}

/// Where and how the chain breaks: the first entry that fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {seq} {problem}")]
pub struct ChainBreak {
    pub seq: u64,
    pub problem: Problem,
}

/// A chain's newest entry, as a witness saw it (in a receipt the chain's
/// node signed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    /// The entry's hash, lower-case hex.
    pub hash: String,
}

/// How a chain compares with a head a witness holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Witnessed {
    /// The chain has that entry, with that hash.
    Consistent,
    /// The chain ends before the witnessed entry: newer entries were cut off.
    Truncated { chain_ends_at: u64 },
    /// The chain's entry at that seq has another hash: it was rewritten.
    Rewritten,
}

/// Compares `entries` (a verified chain, in order) with a witnessed head.
/// A head at or before the chain's end is consistent only if the entry at
/// its seq has its hash; since each hash covers every entry before it, the
/// whole prefix is then as witnessed.
pub fn check_witness(entries: &[StoredEntry], head: &Head) -> Witnessed {
    let ends_at = entries.last().map_or(0, |e| e.record.seq);
    if head.seq > ends_at {
        return Witnessed::Truncated {
            chain_ends_at: ends_at,
        };
    }
    match entries.iter().find(|e| e.record.seq == head.seq) {
        Some(e) if e.hash == head.hash => Witnessed::Consistent,
        _ => Witnessed::Rewritten,
    }
}

/// Verifies a whole log, given in storage order, from its first entry.
/// Returns the number of entries.
///
/// For entry `e` after verified entry `p` (seq `p.seq + 1` expected):
/// 1. `e`'s hash must match its content. If it does not, but would with
///    another seq, the row holds another entry's content: `OutOfOrder`, unless
///    that seq is the expected one (the seq alone was edited: `Modified`).
/// 2. `e.seq` must be the expected seq. If the expected entry appears later,
///    entries were reordered (`OutOfOrder` at the expected seq); else some
///    were deleted (`Missing` at `e.seq`).
/// 3. `e.prev_hash` must be `p`'s hash, else `Missing` at `e.seq`.
pub fn verify_chain(entries: &[StoredEntry]) -> Result<u64, ChainBreak> {
    let mut prev_seq = FIRST_SEQ - 1;
    let mut prev_hash = GENESIS;
    for (i, entry) in entries.iter().enumerate() {
        let expected = prev_seq + 1;
        let seq = entry.record.seq;

        if entry_hash(&entry.prev_hash, &entry.record) != entry.hash {
            let problem = match true_seq(entry, expected, entries) {
                Some(true_seq) if true_seq != expected => Problem::OutOfOrder,
                Some(_) => Problem::Modified,
                None => {
                    return Err(ChainBreak {
                        seq,
                        problem: Problem::Modified,
                    });
                }
            };
            return Err(ChainBreak {
                seq: expected,
                problem,
            });
        }

        if seq != expected {
            let later = &entries[i + 1..];
            let reordered = seq < expected || later.iter().any(|e| e.record.seq == expected);
            return Err(if reordered {
                ChainBreak {
                    seq: expected,
                    problem: Problem::OutOfOrder,
                }
            } else {
                ChainBreak {
                    seq,
                    problem: Problem::Missing,
                }
            });
        }

        if entry.prev_hash != prev_hash {
            return Err(ChainBreak {
                seq,
                problem: Problem::Missing,
            });
        }

        prev_seq = seq;
        prev_hash = &entry.hash;
    }
    Ok(entries.len() as u64)
}

/// The seq under which `entry`'s content was sealed, if it is the expected
/// seq or that of another stored entry (rows whose seq was exchanged).
fn true_seq(entry: &StoredEntry, expected: u64, entries: &[StoredEntry]) -> Option<u64> {
    std::iter::once(expected)
        .chain(entries.iter().map(|e| e.record.seq))
        .find(|&candidate| {
            let record = AuditRecord {
                seq: candidate,
                ..entry.record.clone()
            };
            entry_hash(&entry.prev_hash, &record) == entry.hash
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(seq: u64, detail: &str) -> AuditRecord {
        AuditRecord {
            seq,
            at_ms: 1_700_000_000_000 + seq as i64,
            actor: "iti://officer/GHA/poc/akosua.mensah".into(),
            action: "case.view".into(),
            subject: "case-1".into(),
            detail: detail.into(),
        }
    }

    fn chain(records: Vec<AuditRecord>) -> Vec<StoredEntry> {
        let mut prev = GENESIS.to_string();
        records
            .into_iter()
            .map(|r| {
                let entry = StoredEntry::seal(r, &prev);
                prev = entry.hash.clone();
                entry
            })
            .collect()
    }

    #[test]
    fn a_witnessed_head_shows_a_cut_or_a_rewrite_that_the_chain_alone_hides() {
        let full = sample(5);
        let head = Head {
            seq: 4,
            hash: full[3].hash.clone(),
        };
        assert_eq!(check_witness(&full, &head), Witnessed::Consistent);
        let cut = &full[..3];
        assert_eq!(verify_chain(cut), Ok(3), "the chain alone verifies");
        assert_eq!(
            check_witness(cut, &head),
            Witnessed::Truncated { chain_ends_at: 3 }
        );
        let rewritten = chain(
            (1..=5)
                .map(|seq| record(seq, &format!("other entry {seq}")))
                .collect(),
        );
        assert_eq!(verify_chain(&rewritten), Ok(5));
        assert_eq!(check_witness(&rewritten, &head), Witnessed::Rewritten);
    }

    fn sample(n: u64) -> Vec<StoredEntry> {
        chain(
            (1..=n)
                .map(|seq| record(seq, &format!("entry {seq}")))
                .collect(),
        )
    }

    fn brk(seq: u64, problem: Problem) -> Result<u64, ChainBreak> {
        Err(ChainBreak { seq, problem })
    }

    #[test]
    fn genesis_is_64_zeros() {
        assert_eq!(GENESIS.len(), 64);
        assert!(GENESIS.bytes().all(|b| b == b'0'));
    }

    #[test]
    fn entry_hash_is_stable_lower_case_sha256() {
        let r = AuditRecord {
            seq: 1,
            at_ms: 0,
            actor: "a".into(),
            action: "b".into(),
            subject: "c".into(),
            detail: "d".into(),
        };
        // Pinned: a change to the encoding would orphan every stored log.
        assert_eq!(entry_hash(GENESIS, &r), PINNED_HASH);
    }

    const PINNED_HASH: &str = "04d610b576e5bc083539de061cf44e6d3d507d3e0995fe476148404a60fe02ee";

    #[test]
    fn field_boundaries_are_part_of_the_hash() {
        let mut a = record(1, "");
        a.actor = "ab".into();
        a.action = "c".into();
        let mut b = a.clone();
        b.actor = "a".into();
        b.action = "bc".into();
        assert_ne!(entry_hash(GENESIS, &a), entry_hash(GENESIS, &b));
    }

    #[test]
    fn an_untouched_chain_verifies_and_counts_its_entries() {
        assert_eq!(verify_chain(&sample(5)), Ok(5));
        assert_eq!(verify_chain(&[]), Ok(0));
    }

    #[test]
    fn an_edited_detail_is_reported_as_modified() {
        let mut log = sample(5);
        log[2].record.detail = "nothing to see".into();
        assert_eq!(verify_chain(&log), brk(3, Problem::Modified));
    }

    #[test]
    fn an_edited_seq_is_reported_as_modified_at_its_place() {
        let mut log = sample(5);
        log[2].record.seq = 5;
        assert_eq!(verify_chain(&log), brk(3, Problem::Modified));
    }

    #[test]
    fn a_deleted_entry_is_reported_as_missing_at_the_next() {
        let mut log = sample(5);
        log.remove(2);
        assert_eq!(verify_chain(&log), brk(4, Problem::Missing));
        let mut log = sample(5);
        log.remove(0);
        assert_eq!(verify_chain(&log), brk(2, Problem::Missing));
    }

    #[test]
    fn swapped_rows_are_reported_as_out_of_order() {
        let mut log = sample(5);
        log.swap(1, 2);
        assert_eq!(verify_chain(&log), brk(2, Problem::OutOfOrder));
    }

    #[test]
    fn exchanged_seq_values_are_reported_as_out_of_order() {
        let mut log = sample(5);
        log.swap(1, 3);
        let (a, b) = (log[1].record.seq, log[3].record.seq);
        log[1].record.seq = b;
        log[3].record.seq = a;
        assert_eq!(verify_chain(&log), brk(2, Problem::OutOfOrder));
    }

    #[test]
    fn a_deleted_entry_hidden_by_renumbering_and_rehashing_is_still_missing() {
        // Delete entry 3, renumber 4 and 5 and recompute their own hashes
        // (but not the links, which would need the whole tail rewritten).
        let mut log = sample(5);
        log.remove(2);
        for entry in &mut log[2..] {
            entry.record.seq -= 1;
            entry.hash = entry_hash(&entry.prev_hash, &entry.record);
        }
        assert_eq!(verify_chain(&log), brk(3, Problem::Missing));
    }

    #[test]
    fn a_replayed_entry_is_out_of_order() {
        let mut log = sample(4);
        let copy = log[1].clone();
        log.insert(3, copy);
        assert_eq!(verify_chain(&log), brk(4, Problem::OutOfOrder));
    }

    #[test]
    fn breaks_say_which_entry_and_what_happened() {
        let modified = ChainBreak {
            seq: 17,
            problem: Problem::Modified,
        };
        assert_eq!(
            modified.to_string(),
            "audit entry 17 was modified after it was written"
        );
        let missing = ChainBreak {
            seq: 18,
            problem: Problem::Missing,
        };
        assert!(
            missing
                .to_string()
                .starts_with("audit entry 18 does not follow")
        );
    }

    #[derive(Clone, Debug)]
    enum Tamper {
        /// Field 0..8 of entry `at` (six record fields, prev_hash, hash).
        Edit {
            at: usize,
            field: usize,
        },
        Delete {
            at: usize,
        },
        /// Rows `at` and `at + 1` exchange places, seqs and all.
        SwapRows {
            at: usize,
        },
        /// Rows `at` and `at + 1` exchange content but keep their seqs.
        SwapContent {
            at: usize,
        },
    }

    fn edit(entry: &mut StoredEntry, field: usize) {
        let r = &mut entry.record;
        match field {
            0 => r.seq = r.seq.wrapping_add(1_000),
            1 => r.at_ms = r.at_ms.wrapping_add(1),
            2 => r.actor.push('x'),
            3 => r.action.push('x'),
            4 => r.subject.push('x'),
            5 => r.detail.push('x'),
            6 => entry.prev_hash = "f".repeat(64),
            _ => entry.hash = "f".repeat(64),
        }
    }

    fn arb_record() -> impl Strategy<Value = (i64, String, String, String, String)> {
        (any::<i64>(), ".{0,8}", "[a-z.]{0,8}", ".{0,8}", ".{0,16}")
    }

    fn arb_chain() -> impl Strategy<Value = Vec<StoredEntry>> {
        prop::collection::vec(arb_record(), 2..40).prop_map(|fields| {
            chain(
                fields
                    .into_iter()
                    .zip(FIRST_SEQ..)
                    .map(
                        |((at_ms, actor, action, subject, detail), seq)| AuditRecord {
                            seq,
                            at_ms,
                            actor,
                            action,
                            subject,
                            detail,
                        },
                    )
                    .collect(),
            )
        })
    }

    fn arb_tampered() -> impl Strategy<Value = (Vec<StoredEntry>, Tamper)> {
        arb_chain().prop_flat_map(|log| {
            let n = log.len();
            let tamper = prop_oneof![
                (0..n, 0..8usize).prop_map(|(at, field)| Tamper::Edit { at, field }),
                (0..n - 1).prop_map(|at| Tamper::Delete { at }),
                (0..n - 1).prop_map(|at| Tamper::SwapRows { at }),
                (0..n - 1).prop_map(|at| Tamper::SwapContent { at }),
            ];
            (Just(log), tamper)
        })
    }

    proptest! {
        #[test]
        fn any_untouched_chain_verifies(log in arb_chain()) {
            prop_assert_eq!(verify_chain(&log), Ok(log.len() as u64));
        }

        #[test]
        fn any_single_tampering_is_detected_where_it_happened(
            (mut log, tamper) in arb_tampered()
        ) {
            let seq_at = |i: usize| FIRST_SEQ + i as u64;
            let expected = match tamper {
                Tamper::Edit { at, field } => {
                    edit(&mut log[at], field);
                    brk(seq_at(at), Problem::Modified)
                }
                Tamper::Delete { at } => {
                    log.remove(at);
                    brk(seq_at(at + 1), Problem::Missing)
                }
                Tamper::SwapRows { at } => {
                    log.swap(at, at + 1);
                    brk(seq_at(at), Problem::OutOfOrder)
                }
                Tamper::SwapContent { at } => {
                    log.swap(at, at + 1);
                    log[at].record.seq = seq_at(at);
                    log[at + 1].record.seq = seq_at(at + 1);
                    brk(seq_at(at), Problem::OutOfOrder)
                }
            };
            prop_assert_eq!(verify_chain(&log), expected);
        }
    }
}
