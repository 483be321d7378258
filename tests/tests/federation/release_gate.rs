//! The release gate end to end (issue 12): one test for each exit the issue
//! found open, over real nodes, each asserting what an officer relies on.
//!
//! Layout: the set-ups (states peered with each other; states that reach
//! each other only through a hub, with the directory learned so that
//! sealing keys are known, and each other's CAs confirmed; the same with a
//! broker), the officer calls the scenarios share, then one test per defect
//! in the order: drafted follow-ups, events and audit entries,
//! export of a received request, replies about a RED response, personal
//! data, consent from the provider only, consent lifting a TLP level,
//! consent requests in the provider's inbox, information forwarded to a
//! third state, markings on the timeline. (That nothing marked RED leaves
//! unsealed when the destination's key is unknown is `sealing.rs`.)

use std::collections::BTreeSet;

use anyhow::{Context, anyhow, bail, ensure};
use iti_node::clock::Clock;
use iti_node::identity::{Identity, Role};
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::{Federation, act, fixtures, p};
use pb::act_request::Action;
use pb::payload::Body;
use tonic::Code;
use tonic::transport::Channel;

type Officer = LocalClient<Channel>;

const GHA: &str = "GHA";
const BEL: &str = "BEL";
const NGA: &str = "NGA";
const TGO: &str = "TGO";
const HUB: &str = "hub:ECOWAS";
const BROKER: &str = "hub:INTERPOL";

/// The export licence in BEL's finding (`fixtures::bel_export_response`).
const LICENCE: &str = "BE-W-2009-0412";
/// The FAL's serial number (`fixtures::fal_weapon`).
const SERIAL: &str = "1502347";

// ---------------------------------------------------------------- set-ups

fn member_of(hub: &str) -> MemberOptions {
    MemberOptions {
        routes: vec![("*".into(), hub.into())],
        ..MemberOptions::default()
    }
}

fn a_hub(routes: Vec<(String, String)>) -> MemberOptions {
    MemberOptions {
        hub: true,
        routes,
        ..MemberOptions::default()
    }
}

/// Every participant learns the directory, in this order (hubs first, so
/// that members find their peers' entries, sealing keys included).
async fn learn_directories(f: &Federation, order: &[&str]) -> anyhow::Result<()> {
    for who in order {
        let r = f.node(who)?.refresh_directory().await?;
        ensure!(r.rejected.is_empty(), "{who}: {:?}", r.rejected);
    }
    Ok(())
}

/// `members` reach each other only through hub:ECOWAS.
async fn through_hub(members: &[&str]) -> anyhow::Result<Federation> {
    let mut f = Federation::empty()?;
    for m in members {
        f.add(m, member_of(HUB))?;
    }
    f.add(HUB, a_hub(vec![]))?;
    f.sandbox.start_all().await?;
    for m in members {
        f.sandbox.pin(&p(m), &p(HUB), &[]).await?;
        f.sandbox.pin(&p(HUB), &p(m), &[]).await?;
        f.sandbox.publish_directory_entry(&p(m), &[], 1).await?;
    }
    f.sandbox
        .publish_directory_entry(&p(HUB), members, 1)
        .await?;
    let mut order = vec![HUB];
    order.extend_from_slice(members);
    learn_directories(&f, &order).await?;
    // The states' admins confirm each other's CAs (the hub only introduces
    // them): sealed content may go.
    f.confirm_each_other(members).await?;
    // A relayed delivery that fails once is retried after a backoff: let
    // time pass while waiting, or the retry never falls due (README,
    // Testing: when the harness lets its clock run).
    f.let_time_run(time::Duration::milliseconds(250));
    Ok(f)
}

/// GHA and NGA are members of hub:ECOWAS, which reaches BEL through the
/// broker hub:INTERPOL (it checks every request against its lost/stolen
/// register).
async fn with_broker() -> anyhow::Result<Federation> {
    let mut f = Federation::empty()?;
    f.add(GHA, member_of(HUB))?;
    f.add(NGA, member_of(HUB))?;
    f.add(BEL, member_of(BROKER))?;
    f.add(HUB, a_hub(vec![("*".into(), BROKER.into())]))?;
    f.add(BROKER, a_hub(vec![]))?;
    f.sandbox.start_all().await?;
    let s = &f.sandbox;
    for (member, hub) in [(GHA, HUB), (NGA, HUB), (BEL, BROKER)] {
        s.pin(&p(member), &p(hub), &[]).await?;
        s.pin(&p(hub), &p(member), &[]).await?;
        s.publish_directory_entry(&p(member), &[], 1).await?;
    }
    s.pin(&p(HUB), &p(BROKER), &[BEL]).await?;
    s.pin(&p(BROKER), &p(HUB), &[GHA, NGA]).await?;
    s.publish_directory_entry(&p(HUB), &[GHA, NGA], 1).await?;
    s.publish_directory_entry(&p(BROKER), &[BEL], 1).await?;
    learn_directories(&f, &[HUB, BROKER, HUB, GHA, NGA, BEL]).await?;
    f.confirm_each_other(&[GHA, NGA, BEL]).await?;
    Ok(f)
}

// ---------------------------------------------------------------- officers

async fn submit(
    f: &mut Federation,
    request: pb::TraceRequest,
    routing_override: Option<(&str, &str)>,
    on_behalf_via: &str,
) -> anyhow::Result<pb::SubmitReply> {
    Ok(f.poc(GHA)?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: routing_override.map(|(state, reason)| pb::RoutingOverride {
                requested_state: state.into(),
                reason: reason.into(),
            }),
            on_behalf_via: on_behalf_via.into(),
            // The scenarios send the FAL fixture again on purpose.
            allow_duplicate: true,
        })
        .await?
        .into_inner())
}

/// GHA's request, delivered to BEL and acknowledged there.
async fn acknowledged(f: &mut Federation, request: pb::TraceRequest) -> anyhow::Result<String> {
    let trace = submit(f, request, None, "").await?.trace_id;
    f.until_state(BEL, &trace, "delivered").await?;
    act(
        &mut f.poc(BEL)?,
        &trace,
        Action::Acknowledge(pb::Acknowledgement::default()),
    )
    .await?;
    f.until_state(GHA, &trace, "acknowledged").await?;
    Ok(trace)
}

/// A trace GHA asked and BEL answered with `response`: the trace id and the
/// response's envelope id.
async fn answered(
    f: &mut Federation,
    request: pb::TraceRequest,
    response: pb::TraceResponse,
) -> anyhow::Result<(String, String)> {
    let trace = acknowledged(f, request).await?;
    let restricted = response.restricted;
    act(&mut f.poc(BEL)?, &trace, Action::Respond(response)).await?;
    let state = if restricted {
        "responded_restricted"
    } else {
        "responded"
    };
    f.until_state(GHA, &trace, state).await?;
    let response_id = one_message(f, GHA, &trace, pb::PayloadKind::Response)
        .await?
        .envelope_id;
    Ok((trace, response_id))
}

async fn show(f: &mut Federation, who: &str, role: Role, id: &str) -> anyhow::Result<pb::CaseView> {
    Ok(f.officer(who, role)?
        .show_case(pb::ShowCaseRequest {
            id: id.into(),
            ..Default::default()
        })
        .await?
        .into_inner())
}

fn trace_in<'a>(case: &'a pb::CaseView, trace: &str) -> anyhow::Result<&'a pb::TraceView> {
    case.traces
        .iter()
        .find(|t| t.summary.as_ref().is_some_and(|s| s.trace_id == trace))
        .ok_or_else(|| anyhow!("trace {trace} is not in case {}", case.case_id))
}

