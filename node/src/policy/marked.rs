//! Marked content: what came from a marked message (or was derived from
//! one), held so that it cannot reach an exit except through the release
//! gate (`policy::gate::release`).
//!
//! A `Marked<T>` has no `Display` and no `Serialize`, and its `Debug`
//! prints the marking and the providers, never the content. Code that needs
//! to reason about the content without letting it out uses
//! [`Marked::facts`], whose result must be a [`Fact`]: a type that cannot
//! carry text (counts, flags, states, ids, participants, markings). Code
//! that derives content from it uses [`Marked::derive`] or
//! [`Marked::join`], and what it derives is marked in turn, with the join
//! of its sources' markings. Only the store, with its [`StoreKey`], reads
//! the raw value to write it down.

use std::collections::BTreeSet;
use std::fmt;

use super::marking::Marking;
use crate::ids::{EnvelopeId, ParticipantId};

/// Who provided a piece of content: this node's own participant, or another.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// Written at this node (by its officers, or derived from its own data).
    Us,
    Participant(ParticipantId),
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provider::Us => f.write_str("this node"),
            Provider::Participant(p) => write!(f, "{p}"),
        }
    }
}

/// Where a piece of content comes from: its provider, and the message that
/// carried it (if it came in one).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    pub provider: Provider,
    pub message: Option<EnvelopeId>,
}

impl Source {
    pub fn us() -> Source {
        Source {
            provider: Provider::Us,
            message: None,
        }
    }

    pub fn message(provider: Provider, message: EnvelopeId) -> Source {
        Source {
            provider,
            message: Some(message),
        }
    }
}

/// Content with its marking and where it came from.
#[derive(Clone, PartialEq)]
pub struct Marked<T> {
    value: T,
    marking: Marking,
    sources: BTreeSet<Source>,
}

impl<T> fmt::Debug for Marked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Marked({}, from ", self.marking)?;
        f.debug_list()
            .entries(self.sources.iter().map(|s| s.provider.to_string()))
            .finish()?;
        f.write_str(")")
    }
}

/// A type that carries facts about content, never content: what
/// [`Marked::facts`] may return.
pub trait Fact {}

macro_rules! facts {
    ($($t:ty),* $(,)?) => { $(impl Fact for $t {})* };
}
facts!(
    (),
    bool,
    u8,
    u16,
    u32,
    u64,
    usize,
    i32,
    i64,
    Marking,
    ParticipantId,
    crate::ids::StateCode,
    crate::ids::EnvelopeId,
    crate::ids::TraceId,
    crate::ids::CaseId,
    iti_proto::v1::PayloadKind,
    iti_proto::v1::RoutingRule,
    crate::case::machine::Step,
);
impl<F: Fact> Fact for Option<F> {}
impl<F: Fact> Fact for Vec<F> {}
impl<A: Fact, B: Fact> Fact for (A, B) {}
impl<F: Fact, E: Fact> Fact for Result<F, E> {}

/// The store's key to the raw value: only `store/` can make one.
pub struct StoreKey(());

impl StoreKey {
    /// # Why
    /// Only the store writes content down; it alone asks for this key.
    pub(crate) fn for_the_store() -> StoreKey {
        StoreKey(())
    }
}

impl<T> Marked<T> {
    /// Content under `marking`, from `source`.
    pub fn new(value: T, marking: Marking, source: Source) -> Marked<T> {
        Marked {
            value,
            marking,
            sources: BTreeSet::from([source]),
        }
    }

    /// Content under `marking`, from several sources (derived content read
    /// back from storage). With none, it is this node's.
    pub fn from_sources(
        value: T,
        marking: Marking,
        sources: impl IntoIterator<Item = Source>,
    ) -> Marked<T> {
        let mut sources: BTreeSet<Source> = sources.into_iter().collect();
        if sources.is_empty() {
            sources.insert(Source::us());
        }
        Marked {
            value,
            marking,
            sources,
        }
    }

