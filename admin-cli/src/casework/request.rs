//! Trace requests: plan one (nothing is sent), submit one, send a drafted
//! follow-up.

use std::io::Write;
use std::path::Path;

use iti_node::i18n::Texts;
use iti_node::render;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use tonic::transport::Channel;

use super::request_file;
use crate::cli::{OverrideArgs, RequestCommand};
use crate::client::{Print, failed, print_json};

pub(super) async fn run(
    client: &mut LocalClient<Channel>,
    cmd: RequestCommand,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match cmd {
        RequestCommand::Plan { file, routing: o } => {
            let request = submission(&file, &o, None, false)?;
            plan(client, request, print, out).await
        }
        RequestCommand::Submit {
            file,
            routing: o,
            via,
            allow_duplicate,
        } => {
            let request = submission(&file, &o, via, allow_duplicate)?;
            submit(client, request, print, out).await
        }
        RequestCommand::Send {
            trace,
            routing: o,
            ask_consent,
            justification,
            without_restricted,
        } => {
            let request = pb::SendDraftRequest {
                trace_id: trace,
                routing_override: routing(&o),
                onward: draft_onward(ask_consent, without_restricted) as i32,
                justification: justification.unwrap_or_default(),
            };
            send(client, request, print, out).await
        }
    }
}

/// The request in `file`, as `plan` and `submit` take it.
fn submission(
    file: &Path,
    o: &OverrideArgs,
    via: Option<String>,
    allow_duplicate: bool,
) -> anyhow::Result<pb::SubmitRequestRequest> {
    Ok(pb::SubmitRequestRequest {
        request: Some(request_file(file)?),
        routing_override: routing(o),
        on_behalf_via: via.unwrap_or_default(),
        allow_duplicate,
    })
}

fn routing(o: &OverrideArgs) -> Option<pb::RoutingOverride> {
    o.override_state.as_ref().map(|s| pb::RoutingOverride {
        requested_state: s.clone(),
        reason: o.reason.clone().unwrap_or_default(),
    })
}

/// What the node does with a draft's fields that another state's markings
/// keep from the destination.
fn draft_onward(ask_consent: bool, without_restricted: bool) -> pb::DraftOnward {
    if ask_consent {
        pb::DraftOnward::AskConsent
    } else if without_restricted {
        pb::DraftOnward::WithoutRestricted
    } else {
        pb::DraftOnward::Unspecified
    }
}

/// `request plan`: where the request would go; nothing is sent.
async fn plan(
    client: &mut LocalClient<Channel>,
    request: pb::SubmitRequestRequest,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let plan = client
        .plan_request(request)
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &plan);
    }
    writeln!(out, "{}", print.texts.t("text-plan-only"))?;
    write!(out, "{}", render::plan(&print.texts, &plan))?;
    Ok(())
}

/// `request submit`.
async fn submit(
    client: &mut LocalClient<Channel>,
    request: pb::SubmitRequestRequest,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = client
        .submit_request(request)
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
    Ok(())
}

/// `request send`: a drafted follow-up, which may wait (for consent) rather
/// than go.
async fn send(
    client: &mut LocalClient<Channel>,
    request: pb::SendDraftRequest,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = client
        .send_draft(request)
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    // No envelope: nothing went yet.
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
    Ok(())
}

/// "sent: case …, trace …" (or "not sent yet").
fn sent(t: &Texts, id: &str, case: &str, trace: &str) -> String {
    let args = [("case", case.to_string()), ("trace", trace.to_string())];
    t.t_with(id, &args)
}
