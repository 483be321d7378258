//! The console in French (issue 14): what the node finds, not only the
//! labels, reads in French — the routing grounds (9.1, 9.2.1 b) and the
//! completeness hints (10.2) of a checked request, the items' summary and
//! the grounds and the history on the case page, the clause 12 report —
//! while what officers typed is shown as written.

use anyhow::ensure;
use iti_node::identity::Role;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::console::{Browser, Page};
use iti_tests::{Federation, fixtures};

const FRENCH: [(&str, &str); 1] = [("Accept-Language", "fr-FR,fr;q=0.9")];

fn with_console() -> MemberOptions {
    MemberOptions {
        console: true,
        ..MemberOptions::default()
    }
}

/// Every `wanted` is on the page and none of `english`.
fn ensure_french(page: &Page, wanted: &[&str], english: &[&str]) -> anyhow::Result<()> {
    ensure!(page.status == 200, "{page:?}");
    ensure_words(page, wanted, english)
}

/// Every `wanted` is on the page, whatever its status, and none of `english`.
fn ensure_words(page: &Page, wanted: &[&str], english: &[&str]) -> anyhow::Result<()> {
    for w in wanted {
        ensure!(page.body.contains(w), "{w:?} missing from:\n{}", page.body);
    }
    for e in english {
        ensure!(
            !page.body.contains(e),
            "{e:?} on the French page:\n{}",
            page.body
        );
    }
    Ok(())
}

/// The request of the demo (a FAL and 120 cartridges, both made in BEL)
/// as the compose form sends it, without its legal basis.
fn typed(token: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf", token),
        ("requester_reference", "GPS/CID/2026/3001"),
        ("illicit_nature", "Held without licence (clause 4 a)"),
        ("item", "weapon"),
        ("quantity", "1"),
        ("make", "FN Herstal"),
        ("model", "FAL 50.00"),
        ("calibre", "7.62x51mm NATO"),
        ("serial_number", "1502347"),
        ("country_of_manufacture", "BEL"),
        ("item", "ammunition"),
        ("quantity", "120"),
        ("calibre", "7.62x51mm NATO"),
        ("lot_number", "FN-2019-117"),
        ("manufacturer", "FN Herstal"),
        ("country_of_manufacture", "BEL"),
        (
            "information_sought",
            "History up to the last legal possessor",
        ),
        ("purpose", "Identify the point of diversion"),
        ("intended_use", "Criminal investigation"),
        ("tlp", "TLP_AMBER"),
    ]
}

async fn check_in_french(gha: &Browser) -> anyhow::Result<Page> {
    let form = gha.get("/compose", &FRENCH).await?;
    let token = form.hidden("csrf").unwrap_or_default();
    gha.post("/compose/check", &typed(&token), &FRENCH).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compose_check_gives_the_grounds_and_the_hints_in_french() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let checked = check_in_french(&gha).await?;
    ensure_french(
        &checked,
        &[
            "identification de items[0] donne BEL comme pays de fabrication \
             (ISACS 05.31 9.1 c).",
            "identification de items[1] désigne aussi BEL.",
            "context.legalBasis",
            "la justification juridique de la demande",
        ],
        &[
            "gives BEL as the country of manufacture",
            "also points to",
            "the legal justification for the request",
        ],
    )?;
    f.shutdown().await;
    Ok(())
}

/// GHA asks BEL with the demo's request; BEL answers "exported to NGA".
async fn answered(f: &mut Federation) -> anyhow::Result<String> {
    let trace = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            ..Default::default()
        })
        .await?
        .into_inner()
        .trace_id;
    f.until_state("BEL", &trace, "delivered").await?;
    let mut bel = f.poc("BEL")?;
    let ack = pb::act_request::Action::Acknowledge(pb::Acknowledgement::default());
    iti_tests::act(&mut bel, &trace, ack).await?;
    let respond = pb::act_request::Action::Respond(fixtures::bel_export_response());
    iti_tests::act(&mut bel, &trace, respond).await?;
    f.until_state("GHA", &trace, "responded").await?;
    Ok(trace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_page_and_the_report_read_in_french() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let trace = answered(&mut f).await?;
    let gha = f.browser("GHA", Role::Poc)?;

    let case = gha.get(&format!("/case/{trace}"), &FRENCH).await?;
    ensure_french(
        &case,
        &[
            // The items' summary: words in French, what was typed as typed.
            "120 × munitions 7.62x51mm NATO lot FN-08-114 (FN Herstal)",
            "n° de série",
            // The grounds the request carries in English, read in French.
            "donne BEL comme pays de fabrication (ISACS 05.31 9.1 c)",
            // BEL's officer's words, as written.
            "Nigeria Police Force",
            // The history: the node's facts in French, the officer's role too.
            "demande envoyée à BEL (9.1 c marquage de fabrication)",
            "BEL a signé la réception de : demande, le ",
            "accusé de réception (10.1) de BEL",
            "(point de contact)",
        ],
        &[
            "ammunition 7.62x51mm",
            "gives BEL as the country",
            "also points to",
            "request sent to",
            "signed receipt of",
            "acknowledgement of receipt (10.1) from",
            "(poc)",
        ],
    )?;

    let report = gha.get("/report", &FRENCH).await?;
    ensure_french(
        &report,
        &[
            "Rapport ITI Exchange pour GHA (ISACS 05.31 clause 12)",
            "demandes internationales de traçage envoyées : 1",
            // BEL's answer carries commercial data no report may hold.
            "1 réponse(s) écartée(s) : leurs marquages ne permettent pas",
            "système national de traçage (clauses 7.5, 8) :",
            "délai médian de réponse : aucune réponse",
        ],
        &[
            "ITI Exchange report for",
            "requests received",
            "left out",
            "national tracing system",
            "none answered",
        ],
    )?;
    f.shutdown().await;
    Ok(())
}

