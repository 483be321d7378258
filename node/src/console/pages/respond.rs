//! Respond to a request (10.4): the four cases of 10.4 as four forms
//! (manufacture or import, internal transfer, export, internal diversion),
//! each with the sections of a response (finding, history, last legal
//! possessor, commercial details, individuals) and a marking per section,
//! a TLP level and restrictions each explained in one line. A response may
//! be restricted (10.5.2). The form becomes a `TraceResponse` and goes
//! through `itictl respond`'s call (`Node::act`): the same checks (10.4's
//! minimum, the requester's declared restrictions), markings and audit.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use iti_proto::v1 as pb;
use maud::{Markup, html};

use crate::console::i18n::Texts;
use crate::console::pages::act::{REASONS, reason_of};
use crate::console::pages::form::{
    Fields, Posted, area, check, csrf, marking_fieldset, marking_of, select, text, trace_id,
};
use crate::console::pages::layout::{self, short};
use crate::console::{Console, Session, chosen_language, error_page, page_response};
use crate::service::ServiceResult;
use crate::service::access::{Operation, require};
use crate::service::act::Action;

/// How many rows of history and of individuals a form offers.
const ROWS: usize = 3;

/// The four cases of 10.4, each a form of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    ManufactureOrImport,
    InternalTransfer,
    Export,
    InternalDiversion,
}

impl Case {
    const ALL: [Case; 4] = [
        Case::ManufactureOrImport,
        Case::InternalTransfer,
        Case::Export,
        Case::InternalDiversion,
    ];

    /// The form's name, in its `id` and its `case` field.
    fn slug(self) -> &'static str {
        match self {
            Case::ManufactureOrImport => "manufacture-or-import",
            Case::InternalTransfer => "internal-transfer",
            Case::Export => "export",
            Case::InternalDiversion => "internal-diversion",
        }
    }

    fn from_slug(slug: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|c| c.slug() == slug)
    }

    /// The case's fields, ids prefixed with the form's.
    fn fields(self, texts: &Texts) -> Markup {
        let id = |name: &str| format!("{}-{name}", self.slug());
        let t = |name: &str, label: &str| text(texts, &id(name), name, label);
        html! {
            @match self {
                Case::ManufactureOrImport => {
                    (select(texts, &id("origin"), "origin", "respond-origin", &["FINDING_MANUFACTURED", "FINDING_IMPORTED"]))
                    (t("by", "respond-by")) (t("date", "resp-date"))
                }
                Case::InternalTransfer => {
                    (t("dates", "respond-dates")) (t("consignees", "respond-consignees"))
                    (licence(texts, self.slug()))
                }
                Case::Export => {
                    (t("date", "respond-export-date")) (t("importing_state", "respond-importing-state"))
                    (t("transit", "respond-transit")) (t("consignee", "resp-final-consignee"))
                    (check(texts, &id("consignee_natural_person"), "consignee_natural_person", "respond-natural-person"))
                    (licence(texts, self.slug()))
                }
                Case::InternalDiversion => {
                    (t("date", "respond-diversion-date"))
                    (select(texts, &id("investigation"), "investigation", "respond-investigation", &INVESTIGATION))
                }
            }
            (area(texts, &id("details"), "details", "resp-details", false))
        }
    }

    /// The finding the form describes.
    fn finding(self, f: &Fields) -> ServiceResult<pb::finding::Case> {
        use pb::finding::Case as F;
        Ok(match self {
            Case::ManufactureOrImport => F::ManufactureOrImport(pb::ManufactureOrImport {
                manufactured: f.get("origin") != "FINDING_IMPORTED",
                manufacturer_or_importer: f.text("by"),
                date: f.text("date"),
                details: f.text("details"),
            }),
            Case::InternalTransfer => F::InternalTransfer(pb::InternalTransfer {
                transfer_dates: f.list("dates"),
                final_consignees: f.list("consignees"),
                licences: licences_of(f),
                details: f.text("details"),
            }),
            Case::Export => F::Export(pb::ExportFinding {
                export_date: f.text("date"),
                importing_state: f.text("importing_state").to_ascii_uppercase(),
                transit_states: f.list("transit"),
                final_consignee: f.text("consignee"),
                licences: licences_of(f),
                details: f.text("details"),
                final_consignee_natural_person: f.checked("consignee_natural_person"),
            }),
            Case::InternalDiversion => F::InternalDiversion(pb::InternalDiversion {
                diversion_date: f.text("date"),
                details: f.text("details"),
                investigation: f.code(
                    "investigation",
                    "finding.internalDiversion.investigation",
                    pb::InvestigationStatus::from_str_name,
                    pb::InvestigationStatus::Unspecified,
                )? as i32,
            }),
        })
    }
}

