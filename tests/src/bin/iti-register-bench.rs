//! `iti-register-bench`: the broker's lost/stolen register at INTERPOL's
//! scale (issue 16). For each backend (SQLite, PostgreSQL):
//!
//! 1. import: synthetic reports (makes as skewed as real registers: a few
//!    makes hold most reports), streamed to an in-process broker through the
//!    `ImportLostStolen` RPC as `itictl register import` sends them, four
//!    feeds at once; reports per second, and the process's resident memory;
//! 2. matching: requests of one weapon, its serial misread as an officer
//!    would read it (half of them reported, half not), checked as every
//!    request passing the broker is; p50 and p99 per item;
//! 3. a seized cache of 1,000 weapons, checked as the ten requests of 100
//!    items (the bound on a request's items) it is sent as.
//!
//! ```sh
//! cargo run --release -p iti-tests --bin iti-register-bench -- [--reports 10000000] [--backend sqlite|postgres|both]
//! ```
//!
//! PostgreSQL needs `ITI_TEST_POSTGRES_URL`. It prints figures and asserts
//! nothing about them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use clap::Parser;
use iti_node::clock::SystemClock;
use iti_node::sandbox::{MemberOptions, Sandbox};
use iti_node::store::Durability;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::bench::{RssSampler, ms, p50_p99_max};
use iti_tests::{p, records_gen};

#[derive(Parser, Debug)]
#[command(
    name = "iti-register-bench",
    about = "the broker's lost/stolen register at scale: import, matching, a seized cache"
)]
struct Args {
    #[arg(long, default_value_t = 10_000_000)]
    reports: u64,
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Single-weapon checks timed.
    #[arg(long, default_value_t = 2_000)]
    checks: usize,
    #[arg(long, default_value_t = 20_261_130)]
    seed: u64,
}

/// Feeds streaming at once, and reports per message.
const FEEDS: u64 = 4;
const BATCH: usize = 500;

/// Makes, most reported first: the first few hold most of the register.
const MAKES: [&str; 12] = [
    "KALASHNIKOV",
    "GLOCK",
    "FN HERSTAL",
    "BERETTA",
    "SMITH & WESSON",
    "HECKLER & KOCH",
    "SIG SAUER",
    "CZ",
    "NORINCO",
    "TAURUS",
    "RUGER",
    "WALTHER",
];
const STATES: [&str; 8] = ["NGA", "GHA", "BEL", "FRA", "BRA", "ZAF", "IND", "USA"];

/// A small deterministic generator (splitmix64).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Report `i`: its make (half of all reports are of the first make, a
/// quarter of the second...) and a serial unique within the register.
fn report(seed: u64, i: u64) -> pb::LostStolenRecord {
    let r = mix(seed ^ i);
    let make = MAKES[(r.trailing_zeros() as usize).min(MAKES.len() - 1)];
    pb::LostStolenRecord {
        line: i + 1,
        reported_by: STATES[(r >> 40) as usize % STATES.len()].into(),
        make: make.into(),
        model: String::new(),
        serial_number: serial(seed, i),
        calibre: String::new(),
        reported_on: "2019-03-14".into(),
        circumstances: "theft from an armoury".into(),
        reference: format!("LS-{i:09}"),
    }
}

/// A serial engraved as makers do: two letters and digits, unique per `i`.
fn serial(seed: u64, i: u64) -> String {
    let r = mix(seed.rotate_left(17) ^ i);
    let letters = [b'A' + (r % 26) as u8, b'A' + ((r >> 8) % 26) as u8];
    format!(
        "{}{}{:07}",
        letters[0] as char,
        letters[1] as char,
        i % 10_000_000
    )
}

