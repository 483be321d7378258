//! Outside witnesses of the audit chain (issue 13). Every receipt this node
//! signs carries its audit head; the sender keeps the receipt. `itictl audit
//! verify` asks each peer for the newest head of ours it holds and checks
//! the chain against it: entries cut off or rewritten up to that head show,
//! though the chain alone still verifies.

use iti_proto::v1 as pb;
use iti_proto::v1::federation_client::FederationClient;

use super::{Node, ServiceResult};
use crate::audit::{StoredEntry, Witnessed, check_witness};
use crate::clock::to_timestamp;
use crate::envelope;
use crate::ids::ParticipantId;
use crate::store::envelopes;

impl Node {
    /// The newest receipt `peer` signed with an audit head, for `peer` to
    /// check its own chain against.
    pub async fn witnessed_head_of(
        &self,
        peer: &ParticipantId,
    ) -> ServiceResult<pb::WitnessedHeadReply> {
        let held = envelopes::newest_witnessed(self.store.pool(), &peer.to_string()).await?;
        Ok(pb::WitnessedHeadReply {
            receipt: held.map(|r| r.signed),
        })
    }

    /// Checks `entries` (our verified chain) against the head every peer
    /// holds. Peers are asked at once; one that does not answer is noted,
    /// not waited for beyond the delivery timeout.
    pub(crate) async fn witness_checks(&self, entries: &[StoredEntry]) -> Vec<pb::WitnessCheck> {
        let asks = self
            .peering
            .peers()
            .into_iter()
            .map(|peer| self.witness_check(peer.participant, entries));
        futures::future::join_all(asks).await
    }

    async fn witness_check(
        &self,
        peer: ParticipantId,
        entries: &[StoredEntry],
    ) -> pb::WitnessCheck {
        let mut check = pb::WitnessCheck {
            peer: peer.to_string(),
            ..Default::default()
        };
        let receipt = match self.ask_witness(&peer).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                check.outcome = "none held".into();
                return check;
            }
            Err(why) => {
                check.outcome = "unreachable".into();
                check.detail = why;
                return check;
            }
        };
        let me = self.participant();
        let (head, signed_at) =
            match envelope::verify_witnessed_head(&receipt, me, &self.trust, self.now()) {
                Ok(found) => found,
                Err(e) => {
                    check.outcome = "unreachable".into();
                    check.detail = format!("the receipt it holds does not verify: {e}");
                    return check;
                }
            };
        check.seq = head.seq;
        check.head = head.hash.clone();
        check.signed_at = Some(to_timestamp(signed_at));
        (check.outcome, check.detail) = match check_witness(entries, &head) {
            Witnessed::Consistent => ("consistent".into(), String::new()),
            Witnessed::Truncated { chain_ends_at } => (
                "truncated".into(),
                format!(
                    "{peer} holds our signed head at entry {}, but the chain ends at entry \
                     {chain_ends_at}: entries were cut off",
                    head.seq
                ),
            ),
            Witnessed::Rewritten => (
                "rewritten".into(),
                format!(
                    "{peer} holds our signed head at entry {} with another hash: the chain \
                     was rewritten up to there",
                    head.seq
                ),
            ),
        };
        check
    }

    async fn ask_witness(&self, peer: &ParticipantId) -> Result<Option<pb::SignedReceipt>, String> {
        let channel = self.peering.channel(peer)?;
        let asked = tokio::time::timeout(
            self.config.outbox.delivery_timeout,
            FederationClient::new(channel).witnessed_head(pb::WitnessedHeadRequest {}),
        )
        .await;
        match asked {
            Ok(Ok(reply)) => Ok(reply.into_inner().receipt),
            Ok(Err(status)) => Err(status.message().to_string()),
            Err(_) => Err("no answer in time".into()),
        }
    }
}
