//! (7) large: one request larger than one message, a seized cache of
//! `--large-items` items (issue 16: 100,000), from GHA to BEL through the
//! hub, each an `iti-node` process. It travels in parts of 1 MiB
//! (`transfer`), each hop keeping the parts durably. It prints the
//! request's size, the time from the officer's submit until BEL holds it
//! and until GHA holds BEL's receipt, and each process's memory: idle
//! before, its peak during the transfer (sampled every 50 ms), and idle
//! after. The target (issue #16): within 50 MB of idle at every node
//! during the transfer, back to idle after.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use iti_node::bounds::MAX_LOCAL_MESSAGE_BYTES;
use iti_node::identity::Role;
use iti_node::transfer::PART_BYTES;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::bench::local_client;
use iti_tests::fixtures;
use pb::recovered_item::Item;
use tonic::transport::Channel;

use super::photos::PeakSampler;
use super::{Args, HubCase, idle_rss, start_hub_case};
use iti_tests::process::NodeProcess;

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let mut case = start_hub_case(args).await?;
    let outcome = measure(args, &mut case).await;
    case.stop(args.keep).await?;
    outcome
}

async fn measure(args: &Args, case: &mut HubCase) -> anyhow::Result<()> {
    let request = seized_cache(args.large_items);
    let size = prost::Message::encoded_len(&request);
    println!(
        "(7) one large request through the hub: {} items, {:.1} MB encoded, in parts of up to {} KiB, \
         GHA -> hub -> BEL",
        args.large_items,
        size as f64 / 1e6,
        PART_BYTES >> 10
    );
    let gha = local_client(&mut case.sandbox, "GHA", Role::Poc, &case.gha)?
        .max_decoding_message_size(MAX_LOCAL_MESSAGE_BYTES);
    let bel = local_client(&mut case.sandbox, "BEL", Role::Poc, &case.bel)?;
    let nodes = [("GHA", &case.gha), ("hub", &case.hub), ("BEL", &case.bel)];
    let before = idle_rss(&nodes).await;

    let sampler = PeakSampler::start(&nodes);
    let started = Instant::now();
    let trace = submit(gha.clone(), request).await?;
    let submitted = started.elapsed();
    until_listed(bel.clone(), &trace, None).await?;
    let held = started.elapsed();
    until_listed(gha, &trace, Some("delivered")).await?;
    let receipted = started.elapsed();
    let peaks = sampler.finish().await;
    println!(
        "  submitted at GHA in {:.2} s; held by BEL {:.2} s after the submit ({:.1} MB/s end to \
         end); BEL's receipt at GHA after {:.2} s",
        submitted.as_secs_f64(),
        held.as_secs_f64(),
        size as f64 / 1e6 / held.as_secs_f64(),
        receipted.as_secs_f64()
    );
    let after = idle_rss(&nodes).await;
    println!(
        "  memory (RSS, MB): idle before | peak during the transfer (over idle) | idle after \
         [its anonymous part]"
    );
    let mb = |kb: Option<u64>| kb.unwrap_or(0) as f64 / 1024.0;
    for (i, (who, _)) in nodes.iter().enumerate() {
        let (idle, peak) = (mb(before[i].rss), mb(peaks.get(i).copied()));
        println!(
            "    {who:<4} {idle:>6.1} | {peak:>6.1} ({:+.1}) | {:>6.1} [{:.1}]",
            peak - idle,
            mb(after[i].rss),
            mb(after[i].anon)
        );
    }
    read_pages(args, bel, &trace, &nodes[2..]).await
}

/// BEL's officer opens the case at its first page of items, then its last:
/// the time, and BEL's peak memory meanwhile.
async fn read_pages(
    args: &Args,
    mut bel: LocalClient<Channel>,
    trace: &str,
    bel_node: &[(&str, &NodeProcess)],
) -> anyhow::Result<()> {
    let idle = idle_rss(bel_node).await;
    let sampler = PeakSampler::start(bel_node);
    let started = Instant::now();
    let last = args.large_items.saturating_sub(PAGE);
    for from in [0, last] {
        bel.show_case(pb::ShowCaseRequest {
            id: trace.to_string(),
            items_from: from as u32,
            items_limit: PAGE as u32,
        })
        .await
        .map_err(|e| anyhow!("showing the case: {}", e.message()))?;
    }
    let took = started.elapsed();
    let peak = sampler.finish().await.first().copied().unwrap_or(0) as f64 / 1024.0;
    let idle = idle.first().and_then(|m| m.rss).unwrap_or(0) as f64 / 1024.0;
    println!(
        "  BEL's officer reads the case's first and last page of {PAGE} items: {:.2} s; BEL's \
         peak {peak:.1} MB ({:+.1} over idle)",
        took.as_secs_f64(),
        peak - idle
    );
    Ok(())
}

/// The items an officer's page shows (`case::items::ItemWindow::PAGE`).
const PAGE: usize = iti_node::case::items::ItemWindow::PAGE;

/// GHA's FAL request with `n` rifles of one batch, each its own serial
/// number and exhibit reference.
fn seized_cache(n: usize) -> pb::TraceRequest {
    let mut request = fixtures::fal_request();
    let Some(Item::Weapon(rifle)) = request.items[0].item.clone() else {
        unreachable!("the fixture's first item is a weapon")
    };
    request.items = (0..n)
        .map(|i| pb::RecoveredItem {
            item_ref: format!("exhibit {}", 1000 + i),
            quantity: 1,
            item: Some(Item::Weapon(pb::WeaponIdentification {
                serial_number: format!("{}", 1_500_000 + i),
                ..rifle.clone()
            })),
        })
        .collect();
    request
}

async fn submit(
    mut gha: LocalClient<Channel>,
    request: pb::TraceRequest,
) -> anyhow::Result<String> {
    Ok(gha
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            allow_duplicate: true,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("submitting: {}", e.message()))?
        .into_inner()
        .trace_id)
}

/// Until the node lists the trace (its summary, not the request itself),
/// in `state` if one is named.
async fn until_listed(
    mut node: LocalClient<Channel>,
    trace: &str,
    state: Option<&str>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let listed = node
            .list_traces(pb::ListTracesRequest::default())
            .await
            .map_err(|e| anyhow!("listing traces: {}", e.message()))?
            .into_inner();
        let found = listed.traces.iter().find(|t| t.trace_id == trace);
        if found.is_some_and(|t| state.is_none_or(|s| t.state == s)) {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "trace {trace} never listed as {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
