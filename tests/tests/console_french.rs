//! The console in French (issue 14): what the node finds, not only the
//! labels, reads in French — the routing grounds (9.1, 9.2.1 b) and the
//! completeness hints (10.2) of a checked request, the items' summary and
//! the grounds on the case page, the clause 12 report — while what
//! officers typed is shown as written.

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
        ],
        &[
            "ammunition 7.62x51mm",
            "gives BEL as the country",
            "also points to",
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
