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
    writeln!(
        out,
        "{} ({}) on the {} node of {}",
        reply.officer,
        reply.role,
        if reply.hub { "hub" } else { "state" },
        reply.participant
    )?;
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
    writeln!(
        out,
        "pinned the CA of {} ({}, SHA-256 {}) for {} only; endpoint {}",
        view.participant, view.ca_subject, view.ca_fingerprint, view.participant, view.endpoint
    )?;
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
        writeln!(out, "no peers")?;
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
                format!("  serves {}", p.serves.join(", "))
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
    writeln!(out, "published; the node now holds:")?;
    for e in &view.entries {
        if let Some(entry) = &e.entry {
            writeln!(
                out,
                "  {} serial {} ({})",
                entry.participant, entry.serial, e.trust
            )?;
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
    writeln!(
        out,
        "accepted: {}",
        if reply.accepted.is_empty() {
            "none".into()
        } else {
            reply.accepted.join(", ")
        }
    )?;
    for r in &reply.rejected {
        writeln!(out, "refused: {r}")?;
    }
    for u in &reply.unreachable {
        writeln!(out, "unreachable: {u}")?;
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
    writeln!(
        out,
        "{} record(s) added to the register, {} rejected",
        reply.accepted,
        rejected.len()
    )?;
    for r in &rejected {
        writeln!(out, "  line {}: {}", r.line, r.reason)?;
    }
    Ok(())
}
