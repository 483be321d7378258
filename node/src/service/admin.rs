//! Administration: peering (explicit, per participant).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};

use iti_proto::v1 as pb;

use super::{Actor, Node, ServiceError, ServiceResult};
use crate::envelope::seal::RecipientKey;
use crate::identity::pki;
use crate::ids::ParticipantId;
use crate::store::peers::{self, PeerRow};
use crate::store::{audit, boxed};

/// Checks a peer card and makes the peer row it pins: every field within
/// its bounds, the participant a valid id other than `own`, the endpoint
/// host:port, the CA certificate usable as a trust anchor, the CRL and the
/// sealing key well formed. Pure: nothing is pinned or stored.
pub fn check_card(
    mut card: pb::PeerCard,
    own: &ParticipantId,
    now: time::OffsetDateTime,
) -> ServiceResult<PeerRow> {
    crate::bounds::check(&mut card, now)?;
    let participant: ParticipantId = card
        .participant
        .parse()
        .map_err(|e: crate::ids::IdError| ServiceError::invalid("participant", e.to_string()))?;
    if &participant == own {
        return Err(ServiceError::invalid(
            "participant",
            "that is this node itself",
        ));
    }
    let endpoint = card.endpoint.trim().to_string();
    let authority = endpoint
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    if authority
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .is_none()
    {
        return Err(ServiceError::invalid(
            "endpoint",
            format!("{endpoint:?} is not host:port"),
        ));
    }
    let ca = CertificateDer::from_pem_slice(card.ca_certificate_pem.as_bytes())
        .map_err(|_| ServiceError::invalid("caCertificatePem", "no PEM certificate"))?;
    webpki::anchor_from_trusted_cert(&ca).map_err(|e| {
        ServiceError::invalid(
            "caCertificatePem",
            format!("not a usable CA certificate: {e:?}"),
        )
    })?;
    let crl = if card.crl_pem.trim().is_empty() {
        None
    } else {
        Some(
            CertificateRevocationListDer::from_pem_slice(card.crl_pem.as_bytes())
                .map_err(|_| ServiceError::invalid("crlPem", "no PEM revocation list"))?,
        )
    };
    let serves = card
        .serves
        .iter()
        .map(|s| s.parse::<ParticipantId>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::invalid("serves", e.to_string()))?;
    if !serves.is_empty() && !participant.is_hub() {
        return Err(ServiceError::invalid(
            "serves",
            "only a hub serves other participants",
        ));
    }
    let encryption_key = if card.encryption_key_hex.trim().is_empty() {
        None
    } else {
        Some(
            RecipientKey::from_hex(&card.encryption_key_hex)
                .map_err(|e| ServiceError::invalid("encryptionKeyHex", e.to_string()))?,
        )
    };
    Ok(PeerRow {
        participant,
        endpoint,
        ca_der: ca.to_vec(),
        crl_der: crl.map(|c| c.to_vec()),
        serves,
        encryption_key: encryption_key.map(|k| k.bytes().to_vec()),
        added_at: now,
    })
}

impl Node {
    /// Pins a peer's CA to that participant alone, from its peer card.
    pub async fn add_peer(&self, actor: &Actor, card: pb::PeerCard) -> ServiceResult<PeerRow> {
        let row = check_card(card, self.participant(), self.now())?;
        let participant = row.participant.clone();
        // Not while a directory entry is taken (see `Learning::accepting`).
        let _one_at_a_time = self.learning.accepting.lock().await;
        // Pin first: a card whose CA or CRL rustls refuses changes nothing.
        self.install_peer(&row)?;
        // Pinned by an admin: no longer on a hub's word, and any conflict
        // over it is settled.
        self.trust.standing.forget(&participant);
        // Its sealing key may be what an envelope waits for.
        self.wake_outbox();
        // Stored with the newest list known for this CA, not an older one
        // the card may carry (a restart must not un-revoke).
        let stored = PeerRow {
            crl_der: self.trust.crl_of(&participant),
            ..row.clone()
        };
        let now = self.now();
        let detail = format!(
            "pinned CA {} ({}) for {} at {}",
            pki::fingerprint(&row.ca_der),
            pki::subject_of(&row.ca_der),
            row.participant,
            row.endpoint
        );
        let who = actor.to_string();
        self.store
            .write(move |conn| {
                boxed(async move {
                    peers::upsert(conn, &stored).await?;
                    for w in peers::settled_writes(&stored.participant) {
                        w.execute(conn).await?;
                    }
                    audit::append(
                        conn,
                        now,
                        &who,
                        "peer_added",
                        &stored.participant.to_string(),
                        &detail,
                    )
                    .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        // Anything waiting for this peer may go now.
        self.wake_for(&participant).await;
        Ok(row)
    }

    pub async fn peers(&self) -> ServiceResult<Vec<PeerRow>> {
        Ok(peers::all(self.store.pool()).await?)
    }
}