fn check_of(items: Vec<(String, String)>) -> pb::TraceRequest {
    pb::TraceRequest {
        items: items
            .into_iter()
            .map(|(make, serial_number)| pb::RecoveredItem {
                item: Some(pb::recovered_item::Item::Weapon(pb::WeaponIdentification {
                    make,
                    serial_number,
                    ..Default::default()
                })),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "iti-register-bench: {} reports, {} makes (half of the reports of one make)",
        args.reports,
        MAKES.len()
    );
    let backends: Vec<&str> = match args.backend.as_str() {
        "both" => vec!["sqlite", "postgres"],
        b => vec![b],
    };
    for backend in backends {
        run(&args, backend).await?;
    }
    Ok(())
}

async fn run(args: &Args, backend: &str) -> anyhow::Result<()> {
    println!("\n== {backend} ==");
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    let pg = match backend {
        "postgres" => Some(
            iti_node::store::testdb::fresh_postgres()
                .await
                .ok_or_else(|| anyhow!("postgres needs ITI_TEST_POSTGRES_URL"))?,
        ),
        _ => None,
    };
    let broker = p("hub:INTERPOL");
    sandbox.add(
        "hub:INTERPOL",
        MemberOptions {
            hub: true,
            durability: Some(Durability::Full),
            database_url: pg.as_ref().map(|d| d.url().to_string()),
            ..Default::default()
        },
    )?;
    sandbox.start_all().await?;
    let dir = sandbox.officer_dir(&broker, iti_node::identity::Role::Poc)?;
    let cert = iti_node::identity::pki::read_keyed(&dir.join("cert.pem"), &dir.join("key.pem"))?;
    // An import streams for minutes: no 30 s limit on the call.
    let channel = iti_node::identity::tls::officer_channel(
        &sandbox.local_addr(&broker)?,
        &cert,
        &sandbox.member(&broker)?.ca.cert_pem,
        Duration::from_secs(24 * 3600),
    )?;
    import(args, LocalClient::new(channel)).await?;
    let node = sandbox.node(&broker)?.clone();
    matching(args, &node).await?;
    seized_cache(args, &node).await?;
    // The broker's store (its connections) goes with the last handle to it,
    // before its database is dropped.
    drop(node);
    sandbox.stop_all().await;
    drop(sandbox);
    drop(pg);
    Ok(())
}

async fn import(args: &Args, client: LocalClient<tonic::transport::Channel>) -> anyhow::Result<()> {
    let started = Instant::now();
    let sampling = RssSampler::start();
    let mut calls = Vec::new();
    for feed in 0..FEEDS {
        let (tx, rx) = tokio::sync::mpsc::channel::<pb::LostStolenRecord>(BATCH * 2);
        let (seed, reports) = (args.seed, args.reports);
        std::thread::spawn(move || {
            for i in (feed..reports).step_by(FEEDS as usize) {
                if tx.blocking_send(report(seed, i)).is_err() {
                    return;
                }
            }
        });
        let mut c = client.clone();
        calls.push(tokio::spawn(async move {
            c.import_lost_stolen(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
                .map(|r| r.into_inner())
        }));
    }
    let mut accepted = 0;
    for call in calls {
        accepted += call.await?.context("importing")?.accepted;
    }
    let (lo, hi, samples) = sampling.finish().await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "import: {accepted} reports in {secs:.1} s: {:.0} reports/s; process RSS {lo:.0}–{hi:.0} MB ({samples} samples, first 5% skipped)",
        accepted as f64 / secs
    );
    Ok(())
}

/// One weapon per check, its serial misread; every other one was reported.
async fn matching(args: &Args, node: &iti_node::service::Node) -> anyhow::Result<()> {
    let mut lat = Vec::with_capacity(args.checks);
    let (mut hits, mut expected) = (0, 0);
    for k in 0..args.checks as u64 {
        let i = mix(k) % args.reports;
        let r = report(args.seed, i);
        let reported = k % 2 == 0;
        let serial = if reported {
            expected += 1;
            records_gen::misread(&r.serial_number, k)
        } else {
            serial(args.seed ^ 0xFFFF, i)
        };
        let request = check_of(vec![(r.make, serial)]);
        let t = Instant::now();
        let (_, matches) = iti_node::hub::register::check_request(node, &request)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        lat.push(t.elapsed());
        hits += usize::from(matches > 0);
    }
    lat.sort();
    println!(
        "matching (one weapon, serial misread, in process): {} checks, {}; {hits} matched of {expected} reported",
        lat.len(),
        p50_p99_max(&lat)
    );
    Ok(())
}

/// A seized cache of 1,000 weapons: ten requests of 100 items.
async fn seized_cache(args: &Args, node: &iti_node::service::Node) -> anyhow::Result<()> {
    let items = 100;
    let started = Instant::now();
    let mut matches = 0;
    for request in 0..1_000 / items as u64 {
        let weapons = (0..items as u64)
            .map(|j| {
                let r = report(args.seed, mix(request * 1_000 + j) % args.reports);
                let serial = records_gen::misread(&r.serial_number, j);
                (r.make, serial)
            })
            .collect();
        let (_, found) = iti_node::hub::register::check_request(node, &check_of(weapons))
            .await
            .map_err(|e| anyhow!("{e}"))?;
        matches += found;
    }
    println!(
        "seized cache: 1000 weapons (all reported, serials misread) as {} requests of {items}: {:.0} ms, {matches} matches",
        1_000 / items,
        ms(started.elapsed())
    );
    Ok(())
}
