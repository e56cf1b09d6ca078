//! The files a build writes, and which of them must be rendered again.
//!
//! Every output — each feed in each format, the index page, the OPML list,
//! each article page — has a signature: a digest of everything it is
//! rendered from (its articles' keys, content hashes, sections and dates,
//! the site settings and rules, readmore's version). An output whose
//! signature matches the one recorded when its file was last written, and
//! whose file is still that file (same size and mtime), is skipped without
//! rendering. The others are rendered in memory and handed back; writing
//! them is the caller's business.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::Transaction;
use serde::Serialize;

use crate::article::Article;
use crate::classify::{Classifier, Section};
use crate::clock;
use crate::config::Config;
use crate::feed::{self, ALL, Entry, Feed, Listing, Newest, Site};
use crate::render::{opml, page};
use crate::store::{self, Member, Output};

/// Where article pages go, inside the output directory.
pub const PAGES_DIR: &str = "articles";

/// One feed of the run: its name, its section ("all" has none), its members.
pub struct Plan<'a> {
    pub name: &'a str,
    pub section: Option<&'a Section>,
    pub members: Vec<Member>,
}

/// A rendered file waiting to be written.
pub struct Rendered {
    pub path: PathBuf,
    pub signature: String,
    pub bytes: Vec<u8>,
    /// For a feed: its public URL, the WebSub topic.
    pub topic: Option<String>,
}

impl Rendered {
    /// A rendered file that is not a feed (no WebSub topic).
    fn file(path: PathBuf, signature: String, bytes: Vec<u8>) -> Self {
        Self {
            path,
            signature,
            bytes,
            topic: None,
        }
    }
}

/// The feeds of a run: "all", then every section with members, each with the
/// newest `retention.items` articles published within `retention.days`.
pub fn plan<'a>(
    tx: &Transaction,
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
        members: store::members(tx, None, since, limit)?,
    }];
    for section in classifier.sections() {
        let members = store::members(tx, Some(&section.id), since, limit)?;
        plans.push(Plan {
            name: &section.id,
            section: Some(section),
            members,
        });
    }
    plans.retain(|p| !p.members.is_empty());
    Ok(plans)
}

/// The path of an article's page.
pub fn page_path(config: &Config, key: &str) -> PathBuf {
    config
        .output
        .dir
        .join(PAGES_DIR)
        .join(format!("{}.html", feed::page_stem(key)))
}

/// Renders what changed, loading each stored article at most once.
pub struct Renderer<'a> {
    tx: &'a Transaction<'a>,
    config: &'a Config,
    classifier: &'a Classifier,
    /// Digest of the settings every signature includes.
    settings: String,
    articles: HashMap<String, Article>,
    pub rendered: Vec<Rendered>,
    pub unchanged: usize,
}

impl<'a> Renderer<'a> {
    pub fn new(tx: &'a Transaction<'a>, config: &'a Config, classifier: &'a Classifier) -> Self {
        let settings = store::digest(
            format!("{} {}", config.render_digest(), classifier.rules_digest()).as_bytes(),
        );
        Self {
            tx,
            config,
            classifier,
            settings,
            articles: HashMap::new(),
            rendered: Vec::new(),
            unchanged: 0,
        }
    }

    /// The digest of the settings: when it changes, every page is stale.
    pub fn settings(&self) -> &str {
        &self.settings
    }

    /// Every feed in every configured format.
    pub fn feeds(&mut self, plans: &[Plan]) -> Result<()> {
        for plan in plans {
            for &format in &self.config.output.formats {
                let path = self
                    .config
                    .output
                    .dir
                    .join(format!("{}.{}", plan.name, format.ext()));
                let Some(signature) =
                    self.stale(&path, &(format.ext(), plan.name, &plan.members))?
                else {
                    continue;
                };
                let entries = plan
                    .members
                    .iter()
                    .map(|m| self.entry(m))
                    .collect::<Result<Vec<_>>>()?;
                let feed = Feed::new(
                    plan.name,
                    plan.section.map(|s| s.title.as_str()),
                    entries,
                    self.config,
                )
                .context("a planned feed has members")?;
                let bytes = format
                    .render(&feed)
                    .with_context(|| format!("cannot render {}", path.display()))?;
                let topic = Some(feed.self_url(format.ext()));
                self.rendered.push(Rendered {
                    path,
                    signature,
                    bytes,
                    topic,
                });
            }
        }
        Ok(())
    }

