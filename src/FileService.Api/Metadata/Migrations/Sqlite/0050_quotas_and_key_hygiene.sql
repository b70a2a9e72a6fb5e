-- Quota ledger: per tenant (profile = '') and per tenant and profile, the files and bytes that count against a quota:
-- ready and deleting files at their size, pending files at what their upload reserved. Reservations are conditional
-- UPDATEs of these rows, so the row lock decides between concurrent uploads on any number of instances.
CREATE TABLE quota_usage (
    tenant  TEXT   NOT NULL,
    profile TEXT   NOT NULL,
    files   BIGINT NOT NULL,
    bytes   BIGINT NOT NULL,
    PRIMARY KEY (tenant, profile)
);

-- What a pending upload reserved: released when its row goes, settled to the real size when it becomes ready.
ALTER TABLE files ADD COLUMN reserved_bytes BIGINT NOT NULL DEFAULT 0;

INSERT INTO quota_usage (tenant, profile, files, bytes)
SELECT tenant, '', COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE status IN ('ready', 'deleting') GROUP BY tenant;
INSERT INTO quota_usage (tenant, profile, files, bytes)
SELECT tenant, profile, COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE status IN ('ready', 'deleting') GROUP BY tenant, profile;

-- Keys that expire, and when each was last used (recorded at most once a minute per key).
ALTER TABLE api_keys ADD COLUMN expires_at TEXT NULL;
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT NULL;
