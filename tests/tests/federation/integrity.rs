//! End-to-end integrity: a node refuses envelopes that were altered or that
//! a peer delivers in another participant's name; receipts prove delivery of
//! exactly one envelope by exactly one node; and the hash-chained audit log
//! shows any edit, deletion or reordering of its stored entries.
//!
//! Layout: talking to a node's federation port as a peer would; tampered
//! and misattributed envelopes; receipts; batches; the audit log on disk.

use anyhow::{Context, anyhow, bail};
use iti_node::envelope::{self, Header};
use iti_node::identity::Role;
use iti_node::ids::{CaseId, EnvelopeId, TraceId};
use iti_proto::v1 as pb;
use iti_tests::{Federation, federation_port, fixtures, p};
use sqlx::{AnyConnection, Connection};
use tonic::Code;

// ---------------------------------------------------------------- the wire

/// A trace request from `origin` to `destination`, signed by `origin`'s node.
fn signed_request(
    f: &Federation,
    origin: &str,
    destination: &str,
) -> anyhow::Result<(Header, pb::Envelope)> {
    let now = f.sandbox.clock.now();
    let mut request = fixtures::fal_request();
    request.requested_state = destination.to_string();
    let payload = pb::Payload {
        body: Some(pb::payload::Body::Request(request)),
    };
    let header = Header {
        id: EnvelopeId::new_v7(now),
        case_id: CaseId::new_v7(now),
        trace_id: TraceId::new_v7(now),
        origin: p(origin),
        destination: p(destination),
        created_at: now,
        kind: pb::PayloadKind::Unspecified,
        marking: fixtures::marking(pb::Tlp::Amber, &[]),
        sealing: None,
        on_behalf_of: None,
    };
    let signer = f.node(origin)?.signer();
    let env = envelope::build(signer, header, &payload, None)?;
    Ok((Header::decode(&env.header)?, env))
}

async fn trace_ids(f: &mut Federation, participant: &str) -> anyhow::Result<Vec<String>> {
    let list = f
        .poc(participant)?
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner();
    Ok(list.traces.into_iter().map(|t| t.trace_id).collect())
}

async fn audit_log(f: &mut Federation, participant: &str) -> anyhow::Result<Vec<pb::AuditEntry>> {
    Ok(f.officer(participant, Role::Auditor)?
        .audit_log(pb::AuditLogRequest {
            after_seq: 0,
            limit: 0,
        })
        .await?
        .into_inner()
        .entries)
}

