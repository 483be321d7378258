//! `itictl` in the officer's language (issue 14, "Languages"): the POSIX
//! locale (LC_ALL, LC_MESSAGES, LANG) or `--lang` picks the catalogs the
//! console uses; labels and coded values are translated, what officers
//! wrote is printed as written.

use anyhow::{anyhow, ensure};
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures};

/// GHA asks BEL, BEL acknowledges and answers "exported to NGA".
async fn answered_case() -> anyhow::Result<(Federation, String)> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
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
    // BEL's officer acknowledges in French: itictl's own reply is French too.
    let acknowledged = f
        .itictl_in_locale("BEL", None, &[("LANG", "fr_BE.UTF-8")], &["ack", &trace])
        .await
        .map_err(|e| anyhow!(e))?;
    ensure!(
        acknowledged.starts_with("accusé de réception envoyé : enveloppe ")
            && acknowledged.contains("le traçage est maintenant accusé de réception"),
        "{acknowledged}"
    );
    let mut bel = f.poc("BEL")?;
    let respond = pb::act_request::Action::Respond(fixtures::bel_export_response());
    iti_tests::act(&mut bel, &trace, respond).await?;
    f.until_state("GHA", &trace, "responded").await?;
    Ok((f, trace))
}

fn ensure_all(text: &str, wanted: &[&str]) -> anyhow::Result<()> {
    for w in wanted {
        ensure!(text.contains(w), "{w:?} missing from:\n{text}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lang_fr_prints_the_case_in_french_and_what_officers_wrote_as_written() -> anyhow::Result<()>
{
    let (mut f, trace) = answered_case().await?;
    let show = ["case", "show", trace.as_str()];
    let french = f
        .itictl_in_locale("GHA", None, &[("LANG", "fr_FR.UTF-8")], &show)
        .await
        .map_err(|e| anyhow!(e))?;
    ensure_all(
        &french,
        &[
            // Labels and coded values (state, role, TLP, restriction, kind).
            "(demandeur — correspondant BEL)  état : répondu",
            "constat [TLP:GREEN] : 10.4.3 exportée le 2009-03-12 vers NGA (transit par NLD), \
             destinataire final Nigeria Police Force, Abuja",
            "données commerciales [TLP:AMBER [information commerciale exclusive]] : \
             contrat NPF/PROC/2008/77",
            "licence : export BE-W-2009-0412 (Walloon Region arms licensing, 2009-02-20)",
            "chronologie de l'arme :",
            "réception : réponse",
            "suite proposée",
            "réponse BEL → GHA",
            // The history: the node's facts in French, the officer's role too.
            "demande envoyée à BEL (9.1 c marquage de fabrication)",
            "BEL a signé la réception de : demande, le ",
            "accusé de réception (10.1) de BEL",
            "(point de contact)",
            // BEL's officer's words, as written.
            "Part of a consignment of 400 rifles",
            "manufactured, proof-marked at Liège",
        ],
    )?;
    for english in [
        "state: responded",
        "finding",
        "timeline of the weapon",
        "messages:\n",
        "request sent to",
        "signed receipt of",
        "acknowledgement of receipt (10.1) from",
        "(poc)",
    ] {
        ensure!(!french.contains(english), "{english:?} in:\n{french}");
    }

    // English by default, whatever the machine's locale; and for a locale
    // in a language itictl does not speak, or the C locale before LANG.
    let english = f.itictl("GHA", None, &show).await.map_err(|e| anyhow!(e))?;
    ensure_all(
        &english,
        &[
            "(requester — counterpart BEL)  state: responded",
            "finding [TLP:GREEN]: 10.4.3 exported on 2009-03-12 to NGA (transit NLD), \
             final consignee Nigeria Police Force, Abuja",
            "timeline of the weapon:",
            "request sent to BEL (9.1 c manufacture marking)",
            "acknowledgement of receipt (10.1) from BEL",
        ],
    )?;
    for env in [
        [("LANG", "de_DE.UTF-8"), ("LC_MESSAGES", "")],
        [("LC_ALL", "C"), ("LANG", "fr_FR.UTF-8")],
    ] {
        let shown = f
            .itictl_in_locale("GHA", None, &env, &show)
            .await
            .map_err(|e| anyhow!(e))?;
        ensure!(shown == english, "{env:?}:\n{shown}");
    }

    // `--lang` wins over the environment.
    let chosen = f
        .itictl_in_locale(
            "GHA",
            None,
            &[("LC_ALL", "fr_BE")],
            &["--lang", "en", "case", "show", &trace],
        )
        .await
        .map_err(|e| anyhow!(e))?;
    ensure!(chosen == english, "{chosen}");
    let unknown = f.itictl("GHA", None, &["--lang", "xx", "inbox"]).await;
    ensure!(
        unknown
            .as_ref()
            .is_err_and(|e| e.contains("--lang") && e.contains("en, fr")),
        "{unknown:?}"
    );
    f.shutdown().await;
    Ok(())
}

/// A drafted follow-up is read in full with `case show` before it is sent:
/// the request as it would go, after the fields' origins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_show_prints_the_drafted_follow_up_before_it_is_sent() -> anyhow::Result<()> {
    let (mut f, trace) = answered_case().await?;
    let shown = f
        .itictl_in_locale(
            "GHA",
            None,
            &[("LC_ALL", "C.UTF-8")],
            &["case", "show", &trace],
        )
        .await
        .map_err(|e| anyhow!(e))?;
    let (_, draft) = shown
        .split_once("draft (sent with `itictl request send`):")
        .ok_or_else(|| anyhow!("no draft in:\n{shown}"))?;
    // The draft's own lines, indented under its heading.
    let draft: Vec<&str> = draft
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect();
    let draft = draft.join("\n");
    ensure_all(
        &draft,
        &[
            "export record — from BEL under TLP:GREEN",
            "Grounds (9.2.1 b): Domestic records of BEL show the items were exported to NGA",
            "Serial number: 1502347",
        ],
    )?;
    f.shutdown().await;
    Ok(())
}

/// What the node finds reads in French too: a plan's grounds (9.1) and
/// hints (10.2), the items and grounds of `case show`, the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lang_fr_prints_the_plan_the_case_and_the_report_in_french() -> anyhow::Result<()> {
    let (mut f, trace) = answered_case().await?;
    let french = [("LANG", "fr_FR.UTF-8")];
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("request.json");
    let request = pb::TraceRequest {
        purpose: String::new(),
        ..fixtures::fal_request()
    };
    std::fs::write(&file, serde_json::to_string(&request)?)?;
    let file = file.display().to_string();
    let plan = ["request", "plan", "--file", file.as_str()];
    let plan = f.itictl_in_locale("GHA", None, &french, &plan).await;
    let plan = plan.map_err(|e| anyhow!(e))?;
    ensure_all(
        &plan,
        &[
            "motifs (9.2.1 b) : L'identification de items[0] donne BEL comme pays de \
             fabrication (ISACS 05.31 9.1 c). L'identification de items[1] désigne aussi BEL.",
            "- purpose (9.2.1 e): la finalité des informations recherchées",
        ],
    )?;
    let show = ["case", "show", trace.as_str()];
    let case = f.itictl_in_locale("GHA", None, &french, &show).await;
    let case = case.map_err(|e| anyhow!(e))?;
    ensure_all(
        &case,
        &[
            "; 120 × munitions 7.62x51mm NATO lot FN-08-114 (FN Herstal)",
            "Motifs (9.2.1 b) : L'identification de items[0] donne BEL",
        ],
    )?;
    let report = f.itictl_in_locale("GHA", None, &french, &["report"]).await;
    let report = report.map_err(|e| anyhow!(e))?;
    ensure_all(
        &report,
        &[
            "Rapport ITI Exchange pour GHA (ISACS 05.31 clause 12)",
            "répondues : 1, refusées : 0",
            "1 réponse(s) écartée(s)",
        ],
    )?;
    let whoami = f.itictl_in_locale("GHA", None, &french, &["whoami"]).await;
    let whoami = whoami.map_err(|e| anyhow!(e))?;
    ensure_all(&whoami, &["sur le nœud d'État de GHA"])?;
    for (text, english) in [
        (&whoami, "on the state node"),
        (&plan, "gives BEL as the country"),
        (&plan, "the purpose of the information sought"),
        (&case, "ammunition 7.62x51mm"),
        (&report, "ITI Exchange report"),
    ] {
        ensure!(!text.contains(english), "{english:?} in:\n{text}");
    }
    f.shutdown().await;
    Ok(())
}

/// `itictl records import|search|history` in French: labels translated,
/// the records' own words (sources, names, keys) as imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lang_fr_prints_records_import_search_and_history_in_french() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["BEL"]).await?;
    let dir = tempfile::tempdir()?;
    let made = dir.path().join("fn.json");
    std::fs::write(
        &made,
        r#"[{"id": "FN-2008-1502347", "make": "FN Herstal", "model": "FAL 50.00", "serial": "1502347", "made": "2008-11-04", "by": "FN Herstal SA"}]"#,
    )?;
    let map = dir.path().join("fn.toml");
    std::fs::write(
        &map,
        "domain = \"manufacturers\"\n[columns]\nsource_key = \"id\"\nmake = \"make\"\n\
         model = \"model\"\nserial = \"serial\"\ndate = \"made\"\nmanufacturer = \"by\"\n\
         [markings]\n\"*\" = \"TLP:GREEN\"\n",
    )?;
    let (made, map) = (made.display().to_string(), map.display().to_string());
    let french = [("LANG", "fr_FR.UTF-8")];
    let import = [
        "records",
        "import",
        "--source",
        "fn-herstal",
        "--kind",
        "manufacture",
        "--mapping",
        &map,
        &made,
    ];
    let imported = f.itictl_in_locale("BEL", None, &french, &import).await;
    let imported = imported.map_err(|e| anyhow!(e))?;
    ensure_all(
        &imported,
        &["1 enregistrement(s) importé(s) (0 mis à jour sur place)"],
    )?;
    let weapon = ["--make", "FN Herstal", "--serial", "1502347"];
    let search = [&["records", "search"][..], &weapon].concat();
    let found = f.itictl_in_locale("BEL", None, &french, &search).await;
    let found = found.map_err(|e| anyhow!(e))?;
    ensure_all(
        &found,
        &[
            "1 enregistrement(s) correspondant(s), dans",
            "clé FN-2008-1502347",
            "FN Herstal SA",
            // The match's quality and the record's kind are coded values.
            "correspondance exacte",
            "fabrication",
        ],
    )?;
    let history = [&["records", "history"][..], &weapon].concat();
    let history = f.itictl_in_locale("BEL", None, &french, &history).await;
    let history = history.map_err(|e| anyhow!(e))?;
    ensure_all(
        &history,
        &["clé FN-2008-1502347", "fin : ", "(correspondance exacte)"],
    )?;
    for (text, english) in [
        (&imported, "record(s) imported"),
        (&found, "record(s) matched"),
        (&found, "key FN-"),
        (&history, "key FN-"),
        (&history, "end: "),
    ] {
        ensure!(!text.contains(english), "{english:?} in:\n{text}");
    }
    f.shutdown().await;
    Ok(())
}

