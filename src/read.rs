//! Reading every source of a run into articles: fetching the URLs
//! (conditionally, with the validators the caller looked up in the store:
//! [`Known`]; reading never touches the store itself), skipping the
//! files whose [`fingerprint`] the store already holds, telling text
//! dumps, HTML pages and feeds apart, parsing each with its parser, reading
//! an HTML page without excerpts through the feed it advertises, dropping
//! duplicates ([`crate::dedup`]), and printing every diagnostic as
//! `file:line: level: message`.
//!
//! A URL that fails (status, timeout, size, a feed that cannot be parsed)
//! is reported and skipped, so the other sources still count; a local file that cannot be read, or invalid
//! UTF-8 without `--lossy`, fails the run.

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};

use anyhow::{Context, Result, anyhow, bail};
use chrono_tz::Tz;
use url::Url;

use crate::article::Article;
use crate::config::Config;
use crate::dedup::Seen;
use crate::diag::{Diagnostic, Level};
use crate::error::UsageError;
use crate::feedsrc;
use crate::fetch::{self, Fetched, Validators};
use crate::fingerprint;
use crate::parse::{Encoding, ParseError, Parser};
use crate::redact;
use crate::scrape::{self, DEFAULT_LABEL};
use crate::source::{self, Input, Kind, Origin, Source};

/// An article with where it came from.
pub struct Found {
    pub source: String,
    pub article: Article,
}

/// What reading the sources gave.
#[derive(Default)]
pub struct Reading {
    pub found: Vec<Found>,
    pub warnings: usize,
    /// Sources unchanged since the last run, by their key in the store:
    /// URLs that answered `304 Not Modified`, files of the same fingerprint.
    pub unchanged: Vec<String>,
    /// Sources that gave nothing, and why.
    pub failed: Vec<(String, String)>,
    /// The URL pages and files parsed, to remember once the run is committed.
    pub pages: Vec<ParsedPage>,
}

/// What the store remembers that reading needs, looked up by the caller.
#[derive(Debug, Default)]
pub struct Known {
    /// The validators of the last page parsed from each source, by its key
    /// in the store (a URL without user info, a file's `file://` key).
    pub validators: HashMap<String, Validators>,
    /// Every stored article's key and id link, for [`Seen::adopt`].
    pub ids: Vec<(String, Option<String>)>,
}

impl Known {
    /// The validators remembered for `key`; none when it was never parsed.
    fn validators(&self, key: &str) -> Validators {
        self.validators.get(key).cloned().unwrap_or_default()
    }
}

/// A page fetched and parsed: what conditional GET and a later `304` need.
pub struct ParsedPage {
    pub url: String,
    pub validators: Validators,
    /// Keys of the articles on it.
    pub keys: Vec<String>,
}

