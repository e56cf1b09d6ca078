//! The store's test suite, run against every backend: SQLite always;
//! PostgreSQL too when the crate is built with the `postgres` feature and
//! `READMORE_TEST_POSTGRES` names a server (`postgres://user@host/db`),
//! each store in a schema of its own, dropped afterwards. With
//! `READMORE_TEST_POSTGRES_REQUIRED` set (as `.ci/run` does), a missing
//! server fails the suite instead of leaving PostgreSQL untested.

use std::collections::HashSet;
use std::time::Duration;

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

/// A place for a new store, cleaned up when dropped.
pub(crate) struct Place {
    pub(crate) location: Location,
    _dir: tempfile::TempDir,
    #[cfg(feature = "postgres")]
    _schema: Option<pg::Schema>,
}

impl Place {
    pub(crate) fn open(&self) -> Store {
        Store::open(&self.location, Duration::ZERO).unwrap()
    }

    /// A connection to the store's database that neither migrates nor
    /// locks, to set up old or foreign stores.
    fn bare(&self) -> Db {
        match &self.location {
            Location::File(path) => Db {
                backend: Backend::Sqlite(sqlite::open(path).unwrap()),
            },
            #[cfg(feature = "postgres")]
            Location::Postgres(url) => Db {
                backend: Backend::Postgres(Box::new(super::postgres::connect(url).unwrap())),
            },
            #[cfg(not(feature = "postgres"))]
            Location::Postgres(_) => unreachable!("PostgreSQL is only tested with the feature"),
        }
    }
}

/// A new, empty place for a store on every backend under test.
pub(crate) fn places() -> Vec<Place> {
    let dir = tempfile::tempdir().unwrap();
    let mut places = vec![Place {
        location: Location::File(dir.path().join("s.db")),
        _dir: dir,
        #[cfg(feature = "postgres")]
        _schema: None,
    }];
    places.extend(postgres_place());
    places
}

#[cfg(feature = "postgres")]
pub(crate) fn postgres_place() -> Option<Place> {
    let schema = pg::Schema::new()?;
    Some(Place {
        location: Location::Postgres(schema.url.clone()),
        _dir: tempfile::tempdir().unwrap(),
        _schema: Some(schema),
    })
}

#[cfg(not(feature = "postgres"))]
pub(crate) fn postgres_place() -> Option<Place> {
    assert!(
        std::env::var_os("READMORE_TEST_POSTGRES_REQUIRED").is_none(),
        "READMORE_TEST_POSTGRES_REQUIRED is set: run the suite with --features postgres"
    );
    None
}

#[cfg(feature = "postgres")]
mod pg {
    use super::super::postgres;

    /// A schema of its own on the test server, dropped when done.
    pub struct Schema {
        server: String,
        name: String,
        /// The server's URL with this schema as the search path.
        pub url: String,
    }

    impl Schema {
        /// `None` when no server is named (and none is required).
        pub fn new() -> Option<Self> {
            let Ok(server) = std::env::var("READMORE_TEST_POSTGRES") else {
                assert!(
                    std::env::var_os("READMORE_TEST_POSTGRES_REQUIRED").is_none(),
                    "READMORE_TEST_POSTGRES_REQUIRED is set but READMORE_TEST_POSTGRES is not"
                );
                return None;
            };
            let name = format!("t{:016x}", fastrand::u64(..));
            postgres::connect(&server)
                .unwrap()
                .batch(&format!("CREATE SCHEMA {name}"))
                .unwrap();
            let join = if server.contains('?') { '&' } else { '?' };
            let url = format!("{server}{join}options=-c%20search_path%3D{name}");
            Some(Self { server, name, url })
        }
    }

    impl Drop for Schema {
        fn drop(&mut self) {
            if let Ok(client) = postgres::connect(&self.server) {
                let _ = client.batch(&format!("DROP SCHEMA {} CASCADE", self.name));
            }
        }
    }
}

/// Merges `articles` into section "x" at `now`.
fn merge_x(tx: &Tx, articles: &[&Article], now: i64) -> Merged {
    let incoming: Vec<Incoming> = articles
        .iter()
        .map(|a| Incoming {
            article: a,
            section: "x",
        })
        .collect();
    merge(tx, &incoming, now).unwrap()
}

