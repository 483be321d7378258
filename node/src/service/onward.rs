//! Onward uses of received information (10.3): forwarding to a third state,
//! a hub or a UN panel (11.4), exporting, and reports. Each goes through the
//! node, is checked against every marking it touches, and is refused with
//! the restriction or TLP rule that forbids it. Consents (one restriction,
//! one use) are honoured. Every onward use is audited.

use iti_proto::v1 as pb;
use time::OffsetDateTime;

use super::access::{Operation, require};
use super::views::consents_regarding;
use super::{Actor, Node, ServiceError, ServiceResult, queue_outgoing, record_event};
use crate::case::machine::TraceState;
use crate::case::role::TraceRole;
use crate::identity::Officer;
use crate::ids::{EnvelopeId, ParticipantId, TraceId};
use crate::policy::redact::check_onward;
use crate::policy::{Denied, Use};
use crate::store::envelopes::{self, Direction, StoredEnvelope};
use crate::store::traces::{self, ConsentRow, TraceRow};
use crate::store::{audit, boxed};

fn denied(d: Denied) -> ServiceError {
    ServiceError::PermissionDenied(d.to_string())
}

/// The use forwarding to `to` amounts to.
pub fn forwarding_use(to: &ParticipantId) -> Use {
    match to {
        ParticipantId::State(_) => Use::ForwardToThirdState,
        ParticipantId::Hub(_) => Use::ForwardToHub,
        ParticipantId::Panel(_) => Use::ForwardToUnPanel,
    }
}

