//! Markings and use restrictions end to end (ISACS 05.31 10.3, 10.5.2, 11.4):
//! what the requesting state may do with a response, decided by its node and
//! observed only through the officers' local API and the recipients' nodes.
//!
//! Layout: the setup (a federation of a requester, a responder, a third
//! state, a hub and a UN panel; answered traces), then the scenarios: the
//! restriction × use matrix, the TLP:RED row, consents, and declared
//! restrictions (10.3, last paragraph).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, anyhow, bail};
use iti_node::identity::Role;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures, p};
use tonic::Code;

const REQUESTER: &str = "GHA";
const RESPONDER: &str = "BEL";
const THIRD_STATE: &str = "NGA";
const HUB: &str = "hub:ECOWAS";
const PANEL: &str = "panel:UNPOE-LBY";

/// The export licence in BEL's finding: proof that an export carries the
/// response itself.
const LICENCE: &str = "BE-W-2009-0412";

// ---------------------------------------------------------------- setup

/// GHA (requester) peered with BEL (responder), NGA (a third state), an
/// ECOWAS hub and the UN panel of experts on Libya.
async fn onward_federation() -> anyhow::Result<Federation> {
    let mut f = Federation::empty()?;
    for state in [REQUESTER, RESPONDER, THIRD_STATE, PANEL] {
        f.add(state, MemberOptions::default())?;
    }
    f.add(
        HUB,
        MemberOptions {
            hub: true,
            ..MemberOptions::default()
        },
    )?;
    f.sandbox.start_all().await?;
    for other in [RESPONDER, THIRD_STATE, HUB, PANEL] {
        f.sandbox.peer(&p(REQUESTER), &p(other)).await?;
    }
    Ok(f)
}

/// `marking` on the response and on each of its sections.
fn marked_everywhere(marking: &pb::Marking) -> pb::TraceResponse {
    let mut r = fixtures::bel_export_response();
    r.marking = Some(marking.clone());
    if let Some(s) = r.finding.as_mut() {
        s.marking = Some(marking.clone());
    }
    if let Some(s) = r.history.as_mut() {
        s.marking = Some(marking.clone());
    }
    if let Some(s) = r.last_legal_possessor.as_mut() {
        s.marking = Some(marking.clone());
    }
    if let Some(s) = r.commercial.as_mut() {
        s.marking = Some(marking.clone());
    }
    r
}

fn green(restrictions: &[pb::UseRestriction]) -> pb::Marking {
    fixtures::marking(pb::Tlp::Green, restrictions)
}

async fn submit(f: &mut Federation, request: pb::TraceRequest) -> anyhow::Result<pb::SubmitReply> {
    Ok(f.poc(REQUESTER)?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: None,
            on_behalf_via: String::new(),
            // Scenarios send the same fixture more than once, on purpose.
            allow_duplicate: true,
        })
        .await?
        .into_inner())
}

fn act(trace_id: &str, action: pb::act_request::Action) -> pb::ActRequest {
    pb::ActRequest {
        trace_id: trace_id.to_string(),
        action: Some(action),
        confirm_despite_declared_restrictions: false,
    }
}

/// Sends `request` to BEL and has BEL acknowledge it.
async fn acknowledged_trace(
    f: &mut Federation,
    request: pb::TraceRequest,
) -> anyhow::Result<String> {
    let trace = submit(f, request).await?.trace_id;
    f.until_state(RESPONDER, &trace, "delivered").await?;
    f.poc(RESPONDER)?
        .act(act(
            &trace,
            pb::act_request::Action::Acknowledge(pb::Acknowledgement::default()),
        ))
        .await?;
    f.until_state(REQUESTER, &trace, "acknowledged").await?;
    Ok(trace)
}

