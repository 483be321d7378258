//! The whole world on one machine (`iti-world-bench`): the 193 states, six
//! regional hubs and an INTERPOL-style broker as real `iti-node` processes
//! on loopback, each with its own CA and database.
//!
//! `geo` (the states, regions, hub links, neighbours), `topology` (who takes
//! part, who peers with whom, routes, the hubs a trace is expected to
//! cross), `fleet` (the processes: made, started, peered, published,
//! killed, restarted), `traffic` (traces at a steady rate, their delivery,
//! what receivers hold), and here the scenario and its figures.

pub mod fleet;
pub mod geo;
pub mod topology;
pub mod traffic;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::bail;
use iti_node::store::Durability;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::bench::{load_average, percentile};
use fleet::{Convergence, Memory, World};
use topology::{Kind, Topology};
use traffic::{Outcome, Sent};

/// What to run.
#[derive(Debug, Clone)]
pub struct Params {
    pub states: usize,
    pub hubs: usize,
    /// Trace requests per second, all states together.
    pub rate: f64,
    /// How long each phase sends.
    pub duration: Duration,
    /// Share of the states taken offline in the second phase (0: no such
    /// phase).
    pub offline_fraction: f64,
    /// How long the offline states stay down, from their kill (at least
    /// the sending phase).
    pub outage: Duration,
    /// How much further every node's clock moves while the offline states
    /// are down (ZERO: the nodes keep the wall clock). A week takes the
    /// outage past every weekly limit: deadlines fall due, retries run at
    /// their cap, envelopes wait a week before they are taken.
    pub simulated_outage: Duration,
    /// Processes started at once.
    pub parallel: usize,
    /// How long directories may take to converge before the run gives up.
    pub converge_limit: Duration,
    /// How long deliveries may take after their phase.
    pub delivery_limit: Duration,
    pub durability: Durability,
    pub seed: u64,
    /// How long deliveries and allocators are left to go quiet before
    /// memory is read (0 in tests).
    pub settle: Duration,
}

/// One phase's traces and what became of them.
#[derive(Debug, Default)]
pub struct Phase {
    pub sent: Vec<Sent>,
    pub submit_errors: Vec<String>,
    pub outcomes: BTreeMap<String, Outcome>,
    /// From the end of sending (or the restart) until the last delivery.
    pub settled_after: Duration,
}

impl Phase {
    fn delivered(&self) -> usize {
        self.sent
            .iter()
            .filter(|s| {
                self.outcomes
                    .get(&s.envelope_id)
                    .is_some_and(|o| o.latency.is_some())
            })
            .count()
    }
}

/// Everything the run measured.
#[derive(Debug, Default)]
pub struct Report {
    pub participants: usize,
    pub peerings: usize,
    pub created: Duration,
    pub started: Duration,
    pub peered: Duration,
    pub convergence: Convergence,
    /// CPU time of all node processes from publication to convergence.
    pub convergence_cpu: Duration,
    /// Participants lacking entries when asked over the local API after
    /// convergence.
    pub api_lacking: BTreeMap<String, Vec<String>>,
    pub idle: Vec<Memory>,
    pub after_load: Vec<Memory>,
    pub steady: Phase,
    pub offline_states: Vec<String>,
    pub outage: Duration,
    /// The offline phase's traces between states that stayed up.
    pub during: Phase,
    /// Traces to the states that were offline, after their return.
    pub returned: Phase,
    pub restart_took: Duration,
    /// Per state: traces it holds as the requested state that were sent
    /// to it (0 when all is well) / more than were sent.
    pub strays: Vec<String>,
    pub node_cpu: Duration,
    /// The load generator's own CPU (this process: submissions, polls).
    pub bench_cpu: Duration,
    pub wall: Duration,
    pub load_at_end: String,
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

/// A latency: in ms, or, past a day (a simulated outage), in days and s.
fn waited(d: Duration) -> String {
    const DAY: u64 = 86_400;
    if d.as_secs() < DAY {
        return format!("{} ms", ms(d));
    }
    let rest = d - Duration::from_secs(d.as_secs() / DAY * DAY);
    format!("{} d {} s", d.as_secs() / DAY, secs(rest))
}

fn days(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() / 86_400.0)
}

