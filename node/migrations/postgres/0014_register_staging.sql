-- Issue 16: an import's reports are staged here as they arrive (appended,
-- no index but the feed's), then merged into lost_stolen in key order, a
-- million at a time: many reports to each index page written, where a
-- batch of 5,000 random keys wrote about one page of a large index each.
-- A feed's rows are removed by its merge; rows left by an import that
-- never finished (the node stopped during it) are removed at start.
-- PostgreSQL adds each batch at once: there this table stays empty.
CREATE TABLE lost_stolen_staged (
    feed          BIGINT NOT NULL,
    line          BIGINT NOT NULL,
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
CREATE INDEX lost_stolen_staged_by_feed ON lost_stolen_staged (feed);
