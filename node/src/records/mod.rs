//! The national tracing system (clause 7): a state's domestic records as
//! its node holds them, and the pure logic over them. No I/O here: the
//! store (`store/records.rs`) keeps them, `service/records.rs` wires them.
//!
//! A record comes from a *source* (the system of one agency: a police
//! armoury inventory, the export licensing register, manufacturer X), which
//! belongs to one record *domain* (5.1: law enforcement, manufacturers,
//! dealers, civilians, military, transfer licensing). Each source has default
//! markings per field (10.3): civilian holders are personal data, commercial
//! details proprietary. Every value derived from records carries the join of
//! the markings of the fields it came from, and its provenance.
//!
//! Layout: this file (kinds, domains, validation of an imported line,
//! markings), `search` (grouping matches into weapons), `history` (one
//! weapon's path and how it ends), `access` (which domains an officer may
//! search, from the directory entry), `determine` (8.1), `draft` (8.3: the
//! 10.4 response from records), `figures` (clause 12).

pub mod access;
pub mod determine;
pub mod draft;
pub mod figures;
pub mod history;
pub mod search;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use iti_proto::v1 as pb;

use crate::ids::StateCode;
use crate::matching;
use crate::policy::marking::{Marking, Restriction, Tlp};

/// What a record records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Manufacture,
    Import,
    Holding,
    Transfer,
    Loss,
    Export,
    Destruction,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Manufacture,
        Kind::Import,
        Kind::Holding,
        Kind::Transfer,
        Kind::Loss,
        Kind::Export,
        Kind::Destruction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Manufacture => "manufacture",
            Kind::Import => "import",
            Kind::Holding => "holding",
            Kind::Transfer => "transfer",
            Kind::Loss => "loss",
            Kind::Export => "export",
            Kind::Destruction => "destruction",
        }
    }

    pub fn to_proto(self) -> pb::RecordKind {
        match self {
            Kind::Manufacture => pb::RecordKind::Manufacture,
            Kind::Import => pb::RecordKind::Import,
            Kind::Holding => pb::RecordKind::Holding,
            Kind::Transfer => pb::RecordKind::Transfer,
            Kind::Loss => pb::RecordKind::Loss,
            Kind::Export => pb::RecordKind::Export,
            Kind::Destruction => pb::RecordKind::Destruction,
        }
    }

    pub fn from_proto(k: i32) -> Option<Kind> {
        Some(match pb::RecordKind::try_from(k).ok()? {
            pb::RecordKind::Manufacture => Kind::Manufacture,
            pb::RecordKind::Import => Kind::Import,
            pb::RecordKind::Holding => Kind::Holding,
            pb::RecordKind::Transfer => Kind::Transfer,
            pb::RecordKind::Loss => Kind::Loss,
            pb::RecordKind::Export => Kind::Export,
            pb::RecordKind::Destruction => Kind::Destruction,
            pb::RecordKind::Unspecified => return None,
        })
    }

    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim().to_ascii_lowercase();
        Kind::ALL.into_iter().find(|k| {
            k.as_str() == s || (s == "theft" && *k == Kind::Loss) || s == format!("{}s", k.as_str())
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record domain (5.1): which kind of domestic records a point of contact
/// may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Domain {
    LawEnforcement,
    Manufacturers,
    Dealers,
    Civilians,
    Military,
    TransferLicensing,
}

impl Domain {
    pub const ALL: [Domain; 6] = [
        Domain::LawEnforcement,
        Domain::Manufacturers,
        Domain::Dealers,
        Domain::Civilians,
        Domain::Military,
        Domain::TransferLicensing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Domain::LawEnforcement => "law_enforcement",
            Domain::Manufacturers => "manufacturers",
            Domain::Dealers => "dealers",
            Domain::Civilians => "civilians",
            Domain::Military => "military",
            Domain::TransferLicensing => "transfer_licensing",
        }
    }

    pub fn to_proto(self) -> pb::RecordDomain {
        match self {
            Domain::LawEnforcement => pb::RecordDomain::LawEnforcement,
            Domain::Manufacturers => pb::RecordDomain::Manufacturers,
            Domain::Dealers => pb::RecordDomain::Dealers,
            Domain::Civilians => pb::RecordDomain::Civilians,
            Domain::Military => pb::RecordDomain::Military,
            Domain::TransferLicensing => pb::RecordDomain::TransferLicensing,
        }
    }

    pub fn from_proto(d: i32) -> Option<Domain> {
        Some(match pb::RecordDomain::try_from(d).ok()? {
            pb::RecordDomain::LawEnforcement => Domain::LawEnforcement,
            pb::RecordDomain::Manufacturers => Domain::Manufacturers,
            pb::RecordDomain::Dealers => Domain::Dealers,
            pb::RecordDomain::Civilians => Domain::Civilians,
            pb::RecordDomain::Military => Domain::Military,
            pb::RecordDomain::TransferLicensing => Domain::TransferLicensing,
            pb::RecordDomain::Unspecified => return None,
        })
    }

    pub fn parse(s: &str) -> Option<Domain> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Domain::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub type Domains = BTreeSet<Domain>;

/// Who held a weapon, by category (the categories of points of diversion
/// in clause 12 reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HolderCategory {
    StateArmoury,
    Military,
    Police,
    Dealer,
    Civilian,
    Manufacturer,
    Importer,
    Other,
}