// ---------------------------------------------------------------- envelopes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_or_misattributed_envelope_is_refused_and_nothing_is_stored()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL", "NGA"]).await?;
    let mut from_bel = federation_port(&f, "BEL", "GHA")?;
    let before = trace_ids(&mut f, "GHA").await?;

    // A payload byte flipped after BEL signed.
    let (header, genuine) = signed_request(&f, "BEL", "GHA")?;
    let mut altered = genuine.clone();
    let middle = altered.payload.len() / 2;
    altered.payload[middle] ^= 0x01;
    let refused = match from_bel.deliver(altered).await {
        Err(status) => status,
        Ok(reply) => bail!("an altered envelope was accepted: {reply:?}"),
    };
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("signature"),
        "{}",
        refused.message()
    );
    assert_eq!(
        trace_ids(&mut f, "GHA").await?,
        before,
        "something was stored"
    );
    let log = audit_log(&mut f, "GHA").await?;
    let entry = log
        .iter()
        .find(|e| e.action == "envelope_refused")
        .context("no envelope_refused entry in GHA's audit log")?;
    assert!(
        entry.detail.contains(&header.id.to_string()),
        "{}",
        entry.detail
    );

    // A genuine envelope signed by NGA, delivered by BEL.
    let (nga_header, nga_signed) = signed_request(&f, "NGA", "GHA")?;
    let refused = match from_bel.deliver(nga_signed).await {
        Err(status) => status,
        Ok(reply) => bail!("BEL delivered in NGA's name: {reply:?}"),
    };
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused
            .message()
            .contains("differs from the authenticated peer"),
        "{}",
        refused.message()
    );
    assert_eq!(
        trace_ids(&mut f, "GHA").await?,
        before,
        "something was stored"
    );
    let log = audit_log(&mut f, "GHA").await?;
    let entry = log
        .iter()
        .find(|e| e.action == "envelope_refused" && e.detail.contains(&nga_header.id.to_string()))
        .context("the misattributed envelope left no envelope_refused entry")?;
    assert_eq!(entry.actor, "BEL", "{entry:?}");
    assert!(
        entry.detail.contains("differs from the authenticated peer"),
        "{}",
        entry.detail
    );

    // The same envelope as first sent, unaltered, is taken: the refusals
    // were for the alteration and the origin, not the way it was sent.
    from_bel.deliver(genuine).await?;
    let after = trace_ids(&mut f, "GHA").await?;
    assert!(
        after.contains(&header.trace_id.to_string()),
        "the genuine envelope was not stored"
    );
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- receipts

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_proves_one_envelope_received_by_one_node() -> anyhow::Result<()> {
    let f = Federation::of_states(&["GHA", "BEL", "NGA"]).await?;
    let (header, env) = signed_request(&f, "BEL", "GHA")?;
    let reply = federation_port(&f, "BEL", "GHA")?
        .deliver(env.clone())
        .await?
        .into_inner();
    let receipt = reply.receipt.context("GHA answered without a receipt")?;
    let bel = f.node("BEL")?;
    let now = f.sandbox.clock.now();

    let verified = envelope::verify_receipt(&receipt, &env, &bel.trust, now)?;
    assert_eq!(verified.receiver, p("GHA"));
    assert_eq!(verified.envelope_id, header.id);

    // Sent again (the sender never saw the answer): processed once, and the
    // receipt is the one stored with it the first time.
    let again = federation_port(&f, "BEL", "GHA")?
        .deliver(env.clone())
        .await?
        .into_inner()
        .receipt
        .context("GHA answered a redelivery without a receipt")?;
    assert_eq!(again, receipt);

    // One byte of the signed receipt altered: a byte of the digest it
    // acknowledges, so that it still decodes and only the signature tells.
    let digest = envelope::digest(&env);
    let at = receipt
        .receipt
        .windows(digest.len())
        .position(|w| w == digest)
        .context("the receipt carries the envelope's digest")?;
    let mut altered = receipt.clone();
    altered.receipt[at] ^= 0x01;
    let err = envelope::verify_receipt(&altered, &env, &bel.trust, now)
        .err()
        .context("an altered receipt verified")?;
    assert!(err.to_string().contains("signature"), "{err}");

    // GHA's receipt re-signed by NGA (a pinned participant, with its own
    // valid node certificate).
    let nga_receipt =
        envelope::sign_receipt(f.node("NGA")?.signer(), &env, &header, now, None, vec![]);
    let forged = pb::SignedReceipt {
        receipt: receipt.receipt.clone(),
        signature: nga_receipt.signature.clone(),
        signer_certificate: nga_receipt.signer_certificate.clone(),
        batch: None,
    };
    let err = envelope::verify_receipt(&forged, &env, &bel.trust, now)
        .err()
        .context("a receipt signed by the wrong node verified")?;
    assert!(
        err.to_string().contains("not signed by the receiver"),
        "{err}"
    );

    // NGA's own receipt is genuine, but names NGA: it proves nothing about
    // delivery to GHA, and the sender's outbox compares it with the
    // destination.
    let nga_says = envelope::verify_receipt(&nga_receipt, &env, &bel.trust, now)?;
    assert_ne!(nga_says.receiver, header.destination);

    // A receipt for another envelope does not acknowledge this one.
    let (_, other) = signed_request(&f, "BEL", "GHA")?;
    let err = envelope::verify_receipt(&receipt, &other, &bel.trust, now)
        .err()
        .context("a receipt acknowledged another envelope")?;
    assert!(err.to_string().contains("different content"), "{err}");
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- batches

/// The receipt a batch result carries, or the refusal's code and message.
fn outcome_of(result: &pb::DeliverResult) -> Result<pb::SignedReceipt, (Code, String)> {
    match &result.outcome {
        Some(pb::deliver_result::Outcome::Delivered(reply)) => reply
            .receipt
            .clone()
            .ok_or((Code::Unknown, "no receipt".into())),
        Some(pb::deliver_result::Outcome::Refused(r)) => {
            Err((Code::from(r.code), r.message.clone()))
        }
        None => Err((Code::Unknown, "no outcome".into())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_received_envelope_by_envelope_and_one_refused_changes_nothing_else()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL", "NGA"]).await?;
    let mut from_bel = federation_port(&f, "BEL", "GHA")?;
    let before = trace_ids(&mut f, "GHA").await?;
    let (first, first_env) = signed_request(&f, "BEL", "GHA")?;
    let (altered, mut altered_env) = signed_request(&f, "BEL", "GHA")?;
    let middle = altered_env.payload.len() / 2;
    altered_env.payload[middle] ^= 0x01;
    let (last, last_env) = signed_request(&f, "BEL", "GHA")?;
    let batch = vec![first_env.clone(), altered_env, last_env.clone()];

    let results = from_bel
        .deliver_batch(pb::DeliverBatchRequest {
            envelopes: batch.clone(),
        })
        .await?
        .into_inner()
        .results;
    assert_eq!(results.len(), 3, "one result per envelope, in order");
    let bel = f.node("BEL")?;
    let now = f.sandbox.clock.now();
    for (result, (header, env)) in [&results[0], &results[2]]
        .into_iter()
        .zip([(&first, &first_env), (&last, &last_env)])
    {
        let receipt = outcome_of(result).map_err(|e| anyhow!("{e:?}"))?;
        let verified = envelope::verify_receipt(&receipt, env, &bel.trust, now)?;
        assert_eq!(verified.receiver, p("GHA"));
        assert_eq!(verified.envelope_id, header.id);
    }
    // One signature covers the batch's receipts: the refused envelope gave
    // its place up, and each receipt above was proven alone.
    let (a, b) = (outcome_of(&results[0]), outcome_of(&results[2]));
    let (a, b) = (
        a.map_err(|e| anyhow!("{e:?}"))?,
        b.map_err(|e| anyhow!("{e:?}"))?,
    );
    assert_eq!(a.signature, b.signature, "one signature for the batch");
    let places = [&a, &b].map(|r| r.batch.as_ref().map(|p| (p.leaf_index, p.tree_size)));
    assert!(
        places == [Some((0, 2)), Some((1, 2))] || places == [Some((1, 2)), Some((0, 2))],
        "{places:?}"
    );
    let (code, message) = outcome_of(&results[1])
        .err()
        .context("the altered envelope was accepted")?;
    assert_eq!(code, Code::PermissionDenied, "{message}");
    assert!(message.contains("signature"), "{message}");

    let after = trace_ids(&mut f, "GHA").await?;
    assert!(after.contains(&first.trace_id.to_string()));
    assert!(after.contains(&last.trace_id.to_string()));
    assert!(
        !after.contains(&altered.trace_id.to_string()),
        "the altered envelope was stored"
    );
    assert_eq!(after.len(), before.len() + 2);

    // Sent again (the sender never saw the answer): the same receipts, and
    // nothing applied twice.
    let again = from_bel
        .deliver_batch(pb::DeliverBatchRequest { envelopes: batch })
        .await?
        .into_inner()
        .results;
    assert_eq!(outcome_of(&again[0]), outcome_of(&results[0]));
    assert_eq!(outcome_of(&again[2]), outcome_of(&results[2]));
    assert_eq!(trace_ids(&mut f, "GHA").await?.len(), after.len());

    // Empty, or more than one call may carry: refused whole, naming the field.
    for envelopes in [vec![], vec![first_env; iti_node::batch::MAX_ENVELOPES + 1]] {
        let refused = match from_bel
            .deliver_batch(pb::DeliverBatchRequest { envelopes })
            .await
        {
            Err(status) => status,
            Ok(reply) => bail!("an out-of-bounds batch was taken: {reply:?}"),
        };
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert!(
            refused.message().starts_with("envelopes: "),
            "{}",
            refused.message()
        );
    }
    f.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------- the audit log

/// One stored audit row, every column.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    subject: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

async fn read_rows(db: &mut AnyConnection) -> anyhow::Result<Vec<AuditRow>> {
    Ok(sqlx::query_as::<_, AuditRow>(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq",
    )
    .fetch_all(&mut *db)
    .await?)
}

/// Writes `row`'s content (everything but the seq) at `seq`.
async fn write_content_at(db: &mut AnyConnection, seq: i64, row: &AuditRow) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE audit_log SET at = $1, actor = $2, action = $3, subject = $4, detail = $5, \
         prev_hash = $6, hash = $7 WHERE seq = $8",
    )
    .bind(row.at)
    .bind(&row.actor)
    .bind(&row.action)
    .bind(&row.subject)
    .bind(&row.detail)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .bind(seq)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Puts the log back as it was: the rows of `original`, and nothing else.
async fn restore(db: &mut AnyConnection, original: &[AuditRow]) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM audit_log")
        .execute(&mut *db)
        .await?;
    for row in original {
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(row.seq)
        .bind(row.at)
        .bind(&row.actor)
        .bind(&row.action)
        .bind(&row.subject)
        .bind(&row.detail)
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

async fn verify_audit(
    f: &mut Federation,
    participant: &str,
) -> anyhow::Result<pb::AuditVerifyReply> {
    Ok(f.officer(participant, Role::Auditor)?
        .audit_verify(pb::AuditVerifyRequest {})
        .await?
        .into_inner())
}

/// What to do to the stored log.
#[derive(Clone, Copy, Debug)]
enum Tampering {
    ModifyDetail(i64),
    Delete(i64),
    /// Exchange the contents of two rows, each keeping its seq.
    SwapContents(i64, i64),
}

async fn tamper(
    db: &mut AnyConnection,
    rows: &[AuditRow],
    tampering: Tampering,
) -> anyhow::Result<()> {
    let row = |seq: i64| {
        rows.iter()
            .find(|r| r.seq == seq)
            .cloned()
            .ok_or_else(|| anyhow!("no audit entry {seq}"))
    };
    match tampering {
        Tampering::ModifyDetail(seq) => {
            let mut edited = row(seq)?;
            edited.detail.push_str(" (reviewed)");
            write_content_at(db, seq, &edited).await
        }
        Tampering::Delete(seq) => {
            sqlx::query("DELETE FROM audit_log WHERE seq = $1")
                .bind(seq)
                .execute(&mut *db)
                .await?;
            Ok(())
        }
        Tampering::SwapContents(a, b) => {
            let (row_a, row_b) = (row(a)?, row(b)?);
            write_content_at(db, a, &row_b).await?;
            write_content_at(db, b, &row_a).await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verification_finds_each_kind_of_tampering_and_passes_otherwise() -> anyhow::Result<()>
{
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let trace = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner()
        .trace_id;
    f.until_state("BEL", &trace, "delivered").await?;
    f.poc("BEL")?
        .act(pb::ActRequest {
            trace_id: trace.clone(),
            action: Some(pb::act_request::Action::Acknowledge(
                pb::Acknowledgement::default(),
            )),
            confirm_despite_declared_restrictions: false,
        })
        .await?;
    f.until_state("GHA", &trace, "acknowledged").await?;
    f.poc("BEL")?
        .act(pb::ActRequest {
            trace_id: trace.clone(),
            action: Some(pb::act_request::Action::Respond(
                fixtures::bel_export_response(),
            )),
            confirm_despite_declared_restrictions: false,
        })
        .await?;
    f.until_state("GHA", &trace, "responded").await?;

    let untouched = verify_audit(&mut f, "GHA").await?;
    assert!(untouched.ok, "{untouched:?}");
    // Room for a middle entry and one after it.
    assert!(untouched.entries >= 4, "{untouched:?}");

    f.sandbox.stop(&p("GHA")).await?;
    let original = read_rows(&mut f.open_database("GHA").await?).await?;
    let middle = original
        .get(original.len() / 2)
        .context("an empty audit log")?
        .seq;
    let cases = [
        // (tampering, first bad entry, what the problem says)
        (Tampering::ModifyDetail(middle), middle, "modified"),
        // The deleted entry cannot be reported: the one after it no longer
        // follows on from its predecessor.
        (Tampering::Delete(middle), middle + 1, "deleted"),
        (
            Tampering::SwapContents(middle, middle + 1),
            middle,
            "out of order",
        ),
    ];
    for (tampering, first_bad, problem) in cases {
        let mut db = f.open_database("GHA").await?;
        tamper(&mut db, &original, tampering).await?;
        db.close().await?;
        f.start("GHA").await?;
        let reply = verify_audit(&mut f, "GHA").await?;
        assert!(!reply.ok, "{tampering:?} went unnoticed");
        assert_eq!(
            reply.first_bad_seq, first_bad as u64,
            "{tampering:?}: {reply:?}"
        );
        assert!(
            reply.problem.contains(problem),
            "{tampering:?}: {}",
            reply.problem
        );

        f.sandbox.stop(&p("GHA")).await?;
        let mut db = f.open_database("GHA").await?;
        restore(&mut db, &original).await?;
        db.close().await?;
    }

    f.start("GHA").await?;
    let restored = verify_audit(&mut f, "GHA").await?;
    assert!(restored.ok, "{restored:?}");
    f.shutdown().await;
    Ok(())
}

async fn submit(f: &mut Federation, request: pb::TraceRequest) -> anyhow::Result<String> {
    Ok(f.poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await?
        .into_inner()
        .trace_id)
}

/// The newest audit entry of `whose` chain that `witness` holds in a receipt
/// `whose` signed (0: none).
async fn witnessed_seq(f: &Federation, witness: &str, whose: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COALESCE(MAX(audit_seq), 0) FROM receipts WHERE receiver = $1",
    )
    .bind(whose)
    .fetch_one(f.node(witness)?.store.pool())
    .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_cut_short_is_found_through_the_head_a_peer_witnessed() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    // BEL writes to its chain (receiving, acknowledging), then signs a
    // receipt for GHA's next message: GHA now holds BEL's head.
    let first = submit(&mut f, fixtures::fal_request()).await?;
    f.until_state("BEL", &first, "delivered").await?;
    f.poc("BEL")?
        .act(pb::ActRequest {
            trace_id: first.clone(),
            action: Some(pb::act_request::Action::Acknowledge(
                pb::Acknowledgement::default(),
            )),
            confirm_despite_declared_restrictions: false,
        })
        .await?;
    f.until_state("GHA", &first, "acknowledged").await?;
    let mut another = fixtures::fal_request();
    another.requester_reference = "GHA-2".into();
    let second = submit(&mut f, another).await?;
    f.until_state("BEL", &second, "delivered").await?;
    // GHA holds BEL's receipt (and the head in it) once it sees the trace
    // delivered.
    f.until_state("GHA", &second, "delivered").await?;
    let witnessed = witnessed_seq(&f, "GHA", "BEL").await?;
    assert!(witnessed > 1, "GHA holds no head of BEL's: {witnessed}");

    let intact = verify_audit(&mut f, "BEL").await?;
    assert!(intact.ok, "{intact:?}");
    let gha = intact.witnesses.iter().find(|w| w.peer == "GHA");
    assert_eq!(
        gha.map(|w| w.outcome.as_str()),
        Some("consistent"),
        "{intact:?}"
    );

    // Cut BEL's chain back to before the witnessed entry: what remains is
    // a valid chain, and only the witness can tell.
    f.sandbox.stop(&p("BEL")).await?;
    let mut db = f.open_database("BEL").await?;
    sqlx::query("DELETE FROM audit_log WHERE seq >= $1")
        .bind(witnessed)
        .execute(&mut db)
        .await?;
    db.close().await?;
    f.start("BEL").await?;
    let cut = verify_audit(&mut f, "BEL").await?;
    assert!(!cut.ok, "a truncated chain went unnoticed: {cut:?}");
    assert_eq!(cut.first_bad_seq, witnessed as u64, "{cut:?}");
    assert!(cut.problem.contains("cut off"), "{}", cut.problem);
    f.shutdown().await;
    Ok(())
}
