//! The rule of every field, by message and JSON name: the one table the
//! walker reads and the README's "Bounds on input" section prints.

/// Trace requests: at most this many recovered items (9.2.1 c), a seized
/// cache the size of the largest on record. A request larger than one
/// message travels between nodes in parts (`transfer`).
pub const MAX_ITEMS: usize = 100_000;

/// Receipts one signature may cover (a batch received in one call holds at
/// most 64 envelopes).
pub const RECEIPTS_SIGNED_TOGETHER: u64 = 4096;

/// A photograph's declared size (6.2.3): 20 MiB.
pub const MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;

/// How a field's value is checked. Every rule refuses text with control
/// characters other than the line breaks and tabs of free text, and
/// bidirectional overrides, and normalises what it accepts to Unicode NFC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// One line of text, at most this many characters.
    Line(usize),
    /// Free text (line breaks and tabs allowed), at most this many characters.
    Text(usize),
    /// A serial number or mark: one line, at most this many characters;
    /// mixed scripts and characters confusable with others are accepted
    /// but flagged to both officers (UTS #39).
    Mark(usize),
    /// An ISO 3166-1 alpha-3 code of an assigned country ("GHA").
    Country,
    /// A participant: a country code, "hub:NAME" or "panel:NAME".
    Participant,
    /// An id (a UUID).
    Id,
    /// An ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD), not in the future.
    PastDate,
    /// A time, not in the future.
    PastTime,
    /// A time.
    Time,
    /// A lower-case hex SHA-256 (64 characters).
    Sha256,
    /// A media type ("image/jpeg"), at most 100 characters.
    MediaType,
    /// A file name, not a path, at most this many characters.
    FileName(usize),
    /// A count or measure, at most this much (`unit` names it in errors).
    Number { max: u64, unit: &'static str },
    /// A year: between 1800 and this year (0: not given).
    Year,
    /// Opaque bytes (certificates, signatures, keys), at most this many.
    Bytes(usize),
    /// A nested message, checked by its own rules.
    Message,
    /// A value of an enumeration (only the number of values is bounded).
    Enum,
}

/// How many values a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    One,
    /// A repeated field: at most this many entries.
    Many(usize),
}

/// One field's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The protobuf message, as named in `proto/iti/v1`.
    pub message: &'static str,
    /// The field's name in the protobuf JSON mapping.
    pub field: &'static str,
    pub count: Count,
    pub rule: Rule,
}

const fn one(message: &'static str, field: &'static str, rule: Rule) -> Field {
    Field {
        message,
        field,
        count: Count::One,
        rule,
    }
}

const fn many(message: &'static str, field: &'static str, max: usize, rule: Rule) -> Field {
    Field {
        message,
        field,
        count: Count::Many(max),
        rule,
    }
}

use Rule::*;

const NAME: Rule = Line(256);
const NOTE: Rule = Text(2000);
const LONG: Rule = Text(4000);
const PHOTOS: usize = 32;
const MARKS: usize = 32;
const CERT: Rule = Bytes(16 * 1024);

