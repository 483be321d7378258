//! `iti-node demo`: a small federation on loopback, built from nothing in a
//! temporary folder, and one realistic chained trace through it, printed
//! step by step as the officers would see it.
//!
//! Ghana recovers an FN FAL rifle. The marking says Belgium made it; Ghana
//! asks Belgium (9.1 c). Belgium answers that it exported it to Nigeria in
//! 2009 (10.4.3); Ghana's node proposes the follow-up to Nigeria, which
//! answers that the rifle was stolen from a police armoury in 2015 (10.4.4).
//! Both answers are drafted from the records Belgium's and Nigeria's
//! agencies fed their nodes (`demo/records.rs`), not typed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use tonic::transport::Channel;

use crate::clock::SystemClock;
use crate::i18n::{Lang, Texts};
use crate::identity::Role;
use crate::ids::ParticipantId;
use crate::render;
use crate::sandbox::{MemberOptions, Sandbox};

pub mod fixtures;
pub mod records;

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
                page: None,
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

/// A long message on lines of about 90 characters, continued at `indent`.
fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + word.len() > 90 {
            out.push('\n');
            out.push_str(indent);
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
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

fn via(hub: &str) -> MemberOptions {
    MemberOptions {
        routes: vec![("*".into(), hub.into())],
        console: true,
        ..Default::default()
    }
}

/// What the demo does once its exchange is done.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Keep the temporary folder and print where it is.
    pub keep: bool,
    /// Keep the federation running for a browser until Ctrl-C.
    pub serve: bool,
}

/// The walk-through's federation and its step counter.
struct Demo {
    sandbox: Sandbox,
    n: u32,
}

impl Demo {
    fn step(&mut self, title: &str) {
        step(&mut self.n, title);
    }
}

/// The points of contact the walk-through acts as.
struct Officers {
    gha: LocalClient<Channel>,
    bel: LocalClient<Channel>,
    nga: LocalClient<Channel>,
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let mut d = Demo {
        sandbox: Sandbox::create(Arc::new(SystemClock))?,
        n: 0,
    };
    federation(&mut d).await?;
    peering(&mut d).await?;
    directories(&mut d).await?;
    confirm_and_import(&mut d).await?;
    let mut o = Officers {
        gha: d.sandbox.officer(&p("GHA"), Role::Poc)?,
        bel: d.sandbox.officer(&p("BEL"), Role::Poc)?,
        nga: d.sandbox.officer(&p("NGA"), Role::Poc)?,
    };
    plan(&mut d, &mut o).await?;
    let first = first_request(&mut d, &mut o).await?;
    belgium_answers(&mut d, &mut o, first.clone()).await?;
    let proposal = follow_up_drafted(&mut d, &mut o, first.clone()).await?;
    let second = follow_up_consented(&mut d, &mut o, first.clone(), proposal).await?;
    nigeria_answers(&mut d, &mut o, second.clone()).await?;
    case_closed(&mut d, &mut o, first, second).await?;
    figures_and_audit(&mut d).await?;
    if options.serve {
        serve(&mut d.sandbox).await?;
    }
    d.sandbox.stop_all().await;
    if options.keep {
        println!("\nfiles kept in {}", d.sandbox.keep().display());
    }
    println!("\ndemo complete");
    Ok(())
}

/// Each participant: its own CA, certificates and database, started.
async fn federation(d: &mut Demo) -> anyhow::Result<()> {
    println!("ITI Exchange demo: national points of contact on tracing, a regional hub and an");
    println!("INTERPOL-style broker, on loopback (ISACS 05.31)");

    d.step("Each participant creates its own CA, node certificate and database");
    d.sandbox.add("GHA", via("hub:ECOWAS"))?;
    d.sandbox.add("NGA", via("hub:ECOWAS"))?;
    d.sandbox.add("BEL", via("hub:INTERPOL"))?;
    d.sandbox.add(
        "hub:ECOWAS",
        MemberOptions {
            hub: true,
            routes: vec![("*".into(), "hub:INTERPOL".into())],
            console: true,
            ..Default::default()
        },
    )?;
    d.sandbox.add(
        "hub:INTERPOL",
        MemberOptions {
            hub: true,
            ..Default::default()
        },
    )?;
    d.sandbox.start_all().await?;
    for (who, m) in &d.sandbox.members {
        let running = m.running.as_ref().context("started")?;
        let who = who.to_string();
        println!(
            "   {who:<13} CA {}…  federation {}  local {}",
            &crate::identity::pki::fingerprint(&m.ca.cert_der()?)[..16],
            running.federation_addr,
            running.local_addr
        );
        if let Some(console) = running.console_addr {
            println!("   {:<13} console https://{console}/", "");
        }
    }
    Ok(())
}