const INVESTIGATION: [&str; 4] = [
    "INVESTIGATION_STATUS_NONE",
    "INVESTIGATION_STATUS_ENVISAGED",
    "INVESTIGATION_STATUS_LAUNCHED",
    "INVESTIGATION_STATUS_CONCLUDED",
];

const HISTORY_KINDS: [&str; 8] = [
    "HISTORY_EVENT_KIND_MANUFACTURE",
    "HISTORY_EVENT_KIND_IMPORT",
    "HISTORY_EVENT_KIND_EXPORT",
    "HISTORY_EVENT_KIND_TRANSIT",
    "HISTORY_EVENT_KIND_INTERNAL_TRANSFER",
    "HISTORY_EVENT_KIND_DIVERSION",
    "HISTORY_EVENT_KIND_LAST_LEGAL_POSSESSION",
    "HISTORY_EVENT_KIND_OTHER",
];

fn licence(texts: &Texts, form: &str) -> Markup {
    let t = |name: &str, label: &str| text(texts, &format!("{form}-{name}"), name, label);
    html! {
        (t("licence_kind", "respond-licence-kind")) (t("licence_number", "respond-licence-number"))
        (t("licence_issued_by", "respond-licence-issued-by")) (t("licence_date", "respond-licence-date"))
    }
}

fn licences_of(f: &Fields) -> Vec<pb::Licence> {
    let licence = pb::Licence {
        kind: f.text("licence_kind"),
        number: f.text("licence_number"),
        issued_by: f.text("licence_issued_by"),
        date: f.text("licence_date"),
    };
    if licence == pb::Licence::default() {
        vec![]
    } else {
        vec![licence]
    }
}

/// `GET /case/{trace}/respond`: the four forms.
pub async fn show(
    State(console): State<Arc<Console>>,
    session: Session,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let texts = &session.texts;
    let trace = match require(&session.officer, Operation::ActOnCases).and_then(|_| trace_id(&id)) {
        Ok(trace) => trace.to_string(),
        Err(e) => return error_page(texts, e),
    };
    let token = console.csrf.token(&session.officer);
    let content = html! {
        p { a href={ "/case/" (trace) } { (texts.t("respond-back")) } }
        @for case in Case::ALL { (form(texts, &trace, case, &token)) }
    };
    let title = texts.t_with("respond-title", &[("reference", short(&trace).to_string())]);
    let body = layout::page(texts, Some(&session.officer), &title, content);
    page_response(
        StatusCode::OK,
        texts,
        chosen_language(uri.query()).is_some(),
        body.into_string(),
    )
}

/// One case's form, with every section and its marking.
fn form(texts: &Texts, trace: &str, case: Case, token: &str) -> Markup {
    let slug = case.slug();
    let id = |name: &str| format!("{slug}-{name}");
    let t = |name: &str, label: &str| text(texts, &id(name), name, label);
    let legend = |key: &str| html! { legend { (texts.t(key)) } };
    html! {
        section class="respond" {
            h2 { (texts.t(&format!("respond-case-{slug}"))) }
            form class="respond" id={ "respond-" (slug) } method="post" action={ "/case/" (trace) "/respond" } {
                (csrf(token))
                input type="hidden" name="case" value=(slug);
                fieldset { (legend("resp-finding")) (case.fields(texts)) (marking_fieldset(texts, &id("finding"), "finding", true)) }
                fieldset {
                    (legend("resp-llp"))
                    (t("llp_name", "respond-llp-name")) (t("llp_category", "respond-llp-category"))
                    (t("llp_state", "respond-llp-state")) (t("llp_address", "respond-llp-address"))
                    (t("llp_since", "respond-llp-since")) (t("llp_identity_document", "respond-llp-identity"))
                    (check(texts, &id("llp_natural_person"), "llp_natural_person", "respond-natural-person"))
                    (marking_fieldset(texts, &id("llp"), "llp", true))
                }
                fieldset { (legend("resp-history")) (history(texts, slug)) (marking_fieldset(texts, &id("history"), "history", true)) }
                fieldset {
                    (legend("resp-commercial"))
                    (t("contract_reference", "respond-contract")) (t("transport_agents", "respond-transport-agents"))
                    (t("brokers", "respond-brokers")) (t("financial_transactions", "respond-financial"))
                    (t("commercial_notes", "respond-notes"))
                    (marking_fieldset(texts, &id("commercial"), "commercial", true))
                }
                fieldset { (legend("resp-individuals")) (individuals(texts, slug)) (marking_fieldset(texts, &id("individuals"), "individuals", true)) }
                fieldset { (legend("resp-additional")) (area(texts, &id("additional_information"), "additional_information", "resp-additional", false)) }
                fieldset {
                    (legend("respond-restricted"))
                    (check(texts, &id("restricted"), "restricted", "respond-restricted-check"))
                    (select(texts, &id("restriction_reason"), "restriction_reason", "reason", &REASONS.map(|r| r.as_str_name())))
                    (area(texts, &id("restriction_explanation"), "restriction_explanation", "explanation", false))
                }
                (marking_fieldset(texts, &id("response"), "response", false))
                (check(texts, &id("confirm_declared"), "confirm_declared", "respond-confirm-declared"))
                button type="submit" { (texts.t("respond-send")) }
            }
        }
    }
}

