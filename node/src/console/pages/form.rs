//! What the acting forms share: a posted form (`Posted`: every field by its
//! name, repeated fields in order, after the guard every POST passes first,
//! origin and CSRF token), inputs with their labels, and the marking of a
//! message or of one section (a TLP level and use restrictions, each with a
//! one-line explanation in the officer's language).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use iti_proto::v1 as pb;
use maud::{Markup, html};

use crate::console::i18n::Texts;
use crate::console::pages::act::refuse_foreign_form;
use crate::console::security::CSRF_FIELD;
use crate::console::{Console, Session, error_page};
use crate::ids::TraceId;
use crate::service::act::Action;
use crate::service::{ServiceError, ServiceResult};

/// The TLP levels an officer may choose, least strict first.
pub const TLPS: [pb::Tlp; 5] = [
    pb::Tlp::Clear,
    pb::Tlp::Green,
    pb::Tlp::Amber,
    pb::Tlp::AmberStrict,
    pb::Tlp::Red,
];

/// The use restrictions of 10.3.
pub const RESTRICTIONS: [pb::UseRestriction; 4] = [
    pb::UseRestriction::IntelligenceOnly,
    pb::UseRestriction::NoOnwardDisclosure,
    pb::UseRestriction::LawEnforcementOnly,
    pb::UseRestriction::ProprietaryCommercial,
];

/// The value of a section's TLP choice that keeps the message's marking.
pub const SAME_AS_MESSAGE: &str = "same";

/// A posted form: every field as sent, in order.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).to_string()
    }

    /// Every value of a repeated field, in order, trimmed.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// A list typed in one field, one entry per line or comma.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .split(['\n', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// A form as a test writes it.
    #[cfg(test)]
    pub fn of(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    /// A coded value chosen in a `select` (a protobuf enum name); a value
    /// that is not one of the choices is refused naming `field`.
    pub fn code<T: PartialEq>(
        &self,
        name: &str,
        field: &str,
        parse: impl Fn(&str) -> Option<T>,
        unspecified: T,
    ) -> ServiceResult<T> {
        parse(self.get(name))
            .filter(|v| *v != unspecified)
            .ok_or_else(|| ServiceError::invalid(field, "choose one of the form's choices"))
    }
}

/// A form posted to one of a trace's routes (`/case/{id}/...`): from this
/// console's pages to this officer (its origin and CSRF token checked
/// before anything else is read), with the trace it is for.
pub struct Posted {
    pub console: Arc<Console>,
    pub session: Session,
    pub trace: TraceId,
    pub fields: Fields,
}

impl FromRequest<Arc<Console>> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, console: &Arc<Console>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let session = Session::from_request_parts(&mut parts, console).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(&mut parts, console)
            .await
            .map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let Form(fields) =
            Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), console)
                .await
                .map_err(IntoResponse::into_response)?;
        let fields = Fields(fields);
        let token = fields.get(CSRF_FIELD);
        if let Some(refused) = refuse_foreign_form(console, &session, &headers, token) {
            return Err(refused);
        }
        let id = params.get("id").map(String::as_str).unwrap_or("");
        let trace = trace_id(id).map_err(|e| error_page(&session.texts, e))?;
        Ok(Posted {
            console: console.clone(),
            session,
            trace,
            fields,
        })
    }
}

impl Posted {
    /// Does `action` on the trace through `itictl`'s call (`Node::act`),
    /// then back to the case; an error is shown, naming the field.
    pub async fn act(&self, action: ServiceResult<Action>, confirm: bool) -> Response {
        let acted = async {
            let node = &self.console.node;
            node.act(&self.session.officer, self.trace, action?, confirm)
                .await
        };
        self.done(acted.await)
    }

    /// Back to the case after a change, or the error page.
    pub fn done<T>(&self, result: ServiceResult<T>) -> Response {
        done(&self.session.texts, result.map(|_| self.trace))
    }
}

/// A trace id from the URL, refused naming the field when it is not one.
pub fn trace_id(id: &str) -> ServiceResult<TraceId> {
    id.trim()
        .parse()
        .map_err(|e: crate::ids::IdError| ServiceError::invalid("trace", e.to_string()))
}

/// Back to the case after a change, or the error page.
pub fn done(texts: &Texts, result: ServiceResult<TraceId>) -> Response {
    match result {
        Ok(trace) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/case/{trace}"))],
        )
            .into_response(),
        Err(e) => error_page(texts, e),
    }
}

/// The hidden CSRF field of a form.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

/// A labelled one-line text input; `id` is unique on the page.
pub fn text(texts: &Texts, id: &str, name: &str, label: &str) -> Markup {
    html! {
        label for=(id) { (texts.t(label)) }
        input type="text" id=(id) name=(name) maxlength="2000";
    }
}

/// A labelled text area.
pub fn area(texts: &Texts, id: &str, name: &str, label: &str, required: bool) -> Markup {
    html! {
        label for=(id) { (texts.t(label)) }
        textarea id=(id) name=(name) maxlength="4000" required[required] {}
    }
}

/// A labelled checkbox.
pub fn check(texts: &Texts, id: &str, name: &str, label: &str) -> Markup {
    html! {
        input type="checkbox" id=(id) name=(name) value="yes";
        label for=(id) { (texts.t(label)) }
    }
}

