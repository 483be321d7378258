-- Issue 14: each event's detail as a fact (JSON of iti.v1.Fact: a message
-- id of the catalogs and its arguments), worded in the reader's language.
-- NULL for events recorded before: their English detail is shown.
ALTER TABLE case_events ADD COLUMN fact TEXT;
