-- Issue 13: the fields of a trace's request accepted but flagged (UTS #39:
-- mixed scripts, confusable characters), shown to the officers; and, for a
-- request sent from here, the key (requester reference and items) that
-- finds an identical request sent before.
ALTER TABLE traces ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE traces ADD COLUMN request_key TEXT;
CREATE INDEX traces_by_request_key ON traces (request_key);
