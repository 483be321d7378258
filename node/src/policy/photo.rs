//! Who may have a photograph's bytes from this node (6.2.3). A message
//! carries only a photograph's hash; the bytes go to another participant
//! only through this decision, the one gate for them:
//! - the photograph was uploaded here: one fetched from another state is
//!   that state's to release, and is not passed on;
//! - this node sent the caller a message that references it (the message
//!   itself went through the release gate when it was made).

use crate::ids::ParticipantId;

/// Where a stored photograph came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Uploaded by one of our officers.
    Uploaded,
    /// Fetched from the participant that sent us a message referencing it.
    FetchedFrom(ParticipantId),
}

/// Proof that a photograph may go to a participant.
#[derive(Debug)]
pub struct PhotoPermit(());

/// The rules that keep a photograph from a participant (facts only).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("photograph not released: {}", .rules.join("; "))]
pub struct PhotoRefused {
    pub rules: Vec<String>,
}

/// Whether `to` may have a photograph held as `held`, given the
/// participants this node sent a message referencing it.
pub fn release_photo(
    held: &Held,
    to: &ParticipantId,
    sent_to: &[ParticipantId],
) -> Result<PhotoPermit, PhotoRefused> {
    let mut rules = Vec::new();
    if let Held::FetchedFrom(from) = held {
        rules.push(format!("it came from {from}, which releases it itself"));
    }
    if !sent_to.contains(to) {
        rules.push(format!("no message referencing it was sent to {to}"));
    }
    if rules.is_empty() {
        Ok(PhotoPermit(()))
    } else {
        Err(PhotoRefused { rules })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ParticipantId {
        s.parse().unwrap()
    }

    #[test]
    fn a_photograph_goes_only_to_whom_a_message_referencing_it_was_sent() {
        let sent = [p("BEL")];
        assert!(release_photo(&Held::Uploaded, &p("BEL"), &sent).is_ok());
        let refused = release_photo(&Held::Uploaded, &p("NGA"), &sent).unwrap_err();
        assert_eq!(refused.rules, ["no message referencing it was sent to NGA"]);
        assert!(release_photo(&Held::Uploaded, &p("BEL"), &[]).is_err());
    }

    #[test]
    fn a_photograph_fetched_from_another_state_is_not_passed_on() {
        let refused =
            release_photo(&Held::FetchedFrom(p("GHA")), &p("NGA"), &[p("NGA")]).unwrap_err();
        assert_eq!(refused.rules.len(), 1, "{refused}");
        assert!(refused.rules[0].contains("came from GHA"));
    }
}
