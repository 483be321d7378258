//! Markings: how confidential a piece of information is (TLP 2.0) and what it
//! may be used for (the use restrictions of 10.3). A marking is read from the
//! protobuf once, with `TryFrom`, and is a `Marking` everywhere after.
//!
//! A section of a response without a marking of its own takes the response's
//! marking (`effective`). A section marking *replaces* the default rather than
//! adding to it: the responder may deliberately release one section (say, the
//! last legal possessor for a UN panel) more widely than the rest.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use iti_proto::v1 as pb;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkingError {
    #[error("{field} is unspecified: every marking needs a TLP (TLP:CLEAR to TLP:RED)")]
    UnspecifiedTlp { field: String },
    #[error("{field} = {value} is not a TLP level")]
    UnknownTlp { field: String, value: i32 },
    #[error("{field} is unspecified: name a use restriction or leave it out")]
    UnspecifiedRestriction { field: String },
    #[error("{field} = {value} is not a use restriction")]
    UnknownRestriction { field: String, value: i32 },
    #[error(
        "{0:?} is not a TLP label: use TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED"
    )]
    NotATlpLabel(String),
    #[error("{0:?} is not a use restriction: use INTEL-ONLY, NO-ONWARD, LE-ONLY or PROPRIETARY")]
    NotARestriction(String),
}

