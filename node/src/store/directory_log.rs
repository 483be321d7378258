//! A hub's directory log, the copies of hubs' logs a node follows, and the
//! equivocations found (see `hub::log`).

use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use super::{StoreError, Write};
use crate::clock::{from_millis, to_millis};
use crate::hub::log::{self, Followed, Leaf};
use crate::ids::ParticipantId;

/// One leaf of this hub's own log.
#[derive(Debug, Clone)]
pub struct OwnLeaf {
    pub seq: u64,
    pub participant: String,
    /// The encoded `SignedDirectoryEntry`.
    pub signed: Vec<u8>,
    pub chain: [u8; 32],
}

/// Appends an entry to this hub's log, chained to the last leaf. Runs in
/// the write that stores the entry, so the log and the directory agree.
pub async fn append(
    conn: &mut AnyConnection,
    participant: &ParticipantId,
    signed: &[u8],
) -> Result<(), StoreError> {
    let (seq, previous) = last_leaf(&mut *conn).await?;
    let chain = log::chain(&previous, &log::leaf_hash(signed));
    Write::new(
        "INSERT INTO directory_log (seq, participant, signed, chain) VALUES ($1, $2, $3, $4)",
    )
    .bind(seq + 1)
    .bind(participant.to_string())
    .bind(signed.to_vec())
    .bind(log::chain_hex(&chain))
    .execute(conn)
    .await?;
    Ok(())
}

/// This hub's log after its first `start` leaves, and the log's size and
/// chain (all of it with `start` 0).
#[derive(Debug, Clone)]
pub struct OwnTail {
    pub size: u64,
    pub chain: [u8; 32],
    pub leaves: Vec<OwnLeaf>,
}

