//! The outputs of a run: which files should exist, which must be written
//! again, and putting them in place.
//!
//! Every run computes the **desired output set** from the store and the
//! config alone: path (relative to the output directory) → kind (feed,
//! index, OPML, article page) → signature, a digest of everything the file
//! is rendered from (its articles' keys, content hashes, sections and
//! dates, the site settings and rules, readmore's version). It diffs that
//! set against the records of what was last written to this output
//! directory (keyed by its canonical path, however `--out` spells it) and
//! against the files themselves:
//!
//! - a desired file with no record, another signature, or a size or mtime
//!   other than recorded (deleted, edited, truncated) is rendered again; it
//!   is written only if its bytes differ from the file's;
//! - a recorded file no longer desired (the page of a pruned article, the
//!   feed of a section removed from the config, a format switched off) is
//!   removed;
//! - the rest is not even rendered.
//!
//! Article pages, the bulk of the set, are never all held at once: when
//! every page is compared (a cold build, new settings, the daily full
//! check) they come from the store 256 at a time in key order
//! and are rendered (on every core) and staged as they come; otherwise
//! only the pages of changed articles are in the set. The index page lists
//! each section's newest [`page::INDEX_NEWEST`] articles, so its size does
//! not grow with the history either.
//!
//! Article pages may be switched in unflushed (see
//! [`crate::sink::directory`]): before any is, the store records the boot
//! under which they were written (`unsynced pages <dir>`), and a run that
//! finds another boot recorded (a crash or power loss came between)
//! renders every page and compares its bytes with the file's, whatever its
//! size and mtime say, rewriting any that differ; then it records the
//! current boot. Feeds, the index and the OPML list are always flushed.
//!
//! A section whose articles all expired keeps a valid feed with no entries
//! (so subscribers see it empty, not frozen) until it is removed from the
//! config; it leaves the index page and the OPML list.
//!
//! Writing is all or nothing: every stale file is staged in the [`Sink`]
//! first, then recorded as pending, then all are switched in one pass, then
//! orphans are removed, then the final records and the WebSub pings (one per
//! hub for each feed whose bytes differ from the last recorded ones) are
//! committed in one transaction. A run that fails or is killed anywhere
//! leaves records that the next run's diff repairs.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::article::Article;
use crate::classify::{Classifier, Section};
use crate::clock;
use crate::config::Config;
use crate::feed::{ALL, Entry, Feed};
use crate::format::Format;
use crate::redact;
use crate::render::{self, opml, page};
use crate::sink::Sink;
use crate::site::{self, Listing, Site, page_path};
use crate::store::{self, Db, Member, Output, Store, Tx};
use crate::websub;

/// What a failure after the switch adds to its error.
const IN_PLACE: &str =
    "the new files are in place, but the run could not finish recording them (the next run does)";

/// One feed of the run: its name, its section ("all" has none), its members.
pub struct Plan<'a> {
    pub name: &'a str,
    pub section: Option<&'a Section>,
    pub members: Vec<Member>,
}

/// What the outputs step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    /// Files whose bytes changed.
    pub written: usize,
    /// Desired files left as they were.
    pub unchanged: usize,
    /// Files no longer desired, removed.
    pub removed: usize,
    /// The paths of the files written or removed.
    pub changed: Vec<String>,
}

/// The kinds of output, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Feed,
    Index,
    Opml,
    Page,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Feed => "feed",
            Kind::Index => "index",
            Kind::Opml => "opml",
            Kind::Page => "page",
        }
    }

    /// Where outputs of this kind come in the switch: article pages before
    /// the feeds that link to them, the index and OPML list (which link to
    /// feeds and pages) last.
    fn rank(self) -> u8 {
        match self {
            Kind::Page => 0,
            Kind::Feed => 1,
            Kind::Opml => 2,
            Kind::Index => 3,
        }
    }
}

/// An output the run wants, and what it is rendered from.
struct Wanted {
    kind: Kind,
    signature: String,
    what: What,
}

enum What {
    Site(SiteFile),
    Page(Member),
}

