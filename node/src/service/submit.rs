//! Sending a trace request: check it, route it (9.1), sign it, queue it.

use std::sync::Arc;

use iti_proto::v1 as pb;

use super::pipeline::{Change, Event, Transition};
use super::{Actor, Node, ServiceError, ServiceResult};
use crate::case::completeness;
use crate::case::draft::Draft;
use crate::case::items::ItemWindow;
use crate::case::machine::{Step, TraceState, transition};
use crate::case::role::{Awaiting, TraceRole};
use crate::deadlines::Due;
use crate::fact::{code, fact, proto_code, text, word};
use crate::identity::{Officer, Role};
use crate::ids::{CaseId, ParticipantId, StateCode, TraceId};
use crate::policy::gate::{Audience, Refusal, Released, Whole, release};
use crate::policy::marked::{Marked, Provider, Source};
use crate::policy::marking::Marking;
use crate::routing;
use crate::store::provenance::held_under;
use crate::store::traces::{self, TraceRow};

/// What an officer submits: the draft and, optionally, a routing override.
#[derive(Debug, Clone)]
pub struct Submission {
    pub request: pb::TraceRequest,
    pub routing_override: Option<(String, String)>,
    /// Ask this hub to conduct the trace on our behalf (11.3.1).
    pub on_behalf_via: Option<String>,
    /// Send it even if an identical request was already sent.
    pub allow_duplicate: bool,
}

/// A checked, routed request ready to send.
#[derive(Debug, Clone)]
pub struct Plan {
    pub request: pb::TraceRequest,
    pub requested_state: StateCode,
    pub path: Vec<ParticipantId>,
    pub possibly_missing: Vec<pb::MissingElement>,
    /// Fields accepted but flagged (`bounds`: mixed scripts, confusables).
    pub flags: Vec<pb::InputFlag>,
    /// The requested state when it cannot be reached because it is not in
    /// the directory.
    pub not_in_directory: Option<ParticipantId>,
}

impl Plan {
    /// What an officer is shown of the plan (`itictl request plan`, the
    /// console). It takes the plan: its request may be tens of megabytes,
    /// of which the view keeps the first page of items.
    pub fn view(self) -> pb::RoutingPlan {
        self.split().1
    }

    /// The request whole, and the view of the plan (with a page of it).
    pub fn split(mut self) -> (pb::TraceRequest, pb::RoutingPlan) {
        let mut request = std::mem::take(&mut self.request);
        let items = std::mem::take(&mut request.items);
        let (page, shown) = ItemWindow::page(0).copy(&items);
        let shown_request = pb::TraceRequest {
            items: page,
            ..request.clone()
        };
        request.items = items;
        (request, self.shown_with(shown_request, shown))
    }

    fn shown_with(
        self,
        request: pb::TraceRequest,
        items_shown: Option<pb::ItemsShown>,
    ) -> pb::RoutingPlan {
        pb::RoutingPlan {
            grounds: request.grounds.clone(),
            path: self.path.iter().map(|p| p.to_string()).collect(),
            possibly_missing: self.possibly_missing,
            flags: self.flags,
            not_reachable: self
                .not_in_directory
                .as_ref()
                .map(|p| not_in_directory(&crate::i18n::english(), p))
                .unwrap_or_default(),
            not_in_directory: self
                .not_in_directory
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            request: Some(request),
            items_shown,
        }
    }
}

/// Why `participant` cannot be reached: nothing names it (a route, a hub
/// or the default route, may exist, but nothing can be sealed for it or
/// verified from it).
pub fn not_in_directory(t: &crate::i18n::Texts, participant: &ParticipantId) -> String {
    t.t_with(
        "routing-not-in-directory",
        &[("state", participant.to_string())],
    )
}

pub(crate) fn require_poc(officer: &Officer, what: &str) -> ServiceResult<()> {
    if officer.role == Role::Poc {
        Ok(())
    } else {
        Err(ServiceError::PermissionDenied(format!(
            "only the point of contact (role poc) may {what}; you are {}",
            officer.role
        )))
    }
}

