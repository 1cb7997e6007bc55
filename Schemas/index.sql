-- lgreg store index, schema version 1: a cache of facts derived from the OCI layout (index.json and the
-- blobs it reaches). `lgreg fsck --rebuild-index` rebuilds it; nothing here is the only copy of anything,
-- except `verifications`, the history of fsck runs.

-- Key/value facts about the index itself; `index_digest` is the SHA-256 of the index.json it was built from.
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every manifest a tag reaches: learngene versions (artifact_type application/vnd.lgreg.learngene.v1) and
-- derived artifacts (Des-Nets), with the learngene's own name, version and kind where it has them.
CREATE TABLE IF NOT EXISTS manifests (
    digest TEXT PRIMARY KEY,
    artifact_type TEXT NOT NULL,
    config_digest TEXT NOT NULL,
    name TEXT,
    version TEXT,
    kind TEXT,
    stored_parameters INTEGER,
    total_bytes INTEGER NOT NULL,
    base_digest TEXT,
    created TEXT
);

-- Tags (index.json's org.opencontainers.image.ref.name), `name:version`.
CREATE TABLE IF NOT EXISTS tags (
    ref TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    digest TEXT NOT NULL REFERENCES manifests(digest)
);
CREATE INDEX IF NOT EXISTS tags_by_name ON tags(name);

-- Blobs the tagged manifests reach (manifest, config and layer blobs).
CREATE TABLE IF NOT EXISTS blobs (
    digest TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL
);

-- Which layer blobs each manifest lists, in order, with their role and index annotations.
CREATE TABLE IF NOT EXISTS manifest_layers (
    manifest_digest TEXT NOT NULL REFERENCES manifests(digest),
    position INTEGER NOT NULL,
    blob_digest TEXT NOT NULL,
    role TEXT,
    layer_index INTEGER,
    PRIMARY KEY (manifest_digest, position)
);

-- Des-Nets materialized from learngenes (from the derived manifests' org.lgreg.materialization.* annotations).
CREATE TABLE IF NOT EXISTS materializations (
    des_net_digest TEXT PRIMARY KEY REFERENCES manifests(digest),
    learngene_digest TEXT NOT NULL,
    depth INTEGER NOT NULL,
    strategy TEXT NOT NULL,
    layer_order TEXT,
    seed INTEGER,
    created TEXT
);

-- fsck's verdict on each blob it re-hashed (kept across rebuilds).
CREATE TABLE IF NOT EXISTS verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT NOT NULL,
    checked TEXT NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT
);

-- Schema version 2: a tagged manifest that cannot be read is listed as damaged instead of dropped, and the blobs
-- whose SHA-256 was checked are remembered, so tensor bytes are re-hashed only when their file changed.

-- Why a tagged manifest could not be read (its manifest or config blob missing, quarantined or invalid); NULL
-- when it reads.
ALTER TABLE manifests ADD COLUMN damage TEXT;

-- Blobs whose SHA-256 matched their name, with the file's identity and times at that moment: a reader re-hashes
-- a blob before using its bytes whenever any of these differ from the file's.
CREATE TABLE IF NOT EXISTS verified_blobs (
    digest TEXT PRIMARY KEY,
    device INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL
);

-- Schema version 3: a tag whose manifest blob is missing (deleted, or quarantined by fsck) has no config digest,
-- and one such tag must not stop every command, so config_digest may be NULL. SQLite cannot drop a NOT NULL:
-- the table is made again with the same rows.
CREATE TABLE manifests_v3 (
    digest TEXT PRIMARY KEY,
    artifact_type TEXT NOT NULL,
    config_digest TEXT,
    name TEXT,
    version TEXT,
    kind TEXT,
    stored_parameters INTEGER,
    total_bytes INTEGER NOT NULL,
    base_digest TEXT,
    created TEXT,
    damage TEXT
);
INSERT INTO manifests_v3 SELECT digest, artifact_type, config_digest, name, version, kind, stored_parameters,
    total_bytes, base_digest, created, damage FROM manifests;
DROP TABLE manifests;
ALTER TABLE manifests_v3 RENAME TO manifests;