fn dates(db: &Db, key: &str) -> (i64, i64) {
    let mut row = db
        .query_opt(
            "SELECT first_seen, updated FROM articles WHERE key = $1",
            args![key],
        )
        .unwrap()
        .unwrap();
    (row.int(0).unwrap(), row.int(1).unwrap())
}

#[test]
fn merge_dates_new_changed_and_unchanged_articles() {
    for place in places() {
        let mut store = place.open();
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
        tx.commit().unwrap();
        let members = members(store.conn(), Some("x"), 0, 10).unwrap();
        let keys: Vec<&str> = members.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["c", "b"], "{}: newest first", place.location);
    }
}

#[test]
fn a_fixed_clock_still_gives_distinct_later_dates() {
    for place in places() {
        let mut store = place.open();
        let (a, b) = (article("a", "one"), article("b", "two"));
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&a], 1000);
        merge_x(&tx, &[&b], 1000);
        assert_eq!(dates(&tx, "b"), (1001, 1001), "{}", place.location);
    }
}

/// Guards the one migration history: a store at version 1 reaches the
/// current schema on either backend.
#[test]
fn a_first_version_store_is_migrated() {
    for place in places() {
        {
            let bare = place.bare();
            let tx = bare.begin().unwrap();
            let sql = match &place.location {
                Location::File(_) => schema::MIGRATIONS[0].to_string(),
                Location::Postgres(_) => schema::postgres_ddl(schema::MIGRATIONS[0]),
            };
            tx.batch(&sql).unwrap();
            schema::set_version(&tx, 1).unwrap();
            tx.commit().unwrap();
        }
        let store = place.open();
        assert!(!store.created(), "{}", place.location);
        assert_eq!(schema::version(store.conn()).unwrap(), SCHEMA_VERSION);
        queue_ping(store.conn(), "https://a/x.atom", "https://hub/", 5).unwrap();
        queue_ping(store.conn(), "https://a/x.atom", "https://hub/", 9).unwrap();
        let queued = pings(store.conn()).unwrap();
        assert_eq!(queued.len(), 1, "one ping per topic and hub");
        assert_eq!(queued[0].next_try, 5);
    }
}

#[test]
fn newer_schema_is_refused() {
    for place in places() {
        {
            let bare = place.bare();
            schema::set_version(&bare, 99).unwrap();
        }
        let err = Store::open(&place.location, Duration::ZERO).err().unwrap();
        assert!(format!("{err:#}").contains("schema version 99"), "{err:#}");
    }
}

#[test]
fn a_new_store_says_it_was_created() {
    for place in places() {
        assert!(place.open().created(), "{}", place.location);
        assert!(!place.open().created(), "{}", place.location);
    }
}

#[test]
fn second_sqlite_writer_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = Location::File(dir.path().join("s.db"));
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
    for place in places() {
        let mut store = place.open();
        let mut dated = article("a", "one");
        dated.date = chrono::DateTime::from_timestamp(1000, 0);
        let undated = article("b", "two");
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&dated, &undated], 1000);
        assert_eq!(dates(&tx, "a"), (1000, 1000));
        assert_eq!(dates(&tx, "b"), (999, 999), "{}", place.location);
    }
}

/// Guards content identity: the page header's author is context, not
/// content; a page read without it changes nothing and loses no author.
#[test]
fn reading_without_the_page_author_is_not_a_change() {
    for place in places() {
        let mut store = place.open();
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
}

/// Guards re-hashing: hashes of another projection version are
/// recomputed from the stored content without a change of date.
#[test]
fn a_new_projection_version_rehashes_without_a_change() {
    for place in places() {
        let mut store = place.open();
        let a = article("a", "one");
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&a], 1000);
        tx.execute(
            "UPDATE articles SET hash = 'whole-value-hash', hash_version = 0",
            &[],
        )
        .unwrap();
        assert_eq!(rehash(&tx).unwrap(), 1);
        assert_eq!(rehash(&tx).unwrap(), 0, "once");
        assert_eq!(merge_x(&tx, &[&a], 2000).changed, 0);
        assert_eq!(dates(&tx, "a"), (1000, 1000));
    }
}