    /// The marking the content is held under (for a message with sections,
    /// its default; each section may carry its own).
    pub fn marking(&self) -> &Marking {
        &self.marking
    }

    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.sources.iter()
    }

    /// Facts about the content, computed without letting it out.
    pub fn facts<F: Fact>(&self, f: impl FnOnce(&T) -> F) -> F {
        f(&self.value)
    }

    /// Content derived from this content: it carries the same marking and
    /// sources.
    pub fn derive<U>(&self, f: impl FnOnce(&T) -> U) -> Marked<U> {
        Marked {
            value: f(&self.value),
            marking: self.marking.clone(),
            sources: self.sources.clone(),
        }
    }

    /// The same, consuming the content.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Marked<U> {
        Marked {
            value: f(self.value),
            marking: self.marking,
            sources: self.sources,
        }
    }

    /// Content derived from this and `other`: it carries the join of both
    /// markings and the union of their sources.
    pub fn join<U, V>(&self, other: &Marked<U>, f: impl FnOnce(&T, &U) -> V) -> Marked<V> {
        Marked {
            value: f(&self.value, &other.value),
            marking: self.marking.join(&other.marking),
            sources: self.sources.union(&other.sources).cloned().collect(),
        }
    }

    /// Several pieces of content as one: the join of their markings, the
    /// union of their sources (with none, this node's, at TLP:CLEAR).
    pub fn gather(items: Vec<Marked<T>>) -> Marked<Vec<T>> {
        let mut marking: Option<Marking> = None;
        let mut sources = BTreeSet::new();
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            marking = Some(marking.map_or(item.marking.clone(), |m| m.join(&item.marking)));
            sources.extend(item.sources);
            values.push(item.value);
        }
        Marked::from_sources(
            values,
            marking.unwrap_or_else(|| Marking::new(super::marking::Tlp::Clear)),
            sources,
        )
    }

    /// Marks the content more strictly (never less).
    pub fn at_least(mut self, marking: &Marking) -> Marked<T> {
        self.marking = self.marking.join(marking);
        self
    }

    /// The value, when all of it is this node's own: a node may use what
    /// it wrote itself (its officers' requests, to resubmit or re-route).
    pub fn own(&self) -> Option<&T> {
        self.only_from(&Provider::Us).then_some(&self.value)
    }

    /// Reads the content to process it inside the node, never to output
    /// it: matching a request's items against the national records, say.
    /// Whatever `f` computes from it that is content must be marked in its
    /// turn (the drafted answer carries the records' markings).
    pub fn within_node<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.value)
    }

    /// The raw value, for the store to write down.
    pub fn for_store(&self, _: &StoreKey) -> &T {
        &self.value
    }

    /// The raw value, for the release gate (`policy::gate`) only.
    pub(super) fn open(&self) -> &T {
        &self.value
    }

    /// The raw value taken out, with its marking, for the release gate
    /// (`policy::gate`) only.
    pub(super) fn into_open(self) -> (T, Marking) {
        (self.value, self.marking)
    }

    /// Whether every piece of the content was provided by `provider`.
    pub fn only_from(&self, provider: &Provider) -> bool {
        self.sources.iter().all(|s| &s.provider == provider)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::marking::{Restriction, Tlp};

    fn bel() -> Provider {
        Provider::Participant("BEL".parse().unwrap())
    }

    #[test]
    fn debug_shows_the_marking_and_the_providers_never_the_content() {
        let m = Marked::new(
            "licence 2009/114".to_string(),
            Marking::new(Tlp::Red).with(Restriction::NoOnwardDisclosure),
            Source::message(bel(), EnvelopeId::new_v7(time::OffsetDateTime::UNIX_EPOCH)),
        );
        let shown = format!("{m:?}");
        assert!(!shown.contains("2009/114"), "{shown}");
        assert!(
            shown.contains("TLP:RED") && shown.contains("BEL"),
            "{shown}"
        );
    }

    #[test]
    fn derived_content_carries_the_join_of_its_sources() {
        let red = Marked::new(
            "exported to NGA".to_string(),
            Marking::new(Tlp::Red).with(Restriction::NoOnwardDisclosure),
            Source::message(bel(), EnvelopeId::new_v7(time::OffsetDateTime::UNIX_EPOCH)),
        );
        let amber = Marked::new(
            "FAL rifle".to_string(),
            Marking::new(Tlp::Amber).with(Restriction::LawEnforcementOnly),
            Source::us(),
        );
        let joined = amber.join(&red, |a, b| format!("{a}, {b}"));
        assert_eq!(joined.marking().tlp, Tlp::Red);
        assert!(
            joined
                .marking()
                .restrictions
                .contains(&Restriction::NoOnwardDisclosure)
                && joined
                    .marking()
                    .restrictions
                    .contains(&Restriction::LawEnforcementOnly)
        );
        assert!(!joined.only_from(&Provider::Us));
        assert_eq!(joined.sources().count(), 2);
        let count = joined.facts(|s| s.len());
        assert!(count > 0);
    }
}