/// A trace GHA asked and BEL answered with `response`. Returns the trace id
/// and the id of the response envelope.
async fn answered_trace(
    f: &mut Federation,
    response: pb::TraceResponse,
) -> anyhow::Result<(String, String)> {
    let trace = acknowledged_trace(f, fixtures::fal_request()).await?;
    f.poc(RESPONDER)?
        .act(act(&trace, pb::act_request::Action::Respond(response)))
        .await?;
    f.until_state(REQUESTER, &trace, "responded").await?;
    let case = show_case(f, REQUESTER, Role::Poc, &trace).await?;
    let (envelope_id, _, _) = response_seen(&case, &trace)?;
    Ok((trace, envelope_id))
}

async fn show_case(
    f: &mut Federation,
    participant: &str,
    role: Role,
    id: &str,
) -> anyhow::Result<pb::CaseView> {
    Ok(f.officer(participant, role)?
        .show_case(pb::ShowCaseRequest {
            id: id.to_string(),
            ..Default::default()
        })
        .await?
        .into_inner())
}

fn trace_view<'a>(case: &'a pb::CaseView, trace: &str) -> anyhow::Result<&'a pb::TraceView> {
    case.traces
        .iter()
        .find(|t| t.summary.as_ref().is_some_and(|s| s.trace_id == trace))
        .ok_or_else(|| anyhow!("trace {trace} is not in case {}", case.case_id))
}

/// The responses of `trace` as the officer who asked for `case` sees them,
/// in order: envelope id, (redacted) content and what was withheld.
fn responses_seen(
    case: &pb::CaseView,
    trace: &str,
) -> anyhow::Result<Vec<(String, pb::TraceResponse, Vec<String>)>> {
    trace_view(case, trace)?
        .messages
        .iter()
        .filter(|m| m.kind == pb::PayloadKind::Response as i32)
        .map(|m| match m.payload.as_ref().and_then(|p| p.body.as_ref()) {
            Some(pb::payload::Body::Response(r)) => {
                Ok((m.envelope_id.clone(), r.clone(), m.withheld.clone()))
            }
            other => bail!("the response message shows {other:?}"),
        })
        .collect()
}

/// The one response of `trace`, as `responses_seen` shows it.
fn response_seen(
    case: &pb::CaseView,
    trace: &str,
) -> anyhow::Result<(String, pb::TraceResponse, Vec<String>)> {
    let mut responses = responses_seen(case, trace)?;
    match responses.len() {
        1 => Ok(responses.remove(0)),
        n => bail!("expected one response on trace {trace}, found {n}"),
    }
}

/// The sections of a response that carry a marking of their own, by their
/// protobuf JSON name (as `withheld` names them).
const SECTIONS: [&str; 4] = ["finding", "history", "lastLegalPossessor", "commercial"];

fn has_section(r: &pb::TraceResponse, section: &str) -> bool {
    match section {
        "finding" => r.finding.is_some(),
        "history" => r.history.is_some(),
        "lastLegalPossessor" => r.last_legal_possessor.is_some(),
        "commercial" => r.commercial.is_some(),
        _ => false,
    }
}

/// GHA's point of contact forwards the response `regarding` of `trace`.
/// The inner result is the node's answer.
async fn forward(
    f: &mut Federation,
    trace: &str,
    regarding: &str,
    to: &str,
) -> anyhow::Result<Result<pb::ActReply, tonic::Status>> {
    let mut poc = f.poc(REQUESTER)?;
    Ok(poc
        .forward(pb::ForwardRequest {
            trace_id: trace.to_string(),
            regarding: regarding.to_string(),
            to: to.to_string(),
            note: "for your investigation of the same consignment".into(),
        })
        .await
        .map(|r| r.into_inner()))
}

/// GHA's point of contact exports `trace`. The inner result is the node's
/// answer.
async fn export(
    f: &mut Federation,
    trace: &str,
    as_evidence: bool,
) -> anyhow::Result<Result<pb::ExportReply, tonic::Status>> {
    let mut poc = f.poc(REQUESTER)?;
    Ok(poc
        .export(pb::ExportRequest {
            trace_id: trace.to_string(),
            format: pb::ExportFormat::Json as i32,
            as_evidence,
        })
        .await
        .map(|r| r.into_inner()))
}

