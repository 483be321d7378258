//! The lifecycle of a trace between states (ISACS 05.31 clauses 9 and 10),
//! over real mutual-TLS nodes: routing (9.1), a chained trace to the point
//! of diversion (10.4.3, 10.4.4), completeness (10.2), deadlines (10.1,
//! 10.5.1), delays, refusals and clarification (10.5.2), a restart, and the
//! steps a node must refuse.
//!
//! Time passes only through the federation's manual clock; deadline alerts
//! are raised by calling each node's `sweep(now)`, as its scheduler would.

use iti_node::clock::{Clock, from_timestamp};
use iti_node::deadlines::{Alert, Owed};
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::{Federation, act, fixtures, summary, trace_view};
use pb::act_request::Action;
use pb::payload::Body;
use time::{Duration, OffsetDateTime};
use tonic::Code;
use tonic::transport::Channel;

type Officer = LocalClient<Channel>;

/// The elements of 9.2.1 e, as the completeness check names them.
const PURPOSE_AND_USE: [&str; 2] = ["purpose", "intendedUse"];

fn submission(request: pb::TraceRequest) -> pb::SubmitRequestRequest {
    pb::SubmitRequestRequest {
        request: Some(request),
        routing_override: None,
        on_behalf_via: String::new(),
        // Scenarios send the same fixture more than once, on purpose.
        allow_duplicate: true,
    }
}

fn every_trace() -> pb::ListTracesRequest {
    pb::ListTracesRequest {
        inbox: false,
        include_closed: true,
        page: None,
    }
}

/// The FAL request missing the purpose and intended use (9.2.1 e).
fn without_purpose_and_use() -> pb::TraceRequest {
    let mut request = fixtures::fal_request();
    request.purpose.clear();
    request.intended_use.clear();
    request
}

/// Domestic findings of GHA showing the items were exported to `state`.
fn exported_to(state: &str) -> pb::DomesticFindings {
    pb::DomesticFindings {
        export_record: Some(pb::ExportRecord {
            importing_state: state.into(),
            export_date: "2014-07-21".into(),
            licence_number: "GH-EXP-2014-031".into(),
            recorded_by: "Ghana National Commission on Small Arms".into(),
        }),
        notes: String::new(),
    }
}

/// GHA's request for the FAL, routed to BEL by its manufacture markings;
/// returns the trace id once both sides record the delivery.
async fn deliver_request(f: &mut Federation) -> anyhow::Result<String> {
    let mut gha = f.poc("GHA")?;
    let trace = gha
        .submit_request(submission(fixtures::fal_request()))
        .await?
        .into_inner()
        .trace_id;
    f.until_state("BEL", &trace, "delivered").await?;
    f.until_state("GHA", &trace, "delivered").await?;
    Ok(trace)
}

/// BEL acknowledges receipt (10.1) and GHA sees it.
async fn acknowledge(f: &mut Federation, trace: &str) -> anyhow::Result<()> {
    let mut bel = f.poc("BEL")?;
    act(
        &mut bel,
        trace,
        Action::Acknowledge(pb::Acknowledgement::default()),
    )
    .await?;
    f.until_state("BEL", trace, "acknowledged").await?;
    f.until_state("GHA", trace, "acknowledged").await?;
    Ok(())
}

/// Where a trace stands on one node, and how long its history is.
async fn state_and_events(officer: &mut Officer, trace: &str) -> anyhow::Result<(String, usize)> {
    let view = trace_view(officer, trace).await?;
    let state = view.summary.map(|s| s.state).unwrap_or_default();
    Ok((state, view.events.len()))
}

/// `result` is refused with `code`, and its message mentions `names` (the
/// field at fault, or the rule broken).
fn assert_refused<T: std::fmt::Debug>(result: Result<T, tonic::Status>, code: Code, names: &str) {
    match result {
        Ok(reply) => panic!("expected {code:?} mentioning {names:?}, but it succeeded: {reply:?}"),
        Err(status) => {
            assert_eq!(status.code(), code, "{}", status.message());
            assert!(
                status.message().contains(names),
                "{:?} does not mention {names:?}",
                status.message()
            );
        }
    }
}

fn time_of(ts: Option<&pbjson_types::Timestamp>) -> Option<OffsetDateTime> {
    ts.and_then(from_timestamp)
}

/// Moves the shared clock forward to `target`.
fn advance_to(f: &Federation, target: OffsetDateTime) {
    let now = f.clock.now();
    assert!(target > now, "the clock only moves forward");
    f.advance(target - now);
}

