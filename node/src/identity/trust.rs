//! Pinned trust: each participant's CA is pinned to that participant alone.
//! A certificate is accepted only if it chains to the CA pinned for the
//! participant its identity URI names, is within its validity, and is not on
//! that CA's revocation list. A CA pinned for Ghana cannot vouch for Nigeria.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use time::OffsetDateTime;
use webpki::{
    CertRevocationList, EndEntityCert, KeyUsage, OwnedCertRevocationList, RevocationCheckDepth,
    RevocationOptionsBuilder, UnknownStatusPolicy,
};

use super::{Identity, IdentityError};
use crate::ids::ParticipantId;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error("{0}")]
    Identity(#[from] IdentityError),
    #[error("no CA is pinned for {0}")]
    NotPinned(ParticipantId),
    #[error("the certificate for {0} does not chain to the CA pinned for {0}")]
    WrongCa(ParticipantId),
    #[error("the certificate for {0} has expired")]
    Expired(ParticipantId),
    #[error("the certificate for {0} is not yet valid")]
    NotYetValid(ParticipantId),
    #[error("the certificate for {0} has been revoked by its CA")]
    Revoked(ParticipantId),
    #[error("the certificate for {0} is not valid for {1}")]
    WrongUsage(ParticipantId, &'static str),
    #[error("the certificate for {0} was refused: {1}")]
    Invalid(ParticipantId, String),
    #[error("{0} is not a CA certificate usable as a trust anchor: {1}")]
    BadAnchor(ParticipantId, String),
    #[error("the revocation list for {0} is malformed: {1}")]
    BadCrl(ParticipantId, String),
    #[error("the certificate for {0} is not one its directory entry announces")]
    NotAnnounced(ParticipantId),
}

impl TrustError {
    /// The kind of refusal, for logs that are rate-limited per reason.
    pub fn kind(&self) -> &'static str {
        match self {
            TrustError::Identity(_) => "certificate without a valid ITI identity",
            TrustError::NotPinned(_) => "certificate of a participant with no pinned CA",
            TrustError::WrongCa(_) => "certificate not from the CA pinned for its participant",
            TrustError::Expired(_) => "certificate expired",
            TrustError::NotYetValid(_) => "certificate not yet valid",
            TrustError::Revoked(_) => "certificate revoked",
            TrustError::WrongUsage(..) => "certificate not valid for this usage",
            TrustError::Invalid(..) => "certificate invalid",
            TrustError::BadAnchor(..) => "unusable CA certificate",
            TrustError::BadCrl(..) => "malformed revocation list",
            TrustError::NotAnnounced(_) => "node certificate not announced in the directory",
        }
    }
}

/// How long, either side of a switch-over, both the old and the new node
/// certificate are accepted: clocks differ, and messages are in flight.
pub const ROTATION_GRACE: time::Duration = time::Duration::hours(24);

/// The node certificates a participant's directory entry announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncedLeaves {
    pub current: Vec<u8>,
    pub next: Option<(Vec<u8>, OffsetDateTime)>,
}

impl AnnouncedLeaves {
    /// Whether `leaf` may be used at `at`: the current certificate until the
    /// switch-over (plus grace), the next one from the switch-over (less grace).
    pub fn allows(&self, leaf: &[u8], at: OffsetDateTime) -> bool {
        // Saturating: an entry may announce a switch-over at the end of time.
        let current_ok = leaf == self.current.as_slice()
            && self
                .next
                .as_ref()
                .is_none_or(|(_, from)| at < from.saturating_add(ROTATION_GRACE));
        let next_ok = self.next.as_ref().is_some_and(|(next, from)| {
            leaf == next.as_slice() && at >= from.saturating_sub(ROTATION_GRACE)
        });
        current_ok || next_ok
    }
}

/// Which extended key usage a certificate must allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Usage {
    Client,
    Server,
}

struct Pinned {
    ca_der: CertificateDer<'static>,
    anchor: rustls::pki_types::TrustAnchor<'static>,
    crl: Option<PinnedCrl>,
}

struct PinnedCrl {
    list: OwnedCertRevocationList,
    issued: CrlIssue,
    der: Vec<u8>,
}

/// Where a revocation list stands in its CA's sequence: its CRL number
/// (RFC 5280 5.2.3, which `itictl cert revoke` raises at every change) and
/// its thisUpdate. A list is never replaced by an older one: a stale copy
/// (a cached directory entry, an old card) would otherwise un-revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlIssue {
    pub number: Option<Vec<u8>>,
    pub this_update: i64,
}

