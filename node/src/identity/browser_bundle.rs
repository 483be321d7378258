//! An officer's certificate, key and CA as a password-protected PKCS#12
//! file for a browser (the console's mutual TLS). Written by `itictl cert
//! issue --officer --p12` and by `iti-node demo --serve`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

use crate::identity::pki::{self, KeyedCert};

/// The officer's certificate, its key and the state's CA, as a PKCS#12
/// file a browser imports (PBES2 with AES-256 and an HMAC-SHA-256 MAC,
/// which Firefox, Chromium and OpenSSL 3 read).
pub fn browser_bundle(
    officer: &KeyedCert,
    ca: &KeyedCert,
    password: &str,
) -> anyhow::Result<Vec<u8>> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    let key = match PrivateKeyDer::from_pem_slice(officer.key_pem.expose().as_bytes()) {
        Ok(PrivateKeyDer::Pkcs8(k)) => PrivateKey::from_der(k.secret_pkcs8_der())?,
        _ => bail!("the officer's key is not a PKCS#8 private key"),
    };
    let leaf = Certificate::from_der(&officer.cert_der()?)?;
    let root = Certificate::from_der(&ca.cert_der()?)?;
    let key_id = pki::fingerprint(leaf.as_der());
    let mut store = KeyStore::new();
    store.add_entry(
        "iti-officer",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(key_id, key, [leaf, root])),
    );
    Ok(store.writer(password).write()?)
}

/// 20 characters from an alphabet without look-alikes (about 99 bits).
pub fn make_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    (0..20)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Writes the PKCS#12 file, readable by its owner only; never overwrites.
pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::pki::Validity;
    use crate::identity::{Identity, Role};
    use crate::ids::ParticipantId;
    use time::OffsetDateTime;

    #[test]
    fn the_browser_bundle_holds_the_officer_key_and_chain_under_its_password() {
        let now = OffsetDateTime::now_utc();
        let gha: ParticipantId = "GHA".parse().unwrap();
        let ca = pki::create_ca(&gha, Validity::days_from(now, 30)).unwrap();
        let identity = Identity::officer(gha, Role::Poc, "ama.owusu").unwrap();
        let officer = pki::issue(&ca, &identity, Validity::days_from(now, 30)).unwrap();
        let bytes = browser_bundle(&officer, &ca, "correct horse battery").unwrap();

        let store = p12_keystore::KeyStore::from_pkcs12(
            &bytes,
            "correct horse battery",
            p12_keystore::Pkcs12ImportPolicy::Strict,
        )
        .unwrap();
        let (_, chain) = store.private_key_chain().expect("a key entry");
        assert_eq!(
            chain.certs()[0].as_der(),
            officer.cert_der().unwrap().as_ref()
        );
        assert_eq!(chain.certs()[1].as_der(), ca.cert_der().unwrap().as_ref());
        assert!(
            p12_keystore::KeyStore::from_pkcs12(
                &bytes,
                "wrong password",
                p12_keystore::Pkcs12ImportPolicy::Strict
            )
            .is_err()
        );
    }

    #[test]
    fn a_made_password_is_long_and_unambiguous() {
        let p = make_password();
        assert_eq!(p.len(), 20);
        assert!(!p.contains(['0', 'O', 'o', '1', 'l', 'I']));
        assert_ne!(p, make_password());
    }
}