/// Every field of every message a node takes in: from its officers, from
/// peers, from its files. Enumerations and yes/no fields that are not
/// repeated have no entry: decoding bounds them.
pub const FIELDS: &[Field] = &[
    // ------------------------------------------------------------ request
    one("TraceRequest", "context", Message),
    one("TraceRequest", "grounds", Message),
    many("TraceRequest", "items", MAX_ITEMS, Message),
    one("TraceRequest", "informationSought", LONG),
    one("TraceRequest", "purpose", NOTE),
    one("TraceRequest", "intendedUse", NOTE),
    many("TraceRequest", "individuals", 50, Message),
    one("TraceRequest", "additionalInformation", Text(8000)),
    one("TraceRequest", "cannotProvideExplanation", LONG),
    many("TraceRequest", "restrictionsCannotComply", 4, Enum),
    one("TraceRequest", "restrictionsExplanation", NOTE),
    one("TraceRequest", "marking", Message),
    one("TraceRequest", "domesticFindings", Message),
    one("TraceRequest", "requesterReference", Line(64)),
    one("TraceRequest", "requestedState", Country),
    many("Marking", "restrictions", 4, Enum),
    one("RecoveryContext", "illicitNature", NOTE),
    one("RecoveryContext", "legalBasis", NOTE),
    one("RecoveryContext", "circumstances", LONG),
    one("RecoveryContext", "recoveredAt", PastTime),
    one("RecoveryContext", "placeOfRecovery", NAME),
    one("RoutingGrounds", "requestedState", Country),
    one("RoutingGrounds", "explanation", NOTE),
    one("RoutingGrounds", "overriddenState", Country),
    one("RoutingGrounds", "overrideReason", NOTE),
    one("RecoveredItem", "itemRef", Line(64)),
    one(
        "RecoveredItem",
        "quantity",
        Number {
            max: 1_000_000,
            unit: "",
        },
    ),
    one("RecoveredItem", "weapon", Message),
    one("RecoveredItem", "ammunition", Message),
    one("RecoveredItem", "part", Message),
    one("WeaponIdentification", "make", Line(128)),
    one("WeaponIdentification", "model", Line(128)),
    one("WeaponIdentification", "calibre", Line(64)),
    one("WeaponIdentification", "serialNumber", Mark(64)),
    one("WeaponIdentification", "countryOfManufacture", Country),
    one("WeaponIdentification", "countryOfLastImport", Country),
    one("WeaponIdentification", "serialLocation", Line(128)),
    one(
        "WeaponIdentification",
        "barrelLengthMm",
        Number {
            max: 5000,
            unit: " mm",
        },
    ),
    one(
        "WeaponIdentification",
        "magazineCapacity",
        Number {
            max: 1000,
            unit: " rounds",
        },
    ),
    many("WeaponIdentification", "marks", MARKS, Message),
    one("WeaponIdentification", "manufacturer", Line(128)),
    many("WeaponIdentification", "photographs", PHOTOS, Message),
    one("WeaponIdentification", "description", NOTE),
    one("WeaponMark", "value", Mark(128)),
    one("WeaponMark", "location", Line(128)),
    one("WeaponMark", "country", Country),
    one("WeaponMark", "year", Year),
    one("Attachment", "sha256", Sha256),
    one("Attachment", "mediaType", MediaType),
    one("Attachment", "filename", FileName(255)),
    one(
        "Attachment",
        "sizeBytes",
        Number {
            max: MAX_PHOTO_BYTES,
            unit: " bytes (20 MiB)",
        },
    ),
    one("Attachment", "caption", Line(500)),
    one("AmmunitionIdentification", "manufacturer", Line(128)),
    one("AmmunitionIdentification", "manufacturerCode", Mark(32)),
    one("AmmunitionIdentification", "countryOfManufacture", Country),
    one("AmmunitionIdentification", "lotNumber", Mark(64)),
    one("AmmunitionIdentification", "yearOfProduction", Year),
    one("AmmunitionIdentification", "calibre", Line(64)),
    one("AmmunitionIdentification", "headstamp", Mark(128)),
    many("AmmunitionIdentification", "photographs", PHOTOS, Message),
    one("PartIdentification", "make", Line(128)),
    one("PartIdentification", "serialNumber", Mark(64)),
    one("PartIdentification", "countryOfManufacture", Country),
    many("PartIdentification", "marks", MARKS, Message),
    one("PartIdentification", "description", NOTE),
    many("PartIdentification", "photographs", PHOTOS, Message),
    one("Individual", "name", NAME),
    one("Individual", "role", Line(128)),
    one("Individual", "nationality", Country),
    one("Individual", "dateOfBirth", PastDate),
    one("Individual", "notes", NOTE),
    one("DomesticFindings", "exportRecord", Message),
    one("DomesticFindings", "notes", LONG),
    one("ExportRecord", "importingState", Country),
    one("ExportRecord", "exportDate", PastDate),
    one("ExportRecord", "licenceNumber", Line(64)),
    // Whose records: a state, or the agency that keeps them.
    one("ExportRecord", "recordedBy", NAME),
    // ------------------------------------------------------------ replies
    one("Acknowledgement", "reference", Line(64)),
    one("Acknowledgement", "note", NOTE),
    many("ReturnForCompletion", "missing", 200, Message),
    one("ReturnForCompletion", "note", NOTE),
    one("MissingElement", "clause", Line(16)),
    one("MissingElement", "field", NAME),
    one("MissingElement", "description", Text(1000)),
    one("Resubmission", "request", Message),
    one("Resubmission", "note", NOTE),
    one("TraceResponse", "marking", Message),
    one("TraceResponse", "restrictionExplanation", LONG),
    one("TraceResponse", "finding", Message),
    one("TraceResponse", "history", Message),
    one("TraceResponse", "lastLegalPossessor", Message),
    one("TraceResponse", "commercial", Message),
    one("TraceResponse", "individuals", Message),
    one("TraceResponse", "additionalInformation", Text(8000)),
    one("Finding", "marking", Message),
    one("Finding", "manufactureOrImport", Message),
    one("Finding", "internalTransfer", Message),
    one("Finding", "export", Message),
    one("Finding", "internalDiversion", Message),
    one("Finding", "noRecord", Message),
    many("NoRecordFound", "searched", 20, Line(256)),
    one("NoRecordFound", "details", LONG),
    one("ManufactureOrImport", "manufacturerOrImporter", NAME),
    one("ManufactureOrImport", "date", PastDate),
    one("ManufactureOrImport", "details", LONG),
    many("InternalTransfer", "transferDates", 100, PastDate),
    many("InternalTransfer", "finalConsignees", 100, NAME),
    many("InternalTransfer", "licences", 100, Message),
    one("InternalTransfer", "details", LONG),
    one("Licence", "kind", Line(32)),
    one("Licence", "number", Line(64)),
    one("Licence", "issuedBy", NAME),
    one("Licence", "date", PastDate),
    one("ExportFinding", "exportDate", PastDate),
    one("ExportFinding", "importingState", Country),
    many("ExportFinding", "transitStates", 20, Country),
    one("ExportFinding", "finalConsignee", NAME),
    many("ExportFinding", "licences", 100, Message),
    one("ExportFinding", "details", LONG),
    one("InternalDiversion", "diversionDate", PastDate),
    one("InternalDiversion", "details", LONG),
    one("History", "marking", Message),
    many("History", "events", 200, Message),
    one("HistoryEvent", "date", PastDate),
    one("HistoryEvent", "state", Country),
    one("HistoryEvent", "party", NAME),
    one("HistoryEvent", "description", NOTE),
    one("LastLegalPossessor", "marking", Message),
    one("LastLegalPossessor", "name", NAME),
    one("LastLegalPossessor", "category", Line(128)),
    one("LastLegalPossessor", "state", Country),
    one("LastLegalPossessor", "address", Text(512)),
    one("LastLegalPossessor", "since", PastDate),
    one("LastLegalPossessor", "identityDocument", Line(128)),
    one("CommercialDetails", "marking", Message),
    many("CommercialDetails", "brokers", 50, NAME),
    many("CommercialDetails", "transportAgents", 50, NAME),
    one("CommercialDetails", "contractReference", Line(128)),
    one("CommercialDetails", "financialTransactions", LONG),
    one("CommercialDetails", "notes", LONG),
    one("Individuals", "marking", Message),
    many("Individuals", "individuals", 50, Message),
    one("DelayNotice", "explanation", LONG),
    one("DelayNotice", "newResponseDue", Time),
    one("Refusal", "explanation", LONG),
    one("ClarificationRequest", "question", LONG),
    one("ClarificationRequest", "regarding", Id),
    one("ClarificationReply", "answer", LONG),
    one("ClarificationReply", "regarding", Id),
    one("Consent", "regarding", Id),
    one("Consent", "note", NOTE),
    one("Consent", "destination", Participant),
    many("Consent", "restrictions", 8, Enum),
    one("ConsentRequest", "regarding", Id),
    one("ConsentRequest", "justification", LONG),
    one("ConsentRequest", "destination", Participant),
    many("ConsentRequest", "restrictions", 8, Enum),
    one("Closure", "outcome", NOTE),
    one("SharedInformation", "providedBy", Participant),
    one("SharedInformation", "sourceCase", Id),
    one("SharedInformation", "response", Message),
    one("SharedInformation", "note", NOTE),
    many("SharedInformation", "items", MAX_ITEMS, Message),
    one("SharedInformation", "sourceResponse", Id),
    one("BrokerNotice", "broker", Participant),
    one(
        "BrokerNotice",
        "itemIndex",
        Number {
            max: MAX_ITEMS as u64 - 1,
            unit: "",
        },
    ),
    one("BrokerNotice", "reportedBy", Country),
    one("BrokerNotice", "registerEntry", Line(128)),
    one("BrokerNotice", "registeredMake", Line(128)),
    one("BrokerNotice", "registeredSerial", Mark(64)),
    one("BrokerNotice", "reportedOn", PastDate),
    one("BrokerNotice", "circumstances", NOTE),
    many("BrokerNotice", "differences", 64, Line(128)),
    one("SignedReceipt", "receipt", Bytes(4096)),
    one("SignedReceipt", "signature", Bytes(512)),
    one("SignedReceipt", "signerCertificate", CERT),
    one("SignedReceipt", "batch", Message),
    one(
        "ReceiptInBatch",
        "leafIndex",
        Number {
            max: RECEIPTS_SIGNED_TOGETHER - 1,
            unit: "",
        },
    ),
    one(
        "ReceiptInBatch",
        "treeSize",
        Number {
            max: RECEIPTS_SIGNED_TOGETHER,
            unit: " receipts",
        },
    ),
    // A path of at most 12 hashes: a tree of at most 4096 leaves.
    one("ReceiptInBatch", "auditPath", Bytes(12 * 32)),
    one("OnBehalfRequest", "request", Message),
    one("OnBehalfRequest", "note", NOTE),
    one("DeliveryFailure", "envelopeId", Id),
    one("DeliveryFailure", "reason", NOTE),
    one("Payload", "request", Message),
    one("Payload", "acknowledgement", Message),
    one("Payload", "returnForCompletion", Message),
    one("Payload", "resubmission", Message),
    one("Payload", "response", Message),
    one("Payload", "delay", Message),
    one("Payload", "refusal", Message),
    one("Payload", "clarificationRequest", Message),
    one("Payload", "clarificationReply", Message),
    one("Payload", "consent", Message),
    one("Payload", "consentRequest", Message),
    one("Payload", "closure", Message),
    one("Payload", "sharedInformation", Message),
    one("Payload", "brokerNotice", Message),
    one("Payload", "receipt", Message),
    one("Payload", "onBehalfRequest", Message),
    one("Payload", "deliveryFailure", Message),
    // ------------------------------------------------------------ directory
    one("DirectoryEntry", "participant", Participant),
    many("DirectoryEntry", "endpoints", 8, NAME),
    many("DirectoryEntry", "pointsOfContact", 16, Message),
    many("DirectoryEntry", "languages", 32, Line(35)),
    one("DirectoryEntry", "caCertificate", CERT),
    one("DirectoryEntry", "certificate", CERT),
    one("DirectoryEntry", "nextCertificate", CERT),
    one("DirectoryEntry", "switchOverAt", Time),
    one("DirectoryEntry", "encryptionKey", Bytes(32)),
    many("DirectoryEntry", "serves", 1000, Participant),
    one("DirectoryEntry", "publishedAt", Time),
    one("DirectoryEntry", "revocationList", Bytes(1024 * 1024)),
    one(
        "DirectoryEntry",
        "serial",
        Number {
            max: u64::MAX,
            unit: "",
        },
    ),
    one("PointOfContact", "name", NAME),
    one("PointOfContact", "agency", NAME),
    one("PointOfContact", "email", Line(254)),
    one("PointOfContact", "phone", Line(64)),
    many("PointOfContact", "authorisedRecords", 8, Enum),
    many("PointOfContact", "languages", 32, Line(35)),
    one("PointOfContact", "officer", Line(256)),
    one("PeerCard", "participant", Participant),
    one("PeerCard", "endpoint", NAME),
    one("PeerCard", "caCertificatePem", Text(24 * 1024)),
    one("PeerCard", "crlPem", Text(1024 * 1024)),
    many("PeerCard", "serves", 1000, Participant),
    one("PeerCard", "encryptionKeyHex", Line(64)),
    // ------------------------------------------------------------ register
    one(
        "LostStolenRecord",
        "line",
        Number {
            max: u64::MAX,
            unit: "",
        },
    ),
    one("LostStolenRecord", "reportedBy", Country),
    one("LostStolenRecord", "make", Line(128)),
    one("LostStolenRecord", "model", Line(128)),
    one("LostStolenRecord", "serialNumber", Mark(64)),
    one("LostStolenRecord", "calibre", Line(64)),
    one("LostStolenRecord", "reportedOn", PastDate),
    one("LostStolenRecord", "circumstances", NOTE),
    one("LostStolenRecord", "reference", Line(128)),
];

