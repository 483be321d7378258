//! Sending a drafted follow-up (the case page shows it first, each field
//! with the state that provided it and its marking). The same call as
//! `itictl request send` (`Node::send_draft`): a field another state
//! provided under a marking that forbids the destination is refused, and
//! the page explains which marking forbids what and offers the two ways
//! `itictl` offers: ask the provider's consent with a justification (the
//! draft goes once it is granted), or send it without those fields.

use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use crate::console::i18n::Texts;
use crate::console::page_response;
use crate::console::pages::form::{Fields, Posted, area, csrf};
use crate::console::pages::{layout, refusal};
use crate::ids::TraceId;
use crate::policy::gate::Refusal;
use crate::service::ServiceError;
use crate::service::submit::DraftOnward;

/// The form that sends a draft as it stands.
pub fn form(texts: &Texts, trace: &str, token: &str) -> Markup {
    html! {
        form class="act" id={ "send-draft-" (trace) } method="post" action={ "/case/" (trace) "/send" } {
            (csrf(token))
            button type="submit" { (texts.t("act-send-draft")) }
        }
    }
}

/// The two other ways a refused draft may go.
fn alternatives(texts: &Texts, trace: TraceId, token: &str) -> Markup {
    html! {
        h2 { (texts.t("draft-alternatives")) }
        form class="act" id={ "ask-consent-" (trace) } method="post" action={ "/case/" (trace) "/send" } {
            (csrf(token))
            input type="hidden" name="onward" value="ask-consent";
            (area(texts, &format!("justification-{trace}"), "justification", "consent-justification", true))
            button type="submit" { (texts.t("act-send-ask-consent")) }
        }
        form class="act" id={ "without-restricted-" (trace) } method="post" action={ "/case/" (trace) "/send" } {
            (csrf(token))
            input type="hidden" name="onward" value="without-restricted";
            button type="submit" { (texts.t("act-send-without-restricted")) }
        }
        p { a href={ "/case/" (trace) } { (texts.t("respond-back")) } }
    }
}

/// What to do with fields the gate will not send, as the form says.
fn onward_of(f: &Fields) -> Result<DraftOnward, ServiceError> {
    match f.get("onward") {
        "" => Ok(DraftOnward::WholeOnly),
        "without-restricted" => Ok(DraftOnward::WithoutRestricted),
        "ask-consent" if f.get("justification").is_empty() => Err(ServiceError::invalid(
            "justification",
            "say why the provider should consent (10.3)",
        )),
        "ask-consent" => Ok(DraftOnward::AskConsent {
            justification: f.text("justification"),
        }),
        _ => Err(ServiceError::invalid(
            "onward",
            "choose one of the form's choices",
        )),
    }
}

/// `POST /case/{trace}/send`.
pub async fn send(posted: Posted) -> Response {
    let sent = async {
        let onward = onward_of(&posted.fields)?;
        let node = &posted.console.node;
        node.send_draft(&posted.session.officer, posted.trace, None, onward)
            .await
    };
    match sent.await {
        Err(ServiceError::Refused {
            refusal,
            draft: Some(trace),
        }) => refused(&posted, &refusal, trace),
        other => posted.done(other),
    }
}

/// The refusal explained, with the other ways forward.
fn refused(posted: &Posted, refusal: &Refusal, trace: TraceId) -> Response {
    let (texts, officer) = (&posted.session.texts, &posted.session.officer);
    let token = posted.console.csrf.token(officer);
    let content = html! {
        (refusal::explain(texts, refusal))
        (alternatives(texts, trace, &token))
    };
    let body = layout::page(texts, Some(officer), &texts.t("draft-refused"), content);
    page_response(StatusCode::FORBIDDEN, texts, false, body.into_string())
}