/// `itictl` without a node, under `LANG`: its output and the locale's
/// language, as `main` takes it.
async fn itictl_offline(lang: &str, args: &[&str]) -> anyhow::Result<String> {
    let locale = iti_node::i18n::Lang::from_posix(|v| (v == "LANG").then(|| lang.to_string()));
    let mut argv = vec!["itictl".to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let mut out = Vec::new();
    itictl::run(argv, locale, &mut out)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    Ok(String::from_utf8(out)?)
}

#[tokio::test]
async fn lang_fr_prints_ca_and_cert_in_french() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = |s: &str| dir.path().join(s).display().to_string();
    let fr = "fr_FR.UTF-8";
    let ca = itictl_offline(fr, &["ca", "init", "--state", "GHA", "--out", &d("ca")]).await?;
    ensure_all(
        &ca,
        &[
            "AC de GHA créée dans",
            "clé privée : ",
            "(à conserver hors ligne)",
        ],
    )?;
    let issue = [
        "cert",
        "issue",
        "node",
        "--ca",
        &d("ca"),
        "--out",
        &d("node"),
    ];
    let issued = itictl_offline(fr, &issue).await?;
    ensure_all(
        &issued,
        &["délivré : ", "(clé de scellement ; sa moitié publique"],
    )?;
    let cert = d("node/cert.pem");
    let shown = itictl_offline(fr, &["cert", "show", &cert]).await?;
    ensure_all(
        &shown,
        &[
            "identité : ",
            "émetteur : ",
            "authentification du serveur",
            "empreinte (SHA-256) : ",
        ],
    )?;
    for (text, english) in [
        (&ca, "created the CA"),
        (&ca, "keep it offline"),
        (&issued, "sealing key"),
        (&shown, "issuer:"),
        (&shown, "server authentication"),
    ] {
        ensure!(!text.contains(english), "{english:?} in:\n{text}");
    }
    let english = itictl_offline("C", &["cert", "show", &cert]).await?;
    ensure_all(&english, &["issuer:   ", "usages:   server authentication"])?;
    Ok(())
}
