//! `readmore worker`: builds on a schedule, in one process or many.
//!
//! A worker registers in the store (`store::schedule`: a row it beats
//! from a thread of its own every few seconds and, on PostgreSQL, a
//! session advisory lock), adds the config's sources to the schedule,
//! then turns: it claims the due sources (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so several workers share them without a broker; one
//! worker at a time takes a host's sources, so `fetch.per_host` holds
//! across workers), runs one build over them (fetched
//! conditionally, merged, the feeds rendered and published, the hubs
//! pinged: [`crate::build`], with its locks), and releases them, each due
//! again its `interval` after this fetch (the source's, else `--every`),
//! or later when its server asked (`Retry-After`, `Cache-Control`,
//! `Expires`). Between turns it sleeps until the next source is due.
//! SIGTERM or SIGINT stops it after the turn in progress, so a stop never
//! leaves a build half done, and it then leaves the schedule. A worker
//! killed outright leaves its locks to the database (they end with its
//! connection) and its claims to the others, which take them as soon as
//! it is seen dead: its session gone on PostgreSQL, its heartbeat stale.
//!
//! A turn that fails (a source down, the database unreachable) is
//! reported and the worker carries on with the next one.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use tokio::signal::unix::{SignalKind, signal};

use crate::build::{self, Request, Summary};
use crate::config::Config;
use crate::error::UsageError;
use crate::fetch;
use crate::parse::Encoding;
use crate::source::{self, Input, Origin};
use crate::store::{self, Location, Store};
use crate::websub::unix_now;

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Seconds between two builds of one source.
    pub every: u64,
    /// Most sources one turn builds.
    pub batch: usize,
    /// One turn, then stop.
    pub once: bool,
    /// How long a turn waits for a lock another process holds.
    pub lock_timeout: Duration,
}

/// Runs turns until stopped (or once); `report` words a turn's summary.
pub fn run(
    config: &Config,
    schedule: &Schedule,
    report: &dyn Fn(&Summary) -> String,
    diag: &mut dyn Write,
) -> Result<()> {
    if config.sources.is_empty() {
        bail!(UsageError(
            "the worker builds the config's sources, and it lists none (`sources = [...]`)".into()
        ));
    }
    let stop = stop_signal()?;
    let worker = Worker::start(config, schedule, &default_id())?;
    loop {
        match worker.turn(diag) {
            Ok(Some(summary)) => writeln!(diag, "{}", report(&summary))?,
            Ok(None) => writeln!(diag, "readmore: worker: nothing due")?,
            Err(e) => writeln!(diag, "readmore: worker: turn failed: {e:#}")?,
        }
        if schedule.once || stop.load(Ordering::SeqCst) {
            break;
        }
        let wake = worker.next_wake();
        while !stop.load(Ordering::SeqCst) && SystemTime::now() < wake {
            std::thread::sleep(Duration::from_millis(200));
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    worker.stop()?;
    writeln!(diag, "readmore: worker: stopped")?;
    Ok(())
}

/// This machine's name, as worker ids give it.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// This process's worker id: `host:pid`.
fn default_id() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

/// Whether this machine says which processes run (Linux's `/proc`).
fn can_tell_running() -> bool {
    std::path::Path::new("/proc/self/stat").exists()
}

/// Whether process `pid` runs on this machine (see [`can_tell_running`]):
/// a process killed but not yet reaped (a zombie) does not.
fn running(pid: i64) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (name) S ...": the state follows the name's closing parenthesis.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z' | 'X'))
}

/// A configured source as the worker schedules it.
struct Planned {
    input: Input,
    name: String,
    /// Seconds between two fetches.
    interval: i64,
    /// Host and port of a URL source, where politeness is counted.
    host: Option<String>,
}

/// A registered worker: its sources, and its presence in the store.
pub struct Worker<'a> {
    config: &'a Config,
    schedule: &'a Schedule,
    id: String,
    sources: Vec<Planned>,
    /// The same, as the schedule keys them.
    scheduled: Vec<store::ScheduledSource>,
    presence: Presence,
}

