//! Feeds as sources: an RSS 0.9x, RSS 1.0 (RDF), RSS 2.0, Atom 1.0 or JSON
//! Feed 1.0/1.1 document read into [`Article`]s, so a publisher's own feed
//! can be split into sections, merged with other sources and republished.
//!
//! Parsing is feed-rs's. This module decides what each item becomes:
//!
//! - **title**: the item's title as text (a title of `type="html"`, or one
//!   holding entity-escaped markup, loses its markup); an item without one
//!   is titled by the start of its text.
//! - **permalink**: the item's alternate link (RSS `<link>`, Atom
//!   `rel="alternate"` or rel-less, JSON Feed `url`), resolved against
//!   `xml:base` and the feed's URL; else a guid that is an http(s) URL.
//! - **identity** ([`Article::key`]): the publisher's id (RSS `guid`, Atom
//!   `id`, JSON Feed `id`; else the link, else the title) namespaced by the
//!   publisher's site (the host of the feed's home link, else of the feed's
//!   URL), hashed into a key of letters, digits and '-'. So an item keeps
//!   its identity — and readmore's id for it — when its link or title
//!   changes, the same item reached through two feeds of one site is one
//!   article, and two publishers' ids never collide.
//! - **dates**: published (RSS `pubDate`/`dc:date`, Atom `published`, JSON
//!   Feed `date_published`), else updated, into [`Article::date`]; the
//!   updated date, when it differs, into [`Article::updated`]. The store
//!   never dates anything later than the run's clock.
//! - **authors**, **categories** (RSS `category`, Atom `term`/`label`,
//!   JSON Feed `tags`, Dublin Core `subject`), the **summary** (as the dek
//!   when there is content too) and the **content**, reduced to readmore's
//!   blocks by [`crate::sanitize`].
//!
//! A document feed-rs refuses is read again after [`xmlfix`]'s repairs,
//! with a warning naming them.
//!
//! Whether bytes are a feed is decided by [`is_feed_type`] (the
//! `Content-Type`) and [`looks_like_feed`] (the document's root), never by
//! a file name. [`advertised_feed`] finds the feed an HTML page links to.

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, Link, Text};
use url::Url;

use crate::article::{Article, Author, Block};
use crate::diag::Diagnostic;
use crate::sanitize::{has_markup, html_blocks, plain_text, text_blocks};
use crate::store::digest;
use crate::text::{clean_line, slug_key, truncate_words};
use crate::xmlfix;

/// Media types that are feeds whatever the document looks like.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/x-rss+xml",
    "application/x-atom+xml",
];

/// Longest title made from an untitled item's text, in characters.
const UNTITLED_CHARS: usize = 80;

/// Whether a `Content-Type` media type (lowercase, no parameters) is a feed's.
pub fn is_feed_type(media: &str) -> bool {
    FEED_TYPES.contains(&media)
}

/// Whether a document is a feed, by its start: the root element of an XML
/// document (`rss`, `feed`, `RDF`, after a BOM, the XML declaration,
/// comments, processing instructions and a doctype), or a JSON object that
/// names a jsonfeed.org version.
pub fn looks_like_feed(head: &[u8]) -> bool {
    let text = decode_head(head);
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    if rest.starts_with('{') {
        return rest.replace("\\/", "/").contains("jsonfeed.org/version");
    }
    loop {
        let skip = if rest.starts_with("<?") {
            rest.find("?>").map(|i| i + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else if rest.starts_with("<!") {
            rest.find('>').map(|i| i + 1)
        } else {
            break;
        };
        match skip {
            Some(n) => rest = rest[n..].trim_start(),
            None => return false,
        }
    }
    let Some(tag) = rest.strip_prefix('<') else {
        return false;
    };
    let name: String = tag
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect();
    let local = name.rsplit(':').next().unwrap_or("");
    matches!(local, "rss" | "feed" | "RDF")
}

/// The first bytes as text: UTF-16 when the document is.
fn decode_head(head: &[u8]) -> String {
    let head = &head[..head.len().min(4096)];
    match utf16(head) {
        Some(encoding) => encoding.decode(head).0.into_owned(),
        None => String::from_utf8_lossy(head).into_owned(),
    }
}

/// UTF-16 by a byte-order mark, or by a first `<` without one.
fn utf16(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    use encoding_rs::{UTF_16BE, UTF_16LE};
    match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, _)) if encoding == UTF_16LE || encoding == UTF_16BE => Some(encoding),
        Some(_) => None,
        None if bytes.starts_with(b"<\0") => Some(UTF_16LE),
        None if bytes.starts_with(b"\0<") => Some(UTF_16BE),
        None => None,
    }
}

