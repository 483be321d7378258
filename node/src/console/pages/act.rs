//! Forms that change a trace. Every form carries the officer's CSRF token;
//! a POST is done only when its `Origin` is this console and its token is
//! this officer's, and then through the same service call as `itictl act`
//! (`Node::act`), with the same role check.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iti_proto::v1 as pb;
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::i18n::Texts;
use crate::console::pages::layout;
use crate::console::security::{CSRF_FIELD, same_origin};
use crate::console::{Console, Session, error_page, page_response};
use crate::identity::{Officer, Role};
use crate::ids::TraceId;
use crate::service::ServiceError;
use crate::service::act::Action;

/// The forms an officer may use on a trace now (the service decides again
/// when one is sent).
pub fn forms(texts: &Texts, officer: &Officer, t: &pb::TraceSummary, csrf: &str) -> Markup {
    let requested = t.role == pb::TraceRole::Requested as i32;
    let acknowledgeable = matches!(t.state.as_str(), "delivered" | "resubmitted");
    html! {
        @if officer.role == Role::Poc && requested && acknowledgeable {
            form class="act" method="post" action={ "/case/" (t.trace_id) "/acknowledge" } {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                label for={ "ack-ref-" (t.trace_id) } { (texts.t("act-acknowledge-reference")) }
                input type="text" id={ "ack-ref-" (t.trace_id) } name="reference" maxlength="200";
                button type="submit" { (texts.t("act-acknowledge")) }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AcknowledgeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reference: String,
}

/// `POST /case/{trace}/acknowledge` (10.1).
pub async fn acknowledge(
    State(console): State<Arc<Console>>,
    session: Session,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<AcknowledgeForm>,
) -> Response {
    let texts = &session.texts;
    if !same_origin(&headers) || !console.csrf.check(&session.officer, &form.csrf) {
        tracing::warn!(officer = %session.officer, "console: form refused (origin or CSRF token)");
        let body = layout::error(texts, &texts.t("error-forbidden"));
        return page_response(StatusCode::FORBIDDEN, texts, false, body.into_string());
    }
    let trace: TraceId = match id.parse() {
        Ok(t) => t,
        Err(e) => {
            let e: crate::ids::IdError = e;
            return error_page(texts, ServiceError::invalid("trace", e.to_string()));
        }
    };
    let action = Action::Acknowledge(pb::Acknowledgement {
        reference: form.reference.trim().to_string(),
        note: String::new(),
    });
    match console
        .node
        .act(&session.officer, trace, action, false)
        .await
    {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/case/{trace}"))],
        )
            .into_response(),
        Err(e) => error_page(texts, e),
    }
}
