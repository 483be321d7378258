//! The point of contact's casework, through the node's local port.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail};
use iti_node::i18n::Texts;
use iti_node::render;
use iti_proto::v1 as pb;
use pb::act_request::Action;
use time::OffsetDateTime;

use crate::cli::{
    AuditCommand, CaseCommand, ClarifyCommand, Command, ConsentCommand, ExportFormat, OverrideArgs,
    Reason, RequestCommand, RestrictionArg, UseArg,
};
use crate::client::{Connection, Print, failed, print_json, read_json};

fn routing(o: &OverrideArgs) -> Option<pb::RoutingOverride> {
    o.override_state.as_ref().map(|s| pb::RoutingOverride {
        requested_state: s.clone(),
        reason: o.reason.clone().unwrap_or_default(),
    })
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

/// "YYYY-MM-DD" (end of that day, UTC) or RFC 3339.
pub fn parse_date(field: &str, s: &str) -> anyhow::Result<pbjson_types::Timestamp> {
    let rfc = time::format_description::well_known::Rfc3339;
    let t = OffsetDateTime::parse(s, &rfc).or_else(|_| {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &fmt).map(|d| {
            d.with_hms(23, 59, 59)
                .map(|dt| dt.assume_utc())
                .unwrap_or(d.midnight().assume_utc())
        })
    });
    let t =
        t.map_err(|_| anyhow!("{field}: {s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    Ok(iti_node::clock::to_timestamp(t))
}

/// A request from its file, refused here if it could not travel (over the
/// gRPC message limit).
fn request_file(path: &Path) -> anyhow::Result<pb::TraceRequest> {
    let request: pb::TraceRequest = read_json(path, "request")?;
    let size = prost::Message::encoded_len(&request);
    if size > crate::client::MAX_MESSAGE_BYTES {
        bail!(
            "request file {}: too large: {}",
            path.display(),
            crate::client::too_large(size)
        );
    }
    Ok(request)
}

/// "sent: case …, trace …" (or "not sent yet").
fn sent(t: &Texts, id: &str, case: &str, trace: &str) -> String {
    let args = [("case", case.to_string()), ("trace", trace.to_string())];
    t.t_with(id, &args)
}

pub async fn run(
    conn: &Connection,
    cmd: Command,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut client = conn.client()?;
    let act = |trace: String, action: Action, confirm: bool| {
        let mut client = client.clone();
        async move {
            client
                .act(pb::ActRequest {
                    trace_id: trace,
                    action: Some(action),
                    confirm_despite_declared_restrictions: confirm,
                })
                .await
                .map(|r| r.into_inner())
                .map_err(failed)
        }
    };
    let acted = |reply: pb::ActReply, what: &str, out: &mut dyn Write| -> anyhow::Result<()> {
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
    };
    match cmd {
        Command::Request(RequestCommand::Plan { file, routing: o }) => {
            let plan = client
                .plan_request(pb::SubmitRequestRequest {
                    request: Some(request_file(&file)?),
                    routing_override: routing(&o),
                    on_behalf_via: String::new(),
                    allow_duplicate: false,
                })
                .await
                .map_err(failed)?
                .into_inner();
            if print.json {
                return print_json(out, &plan);
            }
            writeln!(out, "{}", print.texts.t("text-plan-only"))?;
            write!(out, "{}", render::plan(&print.texts, &plan))?;
        }
        Command::Request(RequestCommand::Submit {
            file,
            routing: o,
            via,
            allow_duplicate,
        }) => {
            let reply = client
                .submit_request(pb::SubmitRequestRequest {
                    request: Some(request_file(&file)?),
                    routing_override: routing(&o),
                    on_behalf_via: via.unwrap_or_default(),
                    allow_duplicate,
                })
                .await
                .map_err(failed)?
                .into_inner();
            if print.json {
                return print_json(out, &reply);
            }
            let sent = sent(&print.texts, "text-sent", &reply.case_id, &reply.trace_id);
            writeln!(out, "{sent}")?;
            if let Some(plan) = &reply.plan {
                write!(out, "{}", render::plan(&print.texts, plan))?;
            }
        }
        Command::Request(RequestCommand::Send {
            trace,
            routing: o,
            ask_consent,
            justification,
            without_restricted,
        }) => {
            let onward = if ask_consent {
                pb::DraftOnward::AskConsent
            } else if without_restricted {
                pb::DraftOnward::WithoutRestricted
            } else {
                pb::DraftOnward::Unspecified
            };
            let reply = client
                .send_draft(pb::SendDraftRequest {
                    trace_id: trace,
                    routing_override: routing(&o),
                    onward: onward as i32,
                    justification: justification.unwrap_or_default(),
                })
                .await
                .map_err(failed)?
                .into_inner();
            if print.json {
                return print_json(out, &reply);
            }
            let id = if reply.envelope_id.is_empty() {
                "text-not-sent-yet"
            } else {
                "text-sent"
            };
            let sent = sent(&print.texts, id, &reply.case_id, &reply.trace_id);
            writeln!(out, "{sent}")?;
            for note in &reply.notes {
                writeln!(out, "{note}")?;
            }
            if let Some(plan) = &reply.plan {
                write!(out, "{}", render::plan(&print.texts, plan))?;
            }
        }
        Command::Inbox => {
            crate::listing::traces(&mut client, true, false, 0, print, out).await?;
        }
        Command::Cases { all, page_size } => {
            crate::listing::traces(&mut client, false, all, page_size, print, out).await?;
        }
        Command::Case(CaseCommand::Show { id }) => {
            let view = client
                .show_case(pb::ShowCaseRequest { id })
                .await
                .map_err(failed)?
                .into_inner();
            if print.json {
                return print_json(out, &view);
            }
            write!(out, "{}", render::case(&print.texts, &view))?;
        }
        Command::Ack {
            trace,
            reference,
            note,
        } => {
            let r = act(
                trace,
                Action::Acknowledge(pb::Acknowledgement { reference, note }),
                false,
            )
            .await?;
            acted(r, "acknowledged", out)?;
        }
        Command::Respond {
            trace,
            file,
            confirm_restrictions,
            ..
        } => {
            let file = file.ok_or_else(|| anyhow!("--file: the response to send"))?;
            let response: pb::TraceResponse = read_json(&file, "response")?;
            let r = act(trace, Action::Respond(response), confirm_restrictions).await?;
            acted(r, "response sent", out)?;
        }
        Command::Return {
            trace,
            missing,
            note,
        } => {
            let missing = missing
                .into_iter()
                .map(|field| pb::MissingElement {
                    clause: "9.2".into(),
                    description: format!("{field} is missing"),
                    field,
                })
                .collect();
            let r = act(
                trace,
                Action::ReturnForCompletion(pb::ReturnForCompletion {
                    missing,
                    note,
                    automatic: false,
                }),
                false,
            )
            .await?;
            acted(r, "returned for completion", out)?;
        }
        Command::Resubmit { trace, file } => {
            let request = request_file(&file)?;
            let r = act(
                trace,
                Action::Resubmit(pb::Resubmission {
                    request: Some(request),
                    note: String::new(),
                }),
                false,
            )
            .await?;
            acted(r, "resubmitted", out)?;
        }
        Command::Delay {
            trace,
            until,
            reason: why,
            explanation,
        } => {
            let r = act(
                trace,
                Action::Delay(pb::DelayNotice {
                    reason: reason(why),
                    explanation,
                    new_response_due: Some(parse_date("--until", &until)?),
                }),
                false,
            )
            .await?;
            acted(r, "delay notified", out)?;
        }
        Command::Refuse {
            trace,
            reason: why,
            explanation,
        } => {
            let r = act(
                trace,
                Action::Refuse(pb::Refusal {
                    reason: reason(why),
                    explanation,
                }),
                false,
            )
            .await?;
            acted(r, "refusal sent", out)?;
        }
        Command::Clarify(ClarifyCommand::Ask {
            trace,
            question,
            regarding,
        }) => {
            let r = act(
                trace,
                Action::RequestClarification(pb::ClarificationRequest {
                    question,
                    regarding,
                }),
                false,
            )
            .await?;
            acted(r, "clarification requested", out)?;
        }
        Command::Clarify(ClarifyCommand::Answer {
            trace,
            answer,
            regarding,
        }) => {
            let r = act(
                trace,
                Action::Clarify(pb::ClarificationReply { answer, regarding }),
                false,
            )
            .await?;
            acted(r, "clarification sent", out)?;
        }
        Command::Consent(ConsentCommand::Grant {
            trace,
            restriction: r,
            use_,
            to,
            lift_tlp,
            regarding,
            note,
            decline,
        }) => {
            let reply = act(
                trace,
                Action::GrantConsent(pb::Consent {
                    restriction: 0,
                    restrictions: r.into_iter().map(restriction).collect(),
                    r#use: onward(use_),
                    regarding,
                    note,
                    destination: to,
                    lifts_tlp: lift_tlp,
                    declined: decline,
                }),
                false,
            )
            .await?;
            acted(
                reply,
                if decline {
                    "consent declined"
                } else {
                    "consent granted"
                },
                out,
            )?;
        }
        Command::Consent(ConsentCommand::Request {
            trace,
            restriction: r,
            use_,
            to,
            lift_tlp,
            regarding,
            justification,
        }) => {
            let reply = act(
                trace,
                Action::RequestConsent(pb::ConsentRequest {
                    restriction: 0,
                    restrictions: r.into_iter().map(restriction).collect(),
                    r#use: onward(use_),
                    regarding,
                    justification,
                    destination: to,
                    lift_tlp,
                }),
                false,
            )
            .await?;
            acted(reply, "consent requested", out)?;
        }
        Command::Close { trace, outcome } => {
            let r = act(trace, Action::Close(pb::Closure { outcome }), false).await?;
            acted(r, "closed", out)?;
        }
        Command::Forward {
            trace,
            to,
            regarding,
            note,
        } => {
            let reply = client
                .forward(pb::ForwardRequest {
                    trace_id: trace,
                    regarding,
                    to,
                    note,
                })
                .await
                .map_err(failed)?
                .into_inner();
            acted(reply, "forwarded", out)?;
        }
        Command::Export {
            trace,
            format,
            evidence,
            out: path,
        } => {
            let reply = client
                .export(pb::ExportRequest {
                    trace_id: trace,
                    format: match format {
                        ExportFormat::Json => pb::ExportFormat::Json,
                        ExportFormat::Csv => pb::ExportFormat::Csv,
                    } as i32,
                    as_evidence: evidence,
                })
                .await
                .map_err(failed)?
                .into_inner();
            match path {
                Some(p) => {
                    std::fs::write(&p, &reply.content)
                        .map_err(|e| anyhow!("{}: {e}", p.display()))?;
                    let path = [("path", p.display().to_string())];
                    writeln!(out, "{}", print.texts.t_with("text-exported-to", &path))?;
                }
                None => out.write_all(reply.content.as_bytes())?,
            }
        }
        Command::Overdue => {
            let reply = client
                .overdue(pb::OverdueRequest {})
                .await
                .map_err(failed)?
                .into_inner();
            if print.json {
                return print_json(out, &reply);
            }
            write!(out, "{}", render::overdue(&print.texts, &reply.items))?;
        }
        Command::Outbox { all, page_size } => {
            crate::listing::outbox(&mut client, all, page_size, print, out).await?;
        }
        Command::Audit(AuditCommand::Verify) => {
            let reply = client
                .audit_verify(pb::AuditVerifyRequest {})
                .await
                .map_err(failed)?
                .into_inner();
            if print.json {
                print_json(out, &reply)?;
            } else {
                write!(out, "{}", render::audit_verify(&print.texts, &reply))?;
            }
            if !reply.ok {
                bail!("audit verification failed at entry {}", reply.first_bad_seq);
            }
        }
        Command::Audit(AuditCommand::Log { after, limit }) => {
            let reply = client
                .audit_log(pb::AuditLogRequest {
                    after_seq: after,
                    limit,
                })
                .await
                .map_err(failed)?
                .into_inner();
            if print.json {
                return print_json(out, &reply);
            }
            for e in &reply.entries {
                writeln!(
                    out,
                    "{:>6}  {}  {:<20} {:<28} {}  {}",
                    e.seq,
                    e.at.as_ref()
                        .and_then(iti_node::clock::from_timestamp)
                        .map(iti_node::clock::rfc3339)
                        .unwrap_or_default(),
                    e.action,
                    e.actor,
                    e.subject,
                    e.detail
                )?;
            }
        }
        Command::Report { from, to } => {
            let reply = client
                .report(pb::ReportRequest {
                    from: from.map(|f| parse_date("--from", &f)).transpose()?,
                    to: to.map(|t| parse_date("--to", &t)).transpose()?,
                })
                .await
                .map_err(failed)?
                .into_inner();
            if print.json {
                writeln!(out, "{}", reply.json)?;
            } else {
                // The facts, worded in the reader's language.
                let report: iti_node::report::Report = serde_json::from_str(&reply.json)?;
                write!(out, "{}", iti_node::report::text(&print.texts, &report))?;
            }
        }
        other => bail!("unsupported command {other:?}"),
    }
    let _ = &mut client;
    Ok(())
}
