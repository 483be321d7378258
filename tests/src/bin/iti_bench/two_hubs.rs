//! (6) two hubs: a trace request from GHA to BEL through hub:ECOWAS and
//! then hub:EU (a hub-to-hub link), four `iti-node` processes. First at
//! its maximum rate (as (2) and (3), closed loop), then paced at a tenth of
//! the rate just measured, one request every tenth of the mean gap, to see
//! what latency costs when the exchange is not saturated. The target
//! (issue #16): p99 under 20 ms on loopback at that pace.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use iti_node::identity::Role;
use iti_node::sandbox::{MemberOptions, Sandbox};
use iti_proto::v1::local_client::LocalClient;
use iti_tests::bench::{local_client, pin};
use iti_tests::p;
use iti_tests::process::NodeProcess;
use tonic::transport::Channel;

use super::{
    Args, DeliveryWatch, Figures, SystemClock, UNREACHABLE, database_of, durability, exchange,
    finish_sandbox, outbox_latencies, spawn, submission,
};

const ECOWAS: &str = "hub:ECOWAS";
const EU: &str = "hub:EU";

pub async fn run(args: &Args) -> anyhow::Result<Vec<Figures>> {
    let (mut sandbox, mut nodes) = start(args).await?;
    let figures = measure(args, &mut sandbox, &nodes).await;
    for (_, node) in &mut nodes {
        node.stop().await?;
    }
    finish_sandbox(sandbox, args.keep);
    figures
}

async fn measure(
    args: &Args,
    sandbox: &mut Sandbox,
    nodes: &[(&str, NodeProcess)],
) -> anyhow::Result<Vec<Figures>> {
    let node = |who: &str| nodes.iter().find(|(n, _)| *n == who).map(|(_, p)| p);
    let gha = node("GHA").ok_or_else(|| anyhow!("GHA is not running"))?;
    let poc = local_client(sandbox, "GHA", Role::Poc, gha)?;
    let measured: Vec<(&str, &NodeProcess, String)> = nodes
        .iter()
        .map(|(who, process)| Ok((*who, process, database_of(sandbox, who)?)))
        .collect::<anyhow::Result<_>>()?;
    let saturated = exchange(
        args,
        "(6) two hubs: GHA -> ECOWAS -> EU -> BEL",
        poc.clone(),
        &measured,
    )
    .await?;
    let rate = saturated.throughput() / 10.0;
    let calm = paced(args, poc, rate).await?;
    Ok(vec![saturated, calm])
}

/// GHA and BEL, each pinning the other's CA (to verify end to end) but
/// routed through their hubs; ECOWAS and EU linked, each routing the other
/// side's state to the other hub.
async fn start(args: &Args) -> anyhow::Result<(Sandbox, Vec<(&'static str, NodeProcess)>)> {
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    let d = Some(durability(args)?);
    let member = |hub: bool, to: &str, via: &str| MemberOptions {
        durability: d,
        metrics: true,
        hub,
        routes: vec![(to.into(), via.into())],
        ..Default::default()
    };
    sandbox.add("GHA", member(false, "BEL", ECOWAS))?;
    sandbox.add("BEL", member(false, "GHA", EU))?;
    sandbox.add(ECOWAS, member(true, "BEL", EU))?;
    sandbox.add(EU, member(true, "GHA", ECOWAS))?;
    let mut nodes = Vec::new();
    for who in ["GHA", ECOWAS, EU, "BEL"] {
        nodes.push((who, spawn(&sandbox, who).await?));
    }
    let at = |who: &str| {
        nodes
            .iter()
            .find(|(n, _)| *n == who)
            .map(|(_, p): &(&str, NodeProcess)| p.federation.to_string())
            .unwrap_or_default()
    };
    // (who pins, whom, where it reaches it, whom the card says it serves)
    // A hub verifies the origin of what it relays: each pins the far
    // state's CA too, reached only by its route.
    let pins: [(&str, &str, String, &[&str]); 10] = [
        ("GHA", ECOWAS, at(ECOWAS), &["GHA"]),
        ("GHA", "BEL", UNREACHABLE.into(), &[]),
        ("BEL", EU, at(EU), &["BEL"]),
        ("BEL", "GHA", UNREACHABLE.into(), &[]),
        (ECOWAS, "GHA", at("GHA"), &[]),
        (ECOWAS, EU, at(EU), &["BEL"]),
        (ECOWAS, "BEL", UNREACHABLE.into(), &[]),
        (EU, "BEL", at("BEL"), &[]),
        (EU, ECOWAS, at(ECOWAS), &["GHA"]),
        (EU, "GHA", UNREACHABLE.into(), &[]),
    ];
    let mut admins: HashMap<&str, LocalClient<Channel>> = HashMap::new();
    for (who, process) in &nodes {
        admins.insert(who, local_client(&mut sandbox, who, Role::Admin, process)?);
    }
    for (who, whom, endpoint, serves) in pins {
        let card = sandbox.card_at(&p(whom), &endpoint, serves)?;
        let admin = admins
            .get_mut(who)
            .ok_or_else(|| anyhow!("no admin of {who}"))?;
        pin(admin, card).await?;
    }
    Ok((sandbox, nodes))
}

/// Requests submitted one every `1 / rate` seconds for `--seconds`, each
/// followed until GHA holds BEL's receipt.
async fn paced(args: &Args, requester: LocalClient<Channel>, rate: f64) -> anyhow::Result<Figures> {
    let label = format!("(6') two hubs, paced at {rate:.0}/s");
    let watching = DeliveryWatch::start(&requester);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1.0)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let begin = Instant::now();
    let mut ids = HashSet::new();
    let mut followed = tokio::task::JoinSet::new();
    while begin.elapsed() < Duration::from_secs(args.seconds) {
        tick.tick().await;
        let reply = requester
            .clone()
            .submit_request(submission())
            .await
            .map_err(|e| anyhow!("submit: {}", e.message()))?
            .into_inner();
        followed.spawn(watching.watch.wait_for(reply.envelope_id.clone()));
        ids.insert(reply.envelope_id);
    }
    let elapsed = begin.elapsed();
    let mut errors = 0;
    while let Some(outcome) = followed.join_next().await {
        if !matches!(outcome, Ok(Ok(Ok(())))) {
            errors += 1;
        }
    }
    watching.stop().await;
    Ok(Figures {
        label,
        done: ids.len() - errors,
        errors,
        elapsed,
        latencies: outbox_latencies(&requester, &ids).await?,
        latency_source: "node",
        rss: Vec::new(),
        cpu_per_op: Vec::new(),
        rows_per_op: Vec::new(),
    })
}