#[test]
fn prune_keeps_what_feeds_show() {
    for place in places() {
        let mut store = place.open();
        let (a, b) = (article("a", "one"), article("b", "two"));
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&a, &b], 1000);
        assert_eq!(prune(&tx, 2000, &HashSet::from(["a"])).unwrap(), ["b"]);
        assert_eq!(members(&tx, None, 0, 10).unwrap().len(), 1);
        assert_eq!(super::article(&tx, "a").unwrap().body, a.body);
    }
}

/// Guards the output-set records: one row per directory and path,
/// replaced in place, forgotten on request.
#[test]
fn output_records_are_replaced_and_forgotten() {
    for place in places() {
        let store = place.open();
        let output = |signature: &str| Output {
            kind: "feed".into(),
            signature: signature.into(),
            digest: "d".into(),
            size: 3,
            mtime_ns: 7,
            etag: Some(format!("\"{signature}\"")),
        };
        let db = store.conn();
        set_output(db, "/out", "all.atom", &output("one")).unwrap();
        set_output(db, "/out", "all.atom", &output("two")).unwrap();
        set_output(db, "/other", "all.atom", &output("three")).unwrap();
        let recorded = outputs(db, "/out").unwrap();
        assert_eq!(recorded.len(), 1, "{}", place.location);
        assert_eq!(recorded["all.atom"], output("two"));
        forget_output(db, "/out", "all.atom").unwrap();
        assert!(outputs(db, "/out").unwrap().is_empty());
        assert_eq!(outputs(db, "/other").unwrap().len(), 1);
    }
}

/// Guards the ping queue: due pings are claimed oldest first, a failure
/// keeps its ping with the error and next try, a delivery removes it.
#[test]
fn pings_are_claimed_when_due_and_kept_until_delivered() {
    for place in places() {
        let store = place.open();
        let db = store.conn();
        queue_ping(db, "https://a/x.atom", "https://hub/", 10).unwrap();
        queue_ping(db, "https://a/y.atom", "https://hub/", 20).unwrap();
        let claim = db.begin_claim().unwrap();
        let due = claim_pings(&claim, Some(15)).unwrap();
        assert_eq!(due.len(), 1, "{}", place.location);
        ping_failed(&claim, &due[0], "hub down", 30).unwrap();
        claim.commit().unwrap();
        let claim = db.begin_claim().unwrap();
        let all = claim_pings(&claim, None).unwrap();
        assert_eq!(all.len(), 2);
        let failed = all.iter().find(|p| p.topic.ends_with("x.atom")).unwrap();
        assert_eq!(
            (
                failed.attempts,
                failed.next_try,
                failed.last_error.as_deref()
            ),
            (1, 30, Some("hub down"))
        );
        ping_delivered(&claim, failed).unwrap();
        claim.commit().unwrap();
        assert_eq!(pings(db).unwrap().len(), 1);
    }
}

/// The `last_seen` of an article, as its own row in `seen` holds it.
fn last_seen(db: &Db, key: &str) -> Option<i64> {
    db.query_opt("SELECT last_seen FROM seen WHERE key = $1", args![key])
        .unwrap()
        .map(|mut r| r.int(0).unwrap())
}

/// When a source was last checked (parsed, or found unchanged).
fn checked(db: &Db, url: &str) -> i64 {
    let mut row = db
        .query_opt("SELECT checked FROM sources WHERE url = $1", args![url])
        .unwrap()
        .unwrap();
    row.int(0).unwrap()
}