/// Validates a request for sending: every field within its bounds (and
/// normalised), the clause 6 essentials there unless the officer declares
/// they cannot be provided (10.2). Returns the fields flagged.
pub(crate) fn check_request(
    request: &mut pb::TraceRequest,
    now: time::OffsetDateTime,
) -> ServiceResult<Vec<pb::InputFlag>> {
    let flags = crate::bounds::check(request, now)?;
    if request.items.is_empty() {
        return Err(ServiceError::invalid(
            "items",
            "a request must identify at least one recovered item (9.2.1 c)",
        ));
    }
    for (i, item) in request.items.iter_mut().enumerate() {
        if item.item.is_none() {
            return Err(ServiceError::invalid(
                format!("items[{i}]"),
                "set one of weapon, ammunition or part",
            ));
        }
        if item.quantity == 0 {
            item.quantity = 1;
        }
    }
    if request.cannot_provide_all {
        if request.cannot_provide_explanation.trim().is_empty() {
            return Err(ServiceError::invalid(
                "cannotProvideExplanation",
                "say why not everything can be provided (10.2)",
            ));
        }
    } else if let Some(gap) = completeness::identification_gaps(request)
        .into_iter()
        .next()
    {
        return Err(ServiceError::invalid(
            gap.field,
            format!(
                "{} is missing (clause {}); provide it, or declare cannotProvideAll with an explanation",
                gap.description, gap.clause
            ),
        ));
    }
    match &request.marking {
        None => {
            // Default: law-enforcement exchange within the recipient organisation.
            request.marking = Some(pb::Marking {
                tlp: pb::Tlp::Amber as i32,
                restrictions: vec![],
            });
        }
        Some(m) => {
            Marking::try_from(m).map_err(|e| ServiceError::invalid("marking", e.to_string()))?;
        }
    }
    Ok(flags)
}

/// Why the request goes where it goes (9.1, 9.2.1 b): the routing rules'
/// choice, or the officer's override with its reason (recorded beside the
/// rules' choice, or beside why they found none).
fn grounds_for(
    request: &pb::TraceRequest,
    routing_override: Option<&(String, String)>,
) -> ServiceResult<pb::RoutingGrounds> {
    let decision = routing::route(request);
    let Some((state, reason)) = routing_override else {
        let d = decision.map_err(|e| {
            ServiceError::FailedPrecondition(format!("cannot choose the requested state: {e}"))
        })?;
        let named = request.requested_state.trim();
        if !named.is_empty() && named != d.state.as_str() {
            return Err(ServiceError::invalid(
                "requestedState",
                format!(
                    "the request names {named}, but routing (9.1) chooses {}: {} \
                     Give an override with a reason to send it to {named}.",
                    d.state, d.explanation
                ),
            ));
        }
        return Ok(routing::grounds(&d));
    };
    let chosen: StateCode = state.parse().map_err(|e: crate::ids::IdError| {
        ServiceError::invalid("routingOverride.requestedState", e.to_string())
    })?;
    match decision {
        Ok(d) => routing::overridden(&d, chosen, reason)
            .map_err(|e| ServiceError::invalid("routingOverride.reason", e.to_string())),
        Err(_) if reason.trim().is_empty() => Err(ServiceError::invalid(
            "routingOverride.reason",
            "an override needs a reason",
        )),
        Err(e) => Ok(pb::RoutingGrounds {
            rule: pb::RoutingRule::OfficerOverride as i32,
            requested_state: chosen.to_string(),
            explanation: format!("Chosen by the point of contact: {reason}"),
            overridden_state: String::new(),
            overridden_rule: pb::RoutingRule::Unspecified as i32,
            override_reason: format!("{reason} (the rules found no state: {e})"),
        }),
    }
}

/// The hub asked to conduct the trace on our behalf (11.3.1), if any.
fn on_behalf_hub(via: Option<&str>) -> ServiceResult<Option<ParticipantId>> {
    let Some(hub) = via else {
        return Ok(None);
    };
    let hub: ParticipantId = hub
        .parse()
        .map_err(|e: crate::ids::IdError| ServiceError::invalid("onBehalfVia", e.to_string()))?;
    if !hub.is_hub() {
        return Err(ServiceError::invalid(
            "onBehalfVia",
            format!("{hub} is not a hub"),
        ));
    }
    Ok(Some(hub))
}

impl Node {
    /// Checks and routes a draft without sending anything.
    pub fn plan(&self, officer: &Officer, submission: Submission) -> ServiceResult<Plan> {
        require_poc(officer, "prepare trace requests")?;
        self.plan_request(submission)
    }

