//! Atom 1.0 (RFC 4287) through `atom_syndication`: self, WebSub hub and
//! alternate links, `published` and `updated` in RFC 3339, the section and
//! then the publisher's categories as `category`, a plain-text summary and
//! the full text as `content type="html"`.

use anyhow::Result;
use atom_syndication::{
    Category, Content, Entry as AtomEntry, Feed as AtomFeed, Generator, Link, Person, Text,
};
use chrono::{DateTime, FixedOffset, Utc};

use crate::feed::{Entry, Feed};
use crate::format::Format;

pub fn render(feed: &Feed) -> Result<Vec<u8>> {
    let atom = AtomFeed {
        title: Text::plain(feed.title.clone()),
        id: feed.id.clone(),
        updated: fixed(feed.updated),
        authors: vec![person(&feed.author)],
        links: [link(
            feed.self_url(Format::Atom.ext()),
            "self",
            Format::Atom.media_type(),
        )]
        .into_iter()
        .chain(feed.hubs.iter().map(|hub| Link {
            href: hub.clone(),
            rel: "hub".into(),
            ..Link::default()
        }))
        .chain([link(feed.home_url.clone(), "alternate", "text/html")])
        .collect(),
        generator: Some(Generator {
            value: "readmore".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        subtitle: Some(Text::plain(feed.description.clone())),
        lang: Some(feed.language.clone()),
        entries: feed.entries.iter().map(entry).collect(),
        ..AtomFeed::default()
    };
    let mut bytes = atom.write_with_config(
        Vec::new(),
        atom_syndication::WriteConfig {
            write_document_declaration: true,
            indent_size: Some(2),
        },
    )?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn entry(entry: &Entry) -> AtomEntry {
    AtomEntry {
        title: Text::plain(entry.title.clone()),
        id: entry.id.clone(),
        updated: fixed(entry.updated),
        published: Some(fixed(entry.published)),
        authors: entry.author.iter().map(|a| person(a)).collect(),
        links: vec![link(entry.link.clone(), "alternate", "text/html")],
        categories: std::iter::once(Category {
            term: entry.section.id.clone(),
            scheme: None,
            label: Some(entry.section.title.clone()),
        })
        .chain(entry.categories.iter().map(|c| Category {
            term: c.clone(),
            ..Category::default()
        }))
        .collect(),
        summary: entry.summary.clone().map(Text::plain),
        content: Some(Content {
            value: Some(entry.content_html.clone()),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        ..AtomEntry::default()
    }
}

fn fixed(date: DateTime<Utc>) -> DateTime<FixedOffset> {
    date.fixed_offset()
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_string(),
        ..Person::default()
    }
}

fn link(href: String, rel: &str, media_type: &str) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: Some(media_type.into()),
        ..Link::default()
    }
}
