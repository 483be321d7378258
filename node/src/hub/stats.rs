//! A hub operator's figures per member (clause 11): requests relayed,
//! pending and overdue, and the median time to acknowledgement and to
//! response, from the headers the hub relayed (it never reads content for
//! this).

use std::collections::{BTreeMap, HashMap};

use iti_proto::v1 as pb;
use time::OffsetDateTime;

use crate::clock::to_timestamp;
use crate::ids::ParticipantId;
use crate::service::{Node, ServiceResult};
use crate::store::hub::{self, RelayRow};
use crate::store::{outbox, traces};

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

/// What the relay log says of each trace, and how many requests each
/// participant was party to.
fn trace_times(log: &[RelayRow]) -> (HashMap<&str, TraceTimes>, BTreeMap<String, u64>) {
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
    (by_trace, relayed)
}

impl TraceTimes {
    /// When `member` was party to this trace's request.
    fn started_for(&self, member: &str) -> Option<OffsetDateTime> {
        let involved =
            self.requester.as_deref() == Some(member) || self.requested.as_deref() == Some(member);
        self.requested_at.filter(|_| involved)
    }

    /// Requested by `at`, and not yet answered then.
    fn pending_at(&self, start: OffsetDateTime, at: OffsetDateTime) -> bool {
        start <= at && self.answered_at.is_none_or(|a| a > at)
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
    let (by_trace, relayed) = trace_times(log);
    members
        .iter()
        .map(|m| {
            let m = m.to_string();
            let mut pending = 0;
            let mut overdue = 0;
            let mut ack = Vec::new();
            let mut resp = Vec::new();
            for t in by_trace.values() {
                let Some(start) = t.started_for(&m) else {
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
                days: member_days(&by_trace, &m, respond_within, now),
                member: m,
                ..Default::default()
            }
        })
        .collect()
}

/// How many days of history a member's figures carry.
pub const HISTORY_DAYS: i64 = 14;

/// The member's figures for each of the last `HISTORY_DAYS` days (UTC),
/// oldest first: requests relayed that day, then pending and overdue at the
/// day's end (now, for today).
fn member_days(
    by_trace: &HashMap<&str, TraceTimes>,
    member: &str,
    respond_within: time::Duration,
    now: OffsetDateTime,
) -> Vec<pb::MemberDay> {
    let today = now.date();
    (0..HISTORY_DAYS)
        .rev()
        .map(|back| {
            let day = today - time::Duration::days(back);
            let start = day.midnight().assume_utc();
            let end = (start + time::Duration::DAY).min(now);
            let mut figures = pb::MemberDay {
                day: day.to_string(),
                ..Default::default()
            };
            for t in by_trace.values() {
                let Some(requested) = t.started_for(member) else {
                    continue;
                };
                figures.relayed += u64::from(requested >= start && requested < end);
                if t.pending_at(requested, end) {
                    figures.pending += 1;
                    figures.overdue += u64::from(end - requested > respond_within);
                }
            }
            figures
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
        for head in traces::all(self.store.pool()).await? {
            let t = head.row();
            if let (crate::case::role::TraceRole::OnBehalf, Some(member)) =
                (t.role, &t.on_behalf_of)
            {
                *on_behalf.entry(member.to_string()).or_insert(0u64) += 1;
            }
        }
        let mut stats = member_stats(
            &log,
            &members,
            &on_behalf,
            self.config.deadlines.respond_within,
            self.now(),
        );
        let failing = outbox::failing_hops(self.store.pool()).await?;
        for m in &mut stats {
            if let Some(hop) = failing.iter().find(|h| h.hop == m.member) {
                m.unreachable_since = Some(to_timestamp(hop.since));
                m.waiting = hop.waiting;
            }
        }
        Ok(stats)
    }
}

/// The states the hub's own published entry says it serves.
async fn declared_members(node: &Node) -> Option<Vec<ParticipantId>> {
    use prost::Message;
    let signed = node.own_entry().await.ok()??;
    let entry = pb::DirectoryEntry::decode(signed.entry.as_slice()).ok()?;
    let served = entry.serves.iter().filter_map(|s| s.parse().ok());
    Some(
        served
            .filter(|p: &ParticipantId| p.state().is_some())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn row(trace: &str, kind: pb::PayloadKind, at: OffsetDateTime) -> RelayRow {
        RelayRow {
            trace_id: trace.into(),
            origin: "GHA".into(),
            destination: "BEL".into(),
            kind: kind as i32,
            received_at: at,
        }
    }

    #[test]
    fn each_day_counts_what_was_relayed_and_what_was_pending_or_overdue_at_its_end() {
        let now = datetime!(2026-12-10 15:00 UTC);
        let log = [
            row(
                "a",
                pb::PayloadKind::Request,
                datetime!(2026-12-07 10:00 UTC),
            ),
            row(
                "a",
                pb::PayloadKind::Response,
                datetime!(2026-12-09 12:00 UTC),
            ),
            row(
                "b",
                pb::PayloadKind::Request,
                datetime!(2026-12-10 09:00 UTC),
            ),
        ];
        let members = ["BEL".parse().unwrap()];
        let stats = member_stats(&log, &members, &HashMap::new(), time::Duration::DAY, now);
        let days = &stats[0].days;
        assert_eq!(days.len(), HISTORY_DAYS as usize);
        let figures = |day: &str| {
            let d = days.iter().find(|d| d.day == day).expect(day);
            (d.relayed, d.pending, d.overdue)
        };
        assert_eq!(figures("2026-12-06"), (0, 0, 0));
        // Requested at 10:00: pending at midnight, 14 h old, not overdue.
        assert_eq!(figures("2026-12-07"), (1, 1, 0));
        // 38 h old at the end of the 8th: overdue.
        assert_eq!(figures("2026-12-08"), (0, 1, 1));
        // Answered on the 9th.
        assert_eq!(figures("2026-12-09"), (0, 0, 0));
        // Today ends now: b is 6 h old.
        assert_eq!(figures("2026-12-10"), (1, 1, 0));
        assert_eq!(days.last().unwrap().day, "2026-12-10");
    }
}
