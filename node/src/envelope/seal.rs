//! Sealed payloads (RFC 9180 HPKE, base mode): for envelopes whose marking
//! demands it (TLP:AMBER+STRICT and TLP:RED), the origin encrypts the payload
//! to the destination's published X25519 key. Relays route on the header and
//! never see the content. The header bytes are the associated data, so a
//! ciphertext cannot be moved under another header.

use std::fmt;
use std::path::Path;

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};

use iti_proto::v1 as pb;

use super::EnvelopeError;

type KemT = X25519HkdfSha256;
const INFO: &[u8] = b"ITI-SEAL-V1";

/// A destination's public encryption key.
#[derive(Clone, PartialEq, Eq)]
pub struct RecipientKey(Vec<u8>);

impl RecipientKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        <KemT as Kem>::PublicKey::from_bytes(bytes)
            .map_err(|_| EnvelopeError::Seal("not an X25519 public key".into()))?;
        Ok(RecipientKey(bytes.to_vec()))
    }
    pub fn from_hex(text: &str) -> Result<Self, EnvelopeError> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| EnvelopeError::Seal("encryption key is not hex".into()))?;
        Self::from_bytes(&bytes)
    }
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }
    /// Hex SHA-256 of the key: names it in sealed headers.
    pub fn key_id(&self) -> String {
        hex::encode(Sha256::digest(&self.0))
    }
}

impl fmt::Debug for RecipientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecipientKey({})", &self.key_id()[..16])
    }
}

/// A node's private decryption key. Never printed.
pub struct OpeningKey {
    secret: <KemT as Kem>::PrivateKey,
    public: RecipientKey,
}

impl fmt::Debug for OpeningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpeningKey(public {:?})", self.public)
    }
}

impl OpeningKey {
    pub fn generate() -> Self {
        let (secret, public) = KemT::gen_keypair();
        OpeningKey {
            public: RecipientKey(public.to_bytes().to_vec()),
            secret,
        }
    }

    pub fn public(&self) -> &RecipientKey {
        &self.public
    }

    pub fn secret_hex(&self) -> String {
        hex::encode(self.secret.to_bytes())
    }

    pub fn from_secret_hex(text: &str) -> Result<Self, EnvelopeError> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| EnvelopeError::Seal("sealing key is not hex".into()))?;
        let secret = <KemT as Kem>::PrivateKey::from_bytes(&bytes)
            .map_err(|_| EnvelopeError::Seal("not an X25519 private key".into()))?;
        let public = KemT::sk_to_pk(&secret);
        Ok(OpeningKey {
            public: RecipientKey(public.to_bytes().to_vec()),
            secret,
        })
    }

    pub fn read(path: &Path) -> Result<Self, EnvelopeError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            EnvelopeError::Seal(format!("sealing key file {}: {e}", path.display()))
        })?;
        Self::from_secret_hex(&text)
    }

    /// Decrypts a sealed payload addressed to this key.
    pub fn open(
        &self,
        sealing: &pb::Sealing,
        header_bytes: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, EnvelopeError> {
        if sealing.scheme != pb::SealingScheme::HpkeX25519Chacha20 as i32 {
            return Err(EnvelopeError::Seal("unknown sealing scheme".into()));
        }
        if sealing.recipient_key_id != self.public.key_id() {
            return Err(EnvelopeError::Seal(
                "sealed to a different key than ours".into(),
            ));
        }
        let encapped = <KemT as Kem>::EncappedKey::from_bytes(&sealing.encapsulated_key)
            .map_err(|_| EnvelopeError::Seal("bad encapsulated key".into()))?;
        let mut ctx = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, KemT>(
            &OpModeR::Base,
            &self.secret,
            &encapped,
            INFO,
        )
        .map_err(|_| EnvelopeError::Seal("cannot open".into()))?;
        ctx.open(ciphertext, header_bytes)
            .map_err(|_| EnvelopeError::Seal("ciphertext does not open (altered?)".into()))
    }
}

/// The sender's half of a seal: the header fields are known before the header
/// bytes (the associated data) exist.
pub struct Prepared {
    pub sealing: pb::Sealing,
    ctx: hpke::aead::AeadCtxS<ChaCha20Poly1305, HkdfSha256, KemT>,
}

pub fn prepare(recipient: &RecipientKey) -> Result<Prepared, EnvelopeError> {
    let pk = <KemT as Kem>::PublicKey::from_bytes(&recipient.0)
        .map_err(|_| EnvelopeError::Seal("bad recipient key".into()))?;
    let (encapped, ctx) =
        hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, KemT>(&OpModeS::Base, &pk, INFO)
            .map_err(|_| EnvelopeError::Seal("cannot encapsulate".into()))?;
    Ok(Prepared {
        sealing: pb::Sealing {
            scheme: pb::SealingScheme::HpkeX25519Chacha20 as i32,
            encapsulated_key: encapped.to_bytes().to_vec(),
            recipient_key_id: recipient.key_id(),
        },
        ctx,
    })
}

impl Prepared {
    pub fn seal(mut self, header_bytes: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        self.ctx
            .seal(plaintext, header_bytes)
            .map_err(|_| EnvelopeError::Seal("cannot seal".into()))
    }
}

/// The associated data of a photograph sealed in answer to a signed ask:
/// domain-separated from envelopes, and bound to the ask's bytes.
fn photo_associated_data(ask: &[u8]) -> Vec<u8> {
    let mut ad = PHOTO_DOMAIN.to_vec();
    ad.extend_from_slice(ask);
    ad
}

const PHOTO_DOMAIN: &[u8] = b"ITI-PHOTO-V1\0";

/// Seals a photograph (the encoded `Photo`) to the fetcher's key, in answer
/// to the ask whose signed bytes are `ask`: relays see ciphertext only.
pub fn seal_photo(
    recipient: &RecipientKey,
    ask: &[u8],
    plaintext: &[u8],
) -> Result<pb::SealedPhoto, EnvelopeError> {
    let prepared = prepare(recipient)?;
    let sealing = prepared.sealing.clone();
    let ciphertext = prepared.seal(&photo_associated_data(ask), plaintext)?;
    Ok(pb::SealedPhoto {
        sealing: Some(sealing),
        ciphertext,
    })
}

impl OpeningKey {
    /// Opens a photograph sealed to this key in answer to `ask`.
    pub fn open_photo(
        &self,
        sealed: &pb::SealedPhoto,
        ask: &[u8],
    ) -> Result<Vec<u8>, EnvelopeError> {
        let sealing = sealed
            .sealing
            .as_ref()
            .ok_or_else(|| EnvelopeError::Seal("sealed.sealing is missing".into()))?;
        self.open(sealing, &photo_associated_data(ask), &sealed.ciphertext)
    }
}

/// Whether a marking requires the payload to be sealed end to end.
pub fn must_seal(marking: &pb::Marking) -> bool {
    matches!(
        pb::Tlp::try_from(marking.tlp).unwrap_or(pb::Tlp::Unspecified),
        pb::Tlp::AmberStrict | pb::Tlp::Red
    )
}
