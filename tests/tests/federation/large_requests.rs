//! Requests larger than a small message (issue 16): a seized cache of
//! thousands of items, 20 MB encoded, travels from node to node in parts of
//! up to 1 MiB (`transfer`), each hop keeping the parts durably, so that a
//! delivery cut off on a weak line resumes from the bytes the next hop
//! holds; the origin's signature covers the envelope whole. Parts are
//! sized to the line, so that a slow one still carries each within the
//! delivery timeout.

use anyhow::{Context, ensure};
use iti_node::demo::fixtures;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_proto::v1::recovered_item::Item;
use iti_tests::proxy::FaultProxy;
use iti_tests::{Federation, db_scalar, p};

const HUB: &str = "hub:ECOWAS";

/// GHA and BEL reach each other only through hub:ECOWAS.
async fn through_hub() -> anyhow::Result<Federation> {
    iti_tests::one_hub(&["GHA", "BEL"], &[]).await
}

/// GHA's FAL request with `n` rifles of the same batch, each described
/// at length with its marks: about 4 KB an item.
fn seized_cache(n: usize) -> pb::TraceRequest {
    let mut request = fixtures::fal_request();
    let Some(Item::Weapon(rifle)) = request.items[0].item.clone() else {
        unreachable!("the fixture's first item is a weapon")
    };
    let mark = |i: usize, k: usize| pb::WeaponMark {
        kind: pb::MarkKind::Other as i32,
        value: format!("{:0>120}", i * 10 + k),
        location: format!("{:-<120}", "left side of the receiver"),
        country: String::new(),
        year: 0,
    };
    request.items = (0..n)
        .map(|i| pb::RecoveredItem {
            item_ref: format!("exhibit {}", 1000 + i),
            quantity: 1,
            item: Some(Item::Weapon(pb::WeaponIdentification {
                serial_number: format!("{}", 1_500_000 + i),
                description: format!("{i}: {}", "worn finish, cut sling swivel; ".repeat(60)),
                marks: (0..8).map(|k| mark(i, k)).collect(),
                ..rifle.clone()
            })),
        })
        .collect();
    request
}

/// The request as BEL's officer reads it in the case `trace_id`.
async fn request_at_bel(f: &mut Federation, trace_id: &str) -> anyhow::Result<pb::TraceRequest> {
    let limit = iti_node::bounds::MAX_LOCAL_MESSAGE_BYTES;
    let mut bel = f.poc("BEL")?.max_decoding_message_size(limit);
    let case = bel
        .show_case(pb::ShowCaseRequest {
            id: trace_id.to_string(),
            ..Default::default()
        })
        .await?
        .into_inner();
    case.traces
        .iter()
        .flat_map(|t| &t.messages)
        .find_map(|m| match m.payload.as_ref()?.body.as_ref()? {
            pb::payload::Body::Request(r) => Some(r.clone()),
            _ => None,
        })
        .context("BEL shows no request")
}

/// GHA's line to the hub, through a proxy.
async fn line_to_hub(f: &mut Federation) -> anyhow::Result<FaultProxy> {
    let to_hub = FaultProxy::start(f.federation_addr(HUB)?).await?;
    let mut card = f.sandbox.card(&p(HUB), &[])?;
    card.endpoint = to_hub.addr.to_string();
    f.node("GHA")?
        .add_peer(&iti_node::service::Actor::Node, card)
        .await?;
    Ok(to_hub)
}

fn parts_held_sql() -> &'static str {
    "SELECT CAST(COALESCE(SUM(length(content)), 0) AS BIGINT) FROM envelope_parts"
}

