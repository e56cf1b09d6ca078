//! The history store: what readmore has seen, across runs, on one of two
//! backends with the same schema, queries and merge rules.
//!
//! - **SQLite** (the default): one database file (`.readmore/state.db`
//!   beside the config, never in the output directory), in WAL mode, plus
//!   a lock file `<db>.lock` that keeps builds one at a time.
//! - **PostgreSQL** (cargo feature `postgres`, `state = "postgres://…"`):
//!   shared by several processes; instead of the lock file, advisory
//!   [`Lock`]s per source and per output set, write transactions one at a
//!   time, and pings claimed with `FOR UPDATE SKIP LOCKED`.
//!
//! Every query is written once, over [`Db`] (see `db` for the common
//! dialect). The schema has one migration history (`schema`): older
//! stores are migrated on open, a store from a newer readmore is refused
//! with a clear error.
//!
//! Tables:
//! - `articles`: one row per article ever seen and not yet pruned: slug key,
//!   section, the content needed to render it again (JSON), its content
//!   hash (of what a reader sees, see [`content_hash`]) and that hash's
//!   projection version,
//!   `first_seen` (= published: the page's date, else when first seen),
//!   `updated` (Unix seconds), and `guid`: the permalink the
//!   page gave when the article was first stored (its feed id for good), or
//!   NULL for an id derived from the key (no permalink, or one another
//!   article already has as its id). A feed item's key is derived from
//!   its publisher's id (see `feedsrc`), so it keeps its row when its
//!   link changes.
//!   `changed` is the history generation ([`next_generation`]) that last
//!   added, edited or moved it.
//! - `seen`: per article, `last_seen`: when it was last read on a page (Unix
//!   seconds), in a narrow table of its own so that marking articles seen
//!   never rewrites their content. An article on a source that was not
//!   parsed again (a `304`, an unchanged file) is not touched at all: the
//!   source's `checked` date counts for it (see [`prune`]).
//! - `gone`: keys of pruned articles with the generation that pruned them,
//!   so the outputs step removes their pages without listing every record.
//! - `outputs`: per written file, the signature of what it was rendered
//!   from and its size and mtime (in a bucket: its `ETag`), so an unchanged
//!   feed is not re-rendered.
//! - `meta`: digests of the classification rules and render settings, the
//!   current generation, and per output directory the generation it is in
//!   line with (see [`crate::outputs`]).
//! - `runs`: one row per build: clock, counts, outcome.
//! - `sources`: per URL source, the `ETag` and `Last-Modified` of the last
//!   page parsed, for conditional GET; per file source (its `file://` URL)
//!   the [`crate::fingerprint`] of the last bytes parsed, as its `etag`;
//!   (and, as its `last_modified`, the file's [`crate::fingerprint::stamp`]);
//!   when it was last `checked` (parsed, or found unchanged); and the keys
//!   of its articles, which a `304 Not Modified` or an unchanged
//!   fingerprint marks as seen again through that one `checked` date.
//! - `pings`: the WebSub queue: one row per feed and hub still to be told
//!   the feed changed, with attempts, last error and next try (real time).
//! - `schedule`: for `readmore worker`, when each source is next due, its
//!   host, which worker holds it, when it was last built and what its
//!   server asked; `workers`: one row per running worker, with its
//!   heartbeat; `hosts`: per host, when a source of it may next be
//!   claimed (see `schedule`).
//!
//! Merge rules (what dates an article gets) live here too, in [`merge`];
//! which articles go in which feed is decided by the caller.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::article::Article;
use crate::clock;

mod db;
#[cfg(feature = "postgres")]
mod postgres;
mod schedule;
mod schema;
mod sqlite;

use db::{Backend, args};
pub use db::{Db, Row, Tx, Value};
pub use schedule::{
    Asked, BEAT, Done, MAX_ASKED, STALE, Scheduled, Source as ScheduledSource, Turn, UNNAMED,
    Worker, add_sources, beat, bury, claim_due, due_after, forget_unnamed, free, next_due,
    note_asked, register, release, retire, scheduled, workers,
};
pub use schema::SCHEMA_VERSION;

/// The version of `projection`. Bump it whenever what the projection
/// holds changes: stored hashes of another version are recomputed from the
/// stored content (see [`rehash`]), so no article counts as changed, gets
/// a new `updated` or a ping, because readmore's notion of its content did.
pub const PROJECTION_VERSION: i64 = 1;

/// Where the store lives: `state` in the config, `--state` on the
/// command line. A `postgres://` or `postgresql://` URL names a
/// PostgreSQL database, anything else a SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(text: &str) -> Self {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_string())
        } else {
            Location::File(PathBuf::from(text))
        }
    }

    /// A relative file made relative to `root` (the config's directory).
    pub fn rooted(&self, root: &Path) -> Self {
        match self {
            Location::File(path) => Location::File(root.join(path)),
            url => url.clone(),
        }
    }

    /// The SQLite file, if the store is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

