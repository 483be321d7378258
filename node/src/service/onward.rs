//! Onward uses of received information (10.3): forwarding to a third state,
//! a hub or a UN panel (11.4), exporting, and reports. Each goes through the
//! release gate with the audience it amounts to; a use that needs the whole
//! of the information is refused with every rule in the way, so that the
//! officer can ask the provider for exactly the consent needed. What leaves
//! carries its markings, and every onward use is audited.

use iti_proto::v1 as pb;
use time::OffsetDateTime;

use super::access::{Operation, require};
use super::views::consents_of_case;
use super::{Actor, Node, ServiceError, ServiceResult, queue_outgoing, record_event};
use crate::case::machine::TraceState;
use crate::case::role::TraceRole;
use crate::fact;
use crate::identity::Officer;
use crate::ids::{EnvelopeId, ParticipantId, TraceId};
use crate::policy::consent::Consents;
use crate::policy::gate::{Audience, Refusal, Released, Whole, release};
use crate::policy::marking::Marking;
use crate::report::{Report, Reported};
use crate::store::envelopes::{self, Direction, StoredEnvelope};
use crate::store::traces::{self, TraceHead, TraceRow};
use crate::store::{audit, boxed};

pub(crate) fn refused(r: Refusal) -> ServiceError {
    ServiceError::Refused {
        refusal: Box::new(r),
        draft: None,
    }
}

/// The responses received on a trace.
async fn responses(node: &Node, trace_id: TraceId) -> ServiceResult<Vec<StoredEnvelope>> {
    Ok(envelopes::for_trace(node.store.pool(), trace_id)
        .await?
        .into_iter()
        .filter(|e| e.direction == Direction::In && e.header.kind == pb::PayloadKind::Response)
        .filter(|e| e.payload.is_some())
        .collect())
}

