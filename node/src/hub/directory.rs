//! The federation directory (clauses 5.1, 11.6, 12.2 a). Each participant's
//! entry is signed by its own CA key (held by its admin, not by the node):
//! an entry not signed by the CA pinned for that participant is rejected.
//! A hub distributes its members' entries; nodes cache them, route with
//! them, and show them with `itictl directory`.

use std::collections::HashMap;

use prost::Message;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use iti_proto::v1 as pb;

use crate::envelope::{self, seal::RecipientKey};
use crate::identity::Identity;
use crate::identity::trust::Usage;
use crate::ids::ParticipantId;
use crate::service::{Node, ServiceError, ServiceResult};
use crate::store::peers::{self, DirectoryRow};
use crate::store::{audit, boxed, directory_log};

/// Reads a signed entry file: JSON (protobuf JSON mapping) as written by
/// `itictl directory sign`.
pub fn read_signed_entry(path: &std::path::Path) -> Result<pb::SignedDirectoryEntry, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Signs a directory entry with a CA key.
pub fn sign_entry(
    entry: &pb::DirectoryEntry,
    ca_key_pem: &str,
) -> Result<pb::SignedDirectoryEntry, String> {
    let bytes = entry.encode_to_vec();
    let signature = envelope::sign_with_pem_key(ca_key_pem, &bytes).map_err(|e| e.to_string())?;
    Ok(pb::SignedDirectoryEntry {
        entry: bytes,
        signature,
    })
}

impl Node {
    /// Publishes this node's own entry from `directory_entry`, if configured.
    pub async fn publish_own_directory_entry(&self) -> ServiceResult<()> {
        let Some(path) = self.config.directory_entry.clone() else {
            return Ok(());
        };
        let signed =
            read_signed_entry(&path).map_err(|e| ServiceError::invalid("directory_entry", e))?;
        self.accept_directory_entry(signed, None).await.map(|_| ())
    }

    /// Verifies and caches a signed entry, received from `via` (a hub) or
    /// published locally (`via` None). A new entry of our own, or one a hub
    /// learns, is announced to the peers (see `hub::learning`).
    pub async fn accept_directory_entry(
        &self,
        signed: pb::SignedDirectoryEntry,
        via: Option<ParticipantId>,
    ) -> ServiceResult<DirectoryRow> {
        let (row, changed) = self
            .take_directory_entry(signed.clone(), via.clone())
            .await?;
        if changed && (self.is_hub() || &row.participant == self.participant()) {
            self.learning.announce(signed, via);
        }
        if changed {
            // A sealing key may have come with it: envelopes waiting for it
            // go now.
            self.wake_for(&row.participant).await;
        }
        Ok(row)
    }

