//! What keeps the console's pages safe in a browser, beyond mutual TLS:
//! - a strict Content-Security-Policy (script and styles from the binary
//!   only, never inline; requests, forms and images only to ourselves; no
//!   framing) and headers that keep
//!   pages out of caches and referrers (no marked content in browser storage);
//! - CSRF protection on every form: a token bound to the officer's identity
//!   with an HMAC under a key made when the console starts, checked on
//!   every POST together with the `Origin` header;
//! - the access log: facts only (method, route pattern, status, officer),
//!   never a URL's query or a form's content.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use ring::hmac;

use crate::identity::Officer;
use crate::identity::tls::PeerInfo;

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                       img-src 'self'; connect-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

/// The name of the form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// Makes and checks the CSRF tokens of one running console.
pub struct Csrf {
    key: hmac::Key,
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csrf { key: [hidden] }")
    }
}

impl Csrf {
    /// A fresh key: tokens of a previous run no longer pass (a form left
    /// open across a restart is simply loaded again).
    pub fn new() -> Csrf {
        let rng = ring::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)
            .unwrap_or_else(|_| hmac::Key::new(hmac::HMAC_SHA256, &rand::random::<[u8; 32]>()));
        Csrf { key }
    }

    fn subject(officer: &Officer) -> String {
        format!(
            "iti-console-csrf\n{}\n{}\n{}",
            officer.participant, officer.role, officer.name
        )
    }

    /// The token of this officer's forms.
    pub fn token(&self, officer: &Officer) -> String {
        hex::encode(hmac::sign(&self.key, Self::subject(officer).as_bytes()).as_ref())
    }

    /// Whether `token` is this officer's (compared in constant time).
    pub fn check(&self, officer: &Officer, token: &str) -> bool {
        hex::decode(token.trim()).is_ok_and(|tag| {
            hmac::verify(&self.key, Self::subject(officer).as_bytes(), &tag).is_ok()
        })
    }
}

impl Default for Csrf {
    fn default() -> Self {
        Csrf::new()
    }
}

/// Whether a state-changing request comes from a page of this console: its
/// `Origin` is ours, and the browser does not say it came from elsewhere.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("same-origin");
    match (host, origin) {
        (Some(host), Some(origin)) => {
            origin.strip_prefix("https://") == Some(host) && fetch_site == "same-origin"
        }
        _ => false,
    }
}

/// Adds the security headers to every response and writes the access log.
pub async fn headers_and_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(no route)".into());
    let who = request
        .extensions()
        .get::<PeerInfo>()
        .map(|p| p.identity.to_string())
        .unwrap_or_default();
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Not "no-referrer": under it a browser sends `Origin: null` with
        // the console's own forms, and the origin check refuses them.
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    // Facts only: the route's pattern (ids, never a query), who, the outcome.
    tracing::info!(
        target: "iti_node::console::access",
        method = %method,
        route,
        officer = who,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "console"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;

    fn officer(name: &str, role: Role) -> Officer {
        Officer {
            participant: "GHA".parse().unwrap(),
            role,
            name: name.into(),
        }
    }

    #[test]
    fn a_csrf_token_passes_only_for_its_officer_and_its_console() {
        let csrf = Csrf::new();
        let ama = officer("ama", Role::Poc);
        let token = csrf.token(&ama);
        assert!(csrf.check(&ama, &token));
        assert!(!csrf.check(&officer("kofi", Role::Poc), &token));
        assert!(!csrf.check(&officer("ama", Role::Analyst), &token));
        assert!(!csrf.check(&ama, ""));
        assert!(!csrf.check(&ama, "not hex"));
        assert!(!Csrf::new().check(&ama, &token), "another run's key");
    }

    #[test]
    fn a_post_must_come_from_our_own_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:7443"));
        assert!(!same_origin(&h), "no Origin");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://127.0.0.1:7443"),
        );
        assert!(same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }
}
