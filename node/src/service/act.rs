//! Officer actions on a trace: acknowledge, respond, return for completion,
//! resubmit, delay, refuse, clarify, consent, close. Each action checks its
//! own message against the trace (`Action::check`); `Node::act` then does
//! the same for all: the side that may take it, the marking its message
//! carries, the envelope through the release gate, and one transition.

use std::sync::Arc;

use iti_proto::v1 as pb;

use super::pipeline::{self, Change, Event, Transition};
use super::submit::{check_request, require_poc};
use super::{Actor, Node, ServiceError, ServiceResult};
use crate::case::machine::{Side, Step, TraceState};
use crate::case::role::{Awaiting, TraceRole};
use crate::clock::from_timestamp;
use crate::identity::Officer;
use crate::ids::{EnvelopeId, ParticipantId, TraceId};
use crate::policy::Use;
use crate::policy::consent::Consent;
use crate::policy::gate::{Audience, Whole, release_owned};
use crate::policy::marked::{Marked, Source};
use crate::policy::marking::{Marking, Restriction};
use crate::policy::redact::conflicts_with_declared;
use crate::store::boxed;
use crate::store::envelopes::{self, Direction};
use crate::store::traces::{self, ConsentRow, TraceHead, TraceRow};

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

/// What an action's check found: warnings for the officer, a delay's date,
/// a consent to record.
#[derive(Default)]
struct Checked {
    warnings: Vec<String>,
    delay_until: Option<time::OffsetDateTime>,
    consent: Option<Consent>,
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
            Action::GrantConsent(c) if c.declined => "consent declined",
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

    /// The side that may take this action (10.3: the requested state
    /// imposes restrictions on what it provides, so only it may lift them;
    /// the requester asks).
    fn taken_by(&self) -> Option<Side> {
        match self {
            Action::GrantConsent(_) => Some(Side::Requested),
            Action::RequestConsent(_) => Some(Side::Requester),
            other => other.step().map(Step::taken_by),
        }
    }

    /// Checks (and completes) the message against the trace.
    fn check(
        &mut self,
        trace: &TraceRow,
        ctx: &Context,
        confirm_despite_declared: bool,
    ) -> ServiceResult<Checked> {
        let mut checked = Checked::default();
        match self {
            Action::Respond(r) => {
                check_response(r)?;
                checked.warnings = check_declared(trace, r, confirm_despite_declared)?;
            }
            Action::Delay(d) => checked.delay_until = Some(check_delay(d, ctx.now)?),
            Action::Refuse(r) => reason_given(r.reason, &r.explanation, "refusal")?,
            Action::ReturnForCompletion(r) => check_return(r, trace)?,
            Action::Resubmit(r) => check_resubmission(r, trace, ctx.now)?,
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
            Action::GrantConsent(c) => {
                checked.consent = check_grant(c, ctx)?;
            }
            Action::RequestConsent(c) => check_consent_request(c, ctx)?,
            _ => {}
        }
        Ok(checked)
    }
}

