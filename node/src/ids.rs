//! Newtypes for everything identity- or routing-relevant: a state code is
//! validated once, at the edge, and is then a `StateCode` everywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// ISO 3166-1 alpha-3 codes (officially assigned), sorted for binary search.
const ISO_3166_ALPHA3: &[&str] = &[
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF",
    "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
    "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF",
    "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV",
    "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
    "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM",
    "GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD",
    "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN",
    "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ",
    "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE",
    "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX",
    "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL",
    "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK",
    "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP",
    "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR",
    "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL",
    "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY",
    "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF",
    "ZMB", "ZWE",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{0:?} is not an ISO 3166-1 alpha-3 country code (e.g. \"GHA\")")]
    NotAStateCode(String),
    #[error(
        "{0:?} is not a participant id: use a state code (\"GHA\"), \"hub:NAME\" or \"panel:NAME\""
    )]
    NotAParticipant(String),
    #[error("{0:?} is not a valid id (expected a UUID)")]
    NotAnId(String),
    #[error("{0:?} is not a role: use poc, investigator, analyst, auditor or admin")]
    NotARole(String),
}

/// An ISO 3166-1 alpha-3 country code, validated against the assigned list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StateCode([u8; 3]);

impl StateCode {
    pub fn as_str(&self) -> &str {
        // Constructed only from validated ASCII.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for StateCode {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let upper = s.trim();
        if upper.len() == 3 && ISO_3166_ALPHA3.binary_search(&upper).is_ok() {
            let b = upper.as_bytes();
            Ok(StateCode([b[0], b[1], b[2]]))
        } else {
            Err(IdError::NotAStateCode(s.to_string()))
        }
    }
}

impl TryFrom<String> for StateCode {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        s.parse()
    }
}
impl From<StateCode> for String {
    fn from(s: StateCode) -> String {
        s.as_str().to_string()
    }
}
impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Names of hubs and panels: upper-case letters, digits and '-', 2..=32.
fn valid_org_name(s: &str) -> bool {
    (2..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// A member of the federation: a state's node, a hub (regional organisation or
/// broker), or a UN sanctions panel (11.4).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ParticipantId {
    State(StateCode),
    Hub(String),
    Panel(String),
}

impl ParticipantId {
    pub fn state(&self) -> Option<StateCode> {
        match self {
            ParticipantId::State(s) => Some(*s),
            _ => None,
        }
    }
    pub fn is_hub(&self) -> bool {
        matches!(self, ParticipantId::Hub(_))
    }
}

impl FromStr for ParticipantId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        let bad = || IdError::NotAParticipant(s.to_string());
        if let Some(name) = s.strip_prefix("hub:") {
            return valid_org_name(name)
                .then(|| ParticipantId::Hub(name.to_string()))
                .ok_or_else(bad);
        }
        if let Some(name) = s.strip_prefix("panel:") {
            return valid_org_name(name)
                .then(|| ParticipantId::Panel(name.to_string()))
                .ok_or_else(bad);
        }
        s.parse::<StateCode>()
            .map(ParticipantId::State)
            .map_err(|_| bad())
    }
}
impl TryFrom<String> for ParticipantId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        s.parse()
    }
}
impl From<ParticipantId> for String {
    fn from(p: ParticipantId) -> String {
        p.to_string()
    }
}
impl From<StateCode> for ParticipantId {
    fn from(s: StateCode) -> Self {
        ParticipantId::State(s)
    }
}
impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParticipantId::State(s) => write!(f, "{s}"),
            ParticipantId::Hub(n) => write!(f, "hub:{n}"),
            ParticipantId::Panel(n) => write!(f, "panel:{n}"),
        }
    }
}
impl fmt::Debug for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new UUIDv7: time-ordered, so ids sort by creation.
            pub fn new_v7(at: time::OffsetDateTime) -> Self {
                let nanos = at.unix_timestamp_nanos();
                let secs = (nanos / 1_000_000_000) as u64;
                let sub = (nanos % 1_000_000_000) as u32;
                let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, sub);
                $name(uuid::Uuid::new_v7(ts))
            }
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }
        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                uuid::Uuid::parse_str(s.trim())
                    .map($name)
                    .map_err(|_| IdError::NotAnId(s.to_string()))
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

uuid_id!(
    /// One envelope; the key of exactly-once processing.
    EnvelopeId
);
uuid_id!(
    /// A case: every trace that follows one set of recovered items.
    CaseId
);
uuid_id!(
    /// A trace: one request to one requested state, and its replies.
    TraceId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_codes_are_validated_against_the_iso_list() {
        assert_eq!("GHA".parse::<StateCode>().unwrap().as_str(), "GHA");
        assert!("XXX".parse::<StateCode>().is_err());
        assert!("gha".parse::<StateCode>().is_err());
        assert!("GH".parse::<StateCode>().is_err());
        let mut sorted = ISO_3166_ALPHA3.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, ISO_3166_ALPHA3, "list must stay sorted and unique");
    }

    #[test]
    fn participant_ids_round_trip_through_text() {
        for text in ["GHA", "hub:ECOWAS", "hub:INTERPOL", "panel:UNPOE-LBY"] {
            let p: ParticipantId = text.parse().unwrap();
            assert_eq!(p.to_string(), text);
        }
        assert!("hub:".parse::<ParticipantId>().is_err());
        assert!("hub:ecowas".parse::<ParticipantId>().is_err());
        assert!("ZZZ".parse::<ParticipantId>().is_err());
    }

    #[test]
    fn v7_ids_sort_by_creation_time() {
        let t0 = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let a = EnvelopeId::new_v7(t0);
        let b = EnvelopeId::new_v7(t0 + time::Duration::milliseconds(5));
        assert!(a < b);
        assert_eq!(a.as_uuid().get_version_num(), 7);
    }
}