    /// The index page and the OPML list, as configured.
    pub fn site(&mut self, plans: &[Plan]) -> Result<()> {
        let listings: Vec<Listing> = plans.iter().map(|p| self.listing(p)).collect();
        let key: Vec<(&str, &str, usize, Option<&Member>)> = plans
            .iter()
            .zip(&listings)
            .map(|(p, l)| (p.name, l.title.as_str(), p.members.len(), p.members.first()))
            .collect();
        let site = Site::new(self.config, listings.clone());
        if self.config.output.index {
            let path = self.config.output.dir.join("index.html");
            if let Some(signature) = self.stale(&path, &("index", &key))? {
                self.rendered
                    .push(Rendered::file(path, signature, page::index(&site)));
            }
        }
        if self.config.output.opml {
            let path = self.config.output.dir.join("index.opml");
            let names: Vec<(&str, &str)> = key.iter().map(|k| (k.0, k.1)).collect();
            let newest = site.updated.timestamp();
            if let Some(signature) = self.stale(
                &path,
                &("opml", self.config.output.opml_format, &names, newest),
            )? {
                let bytes = opml::render(&site, self.config.output.opml_format)?;
                self.rendered.push(Rendered::file(path, signature, bytes));
            }
        }
        Ok(())
    }

    /// The pages of these articles.
    pub fn pages(&mut self, members: &[Member]) -> Result<()> {
        let listings = Vec::new();
        let site = Site::new(self.config, listings);
        for member in members {
            let path = page_path(self.config, &member.key);
            let Some(signature) = self.stale(&path, &("page", member))? else {
                continue;
            };
            let section = self.classifier.section(&member.section);
            let dates = dates(member);
            let bytes = page::article(&site, self.article(&member.key)?, &section, dates);
            self.rendered.push(Rendered::file(path, signature, bytes));
        }
        Ok(())
    }

    /// The signature of `path` from `inputs`, or `None` when the file on
    /// disk was written from the same inputs and is still intact.
    fn stale(&mut self, path: &Path, inputs: &impl Serialize) -> Result<Option<String>> {
        let json = serde_json::to_vec(&(&self.settings, inputs))?;
        let signature = store::digest(&json);
        let recorded = store::output(self.tx, &path.to_string_lossy())?;
        if recorded.is_some_and(|o| o.signature == signature && is_intact(path, &o)) {
            self.unchanged += 1;
            return Ok(None);
        }
        Ok(Some(signature))
    }

    fn listing(&self, plan: &Plan) -> Listing {
        let newest = plan.members.first().map(|m| Newest {
            title: m.title.clone(),
            href: feed::newest_href(self.config, &m.key, &m.section, m.guid.as_deref()),
            date: clock::date(m.published),
        });
        let title = plan
            .section
            .map_or_else(|| "All articles".to_string(), |s| s.title.clone());
        Listing {
            name: plan.name.to_string(),
            title,
            count: plan.members.len(),
            newest,
        }
    }

    fn article(&mut self, key: &str) -> Result<&Article> {
        if !self.articles.contains_key(key) {
            let article = store::article(self.tx, key)?;
            self.articles.insert(key.to_string(), article);
        }
        Ok(&self.articles[key])
    }

    fn entry(&mut self, member: &Member) -> Result<Entry> {
        let section = self.classifier.section(&member.section);
        let dates = dates(member);
        let config = self.config;
        Ok(Entry::new(
            self.article(&member.key)?,
            &section,
            dates,
            member.guid.as_deref(),
            config,
        ))
    }
}

/// A member's stored dates, clamped: a store written before dates were
/// clamped on the way in must not break every later run.
fn dates(member: &Member) -> (DateTime<Utc>, DateTime<Utc>) {
    (clock::date(member.published), clock::date(member.updated))
}

/// The file is still the one recorded: same size and modification time.
fn is_intact(path: &Path, recorded: &Output) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|m| m.len() == recorded.size && mtime_ns(&m) == recorded.mtime_ns)
}

/// A file's modification time in nanoseconds since the epoch.
pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