/// Runs `participant`'s deadline sweep at the clock's now: what it raised,
/// and who owes it.
async fn sweep(f: &Federation, participant: &str) -> anyhow::Result<Vec<(Owed, Alert, String)>> {
    let raised = f.node(participant)?.sweep(f.clock.now()).await?;
    Ok(raised
        .into_iter()
        .map(|a| (a.owed, a.alert, a.owed_by.to_string()))
        .collect())
}

/// The `Overdue` listing of one node: (trace, what, owed by, due).
async fn overdue(
    officer: &mut Officer,
) -> anyhow::Result<Vec<(String, String, String, Option<OffsetDateTime>)>> {
    Ok(officer
        .overdue(pb::OverdueRequest {})
        .await?
        .into_inner()
        .items
        .into_iter()
        .map(|i| {
            let due = time_of(i.due.as_ref());
            (i.trace_id, i.what, i.owed_by, due)
        })
        .collect())
}

fn events_of_kind<'a>(view: &'a pb::TraceView, kind: &str) -> Vec<&'a pb::CaseEvent> {
    view.events.iter().filter(|e| e.kind == kind).collect()
}

fn bodies(view: &pb::TraceView) -> impl Iterator<Item = &Body> {
    view.messages
        .iter()
        .filter_map(|m| m.payload.as_ref().and_then(|p| p.body.as_ref()))
}

