//! Envelopes larger than a small message (a request of hundreds or
//! thousands of items): delivered in parts, hop by hop, with
//! `Federation/DeliverPart`.
//!
//! The sender encodes the envelope once and names it by the SHA-256 of
//! that encoding; each call carries one part, in order. The receiver keeps
//! the parts durably (`store::envelope_parts`), so a delivery cut off on a
//! weak line resumes from the bytes it holds instead of starting again.
//! Once it holds them all it checks them against the hash and receives the
//! envelope as `Deliver` would: the origin's signature covers the envelope
//! whole, so nothing about the parts needs trusting. A hub does the same
//! towards the next hop.
//!
//! Parts are sized to the line (`next_part_len`, `Lines`): each call is
//! bounded by the delivery timeout, so a part, or an envelope sent whole,
//! that the line cannot carry in that time would be sent again and again
//! and never arrive. The first part on a line is small, and the next ones
//! take about a quarter of the timeout at the rate the last one crossed; a
//! part that timed out is followed by one a quarter its size. Photographs
//! are fetched in chunks sized the same way.
//!
//! The checks and the sizing here are pure; the store and the calls are
//! the caller's.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use iti_proto::v1 as pb;
use iti_proto::v1::federation_client::FederationClient;
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::transport::Channel;

use crate::bounds::MAX_PAYLOAD_BYTES;
use crate::ids::ParticipantId;

/// The most one part carries: well under the message limit, and small
/// enough that a part lost on a weak line costs little to send again.
pub const PART_BYTES: usize = 1024 * 1024;

/// The least a part carries, but for the last one: bounds the parts (and
/// rows) of one envelope.
pub const MIN_PART_BYTES: usize = 16 * 1024;

/// The first part of an envelope, before the line's rate is known: 2.6 s
/// at 200 kbit/s.
pub const FIRST_PART_BYTES: usize = 64 * 1024;

/// The largest envelope sent whole, in one `Deliver` call: 10 s at 200
/// kbit/s, under the default delivery timeout. An ordinary request (a few
/// items) is a few kilobytes.
pub const WHOLE_AT_MOST: usize = 256 * 1024;

/// The largest encoded envelope a node takes: the largest payload, and
/// room for the header, signature, certificate and hops.
pub const MAX_ENVELOPE_BYTES: u64 = (MAX_PAYLOAD_BYTES + 64 * 1024) as u64;

/// Unfinished parts are forgotten once this old (a sender that never came
/// back), when the same sender starts another envelope.
pub const FORGET_UNFINISHED_AFTER: time::Duration = time::Duration::days(7);

/// How long a receiver may take to receive an envelope of `size` bytes
/// once it holds every part (join, hash, verify, check, store), on a slow
/// machine: 1 s a megabyte. The call that completes the envelope waits
/// that beyond the delivery timeout; otherwise a large envelope received
/// in more than the timeout would be sent again, whole, to be answered as
/// a duplicate.
pub fn receiving_time(size: u64) -> Duration {
    Duration::from_secs_f64(size as f64 / 1e6)
}

/// Whether an envelope this size goes in one `Deliver` call.
pub fn travels_whole(encoded_len: usize) -> bool {
    encoded_len <= WHOLE_AT_MOST
}

/// The length of the next part, after one of `last` bytes crossed in
/// `took`, for calls bounded by `wait`: about a quarter of `wait` at that
/// rate, at most twice the last (a rate read on one small part is rough),
/// and within `MIN_PART_BYTES..=PART_BYTES`.
pub fn next_part_len(last: usize, took: Duration, wait: Duration) -> usize {
    let rate = last as f64 / took.as_secs_f64().max(1e-3);
    let fits = (rate * wait.as_secs_f64() / 4.0) as usize;
    fits.min(last.saturating_mul(2))
        .clamp(MIN_PART_BYTES, PART_BYTES)
}

/// What each line (the next hop) carried last: the length of the next
/// part on it, so that a transfer starts where the last one ended rather
/// than small again. Envelopes and photographs share it.
#[derive(Debug, Default)]
pub struct Lines(Mutex<HashMap<ParticipantId, usize>>);

impl Lines {
    /// The length of the next part to or from `hop`.
    pub fn part_len(&self, hop: &ParticipantId) -> usize {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.get(hop).copied().unwrap_or(FIRST_PART_BYTES)
    }

