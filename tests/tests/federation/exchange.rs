//! The first real exchange between states (issue: foundation).

use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_acknowledged_and_answered_between_two_states() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut gha = f.poc("GHA")?;
    let reply = gha
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner();
    let trace = reply.trace_id.clone();
    assert_eq!(reply.plan.unwrap().grounds.unwrap().requested_state, "BEL");
    f.until_state("BEL", &trace, "delivered").await?;
    f.until_state("GHA", &trace, "delivered").await?;
    let mut bel = f.poc("BEL")?;
    bel.act(pb::ActRequest {
        trace_id: trace.clone(),
        action: Some(pb::act_request::Action::Acknowledge(
            pb::Acknowledgement::default(),
        )),
        confirm_despite_declared_restrictions: false,
    })
    .await?;
    f.until_state("GHA", &trace, "acknowledged").await?;
    bel.act(pb::ActRequest {
        trace_id: trace.clone(),
        action: Some(pb::act_request::Action::Respond(
            fixtures::bel_export_response(),
        )),
        confirm_despite_declared_restrictions: false,
    })
    .await?;
    f.until_state("GHA", &trace, "responded").await?;
    let case = gha
        .show_case(pb::ShowCaseRequest {
            id: trace.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(
        case.traces.len(),
        2,
        "the export response proposes a follow-up to NGA"
    );
    f.shutdown().await;
    Ok(())
}