/// The outputs about the whole site, rendered one by one.
enum SiteFile {
    Feed {
        plan: usize,
        format: Format,
    },
    /// Each listed section's newest [`page::INDEX_NEWEST`] members, and
    /// one more when the store holds older ones.
    Index(Vec<(String, Vec<Member>)>),
    Opml,
}

/// Article pages the run wants, by path.
type Pages = Vec<(String, Wanted)>;

/// A file rendered this run, to record.
struct Rendered {
    path: String,
    kind: Kind,
    signature: String,
    digest: String,
    /// Whether it was staged (its bytes differ from the file's).
    staged: bool,
    /// For a feed: its public URL, the WebSub topic.
    topic: Option<String>,
}

/// The feeds with members: "all", then every section with members, each
/// with the newest `retention.items` articles published within
/// `retention.days`.
pub fn plan<'a>(
    conn: &Db,
    classifier: &'a Classifier,
    config: &Config,
    now: i64,
) -> Result<Vec<Plan<'a>>> {
    let days = i64::from(config.retention.days);
    let since = if days > 0 {
        now.saturating_sub(days * 86_400)
    } else {
        i64::MIN
    };
    let limit = config.retention.items;
    let mut plans = vec![Plan {
        name: ALL,
        section: None,
        members: store::members(conn, None, since, limit)?,
    }];
    for section in classifier.sections() {
        let members = store::members(conn, Some(&section.id), since, limit)?;
        plans.push(Plan {
            name: &section.id,
            section: Some(section),
            members,
        });
    }
    plans.retain(|p| !p.members.is_empty());
    Ok(plans)
}

/// Brings the sink in line with the store: computes the desired output
/// set, renders and stages what is missing or stale, switches it in,
/// removes orphans, records the result and queues the WebSub pings.
/// `plans` are the feeds with members, from [`plan`].
pub fn update(
    store: &mut Store,
    config: &Config,
    classifier: &Classifier,
    plans: Vec<Plan>,
    now: DateTime<Utc>,
    sink: &mut dyn Sink,
) -> Result<Done> {
    let settings = settings_digest(config, classifier);
    let scope = Scope::of(store.conn(), sink, &settings, now.timestamp())?;
    let records = scope.records(store.conn(), sink.key())?;
    let plans = with_empty_feeds(plans, classifier, &records, config);
    let mut renderer = Renderer::new(store.conn(), config, classifier, &plans, now, settings);
    let desired = renderer.desired(&scope)?;
    let mut rendered = Vec::new();
    // Every article's page, when the scope is all of them: a chunk of the
    // store at a time, staged before the feeds that link to them. Counted,
    // and those with a record kept (borrowed), to tell the orphans.
    let (mut pages, mut recorded_pages) = (0, HashSet::new());
    if let (Scope::All { verify }, true) = (&scope, config.output.article_pages) {
        let mut after = None;
        loop {
            let (chunk, last) = renderer.pages_after(after.as_deref())?;
            let stale: Vec<(&String, &Wanted)> = chunk
                .iter()
                .filter(|(path, wanted)| *verify || is_stale(&records, sink, path, wanted))
                .map(|(path, wanted)| (path, wanted))
                .collect();
            stage(&mut renderer, sink, &records, &stale, &mut rendered)?;
            pages += chunk.len();
            recorded_pages.extend(
                chunk
                    .iter()
                    .filter_map(|(p, _)| records.get_key_value(p))
                    .map(|(p, _)| p),
            );
            if last.is_none() {
                break;
            }
            after = last;
        }
    }
    let mut stale: Vec<(&String, &Wanted)> = desired
        .iter()
        .filter(|(path, wanted)| is_stale(&records, sink, path, wanted))
        .collect();
    // Switched in this order: what a file links to is in place before it.
    stale.sort_by_key(|(_, wanted)| wanted.kind.rank());
    stage(&mut renderer, sink, &records, &stale, &mut rendered)?;
    let orphans: Vec<&String> = records
        .keys()
        .filter(|p| !desired.contains_key(*p) && !recorded_pages.contains(*p))
        .collect();
    let settings = renderer.settings;
    mark_pending(store, sink, &records, &rendered)?;
    sink.switch()?;
    // From here on the new files are served: an error must say so (exit 1
    // otherwise means no feed changed); the pending records repair it.
    for path in &orphans {
        sink.remove(path).context(IN_PLACE)?;
    }
    let tx = store.transaction().context(IN_PLACE)?;
    record(&tx, config, sink, &records, &rendered, &orphans).context(IN_PLACE)?;
    scope
        .in_line(&tx, sink, settings, now.timestamp())
        .context(IN_PLACE)?;
    tx.commit()
        .context("cannot commit to the store")
        .context(IN_PLACE)?;
    let mut changed: Vec<String> = rendered
        .iter()
        .filter(|r| r.staged)
        .map(|r| r.path.clone())
        .collect();
    let written = changed.len();
    changed.extend(orphans.iter().map(|p| p.to_string()));
    let desired_count = desired.len() + pages + scope.pages_not_compared(store.conn(), config)?;
    Ok(Done {
        written,
        unchanged: desired_count - written,
        removed: orphans.len(),
        changed,
    })
}