fn history(texts: &Texts, form: &str) -> Markup {
    html! {
        @for i in 0..ROWS {
            div class="row" {
                (text(texts, &format!("{form}-event_date-{i}"), "event_date", "resp-date"))
                (select(texts, &format!("{form}-event_kind-{i}"), "event_kind", "respond-event-kind", &HISTORY_KINDS))
                (text(texts, &format!("{form}-event_state-{i}"), "event_state", "respond-event-state"))
                (text(texts, &format!("{form}-event_party-{i}"), "event_party", "respond-event-party"))
                (text(texts, &format!("{form}-event_description-{i}"), "event_description", "item-description"))
            }
        }
    }
}

fn individuals(texts: &Texts, form: &str) -> Markup {
    html! {
        @for i in 0..ROWS {
            div class="row" {
                (text(texts, &format!("{form}-individual_name-{i}"), "individual_name", "respond-individual-name"))
                (text(texts, &format!("{form}-individual_role-{i}"), "individual_role", "respond-individual-role"))
            }
        }
    }
}

/// `POST /case/{trace}/respond`: sends the response, then back to the case.
pub async fn submit(posted: Posted) -> Response {
    let response = response_from(&posted.fields).map(Action::Respond);
    let confirm = posted.fields.checked("confirm_declared");
    posted.act(response, confirm).await
}

/// The response a form describes. A coded value outside the form's
/// choices is refused naming its field; the service checks the rest.
fn response_from(f: &Fields) -> ServiceResult<pb::TraceResponse> {
    let case = Case::from_slug(f.get("case")).ok_or_else(|| {
        crate::service::ServiceError::invalid("finding", "choose one of the cases of 10.4")
    })?;
    let marking = marking_of(f, "response", "marking", None)?;
    let level = Some(marking.as_ref().map_or(pb::Tlp::Amber as i32, |m| m.tlp));
    let section = |name: &str, path: &str| marking_of(f, name, path, level);
    let restricted = f.checked("restricted");
    Ok(pb::TraceResponse {
        marking,
        restricted,
        restriction_reason: if restricted {
            reason_of(f.get("restriction_reason")) as i32
        } else {
            0
        },
        restriction_explanation: f.text("restriction_explanation"),
        finding: Some(pb::Finding {
            marking: section("finding", "finding.marking")?,
            case: Some(case.finding(f)?),
        }),
        history: history_of(f, section("history", "history.marking")?)?,
        last_legal_possessor: possessor_of(f, section("llp", "lastLegalPossessor.marking")?),
        commercial: commercial_of(f, section("commercial", "commercial.marking")?),
        individuals: individuals_of(f, section("individuals", "individuals.marking")?),
        additional_information: f.text("additional_information"),
    })
}

fn history_of(f: &Fields, marking: Option<pb::Marking>) -> ServiceResult<Option<pb::History>> {
    let (dates, kinds) = (f.all("event_date"), f.all("event_kind"));
    let (states, parties) = (f.all("event_state"), f.all("event_party"));
    let descriptions = f.all("event_description");
    let cell = |column: &[&str], i: usize| column.get(i).copied().unwrap_or("").to_string();
    let mut events = Vec::new();
    for i in 0..dates.len().max(descriptions.len()) {
        let event = pb::HistoryEvent {
            date: cell(&dates, i),
            kind: 0,
            state: cell(&states, i),
            party: cell(&parties, i),
            description: cell(&descriptions, i),
        };
        if event.date.is_empty() && event.description.is_empty() && event.party.is_empty() {
            continue;
        }
        let kind = pb::HistoryEventKind::from_str_name(kinds.get(i).copied().unwrap_or(""))
            .filter(|k| *k != pb::HistoryEventKind::Unspecified)
            .ok_or_else(|| {
                crate::service::ServiceError::invalid(
                    format!("history.events[{}].kind", events.len()),
                    "choose the kind of event",
                )
            })?;
        events.push(pb::HistoryEvent {
            kind: kind as i32,
            ..event
        });
    }
    Ok((!events.is_empty()).then_some(pb::History { marking, events }))
}

