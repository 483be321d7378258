//! What a message says: a request with every item and every mark (kind,
//! value, location), a response section by section with each section's
//! marking, and the short replies. Labels and coded values come from the
//! catalogs; what officers wrote is shown as written. Kinds without a page
//! layout of their own yet are shown through the shared text renderer
//! (`render::payload`), so nothing the view model holds is left out.

use iti_proto::v1 as pb;
use maud::{Markup, html};
use pb::payload::Body;

use crate::case::items::ItemWindow;
use crate::console::i18n::Texts;
use crate::console::pages::layout::{self, field, marking, withheld};
use crate::photo::PhotoHash;
use crate::render::sheet;

/// One message of a trace: kind, route, time, delivery, marking, content,
/// and what was withheld from this officer.
pub fn view(texts: &Texts, m: &pb::MessageView) -> Markup {
    let kind = pb::PayloadKind::try_from(m.kind).unwrap_or(pb::PayloadKind::Unspecified);
    let delivery =
        pb::DeliveryState::try_from(m.delivery).unwrap_or(pb::DeliveryState::Unspecified);
    html! {
        article class="message" {
            header {
                strong { (texts.code(kind.as_str_name())) } " "
                span { (texts.t_with("message-route", &[("origin", m.origin.clone()), ("destination", m.destination.clone())])) } " "
                time { (layout::time(m.created_at.as_ref())) } " "
                (marking(texts, m.marking.as_ref()))
            }
            dl {
                (field(texts, "message-delivery", &texts.code(delivery.as_str_name())))
                (field(texts, "message-hops", &m.hops.join(", ")))
                (field(texts, "message-error", &m.error))
            }
            @match m.payload.as_ref().and_then(|p| p.body.as_ref()) {
                Some(body) => (content(texts, body)),
                None => @if m.withheld.is_empty() { p { (texts.t("message-no-content")) } },
            }
            (items_pages(texts, m.items_shown.as_ref()))
            (withheld(texts, &m.withheld))
        }
    }
}

/// Which items of a large request are shown, with links to the pages
/// before and after it (`?items=N`: from item N).
pub fn items_pages(texts: &Texts, shown: Option<&pb::ItemsShown>) -> Markup {
    let Some(shown) = shown else {
        return html! {};
    };
    let page = sheet::items_page(shown);
    let count = [("count", ItemWindow::PAGE.to_string())];
    let range = [
        ("first", page.first.to_string()),
        ("last", page.last.to_string()),
        ("total", page.total.to_string()),
    ];
    html! {
        nav class="items-pages" {
            (texts.t_with("items-shown", &range))
            @if let Some(previous) = page.previous {
                " · " a href={ "?items=" (previous) } { (texts.t_with("items-previous", &count)) }
            }
            @if let Some(next) = page.next {
                " · " a href={ "?items=" (next) } { (texts.t_with("items-next", &count)) }
            }
        }
    }
}

fn content(texts: &Texts, body: &Body) -> Markup {
    match body {
        Body::Request(r) => request(texts, r),
        Body::Response(r) => response(texts, r),
        Body::Acknowledgement(a) => html! { dl { (field(texts, "ack-reference", &a.reference)) } },
        Body::Delay(d) => html! { dl {
            (field(texts, "new-due", &layout::time(d.new_response_due.as_ref())))
            (field(texts, "reason", &reason(texts, d.reason)))
            (field(texts, "explanation", &d.explanation))
        } },
        Body::Refusal(r) => html! { dl {
            (field(texts, "reason", &reason(texts, r.reason)))
            (field(texts, "explanation", &r.explanation))
        } },
        Body::ClarificationRequest(c) => html! { dl { (field(texts, "question", &c.question)) } },
        Body::ClarificationReply(c) => html! { dl { (field(texts, "answer", &c.answer)) } },
        Body::Closure(c) => html! { dl { (field(texts, "outcome", &c.outcome)) } },
        _ => {
            let mut text = String::new();
            crate::render::payload(
                texts,
                &pb::Payload {
                    body: Some(body.clone()),
                },
                &mut text,
                "",
            );
            html! { pre { (text) } }
        }
    }
}

fn reason(texts: &Texts, r: i32) -> String {
    texts.code(
        pb::WithholdingReason::try_from(r)
            .unwrap_or(pb::WithholdingReason::Unspecified)
            .as_str_name(),
    )
}

/// A request (9.2): its context, grounds, purpose, and each item with
/// every mark, its kind and its location (the sheet `itictl` prints too).
pub fn request(texts: &Texts, r: &pb::TraceRequest) -> Markup {
    let sheet = sheet::request(texts, r);
    html! {
        dl class="request" {
            @for f in &sheet.fields { (field(texts, f.label, &f.value)) }
        }
        @for item in &sheet.items { (recovered_item(texts, item)) }
        @if !sheet.individuals.is_empty() {
            h4 { (texts.t("req-individuals")) }
            ul { @for (name, role) in &sheet.individuals { li { (name) @if !role.is_empty() { " — " (role) } } } }
        }
    }
}

fn recovered_item(texts: &Texts, item: &sheet::ItemSheet) -> Markup {
    html! {
        div class="item" {
            h4 { (texts.t(item.heading)) }
            dl {
                @for f in &item.fields { (field(texts, f.label, &f.value)) }
                (photos(texts, &item.photos))
            }
            (marks(texts, &item.marks))
        }
    }
}

