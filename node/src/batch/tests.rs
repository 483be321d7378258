use super::*;

/// What the fake hop was asked: one envelope, or a batch (by header byte).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    One(u8),
    Many(Vec<u8>),
}

/// A hop that records its calls. Single calls wait for `gate`; batches are
/// answered at once, or UNIMPLEMENTED (an older node). Each envelope is
/// answered with a receipt naming it; envelope 13 is refused as "origin
/// not learned yet".
#[derive(Clone)]
struct FakeHop {
    calls: Arc<Mutex<Vec<Call>>>,
    /// Told when a single call has begun.
    called: Arc<tokio::sync::Notify>,
    gate: Arc<Semaphore>,
    takes_batches: bool,
}

impl FakeHop {
    fn new(takes_batches: bool) -> FakeHop {
        FakeHop {
            calls: Arc::default(),
            called: Arc::default(),
            gate: Arc::new(Semaphore::new(0)),
            takes_batches,
        }
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn answer(env: &pb::Envelope) -> Result<pb::DeliverReply, tonic::Status> {
        if env.header == [13] {
            let mut refused = tonic::Status::unavailable("origin NGA not known here yet");
            refused.metadata_mut().insert(
                crate::envelope::UNKNOWN_ORIGIN_METADATA,
                "NGA".parse().unwrap(),
            );
            return Err(refused);
        }
        Ok(pb::DeliverReply {
            receipt: Some(pb::SignedReceipt {
                receipt: env.header.clone(),
                ..Default::default()
            }),
            ..Default::default()
        })
    }
}

impl Carrier for FakeHop {
    async fn one(&self, env: pb::Envelope) -> Result<pb::DeliverReply, tonic::Status> {
        self.calls.lock().unwrap().push(Call::One(env.header[0]));
        self.called.notify_one();
        self.gate.acquire().await.unwrap().forget();
        FakeHop::answer(&env)
    }

