//! HTML listing pages → [`Article`] values, the same ones the text parser
//! makes, plus what only the HTML has: the permalink and often the date.
//!
//! Which parts of the page are excerpts is `listing`'s business (chrome by
//! structure, the repeated sibling structure, posts shown whole), with each
//! more-link recognised by the named signals of `morelink`. From each
//! excerpt come the title (the title heading's primary text, else what its
//! link or image says, else the more-link's screen-reader text), the
//! permalink (the heading's link, else the more-link's, made absolute by
//! [`crate::permalink`]), the
//! published and modified dates (chosen by [`crate::pubdate`]), the author (an
//! author box with a bio, `rel="author"`, a byline), a dek, and the body as
//! paragraphs, subheadings and figures. Site chrome — navigation, sidebars,
//! meta lines, share buttons, comment links, newsletter boxes, scripts — is
//! not article text. Parsing is html5ever's, so broken markup is repaired
//! the way browsers repair it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};
use url::Url;

mod listing;
mod morelink;

use crate::article::{Article, Author, Block};
use crate::categories;
use crate::diag::Diagnostic;
use crate::dom::{classes, select};
use crate::permalink::{PageAddress, Resolved};
use crate::pubdate::PageDates;
use crate::text::{clean_line, slug_key};
use morelink::Labels;

/// The more-link label of the text dumps and of many themes.
pub const DEFAULT_LABEL: &str = "Read More";

/// Class fragments of the parts of an excerpt that are not its text.
const NOT_TEXT: &[&str] = &[
    "share",
    "social",
    "newsletter",
    "signup",
    "sign-up",
    "subscribe",
    "related",
    "comment",
    "entry-meta",
    "post-meta",
    "byline",
    "posted-on",
    "cat-links",
    "tags-links",
    "tag-links",
    "edit-link",
    "advert",
    "sponsor",
    "author",
    "pagination",
];
/// Elements that are never article text.
const SKIPPED: &[&str] = &[
    "nav", "aside", "footer", "form", "button", "script", "style", "noscript", "svg", "iframe",
    "template", "select",
];

/// How deep the reader descends into nested elements. Real pages nest a
/// few dozen levels; a hostile one can nest 20,000 `<div>`s. Below this
/// depth no more-link is looked for and no body block is read (with a
/// warning), so no walk recurses, or climbs ancestors, in proportion to
/// the input.
pub const MAX_DEPTH: usize = 256;

/// Reads one HTML page fetched from (or declared to be at) `page_url`;
/// `label` is the site's own more-link wording, recognised besides the
/// built-in labels. Dates written without a zone are in UTC; a source with
/// a time zone is read with [`parse_html_in`].
pub fn parse_html(
    html: &str,
    page_url: Option<&Url>,
    label: &str,
) -> (Vec<Article>, Vec<Diagnostic>) {
    parse_html_in(html, page_url, label, Tz::UTC)
}

/// [`parse_html`], with dates written without a zone in `zone`.
pub fn parse_html_in(
    html: &str,
    page_url: Option<&Url>,
    label: &str,
    zone: Tz,
) -> (Vec<Article>, Vec<Diagnostic>) {
    let doc = Html::parse_document(html);
    let address = PageAddress::of(&doc, page_url);
    let labels = Labels::new(label);
    let (elements, too_deep) = shallow_elements(&doc);
    let mut diagnostics = Vec::new();
    if too_deep {
        let message =
            format!("markup nested deeper than {MAX_DEPTH} elements; what lies deeper is not read");
        diagnostics.push(Diagnostic::warning(1, message));
    }
    let items = match listing::items(&doc, &elements, address.url(), &labels) {
        Ok(items) => items,
        Err(why) => {
            diagnostics.push(Diagnostic::warning(1, why));
            return (Vec::new(), diagnostics);
        }
    };
    let page_author = page_author(&doc);
    let page_dates = PageDates::of(&doc, zone);
    let linked = categories::LinkedData::of(&doc);
    let single = items.len() == 1;
    let mut articles = Vec::new();
    let mut lines = Lines::new(html);
    for item in items {
        let anchor = item
            .more_link
            .or_else(|| item.heading.and_then(|h| select(&h, "a[href]").next()));
        let line = lines.of(anchor.and_then(|a| a.value().attr("href")));
        let excerpt = Excerpt {
            container: item.container,
            heading: item.heading,
            lead: item.lead,
            more_link: item.more_link,
            labels: &labels,
            address: &address,
            page_dates: &page_dates,
            linked: &linked,
            single,
        };
        match excerpt.article(line, page_author.as_deref(), &mut diagnostics) {
            Some(mut article) => {
                let signals: Vec<String> = item.signals.iter().map(|s| s.to_string()).collect();
                article.found_by = Some(signals.join(", "));
                articles.push(article);
            }
            None => diagnostics.push(Diagnostic::warning(
                line,
                "excerpt without a title; skipped",
            )),
        }
    }
    (articles, diagnostics)
}

