-- tus uploads are upload sessions too (same expiry, usage and reconciliation), with what resuming needs:
-- received_size is the offset HEAD reports and is only ever raised once those bytes are durable in the store;
-- tail_size of them sit in a temporary object until a whole chunk can be appended; the backend's opaque handle
-- (multipart upload id, GCS session URI...) is backend_upload_id, its chunk alignment part_size; the lease serialises
-- PATCHes across instances.
ALTER TABLE upload_sessions
    ADD COLUMN protocol        text        NOT NULL DEFAULT 'direct' CHECK (protocol IN ('direct', 'tus')),
    ADD COLUMN received_size   bigint      NOT NULL DEFAULT 0,
    ADD COLUMN tail_size       bigint      NOT NULL DEFAULT 0,
    ADD COLUMN upload_metadata text        NULL,
    ADD COLUMN lease_token     uuid        NULL,
    ADD COLUMN lease_until     timestamptz NULL;
