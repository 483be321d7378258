//! For auditors: the newest entries of the node's audit trail (facts, never
//! content: `itictl audit log`) and, on request, the verification of the
//! hash chain against the heads peers witnessed (`itictl audit verify`).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use iti_proto::v1 as pb;
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::i18n::Texts;
use crate::console::pages::layout;
use crate::console::{Console, Session, error_page};
use crate::service::ServiceResult;
use crate::service::access::{Operation, require};

/// How many of the newest entries the page shows.
const NEWEST: u32 = 200;

#[derive(Deserialize)]
pub struct Params {
    /// Verify the chain (it asks each peer for its witnessed head).
    #[serde(default)]
    verify: Option<String>,
}

/// `GET /audit[?verify=1]`.
pub async fn show(
    State(console): State<Arc<Console>>,
    session: Session,
    uri: Uri,
    Query(params): Query<Params>,
) -> Response {
    let texts = &session.texts;
    if let Err(e) = require(&session.officer, Operation::ReadAudit) {
        return error_page(texts, e);
    }
    let read = async {
        let verified = match params.verify {
            Some(_) => Some(console.node.verify_audit().await?),
            None => None,
        };
        let entries = newest(&console, NEWEST).await?;
        ServiceResult::Ok((verified, entries))
    };
    let (verified, entries) = match read.await {
        Ok(read) => read,
        Err(e) => return error_page(texts, e),
    };
    let content = html! {
        @match &verified {
            Some(v) => (verification(texts, v)),
            None => form method="get" action="/audit" {
                input type="hidden" name="verify" value="1";
                button type="submit" { (texts.t("audit-verify")) }
            },
        }
        (entry_table(texts, &entries))
    };
    session.page(&uri, &texts.t("audit-title"), content)
}

/// The newest `n` entries, newest first.
async fn newest(console: &Console, n: u32) -> ServiceResult<Vec<pb::AuditEntry>> {
    let last = console.node.audit_head_seq().await?;
    let mut entries = console
        .node
        .audit_entries(last.saturating_sub(u64::from(n)), n)
        .await?;
    entries.reverse();
    Ok(entries)
}

fn verification(texts: &Texts, v: &pb::AuditVerifyReply) -> Markup {
    html! {
        section aria-labelledby="verification" {
            h2 id="verification" { (texts.t("audit-verification")) }
            @if v.ok {
                p { (texts.t_with("audit-intact", &[("entries", v.entries.to_string())])) }
            } @else {
                p class="error" role="alert" {
                    (texts.t_with("audit-broken", &[("seq", v.first_bad_seq.to_string())])) " " (v.problem)
                }
            }
            @if !v.witnesses.is_empty() {
                ul { @for w in &v.witnesses {
                    li { strong { (w.peer) } ": " (texts.coded("witness", &w.outcome)) " " (w.detail) }
                } }
            }
        }
    }
}

/// What an audited action is, in the reader's language, after its code
/// (the code stays: auditors search the trail and `itictl audit log` by it).
fn action_gloss(texts: &Texts, action: &str) -> Markup {
    let gloss = texts
        .find("audit-action", action)
        .or_else(|| Some(texts.event(action)).filter(|e| e != action));
    html! { @if let Some(g) = gloss { " (" (g) ")" } }
}

fn entry_table(texts: &Texts, entries: &[pb::AuditEntry]) -> Markup {
    html! {
        table class="audit" {
            caption { (texts.t_with("audit-newest", &[("count", entries.len().to_string())])) }
            thead { tr {
                th scope="col" { "#" }
                th scope="col" { (texts.t("audit-at")) }
                th scope="col" { (texts.t("audit-actor")) }
                th scope="col" { (texts.t("audit-action")) }
                th scope="col" { (texts.t("audit-subject")) }
                th scope="col" { (texts.t("audit-detail")) }
            } }
            tbody { @for e in entries {
                tr {
                    td { (e.seq) }
                    td { (layout::time(e.at.as_ref())) }
                    td { (e.actor) }
                    td { code { (e.action) } (action_gloss(texts, &e.action)) }
                    td { (e.subject) }
                    td { (e.detail) }
                }
            } }
        }
    }
}