/// A labelled choice of coded values, each shown in the officer's language.
pub fn select(texts: &Texts, id: &str, name: &str, label: &str, codes: &[&str]) -> Markup {
    html! {
        label for=(id) { (texts.t(label)) }
        select id=(id) name=(name) {
            @for c in codes { option value=(c) { (texts.code(c)) } }
        }
    }
}

/// The marking of a message or a section: a TLP level (or, for a section,
/// the message's own) and the restrictions, each with what it means.
/// Fields are `{name}_tlp` and `{name}_restriction`; ids start with `id`.
pub fn marking_fieldset(texts: &Texts, id: &str, name: &str, section: bool) -> Markup {
    let tlp_name = format!("{name}_tlp");
    let restriction_name = format!("{name}_restriction");
    html! {
        fieldset class="marking-choice" {
            legend { (texts.t(if section { "marking-section" } else { "marking-message" })) }
            @if section {
                div class="choice" {
                    input type="radio" id={ (id) "-same" } name=(tlp_name) value=(SAME_AS_MESSAGE) checked;
                    label for={ (id) "-same" } { (texts.t("marking-same")) }
                }
            }
            @for tlp in TLPS {
                @let code = tlp.as_str_name();
                div class="choice" {
                    input type="radio" id={ (id) "-" (code) } name=(tlp_name) value=(code)
                        checked[!section && tlp == pb::Tlp::Amber];
                    label for={ (id) "-" (code) } {
                        (texts.code(code)) " — " (texts.code(&format!("{code}_DESC")))
                    }
                }
            }
            @for r in RESTRICTIONS {
                @let code = r.as_str_name();
                div class="choice" {
                    input type="checkbox" id={ (id) "-" (code) } name=(restriction_name) value=(code);
                    label for={ (id) "-" (code) } {
                        (texts.code(code)) " — " (texts.code(&format!("{code}_DESC")))
                    }
                }
            }
        }
    }
}

/// The marking chosen in `marking_fieldset`: `None` for a section left with
/// the message's marking and no restriction of its own; restrictions alone
/// take the message's level (`message_tlp`). A value outside the choices is
/// refused naming `path` (protobuf JSON names, as `itictl` and the service
/// name fields).
pub fn marking_of(
    fields: &Fields,
    name: &str,
    path: &str,
    message_tlp: Option<i32>,
) -> ServiceResult<Option<pb::Marking>> {
    let tlp = match fields.get(&format!("{name}_tlp")) {
        "" | SAME_AS_MESSAGE => None,
        code => Some(
            pb::Tlp::from_str_name(code)
                .filter(|t| *t != pb::Tlp::Unspecified)
                .ok_or_else(|| ServiceError::invalid(format!("{path}.tlp"), "choose a TLP level"))?
                as i32,
        ),
    };
    let restrictions = restrictions_of(fields, &format!("{name}_restriction"), path)?;
    let tlp = match (tlp, restrictions.is_empty()) {
        (Some(tlp), _) => Some(tlp),
        (None, false) => message_tlp,
        (None, true) => None,
    };
    Ok(tlp.map(|tlp| pb::Marking { tlp, restrictions }))
}

/// Use restrictions chosen under `name`, refused naming `path` when one is
/// not a restriction.
pub fn restrictions_of(fields: &Fields, name: &str, path: &str) -> ServiceResult<Vec<i32>> {
    fields
        .all(name)
        .into_iter()
        .map(|r| {
            pb::UseRestriction::from_str_name(r)
                .filter(|r| *r != pb::UseRestriction::Unspecified)
                .map(|r| r as i32)
                .ok_or_else(|| {
                    ServiceError::invalid(
                        format!("{path}.restrictions"),
                        format!("{r:?} is not a restriction"),
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::of(pairs)
    }

    #[test]
    fn a_section_keeps_the_message_marking_unless_it_has_its_own() {
        let amber = Some(pb::Tlp::Amber as i32);
        let same = fields(&[("commercial_tlp", SAME_AS_MESSAGE)]);
        assert_eq!(
            marking_of(&same, "commercial", "commercial.marking", amber).unwrap(),
            None
        );
        let proprietary = fields(&[
            ("commercial_tlp", SAME_AS_MESSAGE),
            (
                "commercial_restriction",
                "USE_RESTRICTION_PROPRIETARY_COMMERCIAL",
            ),
        ]);
        assert_eq!(
            marking_of(&proprietary, "commercial", "commercial.marking", amber).unwrap(),
            Some(pb::Marking {
                tlp: pb::Tlp::Amber as i32,
                restrictions: vec![pb::UseRestriction::ProprietaryCommercial as i32],
            })
        );
        let green = fields(&[("finding_tlp", "TLP_GREEN")]);
        assert_eq!(
            marking_of(&green, "finding", "finding.marking", amber)
                .unwrap()
                .map(|m| m.tlp),
            Some(pb::Tlp::Green as i32)
        );
    }

    #[test]
    fn a_marking_outside_the_choices_is_refused_naming_its_field() {
        let field_of = |pairs: &[(&str, &str)]| match marking_of(
            &fields(pairs),
            "finding",
            "finding.marking",
            None,
        ) {
            Err(ServiceError::InvalidArgument { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field_of(&[("finding_tlp", "TLP_PURPLE")]),
            "finding.marking.tlp"
        );
        assert_eq!(
            field_of(&[("finding_restriction", "SECRET")]),
            "finding.marking.restrictions"
        );
    }
}
