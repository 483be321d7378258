//! The clause 12 report for a period: `itictl report`'s call
//! (`Node::report`), with the same role check and the same content.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use crate::console::pages::compose::date;
use crate::console::{Console, Session, error_page};
use crate::service::ServiceResult;

#[derive(Deserialize, Default)]
pub struct Period {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// `GET /report[?from=YYYY-MM-DD&to=YYYY-MM-DD]`.
pub async fn show(
    State(console): State<Arc<Console>>,
    session: Session,
    uri: Uri,
    Query(period): Query<Period>,
) -> Response {
    let texts = &session.texts;
    let made = async {
        let from = date(&period.from, "from")?.and_then(|t| crate::clock::from_timestamp(&t));
        let to = date(&period.to, "to")?.and_then(|t| crate::clock::from_timestamp(&t));
        let report = console.node.report(&session.officer, from, to).await?;
        ServiceResult::Ok(crate::report::text(texts, &report))
    };
    let text = match made.await {
        Ok(text) => text,
        Err(e) => return error_page(texts, e),
    };
    let content = html! {
        form method="get" action="/report" class="period" {
            label for="from" { (texts.t("report-from")) }
            input type="date" id="from" name="from" value=(period.from);
            label for="to" { (texts.t("report-to")) }
            input type="date" id="to" name="to" value=(period.to);
            button type="submit" { (texts.t("report-make")) }
        }
        pre class="report" { (text) }
    };
    session.page(&uri, &texts.t("report-title"), content)
}
