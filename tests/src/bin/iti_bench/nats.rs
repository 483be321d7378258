//! (4) The peer pipeline a state's IT team might build instead of ITI
//! Exchange (issue #16): each message signed with ECDSA P-256 by its sender
//! and verified by its receiver, carried by NATS JetStream (Debian's
//! `nats-server`, run here as a child process) over TLS, on a file-backed
//! stream, the sender awaiting the publisher acknowledgement of every
//! message and the receiver, a durable pull consumer, acknowledging each
//! one and waiting for the server to confirm the acknowledgement. The
//! payload is the trace request of (2) and (3), the concurrency the same.
//!
//! The benchmark installs nothing: without `nats-server` on the path the
//! case says so in one line and is skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use async_nats::jetstream::{self, consumer, stream};
use iti_node::identity::{Identity, pki};
use iti_proto::v1 as pb;
use iti_tests::process::{cpu_time, rss_anon_kb, rss_kb};
use iti_tests::{fixtures, p};
use prost::Message as _;
use ring::signature::{self, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio_stream::StreamExt;

use super::{Args, Figures, Memory, per_op, run_closed_loop, warm_up};

pub(crate) const LABEL: &str = "(4) peer pipeline: NATS JetStream";

/// The stream holds one subject per destination; this case sends to BEL.
const STREAM: &str = "ITI";
const SUBJECTS: &str = "iti.*";
const SUBJECT: &str = "iti.BEL";
const CONSUMER: &str = "BEL";

/// An operation not done by then (a lost message) counts as an error
/// instead of stalling its worker for good.
const OP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the case, or prints why it is skipped and returns `None`.
pub(crate) async fn run(args: &Args) -> anyhow::Result<Option<Figures>> {
    let Some(binary) = on_path("nats-server") else {
        println!(
            "nats: skipped: nats-server not on the path (Debian: apt-get install nats-server)"
        );
        return Ok(None);
    };
    let server = NatsServer::start(&binary).await?;
    println!(
        "nats:        {} ({}), JetStream file store in {}, TLS with a CA of this run; \
         its file store acknowledges a message once it holds it and fsyncs on its own \
         schedule (every 2 min by default; 2.9 has no per-message fsync option)",
        server.version,
        binary.display(),
        server.dir.path().display()
    );
    let figures = measure(args, &server).await;
    server.stop().await;
    figures.map(Some)
}

/// The first executable file called `name` in `$PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|f| {
            f.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

// ------------------------------------------------------------ the server

/// A `nats-server` child process with its files (configuration, TLS
/// certificate, JetStream store, log) in a temporary folder. Dropping it
/// kills the process (`kill_on_drop`), so an error anywhere in the case
/// leaves no server behind; then the folder goes.
struct NatsServer {
    child: tokio::process::Child,
    port: u16,
    version: String,
    dir: tempfile::TempDir,
}

impl NatsServer {
    async fn start(binary: &Path) -> anyhow::Result<NatsServer> {
        let dir = tempfile::tempdir()?;
        let config = write_config(dir.path())?;
        let stderr = std::fs::File::create(dir.path().join("stderr.txt"))?;
        let child = tokio::process::Command::new(binary)
            .arg("-c")
            .arg(&config)
            // The listener takes any free port (`listen: 127.0.0.1:-1`); the
            // server writes the one it got to a ports file there.
            .arg("--ports_file_dir")
            .arg(dir.path())
            .arg("-l")
            .arg(dir.path().join("nats.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = NatsServer {
            child,
            port: 0,
            version: version_of(binary).await,
            dir,
        };
        server.port = server.wait_for_port().await?;
        Ok(server)
    }

    fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Reads the port from the ports file, which the server writes once it
    /// accepts clients (JetStream is enabled before that).
    async fn wait_for_port(&mut self) -> anyhow::Result<u16> {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait()? {
                bail!("nats-server exited ({status}): {}", self.log_tail());
            }
            if let Some(port) = read_ports_file(self.dir.path()) {
                return Ok(port);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "nats-server wrote no ports file in 10 s: {}",
            self.log_tail()
        )
    }

    /// The end of what the server said, for an error message.
    fn log_tail(&self) -> String {
        let said: Vec<String> = ["stderr.txt", "nats.log"]
            .iter()
            .filter_map(|f| std::fs::read_to_string(self.path(f)).ok())
            .collect();
        let said = said.join("\n");
        let lines: Vec<&str> = said.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// A CA of this run and a server certificate from it for `localhost` and
/// 127.0.0.1, made by the project's own PKI code; the configuration
/// pointing at them. Returns the configuration's path.
fn write_config(dir: &Path) -> anyhow::Result<PathBuf> {
    let now = OffsetDateTime::now_utc();
    let broker = p("hub:ECOWAS");
    let ca = pki::create_ca(&broker, pki::Validity::days_from(now, 1))?;
    let cert = pki::issue(
        &ca,
        &Identity::Node(broker),
        pki::Validity::days_from(now, 1),
    )?;
    std::fs::write(dir.join("ca.pem"), &ca.cert_pem)?;
    std::fs::write(dir.join("server.pem"), &cert.cert_pem)?;
    // In the temporary folder, which only this user can read.
    std::fs::write(dir.join("server.key"), cert.key_pem.expose())?;
    let config = dir.join("nats.conf");
    let quoted = |name: &str| format!("{:?}", dir.join(name).display().to_string());
    std::fs::write(
        &config,
        format!(
            "listen: \"127.0.0.1:-1\"\n\
             jetstream {{ store_dir: {} }}\n\
             tls {{ cert_file: {}, key_file: {} }}\n",
            quoted("jetstream"),
            quoted("server.pem"),
            quoted("server.key"),
        ),
    )?;
    Ok(config)
}

/// The client port in `nats-server_<pid>.ports`, JSON such as
/// `{"nats":["tls://127.0.0.1:40123"]}`.
fn read_ports_file(dir: &Path) -> Option<u16> {
    let file = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".ports"))?;
    let ports: serde_json::Value =
        serde_json::from_slice(&std::fs::read(file.path()).ok()?).ok()?;
    let url = ports.get("nats")?.get(0)?.as_str()?;
    url.rsplit_once(':')?.1.parse().ok()
}

async fn version_of(binary: &Path) -> String {
    tokio::process::Command::new(binary)
        .arg("--version")
        .output()
        .await
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "nats-server".into())
}

// ------------------------------------------------------------ the pipeline

/// A connection over TLS that trusts only this run's CA, as a state would
/// trust its broker's. Each side has its own, as two states would.
async fn connect(server: &NatsServer) -> anyhow::Result<jetstream::Context> {
    let client = async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(server.path("ca.pem"))
        .connect(format!("tls://127.0.0.1:{}", server.port))
        .await
        .map_err(|e| anyhow!("connecting to nats-server: {e}"))?;
    Ok(jetstream::new(client))
}

/// The file-backed stream and the receiver's durable pull consumer, which
/// acknowledges each message explicitly.
async fn create_stream(js: &jetstream::Context) -> anyhow::Result<consumer::PullConsumer> {
    let stream = js
        .create_stream(stream::Config {
            name: STREAM.into(),
            subjects: vec![SUBJECTS.into()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("creating the stream: {e}"))?;
    stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(CONSUMER.into()),
            filter_subject: SUBJECT.into(),
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("creating the consumer: {e}"))
}

/// Operations waiting for the receiver, by number.
#[derive(Default)]
struct Waiting(Mutex<HashMap<u64, oneshot::Sender<Result<(), String>>>>);

impl Waiting {
    fn add(&self, id: u64) -> oneshot::Receiver<Result<(), String>> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, tx);
        rx
    }

    fn finish(&self, id: u64, outcome: Result<(), String>) {
        if let Some(tx) = self.forget(id) {
            let _ = tx.send(outcome);
        }
    }

    fn forget(&self, id: u64) -> Option<oneshot::Sender<Result<(), String>>> {
        self.lock().remove(&id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Result<(), String>>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sender's side: its signing key and the request it sends.
struct Origin {
    key: EcdsaKeyPair,
    rng: ring::rand::SystemRandom,
    request: Vec<u8>,
}

impl Origin {
    fn new() -> anyhow::Result<Origin> {
        let rng = ring::rand::SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_ASN1_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).map_err(|_| anyhow!("P-256 key"))?;
        let key = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng)
            .map_err(|_| anyhow!("P-256 key"))?;
        // The request the workers of (2) and (3) submit.
        let request = fixtures::fal_request().encode_to_vec();
        Ok(Origin { key, rng, request })
    }

    /// A message: the operation number (8 bytes), the signature's length (1
    /// byte), the signature over number and request, the request.
    fn message(&self, id: u64) -> anyhow::Result<Vec<u8>> {
        let signed = [&id.to_be_bytes()[..], &self.request].concat();
        let sig = self
            .key
            .sign(&self.rng, &signed)
            .map_err(|_| anyhow!("P-256 sign"))?;
        let sig = sig.as_ref();
        let mut out = Vec::with_capacity(signed.len() + 1 + sig.len());
        out.extend_from_slice(&id.to_be_bytes());
        out.push(u8::try_from(sig.len())?);
        out.extend_from_slice(sig);
        out.extend_from_slice(&self.request);
        Ok(out)
    }
}

/// The operation number at the head of a message.
fn operation_of(message: &[u8]) -> Option<u64> {
    message.first_chunk::<8>().map(|id| u64::from_be_bytes(*id))
}

/// The receiver's check of a message: the signature, with the sender's
/// public key, and the request it carries.
fn verify(public_key: &[u8], message: &[u8]) -> Result<(), String> {
    let (id, rest) = message.split_first_chunk::<8>().ok_or("short message")?;
    let (len, rest) = rest.split_first().ok_or("short message")?;
    let (sig, request) = rest
        .split_at_checked(usize::from(*len))
        .ok_or("short message")?;
    let signed = [&id[..], request].concat();
    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, public_key)
        .verify(&signed, sig)
        .map_err(|_| "bad signature")?;
    pb::TraceRequest::decode(request).map_err(|e| format!("request: {e}"))?;
    Ok(())
}