impl Default for Location {
    fn default() -> Self {
        Location::File(PathBuf::from(".readmore/state.db"))
    }
}

/// A file's path, or a URL without its password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&crate::redact::url(url)),
        }
    }
}

impl serde::Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Location {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Location::parse(&String::deserialize(d)?))
    }
}

/// A lock that keeps two processes from doing the same work at once. On
/// PostgreSQL each is a session advisory lock; on SQLite the store's lock
/// file already keeps every build to itself, so these are held with it.
#[derive(Debug, Clone, Copy)]
pub enum Lock<'a> {
    /// A source, while it is fetched and its articles merged.
    Source(&'a str),
    /// Rendering and publishing the output set named by its sink key.
    Publish(&'a str),
}

impl fmt::Display for Lock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Lock::Source(name) => write!(f, "source {}", crate::redact::url(name)),
            Lock::Publish(key) => write!(f, "publishing {}", crate::redact::url(key)),
        }
    }
}

/// An open store; while a writable SQLite one is open, no other build
/// runs.
pub struct Store {
    db: Db,
    location: Location,
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
    /// The object's `ETag` when the output is in a bucket: what the next
    /// write to it is conditional on.
    pub etag: Option<String>,
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
    /// Opens (creating if needed) the store for a build, then migrates
    /// the schema. A SQLite store is locked first, waiting up to
    /// `lock_timeout`; PostgreSQL is shared, its work guarded by [`Lock`]s.
    pub fn open(location: &Location, lock_timeout: Duration) -> Result<Self> {
        let mut store = match location {
            Location::File(path) => Self::open_file(path, lock_timeout)?,
            Location::Postgres(url) => Self::connect(location, url)?,
        };
        let found = schema::migrate(&store.db).with_context(|| damaged(location))?;
        if !(0..=SCHEMA_VERSION).contains(&found) {
            bail!(incompatible(location, found));
        }
        store.created |= found == 0 && location.file().is_none();
        Ok(store)
    }

