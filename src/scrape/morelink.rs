//! More-links: the link that closes an excerpt and leads to the whole
//! article, recognised by named signals so that `explain` can say which one
//! found each excerpt.
//!
//! - **label**: the link's whole visible text, decorations (`»`, `→`, `…`,
//!   `[...]`, `-`) and screen-reader text aside, is a known label: the
//!   built-in list in `more_labels.txt` (English, German, French, Spanish,
//!   Italian, Portuguese, Dutch, Polish, Russian, Chinese, Japanese and a
//!   few more) or the site's own `--label`. A quoted title beside the label
//!   ("Continue reading “Title”") is allowed, and so is the excerpt's own
//!   title after it when the link leads where the heading does ("Read
//!   more: Title", Joomla); a sentence that merely starts with a label
//!   ("Read more: Why X happened", linking elsewhere) is not a more-link.
//! - **accessible name**: `aria-label` or `title` begins with a label
//!   ("Read more about TITLE", "Dowiedz się więcej o TITLE"), or the hidden
//!   text of an icon-only link does.
//! - **class**: a more-link class token on the link or on the element that
//!   wraps it alone (`more-link`, `read-more`, `readmore`, `…-read-more`,
//!   `…-more-link`, `node-readmore`, …).
//! - **same link as the heading**: a link after the excerpt's title heading
//!   that points to the same address, modulo a `#more-N` fragment (the
//!   caller decides this; it needs the page's structure).
//!
//! Signals other than the label only count for links that show little text
//! (a label, an arrow, an icon), never for a link that reads as a title or a
//! sentence, nor for one holding a date or an image. Links that lead nowhere
//! (`href="#"`, `javascript:`, `mailto:`) are never more-links. Where the
//! excerpts are, and which are chrome, is [`super::listing`]'s business.

use std::fmt;
use std::sync::LazyLock;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Node};

use crate::text::{clean_line, fold};

/// Why an excerpt was taken for one, as `explain` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// The link's whole text is this label.
    Label(String),
    /// Its `aria-label`, `title` or hidden text begins with this label.
    AccessibleName(String),
    /// It (or its wrapper) has this more-link class token.
    Class(String),
    /// It points where the excerpt's heading points.
    SameLinkAsHeading,
    /// A post of the listing shown without a more-link.
    ListingItem,
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Signal::Label(label) => write!(f, "label {label:?}"),
            Signal::AccessibleName(label) => write!(f, "accessible name {label:?}"),
            Signal::Class(class) => write!(f, "class {class:?}"),
            Signal::SameLinkAsHeading => f.write_str("same link as the heading"),
            Signal::ListingItem => f.write_str("listing item without a more-link"),
        }
    }
}

/// The built-in labels, normalised, longest first (so "read more about"
/// strips before "read more").
static BUILT_IN: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut labels: Vec<String> = include_str!("more_labels.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .map(|(_, label)| normalize(label))
        .filter(|l| !l.is_empty())
        .collect();
    sort_longest_first(&mut labels);
    labels
});

/// Class tokens that mark a more-link exactly.
const CLASS_TOKENS: &[&str] = &[
    "more-link",
    "morelink",
    "more",
    "moretag",
    "more-tag",
    "read-more",
    "readmore",
    "read_more",
    "readmorelink",
    "continue-reading",
    "node-readmore",
    "excerpt-more",
    "link-more",
];
/// Class token parts that mark a more-link wherever they appear in a token
/// (`eael-post-elements-readmore-btn`, `post-more-link`, `spnc-more-link`).
const CLASS_PARTS: &[&str] = &["readmore", "read-more", "read_more", "more-link"];

/// Words that join a label to a title in an accessible name
/// ("Read more about X", "Lire la suite de X", "Dowiedz się więcej o X").
const CONNECTORS: &[&str] = &[
    "about", "of", "on", "from", "über", "zu", "von", "de", "du", "sur", "sobre", "di", "su",
    "del", "o", "over", "van", "о", "про", ":",
];

/// The labels a page is read with: the built-in ones and the site's own.
pub struct Labels {
    list: Vec<String>,
}

impl Labels {
    /// The built-in labels plus `extra` (the `--label` or per-source label).
    pub fn new(extra: &str) -> Labels {
        let mut list = BUILT_IN.clone();
        let extra = normalize(extra);
        if !extra.is_empty() && !list.contains(&extra) {
            list.push(extra);
            sort_longest_first(&mut list);
        }
        Labels { list }
    }

