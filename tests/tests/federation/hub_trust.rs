//! A hub must not be able to become a state (issue 13). A state known only
//! from a hub's word is unconfirmed: nothing that must be sealed goes to it
//! until an admin confirms its CA fingerprint or two hubs vouch for it. An
//! entry that names another CA than the one held is a conflict: refused,
//! raised (audit entry, metric, both versions shown) and frozen until an
//! admin decides. A restart restores exactly the trust there was.
//!
//! Layout: helpers; the unconfirmed state; the forging hub; vouching and
//! restarts.

use iti_node::identity::Role;
use iti_proto::v1 as pb;
use iti_tests::{Federation, fixtures, outbox_items, p, regional};

// ---------------------------------------------------------------- helpers

async fn directory_entry(
    f: &mut Federation,
    at: &str,
    participant: &str,
) -> anyhow::Result<pb::DirectoryEntryView> {
    f.officer(at, Role::Admin)?
        .get_directory(pb::GetDirectoryRequest::default())
        .await?
        .into_inner()
        .entries
        .into_iter()
        .find(|e| {
            e.entry
                .as_ref()
                .is_some_and(|x| x.participant == participant)
        })
        .ok_or_else(|| anyhow::anyhow!("{at} has no entry for {participant}"))
}

fn red_request_to(state: &str) -> pb::TraceRequest {
    let mut r = fixtures::fal_request();
    r.marking = Some(fixtures::marking(pb::Tlp::Red, &[]));
    r.requested_state = state.into();
    r
}

async fn submit(
    f: &mut Federation,
    from: &str,
    request: pb::TraceRequest,
) -> anyhow::Result<String> {
    let to = request.requested_state.clone();
    Ok(f.poc(from)?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: Some(pb::RoutingOverride {
                requested_state: to,
                reason: "test".into(),
            }),
            on_behalf_via: String::new(),
            allow_duplicate: true,
        })
        .await?
        .into_inner()
        .trace_id)
}

/// The error of the outbox item of `trace` at `who`, once it says something.
async fn outbox_error(f: &mut Federation, who: &str, trace: &str) -> anyhow::Result<String> {
    let officer = f.poc(who)?;
    let found = std::sync::Mutex::new(String::new());
    f.until("the outbox says why the envelope waits", || {
        let mut officer = officer.clone();
        let found = &found;
        async move {
            let error = outbox_items(&mut officer)
                .await?
                .into_iter()
                .find(|i| i.trace_id == trace && !i.last_error.is_empty())
                .map(|i| i.last_error);
            let seen = error.is_some();
            if let Some(e) = error {
                *found.lock().unwrap_or_else(|e| e.into_inner()) = e;
            }
            Ok(seen)
        }
    })
    .await?;
    Ok(found.into_inner().unwrap_or_else(|e| e.into_inner()))
}

