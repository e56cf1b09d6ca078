//! OPML 2.0 (<http://opml.org/spec2.opml>): one outline per section feed,
//! so a reader imports every section in one step. Written through
//! quick-xml, so every attribute is escaped.

use std::io;

use anyhow::Result;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::feed::ALL;
use crate::format::Format;
use crate::site::Site;

pub fn render(site: &Site, format: Format) -> Result<Vec<u8>> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("opml")
        .with_attribute(("version", "2.0"))
        .write_inner_content(|w| {
            w.create_element("head").write_inner_content(|w| {
                text(w, "title", &format!("{} — feeds", site.title))?;
                text(w, "dateModified", &site.updated.to_rfc2822())?;
                text(w, "docs", "http://opml.org/spec2.opml")
            })?;
            w.create_element("body").write_inner_content(|w| {
                for section in site.sections.iter().filter(|s| s.name != ALL) {
                    // A reader shows this name beside other sites' feeds.
                    let title = format!("{} — {}", site.title, section.title);
                    w.create_element("outline")
                        .with_attribute(("type", "rss"))
                        .with_attribute(("text", title.as_str()))
                        .with_attribute(("title", title.as_str()))
                        .with_attribute((
                            "xmlUrl",
                            format!("{}{}.{}", site.base_url, section.name, format.ext()).as_str(),
                        ))
                        .with_attribute(("htmlUrl", site.section_page(&section.name).as_str()))
                        .write_empty()?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}
