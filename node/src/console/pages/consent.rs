//! Consent (10.3): the requester asks the provider for one use of its
//! information (the restrictions, and for one destination the TLP level,
//! to lift); the provider, the requested state, grants or declines. The
//! same calls as `itictl consent request|grant` (`Node::act`), which
//! accept a consent only from the state that provided the information.

use axum::response::Response;
use iti_proto::v1 as pb;
use maud::{Markup, html};

use crate::console::i18n::Texts;
use crate::console::pages::form::{
    Fields, Posted, RESTRICTIONS, area, check, csrf, restrictions_of, select, text,
};
use crate::service::ServiceResult;
use crate::service::act::Action;

/// The onward uses a consent is for.
const USES: [&str; 6] = [
    "ONWARD_USE_FORWARD_TO_THIRD_STATE",
    "ONWARD_USE_FORWARD_TO_HUB",
    "ONWARD_USE_FORWARD_TO_UN_PANEL",
    "ONWARD_USE_EXPORT",
    "ONWARD_USE_EXPORT_AS_EVIDENCE",
    "ONWARD_USE_REPORT",
];

/// What a consent is about: the use, the restrictions to lift (each with
/// what it means), the one destination and whether its TLP level is lifted
/// for it, and the response it covers.
fn terms(texts: &Texts, form: &str) -> Markup {
    let id = |name: &str| format!("{form}-{name}");
    html! {
        (select(texts, &id("use"), "use", "consent-use", &USES))
        fieldset class="marking-choice" {
            legend { (texts.t("consent-restrictions")) }
            @for r in RESTRICTIONS {
                @let code = r.as_str_name();
                div class="choice" {
                    input type="checkbox" id=(id(code)) name="restriction" value=(code);
                    label for=(id(code)) { (texts.code(code)) " — " (texts.code(&format!("{code}_DESC"))) }
                }
            }
        }
        (text(texts, &id("to"), "to", "consent-to"))
        (check(texts, &id("lift_tlp"), "lift_tlp", "consent-lift-tlp"))
        (text(texts, &id("regarding"), "regarding", "consent-regarding"))
    }
}

/// The requester's form: ask the provider.
pub fn request_form(texts: &Texts, trace: &str, token: &str) -> Markup {
    let form = format!("consent-request-{trace}");
    html! {
        form class="act consent" id=(form) method="post" action={ "/case/" (trace) "/consent/request" } {
            (csrf(token))
            (terms(texts, &form))
            (area(texts, &format!("{form}-justification"), "justification", "consent-justification", true))
            button type="submit" { (texts.t("act-consent-request")) }
        }
    }
}

/// The provider's form: grant, or decline.
pub fn grant_form(texts: &Texts, trace: &str, token: &str) -> Markup {
    let form = format!("consent-grant-{trace}");
    html! {
        form class="act consent" id=(form) method="post" action={ "/case/" (trace) "/consent/grant" } {
            (csrf(token))
            (terms(texts, &form))
            (text(texts, &format!("{form}-note"), "note", "act-note"))
            button type="submit" name="decision" value="grant" { (texts.t("act-consent-grant")) }
            button type="submit" name="decision" value="decline" { (texts.t("act-consent-decline")) }
        }
    }
}

/// The use chosen, refused naming `field` when not one of the choices.
fn use_of(f: &Fields, field: &str) -> ServiceResult<i32> {
    Ok(f.code(
        "use",
        field,
        pb::OnwardUse::from_str_name,
        pb::OnwardUse::Unspecified,
    )? as i32)
}

/// `POST /case/{trace}/consent/request`.
pub async fn request(posted: Posted) -> Response {
    let f = &posted.fields;
    let ask = || -> ServiceResult<Action> {
        Ok(Action::RequestConsent(pb::ConsentRequest {
            restriction: 0,
            restrictions: restrictions_of(f, "restriction", "consentRequest")?,
            r#use: use_of(f, "consentRequest.use")?,
            regarding: f.text("regarding"),
            justification: f.text("justification"),
            destination: f.text("to"),
            lift_tlp: f.checked("lift_tlp"),
        }))
    };
    posted.act(ask(), false).await
}

/// `POST /case/{trace}/consent/grant`: grants, or declines with
/// `decision=decline`.
pub async fn grant(posted: Posted) -> Response {
    let f = &posted.fields;
    let consent = || -> ServiceResult<Action> {
        Ok(Action::GrantConsent(pb::Consent {
            restriction: 0,
            restrictions: restrictions_of(f, "restriction", "consent")?,
            r#use: use_of(f, "consent.use")?,
            regarding: f.text("regarding"),
            note: f.text("note"),
            destination: f.text("to"),
            lifts_tlp: f.checked("lift_tlp"),
            declined: f.get("decision") == "decline",
        }))
    };
    posted.act(consent(), false).await
}
