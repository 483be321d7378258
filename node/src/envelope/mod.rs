//! Envelopes: build, sign, verify; receipts. End-to-end integrity: the origin
//! signs the header and payload bytes exactly as transmitted, so a relay can
//! neither alter nor forge content, and the receiver checks the signature
//! against the origin's pinned CA before it stores anything.
//!
//! Signing input (domain-separated and length-prefixed, so that no two
//! different (header, payload) pairs share one):
//! `"ITI-ENVELOPE-V1\0" || u64be(len header) || header || u64be(len payload) || payload`.
//! The header and payload travel as bytes: nobody re-encodes before verifying,
//! so the signature does not depend on protobuf's encoding being canonical.

pub mod merkle;
pub mod seal;

use std::sync::Arc;

use prost::Message;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use iti_proto::v1 as pb;

use crate::clock::{from_timestamp, to_timestamp};
use crate::identity::Identity;
use crate::identity::pki::KeyedCert;
use crate::identity::trust::{TrustError, TrustStore, Usage};
use crate::ids::{CaseId, EnvelopeId, ParticipantId, TraceId};

const ENVELOPE_DOMAIN: &[u8] = b"ITI-ENVELOPE-V1\0";
const RECEIPT_DOMAIN: &[u8] = b"ITI-RECEIPT-V1\0";
const RECEIPT_BATCH_DOMAIN: &[u8] = b"ITI-RECEIPT-BATCH-V1\0";
const DIRECTORY_DOMAIN: &[u8] = b"ITI-DIRECTORY-V1\0";
const LOG_HEAD_DOMAIN: &[u8] = b"ITI-DIRECTORY-LOG-HEAD-V1\0";
const PHOTO_ASK_DOMAIN: &[u8] = b"ITI-PHOTO-ASK-V1\0";

/// The gRPC metadata key of a delivery answered "unknown origin": the
/// receiver has not learned the origin yet, and the sender should retry.
pub const UNKNOWN_ORIGIN_METADATA: &str = "iti-unknown-origin";

/// How far in the future an envelope's creation time may be (clock skew).
const MAX_SKEW: time::Duration = time::Duration::minutes(5);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("envelope header is not a valid EnvelopeHeader")]
    BadHeader,
    #[error("envelope header field {field}: {reason}")]
    BadField { field: &'static str, reason: String },
    #[error("payload is not a valid Payload")]
    BadPayload,
    #[error("payload kind {declared:?} does not match its body {actual:?}")]
    KindMismatch {
        declared: pb::PayloadKind,
        actual: pb::PayloadKind,
    },
    #[error("signer certificate: {0}")]
    Signer(TrustError),
    #[error("the envelope is signed by {signer}, not by its origin {origin}")]
    SignerNotOrigin { signer: String, origin: String },
    #[error("the origin's signature does not verify: the envelope was altered or forged")]
    BadSignature,
    #[error("created {0} in the future")]
    FromTheFuture(String),
    #[error(
        "created {created}, more than {max_age_days} days before it reached this node \
         (its max_envelope_age_days): too old to be taken"
    )]
    TooOld { created: String, max_age_days: i64 },
    #[error("receipt: {0}")]
    Receipt(String),
    #[error("sealed payload: {0}")]
    Seal(String),
    #[error("directory log head: {0}")]
    LogHead(String),
}

/// A node's signing key. Never printed.
pub struct Signer {
    key: EcdsaKeyPair,
    cert_der: CertificateDer<'static>,
    participant: ParticipantId,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("participant", &self.participant)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("node certificate: {0}")]
    Cert(String),
    #[error("node key is not a PKCS#8 ECDSA P-256 key")]
    Key,
    #[error("node certificate must carry a node identity, found {0}")]
    NotANode(String),
}