impl Node {
    /// A trace, the consents received on it (see `consents_regarding` for
    /// those that apply to one response) and the responses received.
    async fn trace_and_responses(
        &self,
        trace_id: TraceId,
    ) -> ServiceResult<(TraceRow, Vec<ConsentRow>, Vec<StoredEnvelope>)> {
        let pool = self.store.pool();
        let trace = traces::get_from_pool(pool, trace_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no trace {trace_id}")))?;
        let consents = traces::consents(pool, trace_id).await?;
        let responses = envelopes::for_trace(pool, trace_id)
            .await?
            .into_iter()
            .filter(|e| e.direction == Direction::In && e.header.kind == pb::PayloadKind::Response)
            .collect();
        Ok((trace, consents, responses))
    }

    /// Passes a received response on to another participant, if every
    /// section's marking allows it.
    pub async fn forward(
        &self,
        officer: &Officer,
        trace_id: TraceId,
        regarding: &str,
        to: &str,
        note: &str,
    ) -> ServiceResult<(EnvelopeId, TraceRow)> {
        require(officer, Operation::UseInformation)?;
        let to: ParticipantId = to
            .parse()
            .map_err(|e: crate::ids::IdError| ServiceError::invalid("to", e.to_string()))?;
        let (trace, consents, responses) = self.trace_and_responses(trace_id).await?;
        let source = responses
            .into_iter()
            .find(|e| regarding.is_empty() || e.header.id.to_string() == regarding)
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "no response {regarding} received on trace {trace_id}"
                ))
            })?;
        let Some(pb::payload::Body::Response(response)) =
            source.payload.clone().and_then(|p| p.body)
        else {
            return Err(ServiceError::NotFound(
                "that message is not a response".into(),
            ));
        };
        if to == source.header.origin {
            return Err(ServiceError::invalid(
                "to",
                "that is the originator of the information",
            ));
        }
        let use_ = forwarding_use(&to);
        let consents = consents_regarding(&consents, source.header.id);
        check_onward(&response, use_, &consents).map_err(denied)?;
        self.check_route(&to)?;
        let now = self.now();
        let mut payload = pb::Payload {
            body: Some(pb::payload::Body::SharedInformation(
                pb::SharedInformation {
                    provided_by: source.header.origin.to_string(),
                    source_case: trace.case_id.to_string(),
                    response: Some(response.clone()),
                    note: note.to_string(),
                },
            )),
        };
        crate::bounds::check(&mut payload, now)?;
        let marking = crate::policy::redact::envelope_marking(&response)
            .map_err(|e| ServiceError::invalid("marking", e.to_string()))?
            .to_proto();
        let new_trace = TraceId::new_v7(now);
        let (header, env) =
            self.make_envelope(trace.case_id, new_trace, &to, &payload, &marking, None)?;
        let actor = Actor::Officer(officer.clone());
        let detail = format!(
            "response {} from {} forwarded to {to} ({use_}), markings intact",
            source.header.id, source.header.origin
        );
        let envelope_id = header.id;
        let t = trace.clone();
        self.store
            .write(move |conn| {
                boxed(async move {
                    queue_outgoing(conn, &header, &env, &payload, now).await?;
                    record_event(conn, &t, "forwarded", &actor, &detail, Some(header.id), now)
                        .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        self.wake_outbox();
        Ok((envelope_id, trace))
    }

    /// Exports a trace's request and responses as JSON or CSV, if every
    /// response allows it (as evidence, or for internal use).
    pub async fn export(
        &self,
        officer: &Officer,
        trace_id: TraceId,
        format: pb::ExportFormat,
        as_evidence: bool,
    ) -> ServiceResult<(String, String)> {
        require(officer, Operation::UseInformation)?;
        let (trace, consents, responses) = self.trace_and_responses(trace_id).await?;
        let use_ = if as_evidence {
            Use::ExportAsEvidence
        } else {
            Use::Export
        };
        let mut bodies = Vec::new();
        for stored in &responses {
            if let Some(pb::payload::Body::Response(r)) =
                stored.payload.as_ref().and_then(|p| p.body.as_ref())
            {
                check_onward(r, use_, &consents_regarding(&consents, stored.header.id))
                    .map_err(denied)?;
                bodies.push((
                    stored.header.origin.to_string(),
                    stored.header.id,
                    r.clone(),
                ));
            }
        }
        let (content, ext) = match format {
            pb::ExportFormat::Csv => (export_csv(&trace, &bodies), "csv"),
            pb::ExportFormat::Json | pb::ExportFormat::Unspecified => {
                (export_json(&trace, &bodies)?, "json")
            }
        };
        let filename = format!("trace-{trace_id}.{ext}");
        self.audit_access(
            officer,
            &format!("trace {trace_id}"),
            &bodies
                .iter()
                .map(|(_, id, _)| format!("response {id}"))
                .collect::<Vec<_>>(),
            if as_evidence {
                "export as evidence"
            } else {
                "export"
            },
        )
        .await?;
        Ok((content, filename))
    }

    /// A clause 12 style report: figures for every trace, and details only
    /// of responses whose markings allow inclusion in a report.
    pub async fn report(
        &self,
        officer: &Officer,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> ServiceResult<(String, String)> {
        require(officer, Operation::UseInformation)?;
        let pool = self.store.pool();
        let all = traces::all(pool).await?;
        let in_range = |t: &TraceRow| {
            from.is_none_or(|f| t.opened_at >= f) && to.is_none_or(|e| t.opened_at <= e)
        };
        let traces: Vec<&TraceRow> = all.iter().filter(|t| in_range(t)).collect();
        let count = |pred: &dyn Fn(&TraceRow) -> bool| traces.iter().filter(|t| pred(t)).count();
        let sent = count(&|t| t.role == TraceRole::Requester && t.state != TraceState::Drafted);
        let received = count(&|t| t.role == TraceRole::Requested);
        let answered = count(&|t| {
            matches!(
                t.state,
                TraceState::Responded | TraceState::RespondedRestricted
            )
        });
        let refused = count(&|t| t.state == TraceState::Refused);
        let now = self.now();
        let overdue = count(&|t| {
            t.due.acknowledgement.is_some_and(|d| d <= now)
                || t.due.response.is_some_and(|d| d <= now)
        });
        let mut details = Vec::new();
        let mut withheld = 0usize;
        for t in &traces {
            let (_, consents, responses) = self.trace_and_responses(t.trace_id).await?;
            for stored in responses {
                if let Some(pb::payload::Body::Response(r)) =
                    stored.payload.as_ref().and_then(|p| p.body.as_ref())
                {
                    let consents = consents_regarding(&consents, stored.header.id);
                    match check_onward(r, Use::Report, &consents) {
                        Ok(()) => details.push(format!(
                            "trace {}: {} answered ({})",
                            t.trace_id,
                            stored.header.origin,
                            super::act::describe(&super::act::Action::Respond(r.clone()))
                        )),
                        Err(_) => withheld += 1,
                    }
                }
            }
        }
        let mut text = format!(
            "ITI Exchange report for {} (ISACS 05.31 clause 12)\n\
             international tracing requests sent: {sent}\n\
             requests received: {received}\n\
             answered: {answered}, refused: {refused}, overdue now: {overdue}\n",
            self.participant()
        );
        if !details.is_empty() {
            text.push_str("responses that may be reported:\n");
            for d in &details {
                text.push_str(&format!("  - {d}\n"));
            }
        }
        if withheld > 0 {
            text.push_str(&format!(
                "{withheld} response(s) left out: their markings do not allow inclusion in a report\n"
            ));
        }
        let json = serde_json::json!({
            "participant": self.participant().to_string(),
            "requests_sent": sent,
            "requests_received": received,
            "answered": answered,
            "refused": refused,
            "overdue": overdue,
            "reportable_responses": details,
            "responses_withheld_by_marking": withheld,
        })
        .to_string();
        let who = Actor::Officer(officer.clone()).to_string();
        self.store
            .write(move |conn| {
                boxed(async move {
                    audit::append(
                        conn,
                        now,
                        &who,
                        "report",
                        "traces",
                        &format!("{withheld} response(s) withheld by marking"),
                    )
                    .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        Ok((text, json))
    }
}

fn export_json(
    trace: &TraceRow,
    bodies: &[(String, EnvelopeId, pb::TraceResponse)],
) -> ServiceResult<String> {
    let responses: Vec<serde_json::Value> = bodies
        .iter()
        .map(|(from, id, r)| {
            serde_json::json!({
                "from": from,
                "envelopeId": id.to_string(),
                "response": serde_json::to_value(r).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "traceId": trace.trace_id.to_string(),
        "caseId": trace.case_id.to_string(),
        "counterpart": trace.counterpart.to_string(),
        "state": trace.state.as_str(),
        "request": serde_json::to_value(&trace.request).unwrap_or(serde_json::Value::Null),
        "responses": responses,
    }))
    .map_err(|e| ServiceError::Internal(e.to_string()))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per step of each response's history.
fn export_csv(trace: &TraceRow, bodies: &[(String, EnvelopeId, pb::TraceResponse)]) -> String {
    let mut out = String::from("trace_id,provided_by,date,kind,state,party,description\n");
    for (from, _, r) in bodies {
        for e in r.history.iter().flat_map(|h| h.events.iter()) {
            let kind = pb::HistoryEventKind::try_from(e.kind)
                .map(|k| {
                    k.as_str_name()
                        .trim_start_matches("HISTORY_EVENT_KIND_")
                        .to_lowercase()
                })
                .unwrap_or_default();
            out.push_str(
                &[
                    trace.trace_id.to_string(),
                    from.clone(),
                    e.date.clone(),
                    kind,
                    e.state.clone(),
                    e.party.clone(),
                    e.description.clone(),
                ]
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
            );
            out.push('\n');
        }
    }
    out
}
