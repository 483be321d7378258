//! Who may see received information, and what it may be used for.
//!
//! `authorize(marking, use, lifted)` is the decision for one marking; the
//! release gate (`gate::release`) is the one way content leaves a node, and
//! applies it to each part of the content, with what the provider of that
//! part consented to (`consent`). Two independent sets of rules apply, and
//! both must allow a use.
//!
//! Layout: `marking` (TLP 2.0 and the use restrictions), `marked` (content
//! held as `Marked<T>`, with its marking and sources), `sections` (how
//! messages split into parts; personal data), `consent`, `gate` (the
//! release gate), `redact` (markings read off a response), `photo` (who may
//! have a photograph's bytes).
//!
//! **TLP: who may see it.** Only the provider's consent lifts a TLP rule,
//! for one use and one named destination (TLP 2.0: the source may permit
//! wider sharing).
//!
//! | use                          | CLEAR | GREEN | AMBER | AMBER+STRICT | RED |
//! |------------------------------|-------|-------|-------|--------------|-----|
//! | display to the poc           | yes   | yes   | yes   | yes          | yes |
//! | display to an investigator   | yes   | yes   | yes   | yes          | –   |
//! | display to an analyst        | yes   | yes   | yes   | –            | –   |
//! | display to an auditor        | yes   | –     | –     | –            | –   |
//! | display to an admin          | yes   | –     | –     | –            | –   |
//! | forward to a third state     | yes   | yes   | –     | –            | –   |
//! | forward to a hub             | yes   | yes   | –     | –            | –   |
//! | forward to a UN panel (11.4) | yes   | yes   | –     | –            | –   |
//! | export (own proceedings)     | yes   | yes   | yes   | –            | –   |
//! | export as evidence           | yes   | yes   | yes   | –            | –   |
//! | report (clause 12)           | yes   | yes   | –     | –            | –   |
//!
//! Auditors and admins never see case content above TLP:CLEAR (see
//! [`Role`]): they verify the trail and run the node.
//!
//! **Use restrictions (10.3): what it may be used for.** An "x" denies. The
//! originator's consent lifts one restriction for one use.
//!
//! | use                          | INTEL-ONLY | NO-ONWARD | LE-ONLY | PROPRIETARY |
//! |------------------------------|------------|-----------|---------|-------------|
//! | display to the poc           |            |           |         |             |
//! | display to an investigator   |            |           |         |             |
//! | display to an analyst        |            |           | x       |             |
//! | display to an auditor        |            |           | x       |             |
//! | display to an admin          |            |           | x       |             |
//! | forward to a third state     |            | x         |         | x           |
//! | forward to a hub             |            | x         |         | x           |
//! | forward to a UN panel        | x          | x         | x       | x           |
//! | export (own proceedings)     |            |           |         |             |
//! | export as evidence           | x          |           |         | x           |
//! | report                       |            | x         | x       | x           |
//!
//! When several rules deny a use, every one is reported: the TLP denial
//! first, then the restrictions in the order of the columns above.

pub mod consent;
pub mod gate;
pub mod marked;
pub mod marking;
pub mod photo;
pub mod redact;
pub mod sections;

use std::fmt;

use iti_proto::v1 as pb;

use crate::identity::Role;
use consent::Lifted;
use marking::{Marking, MarkingError, Restriction, Tlp};

/// What someone wants to do with a piece of received information.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Use {
    /// Shown to an officer of the receiving node, through the local API.
    Display(Role),
    ForwardToThirdState,
    ForwardToHub,
    /// 11.4: to a UN panel investigating violations of an arms embargo.
    ForwardToUnPanel,
    /// Exported to a file for the requester's own proceedings.
    Export,
    /// Exported as evidence for judicial proceedings.
    ExportAsEvidence,
    /// Included in a report (clause 12 national reports, statistics).
    Report,
}

impl Use {
    /// The uses that take information off the node (`pb::OnwardUse`).
    pub const ONWARD: [Use; 6] = [
        Use::ForwardToThirdState,
        Use::ForwardToHub,
        Use::ForwardToUnPanel,
        Use::Export,
        Use::ExportAsEvidence,
        Use::Report,
    ];

