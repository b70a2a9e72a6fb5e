-- Reconciler: when a session was claimed (completing or expiring), so that one whose claimer died can be taken over
-- once the claim is older than a lease.
ALTER TABLE upload_sessions ADD COLUMN claimed_at TEXT NULL;
CREATE INDEX upload_sessions_file ON upload_sessions (file_id);

-- Leases of jobs that must run on one instance at a time (the reconciler's pass). A row per job; an instance holds it
-- until expires_at and renews it while it works, so a dead holder blocks the others only until then.
CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- The reconciler walks rows that are not ready by age, and looks objects up by key on any backend (mirrors included).
CREATE INDEX files_unfinished ON files (created_at) WHERE status <> 'ready';
CREATE INDEX files_object_key ON files (object_key);
