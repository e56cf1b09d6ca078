//! The parser against the sample and one fixture per kind of messy input.

mod common;

use common::{messy, parse, sample};
use readmore::article::{Article, Block};
use readmore::diag::Level;
use readmore::parse::{Encoding, ParseError, Parser};

/// What must survive any amount of mess: identity, title, dek and body.
fn essence(articles: &[Article]) -> Vec<(String, String, Option<String>, Vec<Block>)> {
    articles
        .iter()
        .map(|a| {
            (
                a.key.clone(),
                a.title.clone(),
                a.dek.clone(),
                a.body.clone(),
            )
        })
        .collect()
}

#[test]
fn sample_parses_into_twelve_articles() {
    let (articles, diagnostics) = parse(&sample());
    let titles: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles.len(), 12, "{titles:?}");
    assert_eq!(
        titles[0],
        "Fury over Discord’s age checks explodes after shady Persona test in UK"
    );
    assert_eq!(
        titles[11],
        "Spider-Noir teaser comes in colorized “True Hue” and black and white"
    );
    let authors: Vec<&str> = articles
        .iter()
        .map(|a| a.author.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(authors[0], "Ashley Belanger");
    assert_eq!(authors[7], "Ashley Belanger");
    assert_eq!(authors[8], "Eric Berger");
    assert!(
        authors
            .iter()
            .enumerate()
            .all(|(i, a)| [0, 7, 8].contains(&i) || *a == "Beth Washington")
    );
    assert!(
        diagnostics.iter().all(|d| d.level == Level::Note),
        "{diagnostics:?}"
    );
    insta::assert_debug_snapshot!("sample_articles", articles);
}

#[test]
fn sample_figures_headings_and_deks() {
    let (articles, _) = parse(&sample());
    let f1 = &articles[1];
    assert_eq!(f1.body[0], Block::Heading("Sleek".into()));
    let figures: Vec<&Block> = f1
        .body
        .iter()
        .filter(|b| matches!(b, Block::Figure { .. }))
        .collect();
    assert_eq!(
        figures,
        [&Block::Figure {
            caption: Some("2026 cars look good.".into()),
            credit: Some("Jakub Porzycki/NurPhoto via Getty Images".into())
        }],
        "caption / credit / caption+credit is one figure"
    );
    assert_eq!(
        articles[7].dek.as_deref(),
        Some("Pam Bondi and Kristi Noem sued for coercing platforms into censoring ICE posts.")
    );
    assert!(
        matches!(&articles[7].body[0], Block::Figure { caption: None, credit: Some(c) } if c == "Aurich Lawson | Getty Images")
    );
    assert_eq!(
        articles[3].dek, None,
        "one blank line after the title: no dek"
    );
}

#[test]
fn newsletter_box_and_author_block_are_not_body_text() {
    let (articles, diagnostics) = parse(&sample());
    let rocket = &articles[8];
    let text: Vec<String> = rocket.body.iter().map(|b| format!("{b:?}")).collect();
    assert!(
        !text
            .iter()
            .any(|t| t.contains("Sign Me Up") || t.contains("sign up for our newsletter"))
    );
    assert!(!text.iter().any(|t| t.contains("Photo of")));
    assert!(
        rocket
            .author
            .as_ref()
            .unwrap()
            .bio
            .as_deref()
            .unwrap()
            .contains("senior space editor")
    );
    assert!(
        diagnostics
            .iter()
            .any(|d| d.line == 352 && d.message.contains("newsletter box"))
    );
}

#[test]
fn normalisable_mess_parses_like_the_clean_page() {
    let (clean, _) = parse(&messy("base.txt"));
    assert_eq!(clean.len(), 2);
    for name in [
        "crlf.txt",
        "bom.txt",
        "nbsp.txt",
        "trailing-spaces.txt",
        "missing-blank.txt",
        "extra-blank.txt",
        "boundary-quotes.txt",
        "slug-punctuation.txt",
        "control-chars.txt",
    ] {
        let (articles, diagnostics) = parse(&messy(name));
        assert_eq!(essence(&articles), essence(&clean), "{name}");
        assert!(
            diagnostics.iter().all(|d| d.level == Level::Note),
            "{name}: {diagnostics:?}"
        );
        assert_eq!(
            articles[0].author.as_ref().unwrap().name,
            "Beth Washington",
            "{name}"
        );
    }
}

