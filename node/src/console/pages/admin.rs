//! For admins, read-only: the pinned peers with their CA's expiry (a
//! warning within 30 days), and the directory with each CA's fingerprint,
//! its standing and whether it is confirmed. Changes stay with `itictl`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use iti_proto::v1 as pb;
use maud::{Markup, html};

use crate::clock::from_timestamp;
use crate::console::i18n::Texts;
use crate::console::pages::layout;
use crate::console::{Console, Session, error_page};
use crate::service::ServiceResult;
use crate::service::access::{Operation, require};

/// A CA expiring this soon is flagged.
const EXPIRY_WARNING: time::Duration = time::Duration::days(30);

/// `GET /admin`.
pub async fn show(State(console): State<Arc<Console>>, session: Session, uri: Uri) -> Response {
    let texts = &session.texts;
    if let Err(e) = require(&session.officer, Operation::Administer) {
        return error_page(texts, e);
    }
    let read = async {
        let peers = console.node.peer_views().await?;
        let directory = console.node.directory_entries(None).await?;
        ServiceResult::Ok((peers, directory))
    };
    let (peers, directory) = match read.await {
        Ok(read) => read,
        Err(e) => return error_page(texts, e),
    };
    let now = console.node.now();
    let content = html! {
        section aria-labelledby="peers" {
            h2 id="peers" { (texts.t("admin-peers")) }
            (peer_table(texts, &peers, now))
        }
        section aria-labelledby="directory" {
            h2 id="directory" { (texts.t("admin-directory")) }
            (directory_table(texts, &directory.entries))
        }
    };
    session.page(&uri, &texts.t("admin-title"), content)
}

fn peer_table(texts: &Texts, peers: &[pb::PeerView], now: time::OffsetDateTime) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { (texts.t("admin-participant")) }
                th scope="col" { (texts.t("admin-endpoint")) }
                th scope="col" { (texts.t("admin-fingerprint")) }
                th scope="col" { (texts.t("admin-ca-expires")) }
                th scope="col" { (texts.t("admin-serves")) }
            } }
            tbody { @for peer in peers {
                tr {
                    th scope="row" { (peer.participant) }
                    td { code { (peer.endpoint) } }
                    td { code class="fingerprint" { (peer.ca_fingerprint) } }
                    td { (expiry(texts, peer.ca_not_after.as_ref(), now)) }
                    td { (peer.serves.join(", ")) }
                }
            } }
        }
    }
}

fn expiry(
    texts: &Texts,
    at: Option<&pbjson_types::Timestamp>,
    now: time::OffsetDateTime,
) -> Markup {
    let when = at.and_then(from_timestamp);
    html! {
        (layout::time(at))
        @if when.is_some_and(|w| w <= now) {
            " " strong class="flag overdue" { (texts.t("admin-expired")) }
        } @else if when.is_some_and(|w| w - now <= EXPIRY_WARNING) {
            " " strong class="flag soon" { (texts.t("admin-expires-soon")) }
        }
    }
}

/// How this node knows a CA ("self", "pinned", "via hub:X"), translated;
/// another value as it is.
fn trust(texts: &Texts, trust: &str) -> String {
    match trust.strip_prefix("via ") {
        Some(hub) => texts.t_with("trust-via", &[("hub", hub.to_string())]),
        None => texts.coded("trust", trust),
    }
}

fn directory_table(texts: &Texts, entries: &[pb::DirectoryEntryView]) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { (texts.t("admin-participant")) }
                th scope="col" { (texts.t("admin-fingerprint")) }
                th scope="col" { (texts.t("admin-trust")) }
                th scope="col" { (texts.t("admin-standing")) }
                th scope="col" { (texts.t("admin-confirmed")) }
            } }
            tbody { @for e in entries {
                tr class=[(!e.conflicts.is_empty()).then_some("overdue")] {
                    th scope="row" { (e.entry.as_ref().map(|d| d.participant.as_str()).unwrap_or("")) }
                    td { code class="fingerprint" { (e.ca_fingerprint) } }
                    td { (trust(texts, &e.trust)) }
                    td {
                        (texts.detail(e.standing_fact.as_ref(), &e.standing))
                        @if !e.conflicts.is_empty() {
                            " " strong class="flag overdue" { (texts.t("admin-conflict")) }
                        }
                    }
                    td { (texts.t(if e.confirmed { "admin-yes" } else { "admin-no" })) }
                }
            } }
        }
    }
}
