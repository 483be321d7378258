//! Bounds on every input (issue 13), over real nodes: each bad input the
//! issue lists is refused with the field named and nothing stored, whether
//! an officer submits it or a peer that skipped the checks sends it; a
//! mixed-script serial is accepted and flagged to both officers; an
//! identical request needs confirmation; a request over the gRPC message
//! limit is refused with the limit named.
//!
//! Layout: the bad inputs; submitted by an officer; sent by a peer (an
//! envelope signed by its own node key, delivered on the federation port);
//! flags; duplicates; size.

use anyhow::{Context, bail};
use iti_node::envelope::{self, Header};
use iti_node::ids::{CaseId, EnvelopeId, TraceId};
use iti_proto::v1 as pb;
use iti_tests::{Federation, federation_port, fixtures, p};
use pb::recovered_item::Item;
use tonic::Code;

// ---------------------------------------------------------------- the bad inputs

fn weapon(r: &mut pb::TraceRequest) -> &mut pb::WeaponIdentification {
    match r.items[0].item.as_mut() {
        Some(Item::Weapon(w)) => w,
        _ => unreachable!("the fixture's first item is a weapon"),
    }
}

/// Each bad input of issue 13, with the field it must be refused for.
fn bad_requests(now: time::OffsetDateTime) -> Vec<(&'static str, pb::TraceRequest)> {
    let edit = |f: &dyn Fn(&mut pb::TraceRequest)| {
        let mut r = fixtures::fal_request();
        f(&mut r);
        r
    };
    vec![
        (
            "items[0].weapon.serialNumber: longer than 64 characters",
            edit(&|r| weapon(r).serial_number = "7".repeat(10_000)),
        ),
        (
            "items[0].weapon.serialNumber: contains a control character (U+0000)",
            edit(&|r| weapon(r).serial_number = "1502\u{0}347".into()),
        ),
        (
            "individuals[0].nationality: not an ISO 3166-1 alpha-3 code",
            edit(&|r| r.individuals[0].nationality = "XXX".into()),
        ),
        (
            "context.recoveredAt: is in the future",
            edit(&|r| {
                r.context.as_mut().expect("context").recovered_at = Some(
                    iti_node::clock::to_timestamp(now + time::Duration::days(30)),
                )
            }),
        ),
        (
            "items[0].weapon.photographs[0].sha256: not a lower-case hex SHA-256",
            edit(&|r| {
                let photo = &mut weapon(r).photographs[0];
                photo.sha256 = "not-a-hash/../../etc/passwd".into();
                photo.size_bytes = 50_000_000;
            }),
        ),
        (
            "items[0].weapon.photographs[0].sizeBytes: more than 20971520 bytes",
            edit(&|r| weapon(r).photographs[0].size_bytes = 50_000_000),
        ),
    ]
}

/// A serial number with a Cyrillic Н (U+041D) where the Latin N belongs.
const MIXED_SERIAL: &str = "F\u{41D}1502347";

fn submission(request: pb::TraceRequest, allow_duplicate: bool) -> pb::SubmitRequestRequest {
    pb::SubmitRequestRequest {
        request: Some(request),
        routing_override: None,
        on_behalf_via: String::new(),
        allow_duplicate,
    }
}

async fn traces(f: &mut Federation, participant: &str) -> anyhow::Result<Vec<pb::TraceSummary>> {
    Ok(f.poc(participant)?
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner()
        .traces)
}

/// Rows of a table in `participant`'s database.
async fn rows(f: &Federation, participant: &str, table: &str) -> anyhow::Result<i64> {
    iti_tests::db_scalar(
        f.node(participant)?,
        &format!("SELECT COUNT(*) FROM {table}"),
    )
    .await
}

// ---------------------------------------------------------------- an officer

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_an_officer_submits_is_refused_naming_the_field_and_nothing_is_stored()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut poc = f.poc("GHA")?;
    for (expected, request) in bad_requests(f.sandbox.clock.now()) {
        for plan in [true, false] {
            let sent = if plan {
                poc.plan_request(submission(request.clone(), false))
                    .await
                    .map(|_| ())
            } else {
                poc.submit_request(submission(request.clone(), false))
                    .await
                    .map(|_| ())
            };
            let Err(status) = sent else {
                bail!("accepted (plan: {plan}), though it should fail with {expected}");
            };
            assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
            assert!(
                status.message().starts_with(expected),
                "expected {expected:?}, got {:?}",
                status.message()
            );
        }
    }
    assert!(
        traces(&mut f, "GHA").await?.is_empty(),
        "GHA stored a trace"
    );
    assert_eq!(
        rows(&f, "GHA", "envelopes").await?,
        0,
        "GHA stored an envelope"
    );
    assert!(iti_tests::outbox_items(&mut poc).await?.is_empty());
    assert!(traces(&mut f, "BEL").await?.is_empty(), "BEL got something");
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- a peer