impl CrlIssue {
    /// Reads the CRL number and thisUpdate of a DER revocation list.
    pub fn of(der: &[u8]) -> Result<CrlIssue, String> {
        let (_, crl) = x509_parser::parse_x509_crl(der).map_err(|e| e.to_string())?;
        Ok(CrlIssue {
            number: crl.crl_number().map(|n| n.to_bytes_be()),
            this_update: crl.last_update().timestamp(),
        })
    }

    /// Whether `self` may replace `held`: a higher CRL number when both
    /// carry one, else a thisUpdate no earlier.
    pub fn supersedes(&self, held: &CrlIssue) -> bool {
        match (&self.number, &held.number) {
            (Some(new), Some(old)) => {
                let (new, old) = (strip_zeros(new), strip_zeros(old));
                (new.len(), new)
                    .cmp(&(old.len(), old))
                    .then(self.this_update.cmp(&held.this_update))
                    != std::cmp::Ordering::Less
            }
            _ => self.this_update >= held.this_update,
        }
    }
}

fn strip_zeros(n: &[u8]) -> &[u8] {
    let first = n.iter().position(|b| *b != 0).unwrap_or(n.len());
    &n[first..]
}

/// What a pin or a new revocation list did to the one held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrlChange {
    /// The given list is in force (or none was given nor held).
    Applied,
    /// The given list is older than the one held, which stays in force.
    KeptNewer,
}

/// The CAs this node trusts, each for exactly one participant. Updated live
/// when an admin adds a peer; readers take a short lock.
#[derive(Default)]
pub struct TrustStore {
    pinned: RwLock<HashMap<ParticipantId, Arc<Pinned>>>,
    /// Node certificates announced in the directory, where known: then only
    /// those are accepted for that participant's node.
    announced: RwLock<HashMap<ParticipantId, AnnouncedLeaves>>,
    /// Chains already verified, by usage and end-entity certificate. Every
    /// envelope and receipt carries its signer's certificate, the same few
    /// over and over, and building the chain (an ECDSA verification) for
    /// each was a visible share of a node's CPU under load.
    verified: Mutex<[HashMap<Vec<u8>, VerifiedChain>; 2]>,
    /// Signatures already verified, by a digest of (certificate, message,
    /// signature): one signature covers a batch of receipts, and each
    /// receipt of the batch is verified on its own.
    verified_signatures: Mutex<SignatureMemo>,
    /// How far each CA a hub introduced is trusted (`standing`).
    pub standing: super::standing::Standings,
}

/// What a full verification found, and when it holds: against the very pin
/// it was checked with (a new CA or revocation list is a new pin), at times
/// within the certificate's own validity (outside it, the full check runs
/// again and says why it fails).
struct VerifiedChain {
    pinned: Arc<Pinned>,
    identity: Identity,
    not_before: i64,
    not_after: i64,
}

/// Verified chains kept at most; the cache starts afresh when full.
const VERIFIED_CHAINS: usize = 1024;

/// Verified signatures remembered at most: the newest, as a batch's
/// receipts are verified close together.
const VERIFIED_SIGNATURES: usize = 256;

#[derive(Default)]
struct SignatureMemo {
    held: std::collections::HashSet<[u8; 32]>,
    order: std::collections::VecDeque<[u8; 32]>,
}

impl std::fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<String> = self
            .pinned
            .read()
            .map(|m| m.keys().map(|k| k.to_string()).collect())
            .unwrap_or_default();
        f.debug_struct("TrustStore").field("pinned", &keys).finish()
    }
}

fn to_unix(t: OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        t.unix_timestamp().max(0) as u64
    ))
}