/// A UTF-16 document as UTF-8, without its XML declaration (which would
/// name the encoding it no longer has).
fn utf16_to_utf8(bytes: &[u8]) -> Option<Vec<u8>> {
    let (text, _, _) = utf16(bytes)?.decode(bytes);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let text = match text.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |(_, after)| after),
        None => text,
    };
    Some(text.as_bytes().to_vec())
}

/// Reads a feed document. `base` (where it was fetched from, or
/// `--page-url`) resolves relative links. `Err` is why it is not a feed.
pub fn read_feed(
    bytes: &[u8],
    base: Option<&Url>,
) -> Result<(Vec<Article>, Vec<Diagnostic>), String> {
    let transcoded = utf16_to_utf8(bytes);
    let bytes = trim_lead(transcoded.as_deref().unwrap_or(bytes));
    // A fresh parser each time: one that failed midway keeps state that
    // makes the next parse panic.
    let parser = || {
        feed_rs::parser::Builder::new()
            .base_uri(base.map(Url::as_str))
            .id_generator(|_, _, _| String::new())
            .build()
    };
    let mut diagnostics = Vec::new();
    let repaired;
    let (feed, bytes) = match parser().parse(bytes) {
        Ok(feed) => (feed, bytes),
        Err(e) => {
            let refused = format!("not a readable feed: {e}");
            let (fixed, done) = xmlfix::repair(bytes).ok_or_else(|| refused.clone())?;
            repaired = fixed;
            let feed = parser().parse(&repaired[..]).map_err(|_| refused.clone())?;
            diagnostics.push(match done[..] {
                // well-formed, only beyond feed-rs: nothing the publisher did wrong
                [xmlfix::EMPTY_ELEMENTS] => Diagnostic::note(
                    1,
                    format!("empty elements dropped, the feed parser refuses them ({e})"),
                ),
                _ => Diagnostic::warning(
                    1,
                    format!("{refused}; read after repairs: {}", done.join(", ")),
                ),
            });
            (feed, &repaired[..])
        }
    };
    let text = String::from_utf8_lossy(bytes);
    let publisher = publisher(&feed, base);
    let mut extras = item_extras(&text);
    if extras.len() != feed.entries.len() {
        extras = Vec::new(); // items feed-rs skipped: no safe pairing
    }
    let mut extras = extras.into_iter();
    let mut lines = Lines::new(&text, feed.entries.len());
    let mut articles = Vec::new();
    for entry in &feed.entries {
        let line = lines.of(entry);
        let extras = extras.next().unwrap_or_default();
        match item(entry, &feed, &publisher, base, line) {
            Some(mut article) => {
                if article.date.is_none() {
                    article.date = extras.dates.iter().find_map(|d| lenient_date(d));
                }
                for subject in extras.subjects {
                    if !article
                        .categories
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(&subject))
                    {
                        article.categories.push(subject);
                    }
                }
                articles.push(article);
            }
            None => diagnostics.push(Diagnostic::warning(
                line,
                "feed item with no title, text, link or id; skipped",
            )),
        }
    }
    if articles.is_empty() {
        diagnostics.push(Diagnostic::warning(1, "the feed has no items"));
    }
    Ok((articles, diagnostics))
}

