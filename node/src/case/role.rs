//! Which side of a trace this node is on.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TraceRole {
    /// We sent the request.
    Requester,
    /// We were asked.
    Requested,
    /// We are a hub conducting the trace on a member's behalf (11.3.1).
    OnBehalf,
    /// Another participant passed us information from its own trace
    /// (a third state, a hub, a UN panel under 11.4). Nothing is owed.
    Informed,
}

impl TraceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TraceRole::Requester => "requester",
            TraceRole::Requested => "requested",
            TraceRole::OnBehalf => "on_behalf",
            TraceRole::Informed => "informed",
        }
    }
    /// Whether we asked (as ourselves or for a member).
    pub fn is_requesting(self) -> bool {
        matches!(self, TraceRole::Requester | TraceRole::OnBehalf)
    }
}

impl FromStr for TraceRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "requester" => Ok(TraceRole::Requester),
            "requested" => Ok(TraceRole::Requested),
            "on_behalf" => Ok(TraceRole::OnBehalf),
            "informed" => Ok(TraceRole::Informed),
            other => Err(format!("unknown trace role {other:?}")),
        }
    }
}

impl fmt::Display for TraceRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a trace waits for from this node beyond what its state says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Awaiting {
    #[default]
    Nothing,
    /// The requester asked us, the provider, for consent (10.3).
    ConsentAsked,
    /// Information passed on to us: to be read.
    InformationToRead,
    /// A draft of ours that goes once its providers consent.
    Consent,
}

impl Awaiting {
    pub fn as_str(self) -> &'static str {
        match self {
            Awaiting::Nothing => "",
            Awaiting::ConsentAsked => "consent_asked",
            Awaiting::InformationToRead => "information_to_read",
            Awaiting::Consent => "consent",
        }
    }

    /// Whether it puts the trace in the inbox.
    pub fn owed_by_us(self) -> bool {
        matches!(self, Awaiting::ConsentAsked | Awaiting::InformationToRead)
    }
}

impl FromStr for Awaiting {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            Awaiting::Nothing,
            Awaiting::ConsentAsked,
            Awaiting::InformationToRead,
            Awaiting::Consent,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
        .ok_or_else(|| format!("unknown awaiting {s:?}"))
    }
}