    fn open_file(path: &Path, lock_timeout: Duration) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let lock = crate::lock::lock(&lock_path(path), lock_timeout)?;
        let location = Location::File(path.to_path_buf());
        let created = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
        let conn = sqlite::open(path).with_context(|| damaged(&location))?;
        Ok(Self {
            db: Db {
                backend: Backend::Sqlite(conn),
            },
            location,
            created,
            _lock: Some(lock),
        })
    }

    #[cfg(feature = "postgres")]
    fn connect(location: &Location, url: &str) -> Result<Self> {
        let client = postgres::connect(url)
            .with_context(|| format!("cannot connect to the store {location}"))?;
        Ok(Self {
            db: Db {
                backend: Backend::Postgres(Box::new(client)),
            },
            location: location.clone(),
            created: false,
            _lock: None,
        })
    }

    #[cfg(not(feature = "postgres"))]
    fn connect(location: &Location, _url: &str) -> Result<Self> {
        bail!(crate::error::UsageError(format!(
            "the store {location} is a PostgreSQL database, but this readmore was built \
             without PostgreSQL support (build it with `--features postgres`)"
        )))
    }

    /// Whether this open created the store (no file, an empty one, or an
    /// empty database).
    pub fn created(&self) -> bool {
        self.created
    }

    /// Opens an existing store, migrated by [`Store::open`], for the small
    /// writes that run beside a build without its lock: a worker's
    /// heartbeat (a SQLite file's lock would hold up every build).
    pub fn open_beside(location: &Location) -> Result<Self> {
        match location {
            Location::File(path) => Ok(Self {
                db: Db {
                    backend: Backend::Sqlite(
                        sqlite::open(path).with_context(|| damaged(location))?,
                    ),
                },
                location: location.clone(),
                created: false,
                _lock: None,
            }),
            Location::Postgres(url) => Self::connect(location, url),
        }
    }

    /// Opens an existing store for reading, without the lock.
    pub fn open_read_only(location: &Location) -> Result<Self> {
        let store = match location {
            Location::File(path) => {
                if !path.exists() {
                    bail!(
                        "no store at {} (run `readmore build` first)",
                        path.display()
                    );
                }
                let conn = sqlite::open_read_only(path).with_context(|| damaged(location))?;
                Self {
                    db: Db {
                        backend: Backend::Sqlite(conn),
                    },
                    location: location.clone(),
                    created: false,
                    _lock: None,
                }
            }
            Location::Postgres(url) => {
                let store = Self::connect(location, url)?;
                store.db.batch("SET default_transaction_read_only = on")?;
                store
            }
        };
        let version = schema::version(&store.db).with_context(|| damaged(location))?;
        if version == 0 && location.file().is_none() {
            bail!("no store in {location} (run `readmore build` first)");
        }
        if (0..SCHEMA_VERSION).contains(&version) {
            bail!(
                "store {location} was written by an older readmore (schema {version}; this one reads \
                 {SCHEMA_VERSION}): run `readmore build` once to migrate it"
            );
        }
        if version != SCHEMA_VERSION {
            bail!(incompatible(location, version));
        }
        Ok(store)
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The connection, for reads and single-statement writes.
    pub fn conn(&self) -> &Db {
        &self.db
    }

    /// Starts a write transaction.
    pub fn transaction(&mut self) -> Result<Tx<'_>> {
        self.db.begin()
    }

    /// Takes `lock`, waiting up to `timeout` for another process to let
    /// it go; fails with [`crate::error::Busy`] after that.
    pub fn hold(&self, lock: Lock, timeout: Duration) -> Result<()> {
        match &self.db.backend {
            // The lock file, taken on open, holds the whole store.
            Backend::Sqlite(_) => {
                let _ = (lock, timeout);
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => {
                let shown = format!("the lock on {lock} in {}", self.location);
                postgres::hold(&self.db, &lock.to_string(), &shown, timeout)
            }
        }
    }

    /// Lets `lock` go before the connection ends.
    pub fn release(&self, lock: Lock) -> Result<()> {
        match &self.db.backend {
            Backend::Sqlite(_) => {
                let _ = lock;
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => postgres::unlock(&self.db, &lock.to_string()),
        }
    }

    /// Records a finished (or failed) build.
    pub fn record_run(&self, run: &Run) -> Result<()> {
        self.db.execute(
            "INSERT INTO runs (clock, finished, outcome, articles, new, changed, moved, written, unchanged, warnings, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            args![
                run.clock,
                run.finished,
                &run.outcome,
                run.articles as i64,
                run.merged.new as i64,
                run.merged.changed as i64,
                run.merged.moved as i64,
                run.written as i64,
                run.unchanged as i64,
                run.warnings as i64,
                run.error.as_deref()
            ],
        )?;
        Ok(())
    }

    pub fn last_run(&self) -> Result<Option<Run>> {
        let Some(mut r) = self.db.query_opt(
            "SELECT clock, finished, outcome, articles, new, changed, moved, written, unchanged, warnings, error
             FROM runs ORDER BY id DESC LIMIT 1",
            &[],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(Run {
            clock: r.int(0)?,
            finished: r.int(1)?,
            outcome: r.text(2)?,
            articles: r.int(3)? as usize,
            merged: Merged {
                new: r.int(4)? as usize,
                changed: r.int(5)? as usize,
                moved: r.int(6)? as usize,
            },
            written: r.int(7)? as usize,
            unchanged: r.int(8)? as usize,
            warnings: r.int(9)? as usize,
            error: r.opt_text(10)?,
        }))
    }

    /// Bytes the store takes: a SQLite file with its write-ahead log, or
    /// a PostgreSQL database as the server counts it.
    pub fn size(&self) -> Result<u64> {
        match &self.location {
            Location::File(path) => {
                let mut wal = path.clone().into_os_string();
                wal.push("-wal");
                Ok([path.clone(), PathBuf::from(wal)]
                    .iter()
                    .filter_map(|p| std::fs::metadata(p).ok())
                    .map(|m| m.len())
                    .sum())
            }
            Location::Postgres(_) => {
                let mut row = self
                    .db
                    .query_opt("SELECT pg_database_size(current_database())", &[])?
                    .context("pg_database_size answers")?;
                Ok(row.int(0)? as u64)
            }
        }
    }

    /// Article count per section, largest first.
    pub fn section_counts(&self) -> Result<Vec<(String, usize)>> {
        self.db
            .query(
                "SELECT section, COUNT(*) FROM articles GROUP BY section ORDER BY COUNT(*) DESC, section",
                &[],
            )?
            .into_iter()
            .map(|mut r| Ok((r.text(0)?, r.int(1)? as usize)))
            .collect()
    }
}

