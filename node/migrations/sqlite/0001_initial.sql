-- ITI Exchange node schema (SQLite). Times are milliseconds since the Unix
-- epoch, UTC. The PostgreSQL schema mirrors this one table for table.

-- Every envelope this node sent, received or relayed, exactly as signed.
CREATE TABLE envelopes (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    trace_id    TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out', 'relay')),
    origin      TEXT NOT NULL,
    destination TEXT NOT NULL,
    kind        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    stored_at   INTEGER NOT NULL,
    envelope    BLOB NOT NULL,
    -- The payload in clear, for envelopes this node may read (sent by it, or
    -- addressed to it). NULL for sealed envelopes a hub relays.
    payload     BLOB
);
CREATE INDEX envelopes_by_trace ON envelopes (trace_id, stored_at);

-- Signed receipts: those we issued (answering duplicates identically) and
-- those we received (proof that a partner received our envelope).
CREATE TABLE receipts (
    envelope_id TEXT NOT NULL,
    receiver    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    signed      BLOB NOT NULL,
    PRIMARY KEY (envelope_id, receiver)
);

-- Durable outbox. seq orders sending; one conversation (trace) at a time
-- keeps its order.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    envelope_id     TEXT NOT NULL UNIQUE,
    trace_id        TEXT NOT NULL,
    destination     TEXT NOT NULL,
    kind            INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'relayed', 'delivered', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    next_hop        TEXT,
    last_error      TEXT,
    enqueued_at     INTEGER NOT NULL,
    done_at         INTEGER,
    claimed_by      TEXT,
    claimed_until   INTEGER
);
CREATE INDEX outbox_pending ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_trace ON outbox (trace_id, seq);

CREATE TABLE traces (
    trace_id     TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('requester', 'requested', 'on_behalf', 'informed')),
    counterpart  TEXT NOT NULL,
    state        TEXT NOT NULL,
    request      BLOB NOT NULL,
    on_behalf_of TEXT,
    opened_at    INTEGER NOT NULL,
    received_at  INTEGER,
    ack_due      INTEGER,
    response_due INTEGER,
    updated_at   INTEGER NOT NULL,
    missing      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX traces_by_case ON traces (case_id);
CREATE INDEX traces_due ON traces (ack_due, response_due);

-- The full event history of each trace, on both sides.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    trace_id    TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    detail      TEXT NOT NULL,
    envelope_id TEXT,
    state_after TEXT
);
CREATE INDEX case_events_by_trace ON case_events (trace_id, id);

-- Each reminder or overdue alert fires once: the key makes a second insert
-- (another replica, a restart) a no-op.
CREATE TABLE deadline_alerts (
    trace_id  TEXT NOT NULL,
    owed      TEXT NOT NULL,
    alert     TEXT NOT NULL,
    due       INTEGER NOT NULL,
    raised_at INTEGER NOT NULL,
    PRIMARY KEY (trace_id, owed, alert, due)
);

-- Consents received from (or granted to) the originator of information.
CREATE TABLE consents (
    trace_id    TEXT NOT NULL,
    regarding   TEXT NOT NULL,
    restriction INTEGER NOT NULL,
    use_        INTEGER NOT NULL,
    envelope_id TEXT NOT NULL,
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (trace_id, regarding, restriction, use_)
);

-- Append-only, hash-chained audit trail.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

CREATE TABLE peers (
    participant    TEXT PRIMARY KEY,
    endpoint       TEXT NOT NULL,
    ca_der         BLOB NOT NULL,
    crl_der        BLOB,
    serves         TEXT NOT NULL DEFAULT '',
    encryption_key BLOB,
    added_at       INTEGER NOT NULL
);

CREATE TABLE directory (
    participant TEXT PRIMARY KEY,
    signed      BLOB NOT NULL,
    serial      INTEGER NOT NULL,
    trust       TEXT NOT NULL,
    cached_at   INTEGER NOT NULL
);

-- What a hub relayed: headers only, for its operator's figures.
CREATE TABLE relay_log (
    envelope_id  TEXT PRIMARY KEY,
    trace_id     TEXT NOT NULL,
    origin       TEXT NOT NULL,
    destination  TEXT NOT NULL,
    kind         INTEGER NOT NULL,
    received_at  INTEGER NOT NULL
);
CREATE INDEX relay_log_by_trace ON relay_log (trace_id);

-- The broker's register of weapons reported lost or stolen (annex A.2).
CREATE TABLE lost_stolen (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    reported_by   TEXT NOT NULL,
    make          TEXT NOT NULL,
    model         TEXT NOT NULL,
    serial_number TEXT NOT NULL,
    calibre       TEXT NOT NULL,
    make_key      TEXT NOT NULL,
    serial_key    TEXT NOT NULL,
    reported_on   TEXT NOT NULL,
    circumstances TEXT NOT NULL,
    reference     TEXT NOT NULL,
    UNIQUE (reported_by, make_key, serial_key)
);
CREATE INDEX lost_stolen_by_key ON lost_stolen (make_key, serial_key);
