//! Pinned peers and the cached federation directory.

use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use super::{StoreError, Write};
use crate::clock::{from_millis, to_millis};
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
    rows.iter()
        .map(|row| {
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
        })
        .collect()
}
