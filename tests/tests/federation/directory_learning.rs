//! A federation that is still learning its directory loses nothing (issue
//! 18): an origin a receiver has not learned yet is "not known yet", not
//! "forged"; the envelope is retried until it is known, and refused only
//! after `unknown_origin_limit`, with the origin's officer told; a refusal
//! met beyond a hub the origin does not know reaches the origin's officer
//! through the hub it pinned.
//!
//! Topology (as in the README's federation): GHA is a member of hub:ECOWAS,
//! BEL of the broker hub:INTERPOL, and the two hubs are peered; hub:ECOWAS
//! sends what it cannot route itself to hub:INTERPOL.

use std::sync::Arc;

use iti_node::identity::pki::{self, Validity};
use iti_node::sandbox::MemberOptions;
use iti_node::service::Actor;
use iti_node::store::outbox::{self, OutboxRow, OutboxState};
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures, p};

fn member_of(hub: &str) -> MemberOptions {
    MemberOptions {
        routes: vec![("*".into(), hub.into())],
        ..Default::default()
    }
}

/// The federation, peered, with the entries of `published` signed and
/// known to both hubs (and, through their announcements, to the members).
async fn federation(published: &[&str]) -> anyhow::Result<Federation> {
    let mut f = Federation::empty()?;
    f.add("GHA", member_of("hub:ECOWAS"))?;
    f.add("BEL", member_of("hub:INTERPOL"))?;
    f.add(
        "hub:ECOWAS",
        MemberOptions {
            hub: true,
            routes: vec![("*".into(), "hub:INTERPOL".into())],
            ..Default::default()
        },
    )?;
    f.add(
        "hub:INTERPOL",
        MemberOptions {
            hub: true,
            ..Default::default()
        },
    )?;
    f.sandbox.start_all().await?;
    let s = &f.sandbox;
    s.peer(&p("GHA"), &p("hub:ECOWAS")).await?;
    s.peer(&p("BEL"), &p("hub:INTERPOL")).await?;
    s.pin(&p("hub:ECOWAS"), &p("hub:INTERPOL"), &["BEL"])
        .await?;
    s.pin(&p("hub:INTERPOL"), &p("hub:ECOWAS"), &["GHA"])
        .await?;
    for who in published {
        let serves: &[&str] = match *who {
            "hub:ECOWAS" => &["GHA"],
            "hub:INTERPOL" => &["BEL"],
            _ => &[],
        };
        s.publish_directory_entry(&p(who), serves, 1).await?;
    }
    for hub in ["hub:ECOWAS", "hub:INTERPOL", "hub:ECOWAS"] {
        f.node(hub)?.refresh_directory().await?;
    }
    Ok(f)
}

fn request_to_bel() -> pb::TraceRequest {
    let mut r = fixtures::fal_request();
    r.domestic_findings = Some(pb::DomesticFindings {
        export_record: Some(pb::ExportRecord {
            importing_state: "BEL".into(),
            export_date: "2014-01-01".into(),
            licence_number: "GH-X-1".into(),
            recorded_by: "GHA".into(),
        }),
        notes: String::new(),
    });
    r
}

async fn submit_to_bel(f: &mut Federation) -> anyhow::Result<pb::SubmitReply> {
    Ok(f.poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request_to_bel()),
            ..Default::default()
        })
        .await?
        .into_inner())
}

/// The outbox row of `envelope` at `who`, if any.
async fn outbox_row(
    f: &Federation,
    who: &str,
    envelope: &str,
) -> anyhow::Result<Option<OutboxRow>> {
    Ok(outbox::list(f.node(who)?.store.pool(), true, 0, i64::MAX)
        .await?
        .into_iter()
        .find(|r| r.envelope_id.to_string() == envelope))
}

