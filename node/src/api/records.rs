//! The `Records` service on the local port: the national tracing system for
//! the state's own officers. An adapter only: identity from the verified
//! certificate, protobuf in and out, errors mapped once (`to_status`).

use std::sync::Arc;

use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use iti_proto::v1 as pb;
use iti_proto::v1::records_server::Records;

use super::{officer, to_status};
use crate::ids::TraceId;
use crate::service::{Node, ServiceError};

pub struct RecordsApi {
    pub node: Arc<Node>,
}

fn trace_id(s: &str) -> Result<TraceId, Status> {
    s.parse()
        .map_err(|_| to_status(ServiceError::invalid("traceId", "not a trace id")))
}

#[tonic::async_trait]
impl Records for RecordsApi {
    async fn import_records(
        &self,
        req: Request<Streaming<pb::ImportRecordsMessage>>,
    ) -> Result<Response<pb::ImportRecordsReply>, Status> {
        use pb::import_records_message::Part;
        let o = officer(&req, self.node.participant())?;
        let mut stream = req.into_inner();
        let header = match stream.next().await {
            Some(Ok(pb::ImportRecordsMessage {
                part: Some(Part::Header(h)),
            })) => h,
            Some(Err(e)) => return Err(e),
            _ => {
                return Err(to_status(ServiceError::invalid(
                    "header",
                    "an import starts with its header (source, kind, domain, markings)",
                )));
            }
        };
        let mut session = self
            .node
            .start_import(&o, &header)
            .await
            .map_err(to_status)?;
        while let Some(message) = stream.next().await {
            match message?.part {
                Some(Part::Batch(b)) => session.add(b.records).await.map_err(to_status)?,
                _ => {
                    return Err(to_status(ServiceError::invalid(
                        "batch",
                        "after the header, only batches of records",
                    )));
                }
            }
        }
        Ok(Response::new(session.finish().await.map_err(to_status)?))
    }

    async fn search_records(
        &self,
        req: Request<pb::SearchRecordsRequest>,
    ) -> Result<Response<pb::SearchRecordsReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let reply = self
            .node
            .search_records(&o, req.get_ref())
            .await
            .map_err(to_status)?;
        Ok(Response::new(reply))
    }

    async fn weapon_history(
        &self,
        req: Request<pb::SearchRecordsRequest>,
    ) -> Result<Response<pb::WeaponHistoryReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let reply = self
            .node
            .weapon_history(&o, req.get_ref())
            .await
            .map_err(to_status)?;
        Ok(Response::new(reply))
    }

    async fn trace_domestic(
        &self,
        req: Request<pb::TraceDomesticRequest>,
    ) -> Result<Response<pb::TraceDomesticReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let recovered = req.into_inner().recovered.ok_or_else(|| {
            to_status(ServiceError::invalid(
                "recovered",
                "the recovered weapon, as a draft request",
            ))
        })?;
        let reply = self
            .node
            .trace_domestic(&o, recovered)
            .await
            .map_err(to_status)?;
        Ok(Response::new(reply))
    }

    async fn list_recovered(
        &self,
        req: Request<pb::ListRecoveredRequest>,
    ) -> Result<Response<pb::ListRecoveredReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let reply = self.node.list_recovered(&o).await.map_err(to_status)?;
        Ok(Response::new(reply))
    }

    async fn get_draft(
        &self,
        req: Request<pb::GetDraftRequest>,
    ) -> Result<Response<pb::DraftView>, Status> {
        let o = officer(&req, self.node.participant())?;
        let id = trace_id(&req.get_ref().trace_id)?;
        let view = self.node.response_draft(&o, id).await.map_err(to_status)?;
        Ok(Response::new(view))
    }

    async fn send_draft(
        &self,
        req: Request<pb::SendResponseDraftRequest>,
    ) -> Result<Response<pb::SendResponseDraftReply>, Status> {
        let o = officer(&req, self.node.participant())?;
        let id = trace_id(&req.get_ref().trace_id)?;
        let reply = self
            .node
            .send_response_draft(&o, id, req.get_ref().confirm_despite_declared_restrictions)
            .await
            .map_err(to_status)?;
        Ok(Response::new(reply))
    }
}
