-- Transforms on upload: what the client sent (size) next to what is stored (files.size), and how it is encoded.
ALTER TABLE files ADD COLUMN original_size BIGINT NULL;
ALTER TABLE files ADD COLUMN content_encoding TEXT NULL;