impl HolderCategory {
    pub const ALL: [HolderCategory; 8] = [
        HolderCategory::StateArmoury,
        HolderCategory::Military,
        HolderCategory::Police,
        HolderCategory::Dealer,
        HolderCategory::Civilian,
        HolderCategory::Manufacturer,
        HolderCategory::Importer,
        HolderCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HolderCategory::StateArmoury => "state_armoury",
            HolderCategory::Military => "military",
            HolderCategory::Police => "police",
            HolderCategory::Dealer => "dealer",
            HolderCategory::Civilian => "civilian",
            HolderCategory::Manufacturer => "manufacturer",
            HolderCategory::Importer => "importer",
            HolderCategory::Other => "other",
        }
    }

    /// The words a 10.4 response uses ("state armoury", "licensed dealer").
    pub fn words(self) -> &'static str {
        match self {
            HolderCategory::StateArmoury => "state armoury",
            HolderCategory::Military => "armed forces unit",
            HolderCategory::Police => "police unit",
            HolderCategory::Dealer => "licensed dealer",
            HolderCategory::Civilian => "licensed civilian",
            HolderCategory::Manufacturer => "manufacturer",
            HolderCategory::Importer => "importer",
            HolderCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<HolderCategory> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        HolderCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Held by the state (armouries, police, armed forces).
    pub fn is_state(self) -> bool {
        matches!(
            self,
            HolderCategory::StateArmoury | HolderCategory::Military | HolderCategory::Police
        )
    }
}

/// The field names of a record (as in `NationalRecord`, snake case): what a
/// mapping maps columns to and markings are given for.
pub const FIELDS: &[&str] = &[
    "source_key",
    "make",
    "model",
    "calibre",
    "serial",
    "date",
    "marks",
    "notes",
    "manufacturer",
    "importer",
    "origin_state",
    "import_marking",
    "licence",
    "exporter",
    "importing_state",
    "consignee",
    "end_user",
    "transit_states",
    "brokers",
    "carrier",
    "financial",
    "holder",
    "holder_category",
    "unit",
    "address",
    "from_holder",
    "place",
    "circumstances",
    "report_reference",
    "method",
    "certificate",
];

