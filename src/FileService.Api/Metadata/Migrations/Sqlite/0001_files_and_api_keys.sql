CREATE TABLE files (
    id             TEXT    PRIMARY KEY,
    tenant         TEXT    NOT NULL,
    owner          TEXT    NULL,
    profile        TEXT    NOT NULL,
    backend        TEXT    NOT NULL,
    object_key     TEXT    NOT NULL,
    original_name  TEXT    NOT NULL,
    content_type   TEXT    NOT NULL,
    size           INTEGER NOT NULL DEFAULT 0,
    sha256         TEXT    NULL,
    etag           TEXT    NULL,
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'ready', 'deleting')),
    exclusive_key  INTEGER NOT NULL,
    metadata       TEXT    NOT NULL DEFAULT '{}',
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);

-- Listing walks a tenant's ready files in id (upload) order; UUID v7 text sorts in time order.
CREATE INDEX files_tenant_ready ON files (tenant, id) WHERE status = 'ready';

-- Two uploads can never claim the same object when the profile forbids overwriting.
CREATE UNIQUE INDEX files_exclusive_key ON files (backend, object_key) WHERE exclusive_key = 1;
CREATE INDEX files_backend_key ON files (backend, object_key);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL UNIQUE,
    tenant      TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    description TEXT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT NULL
);
