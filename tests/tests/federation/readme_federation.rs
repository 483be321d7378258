//! The README's recipes, run as a newcomer runs them. "Running a
//! federation": `certs-dev/gen.sh`, the five nodes with the configurations
//! in `deploy/`, and the `itictl` commands exactly as printed, the request
//! submitted as soon as the nodes listen (no waiting for a directory
//! refresh). "Two states by hand": two CAs, certificates and peer cards
//! made with `itictl`, two nodes, a request from one to the other.
//!
//! The sections' ports are fixed (7110–7151, 7210–7221), so each runs inside a
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

const FEDERATION: &str = "## Running a federation";
const PAIR: &str = "## Two states by hand";
/// Set, to the section, in the test run again inside its namespace.
const INSIDE: &str = "ITI_README_NAMESPACE";

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// The shell commands of a README section, comments and blank lines left
/// out.
fn readme_commands(heading: &str) -> anyhow::Result<Vec<String>> {
    let readme = std::fs::read_to_string(repo().join("README.md"))?;
    let start = readme
        .find(heading)
        .ok_or_else(|| anyhow!("the README has no section {heading:?}"))?;
    let section = &readme[start + heading.len()..];
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
    ensure!(!commands.is_empty(), "no ```sh block in {heading:?}");
    Ok(commands)
}

#[test]
fn the_readme_federation_runs_as_written_and_loses_nothing_while_directories_propagate()
-> anyhow::Result<()> {
    in_a_namespace(
        FEDERATION,
        "the_readme_federation_runs_as_written_and_loses_nothing_while_directories_propagate",
    )
}

#[test]
fn the_readme_two_states_by_hand_run_as_written() -> anyhow::Result<()> {
    in_a_namespace(PAIR, "the_readme_two_states_by_hand_run_as_written")
}

/// Runs `section` in a network and PID namespace of its own: this test
/// (`test`) again, under `unshare`, told the section to run.
fn in_a_namespace(section: &str, test: &str) -> anyhow::Result<()> {
    if let Ok(inside) = std::env::var(INSIDE) {
        ensure!(inside == section, "{test} was run for {inside:?}");
        return inside_the_namespace(section);
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
        .args([
            &test_path(test),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INSIDE, section)
        .status()
        .context("running the test again under unshare (util-linux)")?;
    ensure!(
        status.success(),
        "the README's {section:?} failed: {status}"
    );
    Ok(())
}

/// `test`'s name as the test harness knows it: its module's path below the
/// crate, then its own name.
fn test_path(test: &str) -> String {
    match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::{test}"),
        None => test.to_string(),
    }
}

/// The federation, in a folder laid out like the repository.
struct Walkthrough {
    root: tempfile::TempDir,
    logs: PathBuf,
    trace: Option<String>,
}

fn inside_the_namespace(section: &str) -> anyhow::Result<()> {
    let up = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()?;
    ensure!(up.success(), "cannot bring up loopback in the namespace");
    let mut walk = Walkthrough::new()?;
    let result = walk.run_all(&readme_commands(section)?);
    if result.is_err() {
        walk.print_logs();
    }
    result
}

impl Walkthrough {
    fn new() -> anyhow::Result<Walkthrough> {
        let root = tempfile::Builder::new().prefix("iti-readme-").tempdir()?;
        for dir in ["certs-dev", "deploy", "deploy/examples", "deploy/pair"] {
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
            // The walk reads itictl's English, whatever the runner's locale.
            .env("LC_ALL", "C.UTF-8")
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
        let makes_files = [" ca init ", " cert issue ", " peer export "];
        if command == "certs-dev/gen.sh"
            || (command.starts_with("cargo run -p itictl -- ")
                && makes_files.iter().any(|c| command.contains(c)))
        {
            self.succeed(command)?;
        } else if command.contains("cargo run -p iti-node -- run --config ")
            && (command.ends_with('&') || command.ends_with("& done"))
        {
            self.succeed(command)?;
            self.until_listening(&configs_started(command)?)?;
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
            bail!("the README's section has a command this test does not know: {command}");
        }
        Ok(())
    }

    /// Waits until the nodes of `configs` accept connections on their local
    /// ports, as an officer would (the nodes need a moment to start).
    fn until_listening(&self, configs: &[String]) -> anyhow::Result<()> {
        let started = Instant::now();
        for config in configs {
            let text = std::fs::read_to_string(self.root.path().join(config))?;
            let local = text
                .lines()
                .find_map(|l| l.strip_prefix("local_listen = "))
                .map(|v| v.trim_matches('"').to_string())
                .ok_or_else(|| anyhow!("{config} has no local_listen"))?;
            while std::net::TcpStream::connect(&local).is_err() {
                ensure!(
                    started.elapsed() < Duration::from_secs(60),
                    "{config}: nothing listens on {local}"
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

/// The configurations a README line starts nodes with: `--config FILE`, or
/// `for n in a b ...; do ... --config deploy/$n.toml & done`.
fn configs_started(command: &str) -> anyhow::Result<Vec<String>> {
    let config = command
        .split("--config ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or_else(|| anyhow!("no --config in: {command}"))?;
    if !config.contains("$n") {
        return Ok(vec![config.to_string()]);
    }
    let names = command
        .strip_prefix("for n in ")
        .and_then(|rest| rest.split(';').next())
        .ok_or_else(|| anyhow!("no `for n in ...;` in: {command}"))?;
    Ok(names
        .split_whitespace()
        .map(|n| config.replace("$n", n))
        .collect())
}
