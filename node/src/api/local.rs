//! The local service: a state's own officers. Every call names the calling
//! officer from their certificate; what they see is filtered by the service.

use std::sync::Arc;

use iti_proto::v1 as pb;
use iti_proto::v1::local_server::Local;
use tonic::{Request, Response, Status, Streaming};

use super::{officer, paging, to_status};
use crate::bounds::table::MAX_PHOTO_BYTES;
use crate::case::items::ItemWindow;
use crate::hub::register::FeedError;
use crate::ids::{ParticipantId, TraceId};
use crate::service::access::{Operation, require};
use crate::service::act::Action;
use crate::service::submit::{DraftOnward, Plan, Submission};
use crate::service::{Actor, Node, ServiceError};

pub struct LocalApi {
    pub node: Arc<Node>,
}

fn trace_id(field: &str, s: &str) -> Result<TraceId, Status> {
    s.parse()
        .map_err(|e: crate::ids::IdError| Status::invalid_argument(format!("{field}: {e}")))
}

fn override_of(o: Option<pb::RoutingOverride>) -> Option<(String, String)> {
    o.filter(|o| !o.requested_state.is_empty())
        .map(|o| (o.requested_state, o.reason))
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
        let plan = self.node.plan(&o, submission).map_err(to_status)?;
        Ok(Response::new(plan.view()))
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
            plan: Some(plan),
            notes: vec![],
        }))
    }

    async fn send_draft(
        &self,
        req: Request<pb::SendDraftRequest>,
    ) -> Result<Response<pb::SubmitReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let id = trace_id("traceId", &r.trace_id)?;
        let onward = DraftOnward::from_proto(r.onward, r.justification);
        let sent = self
            .node
            .send_draft(&o, id, override_of(r.routing_override), onward)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::SubmitReply {
            case_id: sent.case_id.to_string(),
            trace_id: sent.trace_id.to_string(),
            envelope_id: sent.envelope_id.map(|e| e.to_string()).unwrap_or_default(),
            plan: sent.plan.map(Plan::view),
            notes: sent.notes,
        }))
    }

    async fn list_traces(
        &self,
        req: Request<pb::ListTracesRequest>,
    ) -> Result<Response<pb::ListTracesReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let page = paging::read::<TraceId>(r.page.as_ref())?;
        let (traces, next) = self
            .node
            .trace_summaries(&o, r.inbox, r.include_closed, page.after, page.size)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListTracesReply {
            traces,
            next_page_token: paging::next_token(next),
        }))
    }

    async fn show_case(
        &self,
        req: Request<pb::ShowCaseRequest>,
    ) -> Result<Response<pb::CaseView>, Status> {
        let o = officer(&req, self.node.participant())?;
        let asked = req.into_inner();
        let items = ItemWindow::asked(asked.items_from, asked.items_limit);
        let view = self
            .node
            .case_view(&o, asked.id.trim(), items)
            .await
            .map_err(to_status)?;
        Ok(Response::new(view))
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
            envelope_id: envelope_id.map(|e| e.to_string()).unwrap_or_default(),
            trace: Some(trace),
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
            trace: Some(trace),
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
        let (content, filename, markings) = self
            .node
            .export(&o, id, format, r.as_evidence)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ExportReply {
            content,
            filename,
            markings,
        }))
    }

    async fn overdue(
        &self,
        req: Request<pb::OverdueRequest>,
    ) -> Result<Response<pb::OverdueReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadCases).map_err(to_status)?;
        let items = self
            .node
            .overdue_items(self.node.now())
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::OverdueReply { items }))
    }

    async fn outbox(
        &self,
        req: Request<pb::OutboxRequest>,
    ) -> Result<Response<pb::OutboxReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadOutbox).map_err(to_status)?;
        let r = req.into_inner();
        let page = paging::read::<i64>(r.page.as_ref())?;
        let (items, next) = self
            .node
            .outbox_items(r.include_delivered, page.after.unwrap_or(0), page.size)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::OutboxReply {
            items,
            next_page_token: paging::next_token(next),
        }))
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
        let entries = self
            .node
            .audit_entries(r.after_seq, r.limit)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::AuditLogReply { entries }))
    }

    async fn report(
        &self,
        req: Request<pb::ReportRequest>,
    ) -> Result<Response<pb::ReportReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let r = req.into_inner();
        let report = self
            .node
            .report(
                &o,
                r.from.as_ref().and_then(crate::clock::from_timestamp),
                r.to.as_ref().and_then(crate::clock::from_timestamp),
            )
            .await
            .map_err(to_status)?;
        // The text in English; itictl words the JSON's facts in its reader's language.
        let text = crate::report::text(&crate::i18n::english(), &report);
        let json = serde_json::to_string(&report).map_err(|e| Status::internal(e.to_string()))?;
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
        Ok(Response::new(crate::service::views::peer_view(&row)))
    }

    async fn list_peers(
        &self,
        req: Request<pb::ListPeersRequest>,
    ) -> Result<Response<pb::ListPeersReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::ReadOutbox).map_err(to_status)?;
        let peers = self.node.peer_views().await.map_err(to_status)?;
        Ok(Response::new(pb::ListPeersReply { peers }))
    }

    async fn get_directory(
        &self,
        req: Request<pb::GetDirectoryRequest>,
    ) -> Result<Response<pb::DirectoryView>, Status> {
        let _ = officer(&req, self.node.participant())?;
        let view = self.node.directory_entries(None).await.map_err(to_status)?;
        Ok(Response::new(view))
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
        let view = self
            .node
            .directory_entries(Some(&row.participant))
            .await
            .map_err(to_status)?;
        Ok(Response::new(view))
    }

    async fn confirm_peer(
        &self,
        req: Request<pb::ConfirmPeerRequest>,
    ) -> Result<Response<pb::DirectoryView>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::Administer).map_err(to_status)?;
        let r = req.into_inner();
        let participant: ParticipantId =
            r.participant.parse().map_err(|e: crate::ids::IdError| {
                to_status(ServiceError::invalid("participant", e.to_string()))
            })?;
        self.node
            .confirm_peer(&Actor::Officer(o), &participant, &r.ca_fingerprint)
            .await
            .map_err(to_status)?;
        let view = self
            .node
            .directory_entries(Some(&participant))
            .await
            .map_err(to_status)?;
        Ok(Response::new(view))
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

    async fn get_photo(
        &self,
        req: Request<pb::FetchPhotoRequest>,
    ) -> Result<Response<pb::Photo>, Status> {
        let o = officer(&req, self.node.participant())?;
        let photo = self
            .node
            .photo_for(&o, &req.get_ref().sha256)
            .await
            .map_err(to_status)?;
        Ok(Response::new(photo))
    }

    async fn upload_photo(
        &self,
        req: Request<Streaming<pb::PhotoPart>>,
    ) -> Result<Response<pb::Attachment>, Status> {
        let o = officer(&req, self.node.participant())?;
        let mut parts = req.into_inner();
        let mut content = Vec::new();
        while let Some(part) = parts.message().await? {
            if (content.len() + part.content.len()) as u64 > MAX_PHOTO_BYTES {
                return Err(to_status(ServiceError::invalid(
                    "content",
                    format!("over {MAX_PHOTO_BYTES} bytes; a photograph has at most that"),
                )));
            }
            content.extend_from_slice(&part.content);
        }
        let attachment = self
            .node
            .upload_photo(&o, content, "content")
            .await
            .map_err(to_status)?;
        Ok(Response::new(attachment))
    }

    async fn import_lost_stolen(
        &self,
        req: Request<Streaming<pb::LostStolenRecord>>,
    ) -> Result<Response<pb::ImportLostStolenReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        require(&o, Operation::FeedRegister).map_err(to_status)?;
        let (accepted, rejected) = self
            .node
            .import_lost_stolen(&o, req.into_inner())
            .await
            .map_err(|e| match e {
                FeedError::Feed(status) => status,
                FeedError::Register(e) => to_status(e),
            })?;
        Ok(Response::new(pb::ImportLostStolenReply {
            accepted,
            rejected,
        }))
    }
}
