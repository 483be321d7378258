//! The one write path for every change of a trace. A change is a value, a
//! [`Transition`]: the trace it opens or the step it takes (validated
//! against the state machine and the trace as stored, inside the write),
//! its events (facts), the envelopes it sends and the rows it adds. `apply`
//! writes it in the caller's write job; every event is mirrored in the
//! audit log; every outgoing envelope is stored and queued.
//!
//! Officer actions, received messages, drafts and onward uses all build
//! transitions; none writes a trace, an event or an envelope any other way.

use std::sync::Arc;

use sqlx::AnyConnection;
use time::OffsetDateTime;

use iti_proto::v1 as pb;

use super::{Actor, ServiceError, ServiceResult};
use crate::case::machine::{Step, transition};
use crate::deadlines::{self, DeadlinePolicy};
use crate::envelope::Header;
use crate::ids::{EnvelopeId, TraceId};
use crate::policy::marked::{Marked, Source};
use crate::policy::marking::Marking;
use crate::store::traces::{self, EventRow, TraceHead, TraceRow};
use crate::store::{StoreError, Write, Writes, audit, envelopes, outbox, photos};

/// An envelope built and signed before the write: its header, the
/// envelope, and what is stored of its payload.
pub(crate) type Outgoing = (Header, pb::Envelope, OutgoingPayload);

/// What is stored of an outgoing envelope's payload, settled when the
/// envelope is made: the payload itself (tens of megabytes decoded, for a
/// large cache's request) need not wait for the write.
#[derive(Debug, Clone)]
pub(crate) struct OutgoingPayload {
    held: envelopes::HeldPayload,
    photo_refs: Vec<crate::store::Write>,
}

/// An envelope to send, made of `payload`.
pub(crate) fn outgoing(header: Header, env: pb::Envelope, payload: &pb::Payload) -> Outgoing {
    let direction = envelopes::Direction::Out;
    let prepared = OutgoingPayload {
        held: envelopes::HeldPayload::of(&header, direction, &env, Some(payload)),
        photo_refs: photos::reference_writes(&header, direction, payload),
    };
    (header, env, prepared)
}

/// One entry of a trace's history: facts only (ids, kinds, participants,
/// rules, markings). An event whose detail derives from marked content
/// names the marking and its sources, and is shown through the gate.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub kind: String,
    pub actor: Actor,
    /// The fact in English: stored beside it, audited.
    pub detail: String,
    /// What happened, worded in each reader's language (`case::fact`).
    pub fact: pb::Fact,
    pub envelope: Option<EnvelopeId>,
    pub derived_from: Option<(Marking, Vec<Source>)>,
}

impl Event {
    /// An event and its fact; the English detail is the fact in the
    /// English catalog, so the wording lives in the catalogs alone.
    pub fn new(kind: impl Into<String>, actor: Actor, fact: pb::Fact) -> Event {
        Event {
            kind: kind.into(),
            actor,
            detail: crate::fact::english(&fact),
            fact,
            envelope: None,
            derived_from: None,
        }
    }

    pub fn about(mut self, envelope: EnvelopeId) -> Event {
        self.envelope = Some(envelope);
        self
    }

    /// The detail derives from content under `marking`, from `sources`.
    pub fn derived(mut self, marking: Marking, sources: Vec<Source>) -> Event {
        self.derived_from = Some((marking, sources));
        self
    }
}

/// A check of the trace as stored, before a step is written. `Fn` behind
/// an `Arc`, like [`Update`], so that a transition can be cloned: on
/// PostgreSQL its write job may run again (`store::Store::write`).
pub(crate) type Check = Arc<dyn Fn(&TraceRow) -> ServiceResult<()> + Send + Sync>;
/// A change of the trace as stored (its request a head: see
/// `Change::Step::request`), after its step.
pub(crate) type Update = Arc<dyn Fn(&mut TraceRow) + Send + Sync>;