/// The receiver: takes each message from the durable consumer, verifies it,
/// acknowledges it and waits for the server's confirmation, then tells the
/// operation's worker. Messages are handled concurrently, as many as the
/// senders have in flight.
async fn receive(consumer: consumer::PullConsumer, public_key: Vec<u8>, waiting: Arc<Waiting>) {
    let mut messages = match consumer.messages().await {
        Ok(m) => m,
        Err(e) => return eprintln!("nats: the receiver could not start: {e}"),
    };
    let public_key: Arc<[u8]> = public_key.into();
    while let Some(next) = messages.next().await {
        // Errors of a pull (a missed heartbeat) pass; the stream goes on.
        let message = match next {
            Ok(m) => m,
            Err(e) => {
                eprintln!("nats: receiving: {e}");
                continue;
            }
        };
        let (public_key, waiting) = (public_key.clone(), waiting.clone());
        tokio::spawn(async move {
            let Some(id) = operation_of(&message.payload) else {
                return eprintln!("nats: a message without an operation number");
            };
            let outcome = match verify(&public_key, &message.payload) {
                Ok(()) => message.double_ack().await.map_err(|e| format!("ack: {e}")),
                Err(e) => {
                    // Not redelivered: a bad message stays bad.
                    let _ = message.ack_with(jetstream::AckKind::Term).await;
                    Err(format!("verification: {e}"))
                }
            };
            waiting.finish(id, outcome);
        });
    }
}

