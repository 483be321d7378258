//! Steps on a case: acknowledge, respond, return, resubmit, delay, refuse,
//! clarify, consent, close (each one `act` call), and forward (its own
//! call). Every reply is printed the same way.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use pb::act_request::Action;
use tonic::transport::Channel;

use super::{parse_date, request_file, unsupported};
use crate::cli::{ClarifyCommand, Command, ConsentCommand, Reason, RestrictionArg, UseArg};
use crate::client::{Print, failed, print_json, read_json};

/// One step on a case, ready for the `act` call.
struct Step {
    trace: String,
    action: Action,
    /// Send despite a restriction the other side declared it cannot honour
    /// (10.3).
    confirm: bool,
    /// What was done, as the `done` texts word it.
    done: &'static str,
}

impl Step {
    fn new(trace: String, done: &'static str, action: Action) -> Step {
        Step {
            trace,
            action,
            confirm: false,
            done,
        }
    }
}

pub(super) async fn run(
    client: &mut LocalClient<Channel>,
    cmd: Command,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (reply, done) = match cmd {
        Command::Forward {
            trace,
            to,
            regarding,
            note,
        } => {
            let request = pb::ForwardRequest {
                trace_id: trace,
                regarding,
                to,
                note,
            };
            let reply = client.forward(request).await.map_err(failed)?;
            (reply.into_inner(), "forwarded")
        }
        other => {
            let step = step(other)?;
            let done = step.done;
            (act(client, step).await?, done)
        }
    };
    print_acted(print, reply, done, out)
}

async fn act(client: &mut LocalClient<Channel>, step: Step) -> anyhow::Result<pb::ActReply> {
    let request = pb::ActRequest {
        trace_id: step.trace,
        action: Some(step.action),
        confirm_despite_declared_restrictions: step.confirm,
    };
    Ok(client.act(request).await.map_err(failed)?.into_inner())
}

/// "<what>: envelope … queued; trace is now …", and the node's warnings.
fn print_acted(
    print: &Print,
    reply: pb::ActReply,
    what: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if print.json {
        return print_json(out, &reply);
    }
    let t = &print.texts;
    let state = reply.trace.as_ref().map(|s| t.coded("state", &s.state));
    let args = [
        ("what", t.coded("done", what)),
        ("envelope", reply.envelope_id.clone()),
        ("state", state.unwrap_or_else(|| "?".into())),
    ];
    writeln!(out, "{}", t.t_with("text-acted", &args))?;
    for w in &reply.warnings {
        writeln!(
            out,
            "{}",
            t.t_with("text-note-warning", &[("text", w.clone())])
        )?;
    }
    Ok(())
}

/// The step a command asks for. Its file or date is read here, so a bad one
/// fails before anything is sent.
fn step(cmd: Command) -> anyhow::Result<Step> {
    Ok(match cmd {
        Command::Ack {
            trace,
            reference,
            note,
        } => {
            let ack = pb::Acknowledgement { reference, note };
            Step::new(trace, "acknowledged", Action::Acknowledge(ack))
        }
        Command::Respond {
            trace,
            file,
            confirm_restrictions,
            ..
        } => respond(trace, file, confirm_restrictions)?,
        Command::Return {
            trace,
            missing,
            note,
        } => return_for_completion(trace, missing, note),
        Command::Resubmit { trace, file } => resubmit(trace, &file)?,
        Command::Delay {
            trace,
            until,
            reason: why,
            explanation,
        } => delay(trace, &until, why, explanation)?,
        Command::Refuse {
            trace,
            reason: why,
            explanation,
        } => {
            let refusal = pb::Refusal {
                reason: reason(why),
                explanation,
            };
            Step::new(trace, "refusal sent", Action::Refuse(refusal))
        }
        Command::Clarify(c) => clarify(c),
        Command::Consent(c) => consent(c),
        Command::Close { trace, outcome } => {
            Step::new(trace, "closed", Action::Close(pb::Closure { outcome }))
        }
        other => return Err(unsupported(other)),
    })
}

fn respond(trace: String, file: Option<PathBuf>, confirm: bool) -> anyhow::Result<Step> {
    // clap requires --file unless --draft, and `cli` handles --draft.
    let file = file.ok_or_else(|| anyhow!("--file: the response to send"))?;
    let response: pb::TraceResponse = read_json(&file, "response")?;
    Ok(Step {
        confirm,
        ..Step::new(trace, "response sent", Action::Respond(response))
    })
}

