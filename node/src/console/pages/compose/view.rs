//! The compose form, filled with what the officer typed, and what a check
//! found: the routing plan (9.1) and the completeness hints (10.2), or the
//! problem that stops the request, naming its field. Element ids are
//! stable (`item0_make`, `item0_mark1_value`) for the browser tests.

use iti_proto::v1 as pb;
use maud::{Markup, html};

use super::form::{
    COMMON_FIELDS, ComposeForm, ItemForm, Kind, MARK_FIELDS, MarkForm, REQUEST_FIELDS, mark_get,
};
use crate::console::i18n::Texts;
use crate::console::pages::layout::field;
use crate::console::security::CSRF_FIELD;
use crate::render;

/// Blank mark rows offered under each item that carries marks.
const BLANK_MARKS: usize = 2;

const TLPS: [pb::Tlp; 5] = [
    pb::Tlp::Clear,
    pb::Tlp::Green,
    pb::Tlp::Amber,
    pb::Tlp::AmberStrict,
    pb::Tlp::Red,
];

const RESTRICTIONS: [pb::UseRestriction; 4] = [
    pb::UseRestriction::IntelligenceOnly,
    pb::UseRestriction::NoOnwardDisclosure,
    pb::UseRestriction::LawEnforcementOnly,
    pb::UseRestriction::ProprietaryCommercial,
];

/// What a check or a refused send found.
pub enum Outcome {
    Plan(Box<pb::RoutingPlan>),
    Problem(String),
}

/// The label of a form field, from the catalogs.
fn label(name: &str) -> &'static str {
    match name {
        "requester_reference" => "req-reference",
        "recovered_on" => "req-recovered",
        "place_of_recovery" => "req-place",
        "illicit_nature" => "req-illicit-nature",
        "legal_basis" => "req-legal-basis",
        "circumstances" => "req-circumstances",
        "information_sought" => "req-information-sought",
        "purpose" => "req-purpose",
        "intended_use" => "req-intended-use",
        "additional_information" => "req-additional",
        "item_ref" => "item-ref",
        "quantity" => "item-quantity",
        "make" => "item-make",
        "model" => "item-model",
        "calibre" => "item-calibre",
        "serial_number" => "item-serial",
        "serial_location" => "item-serial-location",
        "country_of_manufacture" => "item-country-manufacture",
        "country_of_last_import" => "item-country-import",
        "manufacturer" => "item-manufacturer",
        "manufacturer_code" => "compose-manufacturer-code",
        "lot_number" => "item-lot",
        "year_of_production" => "item-year",
        "headstamp" => "item-headstamp",
        "part_kind" => "compose-part-kind",
        "description" => "item-description",
        "mark_kind" => "mark-kind",
        "mark_value" => "mark-value",
        "mark_location" => "mark-location",
        "mark_country" => "mark-country",
        _ => "compose-field",
    }
}

/// One labelled input, `id` unique in the page, `name` the form's.
fn input(texts: &Texts, id: &str, name: &str, value: &str) -> Markup {
    let kind = match name {
        "recovered_on" => "date",
        "quantity" | "year_of_production" => "number",
        _ => "text",
    };
    html! {
        label for=(id) { (texts.t(label(name))) }
        @if kind == "text" {
            input type="text" id=(id) name=(name) value=(value) maxlength="2000";
        } @else {
            input type=(kind) id=(id) name=(name) value=(value);
        }
    }
}

/// A choice among a protobuf enum's values, the typed one selected.
fn select(texts: &Texts, id: &str, name: &str, typed: &str, choices: &[&str]) -> Markup {
    html! {
        label for=(id) { (texts.t(label(name))) }
        select id=(id) name=(name) {
            @for c in choices {
                option value=(c) selected[*c == typed] { (texts.code(c)) }
            }
        }
    }
}

fn mark_kinds() -> Vec<&'static str> {
    (1..=8)
        .filter_map(|k| pb::MarkKind::try_from(k).ok())
        .map(|k| k.as_str_name())
        .collect()
}

