-- Issue 13, equivocation: a hub's append-only directory log (every entry
-- version it accepted, hash-chained), the copy a node keeps of each hub's
-- log it follows with the newest head the hub signed, and the alarms raised
-- when a hub's log does not extend the one seen before or one a peer
-- witnessed.
CREATE TABLE directory_log (
    seq         BIGINT PRIMARY KEY,
    participant TEXT NOT NULL,
    signed      BLOB NOT NULL,
    chain       TEXT NOT NULL
);
CREATE TABLE followed_logs (
    hub         TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    participant TEXT NOT NULL,
    leaf        TEXT NOT NULL,
    chain       TEXT NOT NULL,
    PRIMARY KEY (hub, seq)
);
CREATE TABLE followed_log_heads (
    hub    TEXT PRIMARY KEY,
    signed BLOB NOT NULL
);
CREATE TABLE directory_equivocations (
    hub          TEXT NOT NULL,
    seen_through TEXT NOT NULL,
    size         BIGINT NOT NULL,
    ours         TEXT NOT NULL,
    theirs       TEXT NOT NULL,
    evidence     BLOB NOT NULL,
    seen_at      BIGINT NOT NULL,
    PRIMARY KEY (hub, seen_through, size, theirs)
);
