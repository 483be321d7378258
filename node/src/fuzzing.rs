//! The entry points of the fuzz targets (`fuzz/`, cargo-fuzz on nightly),
//! shared with the replay of their seed corpus as an ordinary test (CI is
//! on stable). Each takes arbitrary bytes and must not panic; where a round
//! trip must hold, it asserts it, so that a broken property is a crash.
//!
//! Targets: `envelope` (decoding, verification, sealing), `request_json`
//! (a request file through the bounds and the clause 6 checks),
//! `directory_entry` (signed entries, as JSON or protobuf), `peer_card`,
//! `lost_stolen` (the register's CSV and JSON import), `receipt` (receipts
//! signed alone or together, and their places in a batch).

use std::sync::{Arc, OnceLock};

use prost::Message;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use time::OffsetDateTime;

use iti_proto::v1 as pb;

use crate::envelope::seal::{self, OpeningKey};
use crate::envelope::{self, Header, Signer};
use crate::identity::trust::{TrustStore, Usage};
use crate::identity::{Identity, pki};
use crate::ids::{CaseId, EnvelopeId, ParticipantId, TraceId};

/// A fuzz target's entry: any bytes, no panic.
pub type Target = fn(&[u8]);

/// The targets, by name (the names of `fuzz/fuzz_targets/*.rs` and of the
/// seed directories `fuzz/seeds/*`).
pub const TARGETS: &[(&str, Target)] = &[
    ("envelope", envelope),
    ("request_json", request_json),
    ("directory_entry", directory_entry),
    ("peer_card", peer_card),
    ("lost_stolen", lost_stolen),
    ("receipt", receipt),
];

/// A participant with a CA and a node certificate, made once per process.
struct Fixture {
    now: OffsetDateTime,
    origin: ParticipantId,
    ca: pki::KeyedCert,
    ca_der: Vec<u8>,
    trust: Arc<TrustStore>,
    signer: Signer,
    opening: OpeningKey,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let now = time::macros::datetime!(2026-11-30 12:00 UTC);
        let origin: ParticipantId = "BEL".parse().expect("BEL");
        let validity = pki::Validity::days_from(now - time::Duration::days(1), 3650);
        let ca = pki::create_ca(&origin, validity).expect("fixture CA");
        let node = pki::issue(&ca, &Identity::Node(origin.clone()), validity).expect("node cert");
        let ca_der = ca.cert_der().expect("CA DER").to_vec();
        let trust = TrustStore::new();
        trust
            .pin(&origin, CertificateDer::from(ca_der.clone()), None)
            .expect("pin");
        Fixture {
            now,
            origin,
            ca_der,
            ca,
            trust,
            signer: Signer::from_keyed(&node).expect("signer"),
            opening: OpeningKey::generate(),
        }
    })
}

/// The first byte chooses a mode; the rest is the input.
fn mode(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(m, rest)| (*m, rest))
}

/// Envelopes: 0, an envelope off the wire (decoded, verified, its payload
/// opened and bounded); 1, a payload signed by the fixture's node, which
/// must verify and decode to itself; 2, bytes sealed to the fixture's key,
/// which must open to themselves, and a header's sealing opened.
pub fn envelope(data: &[u8]) {
    let f = fixture();
    let Some((m, rest)) = mode(data) else { return };
    match m % 3 {
        0 => {
            let Ok(env) = pb::Envelope::decode(rest) else {
                return;
            };
            let _ = Header::decode(&env.header);
            if let Ok(v) = envelope::verify(&env, &f.trust, f.now, time::Duration::days(30)) {
                let payload = match &v.header.sealing {
                    None => v.plain_payload(),
                    Some(s) => f
                        .opening
                        .open(s, &env.header, &env.payload)
                        .and_then(|bytes| envelope::decode_payload(&v.header, &bytes)),
                };
                if let Ok(mut payload) = payload {
                    let _ = crate::bounds::check(&mut payload, f.now);
                }
            }
        }
        1 => {
            let Ok(payload) = pb::Payload::decode(rest) else {
                return;
            };
            let header = Header {
                id: EnvelopeId::new_v7(f.now),
                case_id: CaseId::new_v7(f.now),
                trace_id: TraceId::new_v7(f.now),
                origin: f.origin.clone(),
                destination: "GHA".parse().expect("GHA"),
                created_at: f.now,
                kind: pb::PayloadKind::Unspecified,
                marking: pb::Marking::default(),
                sealing: None,
                on_behalf_of: None,
            };
            let Ok(env) = envelope::build(&f.signer, header, &payload, None) else {
                return;
            };
            let verified = envelope::verify(&env, &f.trust, f.now, time::Duration::days(30));
            if payload.body.is_none() {
                // No kind to declare: the header is refused.
                assert!(verified.is_err(), "an envelope of no kind was verified");
                return;
            }
            let verified = verified.expect("a signed envelope verifies");
            let decoded = verified.plain_payload().expect("its payload decodes");
            assert_eq!(decoded, payload, "a payload survives signing");
            let mut bounded = decoded;
            let _ = crate::bounds::check(&mut bounded, f.now);
        }
        _ => {
            let header = b"header";
            let prepared = seal::prepare(f.opening.public()).expect("prepare");
            let sealing = prepared.sealing.clone();
            let sealed = prepared.seal(header, rest).expect("seal");
            let opened = f.opening.open(&sealing, header, &sealed).expect("open");
            assert_eq!(opened, rest, "sealed bytes open to themselves");
            if let Ok(env) = pb::Envelope::decode(rest)
                && let Ok(h) = Header::decode(&env.header)
                && let Some(s) = h.sealing
            {
                let _ = f.opening.open(&s, &env.header, &env.payload);
            }
        }
    }
}

