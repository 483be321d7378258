//! Which record domains a point of contact may search (5.1), as the state's
//! own directory entry states it: each point of contact lists its
//! `authorisedRecords` and names the officer who acts as it. Where no point
//! of contact names an officer, the state has designated a single point of
//! contact, who "shall have the authority to trace ... in all relevant
//! domestic records".

use std::collections::BTreeMap;

use iti_proto::v1 as pb;

use super::{Domain, Domains};
use crate::identity::{Officer, Role};

/// How a state's points of contact share its records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Designation {
    /// One point of contact (or none named): every `poc` officer searches
    /// every domain.
    Single,
    /// Several: each named officer searches its authorised domains only.
    Several(BTreeMap<String, Domains>),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("only a point of contact (role poc) searches the national records; you are {0}")]
    NotAPointOfContact(Role),
    #[error(
        "{0} is not named as a point of contact in this state's directory entry \
         (pointsOfContact[].officer): it may search no records (5.1)"
    )]
    NotDesignated(String),
    #[error("{0} is authorised for no record domain in this state's directory entry (5.1)")]
    NoDomains(String),
}

/// The designation stated by the state's own directory entry (`None`: no
/// entry published).
pub fn designation(entry: Option<&pb::DirectoryEntry>) -> Designation {
    let Some(entry) = entry else {
        return Designation::Single;
    };
    let mut named: BTreeMap<String, Domains> = BTreeMap::new();
    for poc in &entry.points_of_contact {
        let officer = poc.officer.trim();
        if officer.is_empty() {
            continue;
        }
        named.entry(officer.to_string()).or_default().extend(
            poc.authorised_records
                .iter()
                .filter_map(|d| Domain::from_proto(*d)),
        );
    }
    if named.is_empty() {
        Designation::Single
    } else {
        Designation::Several(named)
    }
}

impl Designation {
    /// The domains `officer` may search.
    pub fn domains_of(&self, officer: &Officer) -> Result<Domains, AccessError> {
        if officer.role != Role::Poc {
            return Err(AccessError::NotAPointOfContact(officer.role));
        }
        match self {
            Designation::Single => Ok(Domain::ALL.into_iter().collect()),
            Designation::Several(named) => {
                let domains = named
                    .get(&officer.name)
                    .ok_or_else(|| AccessError::NotDesignated(officer.name.clone()))?;
                if domains.is_empty() {
                    return Err(AccessError::NoDomains(officer.name.clone()));
                }
                Ok(domains.clone())
            }
        }
    }

    /// Every domain some point of contact may search: what the node
    /// searches to answer an incoming request (8.3).
    pub fn all_domains(&self) -> Domains {
        match self {
            Designation::Single => Domain::ALL.into_iter().collect(),
            Designation::Several(named) => named.values().flatten().copied().collect(),
        }
    }

    /// The officers authorised for `domain` (empty for a single point of
    /// contact: whoever holds the role).
    pub fn officers_for(&self, domain: Domain) -> Vec<String> {
        match self {
            Designation::Single => vec![],
            Designation::Several(named) => named
                .iter()
                .filter(|(_, d)| d.contains(&domain))
                .map(|(name, _)| name.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ParticipantId;

    fn officer(name: &str, role: Role) -> Officer {
        Officer {
            participant: "NGA".parse::<ParticipantId>().unwrap(),
            role,
            name: name.into(),
        }
    }

    fn poc(officer: &str, domains: &[pb::RecordDomain]) -> pb::PointOfContact {
        pb::PointOfContact {
            name: format!("PoC {officer}"),
            officer: officer.into(),
            authorised_records: domains.iter().map(|d| *d as i32).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn several_points_of_contact_each_search_their_own_domains() {
        let entry = pb::DirectoryEntry {
            points_of_contact: vec![
                poc("police.poc", &[pb::RecordDomain::LawEnforcement]),
                poc(
                    "licensing.poc",
                    &[pb::RecordDomain::Civilians, pb::RecordDomain::Dealers],
                ),
            ],
            ..Default::default()
        };
        let d = designation(Some(&entry));
        assert_eq!(
            d.domains_of(&officer("police.poc", Role::Poc)).unwrap(),
            [Domain::LawEnforcement].into_iter().collect()
        );
        assert_eq!(
            d.domains_of(&officer("licensing.poc", Role::Poc)).unwrap(),
            [Domain::Dealers, Domain::Civilians].into_iter().collect()
        );
        assert_eq!(
            d.domains_of(&officer("someone", Role::Poc)),
            Err(AccessError::NotDesignated("someone".into()))
        );
        assert_eq!(d.all_domains().len(), 3);
        assert_eq!(d.officers_for(Domain::Civilians), ["licensing.poc"]);
    }

    #[test]
    fn a_single_point_of_contact_searches_everything_and_other_roles_nothing() {
        let entry = pb::DirectoryEntry {
            points_of_contact: vec![pb::PointOfContact {
                name: "the national PoC".into(),
                authorised_records: vec![pb::RecordDomain::LawEnforcement as i32],
                ..Default::default()
            }],
            ..Default::default()
        };
        for d in [designation(Some(&entry)), designation(None)] {
            assert_eq!(d, Designation::Single);
            assert_eq!(
                d.domains_of(&officer("any", Role::Poc)).unwrap().len(),
                Domain::ALL.len()
            );
            assert_eq!(
                d.domains_of(&officer("any", Role::Analyst)),
                Err(AccessError::NotAPointOfContact(Role::Analyst))
            );
        }
    }
}