    /// Checks and routes a request (9.1); nothing is sent. It takes the
    /// submission whole: a seized cache may be tens of megabytes, and is
    /// not copied.
    fn plan_request(&self, submission: Submission) -> ServiceResult<Plan> {
        let mut request = submission.request;
        let flags = check_request(&mut request, self.now())?;
        let grounds = grounds_for(&request, submission.routing_override.as_ref())?;
        let requested_state: StateCode = grounds
            .requested_state
            .parse()
            .map_err(|e: crate::ids::IdError| ServiceError::Internal(e.to_string()))?;
        if ParticipantId::State(requested_state) == *self.participant() {
            return Err(ServiceError::invalid(
                "requestedState",
                format!("{requested_state} is this node's own state: trace domestically (8.1)"),
            ));
        }
        request.requested_state = requested_state.to_string();
        request.grounds = Some(grounds);
        let (path, not_in_directory) = match on_behalf_hub(submission.on_behalf_via.as_deref())? {
            Some(hub) => {
                self.check_route(&hub)?;
                (vec![hub], None)
            }
            None => {
                let state = ParticipantId::State(requested_state);
                (self.check_route(&state)?, self.not_in_directory(&state))
            }
        };
        let possibly_missing = completeness::check(&request);
        Ok(Plan {
            request,
            requested_state,
            path,
            possibly_missing,
            flags,
            not_in_directory,
        })
    }

    /// `state`, when no peer card or directory entry names it.
    fn not_in_directory(&self, state: &ParticipantId) -> Option<ParticipantId> {
        self.trust.ca_of(state).is_none().then(|| state.clone())
    }

    /// Routes, signs and queues a new trace request, opening a new case.
    pub async fn submit(
        &self,
        officer: &Officer,
        submission: Submission,
    ) -> ServiceResult<(CaseId, TraceId, crate::ids::EnvelopeId, pb::RoutingPlan)> {
        let (allow_duplicate, via) = (submission.allow_duplicate, submission.on_behalf_via.clone());
        let plan = self.plan(officer, submission)?;
        let on_behalf_hub = on_behalf_hub(via.as_deref())?;
        if !allow_duplicate {
            self.refuse_duplicate(&plan.request).await?;
        }
        let now = self.now();
        let case_id = CaseId::new_v7(now);
        let trace_id = TraceId::new_v7(now);
        let marking = held_under(plan.request.marking.as_ref());
        let (override_note, sent) = (
            override_note(&plan),
            sent_facts(&plan, on_behalf_hub.as_ref()),
        );
        let (state, missing, flags) = (
            plan.requested_state,
            plan.possibly_missing.clone(),
            plan.flags.clone(),
        );
        // The request may be tens of megabytes and is held once: the
        // message is made of it, then the trace takes it; the reply shows a
        // page of it.
        let (request, view) = plan.split();
        let mut trace = TraceRow {
            trace_id,
            case_id,
            role: TraceRole::Requester,
            counterpart: ParticipantId::State(state),
            state: transition(TraceState::Drafted, Step::Send)?,
            // Until the message is made.
            request: Marked::new(pb::TraceRequest::default(), marking.clone(), Source::us()),
            draft: None,
            awaiting: Awaiting::Nothing,
            on_behalf_of: on_behalf_hub.clone(),
            opened_at: now,
            received_at: None,
            due: Due::default(),
            updated_at: now,
            missing,
            flags,
        };
        let ((header, env, payload), as_sent) = self.own_message_keeping(
            &trace,
            request_payload(request, on_behalf_hub.is_some()),
            marking.clone(),
        )?;
        trace.request = Marked::new(request_in(as_sent)?, marking, Source::us());
        let actor = Actor::Officer(officer.clone());
        let envelope_id = header.id;
        let mut t = Transition::new(Change::open(trace));
        // The trace holds its request encoded now: the decoded one is gone.
        crate::memory::give_back_after(env.payload.len());
        if let Some(note) = override_note {
            t = t.event(Event::new("routing_override", actor.clone(), note));
        }
        let t = t.event(Event::new("sent", actor, sent).about(envelope_id));
        self.commit_first_message(t, (header, env, payload), now)
            .await?;
        Ok((case_id, trace_id, envelope_id, view))
    }

