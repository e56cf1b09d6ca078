//! Where an HTML page lives, and its links made absolute against that.
//!
//! A listing's links are often relative (`/2018/06/a-post/`, `../post.html`,
//! `//example.org/a-post/`), and a page saved to a file no longer knows
//! where it came from. Its address is, in this order:
//!
//! 1. its `<base href>` (itself resolved against what follows, when
//!    relative);
//! 2. its canonical link (`<link rel="canonical">`);
//! 3. its `og:url`;
//! 4. the URL it was fetched from, or the one declared for a saved file
//!    (`--page-url`, `page_url` on a source).
//!
//! A protocol-relative link (`//host/path`) takes the address's scheme, or
//! https when the page has no address. A relative link on a page without an
//! address cannot be made absolute: the HTML reader says so instead of
//! guessing. Links that lead nowhere (empty, `#…` alone, `javascript:`,
//! `mailto:`) are no permalinks.

use scraper::Html;
use url::Url;

use crate::dom::select;

/// A page's address, when it has one.
#[derive(Debug, Clone, Default)]
pub struct PageAddress {
    base: Option<Url>,
}

/// What a link on the page resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// An absolute http(s) URL.
    Url(String),
    /// A relative link on a page without an address.
    NoAddress,
    /// Not a link to a page: empty, a fragment alone, another scheme.
    NotAPage,
}

impl PageAddress {
    /// The address of `doc`, fetched from (or declared as) `page_url`.
    pub fn of(doc: &Html, page_url: Option<&Url>) -> PageAddress {
        let root = doc.root_element();
        let head = |css: &str, attr: &str| {
            select(&root, css)
                .filter_map(|e| e.value().attr(attr).map(str::trim))
                .find(|v| !v.is_empty())
                .map(str::to_string)
        };
        let web = |url: Url| matches!(url.scheme(), "http" | "https").then_some(url);
        let against = |href: &str, of: Option<&Url>| {
            of.map_or_else(|| Url::parse(href), |page| page.join(href))
                .ok()
                .and_then(web)
        };
        let canonical =
            head("link[rel~=canonical][href]", "href").and_then(|href| against(&href, page_url));
        let og = head(
            "meta[property=\"og:url\"][content], meta[name=\"og:url\"][content]",
            "content",
        )
        .and_then(|href| against(&href, page_url));
        let document = canonical.or(og).or_else(|| page_url.cloned());
        let base = head("base[href]", "href")
            .and_then(|href| against(&href, document.as_ref()))
            .or(document);
        PageAddress { base }
    }

    /// The address itself, when the page has one.
    pub fn url(&self) -> Option<&Url> {
        self.base.as_ref()
    }

    /// `href` as an absolute URL.
    pub fn resolve(&self, href: &str) -> Resolved {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') {
            return Resolved::NotAPage;
        }
        let url = match (&self.base, Url::parse(href)) {
            (_, Ok(url)) => Ok(url),
            (Some(base), Err(_)) => base.join(href),
            (None, Err(_)) if href.starts_with("//") => Url::parse(&format!("https:{href}")),
            (None, Err(url::ParseError::RelativeUrlWithoutBase)) => {
                return Resolved::NoAddress;
            }
            (None, Err(e)) => Err(e),
        };
        match url {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Resolved::Url(url.to_string()),
            _ => Resolved::NotAPage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(head: &str, page: Option<&str>, href: &str) -> Resolved {
        let doc = Html::parse_document(&format!("<html><head>{head}</head><body></body></html>"));
        let page = page.map(|p| Url::parse(p).unwrap());
        PageAddress::of(&doc, page.as_ref()).resolve(href)
    }

    fn url(s: &str) -> Resolved {
        Resolved::Url(s.to_string())
    }

    #[test]
    fn base_then_canonical_then_og_url_then_the_page_url() {
        let base = r#"<base href="https://b.example/blog/">"#;
        let canonical = r#"<link rel="canonical" href="https://c.example/news/page/2/">"#;
        let og = r#"<meta property="og:url" content="https://o.example/news/">"#;
        let page = Some("https://p.example/saved/");
        let all = format!("{base}{canonical}{og}");
        assert_eq!(
            resolve(&all, page, "post-1/"),
            url("https://b.example/blog/post-1/")
        );
        let no_base = format!("{canonical}{og}");
        assert_eq!(
            resolve(&no_base, page, "../post-1/"),
            url("https://c.example/news/page/post-1/")
        );
        assert_eq!(
            resolve(og, page, "/post-1/"),
            url("https://o.example/post-1/")
        );
        assert_eq!(
            resolve("", page, "post-1/"),
            url("https://p.example/saved/post-1/")
        );
    }

    #[test]
    fn a_relative_base_resolves_against_the_canonical_link() {
        let head = r#"<base href="/blog/"><link rel="canonical" href="https://c.example/news/">"#;
        assert_eq!(resolve(head, None, "a/"), url("https://c.example/blog/a/"));
        // Without anything to resolve it against, a relative base is no address.
        assert_eq!(
            resolve(r#"<base href="/blog/">"#, None, "a/"),
            Resolved::NoAddress
        );
    }

    #[test]
    fn a_relative_canonical_resolves_against_the_page_url() {
        let head = r#"<link rel="canonical" href="/news/">"#;
        assert_eq!(
            resolve(head, Some("https://p.example/x/y"), "a/"),
            url("https://p.example/news/a/")
        );
        assert_eq!(resolve(head, None, "a/"), Resolved::NoAddress);
    }

    #[test]
    fn protocol_relative_links_take_the_page_scheme_or_https() {
        assert_eq!(
            resolve("", Some("http://p.example/"), "//cdn.example/post/"),
            url("http://cdn.example/post/")
        );
        assert_eq!(
            resolve("", None, "//cdn.example/post/"),
            url("https://cdn.example/post/")
        );
    }

    #[test]
    fn links_that_lead_nowhere_are_not_permalinks() {
        for href in [
            "",
            "  ",
            "#",
            "#more-12",
            "javascript:void(0)",
            "mailto:a@b.example",
        ] {
            assert_eq!(
                resolve("", Some("https://p.example/"), href),
                Resolved::NotAPage,
                "{href}"
            );
        }
        assert_eq!(resolve("", None, "ftp://f.example/x"), Resolved::NotAPage);
    }

    #[test]
    fn absolute_links_need_no_address() {
        assert_eq!(
            resolve("", None, "https://a.example/p/"),
            url("https://a.example/p/")
        );
        assert_eq!(resolve("", None, "post/"), Resolved::NoAddress);
    }
}
