//! The store's schema and its one migration history, for both backends.
//!
//! Entry `i` of the history takes a store from version `i` to `i + 1`;
//! every step runs in the same write transaction as the version it
//! records, so a failed migration changes nothing. The scripts are
//! SQLite's DDL; on PostgreSQL, [`postgres_ddl`] maps the few words the
//! engines spell differently (integer and rowid types, `WITHOUT ROWID`,
//! byte-order collation of text), so both follow the same steps and reach
//! the same tables. SQLite keeps the version in `PRAGMA user_version`,
//! PostgreSQL in the one-row table `readmore_schema`.

use anyhow::{Context, Result};

use super::db::{Backend, Db};

/// The schema this readmore writes.
pub const SCHEMA_VERSION: i64 = 11;

/// Migrations: entry `i` takes a store from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE articles (
        key        TEXT PRIMARY KEY,
        slug       TEXT NOT NULL,
        section    TEXT NOT NULL,
        title      TEXT NOT NULL,
        content    TEXT NOT NULL,
        hash       TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        updated    INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX articles_by_section ON articles (section, first_seen DESC, key);
    CREATE INDEX articles_by_date ON articles (first_seen DESC, key);
    CREATE INDEX articles_by_updated ON articles (updated);
    CREATE INDEX articles_by_last_seen ON articles (last_seen);
    CREATE TABLE outputs (
        path      TEXT PRIMARY KEY,
        signature TEXT NOT NULL,
        digest    TEXT NOT NULL,
        size      INTEGER NOT NULL,
        mtime_ns  INTEGER NOT NULL
    );
    CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE runs (
        id        INTEGER PRIMARY KEY,
        clock     INTEGER NOT NULL,
        finished  INTEGER NOT NULL,
        outcome   TEXT NOT NULL,
        articles  INTEGER NOT NULL,
        new       INTEGER NOT NULL,
        changed   INTEGER NOT NULL,
        moved     INTEGER NOT NULL,
        written   INTEGER NOT NULL,
        unchanged INTEGER NOT NULL,
        warnings  INTEGER NOT NULL,
        error     TEXT
    );
",
    "
    CREATE TABLE pings (
        topic      TEXT NOT NULL,
        hub        TEXT NOT NULL,
        queued     INTEGER NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0,
        next_try   INTEGER NOT NULL,
        last_error TEXT,
        PRIMARY KEY (topic, hub)
    ) WITHOUT ROWID;
",
    "
    ALTER TABLE articles ADD COLUMN guid TEXT;
    CREATE TABLE sources (
        url           TEXT PRIMARY KEY,
        etag          TEXT,
        last_modified TEXT,
        checked       INTEGER NOT NULL,
        keys          TEXT NOT NULL DEFAULT '[]'
    ) WITHOUT ROWID;
",
    "
    DROP TABLE outputs;
    CREATE TABLE outputs (
        dir       TEXT NOT NULL,
        path      TEXT NOT NULL,
        kind      TEXT NOT NULL,
        signature TEXT NOT NULL,
        digest    TEXT NOT NULL,
        size      INTEGER NOT NULL,
        mtime_ns  INTEGER NOT NULL,
        PRIMARY KEY (dir, path)
    ) WITHOUT ROWID;
    DELETE FROM meta WHERE name = 'pages';
",
    "
    ALTER TABLE articles ADD COLUMN hash_version INTEGER NOT NULL DEFAULT 0;
",
    "
    ALTER TABLE outputs ADD COLUMN etag TEXT;