/// Whether the file at `path` must be rendered again: no record, another
/// signature, or not as recorded in the sink.
fn is_stale(
    records: &HashMap<String, Output>,
    sink: &dyn Sink,
    path: &str,
    wanted: &Wanted,
) -> bool {
    records
        .get(path)
        .is_none_or(|r| r.signature != wanted.signature || !sink.intact(path, r))
}

/// Renders `stale` in order, [`RENDER_CHUNK`] at a time, and stages what
/// differs from the sink's bytes (article pages as pages, which a sink may
/// leave unflushed); adds each to `rendered`.
fn stage(
    renderer: &mut Renderer,
    sink: &mut dyn Sink,
    records: &HashMap<String, Output>,
    stale: &[(&String, &Wanted)],
    rendered: &mut Vec<Rendered>,
) -> Result<()> {
    for chunk in stale.chunks(RENDER_CHUNK) {
        for ((path, wanted), (bytes, topic)) in chunk.iter().zip(renderer.render_all(chunk)?) {
            let recorded = records.get(*path);
            let staged = !sink.holds(path, &bytes, recorded);
            match (staged, wanted.kind) {
                (false, _) => {}
                (true, Kind::Page) => sink.stage_page(path, &bytes, recorded)?,
                (true, _) => sink.stage(path, &bytes, recorded)?,
            }
            rendered.push(Rendered {
                path: path.to_string(),
                kind: wanted.kind,
                signature: wanted.signature.clone(),
                digest: store::digest(&bytes),
                staged,
                topic,
            });
        }
    }
    Ok(())
}

/// How many outputs are rendered at once: the article pages among them on
/// every core, the rest in turn; bounds the rendered bytes held at once.
const RENDER_CHUNK: usize = 256;

/// How often, at most, a run compares every article page with its record
/// although the store says none changed and the sink saw none added,
/// removed or renamed: what finds a page edited in place.
pub const FULL_CHECK_SECS: i64 = 86_400;

/// Which article pages a run compares with their records and files.
enum Scope {
    /// All of them, and every record of the directory; when `verify`,
    /// every page is rendered and compared byte for byte, however intact
    /// its size and mtime say it is.
    All { verify: bool },
    /// Only those of the articles new, edited, moved or pruned since the
    /// directory was last in line with the store; `last` is what was kept
    /// of that run.
    Changed {
        members: Vec<Member>,
        gone: Vec<String>,
        last: InLine,
    },
}

/// What the store keeps of a run that brought an output directory in line
/// with it, under the meta name `in line <dir>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
struct InLine {
    /// The history generation the directory matches.
    generation: i64,
    /// The settings digest every signature included.
    settings: String,
    /// The sink's listing token of the pages folder after that run.
    listing: Option<String>,
    /// The clock of the last run that compared every page.
    checked: i64,
}

