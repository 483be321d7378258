//! The national PKI: each participant runs its own CA (there is no global CA:
//! states will not trust one someone else runs). Used by `itictl ca` and
//! `itictl cert`, by the demo and by the test harness.

use std::fmt;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime};

use super::Identity;
use crate::ids::ParticipantId;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{what} {path}: {reason}")]
    File {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("invalid validity: {0}")]
    Validity(String),
    #[error("certificate names: {0}")]
    Names(String),
}

impl PkiError {
    fn file(what: &'static str, path: &Path, reason: impl fmt::Display) -> Self {
        PkiError::File {
            what,
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
}

/// A private key in PEM. Never printed.
#[derive(Clone)]
pub struct SecretPem(String);

impl SecretPem {
    pub fn new(pem: String) -> Self {
        SecretPem(pem)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretPem(..)")
    }
}

/// A certificate with its private key, both PEM.
#[derive(Debug, Clone)]
pub struct KeyedCert {
    pub cert_pem: String,
    pub key_pem: SecretPem,
}

impl KeyedCert {
    pub fn cert_der(&self) -> Result<CertificateDer<'static>, PkiError> {
        CertificateDer::from_pem_slice(self.cert_pem.as_bytes())
            .map_err(|e| PkiError::file("certificate", Path::new("<memory>"), e))
    }
}

/// Validity window of a certificate.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// From now (less an hour of clock skew) for `days`.
    pub fn days_from(now: OffsetDateTime, days: i64) -> Self {
        Validity {
            not_before: now - Duration::hours(1),
            not_after: now + Duration::days(days),
        }
    }
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f; // positive INTEGER
    SerialNumber::from_slice(&bytes)
}

fn participant_kind(p: &ParticipantId) -> &'static str {
    match p {
        ParticipantId::State(_) => "national",
        ParticipantId::Hub(_) => "hub",
        ParticipantId::Panel(_) => "panel",
    }
}

/// Creates a participant's own CA: a self-signed root that may sign only
/// end-entity certificates (path length 0).
pub fn create_ca(participant: &ParticipantId, validity: Validity) -> Result<KeyedCert, PkiError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        format!(
            "ITI Exchange {} CA {participant}",
            participant_kind(participant)
        ),
    );
    dn.push(
        DnType::OrganizationName,
        format!("ITI Exchange {participant}"),
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.serial_number = Some(random_serial());
    params.key_identifier_method = KeyIdMethod::Sha256;
    let cert = params.self_signed(&key)?;
    Ok(KeyedCert {
        cert_pem: cert.pem(),
        key_pem: SecretPem(key.serialize_pem()),
    })
}

fn load_issuer(ca: &KeyedCert) -> Result<Issuer<'static, KeyPair>, PkiError> {
    let key = KeyPair::from_pem(ca.key_pem.expose())?;
    Ok(Issuer::from_ca_cert_pem(&ca.cert_pem, key)?)
}

/// The host names and addresses a node's certificate carries beside its
/// identity URI. Our own peers identify a node by the URI alone; stock TLS
/// clients (grpcurl, grpcio, a browser) check the name they dialled against
/// DNS and IP names, and send it as SNI, which rustls accepts only if it is
/// a valid host name (so a client told to expect the certificate's common
/// name, which has spaces, was refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointNames {
    dns: Vec<String>,
    ips: Vec<std::net::IpAddr>,
}

