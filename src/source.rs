//! Where listings come from: files, directories of dumps, stdin, and
//! http(s) URLs; and whether each is a text dump, an HTML page or a feed
//! (a feed is told by its `Content-Type` or its root element, never by a
//! file name alone: see [`crate::feedsrc`]).
//!
//! This module names and opens inputs; fetching URLs is [`crate::fetch`]'s
//! job, reading text and HTML the parsers'.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::feedsrc;
use crate::redact;

/// An input as the config or the command line names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Input {
    /// A path, `-` for stdin, or an http(s) URL.
    Plain(String),
    /// `[[sources]]` with options.
    Table(InputTable),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InputTable {
    pub url: Option<String>,
    pub path: Option<PathBuf>,
    /// The more-link text of this site's HTML listings ("Continue reading").
    pub label: Option<String>,
    /// The address a saved HTML page came from: its relative links resolve
    /// against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    /// The IANA time zone of the dates this source writes without one;
    /// `site.timezone` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Seconds between two fetches of this source by `readmore worker`;
    /// its `--every` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
}

impl InputTable {
    /// The table's `page_url` and `timezone`, checked.
    pub fn checked(&self) -> Result<(Option<Url>, Option<Tz>)> {
        let page_url = self.page_url.as_deref().map(page_url).transpose()?;
        let zone = self.timezone.as_deref().map(zone).transpose()?;
        Ok((page_url, zone))
    }
}

/// A declared page address: an absolute http(s) URL.
pub fn page_url(text: &str) -> Result<Url> {
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        _ => bail!("page_url {text:?} is not an absolute http(s) URL"),
    }
}

/// An IANA time zone name ("Europe/Berlin", "UTC").
pub fn zone(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        anyhow::anyhow!(
            "timezone {name:?} is not an IANA time zone name (like \"Europe/Berlin\" or \"UTC\")"
        )
    })
}

/// One source to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub origin: Origin,
    /// More-link label for HTML; the default when unset.
    pub label: Option<String>,
    /// The address declared for a saved page (`--page-url`, `page_url`).
    pub page_url: Option<Url>,
    /// The zone of dates written without one; the site's when unset.
    pub zone: Option<Tz>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Stdin,
    File(PathBuf),
    Url(Url),
}

/// What a source's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Html,
    /// RSS, RDF, Atom or JSON Feed.
    Feed,
}

impl Input {
    /// A command-line input, with the more-link label and the page
    /// address given there.
    pub fn from_arg(arg: String, label: Option<String>, page_url: Option<&Url>) -> Input {
        if label.is_none() && page_url.is_none() {
            return Input::Plain(arg);
        }
        let (url, path) = if is_url(&arg) {
            (Some(arg), None)
        } else {
            (None, Some(arg.into()))
        };
        Input::Table(InputTable {
            url,
            path,
            label,
            page_url: page_url.map(Url::to_string),
            timezone: None,
            interval: None,
        })
    }

    /// The input as `check`, the worker's schedule and `status` name it:
    /// a URL without its user info, else the path.
    pub fn name(&self) -> String {
        match self {
            Input::Plain(s) | Input::Table(InputTable { url: Some(s), .. }) => {
                redact::url(s).into_owned()
            }
            Input::Table(InputTable { path: Some(p), .. }) => p.display().to_string(),
            Input::Table(_) => "(a [[sources]] table without url or path)".into(),
        }
    }

    /// The seconds between two fetches the source's table asks for.
    pub fn interval(&self) -> Option<u64> {
        match self {
            Input::Table(table) => table.interval,
            Input::Plain(_) => None,
        }
    }

    /// Makes relative paths relative to `root` (the config's directory).
    pub fn rooted(&self, root: &Path) -> Input {
        match self {
            Input::Plain(s) if !is_url(s) && s != "-" => {
                Input::Plain(root.join(s).to_string_lossy().into_owned())
            }
            Input::Table(t) => Input::Table(InputTable {
                path: t.path.as_ref().map(|p| root.join(p)),
                ..t.clone()
            }),
            other => other.clone(),
        }
    }
}

impl Source {
    /// The name diagnostics, summaries and the store use: a URL without
    /// its user info.
    pub fn name(&self) -> String {
        match &self.origin {
            Origin::Stdin => "<stdin>".into(),
            Origin::File(path) => path.display().to_string(),
            Origin::Url(url) => redact::strip(url.clone()).to_string(),
        }
    }