    /// The label `text` is, whole.
    fn exactly(&self, text: &str) -> Option<&str> {
        let text = normalize(text);
        self.list.iter().find(|l| **l == text).map(String::as_str)
    }

    /// The label `text` begins with, followed by the end, a space or a
    /// connector, and what follows it (normalised).
    fn prefix<'t>(&self, text: &'t str) -> Option<(&str, &'t str)> {
        self.list.iter().find_map(|label| {
            let rest = text.strip_prefix(label.as_str())?;
            let boundary = rest.is_empty()
                || rest.starts_with(|c: char| !c.is_alphanumeric())
                || label.chars().last().is_some_and(is_cjk);
            boundary.then_some((label.as_str(), rest))
        })
    }

    /// `text` is a label beside a quoted title: "Continue reading “X”",
    /// "„X“ weiterlesen", "“X” の続きを読む".
    fn beside_quoted_title(&self, text: &str) -> Option<&str> {
        let folded = fold(text);
        let quoted = |s: &str| {
            let s = s.trim();
            s.len() > 2 && s.starts_with(['"', '\'', '「']) && s.ends_with(['"', '\'', '」'])
        };
        self.list.iter().map(String::as_str).find(|label| {
            let (before, after) = match folded.find(label) {
                Some(at) => (&folded[..at], &folded[at + label.len()..]),
                None => return false,
            };
            let after = after.trim_matches(|c: char| !c.is_alphanumeric() && c != '"');
            let before = before.trim();
            let before = before.strip_suffix('の').unwrap_or(before);
            (before.is_empty() && quoted(after)) || (after.is_empty() && quoted(before))
        })
    }

    /// The title an accessible name or hidden text carries after (or
    /// before) a label: "Read more about X" → X.
    pub fn title_in(&self, text: &str) -> Option<String> {
        let folded = fold(text);
        let title = if let Some((_, rest)) = self.prefix(&folded) {
            let rest = rest.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '"');
            let cut = CONNECTORS.iter().find_map(|c| {
                rest.strip_prefix(c)
                    .filter(|r| r.starts_with(' ') || *c == ":")
            });
            let rest = cut.unwrap_or(rest);
            tail_of(text, rest.trim().chars().count())
        } else {
            let at = self.list.iter().find_map(|label| {
                let stem = folded.trim_end_matches(|c: char| !c.is_alphanumeric());
                stem.strip_suffix(label.as_str()).map(|s| s.chars().count())
            })?;
            let head: String = clean_line(text).chars().take(at).collect();
            head.trim_end().trim_end_matches('の').to_string()
        };
        let title = title
            .trim_matches(|c: char| c.is_whitespace() || "\"“”„‟'‘’«»「」:".contains(c))
            .to_string();
        (!title.is_empty()).then_some(title)
    }
}

/// The signals that make `a` a more-link (empty when it is not one).
/// `same_as_heading` says whether it points where its excerpt's heading does.
pub fn signals(a: &ElementRef, labels: &Labels, same_as_heading: bool) -> Vec<Signal> {
    let href = a.value().attr("href").unwrap_or("").trim();
    if leads_nowhere(href) {
        return Vec::new();
    }
    let (visible, full) = link_texts(a);
    let mut found = Vec::new();
    // "Read more: TITLE" (Joomla) is the label only when it leads where
    // the heading does; elsewhere it is a link to another story.
    let titled = || {
        same_as_heading
            .then(|| labels.prefix(&normalize(&visible)).map(|(l, _)| l))
            .flatten()
    };
    if let Some(label) = labels
        .exactly(&visible)
        .or_else(|| labels.beside_quoted_title(&visible))
        .or_else(titled)
    {
        found.push(Signal::Label(label.to_string()));
    }
    if !is_short(&visible) || has_media(a) {
        return found;
    }
    let names = [a.value().attr("aria-label"), a.value().attr("title")];
    let hidden = visible.trim().is_empty().then_some(full.as_str());
    let accessible = names
        .into_iter()
        .flatten()
        .chain(hidden)
        .find_map(|name| labels.prefix(&normalize(name)).map(|(l, _)| l.to_string()));
    if let Some(label) = accessible {
        found.push(Signal::AccessibleName(label));
    }
    if let Some(class) = more_class(a) {
        found.push(Signal::Class(class));
    }
    if same_as_heading {
        found.push(Signal::SameLinkAsHeading);
    }
    found
}

