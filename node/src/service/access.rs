//! Which officer roles may use which local operations. Content is further
//! filtered by markings (policy); this decides who may ask at all.

use super::{ServiceError, ServiceResult};
use crate::identity::{Identity, Officer, Role};
use crate::ids::ParticipantId;

/// The calling officer of our own participant, from the identity of a
/// verified certificate; node certificates and other states' officers are
/// refused. The one check of the local port and the console.
pub fn officer_of(identity: Identity, own: &ParticipantId) -> ServiceResult<Officer> {
    match identity {
        Identity::Officer(o) if &o.participant == own => Ok(o),
        Identity::Officer(o) => Err(ServiceError::PermissionDenied(format!(
            "{o} is an officer of {}, not of {own}",
            o.participant
        ))),
        Identity::Node(p) => Err(ServiceError::PermissionDenied(format!(
            "node certificates ({p}) are not accepted here; use an officer certificate"
        ))),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// See traces and cases (content filtered by role and marking).
    ReadCases,
    /// Send, answer and otherwise act on traces.
    ActOnCases,
    /// Pass received information on, or export it.
    UseInformation,
    ReadOutbox,
    ReadAudit,
    Administer,
    ReadHubFigures,
    FeedRegister,
}

pub fn allowed(role: Role, op: Operation) -> bool {
    use Operation as O;
    use Role as R;
    match op {
        O::ReadCases => true,
        O::ActOnCases | O::UseInformation => role == R::Poc,
        O::ReadOutbox => matches!(role, R::Poc | R::Admin | R::Auditor),
        O::ReadAudit => matches!(role, R::Auditor | R::Admin | R::Poc),
        O::Administer => role == R::Admin,
        O::ReadHubFigures => matches!(role, R::Admin | R::Analyst | R::Poc),
        O::FeedRegister => matches!(role, R::Poc | R::Admin),
    }
}

pub fn require(officer: &Officer, op: Operation) -> ServiceResult<()> {
    if allowed(officer.role, op) {
        Ok(())
    } else {
        Err(ServiceError::PermissionDenied(format!(
            "role {} may not {}",
            officer.role,
            match op {
                Operation::ReadCases => "read cases",
                Operation::ActOnCases => "act on traces (point of contact only)",
                Operation::UseInformation =>
                    "forward or export information (point of contact only)",
                Operation::ReadOutbox => "read the outbox",
                Operation::ReadAudit => "read the audit trail",
                Operation::Administer => "administer the node (admin only)",
                Operation::ReadHubFigures => "read hub figures",
                Operation::FeedRegister => "feed the lost/stolen register",
            }
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_administer_and_only_points_of_contact_act() {
        for role in Role::ALL {
            assert_eq!(allowed(role, Operation::Administer), role == Role::Admin);
            assert_eq!(allowed(role, Operation::ActOnCases), role == Role::Poc);
            assert!(allowed(role, Operation::ReadCases));
        }
        assert!(!allowed(Role::Analyst, Operation::ReadAudit));
        assert!(allowed(Role::Auditor, Operation::ReadAudit));
    }
}