impl Signer {
    pub fn from_keyed(keyed: &KeyedCert) -> Result<Self, SignerError> {
        let cert_der = keyed
            .cert_der()
            .map_err(|e| SignerError::Cert(e.to_string()))?;
        let participant = match Identity::from_certificate_der(&cert_der)
            .map_err(|e| SignerError::Cert(e.to_string()))?
        {
            Identity::Node(p) => p,
            other => return Err(SignerError::NotANode(other.to_string())),
        };
        let pkcs8 = match PrivateKeyDer::from_pem_slice(keyed.key_pem.expose().as_bytes()) {
            Ok(PrivateKeyDer::Pkcs8(k)) => k,
            _ => return Err(SignerError::Key),
        };
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            pkcs8.secret_pkcs8_der(),
            &rng,
        )
        .map_err(|_| SignerError::Key)?;
        Ok(Signer {
            key,
            cert_der,
            participant,
            rng,
        })
    }

    pub fn participant(&self) -> &ParticipantId {
        &self.participant
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        // ring's ECDSA signing fails only if the RNG fails.
        self.key
            .sign(&self.rng, message)
            .map(|s| s.as_ref().to_vec())
            .unwrap_or_default()
    }
}

/// This node's signing keys: the current one and, from its switch-over time,
/// the next (matching `identity::Credentials`).
#[derive(Debug)]
pub struct Signers {
    current: Arc<Signer>,
    next: Option<(Arc<Signer>, OffsetDateTime)>,
}

impl Signers {
    pub fn from_credentials(c: &crate::identity::Credentials) -> Result<Self, SignerError> {
        Ok(Signers {
            current: Arc::new(Signer::from_keyed(&c.current)?),
            next: match &c.next {
                Some((k, from)) => Some((Arc::new(Signer::from_keyed(k)?), *from)),
                None => None,
            },
        })
    }

    /// The signer in use at `now`.
    pub fn at(&self, now: OffsetDateTime) -> &Arc<Signer> {
        match &self.next {
            Some((next, from)) if now >= *from => next,
            _ => &self.current,
        }
    }
}

fn length_prefixed(domain: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(domain.len() + parts.iter().map(|p| p.len() + 8).sum::<usize>());
    out.extend_from_slice(domain);
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

pub fn signing_input(header: &[u8], payload: &[u8]) -> Vec<u8> {
    length_prefixed(ENVELOPE_DOMAIN, &[header, payload])
}

/// SHA-256 of an envelope's signing input: what a receipt acknowledges.
/// Hashed part by part, as `length_prefixed` lays them out: the payload of
/// a large request is tens of megabytes, and is not copied.
pub fn digest(envelope: &pb::Envelope) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(ENVELOPE_DOMAIN);
    for part in [&envelope.header, &envelope.payload] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

fn verify_signature_by(
    cert: &CertificateDer<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), EnvelopeError> {
    let ee = webpki::EndEntityCert::try_from(cert).map_err(|_| EnvelopeError::BadSignature)?;
    ee.verify_signature(webpki::ring::ECDSA_P256_SHA256, message, signature)
        .map_err(|_| EnvelopeError::BadSignature)
}

/// The payload kind that goes with a payload body.
pub fn kind_of(payload: &pb::Payload) -> pb::PayloadKind {
    use pb::PayloadKind as K;
    use pb::payload::Body as B;
    match &payload.body {
        None => K::Unspecified,
        Some(B::Request(_)) => K::Request,
        Some(B::Acknowledgement(_)) => K::Acknowledgement,
        Some(B::ReturnForCompletion(_)) => K::ReturnForCompletion,
        Some(B::Resubmission(_)) => K::Resubmission,
        Some(B::Response(_)) => K::Response,
        Some(B::Delay(_)) => K::Delay,
        Some(B::Refusal(_)) => K::Refusal,
        Some(B::ClarificationRequest(_)) => K::ClarificationRequest,
        Some(B::ClarificationReply(_)) => K::ClarificationReply,
        Some(B::Consent(_)) => K::Consent,
        Some(B::ConsentRequest(_)) => K::ConsentRequest,
        Some(B::Closure(_)) => K::Closure,
        Some(B::SharedInformation(_)) => K::SharedInformation,
        Some(B::BrokerNotice(_)) => K::BrokerNotice,
        Some(B::Receipt(_)) => K::Receipt,
        Some(B::OnBehalfRequest(_)) => K::OnBehalfRequest,
        Some(B::DeliveryFailure(_)) => K::DeliveryFailure,
    }
}

/// The validated header of an envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub id: EnvelopeId,
    pub case_id: CaseId,
    pub trace_id: TraceId,
    pub origin: ParticipantId,
    pub destination: ParticipantId,
    pub created_at: OffsetDateTime,
    pub kind: pb::PayloadKind,
    pub marking: pb::Marking,
    pub sealing: Option<pb::Sealing>,
    pub on_behalf_of: Option<ParticipantId>,
}

