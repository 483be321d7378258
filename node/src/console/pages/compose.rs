//! Compose a request (9.2): one weapon with its marks (6.2.2), the context
//! of recovery, purpose and intended use, and the request's marking. The
//! form becomes a `TraceRequest` and goes through the same call as
//! `itictl request submit` (`Node::submit`): the same bounds, completeness
//! (10.2) and routing (9.1). Ammunition lots, parts, several items and
//! photographs are for a later step.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use iti_proto::v1 as pb;
use maud::{Markup, html};

use crate::clock::to_timestamp;
use crate::console::i18n::Texts;
use crate::console::pages::act::refuse_foreign_form;
use crate::console::pages::layout;
use crate::console::security::CSRF_FIELD;
use crate::console::{Console, Session, chosen_language, error_page, page_response};
use crate::service::ServiceError;
use crate::service::access::{Operation, require};
use crate::service::submit::Submission;

/// How many mark rows the form offers.
const MARK_ROWS: usize = 3;

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

/// `GET /compose`.
pub async fn show(State(console): State<Arc<Console>>, session: Session, uri: Uri) -> Response {
    let texts = &session.texts;
    if let Err(e) = require(&session.officer, Operation::ActOnCases) {
        return error_page(texts, e);
    }
    let csrf = console.csrf.token(&session.officer);
    let body = layout::page(
        texts,
        Some(&session.officer),
        &texts.t("compose-title"),
        form(texts, &csrf),
    );
    page_response(
        StatusCode::OK,
        texts,
        chosen_language(uri.query()).is_some(),
        body.into_string(),
    )
}

fn text(texts: &Texts, name: &str, label: &str) -> Markup {
    html! {
        label for=(name) { (texts.t(label)) }
        input type="text" id=(name) name=(name) maxlength="2000";
    }
}

fn form(texts: &Texts, csrf: &str) -> Markup {
    html! {
        form class="compose" method="post" action="/compose" {
            input type="hidden" name=(CSRF_FIELD) value=(csrf);
            fieldset {
                legend { (texts.t("compose-context")) }
                (text(texts, "requester_reference", "req-reference"))
                label for="recovered_on" { (texts.t("req-recovered")) }
                input type="date" id="recovered_on" name="recovered_on";
                (text(texts, "place_of_recovery", "req-place"))
                (text(texts, "illicit_nature", "req-illicit-nature"))
                (text(texts, "legal_basis", "req-legal-basis"))
                (text(texts, "circumstances", "req-circumstances"))
            }
            fieldset {
                legend { (texts.t("item-weapon")) }
                (text(texts, "item_ref", "item-ref"))
                (text(texts, "make", "item-make"))
                (text(texts, "model", "item-model"))
                (text(texts, "calibre", "item-calibre"))
                (text(texts, "serial_number", "item-serial"))
                (text(texts, "serial_location", "item-serial-location"))
                (text(texts, "country_of_manufacture", "item-country-manufacture"))
                (text(texts, "country_of_last_import", "item-country-import"))
                (text(texts, "description", "item-description"))
            }
            fieldset {
                legend { (texts.t("marks-title")) }
                @for i in 0..MARK_ROWS {
                    div class="mark" {
                        label for={ "mark_kind_" (i) } { (texts.t("mark-kind")) }
                        select id={ "mark_kind_" (i) } name="mark_kind" {
                            @for k in mark_kinds() {
                                option value=(k.as_str_name()) { (texts.code(k.as_str_name())) }
                            }
                        }
                        label for={ "mark_value_" (i) } { (texts.t("mark-value")) }
                        input type="text" id={ "mark_value_" (i) } name="mark_value" maxlength="200";
                        label for={ "mark_location_" (i) } { (texts.t("mark-location")) }
                        input type="text" id={ "mark_location_" (i) } name="mark_location" maxlength="200";
                    }
                }
            }
            fieldset {
                legend { (texts.t("compose-purpose")) }
                (text(texts, "information_sought", "req-information-sought"))
                (text(texts, "purpose", "req-purpose"))
                (text(texts, "intended_use", "req-intended-use"))
                (text(texts, "additional_information", "req-additional"))
            }
            fieldset {
                legend { (texts.t("case-marking")) }
                @for tlp in TLPS {
                    label {
                        input type="radio" name="tlp" value=(tlp.as_str_name()) checked[tlp == pb::Tlp::Amber];
                        " " (texts.code(tlp.as_str_name())) " — " (texts.code(&format!("{}_DESC", tlp.as_str_name())))
                    }
                }
                @for r in RESTRICTIONS {
                    label {
                        input type="checkbox" name="restriction" value=(r.as_str_name());
                        " " (texts.code(r.as_str_name()))
                    }
                }
            }
            button type="submit" { (texts.t("compose-submit")) }
        }
    }
}

