//! The history store: what readmore has seen, across runs, in SQLite.
//!
//! On disk: one SQLite database (default `.readmore/state.db` beside the
//! config, never in the output directory), in WAL mode, plus a lock file
//! `<db>.lock` that keeps builds one at a time. The schema version is
//! `PRAGMA user_version`; older stores are migrated on open, a store from a
//! newer readmore is refused with a clear error.
//!
//! Tables:
//! - `articles`: one row per article ever seen and not yet pruned: slug key,
//!   section, the content needed to render it again (JSON), its content
//!   hash (of what a reader sees, see [`content_hash`]) and that hash's
//!   projection version,
//!   `first_seen` (= published: the page's date, else when first seen),
//!   `updated`, `last_seen` (Unix seconds), and `guid`: the permalink the
//!   page gave when the article was first stored (its feed id for good), or
//!   NULL for an id derived from the key (no permalink, or one another
//!   article already has as its id). A feed item's key is derived from
//!   its publisher's id (see `feedsrc`), so it keeps its row when its
//!   link changes.
//! - `outputs`: per written file, the signature of what it was rendered
//!   from and its size and mtime, so an unchanged feed is not re-rendered.
//! - `meta`: digests of the classification rules and render settings.
//! - `runs`: one row per build: clock, counts, outcome.
//! - `sources`: per URL source, the `ETag` and `Last-Modified` of the last
//!   page parsed, for conditional GET; per file source (its `file://` URL)
//!   the [`crate::fingerprint`] of the last bytes parsed, as its `etag`;
//!   and the keys of its articles, which a `304 Not Modified` or an
//!   unchanged fingerprint marks as seen again.
//! - `pings`: the WebSub queue: one row per feed and hub still to be told
//!   the feed changed, with attempts, last error and next try (real time).
//!
//! Merge rules (what dates an article gets) live here too, in [`merge`];
//! which articles go in which feed is decided by the caller.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
use sha2::{Digest, Sha256};

use crate::article::Article;
use crate::clock;
use crate::fetch::Validators;

/// The schema this readmore writes.
pub const SCHEMA_VERSION: i64 = 6;

/// Migrations: entry `i` takes a store from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
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
    ALTER TABLE articles ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX articles_by_change ON articles (changed);
    CREATE TABLE gone (key TEXT PRIMARY KEY, changed INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX gone_by_change ON gone (changed);
",
];

/// The version of `projection`. Bump it whenever what the projection
/// holds changes: stored hashes of another version are recomputed from the
/// stored content (see [`rehash`]), so no article counts as changed, gets
/// a new `updated` or a ping, because readmore's notion of its content did.
pub const PROJECTION_VERSION: i64 = 1;

/// An open store; while a writable one is open, no other build runs.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    created: bool,
    _lock: Option<File>,
}

/// An article of this run, with the section it was sorted into.
pub struct Incoming<'a> {
    pub article: &'a Article,
    pub section: &'a str,
}

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Merged {
    pub new: usize,
    pub changed: usize,
    pub moved: usize,
}

/// A feed member: what decides a feed's content, without the text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub key: String,
    pub hash: String,
    pub section: String,
    pub title: String,
    pub published: i64,
    pub updated: i64,
    /// The permalink that is the article's id, if it has one.
    pub guid: Option<String>,
}

/// What was last written to an output file. A run records every file it
/// is about to switch in first, with an empty signature (and the digest
/// last recorded, if any), so a run killed before its final record leaves
/// those files stale for the next run, never forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// "feed", "index", "opml" or "page".
    pub kind: String,
    pub signature: String,
    pub digest: String,
    pub size: u64,
    pub mtime_ns: i64,
}

/// One build, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    pub clock: i64,
    pub finished: i64,
    pub outcome: String,
    pub articles: usize,
    #[serde(flatten)]
    pub merged: Merged,
    pub written: usize,
    pub unchanged: usize,
    pub warnings: usize,
    pub error: Option<String>,
}