fn messages_of(view: &pb::TraceView, kind: pb::PayloadKind) -> Vec<&pb::MessageView> {
    view.messages
        .iter()
        .filter(|m| m.kind == kind as i32)
        .collect()
}

fn body(m: &pb::MessageView) -> Option<&Body> {
    m.payload.as_ref().and_then(|p| p.body.as_ref())
}

/// The one message of `kind` on `trace`, as `who`'s point of contact sees it.
async fn one_message(
    f: &mut Federation,
    who: &str,
    trace: &str,
    kind: pb::PayloadKind,
) -> anyhow::Result<pb::MessageView> {
    let case = show(f, who, Role::Poc, trace).await?;
    let view = trace_in(&case, trace)?;
    match messages_of(view, kind).as_slice() {
        [one] => Ok((*one).clone()),
        other => bail!("{who} holds {} {kind:?} messages on {trace}", other.len()),
    }
}

/// The request of `trace` as `who`'s point of contact sees it.
async fn request_seen(
    f: &mut Federation,
    who: &str,
    trace: &str,
) -> anyhow::Result<pb::TraceRequest> {
    match body(&one_message(f, who, trace, pb::PayloadKind::Request).await?) {
        Some(Body::Request(r)) => Ok(r.clone()),
        other => bail!("{who}'s request on {trace} shows {other:?}"),
    }
}

/// `who`'s traces: its inbox, or every open trace (`itictl cases`).
async fn listed(officer: &mut Officer, inbox: bool) -> anyhow::Result<Vec<pb::TraceSummary>> {
    Ok(officer
        .list_traces(pb::ListTracesRequest {
            inbox,
            include_closed: false,
            page: None,
        })
        .await?
        .into_inner()
        .traces)
}

/// Whether `who`'s inbox (or open cases) list `trace`, and how.
async fn listing(
    f: &mut Federation,
    who: &str,
    inbox: bool,
    trace: &str,
) -> anyhow::Result<Option<pb::TraceSummary>> {
    Ok(listed(&mut f.poc(who)?, inbox)
        .await?
        .into_iter()
        .find(|t| t.trace_id == trace))
}

/// Waits until `who`'s poc sees at least `count` events of `kind` on `trace`.
async fn until_event(
    f: &mut Federation,
    who: &str,
    trace: &str,
    kind: &str,
    count: usize,
) -> anyhow::Result<()> {
    let officer = f.poc(who)?;
    f.until(&format!("{who} records {kind} on {trace}"), || {
        let mut officer = officer.clone();
        let (trace, kind) = (trace.to_string(), kind.to_string());
        async move {
            let view = iti_tests::trace_view(&mut officer, &trace).await?;
            Ok(view.events.iter().filter(|e| e.kind == kind).count() >= count)
        }
    })
    .await
}

/// Waits until `who` holds the receipt for its envelope `id`.
async fn until_delivered(f: &mut Federation, who: &str, id: &str) -> anyhow::Result<()> {
    let officer = f.poc(who)?;
    f.until(&format!("{who}'s envelope {id} is delivered"), || {
        let mut officer = officer.clone();
        let id = id.to_string();
        async move {
            Ok(iti_tests::outbox_items(&mut officer)
                .await?
                .iter()
                .any(|i| i.envelope_id == id && i.state == pb::DeliveryState::Delivered as i32))
        }
    })
    .await
}

/// How many envelopes `who` queued for `destination`, delivered or not.
async fn sent_to(f: &mut Federation, who: &str, destination: &str) -> anyhow::Result<usize> {
    Ok(iti_tests::outbox_items(&mut f.poc(who)?)
        .await?
        .iter()
        .filter(|i| i.destination == destination)
        .count())
}

/// Fails unless `result` is refused with `code` and names each of `names`;
/// the refusal's message.
fn refused<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: Code,
    names: &[&str],
) -> anyhow::Result<String> {
    let status = match result {
        Err(status) => status,
        Ok(reply) => bail!("expected {code:?} naming {names:?}, but it went: {reply:?}"),
    };
    ensure!(status.code() == code, "{status:?}");
    for name in names {
        ensure!(
            status.message().contains(name),
            "the refusal does not name {name}: {}",
            status.message()
        );
    }
    Ok(status.message().to_string())
}

async fn forward(
    f: &mut Federation,
    who: &str,
    trace: &str,
    regarding: &str,
    to: &str,
) -> anyhow::Result<Result<pb::ActReply, tonic::Status>> {
    Ok(f.poc(who)?
        .forward(pb::ForwardRequest {
            trace_id: trace.into(),
            regarding: regarding.into(),
            to: to.into(),
            note: "for your investigation of the same consignment".into(),
        })
        .await
        .map(tonic::Response::into_inner))
}

fn marking(tlp: pb::Tlp, restrictions: &[pb::UseRestriction]) -> pb::Marking {
    fixtures::marking(tlp, restrictions)
}

const NO_ONWARD: pb::UseRestriction = pb::UseRestriction::NoOnwardDisclosure;

/// BEL's export finding with `m` on the response and on every section.
fn marked_everywhere(m: pb::Marking) -> pb::TraceResponse {
    let mut r = fixtures::bel_export_response();
    r.marking = Some(m.clone());
    if let Some(s) = r.finding.as_mut() {
        s.marking = Some(m.clone());
    }
    if let Some(s) = r.history.as_mut() {
        s.marking = Some(m.clone());
    }
    if let Some(s) = r.last_legal_possessor.as_mut() {
        s.marking = Some(m.clone());
    }
    if let Some(s) = r.commercial.as_mut() {
        s.marking = Some(m);
    }
    r
}

/// The FAL request under `m`.
fn request_marked(m: pb::Marking) -> pb::TraceRequest {
    let mut r = fixtures::fal_request();
    r.marking = Some(m);
    r
}

/// GHA asks BEL to lift NO-ONWARD (and, with `lift_tlp`, the TLP level)
/// for forwarding the response `regarding` to `destination`.
fn ask_consent(regarding: &str, destination: &str, lift_tlp: bool) -> Action {
    Action::RequestConsent(pb::ConsentRequest {
        restriction: NO_ONWARD as i32,
        r#use: pb::OnwardUse::ForwardToThirdState as i32,
        regarding: regarding.into(),
        justification: "NGA is investigating the diversion from its armoury".into(),
        destination: destination.into(),
        lift_tlp,
        restrictions: vec![],
    })
}

/// BEL's consent: NO-ONWARD and the TLP level lifted for forwarding the
/// response `regarding` to `destination` only.
fn consent_for(regarding: &str, destination: &str) -> pb::Consent {
    pb::Consent {
        restriction: NO_ONWARD as i32,
        r#use: pb::OnwardUse::ForwardToThirdState as i32,
        regarding: regarding.into(),
        note: "granted for the investigation of the diversion".into(),
        destination: destination.into(),
        lifts_tlp: true,
        restrictions: vec![],
        declined: false,
    }
}

/// What the trace waits for from us, as the summary says.
fn awaiting(t: &pb::TraceSummary) -> &str {
    &t.awaiting
}

// ---------------------------------------------------------------- 1. drafts

/// BEL's answer: exported to NGA, the finding marked TLP:RED + NO-ONWARD.
fn red_export_finding() -> pb::TraceResponse {
    let mut r = fixtures::bel_export_response();
    if let Some(finding) = r.finding.as_mut() {
        finding.marking = Some(marking(pb::Tlp::Red, &[NO_ONWARD]));
    }
    r
}