    /// [`Node::accept_directory_entry`] without the announcement; true when
    /// the entry is new here.
    async fn take_directory_entry(
        &self,
        signed: pb::SignedDirectoryEntry,
        via: Option<ParticipantId>,
    ) -> ServiceResult<(DirectoryRow, bool)> {
        // One entry at a time: a refresh and an announcement of two serials
        // of one participant must not interleave (the older one applied
        // last would win in the trust store).
        let _one_at_a_time = self.learning.accepting.lock().await;
        let entry = pb::DirectoryEntry::decode(signed.entry.as_slice())
            .map_err(|_| ServiceError::invalid("entry", "not a DirectoryEntry"))?;
        crate::bounds::check(&mut entry.clone(), self.now())?;
        let participant: ParticipantId =
            entry
                .participant
                .parse()
                .map_err(|e: crate::ids::IdError| {
                    ServiceError::invalid("entry.participant", e.to_string())
                })?;
        if &participant != self.participant() && self.trust.standing.is_frozen(&participant) {
            return Err(ServiceError::PermissionDenied(format!(
                "{participant} is frozen by a directory conflict until an admin decides \
                 (`itictl directory` shows both versions)"
            )));
        }
        if let Some(fingerprint) = self.conflicting_ca(&participant, &entry, &signed, via.as_ref())
            && let Some(hub) = via.clone()
        {
            return Err(self
                .raise_conflict(participant, hub, fingerprint, &signed)
                .await?);
        }
        let before = self.trust.standing.introduction(&participant);
        if let Some(cached) = peers::directory_of(self.store.pool(), &participant).await?
            && cached.serial >= entry.serial
        {
            // Not newer than what we hold: nothing changes, but the very
            // same signed entry from one more hub is one more voucher.
            let same = cached.signed == signed.encode_to_vec();
            if let (true, Some(hub), Some(held), Some(ca)) = (
                same,
                via.as_ref(),
                before.clone(),
                self.trust.ca_of(&participant),
            ) {
                self.vouch(&participant, &ca, hub, Some(held));
                self.write_standing(&participant, before.clone()).await?;
            }
            if same || cached.serial > entry.serial {
                return Ok((cached, false));
            }
        }
        let trust = self.apply_directory_entry(&participant, &entry, &signed, via.as_ref())?;
        self.write_standing(&participant, before).await?;
        let row = DirectoryRow {
            participant: participant.clone(),
            signed: signed.encode_to_vec(),
            serial: entry.serial,
            trust,
            cached_at: self.now(),
        };
        let stored = row.clone();
        let now = self.now();
        let who = via.map(|h| h.to_string()).unwrap_or_else(|| "node".into());
        let logs = self.is_hub();
        self.store
            .write(move |conn| {
                boxed(async move {
                    if peers::upsert_directory(conn, &stored).await? {
                        if logs {
                            // The hub's log and its directory change together.
                            directory_log::append(conn, &stored.participant, &stored.signed)
                                .await?;
                        }
                        audit::append(
                            conn,
                            now,
                            &who,
                            "directory_entry",
                            &stored.participant.to_string(),
                            &format!("serial {}, trust {}", stored.serial, stored.trust),
                        )
                        .await?;
                    }
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        Ok((row, true))
    }

    /// At start: what the cached directory taught this node (CAs introduced
    /// by a hub, announced certificates, revocation lists, sealing keys,
    /// routes) is learnt again, so that a restart does not refuse a state
    /// known only through its hub until the next refresh. An entry that no
    /// longer verifies is skipped with a warning (the next refresh replaces
    /// it).
    pub async fn restore_directory(&self) -> Result<usize, crate::store::StoreError> {
        let mut restored = 0;
        for row in peers::directory(self.store.pool()).await? {
            let via = row
                .trust
                .strip_prefix("via ")
                .and_then(|hub| hub.parse::<ParticipantId>().ok());
            let applied = pb::SignedDirectoryEntry::decode(row.signed.as_slice())
                .map_err(|_| ServiceError::invalid("entry", "not a SignedDirectoryEntry"))
                .and_then(|signed| {
                    let entry = pb::DirectoryEntry::decode(signed.entry.as_slice())
                        .map_err(|_| ServiceError::invalid("entry", "not a DirectoryEntry"))?;
                    self.apply_directory_entry(&row.participant, &entry, &signed, via.as_ref())
                });
            match applied {
                Ok(_) => restored += 1,
                Err(e) => tracing::warn!(
                    participant = %row.participant,
                    error = %e,
                    "cached directory entry not restored"
                ),
            }
        }
        Ok(restored)
    }

    /// Verifies a directory entry against the CA pinned for its participant
    /// (or, for one not pinned here, the CA it carries, when a hub
    /// introduces it) and learns from it. Returns how it is trusted:
    /// "self", "pinned" or "via hub:X".
    fn apply_directory_entry(
        &self,
        participant: &ParticipantId,
        entry: &pb::DirectoryEntry,
        signed: &pb::SignedDirectoryEntry,
        via: Option<&ParticipantId>,
    ) -> ServiceResult<String> {
        let pinned = self.trust.ca_of(participant);
        let introduced = self.trust.standing.introduction(participant);
        let (ca, trust) = self.entry_ca(participant, entry, pinned.as_deref(), via)?;
        if !envelope::verify_with_ca(&ca, &signed.entry, &signed.signature) {
            return Err(ServiceError::PermissionDenied(format!(
                "directory entry for {participant} is not signed by the CA pinned for {participant}"
            )));
        }
        if pinned.is_some() && !entry.ca_certificate.is_empty() && entry.ca_certificate != ca {
            return Err(ServiceError::PermissionDenied(format!(
                "directory entry for {participant} names a CA other than the one pinned for it"
            )));
        }
        if pinned.is_none() {
            self.trust
                .pin(participant, CertificateDer::from(ca.clone()), None)
                .map_err(|e| ServiceError::invalid("entry.caCertificate", e.to_string()))?;
        }
        if let Some(hub) = via
            && (pinned.is_none() || introduced.is_some())
        {
            self.vouch(participant, &ca, hub, introduced);
        }
        self.learn_certificates(participant, entry)?;
        self.learn_keys_and_routes(participant, entry, via)?;
        Ok(trust)
    }

    /// The CA an entry must be signed by, and how far it is trusted:
    /// "self", "pinned" or "via hub:X". A participant not pinned here is
    /// introduced by the hub, with the CA the entry carries.
    fn entry_ca(
        &self,
        participant: &ParticipantId,
        entry: &pb::DirectoryEntry,
        pinned: Option<&[u8]>,
        via: Option<&ParticipantId>,
    ) -> ServiceResult<(Vec<u8>, String)> {
        let introduced = self.trust.standing.introduction(participant);
        match (pinned, via) {
            (Some(ca), _) => {
                let trust = if participant == self.participant() {
                    "self".to_string()
                } else if let Some(intro) = &introduced {
                    // Still on hubs' word: an update never makes it "pinned".
                    let hub = via.or(intro.vouched_by.first());
                    hub.map_or_else(|| "pinned".into(), |h| format!("via {h}"))
                } else {
                    "pinned".to_string()
                };
                Ok((ca.to_vec(), trust))
            }
            (None, Some(hub)) => Ok((entry.ca_certificate.clone(), format!("via {hub}"))),
            (None, None) => Err(ServiceError::PermissionDenied(format!(
                "no CA is pinned for {participant}"
            ))),
        }
    }

    /// The node certificates an entry announces (current, and next with its
    /// switch-over time), each checked against the participant's CA.
    fn learn_certificates(
        &self,
        participant: &ParticipantId,
        entry: &pb::DirectoryEntry,
    ) -> ServiceResult<()> {
        for (field, der) in [
            ("entry.certificate", &entry.certificate),
            ("entry.nextCertificate", &entry.next_certificate),
        ] {
            if der.is_empty() {
                continue;
            }
            let cert = CertificateDer::from(der.clone());
            match self.trust.verify(&cert, &[], Usage::Client, self.now()) {
                Ok(Identity::Node(p)) if &p == participant => {}
                Ok(other) => {
                    return Err(ServiceError::invalid(
                        field,
                        format!("certificate is for {other}"),
                    ));
                }
                // The next certificate may not be valid yet.
                Err(crate::identity::trust::TrustError::NotYetValid(_))
                    if field == "entry.nextCertificate" => {}
                Err(e) => return Err(ServiceError::invalid(field, e.to_string())),
            }
        }
        if participant == self.participant() {
            return Ok(());
        }
        if entry.certificate.is_empty() {
            self.trust.forget_announced(participant);
            return Ok(());
        }
        let next = (!entry.next_certificate.is_empty())
            .then(|| {
                entry
                    .switch_over_at
                    .as_ref()
                    .and_then(crate::clock::from_timestamp)
                    .map(|t| (entry.next_certificate.clone(), t))
            })
            .flatten();
        self.trust.announce(
            participant,
            crate::identity::trust::AnnouncedLeaves {
                current: entry.certificate.clone(),
                next,
            },
        );
        Ok(())
    }

    /// The revocation list, sealing key and routes an entry brings.
    fn learn_keys_and_routes(
        &self,
        participant: &ParticipantId,
        entry: &pb::DirectoryEntry,
        via: Option<&ParticipantId>,
    ) -> ServiceResult<()> {
        if !entry.revocation_list.is_empty() && participant != self.participant() {
            // The participant's CA revokes its own certificates; webpki
            // checks the list's signature against that CA when it is used.
            self.trust
                .set_crl(
                    participant,
                    rustls::pki_types::CertificateRevocationListDer::from(
                        entry.revocation_list.clone(),
                    ),
                )
                .map_err(|e| ServiceError::invalid("entry.revocationList", e.to_string()))?;
        }
        if !entry.encryption_key.is_empty() {
            let key = RecipientKey::from_bytes(&entry.encryption_key)
                .map_err(|e| ServiceError::invalid("entry.encryptionKey", e.to_string()))?;
            self.peering.learn_key(participant.clone(), key);
        }
        if participant.is_hub() {
            for served in &entry.serves {
                if let Ok(s) = served.parse::<ParticipantId>() {
                    self.peering.learn_route(s, participant.clone());
                }
            }
        } else if let Some(hub) = via {
            self.peering.learn_route(participant.clone(), hub.clone());
        }
        Ok(())
    }

    /// The signed entries this node distributes: a hub, every entry it
    /// holds (or those changed, as `asked` says), from its log; a state,
    /// only its own.
    pub async fn directory_for(
        &self,
        _peer: &Identity,
        asked: &pb::GetDirectoryRequest,
    ) -> ServiceResult<pb::Directory> {
        if self.is_hub() {
            return self
                .hub_directory(asked.log_since, asked.changed_only)
                .await;
        }
        Ok(pb::Directory {
            entries: self.own_entry().await?.into_iter().collect(),
            ..Default::default()
        })
    }

    /// This node's own signed entry, if it published one.
    pub(crate) async fn own_entry(
        &self,
    ) -> Result<Option<pb::SignedDirectoryEntry>, crate::store::StoreError> {
        let row = peers::directory_of(self.store.pool(), self.participant()).await?;
        Ok(row.and_then(|r| pb::SignedDirectoryEntry::decode(r.signed.as_slice()).ok()))
    }

    /// Fetches the directory from every peer and accepts what verifies: a
    /// peer's own entry against its pinned CA; other participants' entries
    /// only from a hub.
    pub async fn refresh_directory(&self) -> ServiceResult<pb::RefreshDirectoryReply> {
        // All peers at once: one that does not answer delays no other.
        let fetches = self.peering.peers().into_iter().map(|peer| async move {
            let mut reply = pb::RefreshDirectoryReply::default();
            self.fetch_directory_from(&peer.participant, Fetch::Everything, &mut reply)
                .await;
            reply
        });
        let mut reply = pb::RefreshDirectoryReply::default();
        for one in futures::future::join_all(fetches).await {
            reply.accepted.extend(one.accepted);
            reply.rejected.extend(one.rejected);
            reply.unreachable.extend(one.unreachable);
        }
        Ok(reply)
    }

    /// Fetches `peer`'s directory and accepts what verifies, noting the
    /// outcome in `reply`.
    pub(crate) async fn fetch_directory_from(
        &self,
        peer: &ParticipantId,
        fetch: Fetch,
        reply: &mut pb::RefreshDirectoryReply,
    ) {
        use iti_proto::v1::federation_client::FederationClient;
        let channel = match self.peering.channel(peer) {
            Ok(c) => c,
            Err(e) => {
                reply.unreachable.push(format!("{peer}: {e}"));
                return;
            }
        };
        // Changes since the entries last all taken; everything when that
        // is not known (or not asked).
        let changed_since = match fetch {
            Fetch::Changes => self.entries_taken_of(peer),
            Fetch::Everything => None,
        };
        let fetched = tokio::time::timeout(
            self.config.outbox.delivery_timeout,
            FederationClient::new(channel).get_directory(pb::GetDirectoryRequest {
                log_since: changed_since.unwrap_or_else(|| self.log_size_of(peer)),
                changed_only: changed_since.is_some(),
            }),
        )
        .await;
        let directory = match fetched {
            Ok(Ok(d)) => d.into_inner(),
            Ok(Err(status)) => {
                reply
                    .unreachable
                    .push(format!("{peer}: {}", status.message()));
                return;
            }
            Err(_) => {
                reply.unreachable.push(format!("{peer}: no answer in time"));
                return;
            }
        };
        // A hub's entries are taken only from a log that extends the one
        // seen before (equivocation).
        if peer.is_hub() {
            match self.follow_log(peer, &directory, changed_since).await {
                Ok(true) => {}
                // Older than what we hold: a later answer brought it all.
                Ok(false) => return,
                Err(why) => {
                    tracing::warn!(%peer, error = %why, "directory refused");
                    reply.rejected.push(why);
                    return;
                }
            }
        }
        let size = directory.log_from + directory.log.len() as u64;
        let refused = reply.rejected.len();
        self.take_entries_from(peer, directory, reply).await;
        if peer.is_hub() && reply.rejected.len() == refused {
            self.entries_taken(peer, size);
        }
    }

    /// Accepts the entries `peer` offers (fetched, or announced by it): its
    /// own entry, or any entry if it is a hub (introduced via that hub).
    pub(crate) async fn take_entries_from(
        &self,
        peer: &ParticipantId,
        directory: pb::Directory,
        reply: &mut pb::RefreshDirectoryReply,
    ) {
        let offered: Vec<_> = directory
            .entries
            .into_iter()
            .map(|signed| (pb::DirectoryEntry::decode(signed.entry.as_slice()), signed))
            .collect();
        let held = self.held_of(peer, &offered).await;
        for (entry, signed) in offered {
            let Ok(entry) = entry else {
                reply
                    .rejected
                    .push(format!("{peer} offered an unreadable entry"));
                continue;
            };
            let subject = entry.participant.clone();
            if subject == self.participant().to_string() {
                continue;
            }
            let via = if subject == peer.to_string() {
                None
            } else if peer.is_hub() {
                Some(peer.clone())
            } else {
                reply.rejected.push(format!(
                    "{peer} offered an entry for {subject}, but only hubs distribute others' entries"
                ));
                continue;
            };
            if let Some(hub) = &via
                && let Ok(participant) = subject.parse::<ParticipantId>()
                && self.holds_vouched(&participant, &signed, hub, held.get(&participant))
            {
                reply.accepted.push(subject);
                continue;
            }
            match self.accept_directory_entry(signed, via).await {
                Ok(_) => reply.accepted.push(subject),
                Err(e) => {
                    tracing::warn!(from = %peer, participant = %subject, error = %e, "directory entry refused");
                    reply
                        .rejected
                        .push(format!("{peer} offered an entry for {subject}: {e}"));
                }
            }
        }
    }

    /// The rows held of the participants a hub offers, read at once, and
    /// only those: reading the whole directory for each of a broker's
    /// ninety peers fetched at once held ninety copies of it, the largest
    /// peak of its memory, which the allocator then kept. Empty for a
    /// state (it offers its own entry) or when the read fails (every entry
    /// is then taken in full).
    async fn held_of(
        &self,
        peer: &ParticipantId,
        offered: &[(
            Result<pb::DirectoryEntry, prost::DecodeError>,
            pb::SignedDirectoryEntry,
        )],
    ) -> HashMap<ParticipantId, DirectoryRow> {
        if !peer.is_hub() {
            return HashMap::new();
        }
        let participants: Vec<ParticipantId> = offered
            .iter()
            .filter_map(|(entry, _)| entry.as_ref().ok()?.participant.parse().ok())
            .collect();
        peers::directory_of_each(self.store.pool(), &participants)
            .await
            .unwrap_or_default()
    }

    /// Whether `signed` is held here (`held`) byte for byte, with `hub`
    /// already among its vouchers: taken again from `hub`, it would change
    /// nothing. A hub asked for everything answers with every entry it
    /// holds, and with a directory of hundreds, taking each again was most
    /// of the cost of a fetch.
    fn holds_vouched(
        &self,
        participant: &ParticipantId,
        signed: &pb::SignedDirectoryEntry,
        hub: &ParticipantId,
        held: Option<&DirectoryRow>,
    ) -> bool {
        let standing = &self.trust.standing;
        !standing.is_frozen(participant)
            && standing
                .introduction(participant)
                .is_none_or(|i| i.vouched_by.contains(hub))
            && held.is_some_and(|row| row.signed == signed.encode_to_vec())
    }

    /// The cached directory, for display.
    pub async fn directory_view(&self) -> ServiceResult<Vec<(pb::DirectoryEntry, DirectoryRow)>> {
        let rows = peers::directory(self.store.pool()).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let signed = pb::SignedDirectoryEntry::decode(r.signed.as_slice()).ok()?;
                let entry = pb::DirectoryEntry::decode(signed.entry.as_slice()).ok()?;
                Some((entry, r))
            })
            .collect())
    }
}

/// What a fetch asks a hub for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fetch {
    /// Every entry it holds: at start, at each periodic refresh and when a
    /// participant must be learned at once.
    Everything,
    /// Only the entries of the leaves after those whose entries were all
    /// taken here (everything, when that is not known): after a hub
    /// announced what it learned. A hub's every answer with its whole
    /// directory made a federation's start cost each node the square of
    /// its size (README: "The whole world on one machine").
    Changes,
}

/// PEM → DER of a CA certificate.
pub fn ca_der_from_pem(pem: &str) -> Option<Vec<u8>> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .ok()
        .map(|c| c.to_vec())
}
