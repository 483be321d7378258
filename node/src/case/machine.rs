//! TEMPORARY stand-in, replaced by the domain helper's module.
use std::str::FromStr;
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TraceState { Drafted, Sent, Delivered, Acknowledged, ReturnedForCompletion, Resubmitted, Responded, RespondedRestricted, Delayed, Refused, ClarificationRequested, ClarificationAnswered, Closed }
impl TraceState { pub fn as_str(self) -> &'static str { "sent" } }
impl FromStr for TraceState { type Err = String; fn from_str(_s: &str) -> Result<Self, String> { Ok(TraceState::Sent) } }
impl std::fmt::Display for TraceState { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) } }
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step { Send, Deliver, Acknowledge, ReturnForCompletion, Resubmit, Respond, RespondRestricted, Delay, Refuse, RequestClarification, AnswerClarification, Close }
#[derive(Debug, thiserror::Error)] #[error("cannot")] pub struct IllegalTransition { pub from: TraceState, pub step: Step }
pub fn transition(from: TraceState, step: Step) -> Result<TraceState, IllegalTransition> { Err(IllegalTransition{from, step}) }