/// Drops a UTF-8 byte-order mark and whitespace before the first `<` or
/// `{`: real feeds have blank lines before their XML declaration.
fn trim_lead(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// The publisher whose ids the feed's are: the host of its home link,
/// else of where it was fetched, else the feed's own id.
fn publisher(feed: &Feed, base: Option<&Url>) -> String {
    let home = feed
        .links
        .iter()
        .filter(|l| is_alternate(l))
        .find_map(|l| Url::parse(&l.href).ok())
        .filter(|u| u.host_str().is_some());
    match home.as_ref().or(base).and_then(Url::host_str) {
        Some(host) => host.trim_start_matches("www.").to_ascii_lowercase(),
        None => feed.id.clone(),
    }
}

fn is_alternate(link: &Link) -> bool {
    link.target.is_none() && link.rel.as_deref().is_none_or(|r| r == "alternate")
}

/// One item as an article; `None` when it has nothing to show or to know it by.
fn item(
    entry: &Entry,
    feed: &Feed,
    publisher: &str,
    base: Option<&Url>,
    line: usize,
) -> Option<Article> {
    let permalink = permalink(entry, base);
    let content = entry
        .content
        .as_ref()
        .and_then(|c| {
            let html = c.content_type.to_string().contains("html");
            c.body.as_deref().map(|body| blocks(body, html))
        })
        .filter(|b| !b.is_empty());
    let summary = entry
        .summary
        .as_ref()
        .map(|t| blocks(&t.content, is_html(t)))
        .or_else(|| media_description(entry))
        .filter(|b| !b.is_empty());
    let (body, dek) = match (content, summary) {
        (Some(content), Some(summary)) => {
            let dek = summary_text(&summary);
            let repeats = dek.as_deref().is_some_and(|d| starts_alike(&content, d));
            (content, dek.filter(|_| !repeats))
        }
        (Some(body), None) | (None, Some(body)) => (body, None),
        (None, None) => (Vec::new(), None),
    };
    let title = entry
        .title
        .as_ref()
        .map(title_text)
        .filter(|t| !t.is_empty())
        .or_else(|| summary_text(&body).map(|t| truncate_words(&t, UNTITLED_CHARS)))?;
    let identity = Some(entry.id.trim())
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .or_else(|| permalink.clone())
        .unwrap_or_else(|| format!("title:{title}"));
    let author = names(&entry.authors)
        .or_else(|| names(&feed.authors))
        .map(|name| Author::own(name, None));
    let published = entry.published.or(entry.updated);
    Some(Article {
        slug: title.to_lowercase().replace(' ', "-"),
        key: item_key(publisher, &identity),
        title,
        dek,
        body,
        author,
        permalink,
        date: published,
        updated: entry.updated.filter(|u| Some(*u) != published),
        categories: categories(entry),
        found_by: None,
        lines: (line, line),
    })
}

/// The article key of the item `id` of `publisher`: the publisher's name
/// as a slug and 16 hex digits of SHA-256 of both.
pub fn item_key(publisher: &str, id: &str) -> String {
    let hash = digest(format!("{publisher}\n{id}").as_bytes());
    let name = slug_key(&publisher.replace('.', " "));
    format!("{name}-{}", &hash[..16])
        .trim_start_matches('-')
        .to_string()
}

/// The item's alternate link, absolute; else its id when that is a URL.
fn permalink(entry: &Entry, base: Option<&Url>) -> Option<String> {
    let absolute = |href: &str| {
        let href = href.trim();
        Url::parse(href)
            .ok()
            .or_else(|| base.and_then(|b| b.join(href).ok()))
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from)
    };
    entry
        .links
        .iter()
        .filter(|l| is_alternate(l))
        .find_map(|l| absolute(&l.href))
        .or_else(|| {
            let id = entry.id.trim();
            let lower = id.to_ascii_lowercase();
            (lower.starts_with("http://") || lower.starts_with("https://"))
                .then(|| absolute(id))
                .flatten()
        })
}

