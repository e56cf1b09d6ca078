//! Publisher HTML (a feed item's content or summary, an HTML title) reduced
//! to readmore's own [`Block`]s and plain text.
//!
//! This is the allow-list that stands between a source's markup and every
//! output: the fragment is parsed by html5ever (as browsers parse it), then
//! only the structure readmore knows is kept — paragraphs, subheadings,
//! figures with captions, lists, quotes — as *plain text*; every attribute,
//! script, style, embed, form and unknown element is dropped, and the
//! renderers escape the text again when they write it. No source markup
//! reaches an output: what leaves here has no markup at all. (ammonia would
//! give back cleaned HTML that would still have to be taken apart into
//! blocks; walking the tree once does both.)

use scraper::{ElementRef, Html, Node};

use crate::article::Block;
use crate::text::clean_line;

/// Elements whose content is never text a reader should see.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "form",
    "button", "select", "textarea", "input", "nav", "head", "title", "audio", "video", "canvas",
    "map",
];

/// Elements that close the running paragraph before and after themselves.
const BLOCKS: &[&str] = &[
    "p", "div", "section", "article", "header", "footer", "main", "aside", "table", "tr", "dl",
    "dt", "dd", "pre", "address", "center", "details", "summary", "hr", "body", "html",
];

/// A stand-in for `<br>` while text is gathered: two in a row (possibly
/// with spaces between) end a paragraph, one is a space.
const BREAK: char = '\u{2028}';

/// The text of an HTML fragment, whitespace collapsed, markup dropped,
/// entities decoded: for titles of `type="html"` and escaped markup in titles.
pub fn plain_text(html: &str) -> String {
    let fragment = Html::parse_fragment(html);
    let mut buf = String::new();
    gather(fragment.root_element(), &mut buf);
    clean_line(&buf.replace(BREAK, " "))
}

/// HTML elements whose tags mark text as markup (text such as `x<y` or
/// `<3` is not).
const KNOWN_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "figure",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "u",
    "ul",
];

/// Whether `text` holds markup: a known HTML tag, a comment, or an entity
/// or character reference (`&amp;`, `&#8217;`).
pub fn has_markup(text: &str) -> bool {
    let tag = text.match_indices('<').any(|(at, _)| {
        let rest = &text[at + 1..];
        if rest.starts_with("!--") {
            return true;
        }
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let after = rest.trim_start_matches('/')[name.len()..].chars().next();
        KNOWN_TAGS.contains(&name.as_str())
            && after.is_some_and(|c| c == '>' || c == '/' || c.is_whitespace())
    });
    tag || text.match_indices('&').any(|(at, _)| {
        let rest = &text[at + 1..];
        let Some(end) = rest.find(';').filter(|&e| e > 0 && e <= 10) else {
            return false;
        };
        let name = &rest[..end];
        name.strip_prefix('#').map_or_else(
            || name.len() > 1 && name.chars().all(|c| c.is_ascii_alphanumeric()),
            |num| {
                let num = num.strip_prefix(['x', 'X']).unwrap_or(num);
                !num.is_empty() && num.chars().all(|c| c.is_ascii_hexdigit())
            },
        )
    })
}

/// Text with no markup, as blocks: blank lines separate paragraphs.
pub fn text_blocks(text: &str) -> Vec<Block> {
    text.split("\n\n")
        .map(clean_line)
        .filter(|p| !p.is_empty())
        .map(Block::Paragraph)
        .collect()
}

/// An HTML fragment as blocks.
pub fn html_blocks(html: &str) -> Vec<Block> {
    let fragment = Html::parse_fragment(html);
    let mut reducer = Reducer::default();
    reducer.walk(fragment.root_element());
    reducer.flush();
    reducer.out
}

#[derive(Default)]
struct Reducer {
    out: Vec<Block>,
    /// Inline text of the paragraph being gathered.
    inline: String,
}

impl Reducer {
    fn walk(&mut self, el: ElementRef) {
        for child in el.children() {
            match child.value() {
                Node::Text(text) => self.inline.push_str(text),
                Node::Element(_) => {
                    if let Some(child) = ElementRef::wrap(child) {
                        self.element(child);
                    }
                }
                _ => {}
            }
        }
    }

    fn element(&mut self, el: ElementRef) {
        let name = el.value().name();
        if DROPPED.contains(&name) {
            return;
        }
        match name {
            "br" => self.inline.push(BREAK),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                let text = text_of(el);
                if !text.is_empty() {
                    self.out.push(Block::Heading(text));
                }
            }
            "figure" => {
                self.flush();
                self.out.extend(figure(el));
            }
            "ul" | "ol" => {
                self.flush();
                let items: Vec<String> = el
                    .children()
                    .filter_map(ElementRef::wrap)
                    .filter(|li| li.value().name() == "li")
                    .map(text_of)
                    .filter(|t| !t.is_empty())
                    .collect();
                if !items.is_empty() {
                    self.out.push(Block::List {
                        ordered: name == "ol",
                        items,
                    });
                }
            }
            "blockquote" => {
                self.flush();
                let inner = html_blocks_of(el);
                let text: Vec<String> = inner.iter().filter_map(block_text).collect();
                if !text.is_empty() {
                    self.out.push(Block::Quote(text.join("\n\n")));
                }
            }
            "img" => {} // images are not carried; a figure's caption is
            name if BLOCKS.contains(&name) => {
                self.flush();
                self.walk(el);
                self.flush();
            }
            _ => self.walk(el),
        }
    }

    /// Ends the running paragraph(s): a double break separates two.
    fn flush(&mut self) {
        let inline = std::mem::take(&mut self.inline);
        let mut paragraph = String::new();
        let mut breaks = 0;
        for piece in inline.split(BREAK) {
            if piece.trim().is_empty() {
                breaks += 1;
                if breaks >= 1 && !paragraph.trim().is_empty() {
                    self.push_paragraph(&paragraph);
                    paragraph.clear();
                }
                continue;
            }
            breaks = 0;
            paragraph.push(' ');
            paragraph.push_str(piece);
        }
        self.push_paragraph(&paragraph);
    }

    fn push_paragraph(&mut self, text: &str) {
        let text = clean_line(text);
        if text.chars().any(char::is_alphanumeric) {
            self.out.push(Block::Paragraph(text));
        }
    }
}