/// Guards the conditional-GET records of sources: an unchanged source
/// writes its one row (its `checked` date, and a new stamp when given),
/// not a row per article.
#[test]
fn source_validators_and_keys_are_kept() {
    for place in places() {
        let mut store = place.open();
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&article("a", "one"), &article("b", "two")], 1000);
        let keys = ["a".to_string(), "b".to_string()];
        set_source(&tx, "https://s/", Some("\"e1\""), None, &keys, 1000).unwrap();
        set_source(&tx, "https://s/", Some("\"e2\""), Some("Mon"), &keys, 1000).unwrap();
        let known = validators(&tx, 0).unwrap();
        assert_eq!(known.len(), 1, "{}", place.location);
        let s = &known["https://s/"];
        assert_eq!(
            (s.etag.as_deref(), s.last_modified.as_deref()),
            (Some("\"e2\""), Some("Mon"))
        );
        assert_eq!(
            source_unchanged(&tx, "https://s/", None, 5000).unwrap(),
            keys
        );
        assert_eq!(validators(&tx, 0).unwrap()["https://s/"], *s, "kept");
        source_unchanged(&tx, "https://s/", Some("Tue"), 6000).unwrap();
        tx.commit().unwrap();
        let db = store.conn();
        assert_eq!(checked(db, "https://s/"), 6000, "{}", place.location);
        assert_eq!(
            validators(db, 0).unwrap()["https://s/"]
                .last_modified
                .as_deref(),
            Some("Tue")
        );
        assert_eq!(
            last_seen(db, "a"),
            Some(1000),
            "the article's row untouched"
        );
    }
}

/// Guards re-reading a source not checked within the prune cutoff: its
/// articles may have been pruned, so its validators are not offered and
/// it is read again in full instead of found unchanged.
#[test]
fn validators_are_offered_only_for_sources_checked_since_the_cutoff() {
    for place in places() {
        let mut store = place.open();
        let tx = store.transaction().unwrap();
        set_source(&tx, "https://old/", Some("\"o\""), None, &[], 1000).unwrap();
        set_source(&tx, "https://new/", Some("\"n\""), None, &[], 3000).unwrap();
        let offered = validators(&tx, 2000).unwrap();
        assert_eq!(
            offered.keys().collect::<Vec<_>>(),
            ["https://new/"],
            "{}",
            place.location
        );
    }
}

/// Guards pruning by page sightings: an article whose own `last_seen` is
/// old stays while a source checked since the cutoff lists it (and takes
/// that date, so it is not walked again), and goes once no such source
/// lists it and no feed shows it.
#[test]
fn articles_of_a_recently_checked_source_are_not_pruned() {
    for place in places() {
        let mut store = place.open();
        let (a, b, c) = (
            article("a", "one"),
            article("b", "two"),
            article("c", "three"),
        );
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&a, &b, &c], 1000);
        let keys = ["a".to_string()];
        set_source(&tx, "https://s/", None, None, &keys, 1000).unwrap();
        source_unchanged(&tx, "https://s/", None, 5000).unwrap();
        assert_eq!(last_seen(&tx, "a"), Some(1000));
        let shown = HashSet::from(["c"]);
        assert_eq!(
            prune(&tx, 2000, &shown).unwrap(),
            ["b"],
            "{}",
            place.location
        );
        assert_eq!(
            last_seen(&tx, "a"),
            Some(5000),
            "the source's date, taken over"
        );
        assert_eq!(last_seen(&tx, "b"), None, "its seen row goes with it");
        assert_eq!(prune(&tx, 2000, &shown).unwrap(), Vec::<String>::new());
        assert_eq!(prune(&tx, 6000, &shown).unwrap(), ["a"]);
        assert_eq!(members(&tx, None, 0, 10).unwrap().len(), 1, "c is shown");
    }
}

/// Guards the migration to the narrow `seen` table (and the articles'
/// columns reordered after it): a version-8 store's `articles.last_seen`
/// dates move to `seen`, and every other column keeps its value, on
/// either backend.
#[test]
fn last_seen_dates_move_to_their_own_table() {
    for place in places() {
        {
            let bare = place.bare();
            let tx = bare.begin().unwrap();
            for sql in &schema::MIGRATIONS[..8] {
                let sql = match &place.location {
                    Location::File(_) => sql.to_string(),
                    Location::Postgres(_) => schema::postgres_ddl(sql),
                };
                tx.batch(&sql).unwrap();
            }
            tx.execute(
                "INSERT INTO articles (key, slug, section, title, content, hash, first_seen, updated, last_seen)
                 VALUES ('a', 'a', 'x', 'A', '{}', 'h', 10, 20, 30)",
                &[],
            )
            .unwrap();
            schema::set_version(&tx, 8).unwrap();
            tx.commit().unwrap();
        }
        let store = place.open();
        assert_eq!(last_seen(store.conn(), "a"), Some(30), "{}", place.location);
        assert_eq!(dates(store.conn(), "a"), (10, 20));
        let mut row = store
            .conn()
            .query_opt(
                "SELECT slug, section, title, hash, hash_version, guid, changed, content
                 FROM articles WHERE key = 'a'",
                &[],
            )
            .unwrap()
            .unwrap();
        let kept = (
            row.text(0).unwrap(),
            row.text(1).unwrap(),
            row.text(2).unwrap(),
            row.text(3).unwrap(),
            row.int(4).unwrap(),
            row.opt_text(5).unwrap(),
            row.int(6).unwrap(),
            row.text(7).unwrap(),
        );
        assert_eq!(
            kept,
            (
                "a".into(),
                "x".into(),
                "A".into(),
                "h".into(),
                0,
                None,
                0,
                "{}".into()
            )
        );
        assert!(
            store
                .conn()
                .query_opt("SELECT last_seen FROM articles", &[])
                .is_err(),
            "the wide column is gone"
        );
    }
}