impl TrustStore {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Pins `ca_der` as the only CA for `participant`, replacing any earlier
    /// pin. The same CA pinned again keeps the newest revocation list known
    /// for it: a list given here replaces the one held only if it is not
    /// older (`CrlIssue::supersedes`), and none given keeps the one held.
    /// Another CA starts with the list given (a list is its CA's own).
    pub fn pin(
        &self,
        participant: &ParticipantId,
        ca_der: CertificateDer<'static>,
        crl: Option<CertificateRevocationListDer<'static>>,
    ) -> Result<CrlChange, TrustError> {
        let anchor = webpki::anchor_from_trusted_cert(&ca_der)
            .map_err(|e| TrustError::BadAnchor(participant.clone(), format!("{e:?}")))?
            .to_owned();
        let crl = crl
            .map(|der| {
                let bad = |e: String| TrustError::BadCrl(participant.clone(), e);
                Ok::<_, TrustError>(PinnedCrl {
                    list: OwnedCertRevocationList::from_der(der.as_ref())
                        .map_err(|e| bad(format!("{e:?}")))?,
                    issued: CrlIssue::of(der.as_ref()).map_err(bad)?,
                    der: der.to_vec(),
                })
            })
            .transpose()?;
        let mut pins = self.pinned.write().unwrap_or_else(|e| e.into_inner());
        let held = pins.get(participant).filter(|p| p.ca_der == ca_der);
        let keep_held = match (held.and_then(|p| p.crl.as_ref()), &crl) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(old), Some(new)) => !new.issued.supersedes(&old.issued),
        };
        if keep_held {
            return Ok(if crl.is_some() {
                CrlChange::KeptNewer
            } else {
                CrlChange::Applied
            });
        }
        if held.is_some_and(|p| p.crl.as_ref().map(|c| &c.der) == crl.as_ref().map(|c| &c.der)) {
            // The very same pin: keep it, and the verifications made with it.
            return Ok(CrlChange::Applied);
        }
        pins.insert(
            participant.clone(),
            Arc::new(Pinned {
                ca_der,
                anchor,
                crl,
            }),
        );
        Ok(CrlChange::Applied)
    }

    /// Gives an already pinned participant a revocation list, unless it
    /// holds a newer one.
    pub fn set_crl(
        &self,
        participant: &ParticipantId,
        crl: CertificateRevocationListDer<'static>,
    ) -> Result<CrlChange, TrustError> {
        let ca = self
            .ca_of(participant)
            .ok_or_else(|| TrustError::NotPinned(participant.clone()))?;
        self.pin(participant, ca, Some(crl))
    }

    /// The revocation list in force for `participant` (DER), if any.
    pub fn crl_of(&self, participant: &ParticipantId) -> Option<Vec<u8>> {
        self.pinned_for(participant)?
            .crl
            .as_ref()
            .map(|c| c.der.clone())
    }

    /// Restricts a participant's node to the certificates its (verified)
    /// directory entry announces.
    pub fn announce(&self, participant: &ParticipantId, leaves: AnnouncedLeaves) {
        self.announced
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(participant.clone(), leaves);
    }

    /// A newer entry announces no node certificate: any its CA issued is
    /// accepted again (the CA's own statement, signed like the last).
    pub fn forget_announced(&self, participant: &ParticipantId) {
        self.announced
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(participant);
    }

    pub fn ca_of(&self, participant: &ParticipantId) -> Option<CertificateDer<'static>> {
        self.pinned
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(participant)
            .map(|p| p.ca_der.clone())
    }

    pub fn is_pinned(&self, participant: &ParticipantId) -> bool {
        self.pinned
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(participant)
    }

    pub fn participants(&self) -> Vec<ParticipantId> {
        let mut v: Vec<_> = self
            .pinned
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// Verifies `cert` (with any `intermediates`) against the CA pinned for the
    /// participant it names, at time `at`, and returns its identity.
    pub fn verify(
        &self,
        cert: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        usage: Usage,
        at: OffsetDateTime,
    ) -> Result<Identity, TrustError> {
        let identity = match self.already_verified(cert, intermediates, usage, at) {
            Some(identity) => identity,
            None => self.verify_chain(cert, intermediates, usage, at)?,
        };
        if let Identity::Node(p) = &identity
            && let Some(leaves) = self
                .announced
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(p)
            && !leaves.allows(cert.as_ref(), at)
        {
            return Err(TrustError::NotAnnounced(p.clone()));
        }
        Ok(identity)
    }

    /// Whether the signature `fact` digests was verified here before. A
    /// signature's validity is a fact about its bytes alone: whether its
    /// signer is trusted, and when, is checked apart, each time.
    pub fn signature_verified_before(&self, fact: &[u8; 32]) -> bool {
        self.verified_signatures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .held
            .contains(fact)
    }

    /// Remembers a signature verified (see `signature_verified_before`).
    pub fn remember_verified_signature(&self, fact: [u8; 32]) {
        let mut memo = self
            .verified_signatures
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !memo.held.insert(fact) {
            return;
        }
        memo.order.push_back(fact);
        if memo.order.len() > VERIFIED_SIGNATURES
            && let Some(oldest) = memo.order.pop_front()
        {
            memo.held.remove(&oldest);
        }
    }

    fn pinned_for(&self, participant: &ParticipantId) -> Option<Arc<Pinned>> {
        self.pinned
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(participant)
            .cloned()
    }

    /// The identity of a chain verified before, if that verification still
    /// holds for `at`.
    fn already_verified(
        &self,
        cert: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        usage: Usage,
        at: OffsetDateTime,
    ) -> Option<Identity> {
        if !intermediates.is_empty() {
            return None;
        }
        let verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        let hit = verified[usage as usize].get(cert.as_ref())?;
        let current = self.pinned_for(hit.identity.participant())?;
        let secs = to_unix(at).as_secs() as i64;
        (Arc::ptr_eq(&current, &hit.pinned) && hit.not_before <= secs && secs <= hit.not_after)
            .then(|| hit.identity.clone())
    }

    /// The full check: the chain to the pinned CA, validity at `at`, usage
    /// and revocation. A success is remembered.
    fn verify_chain(
        &self,
        cert: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        usage: Usage,
        at: OffsetDateTime,
    ) -> Result<Identity, TrustError> {
        let identity = Identity::from_certificate_der(cert)?;
        let participant = identity.participant().clone();
        let pinned = self
            .pinned_for(&participant)
            .ok_or_else(|| TrustError::NotPinned(participant.clone()))?;

        let ee = EndEntityCert::try_from(cert)
            .map_err(|e| TrustError::Invalid(participant.clone(), format!("{e:?}")))?;
        let crls: Vec<CertRevocationList<'_>> = pinned
            .crl
            .iter()
            .map(|c| CertRevocationList::from(c.list.clone()))
            .collect();
        let crl_refs: Vec<&CertRevocationList<'_>> = crls.iter().collect();
        let revocation = RevocationOptionsBuilder::new(&crl_refs).ok().map(|b| {
            b.with_depth(RevocationCheckDepth::EndEntity)
                .with_status_policy(UnknownStatusPolicy::Allow)
                .build()
        });
        let eku = match usage {
            Usage::Client => KeyUsage::client_auth(),
            Usage::Server => KeyUsage::server_auth(),
        };
        let algs = rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .all;
        ee.verify_for_usage(
            algs,
            std::slice::from_ref(&pinned.anchor),
            intermediates,
            to_unix(at),
            eku,
            revocation,
            None,
        )
        .map_err(|e| classify(&participant, usage, e))?;
        if intermediates.is_empty()
            && let Ok((_, parsed)) = x509_parser::parse_x509_certificate(cert.as_ref())
        {
            let validity = parsed.validity();
            let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
            let verified = &mut verified[usage as usize];
            if verified.len() >= VERIFIED_CHAINS {
                verified.clear();
            }
            verified.insert(
                cert.as_ref().to_vec(),
                VerifiedChain {
                    pinned,
                    identity: identity.clone(),
                    not_before: validity.not_before.timestamp(),
                    not_after: validity.not_after.timestamp(),
                },
            );
        }
        Ok(identity)
    }
}

