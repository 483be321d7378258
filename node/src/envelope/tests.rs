use proptest::prelude::*;
use rustls::pki_types::pem::PemObject;

use super::*;
use crate::identity::pki::{Validity, create_ca, issue};

const MAX_AGE: time::Duration = time::Duration::days(30);

struct Pair {
    trust: std::sync::Arc<TrustStore>,
    gha: Signer,
    nga: Signer,
}

fn setup() -> Pair {
    let now = OffsetDateTime::now_utc();
    let trust = TrustStore::new();
    let mut signers = Vec::new();
    for code in ["GHA", "NGA"] {
        let p: ParticipantId = code.parse().unwrap();
        let ca = create_ca(&p, Validity::days_from(now, 30)).unwrap();
        trust
            .pin(
                &p,
                CertificateDer::from_pem_slice(ca.cert_pem.as_bytes()).unwrap(),
                None,
            )
            .unwrap();
        let node = issue(&ca, &Identity::Node(p), Validity::days_from(now, 30)).unwrap();
        signers.push(Signer::from_keyed(&node).unwrap());
    }
    let nga = signers.pop().unwrap();
    let gha = signers.pop().unwrap();
    Pair { trust, gha, nga }
}

fn header(origin: &str, destination: &str) -> Header {
    let now = OffsetDateTime::now_utc();
    Header {
        id: EnvelopeId::new_v7(now),
        case_id: CaseId::new_v7(now),
        trace_id: TraceId::new_v7(now),
        origin: origin.parse().unwrap(),
        destination: destination.parse().unwrap(),
        created_at: now,
        kind: pb::PayloadKind::Unspecified,
        marking: pb::Marking::default(),
        sealing: None,
        on_behalf_of: None,
    }
}

fn ack_payload() -> pb::Payload {
    pb::Payload {
        body: Some(pb::payload::Body::Acknowledgement(pb::Acknowledgement {
            reference: "NGA/2026/17".into(),
            note: String::new(),
        })),
    }
}

#[test]
fn a_signed_envelope_verifies_and_keeps_its_header() {
    let p = setup();
    let h = header("GHA", "NGA");
    let env = build(&p.gha, h.clone(), &ack_payload(), None).unwrap();
    let v = verify(&env, &p.trust, OffsetDateTime::now_utc(), MAX_AGE).unwrap();
    assert_eq!(v.header.id, h.id);
    assert_eq!(v.header.kind, pb::PayloadKind::Acknowledgement);
    assert_eq!(v.plain_payload().unwrap(), ack_payload());
}

#[test]
fn rejects_an_envelope_whose_payload_was_altered() {
    let p = setup();
    let mut env = build(&p.gha, header("GHA", "NGA"), &ack_payload(), None).unwrap();
    let last = env.payload.len() - 1;
    env.payload[last] ^= 1;
    assert_eq!(
        verify(&env, &p.trust, OffsetDateTime::now_utc(), MAX_AGE).unwrap_err(),
        EnvelopeError::BadSignature
    );
}

#[test]
fn rejects_an_envelope_signed_by_a_node_other_than_its_origin() {
    let p = setup();
    // Nigeria's node signs an envelope claiming to come from Ghana.
    let env = build(&p.nga, header("GHA", "NGA"), &ack_payload(), None).unwrap();
    assert!(matches!(
        verify(&env, &p.trust, OffsetDateTime::now_utc(), MAX_AGE),
        Err(EnvelopeError::SignerNotOrigin { .. })
    ));
}

#[test]
fn a_receipt_proves_receipt_of_exactly_that_envelope() {
    let p = setup();
    let env = build(&p.gha, header("GHA", "NGA"), &ack_payload(), None).unwrap();
    let v = verify(&env, &p.trust, OffsetDateTime::now_utc(), MAX_AGE).unwrap();
    let now = OffsetDateTime::now_utc();
    let receipt = sign_receipt(&p.nga, &env, &v.header, now, None, vec![]);
    let r = verify_receipt(&receipt, &env, &p.trust, now).unwrap();
    assert_eq!(r.receiver.to_string(), "NGA");

    let other = build(&p.gha, header("GHA", "NGA"), &ack_payload(), None).unwrap();
    assert!(verify_receipt(&receipt, &other, &p.trust, now).is_err());

    let mut forged = receipt.clone();
    forged.receipt[3] ^= 0x20;
    assert!(verify_receipt(&forged, &env, &p.trust, now).is_err());
}

