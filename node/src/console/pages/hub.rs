//! For hub operators: per member, what the hub relayed, what is pending
//! and overdue, and the median times to acknowledgement and response, the
//! figures of `itictl hub stats` (`Node::hub_stats`: facts, no content),
//! with a bar for each count (`<meter>`: no script, no inline style), the
//! members whose deliveries fail now, and each member's last 14 days as a
//! chart (inline SVG styled by the console's stylesheet, with the figures
//! in a table beside it for screen readers).

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
        html! {
            (table(texts, &members))
            (unreachable(texts, &members))
            (history(texts, &members))
        },
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

/// The members the hub cannot deliver to now.
fn unreachable(texts: &Texts, members: &[pb::MemberStats]) -> Markup {
    let failing: Vec<&pb::MemberStats> = members
        .iter()
        .filter(|m| m.unreachable_since.is_some())
        .collect();
    html! {
        section aria-labelledby="unreachable" {
            h2 id="unreachable" { (texts.t("hub-unreachable")) }
            @if failing.is_empty() {
                p { (texts.t("hub-all-reachable")) }
            } @else {
                ul { @for m in failing {
                    li class="overdue" {
                        strong { (m.member) } " — "
                        (texts.t_with("hub-unreachable-since", &[
                            ("since", layout::time(m.unreachable_since.as_ref())),
                            ("waiting", m.waiting.to_string()),
                        ]))
                    }
                } }
            }
        }
    }
}

/// Each member's last days: relayed as bars, pending and overdue as lines.
fn history(texts: &Texts, members: &[pb::MemberStats]) -> Markup {
    let most = members
        .iter()
        .flat_map(|m| &m.days)
        .map(|d| d.relayed.max(d.pending))
        .max()
        .unwrap_or(0)
        .max(1);
    html! {
        section aria-labelledby="history" {
            h2 id="history" { (texts.t("hub-history")) }
            p class="legend" {
                span class="key relayed" { (texts.t("hub-relayed")) } " "
                span class="key pending" { (texts.t("hub-pending")) } " "
                span class="key overdue" { (texts.t("hub-overdue")) }
            }
            div class="charts" {
                @for m in members { (member_chart(texts, m, most)) }
            }
        }
    }
}

const CHART_W: u64 = 280;
const CHART_H: u64 = 90;

fn member_chart(texts: &Texts, m: &pb::MemberStats, most: u64) -> Markup {
    let n = m.days.len().max(1) as u64;
    let step = CHART_W / n;
    let y = |v: u64| CHART_H - v * (CHART_H - 4) / most;
    let line = |pick: fn(&pb::MemberDay) -> u64| -> String {
        m.days
            .iter()
            .enumerate()
            .map(|(i, d)| format!("{},{}", i as u64 * step + step / 2, y(pick(d))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let id = format!("chart-{}", m.member.replace(':', "-"));
    html! {
        figure class="chart" {
            svg viewBox={ "0 0 " (CHART_W) " " (CHART_H) } role="img" aria-labelledby=(id) {
                title id=(id) { (texts.t_with("hub-chart-title", &[("member", m.member.clone())])) }
                @for (i, d) in m.days.iter().enumerate() {
                    rect class="relayed" x=(i as u64 * step + 1) y=(y(d.relayed))
                        width=(step.saturating_sub(2)) height=(CHART_H - y(d.relayed)) {}
                }
                polyline class="pending" points=(line(|d| d.pending)) {}
                polyline class="overdue" points=(line(|d| d.overdue)) {}
            }
            figcaption { (m.member) }
            details {
                summary { (texts.t("hub-figures-by-day")) }
                (day_table(texts, m))
            }
        }
    }
}

fn day_table(texts: &Texts, m: &pb::MemberStats) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { (texts.t("hub-day")) }
                th scope="col" { (texts.t("hub-relayed")) }
                th scope="col" { (texts.t("hub-pending")) }
                th scope="col" { (texts.t("hub-overdue")) }
            } }
            tbody { @for d in &m.days {
                tr { th scope="row" { (d.day) } td { (d.relayed) } td { (d.pending) } td { (d.overdue) } }
            } }
        }
    }
}
