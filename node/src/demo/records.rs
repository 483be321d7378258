//! The demo's national records: Belgium's manufacturer and export licensing
//! records of the FN FAL, Nigeria's import licence, police armoury transfer
//! and theft report of it (the armoury typed the serial with a letter O).
//! Imported as agencies' feeds are, through the `Records` service; the
//! demo's answers are then drafted from them (8.3) and sent as drafted.

use anyhow::{Context, anyhow};
use iti_proto::v1 as pb;
use iti_proto::v1::records_client::RecordsClient;

use crate::identity::Role;
use crate::sandbox::Sandbox;

fn fal(key: &str, serial: &str, date: &str) -> pb::NationalRecord {
    pb::NationalRecord {
        line: 2,
        source_key: key.into(),
        make: "FN Herstal".into(),
        model: "FAL 50.00".into(),
        calibre: "7.62x51mm NATO".into(),
        serial: serial.into(),
        date: date.into(),
        ..Default::default()
    }
}

fn marking(field: &str, tlp: pb::Tlp, restrictions: &[pb::UseRestriction]) -> pb::FieldMarking {
    pb::FieldMarking {
        field: field.into(),
        marking: Some(super::fixtures::marking(tlp, restrictions)),
        personal: false,
    }
}

/// (participant, source, kind, domain, markings, record)
type Feed = (
    &'static str,
    &'static str,
    pb::RecordKind,
    pb::RecordDomain,
    Vec<pb::FieldMarking>,
    pb::NationalRecord,
);

fn feeds() -> Vec<Feed> {
    use pb::{RecordDomain as D, RecordKind as K, Tlp, UseRestriction as R};
    let amber = || vec![marking("*", Tlp::Amber, &[])];
    vec![
        (
            "BEL",
            "fn-herstal-production",
            K::Manufacture,
            D::Manufacturers,
            amber(),
            pb::NationalRecord {
                manufacturer: "FN Herstal SA, Herstal".into(),
                marks: "proof mark perron with ELG in oval".into(),
                ..fal("FN-2008-1502347", "1502347", "2008-11-04")
            },
        ),
        (
            "BEL",
            "walloon-export-licences",
            K::Export,
            D::TransferLicensing,
            amber(),
            pb::NationalRecord {
                exporter: "FN Herstal SA".into(),
                importing_state: "NGA".into(),
                transit_states: "NLD".into(),
                consignee: "Nigeria Police Force, Abuja".into(),
                licence: "BE-W-2009-0412".into(),
                carrier: "Antwerp Freight Services NV".into(),
                financial: "letter of credit, Bank of Abuja".into(),
                ..fal("BE-W-2009-0412/17", "1502347", "2009-03-12")
            },
        ),
        (
            "NGA",
            "import-licences",
            K::Import,
            D::TransferLicensing,
            amber(),
            pb::NationalRecord {
                importer: "Nigeria Police Force".into(),
                origin_state: "BEL".into(),
                licence: "NG-IM-2009-088".into(),
                ..fal("NG-IM-2009-088/17", "1502347", "2009-04-02")
            },
        ),
        (
            "NGA",
            "police-armoury",
            K::Transfer,
            D::LawEnforcement,
            vec![
                marking("*", Tlp::Amber, &[R::LawEnforcementOnly]),
                marking("holder", Tlp::Red, &[R::LawEnforcementOnly]),
            ],
            pb::NationalRecord {
                from_holder: "Nigeria Police Force, Abuja central stores".into(),
                holder: "Nigeria Police Force, Kaduna State Command armoury".into(),
                holder_category: "state_armoury".into(),
                ..fal("KD-ISSUE-2011-0815-03", "15O2347", "2011-08-15")
            },
        ),
        (
            "NGA",
            "police-armoury",
            K::Loss,
            D::LawEnforcement,
            vec![
                marking("*", Tlp::Amber, &[R::LawEnforcementOnly]),
                marking("holder", Tlp::Red, &[R::LawEnforcementOnly]),
            ],
            pb::NationalRecord {
                holder: "Nigeria Police Force, Kaduna State Command armoury".into(),
                holder_category: "state_armoury".into(),
                circumstances: "theft".into(),
                place: "Kaduna State Command armoury (break-in)".into(),
                report_reference: "NPF/KD/2015/0098".into(),
                ..fal("KD-THEFT-2015-0098", "15O2347", "2015-06-02")
            },
        ),
    ]
}

async fn client(
    sandbox: &mut Sandbox,
    who: &str,
) -> anyhow::Result<RecordsClient<tonic::transport::Channel>> {
    let p = who.parse()?;
    let dir = sandbox.officer_dir(&p, Role::Poc)?;
    Ok(RecordsClient::new(sandbox.channel_as(&p, &dir)?))
}

/// Imports every feed; one line per import.
pub async fn import(sandbox: &mut Sandbox) -> anyhow::Result<Vec<String>> {
    use pb::import_records_message::Part;
    let mut lines = Vec::new();
    for (who, source, kind, domain, markings, record) in feeds() {
        let stream = tokio_stream::iter(vec![
            pb::ImportRecordsMessage {
                part: Some(Part::Header(pb::ImportHeader {
                    source: source.into(),
                    kind: kind as i32,
                    domain: domain as i32,
                    markings,
                    dry_run: false,
                })),
            },
            pb::ImportRecordsMessage {
                part: Some(Part::Batch(pb::RecordBatch {
                    records: vec![record],
                })),
            },
        ]);
        let reply = client(sandbox, who)
            .await?
            .import_records(stream)
            .await
            .map_err(|s| anyhow!("{who} importing {source}: {}", s.message()))?
            .into_inner();
        lines.push(format!(
            "{who}: {} {} record(s) from {source} ({})",
            reply.imported,
            crate::render::enum_name(kind.as_str_name(), "RECORD_KIND_"),
            crate::render::enum_name(domain.as_str_name(), "RECORD_DOMAIN_")
        ));
    }
    Ok(lines)
}

/// The answer `who` drafted from its records for `trace`, sent as drafted;
/// lines saying where it came from.
pub async fn answer_from_records(
    sandbox: &mut Sandbox,
    who: &str,
    trace: &str,
) -> anyhow::Result<Vec<String>> {
    let mut c = client(sandbox, who).await?;
    let draft = c
        .get_draft(pb::GetDraftRequest {
            trace_id: trace.into(),
        })
        .await
        .map_err(|s| anyhow!("{who}'s draft: {}", s.message()))?
        .into_inner();
    let mut lines = vec![format!(
        "{who}'s answer drafted from its records: {}",
        draft.outcome.replace('_', " ")
    )];
    for f in draft.findings.iter().filter(|f| !f.steps.is_empty()) {
        lines.push(format!(
            "  {} ({}): {}",
            crate::render::enum_name(
                pb::RecordDomain::try_from(f.domain)
                    .map(|d| d.as_str_name())
                    .unwrap_or_default(),
                "RECORD_DOMAIN_"
            ),
            f.sources.join(", "),
            f.summary
        ));
    }
    let sent = c
        .send_draft(pb::SendResponseDraftRequest {
            trace_id: trace.into(),
            confirm_despite_declared_restrictions: false,
        })
        .await
        .map_err(|s| anyhow!("{who} sending its draft: {}", s.message()))?
        .into_inner();
    sent.sent.context("the draft was sent")?;
    lines.push("  sent as drafted, each section marked as its records are".into());
    Ok(lines)
}
