//! The publisher's own categories of an excerpt on an HTML page: evidence
//! for [`crate::classify`] and the item's categories in the feeds.
//!
//! Four places name them, read in this order:
//! 1. category and tag links in the excerpt (`rel="category tag"`,
//!    `rel="tag"`, `rel="category"`), by their text;
//! 2. schema.org `articleSection`: microdata in the excerpt, and JSON-LD
//!    objects anywhere on the page whose `url`, `@id` or
//!    `mainEntityOfPage` is the excerpt's permalink;
//! 3. WordPress-style class tokens `category-<slug>` and `tag-<slug>` on the
//!    excerpt's element, on `article` elements inside it, and on `body` (a
//!    category or tag archive names its category there), slugs
//!    percent-decoded and `-` read as a space;
//! 4. only when none of those names one: the section segments of the
//!    permalink's path, such as `space` in `/space/2026/02/slug/` or
//!    `politics` in `/2017/01/06/us/politics/slug.html` (not the last
//!    segment, numbers, one- or two-letter codes, file names, or words like
//!    `blog` and `posts` that every site uses).
//!
//! Names are kept as the page writes them, without repeats (compared by
//! their slug form, so "Space News" and `category-space-news` count once),
//! at most [`MOST`] of them.

use percent_encoding::percent_decode_str;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use crate::text::{clean_line, slug_key};

/// The most categories kept for one excerpt.
pub const MOST: usize = 12;
/// Longer "categories" are sentences, not names.
const LONGEST: usize = 60;

/// Path segments and class slugs that name no topic.
const GENERIC: &[&str] = &[
    "amp",
    "archive",
    "archives",
    "article",
    "articles",
    "blog",
    "blogs",
    "categories",
    "category",
    "content",
    "entries",
    "entry",
    "index",
    "item",
    "items",
    "news",
    "node",
    "page",
    "pages",
    "post",
    "posts",
    "stories",
    "story",
    "tag",
    "tags",
    "topic",
    "topics",
    "www",
];

/// WordPress's default category, which means "none", as its translations
/// name it, by slug key.
const NO_CATEGORY: &[&str] = &[
    "uncategorized",
    "uncategorised",
    "allgemein",
    "non-classe",
    "sin-categoria",
    "senza-categoria",
    "sem-categoria",
    "bez-kategorii",
    "без-рубрики",
    "未分类",
    "未分類",
];

/// The page's JSON-LD objects, parsed once for all its excerpts (reading
/// them again per excerpt made a long listing quadratic).
pub struct LinkedData(Vec<Value>);

impl LinkedData {
    pub fn of(doc: &Html) -> LinkedData {
        let scripts = select(&doc.root_element(), r#"script[type="application/ld+json"]"#);
        let values = scripts.iter().filter_map(|script| {
            let text: String = script.text().collect();
            serde_json::from_str::<Value>(&text).ok()
        });
        LinkedData(values.collect())
    }
}

/// The categories the page gives the excerpt in `container`, whose
/// permalink is `permalink`; `linked` is the page's [`LinkedData`].
pub fn of_excerpt(
    container: &ElementRef,
    permalink: Option<&str>,
    linked: &LinkedData,
) -> Vec<String> {
    let mut names = Names::default();
    for link in select(container, "a[rel]") {
        let rel = link.value().attr("rel").unwrap_or("");
        if rel
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("tag") || r.eq_ignore_ascii_case("category"))
        {
            names.add(&link.text().collect::<String>());
        }
    }
    for section in select(container, "[itemprop~=articleSection]") {
        match section.value().attr("content") {
            Some(content) => names.add(content),
            None => names.add(&section.text().collect::<String>()),
        }
    }
    if let Some(permalink) = permalink {
        for section in json_ld_sections(linked, permalink) {
            names.add(&section);
        }
    }
    for slug in class_slugs(container) {
        names.add(&slug);
    }
    if names.0.is_empty() {
        for segment in permalink.map(path_sections).unwrap_or_default() {
            names.add(&segment);
        }
    }
    names.0
}

/// Category names without repeats, in the order found.
#[derive(Default)]
struct Names(Vec<String>);