/// Reads `inputs` (the config's sources when empty). With what a store
/// remembers, URL sources are fetched conditionally and unchanged files
/// skipped; without, every source is read and nothing is to be recorded.
pub fn read(
    config: &Config,
    inputs: &[Input],
    encoding: Encoding,
    known: Option<&Known>,
    diag: &mut dyn Write,
) -> Result<Reading> {
    let inputs = if inputs.is_empty() {
        &config.sources
    } else {
        inputs
    };
    if inputs.is_empty() {
        bail!(UsageError(
            "no input: name files, directories or URLs, or list `sources` in the config".into()
        ));
    }
    let sources = source::resolve(inputs)?;
    let mut fetched = fetch_urls(config, &sources, known)?.into_iter();
    let mut reading = Reading::default();
    let mut seen = Seen::new(known.map(|k| &k.ids[..]));
    for source in &sources {
        let name = source.name();
        let label = source.label.as_deref().unwrap_or(DEFAULT_LABEL);
        let zone = source.zone.unwrap_or(config.site.zone());
        // What else decides the articles read from a file, with its bytes.
        let settings = format!(
            "{label}\u{0}{:?}\u{0}{zone:?}",
            source.page_url.as_ref().map(|u| u.as_str())
        );
        let file = match (&source.origin, known) {
            (Origin::File(path), Some(known)) => {
                let (key, print) = (
                    fingerprint::key(path)?,
                    fingerprint::of_file(path, &settings, encoding)?,
                );
                if known.validators(&key).etag.as_deref() == Some(print.as_str()) {
                    reading.unchanged.push(key);
                    continue;
                }
                Some((key, print))
            }
            _ => None,
        };
        let pages_before = reading.pages.len();
        let (mut articles, mut diagnostics) = match &source.origin {
            Origin::Url(_) => match fetched.next().context("a fetch result per URL")? {
                Fetched::Page(page) => {
                    let kind = source::kind_of(page.content_type.as_deref(), &page.body);
                    let how = How {
                        kind,
                        page_url: Some(source.page_url.as_ref().unwrap_or(&page.url)),
                        content_type: page.content_type.as_deref(),
                        label,
                        zone,
                        max_bytes: config.fetch.max_bytes,
                    };
                    let feed = (kind == Kind::Feed)
                        .then(|| feedsrc::read_feed(&page.body, Some(&page.url)));
                    let mut parsed = match feed {
                        Some(Ok(parsed)) => parsed,
                        Some(Err(why)) => {
                            writeln!(diag, "{name}:1: error: {why}")?;
                            reading.failed.push((name, why));
                            continue;
                        }
                        // A page that cannot be read (invalid UTF-8) is its
                        // source's failure alone, like a bad status.
                        None => match parse(&name, &page.body[..], &how, encoding) {
                            Ok(parsed) => parsed,
                            Err(e) => {
                                let why = format!("{e:#}");
                                writeln!(diag, "{why}")?;
                                reading.failed.push((name, why));
                                continue;
                            }
                        },
                    };
                    let mut record = Some(name.clone());
                    if kind == Kind::Html && parsed.0.is_empty() {
                        let html = String::from_utf8_lossy(&page.body);
                        if let Some(url) = feedsrc::advertised_feed(&html, &page.url) {
                            let feed = redact::strip(url.clone());
                            match discover(config, known, &url)? {
                                Discovered::Read(articles, mut diagnostics, recorded) => {
                                    let note = format!(
                                        "no excerpts on the page; read through the feed it advertises, {feed}"
                                    );
                                    diagnostics.insert(0, Diagnostic::note(1, note));
                                    parsed = (articles, diagnostics);
                                    reading.pages.push(recorded);
                                    record = None;
                                }
                                Discovered::NotModified => {
                                    reading.unchanged.push(feed.to_string());
                                    continue;
                                }
                                Discovered::Failed(why) => {
                                    let why = format!("its advertised feed {feed}: {why}");
                                    writeln!(diag, "{name}: error: {why}")?;
                                    reading.failed.push((name, why));
                                    continue;
                                }
                            }
                        }
                    }
                    if let Some(url) = record {
                        reading.pages.push(ParsedPage {
                            url,
                            validators: page.validators,
                            keys: parsed.0.iter().map(|a| a.key.clone()).collect(),
                        });
                    }
                    parsed
                }
                Fetched::NotModified => {
                    reading.unchanged.push(name);
                    continue;
                }
                Fetched::Failed(why) => {
                    writeln!(diag, "{name}: error: {why}")?;
                    reading.failed.push((name, why));
                    continue;
                }
            },
            _ => {
                let (reader, kind) = source.open()?;
                let how = How {
                    kind,
                    page_url: source.page_url.as_ref(),
                    content_type: None,
                    label,
                    zone,
                    max_bytes: config.fetch.max_bytes,
                };
                let parsed = parse(&name, reader, &how, encoding)?;
                if let Some((key, print)) = file {
                    reading.pages.push(ParsedPage {
                        url: key,
                        validators: Validators {
                            etag: Some(print),
                            last_modified: None,
                        },
                        keys: parsed.0.iter().map(|a| a.key.clone()).collect(),
                    });
                }
                parsed
            }
        };
        for (line, note) in seen.adopt(&mut articles) {
            diagnostics.push(Diagnostic::note(line, note));
        }
        // the page remembers its articles under the keys they are stored by
        for page in &mut reading.pages[pages_before..] {
            page.keys = articles.iter().map(|a| a.key.clone()).collect();
        }
        reading.warnings += report(&name, &diagnostics, diag)?;
        for article in articles {
            match seen.check(&name, &article) {
                Some(message) => {
                    let duplicate = Diagnostic::warning(article.lines.0, message);
                    reading.warnings += report(&name, &[duplicate], diag)?;
                }
                None => reading.found.push(Found {
                    source: name.clone(),
                    article,
                }),
            }
        }
    }
    Ok(reading)
}

/// Fetches the URL sources, in source order.
fn fetch_urls(config: &Config, sources: &[Source], known: Option<&Known>) -> Result<Vec<Fetched>> {
    let requests: Vec<fetch::Request> = sources
        .iter()
        .filter_map(|source| match &source.origin {
            Origin::Url(url) => Some(fetch::Request {
                url: url.clone(),
                validators: known
                    .map(|k| k.validators(&source.name()))
                    .unwrap_or_default(),
            }),
            _ => None,
        })
        .collect();
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    fetch::fetch_all(&requests, &config.fetch, &config.site.base_url)
}

/// What reading a page's advertised feed gave.
enum Discovered {
    Read(Vec<Article>, Vec<Diagnostic>, ParsedPage),
    NotModified,
    Failed(String),
}

/// Fetches the feed a page advertises (conditionally, under its own URL)
/// and reads it.
fn discover(config: &Config, known: Option<&Known>, feed: &Url) -> Result<Discovered> {
    let name = redact::strip(feed.clone()).to_string();
    let request = fetch::Request {
        url: feed.clone(),
        validators: known.map(|k| k.validators(&name)).unwrap_or_default(),
    };
    let fetched = fetch::fetch_all(&[request], &config.fetch, &config.site.base_url)?;
    Ok(match fetched.into_iter().next() {
        Some(Fetched::Page(page)) => match feedsrc::read_feed(&page.body, Some(&page.url)) {
            Ok((articles, diagnostics)) => {
                let keys = articles.iter().map(|a| a.key.clone()).collect();
                let recorded = ParsedPage {
                    url: name,
                    validators: page.validators,
                    keys,
                };
                Discovered::Read(articles, diagnostics, recorded)
            }
            Err(why) => Discovered::Failed(why),
        },
        Some(Fetched::NotModified) => Discovered::NotModified,
        Some(Fetched::Failed(why)) => Discovered::Failed(why),
        None => Discovered::Failed("not fetched".into()),
    })
}

