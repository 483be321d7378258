-- The rules the broker's register's make and serial keys were computed by
-- (`matching::KEY_RULES`). Reports are looked up by key, so keys computed
-- by older rules are computed again at start, once.
CREATE TABLE register_key_rules (rules BIGINT NOT NULL);
INSERT INTO register_key_rules (rules) VALUES (1);

-- Reports are looked up by make and serial key: one index, leading with
-- them, both serves the lookups and keeps one report of a weapon per state
-- (one index to write per report, not two). SQLite drops a table's UNIQUE
-- constraint only by building the table again.
CREATE TABLE lost_stolen_keyed (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    reported_by   TEXT NOT NULL,
    make          TEXT NOT NULL,
    model         TEXT NOT NULL,
    serial_number TEXT NOT NULL,
    calibre       TEXT NOT NULL,
    make_key      TEXT NOT NULL,
    serial_key    TEXT NOT NULL,
    reported_on   TEXT NOT NULL,
    circumstances TEXT NOT NULL,
    reference     TEXT NOT NULL
);
INSERT INTO lost_stolen_keyed SELECT id, reported_by, make, model, serial_number, calibre,
    make_key, serial_key, reported_on, circumstances, reference FROM lost_stolen;
DROP TABLE lost_stolen;
ALTER TABLE lost_stolen_keyed RENAME TO lost_stolen;
CREATE UNIQUE INDEX lost_stolen_by_weapon ON lost_stolen (make_key, serial_key, reported_by);