/// Each admin pins its partners' CAs.
async fn peering(d: &mut Demo) -> anyhow::Result<()> {
    d.step("Explicit peering: each admin pins a partner's CA to that partner alone");
    for member in ["GHA", "NGA"] {
        d.sandbox.pin(&p(member), &p("hub:ECOWAS"), &[]).await?;
        d.sandbox.pin(&p("hub:ECOWAS"), &p(member), &[]).await?;
        println!("   {member} ⇄ hub:ECOWAS (regional hub, clause 11.3)");
    }
    d.sandbox.pin(&p("BEL"), &p("hub:INTERPOL"), &[]).await?;
    d.sandbox.pin(&p("hub:INTERPOL"), &p("BEL"), &[]).await?;
    println!("   BEL ⇄ hub:INTERPOL (broker, clause 11.2)");
    d.sandbox
        .pin(&p("hub:ECOWAS"), &p("hub:INTERPOL"), &["BEL"])
        .await?;
    d.sandbox
        .pin(&p("hub:INTERPOL"), &p("hub:ECOWAS"), &["GHA", "NGA"])
        .await?;
    println!("   hub:ECOWAS ⇄ hub:INTERPOL");
    Ok(())
}

/// Signed directory entries, distributed by the hubs.
async fn directories(d: &mut Demo) -> anyhow::Result<()> {
    d.step("Each publishes a directory entry signed by its CA; the hubs distribute them");
    for (who, serves) in [
        ("GHA", vec![]),
        ("NGA", vec![]),
        ("BEL", vec![]),
        ("hub:ECOWAS", vec!["GHA", "NGA"]),
        ("hub:INTERPOL", vec!["BEL"]),
    ] {
        d.sandbox
            .publish_directory_entry(&p(who), &serves, 1)
            .await?;
    }
    for who in [
        "hub:ECOWAS",
        "hub:INTERPOL",
        "hub:ECOWAS",
        "GHA",
        "NGA",
        "BEL",
    ] {
        d.sandbox
            .node(&p(who))?
            .refresh_directory()
            .await
            .map_err(|e| anyhow!("{e}"))?;
    }
    let mut gha = d.sandbox.officer(&p("GHA"), Role::Poc)?;
    let dir = gha
        .get_directory(pb::GetDirectoryRequest::default())
        .await?
        .into_inner();
    for e in &dir.entries {
        if let Some(entry) = &e.entry {
            println!(
                "   GHA's directory: {:<13} trust: {}, {}",
                entry.participant,
                e.trust,
                if e.confirmed {
                    "confirmed"
                } else {
                    "unconfirmed"
                }
            );
        }
    }
    Ok(())
}

/// Fingerprints confirmed by phone; records and the broker's register fed.
async fn confirm_and_import(d: &mut Demo) -> anyhow::Result<()> {
    d.step(
        "The states' admins read each other their CA fingerprints by phone and confirm them \
         (`itictl peer confirm`): until then nothing TLP:RED is sealed to a state known only \
         from a hub's word",
    );
    for (a, b) in [
        ("GHA", "BEL"),
        ("GHA", "NGA"),
        ("BEL", "GHA"),
        ("BEL", "NGA"),
        ("NGA", "GHA"),
        ("NGA", "BEL"),
    ] {
        d.sandbox.confirm(&p(a), &p(b)).await?;
    }
    println!("   GHA, BEL and NGA confirmed each other");

    d.step(
        "Belgium and Nigeria import their agencies' records (national tracing system, clause 7)",
    );
    for line in records::import(&mut d.sandbox).await? {
        println!("   {line}");
    }

    d.step("Nigeria had reported the rifle stolen to the broker (serial misread as 15O2347)");
    let mut broker = d.sandbox.officer(&p("hub:INTERPOL"), Role::Poc)?;
    let imported = broker
        .import_lost_stolen(tokio_stream::iter(vec![pb::LostStolenRecord {
            line: 2,
            reported_by: "NGA".into(),
            make: "FN HERSTAL".into(),
            model: "FAL".into(),
            serial_number: "15O2347".into(),
            calibre: "7.62x51".into(),
            reported_on: "2015-06-03".into(),
            circumstances: "armoury break-in, Kaduna".into(),
            reference: "NGA-LS-2015-0098".into(),
        }]))
        .await?
        .into_inner();
    println!("   register: {} report added", imported.accepted);
    Ok(())
}

