//! The listing: which parts of a page are its excerpts.
//!
//! Chrome is recognised by structure, never by class substrings: `nav`,
//! `aside`, `form`, a `header` or `footer` of the page (one outside any
//! `article`, `section` or `main`), the ARIA landmarks `navigation`,
//! `complementary`, `contentinfo`, `banner` and `search`, and elements
//! whose class or id is exactly one of a few chrome tokens (`widget`,
//! `widget-area`, `sidebar`, …). So Elementor's `elementor-widget-…`
//! wrappers are not chrome, and a theme's `entry-footer` inside an article
//! is not either.
//!
//! Every link outside chrome is weighed by [`morelink::signals`]. Each
//! more-link's excerpt is the largest element around it that holds no other
//! more-link and no other title heading (a heading with a link), stopping at
//! an `article`. The listing is the repeated sibling structure those
//! excerpts form: siblings of the same kind (same element, a class token
//! the excerpts share) that show a title heading but no more-link are posts
//! shown whole, and become articles too. A page without any more-link is not
//! a listing.

use std::collections::{HashMap, HashSet};

use ego_tree::NodeId;
use scraper::{ElementRef, Html};
use url::Url;

use super::morelink::{self, Labels, Signal};
use crate::dom::select;

/// Exact class tokens (or ids) of elements that are never an excerpt.
const CHROME_TOKENS: &[&str] = &[
    "widget-area",
    "widget_area",
    "sidebar",
    "side-bar",
    "sidebar-left",
    "sidebar-right",
    "sidebar-primary",
    "sidebar-secondary",
    "container-sidebar-left",
    "container-sidebar-right",
    "site-header",
    "site-footer",
    "footer-widgets",
    "menu",
    "navbar",
    "navigation",
    "nav-menu",
    "breadcrumb",
    "breadcrumbs",
    "pagination",
    "nav-links",
    "comments",
    "comment-list",
    "commentlist",
    "related",
    "related-posts",
    "jp-relatedposts",
    "yarpp-related",
    "sharedaddy",
    "share-buttons",
    "cookie-notice",
];
/// Class tokens of chrome outside the main content only: Blogger wraps its
/// posts in a `widget Blog` inside `#main`.
const WEAK_CHROME_TOKENS: &[&str] = &["widget", "widgets"];
/// Ids of chrome (WordPress and Drupal themes' sidebars, comments, page
/// header and footer).
const CHROME_IDS: &[&str] = &[
    "sidebar",
    "aside",
    "secondary",
    "comments",
    "respond",
    "header",
    "footer",
    "masthead",
    "colophon",
];
/// Landmark roles of chrome.
const CHROME_ROLES: &[&str] = &[
    "navigation",
    "complementary",
    "contentinfo",
    "banner",
    "search",
    "menu",
    "menubar",
];

/// One excerpt of the listing.
pub struct Item<'a> {
    pub container: ElementRef<'a>,
    /// Its title heading, inside the container or just before it.
    pub heading: Option<ElementRef<'a>>,
    /// In a flat listing, the siblings from the heading up to the
    /// container (the heading, a date line): part of the excerpt too.
    pub lead: Vec<ElementRef<'a>>,
    pub more_link: Option<ElementRef<'a>>,
    /// Why it is an excerpt.
    pub signals: Vec<Signal>,
}

/// The excerpts of `doc` in page order, or why there are none. Only
/// `elements` (the page's, down to the reader's depth limit) are looked at.
pub fn items<'a>(
    doc: &'a Html,
    elements: &[ElementRef<'a>],
    base: Option<&Url>,
    labels: &Labels,
) -> Result<Vec<Item<'a>>, String> {
    let page = Page::new(doc, elements, base);
    let mut more: Vec<(ElementRef, Vec<Signal>)> = Vec::new();
    let anchors = elements
        .iter()
        .filter(|e| e.value().name() == "a" && e.value().attr("href").is_some());
    for &a in anchors {
        if in_chrome(&a) || page.heading_of_link.contains_key(&a.id()) {
            continue;
        }
        let signals = morelink::signals(&a, labels, page.same_as_heading(&a));
        if !signals.is_empty() {
            more.push((a, signals));
        }
    }
    if more.is_empty() {
        return Err(
            "no excerpts found: no more-link (a label such as \"Read more\" or \
             \"Continue reading\", a more-link class or aria-label, or a short link to \
             where a heading links) outside navigation, sidebars and footers; \
             the page looks like a single article or not a listing"
                .to_string(),
        );
    }
    let holds = count_along_ancestors(more.iter().map(|(a, _)| (*a, page.target(a))));
    let headed = count_along_ancestors(page.headings.iter().map(|(h, addr)| (*h, addr.clone())));
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for (link, signals) in more {
        let container = container(&link, &holds, &headed);
        if seen.insert(container.id()) {
            let heading = page.heading_for(&container, Some(&link));
            items.push(Item {
                container,
                heading,
                lead: heading.map(|h| lead(&container, &h)).unwrap_or_default(),
                more_link: Some(link),
                signals,
            });
        }
    }
    let whole = page.posts_shown_whole(&items, &holds);
    items.extend(whole);
    items.sort_by_key(|item| page.order.get(&item.container.id()).copied());
    Ok(items)
}

