//! The article model: what the parser extracts from one excerpt, before it
//! is classified, dated or rendered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One article excerpt as found on a listing page. Serialised (without its
/// line range), it is what the store keeps to render the article again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// The slug as the page gives it (or, without a slug line, as the title
    /// would give it).
    pub slug: String,
    /// Canonical form of the slug (see [`crate::text::slug_key`]): the basis of
    /// the article's id and what duplicates are recognised by.
    pub key: String,
    pub title: String,
    /// Subtitle, when the page gives one.
    pub dek: Option<String>,
    pub body: Vec<Block>,
    pub author: Option<Author>,
    /// The article's own URL, when the page gives one (HTML listings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
    /// When the article was published, when the page says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<DateTime<Utc>>,
    /// When the article was last modified, when the page says so apart
    /// from its published date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// The publisher's own categories for the article (category links,
    /// `articleSection`, a feed item's `<category>`): evidence for the
    /// classifier and the item's categories in the feeds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// How the extractor recognised the excerpt (the more-link signals of
    /// an HTML listing), for `explain`; not kept.
    #[serde(skip)]
    pub found_by: Option<String>,
    /// First and last line of the excerpt in its source (1-based).
    #[serde(skip)]
    pub lines: (usize, usize),
}

/// A piece of body text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    Paragraph(String),
    Heading(String),
    /// An image's caption and credit; the image itself is not in the dump.
    Figure {
        caption: Option<String>,
        credit: Option<String>,
    },
    /// A list's items (a feed item's `<ul>` or `<ol>`).
    List {
        ordered: bool,
        items: Vec<String>,
    },
    /// A quotation; blank lines separate its paragraphs.
    Quote(String),
}

/// Who wrote the article: from a "Photo of NAME" block or a byline, else
/// the page header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub name: String,
    pub bio: Option<String>,
    /// Named by the page (its header or title), not by the article itself:
    /// shown, but not part of what identifies the article's content.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_page: bool,
}

impl Author {
    /// The article's own byline.
    pub fn own(name: String, bio: Option<String>) -> Self {
        Self {
            name,
            bio,
            from_page: false,
        }
    }

    /// The page's author, standing in for a byline the article lacks.
    pub fn of_page(name: String) -> Self {
        Self {
            name,
            bio: None,
            from_page: true,
        }
    }
}

impl Article {
    /// A plain-text summary: the dek, else the first paragraph.
    pub fn summary(&self) -> Option<&str> {
        self.dek.as_deref().or_else(|| {
            self.body.iter().find_map(|b| match b {
                Block::Paragraph(p) => Some(p.as_str()),
                _ => None,
            })
        })
    }
}
