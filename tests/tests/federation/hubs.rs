//! Regional hubs and the broker (clause 11, annex A): relaying on headers,
//! on-behalf traces, tamper detection, sealed payloads, lost/stolen checks,
//! the signed directory, loops and certificate rotation.

use iti_node::identity::Role;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures, p};

fn via(hub: &str) -> MemberOptions {
    MemberOptions {
        routes: vec![("*".into(), hub.into())],
        ..Default::default()
    }
}

/// The regional federation (see `iti_tests::regional`), with the states'
/// admins having confirmed each other's CAs (sealed content may go).
async fn regional(with_broker_route: bool) -> anyhow::Result<Federation> {
    let f = iti_tests::regional(with_broker_route).await?;
    f.confirm_each_other(&["GHA", "NGA", "BEL"]).await?;
    Ok(f)
}

async fn submit(
    f: &mut Federation,
    from: &str,
    request: pb::TraceRequest,
    on_behalf_via: &str,
) -> anyhow::Result<pb::SubmitReply> {
    Ok(f.poc(from)?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: None,
            on_behalf_via: on_behalf_via.into(),
            // Scenarios send the same fixture more than once, on purpose.
            allow_duplicate: true,
        })
        .await?
        .into_inner())
}

async fn act(
    f: &mut Federation,
    who: &str,
    trace: &str,
    action: pb::act_request::Action,
) -> anyhow::Result<pb::ActReply> {
    Ok(f.poc(who)?
        .act(pb::ActRequest {
            trace_id: trace.into(),
            action: Some(action),
            confirm_despite_declared_restrictions: false,
        })
        .await?
        .into_inner())
}

fn request_to(state: &str) -> pb::TraceRequest {
    let mut r = fixtures::fal_request();
    r.domestic_findings = Some(pb::DomesticFindings {
        export_record: Some(pb::ExportRecord {
            importing_state: state.into(),
            export_date: "2014-01-01".into(),
            licence_number: "GH-X-1".into(),
            recorded_by: "GHA".into(),
        }),
        notes: String::new(),
    });
    r
}