impl Header {
    pub fn to_proto(&self) -> pb::EnvelopeHeader {
        pb::EnvelopeHeader {
            id: self.id.to_string(),
            case_id: self.case_id.to_string(),
            trace_id: self.trace_id.to_string(),
            origin: self.origin.to_string(),
            destination: self.destination.to_string(),
            created_at: Some(to_timestamp(self.created_at)),
            kind: self.kind as i32,
            marking: Some(self.marking.clone()),
            sealing: self.sealing.clone(),
            on_behalf_of: self
                .on_behalf_of
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let h = pb::EnvelopeHeader::decode(bytes).map_err(|_| EnvelopeError::BadHeader)?;
        fn field<T, E: std::fmt::Display>(
            name: &'static str,
            r: Result<T, E>,
        ) -> Result<T, EnvelopeError> {
            r.map_err(|e| EnvelopeError::BadField {
                field: name,
                reason: e.to_string(),
            })
        }
        let kind = pb::PayloadKind::try_from(h.kind).unwrap_or(pb::PayloadKind::Unspecified);
        if kind == pb::PayloadKind::Unspecified {
            return Err(EnvelopeError::BadField {
                field: "kind",
                reason: "unspecified".into(),
            });
        }
        Ok(Header {
            id: field("id", h.id.parse())?,
            case_id: field("case_id", h.case_id.parse())?,
            trace_id: field("trace_id", h.trace_id.parse())?,
            origin: field("origin", h.origin.parse())?,
            destination: field("destination", h.destination.parse())?,
            created_at: h.created_at.as_ref().and_then(from_timestamp).ok_or(
                EnvelopeError::BadField {
                    field: "created_at",
                    reason: "missing or out of range".into(),
                },
            )?,
            kind,
            marking: h.marking.unwrap_or_default(),
            sealing: h
                .sealing
                .filter(|s| s.scheme != pb::SealingScheme::None as i32),
            on_behalf_of: if h.on_behalf_of.is_empty() {
                None
            } else {
                Some(field("on_behalf_of", h.on_behalf_of.parse())?)
            },
        })
    }
}

/// Signs `payload` under `header` (encrypting it first when `seal_to` is given).
pub fn build(
    signer: &Signer,
    mut header: Header,
    payload: &pb::Payload,
    seal_to: Option<&seal::RecipientKey>,
) -> Result<pb::Envelope, EnvelopeError> {
    header.kind = kind_of(payload);
    let plain = payload.encode_to_vec();
    let (header_bytes, payload_bytes) = match seal_to {
        None => {
            header.sealing = None;
            (header.to_proto().encode_to_vec(), plain)
        }
        Some(recipient) => {
            let prepared = seal::prepare(recipient)?;
            header.sealing = Some(prepared.sealing.clone());
            let header_bytes = header.to_proto().encode_to_vec();
            let ciphertext = prepared.seal(&header_bytes, &plain)?;
            (header_bytes, ciphertext)
        }
    };
    let signature = signer.sign(&signing_input(&header_bytes, &payload_bytes));
    Ok(pb::Envelope {
        header: header_bytes,
        payload: payload_bytes,
        signature,
        signer_certificate: signer.cert_der.to_vec(),
        hops: Vec::new(),
    })
}

/// An envelope that cannot be built yet: its content must be sealed and
/// the destination's sealing key is not known. It holds the header only
/// (no payload, no signature) and waits in the outbox; it is built and
/// signed when the key is known (`build`), and never sent as it is.
pub fn waiting_for_key(mut header: Header, payload: &pb::Payload) -> pb::Envelope {
    header.kind = kind_of(payload);
    header.sealing = None;
    pb::Envelope {
        header: header.to_proto().encode_to_vec(),
        ..Default::default()
    }
}

/// Whether an envelope still waits to be built (see `waiting_for_key`).
pub fn is_waiting_for_key(envelope: &pb::Envelope) -> bool {
    envelope.signature.is_empty()
}

/// An envelope whose origin signature has been verified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub header: Header,
    pub envelope: pb::Envelope,
}