/// What the page's structure tells about every link.
struct Page<'a> {
    /// Title headings (headings holding a link) and their link's address.
    headings: Vec<(ElementRef<'a>, Option<String>)>,
    /// Title-heading links → their heading's index in `headings`.
    heading_of_link: HashMap<NodeId, usize>,
    /// Element → indices (ascending, so in page order) of the title
    /// headings inside it.
    heads_in: HashMap<NodeId, Vec<usize>>,
    /// Every element's position in document order.
    order: HashMap<NodeId, usize>,
    base: Option<Url>,
}

impl<'a> Page<'a> {
    fn new(doc: &'a Html, elements: &[ElementRef<'a>], base: Option<&Url>) -> Page<'a> {
        let order = doc
            .root_element()
            .descendants()
            .enumerate()
            .map(|(i, n)| (n.id(), i))
            .collect();
        let mut page = Page {
            headings: Vec::new(),
            heading_of_link: HashMap::new(),
            heads_in: HashMap::new(),
            order,
            base: base.cloned(),
        };
        for &h in elements {
            if !is_heading(&h) && !is_title_class(&h) {
                continue;
            }
            let nested = h
                .ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| is_heading(&a) || is_title_class(&a));
            let Some(link) = select(&h, "a[href]").next() else {
                continue;
            };
            if nested || in_chrome(&h) {
                continue;
            }
            let address = link.value().attr("href").and_then(|h| page.address(h));
            let index = page.headings.len();
            page.heading_of_link.insert(link.id(), index);
            for node in h.ancestors() {
                page.heads_in.entry(node.id()).or_default().push(index);
            }
            page.headings.push((h, address));
        }
        page
    }

    /// The title headings inside `el`, in page order.
    fn headings_in(
        &self,
        el: &ElementRef,
    ) -> impl Iterator<Item = &(ElementRef<'a>, Option<String>)> {
        let indices = self
            .heads_in
            .get(&el.id())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        indices.iter().map(|&i| &self.headings[i])
    }

    /// `href` made absolute, without a `#more-N` fragment, for comparing.
    fn address(&self, href: &str) -> Option<String> {
        if morelink::leads_nowhere(href) {
            return None;
        }
        let fallback = Url::parse("https://page.invalid/").ok()?;
        let mut url = self
            .base
            .as_ref()
            .unwrap_or(&fallback)
            .join(href.trim())
            .ok()?;
        if url.fragment().is_some_and(is_more_fragment) {
            url.set_fragment(None);
        }
        Some(url.to_string())
    }

    /// Where a link points, for comparing.
    fn target(&self, a: &ElementRef) -> Option<String> {
        a.value().attr("href").and_then(|h| self.address(h))
    }

    /// Whether `a` points where the nearest title heading before it points,
    /// among those in the smallest element around `a` holding any.
    fn same_as_heading(&self, a: &ElementRef) -> bool {
        let Some(address) = self.target(a) else {
            return false;
        };
        let Some(&at) = self.order.get(&a.id()) else {
            return false;
        };
        for ancestor in a.ancestors().take(8) {
            let Some(inside) = self.heads_in.get(&ancestor.id()) else {
                continue;
            };
            let order = |i: &usize| self.order.get(&self.headings[*i].0.id()).copied();
            let before = inside.partition_point(|i| order(i) < Some(at));
            return before
                .checked_sub(1)
                .is_some_and(|i| self.headings[inside[i]].1.as_ref() == Some(&address));
        }
        false
    }

    /// The excerpt's title heading: the one linking where the more-link
    /// does, else the first inside, else the nearest one just before it.
    fn heading_for(
        &self,
        container: &ElementRef<'a>,
        link: Option<&ElementRef>,
    ) -> Option<ElementRef<'a>> {
        let target = link.and_then(|a| self.target(a));
        let titled: Vec<&(ElementRef, Option<String>)> = self.headings_in(container).collect();
        if let Some((h, _)) = titled
            .iter()
            .find(|(_, addr)| target.is_some() && *addr == target)
            .or(titled.first())
        {
            return Some(*h);
        }
        if let Some(h) = select(container, "h1, h2, h3, h4").find(|h| !in_chrome(h)) {
            return Some(h);
        }
        self.heading_before(container)
    }

    /// In a flat listing (heading, excerpt, heading, excerpt), the title
    /// heading that precedes the container among its siblings.
    fn heading_before(&self, container: &ElementRef<'a>) -> Option<ElementRef<'a>> {
        for sibling in container.prev_siblings().filter_map(ElementRef::wrap) {
            if is_heading(&sibling) {
                return Some(sibling);
            }
            if let Some((h, _)) = self.headings_in(&sibling).next() {
                return Some(*h);
            }
            if select(&sibling, "a[href]").next().is_some() {
                return None;
            }
        }
        None
    }

    /// Siblings of the excerpts, of their kind, with a title heading and no
    /// more-link: posts the listing shows whole.
    fn posts_shown_whole(
        &self,
        items: &[Item<'a>],
        holds: &HashMap<NodeId, usize>,
    ) -> Vec<Item<'a>> {
        let taken: HashSet<NodeId> = items.iter().map(|i| i.container.id()).collect();
        let units: Vec<ElementRef> = items.iter().map(|i| repeated_unit(&i.container)).collect();
        let mut groups: HashMap<NodeId, Vec<ElementRef>> = HashMap::new();
        for unit in &units {
            if let Some(parent) = unit.parent().and_then(ElementRef::wrap) {
                groups.entry(parent.id()).or_default().push(*unit);
            }
        }
        let mut whole = Vec::new();
        for members in groups.values() {
            let Some(parent) = members[0].parent().and_then(ElementRef::wrap) else {
                continue;
            };
            let name = members[0].value().name();
            let shared = shared_tokens(members);
            let unit_ids: HashSet<NodeId> = members.iter().map(|m| m.id()).collect();
            for sibling in parent.children().filter_map(ElementRef::wrap) {
                let alike = sibling.value().name() == name
                    && (shared.is_empty() || sibling.value().classes().any(|c| shared.contains(c)));
                if unit_ids.contains(&sibling.id())
                    || taken.contains(&sibling.id())
                    || !alike
                    || holds.contains_key(&sibling.id())
                    || in_chrome(&sibling)
                {
                    continue;
                }
                let heading = self
                    .headings_in(&sibling)
                    .find(|(_, addr)| addr.is_some())
                    .map(|(h, _)| *h);
                if heading.is_some() {
                    whole.push(Item {
                        container: sibling,
                        heading,
                        lead: Vec::new(),
                        more_link: None,
                        signals: vec![Signal::ListingItem],
                    });
                }
            }
        }
        whole
    }
}

