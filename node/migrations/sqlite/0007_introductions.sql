-- Issue 13: how far each CA a hub introduced is trusted (the hubs that
-- vouched for it, an admin's confirmation), and the conflicting entries
-- offered for a participant (an alarm: frozen until an admin decides).
CREATE TABLE introductions (
    participant        TEXT PRIMARY KEY,
    ca_fingerprint     TEXT NOT NULL,
    vouched_by         TEXT NOT NULL,
    confirmed_by_admin BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE directory_conflicts (
    participant    TEXT NOT NULL,
    offered_by     TEXT NOT NULL,
    ca_fingerprint TEXT NOT NULL,
    signed         BLOB NOT NULL,
    seen_at        BIGINT NOT NULL,
    PRIMARY KEY (participant, offered_by, ca_fingerprint)
);
