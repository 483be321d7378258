//! Receipts for the envelopes of one batch, signed together. Each envelope
//! of a batch is received on its own task; the tasks meet at the signing
//! step, and one signature covers them all (`envelope::sign_receipts`),
//! each receipt still proven alone by its place in the batch's tree.
//!
//! A task that ends without a receipt (a refusal) gives its place up as its
//! slot drops, so the others do not wait for it. A task that waits longer
//! than [`WAIT_FOR_THE_BATCH`] signs for those waiting then: a slow envelope
//! (its origin learned first, say) delays no other's receipt beyond that.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iti_proto::v1 as pb;
use tokio::sync::oneshot;

use crate::envelope::{self, Signer};

/// The longest a receipt waits for the rest of its batch to be signed with
/// it: a guard, not a pace. A batch's envelopes take under a millisecond of
/// CPU each, and the batch is signed as soon as the last is in.
const WAIT_FOR_THE_BATCH: Duration = Duration::from_millis(50);

/// One envelope's place at the signing step: alone (an envelope delivered
/// by itself), or in a batch.
pub struct ReceiptSlot {
    group: Option<Arc<Group>>,
}

struct Group {
    signer: Arc<Signer>,
    wait: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Slots neither at the signing step yet nor given up.
    expected: usize,
    waiting: Vec<Waiting>,
}

struct Waiting {
    receipt: pb::Receipt,
    answer: oneshot::Sender<pb::SignedReceipt>,
}

impl ReceiptSlot {
    /// The slot of an envelope delivered alone: its receipt is signed alone.
    pub fn alone() -> Self {
        ReceiptSlot { group: None }
    }

    /// The slots of a batch of `size` envelopes, signed by `signer`.
    pub fn batch(size: usize, signer: Arc<Signer>) -> Vec<ReceiptSlot> {
        Self::batch_waiting(size, signer, WAIT_FOR_THE_BATCH)
    }

    fn batch_waiting(size: usize, signer: Arc<Signer>, wait: Duration) -> Vec<ReceiptSlot> {
        let group = Arc::new(Group {
            signer,
            wait,
            state: Mutex::new(State {
                expected: size,
                waiting: Vec::new(),
            }),
        });
        (0..size)
            .map(|_| ReceiptSlot {
                group: Some(group.clone()),
            })
            .collect()
    }

    /// Leaves the batch: this envelope's receipt is signed alone, and the
    /// others do not wait for it (before a step that may take long).
    pub fn step_aside(&mut self) {
        if let Some(group) = self.group.take() {
            group.give_up();
        }
    }

    /// Signs `receipt`: alone, or with the rest of the batch once every
    /// envelope of it has come to this step or given its place up.
    pub async fn sign(mut self, signer: &Signer, receipt: pb::Receipt) -> pb::SignedReceipt {
        let Some(group) = self.group.take() else {
            return sign_alone(signer, receipt);
        };
        let (answer, mut signed) = oneshot::channel();
        group.arrive(Waiting { receipt, answer });
        if let Ok(Ok(receipt)) = tokio::time::timeout(group.wait, &mut signed).await {
            return receipt;
        }
        // Waited long enough: sign for whoever is waiting, this one among
        // them unless another task is signing it already.
        group.sign_waiting();
        signed
            .await
            .expect("a receipt taken to be signed is always answered")
    }
}

impl Drop for ReceiptSlot {
    fn drop(&mut self) {
        self.step_aside();
    }
}

fn sign_alone(signer: &Signer, receipt: pb::Receipt) -> pb::SignedReceipt {
    envelope::sign_receipts(signer, vec![receipt])
        .pop()
        .expect("one receipt signed")
}

impl Group {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn arrive(&self, waiting: Waiting) {
        let ready = {
            let mut state = self.lock();
            state.waiting.push(waiting);
            state.expected -= 1;
            state.take_if_all_in()
        };
        self.sign_and_answer(ready);
    }

    fn give_up(&self) {
        let ready = {
            let mut state = self.lock();
            state.expected -= 1;
            state.take_if_all_in()
        };
        self.sign_and_answer(ready);
    }

    fn sign_waiting(&self) {
        let ready = std::mem::take(&mut self.lock().waiting);
        self.sign_and_answer(ready);
    }