impl Scope {
    /// Every page when the settings changed, the directory was never in
    /// line (or the store went back to an older generation), a page was
    /// added, removed or renamed behind readmore's back, or the last full
    /// comparison is [`FULL_CHECK_SECS`] old; else only what changed.
    /// Every page byte for byte when pages were left unflushed under
    /// another boot than the sink's.
    fn of(conn: &Db, sink: &dyn Sink, settings: &str, now: i64) -> Result<Self> {
        let unsynced = store::meta(conn, &unsynced_name(sink.key()))?;
        if unsynced.is_some_and(|boot| !boot.is_empty() && Some(boot.as_str()) != sink.boot()) {
            return Ok(Scope::All { verify: true });
        }
        let all = Scope::All { verify: false };
        let Some(last) = store::meta(conn, &in_line_name(sink.key()))? else {
            return Ok(all);
        };
        let Ok(last) = serde_json::from_str::<InLine>(&last) else {
            return Ok(all);
        };
        let listing = sink.listing(site::PAGES_DIR);
        let fresh = last.settings == settings
            && listing.is_some()
            && last.listing == listing
            && (last.checked..last.checked.saturating_add(FULL_CHECK_SECS)).contains(&now)
            && last.generation <= store::generation(conn)?;
        if !fresh {
            return Ok(all);
        }
        Ok(match store::gone_since(conn, last.generation)? {
            Some(gone) => Scope::Changed {
                members: store::changed_members(conn, last.generation)?,
                gone,
                last,
            },
            None => all,
        })
    }

    /// The records to compare with: all of the directory's, or those of its
    /// feeds, index and OPML list and of the changed articles' pages.
    fn records(&self, conn: &Db, dir: &str) -> Result<HashMap<String, Output>> {
        let Scope::Changed { members, gone, .. } = self else {
            return store::outputs(conn, dir);
        };
        let mut records = store::site_outputs(conn, dir)?;
        let keys = members.iter().map(|m| &m.key).chain(gone);
        for path in keys.map(|k| page_path(k)) {
            if let Some(output) = store::output(conn, dir, &path)? {
                records.insert(path, output);
            }
        }
        Ok(records)
    }

    /// Records that the directory is in line with the store as of now;
    /// after a byte-for-byte comparison, that no page is left unflushed
    /// under another boot.
    fn in_line(&self, tx: &Tx, sink: &dyn Sink, settings: String, now: i64) -> Result<()> {
        let generation = store::generation(tx)?;
        let checked = match self {
            Scope::All { verify } => {
                if *verify {
                    let boot = sink.boot().unwrap_or_default();
                    store::set_meta(tx, &unsynced_name(sink.key()), boot)?;
                }
                now
            }
            Scope::Changed { last, .. } => last.checked,
        };
        let state = InLine {
            generation,
            settings,
            listing: sink.listing(site::PAGES_DIR),
            checked,
        };
        let json = serde_json::to_string(&state).expect("plain data serialises");
        store::set_meta(tx, &in_line_name(sink.key()), &json)?;
        store::forget_gone(tx, generation)
    }

    /// How many desired article pages this scope left out of the comparison.
    fn pages_not_compared(&self, conn: &Db, config: &Config) -> Result<usize> {
        Ok(match self {
            Scope::Changed { members, .. } if config.output.article_pages => {
                store::article_count(conn)? - members.len()
            }
            _ => 0,
        })
    }
}

fn in_line_name(dir: &str) -> String {
    format!("in line {dir}")
}

/// The meta name of the boot under which pages of `dir` were last switched
/// in unflushed (empty: none is left unflushed).
fn unsynced_name(dir: &str) -> String {
    format!("unsynced pages {dir}")
}

/// Digest of the settings every signature includes: the rendering
/// settings, the rules, readmore's version.
fn settings_digest(config: &Config, classifier: &Classifier) -> String {
    store::digest(format!("{} {}", config.render_digest(), classifier.rules_digest()).as_bytes())
}

