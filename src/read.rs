//! Reading every source of a run into articles: fetching the URLs
//! (conditionally, with the validators the caller looked up in the store:
//! [`Known`]; reading never touches the store itself), skipping the
//! files whose [`fingerprint`] (or stat stamp) the store already holds and
//! reading the others once, telling text
//! dumps, HTML pages and feeds apart, parsing each with its parser, reading
//! an HTML page without excerpts through the feed it advertises, dropping
//! duplicates ([`crate::dedup`]), and printing every diagnostic as
//! `file:line: level: message`.
//!
//! Every source takes one path: its bytes (fetched, or opened) are told
//! apart and parsed by one function, whose failures (invalid UTF-8 without
//! `--lossy`, over `fetch.max_bytes`, a feed that cannot be read) come back
//! as one kind, with the line to blame when there is one. A URL's failure
//! (those, or a status, a timeout) is reported as `url[:line]: error: why`
//! and skipped, so the other sources still count; a local file's fails the
//! run with the same `file[:line]: why`.
//!
//! A fetched page is parsed on the thread that fetched it as soon as it
//! answers ([`fetch::fetch_in_order`]), while the other fetches are in
//! flight; what each source gave is then gathered in source order (files
//! read there, in their place), so diagnostics, duplicates and batches do
//! not depend on which answer came first.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::SystemTime;

use anyhow::{Context, Result, anyhow, bail};
use chrono_tz::Tz;
use url::Url;

use crate::article::Article;
use crate::config::Config;
use crate::dedup::Seen;
use crate::diag::{Diagnostic, Level};
use crate::error::UsageError;
use crate::feedsrc;
use crate::fetch::{self, Fetched, Fetcher};
use crate::fingerprint::{self, Local};
use crate::parse::{Encoding, ParseError, Parser};
use crate::redact;
use crate::scrape::{self, DEFAULT_LABEL};
use crate::source::{self, Input, Kind, Origin, Source};
use crate::store::{Asked, Validators};

/// An article with where it came from.
pub struct Found {
    pub source: String,
    pub article: Article,
}

/// What reading the sources gave.
#[derive(Default)]
pub struct Reading {
    /// The articles read ([`read`]; none from [`read_in_batches`]).
    pub found: Vec<Found>,
    pub warnings: usize,
    /// Sources unchanged since the last run, by their key in the store:
    /// URLs that answered `304 Not Modified`, files of the same fingerprint.
    pub unchanged: Vec<String>,
    /// New stat stamps of unchanged files, by key: a file whose stamp
    /// changed (touched, rewritten with the same bytes, or no longer too
    /// recent to trust, see [`fingerprint`]) and whose fingerprint did not.
    pub stamps: HashMap<String, String>,
    /// Sources that gave nothing, and why.
    pub failed: Vec<(String, String)>,
    /// The URL pages and files parsed, to remember once the run is
    /// committed ([`read`]; none from [`read_in_batches`]).
    pub pages: Vec<ParsedPage>,
    /// Every URL source fetched, by name, with what its server asked of
    /// the next request (see [`crate::asked`]).
    pub asked: Vec<(String, Option<Asked>)>,
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
    let mut all = Batch::default();
    let mut keep = |batch: Batch| {
        all.found.extend(batch.found);
        all.pages.extend(batch.pages);
        Ok(())
    };
    let mut reading =
        read_in_batches(config, inputs, encoding, known, usize::MAX, &mut keep, diag)?;
    (reading.found, reading.pages) = (all.found, all.pages);
    Ok(reading)
}

/// What [`read_in_batches`] hands on at a time.
#[derive(Default)]
pub struct Batch {
    /// The articles found, in source order.
    pub found: Vec<Found>,
    /// The pages they were parsed from (URLs and files with a key in the
    /// store), to remember with the run.
    pub pages: Vec<ParsedPage>,
}