    /// Opens a local source with its kind: a feed by its content, else by
    /// extension, else by sniffing.
    pub fn open(&self) -> Result<(Box<dyn BufRead>, Kind)> {
        let mut reader: Box<dyn BufRead> = match &self.origin {
            Origin::Stdin => Box::new(io::stdin().lock()),
            Origin::File(path) => {
                let file =
                    File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
                Box::new(BufReader::with_capacity(64 * 1024, file))
            }
            Origin::Url(_) => bail!("{} must be fetched, not opened", self.name()),
        };
        let head = reader
            .fill_buf()
            .with_context(|| format!("cannot read {}", self.name()))?;
        let kind = self.kind(head);
        Ok((reader, kind))
    }

    /// A local source's kind, from its first bytes `head`: a feed by its
    /// content, else by extension, else by sniffing.
    pub fn kind(&self, head: &[u8]) -> Kind {
        let by_name = match &self.origin {
            Origin::File(path) => path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase),
            _ => None,
        };
        match by_name.as_deref() {
            _ if feedsrc::looks_like_feed(head) => Kind::Feed,
            Some("html" | "htm") => Kind::Html,
            Some("txt") => Kind::Text,
            _ => sniff(head),
        }
    }
}

/// A feed, HTML or text, by the first bytes.
pub fn sniff(head: &[u8]) -> Kind {
    if feedsrc::looks_like_feed(head) {
        return Kind::Feed;
    }
    let head = String::from_utf8_lossy(&head[..head.len().min(1024)]).to_ascii_lowercase();
    let start = head.trim_start_matches('\u{feff}').trim_start();
    let markers = [
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<article",
        "<!--",
    ];
    if markers.iter().any(|m| start.starts_with(m)) {
        Kind::Html
    } else {
        Kind::Text
    }
}

/// A feed, HTML or text, by a `Content-Type`, else by sniffing. A document
/// that is plainly a feed is one whatever type it was served as (servers
/// often say `text/html` or `text/plain` for feeds).
pub fn kind_of(content_type: Option<&str>, body: &[u8]) -> Kind {
    let media = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        media if feedsrc::is_feed_type(media) => Kind::Feed,
        _ if feedsrc::looks_like_feed(body) => Kind::Feed,
        "text/html" | "application/xhtml+xml" => Kind::Html,
        "text/plain" => Kind::Text,
        _ => sniff(body),
    }
}

/// The character encoding an HTML page declares: the `Content-Type`
/// charset, else a `<meta charset>` (or `http-equiv`) in its first
/// kilobyte. `None`: none declared (UTF-8 is assumed).
pub fn html_charset(
    content_type: Option<&str>,
    body: &[u8],
) -> Option<&'static encoding_rs::Encoding> {
    let header = content_type.and_then(charset_label);
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let meta = head.split("<meta").skip(1).find_map(charset_label);
    header
        .or(meta)
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
}

/// The value after `charset=` in `text`, quotes and spaces trimmed.
fn charset_label(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("charset")?;
    let rest = lower[at + "charset".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let label: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    (!label.is_empty()).then_some(label)
}

/// Whether an input names a URL (fetched) rather than a path.
pub fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Expands inputs: `-` is stdin, a URL is fetched, a directory gives its
/// `*.txt`, `*.html` and `*.htm` files in name order, anything else must be
/// a readable file.
pub fn resolve(inputs: &[Input]) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    for input in inputs {
        let (target, table) = match input {
            Input::Plain(s) => (s.clone(), None),
            Input::Table(
                t @ InputTable {
                    url: Some(url),
                    path: None,
                    ..
                },
            ) => (url.clone(), Some(t)),
            Input::Table(
                t @ InputTable {
                    url: None,
                    path: Some(path),
                    ..
                },
            ) => (path.to_string_lossy().into_owned(), Some(t)),
            Input::Table(_) => bail!("a [[sources]] entry needs exactly one of `url` and `path`"),
        };
        let (page_url, zone) = match table {
            Some(t) => t.checked().with_context(|| format!("source {target}"))?,
            None => (None, None),
        };
        let source = |origin| Source {
            origin,
            label: table.and_then(|t| t.label.clone()),
            page_url: page_url.clone(),
            zone,
        };
        if is_url(&target) {
            let url = Url::parse(&target).with_context(|| format!("{target}: not a valid URL"))?;
            sources.push(source(Origin::Url(url)));
        } else if target == "-" {
            sources.push(source(Origin::Stdin));
        } else {
            let path = PathBuf::from(&target);
            if path.is_dir() {
                sources.extend(
                    dir_files(&path)?
                        .into_iter()
                        .map(|f| source(Origin::File(f))),
                );
            } else if path.is_file() {
                sources.push(source(Origin::File(path)));
            } else if target.contains("://") {
                bail!("{target}: only http and https URLs can be fetched");
            } else {
                bail!("{target}: no such file or directory");
            }
        }
    }
    Ok(sources)
}

