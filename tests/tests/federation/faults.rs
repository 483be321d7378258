//! Delivery guarantees under faults, in-process (the process-level fault
//! tests, with kill -9, are in `crash.rs`): a peer down for days, a network
//! cut healed, and order within a conversation kept through it all.

use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::proxy::FaultProxy;
use iti_tests::{Federation, fixtures, outbox_items, p};

/// How many requests each scenario sends: small in CI, larger on demand
/// (`ITI_FAULT_SCALE=200 cargo test -p iti-tests --test federation faults::`).
fn scale() -> usize {
    std::env::var("ITI_FAULT_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
}

/// The fixture request, routed by the rules.
fn submission() -> pb::SubmitRequestRequest {
    pb::SubmitRequestRequest {
        request: Some(fixtures::fal_request()),
        routing_override: None,
        on_behalf_via: String::new(),
        // The same request again, on purpose.
        allow_duplicate: true,
    }
}

async fn submit_many(f: &mut Federation, from: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let mut client = f.poc(from)?;
    let mut ids = Vec::new();
    for _ in 0..n {
        let r = client.submit_request(submission()).await?.into_inner();
        ids.push(r.trace_id);
    }
    Ok(ids)
}

async fn outbox(f: &mut Federation, who: &str) -> anyhow::Result<Vec<pb::OutboxItem>> {
    outbox_items(&mut f.poc(who)?).await
}

/// Every request arrived exactly once: one trace each at the destination,
/// each opened by exactly one received request.
async fn assert_delivered_once(f: &mut Federation, to: &str, ids: &[String]) -> anyhow::Result<()> {
    let node = f.node(to)?.clone();
    for id in ids {
        let n = iti_tests::db_scalar(
            &node,
            &format!("SELECT COUNT(*) FROM case_events WHERE trace_id = '{id}' AND kind = 'request_received'"),
        )
        .await?;
        assert_eq!(n, 1, "trace {id} received {n} times at {to}");
    }
    let traces = iti_tests::db_scalar(
        &node,
        "SELECT COUNT(*) FROM traces WHERE role = 'requested'",
    )
    .await?;
    assert_eq!(traces as usize, ids.len());
    Ok(())
}

async fn assert_audit_intact(f: &mut Federation, who: &[&str]) -> anyhow::Result<()> {
    for w in who {
        let v = f
            .officer(w, iti_node::identity::Role::Auditor)?
            .audit_verify(pb::AuditVerifyRequest {})
            .await?
            .into_inner();
        assert!(
            v.ok,
            "{w}: audit chain broken at {}: {}",
            v.first_bad_seq, v.problem
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_down_for_days_receives_everything_once_it_is_back() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    f.sandbox.stop(&p("BEL")).await?;
    let ids = submit_many(&mut f, "GHA", scale()).await?;
    // Three days of retries against a dead peer: never dead-lettered, the
    // officer sees why it waits.
    let gha = f.poc("GHA")?;
    for round in 1..=6u32 {
        f.advance(time::Duration::hours(12));
        f.nudge();
        f.until("a retry happened", || {
            let mut c = gha.clone();
            async move {
                Ok(outbox_items(&mut c)
                    .await?
                    .iter()
                    .all(|i| i.attempts >= round))
            }
        })
        .await?;
    }
    let waiting = outbox(&mut f, "GHA").await?;
    assert_eq!(waiting.len(), ids.len());
    for item in &waiting {
        assert_eq!(
            item.state,
            pb::DeliveryState::Queued as i32,
            "never dead-lettered: {item:?}"
        );
        assert!(
            !item.last_error.is_empty(),
            "the officer sees why: {item:?}"
        );
        // The back-off is capped: the next attempt is never far off.
        let next = item.next_attempt_at.as_ref().unwrap().seconds;
        let now = iti_node::clock::Clock::now(f.clock.as_ref()).unix_timestamp();
        assert!(next - now <= 2, "next attempt {}s away", next - now);
    }
    // BEL comes back (same address): within the cap, everything is delivered.
    f.start("BEL").await?;
    f.advance(time::Duration::seconds(3));
    for id in &ids {
        f.until_state("GHA", id, "delivered").await?;
    }
    assert_delivered_once(&mut f, "BEL", &ids).await?;
    assert_audit_intact(&mut f, &["GHA", "BEL"]).await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_cut_heals_and_every_message_arrives_once_and_in_order() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[
        ("GHA", MemberOptions::default()),
        ("BEL", MemberOptions::default()),
    ])
    .await?;
    // GHA reaches BEL through a proxy we can cut; BEL reaches GHA through
    // another.
    let to_bel = FaultProxy::start(f.federation_addr("BEL")?).await?;
    let to_gha = FaultProxy::start(f.federation_addr("GHA")?).await?;
    let mut card = f.sandbox.card(&p("BEL"), &[])?;
    card.endpoint = to_bel.addr.to_string();
    f.node("GHA")?
        .add_peer(&iti_node::service::Actor::Node, card)
        .await?;
    let mut card = f.sandbox.card(&p("GHA"), &[])?;
    card.endpoint = to_gha.addr.to_string();
    f.node("BEL")?
        .add_peer(&iti_node::service::Actor::Node, card)
        .await?;

    let first = submit_many(&mut f, "GHA", scale()).await?;
    for id in &first {
        f.until_state("BEL", id, "delivered").await?;
    }
    // The link is cut. GHA keeps sending; BEL acknowledges and answers the
    // first requests: in each conversation the acknowledgement must arrive
    // before the response, or GHA would refuse the response.
    to_bel.cut();
    to_gha.cut();
    let second = submit_many(&mut f, "GHA", scale()).await?;
    let mut bel = f.poc("BEL")?;
    for id in &first {
        for action in [
            pb::act_request::Action::Acknowledge(Default::default()),
            pb::act_request::Action::Respond(fixtures::bel_export_response()),
        ] {
            bel.act(pb::ActRequest {
                trace_id: id.clone(),
                action: Some(action),
                confirm_despite_declared_restrictions: false,
            })
            .await?;
        }
    }
    f.advance(time::Duration::minutes(10));
    f.nudge();
    to_bel.heal();
    to_gha.heal();
    // Attempts woken by that nudge may fail on the cut link and be recorded
    // only now: time goes on while we wait, or their retries never fall due.
    f.let_time_run(time::Duration::milliseconds(250));
    for id in &first {
        f.until_state("GHA", id, "responded").await?;
    }
    for id in &second {
        f.until_state("BEL", id, "delivered").await?;
    }
    let mut all = first.clone();
    all.extend(second.iter().cloned());
    assert_delivered_once(&mut f, "BEL", &all).await?;
    for who in ["GHA", "BEL"] {
        let items = outbox(&mut f, who).await?;
        assert!(
            items
                .iter()
                .all(|i| i.state == pb::DeliveryState::Delivered as i32),
            "{who}: {items:?}"
        );
    }
    assert_audit_intact(&mut f, &["GHA", "BEL"]).await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_requests_is_sent_once_each_on_a_healthy_network() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let n = scale() * 12;
    let client = f.poc("GHA")?;
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..n {
        let mut client = client.clone();
        sends.spawn(async move {
            client
                .submit_request(submission())
                .await
                .map(|r| r.into_inner().trace_id)
        });
    }
    let mut ids = Vec::new();
    while let Some(sent) = sends.join_next().await {
        ids.push(sent??);
    }
    let delivered = pb::DeliveryState::Delivered as i32;
    let gha = f.poc("GHA")?;
    f.until("every request is delivered", || {
        let mut gha = gha.clone();
        async move {
            let all = outbox_items(&mut gha).await?;
            Ok(all.len() == n && all.iter().all(|i| i.state == delivered))
        }
    })
    .await?;
    let all = outbox(&mut f, "GHA").await?;
    let resent: Vec<_> = all.iter().filter(|i| i.attempts != 1).collect();
    assert!(resent.is_empty(), "sent more than once: {resent:?}");
    // The receiver would take a second copy without harm (and count it).
    assert_eq!(f.node("BEL")?.metrics.duplicates_received(), 0);
    assert_delivered_once(&mut f, "BEL", &ids).await?;
    assert_audit_intact(&mut f, &["GHA", "BEL"]).await?;
    f.shutdown().await;
    Ok(())
}

/// Makes `who`'s store refuse to record any outcome in its outbox (a change
/// of state), as a full disk would, until [`store_recovers`]. Claims, which
/// change no state, still go through.
async fn store_refuses_outbox_outcomes(f: &Federation, who: &str) -> anyhow::Result<()> {
    let node = f.node(who)?;
    let statements: &[&str] = match node.store.backend() {
        iti_node::store::Backend::Sqlite => &["CREATE TRIGGER refuse_outbox_change \
             BEFORE UPDATE OF state ON outbox BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END"],
        iti_node::store::Backend::Postgres => &[
            "CREATE FUNCTION refuse_outbox_change() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'disk full (injected)'; END $$",
            "CREATE TRIGGER refuse_outbox_change BEFORE UPDATE OF state ON outbox \
             FOR EACH ROW EXECUTE FUNCTION refuse_outbox_change()",
        ],
    };
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(*sql))
            .execute(node.store.pool())
            .await?;
    }
    Ok(())
}