impl Store {
    /// Opens (creating if needed) the store for a build: takes the lock,
    /// waiting up to `lock_timeout`, then migrates the schema.
    pub fn open(path: &Path, lock_timeout: Duration) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let lock = crate::lock::lock(&lock_path(path), lock_timeout)?;
        let created = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
        let conn = Connection::open(path).with_context(|| damaged(path))?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
            created,
            _lock: Some(lock),
        };
        store.prepare().with_context(|| damaged(path))?;
        store.migrate()?;
        Ok(store)
    }

    /// Whether this open created the store (no file, or an empty one).
    pub fn created(&self) -> bool {
        self.created
    }

    /// Opens an existing store for reading, without the lock.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        if !path.exists() {
            bail!(
                "no store at {} (run `readmore build` first)",
                path.display()
            );
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| damaged(path))?;
        let store = Self {
            conn,
            path: path.to_path_buf(),
            created: false,
            _lock: None,
        };
        store.conn.busy_timeout(Duration::from_secs(10))?;
        let version = store.version().with_context(|| damaged(path))?;
        if (0..SCHEMA_VERSION).contains(&version) {
            bail!(
                "store {} was written by an older readmore (schema {version}; this one reads \
                 {SCHEMA_VERSION}): run `readmore build` once to migrate it",
                path.display()
            );
        }
        if version != SCHEMA_VERSION {
            bail!(incompatible(path, version));
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn prepare(&mut self) -> Result<()> {
        self.conn.busy_timeout(Duration::from_secs(10))?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    }

    fn version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<()> {
        let version = self.version().with_context(|| damaged(&self.path))?;
        if !(0..=SCHEMA_VERSION).contains(&version) {
            bail!(incompatible(&self.path, version));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (from, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)
                .with_context(|| format!("migrating the store from schema {from}"))?;
            tx.pragma_update(None, "user_version", from as i64 + 1)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The connection, for reads and single-statement writes.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Starts the run's write transaction.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Records a finished (or failed) build.
    pub fn record_run(&self, run: &Run) -> Result<()> {
        self.conn.execute(
            "INSERT INTO runs (clock, finished, outcome, articles, new, changed, moved, written, unchanged, warnings, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                run.clock,
                run.finished,
                run.outcome,
                run.articles as i64,
                run.merged.new as i64,
                run.merged.changed as i64,
                run.merged.moved as i64,
                run.written as i64,
                run.unchanged as i64,
                run.warnings as i64,
                run.error
            ],
        )?;
        Ok(())
    }

    pub fn last_run(&self) -> Result<Option<Run>> {
        let run = self
            .conn
            .query_row(
                "SELECT clock, finished, outcome, articles, new, changed, moved, written, unchanged, warnings, error
                 FROM runs ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(Run {
                        clock: r.get(0)?,
                        finished: r.get(1)?,
                        outcome: r.get(2)?,
                        articles: r.get::<_, i64>(3)? as usize,
                        merged: Merged {
                            new: r.get::<_, i64>(4)? as usize,
                            changed: r.get::<_, i64>(5)? as usize,
                            moved: r.get::<_, i64>(6)? as usize,
                        },
                        written: r.get::<_, i64>(7)? as usize,
                        unchanged: r.get::<_, i64>(8)? as usize,
                        warnings: r.get::<_, i64>(9)? as usize,
                        error: r.get(10)?,
                    })
                },
            )
            .optional()?;
        Ok(run)
    }

    /// Article count per section, largest first.
    pub fn section_counts(&self) -> Result<Vec<(String, usize)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT section, COUNT(*) FROM articles GROUP BY section ORDER BY COUNT(*) DESC, section")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// SHA-256 of `bytes` in lowercase hex: content hashes, output digests,
/// signatures.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a reader sees of an article, serialised: its title, dek, body, its
/// own byline and its link (the permalink, which readers follow), at
/// [`PROJECTION_VERSION`]. Page-level context (an author the page header
/// stands in with, the page's dates and categories) and how the parser
/// found it are left out, so reading the same article from a differently
/// cut page is not a change.
fn projection(article: &Article) -> String {
    #[derive(serde::Serialize)]
    struct Seen<'a> {
        version: i64,
        title: &'a str,
        dek: Option<&'a str>,
        body: &'a [crate::article::Block],
        byline: Option<(&'a str, Option<&'a str>)>,
        link: Option<&'a str>,
    }
    let byline = article
        .author
        .as_ref()
        .filter(|a| !a.from_page)
        .map(|a| (a.name.as_str(), a.bio.as_deref()));
    let seen = Seen {
        version: PROJECTION_VERSION,
        title: &article.title,
        dek: article.dek.as_deref(),
        body: &article.body,
        byline,
        link: article.permalink.as_deref(),
    };
    serde_json::to_string(&seen).expect("plain data serialises")
}

