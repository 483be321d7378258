//! The federation service: node to node. Only node certificates are served
//! here (officers use their own node's local port), and every refused call
//! is logged at WARN, rate-limited per reason, like refused handshakes.

use std::sync::Arc;

use iti_proto::v1 as pb;
use iti_proto::v1::federation_server::Federation;
use tonic::{Request, Response, Status};

use super::{caller, to_status};
use crate::batch;
use crate::identity::Identity;
use crate::identity::tls::PeerInfo;
use crate::ids::ParticipantId;
use crate::service::receive::Delivered;
use crate::service::{Node, ServiceError};

pub struct FederationApi {
    pub node: Arc<Node>,
}

/// The calling node; officer certificates are refused.
fn calling_node(peer: &Identity) -> Result<&ParticipantId, Status> {
    match peer {
        Identity::Node(p) => Ok(p),
        Identity::Officer(o) => Err(Status::permission_denied(format!(
            "officer certificates ({o}) are not accepted on the federation port; \
             officers use their own node's local port"
        ))),
    }
}

/// The reason a refused call is logged under (rate-limited per reason).
fn refusal_reason(code: tonic::Code) -> &'static str {
    use tonic::Code as C;
    match code {
        C::PermissionDenied => "call refused: permission denied",
        C::Unauthenticated => "call refused: unauthenticated",
        C::InvalidArgument => "call refused: invalid argument",
        C::FailedPrecondition => "call refused: failed precondition",
        C::NotFound => "call refused: not found",
        _ => "call failed",
    }
}

impl FederationApi {
    /// Logs a refused call (internal errors are logged where they are mapped).
    fn logged<T>(
        &self,
        rpc: &str,
        remote: Option<std::net::SocketAddr>,
        r: Result<T, Status>,
    ) -> Result<T, Status> {
        if let Err(status) = &r
            && status.code() != tonic::Code::Internal
        {
            self.node.federation_refusals.warn(
                "federation",
                refusal_reason(status.code()),
                &format!("{rpc}: {}", status.message()),
                remote,
            );
        }
        r
    }
}

/// What `Deliver` answers for an envelope received.
fn reply_of(delivered: Delivered) -> pb::DeliverReply {
    pb::DeliverReply {
        receipt: Some(delivered.receipt),
        duplicate: delivered.duplicate,
        destination_receipt: delivered.destination_receipt,
    }
}

fn remote_of<T>(req: &Request<T>) -> Option<std::net::SocketAddr> {
    req.extensions().get::<PeerInfo>().and_then(|p| p.remote)
}

#[tonic::async_trait]
impl Federation for FederationApi {
    async fn deliver(
        &self,
        req: Request<pb::Envelope>,
    ) -> Result<Response<pb::DeliverReply>, Status> {
        let remote = remote_of(&req);
        let delivered = async {
            let peer = caller(&req)?;
            self.node
                .receive(&peer, req.into_inner())
                .await
                .map_err(to_status)
        }
        .await;
        let delivered = self.logged("Deliver", remote, delivered)?;
        Ok(Response::new(reply_of(delivered)))
    }

    async fn deliver_batch(
        &self,
        req: Request<pb::DeliverBatchRequest>,
    ) -> Result<Response<pb::DeliverBatchReply>, Status> {
        let remote = remote_of(&req);
        let peer = self.logged("DeliverBatch", remote, caller(&req))?;
        let received = self
            .node
            .receive_batch(&peer, req.into_inner().envelopes)
            .await
            .map_err(to_status);
        let results = self
            .logged("DeliverBatch", remote, received)?
            .into_iter()
            .map(|delivered| {
                let delivered = delivered.map(reply_of).map_err(to_status);
                batch::result_of(self.logged("DeliverBatch", remote, delivered))
            })
            .collect();
        Ok(Response::new(pb::DeliverBatchReply { results }))
    }

    async fn get_directory(
        &self,
        req: Request<pb::GetDirectoryRequest>,
    ) -> Result<Response<pb::Directory>, Status> {
        let remote = remote_of(&req);
        let directory = async {
            let peer = caller(&req)?;
            calling_node(&peer)?;
            self.node
                .directory_for(&peer, req.get_ref())
                .await
                .map_err(to_status)
        }
        .await;
        Ok(Response::new(self.logged(
            "GetDirectory",
            remote,
            directory,
        )?))
    }

    async fn announce(
        &self,
        req: Request<pb::Directory>,
    ) -> Result<Response<pb::AnnounceReply>, Status> {
        let remote = remote_of(&req);
        let reply = async {
            let peer = caller(&req)?;
            calling_node(&peer)?;
            // Runs to its end even if the caller stops waiting (its call
            // timed out, under load): dropped halfway, a fetch from a hub
            // would leave its log followed and its entries not taken.
            let node = self.node.clone();
            let announced = req.into_inner();
            tokio::spawn(async move { node.take_announcement(&peer, announced).await })
                .await
                .unwrap_or_else(|e| Err(ServiceError::Internal(format!("announcement: {e}"))))
                .map_err(to_status)
        }
        .await;
        Ok(Response::new(self.logged("Announce", remote, reply)?))
    }

    async fn witnessed_head(
        &self,
        req: Request<pb::WitnessedHeadRequest>,
    ) -> Result<Response<pb::WitnessedHeadReply>, Status> {
        let remote = remote_of(&req);
        let reply = async {
            let peer = caller(&req)?;
            let node = calling_node(&peer)?;
            self.node.witnessed_head_of(node).await.map_err(to_status)
        }
        .await;
        Ok(Response::new(self.logged(
            "WitnessedHead",
            remote,
            reply,
        )?))
    }

    async fn fetch_photo(
        &self,
        req: Request<pb::FetchPhotoRequest>,
    ) -> Result<Response<pb::Photo>, Status> {
        let remote = remote_of(&req);
        let reply = async {
            let peer = caller(&req)?;
            let node = calling_node(&peer)?;
            self.node
                .answer_fetch_photo(node, req.into_inner())
                .await
                .map_err(to_status)
        }
        .await;
        Ok(Response::new(self.logged("FetchPhoto", remote, reply)?))
    }

    async fn deliver_part(
        &self,
        req: Request<pb::EnvelopePart>,
    ) -> Result<Response<pb::DeliverPartReply>, Status> {
        let remote = remote_of(&req);
        let reply = async {
            let peer = caller(&req)?;
            self.node
                .receive_part(&peer, req.into_inner())
                .await
                .map_err(to_status)
        }
        .await;
        Ok(Response::new(self.logged("DeliverPart", remote, reply)?))
    }
}
