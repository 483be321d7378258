//! A refusal of the release gate, explained in the officer's language: the
//! use refused and where to, then each part kept in, who provided it, and
//! every rule in the way, a marking and what it forbids (TLP level or use
//! restriction, with its one-line meaning).

use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use crate::console::i18n::Texts;
use crate::console::page_response;
use crate::console::pages::layout;
use crate::ids::ParticipantId;
use crate::policy::gate::{Refusal, Rule};
use crate::policy::{Denied, Use};

/// The error page of a refused use.
pub fn page(texts: &Texts, refusal: &Refusal) -> Response {
    let body = layout::page(
        texts,
        None,
        &texts.t("error-title"),
        explain(texts, refusal),
    );
    page_response(StatusCode::FORBIDDEN, texts, false, body.into_string())
}

/// The refusal: what was refused, then each part and its rules.
pub fn explain(texts: &Texts, refusal: &Refusal) -> Markup {
    let mut title = texts.t_with("refusal-title", &[("use", use_name(texts, refusal.use_))]);
    // A destination is a participant; files and reports are in the use.
    if refusal.audience.parse::<ParticipantId>().is_ok() {
        title = texts.t_with(
            "refusal-title-to",
            &[("title", title), ("to", refusal.audience.clone())],
        );
    }
    html! {
        div class="refusal" role="alert" {
            p class="error" { (title) }
            ul {
                @for w in &refusal.withheld {
                    @let providers: Vec<String> = w.providers.iter().map(|p| p.to_string()).collect();
                    li {
                        (texts.t_with("refusal-part", &[
                            ("part", texts.coded("part", &w.part)),
                            ("providers", providers.join(", ")),
                        ]))
                        ul { @for r in &w.rules { li { (rule(texts, r)) } } }
                    }
                }
            }
        }
    }
}

/// A use by its wire name ("forwarding to a third state"), translated.
fn use_name(texts: &Texts, use_: Use) -> String {
    match use_.to_onward() {
        Some(onward) => texts.code(onward.as_str_name()),
        None => use_.to_string(),
    }
}

/// One rule: the marking, what it means, and the use it forbids.
fn rule(texts: &Texts, rule: &Rule) -> String {
    let explained = |key: &str, code: &str, use_: &Use| {
        texts.t_with(
            key,
            &[
                ("marking", texts.code(code)),
                ("meaning", texts.code(&format!("{code}_DESC"))),
                ("use", use_name(texts, *use_)),
            ],
        )
    };
    match rule {
        Rule::Policy(Denied::Tlp { tlp, use_ }) => {
            explained("refusal-rule-tlp", tlp.to_proto().as_str_name(), use_)
        }
        Rule::Policy(Denied::Restriction { restriction, use_ }) => explained(
            "refusal-rule-restriction",
            restriction.to_proto().as_str_name(),
            use_,
        ),
        Rule::PersonalData => texts.t("refusal-rule-personal-data"),
        Rule::InvalidMarking(_) => texts.t("refusal-rule-invalid-marking"),
    }
}
