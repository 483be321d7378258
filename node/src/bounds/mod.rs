//! Bounds on every input: what an officer submits or composes, what a peer
//! sends, what the node reads from its files. One pure module, driven by
//! one table (`table::FIELDS`): every field has a rule (a length in
//! characters, a code list, a date that is not in the future, a hash, a
//! count), every text is refused with control characters and stored in
//! Unicode NFC, and serial numbers and marks that mix scripts or hold
//! confusable characters (UTS #39) are accepted but flagged.
//!
//! A check walks a message and returns either its flags (having normalised
//! the message in place) or the first field out of bounds, named by its
//! JSON path (`items[0].weapon.serialNumber: longer than 64 characters`).
//! Reasons never quote the value. On an error the message is half
//! normalised: callers drop it.
//!
//! Layout: `table` (the rules), `text` (one value against its rule),
//! `messages` (how each protobuf message is walked: every field, by
//! destructuring, so that a field added to the protocol does not compile
//! until it has a rule).

mod messages;
pub mod table;
mod text;

use iti_proto::v1 as pb;
use time::OffsetDateTime;

use table::{Count, Rule};

/// The gRPC message size the federation port accepts (tonic's default,
/// set explicitly: `max_decoding_message_size`). Larger messages are
/// refused before they are read; an envelope larger than this travels in
/// parts (`transfer`).
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// What one payload may weigh encoded: a seized cache of up to
/// `table::MAX_ITEMS` items in one request. Larger than one message, it
/// travels between nodes in parts (`transfer`).
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024 * 1024;

/// The gRPC message size the local port accepts: an officer's largest
/// request, and room for the call around it. The officer's node is near
/// (the same ministry), so one message carries it whole.
pub const MAX_LOCAL_MESSAGE_BYTES: usize = MAX_PAYLOAD_BYTES + 64 * 1024;

/// The first field out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BoundsError {
    /// The JSON path ("items[0].weapon.serialNumber").
    pub field: String,
    pub reason: String,
}

/// A message whose every field has a rule in `table::FIELDS`.
pub trait Bounded {
    /// The protobuf message name (the table's `message`).
    const MESSAGE: &'static str;
    /// Visits every field.
    fn walk(&mut self, w: &mut Walker);
}

/// Checks `value` (normalising it in place) against the table at the node's
/// time `now`; its flags, or the first field out of bounds.
pub fn check<T: Bounded + prost::Message>(
    value: &mut T,
    now: OffsetDateTime,
) -> Result<Vec<pb::InputFlag>, BoundsError> {
    let mut w = Walker::new(Some(now));
    w.root(value);
    if let Some(e) = w.error {
        return Err(e);
    }
    let size = value.encoded_len();
    if size > MAX_PAYLOAD_BYTES {
        return Err(BoundsError {
            field: lower_first(T::MESSAGE),
            reason: format!(
                "{size} bytes encoded, more than the {MAX_PAYLOAD_BYTES} ({} MiB) one payload \
                 may weigh; split the items over several requests or shorten the free text",
                MAX_PAYLOAD_BYTES >> 20
            ),
        });
    }
    Ok(w.flags)
}

/// The flags of a message already checked (a stored request), without
/// changing it.
pub fn flags_of<T: Bounded + Clone>(value: &T) -> Vec<pb::InputFlag> {
    flags_in(&mut value.clone())
}

/// [`flags_of`], walking a checked message in place rather than a copy
/// (checked, it is normalised already: the walk leaves it as it is).
pub fn flags_in<T: Bounded>(value: &mut T) -> Vec<pb::InputFlag> {
    let mut w = Walker::new(None);
    w.root(value);
    w.flags
}

