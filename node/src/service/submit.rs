//! Sending a trace request: check it, route it (9.1), sign it, queue it.

use iti_proto::v1 as pb;

use super::{
    Actor, Node, ServiceError, ServiceResult, outgoing_writes, queue_outgoing, record_event,
    record_event_after,
};
use crate::case::completeness;
use crate::case::machine::{Step, TraceState, transition};
use crate::case::role::TraceRole;
use crate::deadlines::Due;
use crate::identity::{Officer, Role};
use crate::ids::{CaseId, ParticipantId, StateCode, TraceId};
use crate::policy::marking::Marking;
use crate::routing;
use crate::store::{Writes, boxed, traces};

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

impl Node {
    /// Checks and routes a draft without sending anything.
    pub fn plan(&self, officer: &Officer, submission: &Submission) -> ServiceResult<Plan> {
        require_poc(officer, "prepare trace requests")?;
        let mut request = submission.request.clone();
        let flags = check_request(&mut request, self.now())?;
        let decision = routing::route(&request);
        let grounds = match (&submission.routing_override, decision) {
            (Some((state, reason)), decision) => {
                let chosen: StateCode = state.parse().map_err(|e: crate::ids::IdError| {
                    ServiceError::invalid("routingOverride.requestedState", e.to_string())
                })?;
                match decision {
                    Ok(d) => routing::overridden(&d, chosen, reason).map_err(|e| {
                        ServiceError::invalid("routingOverride.reason", e.to_string())
                    })?,
                    Err(_) if reason.trim().is_empty() => {
                        return Err(ServiceError::invalid(
                            "routingOverride.reason",
                            "an override needs a reason",
                        ));
                    }
                    Err(e) => pb::RoutingGrounds {
                        rule: pb::RoutingRule::OfficerOverride as i32,
                        requested_state: chosen.to_string(),
                        explanation: format!("Chosen by the point of contact: {reason}"),
                        overridden_state: String::new(),
                        overridden_rule: pb::RoutingRule::Unspecified as i32,
                        override_reason: format!("{reason} (the rules found no state: {e})"),
                    },
                }
            }
            (None, Ok(d)) => {
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
                routing::grounds(&d)
            }
            (None, Err(e)) => {
                return Err(ServiceError::FailedPrecondition(format!(
                    "cannot choose the requested state: {e}"
                )));
            }
        };
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
        let via = match &submission.on_behalf_via {
            Some(hub) => {
                let hub: ParticipantId = hub.parse().map_err(|e: crate::ids::IdError| {
                    ServiceError::invalid("onBehalfVia", e.to_string())
                })?;
                if !hub.is_hub() {
                    return Err(ServiceError::invalid(
                        "onBehalfVia",
                        format!("{hub} is not a hub"),
                    ));
                }
                Some(hub)
            }
            None => None,
        };
        let path = match &via {
            Some(hub) => {
                self.check_route(hub)?;
                vec![hub.clone()]
            }
            None => self.check_route(&ParticipantId::State(requested_state))?,
        };
        let possibly_missing = completeness::check(&request);
        Ok(Plan {
            request,
            requested_state,
            path,
            possibly_missing,
            flags,
        })
    }

