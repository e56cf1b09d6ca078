//! Which date of an HTML excerpt is when it was published, and which when
//! it was last modified.
//!
//! Like htmldate, the sources are tried in a fixed order of trust, and the
//! first that gives a date wins:
//!
//! 1. structured data inside the excerpt: `itemprop="datePublished"` (or
//!    `dateCreated`), RDFa `property="schema:datePublished"`, `dc:date`,
//!    its `datetime` or `content` attribute, else its text;
//! 2. an element classed as published (`time.published`,
//!    `.entry-date.published`, microformats' `dt-published`) or `<time
//!    pubdate>`;
//! 3. the first `<time>` that is not the modified one, by its `datetime`,
//!    else its text;
//! 4. the page's own date, when the page shows a single item or names the
//!    excerpt's permalink: JSON-LD `datePublished` of an article whose
//!    `url`, `@id` or `mainEntityOfPage` is the permalink, or, on a
//!    one-item page, `article:published_time`;
//! 5. date text in the excerpt's meta line or byline (an element whose
//!    class or id says date, time, meta, byline, posted, submitted, created…, of at
//!    most 200 characters);
//! 6. a `/2018/06/18/` date in the permalink's path.
//!
//! The modified date comes from `itemprop="dateModified"`, an element
//! classed `updated` or `modified` (one also classed published is the
//! published date, as WordPress marks an unedited post), or the page's
//! JSON-LD `dateModified` / `article:modified_time` as in step 4. It is kept
//! only when it is later than the published date; a page that gives only a
//! modified date gives it as the published one. How the text of a date is
//! read is [`crate::dates`]' job.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use scraper::{ElementRef, Html};
use serde_json::Value;

use crate::dates::{DateReader, Order};
use crate::dom::{classes, select};

/// The dates of one excerpt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dates {
    pub published: Option<DateTime<Utc>>,
    /// Only when later than `published`.
    pub modified: Option<DateTime<Utc>>,
}

/// What the page as a whole says about dates: its language's date order,
/// its JSON-LD items and its `article:*_time` meta tags.
pub struct PageDates {
    reader: DateReader,
    items: Vec<LinkedItem>,
    meta: Dates,
}

/// A JSON-LD object that carries a date.
struct LinkedItem {
    urls: Vec<String>,
    article: bool,
    dates: Dates,
}

/// Class tokens of elements that hold a byline or a meta line with a date.
const META_HINTS: &[&str] = &[
    "date",
    "time",
    "meta",
    "byline",
    "posted",
    "publish",
    "submitted",
    "created",
    "datum",
    "fecha",
    "data",
    "info",
];

impl PageDates {
    /// Reads the page-wide evidence; dates without a zone are in `zone`.
    pub fn of(doc: &Html, zone: Tz) -> PageDates {
        let root = doc.root_element();
        let lang = root.value().attr("lang").or(root.value().attr("xml:lang"));
        let reader = DateReader {
            order: Order::for_lang(lang),
            zone,
        };
        let meta_date = |property: &str| {
            select(&root, &format!("meta[property=\"{property}\"][content]"))
                .find_map(|m| reader.read(m.value().attr("content")?))
        };
        let meta = Dates {
            published: meta_date("article:published_time"),
            modified: meta_date("article:modified_time"),
        };
        let mut items = Vec::new();
        for script in select(&root, "script[type=\"application/ld+json\"]") {
            let json = script.text().collect::<String>();
            if let Ok(value) = serde_json::from_str::<Value>(json.trim()) {
                linked_items(&value, &reader, &mut items);
            }
        }
        PageDates {
            reader,
            items,
            meta,
        }
    }

    /// The dates of the excerpt in `container`, whose permalink is
    /// `permalink`; `single` when it is the page's only excerpt.
    pub fn excerpt(&self, container: &ElementRef, permalink: Option<&str>, single: bool) -> Dates {
        let page = self.page_item(permalink, single);
        let published = self
            .structured(container, PUBLISHED)
            .or_else(|| self.classed(container, true))
            .or_else(|| self.plain_time(container))
            .or(page.published)
            .or_else(|| self.meta_text(container))
            .or_else(|| permalink.and_then(|p| self.url_date(p)));
        let modified = self
            .structured(container, MODIFIED)
            .or_else(|| self.classed(container, false))
            .or(page.modified);
        match published {
            Some(p) => Dates {
                published: Some(p),
                modified: modified.filter(|m| *m > p),
            },
            None => Dates {
                published: modified,
                modified: None,
            },
        }
    }