/// What a transition does to its trace.
#[derive(Clone)]
pub(crate) enum Change {
    /// A new trace (no trace of that id may exist yet): see [`Change::open`].
    Open(Box<NewTrace>),
    /// A step of the lifecycle (or none), then `update`, on the trace as
    /// stored.
    Step {
        trace_id: TraceId,
        step: Option<Step>,
        /// For a delay: the new response date.
        delay_until: Option<OffsetDateTime>,
        /// Checks on the stored trace before anything is written (the
        /// sender is a party to it, on the right side...).
        check: Check,
        update: Update,
        /// The request this step puts in place of the trace's (a
        /// resubmission, a draft sent). Every other step reads and writes
        /// its trace without the request, which can be tens of megabytes:
        /// `update` sees the request's first items only, and what it
        /// changes of it is not written.
        request: Option<Box<Marked<pb::TraceRequest>>>,
    },
    /// Nothing changes on the trace; events are recorded on it.
    Note(TraceId),
}

/// A new trace as it will be written, settled when the transition is made:
/// its row's write, its request encoded, and its head. The request itself
/// (150 MB decoded, for a request of 100,000 items) need not wait for the
/// write.
#[derive(Clone)]
pub(crate) struct NewTrace {
    insert: Write,
    head: TraceHead,
}

impl Change {
    /// Opens `trace`.
    pub fn open(trace: TraceRow) -> Change {
        Change::Open(Box::new(NewTrace {
            insert: traces::insert_write(&trace),
            head: TraceHead::of(trace),
        }))
    }

    /// A step with no extra checks or updates.
    pub fn step(trace_id: TraceId, step: Step) -> Change {
        Change::Step {
            trace_id,
            step: Some(step),
            delay_until: None,
            check: Arc::new(|_| Ok(())),
            update: Arc::new(|_| {}),
            request: None,
        }
    }
}

/// A change of a trace, whole.
#[derive(Clone)]
pub(crate) struct Transition {
    pub change: Change,
    pub events: Vec<Event>,
    pub outgoing: Vec<Outgoing>,
    /// Rows written with it (a consent, say).
    pub writes: Vec<Write>,
}

impl Transition {
    pub fn new(change: Change) -> Transition {
        Transition {
            change,
            events: Vec::new(),
            outgoing: Vec::new(),
            writes: Vec::new(),
        }
    }

    pub fn event(mut self, event: Event) -> Transition {
        self.events.push(event);
        self
    }

    pub fn send(mut self, outgoing: Outgoing) -> Transition {
        self.outgoing.push(outgoing);
        self
    }

    pub fn write(mut self, write: Write) -> Transition {
        self.writes.push(write);
        self
    }
}

/// Writes `t` inside a write job, after `pending` (writes of the caller's,
/// sent to the database with the first of these). Returns the trace as it
/// now stands, its request as a head.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    pending: &mut Writes,
    t: Transition,
    policy: &DeadlinePolicy,
    now: OffsetDateTime,
) -> ServiceResult<TraceHead> {
    let read = match &t.change {
        Change::Open(_) => None,
        Change::Step { trace_id, .. } | Change::Note(trace_id) => {
            Some(stored_head(conn, *trace_id).await?)
        }
    };
    apply_read(conn, pending, read, t, policy, now).await
}

/// [`apply`], on the trace as its caller read it in the same write job
/// (`None` for a new trace), rather than reading it again.
pub(crate) async fn apply_read(
    conn: &mut AnyConnection,
    pending: &mut Writes,
    read: Option<TraceHead>,
    t: Transition,
    policy: &DeadlinePolicy,
    now: OffsetDateTime,
) -> ServiceResult<TraceHead> {
    let mut writes = std::mem::take(pending);
    let trace = match (t.change, read) {
        (Change::Open(new), _) => {
            // A trace id taken already is refused by the traces' primary
            // key, with the job's other writes (`StoreError::is_duplicate_trace`):
            // no trip to ask first.
            let NewTrace { insert, head } = *new;
            writes.push(insert);
            head
        }
        (
            Change::Step {
                trace_id,
                step,
                delay_until,
                check,
                update,
                request,
            },
            Some(head),
        ) if head.row().trace_id == trace_id => {
            check(head.row())?;
            step_writes(
                &mut writes,
                head,
                (step, delay_until),
                &update,
                request,
                policy,
                now,
            )?
        }
        (Change::Note(trace_id), Some(head)) if head.row().trace_id == trace_id => head,
        _ => {
            return Err(ServiceError::Internal(
                "a change of a trace other than the one read".into(),
            ));
        }
    };
    for w in t.writes {
        writes.push(w);
    }
    for outgoing in t.outgoing {
        outgoing_writes(&mut writes, outgoing, now);
    }
    for event in &t.events {
        record(conn, &mut writes, trace.row(), event, now).await?;
    }
    writes.execute(conn).await?;
    Ok(trace)
}

