//! Node administration through the local port: peering, the directory, the
//! lost/stolen register, hub figures.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, anyhow};

use iti_proto::v1 as pb;

use crate::client::{Connection, Print, failed, print_json, read_json};
use iti_node::render;

pub async fn whoami(conn: &Connection, print: &Print, out: &mut dyn Write) -> anyhow::Result<()> {
    let reply = conn
        .client()?
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    let t = &print.texts;
    let kind = t.t(if reply.hub {
        "text-node-of-hub"
    } else {
        "text-node-of-state"
    });
    let args = [
        ("officer", reply.officer.clone()),
        ("role", reply.role.clone()),
        ("kind", kind),
        ("participant", reply.participant.clone()),
    ];
    writeln!(out, "{}", t.t_with("text-whoami", &args))?;
    Ok(())
}

pub async fn peer_add(
    conn: &Connection,
    card: &Path,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let card: pb::PeerCard = read_json(card, "peer card")?;
    let view = conn
        .client()?
        .add_peer(card)
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &view);
    }
    let args = [
        ("participant", view.participant.clone()),
        ("subject", view.ca_subject.clone()),
        ("fingerprint", view.ca_fingerprint.clone()),
        ("endpoint", view.endpoint.clone()),
    ];
    writeln!(out, "{}", print.texts.t_with("text-peer-pinned", &args))?;
    Ok(())
}

pub async fn peer_list(
    conn: &Connection,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = conn
        .client()?
        .list_peers(pb::ListPeersRequest {})
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    if reply.peers.is_empty() {
        writeln!(out, "{}", print.texts.t("text-no-peers"))?;
    }
    for p in &reply.peers {
        writeln!(
            out,
            "{:<14} {:<22} CA {}{}",
            p.participant,
            p.endpoint,
            &p.ca_fingerprint[..16.min(p.ca_fingerprint.len())],
            if p.serves.is_empty() {
                String::new()
            } else {
                let serves = [("list", p.serves.join(", "))];
                format!("  {}", print.texts.t_with("text-peer-serves", &serves))
            }
        )?;
    }
    Ok(())
}

pub async fn directory_show(
    conn: &Connection,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let view = conn
        .client()?
        .get_directory(pb::GetDirectoryRequest::default())
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &view);
    }
    write!(out, "{}", render::directory(&print.texts, &view))?;
    Ok(())
}

/// `itictl peer confirm`: an admin confirms a CA fingerprint read out of
/// band.
pub async fn peer_confirm(
    conn: &Connection,
    participant: &str,
    fingerprint: &str,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let view = conn
        .client()?
        .confirm_peer(pb::ConfirmPeerRequest {
            participant: participant.to_string(),
            ca_fingerprint: fingerprint.to_string(),
        })
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &view);
    }
    write!(out, "{}", render::directory(&print.texts, &view))?;
    Ok(())
}

pub async fn directory_publish(
    conn: &Connection,
    file: &Path,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let signed: pb::SignedDirectoryEntry = read_json(file, "signed directory entry")?;
    let view = conn
        .client()?
        .publish_directory_entry(signed)
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &view);
    }
    let t = &print.texts;
    writeln!(out, "{}", t.t("text-published"))?;
    for e in &view.entries {
        if let Some(entry) = &e.entry {
            let args = [
                ("participant", entry.participant.clone()),
                ("serial", entry.serial.to_string()),
                ("trust", e.trust.clone()),
            ];
            writeln!(out, "  {}", t.t_with("text-published-entry", &args))?;
        }
    }
    Ok(())
}

pub async fn directory_refresh(
    conn: &Connection,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = conn
        .client()?
        .refresh_directory(pb::RefreshDirectoryRequest {})
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    let t = &print.texts;
    let accepted = if reply.accepted.is_empty() {
        t.t("text-none")
    } else {
        reply.accepted.join(", ")
    };
    writeln!(out, "{}", t.t_with("text-accepted", &[("list", accepted)]))?;
    // What a peer refused or why it was unreachable: the node's words.
    for r in &reply.rejected {
        writeln!(out, "{}", t.t_with("text-refused", &[("what", r.clone())]))?;
    }
    for u in &reply.unreachable {
        writeln!(
            out,
            "{}",
            t.t_with("text-unreachable", &[("what", u.clone())])
        )?;
    }
    Ok(())
}

pub async fn hub_stats(
    conn: &Connection,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = conn
        .client()?
        .hub_stats(pb::HubStatsRequest {})
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    write!(out, "{}", render::hub_stats(&print.texts, &reply.members))?;
    Ok(())
}

/// Reads lost/stolen reports from CSV (with a header row) or JSON (an array
/// of objects with the same field names). Rows that cannot be read are
/// reported with their line numbers and not sent.
pub fn read_lost_stolen(
    path: &Path,
) -> anyhow::Result<(Vec<pb::LostStolenRecord>, Vec<pb::RejectedLine>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("lost/stolen file {}", path.display()))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('[');
    iti_node::hub::register::parse_file(&text, is_json)
        .map_err(|e| anyhow!("lost/stolen file {}: {e}", path.display()))
}

pub async fn lost_stolen_import(
    conn: &Connection,
    file: &Path,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (records, mut rejected) = read_lost_stolen(file)?;
    let total = records.len();
    let mut client = conn.client()?;
    // Progress for large files: on stderr, so output stays parseable.
    let show_progress = total >= 5_000;
    let stream = tokio_stream::iter(records.into_iter().enumerate().map(move |(i, r)| {
        if show_progress && (i + 1) % 5_000 == 0 {
            eprintln!("itictl: sent {}/{total} records", i + 1);
        }
        r
    }));
    let reply = client
        .import_lost_stolen(stream)
        .await
        .map_err(failed)?
        .into_inner();
    rejected.extend(reply.rejected);
    rejected.sort_by_key(|r| r.line);
    if print.json {
        return print_json(
            out,
            &pb::ImportLostStolenReply {
                accepted: reply.accepted,
                rejected,
            },
        );
    }
    let t = &print.texts;
    let args = [
        ("accepted", reply.accepted.to_string()),
        ("rejected", rejected.len().to_string()),
    ];
    writeln!(out, "{}", t.t_with("text-register-added", &args))?;
    for r in &rejected {
        let args = [("line", r.line.to_string()), ("reason", r.reason.clone())];
        writeln!(out, "  {}", t.t_with("text-rejected-line", &args))?;
    }
    Ok(())
}
