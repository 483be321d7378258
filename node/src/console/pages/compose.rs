//! Compose a request (9.2): several items (weapons, ammunition lots, parts;
//! clause 6 and 13), each with its quantity and every mark with its kind
//! and location (6.2.2), the context of recovery, purpose and intended
//! use, and the request's marking with what each level and restriction
//! means. "Check" shows the routing plan (9.1) and the completeness hints
//! (10.2) of what was typed, from the same call as `itictl request plan`
//! (`Node::plan`), and sends nothing; "send" goes through the same call as
//! `itictl request submit` (`Node::submit`). Bad input is refused naming
//! its field, with the form shown again as typed.
//!
//! Layout: `form` (what was typed, and the request it describes), `view`
//! (the form and the plan as HTML).

mod form;
mod view;

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::clock::to_timestamp;
use crate::console::pages::act::refuse_foreign_form;
use crate::console::pages::layout;
use crate::console::security::CSRF_FIELD;
use crate::console::{Console, Session, chosen_language, error_page, page_response};
use crate::service::ServiceError;
use crate::service::access::{Operation, require};
use crate::service::submit::Submission;
pub use form::ComposeForm;
use view::Outcome;

/// `GET /compose`: a blank form.
pub async fn show(State(console): State<Arc<Console>>, session: Session, uri: Uri) -> Response {
    if let Err(e) = require(&session.officer, Operation::ActOnCases) {
        return error_page(&session.texts, e);
    }
    let chosen = chosen_language(uri.query()).is_some();
    let form = ComposeForm::default();
    render(&console, &session, &form, None, StatusCode::OK, chosen)
}

/// The form page, filled with `form`, after `outcome`.
fn render(
    console: &Console,
    session: &Session,
    form: &ComposeForm,
    outcome: Option<&Outcome>,
    status: StatusCode,
    chosen: bool,
) -> Response {
    let texts = &session.texts;
    let csrf = console.csrf.token(&session.officer);
    let body = layout::page(
        texts,
        Some(&session.officer),
        &texts.t("compose-title"),
        view::compose(texts, &csrf, form, outcome),
    );
    page_response(status, texts, chosen, body.into_string())
}

/// The form again, with the problem that stopped it; errors that are not
/// about what was typed get the console's error page.
fn refused(console: &Console, session: &Session, form: &ComposeForm, e: ServiceError) -> Response {
    let texts = &session.texts;
    let (status, message) = match e {
        ServiceError::InvalidArgument { field, reason } => (
            StatusCode::BAD_REQUEST,
            texts.t_with("error-invalid", &[("field", field), ("reason", reason)]),
        ),
        ServiceError::FailedPrecondition(m) => (
            StatusCode::CONFLICT,
            texts.t_with("error-precondition", &[("reason", m)]),
        ),
        // An unroutable destination: the plan says which and why.
        ServiceError::NotFound(m) => (
            StatusCode::CONFLICT,
            texts.t_with("error-precondition", &[("reason", m)]),
        ),
        other => return error_page(texts, other),
    };
    let outcome = Outcome::Problem(message);
    render(console, session, form, Some(&outcome), status, false)
}

/// What the form asks for: its submission, or the problem naming a field.
fn submission(form: &ComposeForm) -> Result<Submission, ServiceError> {
    Ok(Submission {
        request: form.request()?,
        routing_override: None,
        on_behalf_via: None,
        allow_duplicate: false,
    })
}

/// The refusal of a POST that is not from one of our pages.
fn foreign(
    console: &Console,
    session: &Session,
    headers: &HeaderMap,
    fields: &[(String, String)],
) -> Option<Response> {
    let token = fields
        .iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    refuse_foreign_form(console, session, headers, token)
}

/// `POST /compose/check`: the plan and hints of what was typed (or, for an
/// "add" button, the form with one more blank item); nothing is sent.
pub async fn check(
    State(console): State<Arc<Console>>,
    session: Session,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refusal) = foreign(&console, &session, &headers, &fields) {
        return refusal;
    }
    let form = ComposeForm::parse(&fields);
    if form.add.is_some() {
        return render(&console, &session, &form, None, StatusCode::OK, false);
    }
    let plan = submission(&form).and_then(|s| console.node.plan(&session.officer, &s));
    match plan {
        Ok(plan) => {
            let outcome = Outcome::Plan(plan.view());
            render(
                &console,
                &session,
                &form,
                Some(&outcome),
                StatusCode::OK,
                false,
            )
        }
        Err(e) => refused(&console, &session, &form, e),
    }
}

/// `POST /compose`: sends the request, then shows its case.
pub async fn submit(
    State(console): State<Arc<Console>>,
    session: Session,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refusal) = foreign(&console, &session, &headers, &fields) {
        return refusal;
    }
    let form = ComposeForm::parse(&fields);
    let sent = match submission(&form) {
        Ok(s) => console.node.submit(&session.officer, s).await,
        Err(e) => Err(e),
    };
    match sent {
        Ok((_, trace, _, _)) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/case/{trace}"))],
        )
            .into_response(),
        Err(e) => refused(&console, &session, &form, e),
    }
}

/// A date from an `<input type="date">` ("2026-10-02"), at midnight UTC;
/// none when left empty; refused naming `field` when it is not a date.
pub fn date(day: &str, field: &str) -> Result<Option<pbjson_types::Timestamp>, ServiceError> {
    if day.trim().is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day.trim(), &format)
        .map_err(|_| ServiceError::invalid(field, format!("{day:?} is not a date")))?;
    Ok(Some(to_timestamp(date.midnight().assume_utc())))
}
