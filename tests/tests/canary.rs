//! The canary (issue 12): content goes only where its markings allow, at
//! every exit of every node.
//!
//! A unique token ("CANARY-<field>-<run>") is planted in every free-text and
//! identifying field of three requests, their responses (each section of
//! one of them under another marking, together every TLP level and every
//! use restriction, with a private person as last legal possessor), an
//! acknowledgement, a delay, a clarification and its answer, a refusal and
//! a closure, a consent request and a consent, forwarding notes, and a
//! broker's lost/stolen register entry. Then, for every role on every node,
//! every read command and every onward path of the local API runs; the
//! nodes' logs (every crate, at TRACE), their metrics and the events and
//! audit entries they store are read too.
//!
//! What each exit may show is written here from the README's tables
//! ("Markings and use restrictions"), not asked of the node's policy code:
//! a token may appear at a display exit only if the marking of the part it
//! belongs to (at that node) lets the officer's role see it, and it is not
//! personal data shown to an analyst, auditor or admin; in an export only
//! if the marking allows the export; in a report only if it allows a report
//! and is not personal data; at another participant only if it was sent
//! there by a use the marking (or its provider's consent) allows, and then
//! under the join of the markings of what travelled with it. Events, audit
//! entries, logs, metrics, outbox errors and error messages never carry a
//! token.
//!
//! The test prints the matrix of exits by role (rows: node, role, exit;
//! columns: token families) and fails on any token out of place.
//!
//! Layout: tokens and families; markings and the README's rules; where
//! content is expected (`Expect`, `Flow`); the planted messages; the
//! federation; the exits (`Canary`, which records what every call
//! returned); the scenario; the matrix and the verdict.
//!
//! Its own test binary: the log capture is global to the process.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, anyhow, bail};
use iti_node::clock::Clock;
use iti_node::identity::Role;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::{Federation, p};
use tonic::transport::Channel;

const GHA: &str = "GHA";
const BEL: &str = "BEL";
const NGA: &str = "NGA";
const ECOWAS: &str = "hub:ECOWAS";
const INTERPOL: &str = "hub:INTERPOL";
const PANEL: &str = "panel:UNPOE-LBY";
const NODES: [&str; 6] = [GHA, BEL, NGA, ECOWAS, INTERPOL, PANEL];

// ---------------------------------------------------------------- tokens

/// What a token was planted in: the columns of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    Request,
    Items,
    Individuals,
    Broker,
    Ack,
    Delay,
    RestrictedText,
    Finding,
    Licence,
    History,
    Possessor,
    Person,
    Commercial,
    RespIndividuals,
    RespText,
    Clarification,
    ConsentAsk,
    Consent,
    Refusal,
    Closure,
    ForwardNote,
}

const FAMILIES: [Family; 21] = [
    Family::Request,
    Family::Items,
    Family::Individuals,
    Family::Broker,
    Family::Ack,
    Family::Delay,
    Family::RestrictedText,
    Family::Finding,
    Family::Licence,
    Family::History,
    Family::Possessor,
    Family::Person,
    Family::Commercial,
    Family::RespIndividuals,
    Family::RespText,
    Family::Clarification,
    Family::ConsentAsk,
    Family::Consent,
    Family::Refusal,
    Family::Closure,
    Family::ForwardNote,
];

impl Family {
    fn code(self) -> &'static str {
        match self {
            Family::Request => "REQ",
            Family::Items => "ITM",
            Family::Individuals => "IND",
            Family::Broker => "BRK",
            Family::Ack => "ACK",
            Family::Delay => "DLY",
            Family::RestrictedText => "RTX",
            Family::Finding => "FND",
            Family::Licence => "LIC",
            Family::History => "HIS",
            Family::Possessor => "LLP",
            Family::Person => "PER",
            Family::Commercial => "COM",
            Family::RespIndividuals => "RIN",
            Family::RespText => "TXT",
            Family::Clarification => "CLR",
            Family::ConsentAsk => "CRQ",
            Family::Consent => "CNS",
            Family::Refusal => "REF",
            Family::Closure => "CLO",
            Family::ForwardNote => "FWN",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Family::Request => "requests: context, purpose, grounds, references, notes",
            Family::Items => "requests: identification of the items (serials, marks)",
            Family::Individuals => "requests: individuals (personal data)",
            Family::Broker => "broker's lost/stolen register entry (notice)",
            Family::Ack => "acknowledgement",
            Family::Delay => "delay explanation",
            Family::RestrictedText => "restricted response's explanation (GREEN, INTEL-ONLY)",
            Family::Finding => "finding (RED, NO-ONWARD; the consignee is a private person)",
            Family::Licence => "export licence number in a finding (RED, NO-ONWARD)",
            Family::History => "history (AMBER, LE-ONLY)",
            Family::Possessor => "last legal possessor, not personal (CLEAR)",
            Family::Person => "last legal possessor, a private person (CLEAR)",
            Family::Commercial => "commercial details (AMBER, PROPRIETARY)",
            Family::RespIndividuals => "response's individuals (AMBER+STRICT, personal data)",
            Family::RespText => "response's own text (GREEN, INTEL-ONLY)",
            Family::Clarification => "clarification question and answer",
            Family::ConsentAsk => "consent request's justification",
            Family::Consent => "consent's note",
            Family::Refusal => "refusal explanation",
            Family::Closure => "closure outcome",
            Family::ForwardNote => "forwarding note",
        }
    }
}

struct Token {
    text: String,
    lower: String,
    label: String,
    family: Family,
    personal: bool,
}

/// Every token planted, and where each one is found in a text.
struct Tokens {
    run: String,
    list: Vec<Token>,
}

/// The tokens a text holds (by index), each with an excerpt of where; and
/// what looks like a token but is none (a fragment: content cut or changed).
#[derive(Default)]
struct Found {
    tokens: BTreeMap<usize, String>,
    fragments: Vec<String>,
}

impl Tokens {
    fn new() -> Tokens {
        use rand::Rng;
        let run: String = rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(6)
            .map(|c| char::from(c).to_ascii_uppercase())
            .collect();
        Tokens { run, list: vec![] }
    }

    /// A token with exactly this text.
    fn add_text(&mut self, text: String, label: &str, family: Family, personal: bool) -> usize {
        let lower = text.to_ascii_lowercase();
        assert!(
            self.list.iter().all(|t| t.lower != lower),
            "token {text} planted twice"
        );
        self.list.push(Token {
            text,
            lower,
            label: label.to_string(),
            family,
            personal,
        });
        self.list.len() - 1
    }

    /// "CANARY-<label>-<run>".
    fn add(&mut self, label: &str, family: Family) -> usize {
        let text = format!("CANARY-{label}-{}", self.run);
        self.add_text(text, label, family, false)
    }

    /// A token in a field of personal data.
    fn add_personal(&mut self, label: &str, family: Family) -> usize {
        let text = format!("CANARY-{label}-{}", self.run);
        self.add_text(text, label, family, true)
    }

    fn text(&self, i: usize) -> String {
        self.list[i].text.clone()
    }

    /// Every token in `text` (case-insensitive: a node may change case),
    /// the longest that matches at each place.
    fn find(&self, text: &str) -> Found {
        let lower = text.to_ascii_lowercase();
        let mut found = Found::default();
        for (at, _) in lower.match_indices("canary-") {
            let rest = &lower[at..];
            let best = self
                .list
                .iter()
                .enumerate()
                .filter(|(_, t)| rest.starts_with(&t.lower))
                .max_by_key(|(_, t)| t.lower.len());
            match best {
                Some((i, _)) => {
                    found
                        .tokens
                        .entry(i)
                        .or_insert_with(|| excerpt(text, at, 70));
                }
                None => found.fragments.push(excerpt(text, at, 70)),
            }
        }
        found
    }
}

/// Up to `around` bytes either side of `at`, on character boundaries.
fn excerpt(text: &str, at: usize, around: usize) -> String {
    let mut start = at.saturating_sub(around);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + around).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    text[start..end].replace('\n', "⏎")
}

// ---------------------------------------------------------------- markings and the README's rules

/// TLP 2.0 levels, least restrictive first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// The README's use restrictions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rx {
    IntelOnly,
    NoOnward,
    LeOnly,
    Proprietary,
}

const ALL_RX: [Rx; 4] = [Rx::IntelOnly, Rx::NoOnward, Rx::LeOnly, Rx::Proprietary];

#[derive(Clone, Debug, PartialEq, Eq)]
struct Mk {
    tlp: Tlp,
    rx: BTreeSet<Rx>,
}

fn mk(tlp: Tlp, rx: &[Rx]) -> Mk {
    Mk {
        tlp,
        rx: rx.iter().copied().collect(),
    }
}

impl Mk {
    /// Derived content carries the join: the highest level, every
    /// restriction.
    fn join(&self, other: &Mk) -> Mk {
        Mk {
            tlp: self.tlp.max(other.tlp),
            rx: self.rx.union(&other.rx).copied().collect(),
        }
    }

    fn proto(&self) -> pb::Marking {
        pb::Marking {
            tlp: match self.tlp {
                Tlp::Clear => pb::Tlp::Clear,
                Tlp::Green => pb::Tlp::Green,
                Tlp::Amber => pb::Tlp::Amber,
                Tlp::AmberStrict => pb::Tlp::AmberStrict,
                Tlp::Red => pb::Tlp::Red,
            } as i32,
            restrictions: self.rx.iter().map(|r| rx_proto(*r) as i32).collect(),
        }
    }
}

fn rx_proto(r: Rx) -> pb::UseRestriction {
    match r {
        Rx::IntelOnly => pb::UseRestriction::IntelligenceOnly,
        Rx::NoOnward => pb::UseRestriction::NoOnwardDisclosure,
        Rx::LeOnly => pb::UseRestriction::LawEnforcementOnly,
        Rx::Proprietary => pb::UseRestriction::ProprietaryCommercial,
    }
}

fn rx_of_proto(value: i32) -> Option<Rx> {
    ALL_RX.into_iter().find(|r| rx_proto(*r) as i32 == value)
}

/// What content is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    Display(Role),
    ForwardState,
    ForwardHub,
    ForwardPanel,
    Export,
    Evidence,
    Report,
}

