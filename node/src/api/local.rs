//! The local service: a state's own officers. Every call names the calling
//! officer from their certificate; what they see is filtered by the service.

use std::sync::Arc;

use iti_proto::v1 as pb;
use iti_proto::v1::local_server::Local;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::{officer, to_status};
use crate::clock::to_timestamp;
use crate::ids::TraceId;
use crate::service::Node;
use crate::service::access::{Operation, require};
use crate::service::act::Action;
use crate::service::submit::{Plan, Submission};
use crate::service::views::{delivery_state, items_summary};
use crate::store::traces::TraceRow;

pub struct LocalApi {
    pub node: Arc<Node>,
}

fn trace_id(field: &str, s: &str) -> Result<TraceId, Status> {
    s.parse()
        .map_err(|e: crate::ids::IdError| Status::invalid_argument(format!("{field}: {e}")))
}

fn plan_to_proto(plan: &Plan) -> pb::RoutingPlan {
    pb::RoutingPlan {
        grounds: plan.request.grounds.clone(),
        path: plan.path.iter().map(|p| p.to_string()).collect(),
        possibly_missing: plan.possibly_missing.clone(),
        flags: plan.flags.clone(),
    }
}

fn role_to_proto(role: crate::case::role::TraceRole) -> pb::TraceRole {
    use crate::case::role::TraceRole as R;
    match role {
        R::Requester => pb::TraceRole::Requester,
        R::Requested => pb::TraceRole::Requested,
        R::OnBehalf => pb::TraceRole::OnBehalf,
        R::Informed => pb::TraceRole::Informed,
    }
}

fn override_of(o: Option<pb::RoutingOverride>) -> Option<(String, String)> {
    o.filter(|o| !o.requested_state.is_empty())
        .map(|o| (o.requested_state, o.reason))
}

/// A trace summary, with the items shown only if the officer may see the
/// request.
pub(crate) fn summary(
    node: &Node,
    t: &TraceRow,
    visible_request: &pb::TraceRequest,
    withheld: bool,
) -> pb::TraceSummary {
    let now = node.now();
    let overdue =
        t.due.acknowledgement.is_some_and(|d| d <= now) || t.due.response.is_some_and(|d| d <= now);
    pb::TraceSummary {
        trace_id: t.trace_id.to_string(),
        case_id: t.case_id.to_string(),
        role: role_to_proto(t.role) as i32,
        counterpart: t.counterpart.to_string(),
        state: t.state.as_str().to_string(),
        opened_at: Some(to_timestamp(t.opened_at)),
        received_at: t.received_at.map(to_timestamp),
        ack_due: t.due.acknowledgement.map(to_timestamp),
        response_due: t.due.response.map(to_timestamp),
        updated_at: Some(to_timestamp(t.updated_at)),
        items: if withheld {
            "[withheld]".into()
        } else {
            items_summary(visible_request)
        },
        marking: t.request.marking.clone(),
        on_behalf_of: t
            .on_behalf_of
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        missing: t.missing.clone(),
        restrictions_cannot_comply: t.request.restrictions_cannot_comply.clone(),
        overdue,
        flags: t.flags.clone(),
    }
}

fn summary_for(node: &Node, role: crate::identity::Role, t: &TraceRow) -> pb::TraceSummary {
    let red =
        crate::policy::redact::redact_request(&t.request, role, &crate::policy::Consents::none());
    let withheld = red.withheld.iter().any(|w| w.starts_with("request"));
    summary(node, t, &red.value, withheld)
}

