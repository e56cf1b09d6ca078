//! Finding the classifier's terms in a text: whole words, plurals, stems
//! and phrases, by looking up the text's words in hash tables.
//!
//! A term is a whole word (plural "s" or "es" allowed), a stem that starts
//! a word (`vaccin*`), or a phrase whose first and last words are whole
//! ("supreme court", "gpt-4"); a word is a run of alphanumeric characters.
//! So a term that starts with a letter or digit can only start where a word
//! of the text starts, and the text's words are the only places to look:
//! each word is looked up as it is, without its "s" or "es" (whole-word
//! terms), and by its first bytes (stems); a phrase is found by its first
//! word and then compared with the text that follows. Terms that match
//! inside words (Chinese and Japanese ones, whose languages do not space
//! words) or start with punctuation are looked up by their first character
//! wherever a byte that starts one of them occurs.
//!
//! Every candidate is checked by the same rule ([`Term::matches_at`]), so
//! the result is what scanning for every occurrence of every term and
//! keeping those at word boundaries gives, only faster: the text's words
//! are read once, not its bytes against an automaton of every term.
//! Which terms there are, and what they weigh, is [`super`]'s business.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::text::swar;

/// One term of a section.
#[derive(Debug)]
pub struct Term {
    pub section: usize,
    pub text: Arc<str>,
    pub weight: f64,
    /// A stem: any word starting with `text` matches.
    pub prefix: bool,
}

impl Term {
    /// True when the term occurs in `text` at byte `start`, at word
    /// boundaries: it starts a word (or starts with Chinese or Japanese
    /// script) and ends one, a plural "s" or "es" allowed (or is a stem,
    /// or ends with such script).
    fn matches_at(&self, text: &str, start: usize) -> bool {
        let term = &*self.text;
        text[start..].starts_with(term)
            && (term.starts_with(is_cjk) || starts_word(text, start))
            && (self.prefix || term.ends_with(is_cjk) || ends_word(text, start + term.len()))
    }
}

/// The terms of one field kind, indexed for lookup by word.
pub struct Matcher {
    terms: Vec<Term>,
    /// Whole-word terms and phrases, by their (first) word.
    by_word: FxHashMap<Box<[u8]>, Keyed>,
    word_filter: KeyFilter,
    /// Stems, and words ending in Chinese or Japanese script (which match
    /// at the start of a longer word), by their first `stem_key` bytes.
    stems: FxHashMap<Box<[u8]>, Vec<u32>>,
    stem_filter: KeyFilter,
    stem_key: usize,
    /// Every word-keyed term has a capital letter in its key, so a word
    /// without one needs no lookup.
    keys_have_capitals: bool,
    /// Terms that may start inside a word or with punctuation.
    anywhere: Option<Anywhere>,
}

#[derive(Default)]
struct Keyed {
    /// Single-word terms equal to the key.
    words: Vec<u32>,
    /// Longer terms whose first word is the key.
    phrases: Vec<u32>,
}

struct Anywhere {
    /// Index into [`Matcher::terms`] of each term, by its first character.
    by_first: FxHashMap<char, Vec<u32>>,
    /// Bytes a term of this set starts with.
    first_bytes: [bool; 256],
}