fn mark_kinds() -> impl Iterator<Item = pb::MarkKind> {
    (1..=8).filter_map(|k| pb::MarkKind::try_from(k).ok())
}

/// `POST /compose`: sends the request, then shows its case.
pub async fn submit(
    State(console): State<Arc<Console>>,
    session: Session,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let token = value(&fields, CSRF_FIELD);
    if let Some(refused) = refuse_foreign_form(&console, &session, &headers, token) {
        return refused;
    }
    let request = match request_from_form(&fields) {
        Ok(r) => r,
        Err(e) => return error_page(&session.texts, e),
    };
    let submission = Submission {
        request,
        routing_override: None,
        on_behalf_via: None,
        allow_duplicate: false,
    };
    match console.node.submit(&session.officer, submission).await {
        Ok((_, trace, _, _)) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/case/{trace}"))],
        )
            .into_response(),
        Err(e) => error_page(&session.texts, e),
    }
}

/// A date from an `<input type="date">` ("2026-10-02"), at midnight UTC;
/// none when left empty; refused naming `field` when it is not a date.
pub fn date(day: &str, field: &str) -> Result<Option<pbjson_types::Timestamp>, ServiceError> {
    if day.trim().is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day.trim(), &format)
        .map_err(|_| ServiceError::invalid(field, format!("{day:?} is not a date")))?;
    Ok(Some(to_timestamp(date.midnight().assume_utc())))
}

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn values<'a>(fields: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .collect()
}

