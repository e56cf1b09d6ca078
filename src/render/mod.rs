//! Rendering to bytes: a [`Feed`] in each feed format, one module per
//! format, plus the site's index page, OPML list and article pages.
//!
//! Renderers map fields of the one feed model to a format's elements through
//! typed writers (`rss`, `atom_syndication`), so escaping is never by hand.

pub mod atom;
pub mod html;
pub mod json;
pub mod opml;
pub mod page;
pub mod rss;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::feed::Feed;

/// A feed format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Atom,
    Rss,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Atom, Format::Rss, Format::Json];

    /// The file extension, also used in self links.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::Json => "json",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml",
            Format::Rss => "application/rss+xml",
            Format::Json => "application/feed+json",
        }
    }

    /// How the format is named to people ("Atom", "RSS", "JSON Feed").
    pub fn label(self) -> &'static str {
        match self {
            Format::Atom => "Atom",
            Format::Rss => "RSS",
            Format::Json => "JSON Feed",
        }
    }

    pub fn render(self, feed: &Feed) -> Result<Vec<u8>> {
        match self {
            Format::Atom => atom::render(feed),
            Format::Rss => rss::render(feed),
            Format::Json => json::render(feed),
        }
    }
}

/// The generator element's text.
fn generator() -> String {
    format!("readmore {}", env!("CARGO_PKG_VERSION"))
}