impl Matcher {
    pub fn new(terms: Vec<Term>) -> Self {
        let mut by_word: FxHashMap<Box<[u8]>, Keyed> = FxHashMap::default();
        let mut stem_terms = Vec::new();
        let mut anywhere = Vec::new();
        for (i, term) in terms.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 2^32 terms");
            let text = &*term.text;
            let first = first_word(text);
            if first.is_empty() || text.starts_with(is_cjk) {
                anywhere.push(i);
            } else if first.len() < text.len() {
                by_word
                    .entry(first.as_bytes().into())
                    .or_default()
                    .phrases
                    .push(i);
            } else if term.prefix || text.ends_with(is_cjk) {
                stem_terms.push(i);
            } else {
                by_word
                    .entry(first.as_bytes().into())
                    .or_default()
                    .words
                    .push(i);
            }
        }
        let stem_key = stem_terms
            .iter()
            .map(|&i| terms[i as usize].text.len())
            .min()
            .unwrap_or(0);
        let mut stems: FxHashMap<Box<[u8]>, Vec<u32>> = FxHashMap::default();
        for &i in &stem_terms {
            let key = &terms[i as usize].text.as_bytes()[..stem_key];
            stems.entry(key.into()).or_default().push(i);
        }
        let keys_have_capitals = by_word
            .keys()
            .all(|k| String::from_utf8_lossy(k).chars().any(char::is_uppercase))
            && stem_terms
                .iter()
                .all(|&i| terms[i as usize].text.chars().any(char::is_uppercase));
        let anywhere = Anywhere::new(&terms, anywhere);
        Self {
            terms,
            word_filter: KeyFilter::new(by_word.keys()),
            by_word,
            stem_filter: KeyFilter::new(stems.keys()),
            stems,
            stem_key,
            keys_have_capitals,
            anywhere,
        }
    }

    /// How often each term occurs in `text` as a whole word (or word start,
    /// for stems), plurals included; in term order, so results are stable.
    pub fn counts(&self, text: &str) -> Vec<(&Term, usize)> {
        let mut found: Vec<u32> = Vec::new();
        let look_up = |start, end| {
            self.candidates(text.as_bytes(), start, end, |i| {
                if self.terms[i as usize].matches_at(text, start) {
                    found.push(i);
                }
            })
        };
        if self.keys_have_capitals {
            for_each_capitalised_word(text, look_up);
        } else {
            for_each_word(text, look_up);
        }
        if let Some(anywhere) = &self.anywhere {
            anywhere.find(&self.terms, text, &mut found);
        }
        found.sort_unstable();
        found
            .chunk_by(|a, b| a == b)
            .map(|run| (&self.terms[run[0] as usize], run.len()))
            .collect()
    }

    /// Calls `found` with each term that could occur at the word of
    /// `text[start..end]`: each at most once, and every one that does.
    fn candidates(&self, text: &[u8], start: usize, end: usize, mut found: impl FnMut(u32)) {
        let word = &text[start..end];
        let lookup = |key: &[u8]| {
            self.word_filter
                .may_hold(key)
                .then(|| self.by_word.get(key))
                .flatten()
        };
        if let Some(keyed) = lookup(word) {
            keyed
                .words
                .iter()
                .chain(&keyed.phrases)
                .for_each(|&i| found(i));
        }
        for plural in [&b"s"[..], b"es"] {
            if let Some(singular) = word.strip_suffix(plural)
                && let Some(keyed) = lookup(singular)
            {
                keyed.words.iter().for_each(|&i| found(i));
            }
        }
        if self.stem_key > 0
            && let Some(key) = word.get(..self.stem_key)
            && self.stem_filter.may_hold(key)
            && let Some(stems) = self.stems.get(key)
        {
            for &i in stems {
                if word.starts_with(self.terms[i as usize].text.as_bytes()) {
                    found(i);
                }
            }
        }
    }
}

/// A set of 2^16 bits, one set for each key by its length, first two
/// bytes and last byte: most words of a text are no key, and the filter
/// says so for most of them without hashing the word.
struct KeyFilter(Box<[u64; 1024]>);

impl KeyFilter {
    fn new<'a>(keys: impl Iterator<Item = &'a Box<[u8]>>) -> Self {
        let mut bits = Box::new([0; 1024]);
        for key in keys {
            let slot = Self::slot(key);
            bits[slot / 64] |= 1 << (slot % 64);
        }
        Self(bits)
    }

    /// False when `key` is certainly not one of the keys.
    fn may_hold(&self, key: &[u8]) -> bool {
        let slot = Self::slot(key);
        self.0[slot / 64] & (1 << (slot % 64)) != 0
    }

    fn slot(key: &[u8]) -> usize {
        let (Some(&first), Some(&last)) = (key.first(), key.last()) else {
            return 0;
        };
        let second = key.get(1).copied().unwrap_or(first);
        let packed = u32::from(first)
            | u32::from(second) << 8
            | u32::from(last) << 16
            | (key.len() as u32) << 24;
        (packed.wrapping_mul(0x9E37_79B1) >> 16) as usize
    }
}

impl Anywhere {
    fn new(terms: &[Term], ids: Vec<u32>) -> Option<Self> {
        if ids.is_empty() {
            return None;
        }
        let mut by_first: FxHashMap<char, Vec<u32>> = FxHashMap::default();
        let mut first_bytes = [false; 256];
        for i in ids {
            let text = &*terms[i as usize].text;
            let first = text.chars().next().expect("terms are not empty");
            by_first.entry(first).or_default().push(i);
            first_bytes[usize::from(text.as_bytes()[0])] = true;
        }
        Some(Self {
            by_first,
            first_bytes,
        })
    }