/// Ghana plans its request: nothing is sent.
async fn plan(d: &mut Demo, o: &mut Officers) -> anyhow::Result<()> {
    d.step("Ghana's point of contact plans the request (nothing is sent)");
    let plan = o
        .gha
        .plan_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner();
    print!("{}", indent(&render::plan(&Texts::new(Lang::En), &plan)));
    Ok(())
}

/// Ghana sends its request through both hubs; the broker's notice. The trace.
async fn first_request(d: &mut Demo, o: &mut Officers) -> anyhow::Result<String> {
    d.step("Ghana submits it: signed by Ghana, relayed by both hubs on its header alone");
    let submitted = o
        .gha
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner();
    let first = submitted.trace_id.clone();
    println!("   case {}  trace {}", submitted.case_id, first);
    wait_for_state(&mut o.bel, &first, &["delivered"]).await?;
    let t = wait_for_state(&mut o.gha, &first, &["delivered"]).await?;
    let case = o
        .bel
        .show_case(pb::ShowCaseRequest {
            id: first.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    if let Some(m) = case
        .traces
        .iter()
        .flat_map(|t| &t.messages)
        .find(|m| m.kind == pb::PayloadKind::Request as i32)
    {
        println!(
            "   Belgium received it from {} via {}",
            m.origin,
            m.hops.join(" → ")
        );
    }
    println!(
        "   Belgium's signed receipt came back to Ghana; deadlines run from it: acknowledge by {}, respond by {}",
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

    d.step("The broker checked it against the lost/stolen register (annex A.2)");
    let mut notice = None;
    for _ in 0..300 {
        let case = o
            .gha
            .show_case(pb::ShowCaseRequest {
                id: first.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        notice = case
            .traces
            .iter()
            .flat_map(|t| &t.messages)
            .find(|m| m.kind == pb::PayloadKind::BrokerNotice as i32)
            .and_then(|m| m.payload.clone());
        if notice.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut text = String::new();
    if let Some(notice) = &notice {
        render::payload(&Texts::new(Lang::En), notice, &mut text, "   ");
    }
    print!("{text}");
    Ok(first)
}

/// Belgium acknowledges and answers from its records.
async fn belgium_answers(d: &mut Demo, o: &mut Officers, first: String) -> anyhow::Result<()> {
    d.step("Belgium's inbox");
    let inbox = o
        .bel
        .list_traces(pb::ListTracesRequest {
            inbox: true,
            include_closed: false,
            page: None,
        })
        .await?
        .into_inner();
    for t in &inbox.traces {
        println!("   {}", render::trace_line(&Texts::new(Lang::En), t));
    }

    d.step("Belgium acknowledges (10.1) and answers from its records: exported to Nigeria in 2009 (10.4.3)",
    );
    act(
        &mut o.bel,
        &first,
        pb::act_request::Action::Acknowledge(pb::Acknowledgement {
            reference: "BE/FED-POL/ITI/2026/311".into(),
            note: String::new(),
        }),
    )
    .await?;
    for line in records::answer_from_records(&mut d.sandbox, "BEL", &first).await? {
        println!("   {line}");
    }
    wait_for_state(&mut o.gha, &first, &["responded"]).await?;
    println!("   Ghana received the response; its commercial details are marked PROPRIETARY");
    Ok(())
}

/// Ghana's node drafts the follow-up to Nigeria from Belgium's answer.
async fn follow_up_drafted(
    d: &mut Demo,
    o: &mut Officers,
    first: String,
) -> anyhow::Result<pb::TraceSummary> {
    d.step("Ghana's node proposes the follow-up request to the importing state");
    let case = o
        .gha
        .show_case(pb::ShowCaseRequest {
            id: first.clone(),
            ..Default::default()
        })
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
        "   drafted trace {} to {}, pre-filled from Belgium's export record:",
        proposal.trace_id, proposal.counterpart
    );
    let draft = o
        .gha
        .show_case(pb::ShowCaseRequest {
            id: proposal.trace_id.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    for field in draft.traces.iter().flat_map(|t| &t.draft_fields) {
        println!(
            "     {} from {}, marked {}",
            field.field,
            field.provided_by,
            render::marking(&Texts::new(Lang::En), field.marking.as_ref())
        );
    }
    Ok(proposal)
}

/// The follow-up refused, consent asked and granted: it goes. Its trace.
async fn follow_up_consented(
    d: &mut Demo,
    o: &mut Officers,
    first: String,
    proposal: pb::TraceSummary,
) -> anyhow::Result<String> {
    d.step("Sending it to Nigeria is an onward use of Belgium's information (10.3): refused");
    let refused = o
        .gha
        .send_draft(pb::SendDraftRequest {
            trace_id: proposal.trace_id.clone(),
            ..Default::default()
        })
        .await
        .err()
        .ok_or_else(|| anyhow!("the draft went without Belgium's consent"))?;
    println!("   {}", wrap(refused.message(), "   "));

    d.step("Ghana asks Belgium's consent; Belgium finds it in its inbox and grants it, for Nigeria only",
    );
    let asked = o
        .gha
        .send_draft(pb::SendDraftRequest {
            trace_id: proposal.trace_id.clone(),
            onward: pb::DraftOnward::AskConsent as i32,
            justification: "Nigeria holds the rifle's later history; it needs the export \
                            record to find it."
                .into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    for note in &asked.notes {
        println!("   {note}");
    }
    let waiting = loop {
        let inbox = o
            .bel
            .list_traces(pb::ListTracesRequest {
                inbox: true,
                include_closed: false,
                page: None,
            })
            .await?
            .into_inner();
        if let Some(t) = inbox
            .traces
            .into_iter()
            .find(|t| t.trace_id == first && !t.awaiting.is_empty())
        {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!("   Belgium's inbox: {}", waiting.awaiting);
    act(
        &mut o.bel,
        &first,
        pb::act_request::Action::GrantConsent(pb::Consent {
            r#use: pb::OnwardUse::ForwardToThirdState as i32,
            destination: "NGA".into(),
            lifts_tlp: true,
            note: "For the trace of this rifle in Nigeria only.".into(),
            ..Default::default()
        }),
    )
    .await?;
    let sent = wait_for_state(&mut o.gha, &proposal.trace_id, &["sent", "delivered"]).await?;
    println!(
        "   consent granted: the follow-up went to {} by itself, the export record with it",
        sent.counterpart
    );
    let second = proposal.trace_id.clone();
    Ok(second)
}

/// Nigeria answers from its records; the answer sealed to Ghana.
async fn nigeria_answers(d: &mut Demo, o: &mut Officers, second: String) -> anyhow::Result<()> {
    d.step("Nigeria answers from its records: stolen from a police armoury (10.4.4); the TLP:RED part is sealed",
    );
    wait_for_state(&mut o.nga, &second, &["delivered"]).await?;
    act(
        &mut o.nga,
        &second,
        pb::act_request::Action::Acknowledge(pb::Acknowledgement::default()),
    )
    .await?;
    for line in records::answer_from_records(&mut d.sandbox, "NGA", &second).await? {
        println!("   {line}");
    }
    wait_for_state(&mut o.gha, &second, &["responded"]).await?;
    let case = o
        .gha
        .show_case(pb::ShowCaseRequest {
            id: second.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let response = case
        .traces
        .iter()
        .filter(|t| t.summary.as_ref().is_some_and(|s| s.trace_id == second))
        .flat_map(|t| &t.messages)
        .find(|m| m.kind == pb::PayloadKind::Response as i32);
    if let Some(m) = response {
        let sealed = d
            .sandbox
            .node(&p("GHA"))?
            .sealing_of(m.envelope_id.parse()?)
            .await
            .map_err(|e| anyhow!("{e}"))?
            .context("stored")?;
        match sealed {
            Some(bytes) => println!(
                "   relayed by {} as {bytes} bytes of ciphertext sealed to Ghana's key: the hub routed it on its header alone",
                m.hops.join(", "),
            ),
            None => println!("   relayed by {} in clear", m.hops.join(", ")),
        }
    }
    Ok(())
}

/// Ghana reads the whole case, an analyst reads it too, and it is closed.
async fn case_closed(
    d: &mut Demo,
    o: &mut Officers,
    first: String,
    second: String,
) -> anyhow::Result<()> {
    d.step("Ghana's point of contact reads the whole case");
    let case = o
        .gha
        .show_case(pb::ShowCaseRequest {
            id: second.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    print!("{}", indent(&render::case(&Texts::new(Lang::En), &case)));

    d.step("What a Ghanaian policy analyst may see of the same case (markings enforced)");
    let mut analyst = d.sandbox.officer(&p("GHA"), Role::Analyst)?;
    let case = analyst
        .show_case(pb::ShowCaseRequest {
            id: second.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    for tv in &case.traces {
        for m in &tv.messages {
            for w in &m.withheld {
                println!("   withheld from the analyst: {w}");
            }
        }
    }

    d.step("Ghana closes the case");
    for trace in [&first, &second] {
        act(
            &mut o.gha,
            trace,
            pb::act_request::Action::Close(pb::Closure {
                outcome: "Point of diversion identified: Kaduna State Command armoury, 2015".into(),
            }),
        )
        .await?;
    }
    wait_for_state(&mut o.nga, &second, &["closed"]).await?;
    Ok(())
}

/// The hub operator's figures; every audit chain verified.
async fn figures_and_audit(d: &mut Demo) -> anyhow::Result<()> {
    d.step("The ECOWAS hub operator's figures per member (itictl hub stats)");
    let mut operator = d.sandbox.officer(&p("hub:ECOWAS"), Role::Admin)?;
    let stats = operator
        .hub_stats(pb::HubStatsRequest {})
        .await?
        .into_inner();
    for m in &stats.members {
        println!(
            "   {:<4} relayed {:>2}  pending {}  overdue {}  median ack {:.1} s  median response {:.1} s",
            m.member,
            m.relayed,
            m.pending,
            m.overdue,
            m.median_ack_seconds,
            m.median_response_seconds
        );
    }

    d.step("Every node's audit trail verifies");
    let all: Vec<ParticipantId> = d.sandbox.members.keys().cloned().collect();
    for who in all {
        let mut c = d.sandbox.officer(&who, Role::Auditor)?;
        let v = c
            .audit_verify(pb::AuditVerifyRequest {})
            .await?
            .into_inner();
        let who = who.to_string();
        println!(
            "   {who:<13} {:>3} audit entries, hash chain {}",
            v.entries,
            if v.ok { "intact" } else { "BROKEN" }
        );
        if !v.ok {
            return Err(anyhow!(
                "{who}: audit chain broken at {}: {}",
                v.first_bad_seq,
                v.problem
            ));
        }
    }
    Ok(())
}

/// The officers who get a browser bundle: each state's point of contact,
/// and the regional hub's operator.
const SERVED: [(&str, Role); 4] = [
    ("GHA", Role::Poc),
    ("NGA", Role::Poc),
    ("BEL", Role::Poc),
    ("hub:ECOWAS", Role::Admin),
];

/// Keeps the federation running for a browser: each console's address, the
/// PKCS#12 file to import and its password, until Ctrl-C.
async fn serve(sandbox: &mut Sandbox) -> anyhow::Result<()> {
    use crate::identity::browser_bundle;
    println!("\nThe federation keeps running. Import an officer's PKCS#12 file into the");
    println!("browser (its certificate is the login), then open that state's console.");
    println!("The consoles' certificates come from each state's own CA: the browser");
    println!("warns about them, as it would about any CA it does not know.");
    for (who, role) in SERVED {
        let who = p(who);
        let officer = sandbox.officer_cert(&who, role)?;
        let member = sandbox.member(&who)?;
        let console = member
            .running
            .as_ref()
            .and_then(|r| r.console_addr)
            .with_context(|| format!("{who} has no console"))?;
        let password = browser_bundle::make_password();
        let file = member.dir.join(format!(
            "{}-{}.p12",
            who.to_string().replace(':', "-"),
            role.as_str()
        ));
        browser_bundle::write(
            &file,
            &browser_bundle::browser_bundle(&officer, &member.ca, &password)?,
        )?;
        println!("\n   {who} ({})", role.as_str());
        println!("     console   https://{console}/");
        println!("     PKCS#12   {}", file.display());
        println!("     password  {password}");
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());
    println!("\nCtrl-C stops every node.");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    println!("\nstopping");
    Ok(())
}