/// A flag as one line for an officer ("items[0].weapon.serialNumber: mixes
/// scripts ...").
pub fn warning(flag: &pb::InputFlag) -> String {
    format!("{}: {}", flag.field, flag.description)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// One segment of the path: a field and, in a repeated field, the index.
#[derive(Debug, Clone, Copy)]
struct Segment {
    field: &'static str,
    index: Option<usize>,
}

/// Walks a message: knows where it is, and what it found.
#[derive(Debug)]
pub struct Walker {
    now: Option<OffsetDateTime>,
    /// The message being walked (its table name).
    message: &'static str,
    path: Vec<Segment>,
    error: Option<BoundsError>,
    flags: Vec<pb::InputFlag>,
}

impl Walker {
    fn new(now: Option<OffsetDateTime>) -> Self {
        Walker {
            now,
            message: "",
            path: Vec::new(),
            error: None,
            flags: Vec::new(),
        }
    }

    fn path_to(&self, field: &str, index: Option<usize>) -> String {
        let mut out = String::new();
        let segments = self
            .path
            .iter()
            .copied()
            .chain(std::iter::once(Segment { field: "", index }));
        for (i, s) in segments.enumerate() {
            if i > 0 {
                out.push('.');
            }
            out.push_str(if s.field.is_empty() { field } else { s.field });
            if let Some(i) = s.index {
                out.push_str(&format!("[{i}]"));
            }
        }
        out
    }

    fn fail(&mut self, field: &str, index: Option<usize>, reason: String) {
        if self.error.is_none() {
            self.error = Some(BoundsError {
                field: self.path_to(field, index),
                reason,
            });
        }
    }

    /// The field's rule; a field without one is a bug, refused as such.
    fn rule(&mut self, field: &'static str) -> Option<(Count, Rule)> {
        if self.error.is_some() {
            return None;
        }
        match table::lookup(self.message, field) {
            Some(f) => Some((f.count, f.rule)),
            None => {
                let reason = format!("no bound is defined for {}.{field} (a bug)", self.message);
                self.fail(field, None, reason);
                None
            }
        }
    }

    fn within(&mut self, field: &'static str, count: Count, len: usize) -> bool {
        match count {
            Count::Many(max) if len > max => {
                self.fail(field, None, format!("more than {max} entries"));
                false
            }
            _ => true,
        }
    }

    fn one_text(&mut self, field: &'static str, index: Option<usize>, rule: Rule, v: &mut String) {
        match text::check(rule, v, self.now) {
            Ok(None) => {}
            Ok(Some(doubt)) => {
                let (flag, description) = match doubt {
                    text::Doubt::MixedScript(scripts) => (
                        "mixed-script",
                        format!(
                            "mixes scripts ({}): check it against the item itself",
                            scripts.join(", ")
                        ),
                    ),
                    text::Doubt::Confusable => (
                        "confusable",
                        "holds characters that look like Latin letters or digits but are not \
                         (UTS #39): check it against the item itself"
                            .to_string(),
                    ),
                };
                let field = self.path_to(field, index);
                self.flags.push(pb::InputFlag {
                    field,
                    flag: flag.into(),
                    description,
                });
            }
            Err(reason) => self.fail(field, index, reason),
        }
    }

    /// A string field.
    pub fn text(&mut self, field: &'static str, v: &mut String) {
        if let Some((_, rule)) = self.rule(field) {
            self.one_text(field, None, rule, v);
        }
    }

    /// A repeated string field.
    pub fn texts(&mut self, field: &'static str, v: &mut [String]) {
        if let Some((count, rule)) = self.rule(field)
            && self.within(field, count, v.len())
        {
            for (i, s) in v.iter_mut().enumerate() {
                self.one_text(field, Some(i), rule, s);
            }
        }
    }

    /// A number field.
    pub fn number(&mut self, field: &'static str, v: u64) {
        let Some((_, rule)) = self.rule(field) else {
            return;
        };
        match rule {
            Rule::Number { max, unit } if v > max => {
                self.fail(field, None, format!("more than {max}{unit}"))
            }
            Rule::Year if v != 0 => {
                let this_year = self.now.map_or(u64::MAX, |n| n.year().max(0) as u64);
                if !(1800..=this_year).contains(&v) {
                    let upper = self.now.map_or("now".into(), |n| n.year().to_string());
                    self.fail(field, None, format!("not a year from 1800 to {upper}"));
                }
            }
            Rule::Number { .. } | Rule::Year => {}
            _ => self.fail(field, None, "not a number (a bug in the table)".into()),
        }
    }

    /// A repeated enumeration: only its length is bounded.
    pub fn enums(&mut self, field: &'static str, v: &[i32]) {
        if let Some((count, _)) = self.rule(field) {
            self.within(field, count, v.len());
        }
    }

    /// A bytes field.
    pub fn bytes(&mut self, field: &'static str, v: &[u8]) {
        if let Some((_, Rule::Bytes(max))) = self.rule(field)
            && v.len() > max
        {
            self.fail(field, None, format!("more than {max} bytes"));
        }
    }

    /// A time field.
    pub fn time(&mut self, field: &'static str, v: &Option<pbjson_types::Timestamp>) {
        let Some(ts) = v else { return };
        let Some((_, rule)) = self.rule(field) else {
            return;
        };
        let Some(t) =
            crate::clock::from_timestamp(ts).filter(|_| (0..1_000_000_000).contains(&ts.nanos))
        else {
            return self.fail(field, None, "not a valid time".into());
        };
        if rule == Rule::PastTime
            && let Err(reason) = text::past_time(t, self.now)
        {
            self.fail(field, None, reason);
        }
    }

    fn enter<T: Bounded>(&mut self, field: &'static str, index: Option<usize>, v: &mut T) {
        let outer = self.message;
        self.path.push(Segment { field, index });
        self.message = T::MESSAGE;
        v.walk(self);
        self.message = outer;
        self.path.pop();
    }

    /// A message field (a oneof's case, or a message that is always there).
    pub fn message<T: Bounded>(&mut self, field: &'static str, v: &mut T) {
        if self.rule(field).is_some() {
            self.enter(field, None, v);
        }
    }

    /// An optional message field.
    pub fn optional<T: Bounded>(&mut self, field: &'static str, v: &mut Option<T>) {
        if let Some(v) = v {
            self.message(field, v);
        }
    }

    /// A repeated message field.
    pub fn messages<T: Bounded>(&mut self, field: &'static str, v: &mut [T]) {
        if let Some((count, _)) = self.rule(field)
            && self.within(field, count, v.len())
        {
            for (i, m) in v.iter_mut().enumerate() {
                self.enter(field, Some(i), m);
            }
        }
    }

    /// The root: walked as the message itself, with an empty path.
    fn root<T: Bounded>(&mut self, v: &mut T) {
        self.message = T::MESSAGE;
        v.walk(self);
    }
}

#[cfg(test)]
mod tests;