/// The entry for `message`.`field`.
pub fn lookup(message: &str, field: &str) -> Option<&'static Field> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static INDEX: OnceLock<HashMap<(&'static str, &'static str), &'static Field>> = OnceLock::new();
    INDEX
        .get_or_init(|| FIELDS.iter().map(|f| ((f.message, f.field), f)).collect())
        .get(&(message, field))
        .copied()
}

impl Rule {
    /// The rule in words, as the README's table prints it.
    pub fn describe(&self) -> String {
        match *self {
            Line(n) => format!("one line, ≤ {n} characters"),
            Text(n) => format!("text, ≤ {n} characters"),
            Mark(n) => format!("one line, ≤ {n} characters; mixed scripts, confusables flagged"),
            Country => "ISO 3166-1 alpha-3".into(),
            Participant => "participant id".into(),
            Id => "UUID".into(),
            PastDate => "ISO 8601 date, not in the future".into(),
            PastTime => "time, not in the future".into(),
            Time => "time".into(),
            Sha256 => "lower-case hex SHA-256".into(),
            MediaType => "media type, ≤ 100 characters".into(),
            FileName(n) => format!("file name (not a path), ≤ {n} characters"),
            Number { max, unit } if max == u64::MAX => format!("number{unit}"),
            Number { max, unit } => format!("≤ {max}{unit}"),
            Year => "year, 1800 to this year".into(),
            Bytes(n) => format!("≤ {n} bytes"),
            Message => "message".into(),
            Enum => "enumeration".into(),
        }
    }
}

/// The table as Markdown rows, one message per row (the README prints
/// this; a test keeps the two equal).
pub fn markdown() -> String {
    let mut out = String::from("| message | field: bound |\n|---|---|\n");
    let mut messages: Vec<&str> = Vec::new();
    for f in FIELDS {
        if !messages.contains(&f.message) {
            messages.push(f.message);
        }
    }
    for m in messages {
        let fields: Vec<String> = FIELDS
            .iter()
            .filter(|f| f.message == m)
            .filter_map(|f| match (f.count, f.rule) {
                (Count::One, Message) => None,
                (Count::One, rule) => Some(format!("`{}`: {}", f.field, rule.describe())),
                (Count::Many(n), Message) => Some(format!("`{}`: ≤ {n}", f.field)),
                (Count::Many(n), rule) => {
                    Some(format!("`{}`: ≤ {n}, each {}", f.field, rule.describe()))
                }
            })
            .collect();
        if !fields.is_empty() {
            out.push_str(&format!("| {m} | {} |\n", fields.join("; ")));
        }
    }
    out
}
