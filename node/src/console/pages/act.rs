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

use crate::case::machine::{Step, TraceState, transition};
use crate::console::i18n::Texts;
use crate::console::pages::compose::date;
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
    let Ok(state) = t.state.parse::<TraceState>() else {
        return html! {};
    };
    if officer.role != Role::Poc || !requested {
        return html! {};
    }
    // The lifecycle's own table says which steps the trace allows now.
    let allows = |step| transition(state, step).is_ok();
    html! {
        @if allows(Step::Acknowledge) {
            form class="act" method="post" action={ "/case/" (t.trace_id) "/acknowledge" } {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                label for={ "ack-ref-" (t.trace_id) } { (texts.t("act-acknowledge-reference")) }
                input type="text" id={ "ack-ref-" (t.trace_id) } name="reference" maxlength="200";
                button type="submit" { (texts.t("act-acknowledge")) }
            }
        }
        @if allows(Step::Delay) {
            form class="act" method="post" action={ "/case/" (t.trace_id) "/delay" } {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                label for={ "delay-until-" (t.trace_id) } { (texts.t("new-due")) }
                input type="date" id={ "delay-until-" (t.trace_id) } name="new_response_due" required;
                (reason_select(texts, &format!("delay-reason-{}", t.trace_id)))
                label for={ "delay-why-" (t.trace_id) } { (texts.t("explanation")) }
                textarea id={ "delay-why-" (t.trace_id) } name="explanation" maxlength="2000" required {}
                button type="submit" { (texts.t("act-delay")) }
            }
        }
        @if allows(Step::Refuse) {
            form class="act" method="post" action={ "/case/" (t.trace_id) "/refuse" } {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                (reason_select(texts, &format!("refuse-reason-{}", t.trace_id)))
                label for={ "refuse-why-" (t.trace_id) } { (texts.t("explanation")) }
                textarea id={ "refuse-why-" (t.trace_id) } name="explanation" maxlength="2000" required {}
                button type="submit" { (texts.t("act-refuse")) }
            }
        }
    }
}

/// A choice of the reasons of 10.5.2, each in the officer's language.
fn reason_select(texts: &Texts, id: &str) -> Markup {
    html! {
        label for=(id) { (texts.t("reason")) }
        select id=(id) name="reason" required {
            @for r in REASONS {
                option value=(r.as_str_name()) { (texts.code(r.as_str_name())) }
            }
        }
    }
}

/// The reasons of 10.5.2 an officer may give.
const REASONS: [pb::WithholdingReason; 3] = [
    pb::WithholdingReason::OngoingInvestigationOrLaw,
    pb::WithholdingReason::ConfidentialityNotGuaranteed,
    pb::WithholdingReason::NationalSecurity,
];

#[derive(Debug, Deserialize)]
pub struct AcknowledgeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reference: String,
}

#[derive(Debug, Deserialize)]
pub struct RefuseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    explanation: String,
}

/// `POST /case/{trace}/acknowledge` (10.1).
pub async fn acknowledge(
    State(console): State<Arc<Console>>,
    session: Session,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<AcknowledgeForm>,
) -> Response {
    if let Some(refused) = refuse_foreign_form(&console, &session, &headers, &form.csrf) {
        return refused;
    }
    let action = Action::Acknowledge(pb::Acknowledgement {
        reference: form.reference.trim().to_string(),
        note: String::new(),
    });
    act(&console, &session, &id, action).await
}

#[derive(Debug, Deserialize)]
pub struct DelayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    new_response_due: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    explanation: String,
}

/// `POST /case/{trace}/delay` (10.5.2): the new due date, a reason and why.
pub async fn delay(
    State(console): State<Arc<Console>>,
    session: Session,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DelayForm>,
) -> Response {
    if let Some(refused) = refuse_foreign_form(&console, &session, &headers, &form.csrf) {
        return refused;
    }
    let due = match date(&form.new_response_due, "delay.newResponseDue") {
        Ok(due) => due,
        Err(e) => return error_page(&session.texts, e),
    };
    let action = Action::Delay(pb::DelayNotice {
        reason: reason_of(&form.reason) as i32,
        explanation: form.explanation.trim().to_string(),
        new_response_due: due,
    });
    act(&console, &session, &id, action).await
}

/// A reason of 10.5.2 by its name; an unknown one is left unspecified, and
/// the service names the field.
fn reason_of(name: &str) -> pb::WithholdingReason {
    pb::WithholdingReason::from_str_name(name.trim()).unwrap_or(pb::WithholdingReason::Unspecified)
}

/// `POST /case/{trace}/refuse` (10.5.2): a reason of 10.5.2 and why.
pub async fn refuse(
    State(console): State<Arc<Console>>,
    session: Session,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<RefuseForm>,
) -> Response {
    if let Some(refused) = refuse_foreign_form(&console, &session, &headers, &form.csrf) {
        return refused;
    }
    let action = Action::Refuse(pb::Refusal {
        reason: reason_of(&form.reason) as i32,
        explanation: form.explanation.trim().to_string(),
    });
    act(&console, &session, &id, action).await
}

/// A form not sent from this console's pages to this officer (another
/// origin, or without the officer's token) is refused before anything else.
pub fn refuse_foreign_form(
    console: &Console,
    session: &Session,
    headers: &HeaderMap,
    token: &str,
) -> Option<Response> {
    if same_origin(headers) && console.csrf.check(&session.officer, token) {
        return None;
    }
    tracing::warn!(officer = %session.officer, "console: form refused (origin or CSRF token)");
    let texts = &session.texts;
    let body = layout::error(texts, &texts.t("error-forbidden"));
    Some(page_response(
        StatusCode::FORBIDDEN,
        texts,
        false,
        body.into_string(),
    ))
}

/// Does `action` on the trace through the service (`itictl`'s call), then
/// back to the case; an error is shown, naming the field.
async fn act(console: &Console, session: &Session, id: &str, action: Action) -> Response {
    let trace: TraceId = match id.parse() {
        Ok(t) => t,
        Err(e) => {
            let e: crate::ids::IdError = e;
            return error_page(
                &session.texts,
                ServiceError::invalid("trace", e.to_string()),
            );
        }
    };
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
        Err(e) => error_page(&session.texts, e),
    }
}