#[test]
fn receipts_signed_once_for_a_batch_are_each_proven_alone() {
    let p = setup();
    let now = OffsetDateTime::now_utc();
    let envelopes: Vec<pb::Envelope> = (0..5)
        .map(|_| build(&p.gha, header("GHA", "NGA"), &ack_payload(), None).unwrap())
        .collect();
    let receipts = envelopes
        .iter()
        .map(|env| {
            let h = verify(env, &p.trust, now, MAX_AGE).unwrap().header;
            receipt_for(p.nga.participant(), env, &h, now, None, vec![])
        })
        .collect();
    let signed = sign_receipts(&p.nga, receipts);
    assert!(signed.iter().all(|s| s.signature == signed[0].signature));
    for (i, (receipt, env)) in signed.iter().zip(&envelopes).enumerate() {
        let batch = receipt.batch.as_ref().expect("a place in the batch");
        assert_eq!((batch.leaf_index, batch.tree_size), (i as u64, 5));
        let r = verify_receipt(receipt, env, &p.trust, now).unwrap();
        assert_eq!(r.receiver.to_string(), "NGA");
        // Checked alone: a verifier that never saw the batch agrees.
        let fresh = TrustStore::new();
        let ca = p.trust.ca_of(&"NGA".parse().unwrap()).unwrap();
        fresh.pin(&"NGA".parse().unwrap(), ca, None).unwrap();
        verify_receipt(receipt, env, &fresh, now).unwrap();
    }
    // Another envelope's receipt, or this one's place given to another
    // receipt, proves nothing.
    assert!(verify_receipt(&signed[1], &envelopes[2], &p.trust, now).is_err());
    let mut moved = signed[1].clone();
    moved.batch = signed[2].batch.clone();
    assert!(verify_receipt(&moved, &envelopes[1], &p.trust, now).is_err());
    let mut resized = signed[4].clone();
    resized.batch.as_mut().unwrap().tree_size = 6;
    assert!(verify_receipt(&resized, &envelopes[4], &p.trust, now).is_err());
    let mut altered = signed[3].clone();
    altered.receipt[3] ^= 0x20;
    assert!(verify_receipt(&altered, &envelopes[3], &p.trust, now).is_err());
    let mut cut = signed[3].clone();
    cut.batch.as_mut().unwrap().audit_path.truncate(40);
    assert!(verify_receipt(&cut, &envelopes[3], &p.trust, now).is_err());
    let mut alone = signed[0].clone();
    alone.batch = None;
    assert!(verify_receipt(&alone, &envelopes[0], &p.trust, now).is_err());
    // The same batch's signature under another node's certificate.
    let mut claimed = signed[0].clone();
    claimed.signer_certificate = p.gha.cert_der().to_vec();
    assert!(verify_receipt(&claimed, &envelopes[0], &p.trust, now).is_err());
    // One receipt alone is signed as before batches, and read by every node.
    let one = sign_receipts(
        &p.nga,
        vec![receipt_for(
            p.nga.participant(),
            &envelopes[0],
            &verify(&envelopes[0], &p.trust, now, MAX_AGE)
                .unwrap()
                .header,
            now,
            None,
            vec![],
        )],
    );
    assert!(one[0].batch.is_none());
    verify_receipt(&one[0], &envelopes[0], &p.trust, now).unwrap();
}

#[test]
fn a_sealed_payload_opens_only_for_its_recipient() {
    let p = setup();
    let key = seal::OpeningKey::generate();
    let other = seal::OpeningKey::generate();
    let env = build(
        &p.gha,
        header("GHA", "NGA"),
        &ack_payload(),
        Some(key.public()),
    )
    .unwrap();
    let v = verify(&env, &p.trust, OffsetDateTime::now_utc(), MAX_AGE).unwrap();
    let sealing = v.header.sealing.clone().unwrap();
    assert!(v.plain_payload().is_err());
    let bytes = key.open(&sealing, &env.header, &env.payload).unwrap();
    assert_eq!(decode_payload(&v.header, &bytes).unwrap(), ack_payload());
    assert!(other.open(&sealing, &env.header, &env.payload).is_err());
}

proptest! {
    #[test]
    fn signing_input_is_injective(
        a in proptest::collection::vec(any::<u8>(), 0..64),
        b in proptest::collection::vec(any::<u8>(), 0..64),
        c in proptest::collection::vec(any::<u8>(), 0..64),
        d in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        prop_assume!((a.clone(), b.clone()) != (c.clone(), d.clone()));
        prop_assert_ne!(signing_input(&a, &b), signing_input(&c, &d));
    }

    #[test]
    fn any_single_bit_flip_breaks_the_signature(
        flip_header in any::<bool>(),
        index in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let p = setup();
        let mut env = build(&p.gha, header("GHA", "NGA"), &ack_payload(), None).unwrap();
        let target = if flip_header { &mut env.header } else { &mut env.payload };
        let i = index.index(target.len());
        target[i] ^= 1 << bit;
        prop_assert!(verify(&env, &p.trust, OffsetDateTime::now_utc(), MAX_AGE).is_err());
    }
}