    /// The dates the page gives for the item at `permalink`.
    fn page_item(&self, permalink: Option<&str>, single: bool) -> Dates {
        let named = permalink.and_then(|p| {
            let p = same_url_key(p);
            self.items
                .iter()
                .find(|i| i.urls.iter().any(|u| same_url_key(u) == p))
        });
        if let Some(item) = named {
            return item.dates;
        }
        if !single {
            return Dates::default();
        }
        let mut articles = self.items.iter().filter(|i| i.article);
        match (articles.next(), articles.next()) {
            (Some(only), None) => only.dates,
            _ => self.meta,
        }
    }

    /// Step 1 (and the modified date's first source): schema.org or Dublin
    /// Core properties.
    fn structured(&self, container: &ElementRef, css: &str) -> Option<DateTime<Utc>> {
        select(container, css).find_map(|e| self.element_date(&e))
    }

    /// Step 2: elements classed as published (or, for the modified date,
    /// as updated and not also as published).
    fn classed(&self, container: &ElementRef, published: bool) -> Option<DateTime<Utc>> {
        select(container, "[class], time[pubdate]")
            .filter(|e| {
                let says_published = e.value().attr("pubdate").is_some()
                    || classes(e).any(|c| c.contains("published"));
                let says_modified =
                    classes(e).any(|c| c.contains("updated") || c.contains("modified"));
                if published {
                    says_published
                } else {
                    says_modified && !says_published
                }
            })
            .find_map(|e| self.element_date(&e))
    }

    /// Step 3: the first `<time>` not marked as the modified date.
    fn plain_time(&self, container: &ElementRef) -> Option<DateTime<Utc>> {
        select(container, "time")
            .filter(|t| {
                let modified = classes(t).any(|c| c.contains("updated") || c.contains("modified"))
                    || t.value().attr("itemprop") == Some("dateModified");
                !modified
            })
            .find_map(|t| self.element_date(&t))
    }

    /// Step 5: a short meta line or byline with a date in its text.
    fn meta_text(&self, container: &ElementRef) -> Option<DateTime<Utc>> {
        select(container, "[class], [id]")
            .filter(|e| {
                let id = e.value().id().unwrap_or("").to_ascii_lowercase();
                classes(e)
                    .chain(std::iter::once(id))
                    .any(|c| META_HINTS.iter().any(|h| c.contains(h)))
            })
            .find_map(|e| {
                let text = e.text().collect::<String>();
                (text.chars().count() <= 200)
                    .then(|| self.reader.read(&text))
                    .flatten()
            })
    }

    /// Step 6: `/2018/06/18/` in the permalink's path.
    fn url_date(&self, permalink: &str) -> Option<DateTime<Utc>> {
        let url = url::Url::parse(permalink).ok()?;
        let parts: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
        parts.windows(3).find_map(|w| {
            let numeric = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
            (numeric(w[0], 4) && numeric(w[1], 2) && numeric(w[2], 2))
                .then(|| self.reader.read(&w.join("-")))
                .flatten()
        })
    }

    /// An element's date: its `datetime`, `content` or `title` attribute,
    /// else its text.
    pub fn element_date(&self, el: &ElementRef) -> Option<DateTime<Utc>> {
        let v = el.value();
        ["datetime", "content", "title"]
            .iter()
            .filter_map(|a| v.attr(a))
            .find_map(|value| self.reader.read(value))
            .or_else(|| self.reader.read(&el.text().collect::<String>()))
    }
}

/// Properties that name the published date.
const PUBLISHED: &str = "[itemprop=datePublished], [itemprop=dateCreated], \
    [property=\"schema:datePublished\"], [property=\"schema:dateCreated\"], \
    [property=\"dc:date\"], [property=\"dc:created\"], [property=\"dcterms:created\"]";
/// Properties that name the modified date.
const MODIFIED: &str = "[itemprop=dateModified], [property=\"schema:dateModified\"], \
    [property=\"dcterms:modified\"]";