/// The leaves of this hub's log after the first `start`, in order: a peer
/// that holds those asks only for the rest.
pub async fn own_since(pool: &AnyPool, start: u64) -> Result<OwnTail, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, participant, signed, chain FROM directory_log WHERE seq > $1 ORDER BY seq",
    )
    .bind(i64::try_from(start).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await?;
    let leaves = rows
        .iter()
        .map(|row| {
            Ok(OwnLeaf {
                seq: row.try_get::<i64, _>("seq")? as u64,
                participant: row.try_get("participant")?,
                signed: row.try_get("signed")?,
                chain: chain_of(row)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let (size, chain) = match leaves.last() {
        Some(last) => (last.seq, last.chain),
        None => {
            let (seq, chain) = last_leaf(pool).await?;
            (seq as u64, chain)
        }
    };
    Ok(OwnTail {
        size,
        chain,
        leaves,
    })
}

/// The last leaf's number and chained hash: 0 and the empty chain for an
/// empty log.
async fn last_leaf<'e, E>(db: E) -> Result<(i64, [u8; 32]), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let last = sqlx::query("SELECT seq, chain FROM directory_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(db)
        .await?;
    match last {
        Some(row) => Ok((row.try_get::<i64, _>("seq")?, chain_of(&row)?)),
        None => Ok((0, log::EMPTY)),
    }
}

fn chain_of(row: &sqlx::any::AnyRow) -> Result<[u8; 32], StoreError> {
    log::chain_from_hex(&row.try_get::<String, _>("chain")?)
        .ok_or_else(|| StoreError::corrupt("directory log chain"))
}

/// What a node holds of one hub's log: its leaves and the newest head the
/// hub signed (an encoded `SignedDirectoryLogHead`).
#[derive(Debug, Clone, Default)]
pub struct FollowedRow {
    pub log: Followed,
    pub head: Option<Vec<u8>>,
}

/// Every hub log this node follows.
pub async fn followed(pool: &AnyPool) -> Result<Vec<(ParticipantId, FollowedRow)>, StoreError> {
    let mut out: std::collections::BTreeMap<String, FollowedRow> = Default::default();
    let corrupt = || StoreError::corrupt("followed directory log");
    for row in
        sqlx::query("SELECT hub, participant, leaf, chain FROM followed_logs ORDER BY hub, seq")
            .fetch_all(pool)
            .await?
    {
        let leaf = Leaf {
            participant: row.try_get("participant")?,
            leaf: log::chain_from_hex(&row.try_get::<String, _>("leaf")?).ok_or_else(corrupt)?,
            chain: log::chain_from_hex(&row.try_get::<String, _>("chain")?).ok_or_else(corrupt)?,
        };
        out.entry(row.try_get("hub")?)
            .or_default()
            .log
            .leaves
            .push(leaf);
    }
    for row in sqlx::query("SELECT hub, signed FROM followed_log_heads")
        .fetch_all(pool)
        .await?
    {
        out.entry(row.try_get("hub")?).or_default().head = Some(row.try_get("signed")?);
    }
    out.into_iter()
        .map(|(hub, row)| Ok((hub.parse().map_err(|_| corrupt())?, row)))
        .collect()
}

/// Appends leaves `from` onwards to the copy of `hub`'s log, with the head
/// they reach.
pub fn follow_writes(hub: &ParticipantId, from: u64, leaves: &[Leaf], head: &[u8]) -> Vec<Write> {
    let mut writes: Vec<Write> = leaves
        .iter()
        .zip(from + 1..)
        .map(|(l, seq)| {
            Write::new(
                "INSERT INTO followed_logs (hub, seq, participant, leaf, chain) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(hub.to_string())
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(l.participant.clone())
            .bind(hex::encode(l.leaf))
            .bind(log::chain_hex(&l.chain))
        })
        .collect();
    writes.push(
        Write::new(
            "INSERT INTO followed_log_heads (hub, signed) VALUES ($1, $2) \
             ON CONFLICT (hub) DO UPDATE SET signed = excluded.signed",
        )
        .bind(hub.to_string())
        .bind(head.to_vec()),
    );
    writes
}

/// An admin settled an equivocation: the alarm closes and the node follows
/// the hub's log afresh.
pub fn settle_writes(hub: &ParticipantId) -> Vec<Write> {
    [
        "DELETE FROM directory_equivocations WHERE hub = $1",
        "DELETE FROM followed_logs WHERE hub = $1",
        "DELETE FROM followed_log_heads WHERE hub = $1",
    ]
    .into_iter()
    .map(|sql| Write::new(sql).bind(hub.to_string()))
    .collect()
}

/// Proof that a hub equivocated: two heads no single log explains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EquivocationRow {
    pub hub: ParticipantId,
    /// "its own answer", or "witnessed by XXX".
    pub seen_through: String,
    pub size: u64,
    /// Our chained hash at `size`, and theirs (hex).
    pub ours: String,
    pub theirs: String,
    /// The encoded `SignedDirectoryLogHead` that shows the other log.
    pub evidence: Vec<u8>,
    pub seen_at: OffsetDateTime,
}

pub fn equivocation_write(e: &EquivocationRow) -> Write {
    Write::new(
        "INSERT INTO directory_equivocations (hub, seen_through, size, ours, theirs, evidence, \
         seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(e.hub.to_string())
    .bind(e.seen_through.clone())
    .bind(i64::try_from(e.size).unwrap_or(i64::MAX))
    .bind(e.ours.clone())
    .bind(e.theirs.clone())
    .bind(e.evidence.clone())
    .bind(to_millis(e.seen_at))
}

pub async fn equivocations(pool: &AnyPool) -> Result<Vec<EquivocationRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT hub, seen_through, size, ours, theirs, evidence, seen_at \
         FROM directory_equivocations ORDER BY hub, seen_at",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(EquivocationRow {
                hub: row
                    .try_get::<String, _>("hub")?
                    .parse()
                    .map_err(|_| StoreError::corrupt("equivocation hub"))?,
                seen_through: row.try_get("seen_through")?,
                size: row.try_get::<i64, _>("size")? as u64,
                ours: row.try_get("ours")?,
                theirs: row.try_get("theirs")?,
                evidence: row.try_get("evidence")?,
                seen_at: from_millis(row.try_get("seen_at")?),
            })
        })
        .collect()
}