/// SHA-256 of `bytes` in lowercase hex: content hashes, output digests,
/// signatures.
pub fn digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A hash's bytes as lowercase hex.
pub fn hex(hash: &[u8]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
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
pub fn rehash(tx: &Tx) -> Result<usize> {
    let stale = tx.query(
        "SELECT key, content FROM articles WHERE hash_version < $1 OR hash_version > $1",
        args![PROJECTION_VERSION],
    )?;
    let count = stale.len();
    for mut row in stale {
        let (key, content) = (row.text(0)?, row.text(1)?);
        let article: Article = serde_json::from_str(&content)
            .with_context(|| format!("the store holds unreadable content for {key:?}"))?;
        tx.execute(
            "UPDATE articles SET hash = $2, hash_version = $3 WHERE key = $1",
            args![&key, content_hash(&article), PROJECTION_VERSION],
        )?;
    }
    Ok(count)
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
///
/// The same as one [`Merge`] given every article at once.
pub fn merge(tx: &Tx, incoming: &[Incoming], now: i64) -> Result<Merged> {
    let mut merge = Merge::begin(tx, now)?;
    merge.add(tx, incoming)?;
    merge.finish(tx)
}

/// A run's merge, batch by batch, in page order, with the dates of
/// [`merge`]: the run's articles can be read, merged and dropped a batch
/// at a time, so a run holds no more than a batch of article text.
///
/// The clock-dated articles are dated as they come, a second apart
/// downwards from the run's clock. That is [`merge`]'s dating unless the
/// history already holds dates within that many seconds of the clock
/// (a fixed clock, or runs close together), which only the run's last
/// batch can tell: then [`Merge::finish`] dates them again, downwards
/// from a second per article above the latest stored date, in the same
/// order. Either way every clock date is free of every date stored
/// before the run and of the page-given dates of the run's articles
/// merged before it.
pub struct Merge {
    now: i64,
    generation: i64,
    /// The latest `updated` stored before the run.
    latest: Option<i64>,
    /// The next clock date to try.
    stamp: i64,
    /// The clock-dated articles in page order, and whether each is new
    /// (none kept when the history was empty: nothing to date again).
    clocked: Vec<(String, bool)>,
    merged: Merged,
}

impl Merge {
    /// Starts the merge of a run at clock `now`.
    pub fn begin(tx: &Tx, now: i64) -> Result<Self> {
        let latest = match tx.query_opt("SELECT MAX(updated) FROM articles", &[])? {
            Some(mut r) => r.opt_int(0)?,
            None => None,
        };
        Ok(Self {
            now,
            generation: generation(tx)?,
            latest,
            stamp: now,
            clocked: Vec::new(),
            merged: Merged::default(),
        })
    }

    /// Merges the next batch of the run's articles.
    pub fn add(&mut self, tx: &Tx, incoming: &[Incoming]) -> Result<()> {
        let (now, generation) = (self.now, self.generation);
        for item in incoming {
            let a = item.article;
            let content = serde_json::to_string(a)?;
            let hash = content_hash(a);
            let known = match tx.query_opt(
                "SELECT hash, section FROM articles WHERE key = $1",
                args![&a.key],
            )? {
                Some(mut r) => Some((r.text(0)?, r.text(1)?)),
                None => None,
            };
            match known {
                None => {
                    let date = match a.date {
                        Some(date) => clock::clamp_secs(date.timestamp().min(now)),
                        None => self.next_stamp(tx, &a.key, true)?,
                    };
                    tx.execute(
                        "INSERT INTO articles (key, slug, section, title, content, hash, first_seen, updated, guid, hash_version, changed)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)",
                        args![&a.key, &a.slug, item.section, &a.title, content, hash, date, own_id(tx, a)?, PROJECTION_VERSION, generation],
                    )?;
                    self.merged.new += 1;
                }
                Some((old_hash, old_section)) if old_hash != hash => {
                    let date = self.next_stamp(tx, &a.key, false)?;
                    tx.execute(
                        "UPDATE articles SET slug = $2, section = $3, title = $4, content = $5, hash = $6,
                         updated = $7, changed = $8 WHERE key = $1",
                        args![&a.key, &a.slug, item.section, &a.title, content, hash, date, generation],
                    )?;
                    self.merged.changed += 1;
                    self.merged.moved += usize::from(old_section != item.section);
                }
                // Unchanged: its row is rewritten only when it moved.
                Some((_, old_section)) => {
                    if old_section != item.section {
                        tx.execute(
                            "UPDATE articles SET section = $2, changed = $3 WHERE key = $1",
                            args![&a.key, item.section, generation],
                        )?;
                        self.merged.moved += 1;
                    }
                }
            }
            mark_seen(tx, &a.key, now)?;
        }
        Ok(())
    }

    /// The clock date of the next clock-dated article, `key`.
    fn next_stamp(&mut self, tx: &Tx, key: &str, new: bool) -> Result<i64> {
        let date = free_stamp(tx, self.stamp)?;
        self.stamp = date - 1;
        // Into an empty history the dates given as they come are final.
        if self.latest.is_some() {
            self.clocked.push((key.to_string(), new));
        }
        Ok(date)
    }

    /// Ends the merge: dates the clock-dated articles again when the
    /// stored history reaches within their count of seconds of the clock.
    pub fn finish(self, tx: &Tx) -> Result<Merged> {
        let count = self.clocked.len() as i64;
        let Some(start) = self.latest.map(|l| l + count).filter(|&s| s > self.now) else {
            return Ok(self.merged);
        };
        // Out of the way first, so that no date this run gave is taken
        // for one stored before it.
        for (key, new) in &self.clocked {
            redate(tx, key, *new, UNDATED)?;
        }
        let mut stamp = start;
        for (key, new) in &self.clocked {
            let date = free_stamp(tx, stamp)?;
            stamp = date - 1;
            redate(tx, key, *new, date)?;
        }
        Ok(self.merged)
    }
}

/// Sets the clock date of a run's article: published and updated when it
/// is new, updated when it was edited.
fn redate(tx: &Tx, key: &str, new: bool, date: i64) -> Result<()> {
    let sql = match new {
        true => "UPDATE articles SET first_seen = $2, updated = $2 WHERE key = $1",
        false => "UPDATE articles SET updated = $2 WHERE key = $1",
    };
    tx.execute(sql, args![key, date])?;
    Ok(())
}

/// Records that the article `key` was read on a page at `now`.
fn mark_seen(tx: &Tx, key: &str, now: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO seen (key, last_seen) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen",
        args![key, now],
    )?;
    Ok(())
}

/// A date no article has, for [`Merge::finish`] to move the run's clock
/// dates out of the way while it dates them again.
const UNDATED: i64 = clock::EARLIEST - 1;

/// `stamp`, or the nearest earlier second no stored article is published
/// or updated at — rows inserted earlier in the same run included, so a
/// clock-dated article never shares a second with a page-dated one.
fn free_stamp(tx: &Tx, mut stamp: i64) -> Result<i64> {
    while stamp > clock::EARLIEST
        && tx.exists(
            "SELECT 1 FROM articles WHERE updated = $1 OR first_seen = $1 LIMIT 1",
            args![stamp],
        )?
    {
        stamp -= 1;
    }
    Ok(stamp)
}

/// The id a new article keeps for good: its permalink, unless another
/// article already has that as its id (items of one feed may share a
/// link); then none, and its id is derived from its key.
fn own_id<'a>(tx: &Tx, article: &'a Article) -> Result<Option<&'a str>> {
    let Some(link) = article.permalink.as_deref() else {
        return Ok(None);
    };
    let taken = tx.exists(
        "SELECT 1 FROM articles WHERE guid = $1 LIMIT 1",
        args![link],
    )?;
    Ok((!taken).then_some(link))
}