/// What an action's checks need to know besides the trace.
struct Context {
    us: ParticipantId,
    now: time::OffsetDateTime,
    /// The responses of the trace: id, who sent it, its envelope marking.
    responses: Vec<(EnvelopeId, ParticipantId, Marking)>,
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
    for (section, marking) in [
        (
            "finding",
            r.finding.as_ref().and_then(|s| s.marking.as_ref()),
        ),
        (
            "history",
            r.history.as_ref().and_then(|s| s.marking.as_ref()),
        ),
        (
            "lastLegalPossessor",
            r.last_legal_possessor
                .as_ref()
                .and_then(|s| s.marking.as_ref()),
        ),
        (
            "commercial",
            r.commercial.as_ref().and_then(|s| s.marking.as_ref()),
        ),
        (
            "individuals",
            r.individuals.as_ref().and_then(|s| s.marking.as_ref()),
        ),
    ] {
        check_marking(marking, &format!("{section}.marking"))?;
    }
    if r.restricted {
        return reason_given(
            r.restriction_reason,
            &r.restriction_explanation,
            "restriction",
        );
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
    // 8.3: records that hold nothing have no possessor to name.
    let no_record = matches!(
        r.finding.as_ref().and_then(|f| f.case.as_ref()),
        Some(pb::finding::Case::NoRecord(_))
    );
    if !named && !no_record {
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

/// 10.3, last paragraph: a response carrying a restriction the requester
/// declared it cannot honour goes only when the officer confirms.
fn check_declared(
    trace: &TraceRow,
    r: &pb::TraceResponse,
    confirmed: bool,
) -> ServiceResult<Vec<String>> {
    let declared: Vec<pb::UseRestriction> = trace
        .request
        .facts(|req| {
            req.restrictions_cannot_comply
                .iter()
                .filter_map(|r| pb::UseRestriction::try_from(*r).ok())
                .map(|r| r as i32)
                .collect::<Vec<i32>>()
        })
        .into_iter()
        .filter_map(|r| pb::UseRestriction::try_from(r).ok())
        .collect();
    let conflicts = conflicts_with_declared(r, &declared);
    if conflicts.is_empty() {
        return Ok(vec![]);
    }
    let names = conflicts
        .iter()
        .map(|c: &Restriction| format!("{} ({})", c.code(), c.meaning()))
        .collect::<Vec<_>>()
        .join(", ");
    if !confirmed {
        return Err(ServiceError::FailedPrecondition(format!(
            "{} declared in advance that it cannot legally comply with {names} (10.3); \
             remove the restriction, or confirm to send it anyway",
            trace.counterpart
        )));
    }
    Ok(vec![format!(
        "sent with restrictions the requester declared it cannot honour: {names}"
    )])
}

fn check_delay(
    d: &pb::DelayNotice,
    now: time::OffsetDateTime,
) -> ServiceResult<time::OffsetDateTime> {
    reason_given(d.reason, &d.explanation, "delay")?;
    let until = d
        .new_response_due
        .as_ref()
        .and_then(from_timestamp)
        .ok_or_else(|| {
            ServiceError::invalid("delay.newResponseDue", "give the new date of the response")
        })?;
    if until <= now {
        return Err(ServiceError::invalid(
            "delay.newResponseDue",
            "must be in the future",
        ));
    }
    Ok(until)
}

fn check_return(r: &mut pb::ReturnForCompletion, trace: &TraceRow) -> ServiceResult<()> {
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
    Ok(())
}

fn check_resubmission(
    r: &mut pb::Resubmission,
    trace: &TraceRow,
    now: time::OffsetDateTime,
) -> ServiceResult<()> {
    let mut request = r.request.clone().ok_or_else(|| {
        ServiceError::invalid("resubmission.request", "give the completed request")
    })?;
    check_request(&mut request, now)?;
    // The request being completed is ours: it keeps where it went and why.
    let ours = trace.request.own().ok_or_else(|| {
        ServiceError::FailedPrecondition("only the requester's own request is resubmitted".into())
    })?;
    request.requested_state = ours.requested_state.clone();
    if request.grounds.is_none() {
        request.grounds = ours.grounds.clone();
    }
    r.request = Some(request);
    Ok(())
}

/// Reads a consent's use and restrictions, naming the field at fault.
fn consent_terms(
    restriction: i32,
    more: &[i32],
    use_: i32,
    what: &str,
) -> ServiceResult<(Use, Vec<Restriction>)> {
    let use_ = Use::try_from_onward_wire(use_, &format!("{what}.use"))
        .map_err(|_| ServiceError::invalid(format!("{what}.use"), "name the one use it is for"))?;
    let mut restrictions = Vec::new();
    for (i, r) in std::iter::once(restriction)
        .chain(more.iter().copied())
        .enumerate()
    {
        if r == 0 {
            continue;
        }
        restrictions.push(
            Restriction::try_from_wire(r, &format!("{what}.restrictions[{i}]")).map_err(|e| {
                ServiceError::invalid(format!("{what}.restrictions"), e.to_string())
            })?,
        );
    }
    Ok((use_, restrictions))
}

/// The response a consent (request) is about: one of the trace's.
fn regarding(
    regarding: &str,
    ctx: &Context,
    what: &str,
) -> ServiceResult<Option<(EnvelopeId, ParticipantId)>> {
    if regarding.trim().is_empty() {
        return Ok(None);
    }
    ctx.responses
        .iter()
        .find(|(id, _, _)| id.to_string() == regarding.trim())
        .map(|(id, from, _)| Some((*id, from.clone())))
        .ok_or_else(|| {
            ServiceError::invalid(format!("{what}.regarding"), "not a response of this trace")
        })
}

fn destination(d: &str, what: &str) -> ServiceResult<Option<ParticipantId>> {
    if d.trim().is_empty() {
        return Ok(None);
    }
    d.trim()
        .parse()
        .map(Some)
        .map_err(|e: crate::ids::IdError| {
            ServiceError::invalid(format!("{what}.destination"), e.to_string())
        })
}

/// A consent we, the provider, give: the one use, the restrictions and (for
/// one destination) the TLP level it lifts. Recorded here too.
fn check_grant(c: &pb::Consent, ctx: &Context) -> ServiceResult<Option<Consent>> {
    let regarding = regarding(&c.regarding, ctx, "consent")?;
    if let Some((_, from)) = &regarding
        && from != &ctx.us
    {
        return Err(ServiceError::invalid(
            "consent.regarding",
            "only the provider of that information may consent to its use",
        ));
    }
    if c.declined {
        return Ok(None);
    }
    let (use_, restrictions) = consent_terms(c.restriction, &c.restrictions, c.r#use, "consent")?;
    let destination = destination(&c.destination, "consent")?;
    if c.lifts_tlp && destination.is_none() {
        return Err(ServiceError::invalid(
            "consent.destination",
            "a TLP level is lifted for one named destination only",
        ));
    }
    if restrictions.is_empty() && !c.lifts_tlp {
        return Err(ServiceError::invalid(
            "consent.restriction",
            "name the restriction to lift, or lift the TLP level for one destination",
        ));
    }
    Ok(Some(Consent {
        provider: ctx.us.clone(),
        regarding: regarding.map(|(id, _)| id),
        use_,
        destination,
        restrictions: restrictions.into_iter().collect(),
        tlp: c.lifts_tlp,
    }))
}

fn check_consent_request(c: &pb::ConsentRequest, ctx: &Context) -> ServiceResult<()> {
    regarding(&c.regarding, ctx, "consentRequest")?;
    let (_, restrictions) =
        consent_terms(c.restriction, &c.restrictions, c.r#use, "consentRequest")?;
    let destination = destination(&c.destination, "consentRequest")?;
    if c.lift_tlp && destination.is_none() {
        return Err(ServiceError::invalid(
            "consentRequest.destination",
            "a TLP level is lifted for one named destination only",
        ));
    }
    if restrictions.is_empty() && !c.lift_tlp {
        return Err(ServiceError::invalid(
            "consentRequest",
            "name the restrictions (and the TLP level) you ask consent for",
        ));
    }
    Ok(())
}

fn side_of(trace: &TraceRow) -> Side {
    if trace.role.is_requesting() {
        Side::Requester
    } else {
        Side::Requested
    }
}

/// Refuses an action this side of the trace may not take.
fn check_side(action: &Action, trace: &TraceRow) -> ServiceResult<()> {
    let side = side_of(trace);
    let Some(only) = action.taken_by() else {
        return Ok(());
    };
    if only == side {
        return Ok(());
    }
    Err(ServiceError::FailedPrecondition(match action {
        Action::GrantConsent(_) => format!(
            "only the requested state, which provided the information, may consent to its \
             use (10.3); on this trace we are the {}",
            trace.role
        ),
        Action::RequestConsent(_) => format!(
            "consent is asked by the requesting state; on this trace we are the {}",
            trace.role
        ),
        _ => format!(
            "only the {} may {} a trace; on this trace we are the {}",
            match only {
                Side::Requester => "requesting state",
                Side::Requested => "requested state",
            },
            action.step().map(Step::as_str).unwrap_or("act on"),
            trace.role
        ),
    }))
}

/// The marking of an action's message. A response carries the strictest
/// marking anywhere in it; any other message may discuss what the trace
/// holds, so it carries the join of the request's marking and every
/// response's.
fn message_marking(action: &Action, trace: &TraceRow, ctx: &Context) -> ServiceResult<Marking> {
    if let Action::Respond(r) = action {
        return crate::policy::redact::envelope_marking(r)
            .map_err(|e| ServiceError::invalid("marking", e.to_string()));
    }
    Ok(ctx
        .responses
        .iter()
        .fold(trace.request.marking().clone(), |m, (_, _, r)| m.join(r)))
}

impl Node {
    /// Carries out an officer's action on a trace and sends its message.
    /// Returns the envelope sent (none for closing information passed on to
    /// us), the trace as the officer now sees it, and warnings.
    pub async fn act(
        &self,
        officer: &Officer,
        trace_id: TraceId,
        mut action: Action,
        confirm_despite_declared: bool,
    ) -> ServiceResult<(Option<EnvelopeId>, pb::TraceSummary, Vec<String>)> {
        require_poc(officer, "act on traces")?;
        // An action reads the request's marking and where it went, never
        // its items: the trace is read as a head.
        let head = traces::head_from_pool(self.store.pool(), trace_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no trace {trace_id}")))?;
        let trace = head.row();
        if trace.role == TraceRole::Informed {
            return self.close_information(officer, trace, action).await;
        }
        check_side(&action, trace)?;
        let ctx = Context {
            us: self.participant().clone(),
            now: self.now(),
            responses: self.responses_of(trace_id).await?,
        };
        let checked = action.check(trace, &ctx, confirm_despite_declared)?;
        let marking = message_marking(&action, trace, &ctx)?;
        let step = action.step();
        let name = action.name();
        let awaiting = match &action {
            Action::GrantConsent(_) => Some(Awaiting::Nothing),
            _ => None,
        };
        let new_request = match &action {
            Action::Resubmit(r) => r.request.clone(),
            _ => None,
        };
        let resubmitted = new_request.as_ref().map(|r| {
            (
                crate::case::completeness::check(r),
                crate::bounds::flags_of(r),
            )
        });
        let mut payload = action.into_payload();
        let flags = crate::bounds::check(&mut payload, ctx.now)?;
        let mut warnings = checked.warnings;
        warnings.extend(flags.iter().map(crate::bounds::warning));
        let detail = crate::case::kinds::facts(&payload);
        let outgoing = self.own_message(trace, payload, marking)?;
        let envelope_id = outgoing.0.id;
        let mut t = Transition::new(Change::Step {
            trace_id,
            step,
            delay_until: checked.delay_until,
            check: Arc::new(|_| Ok(())),
            update: Arc::new(move |t| {
                if let Some((missing, flags)) = resubmitted.clone() {
                    t.missing = missing;
                    t.flags = flags;
                }
                if let Some(a) = awaiting {
                    t.awaiting = a;
                }
            }),
            request: new_request.map(|request| {
                let marking = crate::store::provenance::held_under(request.marking.as_ref());
                Box::new(Marked::new(request, marking, Source::us()))
            }),
        })
        .event(Event::new(name, Actor::Officer(officer.clone()), detail).about(envelope_id))
        .send(outgoing);
        if let Some(consent) = checked.consent {
            t = t.write(traces::consent_write(&ConsentRow {
                trace_id,
                envelope_id: envelope_id.to_string(),
                consent,
                granted_at: ctx.now,
            }));
        }
        let updated = self.commit(t).await?;
        self.wake_outbox();
        let consents = super::views::consents_of_case(self, updated.row().case_id).await?;
        Ok((
            Some(envelope_id),
            self.head_summary(officer.role, &updated, &consents),
            warnings,
        ))
    }

    /// Information passed on to us is read and closed here; nothing is
    /// sent back (nothing is owed on it).
    async fn close_information(
        &self,
        officer: &Officer,
        trace: &TraceRow,
        action: Action,
    ) -> ServiceResult<(Option<EnvelopeId>, pb::TraceSummary, Vec<String>)> {
        if !matches!(action, Action::Close(_)) {
            return Err(ServiceError::FailedPrecondition(
                "information passed on to us can only be closed once read: nothing is owed on it"
                    .into(),
            ));
        }
        let t = Transition::new(Change::Step {
            trace_id: trace.trace_id,
            step: None,
            delay_until: None,
            check: Arc::new(|_| Ok(())),
            update: Arc::new(|t| {
                t.state = TraceState::Closed;
                t.awaiting = Awaiting::Nothing;
            }),
            request: None,
        })
        .event(Event::new(
            "closed",
            Actor::Officer(officer.clone()),
            crate::fact::code("history-information-closed"),
        ));
        let updated = self.commit(t).await?;
        Ok((
            None,
            self.head_summary(officer.role, &updated, &Default::default()),
            vec![],
        ))
    }

    /// The responses of a trace (sent or received): id, sender, marking.
    pub(crate) async fn responses_of(
        &self,
        trace_id: TraceId,
    ) -> ServiceResult<Vec<(EnvelopeId, ParticipantId, Marking)>> {
        Ok(envelopes::for_trace(self.store.pool(), trace_id)
            .await?
            .into_iter()
            .filter(|e| e.header.kind == pb::PayloadKind::Response)
            .map(|e| {
                let from = match e.direction {
                    Direction::Out => self.participant().clone(),
                    _ => e.header.origin.clone(),
                };
                let marking = crate::store::provenance::held_under(Some(&e.header.marking));
                (e.header.id, from, marking)
            })
            .collect())
    }

    /// A message of ours on `trace`, through the gate to the other side, and
    /// signed.
    pub(crate) fn own_message(
        &self,
        trace: &TraceRow,
        payload: pb::Payload,
        marking: Marking,
    ) -> ServiceResult<pipeline::Outgoing> {
        Ok(self.own_message_keeping(trace, payload, marking)?.0)
    }

    /// [`Node::own_message`], and the payload as sent, for a caller that
    /// keeps it (a new trace keeps its request) rather than copy it first.
    pub(crate) fn own_message_keeping(
        &self,
        trace: &TraceRow,
        payload: pb::Payload,
        marking: Marking,
    ) -> ServiceResult<(pipeline::Outgoing, pb::Payload)> {
        // An on-behalf trace is conducted by the hub: messages go to it.
        let destination: ParticipantId = match &trace.on_behalf_of {
            Some(hub) if trace.role.is_requesting() && hub.is_hub() => hub.clone(),
            _ => trace.counterpart.clone(),
        };
        let ours = Marked::new(payload, marking, Source::us());
        let released = release_owned(
            ours,
            &Audience::Participant(destination.clone()),
            &Default::default(),
            Whole::Required,
        )
        .map_err(super::onward::refused)?;
        let marking = released.marking.to_proto();
        let payload = released.into_value();
        let (header, env) = self.make_envelope(
            trace.case_id,
            trace.trace_id,
            &destination,
            &payload,
            &marking,
            None,
        )?;
        Ok((pipeline::outgoing(header, env, &payload), payload))
    }

    /// Writes a transition in one job; the trace as it now stands.
    pub(crate) async fn commit(&self, t: Transition) -> ServiceResult<TraceHead> {
        let policy = self.config.deadlines;
        let now = self.now();
        self.store
            .write(move |conn| {
                boxed(async move {
                    let mut pending = crate::store::Writes::new();
                    pipeline::apply(conn, &mut pending, t, &policy, now).await
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_requested_state_grants_consent_and_only_the_requester_asks() {
        let grant = Action::GrantConsent(pb::Consent::default());
        let ask = Action::RequestConsent(pb::ConsentRequest::default());
        assert_eq!(grant.taken_by(), Some(Side::Requested));
        assert_eq!(ask.taken_by(), Some(Side::Requester));
        assert_eq!(
            Action::Close(pb::Closure::default()).taken_by(),
            Some(Side::Requester)
        );
    }
}