impl<'a> Worker<'a> {
    /// Registers the worker `id` in the store (migrating it if needed)
    /// and adds the config's sources to the schedule.
    pub fn start(config: &'a Config, schedule: &'a Schedule, id: &str) -> Result<Self> {
        let every = i64::try_from(schedule.every).unwrap_or(i64::MAX);
        let sources = config
            .sources
            .iter()
            .map(|input| {
                // Named as the build names it (a URL as `url::Url` writes
                // it), so what its server asked (recorded by the build)
                // finds its row, and one source has one row however its
                // URL is written.
                let resolved = source::resolve(std::slice::from_ref(input))
                    .ok()
                    .and_then(|r| r.into_iter().next());
                let name = resolved.as_ref().map_or_else(|| input.name(), |s| s.name());
                let url = resolved.map(|s| s.origin);
                Planned {
                    name,
                    interval: input
                        .interval()
                        .map_or(every, |i| i64::try_from(i).unwrap_or(i64::MAX)),
                    host: match url {
                        Some(Origin::Url(url)) => Some(fetch::host(&url)),
                        _ => None,
                    },
                    input: input.clone(),
                }
            })
            .collect::<Vec<_>>();
        let scheduled: Vec<store::ScheduledSource> = sources
            .iter()
            .map(|s| store::ScheduledSource {
                name: s.name.clone(),
                written: Some(s.input.name()).filter(|w| *w != s.name),
                host: s.host.clone(),
            })
            .collect();
        {
            let store = Store::open(&config.state, schedule.lock_timeout)?;
            store::add_sources(store.conn(), &scheduled, unix_now())?;
        }
        let presence = Presence::start(&config.state, id)?;
        Ok(Self {
            config,
            schedule,
            id: id.to_string(),
            sources,
            scheduled,
            presence,
        })
    }

    fn names(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.name.clone()).collect()
    }

    /// One turn: claims the due sources (up to a batch), builds them and
    /// releases them; `None` when none is due.
    pub fn turn(&self, diag: &mut dyn Write) -> Result<Option<Summary>> {
        let config = self.config;
        let claimed = {
            // Closed before the build, which opens the store itself.
            let store = Store::open(&config.state, self.schedule.lock_timeout)?;
            // Left over from a turn that could not release them.
            store::free(store.conn(), &self.id)?;
            // Its sources back if another worker dropped them; those no
            // running worker names, gone.
            let now = unix_now();
            store::add_sources(store.conn(), &self.scheduled, now)?;
            store::forget_unnamed(store.conn(), &self.names(), now)?;
            if store.location().file().is_some() && can_tell_running() {
                // Its workers share this machine: a killed one is seen now.
                store::bury(store.conn(), &hostname(), running)?;
            }
            let claim = store.conn().begin_claim()?;
            let turn = store::Turn {
                worker: &self.id,
                now: unix_now(),
                batch: self.schedule.batch,
            };
            let claimed = store::claim_due(&claim, &self.names(), turn)?;
            claim.commit()?;
            claimed
        };
        if claimed.is_empty() {
            return Ok(None);
        }
        let mine: Vec<&Planned> = self
            .sources
            .iter()
            .filter(|s| claimed.contains(&s.name))
            .collect();
        let request = Request {
            inputs: mine.iter().map(|s| s.input.clone()).collect(),
            encoding: Encoding::Strict,
            now: Utc::now(),
            lock_timeout: self.schedule.lock_timeout,
            publish: true,
        };
        let built = build::build(config, &request, diag);
        let done: Vec<store::Done> = mine
            .iter()
            .map(|s| store::Done {
                source: &s.name,
                interval: s.interval,
            })
            .collect();
        let store = Store::open(&config.state, self.schedule.lock_timeout)?;
        store::release(store.conn(), &self.id, unix_now(), &done)?;
        built.map(Some)
    }

    /// When the next source is due that no live worker holds: in a second
    /// when some are still due (more than one batch), at most `every`
    /// seconds from now, sooner while other workers hold sources (one of
    /// them may die), in a minute when the store cannot say.
    fn next_wake(&self) -> SystemTime {
        let now = unix_now();
        let every = i64::try_from(self.schedule.every).unwrap_or(i64::MAX);
        let due = Store::open_read_only(&self.config.state)
            .and_then(|store| {
                let held = store::scheduled(store.conn(), now)?.iter().any(|s| s.held);
                let next = store::next_due(store.conn(), &self.names(), now)?;
                Ok(next.map(|at| {
                    let wait = at.saturating_sub(now);
                    if held { wait.min(store::STALE) } else { wait }
                }))
            })
            .ok()
            .flatten()
            .unwrap_or(60);
        let wait = due.clamp(1, every.max(1));
        SystemTime::now() + Duration::from_secs(wait as u64)
    }

    /// Leaves the schedule: what it holds is free, its row gone.
    pub fn stop(self) -> Result<()> {
        self.presence.end()
    }
}

