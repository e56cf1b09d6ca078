//! Feeds as sources: one fixture per kind of real feed (written for these
//! tests, reproducing the markup and quirks real publishers' feeds have),
//! each checked item by item — title, link, id, dates — and round-tripped
//! through readmore's own Atom, RSS and JSON outputs read back with feed-rs.

mod common;

use std::fs;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use common::{NOW, build_at, readmore, root, stderr};
use readmore::article::{Article, Block};
use readmore::diag::Level;
use readmore::feedsrc::{item_key, read_feed};
use url::Url;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/feeds").join(name)
}

/// What one item must become.
struct Want {
    title: &'static str,
    link: &'static str,
    /// The publisher's id (or, without one, the link).
    id: &'static str,
    published: &'static str,
}

const fn want(
    title: &'static str,
    link: &'static str,
    id: &'static str,
    published: &'static str,
) -> Want {
    Want {
        title,
        link,
        id,
        published,
    }
}

fn ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Reads `name` (fetched from `base`, if given) and checks every item.
fn check(name: &str, base: Option<&str>, publisher: &str, wants: &[Want]) -> Vec<Article> {
    let bytes = fs::read(fixture(name)).unwrap();
    let base = base.map(|b| Url::parse(b).unwrap());
    let (articles, diagnostics) = read_feed(&bytes, base.as_ref()).unwrap();
    let warnings: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.level == Level::Warning)
        .collect();
    assert!(warnings.is_empty(), "{name}: {warnings:?}");
    assert_eq!(articles.len(), wants.len(), "{name}: item count");
    for (a, w) in articles.iter().zip(wants) {
        assert_eq!(a.title, w.title, "{name}");
        assert_eq!(a.permalink.as_deref(), Some(w.link), "{name}: {}", w.title);
        assert_eq!(a.key, item_key(publisher, w.id), "{name}: {}", w.title);
        assert_eq!(a.date, Some(ts(w.published)), "{name}: {}", w.title);
    }
    round_trip(name, wants);
    articles
}

/// Builds the fixture with the binary, then reads all.atom, all.rss and
/// all.json back with feed-rs: every item, with its title, link and date.
fn round_trip(name: &str, wants: &[Want]) {
    let dir = tempfile::tempdir().unwrap();
    let config = "[output]\nformats = [\"atom\", \"rss\", \"json\"]\n";
    fs::write(dir.path().join("readmore.toml"), config).unwrap();
    let out = build_at(dir.path(), &[fixture(name).to_str().unwrap()], NOW);
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    for ext in ["atom", "rss", "json"] {
        let bytes = fs::read(dir.path().join("feeds").join(format!("all.{ext}"))).unwrap();
        let feed = feed_rs::parser::parse(&bytes[..]).unwrap();
        assert_eq!(feed.entries.len(), wants.len(), "{name} as {ext}");
        for w in wants {
            let entry = feed
                .entries
                .iter()
                .find(|e| e.title.as_ref().is_some_and(|t| t.content == w.title))
                .unwrap_or_else(|| panic!("{name} as {ext}: no {:?}", w.title));
            assert_eq!(entry.links[0].href, w.link, "{name} as {ext}");
            assert_eq!(entry.published, Some(ts(w.published)), "{name} as {ext}");
        }
    }
}

#[test]
fn a_news_feed_keeps_its_links_categories_and_shared_dates() {
    let articles = check(
        "news-categories.rss",
        None,
        "harbour-gazette.example",
        &[
            want(
                "Council Votes to Rebuild the Old Ferry Pier",
                "https://www.harbour-gazette.example/2026/02/17/city/ferry-pier.html?partner=rss&emc=rss",
                "https://www.harbour-gazette.example/2026/02/17/city/ferry-pier.html",
                "2026-02-17T08:45:10Z",
            ),
            // entity-escaped markup in a title is not part of the title
            want(
                "Mayor Says the Tunnel Will Open in Spring",
                "https://www.harbour-gazette.example/2026/02/17/city/tunnel.html?partner=rss&emc=rss",
                "https://www.harbour-gazette.example/2026/02/17/city/tunnel.html",
                "2026-02-17T08:45:10Z",
            ),
            want(
                "Chess & Cards: The Club That Never Closes",
                "https://www.harbour-gazette.example/2026/02/16/arts/chess-club.html?partner=rss&emc=rss",
                "https://www.harbour-gazette.example/2026/02/16/arts/chess-club.html",
                "2026-02-17T03:05:00Z",
            ),
        ],
    );
    assert_eq!(
        articles[0].categories,
        ["Politics and Government", "Harbour City"]
    );
    assert_eq!(articles[0].author.as_ref().unwrap().name, "Mara Quill");
    assert_eq!(
        articles[2].body,
        [Block::Paragraph(
            "Night owls have played at the same tables since 1961.".into()
        )],
        "the tracking pixel is gone"
    );
}

