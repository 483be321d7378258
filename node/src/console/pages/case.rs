//! A case: every trace of the chain with its messages (each with its TLP
//! label, restriction badges and what was withheld, by which rule), its
//! history, a drafted follow-up's provenance, and the weapon's timeline
//! with the conclusion. The same view model as `itictl case show`
//! (`Node::case_view`), which writes the officer's access to the audit trail.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use iti_proto::v1 as pb;
use maud::{Markup, html};

use crate::case::items::ItemWindow;
use crate::console::i18n::Texts;
use crate::console::pages::layout::{self, field, marking, short, withheld};
use crate::console::pages::{act, inbox, message};
use crate::console::{Console, Session, chosen_language, error_page, page_response};
use crate::identity::Officer;

pub async fn show(
    State(console): State<Arc<Console>>,
    session: Session,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let texts = &session.texts;
    let items = ItemWindow::page(items_from(uri.query()));
    let view = match console
        .node
        .case_view(&session.officer, id.trim(), items)
        .await
    {
        Ok(view) => view,
        Err(e) => return error_page(texts, e),
    };
    let now = console.node.now();
    let csrf = console.csrf.token(&session.officer);
    let content = html! {
        @for tv in &view.traces {
            (trace(texts, &session.officer, tv, now, &csrf))
        }
        (timeline(texts, &view))
    };
    let title = texts.t_with(
        "case-title",
        &[("reference", short(&view.case_id).to_string())],
    );
    let body = layout::page(texts, Some(&session.officer), &title, content);
    page_response(
        StatusCode::OK,
        texts,
        chosen_language(uri.query()).is_some(),
        body.into_string(),
    )
}

/// The first item shown of each request (`?items=N`, from item N, as
/// officers count): a large cache is read a page at a time.
fn items_from(query: Option<&str>) -> usize {
    query
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("items="))
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(0, |n| n.saturating_sub(1))
}

fn trace(
    texts: &Texts,
    officer: &Officer,
    tv: &pb::TraceView,
    now: time::OffsetDateTime,
    csrf: &str,
) -> Markup {
    let Some(t) = &tv.summary else {
        return html! {};
    };
    let role = pb::TraceRole::try_from(t.role).unwrap_or(pb::TraceRole::Unspecified);
    html! {
        section class="trace" id={ "trace-" (t.trace_id) } {
            h2 { (texts.t_with("case-trace", &[("reference", short(&t.trace_id).to_string())])) }
            dl class="summary" {
                (field(texts, "case-counterpart", &crate::render::withheld_or(texts, &t.counterpart)))
                (field(texts, "case-role", &texts.code(role.as_str_name())))
                (field(texts, "case-state", &texts.coded("state", &t.state)))
                (field(texts, "case-on-behalf", &t.on_behalf_of))
                (field(texts, "case-items", &crate::render::trace_items(texts, t)))
                dt { (texts.t("case-marking")) }
                dd { (marking(texts, t.marking.as_ref())) }
                @if t.ack_due.is_some() || t.response_due.is_some() {
                    dt { (texts.t("case-due")) }
                    dd { (inbox::due(texts, t, now)) }
                }
            }
            @if !t.missing.is_empty() {
                h3 { (texts.t("case-missing")) }
                ul { @for m in &t.missing { li { code { (m.field) } " (" (m.clause) "): " (crate::render::missing_description(texts, m)) } } }
            }
            (act::forms(texts, officer, t, csrf))
            (draft(texts, tv))
            h3 { (texts.t("case-messages")) }
            @for m in &tv.messages { (message::view(texts, m)) }
            h3 { (texts.t("case-history")) }
            (history(texts, &tv.events))
        }
    }
}

fn draft(texts: &Texts, tv: &pb::TraceView) -> Markup {
    html! {
        @if tv.draft.is_some() || !tv.draft_fields.is_empty() || !tv.draft_withheld.is_empty() {
            section class="draft" {
                h3 { (texts.t("case-draft")) }
                ul {
                    @for f in &tv.draft_fields {
                        li {
                            (texts.t_with("case-draft-field", &[("field", texts.coded("part", &f.field)), ("provider", f.provided_by.clone())]))
                            " " (marking(texts, f.marking.as_ref()))
                        }
                    }
                }
                @if let Some(r) = &tv.draft { (message::request(texts, r)) }
                (message::items_pages(texts, tv.draft_items_shown.as_ref()))
                (withheld(texts, &tv.draft_withheld))
            }
        }
    }
}

/// The trace's events in the officer's language: each kind
/// (`Texts::event`), its fact (the English stored for events recorded
/// before facts were), who did it.
fn history(texts: &Texts, events: &[pb::CaseEvent]) -> Markup {
    html! {
        ol class="history" {
            @for e in events {
                li {
                    time { (layout::time(e.at.as_ref())) }
                    " " strong { (texts.event(&e.kind)) }
                    @if !e.detail.is_empty() { " — " (texts.detail(e.fact.as_ref(), &e.detail)) }
                    @if !e.actor.is_empty() { " " span class="actor" { "(" (texts.t_with("history-by", &[("actor", texts.actor(&e.actor))])) ")" } }
                }
            }
        }
    }
}

fn timeline(texts: &Texts, view: &pb::CaseView) -> Markup {
    html! {
        @if !view.timeline.is_empty() || !view.conclusion.is_empty() || !view.conclusion_withheld.is_empty() {
            section class="timeline" {
                h2 { (texts.t("case-timeline")) }
                ol {
                    @for s in &view.timeline { (step(texts, s)) }
                }
                @if !view.conclusion.is_empty() {
                    p {
                        strong { (layout::label(texts, "case-conclusion")) " " }
                        (crate::render::conclusion(texts, &view.conclusion)) " " (marking(texts, view.conclusion_marking.as_ref()))
                    }
                }
                (withheld(texts, &view.conclusion_withheld))
            }
        }
    }
}

fn step(texts: &Texts, s: &pb::TimelineStep) -> Markup {
    let date = if s.date.is_empty() {
        texts.t("undated")
    } else {
        s.date.clone()
    };
    let kind = pb::HistoryEventKind::try_from(s.kind).unwrap_or(pb::HistoryEventKind::Unspecified);
    html! {
        li {
            time { (date) } " "
            @if !s.withheld.is_empty() {
                span class="withheld" {
                    (texts.t_with("withheld-step", &[("provider", s.provided_by.clone()), ("rules", layout::withheld_rules(texts, &s.withheld))]))
                }
            } @else {
                strong { (texts.code(kind.as_str_name())) } " " (s.state) " " (s.party)
                @if !s.description.is_empty() { " — " (crate::render::step_description(texts, s)) }
                " " span class="provider" { "(" (texts.t_with("timeline-provided-by", &[("provider", s.provided_by.clone())])) ")" }
                " " (marking(texts, s.marking.as_ref()))
            }
        }
    }
}