/// The newest `limit` articles of a section (all sections for `None`),
/// published at or after `since`, newest first.
pub fn members(db: &Db, section: Option<&str>, since: i64, limit: usize) -> Result<Vec<Member>> {
    let rows = match section {
        Some(section) => db.query(
            "SELECT key, hash, section, title, first_seen, updated, guid FROM articles
             WHERE section = $1 AND first_seen >= $2 ORDER BY first_seen DESC, key LIMIT $3",
            args![section, since, limit as i64],
        )?,
        None => db.query(
            "SELECT key, hash, section, title, first_seen, updated, guid FROM articles
             WHERE first_seen >= $1 ORDER BY first_seen DESC, key LIMIT $2",
            args![since, limit as i64],
        )?,
    };
    rows.into_iter().map(member).collect()
}

/// The first `limit` stored articles in key order after the key `after`
/// (from the first when `None`): the article pages, a chunk at a time,
/// through the primary key.
pub fn members_after(db: &Db, after: Option<&str>, limit: usize) -> Result<Vec<Member>> {
    let rows = match after {
        Some(after) => db.query(
            "SELECT key, hash, section, title, first_seen, updated, guid FROM articles
             WHERE key > $1 ORDER BY key LIMIT $2",
            args![after, limit as i64],
        )?,
        None => db.query(
            "SELECT key, hash, section, title, first_seen, updated, guid FROM articles
             ORDER BY key LIMIT $1",
            args![limit as i64],
        )?,
    };
    rows.into_iter().map(member).collect()
}

fn member(mut r: Row) -> Result<Member> {
    Ok(Member {
        key: r.text(0)?,
        hash: r.text(1)?,
        section: r.text(2)?,
        title: r.text(3)?,
        published: r.int(4)?,
        updated: r.int(5)?,
        guid: r.opt_text(6)?,
    })
}

/// The stored article of `key`.
pub fn article(db: &Db, key: &str) -> Result<Article> {
    let mut row = db
        .query_opt("SELECT content FROM articles WHERE key = $1", args![key])?
        .with_context(|| format!("the store holds no article {key:?}"))?;
    serde_json::from_str(&row.text(0)?)
        .with_context(|| format!("store holds unreadable content for {key:?}"))
}

/// Every stored article with its section, for reclassification.
pub fn all_articles(tx: &Tx) -> Result<Vec<(Article, String)>> {
    tx.query("SELECT content, section FROM articles", &[])?
        .into_iter()
        .map(|mut r| {
            let article =
                serde_json::from_str(&r.text(0)?).context("store holds unreadable content")?;
            Ok((article, r.text(1)?))
        })
        .collect()
}

