-- Issue 16: the parts of an envelope larger than one message (a request of
-- thousands of items), delivered one per DeliverPart call, at most 1 MiB
-- each, kept in order from its first byte so that a delivery cut off on a
-- weak line resumes where it stopped. Keyed by the node that sent them and
-- the SHA-256 of the whole encoding. Removed once the envelope is
-- assembled, checked against its hash and received, or found not to be
-- the envelope named; parts left unfinished are forgotten after a week.
CREATE TABLE envelope_parts (
    sender      TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    start       BIGINT NOT NULL,
    -- The whole encoding's size, as the sender said with the part.
    size        BIGINT NOT NULL,
    content     BLOB NOT NULL,
    -- Unix milliseconds: when the part arrived.
    received_at BIGINT NOT NULL,
    PRIMARY KEY (sender, sha256, start)
);
