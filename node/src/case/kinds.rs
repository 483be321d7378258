//! The one table of payload kinds: for each kind of message, its name (in
//! labels, metrics and event kinds), what it is for an officer, and the
//! lifecycle step it takes when it arrives. `facts` describes a message for
//! its trace's history with facts alone (kinds, reasons' codes, dates of
//! deadlines, participants, restriction codes), never its content.

use iti_proto::v1 as pb;
use pb::PayloadKind as K;

use super::machine::Step;
use crate::clock::{from_timestamp, rfc3339};

/// What the node knows of one kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    pub kind: K,
    /// "acknowledgement", "clarification_request".
    pub name: &'static str,
    /// For an officer: "acknowledgement of receipt (10.1)".
    pub title: &'static str,
    /// The step its arrival takes on the trace, if any (a response that is
    /// restricted takes `RespondRestricted`: see `step_of`).
    pub step: Option<Step>,
}

const fn info(kind: K, name: &'static str, title: &'static str, step: Option<Step>) -> KindInfo {
    KindInfo {
        kind,
        name,
        title,
        step,
    }
}

/// Every kind, in protocol order.
pub const KINDS: [KindInfo; 17] = [
    info(K::Request, "request", "trace request (9.2)", None),
    info(
        K::Acknowledgement,
        "acknowledgement",
        "acknowledgement of receipt (10.1)",
        Some(Step::Acknowledge),
    ),
    info(
        K::ReturnForCompletion,
        "return_for_completion",
        "returned for completion (10.2)",
        Some(Step::ReturnForCompletion),
    ),
    info(
        K::Resubmission,
        "resubmission",
        "completed request resubmitted (10.2)",
        Some(Step::Resubmit),
    ),
    info(
        K::Response,
        "response",
        "response (10.4)",
        Some(Step::Respond),
    ),
    info(
        K::Delay,
        "delay",
        "delay of the response (10.5.2)",
        Some(Step::Delay),
    ),
    info(
        K::Refusal,
        "refusal",
        "refusal (10.5.2)",
        Some(Step::Refuse),
    ),
    info(
        K::ClarificationRequest,
        "clarification_request",
        "clarification requested (10.5.2)",
        Some(Step::RequestClarification),
    ),
    info(
        K::ClarificationReply,
        "clarification_reply",
        "clarification given",
        Some(Step::AnswerClarification),
    ),
    info(
        K::Consent,
        "consent",
        "consent of the provider (10.3)",
        None,
    ),
    info(
        K::ConsentRequest,
        "consent_request",
        "consent asked of the provider (10.3)",
        None,
    ),
    info(K::Closure, "closure", "trace closed", Some(Step::Close)),
    info(
        K::SharedInformation,
        "shared_information",
        "information passed on (10.3)",
        None,
    ),
    info(
        K::BrokerNotice,
        "broker_notice",
        "lost/stolen register match (annex A.2)",
        None,
    ),
    info(K::Receipt, "receipt", "end-to-end receipt", None),
    info(
        K::OnBehalfRequest,
        "on_behalf_request",
        "request to trace on a member's behalf (11.3.1)",
        None,
    ),
    info(
        K::DeliveryFailure,
        "delivery_failure",
        "not delivered",
        None,
    ),
];

const UNSPECIFIED: KindInfo = info(K::Unspecified, "unspecified", "empty message", None);

/// The table's row for `kind`.
pub fn of(kind: K) -> &'static KindInfo {
    KINDS
        .iter()
        .find(|k| k.kind == kind)
        .unwrap_or(&UNSPECIFIED)
}

/// The step a message takes when it arrives.
pub fn step_of(payload: &pb::Payload) -> Option<Step> {
    match &payload.body {
        Some(pb::payload::Body::Response(r)) if r.restricted => Some(Step::RespondRestricted),
        _ => of(crate::envelope::kind_of(payload)).step,
    }
}

/// The event kind of a message received: "response_received".
pub fn received(kind: K) -> String {
    format!("{}_received", of(kind).name)
}

fn reason(r: i32) -> &'static str {
    match pb::WithholdingReason::try_from(r).unwrap_or(pb::WithholdingReason::Unspecified) {
        pb::WithholdingReason::OngoingInvestigationOrLaw => {
            "10.5.2 (a) ongoing investigation or confidentiality law"
        }
        pb::WithholdingReason::ConfidentialityNotGuaranteed => {
            "10.5.2 (b) confidentiality cannot be guaranteed"
        }
        pb::WithholdingReason::NationalSecurity => "10.5.2 (c) national security",
        pb::WithholdingReason::Unspecified => "no reason given",
    }
}

