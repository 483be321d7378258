//! Acting on a case through the web console (issue 14), over real nodes and
//! a mutual-TLS HTTPS client: a response typed in the 10.4 forms reaches
//! the requester with each section's marking intact; only a point of
//! contact may act; a drafted follow-up the gate refuses is explained
//! (which marking forbids what) with `itictl`'s two ways forward, and
//! consent comes from the provider; an export carries its markings; the
//! new forms are refused without their token or from another origin.

use anyhow::{Context, ensure};
use iti_node::identity::Role;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::console::{Browser, Page};
use iti_tests::{Federation, fixtures, summary};

const GHA: &str = "GHA";
const BEL: &str = "BEL";
const NGA: &str = "NGA";
const PROPRIETARY: &str = "USE_RESTRICTION_PROPRIETARY_COMMERCIAL";

fn with_console() -> MemberOptions {
    MemberOptions {
        console: true,
        ..MemberOptions::default()
    }
}

/// GHA and BEL with their consoles, and NGA; GHA's request delivered to
/// BEL and acknowledged there. Returns the trace id.
async fn acknowledged_at_bel() -> anyhow::Result<(Federation, String)> {
    let mut f = Federation::of_members(&[
        (GHA, with_console()),
        (BEL, with_console()),
        (NGA, MemberOptions::default()),
    ])
    .await?;
    let reply = f
        .poc(GHA)?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner();
    f.until_state(BEL, &reply.trace_id, "delivered").await?;
    iti_tests::act(
        &mut f.poc(BEL)?,
        &reply.trace_id,
        pb::act_request::Action::Acknowledge(pb::Acknowledgement::default()),
    )
    .await?;
    Ok((f, reply.trace_id))
}

/// BEL's answer as its officer types it in the export form (10.4.3):
/// exported to NGA, the finding under `finding_tlp`, the commercial
/// details PROPRIETARY, the rest under the response's TLP:AMBER.
fn export_response<'a>(token: &'a str, finding_tlp: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", token),
        ("case", "export"),
        ("date", "2009-03-12"),
        ("importing_state", "NGA"),
        ("transit", "NLD"),
        ("consignee", "Nigeria Police Force, Abuja"),
        ("licence_kind", "export"),
        ("licence_number", "BE-W-2009-0412"),
        ("details", "Part of a consignment of <b>400</b> rifles"),
        ("finding_tlp", finding_tlp),
        ("llp_name", "FN Herstal SA"),
        ("llp_category", "manufacturer"),
        ("llp_state", "BEL"),
        ("llp_tlp", "same"),
        ("event_date", "2008-11-04"),
        ("event_kind", "HISTORY_EVENT_KIND_MANUFACTURE"),
        ("event_description", "manufactured, proof-marked at Liège"),
        ("history_tlp", "same"),
        ("contract_reference", "NPF/PROC/2008/77"),
        ("transport_agents", "Antwerp Freight Services NV"),
        ("commercial_tlp", "same"),
        ("commercial_restriction", PROPRIETARY),
        ("response_tlp", "TLP_AMBER"),
    ]
}

/// BEL's officer opens the respond page and sends the export form.
async fn respond_in_console(
    f: &mut Federation,
    trace: &str,
    finding_tlp: &str,
) -> anyhow::Result<Page> {
    let bel = f.browser(BEL, Role::Poc)?;
    let path = format!("/case/{trace}/respond");
    let page = bel.get(&path, &[]).await?;
    ensure!(page.status == 200, "{page:?}");
    let token = page
        .hidden("csrf")
        .context("no token on the respond page")?;
    bel.post(&path, &export_response(&token, finding_tlp), &[])
        .await
}

/// The response GHA holds on `trace`.
async fn response_at_gha(f: &mut Federation, trace: &str) -> anyhow::Result<pb::TraceResponse> {
    let view = iti_tests::trace_view(&mut f.poc(GHA)?, trace).await?;
    view.messages
        .iter()
        .find_map(|m| match m.payload.as_ref()?.body.as_ref()? {
            pb::payload::Body::Response(r) => Some(r.clone()),
            _ => None,
        })
        .context("GHA holds no response")
}

/// The follow-up GHA's officer finds drafted on the case page, ready to send.
fn drafted_follow_up(case: &Page) -> anyhow::Result<String> {
    let marker = "id=\"send-draft-";
    let start = case
        .body
        .find(marker)
        .context("no drafted follow-up to send")?
        + marker.len();
    let end = case.body[start..].find('"').context("unterminated id")? + start;
    Ok(case.body[start..end].to_string())
}

