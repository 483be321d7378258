//! Pinned peers and the cached federation directory.

use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use super::{StoreError, Write};
use crate::clock::{from_millis, to_millis};
use crate::identity::standing::Introduction;
use crate::ids::ParticipantId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRow {
    pub participant: ParticipantId,
    pub endpoint: String,
    pub ca_der: Vec<u8>,
    pub crl_der: Option<Vec<u8>>,
    /// For a hub: the participants it serves.
    pub serves: Vec<ParticipantId>,
    pub encryption_key: Option<Vec<u8>>,
    pub added_at: OffsetDateTime,
}

pub async fn upsert(conn: &mut AnyConnection, p: &PeerRow) -> Result<(), StoreError> {
    let serves = p
        .serves
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(",");
    Write::new(
        "INSERT INTO peers (participant, endpoint, ca_der, crl_der, serves, encryption_key, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (participant) DO UPDATE SET endpoint = excluded.endpoint, ca_der = excluded.ca_der, \
         crl_der = excluded.crl_der, serves = excluded.serves, encryption_key = excluded.encryption_key",
    )
    .bind(p.participant.to_string())
    .bind(&p.endpoint)
    .bind(p.ca_der.clone())
    .bind(p.crl_der.clone())
    .bind(serves)
    .bind(p.encryption_key.clone())
    .bind(to_millis(p.added_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn all(pool: &AnyPool) -> Result<Vec<PeerRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT participant, endpoint, ca_der, crl_der, serves, encryption_key, added_at FROM peers \
         ORDER BY participant",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let serves: String = row.try_get("serves")?;
            Ok(PeerRow {
                participant: row
                    .try_get::<String, _>("participant")?
                    .parse()
                    .map_err(|_| StoreError::corrupt("peer participant"))?,
                endpoint: row.try_get("endpoint")?,
                ca_der: row.try_get("ca_der")?,
                crl_der: row.try_get("crl_der")?,
                serves: serves
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().map_err(|_| StoreError::corrupt("peer serves")))
                    .collect::<Result<_, _>>()?,
                encryption_key: row.try_get("encryption_key")?,
                added_at: from_millis(row.try_get("added_at")?),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryRow {
    pub participant: ParticipantId,
    /// The encoded `SignedDirectoryEntry`.
    pub signed: Vec<u8>,
    pub serial: u64,
    /// "self", "pinned" or "via hub:X".
    pub trust: String,
    pub cached_at: OffsetDateTime,
}

/// Stores a directory entry unless a newer one (higher serial) is cached.
pub async fn upsert_directory(
    conn: &mut AnyConnection,
    d: &DirectoryRow,
) -> Result<bool, StoreError> {
    let done = Write::new(
        "INSERT INTO directory (participant, signed, serial, trust, cached_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (participant) DO UPDATE SET signed = excluded.signed, serial = excluded.serial, \
         trust = excluded.trust, cached_at = excluded.cached_at WHERE directory.serial < excluded.serial",
    )
    .bind(d.participant.to_string())
    .bind(d.signed.clone())
    .bind(d.serial as i64)
    .bind(&d.trust)
    .bind(to_millis(d.cached_at))
    .execute(conn)
    .await?;
    Ok(done == 1)
}

pub async fn directory(pool: &AnyPool) -> Result<Vec<DirectoryRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT participant, signed, serial, trust, cached_at FROM directory ORDER BY participant",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(directory_row).collect()
}

/// The cached entry of one participant: one row, where reading the whole
/// directory for each entry taken made a hub's directory of n entries cost
/// n² rows to take.
pub async fn directory_of(
    pool: &AnyPool,
    participant: &ParticipantId,
) -> Result<Option<DirectoryRow>, StoreError> {
    let mut rows = directory_of_each(pool, std::slice::from_ref(participant)).await?;
    Ok(rows.remove(participant))
}

/// Participants looked up by one statement, at most: within the bound on
/// a statement's parameters of either backend.
const LOOKUP_CHUNK: usize = 500;

/// The cached entries of those of `participants` held here, by participant:
/// the entries a hub offers in a statement or a few, not a round trip each.
pub async fn directory_of_each(
    pool: &AnyPool,
    participants: &[ParticipantId],
) -> Result<std::collections::HashMap<ParticipantId, DirectoryRow>, StoreError> {
    let mut held = std::collections::HashMap::with_capacity(participants.len());
    for chunk in participants.chunks(LOOKUP_CHUNK) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT participant, signed, serial, trust, cached_at FROM directory \
             WHERE participant IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(super::composed(sql));
        for p in chunk {
            q = q.bind(p.to_string());
        }
        for row in q.fetch_all(pool).await? {
            let row = directory_row(&row)?;
            held.insert(row.participant.clone(), row);
        }
    }
    Ok(held)
}

fn directory_row(row: &sqlx::any::AnyRow) -> Result<DirectoryRow, StoreError> {
    Ok(DirectoryRow {
        participant: row
            .try_get::<String, _>("participant")?
            .parse()
            .map_err(|_| StoreError::corrupt("directory participant"))?,
        signed: row.try_get("signed")?,
        serial: row.try_get::<i64, _>("serial")? as u64,
        trust: row.try_get("trust")?,
        cached_at: from_millis(row.try_get("cached_at")?),
    })
}

/// Writes down how far an introduced participant's CA is trusted.
pub fn introduction_write(participant: &ParticipantId, i: &Introduction) -> Write {
    let vouched: Vec<String> = i.vouched_by.iter().map(|h| h.to_string()).collect();
    Write::new(
        "INSERT INTO introductions (participant, ca_fingerprint, vouched_by, confirmed_by_admin) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (participant) DO UPDATE SET \
         ca_fingerprint = excluded.ca_fingerprint, vouched_by = excluded.vouched_by, \
         confirmed_by_admin = excluded.confirmed_by_admin",
    )
    .bind(participant.to_string())
    .bind(i.ca_fingerprint.clone())
    .bind(vouched.join(","))
    .bind(i64::from(i.confirmed_by_admin))
}

/// The participant is pinned now: its introduction and conflicts are over.
pub fn settled_writes(participant: &ParticipantId) -> [Write; 2] {
    [
        Write::new("DELETE FROM introductions WHERE participant = $1")
            .bind(participant.to_string()),
        clear_conflicts_write(participant),
    ]
}

pub async fn introductions(
    pool: &AnyPool,
) -> Result<Vec<(ParticipantId, Introduction)>, StoreError> {
    let rows = sqlx::query(
        "SELECT participant, ca_fingerprint, vouched_by, confirmed_by_admin FROM introductions",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let corrupt = |_| StoreError::corrupt("introduction participant");
            let vouched_by = row
                .try_get::<String, _>("vouched_by")?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().map_err(corrupt))
                .collect::<Result<_, _>>()?;
            Ok((
                row.try_get::<String, _>("participant")?
                    .parse()
                    .map_err(corrupt)?,
                Introduction {
                    ca_fingerprint: row.try_get("ca_fingerprint")?,
                    vouched_by,
                    confirmed_by_admin: row.try_get::<i64, _>("confirmed_by_admin")? != 0,
                },
            ))
        })
        .collect()
}

