//! Deadline maths (10.1, 10.5): what the requested point of contact owes and
//! by when, and which reminders and overdue alerts are due at a given time.
//! Pure functions of `now`; the scheduler's sweep supplies the clock and
//! records each alert once.

use std::fmt;
use std::str::FromStr;

use time::{Duration, OffsetDateTime};

use crate::case::machine::Step;

/// How long the requested point of contact has, and when to remind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadlinePolicy {
    /// 10.1: acknowledge receipt within seven days. Default 7 days.
    pub acknowledge_within: Duration,
    /// 10.5.1: respond within three weeks of receipt, as a general guide.
    /// Default 21 days.
    pub respond_within: Duration,
    /// How long before a due date to send a reminder. Default 2 days.
    pub remind_before: Duration,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            acknowledge_within: Duration::days(7),
            respond_within: Duration::days(21),
            remind_before: Duration::days(2),
        }
    }
}

/// What is still owed on a trace, and by when. `None`: nothing owed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Due {
    pub acknowledgement: Option<OffsetDateTime>,
    pub response: Option<OffsetDateTime>,
}

/// 10.1 and 10.5.1 both count from receipt of the request.
pub fn on_receipt(policy: &DeadlinePolicy, received_at: OffsetDateTime) -> Due {
    Due {
        acknowledgement: Some(received_at.saturating_add(policy.acknowledge_within)),
        response: Some(received_at.saturating_add(policy.respond_within)),
    }
}

/// The due dates after `step` is taken at `at`.
///
/// A delay without a new due date keeps the old one: the response is still
/// owed, and a delay should not silence the overdue alert.
pub fn after_step(
    policy: &DeadlinePolicy,
    due: Due,
    step: Step,
    at: OffsetDateTime,
    delay_until: Option<OffsetDateTime>,
) -> Due {
    match step {
        Step::Acknowledge => Due {
            acknowledgement: None,
            ..due
        },
        // The requested side has answered, or handed the request back (10.2),
        // or the requester has closed the trace.
        Step::Respond
        | Step::RespondRestricted
        | Step::Refuse
        | Step::ReturnForCompletion
        | Step::Close => Due::default(),
        // 10.5.2: a delay moves the response due date. Delaying is an answer
        // in itself, so it also stands for the acknowledgement.
        Step::Delay => Due {
            acknowledgement: None,
            response: delay_until.or(due.response),
        },
        // A resubmitted request is a new receipt: the clock starts again.
        Step::Resubmit => on_receipt(policy, at),
        Step::Send | Step::Deliver | Step::RequestClarification | Step::AnswerClarification => due,
    }
}

/// What the requested point of contact owes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owed {
    Acknowledgement,
    Response,
}

impl Owed {
    pub fn as_str(self) -> &'static str {
        match self {
            Owed::Acknowledgement => "acknowledgement",
            Owed::Response => "response",
        }
    }
}

/// The two alerts of a due date: ahead of it, and once it has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alert {
    Reminder,
    Overdue,
}

impl Alert {
    pub fn as_str(self) -> &'static str {
        match self {
            Alert::Reminder => "reminder",
            Alert::Overdue => "overdue",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{0:?} is not something owed: use acknowledgement or response")]
    Owed(String),
    #[error("{0:?} is not an alert: use reminder or overdue")]
    Alert(String),
}

impl FromStr for Owed {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "acknowledgement" => Ok(Owed::Acknowledgement),
            "response" => Ok(Owed::Response),
            _ => Err(ParseError::Owed(s.to_string())),
        }
    }
}

impl FromStr for Alert {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "reminder" => Ok(Alert::Reminder),
            "overdue" => Ok(Alert::Overdue),
            _ => Err(ParseError::Alert(s.to_string())),
        }
    }
}

impl fmt::Display for Owed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One alert that is due: what is owed, which alert, and the due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DueAlert {
    pub owed: Owed,
    pub alert: Alert,
    pub due: OffsetDateTime,
}

/// Every alert that applies at `now`: a reminder from `remind_before` ahead
/// of a due date, and an overdue alert from the due date on. Both may apply
/// at once (a sweep that ran late); the caller records each alert once.
pub fn alerts_at(policy: &DeadlinePolicy, due: &Due, now: OffsetDateTime) -> Vec<DueAlert> {
    let owed = [
        (Owed::Acknowledgement, due.acknowledgement),
        (Owed::Response, due.response),
    ];
    let mut alerts = Vec::new();
    for (owed, at) in owed {
        let Some(at) = at else { continue };
        if now >= at.saturating_sub(policy.remind_before) {
            alerts.push(DueAlert {
                owed,
                alert: Alert::Reminder,
                due: at,
            });
        }
        if now >= at {
            alerts.push(DueAlert {
                owed,
                alert: Alert::Overdue,
                due: at,
            });
        }
    }
    alerts
}

