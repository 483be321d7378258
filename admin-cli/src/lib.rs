//! itictl: administration (national CA, certificates, peer cards, directory
//! entries: these work on files) and casework (they speak to the officer's
//! own node over its local gRPC port, authenticated by the officer's
//! certificate).
//!
//! Layout: `cli` (the command tree), `files` (CA, certificates, cards,
//! directory entries), `client` (connection to the node), `casework`
//! (officer commands), `listing` (listings fetched page by page), `admin`
//! (peering, directory, register), `records` (the national records: import,
//! search, domestic trace, drafted answers), `photos` (photographs by hash).

mod admin;
mod casework;
mod cli;
mod client;
mod files;
mod listing;
mod photos;
mod records;

use std::io::Write;

use clap::Parser;
use iti_node::i18n::{Lang, Texts};

pub use cli::Cli;
/// How itictl words a node's gRPC error (tests check the wording).
pub use client::failed;

#[derive(Debug)]
pub enum CliError {
    /// Help or version text requested: print on stdout, succeed.
    Help(String),
    /// Bad command line: clap's message.
    Usage(String),
    Failed(anyhow::Error),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Help(t) | CliError::Usage(t) => f.write_str(t),
            CliError::Failed(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Failed(e)
    }
}

/// Runs one `itictl` command line, writing its output to `out`. Text is in
/// `locale`'s language (`Lang::from_posix`, the binary reads the
/// environment) unless `--lang` says otherwise.
pub async fn run(args: Vec<String>, locale: Lang, out: &mut dyn Write) -> Result<(), CliError> {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let text = e.render().to_string();
            return Err(match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => CliError::Help(text),
                _ => CliError::Usage(text),
            });
        }
    };
    let node = cli.conn.node.clone();
    let print = client::Print {
        json: cli.json,
        texts: Texts::new(cli.lang.unwrap_or(locale)),
    };
    cli::dispatch(cli, &print, out).await.map_err(|e| {
        CliError::Failed(if e.is::<client::Unreachable>() {
            e.context(format!("node {node}"))
        } else {
            e
        })
    })
}