/// An entry offered for a participant that names another CA than the one
/// held: kept, to show beside the held one until an admin decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    pub participant: ParticipantId,
    pub offered_by: ParticipantId,
    pub ca_fingerprint: String,
    /// The encoded `SignedDirectoryEntry` offered.
    pub signed: Vec<u8>,
    pub seen_at: OffsetDateTime,
}

pub fn conflict_write(c: &ConflictRow) -> Write {
    Write::new(
        "INSERT INTO directory_conflicts (participant, offered_by, ca_fingerprint, signed, \
         seen_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(c.participant.to_string())
    .bind(c.offered_by.to_string())
    .bind(c.ca_fingerprint.clone())
    .bind(c.signed.clone())
    .bind(to_millis(c.seen_at))
}

pub fn clear_conflicts_write(participant: &ParticipantId) -> Write {
    Write::new("DELETE FROM directory_conflicts WHERE participant = $1")
        .bind(participant.to_string())
}

pub async fn conflicts(pool: &AnyPool) -> Result<Vec<ConflictRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT participant, offered_by, ca_fingerprint, signed, seen_at \
         FROM directory_conflicts ORDER BY participant, seen_at",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let corrupt = |_| StoreError::corrupt("directory conflict participant");
            Ok(ConflictRow {
                participant: row
                    .try_get::<String, _>("participant")?
                    .parse()
                    .map_err(corrupt)?,
                offered_by: row
                    .try_get::<String, _>("offered_by")?
                    .parse()
                    .map_err(corrupt)?,
                ca_fingerprint: row.try_get("ca_fingerprint")?,
                signed: row.try_get("signed")?,
                seen_at: from_millis(row.try_get("seen_at")?),
            })
        })
        .collect()
}
