//! Officer actions on a trace: acknowledge, respond, return for completion,
//! resubmit, delay, refuse, clarify, consent, close. Each is checked against
//! the state machine and the side we are on, then sent.

use iti_proto::v1 as pb;

use super::submit::{check_request, require_poc};
use super::{Actor, Node, ServiceError, ServiceResult, queue_outgoing, record_event};
use crate::case::machine::{Side, Step, transition};
use crate::clock::{from_timestamp, rfc3339};
use crate::deadlines;
use crate::identity::Officer;
use crate::ids::{EnvelopeId, ParticipantId, TraceId};
use crate::policy::marking::{Marking, Restriction};
use crate::policy::redact::conflicts_with_declared;
use crate::store::boxed;
use crate::store::traces::{self, ConsentRow, TraceRow};

/// One officer action, with its message.
#[derive(Debug, Clone)]
pub enum Action {
    Acknowledge(pb::Acknowledgement),
    Respond(pb::TraceResponse),
    ReturnForCompletion(pb::ReturnForCompletion),
    Resubmit(pb::Resubmission),
    Delay(pb::DelayNotice),
    Refuse(pb::Refusal),
    RequestClarification(pb::ClarificationRequest),
    Clarify(pb::ClarificationReply),
    GrantConsent(pb::Consent),
    RequestConsent(pb::ConsentRequest),
    Close(pb::Closure),
}