/// An article's content hash: the digest of its `projection`.
pub fn content_hash(article: &Article) -> String {
    digest(projection(article).as_bytes())
}

/// Recomputes, from the stored content, the hashes stored under another
/// projection version; dates stay. Returns how many were recomputed.
pub fn rehash(tx: &Transaction) -> Result<usize> {
    let stale: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT key, content FROM articles WHERE hash_version != ?1")?;
        stmt.query_map([PROJECTION_VERSION], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut update =
        tx.prepare_cached("UPDATE articles SET hash = ?2, hash_version = ?3 WHERE key = ?1")?;
    for (key, content) in &stale {
        let article: Article = serde_json::from_str(content)
            .with_context(|| format!("the store holds unreadable content for {key:?}"))?;
        update.execute(params![key, content_hash(&article), PROJECTION_VERSION])?;
    }
    Ok(stale.len())
}

/// Merges this run's articles into the history, in page order.
///
/// A new article is published at the date its page gives (never later than
/// the run's clock), else at the run's clock, and updated then too; an
/// article whose content changed keeps its published date and is updated
/// at the clock; an unchanged one keeps both. Within a run, the articles
/// dated by the clock get distinct dates, a second apart in page order
/// (first = newest), always later than every date already stored, so no
/// two of them share a date even when the clock is fixed or goes
/// backwards. A date the page or feed gives is kept to the second, also
/// when another article has the same one (publishers date items alike).
pub fn merge(tx: &Transaction, incoming: &[Incoming], now: i64) -> Result<Merged> {
    let mut lookup = tx.prepare_cached("SELECT hash, section FROM articles WHERE key = ?1")?;
    let mut plan = Vec::with_capacity(incoming.len());
    for item in incoming {
        let content = serde_json::to_string(item.article)?;
        let hash = content_hash(item.article);
        let known: Option<(String, String)> = lookup
            .query_row([&item.article.key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        plan.push((item, content, hash, known));
    }
    let clocked = plan
        .iter()
        .filter(|(item, _, hash, known)| match known {
            None => item.article.date.is_none(),
            Some((h, _)) => h != hash,
        })
        .count() as i64;
    let generation = generation(tx)?;
    let latest: Option<i64> =
        tx.query_row("SELECT MAX(updated) FROM articles", [], |r| r.get(0))?;
    let mut stamp = latest.map_or(now, |l| now.max(l + clocked));
    let mut merged = Merged::default();
    for (item, content, hash, known) in plan {
        let a = item.article;
        match known {
            None => {
                let date = match a.date {
                    Some(date) => clock::clamp_secs(date.timestamp().min(now)),
                    None => {
                        let date = free_stamp(tx, stamp)?;
                        stamp = date - 1;
                        date
                    }
                };
                tx.prepare_cached(
                    "INSERT INTO articles (key, slug, section, title, content, hash, first_seen, updated, last_seen, guid, hash_version, changed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11)",
                )?
                .execute(params![a.key, a.slug, item.section, a.title, content, hash, date, now, own_id(tx, a)?, PROJECTION_VERSION, generation])?;
                merged.new += 1;
            }
            Some((old_hash, old_section)) if old_hash != hash => {
                let date = free_stamp(tx, stamp)?;
                stamp = date - 1;
                tx.prepare_cached(
                    "UPDATE articles SET slug = ?2, section = ?3, title = ?4, content = ?5, hash = ?6,
                     updated = ?7, last_seen = ?8, changed = ?9 WHERE key = ?1",
                )?
                .execute(params![a.key, a.slug, item.section, a.title, content, hash, date, now, generation])?;
                merged.changed += 1;
                merged.moved += usize::from(old_section != item.section);
            }
            Some((_, old_section)) => {
                tx.prepare_cached(
                    "UPDATE articles SET section = ?2, last_seen = ?3 WHERE key = ?1",
                )?
                .execute(params![a.key, item.section, now])?;
                if old_section != item.section {
                    stamp_changed(tx, &a.key, generation)?;
                    merged.moved += 1;
                }
            }
        }
    }
    Ok(merged)
}

/// `stamp`, or the nearest earlier second no stored article is published
/// or updated at — rows inserted earlier in the same run included, so a
/// clock-dated article never shares a second with a page-dated one.
fn free_stamp(tx: &Transaction, mut stamp: i64) -> Result<i64> {
    let mut taken =
        tx.prepare_cached("SELECT 1 FROM articles WHERE updated = ?1 OR first_seen = ?1 LIMIT 1")?;
    while stamp > clock::EARLIEST && taken.exists([stamp])? {
        stamp -= 1;
    }
    Ok(stamp)
}

/// The id a new article keeps for good: its permalink, unless another
/// article already has that as its id (items of one feed may share a
/// link); then none, and its id is derived from its key.
fn own_id<'a>(tx: &Transaction, article: &'a Article) -> Result<Option<&'a str>> {
    let Some(link) = article.permalink.as_deref() else {
        return Ok(None);
    };
    let taken = tx
        .prepare_cached("SELECT 1 FROM articles WHERE guid = ?1 LIMIT 1")?
        .exists([link])?;
    Ok((!taken).then_some(link))
}

/// The newest `limit` articles of a section (all sections for `None`),
/// published at or after `since`, newest first.
pub fn members(
    tx: &Connection,
    section: Option<&str>,
    since: i64,
    limit: usize,
) -> Result<Vec<Member>> {
    let sql = match section {
        Some(_) => {
            "SELECT key, hash, section, title, first_seen, updated, guid FROM articles
             WHERE section = ?1 AND first_seen >= ?2 ORDER BY first_seen DESC, key LIMIT ?3"
        }
        None => {
            "SELECT key, hash, section, title, first_seen, updated, guid FROM articles
             WHERE ?1 IS NULL AND first_seen >= ?2 ORDER BY first_seen DESC, key LIMIT ?3"
        }
    };
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map(params![section, since, limit as i64], member_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every stored article, in key order: the article pages.
pub fn all_members(tx: &Connection) -> Result<Vec<Member>> {
    let mut stmt = tx.prepare(
        "SELECT key, hash, section, title, first_seen, updated, guid FROM articles ORDER BY key",
    )?;
    let rows = stmt.query_map([], member_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn member_row(r: &rusqlite::Row) -> rusqlite::Result<Member> {
    Ok(Member {
        key: r.get(0)?,
        hash: r.get(1)?,
        section: r.get(2)?,
        title: r.get(3)?,
        published: r.get(4)?,
        updated: r.get(5)?,
        guid: r.get(6)?,
    })
}

/// The stored article of `key`.
pub fn article(tx: &Connection, key: &str) -> Result<Article> {
    let content: String = tx
        .prepare_cached("SELECT content FROM articles WHERE key = ?1")?
        .query_row([key], |r| r.get(0))?;
    serde_json::from_str(&content)
        .with_context(|| format!("store holds unreadable content for {key:?}"))
}

/// Every stored article with its section, for reclassification.
pub fn all_articles(tx: &Transaction) -> Result<Vec<(Article, String)>> {
    let mut stmt = tx.prepare("SELECT content, section FROM articles")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (content, section) = row?;
        out.push((
            serde_json::from_str(&content).context("store holds unreadable content")?,
            section,
        ));
    }
    Ok(out)
}

pub fn set_section(tx: &Transaction, key: &str, section: &str) -> Result<()> {
    tx.prepare_cached("UPDATE articles SET section = ?2 WHERE key = ?1")?
        .execute([key, section])?;
    stamp_changed(tx, key, generation(tx)?)
}

/// Starts a new generation of the history: what this transaction changes
/// in a way a reader can see (new, edited, moved or pruned articles) is
/// stamped with it, so the outputs step can ask what changed since the
/// generation an output directory was last brought in line with
/// ([`changed_members`], [`gone_since`]). Returns the new generation.
pub fn next_generation(tx: &Transaction) -> Result<i64> {
    let next = generation(tx)? + 1;
    set_meta(tx, "generation", &next.to_string())?;
    Ok(next)
}

/// The generation of the last committed history step (0 for none).
pub fn generation(conn: &Connection) -> Result<i64> {
    Ok(meta(conn, "generation")?.map_or(Ok(0), |g| g.parse())?)
}

fn stamp_changed(tx: &Transaction, key: &str, generation: i64) -> Result<()> {
    tx.prepare_cached("UPDATE articles SET changed = ?2 WHERE key = ?1")?
        .execute(params![key, generation])?;
    Ok(())
}

/// The articles new, edited or moved after generation `since`.
pub fn changed_members(conn: &Connection, since: i64) -> Result<Vec<Member>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, hash, section, title, first_seen, updated, guid FROM articles
         WHERE changed > ?1 ORDER BY key",
    )?;
    let rows = stmt.query_map([since], member_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Keys of the articles pruned after generation `since`, as far back as
/// [`forget_gone`] kept them: `None` when some may have been forgotten.
pub fn gone_since(conn: &Connection, since: i64) -> Result<Option<Vec<String>>> {
    let kept_from = meta(conn, "gone_kept_from")?.map_or(Ok(0), |g| g.parse::<i64>())?;
    if since < kept_from {
        return Ok(None);
    }
    let mut stmt = conn.prepare_cached("SELECT key FROM gone WHERE changed > ?1 ORDER BY key")?;
    let rows = stmt.query_map([since], |r| r.get(0))?;
    Ok(Some(rows.collect::<Result<_, _>>()?))
}

/// Forgets the pruned keys of generations up to `upto` (an output directory
/// is in line with it), except those of the newest pruning, which
/// [`last_change`] still reads.
pub fn forget_gone(tx: &Transaction, upto: i64) -> Result<()> {
    tx.execute(
        "DELETE FROM gone WHERE changed <= ?1 AND changed < (SELECT MAX(changed) FROM gone)",
        [upto],
    )?;
    let kept_from = meta(tx, "gone_kept_from")?.map_or(Ok(0), |g| g.parse::<i64>())?;
    set_meta(tx, "gone_kept_from", &kept_from.max(upto).to_string())
}

/// The last generation that added, edited, moved or pruned an article: a
/// digest of the whole history's visible state, in two index lookups.
pub fn last_change(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT MAX(COALESCE((SELECT MAX(changed) FROM articles), 0),
                    COALESCE((SELECT MAX(changed) FROM gone), 0))",
        [],
        |r| r.get(0),
    )?)
}

/// How many articles the store holds.
pub fn article_count(conn: &Connection) -> Result<usize> {
    Ok(conn.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get::<_, i64>(0))? as usize)
}

pub fn meta(tx: &Connection, name: &str) -> Result<Option<String>> {
    Ok(tx
        .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set_meta(tx: &Connection, name: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
        [name, value],
    )?;
    Ok(())
}

/// The output records of the output directory `dir` (canonical): path
/// relative to it → what was last written there.
pub fn outputs(conn: &Connection, dir: &str) -> Result<HashMap<String, Output>> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, kind, signature, digest, size, mtime_ns FROM outputs WHERE dir = ?1",
    )?;
    let rows = stmt.query_map([dir], output_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The output records of `dir` but its article pages: the few files every
/// run checks.
pub fn site_outputs(conn: &Connection, dir: &str) -> Result<HashMap<String, Output>> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, kind, signature, digest, size, mtime_ns FROM outputs
         WHERE dir = ?1 AND kind != 'page'",
    )?;
    let rows = stmt.query_map([dir], output_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The output record of `path` in `dir`, if there is one.
pub fn output(conn: &Connection, dir: &str, path: &str) -> Result<Option<Output>> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, kind, signature, digest, size, mtime_ns FROM outputs
         WHERE dir = ?1 AND path = ?2",
    )?;
    Ok(stmt
        .query_row([dir, path], output_row)
        .optional()?
        .map(|(_, o)| o))
}

