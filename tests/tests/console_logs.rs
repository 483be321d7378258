//! What the console writes to the node's log (issue 14): the access log
//! says method, route pattern, officer and status, and nothing an officer
//! read or typed reaches any log line. The log capture is global to the
//! process, so this test has a binary of its own.

use anyhow::ensure;
use iti_node::identity::Role;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures};

const TYPED: &str = "REF-TYPED-8812";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_logs_facts_never_content() -> anyhow::Result<()> {
    let logs = iti_tests::logs::capture_all()?;
    let console = MemberOptions {
        console: true,
        ..MemberOptions::default()
    };
    let mut f = Federation::of_members(&[("GHA", console.clone()), ("BEL", console)]).await?;
    let reply = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner();
    let trace = reply.trace_id;
    f.until_state("BEL", &trace, "delivered").await?;

    let bel = f.browser("BEL", Role::Poc)?;
    let case = bel.get(&format!("/case/{trace}?lang=fr"), &[]).await?;
    ensure!(case.status == 200 && case.body.contains("Nsawam"));
    let token = case.hidden("csrf").unwrap_or_default();
    let done = bel
        .post(
            &format!("/case/{trace}/acknowledge"),
            &[("csrf", &token), ("reference", TYPED)],
            &[],
        )
        .await?;
    ensure!(done.status == 303, "{done:?}");
    let refused = bel
        .post(
            &format!("/case/{trace}/acknowledge"),
            &[("csrf", "forged"), ("reference", TYPED)],
            &[],
        )
        .await?;
    ensure!(refused.status == 403);
    f.shutdown().await;

    let text = logs.text();
    let access: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("iti_node::console::access"))
        .collect();
    ensure!(
        access
            .iter()
            .any(|l| l.contains("route=\"/case/{id}\"") && l.contains("status=200")),
        "no access line for the case page: {access:#?}"
    );
    ensure!(
        access
            .iter()
            .any(|l| l.contains("route=\"/case/{id}/acknowledge\"") && l.contains("status=403")),
        "no access line for the refused form: {access:#?}"
    );
    for content in [
        "Nsawam",
        "Kwame",
        "perron with ELG",
        "GPS/CID/2026/1147",
        TYPED,
        "lang=fr",
        &token,
    ] {
        ensure!(
            !text.contains(content),
            "{content:?} reached the log: {}",
            text.lines()
                .filter(|l| l.contains(content))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Ok(())
}
