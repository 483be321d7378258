//! The README's "Running a federation" section, run as a newcomer runs it:
//! `certs-dev/gen.sh`, the five nodes with the configurations in `deploy/`,
//! and the `itictl` commands exactly as printed, the request submitted as
//! soon as the nodes listen (no waiting for a directory refresh).
//!
//! The section's ports are fixed (7110–7151), so the test runs inside a
//! network namespace of its own (`unshare`), where nothing else can hold
//! them, and a PID namespace, so that every node it starts dies with it.
//! `cargo run -p X --` is the one thing not run literally: it stands for the
//! binary the test build already made. A command the test does not know
//! fails it: if the README changes, this test changes with it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use iti_tests::process::{itictl_binary, node_binary, require_binary};

const SECTION: &str = "## Running a federation";
const INSIDE: &str = "ITI_README_NAMESPACE";
const TEST: &str =
    "the_readme_federation_runs_as_written_and_loses_nothing_while_directories_propagate";

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// The shell commands of the README's federation section, comments and
/// blank lines left out.
fn readme_commands() -> anyhow::Result<Vec<String>> {
    let readme = std::fs::read_to_string(repo().join("README.md"))?;
    let start = readme
        .find(SECTION)
        .ok_or_else(|| anyhow!("the README has no section {SECTION:?}"))?;
    let section = &readme[start + SECTION.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut commands = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        if line.starts_with("```") {
            in_block = !in_block && line.trim() == "```sh";
            continue;
        }
        let command = line.split(" # ").next().unwrap_or("").trim();
        if in_block && !command.is_empty() && !command.starts_with('#') {
            commands.push(command.to_string());
        }
    }
    ensure!(!commands.is_empty(), "no ```sh block in {SECTION:?}");
    Ok(commands)
}

#[test]
fn the_readme_federation_runs_as_written_and_loses_nothing_while_directories_propagate()
-> anyhow::Result<()> {
    if std::env::var_os(INSIDE).is_some() {
        return inside_the_namespace();
    }
    require_binary(&node_binary())?;
    require_binary(&itictl_binary())?;
    let status = Command::new("unshare")
        .args([
            "--map-root-user",
            "--net",
            "--pid",
            "--fork",
            "--mount-proc",
        ])
        .arg(std::env::current_exe()?)
        .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .status()
        .context("running the test again under unshare (util-linux)")?;
    ensure!(status.success(), "the README's federation failed: {status}");
    Ok(())
}

/// The federation, in a folder laid out like the repository.
struct Walkthrough {
    root: tempfile::TempDir,
    logs: PathBuf,
    trace: Option<String>,
}

fn inside_the_namespace() -> anyhow::Result<()> {
    let up = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()?;
    ensure!(up.success(), "cannot bring up loopback in the namespace");
    let mut walk = Walkthrough::new()?;
    let result = walk.run_all(&readme_commands()?);
    if result.is_err() {
        walk.print_logs();
    }
    result
}

impl Walkthrough {
    fn new() -> anyhow::Result<Walkthrough> {
        let root = tempfile::Builder::new().prefix("iti-readme-").tempdir()?;
        for dir in ["certs-dev", "deploy", "deploy/examples"] {
            std::fs::create_dir_all(root.path().join(dir))?;
            for entry in std::fs::read_dir(repo().join(dir))? {
                let path = entry?.path();
                if path.is_file() {
                    let to = root
                        .path()
                        .join(dir)
                        .join(path.file_name().unwrap_or_default());
                    std::fs::copy(&path, to)?;
                }
            }
        }
        let logs = root.path().join("logs");
        std::fs::create_dir_all(&logs)?;
        Ok(Walkthrough {
            root,
            logs,
            trace: None,
        })
    }

