//! Rendering a [`Feed`] to bytes, one module per format.
//!
//! Renderers map fields of the one feed model to a format's elements through
//! typed writers (`rss`, `atom_syndication`), so escaping is never by hand.

pub mod atom;
pub mod html;
pub mod rss;

use anyhow::Result;

use crate::feed::Feed;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Atom,
    Rss,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Atom, Format::Rss];

    /// The file extension, also used in self links.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Rss => "rss",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml",
            Format::Rss => "application/rss+xml",
        }
    }

    pub fn render(self, feed: &Feed) -> Result<Vec<u8>> {
        match self {
            Format::Atom => atom::render(feed),
            Format::Rss => rss::render(feed),
        }
    }
}

/// The generator element's text.
fn generator() -> String {
    format!("readmore {}", env!("CARGO_PKG_VERSION"))
}