/// The siblings before `container`, back to the one that is or holds
/// `heading`, in page order; none when the heading is inside.
fn lead<'a>(container: &ElementRef<'a>, heading: &ElementRef<'a>) -> Vec<ElementRef<'a>> {
    if heading.ancestors().any(|n| n.id() == container.id()) {
        return Vec::new();
    }
    let mut lead = Vec::new();
    for sibling in container.prev_siblings().filter_map(ElementRef::wrap) {
        lead.push(sibling);
        let holds =
            sibling.id() == heading.id() || heading.ancestors().any(|n| n.id() == sibling.id());
        if holds {
            lead.reverse();
            return lead;
        }
    }
    Vec::new()
}

/// The element that repeats in the listing: the container, or the wrapper
/// it is the only element of (Drupal's `views-row` around an `article`).
fn repeated_unit<'a>(container: &ElementRef<'a>) -> ElementRef<'a> {
    let mut unit = *container;
    while let Some(parent) = unit.parent().and_then(ElementRef::wrap) {
        let only = parent
            .children()
            .filter_map(ElementRef::wrap)
            .take(2)
            .count()
            == 1;
        if !only || matches!(parent.value().name(), "body" | "main" | "html") {
            break;
        }
        unit = parent;
    }
    unit
}

/// Class tokens every one of `members` has.
fn shared_tokens<'a>(members: &[ElementRef<'a>]) -> HashSet<&'a str> {
    let mut shared: HashSet<&str> = members[0].value().classes().collect();
    for m in &members[1..] {
        let own: HashSet<&str> = m.value().classes().collect();
        shared.retain(|c| own.contains(c));
    }
    shared
}

