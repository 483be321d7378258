//! Participants a hub introduced: how far their CAs are trusted (see
//! `identity::standing`), the conflicts raised when an entry names another
//! CA than the one held, and the admin's confirmation out of band.

use prost::Message;

use iti_proto::v1 as pb;

use crate::clock::to_timestamp;
use crate::identity::pki::fingerprint;
use crate::identity::standing::Introduction;
use crate::ids::ParticipantId;
use crate::service::{Actor, Node, ServiceError, ServiceResult};
use crate::store::peers;
use crate::store::{audit, boxed};

impl Node {
    /// `hub` offers `ca` for an introduced `participant`: it is introduced
    /// (first hub), or one more hub vouches for it. A restored introduction
    /// keeps the vouches and the confirmation it had, and so does one an
    /// admin confirmed after `held` was read (the caller read it before
    /// awaiting the database: its copy may be stale).
    pub(super) fn vouch(
        &self,
        participant: &ParticipantId,
        ca: &[u8],
        hub: &ParticipantId,
        held: Option<Introduction>,
    ) {
        let ca_fingerprint = fingerprint(ca);
        self.trust.standing.update(participant, |current| {
            let mut intro = match current.or(held) {
                Some(i) if i.ca_fingerprint == ca_fingerprint => i,
                _ => Introduction::new(ca_fingerprint, hub.clone()),
            };
            intro.vouched_by.insert(hub.clone());
            intro
        });
    }

