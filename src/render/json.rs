//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>) through serde: the same
//! ids, links, dates, content and categories (as `tags`) as the Atom and RSS
//! feeds.

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::feed::{Entry, Feed};
use crate::format::Format;

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    description: &'a str,
    authors: [Author<'a>; 1],
    language: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    content_html: &'a str,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    tags: Vec<&'a str>,
}

pub fn render(feed: &Feed) -> Result<Vec<u8>> {
    let json = JsonFeed {
        version: VERSION,
        title: &feed.title,
        home_page_url: &feed.home_url,
        feed_url: feed.self_url(Format::Json.ext()),
        description: &feed.description,
        authors: [Author { name: &feed.author }],
        language: &feed.language,
        hubs: feed
            .hubs
            .iter()
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items: feed.entries.iter().map(item).collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&json)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn item(entry: &Entry) -> Item<'_> {
    Item {
        id: &entry.id,
        url: &entry.link,
        title: &entry.title,
        summary: entry.summary.as_deref(),
        content_html: &entry.content_html,
        date_published: rfc3339(entry.published),
        date_modified: rfc3339(entry.updated),
        authors: entry.author.iter().map(|name| Author { name }).collect(),
        tags: std::iter::once(&entry.section.title)
            .chain(&entry.categories)
            .map(String::as_str)
            .collect(),
    }
}

fn rfc3339(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Secs, true)
}
