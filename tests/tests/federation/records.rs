//! The national tracing system over real nodes (clauses 5, 7, 8): records
//! imported from agencies' files with `itictl`, domestic traces (8.1),
//! answers drafted from the records (8.3), several points of contact (5.1).

use std::path::{Path, PathBuf};

use iti_proto::v1 as pb;
use iti_tests::{Federation, db_scalar, fixtures, p};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writing a test file");
    path
}

const POLICE_HOLDINGS: &str = "\
Ref,Make,Model,Calibre,Serial No,Unit,Since
PA-1,FN Herstal,FAL 50.00,7.62x51mm,15O2347,Kaduna State Command armoury,2011-08-15
PA-2,Beretta,92FS,9x19mm,BER123456,Lagos Central armoury,2012-01-10
";

const POLICE_THEFTS: &str = "\
Ref,Make,Serial No,Unit,Date,Place,Report
TH-1,FN Herstal,15O2347,Kaduna State Command armoury,2015-06-02,Kaduna,NPF/KD/2015/0098
";

fn police_mapping(extra_columns: &str, constants: &str) -> String {
    format!(
        "domain = \"law_enforcement\"\n\
         [columns]\nsource_key = \"Ref\"\nmake = \"Make\"\nserial = \"Serial No\"\nholder = \"Unit\"\n{extra_columns}\
         [constants]\nholder_category = \"state_armoury\"\n{constants}\
         [markings]\n\"*\" = \"TLP:AMBER LE-ONLY\"\nholder = \"TLP:RED LE-ONLY\"\n"
    )
}