/// A field of a record by name; `None` for an unknown name.
pub fn field<'a>(r: &'a pb::NationalRecord, name: &str) -> Option<&'a str> {
    Some(match name {
        "source_key" => &r.source_key,
        "make" => &r.make,
        "model" => &r.model,
        "calibre" => &r.calibre,
        "serial" => &r.serial,
        "date" => &r.date,
        "marks" => &r.marks,
        "notes" => &r.notes,
        "manufacturer" => &r.manufacturer,
        "importer" => &r.importer,
        "origin_state" => &r.origin_state,
        "import_marking" => &r.import_marking,
        "licence" => &r.licence,
        "exporter" => &r.exporter,
        "importing_state" => &r.importing_state,
        "consignee" => &r.consignee,
        "end_user" => &r.end_user,
        "transit_states" => &r.transit_states,
        "brokers" => &r.brokers,
        "carrier" => &r.carrier,
        "financial" => &r.financial,
        "holder" => &r.holder,
        "holder_category" => &r.holder_category,
        "unit" => &r.unit,
        "address" => &r.address,
        "from_holder" => &r.from_holder,
        "place" => &r.place,
        "circumstances" => &r.circumstances,
        "report_reference" => &r.report_reference,
        "method" => &r.method,
        "certificate" => &r.certificate,
        _ => return None,
    })
}

/// Sets a field of a record by name; false for an unknown name.
pub fn set_field(r: &mut pb::NationalRecord, name: &str, value: String) -> bool {
    let slot = match name {
        "source_key" => &mut r.source_key,
        "make" => &mut r.make,
        "model" => &mut r.model,
        "calibre" => &mut r.calibre,
        "serial" => &mut r.serial,
        "date" => &mut r.date,
        "marks" => &mut r.marks,
        "notes" => &mut r.notes,
        "manufacturer" => &mut r.manufacturer,
        "importer" => &mut r.importer,
        "origin_state" => &mut r.origin_state,
        "import_marking" => &mut r.import_marking,
        "licence" => &mut r.licence,
        "exporter" => &mut r.exporter,
        "importing_state" => &mut r.importing_state,
        "consignee" => &mut r.consignee,
        "end_user" => &mut r.end_user,
        "transit_states" => &mut r.transit_states,
        "brokers" => &mut r.brokers,
        "carrier" => &mut r.carrier,
        "financial" => &mut r.financial,
        "holder" => &mut r.holder,
        "holder_category" => &mut r.holder_category,
        "unit" => &mut r.unit,
        "address" => &mut r.address,
        "from_holder" => &mut r.from_holder,
        "place" => &mut r.place,
        "circumstances" => &mut r.circumstances,
        "report_reference" => &mut r.report_reference,
        "method" => &mut r.method,
        "certificate" => &mut r.certificate,
        _ => return false,
    };
    *slot = value;
    true
}

/// Fields that are commercial transaction details (7.3 b, c).
const COMMERCIAL: &[&str] = &["brokers", "carrier", "financial"];
/// Fields that name or locate a holder: personal data when the holder is a
/// civilian.
const HOLDER_FIELDS: &[&str] = &["holder", "from_holder", "address", "licence"];

/// The marking of a value derived from records: TLP and restrictions, and
/// whether it is personal data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordMarking {
    pub marking: Marking,
    /// Personal data: shown only to law enforcement, whatever the TLP.
    pub personal: bool,
}

impl RecordMarking {
    pub fn new(marking: Marking) -> RecordMarking {
        RecordMarking {
            marking,
            personal: false,
        }
    }

    /// Personal data: at least TLP:AMBER+STRICT, law enforcement only.
    pub fn personal(marking: Marking) -> RecordMarking {
        let floor = Marking::new(Tlp::AmberStrict).with(Restriction::LawEnforcementOnly);
        RecordMarking {
            marking: marking.join(&floor),
            personal: true,
        }
    }

    /// The join of two markings: the higher TLP, every restriction of either.
    pub fn join(&self, other: &RecordMarking) -> RecordMarking {
        RecordMarking {
            marking: self.marking.join(&other.marking),
            personal: self.personal || other.personal,
        }
    }

    /// The join of several; `None` for none.
    pub fn join_all<'a>(all: impl IntoIterator<Item = &'a RecordMarking>) -> Option<RecordMarking> {
        all.into_iter().fold(None, |acc, m| {
            Some(match acc {
                None => m.clone(),
                Some(a) => a.join(m),
            })
        })
    }

    pub fn to_proto(&self) -> pb::Marking {
        self.marking.to_proto()
    }
}

impl fmt::Display for RecordMarking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.marking)?;
        if self.personal {
            f.write_str(" personal data")?;
        }
        Ok(())
    }
}

