//! The site around the feeds: where each article's page lives and how it
//! is linked, and the model the index page and the OPML list are rendered
//! from.
//!
//! Paths and links are decided here and nowhere else: an article's page is
//! `articles/<stem>.html` (see [`page_stem`]), its item link is the
//! configured template, the page's permalink, its page or an anchor (see
//! [`item_link`]). Feeds ([`crate::feed`]) link into the site; the
//! renderers ([`crate::render`]) turn [`Site`] into bytes.

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use unicode_normalization::{UnicodeNormalization, is_nfkc};

use crate::config::Config;
use crate::format::Format;
use crate::text::xml_safe;

/// Where article pages go, inside the output directory.
pub const PAGES_DIR: &str = "articles";
/// Longest article page file stem, in bytes, before it is shortened.
const MAX_PAGE_STEM: usize = 100;
/// What a page stem keeps unencoded in a link: RFC 3986's unreserved
/// characters (ASCII letters, digits and `-._~`).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The site as the index page and the OPML list show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub title: String,
    pub description: Option<String>,
    pub home_url: String,
    pub base_url: String,
    pub language: String,
    pub formats: Vec<Format>,
    /// Whether `index.html` and `index.opml` exist.
    pub index: bool,
    pub opml: bool,
    /// The newest date of any feed.
    pub updated: DateTime<Utc>,
    /// "all" first, then each section that has a feed, in section order.
    pub sections: Vec<Listing>,
}

/// One feed on the index page and in the OPML list.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// File stem: a section id or [`crate::feed::ALL`].
    pub name: String,
    pub title: String,
    /// When its newest article was published.
    pub newest: Option<DateTime<Utc>>,
}

impl Site {
    pub fn new(config: &Config, sections: Vec<Listing>) -> Self {
        let site = &config.site;
        let updated = sections
            .iter()
            .filter_map(|s| s.newest)
            .max()
            .unwrap_or_default();
        Self {
            title: xml_safe(&site.title),
            description: site.description.as_deref().map(xml_safe),
            home_url: xml_safe(site.home_url.as_deref().unwrap_or(&site.base_url)),
            base_url: xml_safe(&site.base_url),
            language: xml_safe(&site.language),
            formats: config.output.formats.clone(),
            index: config.output.index,
            opml: config.output.opml,
            updated,
            sections,
        }
    }

    /// Where people read a section: its part of the index page, else the home page.
    pub fn section_page(&self, name: &str) -> String {
        if self.index {
            format!("{}index.html#{name}", self.base_url)
        } else {
            self.home_url.clone()
        }
    }
}

/// Where the index page links an article: its page (relative), else its
/// item link.
pub fn index_href(config: &Config, key: &str, section: &str, permalink: Option<&str>) -> String {
    if config.output.article_pages {
        format!("{PAGES_DIR}/{}.html", link_stem(key))
    } else {
        item_link(config, key, section, permalink)
    }
}

/// The item link: the configured template filled in, else the permalink
/// the page gave, else the article's page, else an anchor on the site.
/// `{slug}` is the page's file stem, percent-encoded.
pub fn item_link(config: &Config, key: &str, section: &str, permalink: Option<&str>) -> String {
    let base = &config.site.base_url;
    let slug = link_stem(key);
    match (&config.output.link, permalink) {
        (Some(template), _) => template
            .replace("{base_url}", base)
            .replace("{slug}", &slug)
            .replace("{section}", section),
        (None, Some(permalink)) => permalink.to_string(),
        (None, None) if config.output.article_pages => format!("{base}{PAGES_DIR}/{slug}.html"),
        (None, None) => format!("{base}#{slug}"),
    }
}

/// The path of an article's page, relative to the output directory.
pub fn page_path(key: &str) -> String {
    format!("{PAGES_DIR}/{}.html", page_stem(key))
}

/// The page stem as a URL path segment or fragment.
fn link_stem(key: &str) -> String {
    utf8_percent_encode(&page_stem(key), UNRESERVED).to_string()
}

/// The file stem of an article's page. Slug keys hold only letters, digits
/// and '-', so they are safe file names as they are; one that is too long
/// (or, defensively, holds anything else) becomes a prefix, '_' (which no
/// key holds) and the SHA-256 of the whole key, so two articles never share
/// a page.
pub fn page_stem(key: &str) -> String {
    let safe = key.chars().all(|c| c.is_alphanumeric() || c == '-');
    let nfkc = is_nfkc(key);
    if safe && nfkc && !key.is_empty() && key.len() <= MAX_PAGE_STEM {
        return key.to_string();
    }
    // NFKC, so that a file name never holds fullwidth or other compatibility
    // look-alikes; the digest keeps it distinct from the key it looks like.
    let mut prefix = String::new();
    for c in key.nfkc().filter(|c| c.is_alphanumeric() || *c == '-') {
        if prefix.len() + c.len_utf8() > MAX_PAGE_STEM - 65 {
            break;
        }
        prefix.push(c);
    }
    format!("{prefix}_{}", crate::store::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Links to a page keep unreserved characters and encode the rest as UTF-8.
    #[test]
    fn page_links_percent_encode_all_but_unreserved() {
        let config = Config::default();
        assert_eq!(
            index_href(&config, "café-1", "s", None),
            "articles/caf%C3%A9-1.html"
        );
        assert_eq!(
            item_link(&config, "café-1", "s", None),
            "http://localhost:8080/articles/caf%C3%A9-1.html"
        );
        // The digest-suffixed stem of an unsafe key keeps its '_'.
        let link = index_href(&config, "a/b", "s", None);
        assert!(
            link.starts_with("articles/ab_") && !link.contains('%'),
            "{link}"
        );
    }

    #[test]
    fn page_stems_are_safe_bounded_and_distinct() {
        use crate::text::slug_key;
        let long_x = "x".repeat(5000);
        let long_y = format!("{}y", "x".repeat(4999));
        let hostile = [
            "../../etc/passwd",
            "a/b",
            "nul\0byte",
            long_x.as_str(),
            long_y.as_str(),
        ];
        let mut stems: Vec<String> = hostile.iter().map(|s| page_stem(&slug_key(s))).collect();
        stems.push(page_stem("a/b")); // a raw key with a separator, should one ever get here
        for stem in &stems {
            assert!(!stem.is_empty() && stem.len() <= MAX_PAGE_STEM, "{stem}");
            assert!(
                stem.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_'),
                "{stem}"
            );
        }
        let unique: std::collections::HashSet<&String> = stems.iter().collect();
        assert_eq!(unique.len(), stems.len(), "{stems:?}");
    }
}
