CREATE TABLE files (
    id             uuid        PRIMARY KEY,
    tenant         text        NOT NULL,
    owner          text        NULL,
    profile        text        NOT NULL,
    backend        text        NOT NULL,
    object_key     text        NOT NULL,
    original_name  text        NOT NULL,
    content_type   text        NOT NULL,
    size           bigint      NOT NULL DEFAULT 0,
    sha256         text        NULL,
    etag           text        NULL,
    status         text        NOT NULL CHECK (status IN ('pending', 'ready', 'deleting')),
    exclusive_key  boolean     NOT NULL,
    metadata       text        NOT NULL DEFAULT '{}', -- JSON object; never queried, so text keeps one SQL for both dialects
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

-- Listing walks a tenant's ready files in id (upload) order.
CREATE INDEX files_tenant_ready ON files (tenant, id) WHERE status = 'ready';

-- Two uploads can never claim the same object when the profile forbids overwriting.
CREATE UNIQUE INDEX files_exclusive_key ON files (backend, object_key) WHERE exclusive_key;
CREATE INDEX files_backend_key ON files (backend, object_key);

CREATE TABLE api_keys (
    id          uuid        PRIMARY KEY,
    key_hash    text        NOT NULL UNIQUE,
    tenant      text        NOT NULL,
    scopes      text        NOT NULL,
    description text        NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz NULL
);