/// One excerpt: its container, title heading and more-link.
struct Excerpt<'a> {
    container: ElementRef<'a>,
    heading: Option<ElementRef<'a>>,
    /// In a flat listing, the heading and what follows it before the container.
    lead: Vec<ElementRef<'a>>,
    more_link: Option<ElementRef<'a>>,
    labels: &'a Labels,
    address: &'a PageAddress,
    page_dates: &'a PageDates,
    linked: &'a categories::LinkedData,
    /// The page's only excerpt: the page's own dates are its.
    single: bool,
}

impl<'a> Excerpt<'a> {
    fn article(
        &self,
        line: usize,
        page_author: Option<&str>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Article> {
        let heading = self.heading;
        let title = self.title()?;
        let heading_link = heading
            .and_then(|h| select(&h, "a[href]").next())
            .filter(|a| !morelink::leads_nowhere(a.value().attr("href").unwrap_or("")));
        let href = heading_link
            .or(self.more_link)
            .and_then(|a| a.value().attr("href"));
        let permalink = href.and_then(|href| match self.address.resolve(href) {
            Resolved::Url(url) => Some(url),
            Resolved::NotAPage => None,
            Resolved::NoAddress => {
                let message = format!(
                    "the link {href:?} is relative and the page gives no address (<base>, canonical link, og:url): the item links to its article page; give the page's URL with --page-url or `page_url`"
                );
                diagnostics.push(Diagnostic::warning(line, message));
                None
            }
        });
        let slug = permalink
            .as_deref()
            .and_then(slug_of)
            .unwrap_or_else(|| title.to_lowercase().replace(' ', "-"));
        let key = slug_key(&slug);
        if key.is_empty() {
            return None;
        }
        let dek = select(&self.container, "[class]")
            .find(|e| {
                classes(e).any(|c| c == "dek" || c.contains("subtitle") || c.contains("standfirst"))
            })
            .map(|e| text(&e))
            .filter(|t| !t.is_empty());
        let author = self
            .author_box()
            .or_else(|| self.byline())
            .or_else(|| page_author.map(|name| Author::of_page(name.to_string())));
        let mut body = Vec::new();
        self.blocks(self.container, heading, dek.as_deref(), &mut body, 0);
        let categories = categories::of_excerpt(&self.container, permalink.as_deref(), self.linked);
        let dates = self
            .page_dates
            .excerpt(&self.container, permalink.as_deref(), self.single);
        Some(Article {
            slug,
            key,
            title,
            dek,
            body,
            author,
            permalink,
            date: self.lead_date().or(dates.published),
            updated: dates.modified,
            categories,
            found_by: None,
            lines: (line, line),
        })
    }

    /// In a flat listing, the date shown between the heading and the
    /// excerpt (a `<time>` sibling).
    fn lead_date(&self) -> Option<DateTime<Utc>> {
        self.lead
            .iter()
            .flat_map(|s| std::iter::once(*s).chain(select(s, "time")))
            .filter(|e| e.value().name() == "time")
            .find_map(|t| self.page_dates.element_date(&t))
    }

    /// The title: the heading's primary text (its link's, subtitles
    /// aside), else what its link or image says (`title`, `alt`), else what
    /// the more-link carries for screen readers.
    fn title(&self) -> Option<String> {
        let shown = self.heading.and_then(|h| {
            let link = select(&h, "a[href]").next();
            let primary = select(&h, "[class]").find(|e| {
                classes(e).any(|c| c.contains("title-primary") || c.contains("primary-title"))
            });
            let candidates = [primary, link, Some(h)];
            let text = candidates
                .into_iter()
                .flatten()
                .map(|e| heading_text(&e))
                .find(|t| !t.is_empty());
            text.or_else(|| {
                let titled = link.and_then(|a| a.value().attr("title")).map(|t| {
                    let t = clean_line(t);
                    [
                        "Permalink to ",
                        "Permanent Link to ",
                        "Link to: ",
                        "Link to ",
                    ]
                    .iter()
                    .find_map(|p| t.strip_prefix(p).map(str::to_string))
                    .unwrap_or(t)
                });
                let alt =
                    select(&h, "img[alt]").find_map(|i| i.value().attr("alt").map(clean_line));
                titled.into_iter().chain(alt).find(|t| !t.is_empty())
            })
        });
        shown.or_else(|| self.link_title())
    }

    /// The title a more-link carries for screen readers: hidden text,
    /// `aria-label`, `title` ("Read more about X" → X).
    fn link_title(&self) -> Option<String> {
        let link = self.more_link?;
        let hidden = select(&link, "[class]")
            .find(|e| e.value().classes().any(morelink::is_hiding_class))
            .map(|span| {
                let raw = text_with_hidden(&span);
                self.labels.title_in(&raw).unwrap_or(raw)
            });
        let shown = morelink::normalize(&text(&link));
        let attr = |name| link.value().attr(name).map(clean_line);
        let aria = attr("aria-label").and_then(|n| self.labels.title_in(&n));
        let titled = attr("title").and_then(|t| {
            let plain = (morelink::normalize(&t) != shown).then(|| t.clone());
            self.labels.title_in(&t).or(plain)
        });
        let visible = self.labels.title_in(&text(&link));
        [hidden, aria, titled, visible]
            .into_iter()
            .flatten()
            .map(|t| {
                t.trim_matches(|c: char| c.is_whitespace() || "\"“”„'‘’«»「」:".contains(c))
                    .to_string()
            })
            .find(|t| !t.is_empty() && morelink::normalize(t) != shown)
    }

    /// An author box: a photo "Photo of NAME" (or a name) and a bio.
    fn author_box(&self) -> Option<Author> {
        let boxed = select(&self.container, "[class]").find(|e| {
            classes(e).any(|c| {
                c.contains("author")
                    && (c.contains("bio") || c.contains("box") || c.contains("info"))
            })
        })?;
        let photo = select(&boxed, "img[alt]")
            .find_map(|img| img.value().attr("alt")?.strip_prefix("Photo of "));
        let named = select(&boxed, "[class]")
            .find(|e| classes(e).any(|c| c.contains("name")))
            .map(|e| text(&e));
        let name = photo.map(clean_line).or(named).filter(|n| !n.is_empty())?;
        let bio = select(&boxed, "p")
            .map(|p| text(&p))
            .find(|t| !t.is_empty() && *t != name);
        Some(Author::own(name, bio))
    }

    fn byline(&self) -> Option<Author> {
        let css = "[rel~=author], [itemprop=author] [itemprop=name], [itemprop=author], .byline a, .author .fn, .author-name";
        let name = select(&self.container, css)
            .map(|e| text(&e))
            .find(|t| !t.is_empty())?;
        let name = name
            .strip_prefix("By ")
            .or_else(|| name.strip_prefix("by "))
            .unwrap_or(&name)
            .to_string();
        Some(Author::own(name, None))
    }

    /// Walks `el`'s subtree in document order, collecting body blocks, at
    /// most [`MAX_DEPTH`] levels down (`depth` is `el`'s).
    fn blocks(
        &self,
        el: ElementRef<'a>,
        heading: Option<ElementRef>,
        dek: Option<&str>,
        out: &mut Vec<Block>,
        depth: usize,
    ) {
        for child in el.children().filter_map(ElementRef::wrap) {
            let name = child.value().name();
            if SKIPPED.contains(&name)
                || is_chrome(&child)
                || Some(child.id()) == heading.map(|h| h.id())
            {
                continue;
            }
            if name == "header" {
                continue; // title, dek and meta: taken apart above
            }
            match name {
                "p" | "li" | "blockquote" | "dd" if !has_block_children(&child) => {
                    let text = self.paragraph_text(&child);
                    if !text.is_empty() && Some(text.as_str()) != dek {
                        out.push(Block::Paragraph(text));
                    }
                }
                "h2" | "h3" | "h4" | "h5" | "h6" => {
                    let text = text(&child);
                    if !text.is_empty() {
                        out.push(Block::Heading(text));
                    }
                }
                "figure" => out.extend(figure(&child)),
                _ if depth < MAX_DEPTH => self.blocks(child, heading, dek, out, depth + 1),
                _ => {}
            }
        }
    }

    /// A paragraph's text without the more-link (and whatever is hidden).
    fn paragraph_text(&self, p: &ElementRef) -> String {
        let mut buf = String::new();
        collect_text(p, self.more_link.map(|a| a.id()), &mut buf);
        let text = clean_line(&buf);
        let text = text
            .trim_end_matches(['…', '[', ']'])
            .trim_end_matches("[…")
            .trim()
            .to_string();
        if text.chars().all(|c| !c.is_alphanumeric()) {
            String::new()
        } else {
            clean_line(&text)
        }
    }
}

/// A `<figure>`: its caption and credit (a credit element, or "Credit: X").
fn figure(el: &ElementRef) -> Option<Block> {
    let caption_el = select(el, "figcaption").next()?;
    let credit_el =
        select(&caption_el, "[class]").find(|e| classes(e).any(|c| c.contains("credit")));
    let credit = credit_el.map(|c| text(&c));
    let mut caption = String::new();
    collect_text(&caption_el, credit_el.map(|c| c.id()), &mut caption);
    let mut caption = clean_line(&caption);
    let mut credit = credit.map(|c| c.trim_start_matches("Credit:").trim().to_string());
    if let Some((text, who)) = caption.rsplit_once("Credit:").filter(|_| credit.is_none()) {
        credit = Some(who.trim().to_string());
        caption = text.trim().to_string();
    }
    let caption = Some(caption).filter(|c| !c.is_empty());
    let credit = credit.filter(|c| !c.is_empty());
    (caption.is_some() || credit.is_some()).then_some(Block::Figure { caption, credit })
}

/// The author an author archive is about: "Author: NAME" in its title.
fn page_author(doc: &Html) -> Option<String> {
    let title = select(&doc.root_element(), ".page-title, .archive-title, h1").next()?;
    let text = text(&title);
    let (label, name) = text.split_once(':')?;
    matches!(
        label.trim().to_lowercase().as_str(),
        "author" | "author name" | "articles by"
    )
    .then(|| name.trim().to_string())
    .filter(|n| !n.is_empty())
}

/// A permalink as a slug: its last meaningful path segment, where a
/// directory's `index.html` (as mirrors save every post) names the
/// directory, not the post. Where that segment is a number or there is
/// none (`/2026/02/15/`, `/blog/123`, `/?p=123`), the whole path and the
/// query make the slug (`2026-02-15`, `blog-123`, `p-123`), so distinct
/// permalinks keep distinct keys instead of falling back to titles that
/// may differ only in characters the key strips. `None` for a bare host.
fn slug_of(permalink: &str) -> Option<String> {
    let url = Url::parse(permalink).ok()?;
    let stems: Vec<String> = url
        .path_segments()?
        .filter_map(|segment| {
            let decoded = percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .ok()?;
            let stem = decoded
                .trim_end_matches(".html")
                .trim_end_matches(".htm")
                .to_lowercase();
            (!stem.is_empty() && stem != "index").then_some(stem)
        })
        .collect();
    match stems.last() {
        Some(last) if !last.chars().all(|c| c.is_ascii_digit()) => Some(last.clone()),
        _ => {
            let query = url.query_pairs().flat_map(|(k, v)| [k, v]);
            let parts: Vec<String> = stems
                .into_iter()
                .chain(query.map(|p| p.to_lowercase()))
                .collect();
            let slug = parts.join("-");
            (!slug_key(&slug).is_empty()).then_some(slug)
        }
    }
}

/// The lines of the more-links, found by their hrefs in the source. The
/// links come in document order, so one cursor moves forward through the
/// page and numbering every excerpt reads the page once (searching from
/// the top for each excerpt made 32,000 excerpts take 18 s).
struct Lines<'a> {
    html: &'a str,
    cursor: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(html: &'a str) -> Self {
        Self {
            html,
            cursor: 0,
            line: 1,
        }
    }

