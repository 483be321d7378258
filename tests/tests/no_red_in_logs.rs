//! TLP:RED content never reaches the logs. Logs leave the node (to log
//! shippers, support staff, bug reports) with none of the controls that
//! markings put on case content, so whatever a node logs, at any level, must
//! be free of what the point of contact alone may see.
//!
//! Its own test binary: the subscriber that captures the logs is global to
//! the process.

use iti_node::identity::Role;
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures};
use tonic::Code;

/// What GHA's point of contact alone may see: the TLP:RED sections of NGA's
/// response. Each string appears nowhere else in the exchange.
const RED: [&str; 4] = [
    "Sgt. Musa Bello",
    "Kaduna State Command armoury",
    "14 Constitution Road, Kaduna",
    "sold 31 rifles to a trafficking network",
];

/// NGA's answer with its last legal possessor and the individuals involved
/// at TLP:RED, and the rest free of the RED strings.
fn response_with_red_sections() -> pb::TraceResponse {
    let mut r = fixtures::nga_diversion_response();
    if let Some(pb::finding::Case::InternalDiversion(d)) =
        r.finding.as_mut().and_then(|f| f.case.as_mut())
    {
        d.details = "Reported missing after a break-in at a state armoury".into();
    }
    if let Some(h) = r.history.as_mut() {
        for e in &mut h.events {
            e.party = "Nigeria Police Force".into();
        }
    }
    r.last_legal_possessor = Some(pb::LastLegalPossessor {
        address: RED[2].into(),
        ..fixtures::llp(
            RED[1],
            "state armoury",
            "NGA",
            Some(fixtures::marking(pb::Tlp::Red, &[])),
        )
    });
    if let Some(i) = r.individuals.as_mut() {
        i.individuals = vec![pb::Individual {
            name: RED[0].into(),
            role: "armourer on duty".into(),
            nationality: "NGA".into(),
            date_of_birth: String::new(),
            notes: RED[3].into(),
        }];
    }
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_exchange_logs_none_of_the_red_content_it_carried() -> anyhow::Result<()> {
    let logs = iti_tests::logs::capture_all()?;
    let mut f = Federation::of_states(&["GHA", "NGA", "BEL"]).await?;

    let mut gha = f.poc("GHA")?;
    let trace = gha
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: Some(pb::RoutingOverride {
                requested_state: "NGA".into(),
                reason: "the NPF marking on the butt stock".into(),
            }),
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner()
        .trace_id;
    f.until_state("NGA", &trace, "delivered").await?;
    let mut nga = f.poc("NGA")?;
    for action in [
        pb::act_request::Action::Acknowledge(pb::Acknowledgement::default()),
        pb::act_request::Action::Respond(response_with_red_sections()),
    ] {
        let step = matches!(action, pb::act_request::Action::Acknowledge(_));
        nga.act(pb::ActRequest {
            trace_id: trace.clone(),
            action: Some(action),
            confirm_despite_declared_restrictions: false,
        })
        .await?;
        let state = if step { "acknowledged" } else { "responded" };
        f.until_state("GHA", &trace, state).await?;
    }

    // Every officer looks; the point of contact sees the RED sections.
    let mut shown_to_poc = String::new();
    for role in Role::ALL {
        let case = f
            .officer("GHA", role)?
            .show_case(pb::ShowCaseRequest {
                id: trace.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        if role == Role::Poc {
            shown_to_poc = format!("{case:?}");
        }
    }
    for red in RED {
        assert!(shown_to_poc.contains(red), "the poc does not see {red:?}");
    }

    // Onward uses are refused, by the RED sections among others.
    let forwarded = gha
        .forward(pb::ForwardRequest {
            trace_id: trace.clone(),
            regarding: String::new(),
            to: "BEL".into(),
            note: String::new(),
        })
        .await;
    assert_eq!(
        forwarded.map(|_| ()).map_err(|s| s.code()),
        Err(Code::PermissionDenied)
    );
    for as_evidence in [false, true] {
        let exported = gha
            .export(pb::ExportRequest {
                trace_id: trace.clone(),
                format: pb::ExportFormat::Json as i32,
                as_evidence,
            })
            .await;
        assert_eq!(
            exported.map(|_| ()).map_err(|s| s.code()),
            Err(Code::PermissionDenied)
        );
    }
    gha.report(pb::ReportRequest::default()).await?;
    f.shutdown().await;

    let text = logs.text();
    // The capture works, and saw the nodes and the storing of the envelopes
    // that carried the RED content: otherwise the checks below would pass on
    // an empty log.
    assert!(
        text.contains("node started participant=GHA"),
        "the log lacks the nodes' own events"
    );
    assert!(
        text.contains("INSERT INTO envelopes"),
        "the log lacks the statements that stored the envelopes"
    );
    for red in RED {
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(red)).take(3).collect();
        assert!(
            lines.is_empty(),
            "{red:?} is in the log:\n{}",
            lines.join("\n")
        );
    }
    Ok(())
}
