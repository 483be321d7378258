//! Operations (issue: operations): Prometheus metrics and gRPC health.

use std::time::Duration;

use iti_node::identity::{Role, tls};
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures, metric_value, p, scrape_metrics};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_an_exchange_and_show_an_empty_outbox() -> anyhow::Result<()> {
    let mut f = Federation::empty()?;
    for state in ["GHA", "BEL"] {
        f.add(
            state,
            MemberOptions {
                metrics: true,
                ..Default::default()
            },
        )?;
    }
    f.sandbox.start_all().await?;
    f.sandbox.peer(&p("GHA"), &p("BEL")).await?;
    let addr = |s: &str| {
        f.sandbox
            .member(&p(s))
            .ok()
            .and_then(|m| m.running.as_ref())
            .and_then(|r| r.metrics_addr)
            .ok_or_else(|| anyhow::anyhow!("{s} has no metrics address"))
    };
    let (gha_metrics, bel_metrics) = (addr("GHA")?, addr("BEL")?);

    let (status, before) = scrape_metrics(gha_metrics).await?;
    assert_eq!(status, 200);
    assert_eq!(metric_value(&before, "iti_outbox_depth"), Some(0.0));

    let mut gha = f.poc("GHA")?;
    let trace = gha
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner()
        .trace_id;
    f.until_state("GHA", &trace, "delivered").await?;

    // The counter moves once the outcome is committed; poll for it.
    let sent = "iti_messages_total{direction=\"out\",kind=\"request\"}";
    f.until("GHA counts the delivered request", move || async move {
        let (_, text) = scrape_metrics(gha_metrics).await?;
        Ok(metric_value(&text, sent) == Some(1.0))
    })
    .await?;
    let (_, gha_text) = scrape_metrics(gha_metrics).await?;
    assert_eq!(metric_value(&gha_text, "iti_outbox_depth"), Some(0.0));
    // One envelope, to an idle hop: sent at once, alone.
    let calls = metric_value(&gha_text, "iti_delivery_calls_total{rpc=\"Deliver\"}");
    assert!(calls >= Some(1.0), "{calls:?}");
    assert_eq!(
        metric_value(
            &gha_text,
            "iti_delivery_call_envelopes_total{rpc=\"Deliver\"}"
        ),
        calls
    );
    assert_eq!(
        metric_value(&gha_text, "iti_outbox_oldest_age_seconds"),
        Some(0.0)
    );
    assert_eq!(
        metric_value(&gha_text, "iti_delivery_latency_seconds_count"),
        Some(1.0)
    );
    // GHA waits for BEL's acknowledgement and response (10.1, 10.5).
    assert_eq!(
        metric_value(
            &gha_text,
            "iti_deadlines_due{owed=\"acknowledgement\",owed_by=\"counterpart\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric_value(
            &gha_text,
            "iti_tls_handshakes_refused_total{port=\"federation\"}"
        ),
        Some(0.0)
    );

    // Which process this is, among replicas (its replica_name).
    let replica = f.node("GHA")?.config.replica.clone();
    assert_eq!(
        metric_value(
            &gha_text,
            &format!("iti_replica_info{{participant=\"GHA\",replica=\"{replica}\"}}")
        ),
        Some(1.0),
        "{gha_text}"
    );
    assert_eq!(
        metric_value(
            &gha_text,
            "iti_store_batches_rerun_total{reason=\"deadlock\"}"
        ),
        Some(0.0)
    );

    let (_, bel_text) = scrape_metrics(bel_metrics).await?;
    assert_eq!(
        metric_value(
            &bel_text,
            "iti_messages_total{direction=\"in\",kind=\"request\"}"
        ),
        Some(1.0)
    );
    // The request came alone: its receipt took a signature of its own.
    let signed = metric_value(&bel_text, "iti_receipts_signed_total");
    assert!(signed >= Some(1.0), "{signed:?}");
    assert_eq!(
        metric_value(&bel_text, "iti_receipt_signatures_total"),
        signed
    );
    assert_eq!(
        metric_value(
            &bel_text,
            "iti_deadlines_due{owed=\"response\",owed_by=\"us\"}"
        ),
        Some(1.0)
    );
    // Three weeks and a day later, BEL's response is overdue.
    f.advance(time::Duration::days(22));
    let (_, late) = scrape_metrics(bel_metrics).await?;
    assert_eq!(
        metric_value(
            &late,
            "iti_deadlines_overdue{owed=\"response\",owed_by=\"us\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric_value(&late, "iti_deadlines_due{owed=\"response\",owed_by=\"us\"}"),
        Some(0.0)
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_port_serves_only_get_metrics() -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut f = Federation::empty()?;
    f.add(
        "GHA",
        MemberOptions {
            metrics: true,
            ..Default::default()
        },
    )?;
    f.start("GHA").await?;
    let addr = f
        .sandbox
        .member(&p("GHA"))?
        .running
        .as_ref()
        .and_then(|r| r.metrics_addr)
        .ok_or_else(|| anyhow::anyhow!("no metrics address"))?;
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.write_all(b"GET /cases HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).await?;
    assert!(reply.starts_with("HTTP/1.1 404"), "{reply}");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checking_answers_serving_for_the_local_service() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA"]).await?;
    let officer = f.sandbox.officer_cert(&p("GHA"), Role::Poc)?;
    let member = f.sandbox.member(&p("GHA"))?;
    let local = member
        .running
        .as_ref()
        .map(|r| r.local_addr.to_string())
        .ok_or_else(|| anyhow::anyhow!("GHA is not running"))?;
    let channel = tls::officer_channel(
        &local,
        &officer,
        &member.ca.cert_pem,
        Duration::from_secs(10),
    )?;
    let mut health = HealthClient::new(channel);
    let reply = health
        .check(HealthCheckRequest {
            service: "iti.v1.Local".into(),
        })
        .await?
        .into_inner();
    assert_eq!(reply.status, ServingStatus::Serving as i32);
    let unknown = health
        .check(HealthCheckRequest {
            service: "iti.v1.NoSuchService".into(),
        })
        .await
        .expect_err("an unknown service is not reported healthy");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    f.shutdown().await;
    Ok(())
}