impl Names {
    fn add(&mut self, name: &str) {
        let name = clean_line(name);
        let key = slug_key(&name);
        if key.is_empty()
            || NO_CATEGORY.contains(&key.as_str())
            || name.chars().count() > LONGEST
            || self.0.len() >= MOST
            || self.0.iter().any(|n| slug_key(n) == key)
        {
            return;
        }
        self.0.push(name);
    }
}

/// `articleSection` of the page's JSON-LD objects that describe `permalink`.
fn json_ld_sections(linked: &LinkedData, permalink: &str) -> Vec<String> {
    let mut sections = Vec::new();
    for value in &linked.0 {
        collect_sections(value, &same_page(permalink), &mut sections);
    }
    sections
}

/// Walks a JSON-LD value for objects about `page` that give `articleSection`.
fn collect_sections(value: &Value, page: &str, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_sections(v, page, out)),
        Value::Object(object) => {
            let about = ["url", "@id", "mainEntityOfPage"]
                .iter()
                .filter_map(|k| object.get(*k))
                .filter_map(|v| v.as_str().or_else(|| v.get("@id")?.as_str()))
                .any(|url| same_page(url) == page);
            if about {
                match object.get("articleSection") {
                    Some(Value::String(s)) => out.push(s.clone()),
                    Some(Value::Array(items)) => {
                        out.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                    }
                    _ => {}
                }
            }
            object.values().for_each(|v| collect_sections(v, page, out));
        }
        _ => {}
    }
}

/// A URL as pages are compared: no fragment, no trailing slash.
fn same_page(url: &str) -> String {
    let url = url.split('#').next().unwrap_or(url);
    url.trim_end_matches('/').to_string()
}

/// The `category-*` and `tag-*` class slugs of the excerpt's element, the
/// `article` elements in it, and the page's `body`.
fn class_slugs(container: &ElementRef) -> Vec<String> {
    let body = container
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name() == "body");
    let inner = select(container, "article");
    let elements = std::iter::once(*container).chain(inner).chain(body);
    let mut slugs = Vec::new();
    for element in elements {
        for class in element.value().classes() {
            let slug = class
                .strip_prefix("category-")
                .or_else(|| class.strip_prefix("tag-"));
            if let Some(name) = slug.and_then(topic_name) {
                slugs.push(name);
            }
        }
    }
    slugs
}

/// The section segments of a permalink's path (see the module doc).
fn path_sections(permalink: &str) -> Vec<String> {
    let Ok(url) = Url::parse(permalink) else {
        return Vec::new();
    };
    let mut segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    segments.pop();
    segments
        .into_iter()
        .filter(|s| s.len() > 2 && !s.contains(['.', '=', '@']))
        .filter_map(topic_name)
        .collect()
}

/// A slug as a name ("space-news" → "space news"), unless it is a number,
/// a template or page-number class (`category-paged-2`) or a word every
/// site uses.
fn topic_name(slug: &str) -> Option<String> {
    let slug = percent_decode_str(slug).decode_utf8().ok()?.to_lowercase();
    let generic = GENERIC.contains(&slug.as_str())
        || slug.chars().all(|c| c.is_ascii_digit())
        || slug.starts_with("template")
        || slug.starts_with("paged")
        || !slug.chars().any(char::is_alphabetic);
    (!generic).then(|| slug.replace(['-', '_'], " "))
}

fn select<'a>(el: &ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(css).expect("valid selector");
    el.select(&selector).collect()
}

