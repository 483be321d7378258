//! The release gate: the one way marked content leaves a node, to an officer
//! on a screen, to another participant in an envelope, to a file or a report.
//!
//! [`release`] takes the content (a [`Marked`] value), the audience and the
//! consents its providers gave, and judges each part of the content
//! ([`Releasable::parts`]) under its own marking:
//!
//! - content goes back to the participant that provided it, and a node's
//!   own content goes to whomever its officers send it;
//! - otherwise every rule of `authorize` applies (TLP and use restrictions,
//!   for the use the audience amounts to), except what the provider of that
//!   part consented to, for that use and (for a TLP level) that destination;
//! - personal data (`Part::personal`) is withheld from analysts, auditors,
//!   admins and reports whatever its marking.
//!
//! A part that may not go is withheld, and the [`Released`] value says which
//! and by which rules; where the use needs the whole (forwarding, sending a
//! draft, export), any withheld part makes it a [`Refusal`] that names every
//! rule in the way, so that the officer can ask for exactly the consent
//! needed.

use std::collections::BTreeSet;
use std::fmt;

use super::consent::Consents;
use super::marked::{Marked, Provider, Source};
use super::marking::{Marking, MarkingError};
use super::{Denied, Use};
use crate::identity::Role;
use crate::ids::ParticipantId;

/// Who the content is released to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// An officer of this node, by role.
    Officer(Role),
    /// A participant the content is sent to.
    Participant(ParticipantId),
    /// A party of the trace the content belongs to, reached through a hub
    /// that conducts the trace for a member (11.3.1): what one party says
    /// goes to the other, the hub being a conduit.
    Party(ParticipantId),
    /// A file, for this state's own proceedings (as evidence, or not).
    Export { evidence: bool },
    /// A report (clause 12).
    Report,
}

impl Audience {
    /// The use that releasing someone else's content to this audience is.
    pub fn use_(&self) -> Use {
        match self {
            Audience::Officer(role) => Use::Display(*role),
            Audience::Participant(ParticipantId::State(_)) => Use::ForwardToThirdState,
            Audience::Participant(ParticipantId::Hub(_)) => Use::ForwardToHub,
            Audience::Participant(ParticipantId::Panel(_)) => Use::ForwardToUnPanel,
            Audience::Party(ParticipantId::State(_)) => Use::ForwardToThirdState,
            Audience::Party(ParticipantId::Hub(_)) => Use::ForwardToHub,
            Audience::Party(ParticipantId::Panel(_)) => Use::ForwardToUnPanel,
            Audience::Export { evidence: false } => Use::Export,
            Audience::Export { evidence: true } => Use::ExportAsEvidence,
            Audience::Report => Use::Report,
        }
    }

    fn destination(&self) -> Option<&ParticipantId> {
        match self {
            Audience::Participant(p) | Audience::Party(p) => Some(p),
            _ => None,
        }
    }

    /// 9.2.2, 7.3: personal data is for law enforcement only.
    fn may_receive_personal_data(&self) -> bool {
        match self {
            Audience::Officer(role) => matches!(role, Role::Poc | Role::Investigator),
            Audience::Report => false,
            Audience::Participant(_) | Audience::Party(_) | Audience::Export { .. } => true,
        }
    }
}

/// One part of a piece of content, as the gate judges it.
#[derive(Clone, Debug)]
pub struct Part {
    /// The protobuf JSON path of the part ("finding", "individuals",
    /// "domesticFindings.exportRecord").
    pub name: String,
    /// The part's own marking, if it has one; else the content's.
    pub marking: Option<Result<Marking, MarkingError>>,
    /// Where the part came from, if not from the content's sources.
    pub sources: Option<Vec<Source>>,
    /// From the content's sources except this provider (what a forwarder
    /// added to information it passes on is the forwarder's).
    pub excluding: Option<Provider>,
    /// Personal data (individuals; a possessor, holder or consignee who is
    /// a natural person; what is derived from them).
    pub personal: bool,
}

impl Part {
    pub fn new(name: impl Into<String>) -> Part {
        Part {
            name: name.into(),
            marking: None,
            sources: None,
            excluding: None,
            personal: false,
        }
    }

    pub fn marked(mut self, marking: Result<Marking, MarkingError>) -> Part {
        self.marking = Some(marking);
        self
    }