#[test]
fn creation_times_are_bounded_on_both_sides_of_receipt() {
    let now = OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    // A genuine retry of an envelope queued through a long outage is taken.
    assert_eq!(check_created_at(now - 29 * day, now, MAX_AGE), Ok(()));
    assert_eq!(
        check_created_at(now + time::Duration::minutes(4), now, MAX_AGE),
        Ok(())
    );
    assert!(matches!(
        check_created_at(now - 31 * day, now, MAX_AGE),
        Err(EnvelopeError::TooOld {
            max_age_days: 30,
            ..
        })
    ));
    assert!(matches!(
        check_created_at(now + time::Duration::minutes(6), now, MAX_AGE),
        Err(EnvelopeError::FromTheFuture(_))
    ));
    // Extreme times neither overflow nor pass.
    let far = OffsetDateTime::new_utc(
        time::Date::from_calendar_date(9999, time::Month::December, 31).unwrap(),
        time::Time::MIDNIGHT,
    );
    assert!(check_created_at(far, now, MAX_AGE).is_err());
    assert!(check_created_at(now, far, MAX_AGE).is_err());
}

#[test]
fn an_envelope_backdated_past_the_allowance_is_refused() {
    let p = setup();
    let mut h = header("GHA", "NGA");
    h.created_at = OffsetDateTime::now_utc() - time::Duration::days(40);
    let env = build(&p.gha, h, &ack_payload(), None).unwrap();
    assert!(matches!(
        verify(&env, &p.trust, OffsetDateTime::now_utc(), MAX_AGE),
        Err(EnvelopeError::TooOld { .. })
    ));
}

fn photo_ask(fetcher: &str) -> pb::PhotoAsk {
    pb::PhotoAsk {
        sha256: "ab".repeat(32),
        fetcher: fetcher.into(),
        origin: "GHA".into(),
        asked_at: Some(to_timestamp(OffsetDateTime::now_utc())),
        offset: 0,
        length: 0,
    }
}

#[test]
fn a_photo_ask_verifies_only_as_the_fetcher_it_names() {
    let p = setup();
    let now = OffsetDateTime::now_utc();
    let signed = sign_photo_ask(&p.nga, &photo_ask("NGA"));
    let (ask, fetcher, _) = verify_photo_ask(&signed, &p.trust, now).unwrap();
    assert_eq!(
        (ask.origin.as_str(), fetcher.to_string()),
        ("GHA", "NGA".into())
    );

    // Signed by GHA, naming NGA as the fetcher.
    let forged = sign_photo_ask(&p.gha, &photo_ask("NGA"));
    let e = verify_photo_ask(&forged, &p.trust, now).unwrap_err();
    assert!(
        matches!(
            e,
            PhotoAskError::NotSignedByFetcher {
                field: "signed.signer_certificate",
                ..
            }
        ),
        "{e}"
    );

    // NGA's signature over other bytes.
    let mut altered = signed.clone();
    altered.ask = photo_ask("GHA").encode_to_vec();
    altered.signer_certificate = p.gha.cert_der().to_vec();
    let e = verify_photo_ask(&altered, &p.trust, now).unwrap_err();
    assert!(
        matches!(
            e,
            PhotoAskError::NotSignedByFetcher {
                field: "signed.signature",
                ..
            }
        ),
        "{e}"
    );

    let mut garbled = signed;
    garbled.ask = vec![0xFF, 0xFF];
    let e = verify_photo_ask(&garbled, &p.trust, now).unwrap_err();
    assert!(
        matches!(
            e,
            PhotoAskError::Malformed {
                field: "signed.ask",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_sealed_photo_opens_only_with_the_fetchers_key_for_its_ask() {
    let fetcher = seal::OpeningKey::generate();
    let other = seal::OpeningKey::generate();
    let ask = photo_ask("NGA").encode_to_vec();
    let sealed = seal::seal_photo(fetcher.public(), &ask, b"GIF89a bytes").unwrap();
    assert_eq!(fetcher.open_photo(&sealed, &ask).unwrap(), b"GIF89a bytes");
    assert!(other.open_photo(&sealed, &ask).is_err());
    let another_ask = photo_ask("BEL").encode_to_vec();
    assert!(fetcher.open_photo(&sealed, &another_ask).is_err());
}

#[test]
fn the_digest_a_receipt_acknowledges_is_the_sha256_of_the_signing_input() {
    let env = pb::Envelope {
        header: b"a header".to_vec(),
        payload: vec![7; 70_000],
        ..Default::default()
    };
    let whole: [u8; 32] = Sha256::digest(signing_input(&env.header, &env.payload)).into();
    assert_eq!(digest(&env), whole);
}
