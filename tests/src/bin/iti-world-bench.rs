//! `iti-world-bench`: the whole world on one machine. The 193 member states
//! of the United Nations, six regional hubs (ECOWAS, ASEAN, the EU, SADC,
//! the EAC, the OAS) with their real members, some states in two, hub-to-hub
//! links, and an INTERPOL-style broker, each a real `iti-node` process on
//! loopback with its own CA and database. It measures:
//!
//! - how long until every participant's directory holds every participant,
//!   from the moment each published its signed entry;
//! - the memory of every node process, idle and after load;
//! - the latency (p50, p99) of trace requests between random pairs of states
//!   at a steady rate, by the number of hubs they cross (direct, one, two,
//!   three);
//! - the same while a share of the states is offline, and that every trace,
//!   those sent to the offline states included, is delivered and held by
//!   its receiver exactly once after they return.
//!
//! ```text
//! cargo build --release -p iti-node -p iti-tests --bin iti-world-bench
//! target/release/iti-world-bench [--states 193] [--hubs 6] [--rate 4] [--duration 60] [--offline-fraction 0.1] [--outage 120] [--simulated-days 7]
//! ```
//!
//! It prints figures; it fails (exit status 1) only when the world could
//! not be built or its directories did not converge.

use std::time::Duration;

use anyhow::bail;
use clap::Parser;
use iti_node::store::Durability;
use iti_tests::bench::machine;
use iti_tests::process::{node_binary, require_binary};
use iti_tests::world::{Params, run};

#[derive(Parser, Debug)]
#[command(
    name = "iti-world-bench",
    about = "The whole world on one machine: 193 states, regional hubs and a broker as iti-node processes"
)]
struct Args {
    /// States taking part (a smaller world takes states from every hub in
    /// turn and from the states in none).
    #[arg(long, default_value_t = 193)]
    states: usize,
    /// Regional hubs taking part (ECOWAS, ASEAN, EU, SADC, EAC, OAS, in
    /// that order).
    #[arg(long, default_value_t = 6)]
    hubs: usize,
    /// Trace requests per second, all states together.
    #[arg(long, default_value_t = 4.0)]
    rate: f64,
    /// Seconds each traffic phase sends.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Share of the states taken offline in the second phase (0: none).
    #[arg(long, default_value_t = 0.1)]
    offline_fraction: f64,
    /// Seconds the offline states stay down, from their kill (at least the
    /// sending phase).
    #[arg(long, default_value_t = 120)]
    outage: u64,
    /// Days every node's clock moves ahead while the offline states are
    /// down: their outage, as the federation sees it, lasts that long
    /// (0: the nodes keep the wall clock).
    #[arg(long, default_value_t = 7)]
    simulated_days: u64,
    /// Node processes started at once.
    #[arg(long, default_value_t = 4)]
    parallel: usize,
    /// Seconds the directories may take to converge.
    #[arg(long, default_value_t = 900)]
    converge_limit: u64,
    /// Seconds deliveries may take after each phase.
    #[arg(long, default_value_t = 300)]
    delivery_limit: u64,
    /// SQLite durability of the nodes: "full" (fsync at every commit, the
    /// deployment default) or "normal".
    #[arg(long, default_value = "full")]
    durability: String,
    /// Seed of the random pairs and of the states taken offline.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let durability = match args.durability.as_str() {
        "full" => Durability::Full,
        "normal" => Durability::Normal,
        other => bail!("--durability: {other:?} is not \"full\" or \"normal\""),
    };
    let params = Params {
        states: args.states,
        hubs: args.hubs,
        rate: args.rate,
        duration: Duration::from_secs(args.duration),
        offline_fraction: args.offline_fraction,
        outage: Duration::from_secs(args.outage),
        simulated_outage: Duration::from_secs(args.simulated_days * 86_400),
        parallel: args.parallel,
        converge_limit: Duration::from_secs(args.converge_limit),
        delivery_limit: Duration::from_secs(args.delivery_limit),
        durability,
        seed: args.seed,
        // Idle RSS is read once the writers' idle shrink has run.
        settle: iti_node::store::SHRINK_WHEN_IDLE_FOR + Duration::from_secs(1),
    };
    require_binary(&node_binary())?;
    let profile = if cfg!(debug_assertions) {
        "debug build of the benchmark (the nodes' build is that of the iti-node binary beside it)"
    } else {
        "release build"
    };
    println!("iti-world-bench: the whole world on one machine");
    for line in machine() {
        println!("{line}");
    }
    println!(
        "conditions:  {profile}; {} states, {} regional hubs, 1 broker; {} traces/s; SQLite durability {}; \
         every node an iti-node process ({}) on loopback, the load generator in this process",
        args.states,
        args.hubs,
        args.rate,
        args.durability,
        node_binary().display()
    );
    let report = run(&params).await?;
    report.print(&params);
    Ok(())
}
