//! How far a participant's CA is trusted. A CA an admin pinned (a peer card)
//! is trusted for everything. A CA a hub introduced (a directory entry for a
//! participant not pinned here) is only as good as that hub's word: it stays
//! unconfirmed, and nothing that must be sealed goes to it, until an admin
//! confirms its fingerprint out of band or enough independent hubs offer
//! the same CA. An entry naming another CA than the one held is a conflict:
//! it is refused and raised, and the participant stays frozen (unconfirmed)
//! until an admin decides.

use std::collections::{BTreeSet, HashMap};
use std::sync::RwLock;

use iti_proto::v1 as pb;

use crate::fact::{self, fact, text};
use crate::ids::ParticipantId;

/// A CA a hub introduced, and who vouches for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introduction {
    /// SHA-256 of the CA certificate (hex), as `itictl directory` shows it.
    pub ca_fingerprint: String,
    /// The hubs that offered an entry with this CA.
    pub vouched_by: BTreeSet<ParticipantId>,
    /// An admin confirmed the fingerprint out of band.
    pub confirmed_by_admin: bool,
}

impl Introduction {
    pub fn new(ca_fingerprint: String, hub: ParticipantId) -> Introduction {
        Introduction {
            ca_fingerprint,
            vouched_by: BTreeSet::from([hub]),
            confirmed_by_admin: false,
        }
    }

    /// Trusted with sealed content: confirmed by an admin, or vouched for
    /// by `needed` hubs.
    pub fn confirmed(&self, needed: usize) -> bool {
        self.confirmed_by_admin || self.vouched_by.len() >= needed
    }

    /// What `itictl directory` says of it.
    pub fn describe(&self, needed: usize) -> String {
        fact::english(&self.fact(needed))
    }

    /// Its standing as a fact, worded in each reader's language.
    pub fn fact(&self, needed: usize) -> pb::Fact {
        let hubs: Vec<String> = self.vouched_by.iter().map(|h| h.to_string()).collect();
        let hubs = text("hubs", hubs.join(", "));
        if self.confirmed_by_admin {
            fact("standing-confirmed-by-admin", [hubs])
        } else if self.confirmed(needed) {
            fact("standing-confirmed", [hubs])
        } else {
            let count = text("count", self.vouched_by.len());
            fact(
                "standing-unconfirmed",
                [hubs, count, text("needed", needed)],
            )
        }
    }
}

/// The standing of every introduced participant, and which are frozen by
/// a conflict. Participants absent here are pinned (or unknown).
#[derive(Debug, Default)]
pub struct Standings {
    introduced: RwLock<HashMap<ParticipantId, Introduction>>,
    frozen: RwLock<BTreeSet<ParticipantId>>,
}

impl Standings {
    pub fn introduction(&self, p: &ParticipantId) -> Option<Introduction> {
        self.introduced
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(p)
            .cloned()
    }

    pub fn set(&self, p: &ParticipantId, intro: Introduction) {
        self.introduced
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(p.clone(), intro);
    }

    /// Changes `p`'s introduction in one step, from the standing held at
    /// that moment: a change made meanwhile (an admin's confirmation while
    /// a hub's announcement was being taken) is not lost.
    pub fn update(
        &self,
        p: &ParticipantId,
        change: impl FnOnce(Option<Introduction>) -> Introduction,
    ) {
        let mut introduced = self.introduced.write().unwrap_or_else(|e| e.into_inner());
        let next = change(introduced.get(p).cloned());
        introduced.insert(p.clone(), next);
    }

    /// An admin confirmed `p`'s introduced CA: its introduction as it
    /// stands now, confirmed (none for a participant not introduced).
    pub fn confirm(&self, p: &ParticipantId) -> Option<Introduction> {
        let mut introduced = self.introduced.write().unwrap_or_else(|e| e.into_inner());
        let intro = introduced.get_mut(p)?;
        intro.confirmed_by_admin = true;
        Some(intro.clone())
    }

    /// The participant is pinned now (an admin added its card).
    pub fn forget(&self, p: &ParticipantId) {
        self.introduced
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(p);
        self.thaw(p);
    }

    pub fn freeze(&self, p: &ParticipantId) {
        self.frozen
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(p.clone());
    }

    pub fn thaw(&self, p: &ParticipantId) {
        self.frozen
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(p);
    }

    pub fn is_frozen(&self, p: &ParticipantId) -> bool {
        self.frozen
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(p)
    }

    /// Whether content that must be sealed may go to `p`: a pinned
    /// participant, or an introduced one confirmed, and neither frozen.
    pub fn may_seal_to(&self, p: &ParticipantId, needed: usize) -> bool {
        !self.is_frozen(p) && self.introduction(p).is_none_or(|i| i.confirmed(needed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ParticipantId {
        s.parse().unwrap()
    }

    #[test]
    fn an_introduced_participant_is_sealed_to_only_once_confirmed_and_never_while_frozen() {
        let s = Standings::default();
        let gha = p("GHA");
        assert!(s.may_seal_to(&gha, 2), "pinned");
        let mut intro = Introduction::new("ab".into(), p("hub:ECOWAS"));
        s.set(&gha, intro.clone());
        assert!(!s.may_seal_to(&gha, 2), "one hub's word");
        intro.vouched_by.insert(p("hub:INTERPOL"));
        s.set(&gha, intro.clone());
        assert!(s.may_seal_to(&gha, 2), "two hubs");
        s.freeze(&gha);
        assert!(!s.may_seal_to(&gha, 2), "frozen by a conflict");
        s.thaw(&gha);
        intro.vouched_by = BTreeSet::from([p("hub:ECOWAS")]);
        intro.confirmed_by_admin = true;
        s.set(&gha, intro);
        assert!(s.may_seal_to(&gha, 2), "confirmed by an admin");
    }

    #[test]
    fn a_confirmation_made_while_an_announcement_is_taken_is_kept() {
        let s = Standings::default();
        let bel = p("BEL");
        s.set(&bel, Introduction::new("ab".into(), p("hub:ECOWAS")));
        // An announcement read the standing (unconfirmed), then awaited...
        let stale = s.introduction(&bel);
        // ...while an admin confirmed the CA.
        assert!(s.confirm(&bel).is_some_and(|i| i.confirmed_by_admin));
        s.update(&bel, |current| {
            let mut intro = current.or(stale).expect("introduced");
            intro.vouched_by.insert(p("hub:ECOWAS"));
            intro
        });
        assert!(s.may_seal_to(&bel, 2), "the confirmation was lost");
        assert!(s.confirm(&p("GHA")).is_none(), "GHA was never introduced");
    }
}
