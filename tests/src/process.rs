//! Nodes as operating-system processes, for fault tests (a node killed with
//! SIGKILL mid-delivery, restarted on the same data) and for the benchmark.
//! A `NodeProcess` runs the real `iti-node run --config F --ready-line` and
//! is ready when it prints its ready line: no sleeps.
//!
//! The binaries are found next to the running test executable
//! (`target/<profile>/`), or at `$ITI_NODE_BIN` / `$ITICTL_BIN`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a node may take to print its ready line (it opens and migrates
/// its database first; debug builds on a busy machine are slow).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `stop` waits after SIGTERM before it gives up.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `iti-node` process. Killed (SIGKILL) if dropped while running.
#[derive(Debug)]
pub struct NodeProcess {
    pub child: Child,
    pub federation: SocketAddr,
    pub local: SocketAddr,
    /// The metrics address, when the configuration has `metrics_listen`.
    pub metrics: Option<SocketAddr>,
    pub config_path: PathBuf,
    /// Where the node's log (its standard error) goes: beside the config.
    pub log_path: PathBuf,
}

/// The addresses of a ready line `ready federation=A local=B [metrics=C]`.
pub fn parse_ready_line(line: &str) -> Option<(SocketAddr, SocketAddr, Option<SocketAddr>)> {
    let rest = line.trim().strip_prefix("ready ")?;
    let mut federation = None;
    let mut local = None;
    let mut metrics = None;
    for field in rest.split_whitespace() {
        let (key, value) = field.split_once('=')?;
        let addr: SocketAddr = value.parse().ok()?;
        match key {
            "federation" => federation = Some(addr),
            "local" => local = Some(addr),
            "metrics" => metrics = Some(addr),
            _ => {}
        }
    }
    Some((federation?, local?, metrics))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl NodeProcess {
    /// Runs `binary run --config <config> --ready-line` and waits for the
    /// ready line, at most `READY_TIMEOUT`.
    pub async fn spawn(binary: &Path, config: &Path) -> anyhow::Result<NodeProcess> {
        let log_path = config
            .parent()
            .unwrap_or(Path::new("."))
            .join("iti-node.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let mut child = Command::new(binary)
            .arg("run")
            .arg("--config")
            .arg(config)
            .arg("--ready-line")
            // The node reads every `ITI_*` variable as a configuration
            // override: not this one, meant for the harness.
            .env_remove("ITI_NODE_BIN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no standard output from {}", binary.display()))?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(READY_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(addrs) = parse_ready_line(&line) {
                    return Ok(Some(addrs));
                }
            }
            Ok::<_, std::io::Error>(None)
        })
        .await;
        let (federation, local, metrics) = match ready {
            Ok(Ok(Some(addrs))) => addrs,
            other => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                let why = match other {
                    Err(_) => format!("no ready line within {READY_TIMEOUT:?}"),
                    Ok(Err(e)) => format!("reading its output: {e}"),
                    _ => "it exited before it was ready".into(),
                };
                bail!(
                    "{} ({}): {why}; log:\n{}",
                    binary.display(),
                    config.display(),
                    tail(&log_path, 20)
                );
            }
        };
        // Keep the pipe drained: a node that writes more to stdout must not block.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(NodeProcess {
            child,
            federation,
            local,
            metrics,
            config_path: config.to_path_buf(),
            log_path,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Kills the process at once (SIGKILL): no drain, no graceful shutdown.
    pub async fn kill9(&mut self) -> anyhow::Result<ExitStatus> {
        self.child.start_kill().context("sending SIGKILL")?;
        self.wait().await
    }

    /// Freezes the process (SIGSTOP), as a stalled machine would: its
    /// connections stay open and it does nothing until [`Self::resume`].
    pub async fn pause(&self) -> anyhow::Result<()> {
        self.signal("-STOP").await
    }

    /// Lets a paused process go on (SIGCONT).
    pub async fn resume(&self) -> anyhow::Result<()> {
        self.signal("-CONT").await
    }

    async fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let pid = self.pid().ok_or_else(|| anyhow!("the process has no id"))?;
        let sent = Command::new("kill")
            .arg(signal)
            .arg(pid.to_string())
            .status()
            .await
            .with_context(|| format!("running kill {signal}"))?;
        if !sent.success() {
            bail!("kill {signal} {pid} failed: {sent}");
        }
        Ok(())
    }

    /// Waits for the process to exit.
    pub async fn wait(&mut self) -> anyhow::Result<ExitStatus> {
        self.child.wait().await.context("waiting for iti-node")
    }

    /// Asks the node to shut down (SIGTERM) and waits until it has, at most
    /// `STOP_TIMEOUT`.
    pub async fn stop(&mut self) -> anyhow::Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        let pid = self.pid().ok_or_else(|| anyhow!("the process has no id"))?;
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .await
            .context("running kill -TERM")?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed: {sent}");
        }
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(status) => Ok(status?),
            Err(_) => {
                let _ = self.child.start_kill();
                bail!(
                    "iti-node {pid} did not stop within {STOP_TIMEOUT:?} of SIGTERM; log:\n{}",
                    tail(&self.log_path, 20)
                )
            }
        }
    }

    /// The resident set size (VmRSS) in kB, from /proc (Linux).
    pub fn rss_kb(&self) -> Option<u64> {
        rss_kb(self.pid()?)
    }
}