#[test]
fn no_header_means_no_page_author() {
    let (articles, _) = parse(&messy("no-header.txt"));
    assert_eq!(articles.len(), 2);
    assert!(articles.iter().all(|a| a.author.is_none()));
}

#[test]
fn missing_slug_line_takes_the_slug_from_the_title() {
    let (clean, _) = parse(&messy("base.txt"));
    let (articles, diagnostics) = parse(&messy("missing-slug.txt"));
    assert_eq!(essence(&articles), essence(&clean));
    assert!(
        diagnostics
            .iter()
            .any(|d| d.line == 27 && d.message.contains("no slug line"))
    );
}

#[test]
fn differing_boundary_title_is_a_warning() {
    let (articles, diagnostics) = parse(&messy("boundary-differs.txt"));
    assert_eq!(articles.len(), 2);
    assert!(
        diagnostics
            .iter()
            .any(|d| d.line == 45 && d.level == Level::Warning && d.message.contains("differs"))
    );
}

#[test]
fn cut_off_pages_skip_only_the_incomplete_tail() {
    let (clean, _) = parse(&messy("base.txt"));
    // (fixture, articles kept, line the incomplete tail starts on)
    for (name, kept, line) in [
        ("cut-in-slug.txt", 2, 47),
        ("cut-in-title.txt", 2, 47),
        ("cut-in-body.txt", 2, 47),
        ("cut-in-boundary.txt", 1, 27),
    ] {
        let (articles, diagnostics) = parse(&messy(name));
        assert_eq!(
            essence(&articles),
            essence(&clean[..kept]),
            "{name}: never merged into the previous article"
        );
        let tail: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.message.contains("incomplete article"))
            .collect();
        assert_eq!(tail.len(), 1, "{name}: {diagnostics:?}");
        assert_eq!(
            (tail[0].line, tail[0].level),
            (line, Level::Warning),
            "{name}"
        );
    }
}

#[test]
fn missing_boundary_mid_page_keeps_both_articles_apart() {
    let (clean, _) = parse(&messy("base.txt"));
    let (articles, diagnostics) = parse(&messy("missing-boundary.txt"));
    assert_eq!(essence(&articles), essence(&clean));
    assert!(
        diagnostics
            .iter()
            .any(|d| d.line == 3 && d.level == Level::Warning)
    );
}

#[test]
fn invalid_utf8_is_an_error_with_the_byte_offset_unless_lossy() {
    let bytes = std::fs::read(messy("invalid-utf8.txt")).unwrap();
    let offset = bytes.iter().position(|&b| b == 0xff).unwrap() as u64;
    let err = Parser::new(&bytes[..], Encoding::Strict)
        .find_map(Result::err)
        .unwrap();
    assert!(
        matches!(err, ParseError::InvalidUtf8 { line: 31, offset: o } if o == offset),
        "{err:?}"
    );
    let mut lossy = Parser::new(&bytes[..], Encoding::Lossy);
    let articles: Vec<_> = lossy.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(articles.len(), 2);
    assert!(
        lossy
            .take_diagnostics()
            .iter()
            .any(|d| d.line == 31 && d.level == Level::Warning)
    );
}

#[test]
fn duplicate_slugs_are_parsed_and_left_to_the_build() {
    let (articles, _) = parse(&messy("duplicate-slug.txt"));
    assert_eq!(articles.len(), 3);
    assert_eq!(articles[0].key, articles[2].key);
}