    async fn many(
        &self,
        envelopes: Vec<pb::Envelope>,
    ) -> Result<Vec<pb::DeliverResult>, tonic::Status> {
        let ids = envelopes.iter().map(|e| e.header[0]).collect();
        self.calls.lock().unwrap().push(Call::Many(ids));
        if !self.takes_batches {
            return Err(tonic::Status::unimplemented("DeliverBatch"));
        }
        Ok(envelopes
            .iter()
            .map(|e| result_of(FakeHop::answer(e)))
            .collect())
    }
}

fn envelope(n: u8) -> pb::Envelope {
    pb::Envelope {
        header: vec![n],
        ..Default::default()
    }
}

const WAIT: Duration = Duration::from_secs(30);

/// Sends envelope 0 alone (its call held at the gate), then `queued` while
/// it is in flight, then opens the gate: the answers in `queued`'s order.
async fn queued_behind_one(
    batches: &Batches<FakeHop>,
    hop: &FakeHop,
    queued: &[(u8, usize)],
) -> Vec<Answer> {
    let bel: ParticipantId = "BEL".parse().unwrap();
    let first = batches.deliver(&bel, hop.clone(), envelope(0), 10, WAIT);
    let rest = async {
        hop.called.notified().await;
        // The first call is in flight: the rest queue behind it (one poll
        // queues them all), and only then may it end.
        let mut rest =
            std::pin::pin!(futures::future::join_all(queued.iter().map(
                |&(n, size)| batches.deliver(&bel, hop.clone(), envelope(n), size, WAIT)
            ),));
        let _ = futures::poll!(rest.as_mut());
        hop.gate.add_permits(1_000);
        rest.await
    };
    let (first, rest) = tokio::join!(first, rest);
    assert!(first.is_ok(), "{first:?}");
    rest
}

fn receipt_of(answer: &Answer) -> Option<u8> {
    match answer {
        Ok(reply) => reply.receipt.as_ref().map(|r| r.receipt[0]),
        Err(_) => None,
    }
}

#[tokio::test]
async fn envelopes_queued_while_the_hop_is_busy_go_in_one_call_each_with_its_own_answer() {
    let hop = FakeHop::new(true);
    let batches = Batches::with_calls_per_hop(DeliveryCalls::default(), 1);
    let queued: Vec<(u8, usize)> = [1, 2, 13, 4, 5].iter().map(|&n| (n, 100)).collect();
    let answers = queued_behind_one(&batches, &hop, &queued).await;

    assert_eq!(
        hop.calls(),
        [Call::One(0), Call::Many(vec![1, 2, 13, 4, 5])]
    );
    let receipts: Vec<Option<u8>> = answers.iter().map(receipt_of).collect();
    assert_eq!(receipts, [Some(1), Some(2), None, Some(4), Some(5)]);
    // The refused one is answered as Deliver would have answered it.
    match &answers[2] {
        Err(PartsError::Status(status)) => {
            assert_eq!(status.code(), tonic::Code::Unavailable);
            assert_eq!(
                status
                    .metadata()
                    .get(crate::envelope::UNKNOWN_ORIGIN_METADATA)
                    .and_then(|v| v.to_str().ok()),
                Some("NGA")
            );
        }
        other => panic!("envelope 13: {other:?}"),
    }
}

#[tokio::test]
async fn a_batch_stops_at_its_byte_budget_and_its_count_and_the_rest_go_next() {
    let hop = FakeHop::new(true);
    let batches = Batches::with_calls_per_hop(DeliveryCalls::default(), 1);
    let third = BATCH_BYTES / 3 + 1;
    let answers = queued_behind_one(
        &batches,
        &hop,
        &[(1, third), (2, third), (3, third), (4, third)],
    )
    .await;
    assert_eq!(
        hop.calls(),
        [Call::One(0), Call::Many(vec![1, 2]), Call::Many(vec![3, 4])]
    );
    assert!(answers.iter().all(|a| a.is_ok()), "{answers:?}");

    let hop = FakeHop::new(true);
    let batches = Batches::with_calls_per_hop(DeliveryCalls::default(), 1);
    let many: Vec<(u8, usize)> = (100..100 + MAX_ENVELOPES as u8 + 2)
        .map(|n| (n, 10))
        .collect();
    let answers = queued_behind_one(&batches, &hop, &many).await;
    let sizes: Vec<usize> = hop
        .calls()
        .iter()
        .map(|c| match c {
            Call::One(_) => 1,
            Call::Many(ids) => ids.len(),
        })
        .collect();
    assert_eq!(sizes, [1, MAX_ENVELOPES, 2]);
    let receipts: Vec<Option<u8>> = answers.iter().map(receipt_of).collect();
    let sent: Vec<Option<u8>> = many.iter().map(|&(n, _)| Some(n)).collect();
    assert_eq!(receipts, sent, "each answer is its own envelope's");
}

#[tokio::test]
async fn a_hop_that_does_not_take_batches_gets_its_envelopes_one_by_one() {
    let hop = FakeHop::new(false);
    let batches = Batches::with_calls_per_hop(DeliveryCalls::default(), 1);
    let answers = queued_behind_one(&batches, &hop, &[(1, 10), (2, 10)]).await;
    // Not delivered: retried later, never refused for good.
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, Err(PartsError::Confused(_)))),
        "{answers:?}"
    );
    let answers = queued_behind_one(&batches, &hop, &[(1, 10), (2, 10)]).await;
    assert_eq!(
        answers.iter().map(receipt_of).collect::<Vec<_>>(),
        [Some(1), Some(2)]
    );
    assert_eq!(
        hop.calls(),
        [
            Call::One(0),
            Call::Many(vec![1, 2]),
            Call::One(0),
            Call::One(1),
            Call::One(2)
        ]
    );
}

#[test]
fn a_receiver_takes_between_one_and_the_most_envelopes_a_call_may_carry() {
    assert!(refuse_count(0).is_some());
    assert_eq!(refuse_count(1), None);
    assert_eq!(refuse_count(MAX_ENVELOPES), None);
    assert!(refuse_count(MAX_ENVELOPES + 1).is_some());
}