/// GHA asks BEL with the demo's request; BEL acknowledges it.
async fn acknowledged(f: &mut Federation) -> anyhow::Result<String> {
    let trace = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            ..Default::default()
        })
        .await?
        .into_inner()
        .trace_id;
    f.until_state("BEL", &trace, "delivered").await?;
    let ack = pb::act_request::Action::Acknowledge(pb::Acknowledgement::default());
    iti_tests::act(&mut f.poc("BEL")?, &trace, ack).await?;
    Ok(trace)
}

/// The requested state's forms (respond, return, delay, refuse) and the
/// respond page, in French.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requested_states_forms_read_in_french() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let trace = acknowledged(&mut f).await?;
    let bel = f.browser("BEL", Role::Poc)?;
    let case = bel.get(&format!("/case/{trace}"), &FRENCH).await?;
    ensure_french(
        &case,
        &[
            "Répondre (10.4)",
            "Renvoyer pour complément (10.2)",
            "Différer la réponse (10.5.2)",
            "Refuser (10.5.2)",
            "10.5.2 (c) sécurité nationale",
            "Langue :",
            // The node's conclusion, from the catalogs.
            "Conclusion : </strong>Ouvert",
        ],
        &[
            "Respond (10.4)",
            "Return for completion",
            "Delay the response",
            "Refuse (10.5.2)",
            "national security",
            "Language:",
            "Conclusion:",
            "</strong>Open",
        ],
    )?;
    let respond = bel.get(&format!("/case/{trace}/respond"), &FRENCH).await?;
    ensure_french(
        &respond,
        &[
            "Constat (10.4)",
            "Dernier détenteur légal",
            "Détails commerciaux",
        ],
        &[
            "Finding (10.4)",
            "Last legal possessor",
            "Commercial details",
        ],
    )?;
    f.shutdown().await;
    Ok(())
}

/// The requester's forms (clarify, consent, forward, export), the
/// provider's consent form, a refusal of the gate and a form's error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requesters_forms_refusals_and_errors_read_in_french() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let trace = answered(&mut f).await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let case = gha.get(&format!("/case/{trace}"), &FRENCH).await?;
    ensure_french(
        &case,
        &[
            "Demander une clarification (10.5.2)",
            "Demander le consentement de la source (10.3)",
            "Transmettre à (un État, hub:NOM ou panel:NOM)",
            "Comme preuve dans une procédure judiciaire",
            "Exportée par BEL vers NGA : suite à donner auprès de NGA",
            // The node's words for the step, the officer's for the category.
            "Dernier détenteur légal (manufacturer).",
        ],
        &[
            "Ask for clarification",
            "Ask the provider",
            "Forward to",
            "As evidence",
            "Exported by BEL",
            "follow-up with",
            "Last legal possessor (",
        ],
    )?;
    let token = case.hidden("csrf").unwrap_or_default();
    let forward = [("csrf", token.as_str()), ("to", "NGA")];
    let refused = gha
        .post(&format!("/case/{trace}/forward"), &forward, &FRENCH)
        .await?;
    ensure!(refused.status == 403, "{refused:?}");
    ensure_words(
        &refused,
        &[
            "transmission à un État tiers : refusée (vers NGA)",
            "information commerciale exclusive",
        ],
        &["forwarding to a third state", "refused", "forbids"],
    )?;
    let no_use = [("csrf", token.as_str()), ("use", "nothing")];
    let invalid = gha
        .post(&format!("/case/{trace}/consent/request"), &no_use, &FRENCH)
        .await?;
    ensure!(invalid.status == 400, "{invalid:?}");
    ensure_words(
        &invalid,
        &["consentRequest.use : choisissez l'une des options du formulaire"],
        &["choose one of the form's choices"],
    )?;
    let bel = f.browser("BEL", Role::Poc)?;
    let provider = bel.get(&format!("/case/{trace}"), &FRENCH).await?;
    ensure_french(
        &provider,
        &["Donner son consentement (10.3)", "Refuser le consentement"],
        &["Grant consent", "Decline consent"],
    )?;
    f.shutdown().await;
    Ok(())
}