/// `request` as `origin`'s node would send it if it skipped the checks:
/// signed with its own key, untouched.
fn signed_as(
    f: &Federation,
    origin: &str,
    destination: &str,
    mut request: pb::TraceRequest,
) -> anyhow::Result<(Header, pb::Envelope)> {
    let now = f.sandbox.clock.now();
    request.requested_state = destination.to_string();
    let payload = pb::Payload {
        body: Some(pb::payload::Body::Request(request)),
    };
    let header = Header {
        id: EnvelopeId::new_v7(now),
        case_id: CaseId::new_v7(now),
        trace_id: TraceId::new_v7(now),
        origin: p(origin),
        destination: p(destination),
        created_at: now,
        kind: pb::PayloadKind::Unspecified,
        marking: fixtures::marking(pb::Tlp::Amber, &[]),
        sealing: None,
        on_behalf_of: None,
    };
    let env = envelope::build(f.node(origin)?.signer(), header, &payload, None)?;
    Ok((Header::decode(&env.header)?, env))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_skipped_the_checks_is_refused_naming_the_field_and_nothing_is_stored()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut from_bel = federation_port(&f, "BEL", "GHA")?;
    let envelopes_before = rows(&f, "GHA", "envelopes").await?;
    for (expected, request) in bad_requests(f.sandbox.clock.now()) {
        let (header, env) = signed_as(&f, "BEL", "GHA", request)?;
        let status = match from_bel.deliver(env).await {
            Err(status) => status,
            Ok(reply) => bail!("GHA took what it should refuse ({expected}): {reply:?}"),
        };
        // A definite refusal: BEL's outbox would stop and tell its officer.
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with(&format!("request.{expected}")),
            "expected request.{expected:?}, got {:?}",
            status.message()
        );
        let refused = iti_tests::db_scalar(
            f.node("GHA")?,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'envelope_refused' \
                 AND detail LIKE '%{}%'",
                header.id
            ),
        )
        .await?;
        assert_eq!(refused, 1, "the refusal of {} is not audited", header.id);
    }
    assert!(
        traces(&mut f, "GHA").await?.is_empty(),
        "GHA stored a trace"
    );
    assert_eq!(
        rows(&f, "GHA", "envelopes").await?,
        envelopes_before,
        "GHA stored an envelope"
    );
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- flags

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_script_serial_is_accepted_and_flagged_to_both_officers() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL", "NGA"]).await?;
    let mut request = fixtures::fal_request();
    weapon(&mut request).serial_number = MIXED_SERIAL.into();
    let expect_flag = |flags: &[pb::InputFlag], who: &str| {
        assert_eq!(flags.len(), 1, "{who}: {flags:?}");
        assert_eq!(flags[0].field, "items[0].weapon.serialNumber", "{who}");
        assert_eq!(flags[0].flag, "mixed-script", "{who}");
        assert!(
            flags[0].description.contains("Cyrillic"),
            "{who}: {flags:?}"
        );
    };

    // The sender, when planning and when submitting.
    let mut poc = f.poc("GHA")?;
    let plan = poc
        .plan_request(submission(request.clone(), false))
        .await?
        .into_inner();
    expect_flag(&plan.flags, "GHA's plan");
    let sent = poc
        .submit_request(submission(request, false))
        .await?
        .into_inner();
    expect_flag(
        &sent.plan.as_ref().context("no plan in the reply")?.flags,
        "GHA's submit reply",
    );
    let own = traces(&mut f, "GHA").await?;
    expect_flag(&own[0].flags, "GHA's trace");

    // The receiver, on the trace it holds.
    let delivered = f.until_state("BEL", &sent.trace_id, "delivered").await?;
    expect_flag(&delivered.flags, "BEL's trace");

    // From a peer that skipped the checks: accepted and flagged too.
    let mut crafted = fixtures::fal_request();
    weapon(&mut crafted).serial_number = MIXED_SERIAL.into();
    let (header, env) = signed_as(&f, "BEL", "NGA", crafted)?;
    federation_port(&f, "BEL", "NGA")?.deliver(env).await?;
    let at_nga = traces(&mut f, "NGA").await?;
    let trace = at_nga
        .iter()
        .find(|t| t.trace_id == header.trace_id.to_string())
        .context("NGA did not store the crafted request")?;
    expect_flag(&trace.flags, "NGA's trace");

    // A serial in plain ASCII is not flagged.
    let plain = f
        .poc("GHA")?
        .plan_request(submission(fixtures::fal_request(), false))
        .await?
        .into_inner();
    assert!(plain.flags.is_empty(), "{:?}", plain.flags);
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- duplicates

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identical_request_needs_confirmation_and_names_the_earlier_trace() -> anyhow::Result<()>
{
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut poc = f.poc("GHA")?;
    let first = poc
        .submit_request(submission(fixtures::fal_request(), false))
        .await?
        .into_inner();

    let again = poc
        .submit_request(submission(fixtures::fal_request(), false))
        .await
        .expect_err("an identical request was sent without confirmation");
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");
    assert!(
        again.message().contains(&first.trace_id) && again.message().contains("--allow-duplicate"),
        "{}",
        again.message()
    );
    assert_eq!(
        traces(&mut f, "GHA").await?.len(),
        1,
        "the refused one was stored"
    );

    // Another reference is another request.
    let mut other = fixtures::fal_request();
    other.requester_reference = "GPS/CID/2026/1148".into();
    poc.submit_request(submission(other, false)).await?;

    // Confirmed, it goes.
    let confirmed = poc
        .submit_request(submission(fixtures::fal_request(), true))
        .await?
        .into_inner();
    assert_ne!(confirmed.trace_id, first.trace_id);
    assert_eq!(traces(&mut f, "GHA").await?.len(), 3);
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 6.1 e

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weapon_whose_only_country_is_a_usa_manufacture_mark_is_sent_to_the_usa()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "USA"]).await?;
    let mut request = fixtures::fal_request();
    request.items.truncate(1);
    let w = weapon(&mut request);
    w.make = "Colt".into();
    w.model = "M16A1".into();
    w.calibre = "5.56x45mm".into();
    w.country_of_manufacture.clear();
    w.marks = vec![pb::WeaponMark {
        kind: pb::MarkKind::Manufacture as i32,
        value: "U.S.A.".into(),
        location: "left side of receiver".into(),
        country: "USA".into(),
        year: 0,
    }];
    let sent = f
        .poc("GHA")?
        .submit_request(submission(request, false))
        .await?
        .into_inner();
    let plan = sent.plan.context("no plan")?;
    assert_eq!(plan.grounds.context("no grounds")?.requested_state, "USA");
    f.until_state("USA", &sent.trace_id, "delivered").await?;
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- size

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_message_limit_is_refused_naming_the_limit() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut request = fixtures::fal_request();
    // Items within every bound of their own, 46 KiB each, fewer than the
    // most a request holds: over 64 MiB together.
    weapon(&mut request).description = "\u{1F52B}".repeat(2000);
    weapon(&mut request).photographs = vec![
        pb::Attachment {
            caption: "\u{1F52B}".repeat(500),
            ..weapon(&mut request).photographs[0].clone()
        };
        20
    ];
    let item = request.items[0].clone();
    let enough = iti_node::bounds::MAX_LOCAL_MESSAGE_BYTES / prost::Message::encoded_len(&item) + 1;
    request.items = vec![item; enough];
    let status = f
        .poc("GHA")?
        .submit_request(submission(request, false))
        .await
        .expect_err("a request over 64 MiB was taken");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert!(
        status
            .message()
            .contains("decoded message length too large"),
        "{}",
        status.message()
    );
    // itictl says which limit, and what to do.
    let explained = itictl::failed(status).to_string();
    assert!(
        explained.contains("gRPC message limit of 64 MiB")
            && explained.contains("items per request"),
        "{explained}"
    );
    assert!(traces(&mut f, "GHA").await?.is_empty());
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- a reply

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_out_of_bounds_is_refused_naming_the_field_and_nothing_is_sent()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let sent = f
        .poc("GHA")?
        .submit_request(submission(fixtures::fal_request(), false))
        .await?
        .into_inner();
    f.until_state("BEL", &sent.trace_id, "delivered").await?;
    let mut bel = f.poc("BEL")?;
    let mut response = fixtures::bel_export_response();
    response
        .last_legal_possessor
        .as_mut()
        .context("the fixture names a last legal possessor")?
        .state = "XXX".into();
    let status = iti_tests::act(
        &mut bel,
        &sent.trace_id,
        pb::act_request::Action::Respond(response),
    )
    .await
    .expect_err("a response naming state XXX was sent");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status
            .message()
            .starts_with("response.lastLegalPossessor.state: not an ISO 3166-1"),
        "{}",
        status.message()
    );
    let outbox = iti_tests::outbox_items(&mut bel).await?;
    assert!(
        outbox
            .iter()
            .all(|i| i.kind != pb::PayloadKind::Response as i32),
        "a response was queued: {outbox:?}"
    );
    let summary = iti_tests::summary(&mut bel, &sent.trace_id)
        .await?
        .context("BEL lost the trace")?;
    assert_eq!(summary.state, "delivered");
    f.shutdown().await;
    Ok(())
}