impl Action {
    /// The lifecycle step this action takes, if any (consents take none).
    pub fn step(&self) -> Option<Step> {
        Some(match self {
            Action::Acknowledge(_) => Step::Acknowledge,
            Action::Respond(r) if r.restricted => Step::RespondRestricted,
            Action::Respond(_) => Step::Respond,
            Action::ReturnForCompletion(_) => Step::ReturnForCompletion,
            Action::Resubmit(_) => Step::Resubmit,
            Action::Delay(_) => Step::Delay,
            Action::Refuse(_) => Step::Refuse,
            Action::RequestClarification(_) => Step::RequestClarification,
            Action::Clarify(_) => Step::AnswerClarification,
            Action::Close(_) => Step::Close,
            Action::GrantConsent(_) | Action::RequestConsent(_) => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Action::Acknowledge(_) => "acknowledged",
            Action::Respond(r) if r.restricted => "responded (restricted)",
            Action::Respond(_) => "responded",
            Action::ReturnForCompletion(_) => "returned for completion",
            Action::Resubmit(_) => "resubmitted",
            Action::Delay(_) => "delay notified",
            Action::Refuse(_) => "refused",
            Action::RequestClarification(_) => "clarification requested",
            Action::Clarify(_) => "clarification given",
            Action::GrantConsent(_) => "consent granted",
            Action::RequestConsent(_) => "consent requested",
            Action::Close(_) => "closed",
        }
    }

    fn into_payload(self) -> pb::Payload {
        use pb::payload::Body;
        let body = match self {
            Action::Acknowledge(m) => Body::Acknowledgement(m),
            Action::Respond(m) => Body::Response(m),
            Action::ReturnForCompletion(m) => Body::ReturnForCompletion(m),
            Action::Resubmit(m) => Body::Resubmission(m),
            Action::Delay(m) => Body::Delay(m),
            Action::Refuse(m) => Body::Refusal(m),
            Action::RequestClarification(m) => Body::ClarificationRequest(m),
            Action::Clarify(m) => Body::ClarificationReply(m),
            Action::GrantConsent(m) => Body::Consent(m),
            Action::RequestConsent(m) => Body::ConsentRequest(m),
            Action::Close(m) => Body::Closure(m),
        };
        pb::Payload { body: Some(body) }
    }
}

/// The side that may take a consent action. 10.3: the requested state
/// imposes restrictions on the information it provides, so only it may lift
/// them; the requester asks. (A consent the requester recorded itself would
/// lift restrictions on its own node without the provider's say.)
fn consent_taken_by(action: &Action) -> Option<Side> {
    match action {
        Action::GrantConsent(_) => Some(Side::Requested),
        Action::RequestConsent(_) => Some(Side::Requester),
        _ => None,
    }
}

fn side_of(trace: &TraceRow) -> Side {
    if trace.role.is_requesting() {
        Side::Requester
    } else {
        Side::Requested
    }
}

fn reason_given(reason: i32, explanation: &str, what: &str) -> ServiceResult<()> {
    if pb::WithholdingReason::try_from(reason).unwrap_or(pb::WithholdingReason::Unspecified)
        == pb::WithholdingReason::Unspecified
    {
        return Err(ServiceError::invalid(
            format!("{what}.reason"),
            "give one of the reasons of 10.5.2 (a), (b) or (c)",
        ));
    }
    if explanation.trim().is_empty() {
        return Err(ServiceError::invalid(
            format!("{what}.explanation"),
            "10.5.2: the requesting point of contact must be told the reasons",
        ));
    }
    Ok(())
}

fn check_marking(m: Option<&pb::Marking>, field: &str) -> ServiceResult<()> {
    if let Some(m) = m {
        Marking::try_from(m).map_err(|e| ServiceError::invalid(field, e.to_string()))?;
    }
    Ok(())
}

/// Checks a response: 10.4 requires at least the last legal possessor of a
/// full response, and every marking must be valid.
pub(crate) fn check_response(r: &mut pb::TraceResponse) -> ServiceResult<()> {
    if r.marking.is_none() {
        r.marking = Some(pb::Marking {
            tlp: pb::Tlp::Amber as i32,
            restrictions: vec![],
        });
    }
    check_marking(r.marking.as_ref(), "marking")?;
    check_marking(
        r.finding.as_ref().and_then(|s| s.marking.as_ref()),
        "finding.marking",
    )?;
    check_marking(
        r.history.as_ref().and_then(|s| s.marking.as_ref()),
        "history.marking",
    )?;
    check_marking(
        r.last_legal_possessor
            .as_ref()
            .and_then(|s| s.marking.as_ref()),
        "lastLegalPossessor.marking",
    )?;
    check_marking(
        r.commercial.as_ref().and_then(|s| s.marking.as_ref()),
        "commercial.marking",
    )?;
    check_marking(
        r.individuals.as_ref().and_then(|s| s.marking.as_ref()),
        "individuals.marking",
    )?;
    if r.restricted {
        reason_given(
            r.restriction_reason,
            &r.restriction_explanation,
            "restriction",
        )?;
        return Ok(());
    }
    if r.finding.as_ref().and_then(|f| f.case.as_ref()).is_none() {
        return Err(ServiceError::invalid(
            "finding",
            "say which case of 10.4 applies: manufactureOrImport, internalTransfer, export or internalDiversion",
        ));
    }
    let named = r
        .last_legal_possessor
        .as_ref()
        .is_some_and(|p| !p.name.trim().is_empty());
    if !named {
        return Err(ServiceError::invalid(
            "lastLegalPossessor.name",
            "10.4: a response shall, at a minimum, name the last legal possessor",
        ));
    }
    if let Some(pb::finding::Case::Export(e)) = r.finding.as_ref().and_then(|f| f.case.as_ref())
        && !e.importing_state.trim().is_empty()
    {
        e.importing_state
            .parse::<crate::ids::StateCode>()
            .map_err(|err| {
                ServiceError::invalid("finding.export.importingState", err.to_string())
            })?;
    }
    Ok(())
}

impl Node {
    /// Carries out an officer's action on a trace and sends its message.
    pub async fn act(
        &self,
        officer: &Officer,
        trace_id: TraceId,
        mut action: Action,
        confirm_despite_declared: bool,
    ) -> ServiceResult<(EnvelopeId, TraceRow, Vec<String>)> {
        require_poc(officer, "act on traces")?;
        let trace = traces::get_from_pool(self.store.pool(), trace_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no trace {trace_id}")))?;
        let now = self.now();
        let side = side_of(&trace);
        let step = action.step();
        if let Some(step) = step
            && step.taken_by() != side
        {
            return Err(ServiceError::FailedPrecondition(format!(
                "only the {} may {} a trace; on this trace we are the {}",
                match step.taken_by() {
                    Side::Requester => "requesting state",
                    Side::Requested => "requested state",
                },
                step.as_str(),
                trace.role
            )));
        }
        if let Some(only) = consent_taken_by(&action)
            && only != side
        {
            return Err(ServiceError::FailedPrecondition(format!(
                "{} (10.3); on this trace we are the {}",
                match only {
                    Side::Requested => {
                        "only the requested state, which imposed the restrictions, may consent \
                         to lifting them"
                    }
                    Side::Requester => "consent is asked by the requesting state",
                },
                trace.role
            )));
        }
        let mut warnings = Vec::new();
        let mut delay_until = None;
        let mut consent = None;
        match &mut action {
            Action::Respond(r) => {
                check_response(r)?;
                let declared: Vec<pb::UseRestriction> = trace
                    .request
                    .restrictions_cannot_comply
                    .iter()
                    .filter_map(|r| pb::UseRestriction::try_from(*r).ok())
                    .collect();
                let conflicts = conflicts_with_declared(r, &declared);
                if !conflicts.is_empty() {
                    let names = conflicts
                        .iter()
                        .map(|c: &Restriction| format!("{} ({})", c.code(), c.meaning()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    if !confirm_despite_declared {
                        return Err(ServiceError::FailedPrecondition(format!(
                            "{} declared in advance that it cannot legally comply with {names} (10.3); \
                             remove the restriction, or confirm to send it anyway",
                            trace.counterpart
                        )));
                    }
                    warnings.push(format!(
                        "sent with restrictions the requester declared it cannot honour: {names}"
                    ));
                }
            }
            Action::Delay(d) => {
                reason_given(d.reason, &d.explanation, "delay")?;
                let until = d
                    .new_response_due
                    .as_ref()
                    .and_then(from_timestamp)
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "delay.newResponseDue",
                            "give the new date of the response",
                        )
                    })?;
                if until <= now {
                    return Err(ServiceError::invalid(
                        "delay.newResponseDue",
                        "must be in the future",
                    ));
                }
                delay_until = Some(until);
            }
            Action::Refuse(r) => reason_given(r.reason, &r.explanation, "refusal")?,
            Action::ReturnForCompletion(r) => {
                if r.missing.is_empty() {
                    r.missing = trace.missing.clone();
                }
                if r.missing.is_empty() {
                    return Err(ServiceError::invalid(
                        "returnForCompletion.missing",
                        "list the missing elements (10.2)",
                    ));
                }
                r.automatic = false;
            }
            Action::Resubmit(r) => {
                let mut request = r.request.clone().ok_or_else(|| {
                    ServiceError::invalid("resubmission.request", "give the completed request")
                })?;
                check_request(&mut request, now)?;
                request.requested_state = trace.request.requested_state.clone();
                if request.grounds.is_none() {
                    request.grounds = trace.request.grounds.clone();
                }
                r.request = Some(request);
            }
            Action::RequestClarification(c) if c.question.trim().is_empty() => {
                return Err(ServiceError::invalid(
                    "clarificationRequest.question",
                    "ask a question",
                ));
            }
            Action::Clarify(c) if c.answer.trim().is_empty() => {
                return Err(ServiceError::invalid(
                    "clarificationReply.answer",
                    "give the answer",
                ));
            }
            _ => {}
        }
        if let Action::GrantConsent(c) = &action {
            let restriction = pb::UseRestriction::try_from(c.restriction)
                .unwrap_or(pb::UseRestriction::Unspecified);
            let use_ = pb::OnwardUse::try_from(c.r#use).unwrap_or(pb::OnwardUse::Unspecified);
            if restriction == pb::UseRestriction::Unspecified {
                return Err(ServiceError::invalid(
                    "consent.restriction",
                    "name the restriction to lift",
                ));
            }
            if use_ == pb::OnwardUse::Unspecified {
                return Err(ServiceError::invalid(
                    "consent.use",
                    "name the one use the consent allows",
                ));
            }
            consent = Some((c.restriction, c.r#use, c.regarding.clone()));
        }
        if let Action::RequestConsent(c) = &action
            && (pb::UseRestriction::try_from(c.restriction)
                .unwrap_or(pb::UseRestriction::Unspecified)
                == pb::UseRestriction::Unspecified
                || pb::OnwardUse::try_from(c.r#use).unwrap_or(pb::OnwardUse::Unspecified)
                    == pb::OnwardUse::Unspecified)
        {
            return Err(ServiceError::invalid(
                "consentRequest",
                "name the restriction and the one use you ask consent for",
            ));
        }

        let marking = match &action {
            Action::Respond(r) => crate::policy::redact::envelope_marking(r)
                .map_err(|e| ServiceError::invalid("marking", e.to_string()))?
                .to_proto(),
            _ => trace.request.marking.clone().unwrap_or_default(),
        };
        let new_request = match &action {
            Action::Resubmit(r) => r.request.clone(),
            _ => None,
        };
        let detail = describe(&action);
        let name = action.name();
        let mut payload = action.into_payload();
        let flags = crate::bounds::check(&mut payload, now)?;
        warnings.extend(flags.iter().map(crate::bounds::warning));
        // An on-behalf trace is conducted by the hub: messages go to it.
        let destination: ParticipantId = match (&trace.on_behalf_of, side) {
            (Some(hub), Side::Requester) if trace.role.is_requesting() && hub.is_hub() => {
                hub.clone()
            }
            _ => trace.counterpart.clone(),
        };
        let (header, env) = self.make_envelope(
            trace.case_id,
            trace.trace_id,
            &destination,
            &payload,
            &marking,
            None,
        )?;
        let policy = self.config.deadlines;
        let actor = Actor::Officer(officer.clone());
        let envelope_id = header.id;
        let updated = self
            .store
            .write(move |conn| {
                boxed(async move {
                    let mut t = traces::get(conn, trace_id)
                        .await?
                        .ok_or_else(|| ServiceError::NotFound(format!("no trace {trace_id}")))?;
                    if let Some(step) = step {
                        t.state = transition(t.state, step)?;
                        t.due = deadlines::after_step(&policy, t.due, step, now, delay_until);
                    }
                    if let Some(request) = new_request {
                        t.request = request;
                        t.missing = crate::case::completeness::check(&t.request);
                        t.flags = crate::bounds::flags_of(&t.request);
                    }
                    t.updated_at = now;
                    traces::update(conn, &t).await?;
                    if let Some((restriction, use_, regarding)) = consent {
                        traces::add_consent(
                            conn,
                            &ConsentRow {
                                trace_id,
                                regarding,
                                restriction,
                                use_,
                                envelope_id: header.id.to_string(),
                                granted_at: now,
                            },
                        )
                        .await?;
                    }
                    queue_outgoing(conn, &header, &env, &payload, now).await?;
                    record_event(conn, &t, name, &actor, &detail, Some(header.id), now).await?;
                    Ok::<_, ServiceError>(t)
                })
            })
            .await?;
        self.wake_outbox();
        Ok((envelope_id, updated, warnings))
    }
}

/// A one-line description for the event history. Never includes content
/// that a marking protects: kinds of finding, names of reasons, dates.
pub(crate) fn describe(action: &Action) -> String {
    describe_payload(&action.clone().into_payload())
}

/// The same, for any message.
pub(crate) fn describe_payload(payload: &pb::Payload) -> String {
    use crate::render::enum_name;
    use pb::payload::Body;
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
    match &payload.body {
        Some(Body::Request(_)) => "trace request".into(),
        Some(Body::Acknowledgement(_)) => "acknowledgement of receipt (10.1)".into(),
        Some(Body::Response(r)) if r.restricted => {
            format!("restricted response: {}", reason(r.restriction_reason))
        }
        Some(Body::Response(r)) => format!(
            "response ({})",
            match r.finding.as_ref().and_then(|f| f.case.as_ref()) {
                Some(pb::finding::Case::ManufactureOrImport(_)) => "10.4.1 manufacture or import",
                Some(pb::finding::Case::InternalTransfer(_)) => "10.4.2 internal transfer",
                Some(pb::finding::Case::Export(_)) => "10.4.3 export",
                Some(pb::finding::Case::InternalDiversion(_)) => "10.4.4 internal diversion",
                None => "no finding",
            }
        ),
        Some(Body::ReturnForCompletion(r)) => format!(
            "returned for completion (10.2){}, missing: {}",
            if r.automatic { " automatically" } else { "" },
            r.missing
                .iter()
                .map(|m| m.field.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(Body::Resubmission(_)) => "completed request resubmitted".into(),
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
        Some(Body::ClarificationRequest(_)) => "clarification requested (10.5.2)".into(),
        Some(Body::ClarificationReply(_)) => "clarification given".into(),
        Some(Body::Consent(c)) => format!(
            "consent: lifts {} for {}",
            pb::UseRestriction::try_from(c.restriction)
                .map(|r| enum_name(r.as_str_name(), "USE_RESTRICTION_"))
                .unwrap_or_default(),
            pb::OnwardUse::try_from(c.r#use)
                .map(|u| enum_name(u.as_str_name(), "ONWARD_USE_"))
                .unwrap_or_default()
        ),
        Some(Body::ConsentRequest(c)) => format!(
            "consent asked: {} for {}",
            pb::UseRestriction::try_from(c.restriction)
                .map(|r| enum_name(r.as_str_name(), "USE_RESTRICTION_"))
                .unwrap_or_default(),
            pb::OnwardUse::try_from(c.r#use)
                .map(|u| enum_name(u.as_str_name(), "ONWARD_USE_"))
                .unwrap_or_default()
        ),
        Some(Body::Closure(_)) => "trace closed".into(),
        Some(Body::SharedInformation(s)) => format!("information provided by {}", s.provided_by),
        Some(Body::BrokerNotice(b)) => format!(
            "{}: lost/stolen register match, reported by {}{}",
            b.broker,
            b.reported_by,
            if b.differences.is_empty() {
                String::new()
            } else {
                format!(" (serial read differently: {})", b.differences.join(", "))
            }
        ),
        Some(Body::Receipt(_)) => "end-to-end receipt".into(),
        Some(Body::OnBehalfRequest(_)) => "request to trace on our behalf (11.3.1)".into(),
        Some(Body::DeliveryFailure(d)) => format!("not delivered: {}", d.reason),
        None => "empty message".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_requested_state_grants_consent_and_only_the_requester_asks() {
        let grant = Action::GrantConsent(pb::Consent::default());
        let ask = Action::RequestConsent(pb::ConsentRequest::default());
        assert_eq!(consent_taken_by(&grant), Some(Side::Requested));
        assert_eq!(consent_taken_by(&ask), Some(Side::Requester));
        assert_eq!(
            consent_taken_by(&Action::Close(pb::Closure::default())),
            None
        );
    }
}
