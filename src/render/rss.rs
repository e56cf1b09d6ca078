//! RSS 2.0 through the `rss` crate: `atom:link` `rel="self"` and one
//! `rel="hub"` per WebSub hub, `dc:creator`
//! for authors (RSS `author` must be an e-mail address), `content:encoded`
//! for the full text, the section and then the publisher's categories as
//! `category`.

use anyhow::Result;
use maud::html;
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Guid, Item};

use super::generator;
use crate::feed::{Entry, Feed};
use crate::format::Format;

pub fn render(feed: &Feed) -> Result<Vec<u8>> {
    let channel = Channel {
        title: feed.title.clone(),
        link: feed.home_url.clone(),
        description: feed.description.clone(),
        language: Some(feed.language.clone()),
        generator: Some(generator()),
        last_build_date: Some(feed.updated.to_rfc2822()),
        atom_ext: Some(AtomExtension {
            links: std::iter::once(Link {
                href: feed.self_url(Format::Rss.ext()),
                rel: "self".into(),
                mime_type: Some(Format::Rss.media_type().into()),
                ..Link::default()
            })
            .chain(feed.hubs.iter().map(|hub| Link {
                href: hub.clone(),
                rel: "hub".into(),
                ..Link::default()
            }))
            .collect(),
        }),
        items: feed.entries.iter().map(item).collect(),
        ..Channel::default()
    };
    let mut bytes = channel.pretty_write_to(Vec::new(), b' ', 2)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn item(entry: &Entry) -> Item {
    Item {
        title: Some(entry.title.clone()),
        link: Some(entry.link.clone()),
        // RSS readers take description as HTML: the plain-text summary is
        // escaped (by maud), so no markup from the input becomes live.
        description: entry
            .summary
            .as_deref()
            .map(|text| html! { (text) }.into_string()),
        guid: Some(Guid {
            value: entry.id.clone(),
            permalink: entry.id_is_link,
        }),
        pub_date: Some(entry.published.to_rfc2822()),
        categories: std::iter::once(&entry.section.title)
            .chain(&entry.categories)
            .map(|name| Category {
                name: name.clone(),
                domain: None,
            })
            .collect(),
        content: Some(entry.content_html.clone()),
        dublin_core_ext: entry.author.as_ref().map(|name| DublinCoreExtension {
            creators: vec![name.clone()],
            ..DublinCoreExtension::default()
        }),
        ..Item::default()
    }
}