fn dir_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let listing = path
            .extension()
            .is_some_and(|e| e == "txt" || e == "html" || e == "htm");
        if listing && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        bail!(
            "{}: directory holds no *.txt or *.html files",
            dir.display()
        );
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_tells_html_from_text() {
        assert_eq!(sniff(b"\xef\xbb\xbf  <!DOCTYPE html><html>"), Kind::Html);
        assert_eq!(sniff(b"<html lang=en>"), Kind::Html);
        assert_eq!(sniff(b"Author name: Jane\n\nslug\n"), Kind::Text);
        assert_eq!(
            kind_of(Some("text/html; charset=utf-8"), b"plain words"),
            Kind::Html
        );
        assert_eq!(kind_of(Some("text/plain"), b"<html>"), Kind::Text);
        assert_eq!(kind_of(None, b"<html>"), Kind::Html);
        assert_eq!(
            kind_of(Some("application/atom+xml"), b"<feed/>"),
            Kind::Feed
        );
        assert_eq!(
            kind_of(
                Some("text/html"),
                b"<?xml version=\"1.0\"?><rss version=\"2.0\">"
            ),
            Kind::Feed,
            "a feed served as HTML is still a feed"
        );
        assert_eq!(kind_of(Some("application/xml"), b"<rss>"), Kind::Feed);
    }

    #[test]
    fn declared_charsets_are_found() {
        let latin = Some("text/html; charset=ISO-8859-1");
        assert_eq!(
            html_charset(latin, b"").map(|e| e.name()),
            Some("windows-1252")
        );
        let meta = b"<html><head><meta charset=\"windows-1251\"><title>x</title>";
        assert_eq!(
            html_charset(None, meta).map(|e| e.name()),
            Some("windows-1251")
        );
        let equiv = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=shift_jis\">";
        assert_eq!(
            html_charset(Some("text/html"), equiv).map(|e| e.name()),
            Some("Shift_JIS")
        );
        assert_eq!(html_charset(None, b"<html><body>no charset</body>"), None);
    }

    #[test]
    fn urls_and_paths_resolve() {
        let inputs = [
            Input::Plain("https://example.org/author/jane/".into()),
            Input::Plain("-".into()),
        ];
        let sources = resolve(&inputs).unwrap();
        assert!(
            matches!(&sources[0].origin, Origin::Url(u) if u.host_str() == Some("example.org"))
        );
        assert_eq!(sources[1].origin, Origin::Stdin);
        assert!(resolve(&[Input::Plain("ftp://example.org/x".into())]).is_err());
        let table = Input::Table(InputTable {
            url: None,
            path: None,
            label: None,
            page_url: None,
            timezone: None,
            interval: None,
        });
        assert!(resolve(&[table]).is_err());
    }

    // A source's page_url and timezone reach the source, checked.
    #[test]
    fn page_url_and_timezone_of_a_source() {
        let table = |page_url: &str, timezone: &str| {
            Input::Table(InputTable {
                url: Some("https://example.org/blog/".into()),
                path: None,
                label: None,
                page_url: Some(page_url.into()),
                timezone: Some(timezone.into()),
                interval: None,
            })
        };
        let sources = resolve(&[table("https://example.net/saved/", "Europe/Berlin")]).unwrap();
        assert_eq!(
            sources[0].page_url.as_ref().map(Url::as_str),
            Some("https://example.net/saved/")
        );
        assert_eq!(sources[0].zone, Some(chrono_tz::Europe::Berlin));
        let bad_zone = resolve(&[table("https://example.net/", "Europe/Berln")]).unwrap_err();
        assert!(
            format!("{bad_zone:#}").contains("IANA time zone"),
            "{bad_zone:#}"
        );
        let bad_url = resolve(&[table("/saved/", "UTC")]).unwrap_err();
        assert!(
            format!("{bad_url:#}").contains("absolute http(s) URL"),
            "{bad_url:#}"
        );
    }
}