    /// Writes down the standing of `participant` if it changed from
    /// `before`; a participant newly confirmed may be sent what waited.
    pub(super) async fn write_standing(
        &self,
        participant: &ParticipantId,
        before: Option<Introduction>,
    ) -> ServiceResult<()> {
        let Some(now) = self.trust.standing.introduction(participant) else {
            return Ok(());
        };
        if before.as_ref() == Some(&now) {
            return Ok(());
        }
        let needed = self.config.introduction_vouches;
        let newly_confirmed = now.confirmed(needed) && !before.is_some_and(|b| b.confirmed(needed));
        let write = peers::introduction_write(participant, &now);
        let subject = participant.to_string();
        let detail = format!(
            "CA {}: {}",
            now.ca_fingerprint,
            now.describe(self.config.introduction_vouches)
        );
        let at = self.now();
        self.store
            .write(move |conn| {
                boxed(async move {
                    write.execute(conn).await?;
                    audit::append(conn, at, "node", "introduction", &subject, &detail).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        if newly_confirmed {
            self.wake_for(participant).await;
        }
        Ok(())
    }

    /// Whether `signed` for `participant`, offered by `via`, names another
    /// CA than the one held, and is signed by that CA: then it is a
    /// conflict, not an update. (An entry its own CA did not sign is merely
    /// refused, as a forgery.)
    pub(super) fn conflicting_ca(
        &self,
        participant: &ParticipantId,
        entry: &pb::DirectoryEntry,
        signed: &pb::SignedDirectoryEntry,
        via: Option<&ParticipantId>,
    ) -> Option<String> {
        let held = self.trust.ca_of(participant)?;
        let other = via.is_some()
            && !entry.ca_certificate.is_empty()
            && entry.ca_certificate != *held
            && crate::envelope::verify_with_ca(
                &entry.ca_certificate,
                &signed.entry,
                &signed.signature,
            );
        other.then(|| fingerprint(&entry.ca_certificate))
    }

    /// Records a conflicting entry: refused, kept to show beside the held
    /// one, raised (a metric, an audit entry, a warning), and the
    /// participant frozen until an admin decides.
    pub(super) async fn raise_conflict(
        &self,
        participant: ParticipantId,
        offered_by: ParticipantId,
        ca_fingerprint: String,
        signed: &pb::SignedDirectoryEntry,
    ) -> ServiceResult<ServiceError> {
        self.trust.standing.freeze(&participant);
        self.metrics.count_directory_conflict();
        tracing::warn!(%participant, %offered_by, %ca_fingerprint, "directory conflict: entry names another CA than the one held");
        let held = self
            .trust
            .ca_of(&participant)
            .map(|ca| fingerprint(&ca))
            .unwrap_or_default();
        let why = format!(
            "{offered_by} offered an entry for {participant} with CA {ca_fingerprint}, but the \
             CA held for {participant} is {held}: refused; {participant} is frozen until an \
             admin decides (`itictl peer confirm {participant} FINGERPRINT` for the held CA, \
             or `itictl peer add` with its card obtained out of band)"
        );
        let row = peers::ConflictRow {
            participant,
            offered_by,
            ca_fingerprint,
            signed: signed.encode_to_vec(),
            seen_at: self.now(),
        };
        let detail = why.clone();
        self.store
            .write(move |conn| {
                boxed(async move {
                    peers::conflict_write(&row).execute(conn).await?;
                    let subject = row.participant.to_string();
                    let who = row.offered_by.to_string();
                    audit::append(
                        conn,
                        row.seen_at,
                        &who,
                        "directory_conflict",
                        &subject,
                        &detail,
                    )
                    .await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        Ok(ServiceError::PermissionDenied(why))
    }

    /// At start: the standing of introduced participants, and the
    /// conflicts still open, as they were before.
    pub(crate) async fn restore_standings(&self) -> Result<(), crate::store::StoreError> {
        let pool = self.store.pool();
        for (participant, intro) in peers::introductions(pool).await? {
            self.trust.standing.set(&participant, intro);
        }
        for c in peers::conflicts(pool).await? {
            self.trust.standing.freeze(&c.participant);
        }
        Ok(())
    }

    /// An admin confirms `participant`'s CA by its fingerprint, read out of
    /// band: the CA held must have that fingerprint. Confirms a hub's
    /// introduction, and settles a conflict in favour of the CA held.
    pub async fn confirm_peer(
        &self,
        actor: &Actor,
        participant: &ParticipantId,
        ca_fingerprint: &str,
    ) -> ServiceResult<()> {
        let given = ca_fingerprint.trim().to_lowercase().replace(':', "");
        let _one_at_a_time = self.learning.accepting.lock().await;
        let held = self
            .trust
            .ca_of(participant)
            .ok_or_else(|| ServiceError::NotFound(format!("no CA is held for {participant}")))?;
        let held = fingerprint(&held);
        if given != held {
            return Err(ServiceError::invalid(
                "caFingerprint",
                format!(
                    "the CA held for {participant} has fingerprint {held}; nothing was \
                     confirmed (to trust another CA, add its card with `itictl peer add`)"
                ),
            ));
        }
        // A CA an admin pinned needs no introduction: confirming it only
        // settles a conflict over it.
        let mut writes = vec![peers::clear_conflicts_write(participant)];
        if participant.is_hub() {
            writes.extend(self.settle_equivocation_writes(participant));
        }
        if let Some(intro) = self.trust.standing.confirm(participant) {
            writes.push(peers::introduction_write(participant, &intro));
        }
        self.trust.standing.thaw(participant);
        let (who, subject, at) = (actor.to_string(), participant.to_string(), self.now());
        let detail = format!("CA {held} confirmed out of band");
        self.store
            .write(move |conn| {
                boxed(async move {
                    crate::store::Writes::from(writes).execute(conn).await?;
                    audit::append(conn, at, &who, "peer_confirmed", &subject, &detail).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        self.wake_for(participant).await;
        Ok(())
    }

    /// A directory view's trust facts: the CA held, its standing, and the
    /// conflicts open for the participant.
    pub(crate) fn standing_view(
        &self,
        view: &mut pb::DirectoryEntryView,
        participant: &ParticipantId,
        conflicts: &[peers::ConflictRow],
    ) {
        let needed = self.config.introduction_vouches;
        view.ca_fingerprint = self
            .trust
            .ca_of(participant)
            .map(|ca| fingerprint(&ca))
            .unwrap_or_default();
        let intro = self.trust.standing.introduction(participant);
        view.confirmed = self.trust.standing.may_seal_to(participant, needed);
        let mut standing = match (&intro, participant == self.participant()) {
            (_, true) => crate::fact::code("standing-own"),
            (Some(i), _) => i.fact(needed),
            (None, _) => crate::fact::code("standing-pinned-by-an-admin"),
        };
        if self.trust.standing.is_frozen(participant) {
            let was = crate::fact::word("standing", standing);
            standing = crate::fact::fact("standing-frozen", [was]);
        }
        // "own" stays the API's word for this node itself.
        view.standing = match participant == self.participant() {
            true => "own".into(),
            false => crate::fact::english(&standing),
        };
        view.standing_fact = Some(standing);
        view.conflicts = conflicts
            .iter()
            .filter(|c| &c.participant == participant)
            .map(|c| pb::DirectoryConflict {
                offered_by: c.offered_by.to_string(),
                ca_fingerprint: c.ca_fingerprint.clone(),
                serial: pb::SignedDirectoryEntry::decode(c.signed.as_slice())
                    .ok()
                    .and_then(|s| pb::DirectoryEntry::decode(s.entry.as_slice()).ok())
                    .map_or(0, |e| e.serial),
                seen_at: Some(to_timestamp(c.seen_at)),
            })
            .collect();
    }
}