/// Overdue items, the audit trail and its verification, the admin's page
/// and the error pages, in French.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overdue_audit_admin_and_error_pages_read_in_french() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let trace = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            ..Default::default()
        })
        .await?
        .into_inner()
        .trace_id;
    f.until_state("BEL", &trace, "delivered").await?;
    // GHA holds BEL's audit head once it has stored BEL's receipt: only
    // then can the verification below find GHA consistent.
    f.until_state("GHA", &trace, "delivered").await?;
    f.advance(time::Duration::days(8));
    let overdue = f
        .browser("BEL", Role::Poc)?
        .get("/overdue", &FRENCH)
        .await?;
    ensure_french(
        &overdue,
        &["Ce qui est dû", "accusé de réception (10.1)", "Dû par"],
        &["What is due", "acknowledgement (10.1)", "Owed by"],
    )?;
    let auditor = f.browser("BEL", Role::Auditor)?;
    let audit = auditor.get("/audit", &FRENCH).await?;
    ensure_french(
        &audit,
        &[
            "<code>request_received</code> (demande reçue)",
            "<code>peer_added</code> (pair épinglé)",
            "la plus récente d'abord",
        ],
        &["newest first", "Verify the chain"],
    )?;
    let verified = auditor.get("/audit?verify=1", &FRENCH).await?;
    ensure_french(
        &verified,
        &["La chaîne de hachage est intacte : 2 entrées.", "cohérente"],
        &["The hash chain is intact", "consistent"],
    )?;
    let admin = f
        .browser("BEL", Role::Admin)?
        .get("/admin", &FRENCH)
        .await?;
    ensure_french(
        &admin,
        &["Pairs épinglés", "Expiration de l'AC", "Annuaire"],
        &["Pinned peers", "CA expires", "Directory"],
    )?;
    let investigator = f.browser("BEL", Role::Investigator)?;
    let denied = investigator.get("/audit", &FRENCH).await?;
    ensure!(denied.status == 403, "{denied:?}");
    ensure_words(
        &denied,
        &[
            "Vous ne pouvez pas faire ceci.",
            "Détail technique (en anglais) :",
        ],
        &["You may not do this", "Technical detail"],
    )?;
    let photo = investigator
        .get(&format!("/photo/{}", "ab".repeat(32)), &FRENCH)
        .await?;
    ensure_words(&photo, &["Introuvable."], &["Not found"])?;
    f.shutdown().await;
    Ok(())
}

const HUB: &str = "hub:ECOWAS";

/// GHA and BEL behind hub:ECOWAS, each with the console.
async fn behind_a_hub() -> anyhow::Result<Federation> {
    let mut f = Federation::empty()?;
    for member in ["GHA", "BEL"] {
        let options = MemberOptions {
            routes: vec![("*".into(), HUB.into())],
            ..with_console()
        };
        f.add(member, options)?;
    }
    let hub = MemberOptions {
        hub: true,
        ..with_console()
    };
    f.add(HUB, hub)?;
    f.sandbox.start_all().await?;
    for member in ["GHA", "BEL"] {
        let (m, h) = (iti_tests::p(member), iti_tests::p(HUB));
        f.sandbox.pin(&m, &h, &[]).await?;
        f.sandbox.pin(&h, &m, &[]).await?;
    }
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

/// The hub operator's figures, in French.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_figures_read_in_french() -> anyhow::Result<()> {
    let mut f = behind_a_hub().await?;
    let trace = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            ..Default::default()
        })
        .await?
        .into_inner()
        .trace_id;
    f.until_state("BEL", &trace, "delivered").await?;
    let operator = f.browser(HUB, Role::Admin)?;
    let page = operator.get("/hub", &FRENCH).await?;
    ensure_french(
        &page,
        &[
            "Chiffres par membre",
            "Injoignables en ce moment",
            "Tous les membres sont joignables.",
            "Délai médian de réponse",
        ],
        &["Figures per member", "Unreachable now", "Median"],
    )?;
    // The hub's directory: how it knows each CA, in French.
    let admin = operator.get("/admin", &FRENCH).await?;
    ensure_french(
        &admin,
        &[
            "<td>ce nœud</td>",
            "<td>épinglé par un·e administrateur·rice</td>",
        ],
        &["<td>self</td>", "<td>pinned</td>", "pinned by an admin"],
    )?;
    // GHA knows BEL only from the hub: its standing, in French.
    let member = f
        .browser("GHA", Role::Admin)?
        .get("/admin", &FRENCH)
        .await?;
    ensure_french(
        &member,
        &["NON CONFIRMÉE : garantie par hub:ECOWAS (1 hub(s) sur 2)"],
        &["UNCONFIRMED", "vouched for by"],
    )?;
    f.shutdown().await;
    Ok(())
}
