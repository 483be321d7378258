-- Issue 16: the chunks of a photograph being fetched (one per FetchPhoto
-- call, at most 1 MiB each), kept in order from its first byte, so that a
-- fetch cut off on a weak line resumes where it stopped. Removed once the
-- photograph is assembled, checked against its hash and stored in photos.
CREATE TABLE photo_parts (
    sha256  TEXT NOT NULL,
    start   BIGINT NOT NULL,
    -- The whole photograph's size, as its origin said with the chunk.
    size    BIGINT NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (sha256, start)
);