#[test]
fn a_wordpress_feed_gives_content_encoded_blocks_and_its_creator() {
    let articles = check(
        "wordpress.rss",
        None,
        "circuitnotes.example",
        &[
            want(
                "A Phone That Charges in Four Minutes, Tested",
                "https://feeds.example/~r/circuitnotes/~3/a1b2c3/",
                "https://circuitnotes.example/?p=40121",
                "2026-02-18T15:00:54Z",
            ),
            want(
                "Why Your Router Needs a Firmware Update Tonight",
                "https://feeds.example/~r/circuitnotes/~3/d4e5f6/",
                "https://circuitnotes.example/?p=40118",
                "2026-02-17T19:30:00Z",
            ),
        ],
    );
    let phone = &articles[0];
    assert_eq!(phone.author.as_ref().unwrap().name, "Priya Natarajan");
    assert_eq!(phone.categories, ["Gadgets", "Smartphones", "batteries"]);
    assert_eq!(
        phone.body,
        [
            Block::Paragraph(
                "We left the charger on for four minutes and watched the battery climb.".into()
            ),
            Block::Heading("The heat".into()),
            Block::Paragraph("The back of the phone reached 41 °C, warm but not alarming.".into()),
            Block::List {
                ordered: false,
                items: vec!["Charger: 120 W".into(), "Cells: two in series".into()]
            },
            Block::Quote("“We designed for the commute,” an engineer said.".into()),
            Block::Figure {
                caption: Some("The test rig on a kitchen table.".into()),
                credit: Some("Circuit Notes".into())
            },
        ],
        "scripts and tracking images are dropped"
    );
    assert_eq!(
        phone.dek, None,
        "a summary that repeats the content is not a dek"
    );
}

#[test]
fn blogger_and_medium_atom_titles_links_and_dates() {
    let articles = check(
        "blogger.atom",
        None,
        "kernelgarden.blogspot.example",
        &[
            want(
                "Smoother scrolling, one patch at a time",
                "https://kernelgarden.blogspot.example/2026/02/smoother-scrolling.html",
                "tag:blogger.example,1999:blog-7301.post-551",
                "2026-02-19T18:14:00Z",
            ),
            want(
                "Tabs & spaces, settled",
                "https://kernelgarden.blogspot.example/2026/02/tabs-and-spaces.html",
                "tag:blogger.example,1999:blog-7301.post-550",
                "2026-02-12T05:02:00Z",
            ),
        ],
    );
    assert_eq!(articles[0].categories, ["input", "wayland"]);
    assert_eq!(articles[0].updated, Some(ts("2026-02-19T18:15:00.001Z")));
    // a type="html" title is escaped HTML: shown as the text it stands for
    check(
        "medium.atom",
        None,
        "medium.example",
        &[want(
            "Deploying on Fridays & Sleeping Well",
            "https://medium.example/@lindqvist/deploying-on-fridays-9f3e2a71c0de?source=rss-lindqvist",
            "https://medium.example/p/9f3e2a71c0de",
            "2026-02-14T07:30:10Z",
        )],
    );
}

#[test]
fn youtube_and_github_atom() {
    let videos = check(
        "youtube.atom",
        None,
        "youtube.example",
        &[
            want(
                "Tomaten im Februar aussäen – geht das?",
                "https://www.youtube.example/watch?v=AbCdEfGh001",
                "yt:video:AbCdEfGh001",
                "2026-02-15T16:00:03Z",
            ),
            want(
                "Hochbeet aus Paletten bauen",
                "https://www.youtube.example/watch?v=AbCdEfGh002",
                "yt:video:AbCdEfGh002",
                "2026-02-08T16:00:00Z",
            ),
        ],
    );
    assert_eq!(
        videos[0].body,
        [
            Block::Paragraph("Wir säen drei Sorten auf der Fensterbank aus.".into()),
            Block::Paragraph("Welche Erde, welches Licht, wie warm?".into())
        ],
        "the media description is the body"
    );
    // no <published>: the updated date is the only date
    let releases = check(
        "github-releases.atom",
        None,
        "github.example",
        &[
            want(
                "v2.1.0",
                "https://github.example/tidepool/tidepool/releases/tag/v2.1.0",
                "tag:github.example,2008:Repository/4242/v2.1.0",
                "2026-02-12T18:20:31Z",
            ),
            want(
                "v2.0.3",
                "https://github.example/tidepool/tidepool/releases/tag/v2.0.3",
                "tag:github.example,2008:Repository/4242/v2.0.3",
                "2026-01-30T09:01:02Z",
            ),
        ],
    );
    assert_eq!(releases[0].updated, None, "updated is published here");
    assert_eq!(releases[0].author.as_ref().unwrap().name, "ozzy");
}

