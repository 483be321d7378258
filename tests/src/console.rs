//! A client of the web console, as a browser is one: HTTP/1.1 over TLS,
//! presenting an officer's certificate (or none), one request per
//! connection. Enough to assert on status, headers and the page's HTML.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use iti_node::identity::tls::client_config;
use iti_node::identity::trust::TrustStore;
use iti_node::identity::{Credentials, Role};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Federation, p};

/// A response: status, headers (names in lower case) and body.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the hidden form field `name` (the CSRF token, say).
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_string())
    }
}

/// The console of one node, as one officer's browser reaches it.
pub struct Browser {
    addr: SocketAddr,
    config: Arc<ClientConfig>,
}

impl Federation {
    /// The console address of a member started with `console: true`.
    pub fn console_addr(&self, participant: &str) -> anyhow::Result<SocketAddr> {
        self.sandbox
            .member(&p(participant))?
            .running
            .as_ref()
            .and_then(|r| r.console_addr)
            .ok_or_else(|| anyhow!("{participant} has no console"))
    }

    /// A browser holding the certificate of `participant`'s officer with `role`.
    pub fn browser(&mut self, participant: &str, role: Role) -> anyhow::Result<Browser> {
        let addr = self.console_addr(participant)?;
        let pid = p(participant);
        let officer = self.sandbox.officer_cert(&pid, role)?;
        let trust = TrustStore::new();
        trust
            .pin(&pid, self.sandbox.member(&pid)?.ca.cert_der()?, None)
            .map_err(|e| anyhow!("{e}"))?;
        let config = client_config(
            &Credentials::single(officer),
            trust,
            self.sandbox.clock.clone(),
            Some(pid),
        )?;
        let mut config = (*config).clone();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Browser {
            addr,
            config: Arc::new(config),
        })
    }

    /// A browser that presents no certificate at all.
    pub fn browser_without_certificate(&self, participant: &str) -> anyhow::Result<Browser> {
        let addr = self.console_addr(participant)?;
        let mut config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServer))
                .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Browser {
            addr,
            config: Arc::new(config),
        })
    }
}

impl Browser {
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Page> {
        self.exchange("GET", path, headers, "").await
    }

    /// A form POSTed as a browser sends it from one of the console's own
    /// pages (`Origin` is added unless `headers` give one).
    pub async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Page> {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        let origin = format!("https://{}", self.addr);
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("origin"))
        {
            all.push(("Origin", &origin));
        }
        all.push(("Content-Type", "application/x-www-form-urlencoded"));
        self.exchange("POST", path, &all, &body.join("&")).await
    }

    /// A form POSTed as `multipart/form-data`, as a browser sends a form
    /// with files: `parts` in document order, each a name, a file name for
    /// a file, and its content (text: the tests' files are ASCII).
    pub async fn post_multipart(
        &self,
        path: &str,
        parts: &[(&str, Option<&str>, &str)],
    ) -> anyhow::Result<Page> {
        const BOUNDARY: &str = "iti-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = String::new();
        for (name, file, content) in parts {
            body.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\""
            ));
            if let Some(file) = file {
                body.push_str(&format!(
                    "; filename=\"{file}\"\r\nContent-Type: application/octet-stream"
                ));
            }
            body.push_str(&format!("\r\n\r\n{content}\r\n"));
        }
        body.push_str(&format!("--{BOUNDARY}--\r\n"));
        let origin = format!("https://{}", self.addr);
        let kind = format!("multipart/form-data; boundary={BOUNDARY}");
        let headers = [("Origin", origin.as_str()), ("Content-Type", kind.as_str())];
        self.exchange("POST", path, &headers, &body).await
    }

    async fn exchange(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> anyhow::Result<Page> {
        let tcp = tokio::net::TcpStream::connect(self.addr).await?;
        let connector = tokio_rustls::TlsConnector::from(self.config.clone());
        let name = ServerName::try_from("localhost")?;
        let mut tls = connector.connect(name, tcp).await?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (n, v) in headers {
            request.push_str(&format!("{n}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        tls.write_all(request.as_bytes()).await?;
        tls.flush().await?;
        let mut raw = Vec::new();
        // A server that closes without close_notify still sent its answer.
        if let Err(e) = tls.read_to_end(&mut raw).await
            && raw.is_empty()
        {
            return Err(e).context("reading the console's answer");
        }
        parse(&raw)
    }
}

fn parse(raw: &[u8]) -> anyhow::Result<Page> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow!("no HTTP answer: {text:?}"))?;
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("no status line: {head:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        bail!("chunked answers are not expected from the console");
    }
    Ok(Page {
        status,
        headers,
        body: body.to_string(),
    })
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// Accepts any server certificate: for the test of a client that presents
/// none, where only the server's refusal matters.
#[derive(Debug)]
struct AnyServer;

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
