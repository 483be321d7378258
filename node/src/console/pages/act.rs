//! Forms that change a trace. Every form carries the officer's CSRF token;
//! a POST is done only when its `Origin` is this console and its token is
//! this officer's, and then through the same service call as `itictl act`
//! (`Node::act`), with the same role check.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use iti_proto::v1 as pb;
use maud::{Markup, html};

use crate::case::machine::{Step, TraceState, transition};
use crate::console::i18n::Texts;
use crate::console::pages::compose::date;
use crate::console::pages::form::{self, Posted};
use crate::console::pages::{consent, draft, layout, onward};
use crate::console::security::{CSRF_FIELD, same_origin};
use crate::console::{Console, Session, page_response};
use crate::identity::{Officer, Role};
use crate::service::ServiceError;
use crate::service::act::Action;

/// The forms an officer may use on a trace now (the service decides again
/// when one is sent): those of our side of the trace, for the steps the
/// lifecycle allows from where it stands.
pub fn forms(texts: &Texts, officer: &Officer, t: &pb::TraceSummary, csrf: &str) -> Markup {
    let Ok(state) = t.state.parse::<TraceState>() else {
        return html! {};
    };
    if officer.role != Role::Poc {
        return html! {};
    }
    match pb::TraceRole::try_from(t.role) {
        Ok(pb::TraceRole::Requested) => html! {
            (requested_forms(texts, t, state, csrf))
            @if answered(state) { (consent::grant_form(texts, &t.trace_id, csrf)) }
        },
        Ok(pb::TraceRole::Requester) => html! {
            @if state == TraceState::Drafted { (draft::form(texts, &t.trace_id, csrf)) }
            @if transition(state, Step::RequestClarification).is_ok() {
                (clarify_form(texts, &t.trace_id, csrf, "ask"))
            }
            @if answered(state) {
                (consent::request_form(texts, &t.trace_id, csrf))
                (onward::forms(texts, &t.trace_id, csrf))
            }
        },
        _ => html! {},
    }
}

/// Whether the requested state has answered (information to use, consent
/// to give or ask for).
fn answered(state: TraceState) -> bool {
    matches!(
        state,
        TraceState::Responded
            | TraceState::RespondedRestricted
            | TraceState::ClarificationRequested
            | TraceState::ClarificationAnswered
            | TraceState::Closed
    )
}

/// The requested state's steps: acknowledge, respond, return, delay,
/// refuse, answer a clarification.
fn requested_forms(texts: &Texts, t: &pb::TraceSummary, state: TraceState, csrf: &str) -> Markup {
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
        @if allows(Step::Respond) {
            p class="act" { a id={ "respond-" (t.trace_id) } href={ "/case/" (t.trace_id) "/respond" } { (texts.t("act-respond")) } }
        }
        @if allows(Step::ReturnForCompletion) { (return_form(texts, &t.trace_id, csrf)) }
        @if allows(Step::AnswerClarification) { (clarify_form(texts, &t.trace_id, csrf, "answer")) }
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

/// 10.2: return an incomplete request, listing what is missing (one per
/// line; left empty, what the completeness check found).
fn return_form(texts: &Texts, trace: &str, token: &str) -> Markup {
    let id = |name: &str| format!("return-{name}-{trace}");
    html! {
        form class="act" id={ "return-" (trace) } method="post" action={ "/case/" (trace) "/return" } {
            (form::csrf(token))
            (form::area(texts, &id("missing"), "missing", "act-return-missing", false))
            (form::text(texts, &id("note"), "note", "act-note"))
            button type="submit" { (texts.t("act-return")) }
        }
    }
}

/// 10.5.2, last sentence: the requester asks (`ask`), the requested state
/// answers (`answer`).
fn clarify_form(texts: &Texts, trace: &str, token: &str, way: &str) -> Markup {
    let (field, label) = if way == "ask" {
        ("question", "question")
    } else {
        ("answer", "answer")
    };
    html! {
        form class="act" id={ "clarify-" (way) "-" (trace) } method="post" action={ "/case/" (trace) "/clarify/" (way) } {
            (form::csrf(token))
            (form::area(texts, &format!("clarify-{field}-{trace}"), field, label, true))
            button type="submit" { (texts.t(&format!("act-clarify-{way}"))) }
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
pub const REASONS: [pb::WithholdingReason; 3] = [
    pb::WithholdingReason::OngoingInvestigationOrLaw,
    pb::WithholdingReason::ConfidentialityNotGuaranteed,
    pb::WithholdingReason::NationalSecurity,
];

/// `POST /case/{trace}/acknowledge` (10.1).
pub async fn acknowledge(posted: Posted) -> Response {
    let action = Action::Acknowledge(pb::Acknowledgement {
        reference: posted.fields.text("reference"),
        note: String::new(),
    });
    posted.act(Ok(action), false).await
}

/// `POST /case/{trace}/delay` (10.5.2): the new due date, a reason and why.
pub async fn delay(posted: Posted) -> Response {
    let f = &posted.fields;
    let action = date(f.get("new_response_due"), "delay.newResponseDue").map(|due| {
        Action::Delay(pb::DelayNotice {
            reason: reason_of(f.get("reason")) as i32,
            explanation: f.text("explanation"),
            new_response_due: due,
        })
    });
    posted.act(action, false).await
}

/// A reason of 10.5.2 by its name; an unknown one is left unspecified, and
/// the service names the field.
pub fn reason_of(name: &str) -> pb::WithholdingReason {
    pb::WithholdingReason::from_str_name(name.trim()).unwrap_or(pb::WithholdingReason::Unspecified)
}

/// `POST /case/{trace}/refuse` (10.5.2): a reason of 10.5.2 and why.
pub async fn refuse(posted: Posted) -> Response {
    let f = &posted.fields;
    let action = Action::Refuse(pb::Refusal {
        reason: reason_of(f.get("reason")) as i32,
        explanation: f.text("explanation"),
    });
    posted.act(Ok(action), false).await
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
    let body = layout::error(texts, &texts.t("error-forbidden"), None);
    Some(page_response(
        StatusCode::FORBIDDEN,
        texts,
        false,
        body.into_string(),
    ))
}

/// `POST /case/{trace}/return` (10.2).
pub async fn return_for_completion(posted: Posted) -> Response {
    let f = &posted.fields;
    let missing = f
        .get("missing")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|field| pb::MissingElement {
            clause: "9.2".into(),
            // The wire's English; screens word it in their reader's language.
            description: crate::i18n::english()
                .t_with("missing-field", &[("field", field.to_string())]),
            field: field.to_string(),
        })
        .collect();
    let action = Action::ReturnForCompletion(pb::ReturnForCompletion {
        missing,
        note: f.text("note"),
        automatic: false,
    });
    posted.act(Ok(action), false).await
}

/// `POST /case/{trace}/clarify/{ask|answer}` (10.5.2, last sentence).
pub async fn clarify(Path((_, way)): Path<(String, String)>, posted: Posted) -> Response {
    let f = &posted.fields;
    let action = match way.as_str() {
        "ask" => Ok(Action::RequestClarification(pb::ClarificationRequest {
            question: f.text("question"),
            regarding: f.text("regarding"),
        })),
        "answer" => Ok(Action::Clarify(pb::ClarificationReply {
            answer: f.text("answer"),
            regarding: f.text("regarding"),
        })),
        _ => Err(ServiceError::NotFound(way)),
    };
    posted.act(action, false).await
}