pub fn set_section(tx: &Tx, key: &str, section: &str) -> Result<()> {
    tx.execute(
        "UPDATE articles SET section = $2 WHERE key = $1",
        args![key, section],
    )?;
    stamp_changed(tx, key, generation(tx)?)
}

/// Starts a new generation of the history: what this transaction changes
/// in a way a reader can see (new, edited, moved or pruned articles) is
/// stamped with it, so the outputs step can ask what changed since the
/// generation an output directory was last brought in line with
/// ([`changed_members`], [`gone_since`]). Returns the new generation.
pub fn next_generation(tx: &Tx) -> Result<i64> {
    let next = generation(tx)? + 1;
    set_meta(tx, "generation", &next.to_string())?;
    Ok(next)
}

/// The generation of the last committed history step (0 for none).
pub fn generation(db: &Db) -> Result<i64> {
    int_meta(db, "generation")
}

fn int_meta(db: &Db, name: &str) -> Result<i64> {
    Ok(meta(db, name)?.map_or(Ok(0), |g| g.parse())?)
}

fn stamp_changed(tx: &Tx, key: &str, generation: i64) -> Result<()> {
    tx.execute(
        "UPDATE articles SET changed = $2 WHERE key = $1",
        args![key, generation],
    )?;
    Ok(())
}

/// The articles new, edited or moved after generation `since`, in key
/// order. (Sorted here, not by the query: asked for key order, SQLite
/// walks the whole table in key order, reading every article's content,
/// rather than the few rows the `changed` index finds.)
pub fn changed_members(db: &Db, since: i64) -> Result<Vec<Member>> {
    let mut members = db
        .query(
            "SELECT key, hash, section, title, first_seen, updated, guid FROM articles
             WHERE changed > $1",
            args![since],
        )?
        .into_iter()
        .map(member)
        .collect::<Result<Vec<_>>>()?;
    members.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(members)
}

/// Keys of the articles pruned after generation `since`, as far back as
/// [`forget_gone`] kept them: `None` when some may have been forgotten.
pub fn gone_since(db: &Db, since: i64) -> Result<Option<Vec<String>>> {
    if since < int_meta(db, "gone_kept_from")? {
        return Ok(None);
    }
    // Sorted here, for the `changed` index (see `changed_members`).
    let rows = db.query("SELECT key FROM gone WHERE changed > $1", args![since])?;
    let mut keys = rows
        .into_iter()
        .map(|mut r| r.text(0))
        .collect::<Result<Vec<_>>>()?;
    keys.sort();
    Ok(Some(keys))
}

/// Forgets the pruned keys of generations up to `upto` (an output directory
/// is in line with it).
pub fn forget_gone(tx: &Tx, upto: i64) -> Result<()> {
    tx.execute("DELETE FROM gone WHERE changed <= $1", args![upto])?;
    let kept_from = int_meta(tx, "gone_kept_from")?.max(upto);
    set_meta(tx, "gone_kept_from", &kept_from.to_string())
}

/// How many articles the store holds.
pub fn article_count(db: &Db) -> Result<usize> {
    let mut row = db
        .query_opt("SELECT COUNT(*) FROM articles", &[])?
        .context("the store answered no row")?;
    Ok(row.int(0)? as usize)
}

pub fn meta(db: &Db, name: &str) -> Result<Option<String>> {
    match db.query_opt("SELECT value FROM meta WHERE name = $1", args![name])? {
        Some(mut r) => Ok(Some(r.text(0)?)),
        None => Ok(None),
    }
}

pub fn set_meta(tx: &Tx, name: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO meta (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        args![name, value],
    )?;
    Ok(())
}

/// The output records of the output directory `dir` (canonical): path
/// relative to it → what was last written there.
pub fn outputs(db: &Db, dir: &str) -> Result<HashMap<String, Output>> {
    db.query(
        "SELECT path, kind, signature, digest, size, mtime_ns, etag FROM outputs WHERE dir = $1",
        args![dir],
    )?
    .into_iter()
    .map(output_row)
    .collect()
}

/// The output records of `dir` but its article pages: the few files every
/// run checks.
pub fn site_outputs(db: &Db, dir: &str) -> Result<HashMap<String, Output>> {
    db.query(
        "SELECT path, kind, signature, digest, size, mtime_ns, etag FROM outputs
         WHERE dir = $1 AND kind != 'page'",
        args![dir],
    )?
    .into_iter()
    .map(output_row)
    .collect()
}

/// The output record of `path` in `dir`, if there is one.
pub fn output(db: &Db, dir: &str, path: &str) -> Result<Option<Output>> {
    db.query_opt(
        "SELECT path, kind, signature, digest, size, mtime_ns, etag FROM outputs
         WHERE dir = $1 AND path = $2",
        args![dir, path],
    )?
    .map(|r| output_row(r).map(|(_, o)| o))
    .transpose()
}

