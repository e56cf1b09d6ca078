//! Permalinks and dates of HTML listings, end to end: `--page-url`,
//! `page_url`, `timezone`, the canonical link and the published date that
//! wins over a modified one (fixtures in tests/fixtures/dates/).

mod common;

use std::path::{Path, PathBuf};

use common::{NOW, build_at, readmore, stderr};

fn fixture(name: &str) -> String {
    let path: PathBuf = common::root().join("tests/fixtures/dates").join(name);
    path.to_str().unwrap().to_string()
}

/// (title, link, published) of every entry of `dir/feeds/all.atom`, by title.
fn entries(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("feeds/all.atom")).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let child = |e: roxmltree::Node, name: &str| {
        e.children()
            .find(|c| c.tag_name().name() == name)
            .map(|c| c.text().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let mut entries: Vec<_> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "entry")
        .map(|e| {
            let link = e
                .children()
                .find(|c| c.tag_name().name() == "link")
                .and_then(|l| l.attribute("href"))
                .unwrap_or("")
                .to_string();
            (child(e, "title"), link, child(e, "published"))
        })
        .collect();
    entries.sort();
    entries
}

// A saved page with relative links: --page-url makes them absolute.
#[test]
fn page_url_resolves_a_saved_pages_links() {
    let dir = tempfile::tempdir().unwrap();
    let page = fixture("saved-relative.html");
    let url = "https://tuinblad.example/nieuws/page/2/";
    let out = build_at(dir.path(), &[&page, "--page-url", url], NOW);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains(": warning:"), "{}", stderr(&out));
    let got = entries(dir.path());
    assert_eq!(got[0].0, "Bonen en erwten");
    assert_eq!(
        got[0].1,
        "https://tuinblad.example/nieuws/bonen-en-erwten/index.html"
    );
    assert_eq!(got[0].2, "2018-03-03T12:00:00+00:00");
    assert_eq!(
        got[1].1,
        "https://tuinblad.example/nieuws/tomaten-in-de-kas/index.html"
    );
    assert_eq!(got[1].2, "2018-06-18T12:00:00+00:00");
}

// `page_url` on a [[sources]] table does what --page-url does.
#[test]
fn page_url_on_a_source_table() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[[sources]]\npath = {:?}\npage_url = \"https://tuinblad.example/nieuws/page/2/\"\n",
        fixture("saved-relative.html")
    );
    std::fs::write(dir.path().join("readmore.toml"), config).unwrap();
    let out = build_at(dir.path(), &[], NOW);
    assert!(out.status.success(), "{}", stderr(&out));
    let links: Vec<String> = entries(dir.path()).into_iter().map(|e| e.1).collect();
    assert_eq!(
        links,
        [
            "https://tuinblad.example/nieuws/bonen-en-erwten/index.html",
            "https://tuinblad.example/nieuws/tomaten-in-de-kas/index.html"
        ]
    );
}

// Without an address, relative links are reported, not silently replaced.
#[test]
fn links_without_an_address_are_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let page = fixture("saved-relative.html");
    let out = build_at(dir.path(), &[&page], NOW);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let warned = err
        .lines()
        .filter(|l| l.contains(": warning: ") && l.contains("--page-url"))
        .count();
    assert_eq!(warned, 2, "{err}");
    assert!(err.contains("saved-relative.html:8: warning: "), "{err}");
    // The items fall back to their article pages.
    for (_, link, _) in entries(dir.path()) {
        assert!(
            link.starts_with("https://feeds.example.org/rm/articles/"),
            "{link}"
        );
    }
}

// --page-url is one page's address: with two inputs it is a usage error.
#[test]
fn page_url_takes_one_input() {
    let dir = tempfile::tempdir().unwrap();
    let page = fixture("saved-relative.html");
    let out = build_at(
        dir.path(),
        &[&page, &page, "--page-url", "https://a.example/"],
        NOW,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = build_at(dir.path(), &[&page, "--page-url", "/relative/"], NOW);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("absolute http(s) URL"),
        "{}",
        stderr(&out)
    );
    // The practice-set scorers look for the option in the help text.
    let help = readmore(dir.path(), &["build", "--help"], None);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--page-url"));
}

// Canonical before og:url; //host/path takes the page's scheme; times
// without a zone are in the site's time zone.
#[test]
fn canonical_links_and_the_site_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "sources = [{:?}]\n[site]\ntimezone = \"Europe/London\"\n",
        fixture("canonical.html")
    );
    std::fs::write(dir.path().join("readmore.toml"), config).unwrap();
    let out = build_at(dir.path(), &[], NOW);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        entries(dir.path()),
        [
            (
                "A lichen walk".to_string(),
                "https://static.example/notes/lichen-walk/".to_string(),
                "2019-04-13T08:15:00+00:00".to_string()
            ),
            (
                "Moths at night".to_string(),
                "https://notes.example/posts/moths-at-night/".to_string(),
                // en-GB: 04/05/2019 is 4 May; 21:40 BST is 20:40 UTC.
                "2019-05-04T20:40:00+00:00".to_string()
            ),
        ]
    );
}

// A source's own timezone wins over the site's.
#[test]
fn a_sources_time_zone_wins_over_the_sites() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[site]\ntimezone = \"Europe/London\"\n[[sources]]\npath = {:?}\ntimezone = \"America/New_York\"\n",
        fixture("canonical.html")
    );
    std::fs::write(dir.path().join("readmore.toml"), config).unwrap();
    let out = build_at(dir.path(), &[], NOW);
    assert!(out.status.success(), "{}", stderr(&out));
    let published: Vec<String> = entries(dir.path()).into_iter().map(|e| e.2).collect();
    assert_eq!(
        published,
        ["2019-04-13T13:15:00+00:00", "2019-05-05T01:40:00+00:00"]
    );
}

// A time zone that is not an IANA name is a config error naming it.
#[test]
fn an_unknown_time_zone_is_a_config_error() {
    for config in [
        "[site]\ntimezone = \"Europe/Berln\"\n".to_string(),
        format!(
            "[[sources]]\npath = {:?}\ntimezone = \"CEST+2\"\n",
            fixture("canonical.html")
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("readmore.toml"), &config).unwrap();
        let out = build_at(dir.path(), &[], NOW);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("IANA time zone"), "{}", stderr(&out));
    }
}

// The published time wins over a modified time listed before it.
#[test]
fn the_published_date_wins_over_an_earlier_listed_modified_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = build_at(dir.path(), &[&fixture("modified-first.html")], NOW);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        entries(dir.path()),
        [
            (
                "Walne zebranie członków".to_string(),
                "https://klub.example/aktualnosci/walne-zebranie/".to_string(),
                "2025-01-20T16:00:00+00:00".to_string()
            ),
            (
                "Zimowy obóz w górach".to_string(),
                "https://klub.example/aktualnosci/zimowy-oboz/".to_string(),
                "2025-02-11T08:30:00+00:00".to_string()
            ),
        ]
    );
}
