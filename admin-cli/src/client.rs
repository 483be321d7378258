//! The connection to the officer's own node: its local port, over mutual
//! TLS with the officer's certificate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Args;
use iti_node::i18n::Texts;
use iti_node::identity::pki;
use iti_node::identity::tls;
use iti_proto::v1::local_client::LocalClient;
use iti_proto::v1::records_client::RecordsClient;
use tonic::transport::Channel;

#[derive(Args, Debug, Clone)]
pub struct Connection {
    /// The node's local port.
    #[arg(
        long,
        global = true,
        env = "ITICTL_NODE",
        default_value = "127.0.0.1:7101"
    )]
    pub node: String,
    /// A directory holding the officer's cert.pem and key.pem, and the
    /// state CA's ca.pem (as `itictl cert issue --officer` writes it).
    #[arg(long, global = true, env = "ITICTL_IDENTITY")]
    pub identity: Option<PathBuf>,
    /// The officer's certificate (PEM), instead of --identity.
    #[arg(long, global = true, env = "ITICTL_CERT")]
    pub officer_cert: Option<PathBuf>,
    /// The officer's private key (PEM), instead of --identity.
    #[arg(long, global = true, env = "ITICTL_KEY")]
    pub officer_key: Option<PathBuf>,
    /// The state CA certificate the node's certificate must chain to.
    #[arg(long, global = true, env = "ITICTL_NODE_CA")]
    pub node_ca: Option<PathBuf>,
}

impl Connection {
    fn file(&self, explicit: &Option<PathBuf>, name: &str, flag: &str) -> anyhow::Result<PathBuf> {
        match (explicit, &self.identity) {
            (Some(p), _) => Ok(p.clone()),
            (None, Some(dir)) => Ok(dir.join(name)),
            (None, None) => Err(anyhow!(
                "no officer identity: give --identity DIR (or ITICTL_IDENTITY), or {flag}"
            )),
        }
    }

    /// Connects lazily; the first call reports connection problems.
    pub fn client(&self) -> anyhow::Result<LocalClient<Channel>> {
        Ok(LocalClient::new(self.channel()?).max_decoding_message_size(MAX_MESSAGE_BYTES))
    }

    /// The national records service on the same port.
    pub fn records(&self) -> anyhow::Result<RecordsClient<Channel>> {
        Ok(RecordsClient::new(self.channel()?))
    }

    /// The national records service for an import: the call streams for as
    /// long as reading its file takes, so it gets a day, not 30 seconds.
    pub fn records_import(&self) -> anyhow::Result<RecordsClient<Channel>> {
        Ok(RecordsClient::new(
            self.channel_for(Duration::from_secs(24 * 3600))?,
        ))
    }

    fn channel(&self) -> anyhow::Result<Channel> {
        self.channel_for(Duration::from_secs(30))
    }

    fn channel_for(&self, timeout: Duration) -> anyhow::Result<Channel> {
        let cert = self.file(&self.officer_cert, "cert.pem", "--officer-cert")?;
        let key = self.file(&self.officer_key, "key.pem", "--officer-key")?;
        let ca = self.file(&self.node_ca, "ca.pem", "--node-ca")?;
        let keyed = pki::read_keyed(&cert, &key)?;
        let ca_pem = pki::read_cert_pem(&ca)?;
        tls::officer_channel(&self.node, &keyed, &ca_pem, timeout)
            .with_context(|| format!("connecting to {}", self.node))
    }
}

/// The local port's gRPC message limit, the node's and ours.
pub use iti_node::bounds::MAX_LOCAL_MESSAGE_BYTES as MAX_MESSAGE_BYTES;

/// What to do about a message over the gRPC limit: which limit, and how
/// to stay under it.
pub fn too_large(bytes: usize) -> String {
    format!(
        "a message of {bytes} bytes is over the gRPC message limit of {} MiB ({MAX_MESSAGE_BYTES} \
         bytes) that nodes and itictl keep on the local port (max_decoding_message_size). A \
         request: send at most {} items per request, shorten free text, and refer to \
         photographs by hash (they never travel in the request). A reply: ask for less at a \
         time (audit log --limit).",
        MAX_MESSAGE_BYTES >> 20,
        iti_node::bounds::table::MAX_ITEMS
    )
}

/// The node could not be reached or refused the connection: what probably
/// went wrong (`run` adds which node).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub String);

/// A gRPC error as a sentence: the node's message, or for transport
/// failures what probably went wrong.
pub fn failed(status: tonic::Status) -> anyhow::Error {
    if let Some(explained) = tls::explain_transport_error(&status) {
        return Unreachable(explained).into();
    }
    if status.code() == tonic::Code::OutOfRange
        && status
            .message()
            .contains("decoded message length too large")
    {
        let found = status
            .message()
            .split("found ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        return anyhow!("too large: {}", too_large(found));
    }
    let code = match status.code() {
        tonic::Code::InvalidArgument => "invalid input",
        tonic::Code::NotFound => "not found",
        tonic::Code::FailedPrecondition => "not possible now",
        tonic::Code::PermissionDenied => "refused",
        tonic::Code::Unauthenticated => "not authenticated",
        tonic::Code::Unavailable => "node unavailable",
        _ => "error",
    };
    anyhow!("{code}: {}", status.message())
}

/// Reads a JSON file (protobuf JSON mapping) into a message; errors name the
/// file, the field's path (`items[0].quantity`) and, from serde, the line
/// and column.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("{what} file {}", path.display()))?;
    iti_node::json::parse(&text).map_err(|e| anyhow!("{what} file {}: {e}", path.display()))
}

/// `--json` output: the reply in the protobuf JSON mapping.
/// How a command prints its reply: the protobuf JSON mapping (`--json`),
/// or text in the officer's language.
pub struct Print {
    pub json: bool,
    pub texts: Texts,
}

pub fn print_json<T: serde::Serialize>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> anyhow::Result<()> {
    writeln!(out, "{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_file_error_names_the_field_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("request.json");
        std::fs::write(&path, r#"{"items": [{"quantity": "one"}]}"#).expect("write");
        let e = read_json::<iti_proto::v1::TraceRequest>(&path, "request").unwrap_err();
        assert!(e.to_string().contains(": items[0].quantity: "), "{e}");
    }

    #[test]
    fn a_message_over_the_grpc_limit_is_explained() {
        let status = tonic::Status::out_of_range(
            "Error, decoded message length too large: found 70000000 bytes, the limit is: 67174400 bytes",
        );
        let e = failed(status).to_string();
        assert!(
            e.contains("70000000 bytes") && e.contains("gRPC message limit of 64 MiB"),
            "{e}"
        );
    }
}
