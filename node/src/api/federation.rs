//! The federation service: node to node.

use std::sync::Arc;

use iti_proto::v1 as pb;
use iti_proto::v1::federation_server::Federation;
use tonic::{Request, Response, Status};

use super::{caller, to_status};
use crate::service::Node;

pub struct FederationApi {
    pub node: Arc<Node>,
}

#[tonic::async_trait]
impl Federation for FederationApi {
    async fn deliver(
        &self,
        req: Request<pb::Envelope>,
    ) -> Result<Response<pb::DeliverReply>, Status> {
        let peer = caller(&req)?;
        let delivered = self
            .node
            .receive(&peer, req.into_inner())
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::DeliverReply {
            receipt: Some(delivered.receipt),
            duplicate: delivered.duplicate,
            destination_receipt: delivered.destination_receipt,
        }))
    }

    async fn get_directory(
        &self,
        req: Request<pb::GetDirectoryRequest>,
    ) -> Result<Response<pb::Directory>, Status> {
        let peer = caller(&req)?;
        let directory = self.node.directory_for(&peer).await.map_err(to_status)?;
        Ok(Response::new(directory))
    }

    async fn announce(
        &self,
        req: Request<pb::Directory>,
    ) -> Result<Response<pb::AnnounceReply>, Status> {
        let peer = caller(&req)?;
        let reply = self
            .node
            .take_announcement(&peer, req.into_inner())
            .await
            .map_err(to_status)?;
        Ok(Response::new(reply))
    }
}
