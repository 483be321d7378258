//! What the node holds: listings, a case, an export, what is overdue, the
//! audit trail, a clause 12 report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, bail};
use iti_node::render;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use tonic::transport::Channel;

use super::{parse_date, unsupported};
use crate::cli::{AuditCommand, CaseCommand, Command, ExportFormat};
use crate::client::{Print, failed, print_json};
use crate::listing;

pub(super) async fn run(
    client: &mut LocalClient<Channel>,
    cmd: Command,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match cmd {
        Command::Inbox => listing::traces(client, true, false, 0, print, out).await,
        Command::Cases { all, page_size } => {
            listing::traces(client, false, all, page_size, print, out).await
        }
        Command::Case(CaseCommand::Show { id, items }) => {
            show_case(client, id, items, print, out).await
        }
        Command::Export {
            trace,
            format,
            evidence,
            out: path,
        } => export(client, trace, format, evidence, path, print, out).await,
        Command::Overdue => overdue(client, print, out).await,
        Command::Outbox { all, page_size } => {
            listing::outbox(client, all, page_size, print, out).await
        }
        Command::Audit(AuditCommand::Verify) => audit_verify(client, print, out).await,
        Command::Audit(AuditCommand::Log { after, limit }) => {
            audit_log(client, after, limit, print, out).await
        }
        Command::Report { from, to } => report(client, from, to, print, out).await,
        other => Err(unsupported(other)),
    }
}

async fn show_case(
    client: &mut LocalClient<Channel>,
    id: String,
    items: u32,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let asked = pb::ShowCaseRequest {
        id,
        items_from: items - 1,
        items_limit: iti_node::case::items::ItemWindow::PAGE as u32,
    };
    let view = client.show_case(asked).await.map_err(failed)?.into_inner();
    if print.json {
        return print_json(out, &view);
    }
    write!(out, "{}", render::case(&print.texts, &view))?;
    Ok(())
}

/// The export as the node made it (JSON or CSV, never `--json`'d), to
/// `path` or to `out`.
async fn export(
    client: &mut LocalClient<Channel>,
    trace: String,
    format: ExportFormat,
    evidence: bool,
    path: Option<PathBuf>,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let format = match format {
        ExportFormat::Json => pb::ExportFormat::Json,
        ExportFormat::Csv => pb::ExportFormat::Csv,
    };
    let request = pb::ExportRequest {
        trace_id: trace,
        format: format as i32,
        as_evidence: evidence,
    };
    let reply = client.export(request).await.map_err(failed)?.into_inner();
    match path {
        Some(p) => {
            std::fs::write(&p, &reply.content).map_err(|e| anyhow!("{}: {e}", p.display()))?;
            let path = [("path", p.display().to_string())];
            writeln!(out, "{}", print.texts.t_with("text-exported-to", &path))?;
        }
        None => out.write_all(reply.content.as_bytes())?,
    }
    Ok(())
}

async fn overdue(
    client: &mut LocalClient<Channel>,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = client
        .overdue(pb::OverdueRequest {})
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    write!(out, "{}", render::overdue(&print.texts, &reply.items))?;
    Ok(())
}

/// Checks the audit chain; a broken one fails the command, after the
/// verdict is printed.
async fn audit_verify(
    client: &mut LocalClient<Channel>,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = client
        .audit_verify(pb::AuditVerifyRequest {})
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        print_json(out, &reply)?;
    } else {
        write!(out, "{}", render::audit_verify(&print.texts, &reply))?;
    }
    if !reply.ok {
        bail!("audit verification failed at entry {}", reply.first_bad_seq);
    }
    Ok(())
}

/// Up to `limit` audit entries after entry `after`, one a line.
async fn audit_log(
    client: &mut LocalClient<Channel>,
    after: u64,
    limit: u32,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let request = pb::AuditLogRequest {
        after_seq: after,
        limit,
    };
    let reply = client
        .audit_log(request)
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    for e in &reply.entries {
        let at =
            e.at.as_ref()
                .and_then(iti_node::clock::from_timestamp)
                .map(iti_node::clock::rfc3339)
                .unwrap_or_default();
        writeln!(
            out,
            "{:>6}  {}  {:<20} {:<28} {}  {}",
            e.seq, at, e.action, e.actor, e.subject, e.detail
        )?;
    }
    Ok(())
}

/// A clause 12 report over `from`..`to` (dates as `parse_date` reads them).
async fn report(
    client: &mut LocalClient<Channel>,
    from: Option<String>,
    to: Option<String>,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let request = pb::ReportRequest {
        from: from.map(|f| parse_date("--from", &f)).transpose()?,
        to: to.map(|t| parse_date("--to", &t)).transpose()?,
    };
    let reply = client.report(request).await.map_err(failed)?.into_inner();
    if print.json {
        // The node's report, as it made it.
        writeln!(out, "{}", reply.json)?;
    } else {
        // The facts, worded in the reader's language.
        let report: iti_node::report::Report = serde_json::from_str(&reply.json)?;
        write!(out, "{}", iti_node::report::text(&print.texts, &report))?;
    }
    Ok(())
}
