//! Small queries over a parsed HTML tree, shared by the HTML readers.

use scraper::{ElementRef, Selector};

/// The elements under `el` that match `css` (a selector written in the code).
pub fn select<'a>(
    el: &ElementRef<'a>,
    css: &str,
) -> impl Iterator<Item = ElementRef<'a>> + use<'a> {
    let selector = Selector::parse(css).expect("valid selector");
    el.select(&selector).collect::<Vec<_>>().into_iter()
}

/// An element's class tokens, lowercased.
pub fn classes<'a>(el: &'a ElementRef) -> impl Iterator<Item = String> + 'a {
    el.value().classes().map(str::to_ascii_lowercase)
}