/// A worker's presence in the store: its row, beaten every
/// [`store::BEAT`] seconds from a thread with a connection of its own
/// (on PostgreSQL, the one holding the worker's session lock).
struct Presence {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Presence {
    fn start(location: &Location, id: &str) -> Result<Self> {
        let store = Store::open_beside(location)?;
        store::register(store.conn(), id, unix_now())?;
        store::free(store.conn(), id)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, location, id) = (stop.clone(), location.clone(), id.to_string());
        let thread = std::thread::spawn(move || beat_until(store, &location, &id, &flag));
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops beating, frees what the worker holds and removes its row.
    fn end(mut self) -> Result<()> {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => bail!("the worker's heartbeat thread panicked"),
            None => Ok(()),
        }
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // Dropped on an error path: the error in hand says more.
            let _ = thread.join();
        }
    }
}

/// Beats for the worker `id` until `stop`, then retires it. A beat that
/// fails (the connection lost) reconnects and registers again at the
/// next beat; until then other workers may see this one dead.
fn beat_until(store: Store, location: &Location, id: &str, stop: &AtomicBool) -> Result<()> {
    let mut store = Some(store);
    let mut last = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() < Duration::from_secs(store::BEAT as u64) {
            continue;
        }
        last = Instant::now();
        let now = unix_now();
        let beaten = match &store {
            Some(s) => store::beat(s.conn(), id, now),
            None => Store::open_beside(location).and_then(|s| {
                store::register(s.conn(), id, now)?;
                store = Some(s);
                Ok(())
            }),
        };
        if beaten.is_err() {
            store = None;
        }
    }
    let store = match store {
        Some(store) => store,
        None => Store::open_beside(location)?,
    };
    store::retire(store.conn(), id)
}

