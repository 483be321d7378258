//! `iti-node demo`: a small federation on loopback, built from nothing in a
//! temporary folder, and one realistic chained trace through it, printed
//! step by step as the officers would see it.
//!
//! Ghana recovers an FN FAL rifle. The marking says Belgium made it; Ghana
//! asks Belgium (9.1 c). Belgium answers that it exported it to Nigeria in
//! 2009 (10.4.3); Ghana's node proposes the follow-up to Nigeria, which
//! answers that the rifle was stolen from a police armoury in 2015 (10.4.4).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use tonic::transport::Channel;

use crate::clock::SystemClock;
use crate::identity::Role;
use crate::ids::ParticipantId;
use crate::render;
use crate::sandbox::{MemberOptions, Sandbox};

pub mod fixtures;

fn p(s: &str) -> ParticipantId {
    s.parse().unwrap_or(ParticipantId::Hub("INVALID".into()))
}

fn step(n: &mut u32, title: &str) {
    *n += 1;
    println!("\n── {n}. {title} ──");
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}

async fn wait_for_state(
    client: &mut LocalClient<Channel>,
    trace_id: &str,
    states: &[&str],
) -> anyhow::Result<pb::TraceSummary> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let list = client
            .list_traces(pb::ListTracesRequest {
                inbox: false,
                include_closed: true,
            })
            .await?
            .into_inner();
        if let Some(t) = list.traces.into_iter().find(|t| t.trace_id == trace_id)
            && states.contains(&t.state.as_str())
        {
            return Ok(t);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(anyhow!("trace {trace_id} did not reach {states:?} in time"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn act(
    client: &mut LocalClient<Channel>,
    trace_id: &str,
    action: pb::act_request::Action,
) -> anyhow::Result<pb::ActReply> {
    Ok(client
        .act(pb::ActRequest {
            trace_id: trace_id.to_string(),
            action: Some(action),
            confirm_despite_declared_restrictions: false,
        })
        .await
        .map_err(|s| anyhow!("{}", s.message()))?
        .into_inner())
}

pub async fn run(keep: bool) -> anyhow::Result<()> {
    let mut n = 0;
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    println!(
        "ITI Exchange demo: a federation of national points of contact on loopback (ISACS 05.31)"
    );

    step(
        &mut n,
        "Each state creates its own national CA, node certificate and database",
    );
    let states = ["GHA", "BEL", "NGA"];
    for s in states {
        sandbox.add(s, MemberOptions::default())?;
    }
    sandbox.start_all().await?;
    for s in states {
        let m = sandbox.member(&p(s))?;
        let running = m.running.as_ref().context("started")?;
        println!(
            "   {s}: CA {}…  federation {}  local {}",
            &crate::identity::pki::fingerprint(&m.ca.cert_der()?)[..16],
            running.federation_addr,
            running.local_addr
        );
    }

    step(
        &mut n,
        "Explicit peering: each admin pins the other states' CAs (no global CA)",
    );
    for (i, a) in states.iter().enumerate() {
        for b in &states[i + 1..] {
            sandbox.peer(&p(a), &p(b)).await?;
            println!("   {a} ⇄ {b}: each pinned the other's CA to that participant alone");
        }
    }

    let mut gha = sandbox.officer(&p("GHA"), Role::Poc)?;
    let mut bel = sandbox.officer(&p("BEL"), Role::Poc)?;
    let mut nga = sandbox.officer(&p("NGA"), Role::Poc)?;

    step(
        &mut n,
        "Ghana's point of contact plans the request (nothing is sent)",
    );
    let request = fixtures::fal_request();
    let plan = gha
        .plan_request(pb::SubmitRequestRequest {
            request: Some(request.clone()),
            routing_override: None,
            on_behalf_via: String::new(),
        })
        .await?
        .into_inner();
    print!("{}", indent(&render::plan(&plan)));

    step(
        &mut n,
        "Ghana submits it: signed, stored, delivered over mutual TLS",
    );
    let submitted = gha
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: None,
            on_behalf_via: String::new(),
        })
        .await?
        .into_inner();
    let first = submitted.trace_id.clone();
    println!("   case {}  trace {}", submitted.case_id, first);
    let t = wait_for_state(&mut gha, &first, &["delivered"]).await?;
    println!(
        "   Belgium signed a receipt; deadlines run from it: acknowledge by {}, respond by {}",
        t.ack_due
            .as_ref()
            .and_then(crate::clock::from_timestamp)
            .map(crate::clock::rfc3339)
            .unwrap_or_default(),
        t.response_due
            .as_ref()
            .and_then(crate::clock::from_timestamp)
            .map(crate::clock::rfc3339)
            .unwrap_or_default()
    );

    step(&mut n, "Belgium's inbox");
    let inbox = bel
        .list_traces(pb::ListTracesRequest {
            inbox: true,
            include_closed: false,
        })
        .await?
        .into_inner();
    for t in &inbox.traces {
        println!("   {}", render::trace_line(t));
    }

    step(
        &mut n,
        "Belgium acknowledges (10.1) and answers: exported to Nigeria in 2009 (10.4.3)",
    );
    act(
        &mut bel,
        &first,
        pb::act_request::Action::Acknowledge(pb::Acknowledgement {
            reference: "BE/FED-POL/ITI/2026/311".into(),
            note: String::new(),
        }),
    )
    .await?;
    act(
        &mut bel,
        &first,
        pb::act_request::Action::Respond(fixtures::bel_export_response()),
    )
    .await?;
    wait_for_state(&mut gha, &first, &["responded"]).await?;
    println!("   Ghana received the response; commercial details are marked PROPRIETARY");

    step(
        &mut n,
        "Ghana's node proposes the follow-up request to the importing state",
    );
    let case = gha
        .show_case(pb::ShowCaseRequest { id: first.clone() })
        .await?
        .into_inner();
    let proposal = case
        .traces
        .iter()
        .filter_map(|t| t.summary.as_ref())
        .find(|s| s.state == "drafted")
        .ok_or_else(|| anyhow!("no follow-up was proposed"))?
        .clone();
    println!(
        "   drafted trace {} to {}, pre-filled from Belgium's export record",
        proposal.trace_id, proposal.counterpart
    );
    let sent = gha
        .send_draft(pb::SendDraftRequest {
            trace_id: proposal.trace_id.clone(),
            routing_override: None,
        })
        .await?
        .into_inner();
    if let Some(plan) = &sent.plan {
        print!("{}", indent(&render::plan(plan)));
    }
    let second = sent.trace_id;

    step(
        &mut n,
        "Nigeria acknowledges and answers: stolen from a police armoury (10.4.4)",
    );
    wait_for_state(&mut nga, &second, &["delivered"]).await?;
    act(
        &mut nga,
        &second,
        pb::act_request::Action::Acknowledge(pb::Acknowledgement::default()),
    )
    .await?;
    act(
        &mut nga,
        &second,
        pb::act_request::Action::Respond(fixtures::nga_diversion_response()),
    )
    .await?;
    wait_for_state(&mut gha, &second, &["responded"]).await?;

    step(&mut n, "Ghana's point of contact reads the whole case");
    let case = gha
        .show_case(pb::ShowCaseRequest { id: second.clone() })
        .await?
        .into_inner();
    print!("{}", indent(&render::case(&case)));

    step(
        &mut n,
        "What a Ghanaian policy analyst may see of the same case (markings enforced)",
    );
    let mut analyst = sandbox.officer(&p("GHA"), Role::Analyst)?;
    let case = analyst
        .show_case(pb::ShowCaseRequest { id: second.clone() })
        .await?
        .into_inner();
    for tv in &case.traces {
        for m in &tv.messages {
            for w in &m.withheld {
                println!("   withheld from the analyst: {w}");
            }
        }
    }

    step(
        &mut n,
        "Ghana closes the case; every node's audit trail verifies",
    );
    for trace in [&first, &second] {
        act(
            &mut gha,
            trace,
            pb::act_request::Action::Close(pb::Closure {
                outcome: "Point of diversion identified: Kaduna State Command armoury, 2015".into(),
            }),
        )
        .await?;
    }
    for s in states {
        let mut c = sandbox.officer(&p(s), Role::Auditor)?;
        let v = c
            .audit_verify(pb::AuditVerifyRequest {})
            .await?
            .into_inner();
        println!(
            "   {s}: {} audit entries, chain {}",
            v.entries,
            if v.ok { "intact" } else { "BROKEN" }
        );
        if !v.ok {
            return Err(anyhow!(
                "{s}: audit chain broken at {}: {}",
                v.first_bad_seq,
                v.problem
            ));
        }
    }

    sandbox.stop_all().await;
    if keep {
        println!("\nfiles kept in {}", sandbox.keep().display());
    }
    println!("\ndemo complete");
    Ok(())
}
