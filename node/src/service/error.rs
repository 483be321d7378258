//! What can go wrong serving a request, as types. `api::status` maps these to
//! gRPC codes in one exhaustive match.

use crate::case::machine::IllegalTransition;
use crate::ids::TraceId;
use crate::policy::gate::Refusal;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input, naming the field.
    #[error("{field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    #[error("{0}")]
    NotFound(String),
    /// The request is valid but the case is not in a state that allows it.
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    PermissionDenied(String),
    /// The release gate refused a use that needs the whole content
    /// (forwarding, exporting, sending a draft), naming every rule in the
    /// way; a drafted follow-up (`draft`) may still go in two other ways.
    /// Kept whole so that each exit (gRPC, console) can explain it.
    #[error("{}", refused_text(.refusal, .draft))]
    Refused {
        refusal: Box<Refusal>,
        draft: Option<TraceId>,
    },
    /// The database is away or busy (failing over, say): worth trying again.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Another participant this node needed for the answer (the state
    /// that holds a photograph, or the hub on the way to it) could not be
    /// reached: worth trying again later. The message says who.
    #[error("{0}")]
    Unreachable(String),
    /// The database connection was lost while the change was being
    /// committed: it may or may not have been saved.
    #[error("outcome unknown: {0}")]
    OutcomeUnknown(String),
    /// Not now: the sender should try again shortly (a report about an
    /// envelope whose outcome this node is still recording, say).
    #[error("{0}")]
    NotYet(String),
    /// An envelope whose origin this node has not learned yet (directories
    /// still propagating): not a refusal, the sender retries.
    #[error(
        "unknown origin {origin}: this node has not learned {origin}'s certificate authority yet \
         (directories are still propagating; it asked {asked}); send it again later"
    )]
    UnknownOrigin {
        origin: crate::ids::ParticipantId,
        asked: String,
    },
    /// Never shown to the caller: logged, answered with a generic message.
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ServiceError::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A gate's refusal, and for a draft the two ways forward, as `itictl`
/// offers them.
fn refused_text(refusal: &Refusal, draft: &Option<TraceId>) -> String {
    match draft {
        None => refusal.to_string(),
        Some(draft) => format!(
            "{refusal}. Either ask the provider's consent, and the draft goes once it is granted \
             (itictl request send {draft} --ask-consent --justification \"...\"), or send it \
             without those fields if it is still a valid request (itictl request send {draft} \
             --without-restricted)"
        ),
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::OutcomeUnknown(_) => ServiceError::OutcomeUnknown(e.to_string()),
            e if e.is_duplicate_trace() => {
                ServiceError::FailedPrecondition("this trace already exists here".into())
            }
            e if e.is_transient() => ServiceError::Unavailable(e.to_string()),
            e => ServiceError::Internal(e.to_string()),
        }
    }
}

impl From<crate::bounds::BoundsError> for ServiceError {
    fn from(e: crate::bounds::BoundsError) -> Self {
        ServiceError::InvalidArgument {
            field: e.field,
            reason: e.reason,
        }
    }
}

impl From<IllegalTransition> for ServiceError {
    fn from(e: IllegalTransition) -> Self {
        ServiceError::FailedPrecondition(e.to_string())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