fn output_row(r: &rusqlite::Row) -> rusqlite::Result<(String, Output)> {
    Ok((
        r.get(0)?,
        Output {
            kind: r.get(1)?,
            signature: r.get(2)?,
            digest: r.get(3)?,
            size: r.get::<_, i64>(4)? as u64,
            mtime_ns: r.get(5)?,
        },
    ))
}

/// Records what was written to `path` in `dir`.
pub fn set_output(conn: &Connection, dir: &str, path: &str, output: &Output) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO outputs (dir, path, kind, signature, digest, size, mtime_ns)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        dir,
        path,
        output.kind,
        output.signature,
        output.digest,
        output.size as i64,
        output.mtime_ns
    ])?;
    Ok(())
}

pub fn forget_output(conn: &Connection, dir: &str, path: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM outputs WHERE dir = ?1 AND path = ?2")?
        .execute([dir, path])?;
    Ok(())
}

/// A queued WebSub ping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ping {
    pub topic: String,
    pub hub: String,
    pub attempts: u32,
    /// When to try next, Unix seconds (real time).
    pub next_try: i64,
    pub last_error: Option<String>,
}

/// Queues a ping unless one for this topic and hub is already waiting
/// (which then covers this change too: the hub fetches the latest).
pub fn queue_ping(conn: &Connection, topic: &str, hub: &str, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO pings (topic, hub, queued, next_try) VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![topic, hub, now])?;
    Ok(())
}

