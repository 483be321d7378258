//! Nothing marked TLP:RED or TLP:AMBER+STRICT ever leaves a node unsealed
//! (10.3, issue 12): when the destination's sealing key is not known, the
//! envelope waits in the outbox, the officer sees why, and it goes sealed
//! once the key is known.

use iti_node::service::Actor;
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures, p};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_request_waits_for_the_destinations_sealing_key_and_then_goes_sealed()
-> anyhow::Result<()> {
    let mut f = Federation::empty()?;
    f.add("GHA", Default::default())?;
    f.add("BEL", Default::default())?;
    f.sandbox.start_all().await?;
    // GHA pins BEL from a card that carries no sealing key.
    let mut card = f.sandbox.card(&p("BEL"), &[])?;
    let with_key = card.clone();
    card.encryption_key_hex.clear();
    f.node("GHA")?.add_peer(&Actor::Node, card).await?;
    f.sandbox.pin(&p("BEL"), &p("GHA"), &[]).await?;

    let mut request = fixtures::fal_request();
    request.marking = Some(fixtures::marking(pb::Tlp::Red, &[]));
    let sent = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            ..Default::default()
        })
        .await?
        .into_inner();

    let mut gha = f.poc("GHA")?;
    let id = sent.envelope_id.clone();
    f.until("GHA's outbox says why the envelope waits", || {
        let mut gha = gha.clone();
        let id = id.clone();
        async move {
            Ok(iti_tests::outbox_items(&mut gha)
                .await?
                .iter()
                .any(|i| i.envelope_id == id && i.last_error.contains("sealing key")))
        }
    })
    .await?;
    let item = iti_tests::outbox_items(&mut gha)
        .await?
        .into_iter()
        .find(|i| i.envelope_id == sent.envelope_id)
        .expect("queued");
    assert_eq!(item.state, pb::DeliveryState::Queued as i32);
    assert!(
        item.last_error.contains("TLP:RED is never sent unsealed"),
        "{}",
        item.last_error
    );
    let at_bel = iti_tests::db_scalar(f.node("BEL")?, "SELECT COUNT(*) FROM envelopes").await?;
    assert_eq!(at_bel, 0, "nothing reached BEL in clear");

    // BEL's key becomes known: the envelope goes, sealed to it.
    f.node("GHA")?.add_peer(&Actor::Node, with_key).await?;
    f.let_time_run(time::Duration::milliseconds(250));
    f.until_state("BEL", &sent.trace_id, "delivered").await?;
    let stored =
        iti_node::store::envelopes::for_trace(f.node("BEL")?.store.pool(), sent.trace_id.parse()?)
            .await?;
    assert!(
        stored.iter().all(|e| e.header.sealing.is_some()),
        "it travelled sealed"
    );
    f.shutdown().await;
    Ok(())
}
