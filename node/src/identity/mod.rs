//! Who is calling. Identities live in certificate SAN URIs (scheme below); a
//! connection's identity is read once, from its verified certificate, and
//! never from a field of a message.
//!
//! Identity URI scheme (documented in the README):
//! - a state node:      `iti://node/GHA`
//! - a hub or broker:   `iti://node/hub:ECOWAS`
//! - a UN panel:        `iti://node/panel:UNPOE-LBY`
//! - an officer:        `iti://officer/GHA/poc/akosua.mensah`
//!   (`iti://officer/{participant}/{role}/{name}`)

pub mod browser_bundle;
pub mod pki;
pub mod standing;
pub mod tls;
pub mod trust;
pub mod warn_limit;

use std::fmt;
use std::str::FromStr;

use crate::ids::{IdError, ParticipantId};

/// What an officer may do on their own node. Roles are carried in the
/// officer's certificate, issued by the state's own CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The designated point of contact on tracing (5.1): sends, answers, and
    /// sees everything addressed to the state, TLP:RED included.
    Poc,
    /// A law-enforcement investigator working the case: sees up to
    /// TLP:AMBER+STRICT, may not send.
    Investigator,
    /// A policy or statistics analyst, not law enforcement: sees up to
    /// TLP:AMBER and nothing restricted to law enforcement.
    Analyst,
    /// Verifies the audit trail and sees case metadata, not content.
    Auditor,
    /// Runs the node: peering, directory, outbox. No case content.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Poc,
        Role::Investigator,
        Role::Analyst,
        Role::Auditor,
        Role::Admin,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Poc => "poc",
            Role::Investigator => "investigator",
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| IdError::NotARole(s.to_string()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An officer of a participant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Officer {
    pub participant: ParticipantId,
    pub role: Role,
    pub name: String,
}

impl fmt::Display for Officer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ({})", self.participant, self.name, self.role)
    }
}

/// The identity a certificate carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    Node(ParticipantId),
    Officer(Officer),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("{0:?} is not an ITI identity URI (iti://node/... or iti://officer/...)")]
    NotAnItiUri(String),
    #[error("officer name {0:?} must be 1-64 characters of a-z, 0-9, '.', '-' or '_'")]
    BadOfficerName(String),
    #[error(transparent)]
    Id(#[from] IdError),
    #[error("the certificate carries no ITI identity URI")]
    NoIdentity,
    #[error("the certificate carries more than one ITI identity URI")]
    SeveralIdentities,
    #[error("certificate could not be parsed: {0}")]
    BadCertificate(String),
}

fn valid_officer_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
}

impl Identity {
    pub fn to_uri(&self) -> String {
        match self {
            Identity::Node(p) => format!("iti://node/{p}"),
            Identity::Officer(o) => {
                format!("iti://officer/{}/{}/{}", o.participant, o.role, o.name)
            }
        }
    }

    pub fn participant(&self) -> &ParticipantId {
        match self {
            Identity::Node(p) => p,
            Identity::Officer(o) => &o.participant,
        }
    }

    pub fn officer(
        participant: ParticipantId,
        role: Role,
        name: &str,
    ) -> Result<Self, IdentityError> {
        if !valid_officer_name(name) {
            return Err(IdentityError::BadOfficerName(name.to_string()));
        }
        Ok(Identity::Officer(Officer {
            participant,
            role,
            name: name.to_string(),
        }))
    }

    /// Reads the single ITI identity from a DER certificate's SAN URIs.
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, IdentityError> {
        use x509_parser::prelude::*;
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| IdentityError::BadCertificate(e.to_string()))?;
        let mut found = None;
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                if let GeneralName::URI(uri) = name
                    && uri.starts_with("iti://")
                {
                    if found.is_some() {
                        return Err(IdentityError::SeveralIdentities);
                    }
                    found = Some(uri.parse::<Identity>()?);
                }
            }
        }
        found.ok_or(IdentityError::NoIdentity)
    }
}

impl FromStr for Identity {
    type Err = IdentityError;
    fn from_str(uri: &str) -> Result<Self, IdentityError> {
        let bad = || IdentityError::NotAnItiUri(uri.to_string());
        if let Some(p) = uri.strip_prefix("iti://node/") {
            return Ok(Identity::Node(p.parse()?));
        }
        let rest = uri.strip_prefix("iti://officer/").ok_or_else(bad)?;
        let mut parts = rest.splitn(3, '/');
        let (Some(p), Some(role), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        Identity::officer(p.parse()?, role.parse()?, name)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_uri())
    }
}

/// A node's certificate and key, and optionally the next ones with the time
/// they take over: keys rotate on a date announced in advance (directory),
/// so no delivery fails on the day.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub current: pki::KeyedCert,
    pub next: Option<(pki::KeyedCert, time::OffsetDateTime)>,
}

impl Credentials {
    pub fn single(current: pki::KeyedCert) -> Self {
        Credentials {
            current,
            next: None,
        }
    }

    /// The certificate in use at `now`.
    pub fn active(&self, now: time::OffsetDateTime) -> &pki::KeyedCert {
        match &self.next {
            Some((next, from)) if now >= *from => next,
            _ => &self.current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_uris_round_trip() {
        for uri in [
            "iti://node/GHA",
            "iti://node/hub:ECOWAS",
            "iti://node/panel:UNPOE-LBY",
            "iti://officer/GHA/poc/akosua.mensah",
            "iti://officer/hub:ECOWAS/admin/awa_diallo",
        ] {
            assert_eq!(uri.parse::<Identity>().unwrap().to_uri(), uri);
        }
    }

    #[test]
    fn rejects_malformed_identity_uris() {
        for bad in [
            "https://node/GHA",
            "iti://node/XXX",
            "iti://officer/GHA/poc",
            "iti://officer/GHA/chief/a",
            "iti://officer/GHA/poc/Upper",
            "iti://officer/GHA/poc/a/b",
        ] {
            assert!(bad.parse::<Identity>().is_err(), "{bad} should be refused");
        }
    }
}