/// Traffic Light Protocol 2.0: who may see the information. Ordered from the
/// least to the most strict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// The label exactly as TLP 2.0 writes it.
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// What the level means, in the words of TLP 2.0.
    pub fn meaning(self) -> &'static str {
        match self {
            Tlp::Clear => "no limit on disclosure",
            Tlp::Green => "limited disclosure: recipients may share within their community",
            Tlp::Amber => {
                "limited disclosure: recipients may share with members of their own \
                 organisation and its clients, on a need-to-know basis"
            }
            Tlp::AmberStrict => {
                "limited disclosure: recipients may share only with members of their own \
                 organisation"
            }
            Tlp::Red => "for the eyes and ears of individual recipients only",
        }
    }

    pub fn to_proto(self) -> pb::Tlp {
        match self {
            Tlp::Clear => pb::Tlp::Clear,
            Tlp::Green => pb::Tlp::Green,
            Tlp::Amber => pb::Tlp::Amber,
            Tlp::AmberStrict => pb::Tlp::AmberStrict,
            Tlp::Red => pb::Tlp::Red,
        }
    }

    /// Reads the wire value of `field`; unspecified and unknown values are
    /// errors naming the field.
    pub fn try_from_wire(value: i32, field: &str) -> Result<Tlp, MarkingError> {
        match pb::Tlp::try_from(value) {
            Ok(pb::Tlp::Unspecified) => Err(MarkingError::UnspecifiedTlp {
                field: field.to_string(),
            }),
            Ok(pb::Tlp::Clear) => Ok(Tlp::Clear),
            Ok(pb::Tlp::Green) => Ok(Tlp::Green),
            Ok(pb::Tlp::Amber) => Ok(Tlp::Amber),
            Ok(pb::Tlp::AmberStrict) => Ok(Tlp::AmberStrict),
            Ok(pb::Tlp::Red) => Ok(Tlp::Red),
            Err(_) => Err(MarkingError::UnknownTlp {
                field: field.to_string(),
                value,
            }),
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Tlp {
    type Err = MarkingError;

    /// Accepts the labels ("TLP:AMBER+STRICT") and the bare levels ("CLEAR",
    /// "AMBER+STRICT", "amber-strict", "amber_strict"), case-insensitively.
    fn from_str(s: &str) -> Result<Tlp, MarkingError> {
        let upper = s.trim().to_ascii_uppercase();
        let level = upper.strip_prefix("TLP:").unwrap_or(&upper);
        match level {
            "CLEAR" => Ok(Tlp::Clear),
            "GREEN" => Ok(Tlp::Green),
            "AMBER" => Ok(Tlp::Amber),
            "AMBER+STRICT" | "AMBER-STRICT" | "AMBER_STRICT" => Ok(Tlp::AmberStrict),
            "RED" => Ok(Tlp::Red),
            _ => Err(MarkingError::NotATlpLabel(s.to_string())),
        }
    }
}

/// A use restriction (10.3): what the recipient may do with the information.
/// The order is the order in which denials are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Restriction {
    IntelligenceOnly,
    NoOnwardDisclosure,
    LawEnforcementOnly,
    ProprietaryCommercial,
}

impl Restriction {
    pub const ALL: [Restriction; 4] = [
        Restriction::IntelligenceOnly,
        Restriction::NoOnwardDisclosure,
        Restriction::LawEnforcementOnly,
        Restriction::ProprietaryCommercial,
    ];

    /// Short, stable code, shown to officers and written to the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Restriction::IntelligenceOnly => "INTEL-ONLY",
            Restriction::NoOnwardDisclosure => "NO-ONWARD",
            Restriction::LawEnforcementOnly => "LE-ONLY",
            Restriction::ProprietaryCommercial => "PROPRIETARY",
        }
    }

    /// The snake-case name (also accepted in kebab case by `FromStr`).
    pub fn name(self) -> &'static str {
        match self {
            Restriction::IntelligenceOnly => "intelligence_only",
            Restriction::NoOnwardDisclosure => "no_onward_disclosure",
            Restriction::LawEnforcementOnly => "law_enforcement_only",
            Restriction::ProprietaryCommercial => "proprietary_commercial",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Restriction::IntelligenceOnly => {
                "intelligence only: not to be used as evidence in judicial proceedings \
                 without the provider's consent"
            }
            Restriction::NoOnwardDisclosure => {
                "no onward disclosure to third states or organisations without the \
                 provider's consent"
            }
            Restriction::LawEnforcementOnly => {
                "law-enforcement use only: not for administrative, policy or public use"
            }
            Restriction::ProprietaryCommercial => {
                "proprietary commercial information (10.3): not to leave the recipient's \
                 tracing authorities or be published"
            }
        }
    }

    pub fn to_proto(self) -> pb::UseRestriction {
        match self {
            Restriction::IntelligenceOnly => pb::UseRestriction::IntelligenceOnly,
            Restriction::NoOnwardDisclosure => pb::UseRestriction::NoOnwardDisclosure,
            Restriction::LawEnforcementOnly => pb::UseRestriction::LawEnforcementOnly,
            Restriction::ProprietaryCommercial => pb::UseRestriction::ProprietaryCommercial,
        }
    }

    /// `None` for `USE_RESTRICTION_UNSPECIFIED`.
    pub fn from_proto(value: pb::UseRestriction) -> Option<Restriction> {
        match value {
            pb::UseRestriction::Unspecified => None,
            pb::UseRestriction::IntelligenceOnly => Some(Restriction::IntelligenceOnly),
            pb::UseRestriction::NoOnwardDisclosure => Some(Restriction::NoOnwardDisclosure),
            pb::UseRestriction::LawEnforcementOnly => Some(Restriction::LawEnforcementOnly),
            pb::UseRestriction::ProprietaryCommercial => Some(Restriction::ProprietaryCommercial),
        }
    }

    /// Reads the wire value of `field`; unspecified and unknown values are
    /// errors naming the field.
    pub fn try_from_wire(value: i32, field: &str) -> Result<Restriction, MarkingError> {
        match pb::UseRestriction::try_from(value) {
            Ok(known) => {
                Restriction::from_proto(known).ok_or_else(|| MarkingError::UnspecifiedRestriction {
                    field: field.to_string(),
                })
            }
            Err(_) => Err(MarkingError::UnknownRestriction {
                field: field.to_string(),
                value,
            }),
        }
    }
}

impl fmt::Display for Restriction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Restriction {
    type Err = MarkingError;

    /// Accepts the code ("NO-ONWARD") or the name in snake or kebab case
    /// ("no_onward_disclosure", "no-onward-disclosure"), case-insensitively.
    fn from_str(s: &str) -> Result<Restriction, MarkingError> {
        let normalised = s.trim().to_ascii_lowercase().replace('-', "_");
        Restriction::ALL
            .into_iter()
            .find(|r| {
                normalised == r.name()
                    || normalised == r.code().to_ascii_lowercase().replace('-', "_")
            })
            .ok_or_else(|| MarkingError::NotARestriction(s.to_string()))
    }
}

