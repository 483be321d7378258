//! `iti-node`: parse arguments, set up tracing, load and validate the
//! configuration, bind, and hand over to `iti_node::run`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "iti-node",
    version,
    about = "ITI Exchange node: a state's (or hub's) point of contact on the tracing federation (ISACS 05.31)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node from its configuration file.
    Run {
        /// The node's TOML configuration (see deploy/).
        #[arg(long, short, env = "ITI_CONFIG")]
        config: PathBuf,
        /// Print one line `ready federation=ADDR local=ADDR` (and
        /// ` metrics=ADDR` when configured) on stdout once the node serves
        /// (for supervisors and test harnesses).
        #[arg(long)]
        ready_line: bool,
    },
    /// Check a configuration file and print every problem found.
    CheckConfig {
        #[arg(long, short, env = "ITI_CONFIG")]
        config: PathBuf,
    },
    /// Start a small federation on loopback (three states, a regional hub and
    /// a broker, each with its own CA, certificates and database in a temporary
    /// folder), run a chained trace through it, print each step, and exit.
    Demo {
        /// Keep the temporary folder and print where it is.
        #[arg(long)]
        keep: bool,
        /// Keep the federation running afterwards: print each console's
        /// address and the PKCS#12 file (and its password) to import into a
        /// browser, and stop cleanly on Ctrl-C.
        #[arg(long)]
        serve: bool,
    },
}

fn env_overrides() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with(iti_node::config::ENV_PREFIX))
        .collect()
}

fn init_tracing(format: iti_node::config::LogFormat, level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    use std::io::IsTerminal;
    // Colour only on a terminal: log files are read with grep and by log
    // shippers.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        iti_node::config::LogFormat::Json => builder.json().init(),
        iti_node::config::LogFormat::Text => builder.init(),
    }
}

/// SIGTERM or SIGINT, listened for from the moment this is called (not from
/// the first poll): a node that has said it is ready stops cleanly on
/// either, however soon it comes.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    let received = |s: std::io::Result<Signal>| async move {
        match s {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let term = received(signal(SignalKind::terminate()));
    let interrupt = received(signal(SignalKind::interrupt()));
    async move {
        tokio::select! {
            _ = term => {}
            _ = interrupt => {}
        }
    }
}

/// glibc serves a large allocation (from 128 KiB) with a mapping of its
/// own, returned when freed, but each such free raises that threshold to
/// the block's size (up to 32 MiB): once a photograph's chunks (1 MiB)
/// have passed through, every later large buffer comes from the threads'
/// arenas, and what a burst freed stays resident (a node that had passed
/// 400 MB of photographs stayed 35–55 MB above idle). A fixed threshold
/// keeps them in mappings. glibc reads its tunables only at start, so the
/// node executes itself again once with them (same process id), adding to
/// any the operator set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn with_malloc_tunables() {
    use std::os::unix::process::CommandExt;
    const TUNABLE: &str = "glibc.malloc.mmap_threshold";
    let set = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    if set.contains(TUNABLE) {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let tunables = match set.as_str() {
        "" => format!("{TUNABLE}=131072"),
        other => format!("{other}:{TUNABLE}=131072"),
    };
    let failed = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("GLIBC_TUNABLES", tunables)
        .exec();
    // exec returns only when it failed: run on with glibc's defaults.
    eprintln!("iti-node: running with glibc's default malloc tunables ({failed})");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn with_malloc_tunables() {}

fn main() -> ExitCode {
    with_malloc_tunables();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("iti-node: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::CheckConfig { config } => {
                match iti_node::config::load(&config, &env_overrides()) {
                    Ok(c) => {
                        println!(
                            "{}: valid configuration for {}",
                            config.display(),
                            c.participant
                        );
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("iti-node: {}: {e}", config.display());
                        ExitCode::FAILURE
                    }
                }
            }
            Command::Run { config, ready_line } => {
                let cfg = match iti_node::config::load(&config, &env_overrides()) {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("iti-node: {}: {e}", config.display());
                        return ExitCode::FAILURE;
                    }
                };
                init_tracing(cfg.log_format, &cfg.log_level);
                let listeners = match iti_node::Listeners::bind(&cfg).await {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("iti-node: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                let running = match async {
                    let clock = iti_node::clock_of(&cfg)?;
                    iti_node::start(
                        cfg,
                        listeners,
                        clock,
                        iti_node::StartOptions { scheduler: true },
                    )
                    .await
                }
                .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!("iti-node: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                let shutdown = shutdown_signal();
                let (stop_reload, reload_stopped) = tokio::sync::watch::channel(false);
                let reloader = match iti_node::reload::reload_on_hangup(
                    running.node.clone(),
                    reload_stopped,
                ) {
                    Ok(task) => task,
                    Err(e) => {
                        eprintln!("iti-node: cannot listen for SIGHUP: {e}");
                        running.stop().await;
                        return ExitCode::FAILURE;
                    }
                };
                if ready_line {
                    use std::io::Write;
                    let metrics = running
                        .metrics_addr
                        .map(|a| format!(" metrics={a}"))
                        .unwrap_or_default();
                    println!(
                        "ready federation={} local={}{metrics}",
                        running.federation_addr, running.local_addr
                    );
                    let _ = std::io::stdout().flush();
                }
                shutdown.await;
                tracing::info!("shutting down");
                let _ = stop_reload.send(true);
                let _ = reloader.await;
                running.stop().await;
                ExitCode::SUCCESS
            }
            Command::Demo { keep, serve } => {
                init_tracing(iti_node::config::LogFormat::Text, "warn");
                match iti_node::demo::run(iti_node::demo::Options { keep, serve }).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("iti-node demo: {e:#}");
                        ExitCode::FAILURE
                    }
                }
            }
        }
    })
}