fn is_html(text: &Text) -> bool {
    text.content_type.to_string().contains("html")
}

/// A text construct as blocks: HTML reduced, plain text split on blank lines.
fn blocks(text: &str, html: bool) -> Vec<Block> {
    if html || has_markup(text) {
        html_blocks(text)
    } else {
        text_blocks(text)
    }
}

/// A title as plain text: markup (typed or escaped) dropped, entities decoded.
fn title_text(title: &Text) -> String {
    if is_html(title) || has_markup(&title.content) {
        plain_text(&title.content)
    } else {
        clean_line(&title.content)
    }
}

/// A YouTube-style `media:description`, for items with no summary.
fn media_description(entry: &Entry) -> Option<Vec<Block>> {
    entry
        .media
        .iter()
        .find_map(|m| m.description.as_ref())
        .map(|t| blocks(&t.content, is_html(t)))
}

/// The text of blocks as one line: for a dek or an untitled item's title.
fn summary_text(blocks: &[Block]) -> Option<String> {
    let text: Vec<&str> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph(p) | Block::Quote(p) => Some(p.as_str()),
            _ => None,
        })
        .collect();
    Some(clean_line(&text.join(" "))).filter(|t| !t.is_empty())
}

/// Whether the content opens with the summary's words (a summary that is
/// just the start of the content is not a dek).
fn starts_alike(content: &[Block], summary: &str) -> bool {
    let head: String = summary_text(content).unwrap_or_default();
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .take(12)
            .map(|w| w.chars().filter(|c| c.is_alphanumeric()).collect())
            .collect()
    };
    let (a, b) = (words(&head), words(summary));
    let n = a.len().min(b.len());
    n > 0 && a[..n] == b[..n]
}

/// People's names, joined: `None` when none is named.
fn names(people: &[feed_rs::model::Person]) -> Option<String> {
    let names: Vec<String> = people
        .iter()
        .filter_map(|p| p.name.as_deref())
        .map(clean_line)
        .filter(|n| !n.is_empty())
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// The publisher's categories: labels where given, else terms; in order,
/// each once.
fn categories(entry: &Entry) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in &entry.categories {
        let name = clean_line(
            c.label
                .as_deref()
                .filter(|l| !l.trim().is_empty())
                .unwrap_or(&c.term),
        );
        if !name.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
    }
    out
}

/// The Dublin Core namespace, whose `subject` feed-rs does not read.
const DUBLIN_CORE: &[u8] = b"http://purl.org/dc/elements/1.1/";

/// Elements of an item whose text is a date, in order of preference.
const DATE_ELEMENTS: &[&[u8]] = &[
    b"pubDate",
    b"published",
    b"issued",
    b"date",
    b"created",
    b"updated",
    b"modified",
];

/// What feed-rs does not give of an item: its Dublin Core subjects, and
/// the raw text of its date elements (for dates feed-rs cannot parse).
#[derive(Debug, Default, PartialEq)]
struct Extras {
    subjects: Vec<String>,
    dates: Vec<String>,
}

/// What is being gathered inside an item.
enum Field {
    Subject,
    Date,
}