/// Waits until hub:ECOWAS has been told at least once that hub:INTERPOL
/// does not know GHA yet; returns its outbox row then.
async fn until_told_unknown(f: &Federation, envelope: &str) -> anyhow::Result<OutboxRow> {
    f.until("hub:ECOWAS is told GHA is not known yet", || async {
        Ok(outbox_row(f, "hub:ECOWAS", envelope)
            .await?
            .is_some_and(|r| r.last_error.is_some() || r.state != OutboxState::Pending))
    })
    .await?;
    outbox_row(f, "hub:ECOWAS", envelope)
        .await?
        .ok_or_else(|| anyhow::anyhow!("hub:ECOWAS holds no envelope {envelope}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_not_known_yet_is_retried_and_delivered_once_it_is_learned() -> anyhow::Result<()>
{
    // Everyone is known but GHA, which has not published its entry yet.
    let mut f = federation(&["BEL", "hub:ECOWAS", "hub:INTERPOL"]).await?;
    let sent = submit_to_bel(&mut f).await?;

    let held = until_told_unknown(&f, &sent.envelope_id).await?;
    assert_eq!(
        held.state,
        OutboxState::Pending,
        "\"not known yet\" is not a refusal: {:?}",
        held.last_error
    );
    let error = held.last_error.unwrap_or_default();
    assert!(
        error.contains("unknown origin GHA") && !error.contains("forged"),
        "the hub is told the origin is unknown, not forged: {error}"
    );

    // GHA publishes its entry: the hubs learn it, and the retry goes through.
    f.sandbox.publish_directory_entry(&p("GHA"), &[], 1).await?;
    f.let_time_run(time::Duration::milliseconds(250));
    f.until_state("BEL", &sent.trace_id, "delivered").await?;
    f.until_state("GHA", &sent.trace_id, "delivered").await?;
    let at_bel = iti_tests::db_scalar(f.node("BEL")?, "SELECT COUNT(*) FROM traces").await?;
    assert_eq!(at_bel, 1, "delivered once");
    for who in ["GHA", "hub:ECOWAS", "hub:INTERPOL"] {
        let rejected = outbox::list(f.node(who)?.store.pool(), true, 0, i64::MAX)
            .await?
            .into_iter()
            .filter(|r| r.state == OutboxState::Rejected)
            .count();
        assert_eq!(rejected, 0, "{who} dead-lettered nothing");
    }
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_never_learned_is_refused_after_the_limit_and_its_officer_is_told()
-> anyhow::Result<()> {
    // GHA never publishes its entry: nobody beyond its hub can verify it.
    let mut f = federation(&["BEL", "hub:ECOWAS", "hub:INTERPOL"]).await?;
    let sent = submit_to_bel(&mut f).await?;
    let held = until_told_unknown(&f, &sent.envelope_id).await?;
    assert_eq!(held.state, OutboxState::Pending, "{:?}", held.last_error);

    // Half a day on, the hub still tries.
    f.advance(time::Duration::hours(12));
    f.nudge();
    let attempts = held.attempts;
    f.until("hub:ECOWAS tries again", || async {
        Ok(outbox_row(&f, "hub:ECOWAS", &sent.envelope_id)
            .await?
            .is_some_and(|r| r.attempts > attempts))
    })
    .await?;
    let row = outbox_row(&f, "hub:ECOWAS", &sent.envelope_id).await?;
    assert_eq!(row.map(|r| r.state), Some(OutboxState::Pending));

    // Past the limit (a day by default), it is refused, and GHA's officer
    // sees why through the hub.
    f.advance(time::Duration::hours(13));
    f.let_time_run(time::Duration::milliseconds(250));
    let mut gha = f.poc("GHA")?;
    let rejected = pb::DeliveryState::Rejected as i32;
    f.until("GHA's officer sees the refusal", || {
        let mut gha = gha.clone();
        let id = sent.envelope_id.clone();
        async move {
            Ok(iti_tests::outbox_items(&mut gha)
                .await?
                .iter()
                .any(|i| i.envelope_id == id && i.state == rejected))
        }
    })
    .await?;
    let item = iti_tests::outbox_items(&mut gha)
        .await?
        .into_iter()
        .find(|i| i.envelope_id == sent.envelope_id)
        .ok_or_else(|| anyhow::anyhow!("no outbox item"))?;
    assert!(
        item.last_error.contains("hub:ECOWAS")
            && item.last_error.contains("after 1 day")
            && item.last_error.contains("unknown origin GHA"),
        "who gave up, after how long, and why: {}",
        item.last_error
    );
    let trace = iti_tests::trace_view(&mut gha, &sent.trace_id).await?;
    assert!(
        trace.events.iter().any(|e| e.kind == "delivery_refused"),
        "the case shows it was not delivered: {:?}",
        trace.events.iter().map(|e| &e.kind).collect::<Vec<_>>()
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_beyond_a_hub_the_origin_does_not_know_reaches_its_officer_through_its_hub()
-> anyhow::Result<()> {
    // hub:INTERPOL never publishes its entry: GHA cannot verify anything it
    // signs. BEL has pinned an impostor's CA for GHA, so it refuses GHA's
    // request outright.
    let mut f = federation(&["GHA", "BEL", "hub:ECOWAS"]).await?;
    let now = iti_node::clock::Clock::now(f.clock.as_ref());
    let impostor = pki::create_ca(&p("GHA"), Validity::days_from(now, 30))?;
    f.node("BEL")?
        .add_peer(
            &Actor::Node,
            pb::PeerCard {
                participant: "GHA".into(),
                endpoint: "127.0.0.1:9".into(),
                ca_certificate_pem: impostor.cert_pem.clone(),
                ..Default::default()
            },
        )
        .await?;
    let sent = submit_to_bel(&mut f).await?;

    let mut gha = f.poc("GHA")?;
    let rejected = pb::DeliveryState::Rejected as i32;
    f.until("GHA's officer sees BEL's refusal", || {
        let mut gha = gha.clone();
        let id = sent.envelope_id.clone();
        async move {
            Ok(iti_tests::outbox_items(&mut gha)
                .await?
                .iter()
                .any(|i| i.envelope_id == id && i.state == rejected))
        }
    })
    .await?;
    assert!(
        !f.node("GHA")?.trust.is_pinned(&p("hub:INTERPOL")),
        "GHA never learned hub:INTERPOL"
    );
    let item = iti_tests::outbox_items(&mut gha)
        .await?
        .into_iter()
        .find(|i| i.envelope_id == sent.envelope_id)
        .ok_or_else(|| anyhow::anyhow!("no outbox item"))?;
    assert!(
        item.last_error.contains("hub:INTERPOL")
            && item.last_error.contains("BEL refused it")
            && item
                .last_error
                .contains("does not chain to the CA pinned for GHA"),
        "the chain of hubs, who refused and why: {}",
        item.last_error
    );
    let trace = iti_tests::trace_view(&mut gha, &sent.trace_id).await?;
    assert!(trace.events.iter().any(|e| e.kind == "delivery_refused"));
    f.shutdown().await;
    Ok(())
}

/// A member on a line that takes connections and never answers (a weak
/// link, a stalled proxy) does not hold up what its hub announces to the
/// other members: GHA learns NGA's entry while the hub's call to BEN is
/// still waiting, well within the hub's delivery timeout (longer than this
/// test waits). The hub is first made to refresh its directory, so that
/// its fetch from BEN hangs while NGA publishes: a refresh must not hold up
/// announcements either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_never_answers_does_not_hold_up_its_hubs_announcements_to_the_others()
-> anyhow::Result<()> {
    let mut f = Federation::empty()?;
    for member in ["BEN", "GHA", "NGA"] {
        f.add(member, member_of("hub:ECOWAS"))?;
    }
    f.add(
        "hub:ECOWAS",
        MemberOptions {
            hub: true,
            delivery_timeout_secs: Some(100),
            ..Default::default()
        },
    )?;
    f.sandbox.start_all().await?;
    for member in ["GHA", "NGA"] {
        f.sandbox.peer(&p(member), &p("hub:ECOWAS")).await?;
    }
    // BEN's line, as the hub sees it: connections taken, never answered.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut card = f.sandbox.card(&p("BEN"), &[])?;
    card.endpoint = silent.local_addr()?.to_string();
    f.node("hub:ECOWAS")?.add_peer(&Actor::Node, card).await?;
    let called = Arc::new(tokio::sync::Notify::new());
    let calling = called.clone();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
            calling.notify_one();
        }
    });
    // The hub's only call to BEN so far: the refresh's fetch, which hangs.
    f.node("hub:ECOWAS")?.learning.refresh_soon();
    tokio::time::timeout(std::time::Duration::from_secs(60), called.notified())
        .await
        .map_err(|_| anyhow::anyhow!("the hub never called BEN"))?;

    let s = &f.sandbox;
    s.publish_directory_entry(&p("hub:ECOWAS"), &["BEN", "GHA", "NGA"], 1)
        .await?;
    s.publish_directory_entry(&p("NGA"), &[], 1).await?;
    let gha = f.node("GHA")?.clone();
    f.until("GHA learns NGA's entry through its hub", || {
        let gha = gha.clone();
        async move {
            Ok(
                iti_node::store::peers::directory_of(gha.store.pool(), &p("NGA"))
                    .await?
                    .is_some(),
            )
        }
    })
    .await?;
    held.abort();
    f.shutdown().await;
    Ok(())
}
