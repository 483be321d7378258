-- The participant that handed a relayed envelope to this hub, and the case
-- it belongs to: a refusal further on is reported back to that participant,
-- one leg at a time (each notice signed by a peer of its receiver).
ALTER TABLE relay_log ADD COLUMN received_from TEXT;
ALTER TABLE relay_log ADD COLUMN case_id TEXT;