#[test]
fn memory_is_bounded_by_the_excerpt_not_the_input() {
    // 200,000 lines that never reach a boundary: the parser drops the first
    // 20,000 with a warning and skips the rest without holding them.
    struct Endless(usize);
    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Ok(0);
            }
            self.0 -= 1;
            let line = b"A line of text that goes on.\n";
            buf[..line.len()].copy_from_slice(line);
            Ok(line.len())
        }
    }
    let mut parser = Parser::new(std::io::BufReader::new(Endless(200_000)), Encoding::Strict);
    assert_eq!(parser.by_ref().count(), 0);
    let warnings = parser.take_diagnostics();
    let skipped = warnings
        .iter()
        .filter(|d| d.message.contains("excerpt skipped"))
        .count();
    assert_eq!(skipped, 1, "{warnings:?}");
}

#[test]
// A line of many megabytes is skipped without being held, and its excerpt
// is dropped with a warning naming the line; the next article is kept.
fn a_huge_line_is_skipped_not_read_whole() {
    use readmore::parse::MAX_LINE_BYTES;
    use std::io::{BufReader, Read, repeat};
    let huge = 64 * MAX_LINE_BYTES as u64;
    let input = b"Author name: Jane Doe\n\nbig\n\nBig\n\nFirst paragraph.\n\n"
        .chain(repeat(b'x').take(huge))
        .chain(&b"\n\nLast paragraph.\n\nBig Read More \xC2\xBB\n\nnext\n\nNext\n\nText.\n\nNext Read More \xC2\xBB\n"[..]);
    // A small buffer: the line passes through it in thousands of reads.
    let mut parser = Parser::new(BufReader::with_capacity(8192, input), Encoding::Strict);
    let titles: Vec<String> = parser.by_ref().map(|a| a.unwrap().title).collect();
    assert_eq!(titles, ["Next"]);
    let diagnostics = parser.take_diagnostics();
    assert!(
        diagnostics.iter().any(|d| d.line == 9
            && d.level == Level::Warning
            && d.message.contains("line over the 1048576 byte limit")),
        "{diagnostics:?}"
    );
}

#[test]
// A huge line that is the last of the input, with no newline, ends the input cleanly.
fn a_huge_last_line_without_newline_is_skipped() {
    use readmore::parse::MAX_LINE_BYTES;
    use std::io::{BufReader, Read, repeat};
    let input = &b"a\n\nA\n\nText.\n\nA Read More \xC2\xBB\n\n"[..];
    let input = input.chain(repeat(b'\xff').take(2 * MAX_LINE_BYTES as u64));
    let mut parser = Parser::new(BufReader::new(input), Encoding::Strict);
    let titles: Vec<String> = parser.by_ref().map(|a| a.unwrap().title).collect();
    assert_eq!(titles, ["A"]);
    let diagnostics = parser.take_diagnostics();
    assert!(
        diagnostics
            .iter()
            .any(|d| d.line == 9 && d.message.ends_with("; skipped")),
        "{diagnostics:?}"
    );
}

#[test]
// Lines each under the line limit still cannot add up past the excerpt's byte limit.
fn an_excerpt_over_the_byte_limit_is_dropped() {
    use readmore::parse::{MAX_EXCERPT_BYTES, MAX_LINE_BYTES};
    use std::io::{BufReader, Read, repeat};
    let mut input: Box<dyn Read> = Box::new(&b"big\n\nBig\n\n"[..]);
    for _ in 0..=MAX_EXCERPT_BYTES / MAX_LINE_BYTES {
        let line = repeat(b'x').take(MAX_LINE_BYTES as u64 - 1);
        input = Box::new(input.chain(line).chain(&b"\n\n"[..]));
    }
    let tail = &b"Big Read More \xC2\xBB\n\nnext\n\nNext\n\nText.\n\nNext Read More \xC2\xBB\n"[..];
    let mut parser = Parser::new(BufReader::new(input.chain(tail)), Encoding::Strict);
    let titles: Vec<String> = parser.by_ref().map(|a| a.unwrap().title).collect();
    assert_eq!(titles, ["Next"]);
    let diagnostics = parser.take_diagnostics();
    assert!(
        diagnostics
            .iter()
            .any(|d| d.line == 1 && d.message.contains("excerpt skipped")),
        "{diagnostics:?}"
    );
}