    /// The wire value of an onward use; `None` for display.
    pub fn to_onward(self) -> Option<pb::OnwardUse> {
        match self {
            Use::Display(_) => None,
            Use::ForwardToThirdState => Some(pb::OnwardUse::ForwardToThirdState),
            Use::ForwardToHub => Some(pb::OnwardUse::ForwardToHub),
            Use::ForwardToUnPanel => Some(pb::OnwardUse::ForwardToUnPanel),
            Use::Export => Some(pb::OnwardUse::Export),
            Use::ExportAsEvidence => Some(pb::OnwardUse::ExportAsEvidence),
            Use::Report => Some(pb::OnwardUse::Report),
        }
    }

    /// Reads the wire value of `field`; unspecified and unknown values are
    /// errors naming the field.
    pub fn try_from_onward_wire(value: i32, field: &str) -> Result<Use, PolicyError> {
        match pb::OnwardUse::try_from(value) {
            Ok(known) => Use::try_from(known).map_err(|_| PolicyError::UnspecifiedUse {
                field: field.to_string(),
            }),
            Err(_) => Err(PolicyError::UnknownUse {
                field: field.to_string(),
                value,
            }),
        }
    }
}

impl TryFrom<pb::OnwardUse> for Use {
    type Error = PolicyError;
    fn try_from(onward: pb::OnwardUse) -> Result<Use, PolicyError> {
        match onward {
            pb::OnwardUse::Unspecified => Err(PolicyError::UnspecifiedUse {
                field: "use".to_string(),
            }),
            pb::OnwardUse::ForwardToThirdState => Ok(Use::ForwardToThirdState),
            pb::OnwardUse::ForwardToHub => Ok(Use::ForwardToHub),
            pb::OnwardUse::ForwardToUnPanel => Ok(Use::ForwardToUnPanel),
            pb::OnwardUse::Export => Ok(Use::Export),
            pb::OnwardUse::ExportAsEvidence => Ok(Use::ExportAsEvidence),
            pb::OnwardUse::Report => Ok(Use::Report),
        }
    }
}

impl fmt::Display for Use {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Use::Display(Role::Poc) => "display to the point of contact",
            Use::Display(Role::Investigator) => "display to an investigator",
            Use::Display(Role::Analyst) => "display to an analyst",
            Use::Display(Role::Auditor) => "display to an auditor",
            Use::Display(Role::Admin) => "display to an administrator",
            Use::ForwardToThirdState => "forwarding to a third state",
            Use::ForwardToHub => "forwarding to a hub",
            Use::ForwardToUnPanel => "forwarding to a UN panel",
            Use::Export => "export",
            Use::ExportAsEvidence => "export as evidence",
            Use::Report => "inclusion in a report",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{field} is unspecified: name an onward use")]
    UnspecifiedUse { field: String },
    #[error("{field} = {value} is not an onward use")]
    UnknownUse { field: String, value: i32 },
    #[error(transparent)]
    Marking(#[from] MarkingError),
}

/// Proof that `authorize` allowed a use. Only `authorize` makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permit {
    use_: Use,
    under_consent: bool,
}

impl Permit {
    pub fn use_(&self) -> Use {
        self.use_
    }

    /// Whether a rule would have denied the use had the provider not
    /// consented: worth recording in the audit log.
    pub fn under_consent(&self) -> bool {
        self.under_consent
    }
}

/// Why a use was refused: a rule that denied it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, thiserror::Error)]
pub enum Denied {
    #[error("{use_} refused by {tlp} ({})", tlp.meaning())]
    Tlp { tlp: Tlp, use_: Use },
    #[error(
        "{use_} refused by use restriction {} ({})",
        restriction.code(),
        restriction.meaning()
    )]
    Restriction { restriction: Restriction, use_: Use },
}

impl Denied {
    pub fn use_(&self) -> Use {
        match self {
            Denied::Tlp { use_, .. } | Denied::Restriction { use_, .. } => *use_,
        }
    }

    /// The rule, briefly: "TLP:RED" or "LE-ONLY".
    pub fn rule(&self) -> &'static str {
        match self {
            Denied::Tlp { tlp, .. } => tlp.label(),
            Denied::Restriction { restriction, .. } => restriction.code(),
        }
    }
}

