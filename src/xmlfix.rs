//! Repairs for feeds that are not well-formed XML, the way feed readers
//! tolerate them: real feeds have bare `&` in URLs, HTML entities
//! (`&nbsp;`, `&mdash;`) XML does not define, `<rss>` without a version,
//! empty elements feed-rs refuses (`<media:description/>`), and are cut
//! off mid-item when a server or a cache truncates them.
//!
//! [`repair`] is only tried after feed-rs has refused the document, and
//! says what it changed, so a clean feed is read byte for byte as given.

use quick_xml::events::Event;

/// What [`repair`] says when it dropped empty elements (the one repair a
/// well-formed document may need).
pub const EMPTY_ELEMENTS: &str = "dropped empty elements";

/// The five entities XML defines.
const XML_ENTITIES: &[&str] = &["amp", "lt", "gt", "quot", "apos"];

/// A repaired document and what was repaired; `None` when nothing applied.
pub fn repair(bytes: &[u8]) -> Option<(Vec<u8>, Vec<&'static str>)> {
    let mut done = Vec::new();
    let mut doc = bytes.to_vec();
    if let Some(fixed) = escape_stray_ampersands(&doc) {
        doc = fixed;
        done.push("escaped a bare '&' or an HTML entity");
    }
    if let Some(fixed) = add_rss_version(&doc) {
        doc = fixed;
        done.push("gave <rss> its missing version");
    }
    if let Some(fixed) = close_truncated(&doc) {
        doc = fixed;
        done.push("dropped an item cut off at the end");
    }
    if let Some(fixed) = without_empty_elements(&doc)
        && fixed != doc
    {
        doc = fixed;
        done.push(EMPTY_ELEMENTS);
    }
    (!done.is_empty()).then_some((doc, done))
}

/// `&` that does not start an XML entity or character reference becomes
/// `&amp;` (so `&b=2` in a URL and `&nbsp;` in a title survive as text;
/// HTML fields decode `&nbsp;` later). Not inside CDATA sections.
fn escape_stray_ampersands(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"<![CDATA[") {
            let end = find(&bytes[i..], b"]]>").map_or(bytes.len(), |e| i + e + 3);
            out.extend_from_slice(&bytes[i..end]);
            i = end;
            continue;
        }
        if bytes[i] == b'&' && !is_xml_reference(&bytes[i + 1..]) {
            out.extend_from_slice(b"&amp;");
            changed = true;
        } else {
            out.push(bytes[i]);
        }
        i += 1;
    }
    changed.then_some(out)
}

/// Whether `rest` (after an `&`) is `name;` for an XML entity, `#123;` or `#x1F;`.
fn is_xml_reference(rest: &[u8]) -> bool {
    let Some(end) = rest.iter().take(12).position(|&b| b == b';') else {
        return false;
    };
    let name = &rest[..end];
    match name {
        [b'#', b'x' | b'X', hex @ ..] => !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit),
        [b'#', dec @ ..] => !dec.is_empty() && dec.iter().all(u8::is_ascii_digit),
        _ => XML_ENTITIES.iter().any(|e| e.as_bytes() == name),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `<rss>` with no `version` attribute gets `version="2.0"`.
fn add_rss_version(bytes: &[u8]) -> Option<Vec<u8>> {
    let at = find(bytes, b"<rss")?;
    let end = at + find(&bytes[at..], b">")?;
    let tag = &bytes[at..end];
    let next = tag.get(4).copied().unwrap_or(b'>');
    if !(next.is_ascii_whitespace() || next == b'>') || find(tag, b"version").is_some() {
        return None;
    }
    let mut out = bytes[..at + 4].to_vec();
    out.extend_from_slice(b" version=\"2.0\"");
    out.extend_from_slice(&bytes[at + 4..]);
    Some(out)
}

/// A document cut off after its last whole item: everything up to that
/// item's end, then the end tags of the elements still open there.
/// `None` when the document is whole, or broken before any item ends.
fn close_truncated(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut last_item_end: Option<(usize, Vec<Vec<u8>>)> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => open.push(e.name().as_ref().to_vec()),
            Ok(Event::End(e)) => {
                open.pop();
                if matches!(e.local_name().as_ref(), b"item" | b"entry") {
                    let at = reader.buffer_position() as usize;
                    last_item_end = Some((at, open.clone()));
                }
            }
            Ok(Event::Eof) if open.is_empty() => return None,
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let (at, open) = last_item_end?;
    let mut out = bytes[..at].to_vec();
    for name in open.iter().rev() {
        out.extend_from_slice(b"</");
        out.extend_from_slice(name);
        out.push(b'>');
    }
    Some(out)
}

/// The document without its empty elements that carry nothing (`<x/>`
/// with no attributes, `<x></x>`). `None`: not well-formed.
fn without_empty_elements(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(bytes.len()));
    let mut pending = None;
    loop {
        let event = reader.read_event().ok()?;
        match (&pending, &event) {
            (Some(_), Event::End(_)) => {
                pending = None;
                continue;
            }
            (Some(_), _) => writer.write_event(pending.take()?).ok()?,
            (None, _) => {}
        }
        match event {
            Event::Eof => break,
            Event::Empty(e) if e.attributes().next().is_none() => {}
            Event::Start(e) if e.attributes().next().is_none() => pending = Some(Event::Start(e)),
            other => writer.write_event(other).ok()?,
        }
    }
    Some(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(doc: &str) -> (String, Vec<&'static str>) {
        let (bytes, done) = repair(doc.as_bytes()).unwrap();
        (String::from_utf8(bytes).unwrap(), done)
    }

    #[test]
    fn bare_ampersands_and_html_entities_are_escaped_outside_cdata() {
        let (doc, _) = repaired(
            "<rss version=\"2.0\"><t>a&nbsp;b &amp; &#38; &#x26; ?x=1&y=2</t><d><![CDATA[&nbsp;]]></d></rss>",
        );
        assert_eq!(
            doc,
            "<rss version=\"2.0\"><t>a&amp;nbsp;b &amp; &#38; &#x26; ?x=1&amp;y=2</t><d><![CDATA[&nbsp;]]></d></rss>"
        );
    }

    #[test]
    fn rss_without_a_version_gets_one() {
        let (doc, done) = repaired("<?xml version=\"1.0\"?><rss><channel>t</channel></rss>");
        assert_eq!(
            doc,
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>t</channel></rss>"
        );
        assert_eq!(done, ["gave <rss> its missing version"]);
        assert!(
            repair(b"<rss version=\"0.91\"><channel><title>t</title></channel></rss>").is_none()
        );
    }

    #[test]
    fn a_truncated_feed_ends_after_its_last_whole_item() {
        let (doc, _) = repaired(
            "<rss version=\"2.0\"><channel><title>t</title><item><title>1</title></item><item><title>2</ti",
        );
        assert_eq!(
            doc,
            "<rss version=\"2.0\"><channel><title>t</title><item><title>1</title></item></channel></rss>"
        );
    }

    #[test]
    fn empty_elements_without_attributes_are_dropped() {
        let (doc, _) =
            repaired("<rss version=\"2.0\"><i><a/><b></b><c x=\"1\"/><d>t</d></i></rss>");
        assert_eq!(
            doc,
            "<rss version=\"2.0\"><i><c x=\"1\"/><d>t</d></i></rss>"
        );
    }
}
