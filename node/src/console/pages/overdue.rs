//! What is overdue, on both sides: `itictl overdue`'s listing
//! (`Node::overdue_items`), each with who owes it and since when.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use iti_proto::v1 as pb;
use maud::html;

use crate::console::pages::layout::{self, short};
use crate::console::{Console, Session, error_page};
use crate::service::access::{Operation, require};

/// `GET /overdue`.
pub async fn show(State(console): State<Arc<Console>>, session: Session, uri: Uri) -> Response {
    let texts = &session.texts;
    if let Err(e) = require(&session.officer, Operation::ReadCases) {
        return error_page(texts, e);
    }
    let items = match console.node.overdue_items(console.node.now()).await {
        Ok(items) => items,
        Err(e) => return error_page(texts, e),
    };
    let content = html! {
        @if items.is_empty() {
            p { (texts.t("overdue-nothing")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (texts.t("col-reference")) }
                    th scope="col" { (texts.t("col-counterpart")) }
                    th scope="col" { (texts.t("col-role")) }
                    th scope="col" { (texts.t("overdue-what")) }
                    th scope="col" { (texts.t("overdue-owed-by")) }
                    th scope="col" { (texts.t("col-due")) }
                } }
                tbody { @for item in &items {
                    tr class="overdue" {
                        td { a href={ "/case/" (item.trace_id) } { code { (short(&item.trace_id)) } } }
                        td { (item.counterpart) }
                        td { (texts.code(pb::TraceRole::try_from(item.role).unwrap_or_default().as_str_name())) }
                        td { (texts.coded("overdue", &item.what)) }
                        td { (item.owed_by) }
                        td { (layout::time(item.due.as_ref())) }
                    }
                } }
            }
        }
    };
    session.page(&uri, &texts.t("overdue-title"), content)
}