/// One operation: sign, publish, await the publisher acknowledgement (the
/// message is in the file-backed stream), then the receiver's confirmed
/// acknowledgement.
async fn send(
    js: &jetstream::Context,
    origin: &Origin,
    waiting: &Waiting,
    id: u64,
) -> anyhow::Result<()> {
    let done = waiting.add(id);
    let sent = async {
        let message = origin.message(id)?;
        js.publish(SUBJECT, message.into())
            .await
            .map_err(|e| anyhow!("publish: {e}"))?
            .await
            .map_err(|e| anyhow!("publisher ack: {e}"))?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = sent {
        waiting.forget(id);
        return Err(e);
    }
    match tokio::time::timeout(OP_TIMEOUT, done).await {
        Ok(Ok(outcome)) => outcome.map_err(|e| anyhow!(e)),
        Ok(Err(_)) => bail!("the receiver stopped"),
        Err(_) => {
            waiting.forget(id);
            bail!("not received within {OP_TIMEOUT:?}")
        }
    }
}

fn memory(pid: Option<u32>) -> Memory {
    Memory {
        rss: pid.and_then(rss_kb),
        anon: pid.and_then(rss_anon_kb),
    }
}

async fn measure(args: &Args, server: &NatsServer) -> anyhow::Result<Figures> {
    let sending = connect(server).await?;
    let receiving = connect(server).await?;
    let consumer = create_stream(&receiving).await?;
    let origin = Arc::new(Origin::new()?);
    let waiting = Arc::new(Waiting::default());
    let receiver = tokio::spawn(receive(
        consumer,
        origin.key.public_key().as_ref().to_vec(),
        waiting.clone(),
    ));
    let next = Arc::new(AtomicU64::new(0));
    let op = move || {
        let (js, origin, waiting) = (sending.clone(), origin.clone(), waiting.clone());
        let id = next.fetch_add(1, Ordering::Relaxed);
        async move { send(&js, &origin, &waiting, id).await }
    };
    let rss_before = memory(server.pid());
    if let Err(e) = warm_up(args.concurrency, op.clone()).await {
        receiver.abort();
        return Err(e.context("nats"));
    }
    let cpu = || {
        [
            server.pid().and_then(cpu_time),
            cpu_time(std::process::id()),
        ]
    };
    let before = cpu();
    let measured = run_closed_loop(
        args.concurrency,
        args.requests,
        Duration::from_secs(args.seconds),
        op,
    )
    .await;
    let after = cpu();
    receiver.abort();
    if let Some(e) = &measured.first_error {
        eprintln!("nats: {} errors, the first: {e}", measured.errors);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = memory(server.pid());
    let cpu_per_op = ["nats-server", "iti-bench (sender and receiver)"]
        .into_iter()
        .zip(before.into_iter().zip(after))
        .filter_map(|(name, (b, a))| Some((name.to_string(), per_op(b, a, measured.done)?)))
        .collect();
    Ok(Figures {
        label: LABEL.into(),
        done: measured.done,
        errors: measured.errors,
        elapsed: measured.elapsed,
        latencies: measured.latencies,
        latency_source: "nats",
        rss: vec![("nats-server".into(), rss_before, rss_after)],
        cpu_per_op,
        rows_per_op: vec![],
    })
}

/// One line after the table: the exchange's throughput as a share of the
/// peer pipeline's, when both ran in this run.
pub(crate) fn compare(all: &[Figures]) {
    let Some(nats) = all.iter().find(|f| f.label == LABEL) else {
        return;
    };
    let versus = |prefix: &str, name: &str| {
        all.iter()
            .find(|f| f.label.starts_with(prefix))
            .map(|f| format!("{name} {:.3}", f.throughput() / nats.throughput().max(1e-9)))
    };
    let ratios: Vec<String> = [
        versus("(3)", "through a hub (3)"),
        versus("(2)", "direct (2)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if ratios.is_empty() {
        return;
    }
    println!();
    println!(
        "versus the peer pipeline (4), throughput: {}; target: through a hub >= 1.0 of (4)",
        ratios.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_message_verifies_and_a_changed_one_does_not() {
        let origin = Origin::new().unwrap();
        let key = origin.key.public_key().as_ref().to_vec();
        let mut message = origin.message(7).unwrap();
        assert_eq!(operation_of(&message), Some(7));
        assert_eq!(verify(&key, &message), Ok(()));
        let last = message.len() - 1;
        message[last] ^= 1;
        assert!(verify(&key, &message).is_err());
        assert!(verify(&key, &[0; 8]).is_err());
    }

    #[test]
    fn the_port_comes_from_the_ports_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_ports_file(dir.path()), None);
        std::fs::write(
            dir.path().join("nats-server_1234.ports"),
            r#"{"nats":["tls://127.0.0.1:40123"]}"#,
        )
        .unwrap();
        assert_eq!(read_ports_file(dir.path()), Some(40123));
    }
}
