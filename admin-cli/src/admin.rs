//! Node administration through the local port: peering, the directory, the
//! lost/stolen register, hub figures.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

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

/// Whether a lost/stolen file is JSON: by its extension, or by its first
/// character that is not white space.
fn is_json(path: &Path) -> anyhow::Result<bool> {
    use std::io::Read;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return Ok(true);
    }
    let mut start = [0u8; 1024];
    let file = std::fs::File::open(path);
    let n = file.and_then(|mut f| f.read(&mut start))?;
    Ok(start[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'['))
}

/// Sends a lost/stolen file to the node's register as it is read, on a
/// thread of its own (`hub::reports_file`), so that memory stays flat
/// whatever the file's size. Rows that cannot be read are reported with
/// their line numbers and not sent.
pub async fn lost_stolen_import(
    conn: &Connection,
    file: &Path,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    use iti_node::hub::reports_file::{self, Row};
    let named = || format!("lost/stolen file {}", file.display());
    let json = is_json(file).with_context(named)?;
    let opened = std::fs::File::open(file).with_context(named)?;
    let size = opened.metadata().map(|m| m.len()).unwrap_or(0);
    let read = Arc::new(AtomicU64::new(0));
    let reader = crate::records::Counting::new(opened, read.clone());
    let (tx, rx) = tokio::sync::mpsc::channel::<Row>(5_000);
    let reading = std::thread::spawn(move || {
        reports_file::read(reader, json, &mut |row| {
            tx.blocking_send(row)
                .map_err(|_| "the import stopped (see the node's answer)".to_string())
        })
    });
    let unreadable = Arc::new(std::sync::Mutex::new(Vec::new()));
    let progress = crate::records::Progress::new(read, size, print.texts.clone());
    let shown = progress.shown;
    let feed = (rx, unreadable.clone(), progress);
    let stream = futures::stream::unfold(feed, |(mut rx, kept, mut progress)| async move {
        loop {
            match rx.recv().await? {
                Row::Report(r) => {
                    progress.sent(1);
                    return Some((r, (rx, kept, progress)));
                }
                Row::Unreadable(u) => kept.lock().unwrap_or_else(|e| e.into_inner()).push(u),
            }
        }
    });
    let reply = conn.client()?.import_lost_stolen(stream).await;
    if shown {
        eprintln!();
    }
    let finished = reading
        .join()
        .map_err(|_| anyhow!("reading {} failed", named()))?;
    let reply = reply.map_err(failed)?.into_inner();
    finished.map_err(|e| anyhow!("{}: {e}", named()))?;
    let mut rejected = std::mem::take(&mut *unreadable.lock().unwrap_or_else(|e| e.into_inner()));
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