impl Verified {
    /// The payload, when it is not sealed.
    pub fn plain_payload(&self) -> Result<pb::Payload, EnvelopeError> {
        if self.header.sealing.is_some() {
            return Err(EnvelopeError::Seal("payload is sealed".into()));
        }
        decode_payload(&self.header, &self.envelope.payload)
    }
}

pub fn decode_payload(header: &Header, bytes: &[u8]) -> Result<pb::Payload, EnvelopeError> {
    let payload = pb::Payload::decode(bytes).map_err(|_| EnvelopeError::BadPayload)?;
    let actual = kind_of(&payload);
    if actual != header.kind {
        return Err(EnvelopeError::KindMismatch {
            declared: header.kind,
            actual,
        });
    }
    Ok(payload)
}

/// Verifies an envelope: its header is well formed, its creation time is
/// no later than `now` (give or take the clock skew) and no more than
/// `max_age` before it, its signer certificate is the origin's node
/// certificate under the origin's pinned CA (valid when the envelope was
/// created, not revoked now), and the signature covers exactly these header
/// and payload bytes.
pub fn verify(
    envelope: &pb::Envelope,
    trust: &TrustStore,
    now: OffsetDateTime,
    max_age: time::Duration,
) -> Result<Verified, EnvelopeError> {
    let header = check(envelope, trust, now, max_age)?;
    Ok(Verified {
        header,
        envelope: envelope.clone(),
    })
}

/// What `verify` checks, without keeping a copy of the envelope (a large
/// request's is tens of megabytes): its header once it holds.
pub fn check(
    envelope: &pb::Envelope,
    trust: &TrustStore,
    now: OffsetDateTime,
    max_age: time::Duration,
) -> Result<Header, EnvelopeError> {
    let header = Header::decode(&envelope.header)?;
    check_created_at(header.created_at, now, max_age)?;
    let cert = CertificateDer::from(envelope.signer_certificate.clone());
    // Validity at creation: a message queued for days stays verifiable after
    // a routine certificate rotation. The signer chooses that time, so it is
    // bounded (`check_created_at`): a retired or expired key cannot sign
    // new envelopes dated back into its validity.
    let signer = trust
        .verify(&cert, &[], Usage::Client, header.created_at)
        .map_err(EnvelopeError::Signer)?;
    if signer != Identity::Node(header.origin.clone()) {
        return Err(EnvelopeError::SignerNotOrigin {
            signer: signer.to_string(),
            origin: header.origin.to_string(),
        });
    }
    verify_signature_by(
        &cert,
        &signing_input(&envelope.header, &envelope.payload),
        &envelope.signature,
    )?;
    Ok(header)
}

