-- Mirrors: every copy of a file's bytes besides the primary one, with its state; the replication job works through
-- the rows whose replication_due has come.
ALTER TABLE files ADD COLUMN replicas TEXT NOT NULL DEFAULT '[]';
ALTER TABLE files ADD COLUMN replication_due TEXT NULL;
CREATE INDEX files_replication_due ON files (replication_due) WHERE replication_due IS NOT NULL;
