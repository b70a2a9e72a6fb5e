-- Direct-to-backend uploads: the session a browser uploads under, until it is completed, aborted or expired.
CREATE TABLE upload_sessions (
    id                TEXT    PRIMARY KEY,
    file_id           TEXT    NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    tenant            TEXT    NOT NULL,
    backend           TEXT    NOT NULL,
    object_key        TEXT    NOT NULL,
    backend_upload_id TEXT    NULL,
    declared_size     INTEGER NOT NULL,
    declared_sha256   TEXT    NULL,
    part_size         INTEGER NULL,
    part_count        INTEGER NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('open', 'completing', 'expiring')),
    expires_at        TEXT    NOT NULL,
    created_at        TEXT    NOT NULL
);

-- The expiry job looks for open sessions past their time.
CREATE INDEX upload_sessions_expiry ON upload_sessions (expires_at) WHERE status = 'open';

-- Secrets every instance must share (e.g. the key that signs the service's own download and upload links).
CREATE TABLE service_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