/// An envelope's creation time, which its signer chose, against the time it
/// reaches us: not in the future beyond the clock skew, and not older than
/// `max_age`, an allowance longer than any outage the sender's queue (or a
/// hub's) is expected to ride out.
pub fn check_created_at(
    created_at: OffsetDateTime,
    now: OffsetDateTime,
    max_age: time::Duration,
) -> Result<(), EnvelopeError> {
    if created_at > now.saturating_add(MAX_SKEW) {
        return Err(EnvelopeError::FromTheFuture(crate::clock::rfc3339(
            created_at,
        )));
    }
    if created_at < now.saturating_sub(max_age) {
        return Err(EnvelopeError::TooOld {
            created: crate::clock::rfc3339(created_at),
            max_age_days: max_age.whole_days(),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------- receipts

/// What a receipt for a verified envelope says, before it is signed.
pub fn receipt_for(
    receiver: &ParticipantId,
    envelope: &pb::Envelope,
    header: &Header,
    received_at: OffsetDateTime,
    audit_head: Option<&crate::audit::Head>,
    hub_log_heads: Vec<pb::SignedDirectoryLogHead>,
) -> pb::Receipt {
    pb::Receipt {
        envelope_id: header.id.to_string(),
        envelope_digest: digest(envelope).to_vec(),
        origin: header.origin.to_string(),
        destination: header.destination.to_string(),
        receiver: receiver.to_string(),
        received_at: Some(to_timestamp(received_at)),
        audit_seq: audit_head.map_or(0, |h| h.seq),
        audit_head: audit_head.map(|h| h.hash.clone()).unwrap_or_default(),
        hub_log_heads,
    }
}

/// Signs a receipt for a verified envelope.
pub fn sign_receipt(
    signer: &Signer,
    envelope: &pb::Envelope,
    header: &Header,
    received_at: OffsetDateTime,
    audit_head: Option<&crate::audit::Head>,
    hub_log_heads: Vec<pb::SignedDirectoryLogHead>,
) -> pb::SignedReceipt {
    let receipt = receipt_for(
        &signer.participant,
        envelope,
        header,
        received_at,
        audit_head,
        hub_log_heads,
    );
    sign_receipt_alone(signer, receipt.encode_to_vec())
}

fn sign_receipt_alone(signer: &Signer, receipt: Vec<u8>) -> pb::SignedReceipt {
    let signature = signer.sign(&length_prefixed(RECEIPT_DOMAIN, &[&receipt]));
    pb::SignedReceipt {
        receipt,
        signature,
        signer_certificate: signer.cert_der.to_vec(),
        batch: None,
    }
}

/// What a batch's one signature is over: its size and its tree's root.
fn batch_statement(tree_size: u64, root: &merkle::Hash) -> Vec<u8> {
    length_prefixed(RECEIPT_BATCH_DOMAIN, &[&tree_size.to_be_bytes(), root])
}

/// Signs `receipts` in their order: one alone as [`sign_receipt`] does (as
/// every node reads it), several with one signature over their tree's root,
/// each receipt with its place in the tree, so that each is proven alone.
pub fn sign_receipts(signer: &Signer, receipts: Vec<pb::Receipt>) -> Vec<pb::SignedReceipt> {
    let encoded: Vec<Vec<u8>> = receipts.iter().map(Message::encode_to_vec).collect();
    if encoded.len() <= 1 {
        return encoded
            .into_iter()
            .map(|r| sign_receipt_alone(signer, r))
            .collect();
    }
    let leaves: Vec<merkle::Hash> = encoded.iter().map(|r| merkle::leaf_hash(r)).collect();
    let (root, paths) = merkle::tree(&leaves);
    let tree_size = encoded.len() as u64;
    let signature = signer.sign(&batch_statement(tree_size, &root));
    encoded
        .into_iter()
        .zip(paths)
        .enumerate()
        .map(|(index, (receipt, path))| pb::SignedReceipt {
            receipt,
            signature: signature.clone(),
            signer_certificate: signer.cert_der.to_vec(),
            batch: Some(pb::ReceiptInBatch {
                leaf_index: index as u64,
                tree_size,
                audit_path: path.concat(),
            }),
        })
        .collect()
}

/// What a receipt's signature is over: the receipt, or the root its place
/// in a batch proves (`None`: that place cannot hold).
fn receipt_statement(signed: &pb::SignedReceipt) -> Option<Vec<u8>> {
    let Some(batch) = &signed.batch else {
        return Some(length_prefixed(RECEIPT_DOMAIN, &[&signed.receipt]));
    };
    if batch.audit_path.len() % 32 != 0 {
        return None;
    }
    let path: Vec<merkle::Hash> = batch
        .audit_path
        .chunks_exact(32)
        .map(|h| h.try_into().expect("chunks of 32 bytes"))
        .collect();
    let leaf = merkle::leaf_hash(&signed.receipt);
    let root = merkle::root_from_path(leaf, batch.leaf_index, batch.tree_size, &path)?;
    Some(batch_statement(batch.tree_size, &root))
}

/// Checks a receipt's signature. A batch's signature, the same over each of
/// its receipts, is checked once: the verifications that held are
/// remembered (by certificate, statement and signature, a fact that no
/// time or trust changes).
fn verify_receipt_statement(
    signed: &pb::SignedReceipt,
    cert: &CertificateDer<'_>,
    trust: &TrustStore,
) -> Result<(), EnvelopeError> {
    let bad = || EnvelopeError::Receipt("signature does not verify (forged or altered)".into());
    let statement = receipt_statement(signed).ok_or_else(bad)?;
    if signed.batch.is_none() {
        return verify_signature_by(cert, &statement, &signed.signature).map_err(|_| bad());
    }
    let fact: [u8; 32] = Sha256::digest(length_prefixed(
        RECEIPT_BATCH_DOMAIN,
        &[cert.as_ref(), &statement, &signed.signature],
    ))
    .into();
    if trust.signature_verified_before(&fact) {
        return Ok(());
    }
    verify_signature_by(cert, &statement, &signed.signature).map_err(|_| bad())?;
    trust.remember_verified_signature(fact);
    Ok(())
}

/// A receipt whose signature has been verified.
#[derive(Debug, Clone)]
pub struct VerifiedReceipt {
    pub envelope_id: EnvelopeId,
    pub receiver: ParticipantId,
    pub received_at: OffsetDateTime,
    pub signed: pb::SignedReceipt,
}

/// Verifies that `signed` is a receipt for exactly `envelope`, signed by the
/// node of the participant it names as receiver.
pub fn verify_receipt(
    signed: &pb::SignedReceipt,
    envelope: &pb::Envelope,
    trust: &TrustStore,
    now: OffsetDateTime,
) -> Result<VerifiedReceipt, EnvelopeError> {
    verify_receipt_of_digest(signed, &digest(envelope), trust, now)
}

/// [`verify_receipt`] for an envelope known by its digest alone (a hub
/// that no longer holds the content it relayed keeps its own custody
/// receipt, which names the digest).
pub fn verify_receipt_of_digest(
    signed: &pb::SignedReceipt,
    envelope_digest: &[u8],
    trust: &TrustStore,
    now: OffsetDateTime,
) -> Result<VerifiedReceipt, EnvelopeError> {
    let bad = |s: &str| EnvelopeError::Receipt(s.to_string());
    let (receipt, receiver, received_at) = verify_receipt_signature(signed, trust, now)?;
    if receipt.envelope_digest != envelope_digest {
        return Err(bad("it acknowledges different content"));
    }
    let envelope_id = receipt
        .envelope_id
        .parse()
        .map_err(|_| bad("bad envelope id"))?;
    Ok(VerifiedReceipt {
        envelope_id,
        receiver,
        received_at,
        signed: signed.clone(),
    })
}

/// Checks that `signed` was signed by the node of the receiver it names,
/// under that participant's pinned CA; returns what it says.
fn verify_receipt_signature(
    signed: &pb::SignedReceipt,
    trust: &TrustStore,
    now: OffsetDateTime,
) -> Result<(pb::Receipt, ParticipantId, OffsetDateTime), EnvelopeError> {
    let bad = |s: &str| EnvelopeError::Receipt(s.to_string());
    let receipt = pb::Receipt::decode(signed.receipt.as_slice()).map_err(|_| bad("malformed"))?;
    let receiver: ParticipantId = receipt.receiver.parse().map_err(|_| bad("bad receiver"))?;
    let cert = CertificateDer::from(signed.signer_certificate.clone());
    let received_at = receipt
        .received_at
        .as_ref()
        .and_then(from_timestamp)
        .ok_or_else(|| bad("no time"))?;
    let signer = trust
        .verify(&cert, &[], Usage::Client, received_at.min(now))
        .map_err(|e| EnvelopeError::Receipt(e.to_string()))?;
    if signer != Identity::Node(receiver.clone()) {
        return Err(bad("not signed by the receiver it names"));
    }
    verify_receipt_statement(signed, &cert, trust)?;
    Ok((receipt, receiver, received_at))
}

/// The audit head `signer` committed to in a receipt a witness kept, and
/// when: only if the receipt verifies as `signer`'s.
pub fn verify_witnessed_head(
    signed: &pb::SignedReceipt,
    signer: &ParticipantId,
    trust: &TrustStore,
    now: OffsetDateTime,
) -> Result<(crate::audit::Head, OffsetDateTime), EnvelopeError> {
    let (receipt, receiver, signed_at) = verify_receipt_signature(signed, trust, now)?;
    if &receiver != signer || receipt.audit_seq == 0 {
        return Err(EnvelopeError::Receipt(
            "not a receipt of ours with an audit head".into(),
        ));
    }
    let head = crate::audit::Head {
        seq: receipt.audit_seq,
        hash: receipt.audit_head,
    };
    Ok((head, signed_at))
}

/// A hub signs the head of its directory log with its node key.
pub fn sign_log_head(signer: &Signer, head: &pb::DirectoryLogHead) -> pb::SignedDirectoryLogHead {
    let bytes = head.encode_to_vec();
    let signature = signer.sign(&length_prefixed(LOG_HEAD_DOMAIN, &[&bytes]));
    pb::SignedDirectoryLogHead {
        head: bytes,
        signature,
        signer_certificate: signer.cert_der.to_vec(),
    }
}

/// The head a hub signed, if it verifies as signed by the node of the hub
/// it names, under that hub's pinned CA.
pub fn verify_log_head(
    signed: &pb::SignedDirectoryLogHead,
    trust: &TrustStore,
    now: OffsetDateTime,
) -> Result<(ParticipantId, pb::DirectoryLogHead), EnvelopeError> {
    let bad = |s: &str| EnvelopeError::LogHead(s.to_string());
    let head =
        pb::DirectoryLogHead::decode(signed.head.as_slice()).map_err(|_| bad("malformed"))?;
    let hub: ParticipantId = head.hub.parse().map_err(|_| bad("bad hub"))?;
    let signed_at = head
        .signed_at
        .as_ref()
        .and_then(from_timestamp)
        .ok_or_else(|| bad("no time"))?;
    let cert = CertificateDer::from(signed.signer_certificate.clone());
    let signer = trust
        .verify(&cert, &[], Usage::Client, signed_at.min(now))
        .map_err(|e| EnvelopeError::LogHead(e.to_string()))?;
    if signer != Identity::Node(hub.clone()) || !hub.is_hub() {
        return Err(bad("not signed by the hub it names"));
    }
    verify_signature_by(
        &cert,
        &length_prefixed(LOG_HEAD_DOMAIN, &[&signed.head]),
        &signed.signature,
    )
    .map_err(|_| bad("signature does not verify (forged or altered)"))?;
    Ok((hub, head))
}

// ---------------------------------------------------------------- photo asks

/// A fetcher signs its ask for a photograph with its node key (as it signs
/// envelopes and receipts), so that hubs can relay it but not forge it.
pub fn sign_photo_ask(signer: &Signer, ask: &pb::PhotoAsk) -> pb::SignedPhotoAsk {
    let bytes = ask.encode_to_vec();
    let signature = signer.sign(&length_prefixed(PHOTO_ASK_DOMAIN, &[&bytes]));
    pb::SignedPhotoAsk {
        ask: bytes,
        signature,
        signer_certificate: signer.cert_der.to_vec(),
    }
}

/// Why a photograph ask is not taken, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoAskError {
    /// Not well formed.
    #[error("{field}: {reason}")]
    Malformed { field: &'static str, reason: String },
    /// Not signed by the node of the fetcher it names: forged or altered.
    #[error("{field}: {reason}")]
    NotSignedByFetcher { field: &'static str, reason: String },
}

/// What a signed ask says, unverified: for a hub to route and record it
/// (the origin verifies it, `verify_photo_ask`).
pub fn read_photo_ask(
    signed: &pb::SignedPhotoAsk,
) -> Result<(pb::PhotoAsk, ParticipantId, OffsetDateTime), PhotoAskError> {
    let bad = |field, reason: String| PhotoAskError::Malformed { field, reason };
    let ask = pb::PhotoAsk::decode(signed.ask.as_slice())
        .map_err(|_| bad("signed.ask", "not a valid PhotoAsk".into()))?;
    let fetcher: ParticipantId = ask
        .fetcher
        .parse()
        .map_err(|e: crate::ids::IdError| bad("signed.ask.fetcher", e.to_string()))?;
    let asked_at = ask
        .asked_at
        .as_ref()
        .and_then(from_timestamp)
        .ok_or_else(|| bad("signed.ask.asked_at", "missing or out of range".into()))?;
    Ok((ask, fetcher, asked_at))
}

/// The ask and its fetcher, if it is signed by the node of the fetcher it
/// names, under that participant's pinned CA (valid when it says it
/// asked, and not after `now`; the fetcher chooses that time, so the
/// caller checks it for freshness, `photo::check_asked_at`).
pub fn verify_photo_ask(
    signed: &pb::SignedPhotoAsk,
    trust: &TrustStore,
    now: OffsetDateTime,
) -> Result<(pb::PhotoAsk, ParticipantId, OffsetDateTime), PhotoAskError> {
    let (ask, fetcher, asked_at) = read_photo_ask(signed)?;
    let forged = |field, reason: String| PhotoAskError::NotSignedByFetcher { field, reason };
    let cert = CertificateDer::from(signed.signer_certificate.clone());
    let signer = trust
        .verify(&cert, &[], Usage::Client, asked_at.min(now))
        .map_err(|e| {
            forged(
                "signed.signer_certificate",
                format!("not a node certificate of {fetcher} this node trusts ({e})"),
            )
        })?;
    if signer != Identity::Node(fetcher.clone()) {
        let signer = match signer {
            Identity::Node(p) => p.to_string(),
            other => other.to_string(),
        };
        return Err(forged(
            "signed.signer_certificate",
            format!("the ask names {fetcher} as the fetcher but is signed by {signer}"),
        ));
    }
    verify_signature_by(
        &cert,
        &length_prefixed(PHOTO_ASK_DOMAIN, &[&signed.ask]),
        &signed.signature,
    )
    .map_err(|_| {
        forged(
            "signed.signature",
            format!("does not verify with {fetcher}'s key: the ask was altered or forged"),
        )
    })?;
    Ok((ask, fetcher, asked_at))
}

/// Signs arbitrary bytes with a CA or node key in PEM (directory entries are
/// signed by the participant's CA key).
pub fn sign_with_pem_key(key_pem: &str, bytes: &[u8]) -> Result<Vec<u8>, SignerError> {
    let pkcs8 = match PrivateKeyDer::from_pem_slice(key_pem.as_bytes()) {
        Ok(PrivateKeyDer::Pkcs8(k)) => k,
        _ => return Err(SignerError::Key),
    };
    let rng = SystemRandom::new();
    let key = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        pkcs8.secret_pkcs8_der(),
        &rng,
    )
    .map_err(|_| SignerError::Key)?;
    key.sign(&rng, &length_prefixed(DIRECTORY_DOMAIN, &[bytes]))
        .map(|s| s.as_ref().to_vec())
        .map_err(|_| SignerError::Key)
}

/// Verifies a directory signature against a CA certificate's key.
pub fn verify_with_ca(ca_der: &[u8], bytes: &[u8], signature: &[u8]) -> bool {
    let Ok((_, ca)) = x509_parser::parse_x509_certificate(ca_der) else {
        return false;
    };
    let point = ca.public_key().subject_public_key.data.to_vec();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, point)
        .verify(&length_prefixed(DIRECTORY_DOMAIN, &[bytes]), signature)
        .is_ok()
}

#[cfg(test)]
mod tests;