/// Writes the addresses a node bound at its first start (on port 0) into its
/// configuration, so that a restart comes back where its peers' cards and
/// its directory entry say it is.
pub fn keep_ports(config: &Path, federation: SocketAddr, local: SocketAddr) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        match key {
            "federation_listen" => out.push_str(&format!("federation_listen = \"{federation}\"")),
            "local_listen" => out.push_str(&format!("local_listen = \"{local}\"")),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    std::fs::write(config, out).with_context(|| format!("writing {}", config.display()))
}

/// VmRSS of a process in kB, from /proc/<pid>/status (Linux).
pub fn rss_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS:")
}

/// The anonymous part of the resident set (heap, stacks; not the mapped
/// binary or files) in kB (Linux).
pub fn rss_anon_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "RssAnon:")
}

/// The proportional set size in kB (Linux, /proc/<pid>/smaps_rollup): the
/// resident memory with each page shared by n processes counted 1/n, so
/// that the sum over processes is the memory they take together (the
/// binary's pages, mapped by every node, once).
pub fn pss_kb(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// CPU time a process has used (user + system) so far (Linux, assuming the
/// usual 100 clock ticks per second).
pub fn cpu_time(pid: u32) -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(std::time::Duration::from_millis(ticks * 10))
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// `target/<profile>/`: the folder of the running test executable, or its
/// parent when that is `deps/` (where cargo puts test executables).
fn profile_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running executable")?;
    let mut dir = exe
        .parent()
        .ok_or_else(|| anyhow!("{} has no folder", exe.display()))?
        .to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    Ok(dir)
}

fn binary(name: &str, env: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    profile_dir()
        .map(|d| d.join(name))
        .unwrap_or_else(|_| PathBuf::from(name))
}

/// The `iti-node` binary: `$ITI_NODE_BIN`, or `target/<profile>/iti-node`.
pub fn node_binary() -> PathBuf {
    binary("iti-node", "ITI_NODE_BIN")
}

/// The `itictl` binary: `$ITICTL_BIN`, or `target/<profile>/itictl`.
pub fn itictl_binary() -> PathBuf {
    binary("itictl", "ITICTL_BIN")
}

/// Fails with a clear message if a binary is missing (not built yet).
pub fn require_binary(path: &Path) -> anyhow::Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        bail!(
            "{} not found: build it first (cargo build -p iti-node -p itictl), \
             or point ITI_NODE_BIN / ITICTL_BIN at it",
            path.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_addresses_of_a_ready_line() {
        let (f, l, m) =
            parse_ready_line("ready federation=127.0.0.1:4000 local=127.0.0.1:4001").unwrap();
        assert_eq!(f.port(), 4000);
        assert_eq!(l.port(), 4001);
        assert!(m.is_none());
        let (_, _, m) = parse_ready_line(
            "ready federation=127.0.0.1:4000 local=127.0.0.1:4001 metrics=127.0.0.1:4002",
        )
        .unwrap();
        assert_eq!(m.map(|a| a.port()), Some(4002));
        assert!(parse_ready_line("starting").is_none());
        assert!(parse_ready_line("ready local=127.0.0.1:1").is_none());
    }
}