/// The blocks inside one element (a quote's paragraphs).
fn html_blocks_of(el: ElementRef) -> Vec<Block> {
    let mut reducer = Reducer::default();
    reducer.walk(el);
    reducer.flush();
    reducer.out
}

/// The plain text a block carries, for nesting it in a quote.
fn block_text(block: &Block) -> Option<String> {
    match block {
        Block::Paragraph(t) | Block::Heading(t) | Block::Quote(t) => Some(t.clone()),
        Block::List { items, .. } => Some(items.join("; ")),
        Block::Figure { caption, .. } => caption.clone(),
    }
}

/// A `<figure>`: its caption (else its image's alt text) and a credit when
/// the caption marks one.
fn figure(el: ElementRef) -> Option<Block> {
    let caption_el = el
        .children()
        .filter_map(ElementRef::wrap)
        .find(|c| c.value().name() == "figcaption");
    let caption = caption_el
        .map(text_of)
        .filter(|t| !t.is_empty())
        .or_else(|| {
            el.descendants()
                .filter_map(ElementRef::wrap)
                .find(|e| e.value().name() == "img")
                .and_then(|img| img.value().attr("alt"))
                .map(clean_line)
                .filter(|t| !t.is_empty())
        })?;
    let (caption, credit) = match caption.split_once("Credit: ") {
        Some((c, who)) if !who.trim().is_empty() => (
            Some(c.trim().to_string()).filter(|c| !c.is_empty()),
            Some(who.trim().to_string()),
        ),
        _ => (Some(caption), None),
    };
    Some(Block::Figure { caption, credit })
}

/// An element's visible text, whitespace collapsed.
fn text_of(el: ElementRef) -> String {
    let mut buf = String::new();
    gather(el, &mut buf);
    clean_line(&buf.replace(BREAK, " "))
}

fn gather(el: ElementRef, buf: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(text) => buf.push_str(text),
            Node::Element(e) if e.name() == "br" => buf.push(' '),
            Node::Element(e) if !DROPPED.contains(&e.name()) => {
                if let Some(child) = ElementRef::wrap(child) {
                    gather(child, buf);
                    if BLOCKS.contains(&e.name()) || e.name() == "li" {
                        buf.push(' ');
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_blocks_of_plain_text() {
        let html = r#"<p>First <b>bold</b> &amp; <a href="x" onclick="evil()">linked</a>.</p>
            <script>alert(1)</script><h3 class="x">A subhead</h3>
            <figure><img src="a.jpg" alt="alt text"><figcaption>A caption Credit: Someone</figcaption></figure>
            <ul><li>one</li><li><i>two</i></li></ul><ol><li>first</li></ol>
            <blockquote><p>Quoted words.</p></blockquote>
            Loose text<br><br>after a double break<br>and a single one
            <iframe src="https://t.example/"></iframe><style>p{}</style>"#;
        assert_eq!(
            html_blocks(html),
            vec![
                Block::Paragraph("First bold & linked.".into()),
                Block::Heading("A subhead".into()),
                Block::Figure {
                    caption: Some("A caption".into()),
                    credit: Some("Someone".into())
                },
                Block::List {
                    ordered: false,
                    items: vec!["one".into(), "two".into()]
                },
                Block::List {
                    ordered: true,
                    items: vec!["first".into()]
                },
                Block::Quote("Quoted words.".into()),
                Block::Paragraph("Loose text".into()),
                Block::Paragraph("after a double break and a single one".into()),
            ]
        );
    }

    #[test]
    fn a_figure_without_caption_uses_its_alt_text() {
        let blocks = html_blocks(r#"<figure><img src="a.jpg" alt="A harbour at dawn"></figure>"#);
        assert_eq!(
            blocks,
            vec![Block::Figure {
                caption: Some("A harbour at dawn".into()),
                credit: None
            }]
        );
        assert!(html_blocks(r#"<figure><img src="a.jpg"></figure>"#).is_empty());
    }

    #[test]
    fn titles_lose_markup_and_keep_their_text() {
        assert_eq!(
            plain_text("<div>Escaped &amp; markup</div>"),
            "Escaped & markup"
        );
        assert_eq!(plain_text("Fish &#038; chips"), "Fish & chips");
        assert!(has_markup("<div>x</div>") && has_markup("a &amp; b"));
        assert!(!has_markup("a < b and c > d") && !has_markup("AT&T"));
        // text that only looks like markup stays text
        assert!(!has_markup("Why x<y matters") && !has_markup("I <3 Rust; Q&A; done"));
        assert!(has_markup("<p class=\"x\">y</p>") && has_markup("it&#8217;s"));
    }

    #[test]
    fn plain_text_paragraphs_split_on_blank_lines() {
        assert_eq!(
            text_blocks("One line\nwrapped.\n\nTwo."),
            vec![
                Block::Paragraph("One line wrapped.".into()),
                Block::Paragraph("Two.".into())
            ]
        );
    }
}
