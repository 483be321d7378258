//! Nodes as operating-system processes (the harness fault tests build on),
//! driven the way a real point of contact drives them: with the `itictl`
//! binary.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use iti_node::clock::SystemClock;
use iti_node::identity::{Role, tls};
use iti_node::sandbox::{MemberOptions, Sandbox};
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::process::{NodeProcess, itictl_binary, node_binary, require_binary};
use iti_tests::{fixtures, p};

/// Runs `itictl --identity <officer> --node <local> --json ARGS` and returns
/// its standard output; fails with its standard error.
async fn itictl(officer: &Path, node: &NodeProcess, args: &[&str]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new(itictl_binary())
        .arg("--identity")
        .arg(officer)
        .arg("--node")
        .arg(node.local.to_string())
        .arg("--json")
        .args(args)
        .output()
        .await
        .context("running itictl")?;
    if !output.status.success() {
        bail!(
            "itictl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Fails once `deadline` has passed; otherwise pauses before the next poll.
async fn poll_again(deadline: tokio::time::Instant, what: &str) -> anyhow::Result<()> {
    if tokio::time::Instant::now() > deadline {
        bail!("timed out waiting until {what}");
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}

/// When a wait gives up: a safety net, not a measure of speed (a loaded CI
/// machine takes seconds where an idle one takes milliseconds).
fn wait_limit() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(60)
}

fn admin_client(
    sandbox: &mut Sandbox,
    who: &str,
    node: &NodeProcess,
) -> anyhow::Result<LocalClient<tonic::transport::Channel>> {
    let cert = sandbox.officer_cert(&p(who), Role::Admin)?;
    let ca = sandbox.member(&p(who))?.ca.cert_pem.clone();
    let channel =
        tls::officer_channel(&node.local.to_string(), &cert, &ca, Duration::from_secs(10))?;
    Ok(LocalClient::new(channel))
}

/// Writes a message as an officer would prepare it: protobuf JSON mapping.
fn write_json(path: &Path, json: serde_json::Result<String>) -> anyhow::Result<PathBuf> {
    std::fs::write(path, json?)?;
    Ok(path.to_path_buf())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_node_processes_exchange_a_trace_driven_by_itictl() -> anyhow::Result<()> {
    require_binary(&node_binary())?;
    require_binary(&itictl_binary())?;
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    for state in ["GHA", "BEL"] {
        sandbox.add(state, MemberOptions::default())?;
    }
    let mut gha =
        NodeProcess::spawn(&node_binary(), &sandbox.member(&p("GHA"))?.config_path).await?;
    let mut bel =
        NodeProcess::spawn(&node_binary(), &sandbox.member(&p("BEL"))?.config_path).await?;

    // Each admin pins the other's card (the endpoint its process bound).
    let mut gha_admin = admin_client(&mut sandbox, "GHA", &gha)?;
    let mut bel_admin = admin_client(&mut sandbox, "BEL", &bel)?;
    gha_admin
        .add_peer(sandbox.card_at(&p("BEL"), &bel.federation.to_string(), &[])?)
        .await?;
    bel_admin
        .add_peer(sandbox.card_at(&p("GHA"), &gha.federation.to_string(), &[])?)
        .await?;

    let gha_poc = sandbox.officer_dir(&p("GHA"), Role::Poc)?;
    let bel_poc = sandbox.officer_dir(&p("BEL"), Role::Poc)?;
    let request = write_json(
        &sandbox.root.join("request.json"),
        serde_json::to_string_pretty(&fixtures::fal_request()),
    )?;
    let response = write_json(
        &sandbox.root.join("response.json"),
        serde_json::to_string_pretty(&fixtures::bel_export_response()),
    )?;

    let submitted: pb::SubmitReply = serde_json::from_str(
        &itictl(
            &gha_poc,
            &gha,
            &[
                "request",
                "submit",
                "--file",
                &request.display().to_string(),
            ],
        )
        .await?,
    )?;
    let trace = submitted.trace_id.clone();
    assert_eq!(
        submitted
            .plan
            .and_then(|p| p.grounds)
            .map(|g| g.requested_state),
        Some("BEL".to_string())
    );

    let deadline = wait_limit();
    loop {
        let inbox: pb::ListTracesReply =
            serde_json::from_str(&itictl(&bel_poc, &bel, &["inbox"]).await?)?;
        if inbox.traces.iter().any(|t| t.trace_id == trace) {
            break;
        }
        poll_again(deadline, "the request is in BEL's inbox").await?;
    }
    let case: pb::CaseView =
        serde_json::from_str(&itictl(&bel_poc, &bel, &["case", "show", &trace]).await?)?;
    let received = case
        .traces
        .first()
        .and_then(|t| t.summary.as_ref())
        .ok_or_else(|| anyhow!("BEL shows no trace"))?;
    assert_eq!(received.counterpart, "GHA");
    itictl(
        &bel_poc,
        &bel,
        &["ack", &trace, "--reference", "BE/FED-POL/ITI/2026/311"],
    )
    .await?;
    itictl(
        &bel_poc,
        &bel,
        &["respond", &trace, "--file", &response.display().to_string()],
    )
    .await?;

    let deadline = wait_limit();
    let shown = loop {
        let shown: pb::CaseView =
            serde_json::from_str(&itictl(&gha_poc, &gha, &["case", "show", &trace]).await?)?;
        if shown
            .traces
            .iter()
            .filter_map(|t| t.summary.as_ref())
            .any(|s| s.trace_id == trace && s.state == "responded")
        {
            break shown;
        }
        poll_again(deadline, "GHA holds the response").await?;
    };
    let view = shown
        .traces
        .iter()
        .find(|t| t.summary.as_ref().is_some_and(|s| s.trace_id == trace))
        .ok_or_else(|| anyhow!("GHA's case lacks the trace"))?;
    let kinds: Vec<i32> = view.messages.iter().map(|m| m.kind).collect();
    assert!(
        kinds.contains(&(pb::PayloadKind::Acknowledgement as i32)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(pb::PayloadKind::Response as i32)),
        "{kinds:?}"
    );
    // GHA's officer works in French: `LANG=fr_FR.UTF-8 itictl case show`.
    let french = tokio::process::Command::new(itictl_binary())
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "fr_FR.UTF-8")
        .arg("--identity")
        .arg(&gha_poc)
        .args(["--node", &gha.local.to_string(), "case", "show", &trace])
        .output()
        .await?;
    let text = String::from_utf8(french.stdout)?;
    assert!(
        text.contains("état : répondu") && text.contains("Part of a consignment of 400 rifles"),
        "{text}{}",
        String::from_utf8_lossy(&french.stderr)
    );

    // SIGTERM: both drain and exit cleanly.
    assert!(gha.stop().await?.success());
    assert!(bel.stop().await?.success());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_process_restarts_on_its_data() -> anyhow::Result<()> {
    require_binary(&node_binary())?;
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    sandbox.add("GHA", MemberOptions::default())?;
    let config = sandbox.member(&p("GHA"))?.config_path.clone();
    let mut gha = NodeProcess::spawn(&node_binary(), &config).await?;
    let mut admin = admin_client(&mut sandbox, "GHA", &gha)?;
    sandbox.add("BEL", MemberOptions::default())?;
    admin
        .add_peer(sandbox.card_at(&p("BEL"), "127.0.0.1:9", &[])?)
        .await?;
    let status = gha.kill9().await?;
    assert!(!status.success(), "SIGKILL is not a clean exit");

    let mut gha = NodeProcess::spawn(&node_binary(), &config).await?;
    let mut admin = admin_client(&mut sandbox, "GHA", &gha)?;
    let peers = admin
        .list_peers(pb::ListPeersRequest {})
        .await?
        .into_inner();
    assert!(
        peers.peers.iter().any(|peer| peer.participant == "BEL"),
        "the peering committed before the kill survives it"
    );
    assert!(gha.stop().await?.success());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn itictl_lists_traces_and_the_outbox_page_by_page() -> anyhow::Result<()> {
    require_binary(&node_binary())?;
    require_binary(&itictl_binary())?;
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    sandbox.add("GHA", MemberOptions::default())?;
    sandbox.add("BEL", MemberOptions::default())?;
    let mut gha =
        NodeProcess::spawn(&node_binary(), &sandbox.member(&p("GHA"))?.config_path).await?;
    // BEL is unreachable: the requests wait in the outbox.
    admin_client(&mut sandbox, "GHA", &gha)?
        .add_peer(sandbox.card_at(&p("BEL"), "127.0.0.1:9", &[])?)
        .await?;
    let cert = sandbox.officer_cert(&p("GHA"), Role::Poc)?;
    let ca = sandbox.member(&p("GHA"))?.ca.cert_pem.clone();
    let mut poc = LocalClient::new(tls::officer_channel(
        &gha.local.to_string(),
        &cert,
        &ca,
        Duration::from_secs(10),
    )?);
    let mut sent = Vec::new();
    for _ in 0..5 {
        let r = poc
            .submit_request(pb::SubmitRequestRequest {
                request: Some(fixtures::fal_request()),
                routing_override: None,
                on_behalf_via: String::new(),
                allow_duplicate: true,
            })
            .await?
            .into_inner();
        sent.push(r.trace_id);
    }
    let officer = sandbox.officer_dir(&p("GHA"), Role::Poc)?;
    let cases: pb::ListTracesReply = serde_json::from_str(
        &itictl(&officer, &gha, &["cases", "--all", "--page-size", "2"]).await?,
    )?;
    let listed: Vec<String> = cases.traces.into_iter().map(|t| t.trace_id).collect();
    let mut newest_first = sent.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        listed, newest_first,
        "every page, newest (highest id) first"
    );
    let outbox: pb::OutboxReply = serde_json::from_str(
        &itictl(&officer, &gha, &["outbox", "--all", "--page-size", "2"]).await?,
    )?;
    let queued: Vec<String> = outbox.items.into_iter().map(|i| i.trace_id).collect();
    assert_eq!(queued, sent);
    assert!(gha.stop().await?.success());
    Ok(())
}

/// A node process runs with glibc's threshold for large allocations fixed,
/// which the node sets itself at start (executing itself again, same
/// process): otherwise, once a photograph's chunks have passed through, the
/// buffers of every later burst stay resident after they are freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_process_runs_with_a_fixed_threshold_for_large_allocations() -> anyhow::Result<()> {
    require_binary(&node_binary())?;
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    sandbox.add("GHA", MemberOptions::default())?;
    let config = sandbox.member(&p("GHA"))?.config_path.clone();
    let mut gha = NodeProcess::spawn(&node_binary(), &config).await?;
    let pid = gha.pid().context("no process id")?;
    let environ = std::fs::read(format!("/proc/{pid}/environ"))?;
    let tunables: Vec<String> = environ
        .split(|b| *b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .filter(|v| v.starts_with("GLIBC_TUNABLES="))
        .collect();
    assert!(
        tunables
            .iter()
            .any(|v| v.contains("glibc.malloc.mmap_threshold=131072")),
        "{tunables:?}"
    );
    assert!(gha.stop().await?.success());
    Ok(())
}
