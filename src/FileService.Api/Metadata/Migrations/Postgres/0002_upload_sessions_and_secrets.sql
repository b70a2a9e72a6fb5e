-- Direct-to-backend uploads: the session a browser uploads under, until it is completed, aborted or expired.
CREATE TABLE upload_sessions (
    id                uuid        PRIMARY KEY,
    file_id           uuid        NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    tenant            text        NOT NULL,
    backend           text        NOT NULL,
    object_key        text        NOT NULL,
    backend_upload_id text        NULL,
    declared_size     bigint      NOT NULL,
    declared_sha256   text        NULL,
    part_size         bigint      NULL,
    part_count        integer     NOT NULL,
    status            text        NOT NULL CHECK (status IN ('open', 'completing', 'expiring')),
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL
);

-- The expiry job looks for open sessions past their time.
CREATE INDEX upload_sessions_expiry ON upload_sessions (expires_at) WHERE status = 'open';

-- Secrets every instance must share (e.g. the key that signs the service's own download and upload links).
CREATE TABLE service_secrets (
    name       text        PRIMARY KEY,
    value      text        NOT NULL,
    created_at timestamptz NOT NULL
);