    /// Every occurrence of these terms in `text` at word boundaries: the
    /// terms starting with each character that starts one of them.
    fn find(&self, terms: &[Term], text: &str, found: &mut Vec<u32>) {
        let bytes = text.as_bytes();
        let skip_ascii = !self.first_bytes[..0x80].contains(&true);
        let mut i = 0;
        while i < bytes.len() {
            if skip_ascii && let Some(chunk) = bytes.get(i..i + 8) {
                let chunk = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
                if chunk & 0x8080_8080_8080_8080 == 0 {
                    i += 8;
                    continue;
                }
            }
            // A first byte is never a UTF-8 continuation byte, so `i` is a
            // character boundary wherever one is found.
            if self.first_bytes[usize::from(bytes[i])] {
                let first = text[i..].chars().next().expect("a character boundary");
                for &t in self.by_first.get(&first).into_iter().flatten() {
                    if terms[t as usize].matches_at(text, i) {
                        found.push(t);
                    }
                }
            }
            i += 1;
        }
    }
}

/// The leading run of alphanumeric characters of `text`.
fn first_word(text: &str) -> &str {
    let end = text
        .char_indices()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// ASCII bytes' classes for [`for_each_word`].
const ALNUM: u8 = 1;
const CAPITAL: u8 = 2;
static ASCII_CLASS: [u8; 128] = {
    let mut table = [0; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_uppercase() {
            ALNUM | CAPITAL
        } else if c.is_ascii_alphanumeric() {
            ALNUM
        } else {
            0
        };
        b += 1;
    }
    table
};

/// The class of the character at byte `i` of `text`, and its length.
fn class_at(text: &str, i: usize) -> (u8, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        return (ASCII_CLASS[usize::from(b)], 1);
    }
    let c = text[i..].chars().next().expect("i is a char boundary");
    let class = if c.is_uppercase() {
        ALNUM | CAPITAL
    } else if c.is_alphanumeric() {
        ALNUM
    } else {
        0
    };
    (class, c.len_utf8())
}

/// Calls `word(start, end)` for each maximal run of alphanumeric
/// characters of `text`, in order.
fn for_each_word(text: &str, mut word: impl FnMut(usize, usize)) {
    let mut i = 0;
    while i < text.len() {
        let (class, len) = class_at(text, i);
        if class & ALNUM == 0 {
            i += len;
            continue;
        }
        let start = i;
        i = word_end(text, i + len);
        word(start, i);
    }
}

/// Calls `word(start, end)` for each word of `text` (as in
/// [`for_each_word`]) that holds a capital letter, in order. Runs of ASCII
/// without one are skipped eight bytes at a time.
fn for_each_capitalised_word(text: &str, mut word: impl FnMut(usize, usize)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            if x & swar::HIGH == 0 && swar::at_least(x, b'A') & !swar::at_least(x, b'Z' + 1) == 0 {
                i += 8;
                continue;
            }
        }
        let (class, len) = class_at(text, i);
        if class & CAPITAL == 0 {
            i += len;
            continue;
        }
        let start = text[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric())
            .last()
            .map_or(i, |(j, _)| j);
        i = word_end(text, i + len);
        word(start, i);
    }
}

/// The end of the run of alphanumeric characters going on at `i`.
fn word_end(text: &str, mut i: usize) -> usize {
    while i < text.len() {
        let (class, len) = class_at(text, i);
        if class & ALNUM == 0 {
            break;
        }
        i += len;
    }
    i
}

/// Han, kana and Hangul syllables: scripts written without spaces between
/// words (Hangul is spaced, but its terms are stems that take endings).
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' // hiragana, katakana
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
    )
}