/// `plans` in feed order ("all", then the sections), plus an empty feed
/// for each configured section that has none with members but whose feed
/// was written before: its file stays, valid and empty.
fn with_empty_feeds<'a>(
    plans: Vec<Plan<'a>>,
    classifier: &'a Classifier,
    records: &HashMap<String, Output>,
    config: &Config,
) -> Vec<Plan<'a>> {
    let mut by_name: HashMap<&str, Plan<'a>> = plans.into_iter().map(|p| (p.name, p)).collect();
    let names = std::iter::once((ALL, None)).chain(
        classifier
            .sections()
            .iter()
            .map(|s| (s.id.as_str(), Some(s))),
    );
    let had_feed = |name: &str| {
        config
            .output
            .formats
            .iter()
            .any(|f| records.contains_key(&format!("{name}.{}", f.ext())))
    };
    names
        .filter_map(|(name, section)| {
            by_name.remove(name).or_else(|| {
                had_feed(name).then(|| Plan {
                    name,
                    section,
                    members: Vec::new(),
                })
            })
        })
        .collect()
}

/// Records every file about to be switched in as pending (empty
/// signature, the digest and `ETag` last recorded), so that a run killed between the
/// switch and the final record leaves them stale, not forgotten; and, if
/// pages may be switched in unflushed, the boot they are written under.
fn mark_pending(
    store: &mut Store,
    sink: &dyn Sink,
    records: &HashMap<String, Output>,
    rendered: &[Rendered],
) -> Result<()> {
    let dir = sink.key();
    let tx = store.transaction()?;
    let pages = rendered.iter().any(|r| r.staged && r.kind == Kind::Page);
    if let (true, Some(boot)) = (pages, sink.boot()) {
        store::set_meta(&tx, &unsynced_name(dir), boot)?;
    }
    for r in rendered.iter().filter(|r| r.staged) {
        let last = records.get(&r.path);
        let pending = Output {
            kind: r.kind.as_str().to_string(),
            signature: String::new(),
            digest: last.map(|o| o.digest.clone()).unwrap_or_default(),
            size: 0,
            mtime_ns: 0,
            etag: last.and_then(|o| o.etag.clone()),
        };
        store::set_output(&tx, dir, &r.path, &pending)?;
    }
    tx.commit().context("cannot commit to the store")
}

/// Records what was written and removed, and queues a ping per hub for
/// every feed whose bytes differ from the last recorded ones.
fn record(
    tx: &Db,
    config: &Config,
    sink: &dyn Sink,
    records: &HashMap<String, Output>,
    rendered: &[Rendered],
    orphans: &[&String],
) -> Result<()> {
    let dir = sink.key();
    for r in rendered {
        let stat = sink
            .stat(&r.path, records.get(&r.path))
            .with_context(|| format!("{} vanished after it was written", r.path))?;
        // Changed since last recorded, not since last on disk: a run killed
        // after switching but before recording still gets its pings queued.
        let changed = records
            .get(&r.path)
            .map_or(r.staged, |o| o.digest != r.digest);
        if let Some(topic) = r.topic.as_deref().filter(|_| changed) {
            for hub in &config.websub.hubs {
                store::queue_ping(tx, topic, &redact::url(hub), websub::unix_now())?;
            }
        }
        let output = Output {
            kind: r.kind.as_str().to_string(),
            signature: r.signature.clone(),
            digest: r.digest.clone(),
            size: stat.size,
            mtime_ns: stat.mtime_ns,
            etag: stat.etag,
        };
        store::set_output(tx, dir, &r.path, &output)?;
    }
    for path in orphans {
        store::forget_output(tx, dir, path)?;
    }
    Ok(())
}

/// Computes signatures and renders, loading each feed's articles once.
struct Renderer<'a> {
    conn: &'a Db,
    config: &'a Config,
    classifier: &'a Classifier,
    plans: &'a [Plan<'a>],
    now: DateTime<Utc>,
    /// Digest of the settings every signature includes.
    settings: String,
    articles: HashMap<String, Article>,
}