fn possessor_of(f: &Fields, marking: Option<pb::Marking>) -> Option<pb::LastLegalPossessor> {
    let p = pb::LastLegalPossessor {
        marking: None,
        name: f.text("llp_name"),
        category: f.text("llp_category"),
        state: f.text("llp_state").to_ascii_uppercase(),
        address: f.text("llp_address"),
        since: f.text("llp_since"),
        natural_person: f.checked("llp_natural_person"),
        identity_document: f.text("llp_identity_document"),
    };
    (p != pb::LastLegalPossessor::default()).then_some(pb::LastLegalPossessor { marking, ..p })
}

fn commercial_of(f: &Fields, marking: Option<pb::Marking>) -> Option<pb::CommercialDetails> {
    let c = pb::CommercialDetails {
        marking: None,
        brokers: f.list("brokers"),
        transport_agents: f.list("transport_agents"),
        contract_reference: f.text("contract_reference"),
        financial_transactions: f.text("financial_transactions"),
        notes: f.text("commercial_notes"),
    };
    (c != pb::CommercialDetails::default()).then_some(pb::CommercialDetails { marking, ..c })
}

fn individuals_of(f: &Fields, marking: Option<pb::Marking>) -> Option<pb::Individuals> {
    let roles = f.all("individual_role");
    let individuals: Vec<pb::Individual> = f
        .all("individual_name")
        .into_iter()
        .enumerate()
        .filter(|(_, name)| !name.is_empty())
        .map(|(i, name)| pb::Individual {
            name: name.to_string(),
            role: roles.get(i).copied().unwrap_or("").to_string(),
            ..Default::default()
        })
        .collect();
    (!individuals.is_empty()).then_some(pb::Individuals {
        marking,
        individuals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::of(pairs)
    }

    #[test]
    fn an_export_form_becomes_a_response_with_each_section_under_its_marking() {
        let r = response_from(&fields(&[
            ("case", "export"),
            ("date", "2009-03-12"),
            ("importing_state", "nga"),
            ("transit", "NLD, BEL"),
            ("finding_tlp", "TLP_GREEN"),
            ("llp_name", "FN Herstal SA"),
            ("llp_tlp", "same"),
            ("contract_reference", "NPF/PROC/2008/77"),
            ("commercial_tlp", "same"),
            (
                "commercial_restriction",
                "USE_RESTRICTION_PROPRIETARY_COMMERCIAL",
            ),
            ("event_date", "2008-11-04"),
            ("event_kind", "HISTORY_EVENT_KIND_MANUFACTURE"),
            ("event_description", "manufactured"),
            ("event_date", ""),
            ("event_kind", "HISTORY_EVENT_KIND_MANUFACTURE"),
            ("event_description", ""),
            ("response_tlp", "TLP_AMBER"),
        ]))
        .unwrap();
        let Some(pb::finding::Case::Export(e)) = r.finding.as_ref().unwrap().case.as_ref() else {
            panic!("not an export");
        };
        assert_eq!(e.importing_state, "NGA");
        assert_eq!(e.transit_states, ["NLD", "BEL"]);
        assert_eq!(
            r.finding.as_ref().unwrap().marking.as_ref().unwrap().tlp,
            pb::Tlp::Green as i32
        );
        assert_eq!(r.last_legal_possessor.as_ref().unwrap().marking, None);
        let commercial = r.commercial.unwrap().marking.unwrap();
        assert_eq!(commercial.tlp, pb::Tlp::Amber as i32);
        assert_eq!(
            commercial.restrictions,
            [pb::UseRestriction::ProprietaryCommercial as i32]
        );
        assert_eq!(r.history.unwrap().events.len(), 1);
        assert!(r.individuals.is_none());
    }

    #[test]
    fn a_case_or_kind_outside_the_choices_is_refused_naming_its_field() {
        let field_of = |pairs: &[(&str, &str)]| match response_from(&fields(pairs)) {
            Err(crate::service::ServiceError::InvalidArgument { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field_of(&[("case", "stolen")]), "finding");
        assert_eq!(
            field_of(&[
                ("case", "export"),
                ("event_date", "2008"),
                ("event_kind", "BIRTH")
            ]),
            "history.events[0].kind"
        );
        assert_eq!(
            field_of(&[("case", "internal-diversion"), ("investigation", "X")]),
            "finding.internalDiversion.investigation"
        );
    }
}