#[test]
fn a_podcast_with_enclosures_and_a_minus_zero_zone() {
    check(
        "podcast.rss",
        None,
        "staticontheline.example",
        &[
            want(
                "Episode 41: The Fog Committee",
                "https://staticontheline.example/episodes/41",
                "a7c0e5d2-3b1f-4e43-9c4e-41fog",
                "2026-02-15T05:00:00Z",
            ),
            want(
                "Episode 40: Lost Umbrellas",
                "https://staticontheline.example/episodes/40",
                "a7c0e5d2-3b1f-4e43-9c4e-40umb",
                "2026-02-01T05:00:00Z",
            ),
        ],
    );
}

#[test]
fn rdf_items_dated_by_dc_date_behind_a_byte_order_mark() {
    let articles = check(
        "rdf.xml",
        None,
        "nachrichten.example",
        &[
            want(
                "Landtag beschließt neues Schulgesetz",
                "https://nachrichten.example/stories/2801/",
                "https://nachrichten.example/stories/2801/",
                "2026-02-19T18:53:22+01:00",
            ),
            want(
                "Sturmwarnung für die Küste",
                "https://nachrichten.example/stories/2800/",
                "https://nachrichten.example/stories/2800/",
                "2026-02-19T18:53:22+01:00",
            ),
            want(
                "Museum zeigt Briefe aus drei Jahrhunderten",
                "https://nachrichten.example/stories/2799/",
                "https://nachrichten.example/stories/2799/",
                "2026-02-19T17:35:58+01:00",
            ),
        ],
    );
    assert_eq!(articles[1].categories, ["Wetter"], "dc:subject");
}

#[test]
fn json_feed_1_0_and_1_1() {
    let sky = check(
        "jsonfeed-1.0.json",
        None,
        "pocketastronomy.example",
        &[
            want(
                "A comet you can see with binoculars",
                "https://pocketastronomy.example/2026/02/comet-binoculars",
                "2026-02-comet",
                "2026-02-11T00:00:00Z",
            ),
            want(
                "A map of the Moon's seas",
                "https://pocketastronomy.example/2026/02/moon-map",
                "2026-02-moon",
                "2026-02-03T08:30:00Z",
            ),
        ],
    );
    assert_eq!(sky[0].categories, ["comets", "observing"]);
    assert_eq!(sky[0].author.as_ref().unwrap().name, "Noor Haddad");
    assert_eq!(sky[0].dek.as_deref(), Some("Where to look this week."));
    assert_eq!(sky[1].updated, Some(ts("2026-02-04T08:30:00Z")));
    assert_eq!(
        sky[1].body,
        [
            Block::Paragraph("Twelve maria, named.".into()),
            Block::Paragraph("Print it and take it outside.".into())
        ]
    );
    let notes = check(
        "jsonfeed-1.1.json",
        None,
        "fieldnotes.example",
        &[
            want(
                "Rye bread, third attempt",
                "https://fieldnotes.example/2026/02/18/bread/",
                "https://fieldnotes.example/2026/02/18/bread/",
                "2026-02-18T12:05:00Z",
            ),
            want(
                "Quince jam",
                "https://fieldnotes.example/2026/02/18/jam/",
                "https://fieldnotes.example/2026/02/18/jam/",
                "2026-02-18T12:05:00Z",
            ),
            // an item without a title is titled by its text
            want(
                "A short note without a title: the first frost came late this year.",
                "https://fieldnotes.example/notes/77/",
                "note-77",
                "2026-02-18T02:00:00Z",
            ),
        ],
    );
    assert_eq!(notes[0].author.as_ref().unwrap().name, "Oskar Brandt");
}

#[test]
fn relative_links_resolve_against_xml_base() {
    let articles = check(
        "xml-base.atom",
        None,
        "rugbyclub.example",
        &[
            want(
                "Dale & Pryce go out on loan",
                "https://rugbyclub.example/blog/2026/02/16/dale-pryce-loan/",
                "https://rugbyclub.example/blog/?p=9001",
                "2026-02-16T11:59:30Z",
            ),
            want(
                "Academy trials open",
                "https://rugbyclub.example/academy/trials-2026",
                "https://rugbyclub.example/blog/?p=8990",
                "2026-02-10T09:00:00Z",
            ),
        ],
    );
    assert_eq!(articles[0].categories, ["Club News"]);
    assert_eq!(
        articles[1].categories,
        ["Academy"],
        "the label, not the term"
    );
}