/// Decides whether `use_` is allowed for information marked `marking`, with
/// what its provider's consents lift. Every rule that denies it is
/// returned: the TLP first, then the restrictions in enum order.
pub fn authorize(marking: &Marking, use_: Use, lifted: &Lifted) -> Result<Permit, Vec<Denied>> {
    let mut denied = Vec::new();
    let mut under_consent = false;
    if !tlp_allows(marking.tlp, use_) {
        if lifted.tlp {
            under_consent = true;
        } else {
            denied.push(Denied::Tlp {
                tlp: marking.tlp,
                use_,
            });
        }
    }
    // BTreeSet iterates in enum order.
    for &restriction in &marking.restrictions {
        if restriction_denies(restriction, use_) {
            if lifted.restrictions.contains(&restriction) {
                under_consent = true;
            } else {
                denied.push(Denied::Restriction { restriction, use_ });
            }
        }
    }
    if denied.is_empty() {
        Ok(Permit {
            use_,
            under_consent,
        })
    } else {
        Err(denied)
    }
}

/// The TLP table of the module doc.
fn tlp_allows(tlp: Tlp, use_: Use) -> bool {
    match use_ {
        Use::Display(Role::Poc) => true,
        Use::Display(Role::Investigator) => tlp <= Tlp::AmberStrict,
        Use::Display(Role::Analyst) => tlp <= Tlp::Amber,
        // Metadata roles: no case content unless it is public.
        Use::Display(Role::Auditor | Role::Admin) => tlp == Tlp::Clear,
        // Leaving the recipient's organisation is beyond AMBER's limits.
        Use::ForwardToThirdState | Use::ForwardToHub | Use::ForwardToUnPanel | Use::Report => {
            tlp <= Tlp::Green
        }
        // Stays within the recipient's organisation and its clients (the
        // courts): AMBER, but not AMBER+STRICT.
        Use::Export | Use::ExportAsEvidence => tlp <= Tlp::Amber,
    }
}