/// Fails unless `result` is PERMISSION_DENIED naming `rule`.
fn assert_refused_by<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    rule: &str,
    what: &str,
) -> anyhow::Result<()> {
    match result {
        Err(status) if status.code() == Code::PermissionDenied => {
            if status.message().contains(rule) {
                Ok(())
            } else {
                bail!(
                    "{what}: refused, but the message does not name {rule}: {}",
                    status.message()
                )
            }
        }
        other => bail!("{what}: expected PERMISSION_DENIED naming {rule}, got {other:?}"),
    }
}

/// The case ids of the traces `participant` was informed of (information
/// another participant passed on).
async fn informed_cases(f: &mut Federation, participant: &str) -> anyhow::Result<Vec<String>> {
    let list = f
        .poc(participant)?
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner();
    Ok(list
        .traces
        .into_iter()
        .filter(|t| t.role == pb::TraceRole::Informed as i32)
        .map(|t| t.case_id)
        .collect())
}

/// Waits until each recipient has been informed of exactly the cases in
/// `expected` (each once), and of nothing else.
async fn until_informed_of(
    f: &mut Federation,
    expected: &BTreeMap<&str, BTreeSet<String>>,
) -> anyhow::Result<()> {
    for (recipient, cases) in expected {
        let recipient = *recipient;
        let poc = f.poc(recipient)?;
        f.until(&format!("{recipient} is informed of {cases:?}"), || {
            let mut poc = poc.clone();
            async move {
                let list = poc
                    .list_traces(pb::ListTracesRequest {
                        inbox: false,
                        include_closed: true,
                        page: None,
                    })
                    .await?
                    .into_inner();
                let informed = list
                    .traces
                    .iter()
                    .filter(|t| t.role == pb::TraceRole::Informed as i32)
                    .count();
                Ok(informed >= cases.len())
            }
        })
        .await?;
        let got = informed_cases(f, recipient).await?;
        let got_set: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(
            got.len(),
            got_set.len(),
            "{recipient} was informed twice of one case"
        );
        assert_eq!(&got_set, cases, "the cases {recipient} was informed of");
    }
    Ok(())
}

/// The number of envelopes GHA queued for `destination`, delivered or not.
async fn sent_to(f: &mut Federation, destination: &str) -> anyhow::Result<usize> {
    Ok(iti_tests::outbox_items(&mut f.poc(REQUESTER)?)
        .await?
        .iter()
        .filter(|i| i.destination == destination)
        .count())
}

// ---------------------------------------------------------------- the matrix

/// What the node does with a use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Allowed.
    Y,
    /// Refused by the row's use restriction.
    N,
    /// Refused by TLP:GREEN whatever the restriction: auditors and admins
    /// see no case content above TLP:CLEAR (policy module doc).
    G,
}
use Outcome::{G, N, Y};

