//! The one table of payload kinds: for each kind of message, its name (in
//! labels, metrics and event kinds), what it is for an officer, and the
//! lifecycle step it takes when it arrives. `facts` describes a message for
//! its trace's history with facts alone (kinds, reasons' codes, dates of
//! deadlines, participants, restriction codes), never its content; the
//! catalogs word them (`history-*`, titles `history-kind-*`).

use iti_proto::v1 as pb;
use pb::PayloadKind as K;

use super::machine::Step;
use crate::clock::{from_timestamp, rfc3339};
use crate::fact::{self, code, fact, proto_code, text, word, words};

/// What the node knows of one kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    pub kind: K,
    /// "acknowledgement", "clarification_request".
    pub name: &'static str,
    /// The step its arrival takes on the trace, if any (a response that is
    /// restricted takes `RespondRestricted`: see `step_of`).
    pub step: Option<Step>,
}

const fn info(kind: K, name: &'static str, step: Option<Step>) -> KindInfo {
    KindInfo { kind, name, step }
}

/// Every kind, in protocol order.
pub const KINDS: [KindInfo; 17] = [
    info(K::Request, "request", None),
    info(
        K::Acknowledgement,
        "acknowledgement",
        Some(Step::Acknowledge),
    ),
    info(
        K::ReturnForCompletion,
        "return_for_completion",
        Some(Step::ReturnForCompletion),
    ),
    info(K::Resubmission, "resubmission", Some(Step::Resubmit)),
    info(K::Response, "response", Some(Step::Respond)),
    info(K::Delay, "delay", Some(Step::Delay)),
    info(K::Refusal, "refusal", Some(Step::Refuse)),
    info(
        K::ClarificationRequest,
        "clarification_request",
        Some(Step::RequestClarification),
    ),
    info(
        K::ClarificationReply,
        "clarification_reply",
        Some(Step::AnswerClarification),
    ),
    info(K::Consent, "consent", None),
    info(K::ConsentRequest, "consent_request", None),
    info(K::Closure, "closure", Some(Step::Close)),
    info(K::SharedInformation, "shared_information", None),
    info(K::BrokerNotice, "broker_notice", None),
    info(K::Receipt, "receipt", None),
    info(K::OnBehalfRequest, "on_behalf_request", None),
    info(K::DeliveryFailure, "delivery_failure", None),
];

const UNSPECIFIED: KindInfo = info(K::Unspecified, "unspecified", None);

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

/// A withholding reason (10.5.2), as a coded value.
fn reason(r: i32) -> pb::Fact {
    let reason = pb::WithholdingReason::try_from(r).unwrap_or(pb::WithholdingReason::Unspecified);
    proto_code(reason.as_str_name())
}

/// The restrictions a consent lifts or asks to lift, as coded values.
fn codes(first: i32, more: &[i32]) -> Vec<pb::Fact> {
    std::iter::once(first)
        .chain(more.iter().copied())
        .filter_map(|r| pb::UseRestriction::try_from(r).ok())
        .filter(|r| *r != pb::UseRestriction::Unspecified)
        .map(|r| proto_code(r.as_str_name()))
        .collect()
}

fn use_name(u: i32) -> pb::Fact {
    pb::OnwardUse::try_from(u)
        .ok()
        .and_then(|u| crate::policy::Use::try_from(u).ok())
        .map(fact::use_of)
        .unwrap_or_else(|| code("history-use-unnamed"))
}

/// What a message lifts or asks to lift (restrictions, the TLP level or
/// both), for which use, to whom.
fn consent_terms(restrictions: Vec<pb::Fact>, tlp: bool, use_: i32, to: &str) -> pb::FactArg {
    let lifts = match (restrictions.is_empty(), tlp) {
        (false, true) => "both",
        (true, true) => "tlp",
        _ => "restrictions",
    };
    let to = match to {
        "" => text("destination", ""),
        to => word("destination", fact("history-to", [text("destination", to)])),
    };
    let terms = fact(
        "history-lifts",
        [
            words("restrictions", restrictions),
            text("lifts", lifts),
            word("use", use_name(use_)),
            to,
        ],
    );
    word("terms", terms)
}

/// The kind of a message, as an officer names it.
pub fn title(kind: K) -> pb::Fact {
    code(&format!("history-kind-{}", of(kind).name.replace('_', "-")))
}

/// A message described for the history of its trace, by facts alone.
pub fn facts(payload: &pb::Payload) -> pb::Fact {
    use pb::payload::Body;
    let title = title(crate::envelope::kind_of(payload));
    match &payload.body {
        Some(Body::Response(r)) if r.restricted => fact(
            "history-restricted-response",
            [word("reason", reason(r.restriction_reason))],
        ),
        Some(Body::ReturnForCompletion(r)) => fact(
            "history-returned",
            [automatically(r.automatic), text("missing", missing(r))],
        ),
        Some(Body::Delay(d)) => fact(
            "history-delayed",
            [text("until", due(d)), word("reason", reason(d.reason))],
        ),
        Some(Body::Refusal(r)) => fact("history-refusal", [word("reason", reason(r.reason))]),
        Some(Body::Consent(c)) if c.declined => code("history-consent-declined"),
        Some(Body::Consent(c)) => {
            let lifted = codes(c.restriction, &c.restrictions);
            let terms = consent_terms(lifted, c.lifts_tlp, c.r#use, &c.destination);
            fact("history-consent", [terms])
        }
        Some(Body::ConsentRequest(c)) => {
            let asked = codes(c.restriction, &c.restrictions);
            let terms = consent_terms(asked, c.lift_tlp, c.r#use, &c.destination);
            fact("history-consent-asked", [terms])
        }
        Some(Body::SharedInformation(s)) => fact(
            "history-information-from",
            [text("provider", &s.provided_by)],
        ),
        Some(Body::BrokerNotice(b)) => fact("history-broker-match", [text("broker", &b.broker)]),
        Some(Body::DeliveryFailure(d)) => not_delivered(&d.reason),
        _ => title,
    }
}

/// " automatically" for a return the requested node made by its policy.
fn automatically(automatic: bool) -> pb::FactArg {
    match automatic {
        true => word("automatic", code("history-automatically")),
        false => text("automatic", ""),
    }
}

/// Not delivered, for the reason the refusing node gave (its own words).
pub fn not_delivered(reason: &str) -> pb::Fact {
    fact("history-not-delivered", [text("reason", reason)])
}

/// The fields a return names: their paths, as the protocol writes them.
fn missing(r: &pb::ReturnForCompletion) -> String {
    let fields: Vec<&str> = r.missing.iter().map(|m| m.field.as_str()).collect();
    fields.join(", ")
}

fn due(d: &pb::DelayNotice) -> String {
    d.new_response_due
        .as_ref()
        .and_then(from_timestamp)
        .map(rfc3339)
        .unwrap_or_default()
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
    fn every_kind_is_named_in_the_catalogs() {
        let en = crate::i18n::english();
        for k in KINDS.iter().chain([&UNSPECIFIED]) {
            let id = title(k.kind).id;
            assert!(en.has(&id), "{id}");
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
            let fact = facts(&pb::Payload { body: Some(body) });
            let text = fact::english(&fact);
            assert!(!text.contains(secret), "{text}");
            assert!(!format!("{fact:?}").contains(secret), "{fact:?}");
        }
    }
}