#[test]
fn a_right_to_left_feed() {
    let articles = check(
        "rtl.rss",
        None,
        "akhbar.example",
        &[
            want(
                "افتتاح مكتبة عامة جديدة في وسط المدينة",
                "https://akhbar.example/news/1042",
                "https://akhbar.example/news/1042",
                "2026-02-19T07:20:00Z",
            ),
            want(
                "«فريق المدينة» يفوز بالبطولة",
                "https://akhbar.example/news/1041",
                "https://akhbar.example/news/1041",
                "2026-02-18T18:00:00Z",
            ),
        ],
    );
    assert_eq!(articles[0].categories, ["ثقافة"]);
    assert_eq!(articles[0].author.as_ref().unwrap().name, "ليلى حداد");
}

#[test]
fn a_utf16_feed_without_a_byte_order_mark_is_read() {
    let text = fs::read_to_string(fixture("podcast.rss"))
        .unwrap()
        .replace("encoding=\"UTF-8\"", "encoding=\"utf-16\"");
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let (articles, _) = read_feed(&utf16, None).unwrap();
    assert_eq!(articles.len(), 2);
    assert_eq!(articles[0].title, "Episode 41: The Fog Committee");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.txt");
    fs::write(&path, &utf16).unwrap();
    let out = build_at(dir.path(), &[path.to_str().unwrap()], NOW);
    assert!(
        out.status.success(),
        "by content, not by name: {}",
        stderr(&out)
    );
}

#[test]
fn a_feed_from_stdin_is_read_by_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = fs::read(fixture("rtl.rss")).unwrap();
    let args = [
        "build",
        "-",
        "--now",
        NOW,
        "--state",
        "state.db",
        "--base-url",
        "https://feeds.example.org/rm/",
    ];
    let out = readmore(dir.path(), &args, Some(&bytes));
    assert!(out.status.success(), "{}", stderr(&out));
    let all = fs::read(dir.path().join("feeds/all.atom")).unwrap();
    assert_eq!(feed_rs::parser::parse(&all[..]).unwrap().entries.len(), 2);
}

#[test]
fn a_broken_feed_file_fails_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.xml");
    fs::write(
        &path,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item>",
    )
    .unwrap();
    let out = build_at(dir.path(), &[path.to_str().unwrap()], NOW);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("broken.xml:1: not a readable feed"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("feeds/all.atom").exists());
}

#[test]
fn explain_shows_the_publisher_s_categories_steering_the_section() {
    let dir = tempfile::tempdir().unwrap();
    let feed = fixture("news-categories.rss");
    let out = readmore(dir.path(), &["explain", feed.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let chess = format!(
        "{}:33: Chess & Cards: The Club That Never Closes\n  categories: Games, Arts\n  section: culture",
        feed.display()
    );
    assert!(text.contains(&chess), "{text}");
    assert!(text.contains("\"Arts\" (category)"), "{text}");
}

#[test]
fn a_malformed_feed_is_read_after_repairs_with_a_warning() {
    // a bare '&' in a link, an HTML entity in a title, no version, cut off mid-item
    let doc = "<?xml version=\"1.0\"?><rss><channel><title>t</title><link>https://a.example/</link>\
        <item><title>Tea&nbsp;&amp; cake</title><link>https://a.example/1?a=1&b=2</link>\
        <pubDate>Mon, 16 Feb 2026 10:00:00 GMT</pubDate></item>\
        <item><title>Cut off</title><link>https://a.exa";
    let (articles, diagnostics) = read_feed(doc.as_bytes(), None).unwrap();
    assert_eq!(articles.len(), 1);
    assert_eq!(articles[0].title, "Tea & cake");
    assert_eq!(
        articles[0].permalink.as_deref(),
        Some("https://a.example/1?a=1&b=2")
    );
    let warning = &diagnostics[0].message;
    assert!(
        warning.contains("read after repairs")
            && warning.contains("bare '&'")
            && warning.contains("cut off"),
        "{warning}"
    );
}

#[test]
fn item_dates_in_loose_formats_are_still_read() {
    // formats feed-rs's own date parser refuses, seen in real feeds
    let doc = "<rss version=\"2.0\"><channel><title>t</title><link>https://a.example/</link>\
        <item><title>A</title><link>https://a.example/a</link><pubDate>Monday, 16 February 2026 10:00:00 EST</pubDate></item>\
        <item><title>B</title><link>https://a.example/b</link><pubDate>2026-02-15 08:30:00</pubDate></item>\
        </channel></rss>";
    let (articles, _) = read_feed(doc.as_bytes(), None).unwrap();
    assert_eq!(articles[0].date, Some(ts("2026-02-16T15:00:00Z")));
    assert_eq!(articles[1].date, Some(ts("2026-02-15T08:30:00Z")));
}
