-- Issue 13: a receipt carries its signer's audit head (sequence and hash);
-- the sequence is kept beside it to find the newest head a peer signed.
ALTER TABLE receipts ADD COLUMN audit_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX receipts_by_witnessed_head ON receipts (receiver, audit_seq);