fn classify(p: &ParticipantId, usage: Usage, e: webpki::Error) -> TrustError {
    use webpki::Error as E;
    match e {
        E::CertExpired { .. } => TrustError::Expired(p.clone()),
        E::CertNotValidYet { .. } => TrustError::NotYetValid(p.clone()),
        E::CertRevoked => TrustError::Revoked(p.clone()),
        E::UnknownIssuer | E::InvalidSignatureForPublicKey => TrustError::WrongCa(p.clone()),
        E::RequiredEkuNotFoundContext(_) => TrustError::WrongUsage(
            p.clone(),
            match usage {
                Usage::Client => "client authentication",
                Usage::Server => "server authentication",
            },
        ),
        other => TrustError::Invalid(p.clone(), format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_certificates_overlap_around_the_switch_over() {
        let t = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let a = AnnouncedLeaves {
            current: vec![1],
            next: Some((vec![2], t)),
        };
        let h = time::Duration::hours(1);
        assert!(a.allows(&[1], t - ROTATION_GRACE - h));
        assert!(!a.allows(&[2], t - ROTATION_GRACE - h));
        assert!(a.allows(&[1], t) && a.allows(&[2], t));
        assert!(!a.allows(&[1], t + ROTATION_GRACE + h));
        assert!(a.allows(&[2], t + ROTATION_GRACE + h));
        assert!(!a.allows(&[3], t));
        // A switch-over at either end of time neither panics nor opens a gap.
        for end in [
            OffsetDateTime::new_utc(time::Date::MAX, time::Time::from_hms(23, 59, 59).unwrap()),
            OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT),
        ] {
            let a = AnnouncedLeaves {
                current: vec![1],
                next: Some((vec![2], end)),
            };
            assert!(a.allows(&[1], t) != a.allows(&[2], t));
        }
        let only = AnnouncedLeaves {
            current: vec![1],
            next: None,
        };
        assert!(only.allows(&[1], t) && !only.allows(&[2], t));
    }
    use crate::identity::pki::{Validity, create_ca, issue};

    fn der(pem: &str) -> CertificateDer<'static> {
        use rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
    }

    #[test]
    fn a_ca_vouches_only_for_the_participant_it_is_pinned_to() {
        let now = OffsetDateTime::now_utc();
        let gha: ParticipantId = "GHA".parse().unwrap();
        let nga: ParticipantId = "NGA".parse().unwrap();
        let gha_ca = create_ca(&gha, Validity::days_from(now, 30)).unwrap();
        let nga_ca = create_ca(&nga, Validity::days_from(now, 30)).unwrap();
        let trust = TrustStore::new();
        trust.pin(&gha, der(&gha_ca.cert_pem), None).unwrap();
        trust.pin(&nga, der(&nga_ca.cert_pem), None).unwrap();

        let good = issue(
            &gha_ca,
            &Identity::Node(gha.clone()),
            Validity::days_from(now, 1),
        )
        .unwrap();
        assert_eq!(
            trust
                .verify(&der(&good.cert_pem), &[], Usage::Client, now)
                .unwrap(),
            Identity::Node(gha.clone())
        );
        // Ghana's CA issuing a certificate that claims to be Nigeria.
        let forged = issue(
            &gha_ca,
            &Identity::Node(nga.clone()),
            Validity::days_from(now, 1),
        )
        .unwrap();
        assert_eq!(
            trust.verify(&der(&forged.cert_pem), &[], Usage::Client, now),
            Err(TrustError::WrongCa(nga))
        );
        let expired = issue(
            &gha_ca,
            &Identity::Node(gha.clone()),
            Validity {
                not_before: now - time::Duration::days(3),
                not_after: now - time::Duration::days(1),
            },
        )
        .unwrap();
        assert_eq!(
            trust.verify(&der(&expired.cert_pem), &[], Usage::Client, now),
            Err(TrustError::Expired(gha))
        );
    }

    #[test]
    fn a_remembered_verification_holds_only_while_its_pin_and_validity_do() {
        use crate::identity::pki::{create_crl, serial_of};
        use rustls::pki_types::pem::PemObject;
        let now = OffsetDateTime::now_utc();
        let gha: ParticipantId = "GHA".parse().unwrap();
        let ca = create_ca(&gha, Validity::days_from(now, 30)).unwrap();
        let trust = TrustStore::new();
        trust.pin(&gha, der(&ca.cert_pem), None).unwrap();
        let leaf = issue(
            &ca,
            &Identity::Node(gha.clone()),
            Validity::days_from(now, 1),
        )
        .unwrap();
        let cert = der(&leaf.cert_pem);
        for _ in 0..2 {
            assert_eq!(
                trust.verify(&cert, &[], Usage::Client, now),
                Ok(Identity::Node(gha.clone()))
            );
        }
        assert_eq!(
            trust.verify(&cert, &[], Usage::Client, now + time::Duration::days(3)),
            Err(TrustError::Expired(gha.clone()))
        );
        assert!(trust.verify(&cert, &[], Usage::Client, now).is_ok());

        // A revocation list arrives: refused at once.
        let crl = create_crl(
            &ca,
            &[serial_of(cert.as_ref()).unwrap()],
            1,
            now,
            now + time::Duration::days(7),
        )
        .unwrap();
        trust
            .set_crl(
                &gha,
                CertificateRevocationListDer::from_pem_slice(crl.as_bytes()).unwrap(),
            )
            .unwrap();
        assert_eq!(
            trust.verify(&cert, &[], Usage::Client, now),
            Err(TrustError::Revoked(gha.clone()))
        );

        // Another CA pinned for the participant: refused.
        let other = issue(
            &ca,
            &Identity::Node(gha.clone()),
            Validity::days_from(now, 1),
        )
        .unwrap();
        let other = der(&other.cert_pem);
        assert!(trust.verify(&other, &[], Usage::Client, now).is_ok());
        let new_ca = create_ca(&gha, Validity::days_from(now, 30)).unwrap();
        trust.pin(&gha, der(&new_ca.cert_pem), None).unwrap();
        assert_eq!(
            trust.verify(&other, &[], Usage::Client, now),
            Err(TrustError::WrongCa(gha))
        );
    }

    #[test]
    fn a_revocation_list_is_never_replaced_by_an_older_one() {
        use crate::identity::pki::{create_crl, serial_of};
        use rustls::pki_types::pem::PemObject;
        let now = OffsetDateTime::now_utc();
        let gha: ParticipantId = "GHA".parse().unwrap();
        let ca = create_ca(&gha, Validity::days_from(now, 30)).unwrap();
        let ca_der = der(&ca.cert_pem);
        let leaf = issue(
            &ca,
            &Identity::Node(gha.clone()),
            Validity::days_from(now, 1),
        )
        .unwrap();
        let cert = der(&leaf.cert_pem);
        let crl = |revoked: &[Vec<u8>], number: u64, at: OffsetDateTime| {
            let pem = create_crl(&ca, revoked, number, at, at + time::Duration::days(7)).unwrap();
            CertificateRevocationListDer::from_pem_slice(pem.as_bytes()).unwrap()
        };
        let empty = crl(&[], 1, now - time::Duration::hours(2));
        let revoking = crl(&[serial_of(cert.as_ref()).unwrap()], 2, now);
        let trust = TrustStore::new();
        trust
            .pin(&gha, ca_der.clone(), Some(revoking.clone()))
            .unwrap();
        let revoked = Err(TrustError::Revoked(gha.clone()));
        assert_eq!(trust.verify(&cert, &[], Usage::Client, now), revoked);

        // An older list (a cached directory entry, an old card), at run
        // time or pinned again with the CA: the newer one stays.
        assert_eq!(trust.set_crl(&gha, empty.clone()), Ok(CrlChange::KeptNewer));
        assert_eq!(trust.verify(&cert, &[], Usage::Client, now), revoked);
        assert_eq!(
            trust.pin(&gha, ca_der.clone(), Some(empty.clone())),
            Ok(CrlChange::KeptNewer)
        );
        assert_eq!(
            trust.pin(&gha, ca_der.clone(), None),
            Ok(CrlChange::Applied)
        );
        assert_eq!(trust.verify(&cert, &[], Usage::Client, now), revoked);
        assert_eq!(trust.crl_of(&gha), Some(revoking.to_vec()));

        // In the other order, the newer list replaces the older.
        let fresh = TrustStore::new();
        fresh.pin(&gha, ca_der.clone(), Some(empty)).unwrap();
        assert!(fresh.verify(&cert, &[], Usage::Client, now).is_ok());
        assert_eq!(fresh.set_crl(&gha, revoking), Ok(CrlChange::Applied));
        assert_eq!(fresh.verify(&cert, &[], Usage::Client, now), revoked);

        // Another CA for the participant does not inherit the list.
        let other = create_ca(&gha, Validity::days_from(now, 30)).unwrap();
        fresh.pin(&gha, der(&other.cert_pem), None).unwrap();
        assert_eq!(fresh.crl_of(&gha), None);
    }

    #[test]
    fn crl_numbers_order_before_issue_times() {
        let at = |number: Option<&[u8]>, this_update| CrlIssue {
            number: number.map(<[u8]>::to_vec),
            this_update,
        };
        assert!(at(Some(&[2]), 10).supersedes(&at(Some(&[1]), 20)));
        assert!(!at(Some(&[1]), 20).supersedes(&at(Some(&[2]), 10)));
        assert!(at(Some(&[1, 0]), 0).supersedes(&at(Some(&[0, 0xff]), 0)));
        assert!(at(Some(&[1]), 10).supersedes(&at(Some(&[1]), 10)));
        assert!(!at(Some(&[1]), 9).supersedes(&at(Some(&[1]), 10)));
        assert!(at(None, 10).supersedes(&at(Some(&[5]), 9)));
        assert!(!at(None, 8).supersedes(&at(Some(&[5]), 9)));
    }
}
