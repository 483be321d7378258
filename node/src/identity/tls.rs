//! Mutual TLS for both ports, with our own certificate checks: rustls does the
//! handshake, `TrustStore` decides. The accepted connection carries the
//! verified `Identity` into tonic as connect info, so handlers read who is
//! calling from the certificate and from nowhere else.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, ServerConfig,
    SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use super::pki::{KeyedCert, PkiError};
use super::trust::{TrustError, TrustStore, Usage};
use super::warn_limit::WarnLimiter;
use super::{Credentials, Identity};
use crate::clock::SharedClock;
use crate::ids::ParticipantId;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Who is on the other end of an accepted connection, from its verified
/// certificate.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub identity: Identity,
    pub remote: Option<SocketAddr>,
}

/// Handshakes a port refused, and why. Kept for operators (metrics, logs) and
/// for tests that check the reason of a refusal: the last 1000 certificates
/// refused with their reasons, and a count of every handshake refused since
/// start. Every refusal on the port, of a handshake or of a call, is logged
/// at WARN, rate-limited per reason (`warn_limit`).
#[derive(Debug, Default)]
pub struct Refusals {
    recent: Mutex<Vec<TrustError>>,
    total: AtomicU64,
    warnings: WarnLimiter,
}

impl Refusals {
    /// A client certificate refused during the handshake.
    pub fn record(&self, e: TrustError) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut v = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() >= 1000 {
            v.remove(0);
        }
        v.push(e);
    }

    /// A handshake refused for another reason than its certificate (none
    /// presented, too slow, too many in progress, not TLS).
    pub fn record_handshake(
        &self,
        port: &'static str,
        reason: &'static str,
        detail: &str,
        remote: SocketAddr,
    ) {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.warn(port, reason, detail, Some(remote));
    }

    /// Logs a refusal at WARN unless this reason has had its lines this
    /// second; the next line logged says how many were left out.
    pub fn warn(
        &self,
        port: &'static str,
        reason: &'static str,
        detail: &str,
        remote: Option<SocketAddr>,
    ) {
        if let Some(suppressed) = self.warnings.admit(reason, std::time::Instant::now()) {
            let remote = remote.map(|r| r.to_string()).unwrap_or_default();
            tracing::warn!(port, reason, detail, remote, suppressed, "refused");
        }
    }
    pub fn snapshot(&self) -> Vec<TrustError> {
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    /// Refusals since the node started (the snapshot keeps only the last ones).
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

fn certificate_error(e: &TrustError) -> rustls::Error {
    let ce = match e {
        TrustError::Expired(_) => CertificateError::Expired,
        TrustError::NotYetValid(_) => CertificateError::NotValidYet,
        TrustError::Revoked(_) => CertificateError::Revoked,
        TrustError::NotPinned(_) | TrustError::WrongCa(_) | TrustError::NotAnnounced(_) => {
            CertificateError::UnknownIssuer
        }
        TrustError::WrongUsage(..) => CertificateError::InvalidPurpose,
        _ => CertificateError::BadEncoding,
    };
    rustls::Error::InvalidCertificate(ce)
}

#[derive(Debug)]
struct PinnedClientVerifier {
    trust: Arc<TrustStore>,
    clock: SharedClock,
    refusals: Arc<Refusals>,
    port: &'static str,
}

impl ClientCertVerifier for PinnedClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        match self
            .trust
            .verify(end_entity, intermediates, Usage::Client, self.clock.now())
        {
            Ok(_) => Ok(ClientCertVerified::assertion()),
            Err(e) => {
                // The remote address is logged by the accept loop's debug line.
                self.refusals
                    .warn(self.port, e.kind(), &e.to_string(), None);
                let err = certificate_error(&e);
                self.refusals.record(e);
                Err(err)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Verifies a server: it must chain to the CA pinned for the participant it
/// names and, when we know whom we dialled, be that participant's node.
#[derive(Debug)]
struct PinnedServerVerifier {
    trust: Arc<TrustStore>,
    clock: SharedClock,
    expected: Option<ParticipantId>,
}

impl ServerCertVerifier for PinnedServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let identity = self
            .trust
            .verify(end_entity, intermediates, Usage::Server, self.clock.now())
            .map_err(|e| certificate_error(&e))?;
        match (&identity, &self.expected) {
            (Identity::Node(p), Some(want)) if p == want => Ok(ServerCertVerified::assertion()),
            (Identity::Node(_), None) => Ok(ServerCertVerified::assertion()),
            _ => Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Presents the certificate active at the time of each handshake.
#[derive(Debug)]
struct RotatingCert {
    current: Arc<rustls::sign::CertifiedKey>,
    next: Option<(Arc<rustls::sign::CertifiedKey>, time::OffsetDateTime)>,
    clock: SharedClock,
}

impl RotatingCert {
    fn new(own: &Credentials, clock: SharedClock) -> Result<Self, TlsSetupError> {
        let load = |k: &KeyedCert| -> Result<Arc<rustls::sign::CertifiedKey>, TlsSetupError> {
            let (chain, key) = chain_and_key(k)?;
            Ok(Arc::new(rustls::sign::CertifiedKey::from_der(
                chain,
                key,
                &provider(),
            )?))
        };
        Ok(RotatingCert {
            current: load(&own.current)?,
            next: match &own.next {
                Some((k, from)) => Some((load(k)?, *from)),
                None => None,
            },
            clock,
        })
    }

    fn pick(&self) -> Arc<rustls::sign::CertifiedKey> {
        match &self.next {
            Some((next, from)) if self.clock.now() >= *from => next.clone(),
            _ => self.current.clone(),
        }
    }
}

impl rustls::server::ResolvesServerCert for RotatingCert {
    fn resolve(
        &self,
        _hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.pick())
    }
}

impl rustls::client::ResolvesClientCert for RotatingCert {
    fn resolve(
        &self,
        _hints: &[&[u8]],
        _schemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.pick())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

fn chain_and_key(
    keyed: &KeyedCert,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), PkiError> {
    let chain = vec![keyed.cert_der()?];
    let key = PrivateKeyDer::from_pem_slice(keyed.key_pem.expose().as_bytes()).map_err(|_| {
        PkiError::File {
            what: "key",
            path: "<memory>".into(),
            reason: "no PEM private key".into(),
        }
    })?;
    Ok((chain, key))
}

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Server side of a port (`port` names it in logs): presents `own`, demands
/// a client certificate that `trust` accepts.
pub fn server_config(
    own: &Credentials,
    trust: Arc<TrustStore>,
    clock: SharedClock,
    refusals: Arc<Refusals>,
    port: &'static str,
) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let resolver = Arc::new(RotatingCert::new(own, clock.clone())?);
    let verifier = Arc::new(PinnedClientVerifier {
        trust,
        clock,
        refusals,
        port,
    });
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Client side: presents `own`, accepts a server that `trust` accepts and,
/// if given, that is `expected`.
pub fn client_config(
    own: &Credentials,
    trust: Arc<TrustStore>,
    clock: SharedClock,
    expected: Option<ParticipantId>,
) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let resolver = Arc::new(RotatingCert::new(own, clock.clone())?);
    let verifier = Arc::new(PinnedServerVerifier {
        trust,
        clock,
        expected,
    });
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

// ---------------------------------------------------------------- server

/// An accepted, authenticated connection.
pub struct AuthenticatedStream {
    inner: tokio_rustls::server::TlsStream<TcpStream>,
    peer: PeerInfo,
}

impl Connected for AuthenticatedStream {
    type ConnectInfo = PeerInfo;
    fn connect_info(&self) -> PeerInfo {
        self.peer.clone()
    }
}

impl AsyncRead for AuthenticatedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for AuthenticatedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The connections a port's accept loop hands on, their TLS handshakes
/// done and their peers verified.
pub type Incoming = ReceiverStream<Result<AuthenticatedStream, io::Error>>;

/// What the accept loop of a port allows.
#[derive(Debug, Clone)]
pub struct AcceptLimits {
    /// The port's name in logs and metrics ("federation", "local").
    pub port: &'static str,
    /// TLS handshakes in progress at once; a connection beyond them is
    /// closed at once, so that slow or idle clients cannot hold every
    /// handshake slot or exhaust memory.
    pub max_handshakes: usize,
    /// Time a client has to complete its handshake.
    pub handshake_timeout: Duration,
    pub refusals: Arc<Refusals>,
}

/// Why a handshake that rustls gave up on was refused: `None` when our
/// certificate verifier refused it (it has recorded and logged that).
fn handshake_refusal(e: &io::Error) -> Option<&'static str> {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(_)) => None,
        Some(rustls::Error::NoCertificatesPresented) => Some("no client certificate"),
        _ => Some("TLS handshake failed"),
    }
}

/// Accepts TCP connections on `listener` and completes TLS handshakes
/// concurrently (a slow client cannot hold up others), at most
/// `limits.max_handshakes` at once and each within `limits.handshake_timeout`.
/// Yields authenticated streams until `shutdown` fires.
pub fn accept_tls(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    limits: AcceptLimits,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> (Incoming, tokio::task::JoinHandle<()>) {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let in_progress = Arc::new(tokio::sync::Semaphore::new(limits.max_handshakes));
    // The handle lets the caller wait until the listener is closed (a
    // restarted node binds the same port again).
    let task = tokio::spawn(async move {
        loop {
            let (tcp, remote) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = shutdown.changed() => break,
            };
            let Ok(permit) = in_progress.clone().try_acquire_owned() else {
                // Closed at once: cheaper than a handshake, and the client
                // sees a reset rather than a hang.
                limits.refusals.record_handshake(
                    limits.port,
                    "too many TLS handshakes in progress",
                    &format!(
                        "more than {} at once (transport.max_handshakes)",
                        limits.max_handshakes
                    ),
                    remote,
                );
                drop(tcp);
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (acceptor, tx, limits) = (acceptor.clone(), tx.clone(), limits.clone());
            tokio::spawn(async move {
                let authenticated = handshake(acceptor, tcp, remote, &limits).await;
                drop(permit);
                if let Some(stream) = authenticated {
                    let _ = tx.send(Ok(stream)).await;
                }
            });
        }
    });
    (ReceiverStream::new(rx), task)
}

/// One connection's TLS handshake within `limits.handshake_timeout`, and the
/// verified identity it presented; a refusal is counted before the
/// connection closes.
async fn handshake(
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: tokio::net::TcpStream,
    remote: SocketAddr,
    limits: &AcceptLimits,
) -> Option<AuthenticatedStream> {
    // The refusal is counted before the connection is closed, so
    // a client that sees the close also sees it counted.
    let accept = acceptor.accept(tcp).into_fallible();
    tokio::pin!(accept);
    let handshake = tokio::select! {
        done = &mut accept => Some(done),
        _ = tokio::time::sleep(limits.handshake_timeout) => None,
    };
    let tls = match handshake {
        Some(Ok(tls)) => tls,
        Some(Err((e, _tcp))) => {
            tracing::debug!(%remote, error = %e, "TLS handshake refused");
            if let Some(reason) = handshake_refusal(&e) {
                limits
                    .refusals
                    .record_handshake(limits.port, reason, &e.to_string(), remote);
            }
            return None;
        }
        None => {
            limits.refusals.record_handshake(
                limits.port,
                "TLS handshake timed out",
                &format!(
                    "not completed within {:?} (transport.handshake_timeout_ms)",
                    limits.handshake_timeout
                ),
                remote,
            );
            return None;
        }
    };
    // The verifier accepted this certificate; read its identity.
    let identity = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| Identity::from_certificate_der(c));
    let Some(Ok(identity)) = identity else {
        tracing::warn!(%remote, "verified connection without a readable identity");
        return None;
    };
    let peer = PeerInfo {
        identity,
        remote: Some(remote),
    };
    Some(AuthenticatedStream { inner: tls, peer })
}

// ---------------------------------------------------------------- client

/// A gRPC channel to `endpoint` ("host:port" or "https://host:port") over
/// our mutual TLS. Connects lazily and reconnects as needed.
pub fn channel(
    endpoint: &str,
    config: Arc<ClientConfig>,
    timeout: Duration,
) -> Result<tonic::transport::Channel, String> {
    let authority = endpoint
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{authority}"))
        .map_err(|e| format!("endpoint {authority:?}: {e}"))?
        .connect_timeout(timeout)
        .timeout(timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(false);
    let connector = tls_connector(config);
    Ok(endpoint.connect_with_connector_lazy(connector))
}

type ConnectFuture = Pin<
    Box<
        dyn Future<Output = Result<TokioIo<tokio_rustls::client::TlsStream<TcpStream>>, io::Error>>
            + Send,
    >,
>;

fn tls_connector(
    config: Arc<ClientConfig>,
) -> impl tower::Service<
    tonic::transport::Uri,
    Response = TokioIo<tokio_rustls::client::TlsStream<TcpStream>>,
    Error = io::Error,
    Future = ConnectFuture,
> + Clone
+ Send
+ 'static {
    let connector = tokio_rustls::TlsConnector::from(config);
    tower::service_fn(move |uri: tonic::transport::Uri| {
        let connector = connector.clone();
        let fut: ConnectFuture = Box::pin(async move {
            let host = uri.host().unwrap_or("localhost").to_string();
            let port = uri.port_u16().unwrap_or(443);
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            let _ = tcp.set_nodelay(true);
            // Our verifier ignores the name: identity is the certificate's URI.
            let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let tls = connector.connect(name, tcp).await?;
            Ok(TokioIo::new(tls))
        });
        fut
    })
}

/// Turns the transport errors a client sees into a sentence an officer can act
/// on (rustls and hyper report "broken pipe" or "fatal alert").
pub fn explain_transport_error(status: &tonic::Status) -> Option<String> {
    use std::error::Error;
    let mut text = status.message().to_string();
    let mut source = status.source();
    while let Some(s) = source {
        // Layers often repeat their cause in their own message.
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    let lower = text.to_lowercase();
    // A node that refuses a handshake says why in a TLS alert; a connection
    // closed without one is a node that stopped (or something between us),
    // not a verdict on our certificate.
    let hint = if lower.contains("certificaterequired") {
        "the node requires a client certificate, and none was presented"
    } else if lower.contains("certificateexpired")
        || lower.contains("certificate expired")
        || lower.contains("expired") && lower.contains("cert")
    {
        "the node refused our certificate: it has expired"
    } else if lower.contains("certificaterevoked") || lower.contains("revoked") {
        "the node refused our certificate: it has been revoked"
    } else if lower.contains("unknownca")
        || lower.contains("unknown ca")
        || lower.contains("unknownissuer")
        || lower.contains("decrypterror")
        || lower.contains("badcertificate")
    {
        "the certificate was refused: it does not chain to the CA pinned for the identity it claims (wrong CA, or not a peer)"
    } else if lower.contains("notvalidforname") {
        "the server's certificate is not the node we expected"
    } else if lower.contains("received fatal alert") {
        "the node refused the TLS handshake"
    } else if lower.contains("connection refused") {
        "nothing is listening at that address (is the node running?)"
    } else if lower.contains("broken pipe")
        || lower.contains("connection closed")
        || lower.contains("connection reset")
        || lower.contains("handshake eof")
        || lower.contains("unexpected eof")
    {
        "the connection was closed during the TLS handshake with no reason given: the node \
         may have stopped or be restarting (is it running?); a node that refuses a \
         certificate says so, and counts it in its log and metrics"
    } else if lower.contains("timed out") || lower.contains("deadline") {
        "the node did not answer in time"
    } else {
        return None;
    };
    Some(format!("{hint} ({text})"))
}

/// A channel for an officer to their own node's local port: presents the
/// officer's certificate, accepts only a node certificate from the state's
/// own CA (`ca_pem`).
pub fn officer_channel(
    endpoint: &str,
    officer: &KeyedCert,
    ca_pem: &str,
    timeout: Duration,
) -> Result<tonic::transport::Channel, TlsSetupError> {
    let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).map_err(|_| {
        TlsSetupError::Pki(PkiError::File {
            what: "CA certificate",
            path: "<ca>".into(),
            reason: "no PEM certificate".into(),
        })
    })?;
    // Whose CA it is does not matter to the officer: accept whichever node
    // identity that CA vouches for.
    let ca_identity = own_participant_of_ca(&ca);
    let trust = TrustStore::new();
    let participant = ca_identity.ok_or_else(|| {
        TlsSetupError::Pki(PkiError::File {
            what: "CA certificate",
            path: "<ca>".into(),
            reason: "not an ITI Exchange CA (no participant in its organisation name)".into(),
        })
    })?;
    trust
        .pin(&participant, ca, None)
        .map_err(|e| TlsSetupError::Rustls(rustls::Error::General(e.to_string())))?;
    let config = client_config(
        &Credentials::single(officer.clone()),
        trust,
        Arc::new(crate::clock::SystemClock),
        Some(participant),
    )?;
    channel(endpoint, config, timeout).map_err(|e| TlsSetupError::Rustls(rustls::Error::General(e)))
}

/// The participant a CA certificate was made for (`ITI Exchange GHA` in its
/// organisation name, as `pki::create_ca` writes it).
pub fn own_participant_of_ca(ca: &CertificateDer<'_>) -> Option<ParticipantId> {
    let (_, cert) = x509_parser::parse_x509_certificate(ca).ok()?;
    let org = cert
        .subject()
        .iter_organization()
        .next()
        .and_then(|o| o.as_str().ok())?
        .to_string();
    org.strip_prefix("ITI Exchange ")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(message: &str) -> String {
        explain_transport_error(&tonic::Status::unavailable(message)).unwrap_or_default()
    }

    #[test]
    fn a_connection_closed_mid_handshake_is_not_taken_for_a_refused_certificate() {
        // What a client sees when the node dies during the handshake.
        for closed in [
            "tls handshake eof",
            "Connection reset by peer (os error 104)",
            "Broken pipe (os error 32)",
        ] {
            let text = explained(closed);
            assert!(text.contains("may have stopped"), "{closed}: {text}");
            assert!(!text.contains("certificate it trusts"), "{closed}: {text}");
        }
        // What it sees when the node refuses: an alert naming the reason.
        assert!(explained("received fatal alert: UnknownCA").contains("does not chain"));
        assert!(
            explained("received fatal alert: CertificateRequired").contains("none was presented")
        );
        assert!(explained("received fatal alert: HandshakeFailure").contains("refused"));
        assert!(explained("Connection refused (os error 111)").contains("nothing is listening"));
    }
}