/// A source's default markings per field, "*" for the others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldMarkings(BTreeMap<String, RecordMarking>);

impl FieldMarkings {
    /// Reads the markings of an import header; errors name the entry.
    pub fn try_from_proto(markings: &[pb::FieldMarking]) -> Result<FieldMarkings, Rejection> {
        let mut out = BTreeMap::new();
        for (i, m) in markings.iter().enumerate() {
            let name = m.field.trim();
            if name != "*" && !FIELDS.contains(&name) {
                return Err(Rejection::new(
                    format!("markings[{i}].field"),
                    "not a record field (see the README's list) nor \"*\"",
                ));
            }
            let marking = m
                .marking
                .as_ref()
                .ok_or_else(|| Rejection::new(format!("markings[{i}].marking"), "missing"))?;
            let marking = Marking::try_from_proto_at(marking, &format!("markings[{i}].marking"))
                .map_err(|e| Rejection::new(format!("markings[{i}].marking"), e.to_string()))?;
            let marking = if m.personal {
                RecordMarking::personal(marking)
            } else {
                RecordMarking::new(marking)
            };
            out.insert(name.to_string(), marking);
        }
        Ok(FieldMarkings(out))
    }

    pub fn to_proto(&self) -> Vec<pb::FieldMarking> {
        self.0
            .iter()
            .map(|(field, m)| pb::FieldMarking {
                field: field.clone(),
                marking: Some(m.to_proto()),
                personal: m.personal,
            })
            .collect()
    }

    /// The default marking of `field` of `record`: the source's, with the
    /// floors no source can lower (commercial details proprietary; a
    /// civilian holder personal data).
    pub fn of(&self, field: &str, record: &pb::NationalRecord) -> RecordMarking {
        let base = self
            .0
            .get(field)
            .or_else(|| self.0.get("*"))
            .cloned()
            .unwrap_or_else(|| RecordMarking::new(Marking::new(Tlp::Amber)));
        let base = if COMMERCIAL.contains(&field) {
            base.join(&RecordMarking::new(
                Marking::new(Tlp::Amber).with(Restriction::ProprietaryCommercial),
            ))
        } else {
            base
        };
        let civilian =
            HolderCategory::parse(&record.holder_category) == Some(HolderCategory::Civilian);
        if civilian && HOLDER_FIELDS.contains(&field) {
            base.join(&RecordMarking::personal(Marking::new(Tlp::AmberStrict)))
        } else {
            base
        }
    }

    /// The marking of a whole record: the join of its non-empty fields'.
    pub fn of_record(&self, record: &pb::NationalRecord) -> RecordMarking {
        RecordMarking::join_all(
            FIELDS
                .iter()
                .filter(|f| field(record, f).is_some_and(|v| !v.is_empty()))
                .map(|f| self.of(f, record))
                .collect::<Vec<_>>()
                .iter(),
        )
        .unwrap_or_else(|| RecordMarking::new(Marking::new(Tlp::Amber)))
    }
}

/// A source: its name, domain and default markings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub domain: Domain,
    pub markings: FieldMarkings,
}

/// Why one line of an import was refused: the field and the reason. The
/// reason never repeats the line's content (it reaches logs and replies).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Rejection {
    pub field: String,
    pub reason: String,
}

