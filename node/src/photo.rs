//! Photographs (6.2.3): a request references each by the SHA-256 of its
//! bytes (`Attachment`); the bytes are stored content-addressed and travel
//! apart from messages, fetched from the state that sent the reference
//! (`FetchPhoto`) and released only as `policy::photo` decides. A fetcher
//! that reaches that state only through hubs signs its ask, and the bytes
//! come back sealed to it (`service::photos`). Pure: the hash, what kind of
//! image the bytes are, the hashes a message names, and how fresh an ask
//! must be.

use iti_proto::v1 as pb;
use pb::payload::Body;
use pb::recovered_item::Item;

/// The lower-case hex SHA-256 of a photograph's bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhotoHash(String);

impl PhotoHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> PhotoHash {
        PhotoHash(hex::encode(ring::digest::digest(
            &ring::digest::SHA256,
            bytes,
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PhotoHash {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(PhotoHash(s.to_string()))
        } else {
            Err("not a SHA-256 in lower-case hex (64 characters 0-9, a-f)".into())
        }
    }
}

impl std::fmt::Display for PhotoHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The media type of an image in one of the formats browsers show, read
/// from its first bytes; none for anything else (a page, a script, an SVG
/// is never stored as a photograph, so never served as one).
pub fn media_type(bytes: &[u8]) -> Option<&'static str> {
    const KINDS: [(&[u8], &str); 4] = [
        (b"\xFF\xD8\xFF", "image/jpeg"),
        (b"\x89PNG\r\n\x1A\n", "image/png"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
    ];
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    KINDS
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, kind)| *kind)
}

/// The photographs a message references: those of the items of a request
/// (sent, resubmitted, or asked of a hub on our behalf).
pub fn referenced(payload: &pb::Payload) -> Vec<PhotoHash> {
    let request = match &payload.body {
        Some(Body::Request(r)) => Some(r),
        Some(Body::Resubmission(r)) => r.request.as_ref(),
        Some(Body::OnBehalfRequest(r)) => r.request.as_ref(),
        _ => None,
    };
    let mut hashes: Vec<PhotoHash> = request
        .into_iter()
        .flat_map(|r| &r.items)
        .flat_map(photographs)
        .filter_map(|a| a.sha256.parse().ok())
        .collect();
    hashes.sort();
    hashes.dedup();
    hashes
}

/// How long after the fetcher signed it an ask through hubs is taken: the
/// time to cross a few hubs, not enough to replay a copy for long (the
/// answer is sealed to the fetcher anyway).
pub const ASK_VALID_FOR: time::Duration = time::Duration::minutes(5);

/// How far in the future an ask may be dated (clock skew between nodes).
pub const ASK_SKEW: time::Duration = time::Duration::minutes(2);

/// Whether an ask signed at `asked_at` is taken at `now` (the injected
/// clock's time): the reason, naming no field, if not.
pub fn check_asked_at(
    asked_at: time::OffsetDateTime,
    now: time::OffsetDateTime,
) -> Result<(), String> {
    if asked_at > now + ASK_SKEW {
        return Err(format!(
            "{} is in the future (more than {} minutes ahead of this node's clock)",
            crate::clock::rfc3339(asked_at),
            ASK_SKEW.whole_minutes()
        ));
    }
    if asked_at < now - ASK_VALID_FOR {
        return Err(format!(
            "{} is more than {} minutes ago: the ask has expired; the fetcher asks again",
            crate::clock::rfc3339(asked_at),
            ASK_VALID_FOR.whole_minutes()
        ));
    }
    Ok(())
}

/// The most bytes of a photograph one `FetchPhoto` answer carries: a
/// photograph larger than that (up to 20 MiB) comes in several chunks, one
/// per call, each well under the 4 MiB message limit, and a fetch cut off
/// on a weak line resumes from the chunks already held instead of starting
/// again. The fetcher asks for less on a slow line (`length`, sized as an
/// envelope's parts are: `transfer::Lines`).
pub const CHUNK_BYTES: u64 = 1 << 20;

/// The least a fetcher may ask for in one chunk (`length`), but 0 for the
/// most: bounds the calls one photograph takes.
pub const MIN_CHUNK_BYTES: u64 = crate::transfer::MIN_PART_BYTES as u64;

/// The bytes one answer carries when `length` were asked (0: the most);
/// the reason, naming no field, when that is out of bounds.
pub fn chunk_length(length: u64) -> Result<u64, String> {
    match length {
        0 => Ok(CHUNK_BYTES),
        MIN_CHUNK_BYTES..=CHUNK_BYTES => Ok(length),
        _ => Err(format!(
            "{length} bytes: a chunk is from {MIN_CHUNK_BYTES} to {CHUNK_BYTES} bytes, or 0 \
             for the most"
        )),
    }
}

/// The bytes `[offset, end)` an answer for `offset` carries, chunks of
/// `length` bytes (from `chunk_length`), of a photograph of `size` bytes;
/// the reason, naming no field, when `offset` is not within it.
pub fn chunk_range(offset: u64, length: u64, size: u64) -> Result<std::ops::Range<u64>, String> {
    if offset >= size {
        return Err(format!(
            "{offset} is not within the photograph's {size} bytes"
        ));
    }
    Ok(offset..size.min(offset + length))
}