    /// Commits a new trace with its first message, and hands the message
    /// to the delivery loop as committed, without a read back (unless it
    /// waits for its destination's sealing key).
    async fn commit_first_message(
        &self,
        t: Transition,
        (header, env, payload): super::pipeline::Outgoing,
        now: time::OffsetDateTime,
    ) -> ServiceResult<()> {
        let handed = (!crate::envelope::is_waiting_for_key(&env))
            .then(|| self.handover.reserve(&header, &env, now))
            .flatten();
        let written = self.commit(t.send((header, env, payload))).await;
        match handed {
            Some(reserved) => self.handover.complete(reserved, written.is_ok()),
            None => self.wake_outbox(),
        }
        written.map(|_| ())
    }

    /// Sends a drafted trace (a proposed follow-up of a chained trace). Its
    /// fields that came from another state go only where the release gate
    /// lets them: otherwise, as `onward` says, the node asks their
    /// provider's consent (and sends the draft once it is in), sends the
    /// draft without them, or refuses naming every rule in the way.
    pub async fn send_draft(
        &self,
        officer: &Officer,
        trace_id: TraceId,
        routing_override: Option<(String, String)>,
        onward: DraftOnward,
    ) -> ServiceResult<SentDraft> {
        require_poc(officer, "send trace requests")?;
        let trace = traces::get_from_pool(self.store.pool(), trace_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no trace {trace_id}")))?;
        transition(trace.state, Step::Send)?;
        let consents = super::views::consents_of_case(self, trace.case_id).await?;
        let draft = super::views::draft_of(&trace);
        let to = Audience::Participant(trace.counterpart.clone());
        match release(&draft, &to, &consents, Whole::Required) {
            Ok(whole) => {
                let actor = Actor::Officer(officer.clone());
                self.send_released(actor, &trace, whole, routing_override, vec![])
                    .await
            }
            Err(refusal) => match onward {
                DraftOnward::WholeOnly => Err(refusal_with_choices(refusal, trace_id)),
                DraftOnward::AskConsent { justification } => {
                    self.ask_consent_for(officer, &trace, &refusal, &justification)
                        .await
                }
                DraftOnward::WithoutRestricted => {
                    let part = release(&draft, &to, &consents, Whole::PartsMayBeWithheld)
                        .map_err(super::onward::refused)?;
                    let notes = vec![format!(
                        "sent without: {}",
                        part.withheld_labels().join("; ")
                    )];
                    let reason =
                        "the provider's grounds for it are withheld under its restrictions";
                    let routing = routing_override
                        .or_else(|| Some((trace.counterpart.to_string(), reason.to_string())));
                    let actor = Actor::Officer(officer.clone());
                    self.send_released(actor, &trace, part, routing, notes)
                        .await
                }
            },
        }
    }

    /// Sends what the gate released of a draft, routed (9.1) as any request.
    async fn send_released(
        &self,
        actor: Actor,
        trace: &TraceRow,
        released: Released<Draft>,
        routing_override: Option<(String, String)>,
        notes: Vec<String>,
    ) -> ServiceResult<SentDraft> {
        let marking = released.marking.clone();
        let draft = released.into_value();
        let mut request = draft.request.clone();
        request.marking = Some(marking.to_proto());
        let plan = self.plan_request(Submission {
            request,
            routing_override,
            on_behalf_via: None,
            allow_duplicate: true,
        })?;
        let destination = ParticipantId::State(plan.requested_state);
        let mut sent = trace.clone();
        sent.counterpart = destination;
        let (header, env, payload) = self.own_message(
            &sent,
            pb::Payload {
                body: Some(pb::payload::Body::Request(plan.request.clone())),
            },
            marking.clone(),
        )?;
        let envelope_id = header.id;
        let request = trace
            .request
            .derive(|_| plan.request.clone())
            .at_least(&marking);
        let counterpart = sent.counterpart.clone();
        let missing = plan.possibly_missing.clone();
        let flags = plan.flags.clone();
        let provenance = Some(draft.provenance());
        let t = Transition::new(Change::Step {
            trace_id: trace.trace_id,
            step: Some(Step::Send),
            delay_until: None,
            check: Arc::new(|_| Ok(())),
            update: Arc::new(move |t| {
                t.counterpart = counterpart.clone();
                t.draft = provenance.clone();
                t.missing = missing.clone();
                t.flags = flags.clone();
                t.awaiting = Awaiting::Nothing;
            }),
            request: Some(Box::new(request)),
        })
        .event(
            Event::new(
                "sent",
                actor,
                fact(
                    "history-follow-up-sent",
                    [word("sent", sent_facts(&plan, None))],
                ),
            )
            .about(envelope_id),
        )
        .send((header, env, payload));
        self.commit(t).await?;
        self.wake_outbox();
        Ok(SentDraft {
            case_id: trace.case_id,
            trace_id: trace.trace_id,
            envelope_id: Some(envelope_id),
            plan: Some(plan),
            notes,
        })
    }

    /// Asks each provider whose information stands in the way for exactly
    /// the consent the refusal names; the draft waits for it.
    async fn ask_consent_for(
        &self,
        officer: &Officer,
        draft: &TraceRow,
        refusal: &Refusal,
        justification: &str,
    ) -> ServiceResult<SentDraft> {
        let Audience::Participant(destination) = destination_of(refusal, draft) else {
            return Err(ServiceError::Internal(
                "a draft goes to a participant".into(),
            ));
        };
        let mut notes = Vec::new();
        for (source, rules) in consent_needed(refusal, &draft.draft) {
            let Some((provider, message)) = source else {
                continue;
            };
            let provider_trace = traces::for_case(self.store.pool(), draft.case_id)
                .await?
                .into_iter()
                .find(|t| t.role == TraceRole::Requester && t.counterpart == provider)
                .ok_or_else(|| {
                    ServiceError::FailedPrecondition(format!(
                        "no trace with {provider} in this case to ask its consent on"
                    ))
                })?;
            let ask = pb::ConsentRequest {
                restriction: 0,
                restrictions: rules
                    .restrictions
                    .iter()
                    .map(|r| r.to_proto() as i32)
                    .collect(),
                lift_tlp: rules.tlp,
                r#use: refusal
                    .use_
                    .to_onward()
                    .map(|u| u as i32)
                    .unwrap_or_default(),
                regarding: message.map(|m| m.to_string()).unwrap_or_default(),
                destination: destination.to_string(),
                justification: justification.to_string(),
            };
            let (envelope_id, _, _) = self
                .act(
                    officer,
                    provider_trace.trace_id,
                    super::act::Action::RequestConsent(ask),
                    false,
                )
                .await?;
            notes.push(format!(
                "consent asked of {provider} (envelope {}); the draft goes once it is granted",
                envelope_id.map(|e| e.to_string()).unwrap_or_default()
            ));
        }
        let t = Transition::new(Change::Step {
            trace_id: draft.trace_id,
            step: None,
            delay_until: None,
            check: Arc::new(|_| Ok(())),
            update: Arc::new(|t| t.awaiting = Awaiting::Consent),
            request: None,
        })
        .event(Event::new(
            "waiting_for_consent",
            Actor::Officer(officer.clone()),
            code("history-waiting-for-consent"),
        ));
        self.commit(t).await?;
        Ok(SentDraft {
            case_id: draft.case_id,
            trace_id: draft.trace_id,
            envelope_id: None,
            plan: None,
            notes,
        })
    }

    /// After a consent arrives: sends the case's drafts that were waiting
    /// for it, if every field may now go.
    pub(crate) async fn send_drafts_consented(&self, case: CaseId) -> ServiceResult<()> {
        let consents = super::views::consents_of_case(self, case).await?;
        for trace in traces::for_case(self.store.pool(), case).await? {
            if trace.state != TraceState::Drafted || trace.awaiting != Awaiting::Consent {
                continue;
            }
            let draft = super::views::draft_of(&trace);
            let to = Audience::Participant(trace.counterpart.clone());
            if let Ok(whole) = release(&draft, &to, &consents, Whole::Required) {
                self.send_released(Actor::Node, &trace, whole, None, vec![])
                    .await?;
            }
        }
        Ok(())
    }
}

/// What to do with a draft's fields the gate will not send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftOnward {
    WholeOnly,
    AskConsent { justification: String },
    WithoutRestricted,
}

