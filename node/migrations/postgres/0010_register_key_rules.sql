-- The rules the broker's register's make and serial keys were computed by
-- (`matching::KEY_RULES`). Reports are looked up by key, so keys computed
-- by older rules are computed again at start, once.
CREATE TABLE register_key_rules (rules BIGINT NOT NULL);
INSERT INTO register_key_rules (rules) VALUES (1);

-- Reports are looked up by make and serial key: one index, leading with
-- them, both serves the lookups and keeps one report of a weapon per state
-- (one index to write per report, not two).
ALTER TABLE lost_stolen DROP CONSTRAINT lost_stolen_reported_by_make_key_serial_key_key;
DROP INDEX lost_stolen_by_key;
CREATE UNIQUE INDEX lost_stolen_by_weapon ON lost_stolen (make_key, serial_key, reported_by);
