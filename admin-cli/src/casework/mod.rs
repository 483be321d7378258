//! The point of contact's casework, through the node's local port.
//!
//! `run` sorts commands by area: `request` composes and sends trace
//! requests, `act` takes a step on a case (through the node's `act` call;
//! forwarding has its own), `read` shows what the node holds.

mod act;
mod read;
mod request;

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail};
use iti_proto::v1 as pb;
use time::OffsetDateTime;

use crate::cli::Command;
use crate::client::{Connection, Print, read_json};

pub async fn run(
    conn: &Connection,
    cmd: Command,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    // Before the command is looked at: a missing identity is the first error.
    let mut client = conn.client()?;
    match cmd {
        Command::Request(c) => request::run(&mut client, c, print, out).await,
        Command::Ack { .. }
        | Command::Respond { .. }
        | Command::Return { .. }
        | Command::Resubmit { .. }
        | Command::Delay { .. }
        | Command::Refuse { .. }
        | Command::Clarify(_)
        | Command::Consent(_)
        | Command::Close { .. }
        | Command::Forward { .. } => act::run(&mut client, cmd, print, out).await,
        Command::Inbox
        | Command::Cases { .. }
        | Command::Case(_)
        | Command::Export { .. }
        | Command::Overdue
        | Command::Outbox { .. }
        | Command::Audit(_)
        | Command::Report { .. } => read::run(&mut client, cmd, print, out).await,
        other => Err(unsupported(other)),
    }
}

/// A command that is not casework (`cli::dispatch` handles those).
fn unsupported(cmd: Command) -> anyhow::Error {
    anyhow!("unsupported command {cmd:?}")
}

/// "YYYY-MM-DD" (end of that day, UTC) or RFC 3339.
pub fn parse_date(field: &str, s: &str) -> anyhow::Result<pbjson_types::Timestamp> {
    let rfc = time::format_description::well_known::Rfc3339;
    let t = OffsetDateTime::parse(s, &rfc).or_else(|_| {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &fmt).map(|d| {
            d.with_hms(23, 59, 59)
                .map(|dt| dt.assume_utc())
                .unwrap_or(d.midnight().assume_utc())
        })
    });
    let t =
        t.map_err(|_| anyhow!("{field}: {s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    Ok(iti_node::clock::to_timestamp(t))
}

/// A request from its file, refused here if it could not travel (over the
/// gRPC message limit).
fn request_file(path: &Path) -> anyhow::Result<pb::TraceRequest> {
    let request: pb::TraceRequest = read_json(path, "request")?;
    let size = prost::Message::encoded_len(&request);
    if size > crate::client::MAX_MESSAGE_BYTES {
        bail!(
            "request file {}: too large: {}",
            path.display(),
            crate::client::too_large(size)
        );
    }
    Ok(request)
}