/// A request of 20 MB goes from GHA to BEL through the hub, in parts. The
/// link from GHA to the hub is cut in the middle of the transfer: the hub
/// keeps the parts it had, and once the link is back GHA sends only the
/// rest (the bytes that cross the link after the cut are fewer than the
/// request's). BEL holds every item as GHA sent it, and no node keeps parts
/// once the envelope is received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_of_20_mb_cut_off_on_its_way_resumes_and_arrives_whole() -> anyhow::Result<()> {
    let mut f = through_hub().await?;
    let request = seized_cache(5_000);
    let size = prost::Message::encoded_len(&request) as u64;
    ensure!(size > 20_000_000, "the request is only {size} bytes");

    let to_hub = line_to_hub(&mut f).await?;
    to_hub.cut_after_sent(8 << 20);

    // The reply carries the request as routed, as itictl reads it.
    let limit = iti_node::bounds::MAX_LOCAL_MESSAGE_BYTES;
    let sent = f
        .poc("GHA")?
        .max_decoding_message_size(limit)
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request.clone()),
            ..Default::default()
        })
        .await?
        .into_inner();
    f.until("the link to the hub is cut", || async {
        Ok(to_hub.is_cut())
    })
    .await?;
    let held = db_scalar(f.node(HUB)?, parts_held_sql()).await? as u64;
    ensure!(
        (4 << 20..size).contains(&held),
        "the hub holds {held} bytes of the request after the cut"
    );

    to_hub.reset_count();
    to_hub.heal();
    f.until_state("BEL", &sent.trace_id, "delivered").await?;
    let resumed = to_hub.sent_bytes();
    ensure!(
        resumed < size - held + (2 << 20),
        "{resumed} bytes crossed the link after the cut, for the {} the hub lacked",
        size - held
    );

    let received = request_at_bel(&mut f, &sent.trace_id).await?;
    ensure!(
        received.items == request.items,
        "BEL holds {} items, not the {} sent",
        received.items.len(),
        request.items.len()
    );
    for who in [HUB, "BEL", "GHA"] {
        let left = db_scalar(f.node(who)?, parts_held_sql()).await?;
        ensure!(left == 0, "{who} keeps {left} bytes of parts");
    }
    f.shutdown().await;
    Ok(())
}

/// A ministry on a slow line: GHA's link to the hub carries 256 kB a
/// second, and GHA waits 2 s for each call. A request of 1.2 MB would take
/// 4.7 s in one call, and would be sent again and again without ever
/// arriving; sent in parts sized to the line, it arrives, whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_larger_than_a_slow_line_carries_within_the_timeout_arrives_in_parts()
-> anyhow::Result<()> {
    let mut f = iti_tests::one_hub_with(&["GHA", "BEL"], |m| MemberOptions {
        delivery_timeout_secs: (m == "GHA").then_some(2),
        ..MemberOptions::default()
    })
    .await?;
    let request = seized_cache(300);
    let size = prost::Message::encoded_len(&request) as u64;
    ensure!(size > 1_100_000, "the request is only {size} bytes");
    let to_hub = line_to_hub(&mut f).await?;
    to_hub.slow_to(256_000);

    let sent = f
        .poc("GHA")?
        .max_decoding_message_size(iti_node::bounds::MAX_LOCAL_MESSAGE_BYTES)
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request.clone()),
            ..Default::default()
        })
        .await?
        .into_inner();
    f.until_state("BEL", &sent.trace_id, "delivered").await?;
    let received = request_at_bel(&mut f, &sent.trace_id).await?;
    ensure!(
        received.items == request.items,
        "BEL holds {} items, not the {} sent",
        received.items.len(),
        request.items.len()
    );
    f.shutdown().await;
    Ok(())
}