fn output_row(mut r: Row) -> Result<(String, Output)> {
    Ok((
        r.text(0)?,
        Output {
            kind: r.text(1)?,
            signature: r.text(2)?,
            digest: r.text(3)?,
            size: r.int(4)? as u64,
            mtime_ns: r.int(5)?,
            etag: r.opt_text(6)?,
        },
    ))
}

/// Records what was written to `path` in `dir`.
pub fn set_output(db: &Db, dir: &str, path: &str, output: &Output) -> Result<()> {
    db.execute(
        "INSERT INTO outputs (dir, path, kind, signature, digest, size, mtime_ns, etag)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (dir, path) DO UPDATE SET kind = excluded.kind,
         signature = excluded.signature, digest = excluded.digest, size = excluded.size,
         mtime_ns = excluded.mtime_ns, etag = excluded.etag",
        args![
            dir,
            path,
            &output.kind,
            &output.signature,
            &output.digest,
            output.size as i64,
            output.mtime_ns,
            output.etag.as_deref()
        ],
    )?;
    Ok(())
}

pub fn forget_output(db: &Db, dir: &str, path: &str) -> Result<()> {
    db.execute(
        "DELETE FROM outputs WHERE dir = $1 AND path = $2",
        args![dir, path],
    )?;
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
pub fn queue_ping(db: &Db, topic: &str, hub: &str, now: i64) -> Result<()> {
    db.execute(
        "INSERT INTO pings (topic, hub, queued, next_try) VALUES ($1, $2, $3, $3)
         ON CONFLICT (topic, hub) DO NOTHING",
        args![topic, hub, now],
    )?;
    Ok(())
}

const PINGS: &str = "SELECT topic, hub, attempts, next_try, last_error FROM pings";

/// Every queued ping, oldest first.
pub fn pings(db: &Db) -> Result<Vec<Ping>> {
    db.query(&format!("{PINGS} ORDER BY queued, topic, hub"), &[])?
        .into_iter()
        .map(ping)
        .collect()
}

/// Claims the pings due at `due_at` (all of them for `None`), oldest
/// first, for the transaction `tx` (from [`Db::begin_claim`]): until it
/// ends, another process claiming pings skips these, so no ping is sent
/// twice at once; if this process dies, they are claimable again.
pub fn claim_pings(tx: &Tx, due_at: Option<i64>) -> Result<Vec<Ping>> {
    let rows = match due_at {
        Some(at) => tx.query(
            &format!(
                "{PINGS} WHERE next_try <= $1 ORDER BY queued, topic, hub{}",
                tx.for_update()
            ),
            args![at],
        )?,
        None => tx.query(
            &format!("{PINGS} ORDER BY queued, topic, hub{}", tx.for_update()),
            &[],
        )?,
    };
    rows.into_iter().map(ping).collect()
}

fn ping(mut r: Row) -> Result<Ping> {
    Ok(Ping {
        topic: r.text(0)?,
        hub: r.text(1)?,
        attempts: u32::try_from(r.int(2)?).unwrap_or(u32::MAX),
        next_try: r.int(3)?,
        last_error: r.opt_text(4)?,
    })
}

pub fn ping_delivered(db: &Db, ping: &Ping) -> Result<()> {
    db.execute(
        "DELETE FROM pings WHERE topic = $1 AND hub = $2",
        args![&ping.topic, &ping.hub],
    )?;
    Ok(())
}

pub fn ping_failed(db: &Db, ping: &Ping, error: &str, next_try: i64) -> Result<()> {
    db.execute(
        "UPDATE pings SET attempts = attempts + 1, last_error = $3, next_try = $4 WHERE topic = $1 AND hub = $2",
        args![&ping.topic, &ping.hub, error, next_try],
    )?;
    Ok(())
}

/// Every stored article's key and id link (`guid`), for recognising an
/// article a new source shows again.
pub fn ids(db: &Db) -> Result<Vec<(String, Option<String>)>> {
    db.query("SELECT key, guid FROM articles", &[])?
        .into_iter()
        .map(|mut r| Ok((r.text(0)?, r.opt_text(1)?)))
        .collect()
}

/// What the store remembers of a source for its next conditional GET:
/// the `ETag` and `Last-Modified` the page last parsed was served with
/// (for a file, its fingerprint as the `etag`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The validators of the last page parsed from each source, by its URL
/// (a file's `file://` key): `ETag` (a file's fingerprint), `Last-Modified`
/// (a file's stat stamp). Only of the sources checked at or after `since`
/// (the run's [`prune`] cutoff): the articles of a source not checked for
/// longer may have been pruned, so it must be read again in full, not
/// found unchanged with articles the store no longer holds.
pub fn validators(db: &Db, since: i64) -> Result<HashMap<String, Validators>> {
    db.query(
        "SELECT url, etag, last_modified FROM sources WHERE checked >= $1",
        args![since],
    )?
    .into_iter()
    .map(|mut r| {
        let validators = Validators {
            etag: r.opt_text(1)?,
            last_modified: r.opt_text(2)?,
        };
        Ok((r.text(0)?, validators))
    })
    .collect()
}

/// Records the page parsed from `url`: its validators and its articles.
pub fn set_source(
    db: &Db,
    url: &str,
    etag: Option<&str>,
    modified: Option<&str>,
    keys: &[String],
    now: i64,
) -> Result<()> {
    db.execute(
        "INSERT INTO sources (url, etag, last_modified, checked, keys) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,
         last_modified = excluded.last_modified, checked = excluded.checked, keys = excluded.keys",
        args![url, etag, modified, now, serde_json::to_string(keys)?],
    )?;
    Ok(())
}

/// A `304` from `url` (or an unchanged file): its articles are still on
/// the page, seen at `now`. One row is written, the source's `checked`
/// date, which counts as the `last_seen` of each of its articles (see
/// [`prune`]); `stamp`, when given, replaces a file's stat stamp.
/// Returns the keys of its articles: all held by the store, since
/// [`validators`] offers only sources checked within the prune cutoff.
pub fn source_unchanged(db: &Db, url: &str, stamp: Option<&str>, now: i64) -> Result<Vec<String>> {
    let keys = match db.query_opt("SELECT keys FROM sources WHERE url = $1", args![url])? {
        Some(mut r) => r.text(0)?,
        None => "[]".to_string(),
    };
    db.execute(
        "UPDATE sources SET checked = $2, last_modified = COALESCE($3, last_modified)
         WHERE url = $1",
        args![url, now, stamp],
    )?;
    Ok(serde_json::from_str(&keys).unwrap_or_default())
}

/// Deletes the articles not seen on a page since `cutoff` that no feed
/// shows any more. An article was last seen at the later of its own
/// `last_seen` (when it was last read) and the `checked` date of the
/// sources that list it (a `304` or an unchanged file marks only its
/// source). So only the few rows of `seen` older than the cutoff are walked
/// (through its index), and the sources' key lists are read only when
/// there are such rows; one still listed by a source checked since takes
/// that date, so it is not walked again for `history_days`.
pub fn prune(tx: &Tx, cutoff: i64, shown: &HashSet<&str>) -> Result<Vec<String>> {
    let stale = tx.query("SELECT key FROM seen WHERE last_seen < $1", args![cutoff])?;
    if stale.is_empty() {
        return Ok(Vec::new());
    }
    let listed = listed_since(tx, cutoff)?;
    let generation = generation(tx)?;
    let mut pruned = Vec::new();
    for mut row in stale {
        let key = row.text(0)?;
        if let Some(&checked) = listed.get(&key) {
            mark_seen(tx, &key, checked)?;
        } else if !shown.contains(key.as_str()) {
            tx.execute("DELETE FROM articles WHERE key = $1", args![&key])?;
            tx.execute("DELETE FROM seen WHERE key = $1", args![&key])?;
            tx.execute(
                "INSERT INTO gone (key, changed) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET changed = excluded.changed",
                args![&key, generation],
            )?;
            pruned.push(key);
        }
    }
    Ok(pruned)
}

/// The keys listed by the sources checked at or after `since`, each with
/// the latest `checked` date among them.
fn listed_since(db: &Db, since: i64) -> Result<HashMap<String, i64>> {
    let mut listed = HashMap::new();
    for mut row in db.query(
        "SELECT keys, checked FROM sources WHERE checked >= $1",
        args![since],
    )? {
        let (keys, checked) = (row.text(0)?, row.int(1)?);
        for key in serde_json::from_str::<Vec<String>>(&keys).unwrap_or_default() {
            let date = listed.entry(key).or_insert(checked);
            *date = (*date).max(checked);
        }
    }
    Ok(listed)
}

fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db.with_file_name(name)
}

/// What to say when the store cannot be read: which store, and the way
/// out.
fn damaged(location: &Location) -> String {
    match location {
        Location::File(path) => format!(
            "cannot use the store {}: if it is damaged, move it aside (keep it: \
             `sqlite3 FILE .recover` may save its history) and run `readmore build` again, \
             which starts a new store from the sources (README: \"Recovering a lost store\")",
            path.display()
        ),
        Location::Postgres(_) => format!("cannot use the store {location}"),
    }
}

fn incompatible(location: &Location, version: i64) -> String {
    format!(
        "incompatible store {location}: schema version {version}, this readmore reads version {SCHEMA_VERSION} \
         (written by a newer readmore? upgrade readmore, or point --state elsewhere)"
    )
}

#[cfg(test)]
pub(crate) mod tests;