    /// Runs one README line in bash, with `cargo run -p X --` standing for
    /// the binary already built. Node processes log to files.
    fn shell(&self, command: &str) -> anyhow::Result<Output> {
        const SHIM: &str = r#"
cargo() {
  if [[ "$1 $2 $3 $4" == "run -p iti-node --" ]]; then
    shift 4; "$ITI_NODE_BIN" "$@" >>"$ITI_LOGS/node-$BASHPID.log" 2>&1
  elif [[ "$1 $2 $3 $4" == "run -p itictl --" ]]; then
    shift 4; "$ITICTL" "$@"
  else
    echo "the test does not know: cargo $*" >&2; return 97
  fi
}
"#;
        // Output goes to files, not pipes: nodes started in the background
        // keep their shell's standard output open.
        let (stdout, stderr) = (self.logs.join("stdout"), self.logs.join("stderr"));
        let status = Command::new("bash")
            .arg("-c")
            .arg(format!("{SHIM}\n{command}"))
            .current_dir(self.root.path())
            .env("ITICTL", itictl_binary())
            .env("ITI_NODE_BIN", node_binary())
            .env("ITI_LOGS", &self.logs)
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?)
            .status()
            .with_context(|| format!("running {command}"))?;
        Ok(Output {
            status,
            stdout: std::fs::read(&stdout)?,
            stderr: std::fs::read(&stderr)?,
        })
    }

    fn succeed(&self, command: &str) -> anyhow::Result<String> {
        let out = self.shell(command)?;
        ensure!(
            out.status.success(),
            "{command}\nfailed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8(out.stdout)?)
    }

    /// Runs a read command until its output shows `what`.
    fn until(&self, command: &str, what: &str, shows: impl Fn(&str) -> bool) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < Duration::from_secs(60) {
            let out = self.shell(command)?;
            last = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if out.status.success() && shows(&last) {
                println!("{what}: after {:.1} s", started.elapsed().as_secs_f64());
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("{command}\nnever showed {what}; last output:\n{last}")
    }

    fn trace(&self) -> anyhow::Result<&str> {
        self.trace
            .as_deref()
            .ok_or_else(|| anyhow!("a command names TRACE before any request was submitted"))
    }

    fn run_all(&mut self, commands: &[String]) -> anyhow::Result<()> {
        for command in commands {
            println!("$ {command}");
            self.run(command)?;
        }
        ensure!(self.trace.is_some(), "the section submits no request");
        self.no_colour_in_logs()
    }

    fn run(&mut self, command: &str) -> anyhow::Result<()> {
        if command == "certs-dev/gen.sh" {
            self.succeed(command)?;
        } else if command.contains("cargo run -p iti-node -- run --config deploy/$n.toml &") {
            self.succeed(command)?;
            self.until_listening()?;
        } else if command.contains(" request submit ") {
            let out = self.succeed(command)?;
            let trace = out
                .split("trace ")
                .nth(1)
                .and_then(|s| s.split_whitespace().next())
                .ok_or_else(|| anyhow!("no trace id in: {out}"))?;
            self.trace = Some(trace.to_string());
        } else if command.ends_with(" inbox") {
            let trace = self.trace()?.to_string();
            self.until(command, "the request in the inbox", |out| {
                out.contains(&trace)
            })?;
        } else if command.contains(" case show TRACE") {
            let command = command.replace("TRACE", self.trace()?);
            self.until(&command, "the acknowledgement and the response", |out| {
                out.contains("state: responded") && out.contains("acknowledgement")
            })?;
        } else if command.contains(" ack TRACE") || command.contains(" respond TRACE ") {
            self.succeed(&command.replace("TRACE", self.trace()?))?;
        } else {
            bail!(
                "the README's federation section has a command this test does not know: {command}"
            );
        }
        Ok(())
    }

    /// Waits until every node of `deploy/` accepts connections on its local
    /// port, as an officer would (the nodes need a moment to start).
    fn until_listening(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        for config in ["gha", "nga", "bel", "ecowas", "interpol"] {
            let text =
                std::fs::read_to_string(self.root.path().join(format!("deploy/{config}.toml")))?;
            let local = text
                .lines()
                .find_map(|l| l.strip_prefix("local_listen = "))
                .map(|v| v.trim_matches('"').to_string())
                .ok_or_else(|| anyhow!("deploy/{config}.toml has no local_listen"))?;
            while std::net::TcpStream::connect(&local).is_err() {
                ensure!(
                    started.elapsed() < Duration::from_secs(60),
                    "deploy/{config}.toml: nothing listens on {local}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// Node logs written to a file are read with grep and by log shippers:
    /// no terminal colour codes.
    fn no_colour_in_logs(&self) -> anyhow::Result<()> {
        for entry in std::fs::read_dir(&self.logs)? {
            let path = entry?.path();
            if !path.to_string_lossy().contains("node-") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            ensure!(!text.is_empty(), "{} is empty", path.display());
            ensure!(
                !text.contains('\u{1b}'),
                "{} holds ANSI escape codes",
                path.display()
            );
        }
        Ok(())
    }

    fn print_logs(&self) {
        let Ok(entries) = std::fs::read_dir(&self.logs) else {
            return;
        };
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            eprintln!("==== {} (last lines)", entry.path().display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}
