-- tus uploads are upload sessions too (same expiry, usage and reconciliation), with what resuming needs:
-- received_size is the offset HEAD reports and is only ever raised once those bytes are durable in the store;
-- tail_size of them sit in a temporary object until a whole chunk can be appended; the backend's opaque handle
-- (multipart upload id, GCS session URI...) is backend_upload_id, its chunk alignment part_size; the lease serialises
-- PATCHes across instances.
ALTER TABLE upload_sessions ADD COLUMN protocol TEXT NOT NULL DEFAULT 'direct' CHECK (protocol IN ('direct', 'tus'));
ALTER TABLE upload_sessions ADD COLUMN received_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE upload_sessions ADD COLUMN tail_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE upload_sessions ADD COLUMN upload_metadata TEXT NULL;
ALTER TABLE upload_sessions ADD COLUMN lease_token TEXT NULL;
ALTER TABLE upload_sessions ADD COLUMN lease_until TEXT NULL;
