//! gRPC adapters: read the caller's verified identity, convert protobuf into
//! domain calls, and map errors to statuses in one place. No SQL, no policy.

pub mod federation;
pub mod local;
pub mod paging;
pub mod records;
pub mod reflection;

use tonic::{Request, Status};

use crate::identity::tls::PeerInfo;
use crate::identity::{Identity, Officer};
use crate::ids::ParticipantId;
use crate::service::ServiceError;

/// The one mapping from service errors to gRPC statuses. Internal errors are
/// logged here and reach the caller only as a generic message.
pub fn to_status(e: ServiceError) -> Status {
    match e {
        ServiceError::InvalidArgument { field, reason } => {
            Status::invalid_argument(format!("{field}: {reason}"))
        }
        ServiceError::NotFound(m) => Status::not_found(m),
        ServiceError::FailedPrecondition(m) => Status::failed_precondition(m),
        ServiceError::PermissionDenied(m) => Status::permission_denied(m),
        ServiceError::Refused { .. } => Status::permission_denied(e.to_string()),
        ServiceError::Unavailable(m) => {
            tracing::warn!(error = %m, "database unavailable");
            Status::unavailable("the node's database is unavailable now; try again shortly")
        }
        ServiceError::OutcomeUnknown(m) => {
            tracing::warn!(error = %m, "a commit's outcome is unknown");
            Status::unavailable(
                "the node lost its database connection while saving this change: it may or may \
                 not have been saved; look (itictl cases, case show) before doing it again",
            )
        }
        ServiceError::NotYet(m) | ServiceError::Unreachable(m) => Status::unavailable(m),
        ServiceError::UnknownOrigin { ref origin, .. } => {
            let mut status = Status::unavailable(e.to_string());
            if let Ok(value) = origin.to_string().parse() {
                status
                    .metadata_mut()
                    .insert(crate::envelope::UNKNOWN_ORIGIN_METADATA, value);
            }
            status
        }
        ServiceError::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            Status::internal("internal error; the node's log has the details")
        }
    }
}

/// The caller's identity, from the certificate verified during the handshake.
pub fn caller<T>(req: &Request<T>) -> Result<Identity, Status> {
    req.extensions()
        .get::<PeerInfo>()
        .map(|p| p.identity.clone())
        .ok_or_else(|| Status::unauthenticated("no verified client certificate"))
}

/// The calling officer of our own participant; node certificates are refused.
pub fn officer<T>(req: &Request<T>, own: &ParticipantId) -> Result<Officer, Status> {
    crate::service::access::officer_of(caller(req)?, own).map_err(to_status)
}