",
    "
    ALTER TABLE articles ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX articles_by_change ON articles (changed);
    CREATE TABLE gone (key TEXT PRIMARY KEY, changed INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX gone_by_change ON gone (changed);
",
    "
    CREATE TABLE schedule (
        source   TEXT PRIMARY KEY,
        next_due INTEGER NOT NULL,
        worker   TEXT,
        claimed  INTEGER
    ) WITHOUT ROWID;
",
    // When each article was last read on a page, in a narrow table of its
    // own: marking articles seen rewrites these short rows, never the
    // articles' content (see `store::prune` for how a source's `checked`
    // date counts too). And two indexes, so that no run reads every
    // article's content (a scan of `articles` reads each row whole, the
    // content included): ids by `guid`, for looking one up and for reading
    // every key and id (`store::ids`), and the hashes' projection version,
    // for finding the stale ones (`store::rehash`).
    "
    CREATE TABLE seen (
        key       TEXT PRIMARY KEY,
        last_seen INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO seen (key, last_seen) SELECT key, last_seen FROM articles;
    CREATE INDEX seen_by_last_seen ON seen (last_seen);
    DROP INDEX articles_by_last_seen;
    ALTER TABLE articles DROP COLUMN last_seen;
    CREATE INDEX articles_by_guid ON articles (guid);
    CREATE INDEX articles_by_hash_version ON articles (hash_version);
",
    // The workers' schedule (`store::schedule`): each source's host, last
    // fetch and what its server asked; the running workers with their
    // heartbeat (and, on PostgreSQL, their session lock's key); one row
    // per host, locked while a worker claims its sources. Claims of the
    // workers before this schema are dropped: none of them is registered.
    "
    ALTER TABLE schedule ADD COLUMN host TEXT;
    ALTER TABLE schedule ADD COLUMN last_fetch INTEGER;
    ALTER TABLE schedule ADD COLUMN not_before INTEGER;
    ALTER TABLE schedule ADD COLUMN asked TEXT;
    UPDATE schedule SET worker = NULL;
    CREATE TABLE workers (
        id       TEXT PRIMARY KEY,
        host     TEXT NOT NULL,
        pid      INTEGER NOT NULL,
        started  INTEGER NOT NULL,
        beat     INTEGER NOT NULL,
        lock_key INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE hosts (host TEXT PRIMARY KEY) WITHOUT ROWID;
",
    // The articles in a rowid table, their content last. A `WITHOUT ROWID`
    // table keeps each whole row as the key of its b-tree, so finding one
    // article by key read the overflow pages of the rows on its way (some
    // 30 pages per lookup, for rows of several kilobytes); a rowid table
    // finds it through the small index of keys. And SQLite keeps the start
    // of a long row on its page and the rest on overflow pages, so with
    // the content last every other column is read from the row's first
    // page: reading members (keys, hashes, titles, dates, ids) of many
    // articles does not read through their content. Ids are indexed with
    // their keys, so reading every key and id (`store::ids`, each run)
    // reads that index alone.
    "
    CREATE TABLE articles_new (
        key          TEXT NOT NULL PRIMARY KEY,
        slug         TEXT NOT NULL,
        section      TEXT NOT NULL,
        title        TEXT NOT NULL,
        hash         TEXT NOT NULL,
        hash_version INTEGER NOT NULL DEFAULT 0,
        first_seen   INTEGER NOT NULL,
        updated      INTEGER NOT NULL,
        guid         TEXT,
        changed      INTEGER NOT NULL DEFAULT 0,
        content      TEXT NOT NULL
    );
    INSERT INTO articles_new (key, slug, section, title, hash, hash_version, first_seen,
                              updated, guid, changed, content)
        SELECT key, slug, section, title, hash, hash_version, first_seen,
               updated, guid, changed, content FROM articles;
    DROP TABLE articles;
    ALTER TABLE articles_new RENAME TO articles;
    CREATE INDEX articles_by_section ON articles (section, first_seen DESC, key);
    CREATE INDEX articles_by_date ON articles (first_seen DESC, key);
    CREATE INDEX articles_by_updated ON articles (updated);
    CREATE INDEX articles_by_change ON articles (changed);
    CREATE INDEX articles_by_guid ON articles (guid, key);
    CREATE INDEX articles_by_hash_version ON articles (hash_version);
",
];

/// A migration script as PostgreSQL spells it: 64-bit integers, an
/// identity column for SQLite's rowid alias, no `WITHOUT ROWID`, and text
/// compared byte by byte (`COLLATE "C"`, SQLite's `BINARY`), so every
/// `ORDER BY` gives the same order, and the feeds the same bytes, on both.
#[cfg(any(feature = "postgres", test))]
pub(super) fn postgres_ddl(sql: &str) -> String {
    sql.replace(" WITHOUT ROWID", "")
        .replace(
            "INTEGER PRIMARY KEY",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        )
        .replace("INTEGER", "BIGINT")
        .replace("TEXT", "TEXT COLLATE \"C\"")
}

/// The schema version of the store behind `db` (0 for an empty one).
pub(super) fn version(db: &Db) -> Result<i64> {
    match &db.backend {
        Backend::Sqlite(conn) => super::sqlite::version(conn),
        #[cfg(feature = "postgres")]
        Backend::Postgres(_) => super::postgres::version(db),
    }
}

/// Runs the migrations the store needs in one write transaction;
/// returns the version found (untouched when newer than this readmore's).
pub(super) fn migrate(db: &Db) -> Result<i64> {
    let tx = db.begin()?;
    // Read again inside the transaction: another process may have
    // migrated since.
    let from = version(&tx)?;
    if !(0..SCHEMA_VERSION).contains(&from) {
        return Ok(from);
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let sql = match &tx.backend {
            Backend::Sqlite(_) => sql.to_string(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => postgres_ddl(sql),
        };
        tx.batch(&sql)
            .with_context(|| format!("migrating the store from schema {step}"))?;
    }
    set_version(&tx, SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(from)
}

pub(super) fn set_version(db: &Db, version: i64) -> Result<()> {
    match &db.backend {
        Backend::Sqlite(conn) => super::sqlite::set_version(conn, version),
        #[cfg(feature = "postgres")]
        Backend::Postgres(_) => super::postgres::set_version(db, version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_ddl_maps_types_and_keeps_the_rest() {
        assert_eq!(
            postgres_ddl(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT) WITHOUT ROWID;"
            ),
            "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             n BIGINT, s TEXT COLLATE \"C\");"
        );
    }
}
