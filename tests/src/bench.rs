//! What the benchmarks share: percentiles, and the CPU and memory of this
//! process (Linux /proc).

use std::time::Duration;

use crate::process::rss_kb;

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
