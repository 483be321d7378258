//! The inbox: what we owe (traces that need us now) and what is owed to us
//! (our other open traces), then the closed ones, with counterparts, deadlines due soon or
//! overdue, and short references. The same listing as `itictl inbox` and
//! `itictl cases` (`Node::trace_summaries`).

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use iti_proto::v1 as pb;
use maud::{Markup, html};
use std::sync::Arc;

use crate::clock::from_timestamp;
use crate::console::i18n::Texts;
use crate::console::pages::layout::{self, marking, short};
use crate::console::{Console, Session, chosen_language, error_page, page_response};

/// How many traces a section shows.
const PAGE: usize = 200;
/// A deadline this close is "due soon".
const SOON: time::Duration = time::Duration::hours(48);

pub async fn show(State(console): State<Arc<Console>>, session: Session, uri: Uri) -> Response {
    let node = &console.node;
    let o = &session.officer;
    let texts = &session.texts;
    let listed = async {
        let (ours, _) = node.trace_summaries(o, true, false, None, PAGE).await?;
        let (open, _) = node.trace_summaries(o, false, false, None, PAGE).await?;
        let (all, _) = node.trace_summaries(o, false, true, None, PAGE).await?;
        Ok::<_, crate::service::ServiceError>((ours, open, all))
    };
    let (we_owe, open, all) = match listed.await {
        Ok(lists) => lists,
        Err(e) => return error_page(texts, e),
    };
    let owed_to_us: Vec<pb::TraceSummary> = open
        .into_iter()
        .filter(|t| !we_owe.iter().any(|w| w.trace_id == t.trace_id))
        .collect();
    let closed: Vec<pb::TraceSummary> = all.into_iter().filter(|t| t.state == "closed").collect();
    let now = node.now();
    let content = html! {
        section aria-labelledby="we-owe" {
            h2 id="we-owe" { (texts.t("inbox-we-owe")) }
            (table(texts, &we_owe, now))
        }
        section aria-labelledby="owed-to-us" {
            h2 id="owed-to-us" { (texts.t("inbox-owed-to-us")) }
            (table(texts, &owed_to_us, now))
        }
        section aria-labelledby="closed" {
            h2 id="closed" { (texts.t("inbox-closed")) }
            (table(texts, &closed, now))
        }
    };
    let body = layout::page(texts, Some(o), &texts.t("inbox-title"), content);
    page_response(
        StatusCode::OK,
        texts,
        chosen_language(uri.query()).is_some(),
        body.into_string(),
    )
}

fn table(texts: &Texts, traces: &[pb::TraceSummary], now: time::OffsetDateTime) -> Markup {
    html! {
        @if traces.is_empty() {
            p { (texts.t("inbox-nothing")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (texts.t("col-reference")) }
                    th scope="col" { (texts.t("col-counterpart")) }
                    th scope="col" { (texts.t("col-role")) }
                    th scope="col" { (texts.t("col-state")) }
                    th scope="col" { (texts.t("col-items")) }
                    th scope="col" { (texts.t("col-due")) }
                    th scope="col" { (texts.t("col-marking")) }
                } }
                tbody {
                    @for t in traces { (row(texts, t, now)) }
                }
            }
        }
    }
}

fn row(texts: &Texts, t: &pb::TraceSummary, now: time::OffsetDateTime) -> Markup {
    let role = pb::TraceRole::try_from(t.role).unwrap_or(pb::TraceRole::Unspecified);
    html! {
        tr class=[t.overdue.then_some("overdue")] {
            td {
                a href={ "/case/" (t.trace_id) } { code { (short(&t.trace_id)) } }
                @let reference = crate::render::trace_reference(t);
                @if !reference.is_empty() { br; span class="reference" { (reference) } }
            }
            td { (crate::render::withheld_or(texts, &t.counterpart)) }
            td { (texts.code(role.as_str_name())) }
            td { (texts.coded("state", &t.state)) }
            td { (crate::render::trace_items(texts, t)) }
            td { (due(texts, t, now)) }
            td { (marking(texts, t.marking.as_ref())) }
        }
    }
}

/// The next deadline, and whether it is overdue or due soon.
pub fn due(texts: &Texts, t: &pb::TraceSummary, now: time::OffsetDateTime) -> Markup {
    let (id, at) = match (&t.ack_due, &t.response_due) {
        (Some(a), _) => ("due-ack", a),
        (None, Some(r)) => ("due-response", r),
        _ => return html! {},
    };
    let when = layout::time(Some(at));
    let soon = from_timestamp(at).is_some_and(|d| d > now && d - now <= SOON);
    html! {
        (texts.t_with(id, &[("when", when)]))
        @if t.overdue {
            " " strong class="flag overdue" { (texts.t("due-overdue")) }
        } @else if soon {
            " " strong class="flag soon" { (texts.t("due-soon")) }
        }
        @if !t.missing.is_empty() {
            " " span class="flag" { (texts.t_with("missing-count", &[("count", t.missing.len().to_string())])) }
        }
    }
}