    /// A part of `len` bytes crossed in `took`, with calls bounded by `wait`.
    pub fn crossed(&self, hop: &ParticipantId, len: usize, took: Duration, wait: Duration) {
        self.set(hop, next_part_len(len, took, wait));
    }

    /// A part of `len` bytes did not cross within the wait: a quarter of it
    /// next time.
    pub fn timed_out(&self, hop: &ParticipantId, len: usize) {
        self.set(hop, (len / 4).max(MIN_PART_BYTES));
    }

    fn set(&self, hop: &ParticipantId, len: usize) {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.insert(hop.clone(), len);
    }
}

/// Lower-case hex SHA-256: the name of an encoded envelope.
pub fn name_of(encoded: &[u8]) -> String {
    hex::encode(Sha256::digest(encoded))
}

/// What a receiver does with a part that passed `check_part`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Keep it: it is the next part.
    Keep,
    /// Keep nothing and say how much is held: the sender asked, or is
    /// behind or ahead of what is held (a reply it did not get).
    Answer,
}

/// A part's fields against the bounds and the bytes already `held` of an
/// envelope whose parts said `size_held` (none before the first); the
/// first field out of bounds, named, otherwise what to do with it.
pub fn check_part(
    part: &pb::EnvelopePart,
    held: u64,
    size_held: Option<u64>,
) -> Result<Step, (&'static str, String)> {
    let hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    if part.sha256.len() != 64 || !part.sha256.bytes().all(hex) {
        return Err(("sha256", "not a lower-case hex SHA-256".into()));
    }
    if part.size_bytes > MAX_ENVELOPE_BYTES {
        return Err((
            "sizeBytes",
            format!("more than the {MAX_ENVELOPE_BYTES} bytes an envelope may weigh"),
        ));
    }
    if part.size_bytes <= MIN_PART_BYTES as u64 {
        return Err((
            "sizeBytes",
            "an envelope this small travels in one Deliver call".into(),
        ));
    }
    if size_held.is_some_and(|s| s != part.size_bytes) {
        return Err((
            "sizeBytes",
            "differs from the size its earlier parts gave".into(),
        ));
    }
    if part.content.len() > PART_BYTES {
        return Err(("content", format!("more than {PART_BYTES} bytes")));
    }
    if part.content.is_empty() || part.offset != held {
        return Ok(Step::Answer);
    }
    let (len, rest) = (part.content.len() as u64, part.size_bytes - held);
    if len > rest || (len < rest && len < MIN_PART_BYTES as u64) {
        return Err((
            "content",
            format!(
                "{len} bytes; the part from byte {held} must hold the {rest} left, \
                 or from {MIN_PART_BYTES} to {PART_BYTES} of them"
            ),
        ));
    }
    Ok(Step::Keep)
}

/// Why a delivery (in parts, or batched: `batch`) got no reply: the
/// receiver's status, or no answer.
#[derive(Debug, Clone)]
pub enum PartsError {
    Status(tonic::Status),
    TimedOut,
    /// The receiver answered with a place no part can start from.
    Confused(String),
}