/// The categories of every `article` element of a page; for tests.
#[cfg(test)]
fn of_articles(html: &str) -> Vec<Vec<String>> {
    let doc = Html::parse_document(html);
    let linked = LinkedData::of(&doc);
    let articles = select(&doc.root_element(), "article");
    articles
        .iter()
        .map(|a| {
            let link = select(a, "h2 a[href]")
                .first()
                .and_then(|l| l.value().attr("href"));
            of_excerpt(a, link, &linked)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // WordPress's category links and post classes name the same category once.
    #[test]
    fn category_links_and_post_classes() {
        let html = r#"<html><body class="home blog"><main>
            <article class="post-7 post type-post category-space-news tag-rockets tag-12">
              <h2><a href="https://example.org/a-launch/">A launch</a></h2>
              <p>Text.</p>
              <footer class="entry-meta">Posted in
                <a href="/c/space-news/" rel="category tag">Space News</a>
                <a href="/t/moon/" rel="tag">Moon</a></footer>
            </article></main></body></html>"#;
        assert_eq!(of_articles(html), [["Space News", "Moon", "rockets"]]);
    }

    // A category archive names its category on the body (not its page
    // number); WordPress's default category, in any language, names none.
    #[test]
    fn archive_body_class_and_generic_slugs() {
        let html = r#"<html><body class="archive paged category category-wissenschaft category-5 paged-3 category-paged-3">
            <article class="post category-uncategorized"><h2><a href="https://example.org/?p=3">T</a></h2>
            <a href="/c/allgemein/" rel="category tag">Allgemein</a></article>
            </body></html>"#;
        assert_eq!(of_articles(html), [["wissenschaft"]]);
    }

    // JSON-LD names the section of the article whose URL it describes.
    #[test]
    fn json_ld_article_section_by_url() {
        let html = r#"<html><head><script type="application/ld+json">
            {"@context": "https://schema.org", "@type": "Blog", "blogPost": [
              {"@type": "BlogPosting", "url": "https://example.org/one/", "articleSection": "Health"},
              {"@type": "BlogPosting", "mainEntityOfPage": {"@id": "https://example.org/two"},
               "articleSection": ["Science", "Oceans"]}]}
            </script></head><body>
            <article><h2><a href="https://example.org/one/">One</a></h2></article>
            <article><h2><a href="https://example.org/two/#more-2">Two</a></h2></article>
            <article><h2><a href="https://example.org/three/">Three</a></h2></article>
            </body></html>"#;
        let want: [&[&str]; 3] = [&["Health"], &["Science", "Oceans"], &[]];
        assert_eq!(of_articles(html), want);
    }

    // Microdata articleSection, from its content or its text.
    #[test]
    fn microdata_article_section() {
        let html = r#"<html><body><article><h2><a href="https://example.org/x">X</a></h2>
            <meta itemprop="articleSection" content="Kultur">
            <span itemprop="articleSection">Kino</span></article></body></html>"#;
        assert_eq!(of_articles(html), [["Kultur", "Kino"]]);
    }

    // Without named categories the permalink's section segments speak.
    #[test]
    fn permalink_path_sections_when_nothing_else() {
        let path = |url| path_sections(url);
        assert_eq!(path("https://example.org/space/2026/02/a-slug/"), ["space"]);
        assert_eq!(
            path("https://example.org/2017/01/06/us/politics/a-slug.html"),
            ["politics"]
        );
        assert!(path("https://example.org/blog/posts/123/a-slug").is_empty());
        assert!(path("https://example.org/index.html@p=4579.html").is_empty());
        assert_eq!(
            path("https://example.org/%E7%A7%91%E5%AD%A6/a-slug"),
            ["科学"]
        );
        let html = r#"<html><body><article><h2><a href="https://example.org/tech-news/2026/a/">A</a></h2>
            </article><article class="category-cars"><h2><a href="https://example.org/tech-news/2026/b/">B</a></h2>
            </article></body></html>"#;
        assert_eq!(of_articles(html), [["tech news"], ["cars"]]);
    }

    // Sentences and empty links are not categories; at most MOST are kept.
    #[test]
    fn names_are_short_and_few() {
        let tags: String = (0..20)
            .map(|i| format!(r#"<a rel="tag" href="/t/{i}">topic {i}</a>"#))
            .collect();
        let long = "a sentence that goes on and on well past what any category name would be";
        let html = format!(
            r#"<html><body><article><h2><a href="https://example.org/p/">P</a></h2>
            <a rel="tag" href="/t/x">{long}</a><a rel="tag" href="/t/y"> </a>{tags}</article></body></html>"#
        );
        let got = of_articles(&html).remove(0);
        assert_eq!(got.len(), MOST);
        assert_eq!(got[0], "topic 0");
    }
}
