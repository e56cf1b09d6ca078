//! An article's body as an HTML fragment: the `content:encoded` and Atom
//! `content type="html"` of its feed entries, and the text of its page.
//! maud writes the markup and escapes every piece of text. It sits beside
//! the feed model rather than in [`crate::render`] because entries carry
//! it ready-made: the feed model is built from it, the renderers only copy
//! it.

use maud::{Markup, Render, html};

use crate::article::{Article, Block};

/// The body and, as a footer, the author's bio: a feed item's content.
pub fn article_body(article: &Article) -> String {
    let mut out = blocks(&article.body);
    if let Some(bio) = article.author.as_ref().and_then(|a| a.bio.as_deref()) {
        html! { footer { p { (bio) } } }.render_to(&mut out);
        out.push('\n');
    }
    out
}

/// Body blocks as HTML, one a line: `<p>`, `<h2>`, `<figure>` with a
/// `<figcaption>`, `<ul>`/`<ol>` lists and `<blockquote>` quotes.
pub fn blocks(body: &[Block]) -> String {
    let mut out = String::new();
    for b in body {
        block(b).render_to(&mut out);
        out.push('\n');
    }
    out
}

fn block(block: &Block) -> Markup {
    match block {
        Block::Paragraph(text) => html! { p { (text) } },
        Block::Heading(text) => html! { h2 { (text) } },
        Block::Figure { caption, credit } => html! {
            figure {
                figcaption {
                    @if let Some(caption) = caption { (caption) }
                    @if let Some(credit) = credit {
                        @if caption.is_some() { " " }
                        small { "Credit: " (credit) }
                    }
                }
            }
        },
        Block::List {
            ordered: true,
            items,
        } => html! { ol { @for item in items { li { (item) } } } },
        Block::List {
            ordered: false,
            items,
        } => html! { ul { @for item in items { li { (item) } } } },
        Block::Quote(text) => html! { blockquote { @for p in text.split("\n\n") { p { (p) } } } },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_everywhere() {
        let article = Article {
            slug: "s".into(),
            key: "s".into(),
            title: "t".into(),
            dek: None,
            body: vec![
                Block::Heading("<b>".into()),
                Block::Paragraph("a & b <script>".into()),
                Block::Figure {
                    caption: Some("\"q\"".into()),
                    credit: Some("<i>".into()),
                },
                Block::List {
                    ordered: true,
                    items: vec!["<li>".into()],
                },
                Block::Quote("a\n\n<q>".into()),
            ],
            author: None,
            permalink: None,
            date: None,
            updated: None,
            categories: Vec::new(),
            found_by: None,
            lines: (1, 1),
        };
        assert_eq!(
            article_body(&article),
            "<h2>&lt;b&gt;</h2>\n<p>a &amp; b &lt;script&gt;</p>\n<figure><figcaption>&quot;q&quot; <small>Credit: &lt;i&gt;</small></figcaption></figure>\n<ol><li>&lt;li&gt;</li></ol>\n<blockquote><p>a</p><p>&lt;q&gt;</p></blockquote>\n"
        );
    }
}
