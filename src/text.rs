//! Text normalisation shared by the parser, the classifier and the writers.
//!
//! Dumps arrive with Unicode spaces, curly quotes, dashes of every width and
//! the odd control character. These helpers fold all of that into one
//! canonical form so that comparisons (title against boundary, slug against
//! title) and output (XML 1.0) never trip over invisible differences.

/// Collapses every run of whitespace (ASCII or Unicode, NBSP included) to a
/// single space, drops zero-width characters and characters XML 1.0 forbids,
/// repairs C1 controls (text decoded as Latin-1 that was Windows-1252), and
/// trims both ends.
pub fn clean_line(line: &str) -> String {
    if clean_ascii(line).is_some() {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    for_each_clean(line, |piece| match piece {
        Piece::Words(words) => out.push_str(words),
        Piece::Char(c) => out.push(c),
    });
    out
}

/// `Some` when [`clean_line`] has nothing to do: printable ASCII, no space
/// at either end, no two spaces in a row (most lines of most inputs); then
/// whether the text holds a backtick, which [`fold`] maps. Reads eight
/// bytes at a time.
fn clean_ascii(text: &str) -> Option<Backtick> {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return None;
    }
    let (mut flaws, mut ticks, mut space_before) = (0, 0, 0);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        if x & swar::HIGH != 0 {
            return None;
        }
        let spaces = swar::eq(x, b' ');
        flaws |= !swar::at_least(x, b' ') & swar::HIGH;
        flaws |= spaces & (spaces << 8 | space_before);
        ticks |= swar::eq(x, b'`');
        space_before = spaces >> 56;
    }
    let mut space_before = space_before != 0;
    for &b in chunks.remainder() {
        if !(b' '..=0x7F).contains(&b) || (b == b' ' && space_before) {
            return None;
        }
        ticks |= u64::from(b == b'`');
        space_before = b == b' ';
    }
    (flaws == 0).then_some(Backtick(ticks != 0))
}

/// Whether a clean ASCII text holds a backtick.
struct Backtick(bool);

/// Tests on eight ASCII bytes at once, packed little-endian in a `u64`
/// (SWAR): each gives a mask with the high bit of each byte that passes.
pub(crate) mod swar {
    /// The high bit of every byte.
    pub const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;

    const fn splat(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }

    /// Bytes equal to `b`; every byte of `x` below 0x80.
    pub fn eq(x: u64, b: u8) -> u64 {
        let t = x ^ splat(b);
        !(((t & LOW) + LOW) | t) & HIGH
    }

    /// Bytes at least `b` (at most 0x80); every byte of `x` below 0x80.
    pub fn at_least(x: u64, b: u8) -> u64 {
        (x + splat(0x80 - b)) & HIGH
    }
}

/// A piece of [`clean_line`]'s result.
enum Piece<'a> {
    /// Printable ASCII words, single spaces between them, as written.
    Words(&'a str),
    /// Any other character, a space between pieces included.
    Char(char),
}

/// Calls `emit` with the pieces of [`clean_line`]'s result, in order,
/// without building it. Runs of plain ASCII words come whole, so that
/// their bytes are copied and lowercased in bulk; everything else comes
/// one character at a time.
fn for_each_clean(line: &str, mut emit: impl FnMut(Piece)) {
    // A word byte: printable ASCII but the space, and the backtick, which
    // `fold` maps.
    let word = |b: u8| b > b' ' && b < 0x80 && b != b'`';
    let bytes = line.as_bytes();
    let (mut i, mut started, mut pending_space) = (0, false, false);
    while i < bytes.len() {
        if word(bytes[i]) {
            let start = i;
            i += 1;
            loop {
                if bytes.get(i).copied().is_some_and(word) {
                    i += 1;
                } else if bytes.get(i) == Some(&b' ') && bytes.get(i + 1).copied().is_some_and(word)
                {
                    i += 2;
                } else {
                    break;
                }
            }
            if std::mem::take(&mut pending_space) {
                emit(Piece::Char(' '));
            }
            started = true;
            emit(Piece::Words(&line[start..i]));
            continue;
        }
        let c = line[i..].chars().next().expect("i is a char boundary");
        i += c.len_utf8();
        let Some(c) = repair_c1(c) else { continue };
        if c.is_whitespace() {
            pending_space = started;
        } else if is_invisible(c) || !is_xml_char(c) {
            continue;
        } else {
            if std::mem::take(&mut pending_space) {
                emit(Piece::Char(' '));
            }
            started = true;
            emit(Piece::Char(c));
        }
    }
}

