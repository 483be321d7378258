-- The national tracing system (clauses 5, 7, 8), PostgreSQL. Times are
-- milliseconds since the Unix epoch, UTC. It mirrors the SQLite schema.

-- A source of records (one agency's system), its record domain (5.1) and
-- its default markings per field (an encoded iti.v1.ImportHeader).
CREATE TABLE record_sources (
    name       TEXT PRIMARY KEY,
    domain     TEXT NOT NULL,
    markings   BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Domestic records (an encoded iti.v1.NationalRecord each), keyed by their
-- source's own key: a re-import updates a record in place. serial_key is
-- the misread-tolerant key of `matching`: a search is an index lookup.
CREATE TABLE records (
    id         BIGSERIAL PRIMARY KEY,
    source     TEXT NOT NULL,
    source_key TEXT NOT NULL,
    kind       TEXT NOT NULL,
    domain     TEXT NOT NULL,
    make_key   TEXT NOT NULL,
    serial_key TEXT NOT NULL,
    date_key   BIGINT NOT NULL,
    record     BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (source, source_key)
);
CREATE INDEX records_by_serial ON records (serial_key);

-- The national database of recovered weapons (7.5): each domestic trace,
-- its determination (8.1) and what followed.
CREATE TABLE recovered_weapons (
    id                 TEXT PRIMARY KEY,
    recorded_at        BIGINT NOT NULL,
    officer            TEXT NOT NULL,
    recovered          BYTEA NOT NULL,
    determination      TEXT NOT NULL,
    category           TEXT,
    investigation_case TEXT,
    drafted_trace      TEXT
);

-- Answers drafted from the records for received requests (8.3): an encoded
-- iti.v1.DraftView with every domain's findings and confirmations.
CREATE TABLE response_drafts (
    trace_id   TEXT PRIMARY KEY,
    drafted_at BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    category   TEXT,
    draft      BYTEA NOT NULL,
    sent_at    BIGINT,
    sent_by    TEXT
);
