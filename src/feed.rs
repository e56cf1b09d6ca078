//! The one feed model every output format is rendered from.
//!
//! A [`Feed`] is a titled, ordered list of [`Entry`] values: one per
//! section, and one ("all") with every article. Entries carry everything a
//! renderer needs, already cleaned of characters XML forbids, so renderers
//! only map fields to elements. Ids are derived here and nowhere else;
//! links come from [`crate::site`], the HTML body from [`crate::body`].

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::article::Article;
use crate::body;
use crate::classify::Section;
use crate::config::Config;
use crate::redact;
use crate::site::item_link;
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
    /// WebSub hubs the feed advertises.
    pub hubs: Vec<String>,
    /// The newest entry's `updated`.
    pub updated: DateTime<Utc>,
    /// Newest first.
    pub entries: Vec<Entry>,
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
            content_html: xml_safe(&body::article_body(article)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_namespace_and_key_only() {
        assert_eq!(urn("https://a/", "x"), urn("https://a/", "x"));
        assert_ne!(urn("https://a/", "x"), urn("https://b/", "x"));
        assert!(urn("https://a/", "x").starts_with("urn:uuid:"));
    }
}