/// The README's table "use | TLP allows | refused by", and its sentence on
/// personal data (withheld from analysts, auditors and admins whatever the
/// marking; issue 12: and from reports).
fn allows(m: &Mk, personal: bool, u: Use) -> bool {
    let ceiling = match u {
        Use::Display(Role::Poc) => Tlp::Red,
        Use::Display(Role::Investigator) => Tlp::AmberStrict,
        Use::Display(Role::Analyst) => Tlp::Amber,
        Use::Display(Role::Auditor | Role::Admin) => Tlp::Clear,
        Use::ForwardState | Use::ForwardHub | Use::ForwardPanel | Use::Report => Tlp::Green,
        Use::Export | Use::Evidence => Tlp::Amber,
    };
    let refused_by: &[Rx] = match u {
        Use::Display(Role::Analyst | Role::Auditor | Role::Admin) => &[Rx::LeOnly],
        Use::Display(_) | Use::Export => &[],
        Use::ForwardState | Use::ForwardHub => &[Rx::NoOnward, Rx::Proprietary],
        Use::ForwardPanel => &ALL_RX,
        Use::Evidence => &[Rx::IntelOnly, Rx::Proprietary],
        Use::Report => &[Rx::NoOnward, Rx::LeOnly, Rx::Proprietary],
    };
    let personal_barred = personal
        && matches!(
            u,
            Use::Display(Role::Analyst | Role::Auditor | Role::Admin) | Use::Report
        );
    m.tlp <= ceiling && !m.rx.iter().any(|r| refused_by.contains(r)) && !personal_barred
}

/// The use that sending content to `to` is.
fn onward_use(to: &str) -> Use {
    if to.starts_with("hub:") {
        Use::ForwardHub
    } else if to.starts_with("panel:") {
        Use::ForwardPanel
    } else {
        Use::ForwardState
    }
}

/// A consent as its provider gave it (README: "a message from the
/// originator that lifts one restriction for one use"; issue 12: and, for
/// one named destination, the TLP level).
#[derive(Clone, Debug)]
struct ConsentGiven {
    provider: &'static str,
    /// The message it covers (a label), or everything the provider gave.
    regarding: Option<&'static str>,
    use_: Use,
    to: Option<String>,
    tlp: bool,
    rx: BTreeSet<Rx>,
}

// ---------------------------------------------------------------- where content is expected

/// Content held at a node under one marking.
#[derive(Clone, Debug)]
struct Held {
    tokens: Vec<usize>,
    marking: Mk,
}

/// One part of an outgoing message: its tokens and marking, and who
/// provided it (`None`: the sender itself) in which message.
#[derive(Clone, Debug)]
struct Part {
    tokens: Vec<usize>,
    marking: Mk,
    source: Option<(&'static str, &'static str)>,
}

/// Content sent from one participant to another: what may arrive, and
/// under which marking it is held there.
struct Flow {
    to: &'static str,
    /// The label the content has at the destination.
    label: String,
    parts: Vec<Part>,
    /// Forwarding, a draft sent whole: all of it or nothing. A draft sent
    /// "without restricted fields": what may go.
    whole: bool,
}

impl Flow {
    /// A node's own content goes where its officers send it (the README's
    /// onward table is about received information); received content goes
    /// back to its provider, or on only as its marking, or its provider's
    /// consent for this use and destination, allows.
    fn may_go(&self, part: &Part, consents: &[ConsentGiven]) -> bool {
        let Some((provider, message)) = part.source else {
            return true;
        };
        if provider == self.to {
            return true;
        }
        let u = onward_use(self.to);
        let covering: Vec<&ConsentGiven> = consents
            .iter()
            .filter(|c| {
                c.provider == provider
                    && c.use_ == u
                    && c.regarding.is_none_or(|m| m == message)
                    && c.to.as_deref().is_none_or(|d| d == self.to)
            })
            .collect();
        let tlp_lifted = covering.iter().any(|c| c.tlp && c.to.is_some());
        let mut m = part.marking.clone();
        if tlp_lifted {
            m.tlp = Tlp::Clear;
        }
        for c in &covering {
            m.rx.retain(|r| !c.rx.contains(r));
        }
        // Personal data may go to a participant (the README withholds it
        // from roles, not from states).
        allows(&m, false, u)
    }

    /// What arrives, under the join of the markings of what travels
    /// together; `None` when nothing may go.
    fn arrives(&self, consents: &[ConsentGiven]) -> Option<Held> {
        let going: Vec<&Part> = self
            .parts
            .iter()
            .filter(|p| self.may_go(p, consents))
            .collect();
        if going.is_empty() || (self.whole && going.len() < self.parts.len()) {
            return None;
        }
        let marking = going
            .iter()
            .skip(1)
            .fold(going[0].marking.clone(), |m, p| m.join(&p.marking));
        Some(Held {
            tokens: going.iter().flat_map(|p| p.tokens.clone()).collect(),
            marking,
        })
    }
}

/// Where each token may be: by node and trace label, the content held
/// there and its marking.
#[derive(Default, Clone)]
struct Expect {
    places: BTreeMap<(String, String), Vec<Held>>,
}

impl Expect {
    fn hold(&mut self, node: &str, label: &str, tokens: &[usize], marking: &Mk) {
        self.places
            .entry((node.to_string(), label.to_string()))
            .or_default()
            .push(Held {
                tokens: tokens.to_vec(),
                marking: marking.clone(),
            });
    }

    fn hold_sections(&mut self, node: &str, label: &str, sections: &[(Vec<usize>, Mk)]) {
        for (tokens, marking) in sections {
            self.hold(node, label, tokens, marking);
        }
    }

    /// What `u` may take of what `node` holds under `label`.
    fn allowed(&self, tok: &Tokens, node: &str, label: &str, u: Use) -> BTreeSet<usize> {
        self.places
            .get(&(node.to_string(), label.to_string()))
            .into_iter()
            .flatten()
            .flat_map(|h| {
                h.tokens
                    .iter()
                    .copied()
                    .filter(|&t| allows(&h.marking, tok.list[t].personal, u))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn held(&self, node: &str, label: &str) -> BTreeSet<usize> {
        self.places
            .get(&(node.to_string(), label.to_string()))
            .into_iter()
            .flatten()
            .flat_map(|h| h.tokens.iter().copied())
            .collect()
    }

    fn labels_at(&self, node: &str) -> Vec<String> {
        self.places
            .keys()
            .filter(|(n, _)| n == node)
            .map(|(_, l)| l.clone())
            .collect()
    }
}

// ---------------------------------------------------------------- the planted messages

/// How a request is routed (9.1): each request takes another rule, whose
/// grounds quote what the officer entered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Routing {
    /// 9.1 a: the requester's own export record, to BEL.
    ExportRecord,
    /// 9.1 b: an import marking naming BEL.
    ImportMark,
    /// The officer chooses BEL, with a reason (planted in `request`).
    Override,
}

struct PlantedRequest {
    proto: pb::TraceRequest,
    all: Vec<usize>,
    items: Vec<usize>,
    make: usize,
    serial: usize,
}

/// Plants the tokens of one request, keeping which is which.
struct Planter<'a> {
    tok: &'a mut Tokens,
    l: &'a str,
    all: Vec<usize>,
    items: Vec<usize>,
}

impl Planter<'_> {
    fn t(&mut self, field: &str, family: Family) -> String {
        let label = format!("{}-{field}", self.l);
        let i = if family == Family::Individuals {
            self.tok.add_personal(&label, family)
        } else {
            self.tok.add(&label, family)
        };
        self.all.push(i);
        if family == Family::Items {
            self.items.push(i);
        }
        self.tok.text(i)
    }

    fn mark(&mut self, kind: pb::MarkKind, name: &str, country: &str) -> pb::WeaponMark {
        pb::WeaponMark {
            kind: kind as i32,
            value: self.t(&format!("{name}-VALUE"), Family::Items),
            location: self.t(&format!("{name}-LOCATION"), Family::Items),
            country: country.into(),
            year: 2008,
        }
    }
}