    /// The 1-based line of the next occurrence of `href`; where the source
    /// spells it otherwise (with entities), the line of the last one found.
    fn of(&mut self, href: Option<&str>) -> usize {
        let rest = &self.html[self.cursor..];
        if let Some(end) = href
            .filter(|h| !h.is_empty())
            .and_then(|h| rest.find(h).map(|at| at + h.len()))
        {
            self.line += rest[..end].matches('\n').count();
            self.cursor += end;
        }
        self.line
    }
}

/// Not article text: chrome (see `listing`) or a part of the excerpt
/// that is about it rather than of it (meta lines, share buttons).
fn is_chrome(el: &ElementRef) -> bool {
    listing::is_chrome_element(el)
        || classes(el).any(|c| NOT_TEXT.iter().any(|x| c.contains(x)))
        || el.value().classes().any(morelink::is_hiding_class)
}

fn has_block_children(el: &ElementRef) -> bool {
    el.children().filter_map(ElementRef::wrap).any(|c| {
        matches!(
            c.value().name(),
            "p" | "ul" | "ol" | "figure" | "div" | "h2" | "h3" | "h4" | "blockquote"
        )
    })
}

/// A heading's text without its subtitle.
fn heading_text(el: &ElementRef) -> String {
    let mut buf = String::new();
    let subtitle = select(el, "[class]")
        .find(|e| classes(e).any(|c| c.contains("subtitle") || c.contains("sub-title")));
    collect_text(el, subtitle.map(|s| s.id()), &mut buf);
    clean_line(&buf)
}

