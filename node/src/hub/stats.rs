//! A hub operator's figures per member (clause 11): requests relayed,
//! pending and overdue, and the median time to acknowledgement and to
//! response, from the headers the hub relayed (it never reads content for
//! this).

use std::collections::{BTreeMap, HashMap};

use iti_proto::v1 as pb;
use time::OffsetDateTime;

use crate::ids::ParticipantId;
use crate::service::{Node, ServiceResult};
use crate::store::hub::{self, RelayRow};
use crate::store::traces;

#[derive(Default)]
struct TraceTimes {
    requester: Option<String>,
    requested: Option<String>,
    requested_at: Option<OffsetDateTime>,
    acknowledged_at: Option<OffsetDateTime>,
    answered_at: Option<OffsetDateTime>,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Figures per member from the relay log. `members` are the states the hub
/// serves; `respond_within` decides what counts as overdue.
pub fn member_stats(
    log: &[RelayRow],
    members: &[ParticipantId],
    on_behalf: &HashMap<String, u64>,
    respond_within: time::Duration,
    now: OffsetDateTime,
) -> Vec<pb::MemberStats> {
    let mut by_trace: HashMap<&str, TraceTimes> = HashMap::new();
    let mut relayed: BTreeMap<String, u64> = BTreeMap::new();
    for row in log {
        let t = by_trace.entry(row.trace_id.as_str()).or_default();
        let kind = pb::PayloadKind::try_from(row.kind).unwrap_or(pb::PayloadKind::Unspecified);
        for p in [&row.origin, &row.destination] {
            *relayed.entry(p.clone()).or_default() += u64::from(kind == pb::PayloadKind::Request);
        }
        match kind {
            pb::PayloadKind::Request => {
                t.requester.get_or_insert_with(|| row.origin.clone());
                t.requested.get_or_insert_with(|| row.destination.clone());
                t.requested_at.get_or_insert(row.received_at);
            }
            pb::PayloadKind::Acknowledgement => {
                t.acknowledged_at.get_or_insert(row.received_at);
            }
            pb::PayloadKind::Response | pb::PayloadKind::Refusal => {
                t.answered_at.get_or_insert(row.received_at);
            }
            _ => {}
        }
    }
    members
        .iter()
        .map(|m| {
            let m = m.to_string();
            let mut pending = 0;
            let mut overdue = 0;
            let mut ack = Vec::new();
            let mut resp = Vec::new();
            for t in by_trace.values() {
                let involved =
                    t.requester.as_deref() == Some(&m) || t.requested.as_deref() == Some(&m);
                let Some(start) = t.requested_at.filter(|_| involved) else {
                    continue;
                };
                // Times are those of the member as the requested state.
                if t.requested.as_deref() == Some(&m) {
                    if let Some(a) = t.acknowledged_at {
                        ack.push((a - start).as_seconds_f64());
                    }
                    if let Some(a) = t.answered_at {
                        resp.push((a - start).as_seconds_f64());
                    }
                }
                if t.answered_at.is_none() {
                    pending += 1;
                    if now - start > respond_within {
                        overdue += 1;
                    }
                }
            }
            pb::MemberStats {
                relayed: relayed.get(&m).copied().unwrap_or(0),
                pending,
                overdue,
                median_ack_seconds: median(ack),
                median_response_seconds: median(resp),
                on_behalf: on_behalf.get(&m).copied().unwrap_or(0),
                member: m,
            }
        })
        .collect()
}

impl Node {
    /// The states this hub serves (clause 11): those its published directory
    /// entry names (a state pinned for direct exchange is not a member);
    /// before it has published one, the states it is peered with.
    async fn members(&self) -> Vec<ParticipantId> {
        if let Some(declared) = declared_members(self).await {
            return declared;
        }
        self.peering
            .peers()
            .into_iter()
            .map(|p| p.participant)
            .filter(|p| p.state().is_some())
            .collect()
    }

    pub async fn hub_stats(&self) -> ServiceResult<Vec<pb::MemberStats>> {
        let log = hub::relay_log(self.store.pool()).await?;
        let mut members = self.members().await;
        members.sort();
        let mut on_behalf = HashMap::new();
        for t in traces::all(self.store.pool()).await? {
            if let (crate::case::role::TraceRole::OnBehalf, Some(member)) =
                (t.role, &t.on_behalf_of)
            {
                *on_behalf.entry(member.to_string()).or_insert(0u64) += 1;
            }
        }
        Ok(member_stats(
            &log,
            &members,
            &on_behalf,
            self.config.deadlines.respond_within,
            self.now(),
        ))
    }
}

/// The states the hub's own published entry says it serves.
async fn declared_members(node: &Node) -> Option<Vec<ParticipantId>> {
    use prost::Message;
    let signed = crate::hub::learning::own_entry(node).await?;
    let entry = pb::DirectoryEntry::decode(signed.entry.as_slice()).ok()?;
    let served = entry.serves.iter().filter_map(|s| s.parse().ok());
    Some(
        served
            .filter(|p: &ParticipantId| p.state().is_some())
            .collect(),
    )
}