#[test]
fn runs_and_section_counts_read_back() {
    for place in places() {
        let mut store = place.open();
        let tx = store.transaction().unwrap();
        merge_x(&tx, &[&article("a", "one"), &article("b", "two")], 1000);
        tx.commit().unwrap();
        let run = Run {
            clock: 1000,
            finished: 1001,
            outcome: "updated".into(),
            articles: 2,
            error: Some("e".into()),
            ..Run::default()
        };
        store.record_run(&run).unwrap();
        assert_eq!(store.last_run().unwrap(), Some(run), "{}", place.location);
        assert_eq!(store.section_counts().unwrap(), [("x".to_string(), 2)]);
        assert!(store.size().unwrap() > 0);
    }
}

/// Guards `status` on either backend: a store opened read-only reads what
/// a build wrote and refuses to write.
#[test]
fn a_read_only_store_reads_and_never_writes() {
    for place in places() {
        let err = Store::open_read_only(&place.location).err().unwrap();
        assert!(format!("{err:#}").contains("no store"), "{err:#}");
        {
            let mut store = place.open();
            let tx = store.transaction().unwrap();
            merge_x(&tx, &[&article("a", "one")], 1000);
            tx.commit().unwrap();
        }
        let store = Store::open_read_only(&place.location).unwrap();
        assert_eq!(store.section_counts().unwrap(), [("x".to_string(), 1)]);
        let write = store.conn().execute("DELETE FROM articles", &[]);
        assert!(write.is_err(), "{}: wrote read-only", place.location);
        assert_eq!(store.section_counts().unwrap().len(), 1);
    }
}

/// Guards credentials: a PostgreSQL URL's password appears in no message,
/// whether the server cannot be reached or this build cannot use one.
#[test]
fn a_postgres_url_never_shows_its_password() {
    let location = Location::parse("postgres://reader:s3cr3t-pw@127.0.0.1:1/feeds");
    assert_eq!(location.to_string(), "postgres://127.0.0.1:1/feeds");
    let err = Store::open(&location, Duration::ZERO).err().unwrap();
    let shown = format!("{err:#} {err:?}");
    assert!(!shown.contains("s3cr3t-pw"), "{shown}");
    assert!(shown.contains("127.0.0.1:1/feeds"), "{shown}");
}

/// What only PostgreSQL has: several processes on one store.
#[cfg(feature = "postgres")]
mod shared {
    use std::collections::HashMap;
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Two connections to one fresh PostgreSQL store, when a server is
    /// under test.
    fn two() -> Option<(Place, Store, Store)> {
        let place = postgres_place()?;
        let (a, b) = (place.open(), place.open());
        Some((place, a, b))
    }

    /// Guards "no ping sent twice": pings one process has claimed are
    /// skipped by another until the claim ends.
    #[test]
    fn pings_claimed_by_one_process_are_skipped_by_another() {
        let Some((_place, a, b)) = two() else { return };
        queue_ping(a.conn(), "https://a/x.atom", "https://hub/", 10).unwrap();
        queue_ping(a.conn(), "https://a/y.atom", "https://hub/", 10).unwrap();
        let claim_a = a.conn().begin_claim().unwrap();
        let mine = claim_pings(&claim_a, None).unwrap();
        assert_eq!(mine.len(), 2);
        let claim_b = b.conn().begin_claim().unwrap();
        assert!(claim_pings(&claim_b, Some(100)).unwrap().is_empty());
        drop(claim_b);
        ping_delivered(&claim_a, &mine[0]).unwrap();
        claim_a.commit().unwrap();
        let claim_b = b.conn().begin_claim().unwrap();
        assert_eq!(claim_pings(&claim_b, Some(100)).unwrap(), mine[1..]);
    }