/// An `href` that goes nowhere a reader could read the rest.
pub fn leads_nowhere(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    href.is_empty()
        || href.starts_with('#')
        || ["javascript:", "mailto:", "tel:", "data:"]
            .iter()
            .any(|s| lower.starts_with(s))
}

/// Text fit for a button: a few words, no digits (dates, comment counts).
fn is_short(text: &str) -> bool {
    let text = clean_line(text);
    text.split_whitespace().count() <= 4
        && text.chars().count() <= 32
        && !text.chars().any(|c| c.is_ascii_digit())
}

/// A link around an image or a date is a thumbnail or a meta link.
fn has_media(a: &ElementRef) -> bool {
    a.descendants()
        .filter_map(ElementRef::wrap)
        .any(|e| matches!(e.value().name(), "img" | "picture" | "time" | "video"))
}

/// A more-link class token of `a`, or of a wrapper whose only link is `a`.
fn more_class(a: &ElementRef) -> Option<String> {
    let own = a.value().classes().find_map(more_token);
    own.or_else(|| {
        let parent = a.parent().and_then(ElementRef::wrap)?;
        let links = parent
            .descendants()
            .filter_map(ElementRef::wrap)
            .filter(|e| e.value().name() == "a")
            .count();
        (links == 1)
            .then(|| parent.value().classes().find_map(more_token))
            .flatten()
    })
}

fn more_token(class: &str) -> Option<String> {
    let token = class.to_ascii_lowercase();
    (CLASS_TOKENS.contains(&token.as_str()) || CLASS_PARTS.iter().any(|p| token.contains(p)))
        .then_some(token)
}

/// A link's text as shown, and with its screen-reader text. Iterative:
/// any depth is safe.
fn link_texts(a: &ElementRef) -> (String, String) {
    let (mut visible, mut full) = (String::new(), String::new());
    let mut hidden_by: Option<NodeId> = None;
    for edge in a.traverse().skip(1) {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Text(t) => {
                    full.push_str(t);
                    if hidden_by.is_none() {
                        visible.push_str(t);
                    }
                }
                Node::Element(e) if hidden_by.is_none() && e.classes().any(is_hiding_class) => {
                    hidden_by = Some(node.id());
                }
                _ => {}
            },
            Edge::Close(node) if hidden_by == Some(node.id()) => hidden_by = None,
            Edge::Close(_) => {}
        }
    }
    (clean_line(&visible), clean_line(&full))
}

/// Classes themes use for text only screen readers get.
pub fn is_hiding_class(class: &str) -> bool {
    let class = class.to_ascii_lowercase();
    class.contains("screen-reader")
        || matches!(
            class.as_str(),
            "sr-only"
                | "visually-hidden"
                | "visuallyhidden"
                | "element-invisible"
                | "assistive-text"
                | "screenreader"
                | "show-for-sr"
                | "hidden-text"
                | "a11y-hidden"
                | "u-hidden-visually"
        )
}