/// The uses, in the column order of `MATRIX`.
#[derive(Clone, Copy, Debug)]
enum Use {
    Forward(&'static str),
    Export,
    ExportAsEvidence,
    Report,
    Display(Role),
}

const USES: [Use; 11] = [
    Use::Forward(THIRD_STATE),
    Use::Forward(HUB),
    Use::Forward(PANEL),
    Use::Export,
    Use::ExportAsEvidence,
    Use::Report,
    Use::Display(Role::Poc),
    Use::Display(Role::Investigator),
    Use::Display(Role::Analyst),
    Use::Display(Role::Auditor),
    Use::Display(Role::Admin),
];

/// The restriction table of `iti_node::policy`, for a response marked
/// TLP:GREEN with the row's restriction on every section.
#[rustfmt::skip]
const MATRIX: [(pb::UseRestriction, &str, [Outcome; 11]); 4] = [
    //                                                          3rd hub panel export evid report poc inv anl aud adm
    (pb::UseRestriction::IntelligenceOnly,      "INTEL-ONLY",  [Y,  Y,  N,    Y,     N,   Y,     Y,  Y,  Y,  G,  G]),
    (pb::UseRestriction::NoOnwardDisclosure,    "NO-ONWARD",   [N,  N,  N,    Y,     Y,   N,     Y,  Y,  Y,  G,  G]),
    (pb::UseRestriction::LawEnforcementOnly,    "LE-ONLY",     [Y,  Y,  N,    Y,     Y,   N,     Y,  Y,  N,  G,  G]),
    (pb::UseRestriction::ProprietaryCommercial, "PROPRIETARY", [N,  N,  N,    Y,     N,   N,     Y,  Y,  Y,  G,  G]),
];

/// Checks one (trace, use) cell: `rule` is what a refusal must name.
/// Allowed forwards are recorded in `informed`, to be awaited at the end.
/// Reports are checked together, afterwards.
async fn check_cell(
    f: &mut Federation,
    (trace, response_id, case): (&str, &str, &str),
    use_: Use,
    expected: Outcome,
    rule: &str,
    informed: &mut BTreeMap<&'static str, BTreeSet<String>>,
) -> anyhow::Result<()> {
    let what = format!("{use_:?} of trace {trace} under {rule}");
    match (use_, expected) {
        (Use::Forward(to), Y) => {
            forward(f, trace, response_id, to)
                .await?
                .map_err(|s| anyhow!("{what}: refused: {s:?}"))?;
            informed.entry(to).or_default().insert(case.to_string());
        }
        (Use::Forward(to), _) => {
            assert_refused_by(forward(f, trace, response_id, to).await?, rule, &what)?
        }
        (Use::Export | Use::ExportAsEvidence, outcome) => {
            let as_evidence = matches!(use_, Use::ExportAsEvidence);
            let got = export(f, trace, as_evidence).await?;
            if outcome == Y {
                let reply = got.map_err(|s| anyhow!("{what}: refused: {s:?}"))?;
                assert!(
                    reply.content.contains(LICENCE),
                    "{what}: the export lacks the response"
                );
            } else {
                assert_refused_by(got, rule, &what)?;
            }
        }
        (Use::Report, _) => {}
        (Use::Display(role), outcome) => {
            let case_view = show_case(f, REQUESTER, role, trace).await?;
            let (_, seen, withheld) = response_seen(&case_view, trace)?;
            for section in SECTIONS {
                let entry = format!("{section} ({rule})");
                if outcome == Y {
                    assert!(has_section(&seen, section), "{what}: {section} is missing");
                    assert!(withheld.is_empty(), "{what}: withheld {withheld:?}");
                } else {
                    assert!(!has_section(&seen, section), "{what}: {section} is shown");
                    // Every rule in the way is named, this one among them.
                    assert!(
                        withheld.contains(&entry)
                            || withheld.iter().any(|w| w.starts_with(&format!("{section} ("))
                                && w.contains(rule)),
                        "{what}: withheld {withheld:?} lacks {entry:?}"
                    );
                }
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_use_restriction_allows_and_refuses_each_onward_use_as_the_rules_say()
-> anyhow::Result<()> {
    let mut f = onward_federation().await?;

    // One trace per restriction, every section TLP:GREEN + that restriction.
    let mut answered = Vec::new();
    for (restriction, code, row) in MATRIX {
        let (trace, response_id) =
            answered_trace(&mut f, marked_everywhere(&green(&[restriction]))).await?;
        let case = show_case(&mut f, REQUESTER, Role::Poc, &trace)
            .await?
            .case_id;
        answered.push((trace, response_id, case, code, row));
    }

    let mut informed: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for (trace, response_id, case, code, row) in &answered {
        for (use_, expected) in USES.into_iter().zip(*row) {
            let rule = if expected == G { "TLP:GREEN" } else { *code };
            check_cell(
                &mut f,
                (trace, response_id, case),
                use_,
                expected,
                rule,
                &mut informed,
            )
            .await?;
        }
    }

    // Report (clause 12): a response is detailed only if its markings allow.
    let report = f
        .poc(REQUESTER)?
        .report(pb::ReportRequest::default())
        .await?
        .into_inner();
    let report_column = USES
        .iter()
        .position(|u| matches!(u, Use::Report))
        .context("report column")?;
    let mut left_out = 0;
    for (trace, _, _, code, row) in &answered {
        let detailed = report
            .text
            .contains(&format!("trace {trace}: BEL answered"));
        let allowed = row[report_column] == Y;
        assert_eq!(detailed, allowed, "report of the {code} response");
        left_out += usize::from(!allowed);
    }
    assert!(
        report
            .text
            .contains(&format!("{left_out} response(s) left out")),
        "{}",
        report.text
    );

    // Allowed forwards arrive; refused ones were never queued.
    for recipient in [THIRD_STATE, HUB, PANEL] {
        informed.entry(recipient).or_default();
    }
    until_informed_of(&mut f, &informed).await?;
    for (recipient, cases) in &informed {
        assert_eq!(
            sent_to(&mut f, recipient).await?,
            cases.len(),
            "envelopes GHA queued for {recipient}"
        );
    }
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_section_is_shown_to_the_point_of_contact_only_and_never_leaves_the_node()
-> anyhow::Result<()> {
    let mut f = onward_federation().await?;
    let mut response = marked_everywhere(&green(&[]));
    if let Some(llp) = response.last_legal_possessor.as_mut() {
        llp.marking = Some(fixtures::marking(pb::Tlp::Red, &[]));
    }
    let (trace, response_id) = answered_trace(&mut f, response).await?;

    for role in Role::ALL {
        let case = show_case(&mut f, REQUESTER, role, &trace).await?;
        let (_, seen, withheld) = response_seen(&case, &trace)?;
        let red_entry = "lastLegalPossessor (TLP:RED)".to_string();
        if role == Role::Poc {
            assert!(seen.last_legal_possessor.is_some(), "the poc sees it");
            assert!(withheld.is_empty(), "{withheld:?}");
        } else {
            assert_eq!(
                seen.last_legal_possessor, None,
                "{role} sees the RED section"
            );
            assert!(withheld.contains(&red_entry), "{role}: {withheld:?}");
        }
        // The GREEN sections around it follow their own marking.
        let sees_green = matches!(role, Role::Poc | Role::Investigator | Role::Analyst);
        assert_eq!(seen.finding.is_some(), sees_green, "{role} and the finding");
    }

    for to in [THIRD_STATE, HUB, PANEL] {
        assert_refused_by(
            forward(&mut f, &trace, &response_id, to).await?,
            "TLP:RED",
            &format!("forwarding to {to}"),
        )?;
        assert_eq!(sent_to(&mut f, to).await?, 0, "queued for {to}");
    }
    assert_refused_by(export(&mut f, &trace, false).await?, "TLP:RED", "export")?;
    assert_refused_by(
        export(&mut f, &trace, true).await?,
        "TLP:RED",
        "export as evidence",
    )?;
    let report = f
        .poc(REQUESTER)?
        .report(pb::ReportRequest::default())
        .await?
        .into_inner();
    assert!(
        !report.text.contains(&format!("trace {trace}")),
        "{}",
        report.text
    );
    assert!(
        report.text.contains("1 response(s) left out"),
        "{}",
        report.text
    );
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- consent

fn consent_action(
    restriction: pb::UseRestriction,
    use_: pb::OnwardUse,
    regarding: &str,
) -> pb::act_request::Action {
    pb::act_request::Action::GrantConsent(pb::Consent {
        restriction: restriction as i32,
        r#use: use_ as i32,
        regarding: regarding.to_string(),
        note: "granted for the ECOWAS investigation".into(),
        ..Default::default()
    })
}

/// GHA asks BEL to lift NO-ONWARD for forwarding to a third state; BEL
/// grants exactly that; GHA waits until the consent has arrived.
async fn consent_to_forward_to_a_third_state(
    f: &mut Federation,
    trace: &str,
    response_id: &str,
) -> anyhow::Result<()> {
    f.poc(REQUESTER)?
        .act(act(
            trace,
            pb::act_request::Action::RequestConsent(pb::ConsentRequest {
                restriction: pb::UseRestriction::NoOnwardDisclosure as i32,
                r#use: pb::OnwardUse::ForwardToThirdState as i32,
                regarding: response_id.to_string(),
                justification: "NGA is investigating the diversion from its armoury".into(),
                ..Default::default()
            }),
        ))
        .await?;
    let mut bel = f.poc(RESPONDER)?;
    let asked = trace.to_string();
    f.until("BEL has the consent request", || {
        let mut bel = bel.clone();
        let asked = asked.clone();
        async move {
            let case = bel
                .show_case(pb::ShowCaseRequest {
                    id: asked.clone(),
                    ..Default::default()
                })
                .await?
                .into_inner();
            Ok(has_event(&case, &asked, "consent_request_received"))
        }
    })
    .await?;
    bel.act(act(
        trace,
        consent_action(
            pb::UseRestriction::NoOnwardDisclosure,
            pb::OnwardUse::ForwardToThirdState,
            response_id,
        ),
    ))
    .await?;
    let gha = f.poc(REQUESTER)?;
    let granted = trace.to_string();
    f.until("GHA has the consent", || {
        let mut gha = gha.clone();
        let granted = granted.clone();
        async move {
            let case = gha
                .show_case(pb::ShowCaseRequest {
                    id: granted.clone(),
                    ..Default::default()
                })
                .await?
                .into_inner();
            Ok(has_event(&case, &granted, "consent_received"))
        }
    })
    .await?;
    Ok(())
}

fn has_event(case: &pb::CaseView, trace: &str, kind: &str) -> bool {
    trace_view(case, trace).is_ok_and(|t| t.events.iter().any(|e| e.kind == kind))
}

async fn audit_actions(
    f: &mut Federation,
    participant: &str,
    trace: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let log = f
        .officer(participant, Role::Auditor)?
        .audit_log(pb::AuditLogRequest {
            after_seq: 0,
            limit: 0,
        })
        .await?
        .into_inner();
    Ok(log
        .entries
        .into_iter()
        .filter(|e| e.subject == format!("trace {trace}"))
        .map(|e| (e.action, e.detail))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_lifts_one_restriction_for_one_use() -> anyhow::Result<()> {
    let mut f = onward_federation().await?;

    // A section under two restrictions: consent to lift one leaves the other.
    let mut both = marked_everywhere(&green(&[]));
    if let Some(c) = both.commercial.as_mut() {
        c.marking = Some(green(&[
            pb::UseRestriction::NoOnwardDisclosure,
            pb::UseRestriction::ProprietaryCommercial,
        ]));
    }
    let (trace, response_id) = answered_trace(&mut f, both).await?;
    assert_refused_by(
        forward(&mut f, &trace, &response_id, THIRD_STATE).await?,
        "NO-ONWARD",
        "forwarding before consent",
    )?;
    consent_to_forward_to_a_third_state(&mut f, &trace, &response_id).await?;
    assert_refused_by(
        forward(&mut f, &trace, &response_id, THIRD_STATE).await?,
        "PROPRIETARY",
        "forwarding with NO-ONWARD lifted but PROPRIETARY standing",
    )?;

    // The consent is in the history and the audit trail of both sides.
    for (participant, kinds) in [
        (REQUESTER, ["consent requested", "consent_received"]),
        (RESPONDER, ["consent_request_received", "consent granted"]),
    ] {
        let case = show_case(&mut f, participant, Role::Poc, &trace).await?;
        let audit = audit_actions(&mut f, participant, &trace).await?;
        for kind in kinds {
            assert!(
                has_event(&case, &trace, kind),
                "{participant}: no {kind} event"
            );
            let entry = audit.iter().find(|(action, _)| action == kind);
            let (_, detail) =
                entry.with_context(|| format!("{participant}: no {kind} audit entry"))?;
            assert!(
                detail.contains("no onward disclosure for forwarding to a third state"),
                "{participant} {kind}: {detail}"
            );
        }
    }

    // A section under NO-ONWARD alone: the consent lifts it for forwarding
    // to a third state, and for nothing else.
    let mut one = marked_everywhere(&green(&[]));
    if let Some(c) = one.commercial.as_mut() {
        c.marking = Some(green(&[pb::UseRestriction::NoOnwardDisclosure]));
    }
    let (trace, response_id) = answered_trace(&mut f, one).await?;
    let case = show_case(&mut f, REQUESTER, Role::Poc, &trace)
        .await?
        .case_id;

    // Only BEL, which imposed the restriction, may lift it (10.3): GHA
    // cannot consent to its own use of BEL's information.
    let self_consent = f
        .poc(REQUESTER)?
        .act(act(
            &trace,
            consent_action(
                pb::UseRestriction::NoOnwardDisclosure,
                pb::OnwardUse::ForwardToThirdState,
                &response_id,
            ),
        ))
        .await;
    match self_consent {
        Err(status) => assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}"),
        Ok(reply) => bail!("GHA granted itself consent: {reply:?}"),
    }
    assert_refused_by(
        forward(&mut f, &trace, &response_id, THIRD_STATE).await?,
        "NO-ONWARD",
        "forwarding under a consent GHA tried to grant itself",
    )?;

    consent_to_forward_to_a_third_state(&mut f, &trace, &response_id).await?;
    forward(&mut f, &trace, &response_id, THIRD_STATE).await??;
    assert_refused_by(
        forward(&mut f, &trace, &response_id, HUB).await?,
        "NO-ONWARD",
        "forwarding to a hub under a consent for third states",
    )?;
    assert_refused_by(
        forward(&mut f, &trace, &response_id, PANEL).await?,
        "NO-ONWARD",
        "forwarding to a UN panel under a consent for third states",
    )?;
    let informed = BTreeMap::from([
        (THIRD_STATE, BTreeSet::from([case])),
        (HUB, BTreeSet::new()),
    ]);
    until_informed_of(&mut f, &informed).await?;
    assert_eq!(sent_to(&mut f, HUB).await?, 0);
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_regarding_one_response_does_not_lift_restrictions_on_another()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&[REQUESTER, RESPONDER, THIRD_STATE]).await?;
    let no_onward = green(&[pb::UseRestriction::NoOnwardDisclosure]);
    let trace = acknowledged_trace(&mut f, fixtures::fal_request()).await?;

    // 10.5.2: first a restricted response, later the full one, both under
    // NO-ONWARD.
    let mut restricted = marked_everywhere(&no_onward);
    restricted.restricted = true;
    restricted.restriction_reason = pb::WithholdingReason::OngoingInvestigationOrLaw as i32;
    restricted.restriction_explanation = "the licensing file is sealed until March".into();
    restricted.commercial = None;
    let mut bel = f.poc(RESPONDER)?;
    bel.act(act(&trace, pb::act_request::Action::Respond(restricted)))
        .await?;
    f.until_state(REQUESTER, &trace, "responded_restricted")
        .await?;
    let case = show_case(&mut f, REQUESTER, Role::Poc, &trace).await?;
    let (first, _, _) = response_seen(&case, &trace)?;

    bel.act(act(
        &trace,
        consent_action(
            pb::UseRestriction::NoOnwardDisclosure,
            pb::OnwardUse::ForwardToThirdState,
            &first,
        ),
    ))
    .await?;
    bel.act(act(
        &trace,
        pb::act_request::Action::Respond(marked_everywhere(&no_onward)),
    ))
    .await?;
    f.until_state(REQUESTER, &trace, "responded").await?;
    let case = show_case(&mut f, REQUESTER, Role::Poc, &trace).await?;
    assert!(has_event(&case, &trace, "consent_received"));
    let responses = responses_seen(&case, &trace)?;
    let second = responses
        .iter()
        .map(|(id, _, _)| id)
        .find(|id| **id != first)
        .context("the full response")?
        .clone();

    assert_refused_by(
        forward(&mut f, &trace, &second, THIRD_STATE).await?,
        "NO-ONWARD",
        "forwarding the response the consent is not about",
    )?;
    forward(&mut f, &trace, &first, THIRD_STATE).await??;
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- 10.3

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_contradicting_the_requesters_declared_restrictions_needs_confirmation()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&[REQUESTER, RESPONDER]).await?;
    let mut request = fixtures::fal_request();
    request.restrictions_cannot_comply = vec![pb::UseRestriction::IntelligenceOnly as i32];
    request.restrictions_explanation =
        "Ghanaian law requires disclosure to the defence of all material relied on".into();
    let trace = acknowledged_trace(&mut f, request).await?;

    // BEL's officer sees the declaration before answering.
    let inbox = f
        .poc(RESPONDER)?
        .list_traces(pb::ListTracesRequest {
            inbox: true,
            include_closed: false,
            page: None,
        })
        .await?
        .into_inner();
    let summary = inbox
        .traces
        .iter()
        .find(|t| t.trace_id == trace)
        .context("the trace is in BEL's inbox")?;
    assert_eq!(
        summary.restrictions_cannot_comply,
        [pb::UseRestriction::IntelligenceOnly as i32]
    );

    let response = marked_everywhere(&fixtures::marking(
        pb::Tlp::Amber,
        &[pb::UseRestriction::IntelligenceOnly],
    ));
    let mut bel = f.poc(RESPONDER)?;
    let refused = match bel
        .act(act(
            &trace,
            pb::act_request::Action::Respond(response.clone()),
        ))
        .await
    {
        Err(status) => status,
        Ok(reply) => bail!("a response GHA cannot honour was sent: {reply:?}"),
    };
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("INTEL-ONLY"),
        "{}",
        refused.message()
    );

    // Nothing was sent: BEL queued no response and its trace did not move.
    let responses_queued = |outbox: &pb::OutboxReply| {
        outbox
            .items
            .iter()
            .filter(|i| i.trace_id == trace && i.kind == pb::PayloadKind::Response as i32)
            .count()
    };
    let outbox = bel
        .outbox(pb::OutboxRequest {
            include_delivered: true,
            page: None,
        })
        .await?
        .into_inner();
    assert_eq!(responses_queued(&outbox), 0);
    f.until_state(RESPONDER, &trace, "acknowledged").await?;

    let mut confirmed = act(&trace, pb::act_request::Action::Respond(response));
    confirmed.confirm_despite_declared_restrictions = true;
    let reply = bel.act(confirmed).await?.into_inner();
    assert!(
        reply.warnings.iter().any(|w| w.contains("INTEL-ONLY")),
        "{:?}",
        reply.warnings
    );
    f.until_state(REQUESTER, &trace, "responded").await?;

    // GHA received one response: the confirmed one.
    let case = show_case(&mut f, REQUESTER, Role::Poc, &trace).await?;
    let (_, seen, _) = response_seen(&case, &trace)?;
    assert_eq!(
        seen.marking.map(|m| m.restrictions),
        Some(vec![pb::UseRestriction::IntelligenceOnly as i32])
    );
    f.shutdown().await;
    Ok(())
}