/// The request the form describes. A value that is not one of the form's
/// choices, or a date that is not a date, is refused naming its field (in
/// the protobuf JSON names `itictl` and the bounds use); the service checks
/// the rest.
pub fn request_from_form(fields: &[(String, String)]) -> Result<pb::TraceRequest, ServiceError> {
    let s = |name: &str| value(fields, name).to_string();
    let recovered_at = date(value(fields, "recovered_on"), "context.recoveredAt")?;
    let tlp = pb::Tlp::from_str_name(value(fields, "tlp"))
        .filter(|t| *t != pb::Tlp::Unspecified)
        .ok_or_else(|| ServiceError::invalid("marking.tlp", "choose a TLP level"))?;
    let restrictions = values(fields, "restriction")
        .into_iter()
        .map(|r| {
            pb::UseRestriction::from_str_name(r)
                .filter(|r| *r != pb::UseRestriction::Unspecified)
                .map(|r| r as i32)
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "marking.restrictions",
                        format!("{r:?} is not a restriction"),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(pb::TraceRequest {
        context: Some(pb::RecoveryContext {
            illicit_nature: s("illicit_nature"),
            legal_basis: s("legal_basis"),
            circumstances: s("circumstances"),
            recovered_at,
            place_of_recovery: s("place_of_recovery"),
        }),
        items: vec![pb::RecoveredItem {
            item_ref: s("item_ref"),
            quantity: 1,
            item: Some(pb::recovered_item::Item::Weapon(weapon(fields)?)),
        }],
        information_sought: s("information_sought"),
        purpose: s("purpose"),
        intended_use: s("intended_use"),
        additional_information: s("additional_information"),
        requester_reference: s("requester_reference"),
        marking: Some(pb::Marking {
            tlp: tlp as i32,
            restrictions,
        }),
        ..Default::default()
    })
}

fn weapon(fields: &[(String, String)]) -> Result<pb::WeaponIdentification, ServiceError> {
    let s = |name: &str| value(fields, name).to_string();
    let kinds = values(fields, "mark_kind");
    let marks_values = values(fields, "mark_value");
    let locations = values(fields, "mark_location");
    let mut marks = Vec::new();
    for (i, mark) in marks_values.iter().enumerate() {
        if mark.is_empty() {
            continue;
        }
        let kind = kinds
            .get(i)
            .and_then(|k| pb::MarkKind::from_str_name(k))
            .filter(|k| *k != pb::MarkKind::Unspecified)
            .ok_or_else(|| {
                ServiceError::invalid(
                    format!("items[0].weapon.marks[{}].kind", marks.len()),
                    "choose the kind of mark",
                )
            })?;
        marks.push(pb::WeaponMark {
            kind: kind as i32,
            value: mark.to_string(),
            location: locations.get(i).map(|l| l.to_string()).unwrap_or_default(),
            ..Default::default()
        });
    }
    Ok(pb::WeaponIdentification {
        make: s("make"),
        model: s("model"),
        calibre: s("calibre"),
        serial_number: s("serial_number"),
        serial_location: s("serial_location"),
        country_of_manufacture: s("country_of_manufacture"),
        country_of_last_import: s("country_of_last_import"),
        description: s("description"),
        marks,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_form_becomes_a_request_with_every_mark_its_kind_and_location() {
        let r = request_from_form(&form(&[
            ("make", "FN Herstal"),
            ("serial_number", "1502347"),
            ("mark_kind", "MARK_KIND_PROOF"),
            ("mark_value", "perron"),
            ("mark_location", "barrel"),
            ("mark_kind", "MARK_KIND_SERIAL"),
            ("mark_value", ""),
            ("mark_location", ""),
            ("mark_kind", "MARK_KIND_IMPORT"),
            ("mark_value", "GHA 09"),
            ("mark_location", "receiver"),
            ("recovered_on", "2026-10-02"),
            ("tlp", "TLP_AMBER_STRICT"),
            ("restriction", "USE_RESTRICTION_NO_ONWARD_DISCLOSURE"),
        ]))
        .unwrap();
        let Some(pb::recovered_item::Item::Weapon(w)) = &r.items[0].item else {
            panic!("no weapon")
        };
        let marks: Vec<(i32, &str, &str)> = w
            .marks
            .iter()
            .map(|m| (m.kind, m.value.as_str(), m.location.as_str()))
            .collect();
        assert_eq!(
            marks,
            [
                (pb::MarkKind::Proof as i32, "perron", "barrel"),
                (pb::MarkKind::Import as i32, "GHA 09", "receiver")
            ]
        );
        let m = r.marking.unwrap();
        assert_eq!(m.tlp, pb::Tlp::AmberStrict as i32);
        assert_eq!(
            m.restrictions,
            [pb::UseRestriction::NoOnwardDisclosure as i32]
        );
        assert!(r.context.unwrap().recovered_at.is_some());
    }

    #[test]
    fn a_value_outside_the_choices_is_refused_naming_its_field() {
        let field_of = |pairs: &[(&str, &str)]| match request_from_form(&form(pairs)) {
            Err(ServiceError::InvalidArgument { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field_of(&[("tlp", "TLP_PURPLE")]), "marking.tlp");
        assert_eq!(
            field_of(&[("tlp", "TLP_RED"), ("recovered_on", "2 Oct")]),
            "context.recoveredAt"
        );
        assert_eq!(
            field_of(&[("tlp", "TLP_RED"), ("restriction", "SECRET")]),
            "marking.restrictions"
        );
        assert_eq!(
            field_of(&[("tlp", "TLP_RED"), ("mark_kind", "X"), ("mark_value", "v")]),
            "items[0].weapon.marks[0].kind"
        );
    }
}