#[tonic::async_trait]
impl Local for LocalApi {
    async fn who_am_i(
        &self,
        req: Request<pb::WhoAmIRequest>,
    ) -> Result<Response<pb::WhoAmIReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        Ok(Response::new(pb::WhoAmIReply {
            participant: o.participant.to_string(),
            officer: o.name.clone(),
            role: o.role.to_string(),
            hub: self.node.is_hub(),
        }))
    }

    async fn plan_request(
        &self,
        req: Request<pb::SubmitRequestRequest>,
    ) -> Result<Response<pb::RoutingPlan>, Status> {
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let submission = Submission {
            request: r
                .request
                .ok_or_else(|| Status::invalid_argument("request: missing"))?,
            routing_override: override_of(r.routing_override),
            on_behalf_via: Some(r.on_behalf_via).filter(|s| !s.is_empty()),
            allow_duplicate: r.allow_duplicate,
        };
        let plan = self.node.plan(&o, &submission).map_err(to_status)?;
        Ok(Response::new(plan_to_proto(&plan)))
    }

    async fn submit_request(
        &self,
        req: Request<pb::SubmitRequestRequest>,
    ) -> Result<Response<pb::SubmitReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let submission = Submission {
            request: r
                .request
                .ok_or_else(|| Status::invalid_argument("request: missing"))?,
            routing_override: override_of(r.routing_override),
            on_behalf_via: Some(r.on_behalf_via).filter(|s| !s.is_empty()),
            allow_duplicate: r.allow_duplicate,
        };
        let (case_id, trace_id, envelope_id, plan) =
            self.node.submit(&o, submission).await.map_err(to_status)?;
        Ok(Response::new(pb::SubmitReply {
            case_id: case_id.to_string(),
            trace_id: trace_id.to_string(),
            envelope_id: envelope_id.to_string(),
            plan: Some(plan_to_proto(&plan)),
        }))
    }

    async fn send_draft(
        &self,
        req: Request<pb::SendDraftRequest>,
    ) -> Result<Response<pb::SubmitReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let id = trace_id("traceId", &r.trace_id)?;
        let (case_id, trace_id, envelope_id, plan) = self
            .node
            .send_draft(&o, id, override_of(r.routing_override))
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::SubmitReply {
            case_id: case_id.to_string(),
            trace_id: trace_id.to_string(),
            envelope_id: envelope_id.to_string(),
            plan: Some(plan_to_proto(&plan)),
        }))
    }

    async fn list_traces(
        &self,
        req: Request<pb::ListTracesRequest>,
    ) -> Result<Response<pb::ListTracesReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadCases).map_err(to_status)?;
        let r = req.into_inner();
        let rows = self
            .node
            .list_traces(r.inbox, r.include_closed)
            .await
            .map_err(to_status)?;
        let traces = rows
            .iter()
            .map(|t| summary_for(&self.node, o.role, t))
            .collect();
        Ok(Response::new(pb::ListTracesReply { traces }))
    }

    async fn show_case(
        &self,
        req: Request<pb::ShowCaseRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadCases).map_err(to_status)?;
        let id = req.into_inner().id;
        let view = self
            .node
            .case_view(&o, id.trim())
            .await
            .map_err(to_status)?;
        let traces = view
            .traces
            .into_iter()
            .map(|tv| {
                let withheld = tv.request_withheld.iter().any(|w| w.starts_with("request"));
                pb::TraceView {
                    summary: Some(summary(&self.node, &tv.trace, &tv.request, withheld)),
                    events: tv
                        .events
                        .into_iter()
                        .map(|e| pb::CaseEvent {
                            at: Some(to_timestamp(e.at)),
                            kind: e.kind,
                            actor: e.actor,
                            detail: e.detail,
                            envelope_id: e.envelope_id.unwrap_or_default(),
                            state_after: e.state_after.unwrap_or_default(),
                        })
                        .collect(),
                    messages: tv
                        .messages
                        .into_iter()
                        .map(|m| pb::MessageView {
                            envelope_id: m.header.id.to_string(),
                            kind: m.header.kind as i32,
                            origin: m.header.origin.to_string(),
                            destination: m.header.destination.to_string(),
                            created_at: Some(to_timestamp(m.header.created_at)),
                            payload: m.payload,
                            withheld: m.withheld,
                            delivery: delivery_state(m.outbox.as_ref(), m.direction) as i32,
                            receipt_at: m.receipt_at.map(to_timestamp),
                            error: m.outbox.and_then(|r| r.last_error).unwrap_or_default(),
                            hops: m.hops,
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(Response::new(pb::CaseView {
            case_id: view.case_id.to_string(),
            traces,
            timeline: view.timeline,
            conclusion: view.conclusion,
        }))
    }

    async fn act(&self, req: Request<pb::ActRequest>) -> Result<Response<pb::ActReply>, Status> {
        use pb::act_request::Action as A;
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let id = trace_id("traceId", &r.trace_id)?;
        let action = match r.action {
            Some(A::Acknowledge(m)) => Action::Acknowledge(m),
            Some(A::Respond(m)) => Action::Respond(m),
            Some(A::ReturnForCompletion(m)) => Action::ReturnForCompletion(m),
            Some(A::Resubmit(m)) => Action::Resubmit(m),
            Some(A::Delay(m)) => Action::Delay(m),
            Some(A::Refuse(m)) => Action::Refuse(m),
            Some(A::RequestClarification(m)) => Action::RequestClarification(m),
            Some(A::Clarify(m)) => Action::Clarify(m),
            Some(A::GrantConsent(m)) => Action::GrantConsent(m),
            Some(A::RequestConsent(m)) => Action::RequestConsent(m),
            Some(A::Close(m)) => Action::Close(m),
            None => return Err(Status::invalid_argument("action: missing")),
        };
        let (envelope_id, trace, warnings) = self
            .node
            .act(&o, id, action, r.confirm_despite_declared_restrictions)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ActReply {
            envelope_id: envelope_id.to_string(),
            trace: Some(summary_for(&self.node, o.role, &trace)),
            warnings,
        }))
    }

    async fn forward(
        &self,
        req: Request<pb::ForwardRequest>,
    ) -> Result<Response<pb::ActReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let id = trace_id("traceId", &r.trace_id)?;
        let (envelope_id, trace) = self
            .node
            .forward(&o, id, &r.regarding, &r.to, &r.note)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ActReply {
            envelope_id: envelope_id.to_string(),
            trace: Some(summary_for(&self.node, o.role, &trace)),
            warnings: vec![],
        }))
    }

    async fn export(
        &self,
        req: Request<pb::ExportRequest>,
    ) -> Result<Response<pb::ExportReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let id = trace_id("traceId", &r.trace_id)?;
        let format = pb::ExportFormat::try_from(r.format).unwrap_or(pb::ExportFormat::Unspecified);
        let (content, filename) = self
            .node
            .export(&o, id, format, r.as_evidence)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ExportReply { content, filename }))
    }

    async fn overdue(
        &self,
        req: Request<pb::OverdueRequest>,
    ) -> Result<Response<pb::OverdueReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadCases).map_err(to_status)?;
        let now = self.node.now();
        let items = self
            .node
            .overdue(now)
            .await
            .map_err(to_status)?
            .into_iter()
            .map(|(t, owed, due)| pb::OverdueItem {
                trace_id: t.trace_id.to_string(),
                case_id: t.case_id.to_string(),
                role: role_to_proto(t.role) as i32,
                counterpart: t.counterpart.to_string(),
                what: owed.as_str().to_string(),
                due: Some(to_timestamp(due)),
                owed_by: crate::service::sweep::owed_by(self.node.participant(), &t).to_string(),
            })
            .collect();
        Ok(Response::new(pb::OverdueReply { items }))
    }

    async fn outbox(
        &self,
        req: Request<pb::OutboxRequest>,
    ) -> Result<Response<pb::OutboxReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadOutbox).map_err(to_status)?;
        let rows = self
            .node
            .outbox_view(req.into_inner().include_delivered)
            .await
            .map_err(to_status)?;
        let items = rows
            .into_iter()
            .map(|r| pb::OutboxItem {
                envelope_id: r.envelope_id.to_string(),
                destination: r.destination.clone(),
                next_hop: r.next_hop.clone().unwrap_or_default(),
                kind: r.kind,
                state: delivery_state(Some(&r), crate::store::envelopes::Direction::Out) as i32,
                enqueued_at: Some(to_timestamp(r.enqueued_at)),
                attempts: r.attempts,
                next_attempt_at: Some(to_timestamp(r.next_attempt_at)),
                last_error: r.last_error.clone().unwrap_or_default(),
                trace_id: r.trace_id.to_string(),
                done_at: r.done_at.map(to_timestamp),
            })
            .collect();
        Ok(Response::new(pb::OutboxReply { items }))
    }

    async fn audit_verify(
        &self,
        req: Request<pb::AuditVerifyRequest>,
    ) -> Result<Response<pb::AuditVerifyReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadAudit).map_err(to_status)?;
        let reply = self.node.verify_audit().await.map_err(to_status)?;
        Ok(Response::new(reply))
    }

    async fn audit_log(
        &self,
        req: Request<pb::AuditLogRequest>,
    ) -> Result<Response<pb::AuditLogReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadAudit).map_err(to_status)?;
        let r = req.into_inner();
        let entries = crate::store::audit::entries(self.node.store.pool(), r.after_seq, r.limit)
            .await
            .map_err(|e| to_status(e.into()))?
            .into_iter()
            .map(|e| pb::AuditEntry {
                seq: e.record.seq,
                at: Some(to_timestamp(crate::clock::from_millis(e.record.at_ms))),
                actor: e.record.actor,
                action: e.record.action,
                subject: e.record.subject,
                detail: e.record.detail,
                hash: e.hash,
            })
            .collect();
        Ok(Response::new(pb::AuditLogReply { entries }))
    }

    async fn report(
        &self,
        req: Request<pb::ReportRequest>,
    ) -> Result<Response<pb::ReportReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let (text, json) = self
            .node
            .report(
                &o,
                r.from.as_ref().and_then(crate::clock::from_timestamp),
                r.to.as_ref().and_then(crate::clock::from_timestamp),
            )
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ReportReply { text, json }))
    }

    async fn add_peer(&self, req: Request<pb::PeerCard>) -> Result<Response<pb::PeerView>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::Administer).map_err(to_status)?;
        let row = self
            .node
            .add_peer(&crate::service::Actor::Officer(o), req.into_inner())
            .await
            .map_err(to_status)?;
        Ok(Response::new(peer_view(&row)))
    }

    async fn list_peers(
        &self,
        req: Request<pb::ListPeersRequest>,
    ) -> Result<Response<pb::ListPeersReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadOutbox).map_err(to_status)?;
        let peers = self.node.peers().await.map_err(to_status)?;
        Ok(Response::new(pb::ListPeersReply {
            peers: peers.iter().map(peer_view).collect(),
        }))
    }

    async fn get_directory(
        &self,
        req: Request<pb::GetDirectoryRequest>,
    ) -> Result<Response<pb::DirectoryView>, Status> {
        let _ = officer(&req, self.node.participant())?;
        let entries = self
            .node
            .directory_view()
            .await
            .map_err(to_status)?
            .into_iter()
            .map(|(entry, row)| pb::DirectoryEntryView {
                entry: Some(entry),
                trust: row.trust,
                cached_at: Some(to_timestamp(row.cached_at)),
            })
            .collect();
        Ok(Response::new(pb::DirectoryView { entries }))
    }

    async fn publish_directory_entry(
        &self,
        req: Request<pb::SignedDirectoryEntry>,
    ) -> Result<Response<pb::DirectoryView>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::Administer).map_err(to_status)?;
        let row = self
            .node
            .accept_directory_entry(req.into_inner(), None)
            .await
            .map_err(to_status)?;
        let entries = self
            .node
            .directory_view()
            .await
            .map_err(to_status)?
            .into_iter()
            .filter(|(_, r)| r.participant == row.participant)
            .map(|(entry, row)| pb::DirectoryEntryView {
                entry: Some(entry),
                trust: row.trust,
                cached_at: Some(to_timestamp(row.cached_at)),
            })
            .collect();
        Ok(Response::new(pb::DirectoryView { entries }))
    }

    async fn refresh_directory(
        &self,
        req: Request<pb::RefreshDirectoryRequest>,
    ) -> Result<Response<pb::RefreshDirectoryReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::Administer).map_err(to_status)?;
        Ok(Response::new(
            self.node.refresh_directory().await.map_err(to_status)?,
        ))
    }

    async fn hub_stats(
        &self,
        req: Request<pb::HubStatsRequest>,
    ) -> Result<Response<pb::HubStatsReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadHubFigures).map_err(to_status)?;
        let members = self.node.hub_stats().await.map_err(to_status)?;
        Ok(Response::new(pb::HubStatsReply { members }))
    }

    async fn import_lost_stolen(
        &self,
        req: Request<Streaming<pb::LostStolenRecord>>,
    ) -> Result<Response<pb::ImportLostStolenReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::FeedRegister).map_err(to_status)?;
        let mut stream = req.into_inner();
        let mut accepted = 0u64;
        let mut rejected = Vec::new();
        let mut batch = Vec::new();
        while let Some(record) = stream.next().await {
            let record = record?;
            batch.push(record);
            if batch.len() >= 500 {
                let (a, r) = self
                    .node
                    .register_lost_stolen(&o, std::mem::take(&mut batch))
                    .await
                    .map_err(to_status)?;
                accepted += a;
                rejected.extend(r);
            }
        }
        if !batch.is_empty() {
            let (a, r) = self
                .node
                .register_lost_stolen(&o, batch)
                .await
                .map_err(to_status)?;
            accepted += a;
            rejected.extend(r);
        }
        Ok(Response::new(pb::ImportLostStolenReply {
            accepted,
            rejected,
        }))
    }
}

fn peer_view(row: &crate::store::peers::PeerRow) -> pb::PeerView {
    pb::PeerView {
        participant: row.participant.to_string(),
        endpoint: row.endpoint.clone(),
        ca_fingerprint: crate::identity::pki::fingerprint(&row.ca_der),
        ca_subject: crate::identity::pki::subject_of(&row.ca_der),
        serves: row.serves.iter().map(|s| s.to_string()).collect(),
        added_at: Some(to_timestamp(row.added_at)),
    }
}