fn secs(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

/// Runs the whole scenario. Stops every node before it returns.
pub async fn run(params: &Params) -> anyhow::Result<Report> {
    let topology = Topology::new(params.states, params.hubs)?;
    let mut report = Report {
        participants: topology.participants().len(),
        peerings: topology.peerings().len(),
        ..Default::default()
    };
    let begin = Instant::now();
    let simulated_time = !params.simulated_outage.is_zero();
    let mut world = World::create(topology, params.durability, simulated_time)?;
    report.created = begin.elapsed();
    eprintln!(
        "world: {} participants made in {} s in {}",
        report.participants,
        secs(report.created),
        world.root().display()
    );
    let outcome = scenario(&mut world, params, &mut report).await;
    report.node_cpu = world.cpu_total();
    report.bench_cpu = crate::process::cpu_time(std::process::id()).unwrap_or_default();
    world.stop_all().await;
    report.wall = begin.elapsed();
    report.load_at_end = load_average();
    outcome?;
    Ok(report)
}

async fn scenario(world: &mut World, params: &Params, report: &mut Report) -> anyhow::Result<()> {
    let t = Instant::now();
    world.start_all(params.parallel).await?;
    report.started = t.elapsed();
    eprintln!(
        "world: {} processes started in {} s",
        world.nodes.len(),
        secs(report.started)
    );
    let t = Instant::now();
    world.peer_all(params.parallel).await?;
    report.peered = t.elapsed();
    eprintln!(
        "world: {} pins made in {} s",
        report.peerings,
        secs(report.peered)
    );

    // Directory convergence: from the first publication until every
    // participant's directory holds every participant.
    let t = Instant::now();
    let cpu_before = world.cpu_total();
    world.publish_all(params.parallel).await?;
    report.convergence = world.await_convergence(t, params.converge_limit).await;
    report.convergence_cpu = world.cpu_total().saturating_sub(cpu_before);
    eprintln!(
        "world: {} of {} directories complete after {} s",
        report.convergence.at.len(),
        world.nodes.len(),
        secs(t.elapsed())
    );
    if !report.convergence.lacking.is_empty() {
        let (who, lacking) = report
            .convergence
            .lacking
            .iter()
            .next()
            .unwrap_or_else(|| unreachable!());
        bail!(
            "{} directories still lack entries after {} s (e.g. {who} lacks {} of them: {})",
            report.convergence.lacking.len(),
            secs(params.converge_limit),
            lacking.len(),
            lacking
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    report.api_lacking = world.directory_lacking().await?;
    settle(params.settle).await;
    report.idle = world.memory();

    let mut rng = StdRng::seed_from_u64(params.seed);
    let classes = traffic::pairs_by_hubs(world);
    let class_keys: Vec<usize> = classes.keys().copied().collect();

    // Steady traffic: the classes of route in turn, a random pair of each.
    eprintln!(
        "world: steady traffic, {} traces/s for {} s",
        params.rate,
        secs(params.duration)
    );
    let (sent, errors) =
        traffic::send_steadily(world, &mut rng, params.rate, params.duration, |rng, n| {
            let class = &classes[&class_keys[n % class_keys.len()]];
            let (a, b) = class[rng.random_range(0..class.len())].clone();
            Some((a, b, false))
        })
        .await;
    let (outcomes, settled) = traffic::await_delivery(world, &sent, params.delivery_limit).await;
    report.steady = Phase {
        sent,
        submit_errors: errors,
        outcomes,
        settled_after: settled,
    };
    settle(params.settle).await;
    report.after_load = world.memory();

    if params.offline_fraction > 0.0 {
        offline_phase(world, params, report, &mut rng, &classes, &class_keys).await?;
    }

    // Exactly once: each receiver holds each request sent to it once, and
    // nothing else.
    let mut all: Vec<Sent> = Vec::new();
    for phase in [&mut report.steady, &mut report.during, &mut report.returned] {
        traffic::receivers_hold(world, &phase.sent, &mut phase.outcomes).await;
        all.extend(phase.sent.iter().cloned());
    }
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &all {
        expected
            .entry(s.destination.clone())
            .or_default()
            .insert(s.trace_id.clone());
    }
    for state in world.topology.states.clone() {
        let held = traffic::requested_traces(world, &state).await?;
        let want = expected.remove(&state).unwrap_or_default();
        let unique: BTreeSet<String> = held.iter().cloned().collect();
        if held.len() != unique.len() || unique != want {
            report.strays.push(format!(
                "{state}: holds {} requested traces ({} distinct), {} were sent to it",
                held.len(),
                unique.len(),
                want.len()
            ));
        }
    }
    Ok(())
}

async fn offline_phase(
    world: &mut World,
    params: &Params,
    report: &mut Report,
    rng: &mut StdRng,
    classes: &BTreeMap<usize, Vec<(String, String)>>,
    class_keys: &[usize],
) -> anyhow::Result<()> {
    let states = world.topology.states.clone();
    let count = ((states.len() as f64 * params.offline_fraction).round() as usize)
        .clamp(1, states.len() - 2);
    let mut offline: Vec<String> = Vec::new();
    while offline.len() < count {
        let s = &states[rng.random_range(0..states.len())];
        if !offline.contains(s) {
            offline.push(s.clone());
        }
    }
    offline.sort();
    eprintln!(
        "world: {} states offline ({}), {} traces/s for {} s, half of them to those states",
        offline.len(),
        offline.join(" "),
        params.rate,
        secs(params.duration)
    );
    let down = Instant::now();
    world.kill(&offline).await?;
    report.offline_states = offline.clone();
    let is_off = |s: &str| offline.iter().any(|o| o == s);
    // Every other trace to an offline state, the others between states up;
    // the classes of route in turn.
    let (sent, errors) =
        traffic::send_steadily(world, rng, params.rate, params.duration, |rng, n| {
            let to_offline = n % 2 == 0;
            for k in 0..class_keys.len() {
                let class = &classes[&class_keys[(n / 2 + k) % class_keys.len()]];
                let fitting: Vec<&(String, String)> = class
                    .iter()
                    .filter(|(a, b)| !is_off(a) && is_off(b) == to_offline)
                    .collect();
                if !fitting.is_empty() {
                    let (a, b) = fitting[rng.random_range(0..fitting.len())].clone();
                    return Some((a, b, to_offline));
                }
            }
            None
        })
        .await;
    let (to_offline, between_up): (Vec<Sent>, Vec<Sent>) =
        sent.into_iter().partition(|s| s.to_offline);
    let (outcomes, settled) =
        traffic::await_delivery(world, &between_up, params.delivery_limit).await;
    report.during = Phase {
        sent: between_up,
        submit_errors: errors,
        outcomes,
        settled_after: settled,
    };
    // The outage lasts its whole length, whatever was delivered meanwhile.
    if let Some(rest) = params.outage.checked_sub(down.elapsed()) {
        eprintln!("world: the outage goes on for {} s more", secs(rest));
        tokio::time::sleep(rest).await;
    }
    report.outage = down.elapsed();
    if !params.simulated_outage.is_zero() {
        eprintln!(
            "world: every clock moves {} days ahead",
            days(params.simulated_outage)
        );
        world.advance_clock(params.simulated_outage)?;
    }
    let t = Instant::now();
    world.restart(&offline, params.parallel).await?;
    report.restart_took = t.elapsed();
    let (outcomes, settled) =
        traffic::await_delivery(world, &to_offline, params.delivery_limit).await;
    report.returned = Phase {
        sent: to_offline,
        submit_errors: vec![],
        outcomes,
        settled_after: settled,
    };
    Ok(())
}

/// How the outage was stretched, for the report.
fn simulated_note(simulated: Duration) -> String {
    if simulated.is_zero() {
        return String::new();
    }
    format!(
        " and {} simulated days (every node's clock moved ahead before their return; \
         the latencies of the traces to them include those days)",
        days(simulated)
    )
}

/// Lets deliveries finish and the allocators go quiet before memory is read.
async fn settle(time: Duration) {
    if !time.is_zero() {
        tokio::time::sleep(time).await;
    }
}

fn memory_line(label: &str, memory: &[Memory]) -> String {
    let mut kb: Vec<u64> = memory.iter().map(|m| m.rss_kb).collect();
    kb.sort();
    let mb = |k: u64| k as f64 / 1024.0;
    let total: u64 = kb.iter().sum();
    let over = memory.iter().filter(|m| m.rss_kb > 30 * 1024).count();
    let anon: Vec<u64> = {
        let mut a: Vec<u64> = memory.iter().map(|m| m.anon_kb).collect();
        a.sort();
        a
    };
    let pss: u64 = memory.iter().map(|m| m.pss_kb).sum();
    format!(
        "{label:<30} RSS total {:>7.1} MB (PSS {:>7.1} MB); per node median {:.1} MB, max {:.1} MB ({}); \
         anonymous part median {:.1} MB; over 30 MB: {over} of {}",
        mb(total),
        mb(pss),
        mb(kb.get(kb.len() / 2).copied().unwrap_or(0)),
        mb(kb.last().copied().unwrap_or(0)),
        memory
            .iter()
            .max_by_key(|m| m.rss_kb)
            .map(|m| m.id.as_str())
            .unwrap_or("-"),
        mb(anon.get(anon.len() / 2).copied().unwrap_or(0)),
        memory.len()
    )
}

fn by_kind(memory: &[Memory], kind: Kind) -> Vec<Memory> {
    memory.iter().filter(|m| m.kind == kind).cloned().collect()
}

/// Latency by the number of hubs crossed (as the receiver recorded them;
/// the topology's expectation when the receiver's record is missing).
fn latency_table(phase: &Phase) -> Vec<String> {
    let mut by_hubs: BTreeMap<usize, Vec<Duration>> = BTreeMap::new();
    let mut unexpected = 0;
    for s in &phase.sent {
        let Some(o) = phase.outcomes.get(&s.envelope_id) else {
            continue;
        };
        let Some(latency) = o.latency else { continue };
        let hubs = if o.received > 0 {
            o.hops.len()
        } else {
            s.expected_hubs
        };
        if o.received > 0 && hubs != s.expected_hubs {
            unexpected += 1;
        }
        by_hubs.entry(hubs).or_default().push(latency);
    }
    let mut lines = Vec::new();
    for (hubs, mut v) in by_hubs {
        v.sort();
        let label = match hubs {
            0 => "direct".to_string(),
            1 => "one hub".to_string(),
            n => format!("{n} hubs"),
        };
        lines.push(format!(
            "  {label:<10} {:>5} traces  p50 {:>10}  p99 {:>10}  max {:>10}",
            v.len(),
            waited(percentile(&v, 0.5)),
            waited(percentile(&v, 0.99)),
            waited(v.last().copied().unwrap_or_default())
        ));
    }
    if unexpected > 0 {
        lines.push(format!(
            "  ({unexpected} traces crossed another number of hubs than the topology expects: classed by what they crossed)"
        ));
    }
    lines
}

fn delivery_line(label: &str, phase: &Phase) -> String {
    let once = phase
        .sent
        .iter()
        .filter(|s| {
            phase
                .outcomes
                .get(&s.envelope_id)
                .is_some_and(|o| o.received == 1)
        })
        .count();
    let twice = phase
        .sent
        .iter()
        .filter(|s| {
            phase
                .outcomes
                .get(&s.envelope_id)
                .is_some_and(|o| o.received > 1)
        })
        .count();
    let refused = phase
        .sent
        .iter()
        .filter(|s| {
            phase
                .outcomes
                .get(&s.envelope_id)
                .is_some_and(|o| o.refused.is_some())
        })
        .count();
    format!(
        "{label:<34} sent {}, receipts held {}, refused {refused}, submit errors {}; held by the receiver exactly once {}, more than once {twice}",
        phase.sent.len(),
        phase.delivered(),
        phase.submit_errors.len(),
        once
    )
}

impl Report {
    /// True when every directory converged (by the database and by the
    /// local API), and every trace sent was delivered and is held exactly
    /// once by its receiver, with nothing held that was not sent.
    pub fn all_delivered_once(&self) -> bool {
        let phases = [&self.steady, &self.during, &self.returned];
        self.convergence.lacking.is_empty()
            && self.api_lacking.is_empty()
            && self.strays.is_empty()
            && phases.iter().all(|p| {
                p.submit_errors.is_empty()
                    && p.delivered() == p.sent.len()
                    && p.sent.iter().all(|s| {
                        p.outcomes
                            .get(&s.envelope_id)
                            .is_some_and(|o| o.received == 1)
                    })
            })
    }

    pub fn print(&self, params: &Params) {
        let states = params.states;
        let conv: Vec<Duration> = {
            let mut v: Vec<Duration> = self.convergence.at.values().copied().collect();
            v.sort();
            v
        };
        println!();
        println!(
            "participants: {} ({} states, {} regional hubs, 1 broker), {} pins (each peering both ways)",
            self.participants, states, params.hubs, self.peerings
        );
        println!(
            "set-up:      PKI and configurations {} s; {} processes started in {} s ({} at a time); peered in {} s",
            secs(self.created),
            self.participants,
            secs(self.started),
            params.parallel,
            secs(self.peered)
        );
        println!(
            "directory:   every participant's directory holds all {} participants {} s after the entries were published \
             (median node {} s; {} s of CPU in all node processes meanwhile); checked over the local API afterwards: {}",
            self.participants,
            secs(conv.last().copied().unwrap_or_default()),
            secs(percentile(&conv, 0.5)),
            secs(self.convergence_cpu),
            if self.api_lacking.is_empty() {
                "every state complete".to_string()
            } else {
                format!("{} states incomplete", self.api_lacking.len())
            }
        );
        println!();
        println!(
            "memory (VmRSS of each iti-node process; PSS counts the pages processes share, the binary's, once):"
        );
        println!("{}", memory_line("  idle, after convergence", &self.idle));
        println!(
            "{}",
            memory_line("    of which states", &by_kind(&self.idle, Kind::State))
        );
        println!(
            "{}",
            memory_line("    regional hubs", &by_kind(&self.idle, Kind::Hub))
        );
        println!(
            "{}",
            memory_line("    broker", &by_kind(&self.idle, Kind::Broker))
        );
        println!(
            "{}",
            memory_line("  idle, after the steady load", &self.after_load)
        );
        println!();
        println!(
            "steady traffic ({} traces/s for {} s; latency: the requester's outbox, request enqueued -> destination's receipt held):",
            params.rate,
            secs(params.duration)
        );
        for line in latency_table(&self.steady) {
            println!("{line}");
        }
        println!("{}", delivery_line("  delivery", &self.steady));
        if !self.offline_states.is_empty() {
            println!();
            println!(
                "with {} states offline ({:.0} %: {}) for {} s{} (killed with SIGKILL, restarted on their data):",
                self.offline_states.len(),
                100.0 * self.offline_states.len() as f64 / states as f64,
                self.offline_states.join(" "),
                secs(self.outage),
                simulated_note(params.simulated_outage),
            );
            println!("  traces between states that stayed up:");
            for line in latency_table(&self.during) {
                println!("  {line}");
            }
            println!("{}", delivery_line("  delivery", &self.during));
            println!(
                "  traces to the offline states: restarted in {} s; all receipts held {} s after the restart",
                secs(self.restart_took),
                secs(self.returned.settled_after)
            );
            for line in latency_table(&self.returned) {
                println!("  {line}");
            }
            println!("{}", delivery_line("  delivery", &self.returned));
        }
        println!();
        println!(
            "receivers:   {}",
            if self.strays.is_empty() {
                "each state holds exactly the requests sent to it, each once".to_string()
            } else {
                self.strays.join("; ")
            }
        );
        println!(
            "cost:        {} s of CPU in all node processes (those restarted: since their restart), {} s in the load generator, \
             over {} s of wall time; load average at the end {}",
            secs(self.node_cpu),
            secs(self.bench_cpu),
            secs(self.wall),
            self.load_at_end
        );
        println!(
            "verdict:     {}",
            if self.all_delivered_once() {
                "every directory converged; every trace delivered, and held exactly once"
            } else {
                "NOT all delivered exactly once (see above)"
            }
        );
    }
}