impl Rejection {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Rejection {
        Rejection {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A calendar date as records give it: year, year-month or full date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RecordDate {
    /// yyyymmdd, with 00 for an unknown month or day; 0 for no date.
    pub key: i64,
}

impl RecordDate {
    pub fn parse(s: &str) -> Option<RecordDate> {
        let s = s.trim();
        if s.is_empty() {
            return Some(RecordDate { key: 0 });
        }
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize| -> Option<i64> {
            (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        let (y, m, d) = match parts.as_slice() {
            [y] => (num(y, 4)?, 0, 0),
            [y, m] => (num(y, 4)?, num(m, 2)?, 0),
            [y, m, d] => (num(y, 4)?, num(m, 2)?, num(d, 2)?),
            _ => return None,
        };
        let month_ok = m == 0 || (1..=12).contains(&m);
        let day_ok = d == 0
            || (m != 0
                && time::Month::try_from(m as u8)
                    .is_ok_and(|month| d as u8 <= month.length(y as i32)));
        (y >= 1800 && month_ok && day_ok).then_some(RecordDate {
            key: y * 10_000 + m * 100 + d,
        })
    }
}

/// A line of an import, validated: the record as it is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub kind: Kind,
    /// Trimmed; `line` cleared.
    pub fields: pb::NationalRecord,
    pub make_key: String,
    pub serial_key: String,
    pub date: RecordDate,
}

fn required(r: &pb::NationalRecord, name: &str, why: &str) -> Result<(), Rejection> {
    if field(r, name).is_some_and(|v| !v.is_empty()) {
        Ok(())
    } else {
        Err(Rejection::new(name, format!("missing ({why})")))
    }
}

fn state(r: &pb::NationalRecord, name: &str) -> Result<(), Rejection> {
    let v = field(r, name).unwrap_or("");
    if v.is_empty() {
        return Ok(());
    }
    v.parse::<StateCode>()
        .map(|_| ())
        .map_err(|_| Rejection::new(name, "not an ISO 3166-1 alpha-3 country code"))
}

/// Items of a ";"-separated list field, trimmed, empty ones dropped.
pub fn list(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Record {
    /// Validates one imported line as a record of `kind`. Nothing of a
    /// refused line is kept.
    pub fn try_from_line(kind: Kind, line: &pb::NationalRecord) -> Result<Record, Rejection> {
        let mut r = line.clone();
        r.line = 0;
        for name in FIELDS {
            if let Some(v) = field(&r, name) {
                let t = v.trim();
                if t.len() != v.len() {
                    let t = t.to_string();
                    set_field(&mut r, name, t);
                }
            }
        }
        required(&r, "source_key", "a re-import updates a record by its key")?;
        required(&r, "make", "clause 6.1 a")?;
        required(&r, "serial", "clause 6.1 d")?;
        let make_key = matching::make_key(&r.make);
        let serial_key = matching::serial_key(&r.serial);
        if make_key.is_empty() {
            return Err(Rejection::new("make", "no letter or digit"));
        }
        if serial_key.is_empty() {
            return Err(Rejection::new("serial", "no letter or digit"));
        }
        let date = RecordDate::parse(&r.date).ok_or_else(|| {
            Rejection::new("date", "not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)")
        })?;
        if !r.holder_category.is_empty() && HolderCategory::parse(&r.holder_category).is_none() {
            return Err(Rejection::new(
                "holder_category",
                "not one of state_armoury, military, police, dealer, civilian, manufacturer, \
                 importer, other",
            ));
        }
        for name in ["origin_state", "importing_state"] {
            state(&r, name)?;
        }
        for (i, s) in list(&r.transit_states).iter().enumerate() {
            if s.parse::<StateCode>().is_err() {
                return Err(Rejection::new(
                    format!("transit_states[{i}]"),
                    "not an ISO 3166-1 alpha-3 country code",
                ));
            }
        }
        check_kind(kind, &r, date)?;
        Ok(Record {
            kind,
            fields: r,
            make_key,
            serial_key,
            date,
        })
    }
}

/// What each kind needs.
fn check_kind(kind: Kind, r: &pb::NationalRecord, date: RecordDate) -> Result<(), Rejection> {
    let dated = |what: &str| {
        if date.key == 0 {
            Err(Rejection::new(
                "date",
                format!("missing (the date of the {what})"),
            ))
        } else {
            Ok(())
        }
    };
    match kind {
        Kind::Manufacture => Ok(()),
        Kind::Import => {
            required(r, "importer", "who imported it")?;
            required(r, "origin_state", "the state it came from")?;
            dated("import")
        }
        Kind::Export => {
            required(r, "importing_state", "the state it went to")?;
            required(r, "licence", "the export licence, 10.4.3 e")?;
            dated("export")
        }
        Kind::Holding => {
            required(r, "holder", "who holds it")?;
            required(r, "holder_category", "state_armoury, dealer, civilian, ...")
        }
        Kind::Transfer => {
            required(r, "holder", "the recipient")?;
            required(r, "holder_category", "the recipient's category")?;
            dated("transfer")
        }
        Kind::Loss => {
            required(r, "holder", "from whom it was lost or stolen")?;
            match r.circumstances.to_ascii_lowercase().as_str() {
                "theft" | "loss" => {}
                _ => {
                    return Err(Rejection::new("circumstances", "\"theft\" or \"loss\""));
                }
            }
            dated("loss or theft")
        }
        Kind::Destruction => dated("destruction"),
    }
}

/// A record as read back, with what it needs to be shown and joined:
/// its source, domain and the source's markings.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    pub id: i64,
    pub source: String,
    pub domain: Domain,
    pub kind: Kind,
    pub fields: pb::NationalRecord,
    pub make_key: String,
    pub serial_key: String,
    pub date: RecordDate,
    pub markings: FieldMarkings,
}

/// Where a value came from: which record, which field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    pub source: String,
    pub domain: Domain,
    pub source_key: String,
    pub kind: Kind,
    pub field: String,
}

impl Provenance {
    pub fn to_proto(&self) -> pb::Provenance {
        pb::Provenance {
            source: self.source.clone(),
            domain: self.domain.to_proto() as i32,
            source_key: self.source_key.clone(),
            kind: self.kind.to_proto() as i32,
            field: self.field.clone(),
        }
    }
}

/// A value derived from records, with the join of its sources' markings and
/// where it came from. Until the release gate's `Marked<T>` lands, every
/// value derived from records travels as one of these.
#[derive(Clone, Debug, PartialEq)]
pub struct Derived<T> {
    pub value: T,
    pub marking: RecordMarking,
    pub provenance: Vec<Provenance>,
}

impl StoredRecord {
    pub fn provenance(&self, field: &str) -> Provenance {
        Provenance {
            source: self.source.clone(),
            domain: self.domain,
            source_key: self.fields.source_key.clone(),
            kind: self.kind,
            field: field.to_string(),
        }
    }

    /// One field, marked, with its provenance; `None` when empty.
    pub fn get(&self, name: &str) -> Option<Derived<String>> {
        let v = field(&self.fields, name)?;
        if v.is_empty() {
            return None;
        }
        Some(Derived {
            value: v.to_string(),
            marking: self.markings.of(name, &self.fields),
            provenance: vec![self.provenance(name)],
        })
    }

    pub fn holder_category(&self) -> Option<HolderCategory> {
        HolderCategory::parse(&self.fields.holder_category)
    }

    pub fn marking(&self) -> RecordMarking {
        self.markings.of_record(&self.fields)
    }

    pub fn view(&self) -> pb::RecordView {
        let marking = self.marking();
        pb::RecordView {
            kind: self.kind.to_proto() as i32,
            source: self.source.clone(),
            domain: self.domain.to_proto() as i32,
            record: Some(self.fields.clone()),
            marking: Some(marking.to_proto()),
            personal: marking.personal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(f: &[(&str, &str)]) -> pb::NationalRecord {
        let mut r = pb::NationalRecord {
            line: 7,
            ..Default::default()
        };
        for (k, v) in f {
            assert!(set_field(&mut r, k, v.to_string()), "{k}");
        }
        r
    }

    fn holding() -> pb::NationalRecord {
        line(&[
            ("source_key", "A-1"),
            ("make", " FN Herstal "),
            ("serial", "1502347"),
            ("holder", "Kaduna State Command armoury"),
            ("holder_category", "state_armoury"),
            ("date", "2011-08"),
        ])
    }

    #[test]
    fn a_valid_line_is_trimmed_and_keyed() {
        let r = Record::try_from_line(Kind::Holding, &holding()).unwrap();
        assert_eq!(r.fields.make, "FN Herstal");
        assert_eq!(r.fields.line, 0);
        assert_eq!(r.make_key, "FNHERSTAL");
        assert_eq!(r.serial_key, "1502347");
        assert_eq!(r.date.key, 20110800);
    }

    #[test]
    fn a_refused_line_names_the_field_and_not_its_content() {
        let mut bad = holding();
        bad.date = "2011-13-01".into();
        let e = Record::try_from_line(Kind::Holding, &bad).unwrap_err();
        assert_eq!(e.field, "date");
        assert!(!e.to_string().contains("2011"), "{e}");
        let mut bad = holding();
        bad.serial = " -- ".into();
        assert_eq!(
            Record::try_from_line(Kind::Holding, &bad)
                .unwrap_err()
                .field,
            "serial"
        );
        let mut bad = holding();
        bad.holder_category = "friend".into();
        assert_eq!(
            Record::try_from_line(Kind::Holding, &bad)
                .unwrap_err()
                .field,
            "holder_category"
        );
        assert_eq!(
            Record::try_from_line(Kind::Export, &holding())
                .unwrap_err()
                .field,
            "importing_state"
        );
        let mut bad = holding();
        bad.transit_states = "NLD;XX".into();
        assert_eq!(
            Record::try_from_line(Kind::Holding, &bad)
                .unwrap_err()
                .field,
            "transit_states[1]"
        );
    }

    #[test]
    fn dates_are_years_months_or_days() {
        assert_eq!(RecordDate::parse("2009").unwrap().key, 20090000);
        assert_eq!(RecordDate::parse("2009-03-12").unwrap().key, 20090312);
        assert!(RecordDate::parse("2009-02-30").is_none());
        assert!(RecordDate::parse("12/03/2009").is_none());
        assert_eq!(RecordDate::parse("").unwrap().key, 0);
    }

    #[test]
    fn civilian_holders_are_personal_data_whatever_the_source_says() {
        let markings = FieldMarkings::default();
        let mut r = holding();
        r.holder_category = "civilian".into();
        let m = markings.of("holder", &r);
        assert!(m.personal);
        assert!(
            m.marking
                .restrictions
                .contains(&Restriction::LawEnforcementOnly)
        );
        assert!(m.marking.tlp >= Tlp::AmberStrict);
        assert!(!markings.of("make", &r).personal);
        let armoury = markings.of("holder", &holding());
        assert!(!armoury.personal);
    }

    #[test]
    fn commercial_details_are_proprietary_at_least() {
        let markings = FieldMarkings::try_from_proto(&[pb::FieldMarking {
            field: "*".into(),
            marking: Some(Marking::new(Tlp::Green).to_proto()),
            personal: false,
        }])
        .unwrap();
        let r = holding();
        let m = markings.of("financial", &r);
        assert!(
            m.marking
                .restrictions
                .contains(&Restriction::ProprietaryCommercial)
        );
        assert_eq!(markings.of("make", &r).marking, Marking::new(Tlp::Green));
    }

    #[test]
    fn markings_join_to_the_highest_tlp_and_every_restriction() {
        let a = RecordMarking::new(Marking::new(Tlp::Green).with(Restriction::NoOnwardDisclosure));
        let b = RecordMarking::personal(Marking::new(Tlp::Amber));
        let j = a.join(&b);
        assert_eq!(j.marking.tlp, Tlp::AmberStrict);
        assert!(j.personal);
        assert_eq!(j.marking.restrictions.len(), 2);
    }

    #[test]
    fn unknown_marking_fields_are_refused_by_name() {
        let e = FieldMarkings::try_from_proto(&[pb::FieldMarking {
            field: "colour".into(),
            marking: Some(Marking::new(Tlp::Green).to_proto()),
            personal: false,
        }])
        .unwrap_err();
        assert_eq!(e.field, "markings[0].field");
    }

    #[test]
    fn every_field_name_reads_and_writes_its_own_field() {
        for (i, name) in FIELDS.iter().enumerate() {
            let mut r = pb::NationalRecord::default();
            assert!(set_field(&mut r, name, format!("v{i}")));
            for other in FIELDS {
                let expect = if other == name {
                    format!("v{i}")
                } else {
                    String::new()
                };
                assert_eq!(field(&r, other), Some(expect.as_str()), "{name} / {other}");
            }
        }
    }
}
