//! HTML pages for people: the index of sections and feeds (with feed
//! autodiscovery links), and one page per article. Plain semantic HTML with
//! a small inline stylesheet; no scripts, no external assets. maud escapes
//! every interpolated value; the only pre-escaped HTML is the article body
//! from [`crate::body::blocks`], which escapes its own text. Links between
//! pages are relative, so the directory works wherever it is served.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use url::Url;

use crate::article::Article;
use crate::body::blocks;
use crate::classify::Section;
use crate::feed::ALL;
use crate::site::Site;

const STYLE: &str = "
body{font:17px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:42rem;padding:1rem 1.25rem 3rem;color:#1b1b1b;background:#fdfdfc}
a{color:#0b57a4}a:visited{color:#5b3c9b}
h1{font-size:1.9rem;line-height:1.2;margin:.6rem 0}h2{font-size:1.3rem;margin:1.8rem 0 .4rem}
nav,.meta,.feeds,footer,figcaption,time{font-size:.9rem;color:#555}
.dek{font-size:1.15rem;color:#333}
section{border-top:1px solid #ddd;padding:.2rem 0 .6rem}
ol.articles{padding-left:1.6rem}ol.articles li{margin:.35rem 0}li .dek{font-size:.95rem}
.feeds a{margin-right:.8rem}
figure{margin:1.2rem 0;padding:.6rem .9rem;border-left:3px solid #ccc;background:#f4f4f2}
aside{margin-top:2rem;padding:1rem;background:#f4f4f2;border-radius:6px}
@media (prefers-color-scheme:dark){body{background:#161616;color:#e6e6e6}a{color:#7db4ff}a:visited{color:#b79cff}
nav,.meta,.feeds,footer,figcaption,time,.dek{color:#aaa}figure,aside{background:#222}section{border-color:#333}}
";

/// How many of a section's newest articles the index lists, with author
/// and dek. The index is bounded, whatever the history holds: a new
/// article rewrites a page of this size, not one of the store's size.
/// Older articles are in the section's feeds (and keep their pages).
pub const INDEX_NEWEST: usize = 30;

/// What the index shows of a section.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Newest {
    /// Its newest articles, newest first, at most [`INDEX_NEWEST`].
    pub articles: Vec<Listed>,
    /// Whether the store holds older ones.
    pub older: bool,
}

/// One article in a section's list on the index page.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub title: String,
    /// Its page (relative), else its item link.
    pub href: String,
    pub date: DateTime<Utc>,
    pub author: Option<String>,
    pub dek: Option<String>,
}

/// The site's index: every section with its feeds and its newest
/// articles (`newest`, by section id).
pub fn index(site: &Site, newest: &HashMap<String, Newest>) -> Vec<u8> {
    let none = Newest::default();
    let page = html! {
        (DOCTYPE)
        html lang=(site.language) {
            head {
                (head_common(&site.title))
                @for section in &site.sections {
                    @for format in &site.formats {
                        link rel="alternate" type=(format.media_type())
                            title=(format!("{} ({})", feed_title(site, &section.title, &section.name), format.label()))
                            href=(format!("{}.{}", section.name, format.ext()));
                    }
                }
            }
            body {
                header {
                    h1 { (site.title) }
                    @if let Some(description) = &site.description { p.dek { (description) } }
                    p.feeds {
                        "Everything: " (feed_links(site, ALL, ""))
                        @if site.opml { a href="index.opml" { "OPML (all sections)" } }
                    }
                }
                main {
                    @for section in site.sections.iter().filter(|s| s.name != ALL) {
                        @let shown = newest.get(&section.name).unwrap_or(&none);
                        section id=(section.name) {
                            h2 { (section.title) }
                            p.feeds { (feed_links(site, &section.name, "")) }
                            ol.articles {
                                @for article in &shown.articles {
                                    li {
                                        a href=(article.href) { (article.title) }
                                        span.meta {
                                            " · " (time(article.date))
                                            @if let Some(author) = &article.author { " · " (author) }
                                        }
                                        @if let Some(dek) = &article.dek { br; span.dek { (dek) } }
                                    }
                                }
                            }
                            @if shown.older {
                                p.meta { "The newest " (shown.articles.len()) "; the feeds above hold more." }
                            }
                        }
                    }
                }
                footer { "Generated by readmore. Updated " (time(site.updated)) "." }
            }
        }
    };
    finish(page)
}

/// An article's own page.
pub fn article(
    site: &Site,
    article: &Article,
    section: &Section,
    dates: (DateTime<Utc>, DateTime<Utc>),
) -> Vec<u8> {
    let (published, updated) = dates;
    let page = html! {
        (DOCTYPE)
        html lang=(site.language) {
            head {
                (head_common(&format!("{} — {}", article.title, site.title)))
                @for format in &site.formats {
                    link rel="alternate" type=(format.media_type())
                        title=(format!("{} ({})", feed_title(site, &section.title, &section.id), format.label()))
                        href=(format!("../{}.{}", section.id, format.ext()));
                }
            }
            body {
                nav {
                    a href="../index.html" { (site.title) } " › "
                    a href=(format!("../index.html#{}", section.id)) { (section.title) }
                }
                article {
                    h1 { (article.title) }
                    @if let Some(dek) = &article.dek { p.dek { (dek) } }
                    p.meta {
                        @if let Some(author) = &article.author { "By " (author.name) " · " }
                        (section.title) " · published " (time(published))
                        @if updated != published { " · updated " (time(updated)) }
                    }
                    (PreEscaped(blocks(&article.body)))
                    @if let Some(link) = article.permalink.as_deref().filter(|l| is_web_link(l)) {
                        p.meta { a href=(link) { "Read the original article" } }
                    }
                    @if let Some(author) = &article.author {
                        @if let Some(bio) = &author.bio {
                            aside { h2 { "About " (author.name) } p { (bio) } }
                        }
                    }
                }
                footer {
                    p.feeds { "Follow " (section.title) ": " (feed_links(site, &section.id, "../")) }
                    p { a href="../index.html" { "All sections" } }
                }
            }
        }
    };
    finish(page)
}

fn head_common(title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        meta name="generator" content=(format!("readmore {}", env!("CARGO_PKG_VERSION")));
        title { (title) }
        style { (PreEscaped(STYLE.trim())) }
    }
}

fn feed_links(site: &Site, name: &str, prefix: &str) -> Markup {
    html! {
        @for format in &site.formats {
            a href=(format!("{prefix}{name}.{}", format.ext())) type=(format.media_type()) { (format.label()) }
        }
    }
}

fn feed_title(site: &Site, section_title: &str, name: &str) -> String {
    if name == ALL {
        site.title.clone()
    } else {
        format!("{} — {section_title}", site.title)
    }
}

/// Only http(s) permalinks are linked: a page's `javascript:` or `data:`
/// link never becomes one.
fn is_web_link(link: &str) -> bool {
    Url::parse(link).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
}

fn time(date: DateTime<Utc>) -> Markup {
    html! { time datetime=(date.to_rfc3339_opts(SecondsFormat::Secs, true)) { (date.format("%-d %B %Y, %H:%M UTC")) } }
}

fn finish(page: Markup) -> Vec<u8> {
    let mut bytes = page.into_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    // A page's javascript: link is never offered as "the original article".
    #[test]
    fn only_web_permalinks_are_linked() {
        let site = Site::new(&Config::default(), Vec::new());
        let section = Section {
            id: "space".into(),
            title: "Space".into(),
        };
        let mut stored = Article {
            slug: "s".into(),
            key: "s".into(),
            title: "t".into(),
            dek: None,
            body: Vec::new(),
            author: None,
            permalink: Some("javascript:alert(1)".into()),
            date: None,
            updated: None,
            categories: Vec::new(),
            lines: (1, 1),
            found_by: None,
        };
        let now = Utc::now();
        let page =
            |a: &Article| String::from_utf8(article(&site, a, &section, (now, now))).unwrap();
        assert!(!page(&stored).contains("original article"));
        // Starts like a web link, but is not a URL.
        stored.permalink = Some("https://[::1/a".into());
        assert!(!page(&stored).contains("original article"));
        stored.permalink = Some("https://example.org/a?b=1&c=2".into());
        assert!(page(&stored).contains(
            r#"<a href="https://example.org/a?b=1&amp;c=2">Read the original article</a>"#
        ));
    }
}
