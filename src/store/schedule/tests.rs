//! The schedule's tests, on every backend under test (see `store::tests`).

use super::*;
use crate::store::tests::places;

fn src(name: &str, host: Option<&str>) -> Source {
    Source {
        name: name.into(),
        written: None,
        host: host.map(str::to_string),
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// One claim transaction of `worker` at `now`, up to `batch` sources of
/// `among`, committed.
fn claim(db: &Db, worker: &str, now: i64, batch: usize, among: &[String]) -> Vec<String> {
    let tx = db.begin_claim().unwrap();
    let got = claim_due(&tx, among, Turn { worker, now, batch }).unwrap();
    tx.commit().unwrap();
    got
}

fn entry(db: &Db, source: &str, now: i64) -> Scheduled {
    scheduled(db, now)
        .unwrap()
        .into_iter()
        .find(|s| s.source == source)
        .unwrap()
}

/// Guards the per-source interval: a source held by a live worker is
/// skipped by the others, and once released is due again its own
/// interval after its fetch.
#[test]
fn a_source_is_due_again_its_interval_after_its_last_fetch() {
    for place in places() {
        let store = place.open();
        let db = store.conn();
        let all = names(&["a", "b", "c"]);
        add_sources(db, &[src("a", None), src("b", None)], 100).unwrap();
        add_sources(db, &[src("c", None)], 999).unwrap();
        register(db, "t1h:1", 100).unwrap();
        register(db, "t1h:2", 100).unwrap();
        assert_eq!(
            claim(db, "t1h:1", 100, 10, &all),
            ["a", "b"],
            "{}",
            place.location
        );
        assert!(
            claim(db, "t1h:2", 105, 10, &all).is_empty(),
            "held by a live worker"
        );
        let done = [
            Done {
                source: "a",
                interval: 60,
            },
            Done {
                source: "b",
                interval: 3600,
            },
        ];
        release(db, "t1h:1", 110, &done).unwrap();
        beat(db, "t1h:2", 160).unwrap();
        assert!(claim(db, "t1h:2", 169, 10, &all).is_empty());
        assert_eq!(claim(db, "t1h:2", 170, 10, &all), ["a"]);
        let b = entry(db, "b", 170);
        assert_eq!((b.next_due, b.last_fetch, b.held), (3710, Some(110), false));
        let a = entry(db, "a", 170);
        assert_eq!(
            (a.worker.as_deref(), a.held, a.lag),
            (Some("t1h:2"), true, 0)
        );
        assert_eq!(
            next_due(db, &all, 170).unwrap(),
            Some(999),
            "held sources aside"
        );
        assert_eq!(entry(db, "c", 1009).lag, 10, "how late a due source is");
        beat(db, "t1h:2", 1009).unwrap();
        assert!(
            claim(db, "t1h:2", 1009, 10, &names(&["a", "b"])).is_empty(),
            "c not asked for"
        );
    }
}

/// Guards Retry-After and caching headers in the schedule: a source is
/// not due before its server asked, nor sooner than its interval, nor
/// put off more than a day; what was asked shows in `status`.
#[test]
fn what_a_server_asked_puts_a_source_off_within_a_day() {
    for place in places() {
        let store = place.open();
        let db = store.conn();
        let all = names(&["a", "b", "c", "d"]);
        let sources: Vec<Source> = all.iter().map(|n| src(n, None)).collect();
        add_sources(db, &sources, 0).unwrap();
        register(db, "t2w:1", 0).unwrap();
        assert_eq!(claim(db, "t2w:1", 0, 10, &all).len(), 4);
        let asked = |until: i64, why: &str| {
            Some(Asked {
                until,
                why: why.into(),
            })
        };
        note_asked(
            db,
            &[
                ("a".into(), asked(500, "Retry-After: 500")),
                ("b".into(), asked(10, "Cache-Control: max-age=10")),
                ("c".into(), asked(9_000_000, "Expires: far")),
                ("d".into(), None),
            ],
        )
        .unwrap();
        let done: Vec<Done> = all
            .iter()
            .map(|s| Done {
                source: s,
                interval: 60,
            })
            .collect();
        release(db, "t2w:1", 0, &done).unwrap();
        let due: Vec<i64> = all.iter().map(|s| entry(db, s, 0).next_due).collect();
        assert_eq!(due, [500, 60, MAX_ASKED, 60], "{}", place.location);
        assert_eq!(entry(db, "a", 0).asked, asked(500, "Retry-After: 500"));
        assert_eq!(entry(db, "d", 0).asked, None);
        note_asked(db, &[("a".into(), None)]).unwrap();
        assert_eq!(
            entry(db, "a", 0).asked,
            None,
            "a later fetch that asked nothing"
        );
    }
}

/// Guards a dead worker's claims: a worker silent for STALE seconds is
/// dead, what it held is claimable at once, and its late release takes
/// nothing from the worker that took over.
#[test]
fn a_silent_workers_claims_are_free_after_stale_seconds() {
    for place in places() {
        let store = place.open();
        let db = store.conn();
        let all = names(&["a"]);
        add_sources(db, &[src("a", None)], 0).unwrap();
        register(db, "t3w:1", 0).unwrap();
        assert_eq!(claim(db, "t3w:1", 0, 10, &all), ["a"]);
        register(db, "t3w:2", STALE).unwrap();
        assert!(
            claim(db, "t3w:2", STALE, 10, &all).is_empty(),
            "{}",
            place.location
        );
        assert_eq!(claim(db, "t3w:2", STALE + 1, 10, &all), ["a"]);
        let alive: Vec<(String, bool)> = workers(db, STALE + 1)
            .unwrap()
            .into_iter()
            .map(|w| (w.id, w.alive))
            .collect();
        assert_eq!(alive, [("t3w:1".into(), false), ("t3w:2".into(), true)]);
        release(
            db,
            "t3w:1",
            STALE + 2,
            &[Done {
                source: "a",
                interval: 60,
            }],
        )
        .unwrap();
        assert_eq!(entry(db, "a", STALE + 2).worker.as_deref(), Some("t3w:2"));
        retire(db, "t3w:2").unwrap();
        assert_eq!(
            entry(db, "a", STALE + 2).worker,
            None,
            "a stopped worker frees it"
        );
        assert_eq!(workers(db, STALE + 2).unwrap().len(), 1);
    }
}

/// Guards a killed worker on one machine (SQLite's case): once buried,
/// what it held is free at once, its heartbeat fresh; a running one and
/// one of another host are left alone.
#[test]
fn a_buried_workers_claims_are_free_at_once() {
    for place in places() {
        let store = place.open();
        let db = store.conn();
        let all = names(&["a", "b"]);
        let t = 1_000_000;
        add_sources(db, &[src("a", None), src("b", None)], t).unwrap();
        register(db, "t9here:1", t).unwrap();
        register(db, "t9there:1", t).unwrap();
        register(db, "t9here:2", t).unwrap();
        assert_eq!(claim(db, "t9here:1", t, 1, &all), ["a"]);
        assert_eq!(claim(db, "t9there:1", t, 1, &all), ["b"]);
        bury(db, "t9here", |pid| pid != 1).unwrap();
        assert_eq!(
            claim(db, "t9here:2", t + 1, 10, &all),
            ["a"],
            "{}",
            place.location
        );
        let alive: Vec<bool> = workers(db, t + 1)
            .unwrap()
            .iter()
            .map(|w| w.alive)
            .collect();
        assert_eq!(alive, [false, true, true]);
    }
}

/// Guards politeness across workers: while one live worker holds a
/// source of a host, no other claims a source of that host.
#[test]
fn one_worker_at_a_time_takes_the_sources_of_a_host() {
    for place in places() {
        let store = place.open();
        let db = store.conn();
        let all = names(&["x1", "x2", "x3", "y1"]);
        let sources = [
            src("x1", Some("x:80")),
            src("x2", Some("x:80")),
            src("x3", Some("x:80")),
            src("y1", Some("y:443")),
        ];
        add_sources(db, &sources, 0).unwrap();
        register(db, "t4w:1", 0).unwrap();
        register(db, "t4w:2", 0).unwrap();
        assert_eq!(
            claim(db, "t4w:1", 0, 2, &all),
            ["x1", "x2"],
            "{}",
            place.location
        );
        assert_eq!(claim(db, "t4w:2", 0, 10, &all), ["y1"], "x is w:1's");
        let done = [
            Done {
                source: "x1",
                interval: 100,
            },
            Done {
                source: "x2",
                interval: 100,
            },
        ];
        release(db, "t4w:1", 1, &done).unwrap();
        assert_eq!(claim(db, "t4w:2", 1, 10, &all), ["x3"]);
        beat(db, "t4w:2", 101).unwrap();
        assert!(
            claim(db, "t4w:1", 101, 10, &all).is_empty(),
            "x is w:2's now"
        );
    }
}

/// Guards one row per source: a row keyed by a URL as the config writes
/// it (as an older readmore keyed it) takes the normalized name in
/// place, keeping its dates; a duplicate of a row already normalized
/// goes.
#[test]
fn a_row_keyed_by_a_url_as_written_takes_its_normalized_name_keeping_its_dates() {
    for place in places() {
        let store = place.open();
        let db = store.conn();
        add_sources(db, &[src("HTTP://Example.ORG:80", None)], 500).unwrap();
        add_sources(db, &[src("http://b.example:80/x", None)], 600).unwrap();
        add_sources(db, &[src("http://b.example/x", None)], 700).unwrap();
        register(db, "t8:1", 500).unwrap();
        let done = [Done {
            source: "HTTP://Example.ORG:80",
            interval: 60,
        }];
        let among = names(&["HTTP://Example.ORG:80"]);
        assert_eq!(claim(db, "t8:1", 500, 10, &among).len(), 1);
        release(db, "t8:1", 510, &done).unwrap();
        let normalized = |name: &str, written: &str, host: &str| Source {
            name: name.into(),
            written: Some(written.into()),
            host: Some(host.into()),
        };
        let sources = [
            normalized(
                "http://example.org/",
                "HTTP://Example.ORG:80",
                "example.org:80",
            ),
            normalized(
                "http://b.example/x",
                "http://b.example:80/x",
                "b.example:80",
            ),
        ];
        add_sources(db, &sources, 9000).unwrap();
        let rows: Vec<String> = scheduled(db, 9000)
            .unwrap()
            .into_iter()
            .map(|s| s.source)
            .collect();
        assert_eq!(
            rows,
            ["http://example.org/", "http://b.example/x"],
            "{}",
            place.location
        );
        let row = entry(db, "http://example.org/", 9000);
        assert_eq!((row.next_due, row.last_fetch), (570, Some(510)));
        assert_eq!(entry(db, "http://b.example/x", 9000).next_due, 700);
        let among = names(&["http://example.org/", "http://b.example/x"]);
        assert_eq!(
            claim(db, "t8:1", 9000, 10, &among).len(),
            2,
            "claimable, their hosts known"
        );
    }
}

/// Guards removed sources leaving the schedule, without racing a worker
/// that still names them: a row no worker's `among` names goes once it
/// has been overdue and unheld for a day; a named one, one held by a
/// live worker, or one overdue for less stays; a worker adds its own
/// back.
#[test]
fn a_source_no_running_worker_names_leaves_the_schedule_after_a_day() {
    for place in places() {
        let store = place.open();
        let db = store.conn();
        add_sources(db, &[src("a", None), src("b", None), src("c", None)], 0).unwrap();
        let now = UNNAMED + 10;
        register(db, "t9:1", now).unwrap();
        assert_eq!(claim(db, "t9:1", now, 10, &names(&["c"])), ["c"]);
        let mine = names(&["a"]);
        assert_eq!(forget_unnamed(db, &mine, UNNAMED - 5).unwrap(), 0);
        assert_eq!(
            forget_unnamed(db, &mine, now).unwrap(),
            1,
            "{}",
            place.location
        );
        let left: Vec<String> = scheduled(db, now)
            .unwrap()
            .into_iter()
            .map(|s| s.source)
            .collect();
        assert_eq!(left, ["a", "c"]);
        add_sources(db, &[src("b", None)], now).unwrap();
        assert_eq!(
            entry(db, "b", now).next_due,
            now,
            "named again, due at once"
        );
    }
}

#[test]
fn due_after_keeps_the_interval_and_a_day_as_bounds() {
    assert_eq!(due_after(100, 60, None), 160);
    assert_eq!(due_after(100, 60, Some(120)), 160);
    assert_eq!(due_after(100, 60, Some(1000)), 1000);
    assert_eq!(due_after(100, 60, Some(i64::MAX)), 100 + MAX_ASKED);
    assert_eq!(
        due_after(100, 2 * MAX_ASKED, Some(i64::MAX)),
        100 + 2 * MAX_ASKED
    );
}

/// What only PostgreSQL has: several processes on one schedule.
#[cfg(feature = "postgres")]
mod shared {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::store::tests::postgres_place;

    /// Guards "no source fetched by two workers at once": sources one
    /// worker is claiming are skipped by another until it commits, then
    /// held.
    #[test]
    fn due_sources_claimed_by_one_worker_are_skipped_by_another() {
        let Some(place) = postgres_place() else {
            return;
        };
        let (a, b) = (place.open(), place.open());
        let sources = names(&["s1", "s2"]);
        add_sources(a.conn(), &[src("s1", None), src("s2", None)], 0).unwrap();
        register(a.conn(), "t6a:1", 10).unwrap();
        register(b.conn(), "t6b:1", 10).unwrap();
        let claim_a = a.conn().begin_claim().unwrap();
        let turn = |worker| Turn {
            worker,
            now: 10,
            batch: 10,
        };
        assert_eq!(
            claim_due(&claim_a, &sources, turn("t6a:1")).unwrap().len(),
            2
        );
        let claim_b = b.conn().begin_claim().unwrap();
        assert!(
            claim_due(&claim_b, &sources, turn("t6b:1"))
                .unwrap()
                .is_empty()
        );
        drop(claim_b);
        claim_a.commit().unwrap();
        assert!(
            claim(b.conn(), "t6b:1", 10, 10, &sources).is_empty(),
            "held by a:1"
        );
    }

    /// Guards politeness while a claim is in progress: a host another
    /// worker is claiming from is skipped, not waited for.
    #[test]
    fn a_host_another_worker_is_claiming_from_is_skipped() {
        let Some(place) = postgres_place() else {
            return;
        };
        let (a, b) = (place.open(), place.open());
        let all = names(&["x1", "x2"]);
        add_sources(
            a.conn(),
            &[src("x1", Some("x:80")), src("x2", Some("x:80"))],
            0,
        )
        .unwrap();
        register(a.conn(), "t7a:1", 0).unwrap();
        register(b.conn(), "t7b:1", 0).unwrap();
        let claim_a = a.conn().begin_claim().unwrap();
        let one = |worker| Turn {
            worker,
            now: 0,
            batch: 1,
        };
        assert_eq!(claim_due(&claim_a, &all, one("t7a:1")).unwrap(), ["x1"]);
        assert!(claim(b.conn(), "t7b:1", 0, 10, &all).is_empty());
        claim_a.commit().unwrap();
        assert!(
            claim(b.conn(), "t7b:1", 0, 10, &all).is_empty(),
            "x is a:1's"
        );
    }

    /// Guards "a killed worker's claims are freed promptly": when its
    /// connection ends, its session lock goes, and its claims are free
    /// although its heartbeat is fresh.
    #[test]
    fn a_killed_workers_claims_are_free_when_its_session_ends() {
        let Some(place) = postgres_place() else {
            return;
        };
        let (a, b) = (place.open(), place.open());
        let all = names(&["s"]);
        add_sources(a.conn(), &[src("s", None)], 0).unwrap();
        register(a.conn(), "t8a:1", 0).unwrap();
        register(b.conn(), "t8b:1", 0).unwrap();
        assert_eq!(claim(a.conn(), "t8a:1", 0, 10, &all), ["s"]);
        assert!(claim(b.conn(), "t8b:1", 0, 10, &all).is_empty());
        assert!(workers(b.conn(), 0).unwrap().iter().all(|w| w.alive));
        drop(a);
        // The server ends the session once it reads the closed socket.
        let start = Instant::now();
        let mut got = Vec::new();
        while got.is_empty() && start.elapsed() < Duration::from_secs(120) {
            std::thread::sleep(Duration::from_millis(100));
            got = claim(b.conn(), "t8b:1", 0, 10, &all);
        }
        assert_eq!(got, ["s"]);
        let a1 = workers(b.conn(), 0)
            .unwrap()
            .into_iter()
            .find(|w| w.id == "t8a:1")
            .unwrap();
        assert!(!a1.alive, "its heartbeat is fresh, its session gone");
    }
}