    pub fn from(mut self, sources: Vec<Source>) -> Part {
        self.sources = Some(sources);
        self
    }

    pub fn excluding(mut self, provider: Provider) -> Part {
        self.excluding = Some(provider);
        self
    }

    pub fn personal(mut self, personal: bool) -> Part {
        self.personal = personal;
        self
    }
}

/// Content the gate can release part by part.
pub trait Releasable: Clone {
    /// Every present part of the content.
    fn parts(&self) -> Vec<Part>;
    /// Removes a part that may not be released.
    fn withhold(&mut self, part: &str);
}

/// A rule that keeps a part in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    Policy(Denied),
    PersonalData,
    /// A marking that cannot be read withholds what it covers: fail closed.
    InvalidMarking(String),
}

impl Rule {
    /// The rule, briefly: "TLP:RED", "LE-ONLY", "personal data".
    pub fn label(&self) -> &str {
        match self {
            Rule::Policy(d) => d.rule(),
            Rule::PersonalData => "personal data",
            Rule::InvalidMarking(_) => "invalid marking",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Policy(d) => write!(f, "{d}"),
            Rule::PersonalData => f.write_str(
                "personal data, withheld from analysts, auditors, administrators and reports",
            ),
            Rule::InvalidMarking(e) => write!(f, "its marking cannot be read ({e})"),
        }
    }
}

/// A part kept in, who provided it, and every rule in the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withheld {
    pub part: String,
    pub providers: BTreeSet<Provider>,
    pub rules: Vec<Rule>,
}

impl Withheld {
    /// "finding (TLP:RED, NO-ONWARD)": how a view names it.
    pub fn label(&self) -> String {
        let rules: Vec<&str> = self.rules.iter().map(Rule::label).collect();
        format!("{} ({})", self.part, rules.join(", "))
    }
}

/// Content the gate let out, with what it kept in.
#[derive(Clone, Debug)]
pub struct Released<T> {
    value: T,
    pub withheld: Vec<Withheld>,
    /// The join of the markings of what was released: what the output is
    /// marked with.
    pub marking: Marking,
    /// The parts released under a provider's consent (worth auditing).
    pub under_consent: Vec<String>,
}

impl<T> Released<T> {
    pub fn value(&self) -> &T {
        &self.value
    }

    pub fn into_value(self) -> T {
        self.value
    }

    /// Whether anything was kept in.
    pub fn is_whole(&self) -> bool {
        self.withheld.is_empty()
    }

    /// Labels of what was kept in, for a view's `withheld` list.
    pub fn withheld_labels(&self) -> Vec<String> {
        self.withheld.iter().map(Withheld::label).collect()
    }
}

/// Whether a use may take part of the content or needs all of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whole {
    /// A view: what may not be shown is withheld and named.
    PartsMayBeWithheld,
    /// Sending, forwarding, exporting: all of it, or nothing.
    Required,
}

/// Why content may not go, naming every rule in the way.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Refusal {
    pub use_: Use,
    pub audience: String,
    pub withheld: Vec<Withheld>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {} refused:", self.use_, self.audience)?;
        for (i, w) in self.withheld.iter().enumerate() {
            let providers: Vec<String> = w.providers.iter().map(|p| p.to_string()).collect();
            write!(
                f,
                "{} {} (provided by {}): ",
                if i == 0 { "" } else { ";" },
                w.part,
                providers.join(", ")
            )?;
            let rules: Vec<String> = w.rules.iter().map(|r| r.to_string()).collect();
            f.write_str(&rules.join("; "))?;
        }
        Ok(())
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::Officer(role) => write!(f, "an officer with role {role}"),
            Audience::Participant(p) | Audience::Party(p) => write!(f, "{p}"),
            Audience::Export { evidence: true } => f.write_str("an evidence file"),
            Audience::Export { evidence: false } => f.write_str("an export file"),
            Audience::Report => f.write_str("a report"),
        }
    }
}

/// The gate. Releases `content` to `audience`: every part it may see, and,
/// with `Whole::Required`, all or nothing.
pub fn release<T: Releasable>(
    content: &Marked<T>,
    audience: &Audience,
    consents: &Consents,
    whole: Whole,
) -> Result<Released<T>, Refusal> {
    let judged = judge_parts(content, audience, consents, whole)?;
    Ok(judged.applied_to(content.open().clone(), content.marking()))
}