/// Queued pings due at `now` (all of them for `None`), oldest first.
pub fn pings(conn: &Connection, due_at: Option<i64>) -> Result<Vec<Ping>> {
    let mut stmt = conn.prepare_cached(
        "SELECT topic, hub, attempts, next_try, last_error FROM pings
         WHERE ?1 IS NULL OR next_try <= ?1 ORDER BY queued, topic, hub",
    )?;
    let rows = stmt.query_map([due_at], |r| {
        Ok(Ping {
            topic: r.get(0)?,
            hub: r.get(1)?,
            attempts: r.get(2)?,
            next_try: r.get(3)?,
            last_error: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn ping_delivered(conn: &Connection, ping: &Ping) -> Result<()> {
    conn.prepare_cached("DELETE FROM pings WHERE topic = ?1 AND hub = ?2")?
        .execute([&ping.topic, &ping.hub])?;
    Ok(())
}

pub fn ping_failed(conn: &Connection, ping: &Ping, error: &str, next_try: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE pings SET attempts = attempts + 1, last_error = ?3, next_try = ?4 WHERE topic = ?1 AND hub = ?2",
    )?
    .execute(params![ping.topic, ping.hub, error, next_try])?;
    Ok(())
}

/// Every stored article's key and id link (`guid`), for recognising an
/// article a new source shows again.
pub fn ids(conn: &Connection) -> Result<Vec<(String, Option<String>)>> {
    let mut stmt = conn.prepare("SELECT key, guid FROM articles")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The validators of the last page parsed from each source, by its URL
/// (a file's `file://` key): `ETag` (a file's fingerprint), `Last-Modified`.
pub fn validators(conn: &Connection) -> Result<HashMap<String, Validators>> {
    let mut stmt = conn.prepare("SELECT url, etag, last_modified FROM sources")?;
    let rows = stmt.query_map([], |r| {
        let validators = Validators {
            etag: r.get(1)?,
            last_modified: r.get(2)?,
        };
        Ok((r.get(0)?, validators))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records the page parsed from `url`: its validators and its articles.
pub fn set_source(
    conn: &Connection,
    url: &str,
    etag: Option<&str>,
    modified: Option<&str>,
    keys: &[String],
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sources (url, etag, last_modified, checked, keys) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![url, etag, modified, now, serde_json::to_string(keys)?])?;
    Ok(())
}

/// A `304` from `url`: its articles are still on the page, seen at `now`.
/// Returns the keys of those articles the store still holds.
pub fn source_unchanged(conn: &Connection, url: &str, now: i64) -> Result<Vec<String>> {
    let keys: Option<String> = conn
        .query_row("SELECT keys FROM sources WHERE url = ?1", [url], |r| {
            r.get(0)
        })
        .optional()?;
    let keys: Vec<String> =
        serde_json::from_str(keys.as_deref().unwrap_or("[]")).unwrap_or_default();
    let mut touch = conn.prepare_cached("UPDATE articles SET last_seen = ?2 WHERE key = ?1")?;
    let mut known = Vec::new();
    for key in keys {
        if touch.execute(params![key, now])? > 0 {
            known.push(key);
        }
    }
    conn.prepare_cached("UPDATE sources SET checked = ?2 WHERE url = ?1")?
        .execute(params![url, now])?;
    Ok(known)
}

/// Deletes articles not seen since `cutoff` that no feed shows any more.
/// Walks only the rows old enough to go, through the `last_seen` index.
pub fn prune(tx: &Transaction, cutoff: i64, shown: &HashSet<&str>) -> Result<Vec<String>> {
    let old: Vec<String> = {
        let mut stmt = tx.prepare_cached("SELECT key FROM articles WHERE last_seen < ?1")?;
        stmt.query_map([cutoff], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let generation = generation(tx)?;
    let mut delete = tx.prepare_cached("DELETE FROM articles WHERE key = ?1")?;
    let mut bury =
        tx.prepare_cached("INSERT OR REPLACE INTO gone (key, changed) VALUES (?1, ?2)")?;
    let mut pruned = Vec::new();
    for key in old.into_iter().filter(|k| !shown.contains(k.as_str())) {
        delete.execute([&key])?;
        bury.execute(params![key, generation])?;
        pruned.push(key);
    }
    Ok(pruned)
}

fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db.with_file_name(name)
}

/// What to say when the store cannot be read: which file, and the way out.
fn damaged(path: &Path) -> String {
    format!(
        "cannot use the store {}: if it is damaged, move it aside (keep it: \
         `sqlite3 FILE .recover` may save its history) and run `readmore build` again, \
         which starts a new store from the sources (README: \"Recovering a lost store\")",
        path.display()
    )
}

fn incompatible(path: &Path, version: i64) -> String {
    format!(
        "incompatible store {}: schema version {version}, this readmore reads version {SCHEMA_VERSION} \
         (written by a newer readmore? upgrade readmore, or point --state elsewhere)",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::Block;
    use crate::error::Busy;

    fn article(key: &str, text: &str) -> Article {
        Article {
            slug: key.into(),
            key: key.into(),
            title: key.to_uppercase(),
            dek: None,
            body: vec![Block::Paragraph(text.into())],
            author: None,
            permalink: None,
            date: None,
            updated: None,
            categories: Vec::new(),
            found_by: None,
            lines: (1, 3),
        }
    }

    fn fresh() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db"), Duration::ZERO).unwrap();
        (dir, store)
    }

    /// Merges `articles` into section "x" at `now`.
    fn merge_x(tx: &Transaction, articles: &[&Article], now: i64) -> Merged {
        let incoming: Vec<Incoming> = articles
            .iter()
            .map(|a| Incoming {
                article: a,
                section: "x",
            })
            .collect();
        merge(tx, &incoming, now).unwrap()
    }

    fn dates(tx: &Transaction, key: &str) -> (i64, i64) {
        tx.query_row(
            "SELECT first_seen, updated FROM articles WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    #[test]
    fn merge_dates_new_changed_and_unchanged_articles() {
        let (_dir, mut store) = fresh();
        let (a, b, c) = (
            article("a", "one"),
            article("b", "two"),
            article("c", "three"),
        );
        let tx = store.transaction().unwrap();
        let run1 = [
            Incoming {
                article: &a,
                section: "x",
            },
            Incoming {
                article: &b,
                section: "x",
            },
        ];
        assert_eq!(
            merge(&tx, &run1, 1000).unwrap(),
            Merged {
                new: 2,
                changed: 0,
                moved: 0,
            }
        );
        assert_eq!(
            (dates(&tx, "a"), dates(&tx, "b")),
            ((1000, 1000), (999, 999))
        );
        let b2 = article("b", "two, edited");
        let run2 = [
            Incoming {
                article: &c,
                section: "x",
            },
            Incoming {
                article: &a,
                section: "y",
            },
            Incoming {
                article: &b2,
                section: "x",
            },
        ];
        assert_eq!(
            merge(&tx, &run2, 2000).unwrap(),
            Merged {
                new: 1,
                changed: 1,
                moved: 1,
            }
        );
        assert_eq!(dates(&tx, "c"), (2000, 2000));
        assert_eq!(
            dates(&tx, "a"),
            (1000, 1000),
            "unchanged content keeps its dates, also when it moves"
        );
        assert_eq!(
            dates(&tx, "b"),
            (999, 1999),
            "edited: same published, new updated"
        );
    }

    #[test]
    fn a_fixed_clock_still_gives_distinct_later_dates() {
        let (_dir, mut store) = fresh();
        let (a, b) = (article("a", "one"), article("b", "two"));
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&a], 1000);
        merge_x(&tx, &[&b], 1000);
        assert_eq!(dates(&tx, "b"), (1001, 1001));
    }

    #[test]
    fn a_first_version_store_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        drop(conn);
        let store = Store::open(&path, Duration::ZERO).unwrap();
        assert_eq!(store.version().unwrap(), SCHEMA_VERSION);
        queue_ping(store.conn(), "https://a/x.atom", "https://hub/", 5).unwrap();
        queue_ping(store.conn(), "https://a/x.atom", "https://hub/", 9).unwrap();
        let queued = pings(store.conn(), None).unwrap();
        assert_eq!(queued.len(), 1, "one ping per topic and hub");
        assert_eq!(queued[0].next_try, 5);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = Store::open(&path, Duration::ZERO).err().unwrap();
        assert!(format!("{err:#}").contains("schema version 99"), "{err:#}");
    }

    #[test]
    fn second_writer_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let _first = Store::open(&path, Duration::ZERO).unwrap();
        let err = Store::open(&path, Duration::from_millis(120))
            .err()
            .unwrap();
        assert!(err.is::<Busy>(), "{err:#}");
    }

    /// Guards distinct dates: a clock-dated article never takes the second
    /// of a page-dated one stored earlier in the same run.
    #[test]
    fn clock_dates_skip_seconds_taken_earlier_in_the_run() {
        let (_dir, mut store) = fresh();
        let mut dated = article("a", "one");
        dated.date = chrono::DateTime::from_timestamp(1000, 0);
        let undated = article("b", "two");
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&dated, &undated], 1000);
        assert_eq!(dates(&tx, "a"), (1000, 1000));
        assert_eq!(dates(&tx, "b"), (999, 999));
    }

    /// Guards content identity: the page header's author is context, not
    /// content; a page read without it changes nothing and loses no author.
    #[test]
    fn reading_without_the_page_author_is_not_a_change() {
        let (_dir, mut store) = fresh();
        let mut with = article("a", "one");
        with.author = Some(crate::article::Author::of_page("Page Owner".into()));
        let without = article("a", "one");
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&with], 1000);
        let merged = merge_x(&tx, &[&without], 2000);
        assert_eq!((merged.new, merged.changed), (0, 0));
        assert_eq!(dates(&tx, "a"), (1000, 1000));
        let stored = super::article(&tx, "a").unwrap();
        assert_eq!(stored.author.unwrap().name, "Page Owner");
        let mut own = article("a", "one");
        own.author = Some(crate::article::Author::own("Jane".into(), None));
        assert_eq!(
            merge_x(&tx, &[&own], 3000).changed,
            1,
            "a byline is content"
        );
    }

    /// Guards re-hashing: hashes of another projection version are
    /// recomputed from the stored content without a change of date.
    #[test]
    fn a_new_projection_version_rehashes_without_a_change() {
        let (_dir, mut store) = fresh();
        let a = article("a", "one");
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&a], 1000);
        tx.execute(
            "UPDATE articles SET hash = 'whole-value-hash', hash_version = 0",
            [],
        )
        .unwrap();
        assert_eq!(rehash(&tx).unwrap(), 1);
        assert_eq!(rehash(&tx).unwrap(), 0, "once");
        assert_eq!(merge_x(&tx, &[&a], 2000).changed, 0);
        assert_eq!(dates(&tx, "a"), (1000, 1000));
    }

    #[test]
    fn prune_keeps_what_feeds_show() {
        let (_dir, mut store) = fresh();
        let (a, b) = (article("a", "one"), article("b", "two"));
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&a, &b], 1000);
        assert_eq!(prune(&tx, 2000, &HashSet::from(["a"])).unwrap(), ["b"]);
        assert_eq!(members(&tx, None, 0, 10).unwrap().len(), 1);
        assert_eq!(super::article(&tx, "a").unwrap().body, a.body);
    }
}
