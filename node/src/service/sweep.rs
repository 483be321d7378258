//! The deadline sweep (10.1, 10.5): a function of `now`. The scheduler calls
//! it on the wall clock; tests call it with a controllable clock. Each alert
//! is recorded once, under a unique key, so a restart or a second replica
//! running the same sweep raises nothing twice.

use iti_proto::v1 as pb;
use time::OffsetDateTime;

use super::{Actor, Node, ServiceResult, record_event};
use crate::clock::rfc3339;
use crate::deadlines::{self, Alert, Owed};
use crate::fact::{fact, text};
use crate::ids::{CaseId, ParticipantId, TraceId};
use crate::store::boxed;
use crate::store::traces::{self, TraceHead, TraceRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedAlert {
    pub trace_id: TraceId,
    pub case_id: CaseId,
    pub owed: Owed,
    pub alert: Alert,
    pub due: OffsetDateTime,
    /// Who owes it: us, or our counterpart.
    pub owed_by: ParticipantId,
}

/// Who owes the next message on a trace.
pub fn owed_by(node: &ParticipantId, trace: &TraceRow) -> ParticipantId {
    if trace.role.is_requesting() {
        trace.counterpart.clone()
    } else {
        node.clone()
    }
}

fn describe(
    me: &ParticipantId,
    trace: &TraceRow,
    owed: Owed,
    alert: Alert,
    due: OffsetDateTime,
) -> pb::Fact {
    let by = owed_by(me, trace);
    let id = match (alert, &by == me) {
        (Alert::Reminder, true) => "history-reminder-we-owe",
        (Alert::Overdue, true) => "history-overdue-ours",
        (Alert::Reminder, false) => "history-reminder-they-owe",
        (Alert::Overdue, false) => "history-overdue-theirs",
    };
    let owed = match owed {
        Owed::Acknowledgement => "acknowledgement",
        Owed::Response => "response",
    };
    fact(
        id,
        [
            text("owed", owed),
            text("counterpart", &trace.counterpart),
            text("by", by),
            text("due", rfc3339(due)),
        ],
    )
}

impl Node {
    /// Raises every reminder and overdue alert due at `now` that has not
    /// been raised before, and returns them.
    pub async fn sweep(&self, now: OffsetDateTime) -> ServiceResult<Vec<RaisedAlert>> {
        let policy = self.config.deadlines;
        let candidates =
            traces::with_deadline_before(self.store.pool(), now + policy.remind_before).await?;
        let mut planned = Vec::new();
        for trace in candidates {
            for a in deadlines::alerts_at(&policy, &trace.row().due, now) {
                planned.push((trace.clone(), a));
            }
        }
        if planned.is_empty() {
            return Ok(Vec::new());
        }
        let me = self.participant().clone();
        let raised = self
            .store
            .write(move |conn| {
                boxed(async move {
                    // One replica sweeps at a time; the unique key makes
                    // each alert fire once regardless.
                    if !traces::try_sweep_lock(conn).await? {
                        return Ok::<_, super::ServiceError>(Vec::new());
                    }
                    let mut raised = Vec::new();
                    for (head, a) in planned {
                        let trace = head.row();
                        let fresh = traces::raise_alert(
                            conn,
                            trace.trace_id,
                            a.owed.as_str(),
                            a.alert.as_str(),
                            a.due,
                            now,
                        )
                        .await?;
                        if !fresh {
                            continue;
                        }
                        let detail = describe(&me, trace, a.owed, a.alert, a.due);
                        record_event(
                            conn,
                            trace,
                            a.alert.as_str(),
                            &Actor::Node,
                            detail,
                            None,
                            now,
                        )
                        .await?;
                        raised.push(RaisedAlert {
                            trace_id: trace.trace_id,
                            case_id: trace.case_id,
                            owed: a.owed,
                            alert: a.alert,
                            due: a.due,
                            owed_by: owed_by(&me, trace),
                        });
                    }
                    Ok(raised)
                })
            })
            .await?;
        for a in &raised {
            tracing::info!(trace = %a.trace_id, owed = a.owed.as_str(), alert = a.alert.as_str(), owed_by = %a.owed_by, "deadline alert");
        }
        Ok(raised)
    }

    /// Everything overdue at `now`, on both sides.
    pub async fn overdue(
        &self,
        now: OffsetDateTime,
    ) -> ServiceResult<Vec<(TraceHead, Owed, OffsetDateTime)>> {
        let mut out = Vec::new();
        for trace in traces::with_deadline_before(self.store.pool(), now).await? {
            let due = trace.row().due;
            if let Some(due) = due.acknowledgement.filter(|d| *d <= now) {
                out.push((trace.clone(), Owed::Acknowledgement, due));
            }
            if let Some(due) = due.response.filter(|d| *d <= now) {
                out.push((trace, Owed::Response, due));
            }
        }
        Ok(out)
    }
}
