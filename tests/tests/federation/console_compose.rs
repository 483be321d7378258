//! Composing a request in the console (9.2, clause 6 and 13): a seized
//! cache of several items, each with its quantity and every mark with its
//! kind and location, arrives as typed; "Check" shows the routing plan
//! (9.1) and the completeness hints (10.2) and sends nothing; a bad field is
//! named, the form shown again as typed, and nothing sent; a plan to a state
//! that is not in the directory says plainly that it is not reachable.

use anyhow::{Context, ensure};
use iti_node::identity::Role;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::console::Browser;
use iti_tests::{Federation, p, trace_view};
use pb::recovered_item::Item;

fn with_console() -> MemberOptions {
    MemberOptions {
        console: true,
        ..MemberOptions::default()
    }
}

/// A cache seized at Nsawam: a rifle with two marks, 120 cartridges of one
/// lot, a barrel with an assembly mark; every item made in BEL.
fn cache(token: &str) -> Vec<(String, String)> {
    let fields: &[(&str, &str)] = &[
        ("csrf", token),
        ("requester_reference", "GPS/CID/2026/3001"),
        ("recovered_on", "2026-10-02"),
        ("place_of_recovery", "Nsawam, Eastern Region"),
        ("illicit_nature", "Held without licence (clause 4 a)"),
        ("legal_basis", "Act 96, s. 4"),
        ("circumstances", "Warehouse search"),
        ("item", "weapon"),
        ("item_ref", "exhibit 1"),
        ("quantity", "1"),
        ("make", "FN Herstal"),
        ("model", "FAL 50.00"),
        ("calibre", "7.62x51mm NATO"),
        ("serial_number", "1502347"),
        ("country_of_manufacture", "BEL"),
        ("mark_kind", "MARK_KIND_PROOF"),
        ("mark_value", "perron with ELG in oval"),
        ("mark_location", "barrel, right side"),
        ("mark_country", ""),
        ("mark_kind", "MARK_KIND_MILITARY_POLICE"),
        ("mark_value", "NPF 4471"),
        ("mark_location", "butt stock"),
        ("mark_country", ""),
        ("mark_kind", "MARK_KIND_SERIAL"),
        ("mark_value", ""),
        ("mark_location", ""),
        ("mark_country", ""),
        ("item", "ammunition"),
        ("item_ref", "exhibit 2"),
        ("quantity", "120"),
        ("calibre", "7.62x51mm NATO"),
        ("lot_number", "FN-2019-117"),
        ("manufacturer", "FN Herstal"),
        ("country_of_manufacture", "BEL"),
        ("year_of_production", "2019"),
        ("item", "part"),
        ("item_ref", "exhibit 3"),
        ("quantity", "2"),
        ("part_kind", "PART_KIND_BARREL"),
        ("serial_number", "B-88"),
        ("country_of_manufacture", "BEL"),
        ("mark_kind", "MARK_KIND_ASSEMBLY"),
        ("mark_value", "A-17"),
        ("mark_location", "chamber"),
        ("mark_country", ""),
        // A blank block, as the form offers one: ignored.
        ("item", "weapon"),
        ("make", ""),
        (
            "information_sought",
            "History up to the last legal possessor",
        ),
        ("purpose", "Identify the point of diversion"),
        ("intended_use", "Criminal investigation"),
        ("tlp", "TLP_AMBER"),
    ];
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn without(fields: &[(String, String)], name: &str) -> Vec<(String, String)> {
    fields.iter().filter(|(k, _)| k != name).cloned().collect()
}

fn replaced(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.clone(), if k == name { value.into() } else { v.clone() }))
        .collect()
}

async fn post(
    browser: &Browser,
    path: &str,
    fields: &[(String, String)],
) -> anyhow::Result<iti_tests::console::Page> {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    browser.post(path, &pairs, &[]).await
}

/// The traces `participant`'s node holds.
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