/// The marking of a request, a response or one section of a response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Marking {
    pub tlp: Tlp,
    pub restrictions: BTreeSet<Restriction>,
}

impl Marking {
    /// A marking with no use restrictions.
    pub fn new(tlp: Tlp) -> Marking {
        Marking {
            tlp,
            restrictions: BTreeSet::new(),
        }
    }

    pub fn with(mut self, restriction: Restriction) -> Marking {
        self.restrictions.insert(restriction);
        self
    }

    /// Reads the marking at `path` (a protobuf JSON path such as
    /// `"lastLegalPossessor.marking"`), so that errors name the exact field.
    pub fn try_from_proto_at(marking: &pb::Marking, path: &str) -> Result<Marking, MarkingError> {
        let tlp = Tlp::try_from_wire(marking.tlp, &format!("{path}.tlp"))?;
        let restrictions = marking
            .restrictions
            .iter()
            .enumerate()
            .map(|(i, &value)| {
                Restriction::try_from_wire(value, &format!("{path}.restrictions[{i}]"))
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(Marking { tlp, restrictions })
    }

    pub fn to_proto(&self) -> pb::Marking {
        pb::Marking {
            tlp: self.tlp.to_proto() as i32,
            restrictions: self
                .restrictions
                .iter()
                .map(|r| r.to_proto() as i32)
                .collect(),
        }
    }
}

impl TryFrom<&pb::Marking> for Marking {
    type Error = MarkingError;
    fn try_from(marking: &pb::Marking) -> Result<Marking, MarkingError> {
        Marking::try_from_proto_at(marking, "marking")
    }
}

impl fmt::Display for Marking {
    /// `TLP:AMBER [NO-ONWARD, PROPRIETARY]`, or just `TLP:AMBER`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tlp.label())?;
        if !self.restrictions.is_empty() {
            let codes: Vec<&str> = self.restrictions.iter().map(|r| r.code()).collect();
            write!(f, " [{}]", codes.join(", "))?;
        }
        Ok(())
    }
}

/// The marking that governs a section: its own if it has one, else the
/// response's. Errors name `marking.*` for the default and
/// `section.marking.*` for the section; `effective_in` names the section.
pub fn effective(
    section: Option<&pb::Marking>,
    default: &pb::Marking,
) -> Result<Marking, MarkingError> {
    effective_in("section", section, default)
}

/// `effective`, with errors naming `{section_name}.marking.*`.
pub fn effective_in(
    section_name: &str,
    section: Option<&pb::Marking>,
    default: &pb::Marking,
) -> Result<Marking, MarkingError> {
    match section {
        Some(own) => Marking::try_from_proto_at(own, &format!("{section_name}.marking")),
        None => Marking::try_from_proto_at(default, "marking"),
    }
}

impl Marking {
    /// The join: a marking at least as strict as both, the stricter TLP and
    /// every restriction of either. What content derived from both carries.
    pub fn join(&self, other: &Marking) -> Marking {
        Marking {
            tlp: self.tlp.max(other.tlp),
            restrictions: self
                .restrictions
                .union(&other.restrictions)
                .copied()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(tlp: pb::Tlp, restrictions: &[pb::UseRestriction]) -> pb::Marking {
        pb::Marking {
            tlp: tlp as i32,
            restrictions: restrictions.iter().map(|&r| r as i32).collect(),
        }
    }

    #[test]
    fn tlp_is_ordered_by_strictness() {
        assert!(Tlp::Clear < Tlp::Green);
        assert!(Tlp::Green < Tlp::Amber);
        assert!(Tlp::Amber < Tlp::AmberStrict);
        assert!(Tlp::AmberStrict < Tlp::Red);
    }

    #[test]
    fn tlp_labels_are_written_as_tlp_2_writes_them() {
        let labels: Vec<&str> = Tlp::ALL.iter().map(|t| t.label()).collect();
        assert_eq!(
            labels,
            [
                "TLP:CLEAR",
                "TLP:GREEN",
                "TLP:AMBER",
                "TLP:AMBER+STRICT",
                "TLP:RED"
            ]
        );
        assert_eq!(Tlp::AmberStrict.to_string(), "TLP:AMBER+STRICT");
    }

    #[test]
    fn tlp_parses_labels_and_bare_levels_in_any_case() {
        for tlp in Tlp::ALL {
            assert_eq!(tlp.label().parse::<Tlp>(), Ok(tlp));
            assert_eq!(tlp.label().to_lowercase().parse::<Tlp>(), Ok(tlp));
        }
        assert_eq!("CLEAR".parse::<Tlp>(), Ok(Tlp::Clear));
        assert_eq!("AMBER+STRICT".parse::<Tlp>(), Ok(Tlp::AmberStrict));
        assert_eq!("amber-strict".parse::<Tlp>(), Ok(Tlp::AmberStrict));
        assert_eq!("tlp:amber-strict".parse::<Tlp>(), Ok(Tlp::AmberStrict));
        assert_eq!(" red ".parse::<Tlp>(), Ok(Tlp::Red));
    }

    #[test]
    fn tlp_rejects_unknown_labels() {
        for bad in ["", "TLP:", "WHITE", "TLP:AMBER+", "AMBERSTRICT", "TLP RED"] {
            assert_eq!(
                bad.parse::<Tlp>(),
                Err(MarkingError::NotATlpLabel(bad.to_string())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn restriction_codes_are_stable() {
        let codes: Vec<&str> = Restriction::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes, ["INTEL-ONLY", "NO-ONWARD", "LE-ONLY", "PROPRIETARY"]);
    }

    #[test]
    fn every_restriction_explains_itself_in_one_sentence() {
        for r in Restriction::ALL {
            let meaning = r.meaning();
            assert!(!meaning.is_empty());
            assert!(
                !meaning.trim_end().ends_with('.'),
                "{r}: no full stop, it goes in parentheses"
            );
            assert!(!meaning.contains(". "), "{r}: one sentence");
        }
        assert!(
            Restriction::IntelligenceOnly
                .meaning()
                .contains("evidence in judicial proceedings")
        );
        assert!(
            Restriction::NoOnwardDisclosure
                .meaning()
                .contains("third states or organisations")
        );
        assert!(
            Restriction::ProprietaryCommercial
                .meaning()
                .contains("10.3")
        );
    }

    #[test]
    fn restriction_parses_code_snake_and_kebab_names() {
        for r in Restriction::ALL {
            assert_eq!(r.code().parse::<Restriction>(), Ok(r));
            assert_eq!(r.code().to_lowercase().parse::<Restriction>(), Ok(r));
            assert_eq!(r.name().parse::<Restriction>(), Ok(r));
            assert_eq!(r.name().replace('_', "-").parse::<Restriction>(), Ok(r));
            assert_eq!(r.name().to_uppercase().parse::<Restriction>(), Ok(r));
        }
        assert_eq!(
            "no-onward-disclosure".parse::<Restriction>(),
            Ok(Restriction::NoOnwardDisclosure)
        );
        assert_eq!(
            "secret".parse::<Restriction>(),
            Err(MarkingError::NotARestriction("secret".to_string()))
        );
    }

    #[test]
    fn marking_round_trips_through_protobuf() {
        for tlp in Tlp::ALL {
            for mask in 0..16u8 {
                let mut marking = Marking::new(tlp);
                for (i, r) in Restriction::ALL.into_iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        marking = marking.with(r);
                    }
                }
                assert_eq!(Marking::try_from(&marking.to_proto()), Ok(marking));
            }
        }
    }

    #[test]
    fn marking_without_tlp_is_rejected_naming_the_field() {
        let err = Marking::try_from(&wire(pb::Tlp::Unspecified, &[])).unwrap_err();
        assert_eq!(
            err,
            MarkingError::UnspecifiedTlp {
                field: "marking.tlp".into()
            }
        );
        assert!(err.to_string().starts_with("marking.tlp is unspecified"));
    }

    #[test]
    fn marking_with_unknown_tlp_value_is_rejected() {
        let marking = pb::Marking {
            tlp: 42,
            restrictions: vec![],
        };
        assert_eq!(
            Marking::try_from(&marking),
            Err(MarkingError::UnknownTlp {
                field: "marking.tlp".into(),
                value: 42
            })
        );
    }

    #[test]
    fn unspecified_restriction_is_rejected_naming_its_index() {
        let marking = wire(
            pb::Tlp::Amber,
            &[
                pb::UseRestriction::NoOnwardDisclosure,
                pb::UseRestriction::Unspecified,
            ],
        );
        assert_eq!(
            Marking::try_from(&marking),
            Err(MarkingError::UnspecifiedRestriction {
                field: "marking.restrictions[1]".into()
            })
        );
        let unknown = pb::Marking {
            tlp: pb::Tlp::Amber as i32,
            restrictions: vec![99],
        };
        assert_eq!(
            Marking::try_from(&unknown),
            Err(MarkingError::UnknownRestriction {
                field: "marking.restrictions[0]".into(),
                value: 99
            })
        );
    }

    #[test]
    fn repeated_restrictions_collapse() {
        let marking = wire(
            pb::Tlp::Green,
            &[
                pb::UseRestriction::LawEnforcementOnly,
                pb::UseRestriction::LawEnforcementOnly,
            ],
        );
        let parsed = Marking::try_from(&marking).unwrap();
        assert_eq!(
            parsed,
            Marking::new(Tlp::Green).with(Restriction::LawEnforcementOnly)
        );
        assert_eq!(parsed.to_proto().restrictions.len(), 1);
    }

    #[test]
    fn marking_displays_label_and_codes_in_order() {
        let marking = Marking::new(Tlp::Amber)
            .with(Restriction::ProprietaryCommercial)
            .with(Restriction::NoOnwardDisclosure);
        assert_eq!(marking.to_string(), "TLP:AMBER [NO-ONWARD, PROPRIETARY]");
        assert_eq!(Marking::new(Tlp::Red).to_string(), "TLP:RED");
    }

    #[test]
    fn section_without_marking_takes_the_default() {
        let default = wire(pb::Tlp::Amber, &[pb::UseRestriction::NoOnwardDisclosure]);
        assert_eq!(
            effective(None, &default),
            Ok(Marking::new(Tlp::Amber).with(Restriction::NoOnwardDisclosure))
        );
    }

    #[test]
    fn section_marking_replaces_the_default() {
        let default = wire(pb::Tlp::Red, &[pb::UseRestriction::NoOnwardDisclosure]);
        let own = wire(pb::Tlp::Green, &[]);
        assert_eq!(
            effective(Some(&own), &default),
            Ok(Marking::new(Tlp::Green))
        );
    }

    #[test]
    fn effective_names_the_marking_at_fault() {
        let bad = wire(pb::Tlp::Unspecified, &[]);
        let good = wire(pb::Tlp::Green, &[]);
        assert_eq!(
            effective_in("history", Some(&bad), &good),
            Err(MarkingError::UnspecifiedTlp {
                field: "history.marking.tlp".into()
            })
        );
        assert_eq!(
            effective_in("history", None, &bad),
            Err(MarkingError::UnspecifiedTlp {
                field: "marking.tlp".into()
            })
        );
    }

    #[test]
    fn the_join_takes_the_higher_tlp_and_all_restrictions() {
        let a = Marking::new(Tlp::Green).with(Restriction::IntelligenceOnly);
        let b = Marking::new(Tlp::AmberStrict).with(Restriction::ProprietaryCommercial);
        let both = a.join(&b);
        assert_eq!(
            both,
            Marking::new(Tlp::AmberStrict)
                .with(Restriction::IntelligenceOnly)
                .with(Restriction::ProprietaryCommercial)
        );
        assert_eq!(b.join(&a), both);
        assert_eq!(a.join(&a), a);
    }
}
