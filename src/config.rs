//! `readmore.toml`: the site, the output, the sources and the sections.
//!
//! Every key has a default, so an empty file (or none) is a valid config.
//! Unknown keys are errors, so a typo never passes silently. Paths in the
//! file are relative to the file's directory. Checking happens here, once;
//! the rest of the program takes a `&Config` it can trust.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::format::Format;
use crate::source::{self, Input};
use crate::store::Location;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use url::Url;

/// The classifier's built-in sections, in the same shape as `[[section]]`.
const BUILTIN_SECTIONS: &str = include_str!("sections.toml");

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub site: Site,
    pub output: Output,
    /// Inputs used when the command line names none: paths, directories,
    /// URLs, or `{ url = ..., label = ... }` tables.
    pub sources: Vec<Input>,
    pub fetch: Fetch,
    /// The history store: a SQLite file (keep it out of the output
    /// directory) or a `postgres://` URL.
    pub state: Location,
    pub retention: Retention,
    pub classify: Classify,
    /// Sections added to, or merged into, the built-in ones.
    pub section: Vec<SectionRules>,
    pub websub: Websub,
}

/// How URL sources are fetched.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Fetch {
    /// Seconds to wait for a connection.
    pub connect_timeout: f64,
    /// Seconds a whole fetch may take.
    pub timeout: f64,
    /// Seconds all the fetches of a run may take together.
    pub deadline: f64,
    /// Largest body accepted, in bytes, after decompression.
    pub max_bytes: u64,
    /// Most redirects followed.
    pub redirects: usize,
    /// Most fetches in flight at once.
    pub concurrency: usize,
    /// Most fetches in flight at once from one host (and port); with
    /// several `readmore worker`s, across all of them (one holds a host's
    /// sources at a time).
    pub per_host: usize,
}

impl Default for Fetch {
    fn default() -> Self {
        Self {
            connect_timeout: 10.0,
            timeout: 30.0,
            deadline: 120.0,
            max_bytes: 20 * 1024 * 1024,
            redirects: 5,
            concurrency: 8,
            per_host: 2,
        }
    }
}

/// WebSub: the hubs every feed advertises and is announced to.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Websub {
    /// Hub URLs; empty: no hub links, no pings.
    pub hubs: Vec<String>,
    /// Seconds to wait for a hub's connection.
    pub connect_timeout: f64,
    /// Seconds a whole ping may take.
    pub timeout: f64,
    /// Most redirects a ping follows.
    pub redirects: usize,
    /// Most seconds a build waits to retry failed pings; later runs retry the rest.
    pub wait: f64,
    /// Delay before the first retry, in seconds; doubles with each attempt.
    pub backoff: f64,
    /// Longest delay between retries, in seconds.
    pub max_backoff: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Site {
    pub title: String,
    /// Public URL of the output directory; feeds' self links start with it.
    pub base_url: String,
    /// The site's home page (the feeds' alternate link); `base_url` if unset.
    pub home_url: Option<String>,
    pub description: Option<String>,
    pub language: String,
    /// Feed-level author, for entries without one; the site title if unset.
    pub author: Option<String>,
    /// Namespace of item ids; `base_url` if unset. Set it once and keep it:
    /// changing it changes every id.
    pub id: Option<String>,
    /// The IANA time zone of page dates written without one; UTC if unset.
    pub timezone: Option<String>,
}

