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
    let mut out = String::with_capacity(line.len());
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
    for c in clean_line(text).chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => {
                out.push('\'')
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
            | '\u{00BB}' => out.push('"'),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
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