async fn store_recovers(f: &Federation, who: &str) -> anyhow::Result<()> {
    let node = f.node(who)?;
    let sql = match node.store.backend() {
        iti_node::store::Backend::Sqlite => "DROP TRIGGER refuse_outbox_change",
        iti_node::store::Backend::Postgres => "DROP TRIGGER refuse_outbox_change ON outbox",
    };
    sqlx::query(sql).execute(node.store.pool()).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_whose_outcome_the_store_refused_is_held_back_then_recorded_once()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    store_refuses_outbox_outcomes(&f, "GHA").await?;
    let id = submit_many(&mut f, "GHA", 1).await?.remove(0);
    let gha = f.node("GHA")?.clone();
    f.until("GHA could not record the delivery", || {
        let gha = gha.clone();
        async move { Ok(gha.metrics.outcomes_unrecorded() > 0) }
    })
    .await?;
    // BEL has it; GHA does not know, and keeps it pending.
    assert_delivered_once(&mut f, "BEL", std::slice::from_ref(&id)).await?;
    let pending = outbox(&mut f, "GHA").await?;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].state, pb::DeliveryState::Queued as i32);

    // The store is back; the envelope goes again once its hold (retry cap,
    // or on PostgreSQL the claim's lease) is over, and only then.
    store_recovers(&f, "GHA").await?;
    f.advance(time::Duration::minutes(10));
    f.nudge();
    f.until_state("GHA", &id, "delivered").await?;
    assert_eq!(
        gha.metrics.outcomes_unrecorded(),
        1,
        "sent again while its outcome could not be recorded"
    );
    // BEL took the second copy as a duplicate and answered with its receipt.
    assert_eq!(f.node("BEL")?.metrics.duplicates_received(), 1);
    assert_delivered_once(&mut f, "BEL", std::slice::from_ref(&id)).await?;
    let done = outbox(&mut f, "GHA").await?;
    assert_eq!(done[0].state, pb::DeliveryState::Delivered as i32);
    assert_audit_intact(&mut f, &["GHA", "BEL"]).await?;
    f.shutdown().await;
    Ok(())
}