// ---------------------------------------------------------------- unconfirmed

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_red_is_sealed_to_a_state_known_only_from_a_hub_until_an_admin_confirms_it()
-> anyhow::Result<()> {
    let mut f = regional(true).await?;
    let bel = directory_entry(&mut f, "GHA", "BEL").await?;
    assert!(
        !bel.confirmed,
        "BEL is known to GHA only via its hubs: {bel:?}"
    );
    assert!(bel.standing.contains("UNCONFIRMED"), "{}", bel.standing);
    let fingerprint = bel.ca_fingerprint.clone();
    assert_eq!(fingerprint.len(), 64, "{bel:?}");

    let trace = submit(&mut f, "GHA", red_request_to("BEL")).await?;
    let why = outbox_error(&mut f, "GHA", &trace).await?;
    assert!(why.contains("to be confirmed"), "{why}");
    let delivered = iti_tests::db_scalar(
        f.node("BEL")?,
        "SELECT COUNT(*) FROM envelopes WHERE direction = 'in'",
    )
    .await?;
    assert_eq!(delivered, 0, "nothing reached BEL");

    // A wrong fingerprint confirms nothing.
    let wrong = f
        .officer("GHA", Role::Admin)?
        .confirm_peer(pb::ConfirmPeerRequest {
            participant: "BEL".into(),
            ca_fingerprint: "00".repeat(32),
        })
        .await
        .unwrap_err();
    assert!(
        wrong.message().contains("caFingerprint"),
        "{}",
        wrong.message()
    );
    // GHA's admin reads BEL's fingerprint over the phone and confirms it:
    // the request goes, sealed.
    f.officer("GHA", Role::Admin)?
        .confirm_peer(pb::ConfirmPeerRequest {
            participant: "BEL".into(),
            ca_fingerprint: fingerprint,
        })
        .await?;
    f.until_state("BEL", &trace, "delivered").await?;
    assert!(directory_entry(&mut f, "GHA", "BEL").await?.confirmed);
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- forging hub

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_offering_another_ca_for_a_state_is_refused_raised_and_frozen_until_an_admin_decides()
-> anyhow::Result<()> {
    let mut f = regional(true).await?;
    f.confirm_each_other(&["GHA", "NGA", "BEL"]).await?;
    let held = directory_entry(&mut f, "BEL", "GHA").await?;
    assert!(held.confirmed);
    // hub:ECOWAS, which does not own GHA, issues an entry in GHA's name
    // under its own CA: it would then hold GHA's "sealing" key.
    let hub = f.sandbox.member(&p("hub:ECOWAS"))?;
    let forged_entry = pb::DirectoryEntry {
        participant: "GHA".into(),
        endpoints: vec!["203.0.113.7:7100".into()],
        serial: 50,
        ca_certificate: hub.ca.cert_der()?.to_vec(),
        encryption_key: vec![7; 32],
        ..Default::default()
    };
    let forged = iti_node::hub::directory::sign_entry(&forged_entry, hub.ca.key_pem.expose())
        .map_err(anyhow::Error::msg)?;
    let refused = f
        .node("BEL")?
        .accept_directory_entry(forged.clone(), Some(p("hub:ECOWAS")))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("frozen"), "{refused}");

    // Raised: an audit entry, and both versions side by side.
    let audit = f
        .officer("BEL", Role::Auditor)?
        .audit_log(pb::AuditLogRequest::default())
        .await?
        .into_inner()
        .entries;
    assert!(
        audit
            .iter()
            .any(|e| e.action == "directory_conflict" && e.subject == "GHA"),
        "{audit:?}"
    );
    let frozen = directory_entry(&mut f, "BEL", "GHA").await?;
    assert_eq!(
        frozen.ca_fingerprint, held.ca_fingerprint,
        "the held CA stays"
    );
    assert_eq!(frozen.conflicts.len(), 1, "{frozen:?}");
    assert_eq!(frozen.conflicts[0].offered_by, "hub:ECOWAS");
    assert_ne!(frozen.conflicts[0].ca_fingerprint, held.ca_fingerprint);
    assert!(!frozen.confirmed, "frozen: nothing sealed goes to GHA");
    assert!(frozen.standing.contains("FROZEN"), "{}", frozen.standing);

    // Frozen: BEL's RED request to GHA waits, and survives a restart so.
    let trace = submit(&mut f, "BEL", red_request_to("GHA")).await?;
    let why = outbox_error(&mut f, "BEL", &trace).await?;
    assert!(why.contains("to be confirmed"), "{why}");
    f.restart("BEL").await?;
    let after = directory_entry(&mut f, "BEL", "GHA").await?;
    assert!(!after.confirmed && after.conflicts.len() == 1, "{after:?}");

    // BEL's admin confirms the CA held, as GHA's admin reads it: settled,
    // and the request goes.
    f.officer("BEL", Role::Admin)?
        .confirm_peer(pb::ConfirmPeerRequest {
            participant: "GHA".into(),
            ca_fingerprint: held.ca_fingerprint.clone(),
        })
        .await?;
    f.until_state("GHA", &trace, "delivered").await?;
    let settled = directory_entry(&mut f, "BEL", "GHA").await?;
    assert!(
        settled.confirmed && settled.conflicts.is_empty(),
        "{settled:?}"
    );
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- vouching, restarts

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_vouching_confirm_a_state_and_updates_or_restarts_never_relabel_it()
-> anyhow::Result<()> {
    let mut f = regional(true).await?;
    let first = directory_entry(&mut f, "BEL", "GHA").await?;
    assert_eq!(first.trust, "via hub:INTERPOL");
    assert!(!first.confirmed);

    // The very same signed entry offered by a second hub: two vouch.
    let cached = f
        .node("BEL")?
        .directory_view()
        .await?
        .into_iter()
        .find(|(_, row)| row.participant == p("GHA"))
        .map(|(_, row)| row.signed)
        .ok_or_else(|| anyhow::anyhow!("BEL has no cached entry for GHA"))?;
    let signed = <pb::SignedDirectoryEntry as prost::Message>::decode(cached.as_slice())?;
    f.node("BEL")?
        .accept_directory_entry(signed, Some(p("hub:ECOWAS")))
        .await?;
    let vouched = directory_entry(&mut f, "BEL", "GHA").await?;
    assert!(vouched.confirmed, "{vouched:?}");

    // GHA publishes a newer entry; it reaches BEL through its hub: still
    // an introduction, not "pinned".
    f.sandbox.publish_directory_entry(&p("GHA"), &[], 2).await?;
    for who in ["hub:ECOWAS", "hub:INTERPOL", "BEL"] {
        f.node(who)?.refresh_directory().await?;
    }
    let updated = directory_entry(&mut f, "BEL", "GHA").await?;
    assert_eq!(updated.entry.as_ref().map(|e| e.serial), Some(2));
    assert_eq!(updated.trust, "via hub:INTERPOL", "{updated:?}");

    // A restart restores exactly that trust, and GHA is still reachable.
    f.restart("BEL").await?;
    let restored = directory_entry(&mut f, "BEL", "GHA").await?;
    assert_eq!(restored.trust, "via hub:INTERPOL");
    assert!(restored.confirmed, "{restored:?}");
    let trace = submit(&mut f, "BEL", red_request_to("GHA")).await?;
    f.until_state("GHA", &trace, "delivered").await?;
    f.shutdown().await;
    Ok(())
}