fn starts_word(text: &str, at: usize) -> bool {
    !text[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

/// The match ends a word, allowing a plural "s" or "es".
fn ends_word(text: &str, at: usize) -> bool {
    let rest = &text[at..];
    let rest = rest
        .strip_prefix("es")
        .filter(|r| starts_word_boundary(r))
        .or_else(|| rest.strip_prefix('s'))
        .unwrap_or(rest);
    starts_word_boundary(rest)
}

fn starts_word_boundary(rest: &str) -> bool {
    !rest.chars().next().is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use aho_corasick::AhoCorasick;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    /// A matcher and an automaton of all its terms.
    struct Both {
        matcher: Matcher,
        automaton: AhoCorasick,
    }

    /// The built-in sections' terms: lowercase ones and capitalised ones.
    static BUILTIN: LazyLock<(Both, Both)> = LazyLock::new(|| {
        let rules = Config::default().sections();
        let (exact, folded): (Vec<Term>, Vec<Term>) =
            super::super::terms(&rules).partition(|t| t.text.chars().any(char::is_uppercase));
        let both = |terms: Vec<Term>| {
            let automaton = AhoCorasick::new(terms.iter().map(|t| &*t.text)).expect("builds");
            Both {
                matcher: Matcher::new(terms),
                automaton,
            }
        };
        (both(folded), both(exact))
    });

    fn builtin() -> (&'static Matcher, &'static Matcher) {
        (&BUILTIN.0.matcher, &BUILTIN.1.matcher)
    }

    /// The definition the lookups must agree with: every occurrence of
    /// every term, by one automaton of all of them, kept where
    /// [`Term::matches_at`] holds.
    fn counts_by_scanning(both: &Both, text: &str) -> Vec<(usize, usize)> {
        let matcher = &both.matcher;
        let mut found: Vec<usize> = both
            .automaton
            .find_overlapping_iter(text)
            .filter(|m| matcher.terms[m.pattern().as_usize()].matches_at(text, m.start()))
            .map(|m| m.pattern().as_usize())
            .collect();
        found.sort_unstable();
        found
            .chunk_by(|a, b| a == b)
            .map(|r| (r[0], r.len()))
            .collect()
    }

    fn counts_by_lookup(matcher: &Matcher, text: &str) -> Vec<(usize, usize)> {
        let base = matcher.terms.as_ptr();
        let index = |t: &Term| (t as *const Term as usize - base as usize) / size_of::<Term>();
        matcher
            .counts(text)
            .into_iter()
            .map(|(t, n)| (index(t), n))
            .collect()
    }

    /// Texts made of term words, their plurals and stems run on, glued by
    /// spaces, punctuation, letters, digits and Chinese or Cyrillic script.
    fn texts() -> impl Strategy<Value = String> {
        const WORDS: &[&str] = &[
            "court",
            "supreme",
            "COURT",
            "Court",
            "vaccin",
            "ation",
            "es",
            "s",
            "e",
            "gpt",
            "4",
            "5",
            "covid",
            "19",
            "ICE",
            "ice",
            "NASA",
            "A",
            "I",
            "disney",
            "rocket",
            "ракет",
            "火箭",
            "发射",
            "人工知能",
            "ИИ",
            "nasa",
            "fine",
            "tun",
            "ing",
            "end",
            "to",
            "encrypt",
            "johnson",
            "at",
            "t",
            "x",
            "é",
            "ß",
        ];
        const GLUE: &[&str] = &[" ", "", "-", ".", "+", "&", "'", "\n", ", ", "’", "\u{a0}"];
        let piece = (prop::sample::select(WORDS), prop::sample::select(GLUE))
            .prop_map(|(w, g)| format!("{w}{g}"));
        prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        // Guards the word lookups: they find what scanning for every
        // term at every position finds, as often.
        #[test]
        fn lookups_agree_with_scanning(text in texts()) {
            for both in [&BUILTIN.0, &BUILTIN.1] {
                prop_assert_eq!(counts_by_lookup(&both.matcher, &text), counts_by_scanning(both, &text));
            }
        }
    }

    // Plurals, stems, phrases and script without spaces, each found.
    #[test]
    fn finds_words_plurals_stems_and_phrases() {
        let (folded, exact) = builtin();
        let text = "the supreme courts ruled on vaccination of 火箭发射 and gpt-4s at the ice";
        let found: Vec<&str> = folded.counts(text).iter().map(|(t, _)| &*t.text).collect();
        for term in ["supreme court", "court", "vaccin", "火箭", "gpt-4"] {
            assert!(found.contains(&term), "{term}: {found:?}");
        }
        assert!(exact.counts(text).is_empty());
        assert_eq!(exact.counts("ICE agents and ICEs").len(), 1);
    }
}