impl EndpointNames {
    /// `localhost` and 127.0.0.1: a node reached on the machine it runs on
    /// (the default of `itictl cert issue node`, the demo and the tests).
    pub fn loopback() -> Self {
        EndpointNames {
            dns: vec!["localhost".into()],
            ips: vec![std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
        }
    }

    /// Checks each DNS name (a host name, lower-cased; a leading `*.` for a
    /// wildcard is not allowed) and that at least one name is given.
    pub fn try_new(dns: Vec<String>, ips: Vec<std::net::IpAddr>) -> Result<Self, PkiError> {
        let mut names = Vec::with_capacity(dns.len());
        for name in dns {
            let name = name.trim().to_ascii_lowercase();
            if rustls::pki_types::DnsName::try_from(name.as_str()).is_err() || name.contains('*') {
                return Err(PkiError::Names(format!("{name:?} is not a host name")));
            }
            names.push(name);
        }
        if names.is_empty() && ips.is_empty() {
            return Err(PkiError::Names(
                "give at least one DNS name or IP address".into(),
            ));
        }
        Ok(EndpointNames { dns: names, ips })
    }

    fn san(&self) -> Result<Vec<SanType>, PkiError> {
        let mut out = Vec::new();
        for name in &self.dns {
            out.push(SanType::DnsName(name.as_str().try_into()?));
        }
        out.extend(self.ips.iter().map(|ip| SanType::IpAddress(*ip)));
        Ok(out)
    }
}

/// Issues a node or officer certificate from a participant's CA. Nodes get
/// server and client authentication and the loopback names
/// (`EndpointNames::loopback`); officers client authentication only.
pub fn issue(
    ca: &KeyedCert,
    identity: &Identity,
    validity: Validity,
) -> Result<KeyedCert, PkiError> {
    issue_with_names(ca, identity, &EndpointNames::loopback(), validity)
}

/// [`issue`], a node certificate carrying `names` (officers' certificates
/// carry none).
pub fn issue_with_names(
    ca: &KeyedCert,
    identity: &Identity,
    names: &EndpointNames,
    validity: Validity,
) -> Result<KeyedCert, PkiError> {
    if validity.not_after <= validity.not_before {
        return Err(PkiError::Validity(
            "not_after must be after not_before".into(),
        ));
    }
    let issuer = load_issuer(ca)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    let (cn, ekus) = match identity {
        Identity::Node(p) => (
            format!("ITI Exchange node {p}"),
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
        ),
        Identity::Officer(o) => (
            format!("{} ({}, {})", o.name, o.role, o.participant),
            vec![ExtendedKeyUsagePurpose::ClientAuth],
        ),
    };
    dn.push(DnType::CommonName, cn);
    dn.push(
        DnType::OrganizationName,
        format!("ITI Exchange {}", identity.participant()),
    );
    params.distinguished_name = dn;
    params.subject_alt_names = vec![SanType::URI(identity.to_uri().try_into()?)];
    if let Identity::Node(_) = identity {
        params.subject_alt_names.extend(names.san()?);
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = ekus;
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.serial_number = Some(random_serial());
    params.use_authority_key_identifier_extension = true;
    params.key_identifier_method = KeyIdMethod::Sha256;
    let cert = params.signed_by(&key, &issuer)?;
    Ok(KeyedCert {
        cert_pem: cert.pem(),
        key_pem: SecretPem(key.serialize_pem()),
    })
}

/// Serial number (big-endian bytes) of a certificate, for revocation.
pub fn serial_of(cert_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| PkiError::file("certificate", Path::new("<memory>"), e))?;
    Ok(cert.tbs_certificate.raw_serial().to_vec())
}

/// Signs a revocation list for `revoked` serial numbers.
pub fn create_crl(
    ca: &KeyedCert,
    revoked: &[Vec<u8>],
    crl_number: u64,
    now: OffsetDateTime,
    next_update: OffsetDateTime,
) -> Result<String, PkiError> {
    let issuer = load_issuer(ca)?;
    let params = CertificateRevocationListParams {
        this_update: now,
        next_update,
        crl_number: SerialNumber::from_slice(&crl_number.to_be_bytes()),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: SerialNumber::from_slice(serial),
                revocation_time: now,
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    Ok(params.signed_by(&issuer)?.pem()?)
}

// ---------------------------------------------------------------- files

fn read_text(what: &'static str, path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => "not found".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        PkiError::file(what, path, reason)
    })
}

pub fn read_cert_pem(path: &Path) -> Result<String, PkiError> {
    let text = read_text("certificate file", path)?;
    CertificateDer::from_pem_slice(text.as_bytes())
        .map_err(|_| PkiError::file("certificate file", path, "no PEM certificate in it"))?;
    Ok(text)
}

pub fn read_cert_der(path: &Path) -> Result<CertificateDer<'static>, PkiError> {
    let text = read_text("certificate file", path)?;
    CertificateDer::from_pem_slice(text.as_bytes())
        .map_err(|_| PkiError::file("certificate file", path, "no PEM certificate in it"))
}

pub fn read_key_pem(path: &Path) -> Result<SecretPem, PkiError> {
    let text = read_text("key file", path)?;
    PrivateKeyDer::from_pem_slice(text.as_bytes())
        .map_err(|_| PkiError::file("key file", path, "no PEM private key in it"))?;
    Ok(SecretPem(text))
}

pub fn read_crl_der(path: &Path) -> Result<CertificateRevocationListDer<'static>, PkiError> {
    let text = read_text("revocation list", path)?;
    CertificateRevocationListDer::from_pem_slice(text.as_bytes())
        .map_err(|_| PkiError::file("revocation list", path, "no PEM CRL in it"))
}

pub fn read_keyed(cert: &Path, key: &Path) -> Result<KeyedCert, PkiError> {
    Ok(KeyedCert {
        cert_pem: read_cert_pem(cert)?,
        key_pem: read_key_pem(key)?,
    })
}

