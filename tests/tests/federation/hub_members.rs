//! `itictl hub stats` lists the states the hub serves (issue 14, "Hub
//! figures"), not every state it is peered with.

use anyhow::{anyhow, ensure};
use iti_tests::{p, regional};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_stats_lists_the_members_not_a_state_pinned_for_direct_exchange() -> anyhow::Result<()>
{
    // hub:ECOWAS serves GHA and NGA; its admin also pins BEL, which
    // hub:INTERPOL serves, to reach it directly.
    let mut f = regional(false).await?;
    f.sandbox.pin(&p("hub:ECOWAS"), &p("BEL"), &[]).await?;
    let stats = f
        .itictl("hub:ECOWAS", None, &["hub", "stats"])
        .await
        .map_err(|e| anyhow!(e))?;
    let members: Vec<&str> = stats
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    ensure!(members == ["GHA", "NGA"], "{stats}");
    f.shutdown().await;
    Ok(())
}
