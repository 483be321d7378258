//! What the benchmarks share: the machine they run on, percentiles, the CPU
//! and memory of this process (Linux /proc), and an officer's local-API
//! client of a node process.

use std::time::Duration;

use anyhow::anyhow;
use iti_node::identity::{Role, tls};
use iti_node::sandbox::Sandbox;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use tonic::transport::Channel;

use crate::p;
use crate::process::{NodeProcess, rss_kb};

/// The machine and its load, as two lines to print beside the figures.
pub fn machine() -> Vec<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "?".into());
    vec![
        format!("machine:     {cores} cores (nproc), {model}, {mem} memory"),
        format!(
            "load avg:    {} (1, 5, 15 min) at start; other jobs share these cores",
            load_average()
        ),
    ]
}

/// The load averages over 1, 5 and 15 minutes (Linux).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// A local-API client of `who`'s node process, as its officer with `role`
/// (certificate issued by the sandbox member's CA on first use).
pub fn local_client(
    sandbox: &mut Sandbox,
    who: &str,
    role: Role,
    node: &NodeProcess,
) -> anyhow::Result<LocalClient<Channel>> {
    let cert = sandbox.officer_cert(&p(who), role)?;
    let ca = sandbox.member(&p(who))?.ca.cert_pem.clone();
    let channel =
        tls::officer_channel(&node.local.to_string(), &cert, &ca, Duration::from_secs(60))?;
    Ok(LocalClient::new(channel).max_decoding_message_size(256 * 1024 * 1024))
}

/// The node of `admin` pins a peer's card (`itictl peer add`).
pub async fn pin(admin: &mut LocalClient<Channel>, card: pb::PeerCard) -> anyhow::Result<()> {
    let who = card.participant.clone();
    admin
        .add_peer(card)
        .await
        .map_err(|e| anyhow!("pinning {who}: {}", e.message()))?;
    Ok(())
}

/// The `q` quantile of sorted durations (nearest rank); zero when empty.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// "p50 … ms, p99 … ms, max … ms" of sorted latencies, as the benches print.
pub fn p50_p99_max(sorted: &[Duration]) -> String {
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(sorted, 0.5)),
        ms(percentile(sorted, 0.99)),
        ms(sorted.last().copied().unwrap_or_default())
    )
}

/// The calling thread's CPU time.
pub fn own_thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// This process's resident memory, MB.
pub fn own_rss_mb() -> f64 {
    rss_kb(std::process::id()).unwrap_or(0) as f64 / 1024.0
}

/// Samples this process's resident memory every 100 ms until told to stop;
/// the samples, the first 5 % skipped (start-up), as (lowest, highest).
pub struct RssSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<Vec<f64>>,
}

impl RssSampler {
    pub fn start() -> RssSampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let mut v = Vec::new();
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                v.push(own_rss_mb());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            v
        });
        RssSampler { stop, task }
    }

    /// (lowest, highest, samples).
    pub async fn finish(self) -> (f64, f64, usize) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let rss = self.task.await.unwrap_or_default();
        let (lo, hi) = rss
            .iter()
            .skip(rss.len() / 20)
            .fold((f64::MAX, 0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        (lo, hi, rss.len())
    }
}