/// Nigeria's police armoury inventory and thefts, imported with itictl.
async fn import_nga_police(f: &mut Federation, dir: &Path) -> anyhow::Result<()> {
    let holdings = write(dir, "holdings.csv", POLICE_HOLDINGS);
    let map = write(
        dir,
        "police.toml",
        &police_mapping(
            "model = \"Model\"\ncalibre = \"Calibre\"\ndate = \"Since\"\n",
            "",
        ),
    );
    let out = f
        .itictl(
            "NGA",
            None,
            &[
                "records",
                "import",
                "--source",
                "police-armoury",
                "--kind",
                "holding",
                "--mapping",
                path(&map),
                path(&holdings),
            ],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(out.contains("2 record(s) imported"), "{out}");
    let thefts = write(dir, "thefts.csv", POLICE_THEFTS);
    let map = write(
        dir,
        "police-thefts.toml",
        &police_mapping(
            "date = \"Date\"\nplace = \"Place\"\nreport_reference = \"Report\"\n",
            "circumstances = \"theft\"\n",
        ),
    );
    let out = f
        .itictl(
            "NGA",
            None,
            &[
                "records",
                "import",
                "--source",
                "police-armoury",
                "--kind",
                "loss",
                "--mapping",
                path(&map),
                path(&thefts),
            ],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(out.contains("1 record(s) imported"), "{out}");
    Ok(())
}

/// Belgium's manufacturer and export licensing records of the FAL.
async fn import_bel_records(f: &mut Federation, dir: &Path) -> anyhow::Result<()> {
    let made = write(
        dir,
        "fn.json",
        r#"[{"id": "FN-2008-1502347", "make": "FN Herstal", "model": "FAL 50.00", "serial": "1502347", "made": "2008-11-04", "by": "FN Herstal SA"}]"#,
    );
    let map = write(
        dir,
        "fn.toml",
        "domain = \"manufacturers\"\n[columns]\nsource_key = \"id\"\nmake = \"make\"\nmodel = \"model\"\n\
         serial = \"serial\"\ndate = \"made\"\nmanufacturer = \"by\"\n[markings]\n\"*\" = \"TLP:GREEN\"\n",
    );
    let out = f
        .itictl(
            "BEL",
            None,
            &[
                "records",
                "import",
                "--source",
                "fn-herstal",
                "--kind",
                "manufacture",
                "--mapping",
                path(&map),
                path(&made),
            ],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(out.contains("1 record(s) imported"), "{out}");
    let exports = write(
        dir,
        "exports.csv",
        "Licence,Make,Serial,Date,To,Transit,Consignee,Exporter,Carrier,Finance\n\
         BE-W-2009-0412,FN Herstal,1502347,2009-03-12,NGA,NLD,\"Nigeria Police Force, Abuja\",FN Herstal SA,Antwerp Freight Services NV,letter of credit\n",
    );
    let map = write(
        dir,
        "exports.toml",
        "domain = \"transfer_licensing\"\n[columns]\nsource_key = \"Licence\"\nlicence = \"Licence\"\n\
         make = \"Make\"\nserial = \"Serial\"\ndate = \"Date\"\nimporting_state = \"To\"\n\
         transit_states = \"Transit\"\nconsignee = \"Consignee\"\nexporter = \"Exporter\"\n\
         carrier = \"Carrier\"\nfinancial = \"Finance\"\n[markings]\n\"*\" = \"TLP:AMBER\"\n",
    );
    let out = f
        .itictl(
            "BEL",
            None,
            &[
                "records",
                "import",
                "--source",
                "walloon-export-licences",
                "--kind",
                "export",
                "--mapping",
                path(&map),
                path(&exports),
            ],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(out.contains("1 record(s) imported"), "{out}");
    Ok(())
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 test path")
}

/// The FAL recovered in `state`, as the officer's draft request.
fn recovered_fal(dir: &Path) -> PathBuf {
    let request = fixtures::fal_request();
    write(
        dir,
        "recovered.json",
        &serde_json::to_string(&request).expect("request as JSON"),
    )
}

async fn requester_traces(f: &mut Federation, who: &str) -> anyhow::Result<Vec<pb::TraceSummary>> {
    Ok(f.poc(who)?
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner()
        .traces
        .into_iter()
        .filter(|t| t.role == pb::TraceRole::Requester as i32)
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rifle_recovered_at_home_is_traced_to_a_theft_from_a_police_armoury() -> anyhow::Result<()>
{
    let mut f = Federation::of_states(&["NGA", "BEL"]).await?;
    let dir = tempfile::tempdir()?;
    import_nga_police(&mut f, dir.path()).await?;
    let recovered = recovered_fal(dir.path());
    let out = f
        .itictl(
            "NGA",
            None,
            &["trace", "domestic", "--file", path(&recovered)],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(
        out.contains("Diverted while under national jurisdiction (8.1 b 1)"),
        "{out}"
    );
    assert!(
        out.contains("last legal possessor: Kaduna State Command armoury"),
        "{out}"
    );
    assert!(
        out.contains("NPF/KD/2015/0098"),
        "the police report is evidence: {out}"
    );
    assert!(out.contains("domestic investigation opened"), "{out}");
    assert!(
        out.contains("[TLP:RED [law enforcement only]"),
        "the holder is marked as its source says: {out}"
    );

    let reply = f
        .records("NGA")?
        .list_recovered(pb::ListRecoveredRequest {})
        .await?
        .into_inner();
    assert_eq!(
        reply.weapons.len(),
        1,
        "recorded in the national database (7.5)"
    );
    assert_eq!(reply.weapons[0].determination, "diverted_domestically");
    assert!(!reply.weapons[0].investigation_case_id.is_empty());
    assert!(reply.weapons[0].drafted_trace_id.is_empty());
    assert!(
        requester_traces(&mut f, "NGA").await?.is_empty(),
        "no international request"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rifle_traced_to_an_export_drafts_the_request_to_the_importing_state_and_it_is_sent()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["NGA", "BEL"]).await?;
    let dir = tempfile::tempdir()?;
    import_bel_records(&mut f, dir.path()).await?;
    let recovered = recovered_fal(dir.path());
    let reply = f
        .records("BEL")?
        .trace_domestic(pb::TraceDomesticRequest {
            recovered: Some(fixtures::fal_request()),
        })
        .await?
        .into_inner();
    assert_eq!(
        reply.determination, "left_jurisdiction",
        "{}",
        reply.summary
    );
    assert_eq!(reply.drafted_to, "NGA");
    assert!(reply.investigation_case_id.is_empty());
    assert!(
        reply
            .evidence
            .iter()
            .any(|e| e.field == "export licence" && e.value == "BE-W-2009-0412")
    );
    let _ = recovered;

    // The drafted request, sent as any draft is.
    let out = f
        .itictl("BEL", None, &["request", "send", &reply.drafted_trace_id])
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(out.contains("NGA"), "{out}");
    let trace = reply.drafted_trace_id.clone();
    f.until_state("NGA", &trace, "delivered").await?;
    let view = iti_tests::trace_view(&mut f.poc("NGA")?, &trace).await?;
    let request = view
        .messages
        .iter()
        .find_map(|m| match m.payload.as_ref().and_then(|p| p.body.clone()) {
            Some(pb::payload::Body::Request(r)) => Some(r),
            _ => None,
        })
        .expect("the request reached Nigeria");
    let grounds = request.grounds.expect("grounds");
    assert_eq!(grounds.rule, pb::RoutingRule::ExportRecord as i32, "9.1 a");
    let export = request
        .domestic_findings
        .and_then(|d| d.export_record)
        .expect("the export record as grounds");
    assert_eq!(export.licence_number, "BE-W-2009-0412");
    assert_eq!(export.recorded_by, "BEL");
    f.shutdown().await;
    Ok(())
}

/// Waits until `who` has stored the draft answer of `trace` (drafted when
/// the request was received, not on demand).
async fn until_drafted(f: &Federation, who: &str, trace: &str) -> anyhow::Result<()> {
    let node = f.node(who)?.clone();
    let sql = format!("SELECT COUNT(*) FROM response_drafts WHERE trace_id = '{trace}'");
    f.until(&format!("{who} drafted the answer to {trace}"), || {
        let node = node.clone();
        let sql = sql.clone();
        async move { Ok(db_scalar(&node, &sql).await? == 1) }
    })
    .await
}

async fn submit(
    f: &mut Federation,
    from: &str,
    request: pb::TraceRequest,
) -> anyhow::Result<String> {
    iti_tests::submit(&mut f.poc(from)?, request).await
}

async fn response_of(
    f: &mut Federation,
    who: &str,
    trace: &str,
) -> anyhow::Result<pb::TraceResponse> {
    let view = iti_tests::trace_view(&mut f.poc(who)?, trace).await?;
    view.messages
        .iter()
        .find_map(|m| match m.payload.as_ref().and_then(|p| p.body.clone()) {
            Some(pb::payload::Body::Response(r)) => Some(r),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("no response on {trace}"))
}

fn finding(r: &pb::TraceResponse) -> Option<pb::finding::Case> {
    r.finding.as_ref().and_then(|f| f.case.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoming_requests_are_answered_from_records_export_diversion_and_no_record()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "NGA", "BEL"]).await?;
    let dir = tempfile::tempdir()?;
    // Searched before any import: a node that keeps its sources in memory
    // must see the import's.
    let search = f
        .itictl(
            "BEL",
            None,
            &["records", "search", "--serial", "FN-2009-0412"],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(search.starts_with("0 record(s) matched"), "{search}");
    import_bel_records(&mut f, dir.path()).await?;
    import_nga_police(&mut f, dir.path()).await?;

    // Export: Belgium's draft names the licence and the consignee.
    let first = submit(&mut f, "GHA", fixtures::fal_request()).await?;
    f.until_state("BEL", &first, "delivered").await?;
    until_drafted(&f, "BEL", &first).await?;
    let out = f
        .itictl("BEL", None, &["respond", &first, "--draft"])
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(out.contains("exported"), "{out}");
    assert!(
        out.contains("walloon-export-licences:BE-W-2009-0412 (transfer licensing) licence"),
        "each value's source: {out}"
    );
    f.itictl("BEL", None, &["ack", &first])
        .await
        .map_err(anyhow::Error::msg)?;
    let out = f
        .itictl("BEL", None, &["respond", &first, "--draft", "--send"])
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(out.contains("response sent"), "{out}");
    f.until_state("GHA", &first, "responded").await?;
    let r = response_of(&mut f, "GHA", &first).await?;
    let Some(pb::finding::Case::Export(e)) = finding(&r) else {
        panic!("{r:?}")
    };
    assert_eq!(e.importing_state, "NGA");
    assert_eq!(e.final_consignee, "Nigeria Police Force, Abuja");
    assert_eq!(e.licences[0].number, "BE-W-2009-0412");
    let commercial = r.commercial.expect("7.3 details");
    assert!(
        commercial
            .marking
            .expect("marked")
            .restrictions
            .contains(&(pb::UseRestriction::ProprietaryCommercial as i32))
    );

    // Internal diversion: Ghana's node drafted the follow-up to Nigeria.
    let follow_up = requester_traces(&mut f, "GHA")
        .await?
        .into_iter()
        .find(|t| t.state == "drafted")
        .expect("follow-up proposed")
        .trace_id;
    f.poc("GHA")?
        .send_draft(pb::SendDraftRequest {
            trace_id: follow_up.clone(),
            // Belgium's records mark the export TLP:AMBER: its details stay
            // with GHA (10.3), and NGA is asked about the rifle alone.
            onward: pb::DraftOnward::WithoutRestricted as i32,
            ..Default::default()
        })
        .await?;
    f.until_state("NGA", &follow_up, "delivered").await?;
    until_drafted(&f, "NGA", &follow_up).await?;
    let draft = f
        .records("NGA")?
        .get_draft(pb::GetDraftRequest {
            trace_id: follow_up.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(draft.outcome, "diverted_internally");
    f.itictl("NGA", None, &["ack", &follow_up])
        .await
        .map_err(anyhow::Error::msg)?;
    f.records("NGA")?
        .send_draft(pb::SendResponseDraftRequest {
            trace_id: follow_up.clone(),
            confirm_despite_declared_restrictions: false,
        })
        .await?;
    f.until_state("GHA", &follow_up, "responded").await?;
    let r = response_of(&mut f, "GHA", &follow_up).await?;
    assert!(
        matches!(finding(&r), Some(pb::finding::Case::InternalDiversion(_))),
        "{r:?}"
    );
    let llp = r.last_legal_possessor.expect("10.4's minimum");
    assert_eq!(llp.name, "Kaduna State Command armoury");
    assert_eq!(llp.category, "state armoury");

    // No record: what was searched.
    let mut unknown = fixtures::fal_request();
    if let Some(pb::recovered_item::Item::Weapon(w)) = &mut unknown.items[0].item {
        w.serial_number = "9999999".into();
    }
    let third = submit(&mut f, "GHA", unknown).await?;
    f.until_state("BEL", &third, "delivered").await?;
    until_drafted(&f, "BEL", &third).await?;
    f.itictl("BEL", None, &["ack", &third])
        .await
        .map_err(anyhow::Error::msg)?;
    let out = f
        .itictl("BEL", None, &["respond", &third, "--draft", "--send"])
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(out.contains("response sent"), "{out}");
    f.until_state("GHA", &third, "responded").await?;
    let r = response_of(&mut f, "GHA", &third).await?;
    let Some(pb::finding::Case::NoRecord(n)) = finding(&r) else {
        panic!("{r:?}")
    };
    assert!(n.searched[0].contains("serial 9999999"), "{:?}", n.searched);

    let report = f
        .poc("BEL")?
        .report(pb::ReportRequest::default())
        .await?
        .into_inner();
    assert!(
        report.text.contains("from records 2, by hand 0"),
        "{}",
        report.text
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_points_of_contact_search_only_their_own_domains_and_combine_one_answer()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "NGA"]).await?;
    let poc = |officer: &str, domains: &[pb::RecordDomain]| pb::PointOfContact {
        name: format!("{officer} of Nigeria"),
        officer: officer.into(),
        authorised_records: domains.iter().map(|d| *d as i32).collect(),
        ..Default::default()
    };
    f.sandbox
        .publish_entry_with(
            &p("NGA"),
            &[],
            1,
            vec![
                poc("police.poc", &[pb::RecordDomain::LawEnforcement]),
                poc(
                    "licensing.poc",
                    &[
                        pb::RecordDomain::Civilians,
                        pb::RecordDomain::TransferLicensing,
                    ],
                ),
            ],
        )
        .await?;
    let import =
        |source: &str, kind: pb::RecordKind, domain: pb::RecordDomain, r: pb::NationalRecord| {
            let header = pb::ImportHeader {
                source: source.into(),
                kind: kind as i32,
                domain: domain as i32,
                markings: vec![],
                dry_run: false,
            };
            use pb::import_records_message::Part;
            tokio_stream::iter(vec![
                pb::ImportRecordsMessage {
                    part: Some(Part::Header(header)),
                },
                pb::ImportRecordsMessage {
                    part: Some(Part::Batch(pb::RecordBatch { records: vec![r] })),
                },
            ])
        };
    let pistol = |key: &str| pb::NationalRecord {
        line: 2,
        source_key: key.into(),
        make: "Beretta".into(),
        model: "92FS".into(),
        serial: "BER778812".into(),
        ..Default::default()
    };
    let mut licensing = f.records_as("NGA", "licensing.poc")?;
    licensing
        .import_records(import(
            "import-licences",
            pb::RecordKind::Import,
            pb::RecordDomain::TransferLicensing,
            pb::NationalRecord {
                importer: "Abuja Arms Ltd".into(),
                origin_state: "ITA".into(),
                licence: "NG-IM-2010-31".into(),
                date: "2010-05-04".into(),
                ..pistol("IM-31")
            },
        ))
        .await?;
    licensing
        .import_records(import(
            "civilian-licensing",
            pb::RecordKind::Holding,
            pb::RecordDomain::Civilians,
            pb::NationalRecord {
                holder: "Musa Ibrahim".into(),
                holder_category: "civilian".into(),
                licence: "CIV-2012-881".into(),
                date: "2012-02-01".into(),
                ..pistol("CIV-881")
            },
        ))
        .await?;
    let mut police = f.records_as("NGA", "police.poc")?;
    police
        .import_records(import(
            "police-reports",
            pb::RecordKind::Loss,
            pb::RecordDomain::LawEnforcement,
            pb::NationalRecord {
                holder: "Musa Ibrahim".into(),
                holder_category: "civilian".into(),
                circumstances: "theft".into(),
                date: "2016-09-30".into(),
                place: "Kano".into(),
                report_reference: "NPF/KN/2016/4410".into(),
                ..pistol("KN-4410")
            },
        ))
        .await?;

    let q = pb::SearchRecordsRequest {
        make: "Beretta".into(),
        serial: "BER778812".into(),
        ..Default::default()
    };
    let seen = |r: pb::SearchRecordsReply| -> Vec<String> {
        r.matches
            .into_iter()
            .filter_map(|m| m.record.map(|v| v.source))
            .collect()
    };
    assert_eq!(
        seen(police.search_records(q.clone()).await?.into_inner()),
        ["police-reports"]
    );
    let mut theirs = seen(licensing.search_records(q.clone()).await?.into_inner());
    theirs.sort();
    assert_eq!(theirs, ["civilian-licensing", "import-licences"]);
    let status = f
        .records("NGA")?
        .search_records(q.clone())
        .await
        .expect_err("an officer the directory does not name searches nothing");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);

    let mut request = fixtures::fal_request();
    request.items.truncate(1);
    if let Some(pb::recovered_item::Item::Weapon(w)) = &mut request.items[0].item {
        w.make = "Beretta".into();
        w.model = "92FS".into();
        w.calibre = "9x19mm".into();
        w.serial_number = "BER778812".into();
        w.country_of_manufacture = "ITA".into();
        w.country_of_last_import = "NGA".into();
        w.marks.clear();
    }
    let trace = submit(&mut f, "GHA", request).await?;
    f.until_state("NGA", &trace, "delivered").await?;
    until_drafted(&f, "NGA", &trace).await?;

    let view = police
        .get_draft(pb::GetDraftRequest {
            trace_id: trace.clone(),
        })
        .await?
        .into_inner();
    assert!(view.response.is_none(), "holds other domains' findings");
    let withheld: Vec<i32> = view
        .findings
        .iter()
        .filter(|f| f.withheld)
        .map(|f| f.domain)
        .collect();
    assert!(withheld.contains(&(pb::RecordDomain::Civilians as i32)));
    let own = view
        .findings
        .iter()
        .find(|f| f.domain == pb::RecordDomain::LawEnforcement as i32)
        .expect("the police's own finding");
    assert!(own.summary.contains("NPF/KN/2016/4410"), "{}", own.summary);
    assert_eq!(own.officers, ["police.poc"]);

    f.itictl("NGA", Some("police.poc"), &["ack", &trace])
        .await
        .map_err(anyhow::Error::msg)?;
    let first = police
        .send_draft(pb::SendResponseDraftRequest {
            trace_id: trace.clone(),
            confirm_despite_declared_restrictions: false,
        })
        .await?
        .into_inner();
    assert!(
        first.sent.is_none(),
        "waits for the licensing point of contact"
    );
    assert_eq!(first.confirmed, [pb::RecordDomain::LawEnforcement as i32]);
    let second = licensing
        .send_draft(pb::SendResponseDraftRequest {
            trace_id: trace.clone(),
            confirm_despite_declared_restrictions: false,
        })
        .await?
        .into_inner();
    assert!(second.sent.is_some(), "{second:?}");

    f.until_state("GHA", &trace, "responded").await?;
    let r = response_of(&mut f, "GHA", &trace).await?;
    assert!(
        matches!(finding(&r), Some(pb::finding::Case::InternalDiversion(_))),
        "{r:?}"
    );
    let llp = r.last_legal_possessor.clone().expect("named");
    assert_eq!(llp.name, "Musa Ibrahim");
    assert!(
        llp.marking
            .expect("marked")
            .restrictions
            .contains(&(pb::UseRestriction::LawEnforcementOnly as i32)),
        "a civilian is personal data"
    );
    let events = r.history.expect("history").events;
    let kinds: Vec<i32> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            pb::HistoryEventKind::Import as i32,
            pb::HistoryEventKind::Other as i32,
            pb::HistoryEventKind::Diversion as i32
        ],
        "one response from both points of contact's domains"
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_names_its_bad_lines_and_half_imports_nothing() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["NGA"]).await?;
    let dir = tempfile::tempdir()?;
    import_nga_police(&mut f, dir.path()).await?;
    let map = write(
        dir.path(),
        "police.toml",
        &police_mapping(
            "model = \"Model\"\ncalibre = \"Calibre\"\ndate = \"Since\"\n",
            "",
        ),
    );
    let file = write(
        dir.path(),
        "more.csv",
        "Ref,Make,Model,Calibre,Serial No,Unit,Since\n\
         PA-10,Glock,17,9x19mm,GLK1001,Abuja armoury,2019-04-01\n\
         PA-1,FN Herstal,FAL 50.00,7.62x51mm,15O2347,Somewhere else,2019-13-40\n\
         PA-12,Glock,17,9x19mm,,Abuja armoury,2019-04-01\n\
         PA-13,Glock,17,9x19mm,GLK1003,Abuja armoury\n\
         PA-14,Glock,17,9x19mm,GLK1004,Abuja armoury,2019-04-01\n",
    );
    let out = f
        .itictl(
            "NGA",
            None,
            &[
                "records",
                "import",
                "--source",
                "police-armoury",
                "--kind",
                "holding",
                "--mapping",
                path(&map),
                path(&file),
            ],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(
        out.contains("2 record(s) imported (0 updated in place), 3 line(s) rejected"),
        "{out}"
    );
    assert!(out.contains("line 3: date: not an ISO 8601 date"), "{out}");
    assert!(out.contains("line 4: serial: missing"), "{out}");
    assert!(
        out.contains("line 5: unreadable CSV line: 6 fields where the header has 7"),
        "{out}"
    );
    assert!(
        !out.contains("Somewhere else"),
        "errors name fields, not content: {out}"
    );

    // The rejected update of PA-1 left the record as it was.
    let history = f
        .itictl(
            "NGA",
            None,
            &[
                "records",
                "history",
                "--make",
                "FN Herstal",
                "--serial",
                "1502347",
            ],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(
        history.contains("Kaduna State Command armoury"),
        "{history}"
    );
    assert!(!history.contains("Somewhere else"), "{history}");
    let search = f
        .itictl("NGA", None, &["records", "search", "--serial", "GLK1003"])
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(search.starts_with("0 record(s) matched"), "{search}");
    let node = f.node("NGA")?.clone();
    assert_eq!(db_scalar(&node, "SELECT COUNT(*) FROM records").await?, 5);
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_import_updates_records_in_place() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["NGA"]).await?;
    let dir = tempfile::tempdir()?;
    import_nga_police(&mut f, dir.path()).await?;
    let map = write(
        dir.path(),
        "police.toml",
        &police_mapping(
            "model = \"Model\"\ncalibre = \"Calibre\"\ndate = \"Since\"\n",
            "",
        ),
    );
    let file = write(
        dir.path(),
        "holdings-2.csv",
        "Ref,Make,Model,Calibre,Serial No,Unit,Since\n\
         PA-2,Beretta,92FS,9x19mm,BER123456,Port Harcourt armoury,2012-01-10\n\
         PA-3,Beretta,92FS,9x19mm,BER123457,Lagos Central armoury,2012-01-10\n",
    );
    let out = f
        .itictl(
            "NGA",
            None,
            &[
                "records",
                "import",
                "--source",
                "police-armoury",
                "--kind",
                "holding",
                "--mapping",
                path(&map),
                path(&file),
            ],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(
        out.contains("2 record(s) imported (1 updated in place), 0 line(s) rejected"),
        "{out}"
    );
    let node = f.node("NGA")?.clone();
    assert_eq!(db_scalar(&node, "SELECT COUNT(*) FROM records").await?, 4);
    let history = f
        .itictl(
            "NGA",
            None,
            &[
                "records",
                "history",
                "--make",
                "Beretta",
                "--serial",
                "BER123456",
            ],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(history.contains("Port Harcourt armoury"), "{history}");
    assert!(
        !history.contains("Lagos Central armoury"),
        "replaced, not added: {history}"
    );
    f.shutdown().await;
    Ok(())
}
