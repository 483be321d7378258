//! `iti-records-bench`: the national tracing system at a large state's
//! scale. For each backend (SQLite, PostgreSQL):
//!
//! 1. import: synthetic national records (`iti_tests::records_gen`: every
//!    kind, consistent histories, realistic misreadings) streamed to a node
//!    through the `ImportRecords` RPC, source by source, as `itictl records
//!    import` sends them; records per second, and the process's resident
//!    memory sampled through the import (node, client and generator share
//!    this process);
//! 2. search: misread-tolerant searches (`SearchRecords`, over mutual TLS,
//!    one at a time) for weapons the import holds, each serial misread as
//!    another agency might have typed it; p50 and p99, and how many found
//!    their weapon; on PostgreSQL again after a `CHECKPOINT` (if the role
//!    may: `pg_checkpoint`), once the import's pages are written out;
//! 3. drafted answer: trace requests sent from a second node; from the
//!    receipt of each request to its answer drafted from the records and
//!    stored (the node's own draft, made as the request arrives), and the
//!    drafting itself timed in this process.
//!
//! ```text
//! cargo run --release -p iti-tests --bin iti-records-bench -- [--records 10000000] [--backend sqlite|postgres|both]
//! ```
//!
//! PostgreSQL needs `ITI_TEST_POSTGRES_URL` (a throwaway database is made
//! and dropped). It prints figures and asserts nothing about them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use clap::Parser;
use iti_node::clock::SystemClock;
use iti_node::sandbox::{MemberOptions, Sandbox};
use iti_node::store::Durability;
use iti_proto::v1 as pb;
use iti_proto::v1::records_client::RecordsClient;
use iti_tests::bench::{RssSampler, ms, own_thread_cpu, p50_p99_max, percentile};
use iti_tests::records_gen::{self, SOURCES};
use iti_tests::{fixtures, p, submit};

#[derive(Parser, Debug)]
#[command(
    name = "iti-records-bench",
    about = "national records at scale: import, search, drafted answers"
)]
struct Args {
    /// Records to import (about; whole weapons are generated).
    #[arg(long, default_value_t = 10_000_000)]
    records: u64,
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Misread-tolerant searches timed.
    #[arg(long, default_value_t = 2_000)]
    searches: usize,
    /// Requests answered by a drafted answer, sent back to back.
    #[arg(long, default_value_t = 300)]
    drafts: usize,
    /// Then requests sent one at a time, each once the last is drafted.
    #[arg(long, default_value_t = 100)]
    paced: usize,
    #[arg(long, default_value_t = 20_260_101)]
    seed: u64,
}

const BATCH: usize = 500;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The node's errors (an internal error's details).
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_writer(std::io::stderr)
        .init();
    let per = records_gen::records_per_weapon(args.seed);
    let weapons = (args.records as f64 / per).ceil() as u64;
    println!(
        "iti-records-bench: {} records wanted, {weapons} weapons at {per:.2} records each",
        args.records
    );
    let backends: Vec<&str> = match args.backend.as_str() {
        "both" => vec!["sqlite", "postgres"],
        b => vec![b],
    };
    for backend in backends {
        run(&args, backend, weapons).await?;
    }
    Ok(())
}