/// The follow-up GHA's node drafted in the case of `trace`.
async fn drafted_follow_up(f: &mut Federation, trace: &str) -> anyhow::Result<String> {
    let case = show(f, GHA, Role::Poc, trace).await?;
    case.traces
        .iter()
        .filter_map(|t| t.summary.as_ref())
        .find(|s| s.state == "drafted")
        .map(|s| s.trace_id.clone())
        .with_context(|| format!("GHA drafted no follow-up in the case of {trace}"))
}

async fn send_draft(
    officer: &mut Officer,
    draft: &str,
    onward: pb::DraftOnward,
    justification: &str,
) -> Result<pb::SubmitReply, tonic::Status> {
    officer
        .send_draft(pb::SendDraftRequest {
            trace_id: draft.into(),
            routing_override: None,
            onward: onward as i32,
            justification: justification.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The request as sent to NGA carries nothing of BEL's restricted finding.
fn without_the_finding(who: &str, seen: &pb::TraceRequest) -> anyhow::Result<()> {
    ensure!(!seen.items.is_empty(), "{who}: the request lost its items");
    let record = seen
        .domestic_findings
        .as_ref()
        .and_then(|d| d.export_record.as_ref());
    ensure!(record.is_none(), "{who} sees the export record: {record:?}");
    let grounds = seen.grounds.clone().unwrap_or_default().explanation;
    ensure!(
        !grounds.contains(LICENCE),
        "{who}: the grounds quote the licence: {grounds}"
    );
    ensure!(
        !format!("{seen:?}").contains(LICENCE),
        "{who} sees the licence number in the request"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_drafted_from_a_red_no_onward_finding_goes_without_it_or_once_bel_consents()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&[GHA, BEL, NGA]).await?;
    let mut gha = f.poc(GHA)?;

    // As drafted, it is refused, naming every rule and both ways forward.
    let (first, _) = answered(&mut f, fixtures::fal_request(), red_export_finding()).await?;
    let draft = drafted_follow_up(&mut f, &first).await?;
    let message = refused(
        send_draft(&mut gha, &draft, pb::DraftOnward::Unspecified, "").await,
        Code::PermissionDenied,
        &["TLP:RED", "NO-ONWARD"],
    )?;
    for way in ["consent", "without"] {
        ensure!(message.contains(way), "no way forward by {way}: {message}");
    }
    ensure!(!message.contains(LICENCE), "{message}");
    ensure!(sent_to(&mut f, GHA, NGA).await? == 0, "sent to NGA anyway");

    // Without the restricted fields, it reaches NGA without BEL's finding.
    let reply = send_draft(&mut gha, &draft, pb::DraftOnward::WithoutRestricted, "").await?;
    ensure!(!reply.envelope_id.is_empty(), "{reply:?}");
    f.until_state(NGA, &draft, "delivered").await?;
    without_the_finding(NGA, &request_seen(&mut f, NGA, &draft).await?)?;
    without_the_finding(GHA, &request_seen(&mut f, GHA, &draft).await?)?;

    // Asking consent: the request is in BEL's inbox and among its cases.
    let (second, response) =
        answered(&mut f, fixtures::fal_request(), red_export_finding()).await?;
    let draft = drafted_follow_up(&mut f, &second).await?;
    let reply = send_draft(
        &mut gha,
        &draft,
        pb::DraftOnward::AskConsent,
        "NGA holds the import records of the consignment",
    )
    .await?;
    ensure!(
        reply.envelope_id.is_empty(),
        "sent before consent: {reply:?}"
    );
    until_event(&mut f, BEL, &second, "consent_request_received", 1).await?;
    for inbox in [true, false] {
        let seen = listing(&mut f, BEL, inbox, &second)
            .await?
            .with_context(|| format!("BEL does not list the trace (inbox: {inbox})"))?;
        ensure!(!awaiting(&seen).is_empty(), "{seen:?}");
    }
    // It names exactly what stands in the way, and for whom.
    let asked =
        match body(&one_message(&mut f, BEL, &second, pb::PayloadKind::ConsentRequest).await?) {
            Some(Body::ConsentRequest(c)) => c.clone(),
            other => bail!("BEL's consent request shows {other:?}"),
        };
    let lifts: BTreeSet<i32> = std::iter::once(asked.restriction)
        .chain(asked.restrictions.iter().copied())
        .filter(|r| *r != 0)
        .collect();
    ensure!(
        asked.lift_tlp
            && asked.destination == NGA
            && asked.regarding == response
            && lifts == BTreeSet::from([NO_ONWARD as i32])
            && asked.r#use == pb::OnwardUse::ForwardToThirdState as i32,
        "{asked:?}"
    );

    // A consent for another destination does not make it go.
    let mut bel = f.poc(BEL)?;
    let elsewhere = act(
        &mut bel,
        &second,
        Action::GrantConsent(consent_for(&response, TGO)),
    )
    .await?
    .envelope_id;
    until_delivered(&mut f, BEL, &elsewhere).await?;
    let waiting = iti_tests::summary(&mut gha, &draft)
        .await?
        .context("the draft")?;
    ensure!(waiting.state == "drafted", "{waiting:?}");
    ensure!(
        sent_to(&mut f, GHA, NGA).await? == 1,
        "the second draft went"
    );

    // BEL's consent for NGA: the draft goes by itself, whole.
    act(
        &mut bel,
        &second,
        Action::GrantConsent(consent_for(&response, NGA)),
    )
    .await?;
    f.until_state(NGA, &draft, "delivered").await?;
    f.until_state(GHA, &draft, "delivered").await?;
    let seen = request_seen(&mut f, NGA, &draft).await?;
    ensure!(
        format!("{seen:?}").contains(LICENCE),
        "the consented draft went without the finding"
    );
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 2. events

/// Tokens planted in a request, a response and the broker's register: none
/// may appear in an event or an audit entry.
const OVERRIDE_TOKEN: &str = "Canary-override-7QF2";
const PURPOSE_TOKEN: &str = "Canary-purpose-M3K9";
const READ_SERIAL: &str = "QX7504311";
const REGISTERED_SERIAL: &str = "QX75O4311";
const LICENCE_TOKEN: &str = "Canary-licence-B8R4";
const POSSESSOR_TOKEN: &str = "Canary-possessor-W5T1";

/// The FAL, its serial read as `READ_SERIAL`, for `PURPOSE_TOKEN`.
fn canary_request() -> pb::TraceRequest {
    let mut r = fixtures::fal_request();
    let mut weapon = fixtures::fal_weapon();
    weapon.serial_number = READ_SERIAL.into();
    r.items[0].item = Some(pb::recovered_item::Item::Weapon(weapon));
    r.purpose = format!("{PURPOSE_TOKEN}: identify the point of diversion");
    r
}

/// BEL's export finding with the licence and the possessor's name planted.
fn canary_response() -> pb::TraceResponse {
    let mut r = fixtures::bel_export_response();
    if let Some(pb::finding::Case::Export(e)) = r.finding.as_mut().and_then(|f| f.case.as_mut()) {
        e.licences[0].number = LICENCE_TOKEN.into();
    }
    if let Some(llp) = r.last_legal_possessor.as_mut() {
        llp.name = POSSESSOR_TOKEN.into();
    }
    r
}

/// Every event of every trace `who` holds, as each role sees them, and its
/// audit log as each role may read it (or the refusal): none holds a token.
async fn no_token_in_events_or_audit(
    f: &mut Federation,
    who: &str,
    tokens: &[String],
) -> anyhow::Result<()> {
    let traces: Vec<String> = f
        .poc(who)?
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner()
        .traces
        .into_iter()
        .map(|t| t.trace_id)
        .collect();
    ensure!(!traces.is_empty(), "{who} holds no trace");
    let leaked = |text: &str| tokens.iter().find(|t| text.contains(t.as_str())).cloned();
    for role in Role::ALL {
        for trace in &traces {
            let case = show(f, who, role, trace).await?;
            for e in &trace_in(&case, trace)?.events {
                if let Some(token) = leaked(&format!("{e:?}")) {
                    bail!("{who}, {role}: the {} event quotes {token}: {e:?}", e.kind);
                }
            }
        }
        let log = f
            .officer(who, role)?
            .audit_log(pb::AuditLogRequest {
                after_seq: 0,
                limit: 0,
            })
            .await;
        match log {
            Ok(log) => {
                for e in log.into_inner().entries {
                    if let Some(token) = leaked(&format!("{e:?}")) {
                        bail!(
                            "{who}, {role}: the audit entry {} quotes {token}: {e:?}",
                            e.seq
                        );
                    }
                }
            }
            Err(status) => ensure!(
                leaked(status.message()).is_none(),
                "{who}, {role}: {status:?}"
            ),
        }
    }
    Ok(())
}

/// The broker notice `who` received on `trace`, and its event.
async fn broker_notice(
    f: &mut Federation,
    who: &str,
    trace: &str,
) -> anyhow::Result<(pb::BrokerNotice, pb::CaseEvent)> {
    let case = show(f, who, Role::Poc, trace).await?;
    let view = trace_in(&case, trace)?;
    let notice = messages_of(view, pb::PayloadKind::BrokerNotice)
        .into_iter()
        .find_map(|m| match body(m) {
            Some(Body::BrokerNotice(n)) => Some(n.clone()),
            _ => None,
        })
        .with_context(|| format!("{who} shows no broker notice"))?;
    let event = view
        .events
        .iter()
        .find(|e| e.kind.contains("broker_notice"))
        .with_context(|| format!("{who} has no event for the broker notice"))?
        .clone();
    Ok((notice, event))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_audit_entries_carry_no_content_for_any_role() -> anyhow::Result<()> {
    let mut f = with_broker().await?;
    // The broker's register has the rifle, its serial entered with an O.
    let reply = f
        .poc(BROKER)?
        .import_lost_stolen(tokio_stream::iter(vec![pb::LostStolenRecord {
            line: 2,
            reported_by: NGA.into(),
            make: "FN HERSTAL".into(),
            model: "FAL".into(),
            serial_number: REGISTERED_SERIAL.into(),
            calibre: "7.62".into(),
            reported_on: "2015-06-03".into(),
            circumstances: "armoury break-in, Kaduna".into(),
            reference: "NGA-LS-2015-0098".into(),
        }]))
        .await?
        .into_inner();
    ensure!(reply.accepted == 1, "{reply:?}");

    // GHA sends the request to BEL by an override, with a reason.
    let reason = format!("{OVERRIDE_TOKEN}: the end-user certificate names Belgium");
    let trace = submit(&mut f, canary_request(), Some((BEL, &reason)), "")
        .await?
        .trace_id;
    f.until_state(BEL, &trace, "delivered").await?;
    for who in [GHA, BEL] {
        let officer = f.poc(who)?;
        f.until(&format!("{who} has the broker notice"), || {
            let mut officer = officer.clone();
            let trace = trace.clone();
            async move {
                let view = iti_tests::trace_view(&mut officer, &trace).await?;
                Ok(!messages_of(&view, pb::PayloadKind::BrokerNotice).is_empty())
            }
        })
        .await?;
    }
    let mut bel = f.poc(BEL)?;
    act(
        &mut bel,
        &trace,
        Action::Acknowledge(pb::Acknowledgement::default()),
    )
    .await?;
    act(&mut bel, &trace, Action::Respond(canary_response())).await?;
    f.until_state(GHA, &trace, "responded").await?;

    // The follow-up to NGA: its grounds quote BEL's licence.
    let draft = drafted_follow_up(&mut f, &trace).await?;
    send_draft(&mut f.poc(GHA)?, &draft, pb::DraftOnward::Unspecified, "").await?;
    f.until_state(NGA, &draft, "delivered").await?;
    let grounds = request_seen(&mut f, NGA, &draft)
        .await?
        .grounds
        .unwrap_or_default()
        .explanation;
    ensure!(grounds.contains(LICENCE_TOKEN), "{grounds}");

    let (notice, _) = broker_notice(&mut f, GHA, &trace).await?;
    ensure!(!notice.differences.is_empty(), "{notice:?}");
    let mut tokens: Vec<String> = [
        OVERRIDE_TOKEN,
        PURPOSE_TOKEN,
        READ_SERIAL,
        REGISTERED_SERIAL,
        LICENCE_TOKEN,
        POSSESSOR_TOKEN,
    ]
    .map(String::from)
    .to_vec();
    // Which characters of the serial were misread is the serial too.
    tokens.extend(notice.differences.iter().cloned());

    // A broker notice's event names the broker and the match, no serial.
    for who in [GHA, BEL] {
        let (_, event) = broker_notice(&mut f, who, &trace).await?;
        ensure!(
            tokens.iter().all(|t| !event.detail.contains(t.as_str())),
            "{who}'s broker notice event: {}",
            event.detail
        );
    }
    for who in [GHA, BEL, NGA] {
        no_token_in_events_or_audit(&mut f, who, &tokens).await?;
    }
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 3. export

async fn export(
    officer: &mut Officer,
    trace: &str,
    format: pb::ExportFormat,
    as_evidence: bool,
) -> Result<pb::ExportReply, tonic::Status> {
    officer
        .export(pb::ExportRequest {
            trace_id: trace.into(),
            format: format as i32,
            as_evidence,
        })
        .await
        .map(tonic::Response::into_inner)
}

/// One CSV line's fields (RFC 4180 quoting).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(f) = fields.last_mut() {
                    f.push('"');
                }
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

/// The markings an export says it holds: the reply's list.
fn export_markings(reply: &pb::ExportReply) -> Vec<pb::Marking> {
    reply.markings.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_only_what_its_markings_allow_and_says_which_markings_it_holds()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&[GHA, BEL]).await?;
    let mut bel = f.poc(BEL)?;

    // A request marked TLP:RED received at BEL is not exported.
    let red = submit(&mut f, request_marked(marking(pb::Tlp::Red, &[])), None, "")
        .await?
        .trace_id;
    f.until_state(BEL, &red, "delivered").await?;
    for format in [pb::ExportFormat::Json, pb::ExportFormat::Csv] {
        refused(
            export(&mut bel, &red, format, false).await,
            Code::PermissionDenied,
            &["TLP:RED"],
        )?;
    }

    // A request with individuals, INTEL-ONLY: exported for BEL's own
    // proceedings, individuals included, but not as evidence.
    let intel = submit(
        &mut f,
        request_marked(marking(
            pb::Tlp::Amber,
            &[pb::UseRestriction::IntelligenceOnly],
        )),
        None,
        "",
    )
    .await?
    .trace_id;
    f.until_state(BEL, &intel, "delivered").await?;
    let own = export(&mut bel, &intel, pb::ExportFormat::Json, false).await?;
    let individual = &fixtures::fal_request().individuals[0].name;
    ensure!(own.content.contains(individual.as_str()), "{}", own.content);
    let evidence = refused(
        export(&mut bel, &intel, pb::ExportFormat::Json, true).await,
        Code::PermissionDenied,
        &["INTEL-ONLY"],
    )?;
    ensure!(!evidence.contains(individual.as_str()), "{evidence}");

    // GHA's export of BEL's answer, each section under its own marking.
    let (trace, _) = answered(
        &mut f,
        fixtures::fal_request(),
        fixtures::bel_export_response(),
    )
    .await?;
    let mut gha = f.poc(GHA)?;
    let expected: BTreeSet<&str> = ["TLP:AMBER", "TLP:GREEN", "TLP:AMBER [PROPRIETARY]"].into();

    let json = export(&mut gha, &trace, pb::ExportFormat::Json, false).await?;
    let parsed: serde_json::Value = serde_json::from_str(&json.content)?;
    let at_top: BTreeSet<&str> = parsed["markings"]
        .as_array()
        .context("the JSON export names no markings at its top")?
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    ensure!(at_top == expected, "JSON markings: {at_top:?}");
    ensure!(
        export_markings(&json).len() == expected.len(),
        "{:?}",
        export_markings(&json)
    );

    let csv = export(&mut gha, &trace, pb::ExportFormat::Csv, false).await?;
    ensure!(
        csv.markings == json.markings,
        "{:?} {:?}",
        csv.markings,
        json.markings
    );
    let mut lines = csv.content.lines();
    let top = lines.next().unwrap_or_default();
    ensure!(
        top.starts_with('#'),
        "the CSV does not open with its markings: {top}"
    );
    for m in &expected {
        ensure!(top.contains(m), "the CSV's top line lacks {m}: {top}");
    }
    let header = csv_fields(lines.next().unwrap_or_default());
    let section = header
        .iter()
        .position(|h| h == "section")
        .context("no section column")?;
    ensure!(
        header.last().map(String::as_str) == Some("marking"),
        "{header:?}"
    );
    let rows: Vec<Vec<String>> = lines.map(csv_fields).collect();
    let mut marking_of: Vec<(String, String)> = Vec::new();
    for row in &rows {
        ensure!(row.len() == header.len(), "{row:?}");
        let m = row.last().cloned().unwrap_or_default();
        ensure!(
            expected.contains(m.as_str()),
            "a row without its marking: {row:?}"
        );
        marking_of.push((row[section].clone(), m));
    }
    for (name, m) in [
        ("request.items[0]", "TLP:AMBER"),
        ("request.items[1]", "TLP:AMBER"),
        ("finding", "TLP:GREEN"),
        ("lastLegalPossessor", "TLP:AMBER"),
        ("history", "TLP:AMBER"),
        ("commercial", "TLP:AMBER [PROPRIETARY]"),
    ] {
        ensure!(
            marking_of.iter().any(|(s, k)| s == name && k == m),
            "no {name} row marked {m}: {marking_of:?}"
        );
    }
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 4. replies

/// Whether `who`'s stored envelope `id` travelled sealed, and the hub
/// cannot open it.
async fn sealed_from_the_hub(f: &Federation, who: &str, id: &str) -> anyhow::Result<()> {
    let env = iti_node::store::envelopes::get_from_pool(f.node(who)?.store.pool(), id.parse()?)
        .await?
        .with_context(|| format!("{who} does not hold {id}"))?;
    let sealing = env
        .header
        .sealing
        .clone()
        .with_context(|| format!("{id} reached {who} unsealed through the hub"))?;
    let hub = f.node(HUB)?;
    let key = hub.opening_key.as_ref().context("the hub's opening key")?;
    ensure!(
        key.open(&sealing, &env.envelope.header, &env.envelope.payload)
            .is_err(),
        "the hub opens {id}"
    );
    Ok(())
}

/// The envelope marking `who` holds for `id`.
async fn header_marking(f: &Federation, who: &str, id: &str) -> anyhow::Result<pb::Marking> {
    let env = iti_node::store::envelopes::get_from_pool(f.node(who)?.store.pool(), id.parse()?)
        .await?
        .with_context(|| format!("{who} does not hold {id}"))?;
    Ok(env.header.marking)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_about_a_red_response_are_red_withheld_from_analysts_and_sealed_through_a_hub()
-> anyhow::Result<()> {
    let mut f = through_hub(&[GHA, BEL]).await?;
    let red = pb::TraceResponse {
        marking: Some(marking(pb::Tlp::Red, &[])),
        restricted: true,
        restriction_reason: pb::WithholdingReason::OngoingInvestigationOrLaw as i32,
        restriction_explanation: "The export file is sealed by a Belgian investigating judge"
            .into(),
        ..pb::TraceResponse::default()
    };
    let (trace, _) = answered(&mut f, fixtures::fal_request(), red).await?;
    let (mut gha, mut bel) = (f.poc(GHA)?, f.poc(BEL)?);
    // Each reply waits for its destination's sealing key through the hub; a
    // retry recorded after the clock last moved must still fall due (a CI
    // failure on PostgreSQL: "1 pending, 1 not yet due" on a still clock).
    f.let_time_run(time::Duration::milliseconds(250));

    act(
        &mut gha,
        &trace,
        Action::RequestClarification(pb::ClarificationRequest {
            question: "Which judge, and may we write to the court directly?".into(),
            regarding: String::new(),
        }),
    )
    .await?;
    f.until_state(BEL, &trace, "clarification_requested")
        .await?;
    act(
        &mut bel,
        &trace,
        Action::Clarify(pb::ClarificationReply {
            answer: "Judge Lemaire, Liège; write through us".into(),
            regarding: String::new(),
        }),
    )
    .await?;
    f.until_state(GHA, &trace, "clarification_answered").await?;
    let due = (f.clock.now() + time::Duration::days(30)).unix_timestamp();
    act(
        &mut bel,
        &trace,
        Action::Delay(pb::DelayNotice {
            reason: pb::WithholdingReason::OngoingInvestigationOrLaw as i32,
            explanation: "The judge decides on release on the 3rd".into(),
            new_response_due: Some(iti_node::clock::to_timestamp(
                time::OffsetDateTime::from_unix_timestamp(due)?,
            )),
        }),
    )
    .await?;
    f.until_state(GHA, &trace, "delayed").await?;
    act(
        &mut bel,
        &trace,
        Action::Refuse(pb::Refusal {
            reason: pb::WithholdingReason::OngoingInvestigationOrLaw as i32,
            explanation: "The judge refused release of the export file".into(),
        }),
    )
    .await?;
    f.until_state(GHA, &trace, "refused").await?;

    use pb::PayloadKind as K;
    let replies = [
        (K::ClarificationRequest, BEL),
        (K::ClarificationReply, GHA),
        (K::Delay, GHA),
        (K::Refusal, GHA),
    ];
    for (kind, destination) in replies {
        let id = one_message(&mut f, GHA, &trace, kind).await?.envelope_id;
        for who in [GHA, BEL] {
            let held = header_marking(&f, who, &id).await?;
            ensure!(
                held.tlp == pb::Tlp::Red as i32,
                "{who} holds the {kind:?} under {held:?}"
            );
            let seen = one_message(&mut f, who, &trace, kind).await?;
            ensure!(
                seen.marking.as_ref().map(|m| m.tlp) == Some(pb::Tlp::Red as i32),
                "{who}'s poc is shown the {kind:?} under {:?}",
                seen.marking
            );
            ensure!(
                body(&seen).is_some(),
                "{who}'s poc cannot read the {kind:?}"
            );
            let case = show(&mut f, who, Role::Analyst, &trace).await?;
            let view = trace_in(&case, &trace)?;
            let analyst = messages_of(view, kind);
            ensure!(analyst.len() == 1, "{who}: {analyst:?}");
            ensure!(
                body(analyst[0]).is_none()
                    && analyst[0].withheld.iter().any(|w| w.contains("TLP:RED")),
                "{who}'s analyst is shown the {kind:?}: {:?}",
                analyst[0]
            );
        }
        sealed_from_the_hub(&f, destination, &id).await?;
    }
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 5. personal data

const PERSON: &str = "Marc Delvaux-Canary";
const ADDRESS: &str = "Rue des Canaris 17, 4000 Liège";
const ID_DOCUMENT: &str = "BE-ID-591-7788410-Canary";

/// BEL's answer: stolen from a private collector, who was the last legal
/// possessor; all of it TLP:CLEAR, so that only the personal-data rule
/// stands between any role and the possessor.
fn private_possessor_response() -> pb::TraceResponse {
    pb::TraceResponse {
        marking: Some(marking(pb::Tlp::Clear, &[])),
        finding: Some(pb::Finding {
            marking: None,
            case: Some(pb::finding::Case::InternalDiversion(
                pb::InternalDiversion {
                    diversion_date: "2016-02-11".into(),
                    details: "reported stolen in a burglary".into(),
                    investigation: pb::InvestigationStatus::Launched as i32,
                },
            )),
        }),
        last_legal_possessor: Some(pb::LastLegalPossessor {
            marking: None,
            name: PERSON.into(),
            category: "private collector".into(),
            state: BEL.into(),
            address: ADDRESS.into(),
            since: "2012-05-02".into(),
            natural_person: true,
            identity_document: ID_DOCUMENT.into(),
        }),
        ..pb::TraceResponse::default()
    }
}

fn possessor_of(
    case: &pb::CaseView,
    trace: &str,
) -> anyhow::Result<Option<pb::LastLegalPossessor>> {
    let view = trace_in(case, trace)?;
    Ok(messages_of(view, pb::PayloadKind::Response)
        .into_iter()
        .find_map(|m| match body(m) {
            Some(Body::Response(r)) => Some(r.last_legal_possessor.clone()),
            _ => None,
        })
        .flatten())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_possessor_who_is_a_private_person_is_shown_only_to_law_enforcement() -> anyhow::Result<()>
{
    let mut f = Federation::of_states(&[GHA, BEL]).await?;
    let (trace, _) = answered(
        &mut f,
        fixtures::fal_request(),
        private_possessor_response(),
    )
    .await?;
    let personal = [PERSON, ADDRESS, ID_DOCUMENT];
    let steps = show(&mut f, GHA, Role::Poc, &trace).await?.timeline.len();
    for role in Role::ALL {
        let case = show(&mut f, GHA, role, &trace).await?;
        let possessor = possessor_of(&case, &trace)?.context("the possessor section")?;
        if matches!(role, Role::Poc | Role::Investigator) {
            ensure!(
                possessor.name == PERSON
                    && possessor.address == ADDRESS
                    && possessor.identity_document == ID_DOCUMENT,
                "{role}: {possessor:?}"
            );
            ensure!(
                case.conclusion.contains(PERSON),
                "{role}: {}",
                case.conclusion
            );
            let step = case
                .timeline
                .iter()
                .find(|s| s.kind == pb::HistoryEventKind::LastLegalPossession as i32)
                .with_context(|| format!("{role}: no possessor in {:?}", case.timeline))?;
            ensure!(step.party == PERSON, "{role}: {step:?}");
        } else {
            let shown = format!("{case:?}");
            for p in personal {
                ensure!(!shown.contains(p), "{role} is shown {p}");
            }
            ensure!(
                possessor.category == "private collector" && possessor.state == BEL,
                "{role} does not see the category and state: {possessor:?}"
            );
            ensure!(
                case.conclusion.contains("diverted in BEL"),
                "{role}: {}",
                case.conclusion
            );
            // The steps naming the person keep their place, withheld.
            ensure!(
                case.timeline.len() == steps
                    && case
                        .timeline
                        .iter()
                        .any(|s| s.withheld.contains("personal data")),
                "{role}: {:?}",
                case.timeline
            );
        }
    }
    // BEL's own officers: the same rule on the response it sent.
    for role in [Role::Analyst, Role::Auditor, Role::Admin] {
        let shown = format!("{:?}", show(&mut f, BEL, role, &trace).await?);
        for p in personal {
            ensure!(!shown.contains(p), "BEL's {role} is shown {p}");
        }
    }
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 6. consent from the provider

/// A consent to lift NO-ONWARD on the response `regarding` of `trace`,
/// signed by `origin`'s node for `destination`, as if `origin` had sent it.
fn crafted_consent(
    f: &Federation,
    origin: &str,
    destination: &str,
    (case, trace): (&str, &str),
    regarding: &str,
) -> anyhow::Result<pb::Envelope> {
    let now = f.clock.now();
    let header = iti_node::envelope::Header {
        id: iti_node::ids::EnvelopeId::new_v7(now),
        case_id: case.parse()?,
        trace_id: trace.parse()?,
        origin: p(origin),
        destination: p(destination),
        created_at: now,
        kind: pb::PayloadKind::Unspecified,
        marking: marking(pb::Tlp::Green, &[]),
        sealing: None,
        on_behalf_of: None,
    };
    let payload = pb::Payload {
        body: Some(Body::Consent(pb::Consent {
            lifts_tlp: false,
            ..consent_for(regarding, NGA)
        })),
    };
    Ok(iti_node::envelope::build(
        f.node(origin)?.signer(),
        header,
        &payload,
        None,
    )?)
}

/// `to` refuses the consent `env` handed over by `by`, and records nothing.
async fn consent_refused(
    f: &mut Federation,
    to: &str,
    by: &str,
    env: pb::Envelope,
    trace: &str,
) -> anyhow::Result<()> {
    let got = f.node(to)?.receive(&Identity::Node(p(by)), env).await;
    ensure!(
        matches!(
            got,
            Err(iti_node::service::ServiceError::PermissionDenied(_))
        ),
        "{to} took a consent from one that did not provide the information: {got:?}"
    );
    let view = iti_tests::trace_view(&mut f.poc(to)?, trace).await?;
    ensure!(
        !view.events.iter().any(|e| e.kind == "consent_received"),
        "{:?}",
        view.events
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_provider_of_the_information_can_consent_to_its_use() -> anyhow::Result<()> {
    let mut f = through_hub(&[GHA, BEL, NGA]).await?;
    let green = marking(pb::Tlp::Green, &[]);
    let no_onward = marking(pb::Tlp::Green, &[NO_ONWARD]);

    // Another state (NGA, which wants the information) cannot consent.
    let (trace, response) = answered(
        &mut f,
        request_marked(green.clone()),
        marked_everywhere(no_onward.clone()),
    )
    .await?;
    let case = iti_tests::summary(&mut f.poc(GHA)?, &trace)
        .await?
        .context("the trace")?
        .case_id;
    let forged = crafted_consent(&f, NGA, GHA, (&case, &trace), &response)?;
    consent_refused(&mut f, GHA, HUB, forged, &trace).await?;
    refused(
        forward(&mut f, GHA, &trace, &response, NGA).await?,
        Code::PermissionDenied,
        &["NO-ONWARD"],
    )?;
    // BEL can.
    act(
        &mut f.poc(BEL)?,
        &trace,
        Action::GrantConsent(pb::Consent {
            lifts_tlp: false,
            ..consent_for(&response, NGA)
        }),
    )
    .await?;
    until_event(&mut f, GHA, &trace, "consent_received", 1).await?;
    forward(&mut f, GHA, &trace, &response, NGA).await??;

    // A hub conducts a trace for GHA: GHA, the member, did not provide
    // BEL's answer and cannot consent to its use.
    let sent = submit(&mut f, request_marked(green), None, HUB).await?;
    let on_behalf = sent.trace_id;
    f.until_state(BEL, &on_behalf, "delivered").await?;
    let mut bel = f.poc(BEL)?;
    act(
        &mut bel,
        &on_behalf,
        Action::Acknowledge(pb::Acknowledgement::default()),
    )
    .await?;
    act(
        &mut bel,
        &on_behalf,
        Action::Respond(marked_everywhere(no_onward)),
    )
    .await?;
    f.until_state(GHA, &on_behalf, "responded").await?;
    // The hub holds BEL's response, and the copy it passed on to GHA.
    let case = show(&mut f, HUB, Role::Poc, &on_behalf).await?;
    let at_hub = messages_of(trace_in(&case, &on_behalf)?, pb::PayloadKind::Response)
        .into_iter()
        .find(|m| m.origin == BEL)
        .context("the hub holds no response from BEL")?
        .envelope_id
        .clone();
    let from_member = crafted_consent(&f, GHA, HUB, (&sent.case_id, &on_behalf), &at_hub)?;
    consent_refused(&mut f, HUB, GHA, from_member, &on_behalf).await?;
    refused(
        forward(&mut f, HUB, &on_behalf, &at_hub, NGA).await?,
        Code::PermissionDenied,
        &["NO-ONWARD"],
    )?;
    // BEL, which provided it, can.
    act(
        &mut bel,
        &on_behalf,
        Action::GrantConsent(pb::Consent {
            lifts_tlp: false,
            ..consent_for(&at_hub, NGA)
        }),
    )
    .await?;
    until_event(&mut f, HUB, &on_behalf, "consent_received", 1).await?;
    forward(&mut f, HUB, &on_behalf, &at_hub, NGA).await??;
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 7. consent and TLP

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_lifts_a_tlp_level_for_one_use_and_one_destination() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&[GHA, BEL, NGA, TGO]).await?;
    let (trace, response) = answered(
        &mut f,
        fixtures::fal_request(),
        marked_everywhere(marking(pb::Tlp::Amber, &[NO_ONWARD])),
    )
    .await?;
    // Every rule in the way is named, so that the officer asks for both.
    refused(
        forward(&mut f, GHA, &trace, &response, NGA).await?,
        Code::PermissionDenied,
        &["TLP:AMBER", "NO-ONWARD"],
    )?;
    act(&mut f.poc(GHA)?, &trace, ask_consent(&response, NGA, true)).await?;
    until_event(&mut f, BEL, &trace, "consent_request_received", 1).await?;
    act(
        &mut f.poc(BEL)?,
        &trace,
        Action::GrantConsent(consent_for(&response, NGA)),
    )
    .await?;
    until_event(&mut f, GHA, &trace, "consent_received", 1).await?;

    forward(&mut f, GHA, &trace, &response, NGA).await??;
    refused(
        forward(&mut f, GHA, &trace, &response, TGO).await?,
        Code::PermissionDenied,
        &["TLP:AMBER", "NO-ONWARD"],
    )?;
    let mut nga = f.poc(NGA)?;
    f.until("NGA is informed", || {
        let mut nga = nga.clone();
        async move {
            Ok(listed(&mut nga, false)
                .await?
                .iter()
                .any(|t| t.role == pb::TraceRole::Informed as i32))
        }
    })
    .await?;
    ensure!(sent_to(&mut f, GHA, TGO).await? == 0, "sent to TGO");
    let informed = listed(&mut nga, false).await?;
    ensure!(informed.len() == 1, "{informed:?}");
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 8. consent requests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_request_waits_in_the_providers_inbox_until_answered() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&[GHA, BEL]).await?;
    let (trace, response) = answered(
        &mut f,
        fixtures::fal_request(),
        marked_everywhere(marking(pb::Tlp::Green, &[NO_ONWARD])),
    )
    .await?;
    ensure!(
        listing(&mut f, BEL, true, &trace).await?.is_none(),
        "an answered trace in BEL's inbox"
    );
    let mut bel = f.poc(BEL)?;
    let answers = [
        consent_for(&response, NGA),
        pb::Consent {
            declined: true,
            note: "the Belgian inquiry is still open".into(),
            ..consent_for(&response, NGA)
        },
    ];
    for (asked, answer) in answers.into_iter().enumerate() {
        act(&mut f.poc(GHA)?, &trace, ask_consent(&response, NGA, true)).await?;
        until_event(&mut f, BEL, &trace, "consent_request_received", asked + 1).await?;
        let waiting = listing(&mut f, BEL, true, &trace)
            .await?
            .context("the consent request is not in BEL's inbox")?;
        ensure!(!awaiting(&waiting).is_empty(), "{waiting:?}");
        let declined = answer.declined;
        act(&mut bel, &trace, Action::GrantConsent(answer)).await?;
        let left = listing(&mut f, BEL, true, &trace).await?;
        ensure!(
            left.is_none(),
            "still in BEL's inbox once answered (declined: {declined}): {left:?}"
        );
    }
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 9. forwarded information

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn information_forwarded_to_a_third_state_is_open_in_its_inbox_with_the_items()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&[GHA, BEL, NGA]).await?;
    let (trace, response) = answered(
        &mut f,
        fixtures::fal_request(),
        marked_everywhere(marking(pb::Tlp::Green, &[])),
    )
    .await?;
    forward(&mut f, GHA, &trace, &response, NGA).await??;
    let nga = f.poc(NGA)?;
    f.until("NGA has the information in its inbox", || {
        let mut nga = nga.clone();
        async move {
            Ok(listed(&mut nga, true)
                .await?
                .iter()
                .any(|t| t.role == pb::TraceRole::Informed as i32))
        }
    })
    .await?;
    let mut nga = f.poc(NGA)?;
    let informed = listed(&mut nga, true)
        .await?
        .into_iter()
        .find(|t| t.role == pb::TraceRole::Informed as i32)
        .context("in the inbox")?;
    ensure!(informed.state != "closed", "{informed:?}");
    ensure!(informed.counterpart == GHA, "{informed:?}");
    ensure!(informed.items.contains(SERIAL), "{informed:?}");
    ensure!(
        listing(&mut f, NGA, false, &informed.trace_id)
            .await?
            .is_some(),
        "not among NGA's cases"
    );
    let shared = match body(
        &one_message(
            &mut f,
            NGA,
            &informed.trace_id,
            pb::PayloadKind::SharedInformation,
        )
        .await?,
    ) {
        Some(Body::SharedInformation(s)) => s.clone(),
        other => bail!("NGA is shown {other:?}"),
    };
    ensure!(
        shared.items == fixtures::fal_request().items && shared.response.is_some(),
        "{shared:?}"
    );

    act(
        &mut nga,
        &informed.trace_id,
        Action::Close(pb::Closure {
            outcome: "read; matches our armoury loss report".into(),
        }),
    )
    .await?;
    ensure!(
        listing(&mut f, NGA, true, &informed.trace_id)
            .await?
            .is_none(),
        "still in NGA's inbox once closed"
    );
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 10. the timeline

const ARMOURY: &str = "Liège provincial police armoury";

/// BEL's answer: diverted from a police armoury, the finding TLP:GREEN,
/// the history TLP:AMBER, the last legal possessor TLP:RED.
fn diversion_with_a_red_possessor() -> pb::TraceResponse {
    pb::TraceResponse {
        marking: Some(marking(pb::Tlp::Amber, &[])),
        finding: Some(pb::Finding {
            marking: Some(marking(pb::Tlp::Green, &[])),
            case: Some(pb::finding::Case::InternalDiversion(
                pb::InternalDiversion {
                    diversion_date: "2014-09-30".into(),
                    details: "missing at the annual inventory".into(),
                    investigation: pb::InvestigationStatus::Launched as i32,
                },
            )),
        }),
        history: Some(pb::History {
            marking: None,
            events: vec![pb::HistoryEvent {
                date: "2008-11-04".into(),
                kind: pb::HistoryEventKind::Manufacture as i32,
                state: BEL.into(),
                party: "FN Herstal SA".into(),
                description: "manufactured".into(),
            }],
        }),
        last_legal_possessor: Some(fixtures::llp(
            ARMOURY,
            "state armoury",
            BEL,
            Some(marking(pb::Tlp::Red, &[])),
        )),
        ..pb::TraceResponse::default()
    }
}

fn tlp_of(m: &Option<pb::Marking>) -> Option<i32> {
    m.as_ref().map(|m| m.tlp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeline_steps_and_the_conclusion_carry_their_markings() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&[GHA, BEL]).await?;
    let (trace, _) = answered(
        &mut f,
        fixtures::fal_request(),
        diversion_with_a_red_possessor(),
    )
    .await?;
    use pb::HistoryEventKind as K;
    let (amber, red, green) = (
        Some(pb::Tlp::Amber as i32),
        Some(pb::Tlp::Red as i32),
        Some(pb::Tlp::Green as i32),
    );

    // The point of contact sees every step, each with the marking it
    // inherits: the possessor's (and the diversion, which names it) RED.
    let poc = show(&mut f, GHA, Role::Poc, &trace).await?;
    let kinds: Vec<(i32, Option<i32>)> = poc
        .timeline
        .iter()
        .map(|s| (s.kind, tlp_of(&s.marking)))
        .collect();
    for expected in [
        (K::Manufacture as i32, amber),
        (K::Diversion as i32, red),
        (K::LastLegalPossession as i32, red),
    ] {
        ensure!(kinds.contains(&expected), "{expected:?} not in {kinds:?}");
    }
    ensure!(
        poc.timeline.iter().all(|s| s.withheld.is_empty()),
        "{:?}",
        poc.timeline
    );
    let possession = poc
        .timeline
        .iter()
        .find(|s| s.kind == K::LastLegalPossession as i32)
        .context("the possession step")?;
    ensure!(possession.party == ARMOURY, "{possession:?}");
    ensure!(
        poc.conclusion.contains(ARMOURY) && tlp_of(&poc.conclusion_marking) == red,
        "{} under {:?}",
        poc.conclusion,
        poc.conclusion_marking
    );

    // An analyst sees the AMBER step, and the RED ones withheld by TLP:RED.
    let analyst = show(&mut f, GHA, Role::Analyst, &trace).await?;
    ensure!(
        analyst.timeline.len() == poc.timeline.len(),
        "{:?}",
        analyst.timeline
    );
    for step in &analyst.timeline {
        if tlp_of(&step.marking) == red {
            ensure!(
                step.withheld.contains("TLP:RED") && step.party.is_empty(),
                "{step:?}"
            );
        } else {
            ensure!(
                step.withheld.is_empty() && !step.party.is_empty(),
                "{step:?}"
            );
        }
    }
    ensure!(
        analyst
            .timeline
            .iter()
            .any(|s| s.kind == K::Manufacture as i32 && tlp_of(&s.marking) == amber),
        "{:?}",
        analyst.timeline
    );
    ensure!(
        !format!("{analyst:?}").contains(ARMOURY),
        "the analyst is shown the RED possessor"
    );
    ensure!(
        analyst
            .conclusion_withheld
            .iter()
            .any(|w| w.contains("TLP:RED"))
            && tlp_of(&analyst.conclusion_marking) == green,
        "{} under {:?}, withheld {:?}",
        analyst.conclusion,
        analyst.conclusion_marking,
        analyst.conclusion_withheld
    );
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 11. sealing through a hub

/// How many envelopes `who` stores.
async fn envelopes_at(f: &Federation, who: &str) -> anyhow::Result<i64> {
    iti_tests::db_scalar(f.node(who)?, "SELECT COUNT(*) FROM envelopes").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_request_through_a_hub_waits_for_the_destinations_key_then_goes_sealed()
-> anyhow::Result<()> {
    // GHA and BEL are members of hub:ECOWAS; GHA learns the directory
    // before BEL has published its entry, so it knows no key for BEL.
    let mut f = Federation::empty()?;
    for m in [GHA, BEL] {
        f.add(m, member_of(HUB))?;
    }
    f.add(HUB, a_hub(vec![]))?;
    f.sandbox.start_all().await?;
    for m in [GHA, BEL] {
        f.sandbox.pin(&p(m), &p(HUB), &[]).await?;
        f.sandbox.pin(&p(HUB), &p(m), &[]).await?;
    }
    f.sandbox.publish_directory_entry(&p(GHA), &[], 1).await?;
    learn_directories(&f, &[HUB, GHA]).await?;

    let sent = submit(&mut f, request_marked(marking(pb::Tlp::Red, &[])), None, "").await?;
    let gha = f.poc(GHA)?;
    let id = sent.envelope_id.clone();
    f.until("GHA's outbox says the request waits for BEL's key", || {
        let mut gha = gha.clone();
        let id = id.clone();
        async move {
            let items = iti_tests::outbox_items(&mut gha).await?;
            let item = items.iter().find(|i| i.envelope_id == id);
            let gone = item.is_some_and(|i| i.state != pb::DeliveryState::Queued as i32);
            ensure!(
                !gone,
                "the RED request left GHA without BEL's key: {item:?}"
            );
            Ok(item.is_some_and(|i| i.last_error.contains("sealing key")))
        }
    })
    .await?;
    for who in [HUB, BEL] {
        ensure!(
            envelopes_at(&f, who).await? == 0,
            "the RED request reached {who} before BEL's key was known"
        );
    }

    // BEL's entry reaches GHA through the hub, and GHA's admin confirms
    // BEL's CA: the request goes, sealed to BEL.
    f.sandbox.publish_directory_entry(&p(BEL), &[], 1).await?;
    f.sandbox
        .publish_directory_entry(&p(HUB), &[GHA, BEL], 1)
        .await?;
    learn_directories(&f, &[HUB, GHA, BEL]).await?;
    f.confirm_each_other(&[GHA, BEL]).await?;
    // An attempt that was under way when the key came is retried after a
    // backoff: let time pass while waiting.
    f.let_time_run(time::Duration::milliseconds(250));
    f.until_state(BEL, &sent.trace_id, "delivered").await?;
    sealed_from_the_hub(&f, BEL, &sent.envelope_id).await?;
    f.shutdown().await;
    Ok(())
}