/// What the fetcher asked for: the chunk from `held`, of `length` bytes
/// (0: the most).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asked {
    pub held: u64,
    pub length: u64,
}

/// Whether a chunk the fetcher got, said to start at `offset` of a
/// photograph of `size` bytes and to carry `len` bytes, is the one it
/// `asked` for and fits a photograph; the reason if not. The whole is
/// checked against the hash once assembled: a chunk alone cannot be.
pub fn check_chunk(asked: Asked, offset: u64, len: u64, size: u64, max: u64) -> Result<(), String> {
    let held = asked.held;
    if offset != held {
        return Err(format!("starts at byte {offset}, not at {held} as asked"));
    }
    if size == 0 || size > max {
        return Err(format!("says the photograph has {size} bytes (1 to {max})"));
    }
    match chunk_range(offset, asked.length, size) {
        Ok(range) if len == range.end - range.start => Ok(()),
        Ok(range) => Err(format!(
            "carries {len} bytes where {} were due",
            range.end - range.start
        )),
        Err(e) => Err(e),
    }
}

/// An item's photographs, whatever its kind.
pub fn photographs(item: &pb::RecoveredItem) -> &[pb::Attachment] {
    match &item.item {
        Some(Item::Weapon(w)) => &w.photographs,
        Some(Item::Ammunition(a)) => &a.photographs,
        Some(Item::Part(p)) => &p.photographs,
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_browsers_show_are_photographs() {
        assert_eq!(media_type(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(media_type(b"\x89PNG\r\n\x1A\nrest"), Some("image/png"));
        assert_eq!(media_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(media_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(media_type(b"<html>"), None);
        assert_eq!(media_type(b""), None);
    }

    #[test]
    fn an_ask_is_taken_only_within_minutes_of_its_signature() {
        let now = time::macros::datetime!(2026-10-02 10:00 UTC);
        assert!(check_asked_at(now, now).is_ok());
        assert!(check_asked_at(now - time::Duration::minutes(4), now).is_ok());
        assert!(check_asked_at(now + time::Duration::minutes(1), now).is_ok());
        let expired = check_asked_at(now - time::Duration::minutes(6), now).unwrap_err();
        assert!(expired.contains("expired"), "{expired}");
        let ahead = check_asked_at(now + time::Duration::minutes(3), now).unwrap_err();
        assert!(ahead.contains("future"), "{ahead}");
    }

    #[test]
    fn a_photograph_travels_in_chunks_of_at_most_one_mebibyte() {
        let size = 2 * CHUNK_BYTES + 5;
        assert_eq!(chunk_range(0, CHUNK_BYTES, size), Ok(0..CHUNK_BYTES));
        assert_eq!(
            chunk_range(2 * CHUNK_BYTES, CHUNK_BYTES, size),
            Ok(2 * CHUNK_BYTES..size)
        );
        assert!(chunk_range(size, CHUNK_BYTES, size).is_err());
        assert_eq!(chunk_range(0, CHUNK_BYTES, 10), Ok(0..10));
        assert_eq!(chunk_range(5, 100_000, size), Ok(5..100_005));
    }

    #[test]
    fn a_fetcher_asks_for_up_to_one_mebibyte_a_chunk_and_zero_for_the_most() {
        assert_eq!(chunk_length(0), Ok(CHUNK_BYTES));
        assert_eq!(chunk_length(MIN_CHUNK_BYTES), Ok(MIN_CHUNK_BYTES));
        assert_eq!(chunk_length(CHUNK_BYTES), Ok(CHUNK_BYTES));
        assert!(chunk_length(MIN_CHUNK_BYTES - 1).is_err());
        assert!(chunk_length(CHUNK_BYTES + 1).is_err());
    }

    #[test]
    fn a_chunk_is_taken_only_where_the_fetch_stands() {
        let (size, max) = (CHUNK_BYTES + 7, 20 << 20);
        let at = |held| Asked {
            held,
            length: CHUNK_BYTES,
        };
        assert!(check_chunk(at(0), 0, CHUNK_BYTES, size, max).is_ok());
        assert!(check_chunk(at(CHUNK_BYTES), CHUNK_BYTES, 7, size, max).is_ok());
        let elsewhere = check_chunk(at(CHUNK_BYTES), 0, CHUNK_BYTES, size, max).unwrap_err();
        assert!(elsewhere.contains("not at 1048576"), "{elsewhere}");
        let short = check_chunk(at(0), 0, 10, size, max).unwrap_err();
        assert!(short.contains("10 bytes"), "{short}");
        assert!(check_chunk(at(0), 0, 1, max + 1, max).is_err());
        assert!(check_chunk(at(0), 0, 0, 0, max).is_err());
        // Asked for less on a slow line: that much, and no more.
        let small = Asked {
            held: 0,
            length: MIN_CHUNK_BYTES,
        };
        assert!(check_chunk(small, 0, MIN_CHUNK_BYTES, size, max).is_ok());
        assert!(check_chunk(small, 0, CHUNK_BYTES, size, max).is_err());
    }

    #[test]
    fn a_hash_is_64_lower_case_hex_characters() {
        let h = PhotoHash::of(b"abc");
        assert_eq!(
            h.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(h.as_str().parse::<PhotoHash>().is_ok());
        assert!(h.as_str().to_uppercase().parse::<PhotoHash>().is_err());
        assert!("../etc/passwd".parse::<PhotoHash>().is_err());
    }
}