/// The CSRF token of the forms on `path`, as `browser` loads it.
async fn token(browser: &Browser, path: &str) -> anyhow::Result<String> {
    browser
        .get(path, &[])
        .await?
        .hidden("csrf")
        .with_context(|| format!("no form on {path}"))
}

/// BEL's answer, typed in the console with its finding under `finding_tlp`,
/// received at GHA.
async fn responded_at_gha(finding_tlp: &str) -> anyhow::Result<(Federation, String)> {
    let (mut f, trace) = acknowledged_at_bel().await?;
    let sent = respond_in_console(&mut f, &trace, finding_tlp).await?;
    ensure!(sent.status == 303, "{sent:?}");
    f.until_state(GHA, &trace, "responded").await?;
    Ok((f, trace))
}

/// BEL's consent to forwarding what it gave on the trace to NGA.
fn consent_for_nga(token: &str) -> [(&str, &str); 5] {
    [
        ("csrf", token),
        ("use", "ONWARD_USE_FORWARD_TO_THIRD_STATE"),
        ("to", NGA),
        ("lift_tlp", "yes"),
        ("decision", "grant"),
    ]
}

async fn state(f: &mut Federation, at: &str, trace: &str) -> anyhow::Result<String> {
    Ok(summary(&mut f.poc(at)?, trace)
        .await?
        .context("no such trace")?
        .state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_typed_in_the_console_reaches_the_requester_with_each_sections_marking()
-> anyhow::Result<()> {
    let (mut f, trace) = acknowledged_at_bel().await?;
    let bel = f.browser(BEL, Role::Poc)?;
    let case = bel.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(
        case.body
            .contains(&format!("href=\"/case/{trace}/respond\"")),
        "no way to respond from the case"
    );
    // Four forms, one per case of 10.4; each marking explained in a line.
    let page = bel
        .get(&format!("/case/{trace}/respond?lang=fr"), &[])
        .await?;
    for form in [
        "manufacture-or-import",
        "internal-transfer",
        "export",
        "internal-diversion",
    ] {
        ensure!(
            page.body.contains(&format!("id=\"respond-{form}\"")),
            "no {form} form"
        );
    }
    ensure!(
        page.body.contains("10.4.3 Exportée vers un autre État")
            && page.body.contains("Détails d'une transaction commerciale")
            && page.body.contains("TLP:AMBER+STRICT"),
        "the markings are not explained in French"
    );

    let sent = respond_in_console(&mut f, &trace, "TLP_GREEN").await?;
    ensure!(sent.status == 303, "{sent:?}");
    f.until_state(GHA, &trace, "responded").await?;
    let response = response_at_gha(&mut f, &trace).await?;
    let commercial = response.commercial.context("no commercial section")?;
    ensure!(
        commercial
            .marking
            .as_ref()
            .map(|m| (m.tlp, m.restrictions.clone()))
            == Some((
                pb::Tlp::Amber as i32,
                vec![pb::UseRestriction::ProprietaryCommercial as i32]
            )),
        "the commercial section lost its marking: {commercial:?}"
    );
    let finding = response.finding.context("no finding")?;
    ensure!(
        finding.marking.map(|m| m.tlp) == Some(pb::Tlp::Green as i32),
        "the finding lost its marking"
    );
    ensure!(
        matches!(finding.case, Some(pb::finding::Case::Export(ref e)) if e.importing_state == NGA)
    );

    // GHA's officer reads it, free text as text, and the drafted follow-up
    // to NGA with where each field came from.
    let gha = f
        .browser(GHA, Role::Poc)?
        .get(&format!("/case/{trace}"), &[])
        .await?;
    let draft = drafted_follow_up(&gha)?;
    ensure!(
        gha.body.contains("proprietary commercial information")
            && gha
                .body
                .contains("consignment of &lt;b&gt;400&lt;/b&gt; rifles")
            && gha.body.contains("export record: from BEL")
            && gha.body.contains(&format!("id=\"send-draft-{draft}\"")),
        "{}",
        gha.body
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_cannot_act_and_is_told_why() -> anyhow::Result<()> {
    let (mut f, trace) = acknowledged_at_bel().await?;
    let analyst = f.browser(BEL, Role::Analyst)?;
    let path = format!("/case/{trace}/respond");
    let page = analyst.get(&path, &[]).await?;
    ensure!(
        page.status == 403 && page.body.contains("point of contact only"),
        "{page:?}"
    );
    let posted = analyst
        .post(&path, &export_response("", "TLP_GREEN"), &[])
        .await?;
    ensure!(posted.status == 403, "{posted:?}");
    ensure!(state(&mut f, BEL, &trace).await? == "acknowledged");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_follow_up_explains_the_marking_and_goes_once_the_provider_consents()
-> anyhow::Result<()> {
    // The finding stays TLP:AMBER: the export record may not go to NGA.
    let (mut f, trace) = responded_at_gha("TLP_AMBER").await?;
    let gha = f.browser(GHA, Role::Poc)?;
    let case = gha.get(&format!("/case/{trace}"), &[]).await?;
    let draft = drafted_follow_up(&case)?;
    let token = case.hidden("csrf").context("no form")?;
    let send = format!("/case/{draft}/send");

    let refused = gha.post(&send, &[("csrf", &token)], &[]).await?;
    ensure!(refused.status == 403, "{refused:?}");
    for says in [
        "export record, provided by BEL",
        "TLP:AMBER (Limited disclosure",
        "does not allow forwarding to a third state",
        &format!("id=\"ask-consent-{draft}\""),
        &format!("id=\"without-restricted-{draft}\""),
    ] {
        ensure!(
            refused.body.contains(says),
            "{says} missing: {}",
            refused.body
        );
    }
    let french = gha
        .post(&format!("{send}?lang=fr"), &[("csrf", &token)], &[])
        .await?;
    ensure!(
        french
            .body
            .contains("registre d'exportation, fourni par BEL")
            && french
                .body
                .contains("ne permet pas : transmission à un État tiers"),
        "{}",
        french.body
    );
    ensure!(
        state(&mut f, GHA, &draft).await? == "drafted",
        "sent anyway"
    );

    // Asking consent needs a justification, then goes to BEL.
    let ask = [("csrf", token.as_str()), ("onward", "ask-consent")];
    let bare = gha.post(&send, &ask, &[]).await?;
    ensure!(
        bare.status == 400 && bare.body.contains("justification"),
        "{bare:?}"
    );
    let mut with_reason = ask.to_vec();
    with_reason.push(("justification", "NGA holds the import records"));
    let asked = gha.post(&send, &with_reason, &[]).await?;
    ensure!(asked.status == 303, "{asked:?}");

    // Consent comes only from the provider: GHA cannot grant it itself.
    let grant = format!("/case/{trace}/consent/grant");
    let own = gha.post(&grant, &consent_for_nga(&token), &[]).await?;
    ensure!(
        own.status == 409 && own.body.contains("only the requested state"),
        "{own:?}"
    );
    let bel = f.browser(BEL, Role::Poc)?;
    let bel_case = bel.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(
        bel_case
            .body
            .contains(&format!("id=\"consent-grant-{trace}\""))
    );
    let bel_token = bel_case.hidden("csrf").context("no form at BEL")?;
    let granted = bel.post(&grant, &consent_for_nga(&bel_token), &[]).await?;
    ensure!(granted.status == 303, "{granted:?}");
    f.until_state(NGA, &draft, "delivered").await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_carries_its_markings_and_a_forbidden_use_says_which_marking_forbids_it()
-> anyhow::Result<()> {
    let (mut f, trace) = responded_at_gha("TLP_GREEN").await?;
    let gha = f.browser(GHA, Role::Poc)?;
    let token = token(&gha, &format!("/case/{trace}")).await?;
    let path = format!("/case/{trace}/export");

    let csv = gha
        .post(
            &path,
            &[("csrf", &token), ("format", "EXPORT_FORMAT_CSV")],
            &[],
        )
        .await?;
    ensure!(csv.status == 200, "{csv:?}");
    ensure!(csv.header("content-type") == Some("text/csv; charset=utf-8"));
    ensure!(
        csv.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment") && d.contains(&trace)),
        "{csv:?}"
    );
    let mut lines = csv.body.lines();
    let top = lines.next().context("empty export")?;
    ensure!(
        top.contains("markings held") && top.contains("TLP:AMBER"),
        "{top}"
    );
    let rows: Vec<&str> = lines.skip(1).collect();
    ensure!(!rows.is_empty());
    for row in &rows {
        ensure!(row.contains("TLP:"), "a row without its marking: {row}");
    }
    ensure!(
        rows.iter()
            .any(|r| r.contains("NPF/PROC/2008/77") && r.contains("PROPRIETARY")),
        "{rows:?}"
    );
    // The same file as `itictl export` writes.
    let itictl = f
        .poc(GHA)?
        .export(pb::ExportRequest {
            trace_id: trace.clone(),
            format: pb::ExportFormat::Csv as i32,
            as_evidence: false,
        })
        .await?
        .into_inner();
    ensure!(itictl.content == csv.body, "not itictl's file");

    // As evidence, PROPRIETARY forbids it, and the page says so.
    let evidence = gha
        .post(
            &path,
            &[
                ("csrf", &token),
                ("format", "EXPORT_FORMAT_JSON"),
                ("evidence", "yes"),
            ],
            &[],
        )
        .await?;
    ensure!(
        evidence.status == 403
            && evidence
                .body
                .contains("commercial details, provided by BEL")
            && evidence
                .body
                .contains("proprietary commercial information (Commercial transaction details")
            && evidence.body.contains("forbids export as evidence")
            && !evidence.body.contains("NPF/PROC/2008/77"),
        "{evidence:?}"
    );
    // Forwarding to NGA: the commercial details' PROPRIETARY forbids it.
    let forward = [("csrf", token.as_str()), ("to", NGA)];
    let forwarded = gha
        .post(&format!("/case/{trace}/forward"), &forward, &[])
        .await?;
    ensure!(
        forwarded.status == 403
            && forwarded.body.contains("(to NGA)")
            && forwarded
                .body
                .contains("forbids forwarding to a third state"),
        "{forwarded:?}"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_forms_are_refused_without_their_token_or_from_elsewhere() -> anyhow::Result<()> {
    let (mut f, trace) = acknowledged_at_bel().await?;
    let bel = f.browser(BEL, Role::Poc)?;
    let token = token(&bel, &format!("/case/{trace}/respond")).await?;
    let elsewhere = [("Origin", "https://attacker.example")];
    for action in [
        "respond",
        "return",
        "clarify/answer",
        "consent/grant",
        "consent/request",
        "forward",
        "export",
        "send",
    ] {
        let path = format!("/case/{trace}/{action}");
        let no_token = bel
            .post(&path, &export_response("", "TLP_GREEN"), &[])
            .await?;
        ensure!(
            no_token.status == 403,
            "{action} without a token: {no_token:?}"
        );
        let foreign = bel
            .post(&path, &export_response(&token, "TLP_GREEN"), &elsewhere)
            .await?;
        ensure!(
            foreign.status == 403,
            "{action} from elsewhere: {foreign:?}"
        );
    }
    ensure!(
        state(&mut f, BEL, &trace).await? == "acknowledged",
        "changed"
    );
    let sent = bel
        .post(
            &format!("/case/{trace}/respond"),
            &export_response(&token, "TLP_GREEN"),
            &[],
        )
        .await?;
    ensure!(sent.status == 303, "{sent:?}");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_request_is_returned_from_the_console() -> anyhow::Result<()> {
    let (mut f, trace) = acknowledged_at_bel().await?;
    let bel = f.browser(BEL, Role::Poc)?;
    let case = bel.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(case.body.contains(&format!("id=\"return-{trace}\"")));
    ensure!(!case.body.contains("clarify-answer"), "nothing to clarify");
    let token = case.hidden("csrf").context("no form")?;
    let returned = bel
        .post(
            &format!("/case/{trace}/return"),
            &[
                ("csrf", &token),
                ("missing", "items[0].photographs\n"),
                ("note", "a photograph of the marks, please"),
            ],
            &[],
        )
        .await?;
    ensure!(returned.status == 303, "{returned:?}");
    f.until_state(GHA, &trace, "returned_for_completion")
        .await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clarification_is_asked_and_answered_as_the_lifecycle_allows() -> anyhow::Result<()> {
    let (mut f, trace) = responded_at_gha("TLP_GREEN").await?;
    let bel = f.browser(BEL, Role::Poc)?;
    let case = bel.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(
        !case.body.contains("id=\"return-"),
        "returned after responding"
    );
    let gha = f.browser(GHA, Role::Poc)?;
    let case = gha.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(case.body.contains(&format!("id=\"clarify-ask-{trace}\"")));
    let token = case.hidden("csrf").context("no form")?;
    let ask = format!("/case/{trace}/clarify/ask");
    let empty = gha.post(&ask, &[("csrf", &token)], &[]).await?;
    ensure!(
        empty.status == 400 && empty.body.contains("clarificationRequest.question"),
        "{empty:?}"
    );
    let question = [("csrf", token.as_str()), ("question", "Which licence?")];
    let asked = gha.post(&ask, &question, &[]).await?;
    ensure!(asked.status == 303, "{asked:?}");
    f.until_state(BEL, &trace, "clarification_requested")
        .await?;

    let case = bel.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(
        case.body
            .contains(&format!("id=\"clarify-answer-{trace}\""))
    );
    let token = case.hidden("csrf").context("no form")?;
    let answer = [("csrf", token.as_str()), ("answer", "BE-W-2009-0412")];
    let answered = bel
        .post(&format!("/case/{trace}/clarify/answer"), &answer, &[])
        .await?;
    ensure!(answered.status == 303, "{answered:?}");
    f.until_state(GHA, &trace, "clarification_answered").await?;
    f.shutdown().await;
    Ok(())
}