impl<'a> Renderer<'a> {
    fn new(
        conn: &'a Db,
        config: &'a Config,
        classifier: &'a Classifier,
        plans: &'a [Plan<'a>],
        now: DateTime<Utc>,
        settings: String,
    ) -> Self {
        Self {
            conn,
            config,
            classifier,
            plans,
            now,
            settings,
            articles: HashMap::new(),
        }
    }

    /// The desired output set: every file this run's store and config call
    /// for, by path relative to the output directory. Of the article
    /// pages, those of the changed articles when `scope` is these; when it
    /// is all, the pages come from [`Renderer::pages_after`] instead, a
    /// chunk at a time.
    fn desired(&self, scope: &Scope) -> Result<BTreeMap<String, Wanted>> {
        let mut desired = BTreeMap::new();
        let output = &self.config.output;
        for (i, plan) in self.plans.iter().enumerate() {
            for &format in &output.formats {
                let signature = self.signature(&("feed", format.ext(), plan.name, &plan.members));
                let what = What::Site(SiteFile::Feed { plan: i, format });
                desired.insert(
                    format!("{}.{}", plan.name, format.ext()),
                    Wanted {
                        kind: Kind::Feed,
                        signature,
                        what,
                    },
                );
            }
        }
        let listed = self.listed();
        if output.index {
            let newest = self.index_members()?;
            let signature = self.signature(&("index", &listed, &newest));
            desired.insert(
                "index.html".into(),
                Wanted {
                    kind: Kind::Index,
                    signature,
                    what: What::Site(SiteFile::Index(newest)),
                },
            );
        }
        if output.opml {
            let names: Vec<(&str, &str)> = listed.iter().map(|k| (k.0, k.1.as_str())).collect();
            let newest = self.site().updated.timestamp();
            let signature = self.signature(&("opml", output.opml_format, &names, newest));
            desired.insert(
                "index.opml".into(),
                Wanted {
                    kind: Kind::Opml,
                    signature,
                    what: What::Site(SiteFile::Opml),
                },
            );
        }
        if let (true, Scope::Changed { members, .. }) = (output.article_pages, scope) {
            desired.extend(members.iter().map(|m| self.page(m.clone())));
        }
        Ok(desired)
    }

    /// An article page the run wants.
    fn page(&self, member: Member) -> (String, Wanted) {
        let path = page_path(&member.key);
        let wanted = Wanted {
            kind: Kind::Page,
            signature: self.signature(&("page", &member)),
            what: What::Page(member),
        };
        (path, wanted)
    }

    /// The pages of the next [`RENDER_CHUNK`] stored articles in key
    /// order, after the key `after`; with the last key, none at the end.
    fn pages_after(&self, after: Option<&str>) -> Result<(Pages, Option<String>)> {
        let members = store::members_after(self.conn, after, RENDER_CHUNK)?;
        let last = (members.len() == RENDER_CHUNK)
            .then(|| members.last().map(|m| m.key.clone()))
            .flatten();
        Ok((members.into_iter().map(|m| self.page(m)).collect(), last))
    }

    /// What the index page and the OPML list show of each listed feed.
    fn listed(&self) -> Vec<(&str, String, usize, Option<&Member>)> {
        self.plans
            .iter()
            .filter(|p| !p.members.is_empty())
            .map(|p| (p.name, title(p), p.members.len(), p.members.first()))
            .collect()
    }

    fn signature(&self, inputs: &impl Serialize) -> String {
        let json = serde_json::to_vec(&(&self.settings, inputs)).expect("plain data serialises");
        store::digest(&json)
    }

    /// The site with the feeds that have members listed.
    fn site(&self) -> Site {
        let listings = self
            .plans
            .iter()
            .filter(|p| !p.members.is_empty())
            .map(|p| self.listing(p))
            .collect();
        Site::new(self.config, listings)
    }

    /// Renders `chunk` in order: the article pages (their articles read
    /// from the store in turn) on every core of rayon's pool, the rest one
    /// by one.
    fn render_all(
        &mut self,
        chunk: &[(&String, &Wanted)],
    ) -> Result<Vec<(Vec<u8>, Option<String>)>> {
        let mut pages = Vec::new();
        for (_, wanted) in chunk {
            if let What::Page(member) = &wanted.what {
                let section = self.classifier.section(&member.section);
                pages.push((store::article(self.conn, &member.key)?, section, member));
            }
        }
        let site = Site::new(self.config, Vec::new());
        let mut pages = pages
            .par_iter()
            .map(|(article, section, member)| page::article(&site, article, section, dates(member)))
            .collect::<Vec<_>>()
            .into_iter();
        chunk
            .iter()
            .map(|(path, wanted)| match &wanted.what {
                What::Page(_) => Ok((pages.next().expect("a page per page"), None)),
                What::Site(file) => self.render(path, file),
            })
            .collect()
    }

    /// Renders one site file; for a feed, also its WebSub topic.
    fn render(&mut self, path: &str, file: &SiteFile) -> Result<(Vec<u8>, Option<String>)> {
        let context = || format!("cannot render {path}");
        Ok(match file {
            SiteFile::Feed { plan, format } => {
                let plans = self.plans;
                let feed = self.feed(&plans[*plan])?;
                let bytes = render::feed(*format, &feed).with_context(context)?;
                (bytes, Some(feed.self_url(format.ext())))
            }
            SiteFile::Index(newest) => (
                page::index(&self.site(), &self.index_articles(newest)?),
                None,
            ),
            SiteFile::Opml => {
                let bytes = opml::render(&self.site(), self.config.output.opml_format)
                    .with_context(context)?;
                (bytes, None)
            }
        })
    }

    /// The members the index lists: of each section with a feed, the
    /// newest [`page::INDEX_NEWEST`] (of every stored article, not only
    /// the feed's), and one more when there are older ones.
    fn index_members(&self) -> Result<Vec<(String, Vec<Member>)>> {
        self.plans
            .iter()
            .filter(|p| p.section.is_some() && !p.members.is_empty())
            .map(|p| {
                let members =
                    store::members(self.conn, Some(p.name), i64::MIN, page::INDEX_NEWEST + 1)?;
                Ok((p.name.to_string(), members))
            })
            .collect()
    }

    /// What the index shows of each section's newest `members`.
    fn index_articles(
        &mut self,
        newest: &[(String, Vec<Member>)],
    ) -> Result<HashMap<String, page::Newest>> {
        let mut by_section = HashMap::new();
        for (section, members) in newest {
            let mut shown = page::Newest {
                articles: Vec::new(),
                older: members.len() > page::INDEX_NEWEST,
            };
            for member in members.iter().take(page::INDEX_NEWEST) {
                let article = self.article(&member.key)?;
                let (author, dek) = (
                    article.author.as_ref().map(|a| a.name.clone()),
                    article.dek.clone(),
                );
                shown.articles.push(page::Listed {
                    href: site::index_href(
                        self.config,
                        &member.key,
                        &member.section,
                        member.guid.as_deref(),
                    ),
                    date: clock::date(member.published),
                    title: member.title.clone(),
                    author,
                    dek,
                });
            }
            by_section.insert(section.clone(), shown);
        }
        Ok(by_section)
    }

    /// The stored article of `key`, read once per run.
    fn article(&mut self, key: &str) -> Result<&Article> {
        if !self.articles.contains_key(key) {
            let article = store::article(self.conn, key)?;
            self.articles.insert(key.to_string(), article);
        }
        Ok(&self.articles[key])
    }

    fn feed(&mut self, plan: &Plan) -> Result<Feed> {
        let entries = plan
            .members
            .iter()
            .map(|m| self.entry(m))
            .collect::<Result<Vec<_>>>()?;
        let section_title = plan.section.map(|s| s.title.as_str());
        Ok(Feed::new(
            plan.name,
            section_title,
            entries,
            self.now,
            self.config,
        ))
    }

    fn listing(&self, plan: &Plan) -> Listing {
        Listing {
            name: plan.name.to_string(),
            title: title(plan),
            newest: plan.members.first().map(|m| clock::date(m.published)),
        }
    }

    fn entry(&mut self, member: &Member) -> Result<Entry> {
        let section = self.classifier.section(&member.section);
        let config = self.config;
        Ok(Entry::new(
            self.article(&member.key)?,
            &section,
            dates(member),
            member.guid.as_deref(),
            config,
        ))
    }
}

fn title(plan: &Plan) -> String {
    plan.section
        .map_or_else(|| "All articles".to_string(), |s| s.title.clone())
}

/// A member's stored dates, clamped: a store written before dates were
/// clamped on the way in must not break every later run.
fn dates(member: &Member) -> (DateTime<Utc>, DateTime<Utc>) {
    (clock::date(member.published), clock::date(member.updated))
}