/// The fields given, each missing under 9.2 (none: the node names those it
/// found).
fn return_for_completion(trace: String, missing: Vec<String>, note: String) -> Step {
    let missing = missing
        .into_iter()
        .map(|field| pb::MissingElement {
            clause: "9.2".into(),
            description: format!("{field} is missing"),
            field,
        })
        .collect();
    let r#return = pb::ReturnForCompletion {
        missing,
        note,
        automatic: false,
    };
    Step::new(
        trace,
        "returned for completion",
        Action::ReturnForCompletion(r#return),
    )
}

fn resubmit(trace: String, file: &Path) -> anyhow::Result<Step> {
    let resubmission = pb::Resubmission {
        request: Some(request_file(file)?),
        note: String::new(),
    };
    Ok(Step::new(
        trace,
        "resubmitted",
        Action::Resubmit(resubmission),
    ))
}

fn delay(trace: String, until: &str, why: Reason, explanation: String) -> anyhow::Result<Step> {
    let notice = pb::DelayNotice {
        reason: reason(why),
        explanation,
        new_response_due: Some(parse_date("--until", until)?),
    };
    Ok(Step::new(trace, "delay notified", Action::Delay(notice)))
}

fn clarify(c: ClarifyCommand) -> Step {
    match c {
        ClarifyCommand::Ask {
            trace,
            question,
            regarding,
        } => {
            let ask = pb::ClarificationRequest {
                question,
                regarding,
            };
            let action = Action::RequestClarification(ask);
            Step::new(trace, "clarification requested", action)
        }
        ClarifyCommand::Answer {
            trace,
            answer,
            regarding,
        } => {
            let reply = pb::ClarificationReply { answer, regarding };
            Step::new(trace, "clarification sent", Action::Clarify(reply))
        }
    }
}

/// Consent to lift restrictions for one use (10.3): granted (or declined),
/// or asked for.
fn consent(c: ConsentCommand) -> Step {
    match c {
        ConsentCommand::Grant {
            trace,
            restriction: r,
            use_,
            to,
            lift_tlp,
            regarding,
            note,
            decline,
        } => {
            let consent = pb::Consent {
                restriction: 0,
                restrictions: r.into_iter().map(restriction).collect(),
                r#use: onward(use_),
                regarding,
                note,
                destination: to,
                lifts_tlp: lift_tlp,
                declined: decline,
            };
            let done = if decline {
                "consent declined"
            } else {
                "consent granted"
            };
            Step::new(trace, done, Action::GrantConsent(consent))
        }
        ConsentCommand::Request {
            trace,
            restriction: r,
            use_,
            to,
            lift_tlp,
            regarding,
            justification,
        } => {
            let request = pb::ConsentRequest {
                restriction: 0,
                restrictions: r.into_iter().map(restriction).collect(),
                r#use: onward(use_),
                regarding,
                justification,
                destination: to,
                lift_tlp,
            };
            Step::new(trace, "consent requested", Action::RequestConsent(request))
        }
    }
}

fn reason(r: Reason) -> i32 {
    (match r {
        Reason::A => pb::WithholdingReason::OngoingInvestigationOrLaw,
        Reason::B => pb::WithholdingReason::ConfidentialityNotGuaranteed,
        Reason::C => pb::WithholdingReason::NationalSecurity,
    }) as i32
}

fn restriction(r: RestrictionArg) -> i32 {
    (match r {
        RestrictionArg::IntelligenceOnly => pb::UseRestriction::IntelligenceOnly,
        RestrictionArg::NoOnwardDisclosure => pb::UseRestriction::NoOnwardDisclosure,
        RestrictionArg::LawEnforcementOnly => pb::UseRestriction::LawEnforcementOnly,
        RestrictionArg::ProprietaryCommercial => pb::UseRestriction::ProprietaryCommercial,
    }) as i32
}

fn onward(u: UseArg) -> i32 {
    (match u {
        UseArg::ForwardToThirdState => pb::OnwardUse::ForwardToThirdState,
        UseArg::ForwardToHub => pb::OnwardUse::ForwardToHub,
        UseArg::ForwardToUnPanel => pb::OnwardUse::ForwardToUnPanel,
        UseArg::Export => pb::OnwardUse::Export,
        UseArg::ExportAsEvidence => pb::OnwardUse::ExportAsEvidence,
        UseArg::Report => pb::OnwardUse::Report,
    }) as i32
}