/// Folded, decorations trimmed from both ends, whitespace collapsed.
pub fn normalize(text: &str) -> String {
    let folded = fold(text);
    let trimmed = folded.trim_matches(|c: char| !c.is_alphanumeric());
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The last `n` characters of `text` (cleaned).
fn tail_of(text: &str, n: usize) -> String {
    let text = clean_line(text);
    let skip = text.chars().count().saturating_sub(n);
    text.chars().skip(skip).collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{9fff}' | '\u{ac00}'..='\u{d7af}')
}

fn sort_longest_first(labels: &mut [String]) {
    labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    fn link_signals(html: &str) -> Vec<Signal> {
        let doc = Html::parse_fragment(html);
        let a = doc.select(&Selector::parse("a").unwrap()).next().unwrap();
        signals(&a, &Labels::new("Read More"), false)
    }

    #[test]
    fn labels_in_many_languages_with_their_decorations() {
        for text in [
            "Read More »",
            "Continue reading →",
            "- Read more -",
            "Read more ...",
            "[Read more…]",
            "weiterlesen",
            "Lire la suite",
            "Leer más",
            "Continua a leggere &rarr;",
            "Continue lendo",
            "Leia mais",
            "Lees meer",
            "Czytaj dalej",
            "Читать далее",
            "Далее...",
            "阅读全文 &raquo;",
            "继续阅读",
            "続きを読む",
        ] {
            let html = format!("<a href=\"/x\">{text}</a>");
            assert!(
                matches!(link_signals(&html).first(), Some(Signal::Label(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn screen_reader_titles_before_or_after_the_label() {
        for html in [
            "<a href=/x>Continue reading<span class=screen-reader-text> \"One\"</span></a>",
            "<a href=/x><span class=screen-reader-text>„One“ </span>weiterlesen</a>",
            "<a href=/x><span class=screen-reader-text>“One” の</span>続きを読む</a>",
            "<a href=/x>Read more<span class=visually-hidden> about One</span></a>",
        ] {
            assert!(
                matches!(link_signals(html).first(), Some(Signal::Label(_))),
                "{html}"
            );
        }
    }

    // "Read more: Other story" in a body is a link to another story, not a
    // more-link: the label must be the whole text.
    #[test]
    fn a_sentence_starting_with_a_label_is_not_a_more_link() {
        for html in [
            "<a href=/x>Read more: Why the bridge fell</a>",
            "<a href=/x>Continue reading about the long winter of 1816</a>",
            "<a href=/x class=more-link>Why the bridge fell and what it means</a>",
        ] {
            assert_eq!(link_signals(html), [], "{html}");
        }
    }

    #[test]
    fn label_and_title_count_when_the_link_leads_where_the_heading_does() {
        let doc = Html::parse_fragment("<a href=/x>Read more: One two three four five</a>");
        let a = doc.select(&Selector::parse("a").unwrap()).next().unwrap();
        let labels = Labels::new("Read More");
        assert_eq!(signals(&a, &labels, false), []);
        assert_eq!(
            signals(&a, &labels, true),
            [Signal::Label("read more".into())]
        );
    }

    #[test]
    fn links_that_lead_nowhere_are_never_more_links() {
        for href in ["#", "#top", "javascript:void(0)", "mailto:a@b.c", ""] {
            let html = format!("<a href=\"{href}\" class=read-more>Read more</a>");
            assert_eq!(link_signals(&html), [], "{href}");
        }
    }

    #[test]
    fn accessible_names_classes_and_icons() {
        let aria = link_signals("<a href=/x aria-label=\"Read more about One\">→</a>");
        assert_eq!(aria, [Signal::AccessibleName("read more".into())]);
        let hidden = link_signals(
            "<a href=/x title=One><i class=\"fa fa-eye\"></i><b class=visually-hidden>Read more about One</b></a>",
        );
        assert_eq!(hidden, [Signal::AccessibleName("read more".into())]);
        let class = link_signals("<a href=/x class=\"eael-post-elements-readmore-btn\">»</a>");
        assert_eq!(
            class,
            [Signal::Class("eael-post-elements-readmore-btn".into())]
        );
        let wrapped = link_signals("<p class=readmore><a href=/x>Keep going</a></p>");
        assert_eq!(wrapped, [Signal::Class("readmore".into())]);
        let date = link_signals("<a href=/x class=read-more>June 3, 2024</a>");
        assert_eq!(date, []);
    }

    #[test]
    fn titles_come_out_of_accessible_names() {
        let labels = Labels::new("Read More");
        let cases = [
            ("Read more about One two", "One two"),
            ("Read more: One two", "One two"),
            ("Dowiedz się więcej o Jeden dwa", "Jeden dwa"),
            ("„Eins zwei“ weiterlesen", "Eins zwei"),
            ("“一二” の続きを読む", "一二"),
            ("Continue reading “One”", "One"),
        ];
        for (name, title) in cases {
            assert_eq!(labels.title_in(name).as_deref(), Some(title), "{name}");
        }
        assert_eq!(labels.title_in("Read more"), None);
    }

    #[test]
    fn the_site_label_adds_to_the_built_in_ones() {
        let doc = Html::parse_fragment("<a href=/x>Mehr davon</a>");
        let a = doc.select(&Selector::parse("a").unwrap()).next().unwrap();
        assert_eq!(signals(&a, &Labels::new("Read More"), false), []);
        assert_eq!(
            signals(&a, &Labels::new("Mehr davon"), false),
            [Signal::Label("mehr davon".into())]
        );
    }
}