/// The gate, for content its holder no longer needs: as [`release`], but
/// without a copy of what may be tens of megabytes (a cache's request).
pub fn release_owned<T: Releasable>(
    content: Marked<T>,
    audience: &Audience,
    consents: &Consents,
    whole: Whole,
) -> Result<Released<T>, Refusal> {
    let judged = judge_parts(&content, audience, consents, whole)?;
    let (value, marking) = content.into_open();
    Ok(judged.applied_to(value, &marking))
}

/// What the gate decided of each part of some content.
struct Judged {
    withheld: Vec<Withheld>,
    under_consent: Vec<String>,
    marking: Option<Marking>,
}

impl Judged {
    /// The content as released: without the parts withheld.
    fn applied_to<T: Releasable>(self, mut value: T, default: &Marking) -> Released<T> {
        for w in &self.withheld {
            value.withhold(&w.part);
        }
        Released {
            value,
            withheld: self.withheld,
            marking: self.marking.unwrap_or_else(|| default.clone()),
            under_consent: self.under_consent,
        }
    }
}

/// Judges every part of `content` for `audience`; with `Whole::Required`,
/// refuses unless every part may go.
fn judge_parts<T: Releasable>(
    content: &Marked<T>,
    audience: &Audience,
    consents: &Consents,
    whole: Whole,
) -> Result<Judged, Refusal> {
    let mut withheld = Vec::new();
    let mut under_consent = Vec::new();
    let mut marking: Option<Marking> = None;
    for part in content.open().parts() {
        let sources = part.sources.clone().unwrap_or_else(|| {
            let all: Vec<Source> = content.sources().cloned().collect();
            let rest: Vec<Source> = all
                .iter()
                .filter(|s| Some(&s.provider) != part.excluding.as_ref())
                .cloned()
                .collect();
            if rest.is_empty() { all } else { rest }
        });
        let judged = judge(&part, content.marking(), &sources, audience, consents);
        match judged {
            Ok((m, consented)) => {
                if consented {
                    under_consent.push(part.name.clone());
                }
                marking = Some(marking.map_or(m.clone(), |acc| acc.join(&m)));
            }
            Err(rules) => withheld.push(Withheld {
                part: part.name.clone(),
                providers: sources.iter().map(|s| s.provider.clone()).collect(),
                rules,
            }),
        }
    }
    if whole == Whole::Required && !withheld.is_empty() {
        return Err(Refusal {
            use_: audience.use_(),
            audience: audience.to_string(),
            withheld,
        });
    }
    Ok(Judged {
        withheld,
        under_consent,
        marking,
    })
}

/// One part: its marking if it may go (and whether only under consent),
/// else every rule in the way.
fn judge(
    part: &Part,
    default: &Marking,
    sources: &[Source],
    audience: &Audience,
    consents: &Consents,
) -> Result<(Marking, bool), Vec<Rule>> {
    let marking = match &part.marking {
        None => default.clone(),
        Some(Ok(m)) => m.clone(),
        Some(Err(e)) => return Err(vec![Rule::InvalidMarking(e.to_string())]),
    };
    let mut rules = Vec::new();
    if part.personal && !audience.may_receive_personal_data() {
        rules.push(Rule::PersonalData);
    }
    let mut consented = false;
    for source in sources {
        if sent_back_or_own(source, audience) {
            continue;
        }
        let lifted = consents.lifted(source, audience.use_(), audience.destination());
        match super::authorize(&marking, audience.use_(), &lifted) {
            Ok(permit) => consented |= permit.under_consent(),
            Err(denials) => rules.extend(denials.into_iter().map(Rule::Policy)),
        }
    }
    rules.sort();
    rules.dedup();
    if rules.is_empty() {
        Ok((marking, consented))
    } else {
        Err(rules)
    }
}

/// Content goes back to its provider, a node's own content goes where its
/// officers send it, and a conducting hub passes what one party of a trace
/// says to the other: none is an onward use.
fn sent_back_or_own(source: &Source, audience: &Audience) -> bool {
    match (&source.provider, audience) {
        (_, Audience::Party(_)) => true,
        (Provider::Us, Audience::Participant(_)) => true,
        (Provider::Participant(p), Audience::Participant(to)) => p == to,
        _ => false,
    }
}