/// How many of `elements` each ancestor holds, counting elements that
/// point to the same address once.
fn count_along_ancestors<'a>(
    elements: impl Iterator<Item = (ElementRef<'a>, Option<String>)>,
) -> HashMap<NodeId, usize> {
    let mut addresses: HashMap<NodeId, HashSet<String>> = HashMap::new();
    for (el, address) in elements {
        let address = address.unwrap_or_else(|| format!("{:?}", el.id()));
        for node in el.ancestors() {
            addresses
                .entry(node.id())
                .or_default()
                .insert(address.clone());
        }
    }
    addresses
        .into_iter()
        .map(|(id, set)| (id, set.len()))
        .collect()
}

/// The largest element around `link` holding no other more-link and no
/// second title heading; an `article` ends the climb.
fn container<'a>(
    link: &ElementRef<'a>,
    holds: &HashMap<NodeId, usize>,
    headed: &HashMap<NodeId, usize>,
) -> ElementRef<'a> {
    let mut best = *link;
    for el in link.ancestors().filter_map(ElementRef::wrap) {
        let count = |map: &HashMap<NodeId, usize>| map.get(&el.id()).copied().unwrap_or(0);
        if matches!(el.value().name(), "body" | "html") || count(holds) > 1 || count(headed) > 1 {
            break;
        }
        best = el;
        if el.value().name() == "article" || el.value().attr("role") == Some("article") {
            break;
        }
    }
    best
}

