//! The web console (issue 14) over a real node and a real mutual-TLS HTTPS
//! client, asserting what an officer relies on: no certificate, no page;
//! the inbox and a case as the local API shows them; what the gate keeps
//! from an analyst shown as withheld; free text shown as text; French for
//! coded values; forms refused without their CSRF token or from another
//! origin, changing nothing; every page under the strict CSP.

use anyhow::{Context, ensure};
use iti_node::console::security::CSP;
use iti_node::identity::Role;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::console::Page;
use iti_tests::{Federation, fixtures, summary};

const XSS: &str = "<script>alert('x')</script><img src=x onerror=alert(1)>";

fn with_console() -> MemberOptions {
    MemberOptions {
        console: true,
        ..MemberOptions::default()
    }
}

/// GHA and BEL, both with their consoles; GHA's request (with a script in
/// a free-text field) delivered to BEL. Returns the trace id.
async fn request_delivered() -> anyhow::Result<(Federation, String)> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let mut request = fixtures::fal_request();
    request.additional_information = XSS.into();
    let reply = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner();
    f.until_state("BEL", &reply.trace_id, "delivered").await?;
    Ok((f, reply.trace_id))
}

fn short(id: &str) -> &str {
    &id[id.len() - 8..]
}

fn ensure_locked_down(page: &Page) -> anyhow::Result<()> {
    ensure!(
        page.header("content-security-policy") == Some(CSP),
        "CSP: {:?}",
        page.header("content-security-policy")
    );
    ensure!(page.header("cache-control") == Some("no-store"));
    ensure!(page.header("x-frame-options") == Some("DENY"));
    ensure!(!CSP.contains("unsafe"), "CSP: {CSP}");
    // Script only from the binary, never inline: every script element
    // names its source and holds nothing.
    for (at, _) in page.body.match_indices("<script") {
        let element = &page.body[at..];
        ensure!(
            element.starts_with("<script src=\"/static/")
                && element
                    .split_once('>')
                    .is_some_and(|(_, rest)| rest.starts_with("</script>")),
            "an inline script in the page: {}",
            &element[..element.len().min(120)]
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_refuses_a_browser_without_a_certificate() -> anyhow::Result<()> {
    let (f, _) = request_delivered().await?;
    let refusals = f.node("BEL")?.local_refusals.clone();
    let before = refusals.total();
    let anonymous = f.browser_without_certificate("BEL")?;
    let answer = anonymous.get("/", &[]).await;
    ensure!(
        answer.is_err(),
        "answered without a certificate: {answer:?}"
    );
    // Counted with the local port's refusals, for operators.
    f.until("the refusal is counted", || {
        let refusals = refusals.clone();
        async move { Ok(refusals.total() > before) }
    })
    .await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_sees_the_inbox_and_the_case_with_free_text_as_text() -> anyhow::Result<()> {
    let (mut f, trace) = request_delivered().await?;
    let bel = f.browser("BEL", Role::Poc)?;

    let inbox = bel.get("/", &[]).await?;
    ensure!(inbox.status == 200, "{inbox:?}");
    ensure_locked_down(&inbox)?;
    ensure!(
        inbox.body.contains("Nsawam, Eastern Region, 2026-10-02"),
        "the inbox names the case by where and when the rifle was recovered: {}",
        inbox.body
    );
    ensure!(
        inbox.body.contains("href=\"/compose\"") && !inbox.body.contains("href=\"/hub\""),
        "a state's console offers the pages of a state, not a hub's figures: {}",
        inbox.body
    );
    let owe = inbox
        .body
        .split("What is owed to us")
        .next()
        .context("the inbox's sections")?;
    ensure!(
        owe.contains(short(&trace)) && owe.contains("GHA") && owe.contains("FN Herstal"),
        "BEL owes GHA an answer: {owe}"
    );

    let case = bel.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(case.status == 200, "{case:?}");
    ensure_locked_down(&case)?;
    for evidence in [
        "GPS/CID/2026/1147",
        "Nsawam, Eastern Region",
        "perron with ELG in oval",
        "barrel, right side",
        "NPF 4471",
        "butt stock",
        "proof mark",
        "Kwame A.",
        "TLP:AMBER",
    ] {
        ensure!(
            case.body.contains(evidence),
            "{evidence} missing from the case"
        );
    }
    ensure!(
        case.body
            .contains("&lt;script&gt;alert('x')&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "the free text is not shown as text"
    );
    ensure!(!case.body.contains("<img src=x"), "markup from free text");

    // The officer's reading of marked content is audited, as through itictl.
    let audit = f
        .poc("BEL")?
        .audit_log(pb::AuditLogRequest {
            after_seq: 0,
            limit: 0,
        })
        .await?
        .into_inner();
    ensure!(
        audit.entries.iter().any(|e| e.action == "accessed"
            && e.actor.contains("poc.officer")
            && e.detail.contains("display")
            && !e.detail.contains("Kwame")),
        "no audit entry for the display: {:?}",
        audit.entries
    );

    // Deadlines: the acknowledgement (7 days) due soon, then overdue.
    f.advance(time::Duration::days(6));
    let soon = bel.get("/", &[]).await?;
    ensure!(soon.body.contains("due soon"), "{}", soon.body);
    f.advance(time::Duration::days(2));
    let late = bel.get("/", &[]).await?;
    ensure!(
        late.body.contains("overdue") && !late.body.contains("due soon"),
        "{}",
        late.body
    );

    // Ids are not content; a case that is not there is a plain 404.
    let missing = bel
        .get("/case/0190f0b8-0000-7000-8000-000000000000", &[])
        .await?;
    ensure!(missing.status == 404, "{missing:?}");
    ensure_locked_down(&missing)?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_sees_withheld_sections_as_withheld() -> anyhow::Result<()> {
    let (mut f, trace) = request_delivered().await?;
    let analyst = f.browser("BEL", Role::Analyst)?;
    let case = analyst.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(case.status == 200, "{case:?}");
    ensure!(
        !case.body.contains("Kwame A."),
        "personal data shown to an analyst"
    );
    ensure!(
        case.body.contains("Withheld from you") && case.body.contains("personal data"),
        "the withheld section is not named with its rule: {}",
        case.body
    );
    ensure!(
        !case.body.contains("name=\"csrf\""),
        "an analyst is offered a form to act"
    );
    let french = analyst.get(&format!("/case/{trace}?lang=fr"), &[]).await?;
    ensure!(
        french.body.contains("Retenu pour vous")
            && french.body.contains("personnes (données personnelles)"),
        "the withheld part and its rule are not in French"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn french_renders_coded_values_in_french_and_free_text_as_written() -> anyhow::Result<()> {
    let (mut f, trace) = request_delivered().await?;
    let bel = f.browser("BEL", Role::Poc)?;

    // From the browser's language...
    let case = bel
        .get(
            &format!("/case/{trace}"),
            &[("Accept-Language", "fr-BE,fr;q=0.9,en;q=0.5")],
        )
        .await?;
    ensure!(case.status == 200, "{case:?}");
    for french in [
        "lang=\"fr\"",
        "État requis",
        "remis",
        "poinçon d'épreuve",
        "Marquages (6.2.2)",
        "demande",
    ] {
        let escaped = french.replace('\'', "&#39;");
        ensure!(
            case.body.contains(french) || case.body.contains(&escaped),
            "{french} missing from the French page"
        );
    }
    ensure!(case.body.contains("rifle, folding stock, worn finish"));
    ensure!(!case.body.contains("requested state"));

    // ...or chosen by the officer, and kept in a cookie that holds only
    // the language.
    let chosen = bel.get("/?lang=fr", &[]).await?;
    ensure!(
        chosen.body.contains("Ce que nous devons"),
        "{}",
        chosen.body
    );
    let cookie = chosen.header("set-cookie").context("no language cookie")?;
    ensure!(cookie.starts_with("iti_lang=fr;") && cookie.contains("Secure"));
    let kept = bel.get("/", &[("Cookie", "iti_lang=fr")]).await?;
    ensure!(kept.body.contains("Ce que nous devons"));
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_its_token_or_from_elsewhere_is_refused_and_changes_nothing()
-> anyhow::Result<()> {
    let (mut f, trace) = request_delivered().await?;
    let bel = f.browser("BEL", Role::Poc)?;
    let case = bel.get(&format!("/case/{trace}"), &[]).await?;
    let token = case.hidden("csrf").context("no acknowledge form")?;
    let path = format!("/case/{trace}/acknowledge");

    let no_token = bel.post(&path, &[("reference", "BEL-1")], &[]).await?;
    ensure!(no_token.status == 403, "{no_token:?}");
    ensure_locked_down(&no_token)?;
    let wrong_token = bel
        .post(&path, &[("csrf", "00ff"), ("reference", "BEL-1")], &[])
        .await?;
    ensure!(wrong_token.status == 403, "{wrong_token:?}");
    let elsewhere = bel
        .post(
            &path,
            &[("csrf", &token), ("reference", "BEL-1")],
            &[("Origin", "https://attacker.example")],
        )
        .await?;
    ensure!(elsewhere.status == 403, "{elsewhere:?}");
    // Another officer's token does not pass either.
    let other = f
        .browser("BEL", Role::Investigator)?
        .get(&format!("/case/{trace}"), &[])
        .await?;
    ensure!(
        other.hidden("csrf").is_none(),
        "an investigator may not act"
    );
    let state = summary(&mut f.poc("BEL")?, &trace)
        .await?
        .context("trace")?;
    ensure!(state.state == "delivered", "changed: {}", state.state);

    let done = bel
        .post(&path, &[("csrf", &token), ("reference", "BEL-1")], &[])
        .await?;
    ensure!(done.status == 303, "{done:?}");
    ensure!(done.header("location") == Some(format!("/case/{trace}").as_str()));
    let state = summary(&mut f.poc("BEL")?, &trace)
        .await?
        .context("trace")?;
    ensure!(state.state == "acknowledged", "{}", state.state);
    f.until_state("GHA", &trace, "acknowledged").await?;
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_names_the_missing_field_and_changes_nothing_until_complete() -> anyhow::Result<()>
{
    let (mut f, trace) = request_delivered().await?;
    let bel = f.browser("BEL", Role::Poc)?;
    let case = bel.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(
        !case.body.contains("/refuse"),
        "a refusal offered before the acknowledgement"
    );
    let token = case.hidden("csrf").context("no form")?;
    let acknowledged = bel
        .post(
            &format!("/case/{trace}/acknowledge"),
            &[("csrf", &token)],
            &[],
        )
        .await?;
    ensure!(acknowledged.status == 303, "{acknowledged:?}");
    let case = bel.get(&format!("/case/{trace}?lang=fr"), &[]).await?;
    ensure!(
        case.body.contains("10.5.2 (c) sécurité nationale"),
        "the reasons are not offered in French"
    );
    let token = case.hidden("csrf").context("no form")?;
    let path = format!("/case/{trace}/refuse");

    let incomplete = bel
        .post(
            &path,
            &[
                ("csrf", &token),
                ("reason", "WITHHOLDING_REASON_NATIONAL_SECURITY"),
            ],
            &[],
        )
        .await?;
    ensure!(incomplete.status == 400, "{incomplete:?}");
    ensure!(
        incomplete.body.contains("refusal.explanation"),
        "the field is not named: {}",
        incomplete.body
    );
    let unknown = bel
        .post(
            &path,
            &[
                ("csrf", &token),
                ("reason", "BECAUSE"),
                ("explanation", "x"),
            ],
            &[],
        )
        .await?;
    ensure!(
        unknown.status == 400 && unknown.body.contains("refusal.reason"),
        "{unknown:?}"
    );
    let state = summary(&mut f.poc("BEL")?, &trace)
        .await?
        .context("trace")?;
    ensure!(state.state == "acknowledged", "changed: {}", state.state);

    let done = bel
        .post(
            &path,
            &[
                ("csrf", &token),
                ("reason", "WITHHOLDING_REASON_NATIONAL_SECURITY"),
                ("explanation", "<b>not</b> for release"),
            ],
            &[],
        )
        .await?;
    ensure!(done.status == 303, "{done:?}");
    f.until_state("GHA", &trace, "refused").await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let seen = gha.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(
        seen.body.contains("&lt;b&gt;not&lt;/b&gt; for release")
            && seen.body.contains("10.5.2 (c) national security"),
        "GHA does not see the refusal: {}",
        seen.body
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_composes_a_request_with_its_marks_and_the_requested_state_receives_it()
-> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let page = gha.get("/compose?lang=fr", &[]).await?;
    ensure!(page.status == 200, "{page:?}");
    ensure_locked_down(&page)?;
    ensure!(page.body.contains("poinçon d'épreuve") || page.body.contains("poinçon d&#39;épreuve"));
    let token = page.hidden("csrf").context("no token")?;
    let mut fields: Vec<(&str, &str)> = vec![
        ("csrf", &token),
        ("requester_reference", "GPS/CID/2026/2001"),
        ("recovered_on", "2026-10-02"),
        ("place_of_recovery", "Nsawam, Eastern Region"),
        ("illicit_nature", "Held without licence (clause 4 a)"),
        ("legal_basis", "Act 96, s. 4"),
        ("circumstances", "Vehicle search"),
        ("item_ref", "exhibit 1"),
        ("make", "FN Herstal"),
        ("model", "FAL 50.00"),
        ("calibre", "7.62x51mm NATO"),
        ("serial_number", "1502347"),
        ("serial_location", "left side of receiver"),
        ("country_of_manufacture", "BEL"),
        ("mark_kind", "MARK_KIND_PROOF"),
        ("mark_value", "perron with ELG in oval"),
        ("mark_location", "barrel, right side"),
        ("mark_kind", "MARK_KIND_MILITARY_POLICE"),
        ("mark_value", "NPF 4471"),
        ("mark_location", "butt stock"),
        ("mark_kind", "MARK_KIND_SERIAL"),
        ("mark_value", ""),
        ("mark_location", ""),
        (
            "information_sought",
            "History up to the last legal possessor",
        ),
        ("purpose", "Identify the point of diversion"),
        ("intended_use", "Criminal investigation"),
        ("restriction", "USE_RESTRICTION_NO_ONWARD_DISCLOSURE"),
    ];

    // A value outside the form's choices: refused naming the field, nothing sent.
    let mut bad = fields.clone();
    bad.push(("tlp", "TLP_PURPLE"));
    let refused = gha.post("/compose", &bad, &[]).await?;
    ensure!(
        refused.status == 400 && refused.body.contains("marking.tlp"),
        "{refused:?}"
    );
    let none = f
        .poc("GHA")?
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner();
    ensure!(none.traces.is_empty(), "sent anyway: {:?}", none.traces);

    fields.push(("tlp", "TLP_AMBER"));
    let sent = gha.post("/compose", &fields, &[]).await?;
    ensure!(sent.status == 303, "{sent:?}");
    let location = sent.header("location").context("no location")?;
    let trace = location.trim_start_matches("/case/").to_string();
    f.until_state("BEL", &trace, "delivered").await?;

    let bel = f.browser("BEL", Role::Poc)?;
    let case = bel.get(&format!("/case/{trace}"), &[]).await?;
    for evidence in [
        "GPS/CID/2026/2001",
        "perron with ELG in oval",
        "barrel, right side",
        "NPF 4471",
        "butt stock",
        "military or police mark",
        "TLP:AMBER",
        "no onward disclosure",
    ] {
        ensure!(case.body.contains(evidence), "{evidence} missing at BEL");
    }
    f.shutdown().await;
    Ok(())
}

const HUB: &str = "hub:ECOWAS";

/// GHA and BEL behind the ECOWAS hub, whose console is on.
async fn behind_a_hub() -> anyhow::Result<Federation> {
    let mut f = Federation::empty()?;
    for member in ["GHA", "BEL"] {
        f.add(
            member,
            MemberOptions {
                routes: vec![("*".into(), HUB.into())],
                ..MemberOptions::default()
            },
        )?;
    }
    f.add(
        HUB,
        MemberOptions {
            hub: true,
            console: true,
            ..MemberOptions::default()
        },
    )?;
    f.sandbox.start_all().await?;
    for member in ["GHA", "BEL"] {
        f.sandbox
            .pin(&iti_tests::p(member), &iti_tests::p(HUB), &[])
            .await?;
        f.sandbox
            .pin(&iti_tests::p(HUB), &iti_tests::p(member), &[])
            .await?;
    }
    // Signed entries, gathered by the hub, then fetched by its members.
    for (who, serves) in [("GHA", vec![]), ("BEL", vec![]), (HUB, vec!["GHA", "BEL"])] {
        f.sandbox
            .publish_directory_entry(&iti_tests::p(who), &serves, 1)
            .await?;
    }
    for who in [HUB, "GHA", "BEL"] {
        f.node(who)?.refresh_directory().await?;
    }
    Ok(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_operator_sees_the_figures_per_member() -> anyhow::Result<()> {
    let mut f = behind_a_hub().await?;
    let operator = f.browser(HUB, Role::Admin)?;
    let page = operator.get("/hub?lang=fr", &[]).await?;
    ensure!(
        page.body.contains("href=\"/hub\""),
        "no hub figures in a hub's navigation"
    );
    ensure!(page.status == 200, "{page:?}");
    ensure_locked_down(&page)?;
    ensure!(
        page.body.contains("Chiffres par membre")
            && page.body.contains(">GHA<")
            && page.body.contains(">BEL<")
            && page.body.contains("<meter"),
        "{}",
        page.body
    );
    // The figures are for the roles `itictl hub stats` serves.
    let investigator = f.browser(HUB, Role::Investigator)?.get("/hub", &[]).await?;
    ensure!(investigator.status == 403, "{investigator:?}");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_shows_the_timeline_and_each_section_under_its_own_marking() -> anyhow::Result<()>
{
    let (mut f, trace) = request_delivered().await?;
    let mut bel = f.poc("BEL")?;
    iti_tests::act(
        &mut bel,
        &trace,
        pb::act_request::Action::Acknowledge(pb::Acknowledgement::default()),
    )
    .await?;
    iti_tests::act(
        &mut bel,
        &trace,
        pb::act_request::Action::Respond(fixtures::bel_export_response()),
    )
    .await?;
    f.until_state("GHA", &trace, "responded").await?;

    let gha = f.browser("GHA", Role::Poc)?;
    let case = gha.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(case.status == 200, "{case:?}");
    let timeline = case
        .body
        .split("Timeline of the weapon")
        .nth(1)
        .context("no timeline")?;
    for step in [
        "manufactured, proof-marked at Liège",
        "exported to NGA via Antwerp and Rotterdam",
        "Conclusion",
    ] {
        ensure!(timeline.contains(step), "{step} missing from the timeline");
    }
    // The finding is GREEN, the commercial details AMBER and PROPRIETARY,
    // each shown with its own label in the TLP colours.
    ensure!(case.body.contains("10.4.3 exported"));
    ensure!(case.body.contains("class=\"tlp tlp-green\""));
    ensure!(case.body.contains("class=\"tlp tlp-amber\""));
    ensure!(case.body.contains("proprietary commercial information"));
    ensure!(case.body.contains("NPF/PROC/2008/77"));
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_needs_a_date_to_come_and_moves_the_due_date() -> anyhow::Result<()> {
    use iti_node::clock::Clock;
    let (mut f, trace) = request_delivered().await?;
    let bel = f.browser("BEL", Role::Poc)?;
    let token = bel
        .get(&format!("/case/{trace}"), &[])
        .await?
        .hidden("csrf")
        .context("no form")?;
    let ack = bel
        .post(
            &format!("/case/{trace}/acknowledge"),
            &[("csrf", &token)],
            &[],
        )
        .await?;
    ensure!(ack.status == 303, "{ack:?}");
    let path = format!("/case/{trace}/delay");
    let reason = ("reason", "WITHHOLDING_REASON_ONGOING_INVESTIGATION_OR_LAW");
    let why = ("explanation", "records held by the court until the hearing");

    let not_a_date = bel
        .post(
            &path,
            &[("csrf", &token), ("new_response_due", "soon"), reason, why],
            &[],
        )
        .await?;
    ensure!(
        not_a_date.status == 400 && not_a_date.body.contains("delay.newResponseDue"),
        "{not_a_date:?}"
    );
    let past = (f.clock.now() - time::Duration::days(3)).date().to_string();
    let in_the_past = bel
        .post(
            &path,
            &[("csrf", &token), ("new_response_due", &past), reason, why],
            &[],
        )
        .await?;
    ensure!(
        in_the_past.status == 400 && in_the_past.body.contains("delay.newResponseDue"),
        "{in_the_past:?}"
    );
    let state = summary(&mut f.poc("BEL")?, &trace)
        .await?
        .context("trace")?;
    ensure!(state.state == "acknowledged", "changed: {}", state.state);

    let later = (f.clock.now() + time::Duration::days(40))
        .date()
        .to_string();
    let done = bel
        .post(
            &path,
            &[("csrf", &token), ("new_response_due", &later), reason, why],
            &[],
        )
        .await?;
    ensure!(done.status == 303, "{done:?}");
    f.until_state("GHA", &trace, "delayed").await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let case = gha.get(&format!("/case/{trace}?lang=fr"), &[]).await?;
    ensure!(
        case.body.contains("différé")
            && case.body.contains(&later)
            && case
                .body
                .contains("records held by the court until the hearing"),
        "GHA does not see the delay"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_case_stays_reachable_from_the_inbox() -> anyhow::Result<()> {
    let (mut f, trace) = request_delivered().await?;
    let mut poc = f.poc("GHA")?;
    iti_tests::act(
        &mut poc,
        &trace,
        pb::act_request::Action::Close(pb::Closure {
            outcome: "traced domestically".into(),
        }),
    )
    .await?;
    let inbox = f.browser("GHA", Role::Poc)?.get("/", &[]).await?;
    let (open, closed) = inbox
        .body
        .split_once("id=\"closed\"")
        .context("a section of closed cases")?;
    ensure!(
        !open.contains(short(&trace)),
        "a closed case listed as open"
    );
    ensure!(
        closed.contains(&format!("href=\"/case/{trace}\"")),
        "the closed case is not linked: {closed}"
    );
    f.shutdown().await;
    Ok(())
}

async fn submit(f: &mut Federation, from: &str) -> anyhow::Result<String> {
    Ok(f.poc(from)?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: true,
        })
        .await?
        .into_inner()
        .trace_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_operator_sees_each_day_and_the_members_unreachable_now() -> anyhow::Result<()> {
    let mut f = behind_a_hub().await?;
    let first = submit(&mut f, "GHA").await?;
    f.until_state("BEL", &first, "delivered").await?;
    // BEL goes offline; the hub's delivery of the next request fails.
    f.sandbox.stop(&iti_tests::p("BEL")).await?;
    submit(&mut f, "GHA").await?;
    let hub = f.node(HUB)?.clone();
    f.until("the hub's delivery to BEL fails", || {
        let hub = hub.clone();
        async move {
            let stats = hub.hub_stats().await?;
            Ok(stats
                .iter()
                .any(|m| m.member == "BEL" && m.unreachable_since.is_some()))
        }
    })
    .await?;

    let page = f.browser(HUB, Role::Admin)?.get("/hub", &[]).await?;
    ensure!(page.status == 200, "{page:?}");
    let (_, unreachable) = page
        .body
        .split_once("id=\"unreachable\"")
        .context("an unreachable section")?;
    let (unreachable, history) = unreachable
        .split_once("id=\"history\"")
        .context("a history section")?;
    ensure!(
        unreachable.contains("<strong>BEL</strong>")
            && !unreachable.contains("<strong>GHA</strong>"),
        "{unreachable}"
    );
    ensure!(unreachable.contains("1 waiting"), "{unreachable}");
    // Today's row of GHA's chart: two requests relayed, one still pending
    // (the one BEL has not received; the first is not answered either).
    let today = hub.now().date().to_string();
    let gha = history
        .split("<figure")
        .find(|chart| chart.contains("<figcaption>GHA</figcaption>"))
        .context("GHA's chart")?;
    ensure!(
        gha.contains("<svg") && gha.contains("role=\"img\""),
        "{gha}"
    );
    ensure!(
        gha.contains(&format!(
            "<th scope=\"row\">{today}</th><td>2</td><td>2</td><td>0</td>"
        )),
        "{gha}"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overdue_page_lists_what_is_late_and_who_owes_it() -> anyhow::Result<()> {
    let (mut f, trace) = request_delivered().await?;
    let bel = f.browser("BEL", Role::Poc)?;
    let before = bel.get("/overdue", &[]).await?;
    ensure!(!before.body.contains(short(&trace)), "{}", before.body);
    // Seven days to acknowledge (10.1): eight days on, BEL owes it.
    f.advance(time::Duration::days(8));
    let page = bel.get("/overdue?lang=fr", &[]).await?;
    ensure!(page.status == 200, "{page:?}");
    ensure_locked_down(&page)?;
    let (_, row) = page
        .body
        .split_once(short(&trace))
        .context("the late trace listed")?;
    ensure!(
        row.contains("accusé de réception (10.1)") && row.contains("BEL"),
        "{row}"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_the_trail_facts_only_and_verifies_the_chain() -> anyhow::Result<()> {
    let (mut f, trace) = request_delivered().await?;
    let auditor = f.browser("BEL", Role::Auditor)?;
    let page = auditor.get("/audit", &[]).await?;
    ensure!(page.status == 200, "{page:?}");
    ensure_locked_down(&page)?;
    ensure!(
        page.body.contains(&trace),
        "the trace's entries: {}",
        page.body
    );
    // Facts, never content: not the request's free text.
    ensure!(!page.body.contains("alert("), "content in the audit page");
    let verified = auditor.get("/audit?verify=1", &[]).await?;
    ensure!(
        verified.body.contains("The hash chain is intact"),
        "{}",
        verified.body
    );
    let investigator = f.browser("BEL", Role::Investigator)?;
    ensure!(investigator.get("/audit", &[]).await?.status == 403);
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_reads_peers_with_ca_expiry_and_the_directory_and_nobody_else_does()
-> anyhow::Result<()> {
    let (mut f, _) = request_delivered().await?;
    let gha_ca = f.sandbox.member(&iti_tests::p("GHA"))?.ca.cert_der()?;
    let fingerprint = iti_node::identity::pki::fingerprint(&gha_ca);
    let expires = iti_node::identity::pki::not_after(&gha_ca).context("CA expiry")?;
    let admin = f.browser("BEL", Role::Admin)?;
    let page = admin.get("/admin", &[]).await?;
    ensure!(page.status == 200, "{page:?}");
    ensure_locked_down(&page)?;
    let (_, gha) = page
        .body
        .split_once("<th scope=\"row\">GHA</th>")
        .context("GHA among the peers")?;
    ensure!(gha.contains(&fingerprint), "{gha}");
    let shown = iti_node::render::time(Some(&iti_node::clock::to_timestamp(expires)));
    ensure!(gha.contains(&shown), "expiry {shown}: {gha}");
    ensure!(
        page.body.contains("href=\"/admin\""),
        "the admin's navigation"
    );

    let poc = f.browser("BEL", Role::Poc)?;
    ensure!(poc.get("/admin", &[]).await?.status == 403);
    // Each officer's navigation offers only the pages of their role.
    let inbox = poc.get("/", &[]).await?;
    ensure!(
        !inbox.body.contains("href=\"/admin\"") && inbox.body.contains("href=\"/compose\""),
        "{}",
        inbox.body
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_is_made_for_a_period_and_a_bad_date_is_named() -> anyhow::Result<()> {
    let (mut f, _) = request_delivered().await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let page = gha.get("/report", &[]).await?;
    ensure!(page.status == 200, "{page:?}");
    ensure_locked_down(&page)?;
    let expected = f
        .poc("GHA")?
        .report(pb::ReportRequest::default())
        .await?
        .into_inner()
        .text;
    let first = expected.lines().next().context("a report")?;
    ensure!(page.body.contains(first), "{first}: {}", page.body);
    let bad = gha.get("/report?from=2026-13-40", &[]).await?;
    ensure!(bad.status == 400 && bad.body.contains("from"), "{bad:?}");
    f.shutdown().await;
    Ok(())
}
