//! What a message says: a request with every item and every mark (kind,
//! value, location), a response section by section with each section's
//! marking, and the short replies. Labels and coded values come from the
//! catalogs; what officers wrote is shown as written. Kinds without a page
//! layout of their own yet are shown through the shared text renderer
//! (`render::payload`), so nothing the view model holds is left out.

use iti_proto::v1 as pb;
use maud::{Markup, html};
use pb::payload::Body;

use crate::console::i18n::Texts;
use crate::console::pages::layout::{self, field, marking, withheld};
use crate::photo::PhotoHash;

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
            (withheld(texts, &m.withheld))
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
/// every mark, its kind and its location.
pub fn request(texts: &Texts, r: &pb::TraceRequest) -> Markup {
    let context = r.context.clone().unwrap_or_default();
    let restrictions: Vec<String> = r
        .restrictions_cannot_comply
        .iter()
        .filter_map(|x| pb::UseRestriction::try_from(*x).ok())
        .map(|x| texts.code(x.as_str_name()))
        .collect();
    html! {
        dl class="request" {
            (field(texts, "req-reference", &r.requester_reference))
            @if context.recovered_at.is_some() {
                (field(texts, "req-recovered", &layout::time(context.recovered_at.as_ref())))
            }
            (field(texts, "req-place", &context.place_of_recovery))
            (field(texts, "req-illicit-nature", &context.illicit_nature))
            (field(texts, "req-legal-basis", &context.legal_basis))
            (field(texts, "req-circumstances", &context.circumstances))
            @if r.grounds.is_some() { (field(texts, "req-grounds", &crate::render::request_grounds(texts, r))) }
            (field(texts, "req-information-sought", &r.information_sought))
            (field(texts, "req-purpose", &r.purpose))
            (field(texts, "req-intended-use", &r.intended_use))
            (field(texts, "req-additional", &r.additional_information))
            @if r.cannot_provide_all { (field(texts, "req-incomplete", &r.cannot_provide_explanation)) }
            (field(texts, "req-cannot-comply", &restrictions.join(", ")))
        }
        @for item in &r.items { (recovered_item(texts, item)) }
        @if !r.individuals.is_empty() {
            h4 { (texts.t("req-individuals")) }
            ul { @for p in &r.individuals { li { (p.name) @if !p.role.is_empty() { " — " (p.role) } } } }
        }
    }
}

fn recovered_item(texts: &Texts, item: &pb::RecoveredItem) -> Markup {
    use pb::recovered_item::Item;
    let quantity = if item.quantity > 1 {
        item.quantity.to_string()
    } else {
        String::new()
    };
    html! {
        div class="item" {
            @match &item.item {
                Some(Item::Weapon(w)) => {
                    h4 { (texts.t("item-weapon")) }
                    dl {
                        (field(texts, "item-ref", &item.item_ref))
                        (field(texts, "item-quantity", &quantity))
                        (field(texts, "item-make", &w.make))
                        (field(texts, "item-model", &w.model))
                        (field(texts, "item-calibre", &w.calibre))
                        (field(texts, "item-serial", &w.serial_number))
                        (field(texts, "item-serial-location", &w.serial_location))
                        (field(texts, "item-country-manufacture", &w.country_of_manufacture))
                        (field(texts, "item-country-import", &w.country_of_last_import))
                        (field(texts, "item-manufacturer", &w.manufacturer))
                        (field(texts, "item-description", &w.description))
                        (photos(texts, &w.photographs))
                    }
                    (marks(texts, &w.marks))
                }
                Some(Item::Ammunition(a)) => {
                    h4 { (texts.t("item-ammunition")) }
                    dl {
                        (field(texts, "item-ref", &item.item_ref))
                        (field(texts, "item-quantity", &quantity))
                        (field(texts, "item-calibre", &a.calibre))
                        (field(texts, "item-lot", &a.lot_number))
                        (field(texts, "item-manufacturer", &a.manufacturer))
                        (field(texts, "item-country-manufacture", &a.country_of_manufacture))
                        (field(texts, "item-headstamp", &a.headstamp))
                        (field(texts, "item-year", &nonzero(a.year_of_production)))
                        (photos(texts, &a.photographs))
                    }
                }
                Some(Item::Part(p)) => {
                    h4 { (texts.t("item-part")) }
                    dl {
                        (field(texts, "item-ref", &item.item_ref))
                        (field(texts, "item-quantity", &quantity))
                        (field(texts, "item-description", &p.description))
                        (field(texts, "item-make", &p.make))
                        (field(texts, "item-serial", &p.serial_number))
                        (field(texts, "item-country-manufacture", &p.country_of_manufacture))
                        (photos(texts, &p.photographs))
                    }
                    (marks(texts, &p.marks))
                }
                None => {}
            }
        }
    }
}

/// Every further mark (6.2.2), with its kind and location.
fn marks(texts: &Texts, marks: &[pb::WeaponMark]) -> Markup {
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
                        td { (texts.code(pb::MarkKind::try_from(m.kind).unwrap_or(pb::MarkKind::Unspecified).as_str_name())) }
                        td { (m.value) }
                        td { (m.location) }
                        td { (m.country) }
                        td { (nonzero(m.year)) }
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

fn nonzero(n: u32) -> String {
    if n == 0 { String::new() } else { n.to_string() }
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
