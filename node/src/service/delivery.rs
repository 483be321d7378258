//! What the service does with the outcomes the delivery loop reports
//! (`outbox::Deliveries`): the outbox entry's state, the receipt, the
//! trace's history, and at a hub the receipt or the refusal passed back to
//! where the envelope came from. The loop itself knows nothing of traces.

use iti_proto::v1 as pb;
use time::OffsetDateTime;

use super::pipeline::{self, Outgoing};
use super::receive::{SentEnvelope, record_delivery};
use super::{Actor, Node, ServiceError, record_event, record_event_after};
use crate::config::OutboxConfig;
use crate::envelope::VerifiedReceipt;
use crate::fact;
use crate::identity::trust::TrustStore;
use crate::ids::ParticipantId;
use crate::metrics::Metrics;
use crate::outbox::{Attempt, Deliveries, Handover, Recorded};
use crate::peering::Peering;
use crate::store::envelopes::{self, Direction as Stored, StoredEnvelope};
use crate::store::outbox::{self as ob, OutboxRow, OutboxState};
use crate::store::{Store, StoreError, Writes, audit, boxed, traces};

impl Deliveries for Node {
    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn settings(&self) -> &OutboxConfig {
        &self.config.outbox
    }

    fn replica(&self) -> &str {
        &self.config.replica
    }

    fn store(&self) -> &Store {
        &self.store
    }

    fn peering(&self) -> &Peering {
        &self.peering
    }

    fn trust(&self) -> &TrustStore {
        &self.trust
    }

    fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn wake(&self) -> &tokio::sync::Notify {
        &self.outbox_wake
    }

    fn handover(&self) -> &Handover {
        &self.handover
    }

    fn lines(&self) -> &crate::transfer::Lines {
        &self.lines
    }

    fn batches(&self) -> &crate::batch::Batches {
        &self.batches
    }

    async fn learn_signer(&self, receipt: &pb::SignedReceipt, via: &ParticipantId) -> bool {
        self.learn_receipt_signer(receipt, via).await
    }

    async fn build_waiting(&self, stored: &StoredEnvelope) -> Result<pb::Envelope, String> {
        Node::build_waiting(self, stored).await
    }

    fn refresh_directory_soon(&self) {
        self.learning.refresh_soon();
    }

    async fn record(&self, attempt: Attempt) -> Result<(), StoreError> {
        let Attempt {
            row,
            hop,
            outcome,
            stored,
            now,
        } = attempt;
        if let Recorded::Delivered(r) | Recorded::Relayed(r) = &outcome {
            self.compare_witnessed_heads(&r.signed).await;
        }
        match outcome {
            Recorded::Delivered(receipt) => {
                let back = self.receipt_to_return(&row, stored, &receipt).await;
                self.delivered(row, hop, receipt, back, now).await
            }
            Recorded::Relayed(receipt) => self.relayed(row, hop, receipt, now).await,
            Recorded::Retry {
                error,
                next_attempt,
            } => {
                let id = row.envelope_id;
                self.store
                    .write(move |conn| {
                        boxed(async move {
                            ob::retry_later(conn, id, &hop, &error, next_attempt).await
                        })
                    })
                    .await
            }
            Recorded::Refused(error) => self.refused(row, hop, error, now).await,
        }
    }
}

/// The outbox records how an attempt ended and logs only store errors: a
/// delivery's write fails for no other reason (its change of the trace
/// takes no step that can be refused), and the envelope stays pending.
fn as_store_error(e: ServiceError) -> StoreError {
    match e {
        ServiceError::Unavailable(m) => StoreError::Unavailable(m),
        ServiceError::OutcomeUnknown(m) => StoreError::OutcomeUnknown(m),
        other => StoreError::corrupt(other.to_string()),
    }
}

impl Node {
    /// The destination signed for it: the outbox entry is done and the
    /// receipt recorded (deadlines start from it); a hub passes the receipt
    /// back toward the origin and forgets the content.
    async fn delivered(
        &self,
        row: OutboxRow,
        hop: String,
        receipt: VerifiedReceipt,
        back: Option<Outgoing>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let policy = self.config.deadlines;
        let id = row.envelope_id;
        let sent = sent_of(&row);
        self.store
            .write(move |conn| {
                boxed(async move {
                    let mut writes = Writes::new();
                    writes.push(ob::finish_write(
                        id,
                        OutboxState::Delivered,
                        &hop,
                        None,
                        now,
                    ));
                    if let Some((h, env, payload)) = back {
                        // A hub keeps a payload only until it is delivered.
                        writes.push(envelopes::forget_payload_write(id));
                        pipeline::outgoing_writes(&mut writes, (h, env, payload), now);
                    }
                    record_delivery(conn, writes, &receipt, &sent, &policy, now).await
                })
            })
            .await
            .map_err(as_store_error)
    }

