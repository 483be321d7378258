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
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::bounds::table::MAX_PHOTO_BYTES;
use crate::clock::to_timestamp;
use crate::console::i18n::Texts;
use crate::console::pages::act::refuse_foreign_form;
use crate::console::pages::layout;
use crate::console::security::CSRF_FIELD;
use crate::console::{Console, Session, chosen_language, error_page, page_response};
use crate::service::ServiceError;
use crate::service::access::{Operation, require};
use crate::service::submit::Submission;
pub use form::ComposeForm;
use view::Outcome;

/// The most a compose POST may carry: a few photographs at their bound.
pub const BODY_LIMIT: usize = 3 * MAX_PHOTO_BYTES as usize + (1 << 20);

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
    match problem(&session.texts, e) {
        Ok((status, outcome)) => render(console, session, form, Some(&outcome), status, false),
        Err(other) => error_page(&session.texts, other),
    }
}

/// What typed input got wrong, as the form shows it; other errors as they
/// are.
fn problem(texts: &Texts, e: ServiceError) -> Result<(StatusCode, Outcome), ServiceError> {
    let (status, message) = match e {
        // The form's own reasons are in the catalogs; the service's as given.
        ServiceError::InvalidArgument { field, reason } => (
            StatusCode::BAD_REQUEST,
            texts.t_with(
                "error-invalid",
                &[
                    ("field", field),
                    ("reason", texts.find("invalid", &reason).unwrap_or(reason)),
                ],
            ),
        ),
        // NotFound: an unroutable destination, which the plan names.
        ServiceError::FailedPrecondition(m) | ServiceError::NotFound(m) => (
            StatusCode::CONFLICT,
            texts.t_with("error-precondition-reason", &[("reason", m)]),
        ),
        other => return Err(other),
    };
    Ok((status, Outcome::Problem(message)))
}

/// The plan and hints of what was typed, or why there is none.
async fn planned(
    console: &Console,
    session: &Session,
    form: &ComposeForm,
) -> Result<Outcome, ServiceError> {
    let s = submission(console, form).await?;
    let plan = console.node.plan(&session.officer, s)?;
    Ok(Outcome::Plan(Box::new(plan.view())))
}

/// What the form asks for: its submission, or the problem naming a field.
async fn submission(console: &Console, form: &ComposeForm) -> Result<Submission, ServiceError> {
    let mut photos = form::Photos::new();
    for hash in form.photo_hashes() {
        let Ok(parsed) = hash.parse() else { continue };
        if let Some(attachment) = console.node.uploaded_photo(&parsed).await? {
            photos.insert(hash.to_string(), attachment);
        }
    }
    Ok(Submission {
        request: form.request(&photos)?,
        routing_override: None,
        on_behalf_via: None,
        allow_duplicate: false,
    })
}

/// A compose form's fields in document order, an uploaded file among them.
enum Entry {
    Field(String, String),
    File(Vec<u8>),
}

/// The entries of a compose POST: a multipart form (with photographs) or
/// a plain one.
async fn entries(request: Request) -> Result<Vec<Entry>, ServiceError> {
    let unreadable = |e: String| ServiceError::invalid("form", e);
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(request, &())
            .await
            .map_err(|e| unreadable(e.body_text()))?;
        return Ok(fields
            .into_iter()
            .map(|(k, v)| Entry::Field(k, v))
            .collect());
    }
    let mut parts = Multipart::from_request(request, &())
        .await
        .map_err(|e| unreadable(e.body_text()))?;
    let mut entries = Vec::new();
    while let Some(part) = parts
        .next_field()
        .await
        .map_err(|e| unreadable(e.body_text()))?
    {
        let name = part.name().unwrap_or_default().to_string();
        let entry = if part.file_name().is_some() {
            Entry::File(
                part.bytes()
                    .await
                    .map_err(|e| unreadable(e.body_text()))?
                    .to_vec(),
            )
        } else {
            Entry::Field(
                name,
                part.text().await.map_err(|e| unreadable(e.body_text()))?,
            )
        };
        entries.push(entry);
    }
    Ok(entries)
}

/// The form of a POST from one of our pages, its photographs stored and
/// named by hash where they were; or the page that refuses it.
async fn received(
    console: &Console,
    session: &Session,
    request: Request,
) -> Result<ComposeForm, Box<Response>> {
    let headers = request.headers().clone();
    let entries = entries(request)
        .await
        .map_err(|e| Box::new(error_page(&session.texts, e)))?;
    let token = entries.iter().find_map(|e| match e {
        Entry::Field(k, v) if k == CSRF_FIELD => Some(v.as_str()),
        _ => None,
    });
    if let Some(refusal) = refuse_foreign_form(console, session, &headers, token.unwrap_or("")) {
        return Err(Box::new(refusal));
    }
    let mut fields = Vec::new();
    let mut problem = None;
    for entry in entries {
        match entry {
            Entry::Field(k, v) => fields.push((k, v)),
            Entry::File(bytes) if bytes.is_empty() => {}
            Entry::File(bytes) => {
                match console
                    .node
                    .upload_photo(&session.officer, bytes, "photo_file")
                    .await
                {
                    Ok(a) => fields.push(("photo".into(), a.sha256)),
                    Err(e) => problem = problem.or(Some(e)),
                }
            }
        }
    }
    let form = ComposeForm::parse(&fields);
    match problem {
        Some(e) => Err(Box::new(refused(console, session, &form, e))),
        None => Ok(form),
    }
}

/// `POST /compose/check`: the plan and hints of what was typed (or, for an
/// "add" button, the form with one more blank item); nothing is sent.
pub async fn check(
    State(console): State<Arc<Console>>,
    session: Session,
    request: Request,
) -> Response {
    let form = match received(&console, &session, request).await {
        Ok(form) => form,
        Err(refusal) => return *refusal,
    };
    if form.add.is_some() {
        return render(&console, &session, &form, None, StatusCode::OK, false);
    }
    match planned(&console, &session, &form).await {
        Ok(outcome) => render(
            &console,
            &session,
            &form,
            Some(&outcome),
            StatusCode::OK,
            false,
        ),
        Err(e) => refused(&console, &session, &form, e),
    }
}

/// `POST /compose/plan`: what "check" shows, as a fragment of the page, for
/// the script that keeps the plan and hints current while the officer
/// types (`/static/compose.js`). Photographs are not sent with it.
pub async fn live(
    State(console): State<Arc<Console>>,
    session: Session,
    request: Request,
) -> Response {
    let form = match received(&console, &session, request).await {
        Ok(form) => form,
        Err(refusal) => return *refusal,
    };
    let texts = &session.texts;
    let outcome = match planned(&console, &session, &form).await {
        Ok(outcome) => outcome,
        Err(e) => match problem(texts, e) {
            // Half-typed input is the normal case here: shown, not an error.
            Ok((_, outcome)) => outcome,
            Err(other) => return error_page(texts, other),
        },
    };
    page_response(
        StatusCode::OK,
        texts,
        false,
        view::found(texts, &outcome).into_string(),
    )
}

/// The script behind [`live`], served from the binary (`script-src 'self'`).
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("compose/compose.js"),
    )
}

/// `POST /compose`: sends the request, then shows its case.
pub async fn submit(
    State(console): State<Arc<Console>>,
    session: Session,
    request: Request,
) -> Response {
    let form = match received(&console, &session, request).await {
        Ok(form) => form,
        Err(refusal) => return *refusal,
    };
    let sent = match submission(&console, &form).await {
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