/// A request of `l` with a token in every free-text and identifying field.
fn plant_request(tok: &mut Tokens, l: &str, marking: &Mk, routing: Routing) -> PlantedRequest {
    let mut t = Planter {
        tok,
        l,
        all: vec![],
        items: vec![],
    };
    let make = t.t("MAKE", Family::Items);
    let make_i = *t.all.last().expect("just planted");
    // The serial ends in a zero: the broker's register has it with a
    // letter O (a usual misreading), so the two are distinct tokens.
    let serial_text = format!("CANARY-{l}-SERIAL-{}0", t.tok.run);
    let serial_i = t.tok.add_text(
        serial_text.clone(),
        &format!("{l}-SERIAL"),
        Family::Items,
        false,
    );
    t.all.push(serial_i);
    t.items.push(serial_i);
    let mut marks = vec![
        t.mark(pb::MarkKind::Proof, "PROOF-MARK", BEL),
        t.mark(pb::MarkKind::Manufacture, "MANUFACTURE-MARK", BEL),
    ];
    if routing == Routing::ImportMark {
        marks.push(t.mark(pb::MarkKind::Import, "IMPORT-MARK", BEL));
    }
    let weapon = pb::WeaponIdentification {
        make,
        model: t.t("MODEL", Family::Items),
        calibre: t.t("CALIBRE", Family::Items),
        serial_number: serial_text,
        country_of_manufacture: BEL.into(),
        country_of_last_import: String::new(),
        serial_location: t.t("SERIAL-LOCATION", Family::Items),
        action_type: pb::ActionType::Automatic as i32,
        barrel_length_mm: 533,
        magazine_capacity: 20,
        marks,
        manufacturer: t.t("MANUFACTURER", Family::Items),
        photographs: vec![pb::Attachment {
            sha256: "3f1c5b2a9e7d4c8b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b".into(),
            media_type: "image/jpeg".into(),
            filename: t.t("PHOTO-FILENAME", Family::Items),
            size_bytes: 482_113,
            caption: t.t("PHOTO-CAPTION", Family::Items),
        }],
        description: t.t("WEAPON-DESCRIPTION", Family::Items),
    };
    let ammunition = pb::AmmunitionIdentification {
        manufacturer: t.t("AMMO-MANUFACTURER", Family::Items),
        manufacturer_code: t.t("AMMO-CODE", Family::Items),
        country_of_manufacture: BEL.into(),
        lot_number: t.t("AMMO-LOT", Family::Items),
        year_of_production: 2008,
        calibre: t.t("AMMO-CALIBRE", Family::Items),
        headstamp: t.t("AMMO-HEADSTAMP", Family::Items),
        photographs: vec![],
    };
    let part = pb::PartIdentification {
        kind: pb::PartKind::Barrel as i32,
        make: t.t("PART-MAKE", Family::Items),
        serial_number: t.t("PART-SERIAL", Family::Items),
        country_of_manufacture: BEL.into(),
        marks: vec![t.mark(pb::MarkKind::Serial, "PART-MARK", "")],
        description: t.t("PART-DESCRIPTION", Family::Items),
        photographs: vec![],
    };
    let export_record = (routing == Routing::ExportRecord).then(|| pb::ExportRecord {
        importing_state: BEL.into(),
        export_date: "2008-12-01".into(),
        licence_number: t.t("DOMESTIC-LICENCE", Family::Request),
        recorded_by: GHA.into(),
    });
    let proto = pb::TraceRequest {
        context: Some(pb::RecoveryContext {
            illicit_nature: t.t("ILLICIT-NATURE", Family::Request),
            legal_basis: t.t("LEGAL-BASIS", Family::Request),
            circumstances: t.t("CIRCUMSTANCES", Family::Request),
            recovered_at: Some(iti_tests::fixtures::ts("2026-10-02T09:30:00Z")),
            place_of_recovery: t.t("PLACE", Family::Request),
        }),
        grounds: None,
        items: vec![
            pb::RecoveredItem {
                item_ref: t.t("ITEM-REF-1", Family::Items),
                quantity: 1,
                item: Some(pb::recovered_item::Item::Weapon(weapon)),
            },
            pb::RecoveredItem {
                item_ref: t.t("ITEM-REF-2", Family::Items),
                quantity: 120,
                item: Some(pb::recovered_item::Item::Ammunition(ammunition)),
            },
            pb::RecoveredItem {
                item_ref: t.t("ITEM-REF-3", Family::Items),
                quantity: 1,
                item: Some(pb::recovered_item::Item::Part(part)),
            },
        ],
        information_sought: t.t("INFORMATION-SOUGHT", Family::Request),
        purpose: t.t("PURPOSE", Family::Request),
        intended_use: t.t("INTENDED-USE", Family::Request),
        individuals: vec![pb::Individual {
            name: t.t("INDIVIDUAL-NAME", Family::Individuals),
            role: t.t("INDIVIDUAL-ROLE", Family::Individuals),
            nationality: GHA.into(),
            date_of_birth: "1988-04-17".into(),
            notes: t.t("INDIVIDUAL-NOTES", Family::Individuals),
        }],
        additional_information: t.t("ADDITIONAL-INFORMATION", Family::Request),
        cannot_provide_all: false,
        cannot_provide_explanation: String::new(),
        restrictions_cannot_comply: vec![],
        restrictions_explanation: t.t("RESTRICTIONS-EXPLANATION", Family::Request),
        marking: Some(marking.proto()),
        domestic_findings: Some(pb::DomesticFindings {
            export_record,
            notes: t.t("DOMESTIC-NOTES", Family::Request),
        }),
        requester_reference: t.t("REQUESTER-REFERENCE", Family::Request),
        requested_state: String::new(),
    };
    PlantedRequest {
        proto,
        all: t.all,
        items: t.items,
        make: make_i,
        serial: serial_i,
    }
}

/// A response, by section: the tokens of each and its marking.
struct PlantedResponse {
    proto: pb::TraceResponse,
    sections: Vec<(Vec<usize>, Mk)>,
    licence: Option<usize>,
    finding_marking: Option<Mk>,
}

/// BEL's full answer on T1: an export to NGA, every section under another
/// marking (together every TLP level and every restriction), the last
/// legal possessor a private person.
fn plant_full_response(tok: &mut Tokens, l: &str) -> PlantedResponse {
    let text_marking = mk(Tlp::Green, &[Rx::IntelOnly]);
    let finding_marking = mk(Tlp::Red, &[Rx::NoOnward]);
    let history_marking = mk(Tlp::Amber, &[Rx::LeOnly]);
    // The private possessor is TLP:CLEAR: its name, address and identity
    // document are withheld as personal data, not by the marking.
    let possessor_marking = mk(Tlp::Clear, &[]);
    let commercial_marking = mk(Tlp::Amber, &[Rx::Proprietary]);
    let individuals_marking = mk(Tlp::AmberStrict, &[]);
    let mut sections: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut t = |tok: &mut Tokens, section: &'static str, field: &str, family: Family| {
        let label = format!("{l}-{field}");
        let i = if matches!(family, Family::Person | Family::RespIndividuals)
            || field == "FINAL-CONSIGNEE"
        {
            tok.add_personal(&label, family)
        } else {
            tok.add(&label, family)
        };
        sections.entry(section).or_default().push(i);
        (i, tok.text(i))
    };
    let (licence, licence_text) = t(tok, "finding", "LICENCE", Family::Licence);
    let proto = pb::TraceResponse {
        marking: Some(text_marking.proto()),
        restricted: false,
        restriction_reason: 0,
        restriction_explanation: String::new(),
        finding: Some(pb::Finding {
            marking: Some(finding_marking.proto()),
            case: Some(pb::finding::Case::Export(export_finding(
                t(tok, "finding", "FINAL-CONSIGNEE", Family::Finding).1,
                licence_text,
                t(tok, "finding", "LICENCE-ISSUER", Family::Finding).1,
                t(tok, "finding", "FINDING-DETAILS", Family::Finding).1,
            ))),
        }),
        history: Some(pb::History {
            marking: Some(history_marking.proto()),
            events: vec![
                pb::HistoryEvent {
                    date: "2008-11-04".into(),
                    kind: pb::HistoryEventKind::Manufacture as i32,
                    state: BEL.into(),
                    party: t(tok, "history", "HISTORY-PARTY-1", Family::History).1,
                    description: t(tok, "history", "HISTORY-DESCRIPTION-1", Family::History).1,
                },
                pb::HistoryEvent {
                    date: "2009-03-12".into(),
                    kind: pb::HistoryEventKind::Export as i32,
                    state: BEL.into(),
                    party: t(tok, "history", "HISTORY-PARTY-2", Family::History).1,
                    description: t(tok, "history", "HISTORY-DESCRIPTION-2", Family::History).1,
                },
            ],
        }),
        last_legal_possessor: Some(private_possessor(
            possessor_marking.proto(),
            t(tok, "possessor", "POSSESSOR-NAME", Family::Person).1,
            t(tok, "possessor", "POSSESSOR-CATEGORY", Family::Possessor).1,
            t(tok, "possessor", "POSSESSOR-ADDRESS", Family::Person).1,
            t(
                tok,
                "possessor",
                "POSSESSOR-IDENTITY-DOCUMENT",
                Family::Person,
            )
            .1,
        )),
        commercial: Some(pb::CommercialDetails {
            marking: Some(commercial_marking.proto()),
            brokers: vec![t(tok, "commercial", "BROKER", Family::Commercial).1],
            transport_agents: vec![t(tok, "commercial", "TRANSPORT-AGENT", Family::Commercial).1],
            contract_reference: t(tok, "commercial", "CONTRACT", Family::Commercial).1,
            financial_transactions: t(tok, "commercial", "FINANCE", Family::Commercial).1,
            notes: t(tok, "commercial", "COMMERCIAL-NOTES", Family::Commercial).1,
        }),
        individuals: Some(pb::Individuals {
            marking: Some(individuals_marking.proto()),
            individuals: vec![pb::Individual {
                name: t(
                    tok,
                    "individuals",
                    "RESPONSE-INDIVIDUAL-NAME",
                    Family::RespIndividuals,
                )
                .1,
                role: t(
                    tok,
                    "individuals",
                    "RESPONSE-INDIVIDUAL-ROLE",
                    Family::RespIndividuals,
                )
                .1,
                nationality: BEL.into(),
                date_of_birth: String::new(),
                notes: t(
                    tok,
                    "individuals",
                    "RESPONSE-INDIVIDUAL-NOTES",
                    Family::RespIndividuals,
                )
                .1,
            }],
        }),
        additional_information: t(tok, "text", "RESPONSE-ADDITIONAL", Family::RespText).1,
    };
    let marking_of = |s: &str| match s {
        "finding" => finding_marking.clone(),
        "history" => history_marking.clone(),
        "possessor" => possessor_marking.clone(),
        "commercial" => commercial_marking.clone(),
        "individuals" => individuals_marking.clone(),
        _ => text_marking.clone(),
    };
    PlantedResponse {
        proto,
        sections: sections
            .into_iter()
            .map(|(s, tokens)| (tokens, marking_of(s)))
            .collect(),
        licence: Some(licence),
        finding_marking: Some(finding_marking.clone()),
    }
}

/// 10.4.3 with the importing state NGA; the consignee a private person.
fn export_finding(
    consignee: String,
    licence: String,
    issuer: String,
    details: String,
) -> pb::ExportFinding {
    pb::ExportFinding {
        export_date: "2009-03-12".into(),
        importing_state: NGA.into(),
        transit_states: vec!["NLD".into()],
        final_consignee: consignee,
        final_consignee_natural_person: true,
        licences: vec![pb::Licence {
            kind: "export".into(),
            number: licence,
            issued_by: issuer,
            date: "2009-02-20".into(),
        }],
        details,
    }
}

/// A last legal possessor who is a natural person (issue 12's fields).
fn private_possessor(
    marking: pb::Marking,
    name: String,
    category: String,
    address: String,
    identity_document: String,
) -> pb::LastLegalPossessor {
    pb::LastLegalPossessor {
        marking: Some(marking),
        name,
        category,
        state: BEL.into(),
        address,
        since: "2009-01-01".into(),
        natural_person: true,
        identity_document,
    }
}

/// BEL's first, restricted answer on T1 (10.5.2): text only, GREEN with
/// INTEL-ONLY.
fn plant_restricted_response(tok: &mut Tokens, l: &str) -> PlantedResponse {
    let marking = mk(Tlp::Green, &[Rx::IntelOnly]);
    let explanation = tok.add(
        &format!("{l}-RESTRICTION-EXPLANATION"),
        Family::RestrictedText,
    );
    let additional = tok.add(
        &format!("{l}-RESTRICTED-ADDITIONAL"),
        Family::RestrictedText,
    );
    PlantedResponse {
        proto: pb::TraceResponse {
            marking: Some(marking.proto()),
            restricted: true,
            restriction_reason: pb::WithholdingReason::OngoingInvestigationOrLaw as i32,
            restriction_explanation: tok.text(explanation),
            additional_information: tok.text(additional),
            ..Default::default()
        },
        sections: vec![(vec![explanation, additional], marking)],
        licence: None,
        finding_marking: None,
    }
}