fn codes(first: i32, more: &[i32]) -> String {
    let names: Vec<&str> = std::iter::once(first)
        .chain(more.iter().copied())
        .filter_map(|r| pb::UseRestriction::try_from(r).ok())
        .filter_map(crate::policy::marking::Restriction::from_proto)
        .map(|r| r.code())
        .collect();
    names.join(", ")
}

fn use_name(u: i32) -> String {
    pb::OnwardUse::try_from(u)
        .ok()
        .and_then(|u| crate::policy::Use::try_from(u).ok())
        .map(|u| u.to_string())
        .unwrap_or_else(|| "an unnamed use".into())
}

/// What a message lifts or asks to lift, as facts.
fn consent_terms(restrictions: &str, tlp: bool, use_: i32, destination: &str) -> String {
    let mut lifts = Vec::new();
    if !restrictions.is_empty() {
        lifts.push(restrictions.to_string());
    }
    if tlp {
        lifts.push("the TLP level".into());
    }
    let mut s = format!("{} for {}", lifts.join(" and "), use_name(use_));
    if !destination.is_empty() {
        s.push_str(&format!(" to {destination}"));
    }
    s
}

/// A message described for the history of its trace, by facts alone.
pub fn facts(payload: &pb::Payload) -> String {
    use pb::payload::Body;
    let title = of(crate::envelope::kind_of(payload)).title;
    match &payload.body {
        Some(Body::Response(r)) if r.restricted => {
            format!("restricted response: {}", reason(r.restriction_reason))
        }
        Some(Body::ReturnForCompletion(r)) => format!(
            "{title}{}, missing: {}",
            if r.automatic { " automatically" } else { "" },
            r.missing
                .iter()
                .map(|m| m.field.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(Body::Delay(d)) => format!(
            "response delayed until {}: {}",
            d.new_response_due
                .as_ref()
                .and_then(from_timestamp)
                .map(rfc3339)
                .unwrap_or_default(),
            reason(d.reason)
        ),
        Some(Body::Refusal(r)) => format!("refusal: {}", reason(r.reason)),
        Some(Body::Consent(c)) if c.declined => "consent declined (10.3)".into(),
        Some(Body::Consent(c)) => format!(
            "consent: lifts {}",
            consent_terms(
                &codes(c.restriction, &c.restrictions),
                c.lifts_tlp,
                c.r#use,
                &c.destination
            )
        ),
        Some(Body::ConsentRequest(c)) => format!(
            "consent asked: {}",
            consent_terms(
                &codes(c.restriction, &c.restrictions),
                c.lift_tlp,
                c.r#use,
                &c.destination
            )
        ),
        Some(Body::SharedInformation(s)) => format!("information provided by {}", s.provided_by),
        Some(Body::BrokerNotice(b)) => format!("{}: lost/stolen register match", b.broker),
        Some(Body::DeliveryFailure(d)) => format!("not delivered: {}", d.reason),
        _ => title.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_the_protocol_is_in_the_table_once() {
        for value in 1..=17 {
            let kind = K::try_from(value).expect("a payload kind");
            assert_eq!(
                KINDS.iter().filter(|k| k.kind == kind).count(),
                1,
                "{kind:?}"
            );
            assert_eq!(of(kind).name, crate::metrics::kind_label(kind), "{kind:?}");
        }
    }

    #[test]
    fn history_facts_never_quote_a_message() {
        let secret = "TOKEN-7Q";
        let payloads = [
            pb::payload::Body::Refusal(pb::Refusal {
                reason: 1,
                explanation: secret.into(),
            }),
            pb::payload::Body::ClarificationRequest(pb::ClarificationRequest {
                question: secret.into(),
                regarding: String::new(),
            }),
            pb::payload::Body::BrokerNotice(pb::BrokerNotice {
                broker: "hub:INTERPOL".into(),
                registered_serial: secret.into(),
                differences: vec![secret.into()],
                ..Default::default()
            }),
            pb::payload::Body::Consent(pb::Consent {
                note: secret.into(),
                ..Default::default()
            }),
        ];
        for body in payloads {
            let text = facts(&pb::Payload { body: Some(body) });
            assert!(!text.contains(secret), "{text}");
        }
    }
}