/// An element's text, hidden text included.
fn text_with_hidden(el: &ElementRef) -> String {
    let texts: String = el.text().collect();
    clean_line(&texts)
}

/// An element's visible text, whitespace folded.
fn text(el: &ElementRef) -> String {
    let mut buf = String::new();
    collect_text(el, None, &mut buf);
    clean_line(&buf)
}

/// Appends the text under `el`, leaving out `skip`'s subtree, hidden text
/// and elements that are never text. Iterative: any depth is safe.
fn collect_text(el: &ElementRef, skip: Option<NodeId>, buf: &mut String) {
    let mut skipping: Option<NodeId> = None;
    for edge in el.traverse().skip(1) {
        let node = match edge {
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                }
                continue;
            }
            Edge::Open(_) if skipping.is_some() => continue,
            Edge::Open(node) => node,
        };
        match node.value() {
            Node::Text(t) => buf.push_str(t),
            Node::Element(e) => {
                let hidden = e.classes().any(morelink::is_hiding_class);
                if Some(node.id()) == skip || hidden || SKIPPED.contains(&e.name()) {
                    skipping = Some(node.id());
                } else if e.name() == "br" {
                    buf.push(' ');
                }
            }
            _ => {}
        }
    }
}

/// The page's elements at most [`MAX_DEPTH`] levels deep, in document
/// order, and whether any element nests deeper. One pass.
fn shallow_elements(doc: &Html) -> (Vec<ElementRef<'_>>, bool) {
    let (mut depth, mut too_deep) = (0usize, false);
    let mut elements = Vec::new();
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                depth += 1;
                too_deep |= depth > MAX_DEPTH;
                if let Some(el) = ElementRef::wrap(node).filter(|_| depth <= MAX_DEPTH) {
                    elements.push(el);
                }
            }
            Edge::Close(_) => depth -= 1,
        }
    }
    (elements, too_deep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(html: &str, label: &str) -> Vec<Article> {
        let page = Url::parse("https://example.org/author/jane/").unwrap();
        parse_html(html, Some(&page), label).0
    }

    #[test]
    fn screen_reader_more_links_give_title_link_and_date() {
        let html = r#"<main><article class="post">
            <h2 class="entry-title"><a href="/2026/02/one-title/">One title</a></h2>
            <time datetime="2026-02-19T10:30:00-05:00">Feb 19</time>
            <div class="entry-content"><p>First paragraph.</p><h2>Sub</h2><p>Second. <a class="more-link" href="/2026/02/one-title/"><span class="screen-reader-text">One title</span> Read More »</a></p></div>
            <div class="sharedaddy"><p>Share this</p></div>
        </article></main>"#;
        let a = &parse(html, DEFAULT_LABEL)[0];
        assert_eq!(a.title, "One title");
        assert_eq!(
            a.permalink.as_deref(),
            Some("https://example.org/2026/02/one-title/")
        );
        assert_eq!(a.key, "one-title");
        assert_eq!(a.date.unwrap().to_rfc3339(), "2026-02-19T15:30:00+00:00");
        assert_eq!(
            a.body,
            vec![
                Block::Paragraph("First paragraph.".into()),
                Block::Heading("Sub".into()),
                Block::Paragraph("Second.".into())
            ]
        );
    }

    #[test]
    fn repeated_containers_without_article_elements() {
        let html = r#"<div id="list">
            <div class="item"><h3>Alpha</h3><p>Alpha text.</p><a href="https://example.org/alpha">Continue reading →</a></div>
            <div class="item"><h3>Beta</h3><p>Beta text.</p><a href="https://example.org/beta">Continue reading →</a></div>
        </div>"#;
        let articles = parse(html, "Continue reading");
        let titles: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["Alpha", "Beta"]);
        assert_eq!(
            articles[1].body,
            vec![Block::Paragraph("Beta text.".into())]
        );
        assert_eq!(articles[1].date, None);
    }

    // Mirrors save each post as DIR/index.html: the slug is DIR, so the
    // posts of one page are not taken for duplicates of each other.
    #[test]
    fn index_html_permalinks_take_their_directory_as_slug() {
        let html = r#"<div class="post"><h2><a href="../one-post/index.html">One</a></h2><p>A.</p><a href="../one-post/index.html">Read More</a></div>
            <div class="post"><h2><a href="../two-post/index.html">Two</a></h2><p>B.</p><a href="../two-post/index.html">Read More</a></div>"#;
        let keys: Vec<String> = parse(html, DEFAULT_LABEL)
            .into_iter()
            .map(|a| a.key)
            .collect();
        assert_eq!(keys, ["one-post", "two-post"]);
    }

    // A numeric or missing last segment takes the whole path and query, so
    // two posts at `/1/` and `/2/` are two articles whatever their titles.
    #[test]
    fn numeric_permalinks_take_their_whole_path_as_slug() {
        assert_eq!(
            slug_of("https://e.example/2024/05/").as_deref(),
            Some("2024-05")
        );
        assert_eq!(
            slug_of("https://e.example/blog/123").as_deref(),
            Some("blog-123")
        );
        assert_eq!(
            slug_of("https://e.example/?p=123").as_deref(),
            Some("p-123")
        );
        assert_eq!(slug_of("https://e.example/0/").as_deref(), Some("0"));
        assert_eq!(
            slug_of("https://e.example/a-post/?p=1").as_deref(),
            Some("a-post")
        );
        assert_eq!(slug_of("https://e.example/"), None);
    }

    #[test]
    fn figures_split_caption_and_credit() {
        let html = r#"<article><h2><a href="/x">X</a></h2>
            <figure><img src="a.jpg" alt=""><figcaption>Cars look good. <span class="credit">Credit: Jo</span></figcaption></figure>
            <figure><figcaption>Rocket. Credit: ESA</figcaption></figure>
            <p><a href="/x">Read More »</a></p></article>"#;
        let a = &parse(html, DEFAULT_LABEL)[0];
        assert_eq!(
            a.body,
            vec![
                Block::Figure {
                    caption: Some("Cars look good.".into()),
                    credit: Some("Jo".into())
                },
                Block::Figure {
                    caption: Some("Rocket.".into()),
                    credit: Some("ESA".into())
                },
            ]
        );
    }

    #[test]
    fn no_more_links_is_a_warning_not_a_panic() {
        for html in [
            "",
            "<p>hello",
            "<html><body><div><a href=x>Home</a>",
            "<<<>>>&&&",
        ] {
            let (articles, diags) = parse_html(html, None, DEFAULT_LABEL);
            assert!(articles.is_empty() && diags.len() == 1, "{html}");
        }
    }

    #[test]
    fn arbitrary_markup_never_panics() {
        let pieces = [
            "<article>",
            "</article>",
            "<h2>",
            "</h2>",
            "<a href=\"/x\">",
            "<a href=\"%%\">",
            "</a>",
            "Read More »",
            "<p>",
            "</p>",
            "<figure><figcaption>",
            "Credit: ",
            "<time datetime=\"2026-13-45\">",
            "<nav>",
            "</div>",
            "<span class=\"screen-reader-text\">",
            "Title",
            "“",
            "\u{0}",
            "<div class=\"author-bio\">",
            "<img alt=\"Photo of \">",
            "<base href=\"::\">",
            "&amp;",
            "<<",
            ">",
        ];
        let mut seed = 0x853C_49E6_748F_EA9Bu64;
        for _ in 0..1500 {
            let mut html = String::new();
            for _ in 0..(seed % 60) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                html.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let page = Url::parse("https://example.org/a/").unwrap();
            parse_html(&html, Some(&page), DEFAULT_LABEL);
            parse_html(&html, None, "Continue reading");
        }
    }
}