/// BEL's answer on T3: an export to NGA under TLP:RED and NO-ONWARD, the
/// rest AMBER.
fn plant_export_response(tok: &mut Tokens, l: &str) -> PlantedResponse {
    let default = mk(Tlp::Amber, &[]);
    let finding_marking = mk(Tlp::Red, &[Rx::NoOnward]);
    let licence = tok.add(&format!("{l}-LICENCE"), Family::Licence);
    let details = tok.add(&format!("{l}-FINDING-DETAILS"), Family::Finding);
    let issuer = tok.add(&format!("{l}-LICENCE-ISSUER"), Family::Finding);
    let consignee = tok.add_personal(&format!("{l}-FINAL-CONSIGNEE"), Family::Finding);
    let possessor = tok.add(&format!("{l}-POSSESSOR-NAME"), Family::Possessor);
    let proto = pb::TraceResponse {
        marking: Some(default.proto()),
        finding: Some(pb::Finding {
            marking: Some(finding_marking.proto()),
            case: Some(pb::finding::Case::Export(export_finding(
                tok.text(consignee),
                tok.text(licence),
                tok.text(issuer),
                tok.text(details),
            ))),
        }),
        last_legal_possessor: Some(pb::LastLegalPossessor {
            marking: None,
            name: tok.text(possessor),
            category: "licensed dealer".into(),
            state: BEL.into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    PlantedResponse {
        proto,
        sections: vec![
            (
                vec![licence, details, issuer, consignee],
                finding_marking.clone(),
            ),
            (vec![possessor], default),
        ],
        licence: Some(licence),
        finding_marking: Some(finding_marking),
    }
}

// ---------------------------------------------------------------- the federation

fn member(routes: &[(&str, &str)], hub: bool) -> MemberOptions {
    MemberOptions {
        hub,
        metrics: true,
        routes: routes
            .iter()
            .map(|(d, v)| (d.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

/// GHA and NGA are members of hub:ECOWAS, which reaches BEL through the
/// broker hub:INTERPOL (requests to BEL are relayed twice, sealed when
/// marked AMBER+STRICT or RED); a UN panel peers with GHA directly.
async fn federation() -> anyhow::Result<Federation> {
    let mut f = Federation::empty()?;
    f.add(GHA, member(&[("*", ECOWAS)], false))?;
    f.add(NGA, member(&[("*", ECOWAS)], false))?;
    f.add(BEL, member(&[("*", INTERPOL)], false))?;
    f.add(ECOWAS, member(&[("*", INTERPOL)], true))?;
    f.add(INTERPOL, member(&[], true))?;
    f.add(PANEL, member(&[], false))?;
    f.sandbox.start_all().await?;
    let s = &f.sandbox;
    for m in [GHA, NGA] {
        s.pin(&p(m), &p(ECOWAS), &[]).await?;
        s.pin(&p(ECOWAS), &p(m), &[]).await?;
    }
    s.pin(&p(BEL), &p(INTERPOL), &[]).await?;
    s.pin(&p(INTERPOL), &p(BEL), &[]).await?;
    s.pin(&p(ECOWAS), &p(INTERPOL), &[BEL]).await?;
    s.pin(&p(INTERPOL), &p(ECOWAS), &[GHA, NGA]).await?;
    s.peer(&p(GHA), &p(PANEL)).await?;
    for (who, serves) in [
        (GHA, vec![]),
        (NGA, vec![]),
        (BEL, vec![]),
        (ECOWAS, vec![GHA, NGA]),
        (INTERPOL, vec![BEL]),
    ] {
        s.publish_directory_entry(&p(who), &serves, 1).await?;
    }
    for who in [ECOWAS, INTERPOL, ECOWAS, GHA, NGA, BEL] {
        let r = f.node(who)?.refresh_directory().await?;
        if !r.rejected.is_empty() {
            bail!("{who} refused directory entries: {:?}", r.rejected);
        }
    }
    // The states' admins confirm each other's CAs (the hubs only introduce
    // them): sealed content may go.
    f.confirm_each_other(&[GHA, NGA, BEL]).await?;
    Ok(f)
}

// ---------------------------------------------------------------- the exits

/// What one call returned, as the tokens in it.
struct Obs {
    phase: &'static str,
    node: String,
    /// `None` for what no officer asked for (logs, metrics, the store).
    role: Option<Role>,
    exit: String,
    /// The trace (label) the reply was about, if one.
    scope: String,
    refused: bool,
    found: BTreeMap<usize, String>,
    fragments: Vec<String>,
    allowed: BTreeSet<usize>,
    held: BTreeSet<usize>,
    /// An onward use: where its content went (node, label), to show what
    /// arrived in its row.
    arrival: Option<(String, String)>,
}

impl Obs {
    fn leaks(&self) -> Vec<usize> {
        self.found
            .keys()
            .copied()
            .filter(|t| !self.allowed.contains(t))
            .collect()
    }
}

/// The officers' clients, the expectations and every observation.
struct Canary {
    tok: Tokens,
    expect: Expect,
    clients: BTreeMap<(String, Role), LocalClient<Channel>>,
    /// Trace id → label ("T1", "D1", "F:...").
    labels: BTreeMap<String, String>,
    obs: Vec<Obs>,
    phase: &'static str,
    /// The trace label the next replies are about (for the report).
    scope: String,
}

/// What a call returned, as text, or the status it was refused with.
type Reply = Result<String, tonic::Status>;

fn debug<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> Reply {
    r.map(|r| format!("{:?}", r.into_inner()))
}

impl Canary {
    fn client(&self, node: &str, role: Role) -> LocalClient<Channel> {
        self.clients[&(node.to_string(), role)].clone()
    }

    fn poc(&self, node: &str) -> LocalClient<Channel> {
        self.client(node, Role::Poc)
    }

    fn label(&self, trace_id: &str) -> String {
        self.labels
            .get(trace_id)
            .cloned()
            .unwrap_or_else(|| format!("unexpected {trace_id}"))
    }

    /// Records one reply: a refusal's message may carry nothing; a reply
    /// may carry `allowed`.
    #[allow(clippy::too_many_arguments)]
    fn note(
        &mut self,
        node: &str,
        role: Option<Role>,
        exit: &str,
        reply: Reply,
        allowed: BTreeSet<usize>,
        held: BTreeSet<usize>,
        arrival: Option<(String, String)>,
    ) {
        let (refused, text, allowed) = match reply {
            Ok(text) => (false, text, allowed),
            // Asking for what is not there is not a refusal.
            Err(status) if status.code() == tonic::Code::NotFound && held.is_empty() => {
                (false, status.message().to_string(), BTreeSet::new())
            }
            Err(status) => (
                true,
                format!("{:?}: {}", status.code(), status.message()),
                BTreeSet::new(),
            ),
        };
        let found = self.tok.find(&text);
        self.obs.push(Obs {
            phase: self.phase,
            node: node.to_string(),
            role,
            exit: exit.to_string(),
            scope: std::mem::take(&mut self.scope),
            refused,
            found: found.tokens,
            fragments: found.fragments,
            allowed,
            held,
            arrival,
        });
    }

    /// Records text no token may be in (events, audit, logs, metrics...).
    fn note_clean(&mut self, node: &str, role: Option<Role>, exit: &str, reply: Reply) {
        self.note(
            node,
            role,
            exit,
            reply,
            BTreeSet::new(),
            BTreeSet::new(),
            None,
        );
    }

    fn display(&self, node: &str, label: &str, role: Role) -> BTreeSet<usize> {
        self.expect
            .allowed(&self.tok, node, label, Use::Display(role))
    }

    /// Every read command of the local API, for one officer.
    async fn read_everything(&mut self, node: &str, role: Role, ids: &[String]) {
        let mut c = self.client(node, role);
        for (exit, inbox) in [("Inbox", true), ("ListTraces", false)] {
            let reply = c
                .list_traces(pb::ListTracesRequest {
                    inbox,
                    include_closed: true,
                    page: None,
                })
                .await;
            match reply {
                Ok(list) => {
                    let list = list.into_inner();
                    if list.traces.is_empty() {
                        self.note_clean(node, Some(role), exit, Ok(String::new()));
                    }
                    for s in list.traces {
                        let label = self.label(&s.trace_id);
                        let allowed = self.display(node, &label, role);
                        let held = self.expect.held(node, &label);
                        self.scope = label;
                        self.note(
                            node,
                            Some(role),
                            exit,
                            Ok(format!("{s:?}")),
                            allowed,
                            held,
                            None,
                        );
                    }
                }
                Err(e) => self.note_clean(node, Some(role), exit, Err(e)),
            }
        }
        for id in ids {
            self.show_case(node, role, id).await;
        }
        let r = debug(
            c.outbox(pb::OutboxRequest {
                include_delivered: true,
                page: None,
            })
            .await,
        );
        self.note_clean(node, Some(role), "Outbox", r);
        let r = debug(c.overdue(pb::OverdueRequest {}).await);
        self.note_clean(node, Some(role), "Overdue", r);
        let r = debug(
            c.audit_log(pb::AuditLogRequest {
                after_seq: 0,
                limit: 0,
            })
            .await,
        );
        self.note_clean(node, Some(role), "AuditLog", r);
        let r = debug(c.audit_verify(pb::AuditVerifyRequest {}).await);
        self.note_clean(node, Some(role), "AuditVerify", r);
        let r = debug(c.get_directory(pb::GetDirectoryRequest::default()).await);
        self.note_clean(node, Some(role), "GetDirectory", r);
        let r = debug(c.list_peers(pb::ListPeersRequest {}).await);
        self.note_clean(node, Some(role), "ListPeers", r);
        let r = debug(c.hub_stats(pb::HubStatsRequest {}).await);
        self.note_clean(node, Some(role), "HubStats", r);
        self.report(node, role).await;
    }

    /// One case as the officer sees it: each trace against what that trace
    /// holds here, its events against nothing, the timeline and the
    /// conclusion against what the case's traces hold.
    async fn show_case(&mut self, node: &str, role: Role, id: &str) {
        let reply = self
            .client(node, role)
            .show_case(pb::ShowCaseRequest {
                id: id.to_string(),
                ..Default::default()
            })
            .await;
        let case = match reply {
            Ok(case) => case.into_inner(),
            Err(e) => {
                self.scope = self.label(id);
                let held = self.expect.held(node, &self.scope);
                self.note(
                    node,
                    Some(role),
                    "ShowCase",
                    Err(e),
                    BTreeSet::new(),
                    held,
                    None,
                );
                return;
            }
        };
        let mut case_allowed = BTreeSet::new();
        let mut case_held = BTreeSet::new();
        for view in &case.traces {
            let trace_id = view
                .summary
                .as_ref()
                .map(|s| s.trace_id.clone())
                .unwrap_or_default();
            let label = self.label(&trace_id);
            let allowed = self.display(node, &label, role);
            let held = self.expect.held(node, &label);
            case_allowed.extend(allowed.iter().copied());
            case_held.extend(held.iter().copied());
            let mut without_events = view.clone();
            let events = std::mem::take(&mut without_events.events);
            self.scope = label.clone();
            self.note(
                node,
                Some(role),
                "ShowCase",
                Ok(format!("{without_events:?}")),
                allowed,
                held,
                None,
            );
            self.scope = label;
            self.note_clean(node, Some(role), "Events", Ok(format!("{events:?}")));
        }
        let mut rest = case.clone();
        rest.traces.clear();
        self.note(
            node,
            Some(role),
            "Timeline+conclusion",
            Ok(format!("{rest:?}")),
            case_allowed,
            case_held,
            None,
        );
    }

    async fn report(&mut self, node: &str, role: Role) {
        let reply = debug(
            self.client(node, role)
                .report(pb::ReportRequest::default())
                .await,
        );
        let mut allowed = BTreeSet::new();
        let mut held = BTreeSet::new();
        for label in self.expect.labels_at(node) {
            allowed.extend(self.expect.allowed(&self.tok, node, &label, Use::Report));
            held.extend(self.expect.held(node, &label));
        }
        self.note(node, Some(role), "Report", reply, allowed, held, None);
    }

    /// Export in each format, as evidence too.
    async fn export(&mut self, node: &str, role: Role, id: &str) {
        let label = self.label(id);
        for (exit, format, evidence) in [
            ("Export json", pb::ExportFormat::Json, false),
            ("Export csv", pb::ExportFormat::Csv, false),
            ("Export evidence", pb::ExportFormat::Json, true),
        ] {
            let reply = debug(
                self.client(node, role)
                    .export(pb::ExportRequest {
                        trace_id: id.to_string(),
                        format: format as i32,
                        as_evidence: evidence,
                    })
                    .await,
            );
            let u = if evidence { Use::Evidence } else { Use::Export };
            let allowed = self.expect.allowed(&self.tok, node, &label, u);
            let held = self.expect.held(node, &label);
            self.scope = label.clone();
            self.note(node, Some(role), exit, reply, allowed, held, None);
        }
    }

    /// Forwards a response; the note names where the content is expected
    /// (`F:<note label>` at `to`).
    async fn forward(
        &mut self,
        node: &str,
        role: Role,
        id: &str,
        regarding: &str,
        to: &str,
        note: usize,
    ) {
        let reply = debug(
            self.client(node, role)
                .forward(pb::ForwardRequest {
                    trace_id: id.to_string(),
                    regarding: regarding.to_string(),
                    to: to.to_string(),
                    note: self.tok.text(note),
                })
                .await,
        );
        let label = self.label(id);
        let allowed = self.display(node, &label, role);
        let held = self.expect.held(node, &label);
        let arrival = Some((to.to_string(), forwarded_label(&self.tok, note)));
        self.scope = label;
        self.note(
            node,
            Some(role),
            &format!("Forward→{to}"),
            reply,
            allowed,
            held,
            arrival,
        );
    }

    /// Sends a draft in one of the three ways.
    async fn send_draft(
        &mut self,
        node: &str,
        role: Role,
        id: &str,
        how: Onward,
        justification: &str,
    ) {
        let reply = debug(
            self.client(node, role)
                .send_draft(send_draft_request(id, how, justification))
                .await,
        );
        let label = self.label(id);
        let allowed = self.display(node, &label, role);
        let held = self.expect.held(node, &label);
        let arrival = Some((NGA.to_string(), label.clone()));
        self.scope = label;
        self.note(
            node,
            Some(role),
            &format!("SendDraft {how:?}"),
            reply,
            allowed,
            held,
            arrival,
        );
    }
}

/// The label of the information a forward with this note brings.
fn forwarded_label(tok: &Tokens, note: usize) -> String {
    format!("F:{}", tok.list[note].label)
}

/// How a draft is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Onward {
    WholeOnly,
    AskConsent,
    WithoutRestricted,
}

/// `SendDraft` in one of the three ways (issue 12's API).
fn send_draft_request(trace_id: &str, how: Onward, justification: &str) -> pb::SendDraftRequest {
    pb::SendDraftRequest {
        trace_id: trace_id.to_string(),
        routing_override: None,
        onward: match how {
            Onward::WholeOnly => pb::DraftOnward::Unspecified,
            Onward::AskConsent => pb::DraftOnward::AskConsent,
            Onward::WithoutRestricted => pb::DraftOnward::WithoutRestricted,
        } as i32,
        justification: justification.to_string(),
    }
}

/// BEL's consent, exactly as asked (issue 12's API), and what it lifts.
fn consent_as_asked(
    asked: &pb::ConsentRequest,
    note: String,
    regarding: impl Fn(&str) -> Option<&'static str>,
) -> (pb::Consent, ConsentGiven) {
    let given = ConsentGiven {
        provider: BEL,
        regarding: regarding(&asked.regarding),
        use_: match pb::OnwardUse::try_from(asked.r#use) {
            Ok(pb::OnwardUse::ForwardToHub) => Use::ForwardHub,
            Ok(pb::OnwardUse::ForwardToUnPanel) => Use::ForwardPanel,
            Ok(pb::OnwardUse::Export) => Use::Export,
            Ok(pb::OnwardUse::ExportAsEvidence) => Use::Evidence,
            Ok(pb::OnwardUse::Report) => Use::Report,
            _ => Use::ForwardState,
        },
        to: (!asked.destination.is_empty()).then(|| asked.destination.clone()),
        tlp: asked.lift_tlp,
        rx: std::iter::once(asked.restriction)
            .chain(asked.restrictions.iter().copied())
            .filter_map(rx_of_proto)
            .collect(),
    };
    let consent = pb::Consent {
        restriction: asked.restriction,
        r#use: asked.r#use,
        regarding: asked.regarding.clone(),
        note,
        destination: asked.destination.clone(),
        lifts_tlp: asked.lift_tlp,
        restrictions: asked.restrictions.clone(),
        declined: false,
    };
    (consent, given)
}

// ---------------------------------------------------------------- scenario helpers

async fn act(
    c: &mut LocalClient<Channel>,
    trace: &str,
    action: pb::act_request::Action,
) -> anyhow::Result<pb::ActReply> {
    Ok(c.act(pb::ActRequest {
        trace_id: trace.to_string(),
        action: Some(action),
        confirm_despite_declared_restrictions: false,
    })
    .await
    .with_context(|| format!("acting on {trace}"))?
    .into_inner())
}

async fn submit(
    c: &mut LocalClient<Channel>,
    request: pb::TraceRequest,
    override_reason: Option<String>,
) -> anyhow::Result<pb::SubmitReply> {
    Ok(c.submit_request(pb::SubmitRequestRequest {
        request: Some(request),
        routing_override: override_reason.map(|reason| pb::RoutingOverride {
            requested_state: BEL.into(),
            reason,
        }),
        on_behalf_via: String::new(),
        // Three requests, each with tokens of its own: none is a duplicate.
        allow_duplicate: false,
    })
    .await
    .context("submitting")?
    .into_inner())
}

/// The messages of one trace as `c` sees them.
async fn messages(
    c: &mut LocalClient<Channel>,
    trace: &str,
) -> anyhow::Result<Vec<pb::MessageView>> {
    Ok(iti_tests::trace_view(c, trace).await?.messages)
}

/// Waits until `node`'s point of contact sees a message of `kind` on `trace`.
async fn until_message(
    f: &Federation,
    c: &LocalClient<Channel>,
    node: &str,
    trace: &str,
    kind: pb::PayloadKind,
) -> anyhow::Result<()> {
    f.until(&format!("{node} has a {kind:?} on {trace}"), || {
        let mut c = c.clone();
        let trace = trace.to_string();
        async move {
            Ok(messages(&mut c, &trace)
                .await
                .is_ok_and(|ms| ms.iter().any(|m| m.kind == kind as i32)))
        }
    })
    .await
}

/// Waits until GHA has drafted a follow-up in `case`; its trace id.
async fn until_draft(
    f: &Federation,
    gha: &LocalClient<Channel>,
    case: &str,
) -> anyhow::Result<String> {
    let found = std::sync::Arc::new(std::sync::Mutex::new(None));
    f.until(&format!("GHA drafts a follow-up in case {case}"), || {
        let mut c = gha.clone();
        let case = case.to_string();
        let found = found.clone();
        async move {
            let list = c
                .list_traces(pb::ListTracesRequest {
                    inbox: false,
                    include_closed: true,
                    page: None,
                })
                .await?
                .into_inner();
            let draft = list
                .traces
                .into_iter()
                .find(|t| t.case_id == case && t.state == "drafted");
            let done = draft.is_some();
            *found.lock().unwrap_or_else(|e| e.into_inner()) = draft.map(|t| t.trace_id);
            Ok(done)
        }
    })
    .await?;
    let id = found.lock().unwrap_or_else(|e| e.into_inner()).take();
    id.ok_or_else(|| anyhow!("no draft"))
}

/// The responses BEL sent on `trace`, as GHA received them: (restricted
/// one, full one).
fn response_ids(ms: &[pb::MessageView]) -> (Option<String>, Option<String>) {
    let mut restricted = None;
    let mut full = None;
    for m in ms
        .iter()
        .filter(|m| m.kind == pb::PayloadKind::Response as i32)
    {
        match m.payload.as_ref().and_then(|p| p.body.as_ref()) {
            Some(pb::payload::Body::Response(r)) if r.restricted => {
                restricted = Some(m.envelope_id.clone())
            }
            _ => full = Some(m.envelope_id.clone()),
        }
    }
    (restricted, full)
}

/// Every trace id some point of contact sees.
async fn all_trace_ids(c: &Canary) -> anyhow::Result<Vec<String>> {
    let mut ids = BTreeSet::new();
    for node in NODES {
        let list = c
            .poc(node)
            .list_traces(pb::ListTracesRequest {
                inbox: false,
                include_closed: true,
                page: None,
            })
            .await?
            .into_inner();
        ids.extend(list.traces.into_iter().map(|t| t.trace_id));
    }
    Ok(ids.into_iter().collect())
}

/// The traces a node holds (as its point of contact lists them).
async fn traces_at(c: &Canary, node: &str) -> anyhow::Result<Vec<pb::TraceSummary>> {
    Ok(c.poc(node)
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner()
        .traces)
}

// ---------------------------------------------------------------- the test

/// Everything planted, by message.
struct Plant {
    req1: PlantedRequest,
    req2: PlantedRequest,
    /// T2's tokens, with the officer's reason for overriding routing.
    req2_all: Vec<usize>,
    override_reason: usize,
    req3: PlantedRequest,
    r1a: PlantedResponse,
    r1b: PlantedResponse,
    r3: PlantedResponse,
    ack: [usize; 2],
    delay: usize,
    question: usize,
    answer: usize,
    refusal: usize,
    closure: usize,
    justification: usize,
    consent_note: usize,
    /// The register entry as the broker's notices carry it.
    broker: Vec<usize>,
    register_model: usize,
}

fn amber() -> Mk {
    mk(Tlp::Amber, &[])
}

fn plant(tok: &mut Tokens) -> Plant {
    let req1 = plant_request(tok, "T1", &amber(), Routing::ExportRecord);
    let req2 = plant_request(tok, "T2", &mk(Tlp::Green, &[Rx::LeOnly]), Routing::Override);
    let override_reason = tok.add("T2-OVERRIDE-REASON", Family::Request);
    let mut req2_all = req2.all.clone();
    req2_all.push(override_reason);
    // The broker's register: the T1 weapon as NGA reported it stolen, its
    // make written differently and its serial with a letter O where the
    // request has a zero (the broker forgives both).
    let make = format!("{}.", tok.list[req1.make].text);
    // Only the one zero the request's serial ends with: a run token that
    // itself ends in zeros must keep them (1 run in 36 did not).
    let serial = tok.list[req1.serial].text.clone();
    let serial = format!("{}O", serial.strip_suffix('0').unwrap_or(&serial));
    let broker = vec![
        tok.add_text(make, "BROKER-MAKE", Family::Broker, false),
        tok.add_text(serial, "BROKER-SERIAL", Family::Broker, false),
        tok.add("BROKER-CIRCUMSTANCES", Family::Broker),
        tok.add("BROKER-REFERENCE", Family::Broker),
    ];
    Plant {
        req3: plant_request(tok, "T3", &amber(), Routing::ImportMark),
        r1a: plant_restricted_response(tok, "T1"),
        r1b: plant_full_response(tok, "T1"),
        r3: plant_export_response(tok, "T3"),
        ack: [
            tok.add("T1-ACK-REFERENCE", Family::Ack),
            tok.add("T1-ACK-NOTE", Family::Ack),
        ],
        delay: tok.add("T1-DELAY-EXPLANATION", Family::Delay),
        question: tok.add("T1-CLARIFICATION-QUESTION", Family::Clarification),
        answer: tok.add("T1-CLARIFICATION-ANSWER", Family::Clarification),
        refusal: tok.add("T2-REFUSAL-EXPLANATION", Family::Refusal),
        closure: tok.add("T2-CLOSURE-OUTCOME", Family::Closure),
        justification: tok.add("T1-CONSENT-JUSTIFICATION", Family::ConsentAsk),
        consent_note: tok.add("T1-CONSENT-NOTE", Family::Consent),
        // In the register only: no notice carries the model.
        register_model: tok.add("BROKER-MODEL", Family::Broker),
        broker,
        req1,
        req2,
        req2_all,
        override_reason,
    }
}

/// The ids the scenario made.
struct Ids {
    t1: pb::SubmitReply,
    t3: pb::SubmitReply,
    r1a: String,
    r1b: String,
    r3: String,
    d1: String,
    d3: String,
}

/// T1 (acknowledged, delayed, answered restricted then in full, clarified),
/// T2 (refused, closed) and T3 (answered with an export under TLP:RED), all
/// GHA → hub:ECOWAS → hub:INTERPOL → BEL; the broker's register matches
/// T1's rifle.
async fn set_up(f: &mut Federation, c: &mut Canary, x: &Plant) -> anyhow::Result<Ids> {
    let (mut gha, mut bel) = (c.poc(GHA), c.poc(BEL));
    let imported = c
        .poc(INTERPOL)
        .import_lost_stolen(tokio_stream::iter(vec![pb::LostStolenRecord {
            line: 2,
            reported_by: NGA.into(),
            make: c.tok.text(x.broker[0]),
            model: c.tok.text(x.register_model),
            serial_number: c.tok.text(x.broker[1]),
            calibre: "7.62".into(),
            reported_on: "2015-06-03".into(),
            circumstances: c.tok.text(x.broker[2]),
            reference: c.tok.text(x.broker[3]),
        }]))
        .await?
        .into_inner();
    c.note_clean(
        INTERPOL,
        Some(Role::Poc),
        "ImportLostStolen",
        Ok(format!("{imported:?}")),
    );

    let t1 = submit(&mut gha, x.req1.proto.clone(), None).await?;
    let t1_id = t1.trace_id.clone();
    c.labels.insert(t1_id.clone(), "T1".into());
    f.until_state(BEL, &t1_id, "delivered").await?;
    for (node, client) in [(GHA, &gha), (BEL, &bel)] {
        until_message(f, client, node, &t1_id, pb::PayloadKind::BrokerNotice).await?;
    }
    use pb::act_request::Action as A;
    let ack = A::Acknowledge(pb::Acknowledgement {
        reference: c.tok.text(x.ack[0]),
        note: c.tok.text(x.ack[1]),
    });
    act(&mut bel, &t1_id, ack).await?;
    f.until_state(GHA, &t1_id, "acknowledged").await?;
    let due = f.clock.now() + time::Duration::days(30);
    let delay = A::Delay(pb::DelayNotice {
        reason: pb::WithholdingReason::OngoingInvestigationOrLaw as i32,
        explanation: c.tok.text(x.delay),
        new_response_due: Some(pbjson_types::Timestamp {
            seconds: due.unix_timestamp(),
            nanos: 0,
        }),
    });
    act(&mut bel, &t1_id, delay).await?;
    f.until_state(GHA, &t1_id, "delayed").await?;
    act(&mut bel, &t1_id, A::Respond(x.r1a.proto.clone())).await?;
    f.until_state(GHA, &t1_id, "responded_restricted").await?;
    act(&mut bel, &t1_id, A::Respond(x.r1b.proto.clone())).await?;
    f.until_state(GHA, &t1_id, "responded").await?;
    let (r1a, r1b) = response_ids(&messages(&mut gha, &t1_id).await?);
    let (r1a, r1b) = (
        r1a.context("GHA has the restricted response")?,
        r1b.context("GHA has the full response")?,
    );
    let d1 = until_draft(f, &gha, &t1.case_id).await?;
    c.labels.insert(d1.clone(), "D1".into());
    let question = A::RequestClarification(pb::ClarificationRequest {
        question: c.tok.text(x.question),
        regarding: r1b.clone(),
    });
    act(&mut gha, &t1_id, question).await?;
    f.until_state(BEL, &t1_id, "clarification_requested")
        .await?;
    let answer = A::Clarify(pb::ClarificationReply {
        answer: c.tok.text(x.answer),
        regarding: r1b.clone(),
    });
    act(&mut bel, &t1_id, answer).await?;
    f.until_state(GHA, &t1_id, "clarification_answered").await?;

    let reason = c.tok.text(x.override_reason);
    let t2 = submit(&mut gha, x.req2.proto.clone(), Some(reason))
        .await?
        .trace_id;
    c.labels.insert(t2.clone(), "T2".into());
    f.until_state(BEL, &t2, "delivered").await?;
    act(&mut bel, &t2, A::Acknowledge(Default::default())).await?;
    let refusal = A::Refuse(pb::Refusal {
        reason: pb::WithholdingReason::NationalSecurity as i32,
        explanation: c.tok.text(x.refusal),
    });
    act(&mut bel, &t2, refusal).await?;
    f.until_state(GHA, &t2, "refused").await?;
    let closure = A::Close(pb::Closure {
        outcome: c.tok.text(x.closure),
    });
    act(&mut gha, &t2, closure).await?;
    f.until_state(BEL, &t2, "closed").await?;

    let t3 = submit(&mut gha, x.req3.proto.clone(), None).await?;
    c.labels.insert(t3.trace_id.clone(), "T3".into());
    f.until_state(BEL, &t3.trace_id, "delivered").await?;
    act(&mut bel, &t3.trace_id, A::Acknowledge(Default::default())).await?;
    act(&mut bel, &t3.trace_id, A::Respond(x.r3.proto.clone())).await?;
    f.until_state(GHA, &t3.trace_id, "responded").await?;
    let (_, r3) = response_ids(&messages(&mut gha, &t3.trace_id).await?);
    let r3 = r3.context("GHA has BEL's answer on T3")?;
    let d3 = until_draft(f, &gha, &t3.case_id).await?;
    c.labels.insert(d3.clone(), "D3".into());
    Ok(Ids {
        t1,
        t3,
        r1a,
        r1b,
        r3,
        d1,
        d3,
    })
}

/// The join of every section's marking of a response.
fn whole_marking(r: &PlantedResponse) -> Mk {
    r.sections
        .iter()
        .fold(mk(Tlp::Clear, &[]), |m, (_, s)| m.join(s))
}

/// A message that discusses T1 (clarification, consent) carries the join
/// of the request's marking and every response's so far (issue 12).
fn t1_discussion(x: &Plant) -> Mk {
    amber()
        .join(&whole_marking(&x.r1a))
        .join(&whole_marking(&x.r1b))
}

/// Where content is once the scenario is set up: GHA and BEL hold the
/// three traces, GHA the two drafts.
fn expect_after_set_up(x: &Plant) -> anyhow::Result<Expect> {
    let green_le = mk(Tlp::Green, &[Rx::LeOnly]);
    let mut e = Expect::default();
    for node in [GHA, BEL] {
        e.hold(node, "T1", &x.req1.all, &amber());
        // The broker's notice travels under the request's marking.
        e.hold(node, "T1", &x.broker, &amber());
        e.hold(node, "T1", &[x.ack[0], x.ack[1], x.delay], &amber());
        e.hold_sections(node, "T1", &x.r1a.sections);
        e.hold_sections(node, "T1", &x.r1b.sections);
        e.hold(node, "T1", &[x.question, x.answer], &t1_discussion(x));
        e.hold(node, "T2", &x.req2_all, &green_le);
        e.hold(node, "T2", &[x.refusal, x.closure], &green_le);
        e.hold(node, "T3", &x.req3.all, &amber());
        e.hold_sections(node, "T3", &x.r3.sections);
    }
    // The drafts: GHA's own request, and the fields taken from BEL's
    // findings under the findings' markings.
    for (label, req, response) in [("D1", &x.req1, &x.r1b), ("D3", &x.req3, &x.r3)] {
        e.hold(GHA, label, &req.all, &amber());
        let licence = response.licence.context("a licence")?;
        let finding = response.finding_marking.clone().context("a finding")?;
        e.hold(GHA, label, &[licence], &finding);
    }
    Ok(e)
}

/// Every read of every role on every node.
async fn read_all(c: &mut Canary) -> anyhow::Result<()> {
    let ids = all_trace_ids(c).await?;
    for node in NODES {
        for role in Role::ALL {
            c.read_everything(node, role, &ids).await;
        }
    }
    Ok(())
}

/// The drafts, each way, by every role; BEL consents to exactly what it is
/// asked. Returns the consent BEL gave; none if D1 went before BEL was
/// asked (what it carried is then judged without consent).
async fn send_the_drafts(
    f: &Federation,
    c: &mut Canary,
    x: &Plant,
    ids: &Ids,
) -> anyhow::Result<Option<ConsentGiven>> {
    for (draft, how) in [
        (&ids.d1, Onward::WholeOnly),
        (&ids.d3, Onward::WithoutRestricted),
        (&ids.d1, Onward::AskConsent),
    ] {
        let justification = c.tok.text(x.justification);
        for role in Role::ALL {
            c.send_draft(GHA, role, draft, how, &justification).await;
        }
    }
    let d1 = iti_tests::summary(&mut c.poc(GHA), &ids.d1)
        .await?
        .context("GHA's draft D1")?;
    if d1.state != "drafted" {
        println!("D1 went before its provider was asked: {}", d1.state);
        return Ok(None);
    }
    let mut bel = c.poc(BEL);
    let t1 = &ids.t1.trace_id;
    until_message(f, &bel, BEL, t1, pb::PayloadKind::ConsentRequest).await?;
    let asked = messages(&mut bel, t1)
        .await?
        .into_iter()
        .find_map(|m| match m.payload.and_then(|p| p.body) {
            Some(pb::payload::Body::ConsentRequest(r)) => Some(r),
            _ => None,
        })
        .context("BEL reads the consent request")?;
    let regarding = |id: &str| match id {
        "" => None,
        id if id == ids.r1a => Some("R1a"),
        id if id == ids.r1b => Some("R1b"),
        _ => Some("another message"),
    };
    let (consent, given) = consent_as_asked(&asked, c.tok.text(x.consent_note), regarding);
    let granted = act(&mut bel, t1, pb::act_request::Action::GrantConsent(consent)).await?;
    let allowed = c.display(BEL, "T1", Role::Poc);
    c.note(
        BEL,
        Some(Role::Poc),
        "Act (grant consent)",
        Ok(format!("{granted:?}")),
        allowed,
        BTreeSet::new(),
        None,
    );
    until_message(f, &c.poc(GHA), GHA, t1, pb::PayloadKind::Consent).await?;
    Ok(Some(given))
}

/// Forwards every response to a third state, a hub and a panel, by every
/// role, each with a note of its own; the flows they would make.
async fn forward_everything(c: &mut Canary, x: &Plant, ids: &Ids) -> Vec<Flow> {
    let mut flows = vec![];
    let t1 = ids.t1.trace_id.as_str();
    let forwards = [
        (t1, ids.r1a.as_str(), &x.r1a, "R1a", &x.req1.items),
        (t1, ids.r1b.as_str(), &x.r1b, "R1b", &x.req1.items),
        (
            ids.t3.trace_id.as_str(),
            ids.r3.as_str(),
            &x.r3,
            "R3",
            &x.req3.items,
        ),
    ];
    for (trace, response_id, planted, label, items) in forwards {
        for to in [NGA, ECOWAS, PANEL] {
            let name = format!(
                "FORWARD-NOTE-{}-{}",
                label.to_uppercase(),
                to.replace(':', "-")
            );
            let note = c.tok.add(&name, Family::ForwardNote);
            // BEL's response under its markings, with GHA's own
            // identification of the items and note.
            let mut parts: Vec<Part> = planted
                .sections
                .iter()
                .map(|(tokens, marking)| Part {
                    tokens: tokens.clone(),
                    marking: marking.clone(),
                    source: Some((BEL, label)),
                })
                .collect();
            for tokens in [items.clone(), vec![note]] {
                parts.push(Part {
                    tokens,
                    marking: amber(),
                    source: None,
                });
            }
            flows.push(Flow {
                to,
                label: forwarded_label(&c.tok, note),
                parts,
                whole: true,
            });
            for role in Role::ALL {
                c.forward(GHA, role, trace, response_id, to, note).await;
            }
            let at = if trace == t1 { "T1" } else { "T3" };
            c.expect.hold(GHA, at, &[note], &amber());
        }
    }
    flows
}

/// The drafts as they may reach NGA: D1 whole (it waits for consent), D3
/// without what may not go.
fn draft_flows(x: &Plant) -> anyhow::Result<Vec<Flow>> {
    let mut flows = vec![];
    for (label, req, response, source, whole) in [
        ("D1", &x.req1, &x.r1b, "R1b", true),
        ("D3", &x.req3, &x.r3, "R3", false),
    ] {
        flows.push(Flow {
            to: NGA,
            label: label.into(),
            parts: vec![
                Part {
                    tokens: req.all.clone(),
                    marking: amber(),
                    source: None,
                },
                Part {
                    tokens: vec![response.licence.context("a licence")?],
                    marking: response.finding_marking.clone().context("a finding")?,
                    source: Some((BEL, source)),
                },
            ],
            whole,
        });
    }
    Ok(flows)
}

/// Waits for what is expected to arrive, then labels every trace nobody
/// labelled yet: information passed on, by the note it carries, or
/// "unexpected".
async fn label_arrivals(
    f: &Federation,
    c: &mut Canary,
    arrivals: &[(&str, String)],
) -> anyhow::Result<()> {
    for (to, label) in arrivals {
        let client = c.poc(to);
        let label = label.clone();
        let ids: Vec<String> = c
            .labels
            .iter()
            .filter(|(_, l)| **l == label)
            .map(|(id, _)| id.clone())
            .collect();
        f.until(&format!("{label} reaches {to}"), || {
            let mut client = client.clone();
            let ids = ids.clone();
            let informed = label.starts_with("F:");
            async move {
                let list = client
                    .list_traces(pb::ListTracesRequest {
                        inbox: false,
                        include_closed: true,
                        page: None,
                    })
                    .await?
                    .into_inner();
                Ok(list.traces.iter().any(|t| {
                    ids.contains(&t.trace_id)
                        || (informed && t.role == pb::TraceRole::Informed as i32)
                }))
            }
        })
        .await?;
    }
    for node in NODES {
        for s in traces_at(c, node).await? {
            if c.labels.contains_key(&s.trace_id) {
                continue;
            }
            let view = iti_tests::trace_view(&mut c.poc(node), &s.trace_id).await?;
            let found = c.tok.find(&format!("{view:?}"));
            let note = found
                .tokens
                .keys()
                .find(|t| c.tok.list[**t].family == Family::ForwardNote);
            let label = match note {
                Some(n) => forwarded_label(&c.tok, *n),
                None => format!("unexpected {} at {node}", s.trace_id),
            };
            c.labels.insert(s.trace_id.clone(), label);
        }
    }
    Ok(())
}

/// Every other onward path, for every role on every node: exporting each
/// trace (JSON, CSV, evidence), sending it as a draft, forwarding it
/// anywhere, reporting.
async fn every_other_onward_path(c: &mut Canary) -> anyhow::Result<()> {
    let stray = c.tok.add("FORWARD-NOTE-STRAY", Family::ForwardNote);
    for node in NODES {
        let held: Vec<String> = traces_at(c, node)
            .await?
            .into_iter()
            .map(|t| t.trace_id)
            .collect();
        for role in Role::ALL {
            for id in &held {
                c.export(node, role, id).await;
                if node == GHA {
                    continue;
                }
                c.send_draft(node, role, id, Onward::WholeOnly, "").await;
                for to in [GHA, NGA, ECOWAS, PANEL] {
                    if to != node {
                        c.forward(node, role, id, "", to, stray).await;
                    }
                }
            }
            c.report(node, role).await;
        }
    }
    Ok(())
}

/// What no officer asks for: the events and audit entries each node
/// stores, its outbox errors, its metrics.
async fn unasked_exits(f: &Federation, c: &mut Canary) -> anyhow::Result<()> {
    for node in NODES {
        let n = f.node(node)?.clone();
        for (exit, sql) in [
            (
                "Store: case events",
                "SELECT kind || ' ' || actor || ' ' || detail FROM case_events",
            ),
            (
                "Store: audit log",
                "SELECT actor || ' ' || action || ' ' || subject || ' ' || detail FROM audit_log",
            ),
            (
                "Store: outbox errors",
                "SELECT COALESCE(last_error, '') FROM outbox",
            ),
        ] {
            let rows = iti_tests::db_texts(&n, sql).await?;
            c.note_clean(node, None, exit, Ok(rows.join("\n")));
        }
        let addr = f
            .sandbox
            .member(&p(node))?
            .running
            .as_ref()
            .and_then(|r| r.metrics_addr)
            .ok_or_else(|| anyhow!("{node} serves no metrics"))?;
        let (status, metrics) = iti_tests::scrape_metrics(addr).await?;
        if status != 200 || !metrics.contains("iti_outbox_depth") {
            bail!("{node}'s metrics did not scrape: {status}");
        }
        c.note_clean(node, None, "Metrics", Ok(metrics));
    }
    Ok(())
}

/// What must be shown where it may, so that the test cannot pass by
/// showing nothing: the point of contact sees all that is addressed to the
/// state; an analyst the AMBER items; an investigator the LE-ONLY history;
/// each destination what was sent to it.
fn must_be_shown(c: &Canary, x: &Plant, arrivals: &[(&'static str, String)]) -> Shown {
    let mut shown: Shown = vec![];
    let t1_messages = [x.ack[0], x.ack[1], x.delay, x.question, x.answer];
    for &t in x.req1.all.iter().chain(&x.broker).chain(&t1_messages) {
        shown.push(("A", GHA, Role::Poc, "T1".into(), t));
        shown.push(("A", BEL, Role::Poc, "T1".into(), t));
    }
    for (tokens, _) in x.r1a.sections.iter().chain(&x.r1b.sections) {
        for &t in tokens {
            shown.push(("A", GHA, Role::Poc, "T1".into(), t));
        }
    }
    shown.push(("A", GHA, Role::Analyst, "T1".into(), x.req1.items[0]));
    let history = x.r1b.sections.iter().flat_map(|(tokens, _)| tokens);
    for &t in history.filter(|t| c.tok.list[**t].family == Family::History) {
        shown.push(("A", GHA, Role::Investigator, "T1".into(), t));
    }
    for t in [x.justification, x.consent_note] {
        shown.push(("C", GHA, Role::Poc, "T1".into(), t));
        shown.push(("C", BEL, Role::Poc, "T1".into(), t));
    }
    for (to, label) in arrivals {
        for t in c.expect.held(to, label) {
            // A draft replaces the requester's own export record.
            if !c.tok.list[t].label.contains("DOMESTIC-LICENCE") {
                shown.push(("C", to, Role::Poc, label.clone(), t));
            }
        }
    }
    shown.push(("C", NGA, Role::Investigator, "D3".into(), x.req3.items[0]));
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_token_appears_only_where_its_markings_allow() -> anyhow::Result<()> {
    let logs = iti_tests::logs::capture_all()?;
    let started = std::time::Instant::now();
    let mut f = federation().await?;
    let mut clients = BTreeMap::new();
    for node in NODES {
        for role in Role::ALL {
            clients.insert((node.to_string(), role), f.officer(node, role)?);
        }
    }
    let mut tok = Tokens::new();
    let x = plant(&mut tok);
    let mut c = Canary {
        tok,
        expect: Expect::default(),
        clients,
        labels: BTreeMap::new(),
        obs: vec![],
        phase: "A",
        scope: String::new(),
    };
    println!(
        "canary run {}: {} tokens planted",
        c.tok.run,
        c.tok.list.len()
    );
    let ids = set_up(&mut f, &mut c, &x).await?;
    c.expect = expect_after_set_up(&x)?;
    println!("set-up done in {:.1?}", started.elapsed());

    read_all(&mut c).await?;
    println!(
        "phase A (every read, drafts pending) done in {:.1?}",
        started.elapsed()
    );

    c.phase = "B";
    let consents: Vec<ConsentGiven> = send_the_drafts(&f, &mut c, &x, &ids)
        .await?
        .into_iter()
        .collect();
    for node in [GHA, BEL] {
        c.expect.hold(
            node,
            "T1",
            &[x.justification, x.consent_note],
            &t1_discussion(&x),
        );
    }
    let mut flows = forward_everything(&mut c, &x, &ids).await;
    flows.extend(draft_flows(&x)?);
    let mut arrivals = vec![];
    for flow in &flows {
        if let Some(held) = flow.arrives(&consents) {
            c.expect
                .hold(flow.to, &flow.label, &held.tokens, &held.marking);
            arrivals.push((flow.to, flow.label.clone()));
        }
    }
    println!(
        "expected to arrive: {}",
        arrivals
            .iter()
            .map(|(to, l)| format!("{l} at {to}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    label_arrivals(&f, &mut c, &arrivals).await?;
    every_other_onward_path(&mut c).await?;
    println!(
        "phase B (every onward use) done in {:.1?}",
        started.elapsed()
    );

    // Three weeks and more pass: reminders and overdue alerts.
    f.advance(time::Duration::days(25));
    for node in NODES {
        let alerts = f.node(node)?.sweep(f.clock.now()).await?;
        c.note_clean(node, None, "Sweep alerts", Ok(format!("{alerts:?}")));
    }
    c.phase = "C";
    read_all(&mut c).await?;
    println!(
        "phase C (every read again) done in {:.1?}",
        started.elapsed()
    );

    unasked_exits(&f, &mut c).await?;
    f.shutdown().await;
    let log = logs.text();
    if !log.contains("node started participant=GHA") {
        bail!("the log capture missed the nodes' own events");
    }
    println!("logs: {} lines captured at TRACE", log.lines().count());
    c.note_clean("*", None, "Logs (every crate, TRACE)", Ok(log));
    println!("done in {:.1?}", started.elapsed());
    let shown = must_be_shown(&c, &x, &arrivals);
    verdict(&c, &shown)
}

/// What must be shown, so that the test cannot pass by showing nothing:
/// (phase, node, role, label, token), each seen in `ShowCase`.
type Shown = Vec<(&'static str, &'static str, Role, String, usize)>;

// ---------------------------------------------------------------- the matrix and the verdict

/// A row's cell for one family.
fn cell(
    obs: &[&Obs],
    family: Family,
    tok: &Tokens,
    arrived: &dyn Fn(&Obs) -> BTreeSet<usize>,
) -> &'static str {
    let of = |t: &usize| tok.list[*t].family == family;
    if obs.iter().any(|o| o.leaks().iter().any(of)) {
        return "X";
    }
    if obs
        .iter()
        .any(|o| o.found.keys().any(of) || arrived(o).iter().any(of))
    {
        return "S";
    }
    let held = |o: &&&Obs| o.held.iter().any(of);
    if obs.iter().filter(held).any(|o| !o.refused) {
        return "-";
    }
    if obs.iter().filter(held).any(|o| o.refused) {
        return "R";
    }
    "."
}

fn verdict(c: &Canary, shown: &Shown) -> anyhow::Result<()> {
    let tok = &c.tok;
    // What arrived at a destination through an onward use: what its point
    // of contact sees of that label in the last phase.
    let arrived = |o: &Obs| -> BTreeSet<usize> {
        let Some((node, label)) = &o.arrival else {
            return BTreeSet::new();
        };
        if o.refused {
            return BTreeSet::new();
        }
        c.obs
            .iter()
            .filter(|d| d.phase == "C" && &d.node == node && d.role == Some(Role::Poc))
            .filter(|d| d.exit == "ShowCase")
            .filter(|d| {
                !d.refused
                    && d.found
                        .keys()
                        .any(|t| c.expect.held(node, label).contains(t))
            })
            .flat_map(|d| d.found.keys().copied())
            .filter(|t| c.expect.held(node, label).contains(t))
            .collect()
    };
    let mut rows: BTreeMap<(String, String, usize, String), Vec<&Obs>> = BTreeMap::new();
    for o in &c.obs {
        let role = o
            .role
            .map(|r| r.as_str().to_string())
            .unwrap_or_else(|| "-".into());
        let role_order = o
            .role
            .and_then(|r| Role::ALL.iter().position(|x| *x == r))
            .unwrap_or(9);
        rows.entry((
            format!("{:<13}", o.node),
            format!("{}:{}", o.phase, o.exit),
            role_order,
            role,
        ))
        .or_default()
        .push(o);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nExits by role. Phases: A = every read, drafts pending; B = every onward use; C = every \
         read again, after consents, forwards and three weeks.\nCells: S shown (for an onward use: \
         arrived at the destination), - withheld (held there, not shown), R refused, . nothing of \
         it there, X OUT OF PLACE.\nFamilies:"
    );
    for f in FAMILIES {
        let _ = writeln!(out, "  {} {}", f.code(), f.what());
    }
    let header: String = FAMILIES.iter().map(|f| format!(" {}", f.code())).collect();
    let _ = writeln!(
        out,
        "\n{:<13} {:<13} {:<34} {:<8}{header}",
        "node", "role", "exit", "outcome"
    );
    let mut quiet: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for ((node, exit, _, role), obs) in &rows {
        let cells: Vec<&str> = FAMILIES
            .iter()
            .map(|f| cell(obs, *f, tok, &arrived))
            .collect();
        let refused = obs.iter().filter(|o| o.refused).count();
        let outcome = match refused {
            0 => "ok".to_string(),
            n if n == obs.len() => "refused".to_string(),
            n => format!("{n}/{} ref", obs.len()),
        };
        if cells.iter().all(|c| *c == ".") {
            quiet
                .entry((node.clone(), role.clone()))
                .or_default()
                .push(format!("{exit} ({outcome})"));
            continue;
        }
        let line: String = cells.iter().map(|c| format!("  {c:<2}")).collect();
        let _ = writeln!(out, "{node} {role:<13} {exit:<34} {outcome:<8}{line}");
    }
    let _ = writeln!(
        out,
        "\nExits that showed no token (none held there, or none may be):"
    );
    for ((node, role), exits) in &quiet {
        let _ = writeln!(out, "  {} {role}: {}", node.trim(), exits.join(", "));
    }

    let mut problems = Vec::new();
    for o in &c.obs {
        let role = o.role.map(|r| r.as_str()).unwrap_or("-");
        for t in o.leaks() {
            let token = &tok.list[t];
            problems.push(format!(
                "LEAK {}:{}{} {} {role}: {} ({}{}) in: …{}…",
                o.phase,
                o.exit,
                if o.scope.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", o.scope)
                },
                o.node,
                token.label,
                token.family.code(),
                if token.personal {
                    ", personal data"
                } else {
                    ""
                },
                o.found[&t]
            ));
        }
        for fragment in &o.fragments {
            problems.push(format!(
                "FRAGMENT {}:{} {} {role}: something like a token: …{fragment}…",
                o.phase, o.exit, o.node
            ));
        }
    }
    for (phase, node, role, label, t) in shown {
        let seen = c.obs.iter().any(|o| {
            o.phase == *phase
                && o.node == *node
                && o.role == Some(*role)
                && o.exit == "ShowCase"
                && o.found.contains_key(t)
                && c.expect.held(node, label).contains(t)
        });
        if !seen {
            problems.push(format!(
                "NOT SHOWN {phase}: {node} {} does not see {} in {label}",
                role.as_str(),
                tok.list[*t].label
            ));
        }
    }
    let _ = writeln!(out, "\n{} problem(s)", problems.len());
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for p in &problems {
        let key: String = p.split(" in: ").next().unwrap_or(p).to_string();
        *by_kind.entry(key).or_default() += 1;
    }
    for p in problems.iter().take(400) {
        let _ = writeln!(out, "  {p}");
    }
    if problems.len() > 400 {
        let _ = writeln!(out, "  … and {} more", problems.len() - 400);
    }
    println!("{out}");
    if problems.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(
            "{} token(s) out of place or not shown where they must be (see the matrix above)",
            problems.len()
        ))
    }
}