async fn compose_page(browser: &Browser) -> anyhow::Result<String> {
    let page = browser.get("/compose", &[]).await?;
    ensure!(page.status == 200, "{page:?}");
    for id in [
        "id=\"compose\"",
        "id=\"item0_make\"",
        "id=\"item0_mark1_value\"",
        "id=\"item1_lot_number\"",
        "id=\"item1_quantity\"",
        "id=\"item2_part_kind\"",
        "id=\"compose-check\"",
    ] {
        ensure!(page.body.contains(id), "{id} missing: {}", page.body);
    }
    page.hidden("csrf").context("no CSRF token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_composed_in_the_console_arrives_with_its_items_marks_and_quantities()
-> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let token = compose_page(&gha).await?;
    let sent = post(&gha, "/compose", &cache(&token)).await?;
    ensure!(sent.status == 303, "{sent:?}");
    let trace = sent
        .header("location")
        .context("no location")?
        .trim_start_matches("/case/")
        .to_string();
    f.until_state("BEL", &trace, "delivered").await?;

    let view = trace_view(&mut f.poc("BEL")?, &trace).await?;
    let request = view
        .messages
        .iter()
        .find_map(|m| match m.payload.as_ref()?.body.as_ref()? {
            pb::payload::Body::Request(r) => Some(r.clone()),
            _ => None,
        })
        .context("no request at BEL")?;
    ensure!(request.items.len() == 3, "{:?}", request.items);
    let Some(Item::Weapon(w)) = &request.items[0].item else {
        anyhow::bail!("no weapon first: {:?}", request.items[0])
    };
    let marks: Vec<(i32, &str, &str)> = w
        .marks
        .iter()
        .map(|m| (m.kind, m.value.as_str(), m.location.as_str()))
        .collect();
    ensure!(
        marks
            == [
                (
                    pb::MarkKind::Proof as i32,
                    "perron with ELG in oval",
                    "barrel, right side"
                ),
                (
                    pb::MarkKind::MilitaryPolice as i32,
                    "NPF 4471",
                    "butt stock"
                )
            ],
        "{marks:?}"
    );
    ensure!(
        matches!(&request.items[1].item,
            Some(Item::Ammunition(a)) if a.lot_number == "FN-2019-117" && a.year_of_production == 2019)
            && request.items[1].quantity == 120,
        "{:?}",
        request.items[1]
    );
    let Some(Item::Part(part)) = &request.items[2].item else {
        anyhow::bail!("no part third: {:?}", request.items[2])
    };
    ensure!(
        part.kind == pb::PartKind::Barrel as i32
            && part.marks[0].value == "A-17"
            && part.marks[0].location == "chamber"
            && request.items[2].quantity == 2,
        "{:?}",
        request.items[2]
    );

    // BEL's officer reads the cache in the console too.
    let page = f
        .browser("BEL", Role::Poc)?
        .get(&format!("/case/{trace}"), &[])
        .await?;
    for evidence in ["FN-2019-117", "120", "A-17", "chamber", "NPF 4471"] {
        ensure!(page.body.contains(evidence), "{evidence} missing at BEL");
    }
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_shows_the_plan_and_the_hints_of_what_was_typed_and_sends_nothing()
-> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let token = compose_page(&gha).await?;
    // No legal basis: the requested state may return it for completion.
    let fields = without(&cache(&token), "legal_basis");
    let checked = post(&gha, "/compose/check", &fields).await?;
    ensure!(checked.status == 200, "{checked:?}");
    let body = &checked.body;
    for shown in [
        "id=\"plan\"",
        "9.1 c manufacture marking",
        ">BEL<",
        "direct",
        "id=\"hints\"",
        "context.legalBasis",
        // The form again, as typed.
        "value=\"FN-2019-117\"",
        "value=\"NPF 4471\"",
        "value=\"120\"",
    ] {
        ensure!(body.contains(shown), "{shown} not shown: {body}");
    }
    ensure!(
        !body.contains("plan-not-reachable"),
        "BEL is peered: {body}"
    );
    ensure!(traces(&mut f, "GHA").await?.is_empty(), "a check sent it");
    ensure!(traces(&mut f, "BEL").await?.is_empty(), "BEL received it");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_and_hints_follow_what_is_typed_before_anything_is_sent() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let token = compose_page(&gha).await?;

    // The page's own script asks for the plan as the officer types; it is
    // served from the binary, as the CSP allows.
    let page = gha.get("/compose", &[]).await?;
    ensure!(
        page.body
            .contains("<script src=\"/static/compose.js\" defer></script>")
            && page.body.contains("id=\"outcome\" aria-live=\"polite\""),
        "{}",
        page.body
    );
    let script = gha.get("/static/compose.js", &[]).await?;
    ensure!(
        script.status == 200
            && script.header("content-type") == Some("text/javascript; charset=utf-8")
            && script.body.contains("/compose/plan"),
        "{script:?}"
    );

    // Half-typed: the plan, and the hint that the legal basis is missing;
    // a fragment only, not the form again.
    let fields = without(&cache(&token), "legal_basis");
    let live = post(&gha, "/compose/plan", &fields).await?;
    ensure!(live.status == 200, "{live:?}");
    for shown in [
        "id=\"plan\"",
        "9.1 c manufacture marking",
        ">BEL<",
        "context.legalBasis",
    ] {
        ensure!(
            live.body.contains(shown),
            "{shown} not shown: {}",
            live.body
        );
    }
    ensure!(
        !live.body.contains("<form") && !live.body.contains("<html"),
        "{}",
        live.body
    );

    // The legal basis typed: the hint goes.
    let live = post(&gha, "/compose/plan", &cache(&token)).await?;
    ensure!(
        live.body.contains("id=\"plan\"") && !live.body.contains("context.legalBasis"),
        "{}",
        live.body
    );

    // A field typed wrong is named as it is typed.
    let bad = replaced(&cache(&token), "year_of_production", "late 2019");
    let live = post(&gha, "/compose/plan", &bad).await?;
    ensure!(
        live.status == 200
            && live.body.contains("id=\"compose-problem\"")
            && live.body.contains("items[1].ammunition.yearOfProduction"),
        "{live:?}"
    );

    // Like every form, it needs the officer's token.
    let forged = replaced(&cache(&token), "csrf", "00ff");
    ensure!(post(&gha, "/compose/plan", &forged).await?.status == 403);
    ensure!(
        traces(&mut f, "GHA").await?.is_empty(),
        "a live plan sent it"
    );
    ensure!(traces(&mut f, "BEL").await?.is_empty(), "BEL received it");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_field_is_named_the_form_kept_as_typed_and_nothing_sent() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let gha = f.browser("GHA", Role::Poc)?;
    let token = compose_page(&gha).await?;
    let bad = replaced(&cache(&token), "year_of_production", "late 2019");
    for path in ["/compose", "/compose/check"] {
        let refused = post(&gha, path, &bad).await?;
        ensure!(refused.status == 400, "{path}: {refused:?}");
        for shown in [
            "items[1].ammunition.yearOfProduction",
            "id=\"compose-problem\"",
            "value=\"late 2019\"",
            "value=\"perron with ELG in oval\"",
        ] {
            ensure!(
                refused.body.contains(shown),
                "{path}: {shown} not shown: {}",
                refused.body
            );
        }
    }
    // A mark's kind outside the form's choices, in the third item.
    let bad = replaced(&cache(&token), "mark_kind", "MARK_KIND_GRAFFITI");
    let refused = post(&gha, "/compose", &bad).await?;
    ensure!(
        refused.status == 400 && refused.body.contains("items[0].weapon.marks[0].kind"),
        "{refused:?}"
    );
    ensure!(traces(&mut f, "GHA").await?.is_empty(), "sent anyway");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_to_a_state_not_in_the_directory_says_it_is_not_reachable() -> anyhow::Result<()> {
    const HUB: &str = "hub:ECOWAS";
    let mut f = Federation::empty()?;
    f.add(
        "GHA",
        MemberOptions {
            console: true,
            routes: vec![("*".into(), HUB.into())],
            ..MemberOptions::default()
        },
    )?;
    f.add(
        HUB,
        MemberOptions {
            hub: true,
            ..MemberOptions::default()
        },
    )?;
    f.sandbox.start_all().await?;
    f.sandbox.pin(&p("GHA"), &p(HUB), &[]).await?;
    f.sandbox.pin(&p(HUB), &p("GHA"), &[]).await?;

    // The cache, made in NGA, which neither GHA nor its hub knows.
    let gha = f.browser("GHA", Role::Poc)?;
    let token = compose_page(&gha).await?;
    let fields = replaced(&cache(&token), "country_of_manufacture", "NGA");
    let checked = post(&gha, "/compose/check", &fields).await?;
    ensure!(
        checked.status == 200
            && checked.body.contains("id=\"plan-not-reachable\"")
            && checked.body.contains("NGA is not in the directory"),
        "{checked:?}"
    );

    // itictl's plan says it too, beside the hub on the way.
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("request.json");
    let request = serde_json::to_string(&pb::TraceRequest {
        items: vec![pb::RecoveredItem {
            quantity: 1,
            item: Some(Item::Weapon(pb::WeaponIdentification {
                make: "FN Herstal".into(),
                model: "FAL".into(),
                calibre: "7.62x51mm".into(),
                serial_number: "1502347".into(),
                country_of_manufacture: "NGA".into(),
                ..Default::default()
            })),
            ..Default::default()
        }],
        ..Default::default()
    })?;
    std::fs::write(&file, request)?;
    let plan = f
        .itictl(
            "GHA",
            None,
            &["request", "plan", "--file", &file.display().to_string()],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(
        plan.contains("via hub:ECOWAS")
            && plan.contains("NOT REACHABLE: NGA is not in the directory"),
        "{plan}"
    );
    ensure!(traces(&mut f, "GHA").await?.is_empty(), "a plan sent it");
    f.shutdown().await;
    Ok(())
}
