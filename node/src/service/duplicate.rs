//! A request identical to one already sent (same requester reference and
//! items) needs the officer's confirmation: without it the node refuses
//! and names the earlier trace.

use iti_proto::v1 as pb;

use super::{Node, ServiceError, ServiceResult};
use crate::case::duplicate::request_key;
use crate::store::traces;

impl Node {
    /// Refuses `request` if an identical one was already sent from here.
    pub(crate) async fn refuse_duplicate(&self, request: &pb::TraceRequest) -> ServiceResult<()> {
        let key = request_key(request);
        let Some(earlier) = traces::sent_with_key(self.store.pool(), &key).await? else {
            return Ok(());
        };
        Err(ServiceError::FailedPrecondition(format!(
            "an identical request (same requester reference and items) was already sent: \
             trace {} to {} on {} (case {}); see it with `itictl case show {}`, or send this \
             one as well with --allow-duplicate",
            earlier.trace_id,
            earlier.counterpart,
            crate::clock::rfc3339(earlier.opened_at),
            earlier.case_id,
            earlier.trace_id
        )))
    }
}