/// Reads as [`read`] does, but hands the articles found (and the pages
/// they came from) to `each` in batches of about `batch` articles (a
/// source's articles are never split; the last batch may be smaller), in
/// source order, as they are read; the returned [`Reading`] holds no
/// articles and no pages. So a caller can classify and
/// store a batch and drop it before the next is read.
pub fn read_in_batches(
    config: &Config,
    inputs: &[Input],
    encoding: Encoding,
    known: Option<&Known>,
    batch: usize,
    each: &mut dyn FnMut(Batch) -> Result<()>,
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
    let reader = Reader {
        config,
        known,
        encoding,
    };
    let urls: Vec<&Source> = sources
        .iter()
        .filter(|source| matches!(source.origin, Origin::Url(_)))
        .collect();
    // Each page is parsed on the thread that fetched it, as soon as it
    // answers; the sources are gathered in their order.
    let parse_answer = |i: usize, answer: fetch::Answer, fetcher: &Fetcher| {
        let mut pages = Vec::new();
        let got = reader.read_page(urls[i], answer.fetched, fetcher, &mut pages)?;
        Ok((got, pages, answer.asked))
    };
    fetch::fetch_in_order(
        &reader.requests(&urls),
        &config.fetch,
        &config.site.base_url,
        parse_answer,
        |answers| reader.gather(&sources, answers, batch, each, diag),
    )?
}

/// What reading one source gave.
enum Got {
    Read(Vec<Article>, Vec<Diagnostic>),
    /// Unchanged since it was last parsed (`304`, the same stamp or
    /// fingerprint): its key in the store, and a file's new stamp.
    Unchanged(String, Option<String>),
    /// Nothing, and why: this source's failure alone.
    Failed(Unreadable),
}

/// Why a source's bytes gave nothing: where (a line, when one is to
/// blame) and what.
#[derive(Debug)]
struct Unreadable {
    line: Option<usize>,
    why: String,
}

impl Unreadable {
    fn new(why: impl Into<String>) -> Self {
        Self {
            line: None,
            why: why.into(),
        }
    }

    /// `name:line: why`, or `name: why`.
    fn at(&self, name: &str) -> String {
        self.located(name, "")
    }

    /// `name:line: error: why`, or `name: error: why`.
    fn error_in(&self, name: &str) -> String {
        self.located(name, "error: ")
    }

    /// `line N: why`, or `why`: what the run's summary says after the name.
    fn summary(&self) -> String {
        match self.line {
            Some(line) => format!("line {line}: {}", self.why),
            None => self.why.clone(),
        }
    }

    fn located(&self, name: &str, level: &str) -> String {
        match self.line {
            Some(line) => format!("{name}:{line}: {level}{}", self.why),
            None => format!("{name}: {level}{}", self.why),
        }
    }
}

/// What every source of a run is read with.
struct Reader<'a> {
    config: &'a Config,
    known: Option<&'a Known>,
    encoding: Encoding,
}