/// The restriction table of the module doc.
fn restriction_denies(restriction: Restriction, use_: Use) -> bool {
    match restriction {
        Restriction::IntelligenceOnly => {
            matches!(use_, Use::ExportAsEvidence | Use::ForwardToUnPanel)
        }
        Restriction::NoOnwardDisclosure => matches!(
            use_,
            Use::ForwardToThirdState | Use::ForwardToHub | Use::ForwardToUnPanel | Use::Report
        ),
        Restriction::LawEnforcementOnly => matches!(
            use_,
            Use::Display(Role::Analyst | Role::Auditor | Role::Admin)
                | Use::ForwardToUnPanel
                | Use::Report
        ),
        Restriction::ProprietaryCommercial => matches!(
            use_,
            Use::ForwardToThirdState
                | Use::ForwardToHub
                | Use::ForwardToUnPanel
                | Use::Report
                | Use::ExportAsEvidence
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Y: bool = true;
    const N: bool = false;

    /// The column order of the tables below.
    const USES: [Use; 11] = [
        Use::ForwardToThirdState,
        Use::ForwardToHub,
        Use::ForwardToUnPanel,
        Use::Export,
        Use::ExportAsEvidence,
        Use::Report,
        Use::Display(Role::Poc),
        Use::Display(Role::Investigator),
        Use::Display(Role::Analyst),
        Use::Display(Role::Auditor),
        Use::Display(Role::Admin),
    ];

    /// Each restriction alone, at TLP:CLEAR.
    #[rustfmt::skip]
    const RESTRICTION_TABLE: [(Restriction, [bool; 11]); 4] = [
        //                                  3rd hub panel export evid report poc inv anl aud adm
        (Restriction::IntelligenceOnly,      [Y,  Y,  N,    Y,     N,   Y,     Y,  Y,  Y,  Y,  Y]),
        (Restriction::NoOnwardDisclosure,    [N,  N,  N,    Y,     Y,   N,     Y,  Y,  Y,  Y,  Y]),
        (Restriction::LawEnforcementOnly,    [Y,  Y,  N,    Y,     Y,   N,     Y,  Y,  N,  N,  N]),
        (Restriction::ProprietaryCommercial, [N,  N,  N,    Y,     N,   N,     Y,  Y,  Y,  Y,  Y]),
    ];

    /// Each TLP, without restrictions.
    #[rustfmt::skip]
    const TLP_TABLE: [(Tlp, [bool; 11]); 5] = [
        //                 3rd hub panel export evid report poc inv anl aud adm
        (Tlp::Clear,       [Y,  Y,  Y,    Y,     Y,   Y,     Y,  Y,  Y,  Y,  Y]),
        (Tlp::Green,       [Y,  Y,  Y,    Y,     Y,   Y,     Y,  Y,  Y,  N,  N]),
        (Tlp::Amber,       [N,  N,  N,    Y,     Y,   N,     Y,  Y,  Y,  N,  N]),
        (Tlp::AmberStrict, [N,  N,  N,    N,     N,   N,     Y,  Y,  N,  N,  N]),
        (Tlp::Red,         [N,  N,  N,    N,     N,   N,     Y,  N,  N,  N,  N]),
    ];

    fn expected_for_restriction(r: Restriction, use_: Use) -> bool {
        let (_, row) = RESTRICTION_TABLE.iter().find(|(x, _)| *x == r).unwrap();
        row[USES.iter().position(|u| *u == use_).unwrap()]
    }

    fn expected_for_tlp(t: Tlp, use_: Use) -> bool {
        let (_, row) = TLP_TABLE.iter().find(|(x, _)| *x == t).unwrap();
        row[USES.iter().position(|u| *u == use_).unwrap()]
    }

    /// Every marking: each TLP with each subset of restrictions.
    fn all_markings() -> Vec<Marking> {
        let mut markings = Vec::new();
        for tlp in Tlp::ALL {
            for mask in 0..16u8 {
                let mut m = Marking::new(tlp);
                for (i, r) in Restriction::ALL.into_iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        m = m.with(r);
                    }
                }
                markings.push(m);
            }
        }
        markings
    }

    #[test]
    fn tables_cover_every_use_restriction_and_tlp() {
        assert_eq!(USES.len(), Use::ONWARD.len() + Role::ALL.len());
        for u in Use::ONWARD {
            assert!(USES.contains(&u));
        }
        for role in Role::ALL {
            assert!(USES.contains(&Use::Display(role)));
        }
        for r in Restriction::ALL {
            assert!(RESTRICTION_TABLE.iter().any(|(x, _)| *x == r));
        }
        for t in Tlp::ALL {
            assert!(TLP_TABLE.iter().any(|(x, _)| *x == t));
        }
    }

    #[test]
    fn each_restriction_alone_allows_and_denies_as_the_table_says() {
        for (restriction, row) in RESTRICTION_TABLE {
            for (use_, allowed) in USES.into_iter().zip(row) {
                let marking = Marking::new(Tlp::Clear).with(restriction);
                let got = authorize(&marking, use_, &Lifted::nothing());
                if allowed {
                    assert!(got.is_ok(), "{restriction} should allow {use_}: {got:?}");
                } else {
                    assert_eq!(
                        got,
                        Err(vec![Denied::Restriction { restriction, use_ }]),
                        "{restriction} should deny {use_}"
                    );
                }
            }
        }
    }

    #[test]
    fn each_tlp_allows_and_denies_as_the_table_says() {
        for (tlp, row) in TLP_TABLE {
            for (use_, allowed) in USES.into_iter().zip(row) {
                let got = authorize(&Marking::new(tlp), use_, &Lifted::nothing());
                if allowed {
                    assert!(got.is_ok(), "{tlp} should allow {use_}: {got:?}");
                } else {
                    assert_eq!(
                        got,
                        Err(vec![Denied::Tlp { tlp, use_ }]),
                        "{tlp} should deny {use_}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_marking_allows_only_what_every_rule_allows_and_reports_every_denial() {
        for marking in all_markings() {
            for use_ in USES {
                let got = authorize(&marking, use_, &Lifted::nothing());
                let mut expected = Vec::new();
                if !expected_for_tlp(marking.tlp, use_) {
                    expected.push(Denied::Tlp {
                        tlp: marking.tlp,
                        use_,
                    });
                }
                for &restriction in &marking.restrictions {
                    if !expected_for_restriction(restriction, use_) {
                        expected.push(Denied::Restriction { restriction, use_ });
                    }
                }
                let expected = if expected.is_empty() {
                    Ok(())
                } else {
                    Err(expected)
                };
                assert_eq!(got.map(|_| ()), expected, "{marking} for {use_}");
            }
        }
    }

    #[test]
    fn the_tlp_denial_comes_first_then_the_restrictions_in_enum_order() {
        let marking = Marking::new(Tlp::Red)
            .with(Restriction::ProprietaryCommercial)
            .with(Restriction::NoOnwardDisclosure);
        assert_eq!(
            authorize(&marking, Use::ForwardToHub, &Lifted::nothing()),
            Err(vec![
                Denied::Tlp {
                    tlp: Tlp::Red,
                    use_: Use::ForwardToHub
                },
                Denied::Restriction {
                    restriction: Restriction::NoOnwardDisclosure,
                    use_: Use::ForwardToHub
                },
                Denied::Restriction {
                    restriction: Restriction::ProprietaryCommercial,
                    use_: Use::ForwardToHub
                },
            ])
        );
    }

    #[test]
    fn what_consent_lifts_is_allowed_and_recorded_as_such() {
        let marking = Marking::new(Tlp::Amber)
            .with(Restriction::NoOnwardDisclosure)
            .with(Restriction::ProprietaryCommercial);
        let mut lifted = Lifted::nothing();
        lifted.restrictions.insert(Restriction::NoOnwardDisclosure);
        assert_eq!(
            authorize(&marking, Use::ForwardToThirdState, &lifted),
            Err(vec![
                Denied::Tlp {
                    tlp: Tlp::Amber,
                    use_: Use::ForwardToThirdState
                },
                Denied::Restriction {
                    restriction: Restriction::ProprietaryCommercial,
                    use_: Use::ForwardToThirdState
                },
            ]),
            "what is not lifted still stands"
        );
        lifted.tlp = true;
        lifted
            .restrictions
            .insert(Restriction::ProprietaryCommercial);
        let permit = authorize(&marking, Use::ForwardToThirdState, &lifted).unwrap();
        assert_eq!(permit.use_(), Use::ForwardToThirdState);
        assert!(permit.under_consent());
    }

    #[test]
    fn permit_without_consent_records_none() {
        let permit = authorize(&Marking::new(Tlp::Amber), Use::Export, &Lifted::nothing()).unwrap();
        assert!(!permit.under_consent());
        let mut lifted = Lifted::nothing();
        lifted.tlp = true;
        let permit = authorize(&Marking::new(Tlp::Amber), Use::Export, &lifted).unwrap();
        assert!(!permit.under_consent(), "nothing needed lifting");
    }

    #[test]
    fn denial_names_the_rule_and_its_meaning() {
        let by_restriction = Denied::Restriction {
            restriction: Restriction::NoOnwardDisclosure,
            use_: Use::ForwardToThirdState,
        };
        assert_eq!(
            by_restriction.to_string(),
            "forwarding to a third state refused by use restriction NO-ONWARD (no onward \
             disclosure to third states or organisations without the provider's consent)"
        );
        assert_eq!(by_restriction.rule(), "NO-ONWARD");

        let by_tlp = Denied::Tlp {
            tlp: Tlp::Red,
            use_: Use::Display(Role::Analyst),
        };
        assert_eq!(
            by_tlp.to_string(),
            "display to an analyst refused by TLP:RED (for the eyes and ears of individual \
             recipients only)"
        );
        assert_eq!(by_tlp.rule(), "TLP:RED");
    }

    #[test]
    fn onward_uses_map_to_and_from_protobuf() {
        for use_ in Use::ONWARD {
            let wire = use_.to_onward().unwrap();
            assert_eq!(Use::try_from(wire), Ok(use_));
        }
        for role in Role::ALL {
            assert_eq!(Use::Display(role).to_onward(), None);
        }
        assert!(Use::try_from(pb::OnwardUse::Unspecified).is_err());
    }
}
