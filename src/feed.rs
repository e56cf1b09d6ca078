//! The one feed model every output format is rendered from.
//!
//! A [`Feed`] is a titled, ordered list of [`Entry`] values: one per
//! section, and one ("all") with every article. Entries carry everything a
//! renderer needs, already cleaned of characters XML forbids, so renderers
//! only map fields to elements. Ids are derived here and nowhere else.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::article::Article;
use crate::classify::Section;
use crate::config::Config;
use crate::render::html;
use crate::text::{truncate_words, xml_safe};

/// Longest plain-text summary, in characters.
const SUMMARY_CHARS: usize = 300;

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
    /// The newest entry's `updated`.
    pub updated: DateTime<Utc>,
    /// Newest first.
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable id, the same in every format: a name-based UUID of the site's
    /// id namespace and the article's slug key.
    pub id: String,
    pub title: String,
    pub link: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub author: Option<String>,
    pub section: Section,
    /// Plain text.
    pub summary: Option<String>,
    pub content_html: String,
}

impl Entry {
    pub fn new(
        article: &Article,
        section: &Section,
        dates: (DateTime<Utc>, DateTime<Utc>),
        config: &Config,
    ) -> Self {
        Self {
            id: urn(config.id_namespace(), &article.key),
            title: xml_safe(&article.title),
            link: xml_safe(&item_link(config, &article.key, &section.id)),
            published: dates.0,
            updated: dates.1,
            author: article.author.as_ref().map(|a| xml_safe(&a.name)),
            section: Section {
                id: section.id.clone(),
                title: xml_safe(&section.title),
            },
            summary: article
                .summary()
                .map(|s| xml_safe(&truncate_words(s, SUMMARY_CHARS))),
            content_html: xml_safe(&html::article_body(article)),
        }
    }
}

impl Feed {
    /// A feed named `name` over `entries`, newest first; `None` when empty.
    pub fn new(
        name: &str,
        section_title: Option<&str>,
        mut entries: Vec<Entry>,
        config: &Config,
    ) -> Option<Self> {
        entries.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.id.cmp(&b.id)));
        let updated = entries.iter().map(|e| e.updated).max()?;
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
        Some(Self {
            name: name.to_string(),
            id: urn(config.id_namespace(), &format!("feed/{name}")),
            title: xml_safe(&title),
            description: xml_safe(&description),
            home_url: xml_safe(site.home_url.as_deref().unwrap_or(&site.base_url)),
            base_url: xml_safe(&site.base_url),
            language: xml_safe(&site.language),
            author: xml_safe(site.author.as_deref().unwrap_or(&site.title)),
            updated,
            entries,
        })
    }

    /// The feed's public URL in the format with file extension `ext`.
    pub fn self_url(&self, ext: &str) -> String {
        format!("{}{}.{ext}", self.base_url, self.name)
    }
}

/// Every feed of a run: "all" first, then one per section that has entries,
/// in section order.
pub fn feeds(entries: Vec<Entry>, sections: &[Section], config: &Config) -> Vec<Feed> {
    let mut feeds: Vec<Feed> = sections
        .iter()
        .filter_map(|section| {
            let own = entries
                .iter()
                .filter(|e| e.section.id == section.id)
                .cloned()
                .collect();
            Feed::new(&section.id, Some(&section.title), own, config)
        })
        .collect();
    if let Some(all) = Feed::new(ALL, None, entries, config) {
        feeds.insert(0, all);
    }
    feeds
}

fn urn(namespace: &str, name: &str) -> String {
    let uuid = Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("{namespace}{name}").as_bytes(),
    );
    format!("urn:uuid:{uuid}")
}

/// Fills the link template; the slug key is percent-encoded.
fn item_link(config: &Config, key: &str, section: &str) -> String {
    config
        .output
        .link
        .replace("{base_url}", &config.site.base_url)
        .replace("{slug}", &percent_encode(key))
        .replace("{section}", section)
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
    fn ids_depend_on_namespace_and_key_only() {
        assert_eq!(urn("https://a/", "x"), urn("https://a/", "x"));
        assert_ne!(urn("https://a/", "x"), urn("https://b/", "x"));
        assert!(urn("https://a/", "x").starts_with("urn:uuid:"));
    }
}