/// Receipts: 0, a receipt off the wire (decoded, bounded, and verified for
/// the envelope digest it names); 1, the input cut into the digests of up
/// to 16 envelopes, whose receipts are signed together: each must verify
/// alone, for its own digest and for no other.
pub fn receipt(data: &[u8]) {
    let f = fixture();
    let Some((m, rest)) = mode(data) else { return };
    if m % 2 == 0 {
        let Ok(mut signed) = pb::SignedReceipt::decode(rest) else {
            return;
        };
        let _ = crate::bounds::check(&mut signed.clone(), f.now);
        let digest = pb::Receipt::decode(signed.receipt.as_slice())
            .map(|r| r.envelope_digest)
            .unwrap_or_default();
        let _ = envelope::verify_receipt_of_digest(&signed, &digest, &f.trust, f.now);
        signed.batch = None;
        let _ = envelope::verify_receipt_of_digest(&signed, &digest, &f.trust, f.now);
        return;
    }
    if rest.is_empty() {
        return;
    }
    let count = usize::from(m / 2 % 16 + 1).min(rest.len());
    let digests: Vec<&[u8]> = rest.chunks(rest.len().div_ceil(count)).collect();
    let receipts = digests
        .iter()
        .map(|d| pb::Receipt {
            envelope_id: EnvelopeId::new_v7(f.now).to_string(),
            envelope_digest: d.to_vec(),
            receiver: f.origin.to_string(),
            received_at: Some(crate::clock::to_timestamp(f.now)),
            ..Default::default()
        })
        .collect();
    let signed = envelope::sign_receipts(&f.signer, receipts);
    for (i, receipt) in signed.iter().enumerate() {
        for (j, digest) in digests.iter().enumerate() {
            let verified = envelope::verify_receipt_of_digest(receipt, digest, &f.trust, f.now);
            if i == j || digests[i] == *digest {
                verified.expect("a receipt signed in a batch verifies alone");
            } else {
                assert!(verified.is_err(), "a receipt verified for another envelope");
            }
        }
    }
}

/// A request file (JSON): read with field paths, bounded, checked as a
/// submission is (clause 6, 10.2), routed. What passes the bounds is in
/// NFC already: a second check changes nothing.
pub fn request_json(data: &[u8]) {
    let f = fixture();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut request) = crate::json::parse::<pb::TraceRequest>(text) else {
        return;
    };
    let Ok(flags) = crate::bounds::check(&mut request, f.now) else {
        return;
    };
    let mut again = request.clone();
    assert_eq!(
        crate::bounds::check(&mut again, f.now).as_ref(),
        Ok(&flags),
        "bounds are idempotent"
    );
    assert_eq!(again, request, "normalisation is idempotent");
    assert_eq!(crate::bounds::flags_of(&request), flags);
    let _ = crate::case::completeness::check(&request);
    let _ = crate::case::duplicate::request_key(&request);
    let _ = crate::routing::route(&request);
    let _ = crate::service::submit::check_request(&mut request, f.now);
}