impl DraftOnward {
    pub fn from_proto(value: i32, justification: String) -> DraftOnward {
        match pb::DraftOnward::try_from(value).unwrap_or(pb::DraftOnward::Unspecified) {
            pb::DraftOnward::AskConsent => DraftOnward::AskConsent { justification },
            pb::DraftOnward::WithoutRestricted => DraftOnward::WithoutRestricted,
            pb::DraftOnward::Unspecified => DraftOnward::WholeOnly,
        }
    }
}

/// What became of a draft.
#[derive(Debug, Clone)]
pub struct SentDraft {
    pub case_id: CaseId,
    pub trace_id: TraceId,
    /// None while it waits for consent.
    pub envelope_id: Option<crate::ids::EnvelopeId>,
    pub plan: Option<Plan>,
    pub notes: Vec<String>,
}

fn destination_of(_refusal: &Refusal, draft: &TraceRow) -> Audience {
    Audience::Participant(draft.counterpart.clone())
}

/// What each provider must lift: by provider and message, the TLP level
/// and the restrictions in the way.
#[derive(Default, Debug)]
struct Needed {
    tlp: bool,
    restrictions: std::collections::BTreeSet<crate::policy::marking::Restriction>,
}

type SourceKey = Option<(ParticipantId, Option<crate::ids::EnvelopeId>)>;