/// The [`Extras`] of each item (`item` or `entry`), in document order.
/// Empty when the document cannot be read this way.
fn item_extras(text: &str) -> Vec<Extras> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    let mut reader = quick_xml::NsReader::from_str(text);
    let mut items: Vec<Extras> = Vec::new();
    let (mut depth, mut item_depth) = (0usize, None);
    let mut field: Option<(Field, String)> = None;
    loop {
        let Ok((ns, event)) = reader.read_resolved_event() else {
            return Vec::new();
        };
        let in_dc = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == DUBLIN_CORE);
        match event {
            Event::Start(e) => {
                depth += 1;
                let local = e.local_name();
                let local = local.as_ref();
                if item_depth.is_none() && matches!(local, b"item" | b"entry") {
                    item_depth = Some(depth);
                    items.push(Extras::default());
                } else if item_depth.is_some_and(|d| depth == d + 1) {
                    if in_dc && local == b"subject" {
                        field = Some((Field::Subject, String::new()));
                    } else if DATE_ELEMENTS.contains(&local) {
                        field = Some((Field::Date, String::new()));
                    }
                }
            }
            Event::End(_) => {
                if let (Some((kind, text)), Some(item)) = (field.take(), items.last_mut()) {
                    let text = clean_line(&text);
                    match kind {
                        _ if text.is_empty() => {}
                        Field::Subject => item.subjects.push(text),
                        Field::Date => item.dates.push(text),
                    }
                }
                if item_depth == Some(depth) {
                    item_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => {
                if let (Some((_, buf)), Ok(t)) = (field.as_mut(), t.decode()) {
                    buf.push_str(&t);
                }
            }
            Event::CData(t) => {
                if let (Some((_, buf)), Ok(t)) = (field.as_mut(), t.decode()) {
                    buf.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, buf)) = field.as_mut() {
                    let entity = r.decode().unwrap_or_default();
                    let c = r
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .or(match entity.as_ref() {
                            "amp" => Some('&'),
                            "lt" => Some('<'),
                            "gt" => Some('>'),
                            "quot" => Some('"'),
                            "apos" => Some('\''),
                            _ => None,
                        });
                    buf.extend(c);
                }
            }
            Event::Eof => return items,
            _ => {}
        }
    }
}

/// Time zone abbreviations real feeds put where RFC 822 wants an offset.
const ZONES: &[(&str, &str)] = &[
    ("GMT", "+0000"),
    ("UTC", "+0000"),
    ("UT", "+0000"),
    ("Z", "+0000"),
    ("EST", "-0500"),
    ("EDT", "-0400"),
    ("CST", "-0600"),
    ("CDT", "-0500"),
    ("MST", "-0700"),
    ("MDT", "-0600"),
    ("PST", "-0800"),
    ("PDT", "-0700"),
    ("CET", "+0100"),
    ("CEST", "+0200"),
    ("BST", "+0100"),
    ("EET", "+0200"),
    ("EEST", "+0300"),
    ("MSK", "+0300"),
    ("IST", "+0530"),
    ("JST", "+0900"),
    ("KST", "+0900"),
    ("HKT", "+0800"),
    ("SGT", "+0800"),
    ("AEST", "+1000"),
    ("AEDT", "+1100"),
];

/// A date feed-rs could not parse, read leniently: RFC 3339 or RFC 822
/// with a day name or not, full month names, no seconds, a zone
/// abbreviation instead of an offset; ISO dates without a zone are UTC.
pub fn lenient_date(raw: &str) -> Option<DateTime<Utc>> {
    use chrono::{NaiveDate, NaiveDateTime};
    let text = clean_line(raw);
    if let Ok(d) = DateTime::parse_from_rfc3339(&text) {
        return Some(d.to_utc());
    }
    // "Monday, 16 February 2026 10:00 EST" → "16 February 2026 10:00 -0500"
    let text = match text.split_once(',') {
        Some((day, rest)) if day.chars().all(char::is_alphabetic) => rest.trim().to_string(),
        _ => text,
    };
    const MONTHS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let mut words: Vec<&str> = text
        .split_whitespace()
        .map(|w| match MONTHS.iter().any(|m| w.eq_ignore_ascii_case(m)) {
            true => &w[..3],
            false => w,
        })
        .collect();
    if let Some(last) = words.last_mut()
        && let Some((_, offset)) = ZONES.iter().find(|(z, _)| last.eq_ignore_ascii_case(z))
    {
        *last = offset;
    }
    let text = words.join(" ");
    let zoned = [
        "%d %b %Y %H:%M:%S %z",
        "%d %b %Y %H:%M %z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ];
    if let Some(d) = zoned
        .iter()
        .find_map(|f| DateTime::parse_from_str(&text, f).ok())
    {
        return Some(d.to_utc());
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%d %b %Y %H:%M:%S",
    ];
    naive
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&text, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|d| d.and_utc())
}

