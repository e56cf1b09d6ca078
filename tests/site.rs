//! The output directory as a publication: JSON Feed, the OPML list, the
//! index page with autodiscovery, article pages, and the switches that turn
//! them off.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::Path;

use common::{NOW, build_sample, readmore, stderr};
use scraper::{Html, Selector};

const BASE: &str = "https://feeds.example.org/rm/";

fn built() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    build_sample(dir.path());
    dir
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Files named like `*.ext` directly in `dir`.
fn stems(dir: &Path, ext: &str) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(&format!(".{ext}")).map(str::to_string)
        })
        .collect()
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

#[test]
fn json_feeds_have_the_required_fields_and_the_same_ids() {
    let dir = built();
    let feeds = dir.path().join("feeds");
    for name in stems(&feeds, "json") {
        let feed = json(&feeds.join(format!("{name}.json")));
        assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(feed["feed_url"], format!("{BASE}{name}.json"));
        for field in ["title", "home_page_url", "description", "language"] {
            assert!(feed[field].is_string(), "{name}: {field}");
        }
        assert!(feed["authors"][0]["name"].is_string());
        let items = feed["items"].as_array().unwrap();
        for item in items {
            for field in [
                "id",
                "url",
                "title",
                "summary",
                "content_html",
                "date_published",
                "date_modified",
            ] {
                assert!(item[field].is_string(), "{name}: item {field}");
            }
            let published = item["date_published"].as_str().unwrap();
            chrono::DateTime::parse_from_rfc3339(published).unwrap();
            assert!(item["tags"][0].is_string());
        }
        let atom =
            feed_rs::parser::parse(&fs::read(feeds.join(format!("{name}.atom"))).unwrap()[..])
                .unwrap();
        let atom_ids: Vec<&str> = atom.entries.iter().map(|e| e.id.as_str()).collect();
        let json_ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(json_ids, atom_ids, "{name}: same ids, same order as Atom");
    }
}

#[test]
fn opml_lists_exactly_the_section_feeds() {
    let dir = built();
    let feeds = dir.path().join("feeds");
    let text = fs::read_to_string(feeds.join("index.opml")).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(doc.root_element().attribute("version"), Some("2.0"));
    let outlines: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("outline"))
        .collect();
    let listed: Vec<String> = outlines
        .iter()
        .map(|o| {
            assert_eq!(o.attribute("type"), Some("rss"));
            // "Site — Section": a reader shows it beside other sites' feeds.
            let title = o.attribute("title").unwrap();
            assert!(title.starts_with("readmore — "), "{title}");
            assert_eq!(o.attribute("text"), Some(title));
            assert!(o.attribute("htmlUrl").unwrap().starts_with(BASE));
            let url = o.attribute("xmlUrl").unwrap();
            url.strip_prefix(BASE)
                .unwrap()
                .strip_suffix(".atom")
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        listed,
        ["policy", "space", "ai", "health", "cars", "culture"],
        "config's section order"
    );
    let mut sections = stems(&feeds, "atom");
    sections.remove("all");
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), sections);
}