impl Reader<'_> {
    /// Reads every source in order, URL sources from what their answers
    /// gave (`answers`, in source order), drops duplicates, and hands the
    /// articles found to `each` in batches of about `batch`.
    fn gather(
        &self,
        sources: &[Source],
        answers: &mut dyn Iterator<Item = Result<(Got, Vec<ParsedPage>, Option<Asked>)>>,
        batch: usize,
        each: &mut dyn FnMut(Batch) -> Result<()>,
        diag: &mut dyn Write,
    ) -> Result<Reading> {
        let mut reading = Reading::default();
        let mut seen = Seen::new(self.known.map(|k| &k.ids[..]));
        let mut found = Vec::new();
        for source in sources {
            let name = source.name();
            let pages_before = reading.pages.len();
            let got = match &source.origin {
                Origin::Url(_) => {
                    let (got, pages, asked) =
                        answers.next().context("a fetch result per URL")??;
                    reading.pages.extend(pages);
                    reading.asked.push((name.clone(), asked));
                    got
                }
                _ => self.read_local(source, &mut reading.pages)?,
            };
            let (mut articles, mut diagnostics) = match got {
                Got::Read(articles, diagnostics) => (articles, diagnostics),
                Got::Unchanged(key, stamp) => {
                    if let Some(stamp) = stamp {
                        reading.stamps.insert(key.clone(), stamp);
                    }
                    reading.unchanged.push(key);
                    continue;
                }
                Got::Failed(failure) => {
                    writeln!(diag, "{}", failure.error_in(&name))?;
                    reading.failed.push((name, failure.summary()));
                    continue;
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
                    None => found.push(Found {
                        source: name.clone(),
                        article,
                    }),
                }
            }
            if found.len() >= batch {
                let (found, pages) = (
                    std::mem::take(&mut found),
                    std::mem::take(&mut reading.pages),
                );
                each(Batch { found, pages })?;
            }
        }
        if !found.is_empty() || !reading.pages.is_empty() {
            let pages = std::mem::take(&mut reading.pages);
            each(Batch { found, pages })?;
        }
        Ok(reading)
    }

    /// Reads a file or stdin; skips a file whose stamp or fingerprint the
    /// store holds, and reads a changed one once (see [`fingerprint`]).
    /// A file that cannot be read fails the run.
    fn read_local(&self, source: &Source, pages: &mut Vec<ParsedPage>) -> Result<Got> {
        let (config, encoding) = (self.config, self.encoding);
        let name = source.name();
        let label = source.label.as_deref().unwrap_or(DEFAULT_LABEL);
        let zone = source.zone.unwrap_or(config.site.zone());
        let (file, bytes) = match (&source.origin, self.known) {
            (Origin::File(path), Some(known)) => {
                // What else decides the articles read from a file, with its bytes.
                let settings = format!(
                    "{label}\u{0}{:?}\u{0}{zone:?}",
                    source.page_url.as_ref().map(|u| u.as_str())
                );
                let key = fingerprint::key(path)?;
                let known = known.validators(&key);
                match fingerprint::check(path, &settings, encoding, &known, SystemTime::now())? {
                    Local::Unchanged(stamp) => return Ok(Got::Unchanged(key, stamp)),
                    Local::Changed(bytes, validators) => (Some((key, validators)), bytes),
                }
            }
            _ => (None, None),
        };
        let (reader, kind): (Box<dyn BufRead + '_>, Kind) = match &bytes {
            Some(bytes) => (Box::new(&bytes[..]), source.kind(bytes)),
            None => source.open()?,
        };
        let how = How {
            kind,
            page_url: source.page_url.as_ref(),
            content_type: None,
            label,
            zone,
            max_bytes: config.fetch.max_bytes,
        };
        let (articles, diagnostics) =
            parse(reader, &how, encoding).map_err(|failure| anyhow!(failure.at(&name)))?;
        if let Some((key, validators)) = file {
            pages.push(ParsedPage {
                url: key,
                validators,
                keys: Vec::new(),
            });
        }
        Ok(Got::Read(articles, diagnostics))
    }

    /// Reads what fetching a URL gave: the page parsed as what it is, or, for
    /// an HTML page without excerpts, through the feed it advertises.
    fn read_page(
        &self,
        source: &Source,
        fetched: Fetched,
        fetcher: &Fetcher,
        pages: &mut Vec<ParsedPage>,
    ) -> Result<Got> {
        let (config, encoding) = (self.config, self.encoding);
        let name = source.name();
        let page = match fetched {
            Fetched::Page(page) => page,
            Fetched::NotModified => return Ok(Got::Unchanged(name, None)),
            Fetched::Failed(why) => return Ok(Got::Failed(Unreadable::new(why))),
        };
        let kind = source::kind_of(page.content_type.as_deref(), &page.body);
        let how = How {
            kind,
            page_url: Some(source.page_url.as_ref().unwrap_or(&page.url)),
            content_type: page.content_type.as_deref(),
            label: source.label.as_deref().unwrap_or(DEFAULT_LABEL),
            zone: source.zone.unwrap_or(config.site.zone()),
            max_bytes: config.fetch.max_bytes,
        };
        let (articles, diagnostics) = match parse(&page.body[..], &how, encoding) {
            Ok(parsed) => parsed,
            Err(failure) => return Ok(Got::Failed(failure)),
        };
        if kind == Kind::Html && articles.is_empty() {
            let html = String::from_utf8_lossy(&page.body);
            if let Some(feed) = feedsrc::advertised_feed(&html, &page.url) {
                return self.discover(&feed, fetcher, pages);
            }
        }
        pages.push(ParsedPage {
            url: name,
            validators: page.validators,
            keys: Vec::new(),
        });
        Ok(Got::Read(articles, diagnostics))
    }

    /// The conditional GET of each URL source, in source order.
    fn requests(&self, urls: &[&Source]) -> Vec<fetch::Request> {
        urls.iter()
            .filter_map(|source| match &source.origin {
                Origin::Url(url) => Some(fetch::Request {
                    url: url.clone(),
                    validators: self
                        .known
                        .map(|k| k.validators(&source.name()))
                        .unwrap_or_default(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Fetches the feed a page advertises (conditionally, under its own URL)
    /// and reads it as a feed source of its own; its failure is the page's.
    fn discover(&self, feed: &Url, fetcher: &Fetcher, pages: &mut Vec<ParsedPage>) -> Result<Got> {
        let (config, encoding) = (self.config, self.encoding);
        let name = redact::strip(feed.clone()).to_string();
        let request = fetch::Request {
            url: feed.clone(),
            validators: self.known.map(|k| k.validators(&name)).unwrap_or_default(),
        };
        let failed = |why: &str| {
            Got::Failed(Unreadable::new(format!(
                "its advertised feed {name}: {why}"
            )))
        };
        let page = match fetcher.fetch(&request) {
            Fetched::Page(page) => page,
            Fetched::NotModified => return Ok(Got::Unchanged(name, None)),
            Fetched::Failed(why) => return Ok(failed(&why)),
        };
        let how = How {
            kind: Kind::Feed,
            page_url: Some(&page.url),
            content_type: page.content_type.as_deref(),
            label: DEFAULT_LABEL,
            zone: config.site.zone(),
            max_bytes: config.fetch.max_bytes,
        };
        let (articles, mut diagnostics) = match parse(&page.body[..], &how, encoding) {
            Ok(parsed) => parsed,
            Err(failure) => return Ok(failed(&failure.why)),
        };
        let note = format!("no excerpts on the page; read through the feed it advertises, {name}");
        diagnostics.insert(0, Diagnostic::note(1, note));
        pages.push(ParsedPage {
            url: name,
            validators: page.validators,
            keys: Vec::new(),
        });
        Ok(Got::Read(articles, diagnostics))
    }
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

/// Parses one source's bytes as what they are. Every way they can fail
/// (invalid UTF-8, too big, not a readable feed) is an [`Unreadable`],
/// which the caller makes a URL's failure alone or a file's failed run.
fn parse(
    reader: impl BufRead,
    how: &How,
    encoding: Encoding,
) -> Result<(Vec<Article>, Vec<Diagnostic>), Unreadable> {
    match how.kind {
        Kind::Text => {
            let mut parser = Parser::new(reader, encoding);
            let mut articles = Vec::new();
            for next in parser.by_ref() {
                articles.push(next.map_err(|e| match e {
                    ParseError::InvalidUtf8 { line, .. } => Unreadable {
                        line: Some(line),
                        why: e.to_string(),
                    },
                    ParseError::Io(io) => Unreadable::new(format!("cannot read: {io}")),
                })?);
            }
            Ok((articles, parser.take_diagnostics()))
        }
        Kind::Html => {
            let bytes =
                fetch::read_limited(reader, how.max_bytes, || Ok(())).map_err(Unreadable::new)?;
            let html = decode_html(bytes, how.content_type, encoding)?;
            Ok(scrape::parse_html_in(
                &html,
                how.page_url,
                how.label,
                how.zone,
            ))
        }
        Kind::Feed => {
            let bytes =
                fetch::read_limited(reader, how.max_bytes, || Ok(())).map_err(Unreadable::new)?;
            feedsrc::read_feed(&bytes, how.page_url)
                .map_err(|why| Unreadable { line: Some(1), why })
        }
    }
}

/// An HTML page's text: in the charset it declares, else UTF-8 (invalid
/// UTF-8 replaced with `--lossy`, else an error at its line).
fn decode_html(
    bytes: Vec<u8>,
    content_type: Option<&str>,
    encoding: Encoding,
) -> Result<String, Unreadable> {
    let declared = source::html_charset(content_type, &bytes).filter(|e| *e != encoding_rs::UTF_8);
    Ok(match (declared, String::from_utf8(bytes), encoding) {
        (Some(charset), Err(e), _) => charset.decode(e.as_bytes()).0.into_owned(),
        (Some(charset), Ok(text), _) => charset.decode(text.as_bytes()).0.into_owned(),
        (None, Ok(html), _) => html,
        (None, Err(e), Encoding::Lossy) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        (None, Err(e), Encoding::Strict) => {
            let offset = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(Unreadable {
                line: Some(line),
                why: format!("invalid UTF-8 at byte offset {offset} (use --lossy to replace it)"),
            });
        }
    })
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