/// Writes a public file (certificate, card).
pub fn write_public(path: &Path, contents: &str) -> Result<(), PkiError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| PkiError::file("directory", dir, e))?;
    }
    std::fs::write(path, contents).map_err(|e| PkiError::file("file", path, e))
}

/// Writes a private key readable by its owner only.
pub fn write_secret(path: &Path, key: &SecretPem) -> Result<(), PkiError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| PkiError::file("directory", dir, e))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| PkiError::file("key file", path, e))?;
    f.write_all(key.expose().as_bytes())
        .map_err(|e| PkiError::file("key file", path, e))
}

/// Writes `cert.pem` and `key.pem` into `dir`.
pub fn write_keyed(dir: &Path, keyed: &KeyedCert) -> Result<(), PkiError> {
    write_public(&dir.join("cert.pem"), &keyed.cert_pem)?;
    write_secret(&dir.join("key.pem"), &keyed.key_pem)
}

/// Lower-case hex SHA-256 of a DER certificate: how CAs are shown to admins.
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(der))
}

/// When a certificate expires (none: unreadable).
pub fn not_after(der: &[u8]) -> Option<OffsetDateTime> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.validity().not_after.to_datetime())
}

/// The subject of a certificate, for display.
pub fn subject_of(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_else(|_| "<unparseable>".into())
}

/// What `itictl cert show` says of a certificate, worded by the reader's
/// catalog: facts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub serial: String,
    /// DNS names and IP addresses (a node's endpoint).
    pub names: Vec<String>,
    /// Extended key usages, when the certificate names them.
    pub usages: Option<Usages>,
    pub ca: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usages {
    pub server_auth: bool,
    pub client_auth: bool,
}

/// Issuer, validity, names, usages and serial of a certificate.
pub fn describe(der: &[u8]) -> Result<CertFacts, PkiError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| PkiError::file("certificate", Path::new("<memory>"), e))?;
    let usages = cert.extended_key_usage().ok().flatten().map(|eku| Usages {
        server_auth: eku.value.server_auth,
        client_auth: eku.value.client_auth,
    });
    Ok(CertFacts {
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.to_string(),
        not_after: cert.validity().not_after.to_string(),
        serial: hex::encode(cert.tbs_certificate.raw_serial()),
        names: endpoint_names(&cert),
        usages,
        ca: cert.is_ca(),
    })
}

fn endpoint_names(cert: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    use x509_parser::extensions::GeneralName;
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return vec![];
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.to_string()),
            GeneralName::IPAddress(ip) => ip_text(ip),
            _ => None,
        })
        .collect()
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?).to_string()),
        16 => Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?).to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_certificates_carry_their_endpoint_names_and_officers_none() {
        let now = OffsetDateTime::now_utc();
        let gha: ParticipantId = "GHA".parse().unwrap();
        let ca = create_ca(&gha, Validity::days_from(now, 10)).unwrap();
        let names = EndpointNames::try_new(
            vec!["Node.GHA.example".into()],
            vec!["192.0.2.7".parse().unwrap()],
        )
        .unwrap();
        let node = issue_with_names(
            &ca,
            &Identity::Node(gha.clone()),
            &names,
            Validity::days_from(now, 1),
        )
        .unwrap();
        let shown = describe(&node.cert_der().unwrap()).unwrap();
        assert_eq!(shown.names, ["node.gha.example", "192.0.2.7"], "{shown:?}");
        let officer = issue(
            &ca,
            &Identity::officer(gha, crate::identity::Role::Poc, "a").unwrap(),
            Validity::days_from(now, 1),
        )
        .unwrap();
        assert!(
            describe(&officer.cert_der().unwrap())
                .unwrap()
                .names
                .is_empty()
        );
        for bad in ["bad name", "*.gha.example", ""] {
            assert!(
                EndpointNames::try_new(vec![bad.into()], vec![]).is_err(),
                "{bad}"
            );
        }
        assert!(EndpointNames::try_new(vec![], vec![]).is_err());
    }

    #[test]
    fn issued_certificates_carry_their_identity() {
        let now = OffsetDateTime::now_utc();
        let gha: ParticipantId = "GHA".parse().unwrap();
        let ca = create_ca(&gha, Validity::days_from(now, 10)).unwrap();
        let node = issue(
            &ca,
            &Identity::Node(gha.clone()),
            Validity::days_from(now, 1),
        )
        .unwrap();
        let der = node.cert_der().unwrap();
        assert_eq!(
            Identity::from_certificate_der(&der).unwrap(),
            Identity::Node(gha)
        );
        assert!(!format!("{node:?}").contains("PRIVATE KEY"));
    }
}
