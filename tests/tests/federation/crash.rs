//! Delivery guarantees when node processes are killed with SIGKILL at
//! random moments under load, and restarted on the same data: every request
//! committed by the sender is delivered exactly once, every acknowledgement
//! comes back, and every audit chain verifies.
//!
//! Bounded for CI; a larger run:
//! `ITI_FAULT_SCALE=200 ITI_FAULT_SEED=7 cargo test -p iti-tests --test federation crash:: -- --nocapture`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use iti_node::clock::SystemClock;
use iti_node::identity::{Role, tls};
use iti_node::sandbox::{MemberOptions, Sandbox};
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::process::{NodeProcess, node_binary, require_binary};
use iti_tests::{fixtures, p};
use rand::{Rng, SeedableRng};

type Client = LocalClient<tonic::transport::Channel>;

fn scale() -> usize {
    std::env::var("ITI_FAULT_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12)
}

fn seed() -> u64 {
    std::env::var("ITI_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random)
}

/// Pins the ports a process got on its first start into its configuration,
/// so that restarts come back where peers expect them.
fn fix_ports(config: &Path, node: &NodeProcess) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config)?;
    let text = text
        .replace(
            "federation_listen = \"127.0.0.1:0\"",
            &format!("federation_listen = \"{}\"", node.federation),
        )
        .replace(
            "local_listen = \"127.0.0.1:0\"",
            &format!("local_listen = \"{}\"", node.local),
        );
    std::fs::write(config, text)?;
    Ok(())
}

struct Member {
    who: &'static str,
    config: PathBuf,
    process: NodeProcess,
}

impl Member {
    async fn spawn(sandbox: &Sandbox, who: &'static str) -> anyhow::Result<Member> {
        let config = sandbox.member(&p(who))?.config_path.clone();
        let process = NodeProcess::spawn(&node_binary(), &config).await?;
        fix_ports(&config, &process)?;
        Ok(Member {
            who,
            config,
            process,
        })
    }

    async fn kill9(&mut self) -> anyhow::Result<()> {
        eprintln!("kill -9 {}", self.who);
        self.process.kill9().await?;
        Ok(())
    }

    async fn restart(&mut self) -> anyhow::Result<()> {
        self.process = NodeProcess::spawn(&node_binary(), &self.config).await?;
        Ok(())
    }
}

fn client(
    sandbox: &mut Sandbox,
    who: &str,
    role: Role,
    node: &NodeProcess,
) -> anyhow::Result<Client> {
    let cert = sandbox.officer_cert(&p(who), role)?;
    let ca = sandbox.member(&p(who))?.ca.cert_pem.clone();
    Ok(LocalClient::new(tls::officer_channel(
        &node.local.to_string(),
        &cert,
        &ca,
        Duration::from_secs(10),
    )?))
}

async fn traces(c: &mut Client) -> anyhow::Result<Vec<pb::TraceSummary>> {
    Ok(c.list_traces(pb::ListTracesRequest {
        inbox: false,
        include_closed: true,
        page: None,
    })
    .await?
    .into_inner()
    .traces)
}