/// Removes characters that XML 1.0 does not allow anywhere in a document.
pub fn xml_safe(text: &str) -> String {
    text.chars().filter(|&c| is_xml_char(c)).collect()
}

/// Windows-1252's characters for the C1 control range, where dumps that
/// went through a Latin-1 decoder carry them; `None` for the five holes.
fn repair_c1(c: char) -> Option<char> {
    const CP1252: [Option<char>; 32] = [
        Some('€'),
        None,
        Some('‚'),
        Some('ƒ'),
        Some('„'),
        Some('…'),
        Some('†'),
        Some('‡'),
        Some('ˆ'),
        Some('‰'),
        Some('Š'),
        Some('‹'),
        Some('Œ'),
        None,
        Some('Ž'),
        None,
        None,
        Some('‘'),
        Some('’'),
        Some('“'),
        Some('”'),
        Some('•'),
        Some('–'),
        Some('—'),
        Some('˜'),
        Some('™'),
        Some('š'),
        Some('›'),
        Some('œ'),
        None,
        Some('ž'),
        Some('Ÿ'),
    ];
    match c {
        '\u{80}'..='\u{9F}' => CP1252[c as usize - 0x80],
        c => Some(c),
    }
}

/// True for the characters of the XML 1.0 `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Zero-width and format characters that carry no text (the BOM among
/// them), and the bidi embeddings, overrides and isolates, with which a
/// title could display reversed (`U+202E`) or spoof its neighbours. The
/// joiners (`U+200C`, `U+200D`) are text: they hold emoji sequences such
/// as 👩‍🚀 together and shape Persian and Indic script, so they stay.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{00AD}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Folds typographic variants to one form for comparisons: quotes become
/// straight, dashes become '-', letters lowercase, whitespace single.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_append(text, &mut out);
    out
}

/// Appends [`fold`] of `text` to `out`, after a space when both are
/// non-empty: folding several texts into one buffer this way gives what
/// folding them joined by newlines would, without the joined copy.
pub fn fold_into(text: &str, out: &mut String) {
    let before = out.len();
    if before > 0 {
        out.push(' ');
    }
    let start = out.len();
    fold_append(text, out);
    if out.len() == start {
        out.truncate(before);
    }
}

fn fold_append(text: &str, out: &mut String) {
    if let Some(Backtick(false)) = clean_ascii(text) {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
        return;
    }
    for_each_clean(text, |piece| match piece {
        Piece::Words(words) => {
            let start = out.len();
            out.push_str(words);
            out[start..].make_ascii_lowercase();
        }
        Piece::Char(c) => match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => {
                out.push('\'')
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
            | '\u{00BB}' => out.push('"'),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            c => out.extend(c.to_lowercase()),
        },
    });
}

/// The canonical form of a slug or title: lowercase alphanumeric words joined
/// by '-'. Punctuation disappears without splitting a word, so "robots.txt"
/// and "robotstxt" agree, and a title and the slug made from it always agree.
/// This is what article identity is built on.
pub fn slug_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace() || c == '-' || c == '_') {
        let start = key.len();
        if start > 0 {
            key.push('-');
        }
        key.extend(
            word.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase),
        );
        if key.len() == start + usize::from(start > 0) {
            key.truncate(start);
        }
    }
    key
}

