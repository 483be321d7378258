-- The release gate (issue 12).
-- Where a trace's request came from (JSON list of sources: provider, "" for
-- this node, and message), and, for a drafted request, which fields came
-- from another state's information under which marking.
ALTER TABLE traces ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
ALTER TABLE traces ADD COLUMN draft_fields TEXT NOT NULL DEFAULT '[]';
-- What a trace waits for from this node beyond its state: a consent asked
-- of us, information to read, a draft waiting for consents.
ALTER TABLE traces ADD COLUMN awaiting TEXT NOT NULL DEFAULT '';
-- An event derived from marked content: its marking and sources (JSON),
-- released through the gate when shown.
ALTER TABLE case_events ADD COLUMN marking TEXT;
-- Consents as the providers gave them: one use, some restrictions, and for
-- one named destination the TLP level too.
CREATE TABLE consent_grants (
    envelope_id  TEXT PRIMARY KEY,
    trace_id     TEXT NOT NULL,
    provider     TEXT NOT NULL,
    regarding    TEXT NOT NULL,
    use_         INTEGER NOT NULL,
    destination  TEXT NOT NULL,
    restrictions TEXT NOT NULL,
    lifts_tlp    INTEGER NOT NULL,
    granted_at   INTEGER NOT NULL
);
CREATE INDEX consent_grants_by_trace ON consent_grants (trace_id);