/// A signed directory entry: 0, as JSON (what `directory publish` reads);
/// 1, as protobuf (what a hub sends). Its entry decoded and bounded, its
/// signature checked against the fixture's CA and the CA it carries, its
/// certificates, revocation list and key parsed. The fixture's CA signs
/// the entry: that signature must verify.
pub fn directory_entry(data: &[u8]) {
    let f = fixture();
    let Some((m, rest)) = mode(data) else { return };
    let signed = if m % 2 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        match crate::json::parse::<pb::SignedDirectoryEntry>(text) {
            Ok(s) => s,
            Err(_) => return,
        }
    } else {
        match pb::SignedDirectoryEntry::decode(rest) {
            Ok(s) => s,
            Err(_) => return,
        }
    };
    let _ = envelope::verify_with_ca(&f.ca_der, &signed.entry, &signed.signature);
    let Ok(entry) = pb::DirectoryEntry::decode(signed.entry.as_slice()) else {
        return;
    };
    let _ = envelope::verify_with_ca(&entry.ca_certificate, &signed.entry, &signed.signature);
    if crate::bounds::check(&mut entry.clone(), f.now).is_err() {
        return;
    }
    let _ = entry.participant.parse::<ParticipantId>();
    for s in &entry.serves {
        let _ = s.parse::<ParticipantId>();
    }
    for der in [&entry.certificate, &entry.next_certificate] {
        let cert = CertificateDer::from(der.clone());
        let _ = f.trust.verify(&cert, &[], Usage::Client, f.now);
    }
    if !entry.revocation_list.is_empty() {
        let scratch = TrustStore::new();
        if scratch
            .pin(&f.origin, CertificateDer::from(f.ca_der.clone()), None)
            .is_ok()
        {
            let crl = CertificateRevocationListDer::from(entry.revocation_list.clone());
            let _ = scratch.set_crl(&f.origin, crl);
        }
    }
    let _ = seal::RecipientKey::from_bytes(&entry.encryption_key);
    let resigned = crate::hub::directory::sign_entry(&entry, f.ca.key_pem.expose())
        .expect("the fixture CA signs");
    assert!(
        envelope::verify_with_ca(&f.ca_der, &resigned.entry, &resigned.signature),
        "an entry signed by a CA verifies against it"
    );
}

/// A peer card (JSON) through the checks `peer add` makes before pinning.
pub fn peer_card(data: &[u8]) {
    let f = fixture();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(card) = crate::json::parse::<pb::PeerCard>(text) else {
        return;
    };
    let own: ParticipantId = "GHA".parse().expect("GHA");
    if let Ok(row) = crate::service::admin::check_card(card, &own, f.now) {
        assert_ne!(row.participant, own, "a card for ourselves is refused");
    }
}

/// A lost/stolen file (0: JSON, 1: CSV) read and each report checked as
/// the register would.
pub fn lost_stolen(data: &[u8]) {
    let f = fixture();
    let Some((m, rest)) = mode(data) else { return };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok((records, _rejected)) = crate::hub::reports_file::parse(text, m % 2 == 0) else {
        return;
    };
    for r in records {
        if let Ok(row) = crate::hub::register::check_record(r, f.now) {
            assert!(!row.serial_key.is_empty() && !row.make_key.is_empty());
        }
    }
}

