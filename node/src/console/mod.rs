//! The web console: officers and hub operators in a browser. One more exit
//! of the node, beside `api/local`: the same verified certificate (mutual
//! TLS on `console_listen`, the local port's trust and refusals), the same
//! role check (`service::access::officer_of`), the same service calls and
//! view models (`service::views`, released through `policy::gate`). Nothing
//! here decides who sees what; pages only lay out what the service returned.
//!
//! Layout:
//! - `mod.rs`: the listener (HTTP/1.1 over our TLS accept loop), the router,
//!   the officer of a request (`Session`), errors → pages in one place;
//! - `security.rs`: CSP and other headers, CSRF tokens, the `Origin` check,
//!   the access log (facts only);
//! - `i18n.rs`: the languages (`crate::i18n`, catalogs `node/i18n/<lang>/console.ftl`);
//! - `pages/`: `layout` (the page around the content, shared widgets),
//!   `inbox`, `case`, `message` (what a message says), `act` (forms that
//!   change a trace), `compose` (a new request), `hub` (figures for hub operators); `console.css` is served
//!   from the binary.

pub mod i18n;
pub mod pages;
pub mod security;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::watch;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;
use tower::ServiceExt;

use crate::identity::Officer;
use crate::identity::tls::{AuthenticatedStream, PeerInfo};
use crate::service::{Node, ServiceError, access};
use i18n::{Lang, Texts};
use security::Csrf;

/// Time a browser has to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The cookie that keeps an officer's choice of language (a language tag,
/// nothing else).
pub const LANG_COOKIE: &str = "iti_lang";

/// What the console's handlers share.
pub struct Console {
    pub node: Arc<Node>,
    pub csrf: Csrf,
}

/// The console's TLS: the local port's (same certificate, same verifier of
/// officers' certificates), speaking HTTP/1.1 to browsers.
pub fn tls_for_browsers(local: &Arc<rustls::ServerConfig>) -> Arc<rustls::ServerConfig> {
    let mut config = (**local).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(pages::inbox::show))
        .route("/case/{id}", get(pages::case::show))
        .route(
            "/compose",
            get(pages::compose::show)
                .post(pages::compose::submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    pages::compose::BODY_LIMIT,
                )),
        )
        .route("/case/{id}/acknowledge", post(pages::act::acknowledge))
        .route("/case/{id}/refuse", post(pages::act::refuse))
        .route("/case/{id}/delay", post(pages::act::delay))
        .route("/hub", get(pages::hub::show))
        .route("/overdue", get(pages::overdue::show))
        .route("/audit", get(pages::audit::show))
        .route("/report", get(pages::report::show))
        .route("/admin", get(pages::admin::show))
        // forms: acting on a case.
        .route(
            "/case/{id}/respond",
            get(pages::respond::show).post(pages::respond::submit),
        )
        .route("/case/{id}/return", post(pages::act::return_for_completion))
        .route("/case/{id}/clarify/{way}", post(pages::act::clarify))
        .route("/case/{id}/consent/request", post(pages::consent::request))
        .route("/case/{id}/consent/grant", post(pages::consent::grant))
        .route("/case/{id}/forward", post(pages::onward::forward))
        .route("/case/{id}/export", post(pages::onward::export))
        .route("/case/{id}/send", post(pages::draft::send))
        // compose
        .route(
            "/compose/check",
            post(pages::compose::check).layer(axum::extract::DefaultBodyLimit::max(
                pages::compose::BODY_LIMIT,
            )),
        )
        .route(
            "/compose/plan",
            post(pages::compose::live).layer(axum::extract::DefaultBodyLimit::max(
                pages::compose::BODY_LIMIT,
            )),
        )
        .route("/static/compose.js", get(pages::compose::script))
        .route("/photo/{sha256}", get(pages::photo::show))
        .route("/static/console.css", get(pages::layout::stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(security::headers_and_log))
        .with_state(console)
}

