//! Stored requests read in part: a request of a large cache is tens of
//! megabytes encoded and 150 MB decoded, and a list or a page shows a few
//! of its items. The items outside are skipped, not decoded, and counted.

use prost::Message;
use prost::encoding::{DecodeContext, WireType, decode_key, decode_varint, skip_field};

use iti_proto::v1 as pb;
use pb::payload::Body;

use crate::case::items::ItemWindow;

/// `TraceRequest.items`.
const ITEMS: u32 = 3;

/// Decodes a request keeping the items whose index `keep` accepts, and
/// counts them all.
pub(super) fn request_keeping(
    mut bytes: &[u8],
    keep: impl Fn(usize) -> bool,
) -> Result<(pb::TraceRequest, usize), prost::DecodeError> {
    let mut request = pb::TraceRequest::default();
    let mut total = 0;
    while !bytes.is_empty() {
        let (tag, wire_type) = decode_key(&mut bytes)?;
        if tag == ITEMS && !keep(total) {
            skip_field(wire_type, tag, &mut bytes, DecodeContext::default())?;
        } else {
            request.merge_field(tag, wire_type, &mut bytes, DecodeContext::default())?;
        }
        total += usize::from(tag == ITEMS);
    }
    Ok((request, total))
}

/// Decodes a payload keeping the window of the items of the request it
/// carries (a request, a resubmission, a request on behalf), and says which
/// it kept, unless all. Any other payload is decoded whole.
pub(super) fn payload_paged(
    mut bytes: &[u8],
    window: ItemWindow,
) -> Result<(pb::Payload, Option<pb::ItemsShown>), prost::DecodeError> {
    const REQUEST: u32 = 1;
    const RESUBMISSION: u32 = 4;
    const ON_BEHALF: u32 = 16;
    let mut payload = pb::Payload::default();
    let mut shown = None;
    while !bytes.is_empty() {
        let (tag, wire_type) = decode_key(&mut bytes)?;
        if !matches!(tag, REQUEST | RESUBMISSION | ON_BEHALF)
            || wire_type != WireType::LengthDelimited
        {
            payload.merge_field(tag, wire_type, &mut bytes, DecodeContext::default())?;
            continue;
        }
        let field = length_delimited(&mut bytes, tag)?;
        let (body, total) = match tag {
            REQUEST => {
                let (request, total) = request_keeping(field, |i| window.holds(i))?;
                (Body::Request(request), total)
            }
            RESUBMISSION => {
                let (request, note, total) = wrapped_request(field, window)?;
                let resubmission = pb::Resubmission { request, note };
                (Body::Resubmission(resubmission), total)
            }
            _ => {
                let (request, note, total) = wrapped_request(field, window)?;
                let on_behalf = pb::OnBehalfRequest { request, note };
                (Body::OnBehalfRequest(on_behalf), total)
            }
        };
        payload.body = Some(body);
        shown = window.shown_of(total);
    }
    Ok((payload, shown))
}

/// A resubmission's or an on-behalf request's fields: its request (1) and
/// its note (2).
fn wrapped_request(
    mut bytes: &[u8],
    window: ItemWindow,
) -> Result<(Option<pb::TraceRequest>, String, usize), prost::DecodeError> {
    let mut note = pb::Resubmission::default();
    let mut request = None;
    let mut total = 0;
    while !bytes.is_empty() {
        let (tag, wire_type) = decode_key(&mut bytes)?;
        if tag == 1 && wire_type == WireType::LengthDelimited {
            let field = length_delimited(&mut bytes, tag)?;
            let (r, n) = request_keeping(field, |i| window.holds(i))?;
            (request, total) = (Some(r), n);
        } else {
            note.merge_field(tag, wire_type, &mut bytes, DecodeContext::default())?;
        }
    }
    Ok((request, note.note, total))
}

/// The bytes of the length-delimited field `tag`, its key read.
fn length_delimited<'a>(bytes: &mut &'a [u8], tag: u32) -> Result<&'a [u8], prost::DecodeError> {
    let start = *bytes;
    // Checks the length against what is left.
    skip_field(
        WireType::LengthDelimited,
        tag,
        bytes,
        DecodeContext::default(),
    )?;
    let mut field = &start[..start.len() - bytes.len()];
    decode_varint(&mut field)?;
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: usize) -> pb::TraceRequest {
        pb::TraceRequest {
            requester_reference: "CIV-2026-17".into(),
            items: (0..n)
                .map(|i| pb::RecoveredItem {
                    item_ref: format!("exhibit {i}"),
                    quantity: 1,
                    ..Default::default()
                })
                .collect(),
            purpose: "criminal investigation".into(),
            ..Default::default()
        }
    }

    fn refs(r: &pb::TraceRequest) -> Vec<String> {
        r.items.iter().map(|i| i.item_ref.clone()).collect()
    }

    #[test]
    fn a_page_of_a_request_is_decoded_and_the_rest_counted() {
        let whole = request(250);
        let payload = pb::Payload {
            body: Some(Body::Request(whole.clone())),
        };
        let (paged, shown) =
            payload_paged(&payload.encode_to_vec(), ItemWindow::page(100)).unwrap();
        let Some(Body::Request(r)) = paged.body else {
            panic!("not a request: {paged:?}")
        };
        assert_eq!(refs(&r), refs(&whole)[100..200]);
        assert_eq!(
            (r.purpose.as_str(), r.requester_reference.as_str()),
            ("criminal investigation", "CIV-2026-17")
        );
        let shown = shown.expect("a page of the items");
        assert_eq!((shown.from, shown.count, shown.total), (100, 100, 250));
    }

    #[test]
    fn a_resubmission_and_a_request_on_behalf_are_paged_with_their_note() {
        let whole = request(150);
        for body in [
            Body::Resubmission(pb::Resubmission {
                request: Some(whole.clone()),
                note: "purpose added".into(),
            }),
            Body::OnBehalfRequest(pb::OnBehalfRequest {
                request: Some(whole.clone()),
                note: "purpose added".into(),
            }),
        ] {
            let bytes = pb::Payload { body: Some(body) }.encode_to_vec();
            let (paged, shown) = payload_paged(&bytes, ItemWindow::page(100)).unwrap();
            let (request, note) = match paged.body {
                Some(Body::Resubmission(r)) => (r.request, r.note),
                Some(Body::OnBehalfRequest(r)) => (r.request, r.note),
                other => panic!("{other:?}"),
            };
            assert_eq!(note, "purpose added");
            assert_eq!(refs(&request.unwrap()), refs(&whole)[100..150]);
            assert_eq!(
                shown.map(|s| (s.from, s.count, s.total)),
                Some((100, 50, 150))
            );
        }
    }

    #[test]
    fn a_whole_page_or_another_payload_decodes_as_prost_does() {
        let small = pb::Payload {
            body: Some(Body::Request(request(3))),
        };
        let ack = pb::Payload {
            body: Some(Body::Acknowledgement(pb::Acknowledgement {
                note: "received".into(),
                ..Default::default()
            })),
        };
        for payload in [small, ack] {
            let bytes = payload.encode_to_vec();
            let (paged, shown) = payload_paged(&bytes, ItemWindow::page(0)).unwrap();
            assert_eq!(paged, pb::Payload::decode(bytes.as_slice()).unwrap());
            assert_eq!(shown, None);
        }
        let cut = &pb::Payload {
            body: Some(Body::Request(request(3))),
        }
        .encode_to_vec()[..20];
        assert!(
            payload_paged(cut, ItemWindow::page(0)).is_err(),
            "a cut payload"
        );
    }
}
