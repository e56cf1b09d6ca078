//! Rendering to bytes: a [`Feed`] in each [`Format`], one module per
//! format, plus the site's index page, OPML list and article pages from
//! the [`crate::site`] model.
//!
//! Renderers map fields of the one feed model to a format's elements through
//! typed writers (`rss`, `atom_syndication`, quick-xml, serde, maud), so
//! escaping is never by hand.

pub mod atom;
pub mod json;
pub mod opml;
pub mod page;
pub mod rss;

use anyhow::Result;

use crate::feed::Feed;
use crate::format::Format;

/// `feed` in `format`.
pub fn feed(format: Format, feed: &Feed) -> Result<Vec<u8>> {
    match format {
        Format::Atom => atom::render(feed),
        Format::Rss => rss::render(feed),
        Format::Json => json::render(feed),
    }
}

/// The generator element's text.
fn generator() -> String {
    format!("readmore {}", env!("CARGO_PKG_VERSION"))
}