async fn case_messages(
    f: &mut Federation,
    who: &str,
    trace: &str,
) -> anyhow::Result<Vec<pb::MessageView>> {
    let case = f
        .poc(who)?
        .show_case(pb::ShowCaseRequest {
            id: trace.into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok(case
        .traces
        .into_iter()
        .filter(|t| t.summary.as_ref().is_some_and(|s| s.trace_id == trace))
        .flat_map(|t| t.messages)
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_reaches_a_state_through_one_hub_and_is_answered_back() -> anyhow::Result<()> {
    let mut f = regional(false).await?;
    let sent = submit(&mut f, "GHA", request_to("NGA"), "").await?;
    assert_eq!(sent.plan.unwrap().path, vec!["hub:ECOWAS"]);
    let trace = sent.trace_id;
    // NGA got it (origin GHA, through the hub) and GHA holds NGA's own
    // receipt, relayed back by the hub.
    f.until_state("NGA", &trace, "delivered").await?;
    f.until_state("GHA", &trace, "delivered").await?;
    act(
        &mut f,
        "NGA",
        &trace,
        pb::act_request::Action::Acknowledge(Default::default()),
    )
    .await?;
    act(
        &mut f,
        "NGA",
        &trace,
        pb::act_request::Action::Respond(fixtures::nga_diversion_response()),
    )
    .await?;
    f.until_state("GHA", &trace, "responded").await?;
    let at_nga = case_messages(&mut f, "NGA", &trace).await?;
    let request = at_nga
        .iter()
        .find(|m| m.kind == pb::PayloadKind::Request as i32)
        .unwrap();
    assert_eq!(request.origin, "GHA");
    assert_eq!(
        request.hops,
        vec!["hub:ECOWAS"],
        "the envelope records its hop"
    );
    // The hub keeps no content once it delivered.
    let left = iti_tests::db_scalar(
        f.node("hub:ECOWAS")?,
        "SELECT COUNT(*) FROM envelopes WHERE direction = 'relay' AND length(envelope) > 0",
    )
    .await?;
    assert_eq!(left, 0, "relayed content kept after delivery");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_crosses_two_hubs_with_its_origin_signature_intact() -> anyhow::Result<()> {
    let mut f = regional(true).await?;
    let sent = submit(&mut f, "GHA", fixtures::fal_request(), "").await?;
    let trace = sent.trace_id;
    f.until_state("BEL", &trace, "delivered").await?;
    f.until_state("GHA", &trace, "delivered").await?;
    let at_bel = case_messages(&mut f, "BEL", &trace).await?;
    let request = at_bel
        .iter()
        .find(|m| m.kind == pb::PayloadKind::Request as i32)
        .unwrap();
    assert_eq!(request.origin, "GHA");
    assert_eq!(request.hops, vec!["hub:ECOWAS", "hub:INTERPOL"]);
    act(
        &mut f,
        "BEL",
        &trace,
        pb::act_request::Action::Acknowledge(Default::default()),
    )
    .await?;
    f.until_state("GHA", &trace, "acknowledged").await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_conducts_a_trace_on_a_members_behalf() -> anyhow::Result<()> {
    let mut f = regional(false).await?;
    let mut request = request_to("NGA");
    request.marking = Some(fixtures::marking(pb::Tlp::Amber, &[]));
    let sent = submit(&mut f, "GHA", request, "hub:ECOWAS").await?;
    let trace = sent.trace_id;
    // NGA sees the hub as the requester of record, on GHA's behalf.
    let at_nga = f.until_state("NGA", &trace, "delivered").await?;
    assert_eq!(at_nga.counterpart, "hub:ECOWAS");
    assert_eq!(at_nga.on_behalf_of, "GHA");
    act(
        &mut f,
        "NGA",
        &trace,
        pb::act_request::Action::Acknowledge(Default::default()),
    )
    .await?;
    act(
        &mut f,
        "NGA",
        &trace,
        pb::act_request::Action::Respond(fixtures::nga_diversion_response()),
    )
    .await?;
    // The member sees the whole case, the markings intact.
    f.until_state("GHA", &trace, "responded").await?;
    let at_gha = case_messages(&mut f, "GHA", &trace).await?;
    let response = at_gha
        .iter()
        .find(|m| m.kind == pb::PayloadKind::Response as i32)
        .and_then(|m| m.payload.clone())
        .and_then(|p| p.body);
    let Some(pb::payload::Body::Response(r)) = response else {
        panic!("GHA did not get the response: {at_gha:?}");
    };
    assert_eq!(
        r.last_legal_possessor.unwrap().marking,
        fixtures::nga_diversion_response()
            .last_legal_possessor
            .unwrap()
            .marking
    );
    // The member asks clarification; it goes to NGA through the hub.
    act(
        &mut f,
        "GHA",
        &trace,
        pb::act_request::Action::RequestClarification(pb::ClarificationRequest {
            question: "Was the armoury break-in reported to the police?".into(),
            regarding: String::new(),
        }),
    )
    .await?;
    f.until_state("NGA", &trace, "clarification_requested")
        .await?;
    // The hub's operator counts it.
    let stats = f
        .officer("hub:ECOWAS", Role::Admin)?
        .hub_stats(pb::HubStatsRequest {})
        .await?
        .into_inner();
    let gha = stats.members.iter().find(|m| m.member == "GHA").unwrap();
    assert_eq!(gha.on_behalf, 1);
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_altered_by_a_hub_is_refused_and_recorded() -> anyhow::Result<()> {
    let mut f = regional(false).await?;
    let gha = f.node("GHA")?.clone();
    let mut env = {
        let payload = pb::Payload {
            body: Some(pb::payload::Body::Request(request_to("NGA"))),
        };
        let now = iti_node::clock::Clock::now(f.clock.as_ref());
        let header = iti_node::envelope::Header {
            id: iti_node::ids::EnvelopeId::new_v7(now),
            case_id: iti_node::ids::CaseId::new_v7(now),
            trace_id: iti_node::ids::TraceId::new_v7(now),
            origin: p("GHA"),
            destination: p("NGA"),
            created_at: now,
            kind: pb::PayloadKind::Unspecified,
            marking: fixtures::marking(pb::Tlp::Amber, &[]),
            sealing: None,
            on_behalf_of: None,
        };
        iti_node::envelope::build(gha.signer(), header, &payload, None)?
    };
    // The hub changes one byte of the content before passing it on.
    let i = env.payload.len() / 2;
    env.payload[i] ^= 0x01;
    let hub_identity = iti_node::identity::Identity::Node(p("hub:ECOWAS"));
    let err = f
        .node("NGA")?
        .receive(&hub_identity, env)
        .await
        .unwrap_err();
    assert!(
        matches!(err, iti_node::service::ServiceError::PermissionDenied(ref m) if m.contains("signature")),
        "{err}"
    );
    let mut auditor = f.sandbox.officer(&p("NGA"), Role::Auditor)?;
    let log = auditor
        .audit_log(pb::AuditLogRequest {
            after_seq: 0,
            limit: 0,
        })
        .await?
        .into_inner();
    assert!(
        log.entries
            .iter()
            .any(|e| e.action == "envelope_refused" && e.actor == "hub:ECOWAS")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_relaying_a_red_request_cannot_read_it() -> anyhow::Result<()> {
    let mut f = regional(false).await?;
    // NGA offline: the hub has to keep the envelope until it is back.
    f.sandbox.stop(&p("NGA")).await?;
    let mut request = request_to("NGA");
    request.marking = Some(fixtures::marking(pb::Tlp::Red, &[]));
    let serial = "1502347";
    let sent = submit(&mut f, "GHA", request, "").await?;
    let trace = sent.trace_id;
    let hub = f.node("hub:ECOWAS")?.clone();
    f.until("the hub holds the request", || {
        let hub = hub.clone();
        let id = sent.envelope_id.clone();
        async move {
            let queued = iti_tests::db_scalar(
                &hub,
                &format!("SELECT COUNT(*) FROM outbox WHERE envelope_id = '{id}'"),
            )
            .await?;
            Ok(queued == 1)
        }
    })
    .await?;
    // What the hub holds: ciphertext, which its own key does not open.
    let held = iti_tests::db_blobs(
        &hub,
        &format!(
            "SELECT envelope FROM envelopes WHERE id = '{}' AND direction = 'relay'",
            sent.envelope_id
        ),
    )
    .await?;
    assert_eq!(held.len(), 1);
    assert!(held[0].len() > serial.len(), "the hub holds no content");
    assert!(
        !held[0]
            .windows(serial.len())
            .any(|w| w == serial.as_bytes()),
        "serial number readable at the hub"
    );
    f.start("NGA").await?;
    f.advance(time::Duration::minutes(5));
    // The hub's last attempt, made while NGA was down, may be recorded only
    // now: time goes on while we wait, or its retry never falls due.
    f.let_time_run(time::Duration::milliseconds(250));
    f.until_state("NGA", &trace, "delivered").await?;
    let first_id = case_messages(&mut f, "NGA", &trace).await?[0]
        .envelope_id
        .parse()?;
    let env = iti_node::store::envelopes::get_from_pool(f.node("NGA")?.store.pool(), first_id)
        .await?
        .unwrap();
    let sealing = env.header.sealing.clone().expect("sealed");
    assert!(
        hub.opening_key
            .as_ref()
            .unwrap()
            .open(&sealing, &env.envelope.header, &env.envelope.payload)
            .is_err()
    );
    // The destination reads it.
    let at_nga = case_messages(&mut f, "NGA", &trace).await?;
    assert!(matches!(
        at_nga[0].payload.as_ref().and_then(|p| p.body.as_ref()),
        Some(pb::payload::Body::Request(_))
    ));
    f.shutdown().await;
    Ok(())
}

/// Waits until `who` holds a broker notice in the case of `trace`.
async fn until_broker_notice(f: &mut Federation, who: &str, trace: &str) -> anyhow::Result<()> {
    let client = f.poc(who)?;
    f.until(&format!("the broker notice reaches {who}"), || {
        let mut c = client.clone();
        let id = trace.to_string();
        async move {
            let case = c
                .show_case(pb::ShowCaseRequest {
                    id,
                    ..Default::default()
                })
                .await?
                .into_inner();
            Ok(case
                .traces
                .iter()
                .flat_map(|t| &t.messages)
                .any(|m| m.kind == pb::PayloadKind::BrokerNotice as i32))
        }
    })
    .await
}

/// The broker's officer imports a CSV file with `itictl lost-stolen
/// import`, read and sent as it is read: the reports are added, and every
/// line that was not is named with why, whether itictl could not read it
/// or the register refused it. The rifle then matches as any report does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn itictl_imports_a_lost_stolen_file_and_names_each_line_not_added() -> anyhow::Result<()> {
    let mut f = regional(true).await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("interpol-feed.csv");
    std::fs::write(
        &file,
        "reported_by,make,model,serial_number,calibre,reported_on,circumstances,reference\n\
         NGA,FN HERSTAL,FAL,15O2347,7.62,2015-06-03,armoury break-in,NGA-LS-2015-0098\n\
         NGA,FN HERSTAL,FAL\n\
         XXX,FN,FAL,77,,,,\n\
         BEL,Beretta,92FS,B12345Z,9mm,2019-01-10,burglary,BEL-2019-7\n",
    )?;
    let out = f
        .itictl(
            "hub:INTERPOL",
            None,
            &["lost-stolen", "import", &file.display().to_string()],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "2 record(s) added to the register, 2 rejected",
        "{out}"
    );
    assert!(
        lines[1].starts_with("  line 3: ") && lines[1].contains("fields"),
        "{out}"
    );
    assert!(lines[2].starts_with("  line 4: reportedBy: "), "{out}");
    let sent = submit(&mut f, "GHA", fixtures::fal_request(), "").await?;
    until_broker_notice(&mut f, "GHA", &sent.trace_id).await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_finds_a_lost_weapon_despite_a_misread_serial() -> anyhow::Result<()> {
    let mut f = regional(true).await?;
    // A request relayed while the register is empty: the broker asked its
    // register, found it empty, and must ask again after the import.
    let before = submit(&mut f, "GHA", fixtures::fal_request(), "").await?;
    f.until_state("GHA", &before.trace_id, "delivered").await?;
    // NGA reported the rifle stolen to the broker; the serial was entered
    // with a letter O and without its leading zero.
    let mut broker = f.officer("hub:INTERPOL", Role::Poc)?;
    let reply = broker
        .import_lost_stolen(tokio_stream::iter(vec![
            pb::LostStolenRecord {
                line: 2,
                reported_by: "NGA".into(),
                make: "FN HERSTAL".into(),
                model: "FAL".into(),
                serial_number: "15O2347".into(),
                calibre: "7.62".into(),
                reported_on: "2015-06-03".into(),
                circumstances: "armoury break-in, Kaduna".into(),
                reference: "NGA-LS-2015-0098".into(),
            },
            pb::LostStolenRecord {
                line: 3,
                reported_by: "XXX".into(),
                make: "FN".into(),
                serial_number: "1".into(),
                ..Default::default()
            },
        ]))
        .await?
        .into_inner();
    assert_eq!(reply.accepted, 1);
    assert_eq!(reply.rejected.len(), 1);
    assert_eq!(
        reply.rejected[0].line, 3,
        "the rejected record is named by its line"
    );
    let sent = submit(&mut f, "GHA", fixtures::fal_request(), "").await?;
    let trace = sent.trace_id;
    for who in ["GHA", "BEL"] {
        until_broker_notice(&mut f, who, &trace).await?;
    }
    let notice = case_messages(&mut f, "GHA", &trace)
        .await?
        .into_iter()
        .find_map(|m| match m.payload.and_then(|p| p.body) {
            Some(pb::payload::Body::BrokerNotice(n)) => Some(n),
            _ => None,
        })
        .unwrap();
    assert_eq!(notice.reported_by, "NGA");
    assert_eq!(notice.register_entry, "NGA-LS-2015-0098");
    assert_eq!(
        notice.differences,
        vec!["0→O at 3".to_string()],
        "the notice says which character differed"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_keyed_by_older_rules_is_keyed_again_at_start_and_found() -> anyhow::Result<()> {
    let mut f = regional(true).await?;
    let mut broker = f.officer("hub:INTERPOL", Role::Poc)?;
    broker
        .import_lost_stolen(tokio_stream::iter(vec![pb::LostStolenRecord {
            line: 2,
            reported_by: "NGA".into(),
            make: "FN HERSTAL".into(),
            serial_number: "1502347".into(),
            reported_on: "2015-06-03".into(),
            reference: "NGA-LS-2015-0098".into(),
            ..Default::default()
        }]))
        .await?;
    // Keys as an older rule computed them: the register is looked up by
    // key, so they must be computed again.
    let pool = f.node("hub:INTERPOL")?.store.pool().clone();
    for sql in [
        "UPDATE lost_stolen SET make_key = 'FNHERSTAL-OLD', serial_key = 'OLD'",
        "UPDATE register_key_rules SET rules = 1",
    ] {
        sqlx::query(sql).execute(&pool).await?;
    }
    f.restart("hub:INTERPOL").await?;
    let trace = submit(&mut f, "GHA", fixtures::fal_request(), "")
        .await?
        .trace_id;
    until_broker_notice(&mut f, "GHA", &trace).await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_of_several_batches_is_imported_whole_with_every_bad_line_named()
-> anyhow::Result<()> {
    let mut f = regional(true).await?;
    // Two full batches and part of a third. The first line of each batch
    // after the first repeats line 1, the second line of each has no make.
    let batch = iti_node::hub::register::IMPORT_BATCH as u64;
    let lines = 2 * batch + 10;
    let records = (1..=lines).map(move |line| {
        let repeat = (line - 1) % batch == 0;
        pb::LostStolenRecord {
            line,
            reported_by: "NGA".into(),
            make: if (line - 1) % batch == 1 {
                ""
            } else {
                "FN Herstal"
            }
            .into(),
            serial_number: format!("SN{:07}", if repeat { 1 } else { line }),
            ..Default::default()
        }
    });
    let reply = f
        .officer("hub:INTERPOL", Role::Poc)?
        .import_lost_stolen(tokio_stream::iter(records))
        .await?
        .into_inner();
    let rejected: Vec<u64> = reply.rejected.iter().map(|r| r.line).collect();
    let expected = vec![2, batch + 1, batch + 2, 2 * batch + 1, 2 * batch + 2];
    assert_eq!(rejected, expected, "{:?}", reply.rejected);
    assert_eq!(reply.accepted, lines - expected.len() as u64);
    let registered =
        iti_tests::db_scalar(f.node("hub:INTERPOL")?, "SELECT COUNT(*) FROM lost_stolen").await?;
    assert_eq!(registered as u64, reply.accepted);
    f.shutdown().await;
    Ok(())
}

/// A feed that breaks off (the officer's line drops) still adds every full
/// batch read before it broke, and leaves nothing staged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_that_breaks_off_keeps_every_full_batch_read_before() -> anyhow::Result<()> {
    let f = regional(true).await?;
    let batch = iti_node::hub::register::IMPORT_BATCH as u64;
    let good = (1..=2 * batch + 10).map(|line| {
        Ok(pb::LostStolenRecord {
            line,
            reported_by: "NGA".into(),
            make: "FN Herstal".into(),
            serial_number: format!("SN{line:07}"),
            ..Default::default()
        })
    });
    let feed = good.chain(std::iter::once(Err("the line dropped")));
    let officer = iti_node::identity::Officer {
        participant: p("hub:INTERPOL"),
        role: Role::Poc,
        name: "registrar".into(),
    };
    let broker = f.node("hub:INTERPOL")?;
    let outcome = broker
        .import_lost_stolen(&officer, tokio_stream::iter(feed))
        .await;
    assert!(
        matches!(
            outcome,
            Err(iti_node::hub::register::FeedError::Feed("the line dropped"))
        ),
        "{outcome:?}"
    );
    let registered = iti_tests::db_scalar(broker, "SELECT COUNT(*) FROM lost_stolen").await?;
    assert_eq!(registered as u64, 2 * batch);
    let staged = iti_tests::db_scalar(broker, "SELECT COUNT(*) FROM lost_stolen_staged").await?;
    assert_eq!(staged, 0);
    f.shutdown().await;
    Ok(())
}

/// Reports staged by an import the broker stopped during (its officer was
/// never answered, and imports the file again) are forgotten when it
/// starts. SQLite: PostgreSQL adds each batch at once and stages nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_staged_by_an_import_cut_short_by_a_stop_are_forgotten_at_start()
-> anyhow::Result<()> {
    use sqlx::Connection;
    let mut f = regional(true).await?;
    if f.database_url("hub:INTERPOL").is_some() {
        f.shutdown().await;
        return Ok(());
    }
    f.sandbox.stop(&p("hub:INTERPOL")).await?;
    let mut db = f.open_database("hub:INTERPOL").await?;
    sqlx::query(
        "INSERT INTO lost_stolen_staged (feed, line, reported_by, make, model, serial_number, \
         calibre, make_key, serial_key, reported_on, circumstances, reference) \
         VALUES (7, 1, 'NGA', 'FN Herstal', '', 'SN1', '', 'FNHERSTAL', 'SN1', '', '', '')",
    )
    .execute(&mut db)
    .await?;
    db.close().await?;
    f.start("hub:INTERPOL").await?;
    let broker = f.node("hub:INTERPOL")?;
    let staged = iti_tests::db_scalar(broker, "SELECT COUNT(*) FROM lost_stolen_staged").await?;
    assert_eq!(staged, 0);
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_causes_at_most_ten_broker_notices() -> anyhow::Result<()> {
    let mut f = regional(true).await?;
    // The same rifle reported by twelve states: twelve register matches.
    let reporters = [
        "NGA", "GHA", "BEL", "FRA", "DEU", "NLD", "ITA", "ESP", "PRT", "SEN", "CIV", "MLI",
    ];
    let records = reporters
        .iter()
        .enumerate()
        .map(|(i, by)| pb::LostStolenRecord {
            line: i as u64 + 2,
            reported_by: (*by).into(),
            make: "FN Herstal".into(),
            serial_number: "1502347".into(),
            reference: format!("{by}-LS-1"),
            ..Default::default()
        })
        .collect::<Vec<_>>();
    let reply = f
        .officer("hub:INTERPOL", Role::Poc)?
        .import_lost_stolen(tokio_stream::iter(records))
        .await?
        .into_inner();
    assert_eq!(
        reply.accepted,
        reporters.len() as u64,
        "{:?}",
        reply.rejected
    );
    let sent = submit(&mut f, "GHA", fixtures::fal_request(), "").await?;
    f.until_state("BEL", &sent.trace_id, "delivered").await?;
    // The broker queued its notices with the relay: ten matches, a notice
    // to each side of each.
    let notices = iti_tests::db_scalar(
        f.node("hub:INTERPOL")?,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE kind = {}",
            pb::PayloadKind::BrokerNotice as i32
        ),
    )
    .await?;
    assert_eq!(
        notices,
        2 * iti_node::hub::register::MAX_NOTICES_PER_REQUEST as i64
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_distributed_and_a_forged_entry_is_rejected() -> anyhow::Result<()> {
    let mut f = regional(true).await?;
    // BEL learned GHA's entry through two hubs; GHA learned BEL's.
    let dir = f
        .officer("BEL", Role::Poc)?
        .get_directory(pb::GetDirectoryRequest::default())
        .await?
        .into_inner();
    let gha = dir
        .entries
        .iter()
        .find(|e| e.entry.as_ref().is_some_and(|x| x.participant == "GHA"))
        .unwrap();
    assert_eq!(gha.trust, "via hub:INTERPOL");
    assert!(!gha.entry.as_ref().unwrap().points_of_contact.is_empty());
    // An entry for NGA signed by GHA's CA is refused by NGA's hub.
    let m = f.sandbox.member(&p("GHA"))?;
    let mut forged_entry = pb::DirectoryEntry {
        participant: "NGA".into(),
        endpoints: vec!["203.0.113.9:7100".into()],
        serial: 99,
        ..Default::default()
    };
    forged_entry.ca_certificate = m.ca.cert_der()?.to_vec();
    let forged = iti_node::hub::directory::sign_entry(&forged_entry, m.ca.key_pem.expose())
        .map_err(anyhow::Error::msg)?;
    let err = f
        .node("hub:ECOWAS")?
        .accept_directory_entry(forged, None)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("not signed by the CA pinned for NGA"),
        "{err}"
    );
    let dir = f
        .officer("hub:ECOWAS", Role::Admin)?
        .get_directory(pb::GetDirectoryRequest::default())
        .await?
        .into_inner();
    let nga = dir
        .entries
        .iter()
        .find(|e| e.entry.as_ref().is_some_and(|x| x.participant == "NGA"))
        .unwrap();
    assert_ne!(
        nga.entry.as_ref().unwrap().serial,
        99,
        "the forged entry changed nothing"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routing_loop_between_hubs_is_refused_not_bounced() -> anyhow::Result<()> {
    let mut f = Federation::empty()?;
    f.add("GHA", via("hub:ECOWAS"))?;
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
            routes: vec![("*".into(), "hub:ECOWAS".into())],
            ..Default::default()
        },
    )?;
    f.sandbox.start_all().await?;
    let s = &f.sandbox;
    s.pin(&p("GHA"), &p("hub:ECOWAS"), &[]).await?;
    s.pin(&p("hub:ECOWAS"), &p("GHA"), &[]).await?;
    s.peer(&p("hub:ECOWAS"), &p("hub:INTERPOL")).await?;
    for who in ["GHA", "hub:ECOWAS", "hub:INTERPOL"] {
        s.publish_directory_entry(&p(who), &[], 1).await?;
    }
    for who in ["hub:ECOWAS", "hub:INTERPOL"] {
        f.node(who)?.refresh_directory().await?;
    }
    let sent = submit(&mut f, "GHA", fixtures::fal_request(), "").await?;
    let trace = sent.trace_id;
    // The envelope goes GHA → ECOWAS → INTERPOL, which would send it back:
    // refused as a loop, and ECOWAS records the refusal.
    let admin = f.officer("hub:ECOWAS", Role::Admin)?;
    f.until("the hub sees the loop refusal", || {
        let mut admin = admin.clone();
        async move {
            let items = iti_tests::outbox_items(&mut admin).await?;
            Ok(items.iter().any(|i| {
                i.state == pb::DeliveryState::Rejected as i32 && i.last_error.contains("loop")
            }))
        }
    })
    .await?;
    // GHA's officer learns it was refused, and why; nothing is retried.
    let gha = f.poc("GHA")?;
    f.until("GHA sees the refusal", || {
        let mut gha = gha.clone();
        async move {
            let items = iti_tests::outbox_items(&mut gha).await?;
            Ok(items.iter().any(|i| {
                i.state == pb::DeliveryState::Rejected as i32 && i.last_error.contains("loop")
            }))
        }
    })
    .await?;
    let mut gha = gha;
    let now = gha
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner();
    assert_eq!(
        now.traces
            .iter()
            .find(|t| t.trace_id == trace)
            .unwrap()
            .state,
        "sent",
        "never delivered"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_across_the_switch_over_without_a_failed_delivery() -> anyhow::Result<()> {
    use iti_node::clock::Clock;
    let mut f = Federation::empty()?;
    let switch_over = f.clock.now() + time::Duration::days(2);
    f.add("GHA", MemberOptions::default())?;
    f.add(
        "BEL",
        MemberOptions {
            rotate_at: Some(switch_over),
            ..Default::default()
        },
    )?;
    f.sandbox.start_all().await?;
    f.sandbox.peer(&p("GHA"), &p("BEL")).await?;
    // BEL announces its current and next certificates; GHA learns them and
    // from then on accepts only those for BEL.
    f.sandbox.publish_directory_entry(&p("BEL"), &[], 1).await?;
    let r = f.node("GHA")?.refresh_directory().await?;
    assert_eq!(r.accepted, vec!["BEL"]);

    let before = submit(&mut f, "GHA", fixtures::fal_request(), "")
        .await?
        .trace_id;
    f.until_state("GHA", &before, "delivered").await?;
    act(
        &mut f,
        "BEL",
        &before,
        pb::act_request::Action::Acknowledge(Default::default()),
    )
    .await?;
    f.until_state("GHA", &before, "acknowledged").await?;

    // Past the switch-over BEL presents and signs with its next key.
    f.advance(time::Duration::days(2) + time::Duration::hours(1));
    let after = submit(&mut f, "GHA", fixtures::fal_request(), "")
        .await?
        .trace_id;
    f.until_state("GHA", &after, "delivered").await?;
    act(
        &mut f,
        "BEL",
        &after,
        pb::act_request::Action::Acknowledge(Default::default()),
    )
    .await?;
    f.until_state("GHA", &after, "acknowledged").await?;
    let items = iti_tests::outbox_items(&mut f.poc("GHA")?).await?;
    assert!(
        items
            .iter()
            .all(|i| i.state == pb::DeliveryState::Delivered as i32),
        "no failed delivery: {items:?}"
    );

    // Long after, the retired key is no longer accepted for BEL, and a
    // certificate BEL's CA issued but never announced never was.
    f.advance(time::Duration::days(3));
    let member = f.sandbox.member(&p("BEL"))?;
    let old = iti_node::envelope::Signer::from_keyed(&member.node_cert)?;
    let unannounced = iti_node::identity::pki::issue(
        &member.ca,
        &iti_node::identity::Identity::Node(p("BEL")),
        iti_node::identity::pki::Validity::days_from(f.clock.now(), 30),
    )?;
    let rogue = iti_node::envelope::Signer::from_keyed(&unannounced)?;
    for signer in [&old, &rogue] {
        let now = f.clock.now();
        let header = iti_node::envelope::Header {
            id: iti_node::ids::EnvelopeId::new_v7(now),
            case_id: iti_node::ids::CaseId::new_v7(now),
            trace_id: after.parse()?,
            origin: p("BEL"),
            destination: p("GHA"),
            created_at: now,
            kind: pb::PayloadKind::Unspecified,
            marking: fixtures::marking(pb::Tlp::Amber, &[]),
            sealing: None,
            on_behalf_of: None,
        };
        let payload = pb::Payload {
            body: Some(pb::payload::Body::ClarificationReply(
                pb::ClarificationReply {
                    answer: "x".into(),
                    regarding: String::new(),
                },
            )),
        };
        let env = iti_node::envelope::build(signer, header, &payload, None)?;
        let err = f
            .node("GHA")?
            .receive(&iti_node::identity::Identity::Node(p("BEL")), env)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("not one its directory entry announces"),
            "{err}"
        );
    }
    f.shutdown().await;
    Ok(())
}

/// What the hub holds of one relayed envelope: (rows in its outbox, bytes of
/// content in its store).
async fn held_at_hub(f: &Federation, hub: &str, envelope_id: &str) -> anyhow::Result<(i64, i64)> {
    let node = f.node(hub)?;
    let queued = iti_tests::db_scalar(
        node,
        &format!("SELECT COUNT(*) FROM outbox WHERE envelope_id = '{envelope_id}'"),
    )
    .await?;
    let content = iti_tests::db_scalar(
        node,
        &format!(
            "SELECT COALESCE(SUM(length(envelope) + COALESCE(length(payload), 0)), 0) \
             FROM envelopes WHERE id = '{envelope_id}'"
        ),
    )
    .await?;
    Ok((queued, content))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_passes_an_envelope_straight_to_an_online_member_and_keeps_no_content()
-> anyhow::Result<()> {
    let mut f = regional(false).await?;
    let sent = submit(&mut f, "GHA", request_to("NGA"), "").await?;
    f.until_state("NGA", &sent.trace_id, "delivered").await?;
    f.until_state("GHA", &sent.trace_id, "delivered").await?;
    // Never queued at the hub, no content stored there; the relay recorded.
    assert_eq!(
        held_at_hub(&f, "hub:ECOWAS", &sent.envelope_id).await?,
        (0, 0)
    );
    let hub_audit = f
        .officer("hub:ECOWAS", Role::Auditor)?
        .audit_log(pb::AuditLogRequest {
            after_seq: 0,
            limit: 0,
        })
        .await?
        .into_inner()
        .entries;
    assert!(
        hub_audit.iter().any(|e| e.action == "relayed"
            && e.subject.contains(&sent.envelope_id)
            && e.detail.contains("passed straight through")),
        "{hub_audit:?}"
    );
    // GHA holds NGA's own receipt, straight from the delivery: no custody
    // step in between.
    let gha = f.node("GHA")?;
    let receipts = iti_tests::db_scalar(
        gha,
        &format!(
            "SELECT COUNT(*) FROM receipts WHERE envelope_id = '{}' AND receiver = 'NGA'",
            sent.envelope_id
        ),
    )
    .await?;
    assert_eq!(receipts, 1);
    let relayed_events = iti_tests::db_scalar(
        gha,
        &format!(
            "SELECT COUNT(*) FROM case_events WHERE trace_id = '{}' AND kind = 'relayed'",
            sent.trace_id
        ),
    )
    .await?;
    assert_eq!(relayed_events, 0, "a custody step was recorded");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_member_still_trusts_the_states_its_hub_introduced() -> anyhow::Result<()> {
    let mut f = regional(false).await?;
    // NGA knows GHA only from the directory the hub distributed.
    f.restart("NGA").await?;
    let sent = submit(&mut f, "GHA", request_to("NGA"), "").await?;
    f.until_state("NGA", &sent.trace_id, "delivered").await?;
    f.until_state("GHA", &sent.trace_id, "delivered").await?;
    // And NGA's answer finds its way back through the hub.
    f.restart("NGA").await?;
    act(
        &mut f,
        "NGA",
        &sent.trace_id,
        pb::act_request::Action::Acknowledge(Default::default()),
    )
    .await?;
    f.until_state("GHA", &sent.trace_id, "acknowledged").await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_that_refuses_what_a_hub_passes_is_reported_to_the_origin()
-> anyhow::Result<()> {
    // NGA pinned an impostor's CA for GHA: GHA's signature does not verify
    // against a CA NGA knows, a definite refusal.
    let mut f = regional(false).await?;
    let now = iti_node::clock::Clock::now(f.clock.as_ref());
    let impostor = iti_node::identity::pki::create_ca(
        &p("GHA"),
        iti_node::identity::pki::Validity::days_from(now, 30),
    )?;
    f.node("NGA")?
        .add_peer(
            &iti_node::service::Actor::Node,
            pb::PeerCard {
                participant: "GHA".into(),
                endpoint: "127.0.0.1:9".into(),
                ca_certificate_pem: impostor.cert_pem.clone(),
                ..Default::default()
            },
        )
        .await?;
    let sent = submit(&mut f, "GHA", request_to("NGA"), "").await?;
    let gha = f.poc("GHA")?;
    let rejected = pb::DeliveryState::Rejected as i32;
    f.until("GHA sees the refusal", || {
        let mut gha = gha.clone();
        let id = sent.envelope_id.clone();
        async move {
            let items = iti_tests::outbox_items(&mut gha).await?;
            Ok(items
                .iter()
                .any(|i| i.envelope_id == id && i.state == rejected))
        }
    })
    .await?;
    let item = iti_tests::outbox_items(&mut f.poc("GHA")?)
        .await?
        .into_iter()
        .find(|i| i.envelope_id == sent.envelope_id)
        .unwrap();
    assert!(
        item.last_error.contains("NGA refused it")
            && item
                .last_error
                .contains("does not chain to the CA pinned for GHA"),
        "the officer sees who refused and why: {}",
        item.last_error
    );
    // Nothing was taken at NGA.
    let at_nga = iti_tests::db_scalar(f.node("NGA")?, "SELECT COUNT(*) FROM traces").await?;
    assert_eq!(at_nga, 0);
    f.shutdown().await;
    Ok(())
}
