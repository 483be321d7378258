//! Which requests are the same request: the same requester reference and
//! the same items (after normalisation). A request identical to one already
//! sent is sent again only when the officer confirms (`allow_duplicate`).

use iti_proto::v1 as pb;
use prost::Message;
use sha2::{Digest, Sha256};

/// The key two identical requests share: SHA-256 (hex) of the requester
/// reference and the encoded items.
pub fn request_key(request: &pb::TraceRequest) -> String {
    let mut h = Sha256::new();
    h.update(b"ITI-REQUEST-KEY-V1\0");
    let reference = request.requester_reference.trim().as_bytes();
    h.update((reference.len() as u64).to_be_bytes());
    h.update(reference);
    for item in &request.items {
        let bytes = item.encode_to_vec();
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::fixtures;

    #[test]
    fn requests_with_the_same_reference_and_items_share_a_key() {
        let a = fixtures::fal_request();
        let mut b = a.clone();
        b.purpose = "another purpose".into();
        b.requested_state = "NGA".into();
        assert_eq!(request_key(&a), request_key(&b));
    }

    #[test]
    fn another_reference_or_other_items_make_another_key() {
        let a = fixtures::fal_request();
        let mut b = a.clone();
        b.requester_reference.push('X');
        assert_ne!(request_key(&a), request_key(&b));
        let mut c = a.clone();
        c.items[0].quantity += 1;
        assert_ne!(request_key(&a), request_key(&c));
        let mut d = a.clone();
        d.items.reverse();
        assert_ne!(request_key(&a), request_key(&d));
    }
}