async fn run(args: &Args, backend: &str, weapons: u64) -> anyhow::Result<()> {
    println!("\n== {backend} ==");
    let mut sandbox = Sandbox::create(Arc::new(SystemClock))?;
    let pg = if backend == "postgres" {
        Some(
            iti_node::store::testdb::fresh_postgres()
                .await
                .ok_or_else(|| anyhow!("postgres needs ITI_TEST_POSTGRES_URL"))?,
        )
    } else {
        None
    };
    sandbox.add(
        "NGA",
        MemberOptions {
            durability: Some(Durability::Full),
            database_url: pg.as_ref().map(|d| d.url().to_string()),
            ..Default::default()
        },
    )?;
    sandbox.add("GHA", MemberOptions::default())?;
    sandbox.start_all().await?;
    sandbox.peer(&p("NGA"), &p("GHA")).await?;
    let dir = sandbox.officer_dir(&p("NGA"), iti_node::identity::Role::Poc)?;
    // An import streams for minutes: a channel without the usual 30 s limit.
    let nga = sandbox.member(&p("NGA"))?;
    let cert = iti_node::identity::pki::read_keyed(&dir.join("cert.pem"), &dir.join("key.pem"))?;
    let channel = iti_node::identity::tls::officer_channel(
        &sandbox.local_addr(&p("NGA"))?,
        &cert,
        &nga.ca.cert_pem,
        Duration::from_secs(24 * 3600),
    )?;
    let mut records = RecordsClient::new(channel).max_decoding_message_size(64 << 20);

    // 1. Import: every source at once (as agencies' feeds are), one pass of
    // the generator dispatching each record to its source's stream.
    let cpu_before = iti_tests::process::cpu_time(std::process::id());
    let started = Instant::now();
    use pb::import_records_message::Part;
    let mut senders = Vec::new();
    let mut calls = Vec::new();
    for source in SOURCES {
        let (tx, rx) = tokio::sync::mpsc::channel::<pb::ImportRecordsMessage>(4);
        tx.send(pb::ImportRecordsMessage {
            part: Some(Part::Header(pb::ImportHeader {
                source: source.name.into(),
                kind: source.kind as i32,
                domain: source.domain as i32,
                markings: vec![],
                dry_run: false,
            })),
        })
        .await?;
        senders.push(tx);
        let mut client = records.clone();
        calls.push(tokio::spawn(async move {
            client
                .import_records(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
                .map(|r| r.into_inner())
        }));
    }
    let seed = args.seed;
    let generator = std::thread::Builder::new()
        .name("records-gen".into())
        .spawn(move || {
            let mut batches: Vec<Vec<pb::NationalRecord>> = vec![Vec::new(); SOURCES.len()];
            let flush = |si: usize, batch: Vec<pb::NationalRecord>| {
                senders[si]
                    .blocking_send(pb::ImportRecordsMessage {
                        part: Some(Part::Batch(pb::RecordBatch { records: batch })),
                    })
                    .is_ok()
            };
            for i in 0..weapons {
                for (si, r) in records_gen::weapon(seed, i).records {
                    batches[si].push(r);
                    if batches[si].len() == BATCH && !flush(si, std::mem::take(&mut batches[si])) {
                        return own_thread_cpu();
                    }
                }
            }
            for (si, batch) in batches.into_iter().enumerate() {
                if !batch.is_empty() {
                    flush(si, batch);
                }
            }
            own_thread_cpu()
        })?;
    let sampling = RssSampler::start();
    let mut total = 0u64;
    for (source, call) in SOURCES.iter().zip(calls) {
        let reply = call
            .await?
            .with_context(|| format!("importing {}", source.name))?;
        total += reply.imported;
        println!(
            "  {:<22} {:>9} records, {} rejected",
            source.name, reply.imported, reply.rejected_count
        );
    }
    let (lo, hi, samples) = sampling.finish().await;
    let generator_cpu = generator.join().unwrap_or_default();
    let secs = started.elapsed().as_secs_f64();
    let cpu = iti_tests::process::cpu_time(std::process::id())
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before).saturating_sub(generator_cpu));
    println!(
        "import: {total} records in {secs:.1} s: {:.0} records/s; process RSS during import {lo:.0}–{hi:.0} MB (first 5% of samples skipped), {} samples",
        total as f64 / secs,
        samples
    );
    if let Some(cpu) = cpu {
        println!(
            "import CPU (this process less the generator's thread: node and client): {:.1} s, {:.1} µs a record; records per CPU-second {:.0}{}",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / total.max(1) as f64,
            total as f64 / cpu.as_secs_f64().max(1e-9),
            if backend == "postgres" {
                " (the PostgreSQL server's own CPU not counted)"
            } else {
                ""
            }
        );
    }

    // 2. Misread-tolerant search: right after the import, and on
    // PostgreSQL again once the import's pages are written out (its
    // checkpoint otherwise competes with each search's audited commit for
    // the disk, as it would on a register searched while it loads).
    search(&mut records, args, weapons, "right after the import").await?;
    if let Some(db) = &pg {
        match checkpoint(db.url()).await {
            Ok(()) => search(&mut records, args, weapons, "after a CHECKPOINT").await?,
            Err(e) => println!("search after a CHECKPOINT: not measured ({e})"),
        }
    }

    // 3. Drafted answers: requests from GHA, drafted by NGA on receipt;
    // first all sent back to back (a burst: each waits behind the others),
    // then one at a time (each sent once the previous draft is stored).
    let mut gha = sandbox.officer(&p("GHA"), iti_node::identity::Role::Poc)?;
    let node = sandbox.node(&p("NGA"))?.clone();
    let burst: Vec<String> = {
        let mut sent = Vec::new();
        for k in 0..args.drafts {
            sent.push(submit(&mut gha, draft_request(args.seed, weapons, k)).await?);
        }
        sent
    };
    let mut waited = Vec::new();
    for t in &burst {
        waited.push(drafted_after(&node, t).await?);
    }
    let mut paced = Vec::new();
    for k in args.drafts..args.drafts + args.paced {
        let t = submit(&mut gha, draft_request(args.seed, weapons, k)).await?;
        paced.push(drafted_after(&node, &t).await?);
    }
    waited.sort();
    paced.sort();
    let registry = node.registry();
    let mut direct = Vec::new();
    for t in &burst {
        let id = t.parse()?;
        let s = Instant::now();
        registry
            .draft_answer_for(id)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        direct.push(s.elapsed());
    }
    direct.sort();
    println!(
        "drafted answer, receipt to stored draft (node clock, ms resolution): {} requests sent back to back p50 {:.0} ms, p99 {:.0} ms; {} sent one at a time p50 {:.0} ms, p99 {:.0} ms; drafting alone (search of every item in every domain, the draft, its write) p50 {:.2} ms, p99 {:.2} ms",
        burst.len(),
        ms(percentile(&waited, 0.5)),
        ms(percentile(&waited, 0.99)),
        paced.len(),
        ms(percentile(&paced, 0.5)),
        ms(percentile(&paced, 0.99)),
        ms(percentile(&direct, 0.5)),
        ms(percentile(&direct, 0.99)),
    );
    // The node's store (its connections) goes with the last handle to it,
    // before its database is dropped.
    drop((registry, node));
    sandbox.stop_all().await;
    drop(sandbox);
    drop(pg);
    Ok(())
}