/// Serves authenticated connections until `shutdown`.
pub async fn serve(
    mut incoming: ReceiverStream<Result<AuthenticatedStream, io::Error>>,
    node: Arc<Node>,
    shutdown: watch::Receiver<bool>,
) {
    let app = router(Arc::new(Console {
        node,
        csrf: Csrf::new(),
    }));
    let mut stop = shutdown.clone();
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let stream = tokio::select! {
            next = incoming.next() => match next {
                Some(Ok(stream)) => stream,
                Some(Err(_)) => continue,
                None => break,
            },
            _ = stopped(&mut stop) => break,
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(serve_connection(stream, app.clone(), shutdown.clone()));
    }
    while connections.join_next().await.is_some() {}
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// One browser connection: every request carries the identity verified
/// during this connection's handshake.
async fn serve_connection(
    stream: AuthenticatedStream,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let peer = stream.connect_info();
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(peer.clone());
        let app = app.clone();
        async move { app.oneshot(request.map(axum::body::Body::new)).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "console connection ended");
            }
        }
        _ = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
        }
    }
}

/// The officer behind a request, and the language they read.
pub struct Session {
    pub officer: Officer,
    pub texts: Texts,
}

impl FromRequestParts<Arc<Console>> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        let texts = Texts::new(language(parts));
        let identity = parts
            .extensions
            .get::<PeerInfo>()
            .map(|p| p.identity.clone())
            .ok_or_else(|| ServiceError::PermissionDenied("no verified client certificate".into()));
        match identity.and_then(|i| access::officer_of(i, console.node.participant())) {
            Ok(officer) => Ok(Session { officer, texts }),
            Err(e) => Err(error_page(&texts, e)),
        }
    }
}

impl Session {
    /// A page of this officer's, 200 OK, keeping a language chosen with
    /// `?lang=` in `uri`.
    pub fn page(&self, uri: &Uri, title: &str, content: maud::Markup) -> Response {
        let body = pages::layout::page(&self.texts, Some(&self.officer), title, content);
        page_response(
            StatusCode::OK,
            &self.texts,
            chosen_language(uri.query()).is_some(),
            body.into_string(),
        )
    }
}

/// The language chosen with `?lang=` on this request, if any.
pub fn chosen_language(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .and_then(Lang::from_tag)
}