/// BEL's officer reads a request of 250 items a page of 100 at a time, in
/// `itictl case show` (`--items N`) and in the console (`?items=N`), each
/// page saying which items it shows and where the next starts; the page
/// of a cache of 100,000 items is a page, not 100 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_reads_a_large_request_a_page_of_100_items_at_a_time() -> anyhow::Result<()> {
    let mut f = iti_tests::one_hub_with(&["GHA", "BEL"], |m| MemberOptions {
        console: m == "BEL",
        ..MemberOptions::default()
    })
    .await?;
    let sent = f
        .poc("GHA")?
        .max_decoding_message_size(iti_node::bounds::MAX_LOCAL_MESSAGE_BYTES)
        .submit_request(pb::SubmitRequestRequest {
            request: Some(seized_cache(250)),
            ..Default::default()
        })
        .await?
        .into_inner();
    // The reply shows the plan with a page of the request, not all of it.
    let plan = sent.plan.clone().unwrap_or_default();
    let shown = plan.items_shown.unwrap_or_default();
    ensure!(
        plan.request.map(|r| r.items.len()) == Some(100)
            && (shown.from, shown.count, shown.total) == (0, 100, 250),
        "the reply to the submit: {shown:?}"
    );
    f.until_state("BEL", &sent.trace_id, "delivered").await?;
    let shows = |text: &str, exhibit: usize| text.contains(&format!("exhibit {exhibit}"));

    // The list reads each request's first items only, and counts them all.
    let listed = f
        .poc("BEL")?
        .list_traces(pb::ListTracesRequest::default())
        .await?
        .into_inner();
    let summary = listed
        .traces
        .iter()
        .find(|s| s.trace_id == sent.trace_id)
        .ok_or_else(|| anyhow::anyhow!("the trace is not listed at BEL"))?;
    ensure!(
        summary.item_count == 250
            && summary.first_items.len() == 2
            && summary.items.ends_with("and 248 more"),
        "the list's summary: {} items, {:?}",
        summary.item_count,
        summary.items
    );

    let show = ["case", "show", sent.trace_id.as_str()];
    let first = f
        .itictl("BEL", None, &show)
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(
        shows(&first, 1050) && !shows(&first, 1150),
        "page 1 of itictl: {first}"
    );
    ensure!(
        first.contains("Items 1 to 100 of 250 are shown; --items 101 shows the next."),
        "{first}"
    );
    let last = [&show[..], &["--items", "201"]].concat();
    let last = f
        .itictl("BEL", None, &last)
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(
        shows(&last, 1210) && !shows(&last, 1150),
        "page 3 of itictl: {last}"
    );
    ensure!(
        last.contains("Items 201 to 250 of 250 are shown."),
        "{last}"
    );
    let own = [&show[..], &["--items", "201"]].concat();
    let own = f
        .itictl("GHA", None, &own)
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(
        shows(&own, 1210),
        "the requester's own case lost items: {own}"
    );

    // An auditor, who sees TLP:CLEAR only, is not told how many items the
    // request it may not read has.
    let audited = f
        .officer("BEL", iti_node::identity::Role::Auditor)?
        .show_case(pb::ShowCaseRequest {
            id: sent.trace_id.clone(),
            items_from: 0,
            items_limit: 100,
        })
        .await?
        .into_inner();
    let request = audited
        .traces
        .iter()
        .flat_map(|t| &t.messages)
        .find(|m| m.kind == pb::PayloadKind::Request as i32)
        .ok_or_else(|| anyhow::anyhow!("the auditor sees no request message"))?;
    ensure!(
        !request.withheld.is_empty() && request.items_shown.is_none(),
        "the auditor's view of the request: {:?}, {:?}",
        request.withheld,
        request.items_shown
    );

    let bel = f.browser("BEL", iti_node::identity::Role::Poc)?;
    let case = format!("/case/{}", sent.trace_id);
    let page = bel.get(&format!("{case}?items=101"), &[]).await?.body;
    ensure!(
        shows(&page, 1150) && !shows(&page, 1050) && !shows(&page, 1210),
        "the console's page 2 shows other items"
    );
    ensure!(
        page.contains("Items 101 to 200 of 250")
            && page.contains("href=\"?items=1\"")
            && page.contains("href=\"?items=201\""),
        "no pages in the console: {page}"
    );
    let french = bel
        .get(&format!("{case}?items=201&lang=fr"), &[])
        .await?
        .body;
    ensure!(french.contains("Objets 201 à 250 sur 250"), "{french}");
    f.shutdown().await;
    Ok(())
}