/// Shortens `text` to at most `max` characters at a word boundary, adding an
/// ellipsis when anything was cut.
pub fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let head = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!(
        "{}…",
        head.trim_end_matches(|c: char| c.is_whitespace() || c == ',' || c == ';')
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `clean_line` as first written, one character at a time: the
    /// definition the fast paths must agree with.
    fn clean_line_reference(line: &str) -> String {
        let mut out = String::new();
        let mut pending_space = false;
        for c in line.chars() {
            let Some(c) = repair_c1(c) else { continue };
            if c.is_whitespace() {
                pending_space = !out.is_empty();
            } else if is_invisible(c) || !is_xml_char(c) {
                continue;
            } else {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(c);
            }
        }
        out
    }

    /// `fold` as first written, over the reference `clean_line`.
    fn fold_reference(text: &str) -> String {
        let mut out = String::new();
        for c in clean_line_reference(text).chars() {
            match c {
                '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`'
                | '\u{00B4}' => out.push('\''),
                '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
                | '\u{00BB}' => out.push('"'),
                '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
                '\u{2026}' => out.push_str("..."),
                c => out.extend(c.to_lowercase()),
            }
        }
        out
    }

    /// Text of the kinds the fast paths tell apart: plain ASCII words,
    /// runs of spaces and controls, C1 controls, Unicode spaces, invisible
    /// characters, quotes, dashes and letters whose lowercase is longer.
    fn mixed_text() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            "[A-Za-z0-9`.,!?'\"-]{1,8}",
            "[ \t\n\r\u{b}\u{c}]{1,3}",
            "[\u{0}-\u{1f}\u{7f}-\u{a0}]",
            "[\u{2000}-\u{206f}\u{feff}\u{fffe}\u{ad}\u{ab}\u{bb}\u{b4}]",
            "[İẞΣÉÅ한字\u{1f469}]",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(pieces, 0..12).prop_map(|p| p.concat())
    }

    proptest! {
        // Guards the ASCII fast paths: they give what the plain
        // character-by-character definitions give, on any text.
        #[test]
        fn fast_paths_agree_with_the_definitions(text in mixed_text(), other in mixed_text()) {
            prop_assert_eq!(clean_line(&text), clean_line_reference(&text));
            prop_assert_eq!(fold(&text), fold_reference(&text));
            let mut buf = fold(&other);
            fold_into(&text, &mut buf);
            prop_assert_eq!(buf, fold_reference(&format!("{other}\n{text}")));
        }
    }

    #[test]
    fn clean_line_folds_unicode_spaces_and_drops_controls() {
        assert_eq!(
            clean_line("\u{FEFF} Kim\u{A0}\u{A0}said\u{2009}so \u{1}\t"),
            "Kim said so"
        );
        assert_eq!(clean_line("a\u{FFFE}b\u{1}c"), "abc");
        assert_eq!(clean_line("it\u{92}s \u{93}x\u{94}\u{81}"), "it’s “x”");
    }

    #[test]
    fn fold_unifies_quotes_and_dashes() {
        assert_eq!(fold("It’s “pain”—really"), fold("it's \"pain\"-really"));
    }

    #[test]
    fn slug_key_agrees_between_title_and_slug() {
        let pairs = [
            (
                "f1:-preseason-tests-show-how-different-2026-will-be",
                "F1: Preseason tests show how different 2026 will be",
            ),
            (
                "google-announces-gemini-3.1-pro,-says-it’s-better",
                "Google announces Gemini 3.1 Pro, says it’s better",
            ),
            (
                "record-scratch—google’s-lyria-3",
                "Record scratch—Google’s Lyria 3",
            ),
            ("robotstxt-is-dead", "Robots.txt is dead"),
            ("“true-hue”-–-colour", "“True Hue” – colour"),
        ];
        for (slug, title) in pairs {
            assert_eq!(slug_key(slug), slug_key(title), "{slug}");
        }
        assert_eq!(slug_key("F1: a — b"), "f1-a-b");
        assert_eq!(slug_key("../../etc/passwd"), "etcpasswd");
    }

    /// Guards joiners: an emoji sequence is not split in two.
    #[test]
    fn clean_line_keeps_joiners_and_variation_selectors() {
        let astronaut = "\u{1F469}\u{200D}\u{1F680}";
        assert_eq!(
            clean_line(&format!("{astronaut} went up")),
            format!("{astronaut} went up")
        );
        assert_eq!(
            clean_line("\u{2764}\u{FE0F} x\u{200B}y"),
            "\u{2764}\u{FE0F} xy"
        );
        assert_eq!(
            clean_line("\u{645}\u{200C}\u{647}"),
            "\u{645}\u{200C}\u{647}"
        );
    }

    #[test]
    fn xml_safe_keeps_tabs_and_newlines() {
        assert_eq!(xml_safe("a\u{0}\tb\n\u{1F}c\u{FFFF}"), "a\tb\nc");
    }

    #[test]
    fn truncate_words_cuts_at_a_space() {
        assert_eq!(truncate_words("one two three four", 12), "one two…");
        assert_eq!(truncate_words("short", 12), "short");
    }
}