impl Site {
    /// The zone of page dates written without one (checked by [`Config::check`]).
    pub fn zone(&self) -> Tz {
        self.timezone
            .as_deref()
            .and_then(|name| source::zone(name).ok())
            .unwrap_or(Tz::UTC)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Output {
    /// A local directory, or `s3://bucket/prefix/` for object storage.
    pub dir: PathBuf,
    /// Item link template: `{base_url}`, `{slug}`, `{section}`. Unset: the
    /// article's page, or `{base_url}#{slug}` without article pages.
    pub link: Option<String>,
    /// Feed formats written for every section and for "all".
    pub formats: Vec<Format>,
    /// Write `index.html`, a page listing every section and its feeds.
    pub index: bool,
    /// Write `index.opml`, a subscription list of the section feeds.
    pub opml: bool,
    /// The feed format the OPML list points readers to.
    pub opml_format: Format,
    /// Write a page per article under `articles/`.
    pub article_pages: bool,
    /// A command (program and arguments, no shell) run after the outputs
    /// changed and before any hub is pinged, with the public URLs of the
    /// changed and removed outputs on its standard input, one a line.
    /// Empty: none.
    pub cdn_purge: Vec<String>,
    /// Object storage, for `dir = "s3://bucket/prefix/"`.
    pub s3: S3,
}

/// How outputs are written to object storage.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct S3 {
    /// The `Cache-Control` header of every object.
    pub cache_control: String,
    /// An S3-compatible endpoint (MinIO, Ceph RGW, R2); unset: AWS, or
    /// `AWS_ENDPOINT_URL` when set.
    pub endpoint: Option<String>,
    /// The bucket's region; unset: `AWS_REGION`, else `us-east-1`.
    pub region: Option<String>,
}

impl Default for S3 {
    fn default() -> Self {
        Self {
            cache_control: "public, max-age=300".into(),
            endpoint: None,
            region: None,
        }
    }
}

/// The scheme of an output in object storage.
pub const S3_SCHEME: &str = "s3://";

/// An output in object storage: a bucket and the prefix of every key in it
/// (empty, or ending with `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketUrl {
    pub bucket: String,
    pub prefix: String,
}

impl BucketUrl {
    /// `s3://bucket/prefix/`, as records of its outputs are keyed.
    pub fn key(&self) -> String {
        format!("{S3_SCHEME}{}/{}", self.bucket, self.prefix)
    }
}

impl Output {
    /// The bucket when `dir` is `s3://bucket/prefix/`; none for a
    /// directory.
    pub fn bucket(&self) -> Result<Option<BucketUrl>> {
        let Some(rest) = self.dir.to_str().and_then(|d| d.strip_prefix(S3_SCHEME)) else {
            return Ok(None);
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let name_ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(c);
        if !(3..=63).contains(&bucket.len()) || !bucket.chars().all(name_ok) {
            bail!(
                "output.dir {}: the bucket name must be 3 to 63 lowercase letters, digits, '.' or '-'",
                self.dir.display()
            );
        }
        let parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
        if parts.iter().any(|p| {
            *p == "." || *p == ".." || p.chars().any(|c| c.is_control() || "?#\\".contains(c))
        }) {
            bail!(
                "output.dir {}: the key prefix must be plain path segments",
                self.dir.display()
            );
        }
        let prefix = parts.iter().map(|p| format!("{p}/")).collect();
        Ok(Some(BucketUrl {
            bucket: bucket.to_string(),
            prefix,
        }))
    }
}

/// How much history the feeds show and the store keeps.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Most entries per feed.
    pub items: usize,
    /// Leave out entries published more than this many days ago (0: no limit).
    pub days: u32,
    /// Forget articles not seen for this many days that no feed shows.
    pub history_days: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Classify {
    /// Start from the built-in sections (false: only those of this file).
    pub builtin: bool,
    /// Section for articles no other section claims with enough confidence.
    pub fallback: String,
    pub fallback_title: String,
    /// The lowest winning score that is not sent to the fallback.
    pub min_score: f64,
}

/// One section's rules. A term's weight of 0 removes a built-in term.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SectionRules {
    pub id: String,
    pub title: Option<String>,
    #[serde(default)]
    pub beats: Vec<String>,
    /// Category names a publisher uses for this section ("Science",
    /// "Wissenschaft"), compared whole, case and '-'/'_' aside.
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub terms: BTreeMap<String, f64>,
    /// The id of a broader section this one is a part of ("security" is
    /// within "tech"): see [`crate::classify`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

impl Default for Websub {
    fn default() -> Self {
        Self {
            hubs: Vec::new(),
            connect_timeout: 5.0,
            timeout: 15.0,
            redirects: 5,
            wait: 10.0,
            backoff: 1.0,
            max_backoff: 3600.0,
        }
    }
}

impl Default for Site {
    fn default() -> Self {
        Self {
            title: "readmore".into(),
            base_url: "http://localhost:8080/".into(),
            home_url: None,
            description: None,
            language: "en".into(),
            author: None,
            id: None,
            timezone: None,
        }
    }
}

impl Default for Output {
    fn default() -> Self {
        Self {
            dir: "feeds".into(),
            link: None,
            formats: Format::ALL.to_vec(),
            index: true,
            opml: true,
            opml_format: Format::Atom,
            article_pages: true,
            cdn_purge: Vec::new(),
            s3: S3::default(),
        }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            items: 50,
            days: 0,
            history_days: 365,
        }
    }
}