/// Every further mark (6.2.2), with its kind and location.
fn marks(texts: &Texts, marks: &[sheet::Mark]) -> Markup {
    html! {
        @if !marks.is_empty() {
            table class="marks" {
                caption { (texts.t("marks-title")) }
                thead { tr {
                    th scope="col" { (texts.t("mark-kind")) }
                    th scope="col" { (texts.t("mark-value")) }
                    th scope="col" { (texts.t("mark-location")) }
                    th scope="col" { (texts.t("mark-country")) }
                    th scope="col" { (texts.t("mark-year")) }
                } }
                tbody { @for m in marks {
                    tr {
                        td { (m.kind) }
                        td { (m.value) }
                        td { (m.location) }
                        td { (m.country) }
                        td { (m.year) }
                    }
                } }
            }
        }
    }
}

/// Photographs (6.2.3), each shown from `/photo/{sha256}` (the node
/// fetches it from the sender on first use); a reference that is not a
/// SHA-256 is shown as text, never put in a URL.
fn photos(texts: &Texts, photos: &[pb::Attachment]) -> Markup {
    html! {
        @if !photos.is_empty() {
            dt { (texts.t("item-photos")) }
            @for p in photos {
                dd {
                    @if p.sha256.parse::<PhotoHash>().is_ok() {
                        figure class="photo" {
                            img src={ "/photo/" (p.sha256) } alt=(texts.t("photo-alt")) loading="lazy";
                            figcaption { (p.filename) " " code { "sha256:" (p.sha256) } }
                        }
                    } @else {
                        (p.filename) " sha256:" (p.sha256)
                    }
                }
            }
        }
    }
}

/// A response (10.4), section by section, each with its own marking.
fn response(texts: &Texts, r: &pb::TraceResponse) -> Markup {
    html! {
        @if r.restricted {
            p class="restricted" {
                strong { (layout::label(texts, "resp-restricted")) " " }
                (reason(texts, r.restriction_reason))
                @if !r.restriction_explanation.is_empty() { " — " (r.restriction_explanation) }
            }
        }
        @if let Some(f) = &r.finding { (finding(texts, f)) }
        @if let Some(p) = &r.last_legal_possessor {
            h4 { (texts.t("resp-llp")) " " (marking(texts, p.marking.as_ref())) }
            p { (p.name) @if !p.category.is_empty() { " (" (p.category) ")" } " " (p.state) }
        }
        @if let Some(c) = &r.commercial {
            h4 { (texts.t("resp-commercial")) " " (marking(texts, c.marking.as_ref())) }
            p { (c.contract_reference) " " (c.transport_agents.join(", ")) " " (c.brokers.join(", ")) " " (c.financial_transactions) " " (c.notes) }
        }
        @if let Some(i) = &r.individuals {
            h4 { (texts.t("resp-individuals")) " " (marking(texts, i.marking.as_ref())) }
            ul { @for p in &i.individuals { li { (p.name) @if !p.role.is_empty() { " — " (p.role) } } } }
        }
        @if !r.additional_information.is_empty() {
            h4 { (texts.t("resp-additional")) }
            p { (r.additional_information) }
        }
    }
}

fn finding(texts: &Texts, f: &pb::Finding) -> Markup {
    use pb::finding::Case;
    let (case, facts): (&str, Markup) = match &f.case {
        Some(Case::ManufactureOrImport(x)) => (
            if x.manufactured {
                "finding-manufactured"
            } else {
                "finding-imported"
            },
            html! { (field(texts, "resp-by", &x.manufacturer_or_importer)) (field(texts, "resp-date", &x.date)) (field(texts, "resp-details", &x.details)) },
        ),
        Some(Case::InternalTransfer(x)) => (
            "finding-internal-transfer",
            html! { (field(texts, "resp-date", &x.transfer_dates.join(", "))) (field(texts, "resp-final-consignee", &x.final_consignees.join(", "))) (licences(texts, &x.licences)) (field(texts, "resp-details", &x.details)) },
        ),
        Some(Case::Export(x)) => (
            "finding-export",
            html! { (field(texts, "resp-date", &x.export_date)) (field(texts, "resp-to", &x.importing_state)) (field(texts, "resp-transit", &x.transit_states.join(", "))) (field(texts, "resp-final-consignee", &x.final_consignee)) (licences(texts, &x.licences)) (field(texts, "resp-details", &x.details)) },
        ),
        Some(Case::InternalDiversion(x)) => (
            "finding-internal-diversion",
            html! { (field(texts, "resp-date", &x.diversion_date)) (field(texts, "resp-details", &x.details)) },
        ),
        Some(Case::NoRecord(x)) => (
            "finding-no-record",
            html! { (field(texts, "resp-searched", &x.searched.join("; "))) (field(texts, "resp-details", &x.details)) },
        ),
        None => return html! {},
    };
    html! {
        h4 { (texts.t("resp-finding")) " " (marking(texts, f.marking.as_ref())) }
        p class="finding" { (texts.t(case)) }
        dl { (facts) }
    }
}

fn licences(texts: &Texts, licences: &[pb::Licence]) -> Markup {
    let text: Vec<String> = licences
        .iter()
        .map(|l| {
            [&l.kind, &l.number, &l.issued_by, &l.date]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    field(texts, "resp-licences", &text.join("; "))
}
