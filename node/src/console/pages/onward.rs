//! Onward uses of what another state provided (10.3): forward a response to
//! a third state, a hub or a UN panel, or export the trace to a file (JSON
//! or CSV, as evidence or not). The same calls as `itictl forward` and
//! `itictl export` (`Node::forward`, `Node::export`): the gate refuses what
//! a marking forbids (the page says which marking forbids what), the file
//! carries its markings at its top and on every entry, and each use is
//! audited.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iti_proto::v1 as pb;
use maud::{Markup, html};

use crate::console::error_page;
use crate::console::i18n::Texts;
use crate::console::pages::form::{Posted, area, check, csrf, select, text};

/// The forward and export forms of a trace.
pub fn forms(texts: &Texts, trace: &str, token: &str) -> Markup {
    let id = |form: &str, name: &str| format!("{form}-{name}-{trace}");
    html! {
        form class="act" id={ "forward-" (trace) } method="post" action={ "/case/" (trace) "/forward" } {
            (csrf(token))
            (text(texts, &id("forward", "to"), "to", "forward-to"))
            (text(texts, &id("forward", "regarding"), "regarding", "consent-regarding"))
            (area(texts, &id("forward", "note"), "note", "act-note", false))
            button type="submit" { (texts.t("act-forward")) }
        }
        form class="act" id={ "export-" (trace) } method="post" action={ "/case/" (trace) "/export" } {
            (csrf(token))
            (select(texts, &id("export", "format"), "format", "export-format", &["EXPORT_FORMAT_JSON", "EXPORT_FORMAT_CSV"]))
            (check(texts, &id("export", "evidence"), "evidence", "export-evidence"))
            button type="submit" { (texts.t("act-export")) }
        }
    }
}

/// `POST /case/{trace}/forward`.
pub async fn forward(posted: Posted) -> Response {
    let (f, officer) = (&posted.fields, &posted.session.officer);
    let forwarded = posted
        .console
        .node
        .forward(
            officer,
            posted.trace,
            f.get("regarding"),
            f.get("to"),
            f.get("note"),
        )
        .await;
    posted.done(forwarded)
}

/// `POST /case/{trace}/export`: the file, as `itictl export` writes it, to
/// download.
pub async fn export(posted: Posted) -> Response {
    let f = &posted.fields;
    let exported = async {
        let format = f.code(
            "format",
            "format",
            pb::ExportFormat::from_str_name,
            pb::ExportFormat::Unspecified,
        )?;
        let node = &posted.console.node;
        let (content, filename, _) = node
            .export(
                &posted.session.officer,
                posted.trace,
                format,
                f.checked("evidence"),
            )
            .await?;
        Ok(download(content, &filename, format))
    };
    exported
        .await
        .unwrap_or_else(|e| error_page(&posted.session.texts, e))
}

/// A file to save, never shown in the page (no marked content in the
/// browser's history or cache: `no-store` is on every answer).
fn download(content: String, filename: &str, format: pb::ExportFormat) -> Response {
    let kind = match format {
        pb::ExportFormat::Csv => "text/csv; charset=utf-8",
        _ => "application/json",
    };
    let mut response = (StatusCode::OK, content).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
