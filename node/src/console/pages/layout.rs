//! The page around every page's content, and the widgets pages share:
//! TLP labels in TLP 2.0 colours, restriction badges, times, withheld parts.

use axum::http::header;
use axum::response::IntoResponse;
use iti_proto::v1 as pb;
use maud::{DOCTYPE, Markup, html};

use crate::console::i18n::{Lang, Texts};
use crate::identity::Officer;
use crate::service::access::{Operation, allowed};

/// The stylesheet, served from the binary (`style-src 'self'`).
pub async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("console.css"),
    )
}

/// The pages after the inbox, each shown to the roles that may use it;
/// the hub figures only at a hub (a state relays for nobody).
const NAV: [(&str, &str, Operation, Node); 6] = [
    ("/compose", "nav-compose", Operation::ActOnCases, Node::Any),
    ("/overdue", "nav-overdue", Operation::ReadCases, Node::Any),
    ("/hub", "nav-hub", Operation::ReadHubFigures, Node::Hub),
    (
        "/report",
        "nav-report",
        Operation::UseInformation,
        Node::Any,
    ),
    ("/audit", "nav-audit", Operation::ReadAudit, Node::Any),
    ("/admin", "nav-admin", Operation::Administer, Node::Any),
];

/// Which nodes' consoles show a page in their navigation.
#[derive(Clone, Copy, PartialEq)]
enum Node {
    Any,
    Hub,
}

/// Whether `officer`'s navigation shows a page.
fn shown(officer: Option<&Officer>, op: Operation, node: Node) -> bool {
    officer.is_some_and(|o| allowed(o.role, op) && (node == Node::Any || o.participant.is_hub()))
}

/// A whole page: `lang` and `dir` from the officer's language, the
/// navigation, who is signed in, and the content.
pub fn page(texts: &Texts, officer: Option<&Officer>, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(texts.lang.code()) dir=(texts.lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (texts.t("console-title")) }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                a class="skip" href="#main" { (texts.t("skip-to-content")) }
                header {
                    nav aria-label=(texts.t("console-title")) {
                        a href="/" { (texts.t("nav-inbox")) }
                        @for (href, id, op, node) in NAV {
                            @if shown(officer, op, node) {
                                a href=(href) { (texts.t(id)) }
                            }
                        }
                        span class="langs" {
                            (label(texts, "nav-language")) " "
                            @for lang in Lang::ALL {
                                @if lang == texts.lang {
                                    strong lang=(lang.code()) { (lang.code()) }
                                } @else {
                                    a href={ "?lang=" (lang.code()) } lang=(lang.code()) hreflang=(lang.code()) { (lang.code()) }
                                }
                                " "
                            }
                        }
                    }
                    @if let Some(o) = officer {
                        p class="who" {
                            (texts.t_with("signed-in-as", &[
                                ("officer", o.name.clone()),
                                ("role", texts.coded("role", o.role.as_str())),
                                ("participant", o.participant.to_string()),
                            ]))
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// "Conclusion:" before what it labels, as the reader's language writes
/// it ("Conclusion :" in French).
pub fn label(texts: &Texts, id: &str) -> String {
    texts.t_with("label", &[("label", texts.t(id))])
}

/// A page that says why something was not done, in the reader's language,
/// then the node's own words (English) as the technical detail, if any.
pub fn error(texts: &Texts, message: &str, detail: Option<&str>) -> Markup {
    page(
        texts,
        None,
        &texts.t("error-title"),
        html! {
            p class="error" role="alert" { (message) }
            @if let Some(detail) = detail.filter(|d| !d.trim().is_empty()) {
                p class="detail" { (label(texts, "error-detail")) " " span lang="en" { (detail) } }
            }
        },
    )
}

/// "TLP:AMBER+STRICT" in its TLP 2.0 colours, with what it means, and a
/// badge for each use restriction.
pub fn marking(texts: &Texts, m: Option<&pb::Marking>) -> Markup {
    let tlp = m
        .and_then(|m| pb::Tlp::try_from(m.tlp).ok())
        .unwrap_or(pb::Tlp::Unspecified);
    let restrictions: Vec<pb::UseRestriction> = m
        .map(|m| {
            m.restrictions
                .iter()
                .filter_map(|r| pb::UseRestriction::try_from(*r).ok())
                .collect()
        })
        .unwrap_or_default();
    let class = tlp.as_str_name().to_ascii_lowercase().replace('_', "-");
    html! {
        span class="marking" {
            span class={ "tlp " (class) } title=(texts.code(&format!("{}_DESC", tlp.as_str_name()))) {
                (texts.code(tlp.as_str_name()))
            }
            @for r in &restrictions {
                " "
                span class="restriction" { (texts.code(r.as_str_name())) }
            }
        }
    }
}

/// A time as "2026-11-30 14:05 UTC" (the shared renderer's format).
pub fn time(ts: Option<&pbjson_types::Timestamp>) -> String {
    crate::render::time(ts)
}

/// Parts of a view the gate kept from this officer, each with its rules.
pub fn withheld(texts: &Texts, parts: &[String]) -> Markup {
    html! {
        @if !parts.is_empty() {
            div class="withheld" role="note" {
                strong { (label(texts, "withheld-title")) " " }
                ul { @for w in parts { li { (withheld_label(texts, w)) } } }
            }
        }
    }
}

/// A withheld part as the view model names it, in the officer's language
/// (`Texts::withheld`).
pub fn withheld_label(texts: &Texts, label: &str) -> String {
    texts.withheld(label)
}

/// The rules that withheld something, "TLP:RED, NO-ONWARD", translated.
pub fn withheld_rules(texts: &Texts, rules: &str) -> String {
    texts.withheld_rules(rules)
}

/// The short reference of a trace or case: the end of its id (the start
/// of a UUIDv7 is a timestamp, alike for ids made the same day).
pub fn short(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

/// A term and its value, left out when the value is empty.
pub fn field(texts: &Texts, label: &str, value: &str) -> Markup {
    html! {
        @if !value.trim().is_empty() {
            dt { (texts.t(label)) }
            dd { (value) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::Lang;

    #[test]
    fn a_withheld_part_and_its_rules_read_in_the_officers_language() {
        let fr = Texts::new(Lang::Fr);
        assert_eq!(
            withheld_label(&fr, "individuals (personal data)"),
            "personnes (données personnelles)"
        );
        assert_eq!(
            withheld_label(&fr, "lastLegalPossessor (TLP:RED, NO-ONWARD)"),
            "dernier détenteur légal (TLP:RED, pas de divulgation ultérieure)"
        );
        assert_eq!(
            withheld_label(&fr, "payload (sealed, not addressed to us)"),
            "contenu (scellé, non adressé à nous)"
        );
        // What the catalogs do not know is shown as the view model says it.
        assert_eq!(withheld_label(&fr, "items[2].x (odd)"), "items[2].x (odd)");
        assert_eq!(withheld_label(&fr, "no parenthesis"), "no parenthesis");
    }
}
