//! Several replicas of one state sharing one PostgreSQL database: outbox
//! work claimed without double sending, the deadline sweep on one replica
//! at a time, each alert once. Runs when the suite is on PostgreSQL
//! (`ITI_TEST_BACKEND=postgres` with `ITI_TEST_POSTGRES_URL`; .ci/run does).

use iti_node::clock::Clock;
use iti_node::identity::Role;
use iti_node::sandbox::BACKEND_VAR;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::{Federation, fixtures, p};

fn on_postgres() -> bool {
    let on = std::env::var(BACKEND_VAR).is_ok_and(|v| v == "postgres");
    if !on {
        eprintln!(
            "skipped: replicas need PostgreSQL ({BACKEND_VAR}=postgres and ITI_TEST_POSTGRES_URL)"
        );
    }
    on
}

async fn replica_client(
    f: &mut Federation,
    running: &iti_node::RunningNode,
) -> anyhow::Result<LocalClient<tonic::transport::Channel>> {
    let cert = f.sandbox.officer_cert(&p("GHA"), Role::Poc)?;
    let ca = f.sandbox.member(&p("GHA"))?.ca.cert_pem.clone();
    let channel = iti_node::identity::tls::officer_channel(
        &running.local_addr.to_string(),
        &cert,
        &ca,
        std::time::Duration::from_secs(10),
    )?;
    Ok(LocalClient::new(channel))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_the_outbox_without_sending_anything_twice() -> anyhow::Result<()> {
    if !on_postgres() {
        return Ok(());
    }
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let b = f.sandbox.start_replica(&p("GHA"), "b").await?;
    // Both replicas take submissions (a load balancer in front of them) and
    // both outbox workers claim from the one table.
    let mut clients = [f.poc("GHA")?, replica_client(&mut f, &b).await?];
    let mut ids = Vec::new();
    for i in 0..30 {
        let r = clients[i % 2]
            .submit_request(pb::SubmitRequestRequest {
                request: Some(fixtures::fal_request()),
                routing_override: None,
                on_behalf_via: String::new(),
                // The same request again, on purpose.
                allow_duplicate: true,
            })
            .await?
            .into_inner();
        ids.push(r.trace_id);
    }
    for id in &ids {
        f.until_state("GHA", id, "delivered").await?;
    }
    // Sent once each: one attempt per envelope, one trace each at BEL.
    let outbox = iti_tests::outbox_items(&mut f.poc("GHA")?).await?;
    assert_eq!(outbox.len(), ids.len());
    assert!(
        outbox
            .iter()
            .all(|i| i.attempts == 1 && i.state == pb::DeliveryState::Delivered as i32),
        "{outbox:?}"
    );
    let received = iti_tests::db_scalar(
        f.node("BEL")?,
        "SELECT COUNT(*) FROM case_events WHERE kind = 'request_received'",
    )
    .await?;
    assert_eq!(received as usize, ids.len());
    // One audit chain across both replicas.
    let v = f
        .officer("GHA", Role::Auditor)?
        .audit_verify(pb::AuditVerifyRequest {})
        .await?
        .into_inner();
    assert!(v.ok, "{}", v.problem);
    b.stop().await;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_sweep_runs_on_one_replica_at_a_time_and_each_alert_fires_once()
-> anyhow::Result<()> {
    if !on_postgres() {
        return Ok(());
    }
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let b = f.sandbox.start_replica(&p("BEL"), "b").await?;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let r = f
            .poc("GHA")?
            .submit_request(pb::SubmitRequestRequest {
                request: Some(fixtures::fal_request()),
                routing_override: None,
                on_behalf_via: String::new(),
                // The same request again, on purpose.
                allow_duplicate: true,
            })
            .await?
            .into_inner();
        ids.push(r.trace_id);
    }
    for id in &ids {
        f.until_state("BEL", id, "delivered").await?;
    }
    f.advance(time::Duration::days(8));
    let now = f.clock.now();

    // A replica holding the sweep lease (as if it hung mid-sweep): the other
    // does not sweep meanwhile.
    let url = f.database_url("BEL").expect("on PostgreSQL");
    let mut holder = {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&url).await?;
        sqlx::query("BEGIN").execute(&mut c).await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7102)")
            .execute(&mut c)
            .await?;
        c
    };
    let blocked = b.node.sweep(now).await?;
    assert!(
        blocked.is_empty(),
        "swept while another replica held the lease: {blocked:?}"
    );
    // The holder dies: its lease goes with its connection.
    sqlx::query("ROLLBACK").execute(&mut holder).await?;
    drop(holder);

    // Both replicas sweep at once: each alert is raised exactly once in all.
    let a = f.node("BEL")?.clone();
    let (ra, rb) = tokio::join!(a.sweep(now), b.node.sweep(now));
    let total = ra?.len() + rb?.len();
    assert_eq!(
        total,
        ids.len() * 2,
        "an acknowledgement reminder and an overdue alert per trace"
    );
    let again = a.sweep(now).await?.len() + b.node.sweep(now).await?.len();
    assert_eq!(again, 0);
    let events = iti_tests::db_scalar(
        &a,
        "SELECT COUNT(*) FROM case_events WHERE kind = 'overdue'",
    )
    .await?;
    assert_eq!(events as usize, ids.len());
    b.stop().await;
    f.shutdown().await;
    Ok(())
}
