//! The whole-world benchmark (`iti-world-bench`), small: eight states, two
//! regional hubs that do not link to each other and the broker, each an
//! `iti-node` process. Every directory converges, and every trace (direct,
//! through one, two and three hubs, and to a state killed and restarted) is
//! delivered and held by its receiver exactly once, those to the state
//! that was away a simulated week after they were sent.

use std::time::Duration;

use iti_node::store::Durability;
use iti_tests::process::{node_binary, require_binary};
use iti_tests::world::{Params, run};

const WEEK: Duration = Duration::from_secs(7 * 86_400);

#[tokio::test(flavor = "multi_thread")]
async fn a_small_world_converges_and_delivers_every_trace_exactly_once() -> anyhow::Result<()> {
    require_binary(&node_binary())?;
    let params = Params {
        states: 8,
        hubs: 2,
        rate: 8.0,
        duration: Duration::from_secs(2),
        offline_fraction: 0.15,
        // Restarted as soon as the sending stops: what is delivered after
        // the return does not depend on how long it took.
        outage: Duration::ZERO,
        // As the federation sees it, the state is offline for a week.
        simulated_outage: WEEK,
        parallel: 4,
        converge_limit: Duration::from_secs(60),
        delivery_limit: Duration::from_secs(60),
        durability: Durability::Normal,
        seed: 7,
        settle: Duration::ZERO,
    };
    let report = run(&params).await?;
    report.print(&params);
    assert_eq!(report.convergence.at.len(), 11, "every directory complete");
    assert!(report.api_lacking.is_empty(), "{:?}", report.api_lacking);
    assert_eq!(report.offline_states.len(), 1);
    assert!(
        !report.returned.sent.is_empty(),
        "traces sent to the state offline"
    );
    let crossed: std::collections::BTreeSet<usize> = report
        .steady
        .outcomes
        .values()
        .map(|o| o.hops.len())
        .collect();
    assert_eq!(
        crossed,
        [0, 1, 2, 3].into_iter().collect(),
        "direct, one, two and three hubs"
    );
    assert!(
        report.all_delivered_once(),
        "every trace delivered and held exactly once"
    );
    // The traces to the state that was away were taken a week after they
    // were sent, by the nodes' clocks.
    for outcome in report.returned.outcomes.values() {
        let latency = outcome.latency.expect("delivered");
        assert!(latency >= WEEK, "{latency:?}");
    }
    Ok(())
}
