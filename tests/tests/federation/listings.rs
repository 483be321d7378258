//! Long listings come in pages (issue 17): `ListTraces` and `Outbox` give at
//! most a page of items and a token for the next, so that neither the node
//! nor itictl holds a whole list at once (6,000 traces took a node from 35
//! to 60 MB). Pages hold still: a trace changed between pages is neither
//! skipped nor listed twice.

use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures};

async fn submit(f: &mut Federation) -> anyhow::Result<String> {
    Ok(f.poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: true,
        })
        .await?
        .into_inner()
        .trace_id)
}

fn page(size: u32, token: &str) -> Option<pb::PageRequest> {
    Some(pb::PageRequest {
        size,
        token: token.to_string(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_and_the_outbox_are_listed_a_page_at_a_time() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut sent = Vec::new();
    for _ in 0..5 {
        sent.push(submit(&mut f).await?);
    }
    for id in &sent {
        f.until_state("GHA", id, "delivered").await?;
    }
    let mut poc = f.poc("GHA")?;
    let list = |token: String| {
        let mut poc = poc.clone();
        async move {
            anyhow::Ok(
                poc.list_traces(pb::ListTracesRequest {
                    inbox: false,
                    include_closed: true,
                    page: page(2, &token),
                })
                .await?
                .into_inner(),
            )
        }
    };
    let first = list(String::new()).await?;
    assert_eq!(first.traces.len(), 2);
    assert!(!first.next_page_token.is_empty());
    // A trace of the first page changes before the next page is read: the
    // listing neither skips a trace nor repeats one.
    iti_tests::act(
        &mut f.poc("BEL")?,
        &first.traces[1].trace_id,
        pb::act_request::Action::Acknowledge(Default::default()),
    )
    .await?;
    f.until_state("GHA", &first.traces[1].trace_id, "acknowledged")
        .await?;
    let second = list(first.next_page_token.clone()).await?;
    let third = list(second.next_page_token.clone()).await?;
    assert_eq!((second.traces.len(), third.traces.len()), (2, 1));
    assert!(third.next_page_token.is_empty(), "the last page says so");
    let listed: Vec<String> = [first, second, third]
        .into_iter()
        .flat_map(|p| p.traces)
        .map(|t| t.trace_id)
        .collect();
    // Newest first: by trace id, a UUIDv7, which orders by creation (to the
    // millisecond; the test's clock stands still).
    let mut newest_first = sent.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(listed, newest_first);

    // The outbox, in the order envelopes were queued.
    let mut token = String::new();
    let mut items = Vec::new();
    loop {
        let reply = poc
            .outbox(pb::OutboxRequest {
                include_delivered: true,
                page: page(2, &token),
            })
            .await?
            .into_inner();
        assert!(reply.items.len() <= 2);
        items.extend(reply.items.into_iter().map(|i| i.trace_id));
        if reply.next_page_token.is_empty() {
            break;
        }
        token = reply.next_page_token;
    }
    assert_eq!(items, sent);

    // A token the node never gave is refused, naming the field.
    let refused = poc
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: page(2, "not-a-token"),
        })
        .await
        .expect_err("a made-up token");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().starts_with("page.token"),
        "{}",
        refused.message()
    );
    f.shutdown().await;
    Ok(())
}
