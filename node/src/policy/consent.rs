//! Consent (10.3): only the participant that provided restricted content
//! can lift a restriction on it. A consent is for one use; it may lift use
//! restrictions, and, for one named destination, the TLP level too (TLP
//! 2.0: the source may permit wider sharing). It applies to the content of
//! one message, or (naming none) to everything the provider gave on the
//! trace.

use std::collections::BTreeSet;

use super::Use;
use super::marked::{Provider, Source};
use super::marking::Restriction;
use crate::ids::{EnvelopeId, ParticipantId};

/// One consent, as received from (or given by) a provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    pub provider: ParticipantId,
    /// The message whose content it covers; `None`: all the provider gave.
    pub regarding: Option<EnvelopeId>,
    pub use_: Use,
    /// The one destination it is for; `None`: any (restrictions only).
    pub destination: Option<ParticipantId>,
    pub restrictions: BTreeSet<Restriction>,
    /// The provider permits this use to this destination despite the TLP
    /// level. Needs a destination.
    pub tlp: bool,
}

/// What the consents lift for one piece of content and one use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lifted {
    pub tlp: bool,
    pub restrictions: BTreeSet<Restriction>,
}

impl Lifted {
    pub fn nothing() -> Lifted {
        Lifted::default()
    }
}

/// The consents that bear on a piece of content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consents(Vec<Consent>);

impl Consents {
    pub fn none() -> Consents {
        Consents::default()
    }

    pub fn add(&mut self, consent: Consent) {
        self.0.push(consent);
    }

    /// What is lifted for content from `source` used for `use_` toward
    /// `destination`: only the provider's own consents count.
    pub fn lifted(
        &self,
        source: &Source,
        use_: Use,
        destination: Option<&ParticipantId>,
    ) -> Lifted {
        let Provider::Participant(provider) = &source.provider else {
            return Lifted::nothing();
        };
        let mut lifted = Lifted::nothing();
        for c in &self.0 {
            let covers = &c.provider == provider
                && c.use_ == use_
                && c.regarding.is_none_or(|m| Some(m) == source.message)
                && c.destination
                    .as_ref()
                    .is_none_or(|d| Some(d) == destination);
            if !covers {
                continue;
            }
            lifted.restrictions.extend(c.restrictions.iter().copied());
            // A TLP level is lifted for one named destination only.
            lifted.tlp |= c.tlp && c.destination.is_some();
        }
        lifted
    }
}

impl FromIterator<Consent> for Consents {
    fn from_iter<I: IntoIterator<Item = Consent>>(iter: I) -> Consents {
        Consents(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ParticipantId {
        s.parse().unwrap()
    }

    fn from_bel(message: EnvelopeId) -> Source {
        Source::message(Provider::Participant(p("BEL")), message)
    }

    fn consent(
        provider: &str,
        regarding: Option<EnvelopeId>,
        destination: Option<&str>,
    ) -> Consent {
        Consent {
            provider: p(provider),
            regarding,
            use_: Use::ForwardToThirdState,
            destination: destination.map(p),
            restrictions: BTreeSet::from([Restriction::NoOnwardDisclosure]),
            tlp: true,
        }
    }

    #[test]
    fn only_the_provider_lifts_its_restrictions() {
        let m = EnvelopeId::new_v7(time::OffsetDateTime::UNIX_EPOCH);
        let from_the_member: Consents = [consent("GHA", None, Some("NGA"))].into_iter().collect();
        assert_eq!(
            from_the_member.lifted(&from_bel(m), Use::ForwardToThirdState, Some(&p("NGA"))),
            Lifted::nothing()
        );
        let from_bel_itself: Consents = [consent("BEL", None, Some("NGA"))].into_iter().collect();
        let lifted =
            from_bel_itself.lifted(&from_bel(m), Use::ForwardToThirdState, Some(&p("NGA")));
        assert!(
            lifted.tlp
                && lifted
                    .restrictions
                    .contains(&Restriction::NoOnwardDisclosure)
        );
    }

    #[test]
    fn a_tlp_level_is_lifted_for_one_use_and_one_destination() {
        let m = EnvelopeId::new_v7(time::OffsetDateTime::UNIX_EPOCH);
        let given: Consents = [consent("BEL", Some(m), Some("NGA"))].into_iter().collect();
        let source = from_bel(m);
        assert!(
            given
                .lifted(&source, Use::ForwardToThirdState, Some(&p("NGA")))
                .tlp
        );
        assert!(
            !given
                .lifted(&source, Use::ForwardToThirdState, Some(&p("CIV")))
                .tlp
        );
        assert!(
            !given
                .lifted(&source, Use::ForwardToUnPanel, Some(&p("NGA")))
                .tlp
        );
        let other = EnvelopeId::new_v7(time::OffsetDateTime::UNIX_EPOCH);
        assert!(
            !given
                .lifted(&from_bel(other), Use::ForwardToThirdState, Some(&p("NGA")))
                .tlp,
            "another message of BEL's is not covered"
        );
        let anywhere: Consents = [consent("BEL", Some(m), None)].into_iter().collect();
        let lifted = anywhere.lifted(&source, Use::ForwardToThirdState, Some(&p("NGA")));
        assert!(!lifted.tlp, "a TLP level needs a named destination");
        assert!(
            lifted
                .restrictions
                .contains(&Restriction::NoOnwardDisclosure)
        );
    }
}
