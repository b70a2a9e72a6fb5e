-- Running totals of ready (and deleting) files, kept in the same transactions as the rows they count, so that usage
-- reports read a handful of rows instead of aggregating millions.
CREATE TABLE usage_counters (
    tenant  TEXT   NOT NULL,
    profile TEXT   NOT NULL,
    backend TEXT   NOT NULL,
    files   BIGINT NOT NULL,
    bytes   BIGINT NOT NULL,
    PRIMARY KEY (tenant, profile, backend)
);

INSERT INTO usage_counters (tenant, profile, backend, files, bytes)
SELECT tenant, profile, backend, COUNT(*), SUM(size) FROM files WHERE status IN ('ready', 'deleting') GROUP BY tenant, profile, backend;
