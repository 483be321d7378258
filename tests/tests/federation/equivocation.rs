//! A hub that shows members different directories is caught (issue 13).
//! Each hub keeps its directory as an append-only log with a signed head;
//! members follow it, and carry the heads they hold in their receipts. A
//! log that does not extend the one a member saw, or a head a peer
//! witnessed that no single log explains, is proof: kept, raised (audit
//! entry, `itictl directory`) and the hub's entries are refused until an
//! admin decides.
//!
//! The hub's equivocation is played by rewriting its log in its database:
//! the hub then signs heads of the rewritten log, exactly as a hub that
//! keeps one log for some members and another for the rest.

use iti_node::hub::log;
use iti_node::identity::Role;
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures, p, regional};
use sqlx::{Connection, Row};

/// Rewrites the hub's log as another history of the same entries: its last
/// two leaves swapped, every chained hash computed again.
async fn fork_log(f: &Federation, hub: &str) -> anyhow::Result<()> {
    let pool = f.node(hub)?.store.pool();
    let rows = sqlx::query("SELECT seq, participant, signed FROM directory_log ORDER BY seq")
        .fetch_all(pool)
        .await?;
    let mut leaves: Vec<(i64, String, Vec<u8>)> = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let n = leaves.len();
    anyhow::ensure!(n >= 2 && leaves[n - 1].1 != leaves[n - 2].1, "{leaves:?}");
    let (last, before) = (leaves[n - 1].clone(), leaves[n - 2].clone());
    (leaves[n - 2].1, leaves[n - 2].2) = (last.1, last.2);
    (leaves[n - 1].1, leaves[n - 1].2) = (before.1, before.2);
    let mut chain = log::EMPTY;
    for (seq, participant, signed) in leaves {
        chain = log::chain(&chain, &log::leaf_hash(&signed));
        sqlx::query(
            "UPDATE directory_log SET participant = $1, signed = $2, chain = $3 WHERE seq = $4",
        )
        .bind(participant)
        .bind(signed)
        .bind(log::chain_hex(&chain))
        .bind(seq)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// What `at` holds of `hub`'s log.
async fn followed(f: &mut Federation, at: &str, hub: &str) -> anyhow::Result<pb::DirectoryLogView> {
    f.officer(at, Role::Admin)?
        .get_directory(pb::GetDirectoryRequest::default())
        .await?
        .into_inner()
        .entries
        .into_iter()
        .find(|e| e.entry.as_ref().is_some_and(|x| x.participant == hub))
        .and_then(|e| e.log)
        .ok_or_else(|| anyhow::anyhow!("{at} follows no log of {hub}"))
}

async fn audit_actions(f: &mut Federation, at: &str) -> anyhow::Result<Vec<(String, String)>> {
    Ok(f.officer(at, Role::Auditor)?
        .audit_log(pb::AuditLogRequest::default())
        .await?
        .into_inner()
        .entries
        .into_iter()
        .map(|e| (e.action, e.subject))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_showing_two_members_different_logs_is_caught_through_their_receipts()
-> anyhow::Result<()> {
    let mut f = regional(true).await?;
    f.confirm_each_other(&["GHA", "NGA"]).await?;
    let seen_by_gha = followed(&mut f, "GHA", "hub:ECOWAS").await?;
    assert_eq!(seen_by_gha, followed(&mut f, "NGA", "hub:ECOWAS").await?);
    assert!(seen_by_gha.size >= 2 && seen_by_gha.equivocations.is_empty());

    // hub:ECOWAS keeps another history of the same entries for NGA, which
    // follows it from scratch (a member that meets it after the fork). NGA
    // is stopped meanwhile: running, it could fetch the forked log before
    // forgetting the old one, and rightly raise the fork itself.
    f.sandbox.stop(&p("NGA")).await?;
    fork_log(&f, "hub:ECOWAS").await?;
    let mut nga = f.open_database("NGA").await?;
    for sql in [
        "DELETE FROM followed_logs",
        "DELETE FROM followed_log_heads",
    ] {
        sqlx::query(sql).execute(&mut nga).await?;
    }
    nga.close().await?;
    f.start("NGA").await?;
    let refreshed = f.node("NGA")?.refresh_directory().await?;
    assert!(refreshed.rejected.is_empty(), "{:?}", refreshed.rejected);
    let seen_by_nga = followed(&mut f, "NGA", "hub:ECOWAS").await?;
    assert_eq!(seen_by_nga.size, seen_by_gha.size);
    assert_ne!(seen_by_nga.chain, seen_by_gha.chain);

    // Each view is consistent on its own. GHA sends NGA a request: NGA's
    // receipt carries the head NGA holds, which GHA's log does not explain.
    let mut request = fixtures::fal_request();
    request.requested_state = "NGA".into();
    let trace = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: Some(pb::RoutingOverride {
                requested_state: "NGA".into(),
                reason: "test".into(),
            }),
            allow_duplicate: true,
            ..Default::default()
        })
        .await?
        .into_inner()
        .trace_id;
    f.until_state("NGA", &trace, "delivered").await?;
    let admin = f.officer("GHA", Role::Admin)?;
    f.until("GHA raises the equivocation", || {
        let mut officer = admin.clone();
        async move {
            let entries = officer
                .get_directory(pb::GetDirectoryRequest::default())
                .await?
                .into_inner()
                .entries;
            Ok(entries.iter().filter_map(|e| e.log.as_ref()).any(|l| {
                l.equivocations
                    .iter()
                    .any(|e| e.seen_through == "witnessed by NGA")
            }))
        }
    })
    .await?;
    let proof = followed(&mut f, "GHA", "hub:ECOWAS").await?;
    let witnessed = proof
        .equivocations
        .iter()
        .find(|e| e.seen_through == "witnessed by NGA")
        .expect("the proof");
    assert_eq!(
        (witnessed.size, &witnessed.ours, &witnessed.theirs),
        (seen_by_gha.size, &seen_by_gha.chain, &seen_by_nga.chain)
    );
    assert!(
        audit_actions(&mut f, "GHA")
            .await?
            .contains(&("directory_equivocation".into(), "hub:ECOWAS".into()))
    );
    let shown = f
        .itictl("GHA", None, &["directory"])
        .await
        .map_err(anyhow::Error::msg)?;
    assert!(shown.contains("EQUIVOCATION (witnessed by NGA"), "{shown}");

    // Until an admin decides, the hub's entries are refused.
    let refused = f.node("GHA")?.refresh_directory().await?;
    assert!(
        refused
            .rejected
            .iter()
            .any(|r| r.contains("refused until an admin decides")),
        "{refused:?}"
    );

    // GHA's admin settles it with the hub's operator and confirms the hub:
    // the proof closes and GHA follows the hub's log afresh.
    let hub_ca = f
        .node("GHA")?
        .directory_entries(Some(&p("hub:ECOWAS")))
        .await?
        .entries[0]
        .ca_fingerprint
        .clone();
    f.officer("GHA", Role::Admin)?
        .confirm_peer(pb::ConfirmPeerRequest {
            participant: "hub:ECOWAS".into(),
            ca_fingerprint: hub_ca,
        })
        .await?;
    let settled = f.node("GHA")?.refresh_directory().await?;
    assert!(settled.rejected.is_empty(), "{:?}", settled.rejected);
    let after = followed(&mut f, "GHA", "hub:ECOWAS").await?;
    assert!(after.equivocations.is_empty());
    assert_eq!(after.chain, seen_by_nga.chain);
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_that_rewrites_its_log_is_caught_by_a_member_that_saw_it() -> anyhow::Result<()> {
    let mut f = regional(true).await?;
    let seen = followed(&mut f, "GHA", "hub:ECOWAS").await?;
    fork_log(&f, "hub:ECOWAS").await?;
    let refused = f.node("GHA")?.refresh_directory().await?;
    assert!(
        refused
            .rejected
            .iter()
            .any(|r| r.contains("hub:ECOWAS: the leaves sent do not chain to the signed head")),
        "{refused:?}"
    );
    let proof = followed(&mut f, "GHA", "hub:ECOWAS").await?;
    assert_eq!(proof.chain, seen.chain, "the log followed stays as it was");
    assert_eq!(proof.equivocations.len(), 1, "{proof:?}");
    assert_eq!(proof.equivocations[0].seen_through, "its own answer");
    // A restart keeps the proof, and the refusal.
    f.restart("GHA").await?;
    let still = f.node("GHA")?.refresh_directory().await?;
    assert!(
        still.rejected.iter().any(|r| r.contains("refused until")),
        "{still:?}"
    );
    assert_eq!(
        followed(&mut f, "GHA", "hub:ECOWAS")
            .await?
            .equivocations
            .len(),
        1
    );
    f.shutdown().await;
    Ok(())
}

/// The participants whose entries an answer holds, sorted.
fn served(directory: &pb::Directory) -> Vec<String> {
    use prost::Message;
    let mut names: Vec<String> = directory
        .entries
        .iter()
        .filter_map(|s| pb::DirectoryEntry::decode(s.entry.as_slice()).ok())
        .map(|e| e.participant)
        .collect();
    names.sort();
    names
}

/// A member told by its hub of a new entry fetches only what changed: the
/// hub answers with the entries of the leaves after the member's copy,
/// not its whole directory (each answer in full made a federation's start
/// cost every node the square of its size).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_asked_for_changes_serves_only_the_entries_of_the_leaves_after_the_callers()
-> anyhow::Result<()> {
    use prost::Message;
    let f = regional(true).await?;
    let hub = f.node("hub:ECOWAS")?;
    let caller = iti_node::identity::Identity::Node(p("GHA"));
    let everything = hub
        .directory_for(&caller, &pb::GetDirectoryRequest::default())
        .await?;
    let head = pb::DirectoryLogHead::decode(everything.log_head.as_ref().unwrap().head.as_slice())?;
    assert!(head.size >= 3, "{head:?}");
    assert!(served(&everything).len() >= 3, "{:?}", served(&everything));

    // Holding all but the last leaf: that leaf's entry, and that leaf.
    let last = pb::DirectoryEntry::decode(everything.log.last().unwrap().entry.as_slice())?;
    let changes = hub
        .directory_for(
            &caller,
            &pb::GetDirectoryRequest {
                log_since: head.size - 1,
                changed_only: true,
            },
        )
        .await?;
    assert_eq!(served(&changes), vec![last.participant]);
    assert_eq!((changes.log_from, changes.log.len()), (head.size - 1, 1));
    let changes_head = pb::DirectoryLogHead::decode(changes.log_head.unwrap().head.as_slice())?;
    assert_eq!(
        (changes_head.size, changes_head.chain),
        (head.size, head.chain.clone())
    );

    // Holding it all: nothing.
    let none = hub
        .directory_for(
            &caller,
            &pb::GetDirectoryRequest {
                log_since: head.size,
                changed_only: true,
            },
        )
        .await?;
    assert!(none.entries.is_empty() && none.log.is_empty(), "{none:?}");

    // Without `changed_only` the same caller still gets every entry.
    let again = hub
        .directory_for(
            &caller,
            &pb::GetDirectoryRequest {
                log_since: head.size,
                changed_only: false,
            },
        )
        .await?;
    assert_eq!(served(&again), served(&everything));
    Ok(())
}