/// The `k`th request of the drafted-answer phase: one weapon the import
/// holds, its serial misread, said to be last imported by NGA.
fn draft_request(seed: u64, weapons: u64, k: usize) -> pb::TraceRequest {
    let i = (k as u64).wrapping_mul(40_503) % weapons;
    let w = records_gen::weapon(seed, i);
    let mut request = fixtures::fal_request();
    request.items.truncate(1);
    if let Some(pb::recovered_item::Item::Weapon(x)) = &mut request.items[0].item {
        x.make = w.make.into();
        x.model = w.model.into();
        x.calibre = w.calibre.into();
        x.serial_number = records_gen::misread(&w.serial, i);
        x.country_of_manufacture = String::new();
        x.country_of_last_import = "NGA".into();
        x.marks.clear();
    }
    request
}

/// From the request's receipt at `node` to its draft stored, once stored
/// (polled: the node drafts in the background).
async fn drafted_after(node: &iti_node::service::Node, trace: &str) -> anyhow::Result<Duration> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT d.drafted_at, t.received_at FROM response_drafts d JOIN traces t ON t.trace_id = d.trace_id WHERE d.trace_id = $1",
        )
        .bind(trace)
        .fetch_optional(node.store.pool())
        .await?;
        if let Some((drafted, received)) = row {
            return Ok(Duration::from_millis((drafted - received).max(0) as u64));
        }
        if Instant::now() > deadline {
            return Err(anyhow!("no draft for {trace} after 300 s"));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Times `args.searches` misread-tolerant searches, one at a time, and
/// prints their latency and how many found their weapon.
async fn search(
    records: &mut RecordsClient<tonic::transport::Channel>,
    args: &Args,
    weapons: u64,
    when: &str,
) -> anyhow::Result<()> {
    let mut lat = Vec::with_capacity(args.searches);
    let mut found = 0usize;
    for k in 0..args.searches {
        let i = (k as u64).wrapping_mul(2_654_435_761) % weapons;
        let w = records_gen::weapon(args.seed, i);
        let read = records_gen::misread(&w.serial, i ^ 0xABCD);
        let t = Instant::now();
        let reply = records
            .search_records(pb::SearchRecordsRequest {
                make: w.make.into(),
                serial: read,
                ..Default::default()
            })
            .await?
            .into_inner();
        lat.push(t.elapsed());
        if reply.matches.iter().any(|m| {
            m.record
                .as_ref()
                .and_then(|r| r.record.as_ref())
                .is_some_and(|r| {
                    r.source_key.ends_with(&format!("-{i}"))
                        || r.source_key.contains(&format!("-{i}-"))
                })
        }) {
            found += 1;
        }
    }
    lat.sort();
    println!(
        "search {when} (misread serial, gRPC over mutual TLS, audited, one at a time): {} searches, {}; {found} found their weapon",
        lat.len(),
        p50_p99_max(&lat)
    );

    Ok(())
}

/// Writes every dirty page of the server out (PostgreSQL's `CHECKPOINT`:
/// a superuser's, or the `pg_checkpoint` role's, right).
async fn checkpoint(url: &str) -> anyhow::Result<()> {
    use sqlx::Executor;
    let mut conn = iti_node::store::hosts::connect_writable(url).await?;
    conn.execute("CHECKPOINT").await?;
    Ok(())
}