async fn trace(node: &Node, trace_id: TraceId) -> ServiceResult<TraceRow> {
    traces::get_from_pool(node.store.pool(), trace_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no trace {trace_id}")))
}

impl Node {
    /// Passes a received response on to another participant, if the gate
    /// lets every part of it go there (with the provider's consents).
    pub async fn forward(
        &self,
        officer: &Officer,
        trace_id: TraceId,
        regarding: &str,
        to: &str,
        note: &str,
    ) -> ServiceResult<(EnvelopeId, pb::TraceSummary)> {
        require(officer, Operation::UseInformation)?;
        let to: ParticipantId = to
            .parse()
            .map_err(|e: crate::ids::IdError| ServiceError::invalid("to", e.to_string()))?;
        let trace = trace(self, trace_id).await?;
        let source = responses(self, trace_id)
            .await?
            .into_iter()
            .find(|e| regarding.is_empty() || e.header.id.to_string() == regarding)
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "no response {regarding} received on trace {trace_id}"
                ))
            })?;
        if to == source.header.origin {
            return Err(ServiceError::invalid(
                "to",
                "that is the originator of the information",
            ));
        }
        let consents = consents_of_case(self, trace.case_id).await?;
        let audience = Audience::Participant(to.clone());
        let (mut payload, marking) =
            shared_information(&trace, &source, note, &audience, &consents).map_err(refused)?;
        self.check_route(&to)?;
        let now = self.now();
        let new_trace = TraceId::new_v7(now);
        let marking = marking.to_proto();
        crate::bounds::check(&mut payload, now)?;
        let (header, env) =
            self.make_envelope(trace.case_id, new_trace, &to, &payload, &marking, None)?;
        let outgoing = super::pipeline::outgoing(header.clone(), env, &payload);
        let actor = Actor::Officer(officer.clone());
        let use_ = fact::use_of(Audience::Participant(to.clone()).use_());
        let detail = fact::fact(
            "history-forwarded",
            [
                fact::text("envelope", source.header.id),
                fact::text("origin", &source.header.origin),
                fact::text("to", &to),
                fact::word("use", use_),
            ],
        );
        let envelope_id = header.id;
        let t = trace.clone();
        self.store
            .write(move |conn| {
                boxed(async move {
                    queue_outgoing(conn, outgoing, now).await?;
                    record_event(conn, &t, "forwarded", &actor, detail, Some(header.id), now)
                        .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        self.wake_outbox();
        Ok((envelope_id, self.summary(officer.role, &trace, &consents)))
    }

    /// Exports a trace's request and responses as JSON or CSV, if the gate
    /// lets every part go into the file (as evidence, or for internal use).
    /// The file carries its markings, at its top and on every entry.
    pub async fn export(
        &self,
        officer: &Officer,
        trace_id: TraceId,
        format: pb::ExportFormat,
        as_evidence: bool,
    ) -> ServiceResult<(String, String, Vec<pb::Marking>)> {
        require(officer, Operation::UseInformation)?;
        let trace = trace(self, trace_id).await?;
        let consents = consents_of_case(self, trace.case_id).await?;
        let audience = Audience::Export {
            evidence: as_evidence,
        };
        let request =
            release(&trace.request, &audience, &consents, Whole::Required).map_err(refused)?;
        let mut bodies = Vec::new();
        for stored in responses(self, trace_id).await? {
            let Some(payload) = &stored.payload else {
                continue;
            };
            let released =
                release(payload, &audience, &consents, Whole::Required).map_err(refused)?;
            bodies.push((stored.header.origin.to_string(), stored.header.id, released));
        }
        let markings = markings_of(&request, &bodies);
        let (content, ext) = match format {
            pb::ExportFormat::Csv => (export_csv(&trace, &request, &bodies, &markings), "csv"),
            pb::ExportFormat::Json | pb::ExportFormat::Unspecified => {
                (export_json(&trace, &request, &bodies, &markings)?, "json")
            }
        };
        let mut accessed = vec![format!("request of trace {trace_id}")];
        accessed.extend(bodies.iter().map(|(_, id, _)| format!("response {id}")));
        self.audit_access(
            officer,
            &format!("trace {trace_id}"),
            &accessed,
            if as_evidence {
                "export as evidence"
            } else {
                "export"
            },
        )
        .await?;
        Ok((
            content,
            format!("trace-{trace_id}.{ext}"),
            markings.iter().map(Marking::to_proto).collect(),
        ))
    }

    /// A clause 12 style report: figures for every trace, and details only
    /// of responses the gate lets into a report.
    pub async fn report(
        &self,
        officer: &Officer,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> ServiceResult<Report> {
        require(officer, Operation::UseInformation)?;
        let all = traces::all(self.store.pool()).await?;
        let in_range = |t: &&TraceRow| {
            from.is_none_or(|f| t.opened_at >= f) && to.is_none_or(|e| t.opened_at <= e)
        };
        let traces: Vec<&TraceRow> = all.iter().map(TraceHead::row).filter(in_range).collect();
        let now = self.now();
        let counts = TraceCounts::of(&traces, now);
        let (details, withheld) = self.reportable_responses(&traces).await?;
        let national = self.registry().figures(from, to).await?;
        let report = Report {
            participant: self.participant().to_string(),
            requests_sent: counts.sent,
            requests_received: counts.received,
            answered: counts.answered,
            refused: counts.refused,
            overdue: counts.overdue,
            reportable_responses: details,
            responses_withheld_by_marking: withheld,
            national_tracing_system: (&national).into(),
        };
        let who = Actor::Officer(officer.clone()).to_string();
        let detail = format!("{withheld} response(s) withheld by marking");
        self.store
            .write(move |conn| {
                boxed(async move {
                    audit::append(conn, now, &who, "report", "traces", &detail).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        Ok(report)
    }

    /// One line per response the gate lets into a report, and how many it
    /// kept out.
    async fn reportable_responses(
        &self,
        traces: &[&TraceRow],
    ) -> ServiceResult<(Vec<Reported>, usize)> {
        let mut details = Vec::new();
        let mut withheld = 0usize;
        for t in traces {
            let consents = consents_of_case(self, t.case_id).await?;
            for stored in responses(self, t.trace_id).await? {
                let Some(payload) = &stored.payload else {
                    continue;
                };
                match release(payload, &Audience::Report, &consents, Whole::Required) {
                    Ok(released) => details.push(Reported::of(
                        t.trace_id.to_string(),
                        stored.header.origin.to_string(),
                        released.value(),
                    )),
                    Err(_) => withheld += 1,
                }
            }
        }
        Ok((details, withheld))
    }
}

/// The figures of clause 12 over a set of traces: facts, no content.
struct TraceCounts {
    sent: usize,
    received: usize,
    answered: usize,
    refused: usize,
    overdue: usize,
}

impl TraceCounts {
    fn of(traces: &[&TraceRow], now: OffsetDateTime) -> TraceCounts {
        let count = |pred: &dyn Fn(&TraceRow) -> bool| traces.iter().filter(|t| pred(t)).count();
        TraceCounts {
            sent: count(&|t| t.role == TraceRole::Requester && t.state != TraceState::Drafted),
            received: count(&|t| t.role == TraceRole::Requested),
            answered: count(&|t| {
                matches!(
                    t.state,
                    TraceState::Responded | TraceState::RespondedRestricted
                )
            }),
            refused: count(&|t| t.state == TraceState::Refused),
            overdue: count(&|t| {
                t.due.acknowledgement.is_some_and(|d| d <= now)
                    || t.due.response.is_some_and(|d| d <= now)
            }),
        }
    }
}

/// The information passed on, through the gate: the provider's response
/// under its own markings, and the identification it concerns under the
/// request's, each judged for whoever provided it (this node, or the member
/// a hub traces for); our note is ours. Marked with the join of both.
fn shared_information(
    trace: &TraceRow,
    source: &StoredEnvelope,
    note: &str,
    audience: &Audience,
    consents: &Consents,
) -> Result<(pb::Payload, Marking), Refusal> {
    let response = source
        .payload
        .as_ref()
        .expect("responses() keeps those with a payload");
    let items = trace.request.derive(|r| pb::TraceRequest {
        items: r.items.clone(),
        marking: r.marking.clone(),
        ..Default::default()
    });
    let (response, items) = match (
        release(response, audience, consents, Whole::Required),
        release(&items, audience, consents, Whole::Required),
    ) {
        (Ok(response), Ok(items)) => (response, items),
        (response, items) => {
            let mut refusals = response.err().into_iter().chain(items.err());
            let mut refusal = refusals.next().expect("one of them refused");
            refusal.withheld.extend(refusals.flat_map(|r| r.withheld));
            return Err(refusal);
        }
    };
    let marking = response.marking.join(&items.marking);
    let response = match response.into_value().body {
        Some(pb::payload::Body::Response(r)) => Some(r),
        _ => None,
    };
    let payload = pb::Payload {
        body: Some(pb::payload::Body::SharedInformation(
            pb::SharedInformation {
                provided_by: source.header.origin.to_string(),
                source_case: trace.case_id.to_string(),
                response,
                note: note.to_string(),
                items: items.into_value().items,
                source_response: source.header.id.to_string(),
            },
        )),
    };
    Ok((payload, marking))
}

/// Every marking an export holds, each once.
fn markings_of(
    request: &Released<pb::TraceRequest>,
    bodies: &[(String, EnvelopeId, Released<pb::Payload>)],
) -> Vec<Marking> {
    let mut all = vec![request.marking.clone()];
    for (_, _, r) in bodies {
        if let Some(pb::payload::Body::Response(response)) = &r.value().body {
            for (_, m) in crate::policy::redact::section_markings(response) {
                all.extend(m.ok());
            }
        }
        all.push(r.marking.clone());
    }
    let mut unique: Vec<Marking> = Vec::new();
    for m in all {
        if !unique.contains(&m) {
            unique.push(m);
        }
    }
    unique
}

fn export_json(
    trace: &TraceRow,
    request: &Released<pb::TraceRequest>,
    bodies: &[(String, EnvelopeId, Released<pb::Payload>)],
    markings: &[Marking],
) -> ServiceResult<String> {
    let responses: Vec<serde_json::Value> = bodies
        .iter()
        .map(|(from, id, r)| {
            let response = match &r.value().body {
                Some(pb::payload::Body::Response(resp)) => {
                    serde_json::to_value(resp).unwrap_or(serde_json::Value::Null)
                }
                _ => serde_json::Value::Null,
            };
            serde_json::json!({
                "from": from,
                "envelopeId": id.to_string(),
                "marking": r.marking.to_string(),
                "response": response,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "markings": markings.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "traceId": trace.trace_id.to_string(),
        "caseId": trace.case_id.to_string(),
        "counterpart": trace.counterpart.to_string(),
        "state": trace.state.as_str(),
        "request": {
            "marking": request.marking.to_string(),
            "request": serde_json::to_value(request.value()).unwrap_or(serde_json::Value::Null),
        },
        "responses": responses,
    }))
    .map_err(|e| ServiceError::Internal(e.to_string()))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '#']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per item of the request, per section of each response and per
/// step of each response's history, each with the marking it carries. The
/// lines at the top, starting with `#`, name every marking the file holds.
fn export_csv(
    trace: &TraceRow,
    request: &Released<pb::TraceRequest>,
    bodies: &[(String, EnvelopeId, Released<pb::Payload>)],
    markings: &[Marking],
) -> String {
    let held: Vec<String> = markings.iter().map(|m| m.to_string()).collect();
    let mut out = format!(
        "# ITI Exchange export of trace {}; markings held: {}\n\
         trace_id,provided_by,section,date,kind,party,description,marking\n",
        trace.trace_id,
        held.join("; ")
    );
    let mut rows = request_rows(request);
    for (from, _, released) in bodies {
        if let Some(pb::payload::Body::Response(r)) = &released.value().body {
            rows.extend(response_rows(from, r, released.value()));
        }
    }
    let id = trace.trace_id.to_string();
    for row in rows {
        let fields: Vec<String> = std::iter::once(id.as_str())
            .chain(row.iter().map(String::as_str))
            .map(csv_field)
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// An export row after the trace id: provided by, section, date, kind,
/// party, description, marking.
type CsvRow = [String; 7];

fn csv_row(
    provided_by: &str,
    section: &str,
    date: &str,
    kind: &str,
    party: &str,
    what: &str,
    marking: String,
) -> CsvRow {
    [
        provided_by.to_string(),
        section.to_string(),
        date.to_string(),
        kind.to_string(),
        party.to_string(),
        what.to_string(),
        marking,
    ]
}

/// One row per item of the request, under the request's marking.
fn request_rows(request: &Released<pb::TraceRequest>) -> Vec<CsvRow> {
    let own = request.marking.to_string();
    let items = request.value().items.iter().enumerate();
    items
        .map(|(i, item)| {
            let one = pb::TraceRequest {
                items: vec![item.clone()],
                ..Default::default()
            };
            let what = super::views::items_summary(&one);
            csv_row(
                "",
                &format!("request.items[{i}]"),
                "",
                "identification",
                "",
                &what,
                own.clone(),
            )
        })
        .collect()
}

/// The rows of one released response, each section under its marking.
fn response_rows(from: &str, r: &pb::TraceResponse, payload: &pb::Payload) -> Vec<CsvRow> {
    let marking_of = |name: &str| {
        crate::policy::redact::section_markings(r)
            .into_iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, m)| m.ok())
            .map(|m| m.to_string())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    if r.finding.is_some() {
        let mut text = String::new();
        // The export is data, in English whatever the officer reads.
        let english = crate::i18n::Texts::new(crate::i18n::Lang::En);
        crate::render::payload(&english, payload, &mut text, "");
        let line = text
            .lines()
            .find(|l| l.starts_with("finding"))
            .unwrap_or_default();
        rows.push(csv_row(
            from,
            "finding",
            "",
            "finding",
            "",
            line,
            marking_of("finding"),
        ));
    }
    if let Some(p) = &r.last_legal_possessor {
        let what = format!("{} ({})", p.category, p.state);
        let marking = marking_of("lastLegalPossessor");
        rows.push(csv_row(
            from,
            "lastLegalPossessor",
            &p.since,
            "last_legal_possession",
            &p.name,
            &what,
            marking,
        ));
    }
    for e in r.history.iter().flat_map(|h| h.events.iter()) {
        let kind = pb::HistoryEventKind::try_from(e.kind)
            .map(|k| crate::render::enum_name(k.as_str_name(), "HISTORY_EVENT_KIND_"))
            .unwrap_or_default();
        let what = format!("{} {}", e.state, e.description);
        let marking = marking_of("history");
        rows.push(csv_row(
            from,
            "history",
            &e.date,
            &kind,
            &e.party,
            what.trim(),
            marking,
        ));
    }
    if let Some(c) = &r.commercial {
        let brokers = c.brokers.join("; ");
        let marking = marking_of("commercial");
        rows.push(csv_row(
            from,
            "commercial",
            "",
            "commercial",
            &brokers,
            &c.contract_reference,
            marking,
        ));
    }
    for i in r.individuals.iter().flat_map(|s| s.individuals.iter()) {
        let marking = marking_of("individuals");
        rows.push(csv_row(
            from,
            "individuals",
            "",
            "individual",
            &i.name,
            &i.role,
            marking,
        ));
    }
    rows
}
