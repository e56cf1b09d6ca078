//! The one feed model every output format is rendered from.
//!
//! A [`Feed`] is a titled, ordered list of [`Entry`] values: one per
//! section, and one ("all") with every article. Entries carry everything a
//! renderer needs, already cleaned of characters XML forbids, so renderers
//! only map fields to elements. Ids are derived here and nowhere else.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use unicode_normalization::{UnicodeNormalization, is_nfkc};

use crate::article::Article;
use crate::classify::Section;
use crate::config::Config;
use crate::redact;
use crate::render::{Format, html};
use crate::text::{truncate_words, xml_safe};

/// Longest plain-text summary, in characters.
const SUMMARY_CHARS: usize = 300;
/// Longest article page file stem, in bytes, before it is shortened.
const MAX_PAGE_STEM: usize = 100;

/// The name of the feed that holds every article.
pub const ALL: &str = "all";

#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// File stem: a section id or [`ALL`].
    pub name: String,
    pub id: String,
    pub title: String,
    pub description: String,
    /// The site's home page.
    pub home_url: String,
    /// Where the feed files are served; self links start with it.
    pub base_url: String,
    pub language: String,
    /// Author for entries that name none.
    pub author: String,
    /// WebSub hubs the feed advertises.
    pub hubs: Vec<String>,
    /// The newest entry's `updated`.
    pub updated: DateTime<Utc>,
    /// Newest first.
    pub entries: Vec<Entry>,
}

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

/// One feed on the index page.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// File stem: a section id or [`ALL`].
    pub name: String,
    pub title: String,
    pub newest: Option<Newest>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Newest {
    pub title: String,
    /// Link from the index page: the article page (relative) or the item link.
    pub href: String,
    pub date: DateTime<Utc>,
}

impl Site {
    pub fn new(config: &Config, sections: Vec<Listing>) -> Self {
        let site = &config.site;
        let updated = sections
            .iter()
            .filter_map(|s| s.newest.as_ref().map(|n| n.date))
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

/// Where the index page links an article: its page, else its item link.
pub fn newest_href(config: &Config, key: &str, section: &str, permalink: Option<&str>) -> String {
    if config.output.article_pages {
        format!("articles/{}.html", percent_encode(&page_stem(key)))
    } else {
        item_link(config, key, section, permalink)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable id, the same in every format: the permalink the page gave when
    /// the article was first stored, else a name-based UUID of the site's id
    /// namespace and the article's slug key.
    pub id: String,
    /// Whether `id` is the article's permalink (RSS `isPermaLink`).
    pub id_is_link: bool,
    pub title: String,
    pub link: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub author: Option<String>,
    pub section: Section,
    /// The publisher's categories, after the section's own (which is not
    /// repeated among them).
    pub categories: Vec<String>,
    /// Plain text.
    pub summary: Option<String>,
    pub content_html: String,
}

impl Entry {
    /// The entry of a stored article; `guid` is its stored permalink id.
    pub fn new(
        article: &Article,
        section: &Section,
        dates: (DateTime<Utc>, DateTime<Utc>),
        guid: Option<&str>,
        config: &Config,
    ) -> Self {
        let link = item_link(
            config,
            &article.key,
            &section.id,
            article.permalink.as_deref(),
        );
        Self {
            id: xml_safe(
                &guid.map_or_else(|| urn(config.id_namespace(), &article.key), str::to_string),
            ),
            id_is_link: guid.is_some(),
            title: xml_safe(&article.title),
            link: xml_safe(&link),
            published: dates.0,
            updated: dates.1,
            author: article.author.as_ref().map(|a| xml_safe(&a.name)),
            section: Section {
                id: section.id.clone(),
                title: xml_safe(&section.title),
            },
            categories: article
                .categories
                .iter()
                .filter(|c| !c.eq_ignore_ascii_case(&section.title))
                .map(|c| xml_safe(c))
                .collect(),
            summary: article
                .summary()
                .map(|s| xml_safe(&truncate_words(s, SUMMARY_CHARS))),
            content_html: xml_safe(&html::article_body(article)),
        }
    }
}

impl Feed {
    /// A feed named `name` over `entries`, newest first. Its `updated` is
    /// the newest entry's, or `empty_since` for a feed with no entries.
    pub fn new(
        name: &str,
        section_title: Option<&str>,
        mut entries: Vec<Entry>,
        empty_since: DateTime<Utc>,
        config: &Config,
    ) -> Self {
        entries.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.id.cmp(&b.id)));
        let updated = entries
            .iter()
            .map(|e| e.updated)
            .max()
            .unwrap_or(empty_since);
        let site = &config.site;
        let (title, description) = match section_title {
            Some(section) => (
                format!("{} — {section}", site.title),
                site.description.clone().map_or_else(
                    || format!("{section} articles from {}", site.title),
                    |d| format!("{d} ({section})"),
                ),
            ),
            None => (
                site.title.clone(),
                site.description
                    .clone()
                    .unwrap_or_else(|| format!("All articles from {}", site.title)),
            ),
        };
        Self {
            name: name.to_string(),
            id: urn(config.id_namespace(), &format!("feed/{name}")),
            title: xml_safe(&title),
            description: xml_safe(&description),
            home_url: xml_safe(site.home_url.as_deref().unwrap_or(&site.base_url)),
            base_url: xml_safe(&site.base_url),
            language: xml_safe(&site.language),
            author: xml_safe(site.author.as_deref().unwrap_or(&site.title)),
            hubs: config
                .websub
                .hubs
                .iter()
                .map(|h| xml_safe(&redact::url(h)))
                .collect(),
            updated,
            entries,
        }
    }

    /// The feed's public URL in the format with file extension `ext`.
    pub fn self_url(&self, ext: &str) -> String {
        format!("{}{}.{ext}", self.base_url, self.name)
    }
}

fn urn(namespace: &str, name: &str) -> String {
    let uuid = Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("{namespace}{name}").as_bytes(),
    );
    format!("urn:uuid:{uuid}")
}

/// The item link: the configured template filled in, else the permalink
/// the page gave, else the article's page, else an anchor on the site.
/// `{slug}` is the page's file stem, percent-encoded.
fn item_link(config: &Config, key: &str, section: &str, permalink: Option<&str>) -> String {
    let base = &config.site.base_url;
    let slug = percent_encode(&page_stem(key));
    match (&config.output.link, permalink) {
        (Some(template), _) => template
            .replace("{base_url}", base)
            .replace("{slug}", &slug)
            .replace("{section}", section),
        (None, Some(permalink)) => permalink.to_string(),
        (None, None) if config.output.article_pages => format!("{base}articles/{slug}.html"),
        (None, None) => format!("{base}#{slug}"),
    }
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

/// Percent-encodes everything but ASCII letters, digits and `-._~`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved() {
        assert_eq!(percent_encode("café-1"), "caf%C3%A9-1");
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

    #[test]
    fn ids_depend_on_namespace_and_key_only() {
        assert_eq!(urn("https://a/", "x"), urn("https://a/", "x"));
        assert_ne!(urn("https://a/", "x"), urn("https://b/", "x"));
        assert!(urn("https://a/", "x").starts_with("urn:uuid:"));
    }
}
