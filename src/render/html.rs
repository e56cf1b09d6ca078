//! An article's body as an HTML fragment, for `content:encoded` and Atom
//! `content type="html"`. Every piece of text is escaped.

use std::fmt::Write as _;

use crate::article::{Article, Block};
use crate::text::escape_html;

/// The body and, as a footer, the author's bio: a feed item's content.
pub fn article_body(article: &Article) -> String {
    let mut out = blocks(&article.body);
    if let Some(bio) = article.author.as_ref().and_then(|a| a.bio.as_deref()) {
        let _ = writeln!(out, "<footer><p>{}</p></footer>", escape_html(bio));
    }
    out
}

/// Body blocks as HTML: `<p>`, `<h2>`, `<figure>` with a `<figcaption>`,
/// `<ul>`/`<ol>` lists and `<blockquote>` quotes.
pub fn blocks(body: &[Block]) -> String {
    let mut out = String::new();
    for block in body {
        match block {
            Block::Paragraph(p) => {
                let _ = write!(out, "<p>{}</p>", escape_html(p));
            }
            Block::Heading(h) => {
                let _ = write!(out, "<h2>{}</h2>", escape_html(h));
            }
            Block::Figure { caption, credit } => {
                out.push_str("<figure><figcaption>");
                if let Some(caption) = caption {
                    out.push_str(&escape_html(caption));
                }
                if let Some(credit) = credit {
                    let space = if caption.is_some() { " " } else { "" };
                    let _ = write!(out, "{space}<small>Credit: {}</small>", escape_html(credit));
                }
                out.push_str("</figcaption></figure>");
            }
            Block::List { ordered, items } => {
                let tag = if *ordered { "ol" } else { "ul" };
                let _ = write!(out, "<{tag}>");
                for item in items {
                    let _ = write!(out, "<li>{}</li>", escape_html(item));
                }
                let _ = write!(out, "</{tag}>");
            }
            Block::Quote(text) => {
                out.push_str("<blockquote>");
                for p in text.split("\n\n") {
                    let _ = write!(out, "<p>{}</p>", escape_html(p));
                }
                out.push_str("</blockquote>");
            }
        }
        out.push('\n');
    }
    out
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