/// The due dates a receipt starts, less what the partner has already given
/// in `state`; a delay's date (in `current`) is kept.
pub fn still_owed(from_receipt: Due, state: crate::case::machine::TraceState, current: Due) -> Due {
    use crate::case::machine::TraceState as S;
    match state {
        S::Drafted | S::Sent | S::Delivered | S::Resubmitted => from_receipt,
        S::Acknowledged | S::ClarificationRequested | S::ClarificationAnswered => Due {
            acknowledgement: None,
            response: from_receipt.response,
        },
        S::Delayed => Due {
            acknowledgement: None,
            response: current.response.or(from_receipt.response),
        },
        S::Responded
        | S::RespondedRestricted
        | S::Refused
        | S::ReturnedForCompletion
        | S::Closed => Due::default(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid timestamp")
    }

    fn day(n: i64) -> OffsetDateTime {
        t0() + Duration::days(n)
    }

    fn kinds(alerts: &[DueAlert]) -> Vec<(Owed, Alert)> {
        alerts.iter().map(|a| (a.owed, a.alert)).collect()
    }

    #[test]
    fn default_policy_is_seven_days_three_weeks_and_two_days_notice() {
        let p = DeadlinePolicy::default();
        assert_eq!(p.acknowledge_within, Duration::days(7));
        assert_eq!(p.respond_within, Duration::days(21));
        assert_eq!(p.remind_before, Duration::days(2));
    }

    #[test]
    fn receipt_starts_both_clocks() {
        let due = on_receipt(&DeadlinePolicy::default(), t0());
        assert_eq!(
            due,
            Due {
                acknowledgement: Some(day(7)),
                response: Some(day(21)),
            }
        );
    }

    #[test]
    fn acknowledging_clears_only_the_acknowledgement() {
        let p = DeadlinePolicy::default();
        let due = after_step(&p, on_receipt(&p, t0()), Step::Acknowledge, day(1), None);
        assert_eq!(due.acknowledgement, None);
        assert_eq!(due.response, Some(day(21)));
    }

    #[test]
    fn answering_returning_or_closing_clears_everything() {
        let p = DeadlinePolicy::default();
        for step in [
            Step::Respond,
            Step::RespondRestricted,
            Step::Refuse,
            Step::ReturnForCompletion,
            Step::Close,
        ] {
            let due = after_step(&p, on_receipt(&p, t0()), step, day(3), None);
            assert_eq!(due, Due::default(), "{step}");
        }
    }

    #[test]
    fn delay_moves_the_response_due_date_and_stands_for_acknowledgement() {
        let p = DeadlinePolicy::default();
        let due = after_step(&p, on_receipt(&p, t0()), Step::Delay, day(5), Some(day(60)));
        assert_eq!(
            due,
            Due {
                acknowledgement: None,
                response: Some(day(60)),
            }
        );
    }

    #[test]
    fn delay_without_a_new_date_keeps_the_response_due() {
        let p = DeadlinePolicy::default();
        let due = after_step(&p, on_receipt(&p, t0()), Step::Delay, day(5), None);
        assert_eq!(due.response, Some(day(21)));
        assert_eq!(due.acknowledgement, None);
    }

    #[test]
    fn resubmission_restarts_both_clocks_from_its_arrival() {
        let p = DeadlinePolicy::default();
        let returned = after_step(
            &p,
            on_receipt(&p, t0()),
            Step::ReturnForCompletion,
            day(2),
            None,
        );
        let due = after_step(&p, returned, Step::Resubmit, day(10), None);
        assert_eq!(due, on_receipt(&p, day(10)));
    }

    #[test]
    fn other_steps_leave_the_due_dates_alone() {
        let p = DeadlinePolicy::default();
        let due = on_receipt(&p, t0());
        for step in [
            Step::Send,
            Step::Deliver,
            Step::RequestClarification,
            Step::AnswerClarification,
        ] {
            assert_eq!(
                after_step(&p, due, step, day(4), Some(day(90))),
                due,
                "{step}"
            );
        }
    }

    #[test]
    fn nothing_is_due_well_before_the_due_dates() {
        let p = DeadlinePolicy::default();
        let due = on_receipt(&p, t0());
        assert!(alerts_at(&p, &due, day(4)).is_empty());
        assert!(alerts_at(&p, &Due::default(), day(400)).is_empty());
    }

    #[test]
    fn reminder_comes_two_days_before_and_overdue_on_the_due_date() {
        let p = DeadlinePolicy::default();
        let due = on_receipt(&p, t0());
        let just_before = day(5) - Duration::seconds(1);
        assert!(alerts_at(&p, &due, just_before).is_empty());
        assert_eq!(
            alerts_at(&p, &due, day(5)),
            [DueAlert {
                owed: Owed::Acknowledgement,
                alert: Alert::Reminder,
                due: day(7),
            }]
        );
        assert_eq!(
            kinds(&alerts_at(&p, &due, day(7))),
            [
                (Owed::Acknowledgement, Alert::Reminder),
                (Owed::Acknowledgement, Alert::Overdue)
            ]
        );
        assert_eq!(
            kinds(&alerts_at(&p, &due, day(21))),
            [
                (Owed::Acknowledgement, Alert::Reminder),
                (Owed::Acknowledgement, Alert::Overdue),
                (Owed::Response, Alert::Reminder),
                (Owed::Response, Alert::Overdue),
            ]
        );
    }

    #[test]
    fn acknowledged_trace_is_only_reminded_of_its_response() {
        let p = DeadlinePolicy::default();
        let due = after_step(&p, on_receipt(&p, t0()), Step::Acknowledge, day(1), None);
        assert_eq!(
            kinds(&alerts_at(&p, &due, day(19))),
            [(Owed::Response, Alert::Reminder)]
        );
    }

    #[test]
    fn names_round_trip() {
        for owed in [Owed::Acknowledgement, Owed::Response] {
            assert_eq!(owed.as_str().parse::<Owed>(), Ok(owed));
        }
        for alert in [Alert::Reminder, Alert::Overdue] {
            assert_eq!(alert.as_str().parse::<Alert>(), Ok(alert));
        }
        assert_eq!(
            "Response".parse::<Owed>(),
            Err(ParseError::Owed("Response".into()))
        );
        assert_eq!(
            "late".parse::<Alert>(),
            Err(ParseError::Alert("late".into()))
        );
    }

    /// Times within about ten years of t0, at second resolution.
    fn instant() -> impl Strategy<Value = OffsetDateTime> {
        (-300_000_000i64..300_000_000).prop_map(|s| t0() + Duration::seconds(s))
    }

    fn policy() -> impl Strategy<Value = DeadlinePolicy> {
        (0i64..60, 0i64..120, 0i64..30).prop_map(|(ack, respond, remind)| DeadlinePolicy {
            acknowledge_within: Duration::days(ack),
            respond_within: Duration::days(respond),
            remind_before: Duration::days(remind),
        })
    }

    fn due() -> impl Strategy<Value = Due> {
        (
            proptest::option::of(instant()),
            proptest::option::of(instant()),
        )
            .prop_map(|(acknowledgement, response)| Due {
                acknowledgement,
                response,
            })
    }

    proptest! {
        #[test]
        fn alerts_once_due_stay_due(
            policy in policy(),
            due in due(),
            now in instant(),
            later_by in 0i64..100_000_000,
        ) {
            let later = now + Duration::seconds(later_by);
            let before = alerts_at(&policy, &due, now);
            let after = alerts_at(&policy, &due, later);
            for alert in &before {
                prop_assert!(after.contains(alert), "{alert:?} at {now} but not at {later}");
            }
        }

        #[test]
        fn nothing_is_overdue_before_its_due_date(
            policy in policy(),
            due in due(),
            now in instant(),
        ) {
            for alert in alerts_at(&policy, &due, now) {
                if alert.alert == Alert::Overdue {
                    prop_assert!(now >= alert.due);
                }
                prop_assert!(now >= alert.due - policy.remind_before);
            }
        }

        #[test]
        fn receipt_gives_due_dates_after_the_receipt(policy in policy(), at in instant()) {
            let due = on_receipt(&policy, at);
            prop_assert_eq!(due.acknowledgement, Some(at + policy.acknowledge_within));
            prop_assert_eq!(due.response, Some(at + policy.respond_within));
        }
    }
}
