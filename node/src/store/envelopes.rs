//! Envelopes and receipts.

use prost::Message;
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use iti_proto::v1 as pb;

use super::provenance;
use super::{StoreError, Write};
use crate::case::items::ItemWindow;
use crate::clock::{from_millis, to_millis};
use crate::envelope::Header;
use crate::ids::{EnvelopeId, TraceId};
use crate::policy::marked::{Marked, Provider, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    Relay,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Relay => "relay",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "in" => Ok(Direction::In),
            "out" => Ok(Direction::Out),
            "relay" => Ok(Direction::Relay),
            other => Err(StoreError::corrupt(format!("direction {other:?}"))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoredEnvelope {
    pub header: Header,
    pub direction: Direction,
    pub stored_at: OffsetDateTime,
    pub envelope: pb::Envelope,
    /// The payload in clear, where this node may read it, held as marked
    /// content: from the envelope's origin (this node, for what it sent),
    /// under the envelope's marking (each part may carry its own).
    pub payload: Option<Marked<pb::Payload>>,
}

impl StoredEnvelope {
    /// Where the payload came from.
    pub fn source(&self) -> Source {
        let provider = match self.direction {
            Direction::Out => Provider::Us,
            Direction::In | Direction::Relay => Provider::Participant(self.header.origin.clone()),
        };
        Source::message(provider, self.header.id)
    }
}

/// Stores an envelope unless one with the same id is already stored.
/// Returns false for a duplicate: the dedupe key of exactly-once processing,
/// checked in the same transaction as everything the envelope causes.
pub async fn insert(
    conn: &mut AnyConnection,
    header: &Header,
    direction: Direction,
    envelope: &pb::Envelope,
    payload: Option<&pb::Payload>,
    stored_at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let held = HeldPayload::of(header, direction, envelope, payload);
    insert_held(conn, header, direction, envelope, held, stored_at).await
}

/// [`insert`], with the payload as already prepared for storage (so that
/// the payload itself can be handed on before the write).
pub async fn insert_held(
    conn: &mut AnyConnection,
    header: &Header,
    direction: Direction,
    envelope: &pb::Envelope,
    held: HeldPayload,
    stored_at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let inserted = held_write(header, direction, envelope, held, stored_at)
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// [`insert`], to run with other writes (where a duplicate cannot be: an
/// envelope this node has just made).
pub fn insert_write(
    header: &Header,
    direction: Direction,
    envelope: &pb::Envelope,
    payload: Option<&pb::Payload>,
    stored_at: OffsetDateTime,
) -> Write {
    let held = HeldPayload::of(header, direction, envelope, payload);
    held_write(header, direction, envelope, held, stored_at)
}

/// [`insert_held`], to run with other writes.
pub fn held_write(
    header: &Header,
    direction: Direction,
    envelope: &pb::Envelope,
    held: HeldPayload,
    stored_at: OffsetDateTime,
) -> Write {
    Write::new(
        "INSERT INTO envelopes (id, case_id, trace_id, direction, origin, destination, kind, \
         created_at, stored_at, envelope, payload) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
    )
    .bind(header.id.to_string())
    .bind(header.case_id.to_string())
    .bind(header.trace_id.to_string())
    .bind(direction.as_str())
    .bind(header.origin.to_string())
    .bind(header.destination.to_string())
    .bind(i64::from(header.kind as i32))
    .bind(to_millis(header.created_at))
    .bind(to_millis(stored_at))
    .bind(envelope.encode_to_vec())
    .bind(held.0)
}

/// A payload as it is stored beside its envelope: nothing when the envelope
/// carries it in clear, byte for byte (a request of a large cache is then
/// stored once, not twice); else encoded, as this node holds it (opened
/// from a sealed envelope, or normalised on receipt).
/// `Clone`: a write job may run again.
#[derive(Debug, Clone)]
pub struct HeldPayload(Option<Vec<u8>>);

impl HeldPayload {
    pub fn of(
        header: &Header,
        direction: Direction,
        envelope: &pb::Envelope,
        payload: Option<&pb::Payload>,
    ) -> HeldPayload {
        HeldPayload(payload.and_then(|p| {
            let encoded = p.encode_to_vec();
            let carried = direction != Direction::Relay
                && header.sealing.is_none()
                && encoded == envelope.payload;
            (!carried).then_some(encoded)
        }))
    }
}

/// The payload as this node holds it: stored beside the envelope, or, for
/// one it sent or received in clear, the envelope's own (see
/// [`HeldPayload`]). With a window, only that page of a request's items is
/// decoded, and which it is said.
fn held_payload(
    header: &Header,
    direction: Direction,
    envelope: &pb::Envelope,
    beside: Option<&[u8]>,
    window: Option<ItemWindow>,
) -> Result<(Option<pb::Payload>, Option<pb::ItemsShown>), StoreError> {
    let bytes = match (beside, direction) {
        (Some(bytes), _) => bytes,
        (None, Direction::In | Direction::Out) if header.sealing.is_none() => &envelope.payload,
        (None, _) => return Ok((None, None)),
    };
    match window {
        None => pb::Payload::decode(bytes).map(|p| (Some(p), None)),
        Some(window) => super::partial::payload_paged(bytes, window).map(|(p, s)| (Some(p), s)),
    }
    .map_err(|e| StoreError::corrupt(format!("stored payload: {e}")))
}

/// Updates the stored copy of an envelope (a relay appends hops).
pub async fn replace_envelope(
    conn: &mut AnyConnection,
    id: EnvelopeId,
    envelope: &pb::Envelope,
) -> Result<(), StoreError> {
    Write::new("UPDATE envelopes SET envelope = $1 WHERE id = $2")
        .bind(envelope.encode_to_vec())
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops the content of a relayed envelope once it is delivered: a hub keeps
/// a payload only until delivery.
pub async fn forget_payload(conn: &mut AnyConnection, id: EnvelopeId) -> Result<(), StoreError> {
    forget_payload_write(id).execute(conn).await?;
    Ok(())
}

/// [`forget_payload`], to run with other writes. The old content is then
/// scrubbed from the database's files too (`store::scrub`).
pub fn forget_payload_write(id: EnvelopeId) -> Write {
    Write::new(
        "UPDATE envelopes SET envelope = $1, payload = NULL WHERE id = $2 AND direction = 'relay'",
    )
    .bind(pb::Envelope::default().encode_to_vec())
    .bind(id.to_string())
    .forgetting_content()
}

/// The envelope and its header, of a row's `envelope` and `direction`.
fn signed_from_row(row: &sqlx::any::AnyRow) -> Result<SignedEnvelope, StoreError> {
    // Borrowed from the row: an envelope can be tens of megabytes.
    let bytes: &[u8] = row.try_get("envelope")?;
    let envelope = pb::Envelope::decode(bytes)
        .map_err(|e| StoreError::corrupt(format!("stored envelope: {e}")))?;
    let header = Header::decode(&envelope.header)
        .map_err(|e| StoreError::corrupt(format!("stored envelope header: {e}")))?;
    Ok(SignedEnvelope {
        header,
        direction: Direction::parse(&row.try_get::<String, _>("direction")?)?,
        envelope,
    })
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<StoredEnvelope, StoreError> {
    Ok(paged_from_row(row, None)?.0)
}

/// [`from_row`], with a request's items decoded only in `window`.
fn paged_from_row(
    row: &sqlx::any::AnyRow,
    window: Option<ItemWindow>,
) -> Result<(StoredEnvelope, Option<pb::ItemsShown>), StoreError> {
    let SignedEnvelope {
        header,
        direction,
        envelope,
    } = signed_from_row(row)?;
    let (payload, shown) = held_payload(
        &header,
        direction,
        &envelope,
        row.try_get("payload")?,
        window,
    )?;
    let mut stored = StoredEnvelope {
        header,
        direction,
        stored_at: from_millis(row.try_get("stored_at")?),
        envelope,
        payload: None,
    };
    stored.payload = payload.map(|p| {
        Marked::new(
            p,
            provenance::held_under(Some(&stored.header.marking)),
            stored.source(),
        )
    });
    Ok((stored, shown))
}

pub async fn get(
    conn: &mut AnyConnection,
    id: EnvelopeId,
) -> Result<Option<StoredEnvelope>, StoreError> {
    let row =
        sqlx::query("SELECT direction, stored_at, envelope, payload FROM envelopes WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get_from_pool(
    pool: &AnyPool,
    id: EnvelopeId,
) -> Result<Option<StoredEnvelope>, StoreError> {
    let mut conn = pool.acquire().await?;
    get(&mut conn, id).await
}

/// An envelope as signed, its payload not decoded: what a receipt is
/// checked against, and what says who sent it where. A request's payload
/// can be tens of megabytes, and 150 MB decoded.
#[derive(Debug, Clone)]
pub struct SignedEnvelope {
    pub header: Header,
    pub direction: Direction,
    pub envelope: pb::Envelope,
}

/// An envelope to send. The delivery loop sends it as signed and never
/// reads its content, so its payload is decoded only when it still waits
/// for its destination's sealing key (it is built from the payload then):
/// a hub decoded a 36 MB request it relayed at every attempt.
pub async fn to_send(pool: &AnyPool, id: EnvelopeId) -> Result<Option<StoredEnvelope>, StoreError> {
    let row = sqlx::query("SELECT direction, stored_at, envelope FROM envelopes WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let SignedEnvelope {
        header,
        direction,
        envelope,
    } = signed_from_row(&row)?;
    if crate::envelope::is_waiting_for_key(&envelope) {
        return get_from_pool(pool, id).await;
    }
    Ok(Some(StoredEnvelope {
        header,
        direction,
        stored_at: from_millis(row.try_get("stored_at")?),
        envelope,
        payload: None,
    }))
}

pub async fn signed(pool: &AnyPool, id: EnvelopeId) -> Result<Option<SignedEnvelope>, StoreError> {
    let row = sqlx::query("SELECT direction, envelope FROM envelopes WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(signed_from_row).transpose()
}

/// Every envelope of a trace, in the order stored.
pub async fn for_trace(pool: &AnyPool, trace: TraceId) -> Result<Vec<StoredEnvelope>, StoreError> {
    let rows = trace_rows(pool, trace).await?;
    rows.iter().map(from_row).collect()
}

/// [`for_trace`], a request's items decoded only in `window` (a case's
/// page: a request of 100,000 items was decoded whole to show 100), and
/// which were kept, unless all.
pub async fn for_trace_paged(
    pool: &AnyPool,
    trace: TraceId,
    window: ItemWindow,
) -> Result<Vec<(StoredEnvelope, Option<pb::ItemsShown>)>, StoreError> {
    let rows = trace_rows(pool, trace).await?;
    rows.iter()
        .map(|r| paged_from_row(r, Some(window)))
        .collect()
}

async fn trace_rows(pool: &AnyPool, trace: TraceId) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    Ok(sqlx::query(
        "SELECT direction, stored_at, envelope, payload FROM envelopes WHERE trace_id = $1 \
         AND direction <> 'relay' ORDER BY stored_at, id",
    )
    .bind(trace.to_string())
    .fetch_all(pool)
    .await?)
}

pub async fn count(pool: &AnyPool, direction: Direction) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM envelopes WHERE direction = $1")
        .bind(direction.as_str())
        .fetch_one(pool)
        .await?;
    Ok(row.try_get("n")?)
}

#[derive(Debug, Clone)]
pub struct ReceiptRow {
    pub envelope_id: EnvelopeId,
    pub receiver: String,
    pub received_at: OffsetDateTime,
    pub signed: pb::SignedReceipt,
}

pub async fn add_receipt(conn: &mut AnyConnection, r: &ReceiptRow) -> Result<(), StoreError> {
    receipt_write(r).execute(conn).await?;
    Ok(())
}

/// [`add_receipt`], to run with other writes.
pub fn receipt_write(r: &ReceiptRow) -> Write {
    // The signer's audit head, read from the signed bytes (0: none).
    let audit_seq = pb::Receipt::decode(r.signed.receipt.as_slice()).map_or(0, |x| x.audit_seq);
    Write::new(
        "INSERT INTO receipts (envelope_id, receiver, received_at, signed, audit_seq) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(r.envelope_id.to_string())
    .bind(r.receiver.as_str())
    .bind(to_millis(r.received_at))
    .bind(r.signed.encode_to_vec())
    .bind(i64::try_from(audit_seq).unwrap_or(i64::MAX))
}

/// The receipt `receiver` signed with the newest audit head: what this node
/// witnessed of `receiver`'s chain.
pub async fn newest_witnessed(
    pool: &AnyPool,
    receiver: &str,
) -> Result<Option<ReceiptRow>, StoreError> {
    let row = sqlx::query(
        "SELECT envelope_id, receiver, received_at, signed FROM receipts \
         WHERE receiver = $1 AND audit_seq > 0 ORDER BY audit_seq DESC LIMIT 1",
    )
    .bind(receiver)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(receipt_from_row).transpose()
}

fn receipt_from_row(row: &sqlx::any::AnyRow) -> Result<ReceiptRow, StoreError> {
    let signed: Vec<u8> = row.try_get("signed")?;
    Ok(ReceiptRow {
        envelope_id: row
            .try_get::<String, _>("envelope_id")?
            .parse()
            .map_err(|_| StoreError::corrupt("receipt envelope id"))?,
        receiver: row.try_get("receiver")?,
        received_at: from_millis(row.try_get("received_at")?),
        signed: pb::SignedReceipt::decode(signed.as_slice())
            .map_err(|e| StoreError::corrupt(format!("stored receipt: {e}")))?,
    })
}

pub async fn receipt(
    conn: &mut AnyConnection,
    envelope: EnvelopeId,
    receiver: &str,
) -> Result<Option<ReceiptRow>, StoreError> {
    let row = sqlx::query(
        "SELECT envelope_id, receiver, received_at, signed FROM receipts \
         WHERE envelope_id = $1 AND receiver = $2",
    )
    .bind(envelope.to_string())
    .bind(receiver)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(receipt_from_row).transpose()
}

pub async fn receipts_for(
    pool: &AnyPool,
    envelope: EnvelopeId,
) -> Result<Vec<ReceiptRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT envelope_id, receiver, received_at, signed FROM receipts WHERE envelope_id = $1 \
         ORDER BY received_at",
    )
    .bind(envelope.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter().map(receipt_from_row).collect()
}