    /// Guards the advisory locks: one holder per source at a time, other
    /// sources free, and a lock gone with its connection (a dead worker).
    #[test]
    fn a_source_lock_is_exclusive_and_ends_with_its_connection() {
        let Some((_place, a, b)) = two() else { return };
        a.hold(Lock::Source("https://s/one"), Duration::ZERO)
            .unwrap();
        let err = b
            .hold(Lock::Source("https://s/one"), Duration::from_millis(300))
            .unwrap_err();
        assert!(err.is::<Busy>(), "{err:#}");
        b.hold(Lock::Source("https://s/two"), Duration::ZERO)
            .unwrap();
        b.hold(Lock::Publish("/out"), Duration::ZERO).unwrap();
        a.release(Lock::Source("https://s/one")).unwrap();
        b.hold(Lock::Source("https://s/one"), Duration::ZERO)
            .unwrap();
        let err = a.hold(Lock::Publish("/out"), Duration::ZERO).unwrap_err();
        assert!(err.is::<Busy>(), "{err:#}");
        drop(b);
        a.hold(Lock::Publish("/out"), Duration::from_secs(30))
            .unwrap();
    }

    /// A loopback server of `count` RSS feeds at `/feed/N.xml`, each with
    /// two dated items; counts the requests per path.
    fn feeds_server(count: usize) -> (Vec<String>, Arc<Mutex<HashMap<String, usize>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let counted = hits.clone();
        let host = base.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (counted, host) = (counted.clone(), host.clone());
                std::thread::spawn(move || answer(stream, &counted, &host));
            }
        });
        let urls = (0..count).map(|n| format!("{base}/feed/{n}.xml")).collect();
        (urls, hits)
    }

    fn answer(stream: TcpStream, hits: &Mutex<HashMap<String, usize>>, host: &str) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut header = String::new();
        while reader.read_line(&mut header).unwrap() > 2 {
            header.clear();
        }
        *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
        let n: u32 = path
            .trim_start_matches("/feed/")
            .trim_end_matches(".xml")
            .parse()
            .unwrap_or(0);
        let item = |i: u32| {
            format!(
                "<item><title>Harbour note {n}-{i}</title><link>{host}/a/{n}/{i}</link>\
                 <guid>{host}/a/{n}/{i}</guid><pubDate>Tue, 17 Feb 2026 {:02}:{:02}:00 GMT</pubDate>\
                 <description>The ferry timetable changed again, note {n}-{i}.</description></item>",
                n % 24,
                i * 7 + n / 24
            )
        };
        let body = format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {n}</title>\
             <link>{host}/</link><description>Notes</description>{}{}</channel></rss>",
            item(1),
            item(2)
        );
        let mut stream = stream;
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
    }

    /// The ids and dates of the "all" Atom feed in `out`.
    fn entries(out: &Path) -> Vec<(String, String, String)> {
        let bytes = std::fs::read(out.join("all.atom")).unwrap();
        let feed = feed_rs::parser::parse(&bytes[..]).unwrap();
        let mut entries: Vec<_> = feed
            .entries
            .into_iter()
            .map(|e| {
                (
                    e.id,
                    format!("{:?}", e.published),
                    format!("{:?}", e.updated),
                )
            })
            .collect();
        entries.sort();
        entries
    }

    /// Guards sharing the sources (issue 15): three workers on one
    /// PostgreSQL store, in batches, fetch every source exactly once per
    /// turn and give the ids and dates one process gives on SQLite.
    #[test]
    fn three_workers_fetch_every_source_once_with_the_ids_of_one() {
        let Some(pg) = postgres_place() else { return };
        let (urls, hits) = feeds_server(24);
        let config_for = |state: Location, out: &Path| {
            let mut config = crate::config::Config::default();
            config.site.base_url = "https://feeds.example.org/rm/".into();
            config.sources = urls
                .iter()
                .map(|u| crate::source::Input::Plain(u.clone()))
                .collect();
            config.state = state;
            config.output.dir = out.to_path_buf();
            config
        };
        let schedule = crate::worker::Schedule {
            every: 3600,
            batch: 5,
            once: true,
            lock_timeout: Duration::from_secs(600),
        };
        let shared = tempfile::tempdir().unwrap();
        let config = config_for(pg.location.clone(), shared.path());
        let turns: Vec<usize> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..3)
                .map(|w| {
                    let (config, schedule) = (&config, &schedule);
                    scope.spawn(move || {
                        let mut turns = 0;
                        let me = format!("test:{w}");
                        let worker = crate::worker::Worker::start(config, schedule, &me).unwrap();
                        while worker.turn(&mut std::io::sink()).unwrap().is_some() {
                            turns += 1;
                        }
                        worker.stop().unwrap();
                        turns
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert!(
            turns.iter().sum::<usize>() >= 5,
            "24 sources in batches of 5: {turns:?}"
        );
        let fetched = hits.lock().unwrap().clone();
        assert_eq!(fetched.len(), 24, "{fetched:?}");
        assert!(fetched.values().all(|&n| n == 1), "{fetched:?}");
        let alone = tempfile::tempdir().unwrap();
        let config = config_for(
            Location::File(alone.path().join("s.db")),
            &alone.path().join("out"),
        );
        let request = crate::build::Request {
            inputs: Vec::new(),
            encoding: crate::parse::Encoding::Strict,
            now: chrono::Utc::now(),
            lock_timeout: Duration::from_secs(60),
            publish: false,
        };
        crate::build::build(&config, &request, &mut std::io::sink()).unwrap();
        let shared_entries = entries(shared.path());
        assert_eq!(shared_entries.len(), 48);
        assert_eq!(shared_entries, entries(&alone.path().join("out")));
    }

    /// Guards one schema for both backends: the sample built on
    /// PostgreSQL, then a second page on top, gives the bytes a SQLite
    /// store gives.
    #[test]
    fn a_build_on_postgres_gives_the_bytes_of_a_build_on_sqlite() {
        let Some(pg) = postgres_place() else { return };
        let sqlite = tempfile::tempdir().unwrap();
        let trees: Vec<_> = [
            Location::File(sqlite.path().join("s.db")),
            pg.location.clone(),
        ]
        .into_iter()
        .map(|location| {
            let out = tempfile::tempdir().unwrap();
            build_twice(location, out.path());
            (files(out.path()), out)
        })
        .collect();
        assert!(trees[0].0.len() > 10, "{:?}", trees[0].0.keys());
        assert_eq!(
            trees[0].0.keys().collect::<Vec<_>>(),
            trees[1].0.keys().collect::<Vec<_>>()
        );
        for (path, bytes) in &trees[0].0 {
            assert!(trees[1].0[path] == *bytes, "{path} differs");
        }
    }

    fn build_twice(state: Location, out: &Path) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut config = crate::config::Config::load(&root.join("readmore.toml")).unwrap();
        config.state = state;
        config.output.dir = out.to_path_buf();
        let page_b = root.join("tests/fixtures/pages/page-b.txt");
        for (now, inputs) in [
            ("2026-02-20T12:00:00Z", Vec::new()),
            (
                "2026-02-20T13:00:00Z",
                vec![crate::source::Input::Plain(page_b.display().to_string())],
            ),
        ] {
            let request = crate::build::Request {
                inputs,
                encoding: crate::parse::Encoding::Strict,
                now: chrono::DateTime::parse_from_rfc3339(now).unwrap().to_utc(),
                lock_timeout: Duration::from_secs(60),
                publish: false,
            };
            crate::build::build(&config, &request, &mut std::io::sink()).unwrap();
        }
    }

    /// Every file under `dir`, by relative path.
    fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
        let mut out = std::collections::BTreeMap::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(at) = todo.pop() {
            for entry in std::fs::read_dir(&at).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else {
                    let name = path.strip_prefix(dir).unwrap().display().to_string();
                    out.insert(name, std::fs::read(&path).unwrap());
                }
            }
        }
        out
    }
}
