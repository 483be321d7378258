//! What a running node takes up again without a restart: its own CA's
//! revocation list (`tls.crl`). An admin revokes an officer's certificate
//! with `itictl cert revoke`, which rewrites the CA's `crl.pem`; sending the
//! node SIGHUP (`systemctl reload`, `kill -HUP`) makes it read the file
//! again, and the revoked certificate is refused at its next handshake, on
//! both ports. A list older than the one in force is not taken
//! (`TrustStore::pin`).

use std::path::PathBuf;
use std::sync::Arc;

use crate::identity::pki::{self, PkiError};
use crate::identity::trust::{CrlChange, TrustError};
use crate::service::Node;

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("tls.crl: {0}")]
    Read(#[from] PkiError),
    #[error("tls.crl: {0}")]
    Refused(#[from] TrustError),
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reloaded {
    /// No `tls.crl` is configured: nothing to read.
    NoCrlConfigured,
    /// The list in the file is in force (it may be the same as before).
    Applied(PathBuf),
    /// The file holds a list older than the one in force, which stays.
    KeptNewer(PathBuf),
}

/// Reads the node's own revocation list again and puts it in force on both
/// ports (peers' certificates and officers' are checked against it).
pub fn reload_own_crl(node: &Node) -> Result<Reloaded, ReloadError> {
    let Some(path) = node.config.crl.clone() else {
        return Ok(Reloaded::NoCrlConfigured);
    };
    let crl = pki::read_crl_der(&path)?;
    let mut kept_newer = false;
    for trust in [&node.trust, &node.local_trust] {
        kept_newer |= trust.set_crl(node.participant(), crl.clone())? == CrlChange::KeptNewer;
    }
    Ok(if kept_newer {
        Reloaded::KeptNewer(path)
    } else {
        Reloaded::Applied(path)
    })
}

/// Reloads the own revocation list at every SIGHUP until `shutdown`. The
/// handler is installed before this returns, so a SIGHUP sent as soon as
/// the node says it is ready reloads rather than ends the process.
pub fn reload_on_hangup(
    node: Arc<Node>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                received = hangups.recv() => if received.is_none() { return },
                _ = shutdown.wait_for(|s| *s) => return,
            }
            match reload_own_crl(&node) {
                Ok(Reloaded::NoCrlConfigured) => {
                    tracing::info!("SIGHUP: no tls.crl configured, nothing to reload")
                }
                Ok(Reloaded::Applied(path)) => {
                    tracing::info!(crl = %path.display(), "SIGHUP: revocation list reloaded")
                }
                Ok(Reloaded::KeptNewer(path)) => tracing::warn!(
                    crl = %path.display(),
                    "SIGHUP: the file holds an older revocation list than the one in force; kept the newer"
                ),
                Err(e) => tracing::warn!(error = %e, "SIGHUP: revocation list not reloaded"),
            }
        }
    }))
}