/// Delivers `env` to `hop`, the node behind `client`, in parts sized to
/// the line, from the first byte the receiver lacks; `wait` bounds each
/// call. The receiver's reply to the call that completed the envelope.
pub async fn deliver_in_parts(
    client: &mut FederationClient<Channel>,
    env: &pb::Envelope,
    wait: Duration,
    (hop, lines): (&ParticipantId, &Lines),
) -> Result<pb::DeliverReply, PartsError> {
    let encoded = env.encode_to_vec();
    let sha256 = name_of(&encoded);
    let size = encoded.len() as u64;
    // First ask what is held: after a cut, only the rest is sent.
    let mut offset = None;
    loop {
        let content = match offset {
            None => Vec::new(),
            Some(o) => {
                let end = (o as usize + lines.part_len(hop)).min(encoded.len());
                encoded[o as usize..end].to_vec()
            }
        };
        let (sent, started) = (content.len(), tokio::time::Instant::now());
        // A call that may complete the envelope (the last part, or the
        // question once all is held) also waits while it is received.
        let completes = offset.is_none_or(|o| o + sent as u64 == size);
        let call_wait = match completes {
            true => wait + receiving_time(size),
            false => wait,
        };
        let part = pb::EnvelopePart {
            sha256: sha256.clone(),
            size_bytes: size,
            offset: offset.unwrap_or(0),
            content,
        };
        let reply = match tokio::time::timeout(call_wait, client.deliver_part(part)).await {
            Err(_) => {
                if !completes {
                    lines.timed_out(hop, sent);
                }
                return Err(PartsError::TimedOut);
            }
            Ok(Err(status)) => return Err(PartsError::Status(status)),
            Ok(Ok(reply)) => reply.into_inner(),
        };
        if let Some(delivered) = reply.delivered {
            return Ok(delivered);
        }
        if sent > 0 {
            lines.crossed(hop, sent, started.elapsed(), wait);
        }
        if reply.held >= size {
            return Err(PartsError::Confused(format!(
                "holds all {size} bytes but did not answer for the envelope"
            )));
        }
        offset = Some(reply.held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: u64 = 5 * 1024 * 1024 + 17;

    fn part(offset: u64, len: usize) -> pb::EnvelopePart {
        pb::EnvelopePart {
            sha256: "ab".repeat(32),
            size_bytes: SIZE,
            offset,
            content: vec![7; len],
        }
    }

    #[test]
    fn the_next_part_is_kept_and_any_other_only_answered() {
        assert_eq!(check_part(&part(0, PART_BYTES), 0, None), Ok(Step::Keep));
        let last = SIZE - 5 * PART_BYTES as u64;
        let at = SIZE - last;
        assert_eq!(
            check_part(&part(at, last as usize), at, Some(SIZE)),
            Ok(Step::Keep)
        );
        // Behind (sent again after a lost reply), ahead, or a question.
        assert_eq!(
            check_part(&part(0, PART_BYTES), 2 << 20, Some(SIZE)),
            Ok(Step::Answer)
        );
        assert_eq!(
            check_part(&part(3 << 20, PART_BYTES), 2 << 20, Some(SIZE)),
            Ok(Step::Answer)
        );
        assert_eq!(check_part(&part(0, 0), 0, None), Ok(Step::Answer));
    }

    #[test]
    fn a_part_out_of_bounds_is_refused_naming_its_field() {
        let field = |p: pb::EnvelopePart, held, size| check_part(&p, held, size).unwrap_err().0;
        let mut bad_name = part(0, PART_BYTES);
        bad_name.sha256 = "AB".repeat(32);
        assert_eq!(field(bad_name, 0, None), "sha256");
        let mut huge = part(0, PART_BYTES);
        huge.size_bytes = MAX_ENVELOPE_BYTES + 1;
        assert_eq!(field(huge, 0, None), "sizeBytes");
        let mut small = part(0, 10);
        small.size_bytes = 10;
        assert_eq!(field(small, 0, None), "sizeBytes");
        assert_eq!(field(part(0, PART_BYTES), 0, Some(SIZE + 1)), "sizeBytes");
        assert_eq!(field(part(0, PART_BYTES + 1), 0, None), "content");
        assert_eq!(field(part(0, MIN_PART_BYTES - 1), 0, None), "content");
        // Past the end of the envelope.
        let near_end = SIZE - 1000;
        assert_eq!(
            field(part(near_end, MIN_PART_BYTES), near_end, Some(SIZE)),
            "content"
        );
    }

    #[test]
    fn parts_of_any_size_from_the_least_are_kept_and_the_last_may_be_shorter() {
        assert_eq!(
            check_part(&part(0, MIN_PART_BYTES), 0, None),
            Ok(Step::Keep)
        );
        assert_eq!(check_part(&part(0, 300_000), 0, None), Ok(Step::Keep));
        let at = SIZE - 10;
        assert_eq!(check_part(&part(at, 10), at, Some(SIZE)), Ok(Step::Keep));
    }

    #[test]
    fn parts_are_sized_to_a_quarter_of_the_wait_at_the_rate_the_last_crossed() {
        let wait = Duration::from_secs(20);
        // 32 KB/s (256 kbit/s): 5 s of it, 160 kB.
        let slow = next_part_len(128_000, Duration::from_secs(4), wait);
        assert_eq!(slow, 160_000);
        // A fast line doubles the part up to the most one carries.
        let fast = Duration::from_millis(5);
        assert_eq!(
            next_part_len(FIRST_PART_BYTES, fast, wait),
            2 * FIRST_PART_BYTES
        );
        assert_eq!(next_part_len(PART_BYTES, fast, wait), PART_BYTES);
        // A line that can hardly carry anything still gets the least part.
        let crawl = next_part_len(FIRST_PART_BYTES, Duration::from_secs(40), wait);
        assert_eq!(crawl, MIN_PART_BYTES);
    }
}