/// Collects the JSON-LD objects under `value` that carry a date.
fn linked_items(value: &Value, reader: &DateReader, out: &mut Vec<LinkedItem>) {
    match value {
        Value::Array(values) => values.iter().for_each(|v| linked_items(v, reader, out)),
        Value::Object(map) => {
            let date = |key: &str| {
                map.get(key)
                    .and_then(Value::as_str)
                    .and_then(|s| reader.read(s))
            };
            let dates = Dates {
                published: date("datePublished"),
                modified: date("dateModified"),
            };
            if dates.published.is_some() || dates.modified.is_some() {
                let mut urls = Vec::new();
                for key in ["url", "@id", "mainEntityOfPage"] {
                    match map.get(key) {
                        Some(Value::String(s)) => urls.push(s.clone()),
                        Some(Value::Object(o)) => {
                            urls.extend(o.get("@id").and_then(Value::as_str).map(str::to_string))
                        }
                        _ => {}
                    }
                }
                let types = match map.get("@type") {
                    Some(Value::String(t)) => vec![t.as_str()],
                    Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                let article = types
                    .iter()
                    .any(|t| t.contains("Article") || t.ends_with("Posting"));
                out.push(LinkedItem {
                    urls,
                    article,
                    dates,
                });
            }
            map.values().for_each(|v| linked_items(v, reader, out));
        }
        _ => {}
    }
}

/// A URL without its scheme, fragment and trailing slash, to compare.
fn same_url_key(url: &str) -> &str {
    let url = url.split('#').next().unwrap_or(url);
    let url = url
        .strip_prefix("https:")
        .or_else(|| url.strip_prefix("http:"))
        .unwrap_or(url);
    url.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dates of the first `<article>` of `html`, as `YYYY-MM-DD` (or
    /// RFC 3339 when `full`), published then modified.
    fn dates_of(html: &str, permalink: Option<&str>, single: bool) -> (String, String) {
        let doc = Html::parse_document(html);
        let page = PageDates::of(&doc, Tz::UTC);
        let article = select(&doc.root_element(), "article").next().unwrap();
        let d = page.excerpt(&article, permalink, single);
        let show = |d: Option<DateTime<Utc>>| {
            d.map_or("none".into(), |d| d.format("%Y-%m-%dT%H:%M").to_string())
        };
        (show(d.published), show(d.modified))
    }

    fn published(html: &str) -> String {
        dates_of(html, None, false).0
    }

    #[test]
    fn a_modified_time_listed_first_does_not_win() {
        // GeneratePress and others put the `updated` time before the published one.
        let html = r#"<article><h2>A post</h2><span class="posted-on">
            <time class="updated" datetime="2025-10-16T16:29:47+02:00" itemprop="dateModified">16/10/2025</time>
            <time class="entry-date published" datetime="2025-10-12T09:17:46+02:00" itemprop="datePublished">12/10/2025</time>
            </span></article>"#;
        assert_eq!(
            dates_of(html, None, false),
            ("2025-10-12T07:17".into(), "2025-10-16T14:29".into())
        );
    }

    #[test]
    fn an_unedited_wordpress_post_has_no_modified_date() {
        // One element classed both published and updated is the published date.
        let html = r#"<article><time class="entry-date published updated" datetime="2020-03-01T10:00:00+00:00">March 1</time></article>"#;
        assert_eq!(
            dates_of(html, None, false),
            ("2020-03-01T10:00".into(), "none".into())
        );
    }

    #[test]
    fn date_published_holding_text_is_read() {
        let html = r#"<article><span itemprop="datePublished">October 25, 2016</span>
            <time datetime="2017-01-01">New year</time></article>"#;
        assert_eq!(published(html), "2016-10-25T12:00");
    }

    #[test]
    fn rdfa_date_created_is_structured_data() {
        let html = r#"<article><span property="schema:dateCreated" content="2019-05-01T19:15:50+00:00">Wed, 05/01/2019 - 19:15</span></article>"#;
        assert_eq!(published(html), "2019-05-01T19:15");
    }

    #[test]
    fn a_published_class_beats_an_earlier_plain_time() {
        let html = r#"<article><p>Event on <time datetime="2019-07-04">July 4</time></p>
            <span class="entry-date published">2019-06-30</span></article>"#;
        assert_eq!(published(html), "2019-06-30T12:00");
    }

    #[test]
    fn a_time_without_datetime_or_with_text_in_it_is_read() {
        let html = r#"<article><time datetime="27 January 2015">27 January 2015</time></article>"#;
        assert_eq!(published(html), "2015-01-27T12:00");
        let html = r#"<article><time class="entry-date">18 juillet 2024</time></article>"#;
        assert_eq!(published(html), "2024-07-18T12:00");
    }

    #[test]
    fn date_text_in_a_meta_line_or_byline() {
        let html = r#"<html lang="fr-FR"><article><h2>Titre</h2><span class="posted-date">
            25/06/2019 </span><p>Le texte du 3 mars 2001.</p></article></html>"#;
        assert_eq!(published(html), "2019-06-25T12:00");
        let html = r#"<html lang="ru-RU"><article><div class="meta"><table><tr>
            <td><span>Дата:</span> 20 марта 2013</td><td>Рубрика: Новости</td></tr></table></div></article></html>"#;
        assert_eq!(published(html), "2013-03-20T12:00");
        let html = r#"<article><div class="postdate">November 23rd, 2007</div></article>"#;
        assert_eq!(published(html), "2007-11-23T12:00");
        let html = r#"<article><div class="submitted">Submitted by Jo on Tue, 04/30/2019 - 18:57</div></article>"#;
        assert_eq!(published(html), "2019-04-30T18:57");
        // Drupal's `created` field, with the ordinal in a <sup>.
        let html = r#"<article><div class="created">7<sup>th</sup> March, 2016</div></article>"#;
        assert_eq!(published(html), "2016-03-07T12:00");
    }

    #[test]
    fn body_text_dates_are_not_the_published_date() {
        let html = r#"<article><h2>Title</h2><p>On June 5, 2018 the council met.</p></article>"#;
        assert_eq!(published(html), "none");
        // A long element whose class says meta is not a meta line.
        let long = "word ".repeat(60);
        let html =
            format!(r#"<article><div class="entry-meta-wrap">{long} June 5, 2018</div></article>"#);
        assert_eq!(published(&html), "none");
    }

    #[test]
    fn numeric_dates_are_read_in_the_page_language() {
        let us =
            r#"<html lang="en-US"><article><span class="date">03/04/2018</span></article></html>"#;
        let de =
            r#"<html lang="de-DE"><article><span class="date">03/04/2018</span></article></html>"#;
        assert_eq!(published(us), "2018-03-04T12:00");
        assert_eq!(published(de), "2018-04-03T12:00");
    }

    #[test]
    fn json_ld_dates_of_the_excerpts_permalink() {
        let html = r#"<html><head><script type="application/ld+json">
            {"@context":"https://schema.org","@graph":[
              {"@type":"CollectionPage","@id":"https://ex.org/blog/","datePublished":"2010-01-01"},
              {"@type":"BlogPosting","url":"https://ex.org/one/","datePublished":"2021-04-02T08:00:00Z","dateModified":"2021-05-01T08:00:00Z"},
              {"@type":"BlogPosting","mainEntityOfPage":{"@id":"https://ex.org/two/"},"datePublished":"2021-03-02"}
            ]}</script></head><body><article><h2><a href="/one/">One</a></h2></article></body></html>"#;
        assert_eq!(
            dates_of(html, Some("https://ex.org/one"), false),
            ("2021-04-02T08:00".into(), "2021-05-01T08:00".into())
        );
        assert_eq!(
            dates_of(html, Some("http://ex.org/two/#more-2"), false).0,
            "2021-03-02T12:00"
        );
        // Not named and more than one excerpt: the page's dates are not the excerpt's.
        assert_eq!(
            dates_of(html, Some("https://ex.org/three/"), false).0,
            "none"
        );
    }

    #[test]
    fn a_single_item_page_gives_its_own_date() {
        let html = r#"<html><head><meta property="article:published_time" content="2022-08-09T10:11:12+00:00">
            <meta property="article:modified_time" content="2022-08-10T00:00:00+00:00"></head>
            <body><article><h2>Only</h2><p>Text.</p></article></body></html>"#;
        assert_eq!(
            dates_of(html, None, true),
            ("2022-08-09T10:11".into(), "2022-08-10T00:00".into())
        );
        assert_eq!(dates_of(html, None, false).0, "none");
    }

    #[test]
    fn the_permalink_path_dates_an_excerpt_last() {
        let html = r#"<article><h2>Hugo post</h2></article>"#;
        assert_eq!(
            dates_of(html, Some("https://ex.org/2015/01/27/a-post/"), false).0,
            "2015-01-27T12:00"
        );
        let shown = r#"<article><span class="date">January 26, 2015</span></article>"#;
        assert_eq!(
            dates_of(shown, Some("https://ex.org/2015/01/27/a-post/"), false).0,
            "2015-01-26T12:00"
        );
    }

    #[test]
    fn a_modified_date_alone_is_the_published_date() {
        let html = r#"<article><time class="updated" datetime="2023-02-03">Feb 3</time></article>"#;
        assert_eq!(
            dates_of(html, None, false),
            ("2023-02-03T12:00".into(), "none".into())
        );
    }

    #[test]
    fn a_modified_date_before_the_published_one_is_dropped() {
        let html = r#"<article><time itemprop="datePublished" datetime="2023-02-03">a</time>
            <time itemprop="dateModified" datetime="2023-01-03">b</time></article>"#;
        assert_eq!(dates_of(html, None, false).1, "none");
    }
}