/// Polls `check` (the nodes work in the background) for up to two minutes.
async fn eventually<F, Fut>(what: &str, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        match check().await {
            Ok(true) => return Ok(()),
            Ok(false) | Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Ok(false) => bail!("timed out waiting until {what}"),
            Err(e) => return Err(e).context(format!("waiting until {what}")),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_killed_at_random_under_load_lose_nothing_and_do_nothing_twice() -> anyhow::Result<()>
{
    require_binary(&node_binary())?;
    let seed = seed();
    let n = scale();
    eprintln!("crash test: {n} requests, seed {seed} (ITI_FAULT_SEED to replay)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    for state in ["GHA", "BEL"] {
        sandbox.add(state, MemberOptions::default())?;
    }
    let mut gha = Member::spawn(&sandbox, "GHA").await?;
    let mut bel = Member::spawn(&sandbox, "BEL").await?;
    for (me, other) in [(&gha, &bel), (&bel, &gha)] {
        let card = sandbox.card_at(&p(other.who), &other.process.federation.to_string(), &[])?;
        client(&mut sandbox, me.who, Role::Admin, &me.process)?
            .add_peer(card)
            .await?;
    }

    // Load, with kills at random moments: BEL killed while GHA sends (and
    // restarted later), GHA killed right after a submission (deliveries in
    // flight), both restarted on their data.
    let kill_bel_at = rng.random_range(1..n / 2);
    let restart_bel_at = rng.random_range(kill_bel_at..n);
    let kill_gha_at = rng.random_range(1..n);
    let mut gha_poc = client(&mut sandbox, "GHA", Role::Poc, &gha.process)?;
    let mut committed_or_unknown = 0usize;
    for i in 0..n {
        if i == kill_bel_at {
            bel.kill9().await?;
        }
        if i == restart_bel_at {
            bel.restart().await?;
        }
        let sent = gha_poc
            .submit_request(pb::SubmitRequestRequest {
                request: Some(fixtures::fal_request()),
                routing_override: None,
                on_behalf_via: String::new(),
                // The same request again, on purpose.
                allow_duplicate: true,
            })
            .await;
        committed_or_unknown += 1;
        if let Err(e) = sent {
            eprintln!("submission {i} failed: {}", e.message());
        }
        if i == kill_gha_at {
            gha.kill9().await?;
            gha.restart().await?;
        }
    }
    // One more kill of the receiver mid-delivery, at a random delay.
    tokio::time::sleep(Duration::from_millis(rng.random_range(0..200))).await;
    bel.kill9().await?;
    bel.restart().await?;

    // What GHA committed is what must arrive: each exactly once.
    let mut gha_poc = client(&mut sandbox, "GHA", Role::Poc, &gha.process)?;
    let mut bel_poc = client(&mut sandbox, "BEL", Role::Poc, &bel.process)?;
    let sent: Vec<String> = traces(&mut gha_poc)
        .await?
        .into_iter()
        .map(|t| t.trace_id)
        .collect();
    assert!(!sent.is_empty() && sent.len() <= committed_or_unknown);
    eventually("GHA holds BEL's receipt for every request", || {
        let mut c = gha_poc.clone();
        async move {
            let items = iti_tests::outbox_items(&mut c).await?;
            Ok(items
                .iter()
                .all(|i| i.state == pb::DeliveryState::Delivered as i32))
        }
    })
    .await?;
    let received = traces(&mut bel_poc).await?;
    let mut got: Vec<String> = received.iter().map(|t| t.trace_id.clone()).collect();
    let mut want = sent.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "BEL has exactly the requests GHA committed");
    for id in &sent {
        let case = bel_poc
            .show_case(pb::ShowCaseRequest {
                id: id.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        let requests = case
            .traces
            .iter()
            .flat_map(|t| &t.messages)
            .filter(|m| m.kind == pb::PayloadKind::Request as i32)
            .count();
        assert_eq!(requests, 1, "trace {id} processed {requests} times");
    }

    // Every acknowledgement comes back, through one more crash of GHA.
    for id in &sent {
        bel_poc
            .act(pb::ActRequest {
                trace_id: id.clone(),
                action: Some(pb::act_request::Action::Acknowledge(Default::default())),
                confirm_despite_declared_restrictions: false,
            })
            .await?;
    }
    gha.kill9().await?;
    gha.restart().await?;
    let gha_poc = client(&mut sandbox, "GHA", Role::Poc, &gha.process)?;
    eventually("every acknowledgement is back at GHA", || {
        let mut c = gha_poc.clone();
        async move {
            Ok(traces(&mut c)
                .await?
                .iter()
                .all(|t| t.state == "acknowledged"))
        }
    })
    .await?;

    for (who, member) in [("GHA", &gha), ("BEL", &bel)] {
        let v = client(&mut sandbox, who, Role::Auditor, &member.process)?
            .audit_verify(pb::AuditVerifyRequest {})
            .await?
            .into_inner();
        assert!(
            v.ok,
            "{who}: audit chain broken at {}: {}",
            v.first_bad_seq, v.problem
        );
    }
    gha.process.stop().await?;
    bel.process.stop().await?;
    Ok(())
}

/// A TCP endpoint that accepts connections and never answers: a peer that
/// hangs mid-delivery.
async fn black_hole() -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    Ok((addr, task))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_while_holding_outbox_claims_is_taken_over_without_double_sending()
-> anyhow::Result<()> {
    if std::env::var(iti_node::sandbox::BACKEND_VAR).map_or(true, |v| v != "postgres") {
        eprintln!("skipped: replicas need PostgreSQL (ITI_TEST_BACKEND=postgres)");
        return Ok(());
    }
    require_binary(&node_binary())?;
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    for state in ["GHA", "BEL"] {
        sandbox.add(state, MemberOptions::default())?;
    }
    // GHA runs two replicas on one PostgreSQL database; claims last 4 s.
    let db = iti_node::store::testdb::fresh_postgres()
        .await
        .context("ITI_TEST_POSTGRES_URL")?;
    let url = db.url().to_string();
    let gha_config = sandbox.member(&p("GHA"))?.config_path.clone();
    let text = std::fs::read_to_string(&gha_config)?
        .replace(
            "data_dir = \"data\"",
            &format!("data_dir = \"data\"\ndatabase_url = \"{url}\""),
        )
        .replace(
            "delivery_timeout_secs = 10",
            "delivery_timeout_secs = 2\nclaim_lease_secs = 4",
        );
    std::fs::write(&gha_config, &text)?;
    let replica_b_config = gha_config.with_file_name("node-b.toml");
    std::fs::write(&replica_b_config, &text)?;

    let mut bel = Member::spawn(&sandbox, "BEL").await?;
    let mut a = Member::spawn(&sandbox, "GHA").await?;
    // BEL's card as GHA first sees it points at a peer that hangs.
    let (hole, _hole) = black_hole().await?;
    let hanging = sandbox.card_at(&p("BEL"), &hole.to_string(), &[])?;
    client(&mut sandbox, "GHA", Role::Admin, &a.process)?
        .add_peer(hanging)
        .await?;
    let gha_card = sandbox.card_at(&p("GHA"), &a.process.federation.to_string(), &[])?;
    client(&mut sandbox, "BEL", Role::Admin, &bel.process)?
        .add_peer(gha_card)
        .await?;
    let b = NodeProcess::spawn(&node_binary(), &replica_b_config).await?;

    // Replica A takes the submissions and claims them: its deliveries hang.
    let mut poc_a = client(&mut sandbox, "GHA", Role::Poc, &a.process)?;
    let mut sent = Vec::new();
    for _ in 0..6 {
        let r = poc_a
            .submit_request(pb::SubmitRequestRequest {
                request: Some(fixtures::fal_request()),
                routing_override: None,
                on_behalf_via: String::new(),
                // The same request again, on purpose.
                allow_duplicate: true,
            })
            .await?
            .into_inner();
        sent.push(r.trace_id);
    }
    // Kill A while it holds the claims (its deliveries are stuck in the hole).
    let url_a = url.clone();
    eventually("replica A has claimed the envelopes", || {
        let url = url_a.clone();
        async move {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let mut c = sqlx::AnyConnection::connect(&url).await?;
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE claimed_by IS NOT NULL")
                    .fetch_one(&mut c)
                    .await?;
            Ok(n > 0)
        }
    })
    .await?;
    a.kill9().await?;
    // The operator fixes BEL's endpoint through replica B; B takes the
    // claims over once their lease has run out.
    let real = sandbox.card_at(&p("BEL"), &bel.process.federation.to_string(), &[])?;
    let mut admin_b = client(&mut sandbox, "GHA", Role::Admin, &b)?;
    admin_b.add_peer(real).await?;
    let poc_b = client(&mut sandbox, "GHA", Role::Poc, &b)?;
    eventually("replica B delivered everything", || {
        let mut c = poc_b.clone();
        async move {
            let items = iti_tests::outbox_items(&mut c).await?;
            Ok(items.len() == 6
                && items
                    .iter()
                    .all(|i| i.state == pb::DeliveryState::Delivered as i32))
        }
    })
    .await?;
    let mut bel_poc = client(&mut sandbox, "BEL", Role::Poc, &bel.process)?;
    let mut got: Vec<String> = traces(&mut bel_poc)
        .await?
        .into_iter()
        .map(|t| t.trace_id)
        .collect();
    got.sort();
    sent.sort();
    assert_eq!(got, sent, "delivered exactly once each");
    let v = client(&mut sandbox, "GHA", Role::Auditor, &b)?
        .audit_verify(pb::AuditVerifyRequest {})
        .await?
        .into_inner();
    assert!(v.ok, "{}", v.problem);
    let mut b = b;
    b.stop().await?;
    bel.process.stop().await?;
    Ok(())
}
