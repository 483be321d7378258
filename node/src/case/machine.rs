//! The lifecycle of one trace: one request to one requested state, mirrored
//! by the requester and the requested state. Each side records the same
//! steps, so both run this machine and agree on where the trace stands.
//!
//! The steps follow clauses 9 and 10: the request is sent (9.2), acknowledged
//! (10.1), returned for completion and resubmitted (10.2), answered in full
//! or with restrictions, delayed or refused (10.4, 10.5.2), and the requester
//! may seek clarification of a delay, restriction or refusal (10.5.2, last
//! sentence) or of a response. Only the requester closes a trace.

use std::fmt;
use std::str::FromStr;

/// Where a trace stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TraceState {
    /// Written by the requesting point of contact, not yet sent.
    Drafted,
    Sent,
    /// The requested state's node has confirmed receipt of the envelope.
    Delivered,
    /// 10.1: the requested point of contact has acknowledged receipt.
    Acknowledged,
    /// 10.2: returned with a request to resubmit it with the missing elements.
    ReturnedForCompletion,
    Resubmitted,
    /// 10.4: the information sought has been provided.
    Responded,
    /// 10.5.2: a response whose content is restricted.
    RespondedRestricted,
    /// 10.5.2: the response is delayed, with a reason and a new due date.
    Delayed,
    /// 10.5.2: the requested state refuses to provide the information sought.
    Refused,
    /// 10.5.2: the requester has sought clarification of an explanation.
    ClarificationRequested,
    ClarificationAnswered,
    Closed,
}

impl TraceState {
    pub const ALL: [TraceState; 13] = [
        TraceState::Drafted,
        TraceState::Sent,
        TraceState::Delivered,
        TraceState::Acknowledged,
        TraceState::ReturnedForCompletion,
        TraceState::Resubmitted,
        TraceState::Responded,
        TraceState::RespondedRestricted,
        TraceState::Delayed,
        TraceState::Refused,
        TraceState::ClarificationRequested,
        TraceState::ClarificationAnswered,
        TraceState::Closed,
    ];

    /// The stored name, in snake case ("returned_for_completion").
    pub fn as_str(self) -> &'static str {
        match self {
            TraceState::Drafted => "drafted",
            TraceState::Sent => "sent",
            TraceState::Delivered => "delivered",
            TraceState::Acknowledged => "acknowledged",
            TraceState::ReturnedForCompletion => "returned_for_completion",
            TraceState::Resubmitted => "resubmitted",
            TraceState::Responded => "responded",
            TraceState::RespondedRestricted => "responded_restricted",
            TraceState::Delayed => "delayed",
            TraceState::Refused => "refused",
            TraceState::ClarificationRequested => "clarification_requested",
            TraceState::ClarificationAnswered => "clarification_answered",
            TraceState::Closed => "closed",
        }
    }

    /// How the state reads in a sentence about a trace ("a trace that is
    /// awaiting clarification").
    pub fn describe(self) -> &'static str {
        match self {
            TraceState::Drafted => "drafted",
            TraceState::Sent => "sent",
            TraceState::Delivered => "delivered",
            TraceState::Acknowledged => "acknowledged",
            TraceState::ReturnedForCompletion => "returned for completion",
            TraceState::Resubmitted => "resubmitted",
            TraceState::Responded => "responded to",
            TraceState::RespondedRestricted => "responded to with restrictions",
            TraceState::Delayed => "delayed",
            TraceState::Refused => "refused",
            TraceState::ClarificationRequested => "awaiting clarification",
            TraceState::ClarificationAnswered => "clarified",
            TraceState::Closed => "closed",
        }
    }
}

impl fmt::Display for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a trace state")]
pub struct UnknownTraceState(pub String);

impl FromStr for TraceState {
    type Err = UnknownTraceState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TraceState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownTraceState(s.to_string()))
    }
}

/// The side of a trace that takes a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The requesting point of contact.
    Requester,
    /// The point of contact of the requested state.
    Requested,
}

/// Something one side does to a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Send,
    /// The requester records the requested node's delivery receipt.
    Deliver,
    Acknowledge,
    ReturnForCompletion,
    Resubmit,
    Respond,
    RespondRestricted,
    Delay,
    Refuse,
    RequestClarification,
    AnswerClarification,
    Close,
}