/// How to read one source's bytes.
struct How<'a> {
    kind: Kind,
    /// Where the page was fetched from, or the address declared for it:
    /// relative links resolve against it.
    page_url: Option<&'a Url>,
    /// The `Content-Type` it was served with, for its charset.
    content_type: Option<&'a str>,
    /// The more-link label of HTML listings.
    label: &'a str,
    /// The zone of dates written without one.
    zone: Tz,
    /// The most bytes a page or feed read whole may have
    /// (`fetch.max_bytes`, for files and stdin as for URLs).
    max_bytes: u64,
}

/// Parses one source's bytes as what they are.
fn parse(
    name: &str,
    reader: impl BufRead,
    how: &How,
    encoding: Encoding,
) -> Result<(Vec<Article>, Vec<Diagnostic>)> {
    match how.kind {
        Kind::Text => {
            let mut parser = Parser::new(reader, encoding);
            let mut articles = Vec::new();
            for next in parser.by_ref() {
                articles.push(next.map_err(|e| match e {
                    ParseError::InvalidUtf8 { line, .. } => anyhow!("{name}:{line}: {e}"),
                    ParseError::Io(_) => anyhow!(e).context(name.to_string()),
                })?);
            }
            Ok((articles, parser.take_diagnostics()))
        }
        Kind::Html => {
            let bytes = read_whole(name, reader, how.max_bytes)?;
            let declared =
                source::html_charset(how.content_type, &bytes).filter(|e| *e != encoding_rs::UTF_8);
            let html = match (declared, String::from_utf8(bytes), encoding) {
                (Some(charset), Err(e), _) => charset.decode(e.as_bytes()).0.into_owned(),
                (Some(charset), Ok(text), _) => charset.decode(text.as_bytes()).0.into_owned(),
                (None, Ok(html), _) => html,
                (None, Err(e), Encoding::Lossy) => {
                    String::from_utf8_lossy(e.as_bytes()).into_owned()
                }
                (None, Err(e), Encoding::Strict) => {
                    let offset = e.utf8_error().valid_up_to();
                    let line = e.as_bytes()[..offset]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1;
                    bail!(
                        "{name}:{line}: invalid UTF-8 at byte offset {offset} (use --lossy to replace it)"
                    );
                }
            };
            Ok(scrape::parse_html_in(
                &html,
                how.page_url,
                how.label,
                how.zone,
            ))
        }
        Kind::Feed => {
            let bytes = read_whole(name, reader, how.max_bytes)?;
            feedsrc::read_feed(&bytes, how.page_url).map_err(|why| anyhow!("{name}:1: {why}"))
        }
    }
}

/// Reads a page or feed whole, refusing one over `max_bytes` (memory stays
/// bounded for files and stdin as for URLs).
fn read_whole(name: &str, reader: impl Read, max_bytes: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    if bytes.len() as u64 > max_bytes {
        bail!(
            "{name}: over the {max_bytes} byte limit (fetch.max_bytes); raise it in the config to read this source"
        );
    }
    Ok(bytes)
}

/// Prints diagnostics; returns how many were warnings.
fn report(name: &str, diagnostics: &[Diagnostic], diag: &mut dyn Write) -> Result<usize> {
    for d in diagnostics {
        writeln!(diag, "{}", d.in_file(name))?;
    }
    Ok(diagnostics
        .iter()
        .filter(|d| d.level == Level::Warning)
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reading takes what the store remembers as a map: the validators a
    // first read gave, handed back, skip the unchanged file with no store.
    #[test]
    fn validators_handed_back_as_a_map_skip_an_unchanged_file() {
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample/ars-author-archive.txt");
        let inputs = [Input::Plain(sample.into())];
        let config = Config::default();
        let mut diag = Vec::new();
        let first = read(
            &config,
            &inputs,
            Encoding::Strict,
            Some(&Known::default()),
            &mut diag,
        )
        .unwrap();
        assert_eq!(first.found.len(), 12);
        let page = &first.pages[0];
        let known = Known {
            validators: HashMap::from([(page.url.clone(), page.validators.clone())]),
            ids: Vec::new(),
        };
        let again = read(&config, &inputs, Encoding::Strict, Some(&known), &mut diag).unwrap();
        assert!(again.found.is_empty() && again.pages.is_empty());
        assert_eq!(again.unchanged, std::slice::from_ref(&page.url));
        let without = read(&config, &inputs, Encoding::Strict, None, &mut diag).unwrap();
        assert_eq!(
            without.found.len(),
            12,
            "without a store every source is read"
        );
    }
}