impl Default for Classify {
    fn default() -> Self {
        Self {
            builtin: true,
            fallback: "other".into(),
            fallback_title: "Other".into(),
            min_score: 6.0,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Builtin {
    section: Vec<SectionRules>,
}

/// The longest duration a setting may give: a year, in seconds.
const MAX_SECONDS: f64 = 365.0 * 86_400.0;
/// The largest body limit: 1 GiB (a body is held in memory).
const MAX_BYTES: u64 = 1 << 30;
const MAX_REDIRECTS: u64 = 50;
/// The most fetches in flight at once (each holds a thread and a body).
const MAX_FETCHES: u64 = 256;
/// The most entries a feed may keep.
const MAX_ITEMS: u64 = 1_000_000;

/// `value` is a number of seconds from `least` up to [`MAX_SECONDS`].
fn seconds(key: &str, value: f64, least: f64) -> Result<()> {
    if !(least..=MAX_SECONDS).contains(&value) {
        let floor = if least > 0.0 { "above 0" } else { "0 or more" };
        bail!("{key} = {value}: must be seconds, {floor} and at most {MAX_SECONDS} (a year)");
    }
    Ok(())
}

/// `value` lies in `range`.
fn within(key: &str, value: u64, range: std::ops::RangeInclusive<u64>) -> Result<()> {
    if !range.contains(&value) {
        bail!(
            "{key} = {value}: must be from {} to {}",
            range.start(),
            range.end()
        );
    }
    Ok(())
}

impl Config {
    /// Reads and checks a config file; paths in it become relative to its directory.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let mut config: Config =
            toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
        let root = path.parent().unwrap_or(Path::new(""));
        if config.output.bucket().ok().flatten().is_none() {
            config.output.dir = root.join(&config.output.dir);
        }
        config.sources = config.sources.iter().map(|s| s.rooted(root)).collect();
        config.state = config.state.rooted(root);
        config
            .check()
            .with_context(|| format!("invalid config {}", path.display()))?;
        Ok(config)
    }

    /// Checks values and normalises `base_url` to end with '/'.
    pub fn check(&mut self) -> Result<()> {
        self.site.base_url = absolute_dir_url(&self.site.base_url)?;
        if let Some(home) = &self.site.home_url {
            absolute_dir_url(home).context("site.home_url")?;
        }
        if let Some(link) = &self.output.link {
            check_template(link)?;
        }
        if let Some(name) = &self.site.timezone {
            source::zone(name).context("site.timezone")?;
        }
        for input in &self.sources {
            if let Input::Table(table) = input {
                let name = table.url.clone().or_else(|| {
                    let path = table.path.as_ref()?;
                    Some(path.display().to_string())
                });
                let name = name.unwrap_or_default();
                table.checked().with_context(|| format!("source {name}"))?;
                if let Some(interval) = table.interval {
                    within(
                        &format!("source {name}: interval"),
                        interval,
                        1..=MAX_SECONDS as u64,
                    )?;
                }
            }
        }
        let formats = &self.output.formats;
        if formats.is_empty() || (1..formats.len()).any(|i| formats[..i].contains(&formats[i])) {
            bail!("output.formats must list each format at most once, and at least one");
        }
        if self.output.opml && !formats.contains(&self.output.opml_format) {
            bail!(
                "output.opml_format {:?} is not among output.formats",
                self.output.opml_format.ext()
            );
        }
        for rules in &self.section {
            check_section_id(&rules.id)?;
            let blank = |t: &str| t.trim_end_matches('*').trim().is_empty();
            let names = rules.beats.iter().chain(&rules.aliases);
            if rules.terms.keys().any(|t| blank(t)) || names.map(String::as_str).any(blank) {
                bail!(
                    "section {:?}: terms, beats and aliases must not be empty",
                    rules.id
                );
            }
            if rules.terms.values().any(|w| !w.is_finite()) {
                bail!("section {:?}: term weights must be numbers", rules.id);
            }
        }
        check_section_id(&self.classify.fallback)?;
        for hub in &self.websub.hubs {
            absolute_url(hub).context("websub.hubs")?;
        }
        self.check_numbers()?;
        self.check_output()?;
        let out = &self.output.dir;
        if let Some(state) = self.state.file()
            && self.output.bucket()?.is_none()
            && (lexical_absolute(state).starts_with(lexical_absolute(out))
                || resolved(state).starts_with(resolved(out)))
        {
            bail!(
                "the store {} is inside the output directory {}, which is published; put it elsewhere",
                self.state,
                self.output.dir.display()
            );
        }
        Ok(())
    }

    /// Checks the output's bucket, `Cache-Control` and purge command.
    fn check_output(&self) -> Result<()> {
        let output = &self.output;
        output.bucket()?;
        let cache_control = &output.s3.cache_control;
        if cache_control.is_empty()
            || !cache_control
                .chars()
                .all(|c| c == ' ' || c.is_ascii_graphic())
        {
            bail!(
                "output.s3.cache_control {cache_control:?}: must be a non-empty header value (printable ASCII)"
            );
        }
        if let Some(endpoint) = &output.s3.endpoint {
            absolute_url(endpoint).context("output.s3.endpoint")?;
        }
        if output.cdn_purge.first().is_some_and(|p| p.is_empty()) {
            bail!("output.cdn_purge: the first item must name the program to run");
        }
        Ok(())
    }

    /// Checks every number against the range it is used in, so that none
    /// can fail a run halfway (a `Duration` of 1e30 seconds panics).
    fn check_numbers(&self) -> Result<()> {
        let (w, f) = (&self.websub, &self.fetch);
        seconds("websub.connect_timeout", w.connect_timeout, 0.0)?;
        seconds("websub.timeout", w.timeout, f64::MIN_POSITIVE)?;
        seconds("websub.wait", w.wait, 0.0)?;
        seconds("websub.backoff", w.backoff, 0.0)?;
        seconds("websub.max_backoff", w.max_backoff, 0.0)?;
        seconds(
            "fetch.connect_timeout",
            f.connect_timeout,
            f64::MIN_POSITIVE,
        )?;
        seconds("fetch.timeout", f.timeout, f64::MIN_POSITIVE)?;
        seconds("fetch.deadline", f.deadline, f64::MIN_POSITIVE)?;
        within("fetch.max_bytes", f.max_bytes, 1..=MAX_BYTES)?;
        within("fetch.redirects", f.redirects as u64, 0..=MAX_REDIRECTS)?;
        within("fetch.concurrency", f.concurrency as u64, 1..=MAX_FETCHES)?;
        within("fetch.per_host", f.per_host as u64, 1..=MAX_FETCHES)?;
        within("websub.redirects", w.redirects as u64, 0..=MAX_REDIRECTS)?;
        within(
            "retention.items",
            self.retention.items as u64,
            1..=MAX_ITEMS,
        )?;
        if !self.classify.min_score.is_finite() {
            bail!(
                "classify.min_score = {}: must be a number",
                self.classify.min_score
            );
        }
        Ok(())
    }

    /// The sections to classify into, in feed order: the built-in ones (if
    /// kept) merged with this file's, then this file's new ones.
    pub fn sections(&self) -> Vec<SectionRules> {
        let mut sections = if self.classify.builtin {
            toml::from_str::<Builtin>(BUILTIN_SECTIONS)
                .expect("built-in sections are valid TOML")
                .section
        } else {
            Vec::new()
        };
        for rules in &self.section {
            match sections.iter_mut().find(|s| s.id == rules.id) {
                Some(existing) => existing.merge(rules),
                None => sections.push(rules.clone()),
            }
        }
        for section in &mut sections {
            section.terms.retain(|_, w| *w != 0.0);
        }
        sections
    }

    /// A digest of everything besides the articles that shapes the output
    /// files: site, links, retention, and readmore's own version.
    pub fn render_digest(&self) -> String {
        let output = (
            &self.output.link,
            &self.output.formats,
            self.output.opml_format,
            self.output.article_pages,
        );
        digest(&(
            &self.site,
            output,
            &self.retention,
            &self.websub.hubs,
            env!("CARGO_PKG_VERSION"),
        ))
    }

    /// The namespace item ids are derived from.
    pub fn id_namespace(&self) -> &str {
        self.site.id.as_deref().unwrap_or(&self.site.base_url)
    }
}

impl SectionRules {
    fn merge(&mut self, other: &SectionRules) {
        if other.title.is_some() {
            self.title.clone_from(&other.title);
        }
        if other.within.is_some() {
            self.within.clone_from(&other.within);
        }
        self.beats.extend(other.beats.iter().cloned());
        self.aliases.extend(other.aliases.iter().cloned());
        self.terms
            .extend(other.terms.iter().map(|(t, w)| (t.clone(), *w)));
    }
}

/// `path` made absolute against the working directory, `.` and `..` folded,
/// without touching the file system.
/// `path` with its longest existing ancestor resolved (symlinks followed),
/// so that an alias of the output directory is recognised as it.
fn resolved(path: &Path) -> PathBuf {
    let absolute = lexical_absolute(path);
    for ancestor in absolute.ancestors() {
        if let Ok(real) = ancestor.canonicalize() {
            let rest = absolute.strip_prefix(ancestor).unwrap_or(Path::new(""));
            return real.join(rest);
        }
    }
    absolute
}

fn lexical_absolute(path: &Path) -> PathBuf {
    let joined = std::env::current_dir().unwrap_or_default().join(path);
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A digest of a serialisable value: what changes it changes the digest.
pub fn digest(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).expect("config serialises");
    crate::store::digest(json.as_bytes())
}

/// An absolute http(s) URL, with a trailing '/' added when missing.
fn absolute_dir_url(url: &str) -> Result<String> {
    absolute_url(url)?;
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

/// Checks that `url` is an absolute http(s) URL that [`Url`] parses. It is
/// used as written (ids are derived from it), so it must not hold the
/// whitespace or control characters the parser would silently drop.
fn absolute_url(url: &str) -> Result<()> {
    let parsed = Url::parse(url).ok();
    if !parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https"))
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        bail!("{url:?} is not an absolute http(s) URL");
    }
    Ok(())
}

fn check_template(template: &str) -> Result<()> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .context("output.link: unclosed '{'")?;
        let name = &rest[open + 1..close];
        if !matches!(name, "base_url" | "slug" | "section") {
            bail!(
                "output.link: unknown placeholder {{{name}}} (known: {{base_url}}, {{slug}}, {{section}})"
            );
        }
        rest = &rest[close + 1..];
    }
    Ok(())
}