/// Each item's line in the document, for diagnostics and `explain`: where
/// its `<item>` or `<entry>` opens when the document has one such tag per
/// item, else where its id or link first appears after the previous item's.
struct Lines<'a> {
    text: &'a str,
    /// Offsets of the item start tags, when they pair with the items.
    starts: Option<std::vec::IntoIter<usize>>,
    from: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str, items: usize) -> Self {
        let starts: Vec<usize> = ["<item", "<entry"]
            .iter()
            .flat_map(|tag| text.match_indices(tag).map(|(at, _)| (at, tag.len())))
            .filter(|&(at, len)| {
                text[at + len..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_whitespace() || c == '>')
            })
            .map(|(at, _)| at)
            .collect();
        let mut starts = (starts.len() == items).then_some(starts);
        if let Some(starts) = starts.as_mut() {
            starts.sort_unstable();
        }
        Self {
            text,
            starts: starts.map(Vec::into_iter),
            from: 0,
        }
    }

    fn of(&mut self, entry: &Entry) -> usize {
        let offset = match self.starts.as_mut() {
            Some(starts) => starts.next(),
            None => self.find(entry),
        };
        offset.map_or(1, |at| self.text[..at].matches('\n').count() + 1)
    }

    fn find(&mut self, entry: &Entry) -> Option<usize> {
        let needles = std::iter::once(entry.id.as_str())
            .chain(entry.links.iter().map(|l| l.href.as_str()))
            .filter(|n| n.len() > 3);
        let rest = &self.text[self.from..];
        let offset = self.from + needles.filter_map(|n| rest.find(n)).min()?;
        self.from = offset + 1;
        while !self.text.is_char_boundary(self.from) {
            self.from += 1;
        }
        Some(offset)
    }
}

/// The feed an HTML page advertises (`<link rel="alternate">` with a feed
/// type), preferring one that is not a comments feed; absolute.
pub fn advertised_feed(html: &str, page_url: &Url) -> Option<Url> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("link[rel][href][type]").ok()?;
    let mut found: Vec<(bool, Url)> = doc
        .select(&selector)
        .filter(|l| {
            let v = l.value();
            let rel = v.attr("rel").unwrap_or("").to_ascii_lowercase();
            let kind = v.attr("type").unwrap_or("").trim().to_ascii_lowercase();
            rel.split_whitespace().any(|r| r == "alternate")
                && (is_feed_type(&kind) || kind == "application/json")
        })
        .filter_map(|l| {
            let v = l.value();
            let url = page_url.join(v.attr("href")?.trim()).ok()?;
            let title = v.attr("title").unwrap_or("").to_lowercase();
            let comments = title.contains("comment") || url.path().contains("comments");
            Some((comments, url))
        })
        .filter(|(_, u)| matches!(u.scheme(), "http" | "https"))
        .collect();
    found.sort_by_key(|(comments, _)| *comments);
    found.into_iter().next().map(|(_, url)| url)
}

