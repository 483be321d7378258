//! TEMPORARY stand-in for the policy helper's module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord { pub seq: u64, pub at_ms: i64, pub actor: String, pub action: String, pub subject: String, pub detail: String }
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
pub fn entry_hash(prev_hash: &str, _record: &AuditRecord) -> String { prev_hash.to_string() }
pub struct StoredEntry { pub record: AuditRecord, pub prev_hash: String, pub hash: String }