#[test]
fn index_page_lists_every_section_and_its_autodiscovery_links_resolve() {
    let dir = built();
    let feeds = dir.path().join("feeds");
    let doc = Html::parse_document(&fs::read_to_string(feeds.join("index.html")).unwrap());
    let alternates = select(&doc, r#"head link[rel="alternate"]"#);
    assert_eq!(
        alternates.len(),
        7 * 3,
        "all and six sections, three formats each"
    );
    let types: HashSet<&str> = alternates.iter().map(|l| l.attr("type").unwrap()).collect();
    assert_eq!(
        types,
        HashSet::from([
            "application/atom+xml",
            "application/rss+xml",
            "application/feed+json"
        ])
    );
    for link in &alternates {
        let href = link.attr("href").unwrap();
        assert!(feeds.join(href).is_file(), "{href}");
        assert!(link.attr("title").is_some_and(|t| !t.is_empty()));
    }
    let sections: Vec<&str> = select(&doc, "main section")
        .iter()
        .map(|s| s.attr("id").unwrap())
        .collect();
    assert_eq!(
        sections,
        ["policy", "space", "ai", "health", "cars", "culture"]
    );
    for href in select(&doc, "body a")
        .iter()
        .map(|a| a.attr("href").unwrap())
    {
        assert!(
            feeds.join(href).is_file(),
            "every link on the index page resolves: {href}"
        );
    }
    assert!(select(&doc, "script").is_empty(), "no JavaScript");
    assert_eq!(
        select(&doc, "main section li").len(),
        12,
        "each section lists its articles (fewer than 30 each)"
    );
}

#[test]
fn every_item_link_leads_to_its_article_page() {
    let dir = built();
    let feeds = dir.path().join("feeds");
    let atom = feed_rs::parser::parse(&fs::read(feeds.join("all.atom")).unwrap()[..]).unwrap();
    assert_eq!(atom.entries.len(), 12);
    for entry in &atom.entries {
        let href = &entry.links[0].href;
        let file = feeds.join(href.strip_prefix(BASE).unwrap());
        let page = Html::parse_document(&fs::read_to_string(&file).unwrap());
        let h1: String = select(&page, "h1")[0].text().collect();
        assert_eq!(h1, entry.title.as_ref().unwrap().content);
        for link in select(&page, "a") {
            let href = link.attr("href").unwrap().split('#').next().unwrap();
            assert!(
                file.parent().unwrap().join(href).is_file(),
                "{}: {href}",
                file.display()
            );
        }
    }
    let rocket = Html::parse_document(
        &fs::read_to_string(
            feeds.join("articles/rocket-report-say-cheerio-to-orbex-china-is-getting-good-at-booster-landings.html"),
        )
        .unwrap(),
    );
    let text: String = rocket.root_element().text().collect();
    assert!(
        text.contains("By Eric Berger")
            && text.contains("About Eric Berger")
            && text.contains("senior space editor")
    );
    assert!(
        !select(&rocket, "figure figcaption").is_empty()
            && !select(&rocket, "article h2").is_empty()
    );
}

/// Guards HTML escaping on pages: markup in the input is text, never markup.
#[test]
fn article_pages_escape_every_piece_of_text() {
    let dir = tempfile::tempdir().unwrap();
    let input = "Author name: Eve <eve@example.org>\n\n\
        script-alert-tom-jerry\n\n\
        <script>alert(\"x\")</script> Tom & Jerry's \"quotes\"\n\n\n\
        A dek with <b>bold</b> & <i>\n\n\
        Body <script>evil()</script> & more \"text\" 'here'.\n\n\
        <img src=x onerror=alert(1)> Credit: <Someone & Co>\n\n\
        <script>alert(\"x\")</script> Tom & Jerry's \"quotes\" Read More »\n";
    fs::write(dir.path().join("evil.txt"), input).unwrap();
    let out = readmore(dir.path(), &["build", "evil.txt", "--now", NOW], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let pages = dir.path().join("feeds/articles");
    let names: Vec<String> = fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["script-alert-tom-jerry.html"]);
    let html = fs::read_to_string(pages.join(&names[0])).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("<b>") && !html.contains("<img"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tom &amp; Jerry"),
        "{html}"
    );
    let doc = Html::parse_document(&html);
    assert!(select(&doc, "script, img, b, i").is_empty());
    let h1: String = select(&doc, "h1")[0].text().collect();
    assert_eq!(h1, "<script>alert(\"x\")</script> Tom & Jerry's \"quotes\"");
    let index = fs::read_to_string(dir.path().join("feeds/index.html")).unwrap();
    assert!(!index.contains("<script"));
}

#[test]
fn hostile_slugs_give_safe_distinct_page_names() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(5000);
    let mut input = String::new();
    for (slug, title) in [
        ("../../etc/passwd", "Etc passwd"),
        ("a/b", "A b"),
        ("nul\u{0}byte", "Nul byte"),
        (long.as_str(), "A very long one"),
        (&format!("{long}y"), "A very long other one"),
    ] {
        input.push_str(&format!(
            "{slug}\n\n{title}\n\nSome text.\n\n{title} Read More »\n\n"
        ));
    }
    fs::write(dir.path().join("hostile.txt"), input).unwrap();
    let out = readmore(dir.path(), &["build", "hostile.txt", "--now", NOW], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let pages = dir.path().join("feeds/articles");
    let names: Vec<String> = fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    for name in &names {
        assert!(name.len() <= 110 && name.ends_with(".html"), "{name}");
        assert!(
            name.trim_end_matches(".html")
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
    let outside: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        outside.len(),
        3,
        "only the input, feeds/ and the store: {outside:?}"
    );
}

#[test]
fn outputs_can_be_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        "[output]\nformats = [\"atom\"]\nindex = false\nopml = false\narticle_pages = false\n",
    )
    .unwrap();
    let sample = common::sample();
    let out = readmore(
        dir.path(),
        &["build", sample.to_str().unwrap(), "--now", NOW],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let names: BTreeSet<String> = fs::read_dir(dir.path().join("feeds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| n.ends_with(".atom")), "{names:?}");
    assert_eq!(names.len(), 7);
    let atom = fs::read_to_string(dir.path().join("feeds/all.atom")).unwrap();
    assert!(
        atom.contains("href=\"http://localhost:8080/#fury-over-discords-age-checks"),
        "{atom}"
    );

    fs::write(
        dir.path().join("readmore.toml"),
        "[output]\nformats = [\"rss\", \"json\"]\n",
    )
    .unwrap();
    let out = readmore(
        dir.path(),
        &["build", sample.to_str().unwrap(), "--now", NOW],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "OPML in Atom needs Atom feeds: {}",
        stderr(&out)
    );
}

#[test]
fn pages_of_articles_that_left_the_store_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        "[retention]\ndays = 30\nhistory_days = 30\n",
    )
    .unwrap();
    let sample = common::sample();
    let page_b = common::root().join("tests/fixtures/pages/page-b.txt");
    let run = |input: &Path, now: &str| {
        let out = readmore(
            dir.path(),
            &["build", input.to_str().unwrap(), "--now", now],
            None,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };
    run(&sample, NOW);
    let pages = dir.path().join("feeds/articles");
    assert_eq!(stems(&pages, "html").len(), 12);
    let summary = run(&page_b, "2026-04-20T12:00:00Z");
    assert!(summary.contains("6 new"), "{summary}");
    let left = stems(&pages, "html");
    assert_eq!(
        left.len(),
        12,
        "page A's first six left the store, their pages with them: {left:?}"
    );
    assert!(left.contains("nasa-picks-a-second-lunar-lander-for-artemis-crews"));
    assert!(
        !left.contains("fury-over-discords-age-checks-explodes-after-shady-persona-test-in-uk")
    );
    assert!(
        left.contains("spider-noir-teaser-comes-in-colorized-true-hue-and-black-and-white"),
        "still on page B"
    );
}

#[test]
fn a_changed_site_title_re_renders_every_page() {
    let dir = tempfile::tempdir().unwrap();
    build_sample(dir.path());
    let page = dir
        .path()
        .join("feeds/articles/f1-preseason-tests-show-how-different-2026-will-be.html");
    assert!(
        fs::read_to_string(&page).unwrap().contains(
            "<title>F1: Preseason tests show how different 2026 will be — readmore</title>"
        )
    );
    fs::write(
        dir.path().join("readmore.toml"),
        "[site]\ntitle = \"Renamed\"\n",
    )
    .unwrap();
    build_sample(dir.path());
    assert!(
        fs::read_to_string(&page)
            .unwrap()
            .contains("— Renamed</title>")
    );
}

// By design an article has one id in its section's feed and in all.*:
// the README tells readers to subscribe to one or the other.
#[test]
fn section_entries_have_the_same_id_in_all() {
    let dir = built();
    let feeds = dir.path().join("feeds");
    let ids = |name: &str| -> Vec<String> {
        let bytes = fs::read(feeds.join(format!("{name}.atom"))).unwrap();
        let feed = feed_rs::parser::parse(&bytes[..]).unwrap();
        feed.entries.into_iter().map(|e| e.id).collect()
    };
    let all = ids("all");
    let mut in_sections = 0;
    for name in stems(&feeds, "atom").iter().filter(|n| *n != "all") {
        for id in ids(name) {
            assert!(all.contains(&id), "{name}: {id} not in all.atom");
            in_sections += 1;
        }
    }
    assert_eq!(
        in_sections,
        all.len(),
        "each article in exactly one section"
    );
}

/// Builds `text` as the only input, with `config`, into `dir/feeds`.
fn build_text(dir: &Path, text: &str, config: &str) {
    fs::write(dir.join("readmore.toml"), config).unwrap();
    fs::write(dir.join("page.txt"), text).unwrap();
    let out = readmore(dir, &["build", "page.txt", "--now", NOW], None);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Every `href` of `a` elements on the index page.
fn index_links(dir: &Path) -> Vec<String> {
    let doc = Html::parse_document(&fs::read_to_string(dir.join("feeds/index.html")).unwrap());
    select(&doc, "main a")
        .iter()
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect()
}

// The index is bounded whatever the store holds: each section's newest 30
// (past what the feeds show, retention.items), newest first, with deks,
// and a note that older ones are in the feeds; every article keeps its page.
#[test]
fn index_lists_each_sections_newest_thirty_and_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..35 {
        text.push_str(&format!(
            "rocket-launch-{i}\n\nRocket launch {i}\n\n\nThe orbit dek {i}\nThe rocket reached orbit and the \
             spacecraft docked with the space station, NASA said.\n\nRocket launch {i} Read More »\n\n"
        ));
    }
    build_text(dir.path(), &text, "[retention]\nitems = 5\n");
    let pages: BTreeSet<String> = fs::read_dir(dir.path().join("feeds/articles"))
        .unwrap()
        .map(|e| format!("articles/{}", e.unwrap().file_name().into_string().unwrap()))
        .collect();
    assert_eq!(pages.len(), 35);
    let links = index_links(dir.path());
    let listed: Vec<&String> = links
        .iter()
        .filter(|l| l.starts_with("articles/"))
        .collect();
    let newest: Vec<String> = (0..30)
        .map(|i| format!("articles/rocket-launch-{i}.html"))
        .collect();
    assert_eq!(
        listed,
        newest.iter().collect::<Vec<_>>(),
        "the newest 30, newest first"
    );
    let index = fs::read_to_string(dir.path().join("feeds/index.html")).unwrap();
    assert!(index.contains("The orbit dek 29") && !index.contains("The orbit dek 30"));
    assert!(
        index.contains("The newest 30; the feeds above hold more."),
        "{index}"
    );
}

// An article page links to the original article when the page gave a permalink.
#[test]
fn article_pages_link_the_original_permalink() {
    let dir = tempfile::tempdir().unwrap();
    let html = common::root().join("tests/fixtures/html/ars-author-archive.html");
    let out = readmore(
        dir.path(),
        &["build", html.to_str().unwrap(), "--now", NOW],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let feed =
        feed_rs::parser::parse(&fs::read(dir.path().join("feeds/all.atom")).unwrap()[..]).unwrap();
    let mut linked = 0;
    for entry in &feed.entries {
        let permalink = &entry.links[0].href;
        let stem = entry.title.as_ref().unwrap().content.clone();
        assert!(permalink.starts_with("https://"), "{stem}: {permalink}");
        for page in fs::read_dir(dir.path().join("feeds/articles")).unwrap() {
            let page = fs::read_to_string(page.unwrap().path()).unwrap();
            if page.contains(&format!(
                "<a href=\"{permalink}\">Read the original article</a>"
            )) {
                linked += 1;
            }
        }
    }
    assert_eq!(linked, feed.entries.len());
}