    /// Routes, signs and queues a new trace request, opening a new case.
    pub async fn submit(
        &self,
        officer: &Officer,
        submission: Submission,
    ) -> ServiceResult<(CaseId, TraceId, crate::ids::EnvelopeId, Plan)> {
        let plan = self.plan(officer, &submission)?;
        if !submission.allow_duplicate {
            self.refuse_duplicate(&plan.request).await?;
        }
        let now = self.now();
        let case_id = CaseId::new_v7(now);
        let trace_id = TraceId::new_v7(now);
        let on_behalf_hub = match &submission.on_behalf_via {
            Some(h) => Some(
                h.parse::<ParticipantId>()
                    .map_err(|e| ServiceError::invalid("onBehalfVia", e.to_string()))?,
            ),
            None => None,
        };
        let (destination, payload) = match &on_behalf_hub {
            Some(hub) => (
                hub.clone(),
                pb::Payload {
                    body: Some(pb::payload::Body::OnBehalfRequest(pb::OnBehalfRequest {
                        request: Some(plan.request.clone()),
                        note: String::new(),
                    })),
                },
            ),
            None => (
                ParticipantId::State(plan.requested_state),
                pb::Payload {
                    body: Some(pb::payload::Body::Request(plan.request.clone())),
                },
            ),
        };
        let marking = plan.request.marking.clone().unwrap_or_default();
        let (header, env) =
            self.make_envelope(case_id, trace_id, &destination, &payload, &marking, None)?;
        let trace = traces::TraceRow {
            trace_id,
            case_id,
            role: TraceRole::Requester,
            counterpart: ParticipantId::State(plan.requested_state),
            state: transition(TraceState::Drafted, Step::Send)?,
            request: plan.request.clone(),
            on_behalf_of: on_behalf_hub.clone(),
            opened_at: now,
            received_at: None,
            due: Due::default(),
            updated_at: now,
            missing: plan.possibly_missing.clone(),
            flags: plan.flags.clone(),
        };
        let actor = Actor::Officer(officer.clone());
        let grounds = plan.request.grounds.clone().unwrap_or_default();
        let detail = match &on_behalf_hub {
            Some(hub) => format!(
                "request for {} sent via {hub}, which conducts the trace on our behalf (11.3.1)",
                plan.requested_state
            ),
            None => format!(
                "request sent to {}: {}",
                plan.requested_state, grounds.explanation
            ),
        };
        let override_note = (grounds.rule == pb::RoutingRule::OfficerOverride as i32).then(|| {
            format!(
                "routing overridden: {} instead of {} ({})",
                grounds.requested_state,
                if grounds.overridden_state.is_empty() {
                    "none"
                } else {
                    &grounds.overridden_state
                },
                grounds.override_reason
            )
        });
        let envelope_id = header.id;
        // The first envelope of a new trace: the delivery loop may take it
        // as committed, without reading it back.
        let handed = self.handover.reserve(&header, &env, &payload, now);
        let written = self
            .store
            .write(move |conn| {
                boxed(async move {
                    let mut writes = Writes::new();
                    writes.push(traces::insert_write(&trace));
                    outgoing_writes(&mut writes, &header, &env, &payload, now);
                    if let Some(note) = override_note {
                        record_event_after(
                            conn,
                            std::mem::take(&mut writes),
                            &trace,
                            "routing_override",
                            &actor,
                            &note,
                            None,
                            now,
                        )
                        .await?;
                    }
                    record_event_after(
                        conn,
                        writes,
                        &trace,
                        "sent",
                        &actor,
                        &detail,
                        Some(header.id),
                        now,
                    )
                    .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await;
        match handed {
            Some(reserved) => self.handover.complete(reserved, written.is_ok()),
            None => self.wake_outbox(),
        }
        written?;
        Ok((case_id, trace_id, envelope_id, plan))
    }

    /// Sends a drafted trace (a proposed follow-up of a chained trace).
    pub async fn send_draft(
        &self,
        officer: &Officer,
        trace_id: TraceId,
        routing_override: Option<(String, String)>,
    ) -> ServiceResult<(CaseId, TraceId, crate::ids::EnvelopeId, Plan)> {
        require_poc(officer, "send trace requests")?;
        let trace = traces::get_from_pool(self.store.pool(), trace_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no trace {trace_id}")))?;
        let state = transition(trace.state, Step::Send)?;
        let plan = self.plan(
            officer,
            &Submission {
                request: trace.request.clone(),
                routing_override,
                on_behalf_via: None,
                allow_duplicate: true,
            },
        )?;
        let now = self.now();
        let destination = ParticipantId::State(plan.requested_state);
        let payload = pb::Payload {
            body: Some(pb::payload::Body::Request(plan.request.clone())),
        };
        let marking = plan.request.marking.clone().unwrap_or_default();
        let (header, env) = self.make_envelope(
            trace.case_id,
            trace.trace_id,
            &destination,
            &payload,
            &marking,
            None,
        )?;
        let mut updated = trace.clone();
        updated.state = state;
        updated.counterpart = destination.clone();
        updated.request = plan.request.clone();
        updated.missing = plan.possibly_missing.clone();
        updated.flags = plan.flags.clone();
        updated.updated_at = now;
        let actor = Actor::Officer(officer.clone());
        let detail = format!(
            "follow-up request sent to {}: {}",
            plan.requested_state,
            plan.request
                .grounds
                .as_ref()
                .map(|g| g.explanation.as_str())
                .unwrap_or("")
        );
        let envelope_id = header.id;
        let expected = trace.state;
        self.store
            .write(move |conn| {
                boxed(async move {
                    // Re-read inside the writer: the state may have moved.
                    let current = traces::get(conn, updated.trace_id)
                        .await?
                        .ok_or_else(|| ServiceError::NotFound("trace vanished".into()))?;
                    if current.state != expected {
                        transition(current.state, Step::Send)?;
                    }
                    traces::update(conn, &updated).await?;
                    queue_outgoing(conn, &header, &env, &payload, now).await?;
                    record_event(
                        conn,
                        &updated,
                        "sent",
                        &actor,
                        &detail,
                        Some(header.id),
                        now,
                    )
                    .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        self.wake_outbox();
        Ok((trace.case_id, trace.trace_id, envelope_id, plan))
    }
}