fn is_heading(el: &ElementRef) -> bool {
    matches!(el.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// A title by its class (`article-title`, `node__title`), not a subtitle,
/// nor a wrapper around more than a title and its link.
fn is_title_class(el: &ElementRef) -> bool {
    let titled = el.value().classes().any(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("title") && !c.contains("subtitle") && !c.contains("sub-title")
    });
    let small = || {
        let mut links = 0;
        el.descendants().filter_map(ElementRef::wrap).all(|d| {
            links += usize::from(d.value().name() == "a");
            links <= 2
                && !is_heading(&d)
                && !matches!(
                    d.value().name(),
                    "p" | "article" | "section" | "ul" | "ol" | "li" | "img" | "time"
                )
        })
    };
    titled && !matches!(el.value().name(), "a" | "span" | "body" | "html") && small()
}

fn is_more_fragment(fragment: &str) -> bool {
    fragment.is_empty()
        || fragment == "more"
        || fragment
            .strip_prefix("more-")
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

/// Whether `el` is chrome itself (by element, landmark role or exact class
/// token or id), the weak tokens (`widget`) counting too.
pub fn is_chrome_element(el: &ElementRef) -> bool {
    is_strong_chrome(el) || is_weak_chrome(el)
}

fn is_strong_chrome(el: &ElementRef) -> bool {
    let v = el.value();
    let name = v.name();
    if matches!(name, "body" | "html") {
        return false; // body classes describe the layout ("has-sidebar")
    }
    let role = v.attr("role").unwrap_or("").to_ascii_lowercase();
    let token = |t: &str| CHROME_TOKENS.contains(&t.to_ascii_lowercase().as_str());
    let id = v.id().unwrap_or("").to_ascii_lowercase();
    matches!(name, "nav" | "aside" | "form")
        || (matches!(name, "header" | "footer") && is_page_landmark(el))
        || CHROME_ROLES.contains(&role.as_str())
        || v.classes().any(token)
        || CHROME_IDS.contains(&id.as_str())
        || token(&id)
}

fn is_weak_chrome(el: &ElementRef) -> bool {
    el.value()
        .classes()
        .any(|c| WEAK_CHROME_TOKENS.contains(&c.to_ascii_lowercase().as_str()))
}

/// The page's main content: `main`, `role=main`, `#main`, `#content`.
fn is_main(el: &ElementRef) -> bool {
    let v = el.value();
    v.name() == "main"
        || v.attr("role") == Some("main")
        || matches!(v.id(), Some("main" | "content" | "main-content"))
}

/// A `header` or `footer` of the page rather than of an article or section.
fn is_page_landmark(el: &ElementRef) -> bool {
    !el.ancestors().filter_map(ElementRef::wrap).any(|a| {
        matches!(a.value().name(), "article" | "section" | "main")
            || matches!(a.value().attr("role"), Some("article" | "main"))
    })
}

/// Whether `el` is inside (or is) chrome. One climb: a weak token counts
/// unless the main content lies above it.
pub fn in_chrome(el: &ElementRef) -> bool {
    let mut weak = false;
    for a in std::iter::once(*el).chain(el.ancestors().filter_map(ElementRef::wrap)) {
        if is_strong_chrome(&a) {
            return true;
        }
        if is_main(&a) {
            weak = false;
        } else {
            weak |= is_weak_chrome(&a);
        }
    }
    weak
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(html: &str) -> Result<Vec<String>, String> {
        let doc = Html::parse_document(html);
        let elements: Vec<ElementRef> = doc
            .root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
            .collect();
        let items = items(&doc, &elements, None, &Labels::new("Read More"))?;
        Ok(items
            .iter()
            .map(|i| {
                i.heading
                    .map(|h| h.text().collect::<String>())
                    .unwrap_or_default()
            })
            .collect())
    }

    // Every Elementor element has a class containing "widget": the listing
    // was taken for a sidebar and lost whole.
    #[test]
    fn elementor_widget_classes_are_not_chrome() {
        let html = r#"<div class="elementor-widget elementor-widget-archive-posts"><div class="elementor-widget-container">
            <article class="elementor-post"><h3 class="elementor-post__title"><a href="/a">A</a></h3><p>Text.</p><a class="elementor-post__read-more" href="/a">Read More »</a></article>
            <article class="elementor-post"><h3 class="elementor-post__title"><a href="/b">B</a></h3><p>Text.</p><a class="elementor-post__read-more" href="/b">Read More »</a></article>
        </div></div>
        <aside class="widget-area"><section class="widget"><h2><a href="/c">C</a></h2><a href="/c">Read more</a></section></aside>"#;
        assert_eq!(titles(html).unwrap(), ["A", "B"]);
    }

    // An in-body "Read more: <a>Other story</a>" once replaced the real
    // excerpt with a bogus item.
    #[test]
    fn a_related_story_link_in_a_body_is_not_an_excerpt() {
        let html = r#"<main>
            <article><h2><a href="/a">A</a></h2><p>Text. Read more: <a href="/z">Why the bridge fell</a></p><a class="more-link" href="/a#more-4">Continue reading</a></article>
            <article><h2><a href="/b">B</a></h2><p>Text.</p><a class="more-link" href="/b#more-5">Continue reading</a></article></main>"#;
        assert_eq!(titles(html).unwrap(), ["A", "B"]);
    }

    // Posts shown whole between excerpts never reached the feed.
    #[test]
    fn posts_without_a_more_link_in_the_listing_are_articles() {
        let html = r#"<main>
            <article class="post"><h2><a href="/a">A</a></h2><p>Whole post.</p></article>
            <article class="post"><h2><a href="/b">B</a></h2><p>Text.</p><a href="/b">Weiterlesen</a></article>
            <article class="post"><h2><a href="/c">C</a></h2><p>Whole post.</p></article>
            <div class="pagination"><h2><a href="/page/2">Older</a></h2></div></main>"#;
        assert_eq!(titles(html).unwrap(), ["A", "B", "C"]);
    }

    #[test]
    fn flat_listings_take_the_heading_before_the_excerpt() {
        let html = r#"<div class="content">
            <h2><a href="/a">A</a></h2><p>Text. <a href="/a">»</a></p>
            <h2><a href="/b">B</a></h2><p>Text. <a href="/b">»</a></p></div>"#;
        assert_eq!(titles(html).unwrap(), ["A", "B"]);
    }

    #[test]
    fn pages_without_more_links_are_not_listings() {
        let landing = r##"<main><section class="hero"><h1>Product</h1><a class="btn read-more" href="#">Read more</a></section>
            <section><h2>Feature</h2><a href="#features">Learn more</a></section></main>"##;
        let cards = r#"<main><article class="post-card"><a href="/a"><img src="a.jpg"></a><a class="post-card-content-link" href="/a"><h2>A</h2><p>Text</p></a><footer>3 min read</footer></article>
            <article class="post-card"><a href="/b"><img src="b.jpg"></a><a class="post-card-content-link" href="/b"><h2>B</h2><p>Text</p></a></article></main>"#;
        let single = r#"<article><h1>One story</h1><p>Body. Read More: <a href="/x">Another story</a></p>
            <p>Read more: <a href="/y">A third story</a></p><a href="/z">3 Comments</a></article>
            <aside><h3><a href="/w">Popular</a></h3><a href="/w">Read more</a></aside>"#;
        for html in [landing, cards, single] {
            let why = titles(html).unwrap_err();
            assert!(why.starts_with("no excerpts found: no more-link"), "{why}");
        }
    }
}