/// Submits `request` from GHA and checks the routing: `destination` by
/// `rule`, explained under `clause`, and delivered there.
async fn submit_routed(
    f: &mut Federation,
    request: pb::TraceRequest,
    destination: &str,
    rule: pb::RoutingRule,
    clause: &str,
) -> anyhow::Result<String> {
    let mut gha = f.poc("GHA")?;
    let reply = gha.submit_request(submission(request)).await?.into_inner();
    let grounds = reply
        .plan
        .and_then(|p| p.grounds)
        .ok_or_else(|| anyhow::anyhow!("the reply carries no routing grounds"))?;
    assert_eq!(grounds.requested_state, destination, "{grounds:?}");
    assert_eq!(grounds.rule, rule as i32, "{grounds:?}");
    assert!(
        grounds.explanation.contains(clause),
        "the grounds should cite {clause}: {}",
        grounds.explanation
    );
    let seen = f
        .until_state(destination, &reply.trace_id, "delivered")
        .await?;
    assert_eq!(seen.counterpart, "GHA");
    assert_eq!(seen.role, pb::TraceRole::Requested as i32);
    Ok(reply.trace_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_routed_by_the_rules_of_9_1_or_by_an_officer_who_gives_a_reason()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL", "NGA", "TGO"]).await?;
    let mut gha = f.poc("GHA")?;

    // Planning shows the decision and its grounds, and sends nothing.
    let plan = gha
        .plan_request(submission(fixtures::fal_request()))
        .await?
        .into_inner();
    let grounds = plan.grounds.unwrap_or_default();
    assert_eq!(grounds.requested_state, "BEL");
    assert_eq!(grounds.rule, pb::RoutingRule::ManufactureMarking as i32);
    assert!(
        gha.list_traces(every_trace())
            .await?
            .into_inner()
            .traces
            .is_empty()
    );
    let queued = iti_tests::outbox_items(&mut gha).await?;
    assert!(queued.is_empty(), "a plan queued {queued:?}");

    // 9.1 a: an export record in the domestic findings names the importer.
    let mut exported = fixtures::fal_request();
    exported.domestic_findings = Some(exported_to("NGA"));
    submit_routed(
        &mut f,
        exported,
        "NGA",
        pb::RoutingRule::ExportRecord,
        "9.1 a",
    )
    .await?;

    // 9.1 b: no export record; an import marking names the last importer,
    // which takes precedence over the country of manufacture.
    let mut weapon = fixtures::fal_weapon();
    weapon.marks.push(pb::WeaponMark {
        kind: pb::MarkKind::Import as i32,
        value: "TG 2014".into(),
        location: "receiver, right side".into(),
        country: "TGO".into(),
        year: 2014,
    });
    let mut imported = fixtures::fal_request();
    imported.items = vec![pb::RecoveredItem {
        item_ref: "exhibit 14".into(),
        quantity: 1,
        item: Some(pb::recovered_item::Item::Weapon(weapon)),
    }];
    submit_routed(
        &mut f,
        imported,
        "TGO",
        pb::RoutingRule::ImportMarking,
        "9.1 b",
    )
    .await?;

    // 9.1 c: only the country of manufacture.
    let to_bel = submit_routed(
        &mut f,
        fixtures::fal_request(),
        "BEL",
        pb::RoutingRule::ManufactureMarking,
        "9.1 c",
    )
    .await?;
    let mut bel = f.poc("BEL")?;
    let at_bel: Vec<String> = bel
        .list_traces(every_trace())
        .await?
        .into_inner()
        .traces
        .into_iter()
        .map(|t| t.trace_id)
        .collect();
    assert_eq!(at_bel, [to_bel], "the plan sent BEL nothing of its own");

    // An override without a reason is refused, naming the field, and
    // creates nothing.
    let before = gha
        .list_traces(every_trace())
        .await?
        .into_inner()
        .traces
        .len();
    let refused = gha
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: Some(pb::RoutingOverride {
                requested_state: "NGA".into(),
                reason: "  ".into(),
            }),
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await;
    assert_refused(refused, Code::InvalidArgument, "routingOverride.reason");
    let after = gha
        .list_traces(every_trace())
        .await?
        .into_inner()
        .traces
        .len();
    assert_eq!(after, before);

    // An override with a reason: sent where the officer chose, and the
    // grounds keep the rules' choice and the reason.
    let reason = "iARMS hit: NGA reported this serial stolen from a police armoury";
    let reply = gha
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: Some(pb::RoutingOverride {
                requested_state: "NGA".into(),
                reason: reason.into(),
            }),
            on_behalf_via: String::new(),
            allow_duplicate: true,
        })
        .await?
        .into_inner();
    let grounds = reply.plan.and_then(|p| p.grounds).unwrap_or_default();
    assert_eq!(grounds.rule, pb::RoutingRule::OfficerOverride as i32);
    assert_eq!(grounds.requested_state, "NGA");
    assert_eq!(grounds.overridden_state, "BEL");
    assert_eq!(
        grounds.overridden_rule,
        pb::RoutingRule::ManufactureMarking as i32
    );
    assert_eq!(grounds.override_reason, reason);
    let overridden = reply.trace_id;
    f.until_state("NGA", &overridden, "delivered").await?;

    // NGA reads the officer's grounds in the request (9.2.1 b).
    let mut nga = f.poc("NGA")?;
    let received = trace_view(&mut nga, &overridden).await?;
    let grounds = bodies(&received)
        .find_map(|b| match b {
            Body::Request(r) => r.grounds.clone(),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(grounds.rule, pb::RoutingRule::OfficerOverride as i32);
    assert_eq!(grounds.override_reason, reason);

    // GHA's history records the override.
    let sent = trace_view(&mut gha, &overridden).await?;
    let overrides = events_of_kind(&sent, "routing_override");
    assert_eq!(overrides.len(), 1, "{:?}", sent.events);
    // The reason is the officer's text: it stays in the request, under its
    // marking, and out of the history every role reads.
    assert!(
        overrides[0].detail.contains("NGA instead of BEL") && !overrides[0].detail.contains(reason),
        "{}",
        overrides[0].detail
    );

    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chained_trace_across_three_states_ends_at_the_point_of_diversion() -> anyhow::Result<()>
{
    let mut f = Federation::of_states(&["GHA", "BEL", "NGA"]).await?;
    let mut gha = f.poc("GHA")?;
    let mut bel = f.poc("BEL")?;
    let mut nga = f.poc("NGA")?;

    // GHA asks BEL, which answers that the rifle was exported to NGA.
    let first = deliver_request(&mut f).await?;
    acknowledge(&mut f, &first).await?;
    act(
        &mut bel,
        &first,
        Action::Respond(fixtures::bel_export_response()),
    )
    .await?;
    let answered = f.until_state("GHA", &first, "responded").await?;

    // GHA's node drafts the follow-up to NGA in the same case (10.4.3, 9.1 a).
    let drafts: Vec<pb::TraceSummary> = gha
        .list_traces(every_trace())
        .await?
        .into_inner()
        .traces
        .into_iter()
        .filter(|t| t.trace_id != first)
        .collect();
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    let draft = &drafts[0];
    assert_eq!(draft.state, "drafted");
    assert_eq!(draft.counterpart, "NGA");
    assert_eq!(draft.case_id, answered.case_id);
    assert_eq!(draft.role, pb::TraceRole::Requester as i32);

    let sent = gha
        .send_draft(pb::SendDraftRequest {
            trace_id: draft.trace_id.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(sent.trace_id, draft.trace_id);
    assert_eq!(sent.case_id, answered.case_id);
    let grounds = sent.plan.and_then(|p| p.grounds).unwrap_or_default();
    assert_eq!(grounds.requested_state, "NGA");
    assert_eq!(grounds.rule, pb::RoutingRule::ExportRecord as i32);
    let second = sent.trace_id;

    // NGA finds it was stolen from a police armoury (10.4.4).
    f.until_state("NGA", &second, "delivered").await?;
    f.until_state("GHA", &second, "delivered").await?;
    act(
        &mut nga,
        &second,
        Action::Acknowledge(pb::Acknowledgement::default()),
    )
    .await?;
    f.until_state("GHA", &second, "acknowledged").await?;
    act(
        &mut nga,
        &second,
        Action::Respond(fixtures::nga_diversion_response()),
    )
    .await?;
    f.until_state("GHA", &second, "responded").await?;

    let case = gha
        .show_case(pb::ShowCaseRequest {
            id: answered.case_id.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let mut traces: Vec<String> = case
        .traces
        .iter()
        .filter_map(|t| t.summary.as_ref().map(|s| s.trace_id.clone()))
        .collect();
    traces.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(traces, expected);

    // The weapon's path, in date order, each step naming who reported it.
    use pb::HistoryEventKind as K;
    let dated: Vec<(&str, i32, &str, &str)> = case
        .timeline
        .iter()
        .filter(|s| !s.date.is_empty())
        .map(|s| {
            (
                s.date.as_str(),
                s.kind,
                s.state.as_str(),
                s.provided_by.as_str(),
            )
        })
        .collect();
    assert_eq!(
        dated,
        [
            ("2008-11-04", K::Manufacture as i32, "BEL", "BEL"),
            ("2009-03-12", K::Export as i32, "BEL", "BEL"),
            ("2009-04-02", K::Import as i32, "NGA", "NGA"),
            ("2011-08-15", K::InternalTransfer as i32, "NGA", "NGA"),
            ("2015-06-02", K::Diversion as i32, "NGA", "NGA"),
        ],
        "{:#?}",
        case.timeline
    );
    let possessors: Vec<(&str, &str)> = case
        .timeline
        .iter()
        .filter(|s| s.kind == K::LastLegalPossession as i32)
        .map(|s| (s.party.as_str(), s.provided_by.as_str()))
        .collect();
    assert!(
        possessors.contains(&("Nigeria Police Force, Kaduna State Command armoury", "NGA")),
        "{possessors:?}"
    );

    for named in [
        "diverted in NGA",
        "2015-06-02",
        "last legal possessor: Nigeria Police Force, Kaduna State Command armoury",
    ] {
        assert!(case.conclusion.contains(named), "{}", case.conclusion);
    }

    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_request_is_returned_unless_declared_incomplete_or_queued()
-> anyhow::Result<()> {
    let queue = MemberOptions {
        queue_incomplete: true,
        ..MemberOptions::default()
    };
    let mut f = Federation::of_members(&[
        ("GHA", MemberOptions::default()),
        ("BEL", MemberOptions::default()),
        ("NGA", queue),
    ])
    .await?;
    let mut gha = f.poc("GHA")?;
    let mut bel = f.poc("BEL")?;

    // BEL's default policy returns a request lacking 9.2.1 e (10.2).
    let trace = gha
        .submit_request(submission(without_purpose_and_use()))
        .await?
        .into_inner()
        .trace_id;
    f.until_state("GHA", &trace, "returned_for_completion")
        .await?;
    f.until_state("BEL", &trace, "returned_for_completion")
        .await?;
    let view = trace_view(&mut gha, &trace).await?;
    let returned = bodies(&view)
        .find_map(|b| match b {
            Body::ReturnForCompletion(r) => Some(r.clone()),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("GHA holds no ReturnForCompletion: {view:#?}"))?;
    let fields: Vec<&str> = returned.missing.iter().map(|m| m.field.as_str()).collect();
    assert_eq!(fields, PURPOSE_AND_USE);
    assert!(returned.missing.iter().all(|m| m.clause == "9.2.1 e"));
    assert!(returned.automatic);

    // Resubmitted complete: both sides agree, and BEL can acknowledge it.
    // The completed request takes the place of the first on both sides,
    // and BEL's deadlines count from its arrival (10.1).
    let mut completed = fixtures::fal_request();
    completed.requester_reference = "GHA-NCB-2026-0042 (completed)".into();
    f.advance(time::Duration::hours(2));
    act(
        &mut gha,
        &trace,
        Action::Resubmit(pb::Resubmission {
            request: Some(completed),
            note: "Purpose and intended use added".into(),
        }),
    )
    .await?;
    let at_bel = f.until_state("BEL", &trace, "resubmitted").await?;
    assert!(at_bel.missing.is_empty(), "{:?}", at_bel.missing);
    assert_eq!(at_bel.requester_reference, "GHA-NCB-2026-0042 (completed)");
    assert_ne!(at_bel.received_at, at_bel.opened_at);
    assert_eq!(
        at_bel.received_at, at_bel.updated_at,
        "BEL received the completed request when it took it"
    );
    let at_gha = f.until_state("GHA", &trace, "resubmitted").await?;
    assert_eq!(at_gha.requester_reference, "GHA-NCB-2026-0042 (completed)");
    acknowledge(&mut f, &trace).await?;

    // A request that declares it cannot provide everything is kept for the
    // officer to judge. (Returning happens in the transaction that stores
    // the request, so a trace seen "delivered" was not returned.)
    let mut declared = without_purpose_and_use();
    declared.cannot_provide_all = true;
    declared.cannot_provide_explanation =
        "The prosecutor has not yet decided how the information will be used".into();
    let kept = gha
        .submit_request(submission(declared))
        .await?
        .into_inner()
        .trace_id;
    let kept = f.until_state("BEL", &kept, "delivered").await?;
    let fields: Vec<&str> = kept.missing.iter().map(|m| m.field.as_str()).collect();
    assert_eq!(fields, PURPOSE_AND_USE);
    let inbox = bel
        .list_traces(pb::ListTracesRequest {
            inbox: true,
            include_closed: false,
            page: None,
        })
        .await?
        .into_inner()
        .traces;
    assert!(inbox.iter().any(|t| t.trace_id == kept.trace_id));

    // NGA's policy is to queue incomplete requests for its officer.
    let mut to_nga = without_purpose_and_use();
    to_nga.domestic_findings = Some(exported_to("NGA"));
    let queued = gha
        .submit_request(submission(to_nga))
        .await?
        .into_inner()
        .trace_id;
    let queued = f.until_state("NGA", &queued, "delivered").await?;
    let fields: Vec<&str> = queued.missing.iter().map(|m| m.field.as_str()).collect();
    assert_eq!(fields, PURPOSE_AND_USE);
    f.until_state("GHA", &queued.trace_id, "delivered").await?;

    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_raise_reminders_and_overdue_alerts_once_on_both_sides() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut gha = f.poc("GHA")?;
    let mut bel = f.poc("BEL")?;
    let trace = deliver_request(&mut f).await?;

    // Both sides count 10.1's seven days from BEL's receipt.
    let at_bel = summary(&mut bel, &trace).await?.unwrap_or_default();
    let at_gha = summary(&mut gha, &trace).await?.unwrap_or_default();
    let received = time_of(at_bel.received_at.as_ref()).expect("received_at");
    let ack_due = time_of(at_bel.ack_due.as_ref()).expect("ack_due");
    assert_eq!(ack_due, received + Duration::days(7));
    assert_eq!(time_of(at_gha.ack_due.as_ref()), Some(ack_due));
    // GHA shows when BEL received it, as BEL's signed receipt says.
    assert_eq!(time_of(at_gha.received_at.as_ref()), Some(received));

    // Within two days of the due date: a reminder, nothing overdue yet.
    advance_to(&f, ack_due - Duration::days(2) + Duration::hours(1));
    let ack_reminder = vec![(Owed::Acknowledgement, Alert::Reminder, "BEL".to_string())];
    assert_eq!(sweep(&f, "BEL").await?, ack_reminder);
    assert_eq!(sweep(&f, "GHA").await?, ack_reminder);
    assert!(overdue(&mut bel).await?.is_empty());
    assert!(overdue(&mut gha).await?.is_empty());

    // Past the due date: overdue, owed by BEL, listed on both sides.
    advance_to(&f, ack_due + Duration::hours(1));
    let ack_overdue = vec![(Owed::Acknowledgement, Alert::Overdue, "BEL".to_string())];
    assert_eq!(sweep(&f, "BEL").await?, ack_overdue);
    assert_eq!(sweep(&f, "GHA").await?, ack_overdue);
    let listed = vec![(
        trace.clone(),
        "acknowledgement".to_string(),
        "BEL".to_string(),
        Some(ack_due),
    )];
    assert_eq!(overdue(&mut bel).await?, listed);
    assert_eq!(overdue(&mut gha).await?, listed);
    assert!(summary(&mut bel, &trace).await?.is_some_and(|t| t.overdue));

    // Each alert is raised once.
    assert!(sweep(&f, "BEL").await?.is_empty());
    assert!(sweep(&f, "GHA").await?.is_empty());

    // BEL's history says it owes the acknowledgement; GHA's that BEL does.
    let owing = trace_view(&mut bel, &trace).await?;
    let alerts = events_of_kind(&owing, "overdue");
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0]
            .detail
            .starts_with("overdue: our acknowledgement of receipt (10.1) to GHA"),
        "{}",
        alerts[0].detail
    );
    let owed = trace_view(&mut gha, &trace).await?;
    let alerts = events_of_kind(&owed, "overdue");
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0]
            .detail
            .starts_with("overdue: BEL's acknowledgement of receipt (10.1)"),
        "{}",
        alerts[0].detail
    );

    // Acknowledging settles it; the response is due three weeks from
    // receipt (10.5.1).
    acknowledge(&mut f, &trace).await?;
    assert!(overdue(&mut bel).await?.is_empty());
    assert!(overdue(&mut gha).await?.is_empty());
    let at_bel = summary(&mut bel, &trace).await?.unwrap_or_default();
    let at_gha = summary(&mut gha, &trace).await?.unwrap_or_default();
    let response_due = time_of(at_bel.response_due.as_ref()).expect("response_due");
    assert_eq!(response_due, received + Duration::days(21));
    assert_eq!(time_of(at_gha.response_due.as_ref()), Some(response_due));
    assert_eq!(at_bel.ack_due, None);
    assert_eq!(at_gha.ack_due, None);

    advance_to(&f, response_due - Duration::days(2) + Duration::hours(1));
    let response_reminder = vec![(Owed::Response, Alert::Reminder, "BEL".to_string())];
    assert_eq!(sweep(&f, "BEL").await?, response_reminder);
    assert_eq!(sweep(&f, "GHA").await?, response_reminder);

    advance_to(&f, response_due + Duration::hours(1));
    let response_overdue = vec![(Owed::Response, Alert::Overdue, "BEL".to_string())];
    assert_eq!(sweep(&f, "BEL").await?, response_overdue);
    assert_eq!(sweep(&f, "GHA").await?, response_overdue);
    let listed = vec![(
        trace.clone(),
        "response".to_string(),
        "BEL".to_string(),
        Some(response_due),
    )];
    assert_eq!(overdue(&mut bel).await?, listed);
    assert_eq!(overdue(&mut gha).await?, listed);
    assert!(sweep(&f, "BEL").await?.is_empty());
    assert!(sweep(&f, "GHA").await?.is_empty());

    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_moves_the_response_deadline_on_both_sides() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut gha = f.poc("GHA")?;
    let mut bel = f.poc("BEL")?;
    let trace = deliver_request(&mut f).await?;
    acknowledge(&mut f, &trace).await?;

    // Whole seconds: a protocol timestamp that the store keeps exactly.
    let start = f.clock.now();
    let new_due =
        OffsetDateTime::from_unix_timestamp((start + Duration::days(40)).unix_timestamp())?;
    act(
        &mut bel,
        &trace,
        Action::Delay(pb::DelayNotice {
            reason: pb::WithholdingReason::OngoingInvestigationOrLaw as i32,
            explanation: "The armoury records are held by the investigating magistrate".into(),
            new_response_due: Some(iti_node::clock::to_timestamp(new_due)),
        }),
    )
    .await?;
    f.until_state("GHA", &trace, "delayed").await?;
    for officer in [&mut bel, &mut gha] {
        let t = summary(officer, &trace).await?.unwrap_or_default();
        assert_eq!(t.state, "delayed");
        assert_eq!(time_of(t.response_due.as_ref()), Some(new_due));
    }

    // Past the three weeks of 10.5.1: the delay stands, nothing is overdue.
    f.advance(Duration::days(22));
    assert!(sweep(&f, "BEL").await?.is_empty());
    assert!(sweep(&f, "GHA").await?.is_empty());
    assert!(overdue(&mut bel).await?.is_empty());
    assert!(overdue(&mut gha).await?.is_empty());

    // Past the new date it is (the late sweep also raises the reminder).
    advance_to(&f, new_due + Duration::hours(1));
    let late = vec![
        (Owed::Response, Alert::Reminder, "BEL".to_string()),
        (Owed::Response, Alert::Overdue, "BEL".to_string()),
    ];
    assert_eq!(sweep(&f, "BEL").await?, late);
    assert_eq!(sweep(&f, "GHA").await?, late);
    let listed = vec![(
        trace.clone(),
        "response".to_string(),
        "BEL".to_string(),
        Some(new_due),
    )];
    assert_eq!(overdue(&mut bel).await?, listed);
    assert_eq!(overdue(&mut gha).await?, listed);

    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_needs_a_reason_of_10_5_2_and_ends_the_trace_refused() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut gha = f.poc("GHA")?;
    let mut bel = f.poc("BEL")?;
    let trace = deliver_request(&mut f).await?;
    acknowledge(&mut f, &trace).await?;

    let explanation = "GHA's exchange channel for this case is not accredited for AMBER";
    let before = state_and_events(&mut bel, &trace).await?;
    let refused = act(
        &mut bel,
        &trace,
        Action::Refuse(pb::Refusal {
            reason: pb::WithholdingReason::Unspecified as i32,
            explanation: explanation.into(),
        }),
    )
    .await;
    assert_refused(refused, Code::InvalidArgument, "refusal.reason");
    assert_eq!(state_and_events(&mut bel, &trace).await?, before);

    act(
        &mut bel,
        &trace,
        Action::Refuse(pb::Refusal {
            reason: pb::WithholdingReason::ConfidentialityNotGuaranteed as i32,
            explanation: explanation.into(),
        }),
    )
    .await?;
    f.until_state("BEL", &trace, "refused").await?;
    f.until_state("GHA", &trace, "refused").await?;

    // GHA got one refusal, with its reason (10.5.2 b) and explanation.
    let view = trace_view(&mut gha, &trace).await?;
    assert_eq!(events_of_kind(&view, "refusal_received").len(), 1);
    let refusals: Vec<&pb::Refusal> = bodies(&view)
        .filter_map(|b| match b {
            Body::Refusal(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(refusals.len(), 1);
    assert_eq!(
        refusals[0].reason,
        pb::WithholdingReason::ConfidentialityNotGuaranteed as i32
    );
    assert_eq!(refusals[0].explanation, explanation);

    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requester_may_seek_clarification_of_a_restricted_response() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut gha = f.poc("GHA")?;
    let mut bel = f.poc("BEL")?;
    let trace = deliver_request(&mut f).await?;
    acknowledge(&mut f, &trace).await?;

    act(
        &mut bel,
        &trace,
        Action::Respond(pb::TraceResponse {
            marking: Some(fixtures::marking(pb::Tlp::Amber, &[])),
            restricted: true,
            restriction_reason: pb::WithholdingReason::OngoingInvestigationOrLaw as i32,
            restriction_explanation: "The export file is part of a Belgian criminal inquiry".into(),
            ..pb::TraceResponse::default()
        }),
    )
    .await?;
    f.until_state("GHA", &trace, "responded_restricted").await?;

    let question = "Can you say when the inquiry is expected to release the export file?";
    act(
        &mut gha,
        &trace,
        Action::RequestClarification(pb::ClarificationRequest {
            question: question.into(),
            regarding: String::new(),
        }),
    )
    .await?;
    f.until_state("GHA", &trace, "clarification_requested")
        .await?;
    f.until_state("BEL", &trace, "clarification_requested")
        .await?;

    let answer = "The investigating judge expects to lift the restriction by March";
    act(
        &mut bel,
        &trace,
        Action::Clarify(pb::ClarificationReply {
            answer: answer.into(),
            regarding: String::new(),
        }),
    )
    .await?;
    f.until_state("BEL", &trace, "clarification_answered")
        .await?;
    f.until_state("GHA", &trace, "clarification_answered")
        .await?;

    // Both histories hold the question and the answer, and both sides can
    // read them.
    let expected_events = [
        (
            "GHA",
            "clarification requested",
            "clarification_reply_received",
        ),
        (
            "BEL",
            "clarification_request_received",
            "clarification given",
        ),
    ];
    for (participant, asked, answered) in expected_events {
        let mut officer = f.poc(participant)?;
        let view = trace_view(&mut officer, &trace).await?;
        assert_eq!(
            events_of_kind(&view, asked).len(),
            1,
            "{participant}: {:#?}",
            view.events
        );
        assert_eq!(
            events_of_kind(&view, answered).len(),
            1,
            "{participant}: {:#?}",
            view.events
        );
        assert!(
            bodies(&view)
                .any(|b| matches!(b, Body::ClarificationRequest(c) if c.question == question))
        );
        assert!(
            bodies(&view).any(|b| matches!(b, Body::ClarificationReply(c) if c.answer == answer))
        );
    }

    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_trace_and_its_deadlines_and_alerts_once() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let trace = deliver_request(&mut f).await?;
    let mut bel = f.poc("BEL")?;
    let before = summary(&mut bel, &trace).await?.unwrap_or_default();

    f.restart("BEL").await?;
    let mut bel = f.poc("BEL")?;
    let after = summary(&mut bel, &trace).await?.unwrap_or_default();
    assert_eq!(after.state, "delivered");
    assert_eq!(after.received_at, before.received_at);
    assert!(after.ack_due.is_some());
    assert_eq!(after.ack_due, before.ack_due);
    assert!(after.response_due.is_some());
    assert_eq!(after.response_due, before.response_due);

    f.advance(Duration::days(8));
    assert_eq!(
        sweep(&f, "BEL").await?,
        [
            (Owed::Acknowledgement, Alert::Reminder, "BEL".to_string()),
            (Owed::Acknowledgement, Alert::Overdue, "BEL".to_string()),
        ]
    );

    f.restart("BEL").await?;
    assert!(sweep(&f, "BEL").await?.is_empty());
    let mut bel = f.poc("BEL")?;
    let view = trace_view(&mut bel, &trace).await?;
    assert_eq!(events_of_kind(&view, "overdue").len(), 1);

    // The restarted node still works the trace.
    acknowledge(&mut f, &trace).await?;

    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_port_was_taken_while_it_was_down_comes_back_and_is_reached()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let trace = deliver_request(&mut f).await?;
    let bel = iti_tests::p("BEL");
    let old = f
        .sandbox
        .member(&bel)?
        .running
        .as_ref()
        .map(|r| r.federation_addr);
    f.sandbox.stop(&bel).await?;
    // Something else takes BEL's port while it is down.
    let _taken = std::net::TcpListener::bind(old.expect("BEL ran"))?;
    f.sandbox.start(&bel).await?;
    let new = f
        .sandbox
        .member(&bel)?
        .running
        .as_ref()
        .map(|r| r.federation_addr);
    assert_ne!(new, old);
    // Its peers reach it where it is now, both ways.
    acknowledge(&mut f, &trace).await?;
    let mut again = fixtures::fal_request();
    again.requester_reference = "GHA-after-restart".into();
    let second = f
        .poc("GHA")?
        .submit_request(submission(again))
        .await?
        .into_inner()
        .trace_id;
    f.until_state("BEL", &second, "delivered").await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn illegal_steps_are_refused_and_leave_the_trace_unchanged() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut gha = f.poc("GHA")?;
    let mut bel = f.poc("BEL")?;
    let trace = deliver_request(&mut f).await?;

    // 10.1 comes first: no response before the acknowledgement.
    let before = state_and_events(&mut bel, &trace).await?;
    assert_refused(
        act(
            &mut bel,
            &trace,
            Action::Respond(fixtures::bel_export_response()),
        )
        .await,
        Code::FailedPrecondition,
        "cannot respond to a trace that is delivered",
    );
    assert_eq!(state_and_events(&mut bel, &trace).await?, before);

    // The requester does not acknowledge its own request, and the requested
    // state does not close it.
    let before = state_and_events(&mut gha, &trace).await?;
    assert_refused(
        act(
            &mut gha,
            &trace,
            Action::Acknowledge(pb::Acknowledgement::default()),
        )
        .await,
        Code::FailedPrecondition,
        "only the requested state may acknowledge",
    );
    assert_eq!(state_and_events(&mut gha, &trace).await?, before);
    let before = state_and_events(&mut bel, &trace).await?;
    assert_refused(
        act(&mut bel, &trace, Action::Close(pb::Closure::default())).await,
        Code::FailedPrecondition,
        "only the requesting state may close",
    );
    assert_eq!(state_and_events(&mut bel, &trace).await?, before);

    // Nothing moves a closed trace.
    act(
        &mut gha,
        &trace,
        Action::Close(pb::Closure {
            outcome: "Traced domestically after all".into(),
        }),
    )
    .await?;
    f.until_state("BEL", &trace, "closed").await?;
    let bel_before = state_and_events(&mut bel, &trace).await?;
    let gha_before = state_and_events(&mut gha, &trace).await?;
    assert_refused(
        act(
            &mut bel,
            &trace,
            Action::Acknowledge(pb::Acknowledgement::default()),
        )
        .await,
        Code::FailedPrecondition,
        "cannot acknowledge a trace that is closed",
    );
    assert_refused(
        act(&mut gha, &trace, Action::Close(pb::Closure::default())).await,
        Code::FailedPrecondition,
        "cannot close a trace that is closed",
    );
    assert_refused(
        act(
            &mut gha,
            &trace,
            Action::RequestClarification(pb::ClarificationRequest {
                question: "Any news?".into(),
                regarding: String::new(),
            }),
        )
        .await,
        Code::FailedPrecondition,
        "closed",
    );
    assert_eq!(state_and_events(&mut bel, &trace).await?, bel_before);
    assert_eq!(state_and_events(&mut gha, &trace).await?, gha_before);

    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_response_must_name_the_last_legal_possessor() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut bel = f.poc("BEL")?;
    let trace = deliver_request(&mut f).await?;
    acknowledge(&mut f, &trace).await?;

    let before = state_and_events(&mut bel, &trace).await?;
    let mut without = fixtures::bel_export_response();
    without.last_legal_possessor = None;
    let mut unnamed = fixtures::bel_export_response();
    unnamed.last_legal_possessor = Some(fixtures::llp(" ", "manufacturer", "BEL", None));
    for response in [without, unnamed] {
        assert_refused(
            act(&mut bel, &trace, Action::Respond(response)).await,
            Code::InvalidArgument,
            "lastLegalPossessor.name",
        );
        assert_eq!(state_and_events(&mut bel, &trace).await?, before);
    }

    // Naming the possessor is all it took.
    act(
        &mut bel,
        &trace,
        Action::Respond(fixtures::bel_export_response()),
    )
    .await?;
    f.until_state("GHA", &trace, "responded").await?;

    f.shutdown().await;
    Ok(())
}