/// The officer's language: chosen now (`?lang=`), chosen before (cookie),
/// or the browser's (`Accept-Language`).
fn language(parts: &Parts) -> Lang {
    chosen_language(parts.uri.query())
        .or_else(|| cookie_language(&parts.headers))
        .unwrap_or_else(|| {
            Lang::negotiate(
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

fn cookie_language(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .find_map(|c| c.trim().strip_prefix(LANG_COOKIE)?.strip_prefix('='))
        .and_then(Lang::from_tag)
}

/// A page, with the cookie that keeps a language chosen with `?lang=`.
pub fn page_response(status: StatusCode, texts: &Texts, chosen: bool, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    if chosen
        && let Ok(v) = format!(
            "{LANG_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict",
            texts.lang.code()
        )
        .parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The one mapping from service errors to pages: a sentence of the
/// catalogs for each kind of error, and the node's English words, when
/// an officer may read them, as the technical detail. Internal errors are
/// logged here and shown only as a generic message.
pub fn error_page(texts: &Texts, e: ServiceError) -> Response {
    let (status, message, detail) = match e {
        ServiceError::Refused { refusal, .. } => return pages::refusal::page(texts, &refusal),
        e => explained(texts, e),
    };
    let body = pages::layout::error(texts, &message, detail.as_deref());
    page_response(status, texts, false, body.into_string())
}

/// An error's status, what it means in the reader's language, and the
/// technical detail.
fn explained(texts: &Texts, e: ServiceError) -> (StatusCode, String, Option<String>) {
    use StatusCode as S;
    match e {
        ServiceError::InvalidArgument { field, reason } => invalid(texts, field, reason),
        ServiceError::NotFound(_) => (S::NOT_FOUND, texts.t("error-not-found"), None),
        ServiceError::FailedPrecondition(m) => {
            (S::CONFLICT, texts.t("error-precondition"), Some(m))
        }
        ServiceError::PermissionDenied(m) => (S::FORBIDDEN, texts.t("error-permission"), Some(m)),
        // Another participant, named in the detail: not this node's fault.
        ServiceError::Unreachable(m) => (
            S::SERVICE_UNAVAILABLE,
            texts.t("error-unreachable"),
            Some(m),
        ),
        ServiceError::UnknownOrigin { origin, .. } => (
            S::SERVICE_UNAVAILABLE,
            texts.t_with("error-unknown-origin", &[("origin", origin.to_string())]),
            None,
        ),
        // The officer must look before trying again: it may have been saved.
        ServiceError::OutcomeUnknown(m) => {
            tracing::warn!(error = %m, "console: outcome unknown");
            (
                S::SERVICE_UNAVAILABLE,
                texts.t("error-outcome-unknown"),
                None,
            )
        }
        ServiceError::Unavailable(m) | ServiceError::NotYet(m) => {
            tracing::warn!(error = %m, "console: service unavailable");
            (S::SERVICE_UNAVAILABLE, texts.t("error-unavailable"), None)
        }
        ServiceError::Internal(m) => {
            tracing::error!(error = %m, "console: internal error");
            (S::INTERNAL_SERVER_ERROR, texts.t("error-internal"), None)
        }
        ServiceError::Refused { .. } => (S::FORBIDDEN, texts.t("error-title"), None),
    }
}

/// A field refused: the console's own reasons are in the catalogs
/// (`invalid-<reason>`); the service's others are the technical detail.
fn invalid(texts: &Texts, field: String, reason: String) -> (StatusCode, String, Option<String>) {
    if let Some(translated) = texts.find("invalid", &reason) {
        let message = texts.t_with("error-invalid", &[("field", field), ("reason", translated)]);
        return (StatusCode::BAD_REQUEST, message, None);
    }
    let message = texts.t_with("error-invalid-value", &[("field", field)]);
    (StatusCode::BAD_REQUEST, message, Some(reason))
}

async fn not_found(headers: HeaderMap) -> Response {
    let texts = Texts::new(Lang::negotiate(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .unwrap_or(""),
    ));
    error_page(&texts, ServiceError::NotFound(String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// An origin a hub cannot reach gets its own sentence, in French, with
    /// the node's English words (who, from where) as the technical detail.
    #[tokio::test]
    async fn an_unreachable_origin_has_its_own_message_in_the_readers_language() {
        let fr = Texts::new(Lang::Fr);
        let detail = "the origin GHA is unreachable from hub:ECOWAS: no answer within 5 s";
        let page = error_page(&fr, ServiceError::Unreachable(detail.into()));
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        let html = body(page).await;
        assert!(html.contains("est injoignable pour l'instant"), "{html}");
        assert!(html.contains("Détail technique (en anglais) :"), "{html}");
        assert!(html.contains(detail), "{html}");
        assert!(!html.contains("ne peut pas répondre maintenant"), "{html}");
    }

    /// The console's own reasons for refusing a field read in French; the
    /// service's others stay as the technical detail.
    #[tokio::test]
    async fn a_forms_reason_is_translated_and_the_services_kept_as_detail() {
        let fr = Texts::new(Lang::Fr);
        let own = ServiceError::invalid("consent.use", "choose one of the form's choices");
        let html = body(error_page(&fr, own)).await;
        assert!(html.contains("choisissez l'une des options"), "{html}");
        assert!(!html.contains("choose one"), "{html}");
        let other = ServiceError::invalid("to", "NGA is not a participant");
        let html = body(error_page(&fr, other)).await;
        assert!(
            html.contains("cette valeur ne peut pas être acceptée"),
            "{html}"
        );
        assert!(html.contains("<span lang=\"en\">NGA is not a participant</span>"));
    }
}