fn consent_needed(
    refusal: &Refusal,
    draft: &Option<crate::case::draft::DraftProvenance>,
) -> Vec<(SourceKey, Needed)> {
    use crate::policy::Denied;
    use crate::policy::gate::Rule;
    let mut needed: Vec<(SourceKey, Needed)> = Vec::new();
    for w in &refusal.withheld {
        let source = draft
            .iter()
            .flat_map(|d| d.fields.iter())
            .find(|f| f.field == w.part)
            .and_then(|f| match &f.source.provider {
                Provider::Participant(p) => Some((p.clone(), f.source.message)),
                Provider::Us => None,
            });
        let entry = match needed.iter_mut().find(|(k, _)| *k == source) {
            Some((_, n)) => n,
            None => {
                needed.push((source.clone(), Needed::default()));
                &mut needed.last_mut().expect("just pushed").1
            }
        };
        for rule in &w.rules {
            match rule {
                Rule::Policy(Denied::Tlp { .. }) => entry.tlp = true,
                Rule::Policy(Denied::Restriction { restriction, .. }) => {
                    entry.restrictions.insert(*restriction);
                }
                Rule::PersonalData | Rule::InvalidMarking(_) => {}
            }
        }
    }
    needed
}

/// A refusal to send a draft, with the two ways forward.
fn refusal_with_choices(refusal: Refusal, draft: TraceId) -> ServiceError {
    ServiceError::Refused {
        refusal: Box::new(refusal),
        draft: Some(draft),
    }
}

/// The payload of a new request: the request itself, or, asked of a hub,
/// the request to conduct on this state's behalf (11.3).
fn request_payload(request: pb::TraceRequest, on_behalf: bool) -> pb::Payload {
    let body = if on_behalf {
        pb::payload::Body::OnBehalfRequest(pb::OnBehalfRequest {
            request: Some(request),
            note: String::new(),
        })
    } else {
        pb::payload::Body::Request(request)
    };
    pb::Payload { body: Some(body) }
}

/// The request back out of the payload it was sent in.
fn request_in(payload: pb::Payload) -> ServiceResult<pb::TraceRequest> {
    match payload.body {
        Some(pb::payload::Body::Request(r)) => Some(r),
        Some(pb::payload::Body::OnBehalfRequest(r)) => r.request,
        _ => None,
    }
    .ok_or_else(|| ServiceError::Internal("the request went missing from its message".into()))
}

/// The history's note of a routing override: facts only (the reason is in
/// the request, under its marking).
fn override_note(plan: &Plan) -> Option<pb::Fact> {
    let g = plan.request.grounds.as_ref()?;
    let overridden = match g.overridden_state.as_str() {
        "" => word("overridden", code("history-none")),
        state => text("overridden", state),
    };
    (g.rule == pb::RoutingRule::OfficerOverride as i32).then(|| {
        fact(
            "history-routing-overridden",
            [text("state", &g.requested_state), overridden],
        )
    })
}

/// "request sent to BEL (9.1 c manufacture marking)": facts of a sending.
fn sent_facts(plan: &Plan, via: Option<&ParticipantId>) -> pb::Fact {
    let rule = plan
        .request
        .grounds
        .as_ref()
        .and_then(|g| pb::RoutingRule::try_from(g.rule).ok())
        .unwrap_or(pb::RoutingRule::Unspecified);
    let state = text("state", plan.requested_state);
    match via {
        Some(hub) => fact("history-sent-via", [state, text("hub", hub)]),
        None => fact(
            "history-sent",
            [state, word("rule", proto_code(rule.as_str_name()))],
        ),
    }
}