fn part_kinds() -> Vec<&'static str> {
    (0..=6)
        .filter_map(|k| pb::PartKind::try_from(k).ok())
        .map(|k| k.as_str_name())
        .collect()
}

/// The form, filled with `form`, after what a check found.
pub fn compose(texts: &Texts, csrf: &str, form: &ComposeForm, outcome: Option<&Outcome>) -> Markup {
    html! {
        // Kept current by /static/compose.js as the officer types; "check"
        // does the same without script.
        div id="outcome" aria-live="polite" {
            @if let Some(o) = outcome { (found(texts, o)) }
        }
        form id="compose" class="compose" method="post" action="/compose" enctype="multipart/form-data" {
            input type="hidden" name=(CSRF_FIELD) value=(csrf);
            fieldset {
                legend { (texts.t("compose-context")) }
                @for name in &REQUEST_FIELDS[..6] { (input(texts, name, name, form.get(name))) }
            }
            @for (i, item) in blocks(form).iter().enumerate() { (item_block(texts, i, item)) }
            fieldset {
                legend { (texts.t("compose-purpose")) }
                @for name in &REQUEST_FIELDS[6..] { (input(texts, name, name, form.get(name))) }
            }
            (marking(texts, form))
            div class="buttons" {
                @for kind in Kind::ALL {
                    button type="submit" id={ "compose-add-" (kind.value()) } name="add" value=(kind.value()) formaction="/compose/check" {
                        (texts.t(&format!("compose-add-{}", kind.value())))
                    }
                }
                button type="submit" id="compose-check" formaction="/compose/check" { (texts.t("compose-check")) }
                button type="submit" id="compose-send" { (texts.t("compose-submit")) }
            }
        }
        script src="/static/compose.js" defer {}
    }
}

/// The items typed, then a blank block of each kind (and one more of the
/// kind asked for with an "add" button).
fn blocks(form: &ComposeForm) -> Vec<ItemForm> {
    let mut blocks: Vec<ItemForm> = form.typed_items().cloned().collect();
    blocks.extend(Kind::ALL.map(ItemForm::blank));
    blocks.extend(
        Kind::ALL
            .into_iter()
            .filter(|k| form.add.as_deref() == Some(k.value()))
            .map(ItemForm::blank),
    );
    blocks
}

fn item_block(texts: &Texts, i: usize, item: &ItemForm) -> Markup {
    let Some(kind) = item.kind() else {
        return html! {};
    };
    let id = |name: &str| format!("item{i}_{name}");
    let marks: Vec<&MarkForm> = item.typed_marks().collect();
    let blank = MarkForm::new();
    html! {
        fieldset class={ "item " (kind.value()) } id={ "item" (i) } {
            legend { (texts.t(&format!("item-{}", kind.value()))) }
            input type="hidden" name="item" value=(kind.value());
            @for name in COMMON_FIELDS { (input(texts, &id(name), name, item.get(name))) }
            @for name in kind.fields() {
                @if *name == "part_kind" {
                    (select(texts, &id(name), name, item.get(name), &part_kinds()))
                } @else {
                    (input(texts, &id(name), name, item.get(name)))
                }
            }
            (photos(texts, i, item))
            @if kind.has_marks() {
                fieldset class="marks" {
                    legend { (texts.t("marks-title")) }
                    @for (j, mark) in marks.iter().copied().chain(std::iter::repeat_n(&blank, BLANK_MARKS)).enumerate() {
                        div class="mark" { (mark_row(texts, &format!("item{i}_mark{j}"), mark)) }
                    }
                }
            }
        }
    }
}

/// The item's photographs (6.2.3): those uploaded already, kept by hash,
/// and a file to add.
fn photos(texts: &Texts, i: usize, item: &ItemForm) -> Markup {
    let id = format!("item{i}_photo_file");
    html! {
        @for hash in &item.photos {
            input type="hidden" name="photo" value=(hash);
            p class="photo-kept" { (texts.t("compose-photo-kept")) " " code { (hash) } }
        }
        label for=(id) { (texts.t("compose-photo")) }
        input type="file" id=(id) name="photo_file" accept="image/jpeg,image/png,image/gif,image/webp";
    }
}