/// A permalink in the form two sources that link the same article agree
/// on: scheme and host lowercase, no `www.`, no default port, no fragment,
/// no tracking parameters (`utm_*`, `fbclid`, `gclid`), no trailing slash.
pub fn link_identity(link: &str) -> Option<String> {
    let mut url = Url::parse(link.trim()).ok()?;
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !(k.starts_with("utm_") || k == "fbclid" || k == "gclid"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    let host = url.host_str()?.trim_start_matches("www.").to_string();
    let path = url.path().trim_end_matches('/').to_string();
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    Some(format!("{host}{path}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_are_told_by_their_root() {
        assert!(looks_like_feed(
            b"\xef\xbb\xbf\n<?xml version=\"1.0\"?>\n<!-- c -->\n<rss version=\"2.0\">"
        ));
        assert!(looks_like_feed(b"<?xml version='1.0'?><?xml-stylesheet href='s.xsl'?><feed xmlns='http://www.w3.org/2005/Atom'>"));
        assert!(looks_like_feed(
            b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        ));
        assert!(looks_like_feed(
            br#"{"version": "https:\/\/jsonfeed.org\/version\/1.1", "items": []}"#
        ));
        let utf16: Vec<u8> = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(looks_like_feed(&utf16));
        let no_bom: Vec<u8> = "<?xml version=\"1.0\"?><rss>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(looks_like_feed(&no_bom), "UTF-16 without a byte-order mark");
        assert!(!looks_like_feed(b"<!DOCTYPE html><html><head>"));
        assert!(!looks_like_feed(b"{\"name\": \"not a feed\"}"));
        assert!(!looks_like_feed(b"Author name: Jane\n\nslug\n"));
    }

    #[test]
    fn dublin_core_subjects_are_read_per_item() {
        let rdf = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
            xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel><dc:subject>not an item's</dc:subject></channel>
            <item><dc:subject>Wetter &amp; Klima</dc:subject><dc:subject><![CDATA[Küste]]></dc:subject></item>
            <item><subject>no namespace, not Dublin Core</subject></item>
            </rdf:RDF>"#;
        let extras = item_extras(rdf);
        assert_eq!(extras.len(), 2);
        assert_eq!(extras[0].subjects, ["Wetter & Klima", "Küste"]);
        assert!(extras[1].subjects.is_empty());
    }

    #[test]
    fn dates_feed_rs_refuses_are_read_leniently() {
        let cases = [
            ("16 Feb 2026 10:00 +0100", "2026-02-16T09:00:00Z"),
            (
                "Monday, 16 February 2026 10:00:00 EST",
                "2026-02-16T15:00:00Z",
            ),
            ("Mon, 16 Feb 2026 10:00:00 CEST", "2026-02-16T08:00:00Z"),
            ("2026-02-16 10:00:00", "2026-02-16T10:00:00Z"),
            ("2026-02-16", "2026-02-16T00:00:00Z"),
        ];
        for (raw, want) in cases {
            let want = DateTime::parse_from_rfc3339(want).unwrap().to_utc();
            assert_eq!(lenient_date(raw), Some(want), "{raw}");
        }
        assert_eq!(lenient_date("yesterday"), None);
    }

    #[test]
    fn item_keys_are_namespaced_by_publisher() {
        let a = item_key("example.org", "tag:example.org,2026:1");
        assert_eq!(a, item_key("example.org", "tag:example.org,2026:1"));
        assert_ne!(a, item_key("example.net", "tag:example.org,2026:1"));
        assert!(a.starts_with("example-org-"), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn link_identity_ignores_what_does_not_name_the_article() {
        assert_eq!(
            link_identity("HTTPS://www.Example.org/a/b/?utm_source=rss&id=3#top"),
            link_identity("https://example.org/a/b?id=3")
        );
        assert_ne!(
            link_identity("https://example.org/a/b"),
            link_identity("https://example.org/a/c")
        );
    }

    #[test]
    fn the_advertised_feed_is_found_and_comments_feeds_come_last() {
        let page = Url::parse("https://example.org/blog/").unwrap();
        let html = r#"<html><head>
            <link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">
            <link rel="alternate" type="application/atom+xml" href="feed.atom">
            </head><body></body></html>"#;
        assert_eq!(
            advertised_feed(html, &page).map(String::from).as_deref(),
            Some("https://example.org/blog/feed.atom")
        );
        assert_eq!(
            advertised_feed("<html><body>none</body></html>", &page),
            None
        );
    }
}