    /// A hub signed for custody: the content is in its hands now.
    async fn relayed(
        &self,
        row: OutboxRow,
        hop: String,
        receipt: VerifiedReceipt,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let id = row.envelope_id;
        let trace_id = row.trace_id;
        self.store
            .write(move |conn| {
                boxed(async move {
                    let mut writes = Writes::new();
                    writes.push(ob::finish_write(id, OutboxState::Relayed, &hop, None, now));
                    // A relaying hub keeps no copy of the content.
                    writes.push(envelopes::forget_payload_write(id));
                    writes.push(envelopes::receipt_write(&envelopes::ReceiptRow {
                        envelope_id: id,
                        receiver: receipt.receiver.to_string(),
                        received_at: receipt.received_at,
                        signed: receipt.signed.clone(),
                    }));
                    let Some(trace) = traces::head(conn, trace_id).await? else {
                        return writes.execute(conn).await;
                    };
                    record_event_after(
                        conn,
                        writes,
                        trace.row(),
                        "relayed",
                        &Actor::Participant(receipt.receiver.clone()),
                        fact::fact("history-relayed", [fact::text("hub", &receipt.receiver)]),
                        Some(id),
                        now,
                    )
                    .await
                })
            })
            .await
    }

    /// Definitely refused: dead-lettered, the trace's history says why, and
    /// a hub tells the participant that handed it the envelope.
    async fn refused(
        &self,
        row: OutboxRow,
        hop: String,
        error: String,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let id = row.envelope_id;
        let trace_id = row.trace_id;
        let tell = self
            .failure_notice(id, &error)
            .await
            .map_err(|e| tracing::error!(error = %e, "cannot build the delivery failure"))
            .ok()
            .flatten();
        self.store
            .write(move |conn| {
                boxed(async move {
                    ob::finish(conn, id, OutboxState::Rejected, &hop, Some(&error), now).await?;
                    if let Some(tell) = tell {
                        envelopes::forget_payload(conn, id).await?;
                        super::queue_outgoing(conn, tell, now).await?;
                    }
                    match traces::head(conn, trace_id).await? {
                        Some(trace) => {
                            record_event(
                                conn,
                                trace.row(),
                                "delivery_refused",
                                &Actor::Node,
                                crate::case::kinds::not_delivered(&error),
                                Some(id),
                                now,
                            )
                            .await
                        }
                        None => {
                            audit::append(
                                conn,
                                now,
                                "node",
                                "delivery_refused",
                                &format!("envelope {id}"),
                                &error,
                            )
                            .await
                        }
                    }
                })
            })
            .await
    }

    /// For an envelope a hub relayed: the destination's receipt, wrapped in
    /// an envelope back to the origin.
    async fn receipt_to_return(
        &self,
        row: &OutboxRow,
        stored: Option<StoredEnvelope>,
        receipt: &VerifiedReceipt,
    ) -> Option<Outgoing> {
        let stored = match stored {
            Some(s) => s,
            None => envelopes::get_from_pool(self.store.pool(), row.envelope_id)
                .await
                .ok()
                .flatten()?,
        };
        if stored.direction != Stored::Relay || stored.header.kind == pb::PayloadKind::Receipt {
            return None;
        }
        let payload = pb::Payload {
            body: Some(pb::payload::Body::Receipt(receipt.signed.clone())),
        };
        let clear = pb::Marking {
            tlp: pb::Tlp::Clear as i32,
            restrictions: vec![],
        };
        let (header, env) = self
            .make_envelope(
                stored.header.case_id,
                stored.header.trace_id,
                &stored.header.origin,
                &payload,
                &clear,
                None,
            )
            .map_err(|e| tracing::error!(error = %e, "cannot build the receipt envelope"))
            .ok()?;
        Some(pipeline::outgoing(header, env, &payload))
    }
}

/// What `record_delivery` needs of the envelope a receipt is for.
fn sent_of(row: &OutboxRow) -> SentEnvelope {
    SentEnvelope {
        kind: pb::PayloadKind::try_from(row.kind).unwrap_or(pb::PayloadKind::Unspecified),
        trace_id: row.trace_id,
        // `finish_write` marks it delivered in the same job.
        outbox_done: true,
    }
}