/// Seeds made from the fixtures (`fuzz/seeds/` holds these and the
/// regression inputs of crashes found).
pub fn generated_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let f = fixture();
    let request = crate::demo::fixtures::fal_request();
    let payload = pb::Payload {
        body: Some(pb::payload::Body::Request(request.clone())),
    };
    let response = pb::Payload {
        body: Some(pb::payload::Body::Response(
            crate::demo::fixtures::bel_export_response(),
        )),
    };
    let header = |kind| Header {
        id: EnvelopeId::new_v7(f.now),
        case_id: CaseId::new_v7(f.now),
        trace_id: TraceId::new_v7(f.now),
        origin: f.origin.clone(),
        destination: "GHA".parse().expect("GHA"),
        created_at: f.now,
        kind,
        marking: pb::Marking::default(),
        sealing: None,
        on_behalf_of: None,
    };
    let env = envelope::build(&f.signer, header(pb::PayloadKind::Request), &payload, None)
        .expect("build");
    let sealed = envelope::build(
        &f.signer,
        header(pb::PayloadKind::Request),
        &payload,
        Some(f.opening.public()),
    )
    .expect("build sealed");
    let with_mode = |m: u8, bytes: Vec<u8>| [vec![m], bytes].concat();
    let entry = pb::DirectoryEntry {
        participant: "BEL".into(),
        endpoints: vec!["bel.example:7100".into()],
        points_of_contact: vec![pb::PointOfContact {
            name: "Point of contact".into(),
            agency: "Police fédérale".into(),
            email: "poc@bel.example".into(),
            phone: "+32 2 000 00 00".into(),
            authorised_records: vec![1, 2],
            languages: vec!["fr".into(), "nl".into()],
            officer: String::new(),
        }],
        languages: vec!["fr".into(), "nl".into(), "en".into()],
        ca_certificate: f.ca_der.clone(),
        certificate: f.signer.cert_der().to_vec(),
        encryption_key: f.opening.public().bytes().to_vec(),
        serial: 7,
        ..Default::default()
    };
    let signed =
        crate::hub::directory::sign_entry(&entry, f.ca.key_pem.expose()).expect("sign entry");
    let card = pb::PeerCard {
        participant: "BEL".into(),
        endpoint: "bel.example:7100".into(),
        ca_certificate_pem: f.ca.cert_pem.clone(),
        crl_pem: String::new(),
        serves: vec![],
        encryption_key_hex: f.opening.public().to_hex(),
    };
    let json = |v: &dyn erased::Json| v.to_json();
    let receipts: Vec<pb::Receipt> = (0..3u8)
        .map(|i| pb::Receipt {
            envelope_id: EnvelopeId::new_v7(f.now).to_string(),
            envelope_digest: vec![i; 32],
            receiver: f.origin.to_string(),
            received_at: Some(crate::clock::to_timestamp(f.now)),
            ..Default::default()
        })
        .collect();
    let together = envelope::sign_receipts(&f.signer, receipts.clone());
    let alone = envelope::sign_receipts(&f.signer, receipts[..1].to_vec());
    vec![
        ("receipt", "in-a-batch".into(), with_mode(0, together[2].encode_to_vec())),
        ("receipt", "alone".into(), with_mode(0, alone[0].encode_to_vec())),
        ("receipt", "five-signed-together".into(), with_mode(9, [7u8; 160].to_vec())),
        ("envelope", "signed-request".into(), with_mode(0, env.encode_to_vec())),
        ("envelope", "sealed-request".into(), with_mode(0, sealed.encode_to_vec())),
        ("envelope", "request-payload".into(), with_mode(1, payload.encode_to_vec())),
        ("envelope", "response-payload".into(), with_mode(1, response.encode_to_vec())),
        ("envelope", "seal".into(), with_mode(2, sealed.encode_to_vec())),
        ("request_json", "fal-request.json".into(), json(&request)),
        ("directory_entry", "entry.json".into(), with_mode(0, json(&signed))),
        ("directory_entry", "entry.pb".into(), with_mode(1, signed.encode_to_vec())),
        ("peer_card", "card.json".into(), json(&card)),
        (
            "lost_stolen",
            "register.json".into(),
            with_mode(
                0,
                br#"[{"reported_by":"NGA","make":"FN Herstal","model":"FAL","serial_number":"FN04512","reported_on":"2015-06-03","circumstances":"police armoury","reference":"NPF-2015-118"},{"reported_by":"XXX","make":"","serial_number":1}]"#.to_vec(),
            ),
        ),
        (
            "lost_stolen",
            "register.csv".into(),
            with_mode(
                1,
                b"reported_by,make,model,serial_number,reported_on\nNGA,FN Herstal,FAL,FN04512,2015-06-03\nGHA,AK,,\"12\n3\",2030\n".to_vec(),
            ),
        ),
    ]
}

mod erased {
    /// Any message as pretty JSON (the protobuf JSON mapping).
    pub trait Json {
        fn to_json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> Vec<u8> {
            serde_json::to_vec_pretty(self).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn seeds_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds")
    }

    /// CI replays every seed and regression input of every target, through
    /// the functions the fuzz targets call.
    #[test]
    fn the_seed_corpus_replays_without_a_crash() {
        let mut replayed = 0;
        for (name, target) in TARGETS {
            let dir = seeds_dir().join(name);
            let entries =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            let mut files = 0;
            for entry in entries {
                let path = entry.expect("dir entry").path();
                let data = std::fs::read(&path).expect("seed");
                target(&data);
                files += 1;
            }
            assert!(files > 0, "no seeds for {name}");
            replayed += files;
        }
        assert!(replayed >= TARGETS.len());
    }

    #[test]
    fn generated_seeds_replay_without_a_crash() {
        for (name, _, data) in generated_seeds() {
            let (_, target) = TARGETS.iter().find(|(n, _)| *n == name).expect("a target");
            target(&data);
        }
    }

    /// Writes the generated seeds into `fuzz/seeds`, by hand:
    /// `cargo test -p iti-node --lib write_seeds -- --ignored`.
    #[test]
    #[ignore = "writes fuzz/seeds; run by hand"]
    fn write_seeds() {
        for (name, file, data) in generated_seeds() {
            let dir = seeds_dir().join(name);
            std::fs::create_dir_all(&dir).expect("seed dir");
            std::fs::write(dir.join(file), data).expect("write seed");
        }
    }
}