    fn sign_and_answer(&self, ready: Vec<Waiting>) {
        if ready.is_empty() {
            return;
        }
        let (receipts, answers): (Vec<_>, Vec<_>) =
            ready.into_iter().map(|w| (w.receipt, w.answer)).unzip();
        let signed = envelope::sign_receipts(&self.signer, receipts);
        for (answer, receipt) in answers.into_iter().zip(signed) {
            // A task that is gone (its caller stopped waiting) needs no answer.
            let _ = answer.send(receipt);
        }
    }
}

impl State {
    fn take_if_all_in(&mut self) -> Vec<Waiting> {
        if self.expected == 0 {
            std::mem::take(&mut self.waiting)
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;
    use crate::identity::pki::{Validity, create_ca, issue};
    use crate::identity::trust::TrustStore;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use time::OffsetDateTime;

    fn signer_and_trust() -> (Arc<Signer>, Arc<TrustStore>) {
        let now = OffsetDateTime::now_utc();
        let nga: crate::ids::ParticipantId = "NGA".parse().unwrap();
        let ca = create_ca(&nga, Validity::days_from(now, 30)).unwrap();
        let trust = TrustStore::new();
        let ca_der = CertificateDer::from_pem_slice(ca.cert_pem.as_bytes()).unwrap();
        trust.pin(&nga, ca_der, None).unwrap();
        let node = issue(&ca, &Identity::Node(nga), Validity::days_from(now, 30)).unwrap();
        (Arc::new(Signer::from_keyed(&node).unwrap()), trust)
    }

    fn receipt() -> pb::Receipt {
        let now = OffsetDateTime::now_utc();
        pb::Receipt {
            envelope_id: crate::ids::EnvelopeId::new_v7(now).to_string(),
            receiver: "NGA".into(),
            received_at: Some(crate::clock::to_timestamp(now)),
            ..Default::default()
        }
    }

    /// The receipt verifies alone, under NGA's pinned CA.
    fn proven(signed: &pb::SignedReceipt, trust: &TrustStore) -> bool {
        envelope::verify_receipt_of_digest(signed, &[], trust, OffsetDateTime::now_utc()).is_ok()
    }

    #[tokio::test]
    async fn a_batch_is_signed_once_when_every_envelope_is_in_or_gone() {
        let (signer, trust) = signer_and_trust();
        // Nobody waits for the time limit: a refusal gives its place up.
        let an_hour = Duration::from_secs(3600);
        let mut slots = ReceiptSlot::batch_waiting(3, signer.clone(), an_hour);
        let refused = slots.pop().unwrap();
        let (second, first) = (slots.pop().unwrap(), slots.pop().unwrap());
        let both = async {
            tokio::join!(first.sign(&signer, receipt()), async {
                drop(refused);
                second.sign(&signer, receipt()).await
            })
        };
        let (a, b) = tokio::time::timeout(Duration::from_secs(10), both)
            .await
            .expect("signed without waiting for the refused envelope");
        assert_eq!(a.signature, b.signature);
        for (i, s) in [&a, &b].into_iter().enumerate() {
            let place = s.batch.as_ref().expect("a place in the batch");
            assert_eq!((place.leaf_index, place.tree_size), (i as u64, 2));
            assert!(proven(s, &trust));
        }
    }

    #[tokio::test]
    async fn an_envelope_that_never_comes_holds_no_other_back() {
        let (signer, trust) = signer_and_trust();
        // With no time to wait, each is signed with whoever waits with it.
        let mut slots = ReceiptSlot::batch_waiting(3, signer.clone(), Duration::ZERO);
        let late = slots.pop().unwrap();
        let (second, first) = (slots.pop().unwrap(), slots.pop().unwrap());
        let (a, b) = tokio::join!(
            first.sign(&signer, receipt()),
            second.sign(&signer, receipt())
        );
        assert!(proven(&a, &trust) && proven(&b, &trust));
        let c = late.sign(&signer, receipt()).await;
        assert!(proven(&c, &trust));
        // And a slot delivered alone is signed alone.
        let alone = ReceiptSlot::alone().sign(&signer, receipt()).await;
        assert!(alone.batch.is_none() && proven(&alone, &trust));
    }
}
