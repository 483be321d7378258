//! For hub operators: per member, what the hub relayed, what is pending
//! and overdue, and the median times to acknowledgement and response, the
//! figures of `itictl hub stats` (`Node::hub_stats`: facts, no content),
//! with a bar for each count (`<meter>`: no script, no inline style).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use iti_proto::v1 as pb;
use maud::{Markup, html};

use crate::console::i18n::Texts;
use crate::console::pages::layout;
use crate::console::{Console, Session, chosen_language, error_page, page_response};
use crate::render::median_time;
use crate::service::access::{Operation, require};

/// `GET /hub`.
pub async fn show(State(console): State<Arc<Console>>, session: Session, uri: Uri) -> Response {
    let texts = &session.texts;
    if let Err(e) = require(&session.officer, Operation::ReadHubFigures) {
        return error_page(texts, e);
    }
    let members = match console.node.hub_stats().await {
        Ok(m) => m,
        Err(e) => return error_page(texts, e),
    };
    let body = layout::page(
        texts,
        Some(&session.officer),
        &texts.t("hub-title"),
        table(texts, &members),
    );
    page_response(
        StatusCode::OK,
        texts,
        chosen_language(uri.query()).is_some(),
        body.into_string(),
    )
}

fn table(texts: &Texts, members: &[pb::MemberStats]) -> Markup {
    let most = members
        .iter()
        .map(|m| m.relayed.max(m.pending))
        .max()
        .unwrap_or(0)
        .max(1);
    html! {
        @if members.is_empty() {
            p { (texts.t("inbox-nothing")) }
        } @else {
            table class="hub" {
                thead { tr {
                    th scope="col" { (texts.t("hub-member")) }
                    th scope="col" { (texts.t("hub-relayed")) }
                    th scope="col" { (texts.t("hub-pending")) }
                    th scope="col" { (texts.t("hub-overdue")) }
                    th scope="col" { (texts.t("hub-on-behalf")) }
                    th scope="col" { (texts.t("hub-median-ack")) }
                    th scope="col" { (texts.t("hub-median-response")) }
                } }
                tbody { @for m in members {
                    tr {
                        th scope="row" { (m.member) }
                        td { (count(m.relayed, most)) }
                        td { (count(m.pending, most)) }
                        td class=[(m.overdue > 0).then_some("overdue")] { (count(m.overdue, most)) }
                        td { (m.on_behalf) }
                        td { (median_time(texts, m.median_ack_seconds)) }
                        td { (median_time(texts, m.median_response_seconds)) }
                    }
                } }
            }
        }
    }
}

fn count(n: u64, most: u64) -> Markup {
    html! {
        meter min="0" max=(most) value=(n) { (n) } " " (n)
    }
}