impl Step {
    pub const ALL: [Step; 12] = [
        Step::Send,
        Step::Deliver,
        Step::Acknowledge,
        Step::ReturnForCompletion,
        Step::Resubmit,
        Step::Respond,
        Step::RespondRestricted,
        Step::Delay,
        Step::Refuse,
        Step::RequestClarification,
        Step::AnswerClarification,
        Step::Close,
    ];

    /// A verb phrase that takes "a trace" as its object ("acknowledge",
    /// "respond to").
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Send => "send",
            Step::Deliver => "deliver",
            Step::Acknowledge => "acknowledge",
            Step::ReturnForCompletion => "return for completion",
            Step::Resubmit => "resubmit",
            Step::Respond => "respond to",
            Step::RespondRestricted => "respond with restrictions to",
            Step::Delay => "delay",
            Step::Refuse => "refuse",
            Step::RequestClarification => "request clarification on",
            Step::AnswerClarification => "answer clarification on",
            Step::Close => "close",
        }
    }

    pub fn taken_by(self) -> Side {
        match self {
            // Delivery is recorded by the requester, from the receipt.
            Step::Send
            | Step::Deliver
            | Step::Resubmit
            | Step::RequestClarification
            | Step::Close => Side::Requester,
            Step::Acknowledge
            | Step::ReturnForCompletion
            | Step::Respond
            | Step::RespondRestricted
            | Step::Delay
            | Step::Refuse
            | Step::AnswerClarification => Side::Requested,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a step of a trace")]
pub struct UnknownStep(pub String);

impl FromStr for Step {
    type Err = UnknownStep;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Step::ALL
            .into_iter()
            .find(|step| step.as_str() == s)
            .ok_or_else(|| UnknownStep(s.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {step} a trace that is {}", from.describe())]
pub struct IllegalTransition {
    pub from: TraceState,
    pub step: Step,
}

/// The state a trace reaches when `step` is taken from `from`.
pub fn transition(from: TraceState, step: Step) -> Result<TraceState, IllegalTransition> {
    use Step as S;
    use TraceState as T;
    let to = match (from, step) {
        (T::Drafted, S::Send) => T::Sent,
        (T::Sent, S::Deliver) => T::Delivered,
        // 10.1
        (T::Sent | T::Delivered | T::Resubmitted, S::Acknowledge) => T::Acknowledged,
        // 10.2: completeness is checked first, before or after acknowledging.
        (T::Sent | T::Delivered | T::Acknowledged | T::Resubmitted, S::ReturnForCompletion) => {
            T::ReturnedForCompletion
        }
        (T::ReturnedForCompletion, S::Resubmit) => T::Resubmitted,
        // 10.4, 10.5.2: a restricted response may later be completed or
        // withdrawn into a refusal.
        (
            T::Acknowledged
            | T::Delayed
            | T::ClarificationRequested
            | T::ClarificationAnswered
            | T::RespondedRestricted,
            S::Respond,
        ) => T::Responded,
        (
            T::Acknowledged
            | T::Delayed
            | T::ClarificationRequested
            | T::ClarificationAnswered
            | T::RespondedRestricted,
            S::RespondRestricted,
        ) => T::RespondedRestricted,
        (
            T::Acknowledged | T::Delayed | T::ClarificationRequested | T::ClarificationAnswered,
            S::Delay,
        ) => T::Delayed,
        (
            T::Acknowledged
            | T::Delayed
            | T::ClarificationRequested
            | T::ClarificationAnswered
            | T::RespondedRestricted,
            S::Refuse,
        ) => T::Refused,
        // 10.5.2, last sentence.
        (
            T::Delayed
            | T::Responded
            | T::RespondedRestricted
            | T::Refused
            | T::ClarificationAnswered,
            S::RequestClarification,
        ) => T::ClarificationRequested,
        (T::ClarificationRequested, S::AnswerClarification) => T::ClarificationAnswered,
        (from, S::Close) if from != T::Closed => T::Closed,
        (from, step) => return Err(IllegalTransition { from, step }),
    };
    Ok(to)
}

/// The steps that may be taken from `from`, in declaration order.
pub fn allowed_steps(from: TraceState) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|step| transition(from, *step).is_ok())
        .collect()
}

/// Sent and not yet closed.
pub fn is_open(state: TraceState) -> bool {
    !matches!(state, TraceState::Drafted | TraceState::Closed)
}

/// The requested side still owes an acknowledgement, a response or an answer.
pub fn awaiting_requested(state: TraceState) -> bool {
    matches!(
        state,
        TraceState::Sent
            | TraceState::Delivered
            | TraceState::Acknowledged
            | TraceState::Resubmitted
            | TraceState::Delayed
            | TraceState::ClarificationRequested
    )
}

#[cfg(test)]
mod tests {
    use super::Step as S;
    use super::TraceState as T;
    use super::*;

    /// The table of allowed transitions, written out independently of
    /// `transition` so that a change to either shows up here.
    const ALLOWED: &[(TraceState, Step, TraceState)] = &[
        (T::Drafted, S::Send, T::Sent),
        (T::Sent, S::Deliver, T::Delivered),
        (T::Sent, S::Acknowledge, T::Acknowledged),
        (T::Delivered, S::Acknowledge, T::Acknowledged),
        (T::Resubmitted, S::Acknowledge, T::Acknowledged),
        (T::Sent, S::ReturnForCompletion, T::ReturnedForCompletion),
        (
            T::Delivered,
            S::ReturnForCompletion,
            T::ReturnedForCompletion,
        ),
        (
            T::Acknowledged,
            S::ReturnForCompletion,
            T::ReturnedForCompletion,
        ),
        (
            T::Resubmitted,
            S::ReturnForCompletion,
            T::ReturnedForCompletion,
        ),
        (T::ReturnedForCompletion, S::Resubmit, T::Resubmitted),
        (T::Acknowledged, S::Respond, T::Responded),
        (T::Delayed, S::Respond, T::Responded),
        (T::ClarificationRequested, S::Respond, T::Responded),
        (T::ClarificationAnswered, S::Respond, T::Responded),
        (T::RespondedRestricted, S::Respond, T::Responded),
        (
            T::Acknowledged,
            S::RespondRestricted,
            T::RespondedRestricted,
        ),
        (T::Delayed, S::RespondRestricted, T::RespondedRestricted),
        (
            T::ClarificationRequested,
            S::RespondRestricted,
            T::RespondedRestricted,
        ),
        (
            T::ClarificationAnswered,
            S::RespondRestricted,
            T::RespondedRestricted,
        ),
        (
            T::RespondedRestricted,
            S::RespondRestricted,
            T::RespondedRestricted,
        ),
        (T::Acknowledged, S::Delay, T::Delayed),
        (T::Delayed, S::Delay, T::Delayed),
        (T::ClarificationRequested, S::Delay, T::Delayed),
        (T::ClarificationAnswered, S::Delay, T::Delayed),
        (T::Acknowledged, S::Refuse, T::Refused),
        (T::Delayed, S::Refuse, T::Refused),
        (T::ClarificationRequested, S::Refuse, T::Refused),
        (T::ClarificationAnswered, S::Refuse, T::Refused),
        (T::RespondedRestricted, S::Refuse, T::Refused),
        (
            T::Delayed,
            S::RequestClarification,
            T::ClarificationRequested,
        ),
        (
            T::Responded,
            S::RequestClarification,
            T::ClarificationRequested,
        ),
        (
            T::RespondedRestricted,
            S::RequestClarification,
            T::ClarificationRequested,
        ),
        (
            T::Refused,
            S::RequestClarification,
            T::ClarificationRequested,
        ),
        (
            T::ClarificationAnswered,
            S::RequestClarification,
            T::ClarificationRequested,
        ),
        (
            T::ClarificationRequested,
            S::AnswerClarification,
            T::ClarificationAnswered,
        ),
        (T::Drafted, S::Close, T::Closed),
        (T::Sent, S::Close, T::Closed),
        (T::Delivered, S::Close, T::Closed),
        (T::Acknowledged, S::Close, T::Closed),
        (T::ReturnedForCompletion, S::Close, T::Closed),
        (T::Resubmitted, S::Close, T::Closed),
        (T::Responded, S::Close, T::Closed),
        (T::RespondedRestricted, S::Close, T::Closed),
        (T::Delayed, S::Close, T::Closed),
        (T::Refused, S::Close, T::Closed),
        (T::ClarificationRequested, S::Close, T::Closed),
        (T::ClarificationAnswered, S::Close, T::Closed),
    ];

    #[test]
    fn every_listed_transition_is_allowed_and_reaches_its_state() {
        for &(from, step, to) in ALLOWED {
            assert_eq!(transition(from, step), Ok(to), "{from} --{step}-->");
        }
    }

    #[test]
    fn every_unlisted_pair_is_refused_naming_the_step_and_the_state() {
        let mut refused = 0;
        for from in TraceState::ALL {
            for step in Step::ALL {
                if ALLOWED.iter().any(|&(f, s, _)| f == from && s == step) {
                    continue;
                }
                let err = transition(from, step).expect_err("must be refused");
                assert_eq!(err, IllegalTransition { from, step });
                let message = err.to_string();
                assert!(message.contains(step.as_str()), "{message}");
                assert!(message.contains(from.describe()), "{message}");
                refused += 1;
            }
        }
        assert_eq!(refused, 13 * 12 - ALLOWED.len());
    }

    #[test]
    fn refusal_reads_as_a_sentence() {
        let err = transition(T::Closed, S::Acknowledge).unwrap_err();
        assert_eq!(err.to_string(), "cannot acknowledge a trace that is closed");
        let err = transition(T::Drafted, S::Respond).unwrap_err();
        assert_eq!(err.to_string(), "cannot respond to a trace that is drafted");
    }

    #[test]
    fn a_closed_trace_cannot_be_closed_again() {
        assert!(transition(T::Closed, S::Close).is_err());
        assert!(allowed_steps(T::Closed).is_empty());
    }

    #[test]
    fn allowed_steps_lists_exactly_the_table() {
        for from in TraceState::ALL {
            let expected: Vec<Step> = Step::ALL
                .into_iter()
                .filter(|s| ALLOWED.iter().any(|&(f, st, _)| f == from && st == *s))
                .collect();
            assert_eq!(allowed_steps(from), expected, "from {from}");
        }
    }

    #[test]
    fn states_round_trip_through_their_snake_case_names() {
        for state in TraceState::ALL {
            assert_eq!(state.as_str().parse::<TraceState>(), Ok(state));
            assert_eq!(state.to_string(), state.as_str());
        }
        assert_eq!(T::ReturnedForCompletion.as_str(), "returned_for_completion");
        assert_eq!(
            "returned for completion".parse::<TraceState>(),
            Err(UnknownTraceState("returned for completion".into()))
        );
    }

    #[test]
    fn steps_round_trip_through_their_names() {
        for step in Step::ALL {
            assert_eq!(step.as_str().parse::<Step>(), Ok(step));
        }
        assert!("Acknowledge".parse::<Step>().is_err());
    }

    #[test]
    fn requester_sends_resubmits_asks_and_closes_and_the_requested_side_answers() {
        let requester = [
            S::Send,
            S::Deliver,
            S::Resubmit,
            S::RequestClarification,
            S::Close,
        ];
        for step in Step::ALL {
            let expected = if requester.contains(&step) {
                Side::Requester
            } else {
                Side::Requested
            };
            assert_eq!(step.taken_by(), expected, "{step}");
        }
    }

    #[test]
    fn drafted_and_closed_traces_are_not_open() {
        for state in TraceState::ALL {
            let expected = !matches!(state, T::Drafted | T::Closed);
            assert_eq!(is_open(state), expected, "{state}");
        }
    }

    #[test]
    fn requested_side_owes_something_until_it_has_answered() {
        let owing = [
            T::Sent,
            T::Delivered,
            T::Acknowledged,
            T::Resubmitted,
            T::Delayed,
            T::ClarificationRequested,
        ];
        for state in TraceState::ALL {
            assert_eq!(awaiting_requested(state), owing.contains(&state), "{state}");
        }
    }

    #[test]
    fn a_full_trace_with_a_return_and_a_clarification_reaches_closed() {
        let steps = [
            S::Send,
            S::Deliver,
            S::ReturnForCompletion,
            S::Resubmit,
            S::Acknowledge,
            S::Delay,
            S::RespondRestricted,
            S::RequestClarification,
            S::AnswerClarification,
            S::Respond,
            S::Close,
        ];
        let end = steps
            .into_iter()
            .try_fold(T::Drafted, transition)
            .expect("every step is allowed");
        assert_eq!(end, T::Closed);
    }
}