fn mark_row(texts: &Texts, prefix: &str, mark: &MarkForm) -> Markup {
    html! {
        @for name in MARK_FIELDS {
            @let id = format!("{prefix}_{}", name.trim_start_matches("mark_"));
            @if name == "mark_kind" {
                (select(texts, &id, name, mark_get(mark, name), &mark_kinds()))
            } @else {
                (input(texts, &id, name, mark_get(mark, name)))
            }
        }
    }
}

/// The marking: each TLP level and each restriction with a line saying
/// what it means (10.3).
fn marking(texts: &Texts, form: &ComposeForm) -> Markup {
    let tlp = if form.tlp.is_empty() {
        pb::Tlp::Amber.as_str_name()
    } else {
        form.tlp.as_str()
    };
    html! {
        fieldset id="marking" {
            legend { (texts.t("case-marking")) }
            @for t in TLPS {
                @let id = t.as_str_name().to_ascii_lowercase();
                div class="choice" {
                    input type="radio" id=(id) name="tlp" value=(t.as_str_name()) checked[t.as_str_name() == tlp];
                    label for=(id) { (texts.code(t.as_str_name())) }
                    " — " span class="explanation" { (texts.code(&format!("{}_DESC", t.as_str_name()))) }
                }
            }
            @for r in RESTRICTIONS {
                @let id = r.as_str_name().to_ascii_lowercase();
                div class="choice" {
                    input type="checkbox" id=(id) name="restriction" value=(r.as_str_name())
                        checked[form.restrictions.iter().any(|x| x == r.as_str_name())];
                    label for=(id) { (texts.code(r.as_str_name())) }
                    " — " span class="explanation" { (texts.code(&format!("{}_DESC", r.as_str_name()))) }
                }
            }
        }
    }
}

/// What a check found: the plan, or the problem with what was typed.
pub fn found(texts: &Texts, outcome: &Outcome) -> Markup {
    match outcome {
        Outcome::Problem(message) => html! {
            p class="error" role="alert" id="compose-problem" { (message) }
        },
        Outcome::Plan(p) => plan(texts, p),
    }
}

/// The routing plan (9.1) and what the requested state may find missing
/// (10.2), from the service's plan, as `itictl request plan` shows it.
fn plan(texts: &Texts, p: &pb::RoutingPlan) -> Markup {
    let grounds = p.grounds.clone().unwrap_or_default();
    let rule = pb::RoutingRule::try_from(grounds.rule).unwrap_or(pb::RoutingRule::Unspecified);
    let path = if p.path.is_empty() {
        texts.t("compose-path-direct")
    } else {
        texts.t_with("compose-path-via", &[("hubs", p.path.join(" → "))])
    };
    html! {
        section id="plan" aria-labelledby="plan-title" role="status" {
            h2 id="plan-title" { (texts.t("compose-plan-title")) }
            @if !p.not_reachable.is_empty() {
                p class="error" id="plan-not-reachable" {
                    strong { (texts.t("compose-not-reachable")) } " " (render::not_reachable(texts, p))
                }
            }
            dl {
                (field(texts, "compose-requested-state", &grounds.requested_state))
                (field(texts, "compose-rule", &texts.code(rule.as_str_name())))
                (field(texts, "req-grounds", &render::plan_explanation(texts, p)))
                (field(texts, "compose-path", &path))
            }
            h3 { (texts.t("compose-hints-title")) }
            @if p.possibly_missing.is_empty() {
                p id="hints-none" { (texts.t("compose-nothing-missing")) }
            } @else {
                ul id="hints" {
                    @for m in &p.possibly_missing {
                        li { code { (m.field) } " (" (m.clause) "): " (render::missing_description(texts, m)) }
                    }
                }
            }
            @if !p.flags.is_empty() {
                ul id="flags" {
                    @for f in &p.flags {
                        li { code { (f.field) } " (" (f.flag) "): " (f.description) }
                    }
                }
            }
        }
    }
}