/// Section ids become file names: lowercase letters, digits, '-' and '_'.
fn check_section_id(id: &str) -> Result<()> {
    let valid = !id.is_empty()
        && id != "all"
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        bail!("section id {id:?} must be lowercase letters, digits, '-' or '_', and not \"all\"");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(dir: &str) -> Result<Option<BucketUrl>> {
        let output = Output {
            dir: dir.into(),
            ..Output::default()
        };
        output.bucket()
    }

    /// Guards the output location: `s3://bucket/prefix/` names a bucket
    /// (its prefix normalised, its name checked), anything else a
    /// directory, and a config file's directory is not joined to a URL.
    #[test]
    fn an_s3_output_dir_names_a_bucket_and_a_normalised_prefix() {
        let url = |bucket: &str, prefix: &str| {
            Some(BucketUrl {
                bucket: bucket.into(),
                prefix: prefix.into(),
            })
        };
        assert_eq!(
            bucket("s3://my-site/feeds").unwrap(),
            url("my-site", "feeds/")
        );
        assert_eq!(
            bucket("s3://my-site/a//b/").unwrap(),
            url("my-site", "a/b/")
        );
        assert_eq!(bucket("s3://my-site").unwrap(), url("my-site", ""));
        assert_eq!(url("my-site", "a/").unwrap().key(), "s3://my-site/a/");
        assert_eq!(bucket("feeds/s3:").unwrap(), None);
        for bad in [
            "s3://",
            "s3://My_Site/x",
            "s3://ab/x",
            "s3://site/../x",
            "s3://site/a?b",
        ] {
            assert!(bucket(bad).is_err(), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("readmore.toml");
        std::fs::write(&file, "[output]\ndir = \"s3://my-site/feeds/\"\n").unwrap();
        let config = Config::load(&file).unwrap();
        assert_eq!(config.output.dir, Path::new("s3://my-site/feeds/"));
    }

    /// Guards per-source intervals: a table may give one, the plain form
    /// still loads, and an interval out of range is an error naming it.
    #[test]
    fn a_source_table_may_give_its_interval() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("readmore.toml");
        std::fs::write(
            &file,
            "sources = [\"https://a.example/\", { url = \"https://b.example/\", interval = 600 }]\n",
        )
        .unwrap();
        let config = Config::load(&file).unwrap();
        let intervals: Vec<Option<u64>> = config.sources.iter().map(Input::interval).collect();
        assert_eq!(intervals, [None, Some(600)]);
        std::fs::write(
            &file,
            "sources = [{ url = \"https://b.example/\", interval = 0 }]\n",
        )
        .unwrap();
        let err = format!("{:#}", Config::load(&file).unwrap_err());
        assert!(err.contains("https://b.example/: interval = 0"), "{err}");
    }

    #[test]
    fn builtin_sections_parse_and_cover_the_named_beats() {
        let ids: Vec<String> = Config::default()
            .sections()
            .into_iter()
            .map(|s| s.id)
            .collect();
        for id in [
            "policy", "space", "ai", "health", "science", "cars", "culture", "tech", "security",
        ] {
            assert!(ids.iter().any(|i| i == id), "{id} missing");
        }
    }

    #[test]
    fn file_sections_extend_and_replace() {
        let mut config: Config = toml::from_str(
            r#"
            [[section]]
            id = "space"
            [section.terms]
            "moon" = 0
            "selenography" = 3
            [[section]]
            id = "crypto"
            title = "Crypto"
            terms = { "bitcoin" = 3 }
            "#,
        )
        .unwrap();
        config.check().unwrap();
        let sections = config.sections();
        let space = sections.iter().find(|s| s.id == "space").unwrap();
        assert!(space.terms.contains_key("selenography") && !space.terms.contains_key("moon"));
        assert_eq!(sections.last().unwrap().id, "crypto");
        config.classify.builtin = false;
        assert_eq!(config.sections().len(), 2);
    }

    #[test]
    fn bad_values_are_rejected() {
        for bad in [
            "[site]\nbase_url = \"example.org\"",
            // Not URLs, though they start with a scheme and a host.
            "[site]\nbase_url = \"https://[::1/\"",
            "[site]\nbase_url = \"http://example.org:port/\"",
            "[websub]\nhubs = [\"https://hub example.org/\"]",
            "[output]\nlink = \"{base_url}{nope}\"",
            "[[section]]\nid = \"../x\"",
            "[site]\ntitel = \"typo\"",
            "state = \"feeds/../feeds/state.db\"",
            "[[section]]\nid = \"x\"\nterms = { \"*\" = 1 }",
            "[[section]]\nid = \"x\"\nbeats = [\" \"]",
            "[[section]]\nid = \"x\"\naliases = [\"\"]",
        ] {
            let parsed = toml::from_str::<Config>(bad).map_err(anyhow::Error::from);
            assert!(parsed.and_then(|mut c| c.check()).is_err(), "{bad}");
        }
    }
}