/// A flag set by SIGTERM or SIGINT, whose handlers are in place when
/// this returns.
fn stop_signal() -> Result<Arc<AtomicBool>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot set up the signal handlers")?;
    let (mut term, mut int) = {
        let _entered = runtime.enter();
        (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        )
    };
    let stop = Arc::new(AtomicBool::new(false));
    let set = stop.clone();
    std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        });
        set.store(true, Ordering::SeqCst);
    });
    Ok(stop)
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write as _};
    use std::net::TcpListener;

    use super::*;
    use crate::source::InputTable;
    use crate::store::tests::places;

    /// A loopback server: `/fresh.xml` is a feed fresh for 5000 s
    /// (`Cache-Control: max-age=5000`), `/busy.xml` answers `429` with
    /// `Retry-After: 3000`.
    fn server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut header = String::new();
                while reader.read_line(&mut header).unwrap() > 2 {
                    header.clear();
                }
                let response = if line.contains("/busy.xml") {
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3000\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string()
                } else {
                    let body = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>F</title>\
                        <link>https://f.example/</link><description>d</description><item>\
                        <title>One</title><link>https://f.example/one</link><guid>https://f.example/one</guid>\
                        <description>Text of one.</description></item></channel></rss>";
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\
                         Cache-Control: public, max-age=5000\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                let _ = (&stream).write_all(response.as_bytes());
            }
        });
        base
    }

    /// Guards burying killed workers on SQLite: this process runs, a
    /// child killed and reaped does not.
    #[test]
    fn a_killed_process_is_not_running() {
        if !can_tell_running() {
            return;
        }
        assert!(running(i64::from(std::process::id())));
        let mut child = std::process::Command::new("sleep")
            .arg("600")
            .spawn()
            .unwrap();
        let pid = i64::from(child.id());
        assert!(running(pid));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!running(pid));
    }

    fn source(url: String, interval: u64) -> Input {
        Input::Table(InputTable {
            url: Some(url),
            path: None,
            label: None,
            page_url: None,
            timezone: None,
            interval: Some(interval),
        })
    }

    fn config_of(place: &crate::store::tests::Place, out: &std::path::Path) -> Config {
        let mut config = Config {
            state: place.location.clone(),
            ..Config::default()
        };
        config.output.dir = out.to_path_buf();
        config
    }

    fn schedule() -> Schedule {
        Schedule {
            every: 3600,
            batch: 10,
            once: true,
            lock_timeout: Duration::from_secs(600),
        }
    }

    fn rows(config: &Config) -> Vec<store::Scheduled> {
        crate::status::status(config).unwrap().schedule
    }

    /// Guards one schedule row per source however its URL is written: a
    /// row an older readmore keyed by the URL as written (upper case,
    /// default port, no path) is renamed to `url::Url`'s form in place,
    /// keeping its due date, when a worker starts.
    #[test]
    fn a_worker_keys_a_url_source_by_its_normalized_url_on_every_store() {
        for place in places() {
            let out = tempfile::tempdir().unwrap();
            let mut config = config_of(&place, out.path());
            let written = "HTTP://LocalHost:80";
            config.sources = vec![Input::Plain(written.into())];
            {
                let store = place.open();
                let legacy = store::ScheduledSource {
                    name: written.into(),
                    written: None,
                    host: None,
                };
                store::add_sources(store.conn(), &[legacy], 12_345).unwrap();
            }
            let id = format!("test:{}", fastrand::u64(..));
            let schedule = schedule();
            let worker = Worker::start(&config, &schedule, &id).unwrap();
            let rows = rows(&config);
            let keys: Vec<(&str, i64)> = rows
                .iter()
                .map(|s| (s.source.as_str(), s.next_due))
                .collect();
            assert_eq!(keys, [("http://localhost/", 12_345)], "{}", place.location);
            worker.stop().unwrap();
        }
    }

    /// Guards removed sources leaving the schedule: a turn drops a row
    /// no running worker's config names once it is a day overdue.
    #[test]
    fn a_turn_drops_a_source_no_config_names_on_every_store() {
        let base = server();
        for place in places() {
            let out = tempfile::tempdir().unwrap();
            let mut config = config_of(&place, out.path());
            config.sources = vec![source(format!("{base}/fresh.xml"), 60)];
            {
                let store = place.open();
                let removed = store::ScheduledSource {
                    name: "https://removed.example/feed".into(),
                    written: None,
                    host: Some("removed.example:443".into()),
                };
                store::add_sources(store.conn(), &[removed], 1_000).unwrap();
            }
            let id = format!("test:{}", fastrand::u64(..));
            let schedule = schedule();
            let worker = Worker::start(&config, &schedule, &id).unwrap();
            assert_eq!(rows(&config).len(), 2, "{}", place.location);
            worker.turn(&mut std::io::sink()).unwrap().unwrap();
            let left: Vec<String> = rows(&config).into_iter().map(|s| s.source).collect();
            assert_eq!(left, [format!("{base}/fresh.xml")], "{}", place.location);
            worker.stop().unwrap();
        }
    }

    /// Guards the worker's schedule end to end, on every store backend: a
    /// started worker is alive in the store; a turn builds what is due and
    /// makes each source due its interval later, or when its server asked
    /// (`Cache-Control`, a `429`'s `Retry-After`), which `status` shows;
    /// a stopped worker leaves the store holding nothing.
    #[test]
    fn a_worker_keeps_each_source_off_until_its_interval_or_its_server_allows_on_every_store() {
        let base = server();
        for place in places() {
            let out = tempfile::tempdir().unwrap();
            let mut config = Config {
                state: place.location.clone(),
                ..Config::default()
            };
            config.output.dir = out.path().to_path_buf();
            config.sources = vec![
                source(format!("{base}/fresh.xml"), 60),
                source(format!("{base}/busy.xml"), 60),
            ];
            let schedule = Schedule {
                every: 3600,
                batch: 10,
                once: true,
                lock_timeout: Duration::from_secs(600),
            };
            let id = format!("test:{}", fastrand::u64(..));
            let worker = Worker::start(&config, &schedule, &id).unwrap();
            let summary = worker.turn(&mut std::io::sink()).unwrap().unwrap();
            assert_eq!(summary.articles, 1, "{}", place.location);
            assert_eq!(summary.sources_failed.len(), 1);
            assert!(
                worker.turn(&mut std::io::sink()).unwrap().is_none(),
                "nothing due"
            );
            let status = crate::status::status(&config).unwrap();
            assert!(status.workers.iter().any(|w| w.id == id && w.alive));
            for (path, why, seconds) in [
                ("/fresh.xml", "Cache-Control: max-age=5000", 5000),
                ("/busy.xml", "Retry-After: 3000", 3000),
            ] {
                let entry = status
                    .schedule
                    .iter()
                    .find(|s| s.source.ends_with(path))
                    .unwrap();
                let asked = entry.asked.as_ref().unwrap();
                let last = entry.last_fetch.unwrap();
                assert_eq!((asked.why.as_str(), entry.next_due), (why, asked.until));
                // Fetched a little before it was released: within a minute.
                assert!((seconds - 60..=seconds).contains(&(entry.next_due - last)));
                assert!(!entry.held);
            }
            worker.stop().unwrap();
            let status = crate::status::status(&config).unwrap();
            assert!(
                status.workers.iter().all(|w| w.id != id),
                "a stopped worker leaves"
            );
        }
    }
}