async fn stored_head(conn: &mut AnyConnection, trace_id: TraceId) -> ServiceResult<TraceHead> {
    traces::head(conn, trace_id)
        .await?
        .ok_or_else(|| ServiceError::FailedPrecondition(format!("no trace {trace_id} here")))
}

/// Takes `step` on the trace, updates it, and writes it back: without its
/// request, unless the step puts a new one in its place.
fn step_writes(
    writes: &mut Writes,
    mut head: TraceHead,
    (step, delay_until): (Option<Step>, Option<OffsetDateTime>),
    update: &Update,
    request: Option<Box<Marked<pb::TraceRequest>>>,
    policy: &DeadlinePolicy,
    now: OffsetDateTime,
) -> ServiceResult<TraceHead> {
    let trace = head.row_mut();
    if let Some(step) = step {
        trace.state = transition(trace.state, step)?;
        trace.due = deadlines::after_step(policy, trace.due, step, now, delay_until);
    }
    // Before `update`, which may date something by it (a resubmission's
    // arrival): it used to see the trace's previous change.
    trace.updated_at = now;
    let before = trace.request.clone();
    update(trace);
    debug_assert!(
        trace.request == before,
        "a step's update changed the request: put it in Change::Step::request"
    );
    match request {
        None => {
            writes.push(traces::progress_write(&head));
            Ok(head)
        }
        Some(request) => {
            let whole = head.with_request(*request);
            writes.push(traces::update_write(&whole));
            Ok(TraceHead::of(whole))
        }
    }
}

/// The writes that store an outgoing envelope and queue it.
pub(crate) fn outgoing_writes(writes: &mut Writes, outgoing: Outgoing, now: OffsetDateTime) {
    let (header, env, prepared) = outgoing;
    let header = &header;
    writes.push(envelopes::held_write(
        header,
        envelopes::Direction::Out,
        &env,
        prepared.held,
        now,
    ));
    for w in prepared.photo_refs {
        writes.push(w);
    }
    writes.push(outbox::enqueue_write(
        header.id,
        header.trace_id,
        &header.destination.to_string(),
        header.kind as i32,
        now,
    ));
}

/// Records `events` of `trace` (as it stands) after `writes`.
pub(crate) async fn record_events(
    conn: &mut AnyConnection,
    mut writes: Writes,
    trace: &TraceRow,
    events: &[Event],
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    for event in events {
        record(conn, &mut writes, trace, event, at).await?;
    }
    writes.execute(conn).await
}

/// An event of `trace` and its audit entry. The audit entry holds the
/// facts; an event derived from marked content keeps its detail out of the
/// trail (auditors see TLP:CLEAR only), naming its marking instead.
async fn record(
    conn: &mut AnyConnection,
    writes: &mut Writes,
    trace: &TraceRow,
    event: &Event,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    writes.push(traces::event_write(&EventRow {
        trace_id: trace.trace_id,
        case_id: trace.case_id,
        at,
        kind: event.kind.clone(),
        actor: event.actor.to_string(),
        detail: event.detail.clone(),
        envelope_id: event.envelope.map(|e| e.to_string()),
        state_after: Some(trace.state.as_str().to_string()),
        derived_from: event.derived_from.clone(),
        fact: Some(event.fact.clone()),
    }));
    let audited = match &event.derived_from {
        None => event.detail.clone(),
        Some((marking, _)) => format!("detail under {marking}, shown in the case"),
    };
    audit::append_after(
        conn,
        std::mem::take(writes),
        at,
        &event.actor.to_string(),
        &event.kind,
        &format!("trace {}", trace.trace_id),
        &audited,
    )
    .await
}
