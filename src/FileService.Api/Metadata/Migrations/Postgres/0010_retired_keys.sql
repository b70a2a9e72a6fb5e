-- Object keys no new file may take: the key of a deleted file (a store-signed download link may still name it) or of
-- an upload session that ended uncompleted (a store-signed PUT may still land there). Until `until`, when every such
-- grant has expired, the clean-up removes whatever landed under the key and the row goes.
CREATE TABLE retired_keys (
    backend    text        NOT NULL,
    object_key text        NOT NULL,
    until      timestamptz NOT NULL,
    PRIMARY KEY (backend, object_key)
);

CREATE INDEX retired_keys_until ON retired_keys (until);
