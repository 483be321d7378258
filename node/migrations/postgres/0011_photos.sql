-- Issue 14: photographs (6.2.3), stored by the SHA-256 of their bytes.
-- `origin` is empty for a photograph uploaded here, else the participant
-- it was fetched from (never passed on: policy::photo).
CREATE TABLE photos (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    origin     TEXT NOT NULL,
    stored_at  BIGINT NOT NULL,
    content    BYTEA NOT NULL
);
-- Which messages reference which photograph, and the participant each was
-- sent to (direction 'out') or received from ('in'): who may fetch it, and
-- where to fetch it from.
CREATE TABLE photo_refs (
    sha256      TEXT NOT NULL,
    envelope_id TEXT NOT NULL,
    trace_id    TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    participant TEXT NOT NULL,
    PRIMARY KEY (sha256, envelope_id)
);
