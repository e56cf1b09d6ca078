//! Sorting articles into sections by weighted terms and the publisher's
//! own categories.
//!
//! Each section has terms (words, phrases, `prefix*` stems; case-sensitive
//! when written with capitals; terms in Chinese or Japanese script match
//! inside words, since those languages do not space them), beats (phrases
//! matched in the author's bio, such as "senior space editor") and aliases
//! (category names that mean the section, such as "Wissenschaft").
//!
//! An article's score for a section is the sum of its evidence. The
//! publisher's categories weigh most: one that equals an alias (or the
//! section's id or title) gives [`ALIAS`] points, and any other category is
//! read for terms at [`CATEGORY`] times their weight. Then a term in the
//! title counts [`TITLE`] times, in the dek [`DEK`] times, and in the body
//! grows with the logarithm of its count so that long articles do not win
//! by length.
//!
//! A section declared `within` a broader one (security within tech)
//! adds that section's score to its own when its own evidence reaches the
//! threshold and some of it lies outside the body, so that a product's name
//! does not outvote what the headline says happened to the product.
//!
//! The best score wins if it reaches the threshold; otherwise the article
//! goes to the fallback section. The threshold is `min_score` for texts of
//! [`FULL_LENGTH`] words or more and shrinks with the square root of the
//! length down to half of it, so a headline with a twenty-word summary
//! needs less evidence than an 800-word excerpt, which meets many terms by
//! chance. Ties go to the section listed first. Where the sections come
//! from is [`crate::config`]'s business.
//!
//! Each field is folded ([`crate::text::fold`]) once, the body block by
//! block into one buffer; its words are looked up among the lowercase
//! terms, and the words of the field as written among the capitalised ones
//! (the `terms` submodule finds them). Articles are independent:
//! [`Classifier::classify_all`] spreads them over the cores.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use rayon::prelude::*;

use crate::article::{Article, Block};
use crate::config::{Config, SectionRules, digest};
use crate::text::{fold, fold_into, swar};
use terms::{Matcher, Term, is_cjk};

mod terms;

/// Multiplier of a term found in the title.
pub const TITLE: f64 = 3.0;
/// Multiplier of a term found in the dek.
pub const DEK: f64 = 2.0;
/// Points of a beat named in the author's bio.
pub const BEAT: f64 = 12.0;
/// Points of a publisher's category that is one of a section's aliases.
pub const ALIAS: f64 = 12.0;
/// Multiplier of a term found in a publisher's category.
pub const CATEGORY: f64 = 4.0;
/// Words from which an article needs the full `min_score`.
pub const FULL_LENGTH: f64 = 300.0;

/// A section an article can land in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Dek,
    Body,
    Bio,
    Category,
    /// The score of the broader section this one is within.
    Within,
}

/// A set of automata over the sections' terms; built once per run.
pub struct Classifier {
    sections: Vec<Section>,
    fallback: usize,
    min_score: f64,
    /// Lowercase terms, matched against folded text.
    folded: Matcher,
    /// Terms with capitals, matched against the text as written.
    exact: Matcher,
    /// Beats, matched against the folded bio.
    beats: Matcher,
    /// Section of each alias, id and title, by [`category_key`].
    aliases: HashMap<String, usize>,
    /// Each section's broader section (`within`), if it names a known one.
    within: Vec<Option<usize>>,
    /// Digest of the rules and settings this classifier was built from.
    digest: String,
}

/// Why an article went where it went.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Index into [`Classifier::sections`].
    pub section: usize,
    /// Score per section, same order.
    pub scores: Vec<f64>,
    /// The score the best section had to reach.
    pub threshold: f64,
    hits: Vec<Hit>,
}

#[derive(Debug, Clone)]
struct Hit {
    section: usize,
    term: Arc<str>,
    field: Field,
    points: f64,
}

impl Classifier {
    pub fn new(config: &Config) -> Self {
        let rules = config.sections();
        let classify = &config.classify;
        let mut sections: Vec<Section> = rules
            .iter()
            .map(|r| Section {
                id: r.id.clone(),
                title: match &r.title {
                    Some(title) => title.clone(),
                    None if r.id == classify.fallback => classify.fallback_title.clone(),
                    None => titlecase(&r.id),
                },
            })
            .collect();
        let fallback = match sections
            .iter()
            .position(|s| s.id == config.classify.fallback)
        {
            Some(i) => i,
            None => {
                let title = config.classify.fallback_title.clone();
                sections.push(Section {
                    id: config.classify.fallback.clone(),
                    title,
                });
                sections.len() - 1
            }
        };
        let (exact, folded): (Vec<Term>, Vec<Term>) =
            terms(&rules).partition(|t| t.text.chars().any(char::is_uppercase));
        let beats = rules.iter().enumerate().flat_map(|(section, r)| {
            r.beats.iter().map(move |b| Term {
                section,
                text: fold(b).into(),
                weight: BEAT,
                prefix: false,
            })
        });
        let aliases = aliases(&rules, &sections[..rules.len()]);
        let within = (0..sections.len())
            .map(|i| {
                let parent = rules.get(i)?.within.as_deref()?;
                sections
                    .iter()
                    .position(|s| s.id == parent && s.id != sections[i].id)
            })
            .collect();
        Self {
            within,
            digest: digest(&(&rules, &config.classify)),
            aliases,
            sections,
            fallback,
            min_score: config.classify.min_score,
            folded: Matcher::new(folded),
            exact: Matcher::new(exact),
            beats: Matcher::new(beats.collect()),
        }
    }

    /// A digest of everything that decides which section an article is in.
    pub fn rules_digest(&self) -> &str {
        &self.digest
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The section with this id; one named after the id if the rules no
    /// longer have it.
    pub fn section(&self, id: &str) -> Section {
        let known = self.sections.iter().find(|s| s.id == id).cloned();
        known.unwrap_or_else(|| Section {
            id: id.to_string(),
            title: titlecase(id),
        })
    }

    /// The verdict on the article of each item, in the items' order. The
    /// articles are classified on every core of rayon's pool (one with
    /// `RAYON_NUM_THREADS=1`); the result does not depend on how many.
    pub fn classify_all<T: Sync>(
        &self,
        items: &[T],
        article: impl Fn(&T) -> &Article + Sync,
    ) -> Vec<Verdict> {
        items
            .par_iter()
            .map(|i| self.classify(article(i)))
            .collect()
    }

    pub fn classify(&self, article: &Article) -> Verdict {
        let mut hits = Vec::new();
        for category in &article.categories {
            self.score_category(category, &mut hits);
        }
        self.score_field(
            &article.title,
            &fold(&article.title),
            Field::Title,
            &mut hits,
        );
        if let Some(dek) = &article.dek {
            self.score_field(dek, &fold(dek), Field::Dek, &mut hits);
        }
        let body = body_text(article);
        self.score_field(&body, &folded_body(article), Field::Body, &mut hits);
        if let Some(bio) = article.author.as_ref().and_then(|a| a.bio.as_deref()) {
            for (term, _) in self.beats.counts(&fold(bio)) {
                hits.push(Hit {
                    section: term.section,
                    term: term.text.clone(),
                    field: Field::Bio,
                    points: BEAT,
                });
            }
        }
        let mut scores = vec![0.0; self.sections.len()];
        for hit in &hits {
            scores[hit.section] += hit.points;
        }
        let words = word_count(&article.title)
            + article.dek.as_deref().map_or(0, word_count)
            + word_count(&body);
        let threshold = self.threshold(words);
        self.inherit(&mut scores, threshold, &mut hits);
        let best = (0..scores.len()).fold(self.fallback, |best, i| {
            if scores[i] > scores[best] || (scores[i] == scores[best] && i < best) {
                i
            } else {
                best
            }
        });
        // No evidence at all is never a match, even with `min_score = 0`.
        let section = if scores[best] > 0.0 && scores[best] >= threshold {
            best
        } else {
            self.fallback
        };
        Verdict {
            section,
            scores,
            threshold,
            hits,
        }
    }

    /// A section within a broader one whose own evidence reaches the
    /// threshold, some of it outside the body (the headline is about it),
    /// adds the broader section's score to its own: a story on a flaw in a
    /// phone is about phones too, and the phone's name must not outvote the
    /// flaw.
    fn inherit(&self, scores: &mut [f64], threshold: f64, hits: &mut Vec<Hit>) {
        let own = scores.to_vec();
        for (section, parent) in self.within.iter().enumerate() {
            let Some(parent) = *parent else { continue };
            let headline = hits
                .iter()
                .any(|h| h.section == section && h.field != Field::Body);
            if headline && own[section] > 0.0 && own[section] >= threshold && own[parent] > 0.0 {
                scores[section] += own[parent];
                hits.push(Hit {
                    section,
                    term: Arc::from(self.sections[parent].id.as_str()),
                    field: Field::Within,
                    points: own[parent],
                });
            }
        }
    }

    /// `min_score`, scaled down for texts of fewer `words` (see the module
    /// doc).
    fn threshold(&self, words: usize) -> f64 {
        let scale = (words as f64 / FULL_LENGTH).sqrt().clamp(0.5, 1.0);
        self.min_score * scale
    }

    /// A category that names a section outright, else its terms.
    fn score_category(&self, category: &str, hits: &mut Vec<Hit>) {
        match self.aliases.get(&category_key(category)) {
            Some(&section) => hits.push(Hit {
                section,
                term: Arc::from(category),
                field: Field::Category,
                points: ALIAS,
            }),
            None => {
                let text = category.replace(['-', '_'], " ");
                self.score_field(&text, &fold(&text), Field::Category, hits)
            }
        }
    }

    /// Scores the terms of one field: the capitalised ones in `text` as
    /// written, the others in `folded`, its [`fold`].
    fn score_field(&self, text: &str, folded: &str, field: Field, hits: &mut Vec<Hit>) {
        let counts = self
            .folded
            .counts(folded)
            .into_iter()
            .chain(self.exact.counts(text));
        for (term, count) in counts {
            let points = term.weight
                * match field {
                    Field::Title => TITLE,
                    Field::Dek => DEK,
                    Field::Category => CATEGORY,
                    Field::Body | Field::Bio | Field::Within => 1.0 + (count as f64).ln(),
                };
            hits.push(Hit {
                section: term.section,
                term: term.text.clone(),
                field,
                points,
            });
        }
    }

    /// A human-readable account of a verdict: the section, every section's
    /// score, and the terms that weighed most.
    pub fn explain(&self, verdict: &Verdict, top: usize) -> String {
        let mut out = format!(
            "  section: {}\n  scores (threshold {:.1}): ",
            self.sections[verdict.section].id, verdict.threshold
        );
        let mut order: Vec<usize> = (0..self.sections.len()).collect();
        order.sort_by(|&a, &b| {
            verdict.scores[b]
                .total_cmp(&verdict.scores[a])
                .then(a.cmp(&b))
        });
        let scores: Vec<String> = order
            .iter()
            .map(|&i| format!("{} {:.1}", self.sections[i].id, verdict.scores[i]))
            .collect();
        out.push_str(&scores.join(", "));
        for &i in order.iter().take(3).filter(|&&i| verdict.scores[i] > 0.0) {
            let mut hits: Vec<&Hit> = verdict.hits.iter().filter(|h| h.section == i).collect();
            hits.sort_by(|a, b| {
                b.points
                    .total_cmp(&a.points)
                    .then_with(|| a.term.cmp(&b.term))
            });
            let terms: Vec<String> = hits
                .iter()
                .take(top)
                .map(|h| format!("{:?} ({}) {:.1}", h.term, h.field.name(), h.points))
                .collect();
            let _ = write!(out, "\n  {}: {}", self.sections[i].id, terms.join(", "));
        }
        out.push('\n');
        out
    }
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Dek => "dek",
            Field::Body => "body",
            Field::Bio => "bio",
            Field::Category => "category",
            Field::Within => "within",
        }
    }
}

/// Every term of every section, with stems recognised.
fn terms(rules: &[SectionRules]) -> impl Iterator<Item = Term> + '_ {
    rules.iter().enumerate().flat_map(|(section, r)| {
        r.terms.iter().map(move |(text, &weight)| {
            let (text, prefix) = match text.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (text.as_str(), false),
            };
            let text = if text.chars().any(char::is_uppercase) {
                text.into()
            } else {
                fold(text).into()
            };
            Term {
                section,
                text,
                weight,
                prefix,
            }
        })
    })
}

/// Each section's aliases, id and title by [`category_key`]; the first
/// section to claim a name keeps it.
fn aliases(rules: &[SectionRules], sections: &[Section]) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, (r, s)) in rules.iter().zip(sections).enumerate() {
        for name in r.aliases.iter().chain([&r.id, &s.title]) {
            map.entry(category_key(name)).or_insert(i);
        }
    }
    map
}

/// A category name as aliases are compared: folded, with '-' and '_' as
/// spaces ("Space-News", "space_news" and "space news" agree).
fn category_key(name: &str) -> String {
    fold(&name.replace(['-', '_'], " "))
}

/// Words of a text; each Chinese or Japanese character counts as half a
/// word, about what a word of those scripts takes. Runs of ASCII are read
/// eight bytes at a time.
fn word_count(text: &str) -> usize {
    let (mut words, mut cjk, mut in_word) = (0, 0, false);
    let mut i = 0;
    while i < text.len() {
        if let Some(chunk) = text.as_bytes().get(i..i + 8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            if x & swar::HIGH == 0 {
                let space =
                    swar::eq(x, b' ') | (swar::at_least(x, b'\t') & !swar::at_least(x, b'\r' + 1));
                let word = !space & swar::HIGH;
                let before = word << 8 | if in_word { 0x80 } else { 0 };
                words += (word & !before).count_ones() as usize;
                in_word = word >> 63 != 0;
                i += 8;
                continue;
            }
        }
        let b = text.as_bytes()[i];
        let space = if b < 0x80 {
            i += 1;
            b == b' ' || (b'\t'..=b'\r').contains(&b)
        } else {
            let c = text[i..].chars().next().expect("i is a char boundary");
            i += c.len_utf8();
            cjk += usize::from(is_cjk(c));
            c.is_whitespace()
        };
        words += usize::from(!space && !in_word);
        in_word = !space;
    }
    words + cjk / 2
}

/// The body as one text: paragraphs, headings and captions.
fn body_text(article: &Article) -> String {
    let mut text = String::new();
    for block in &article.body {
        match block {
            Block::Paragraph(p) | Block::Heading(p) | Block::Quote(p) => text.push_str(p),
            Block::Figure { caption, .. } => text.push_str(caption.as_deref().unwrap_or("")),
            Block::List { items, .. } => text.push_str(&items.join("\n")),
        }
        text.push('\n');
    }
    text
}

/// [`fold`] of [`body_text`], folded block by block into one buffer.
fn folded_body(article: &Article) -> String {
    let mut folded = String::new();
    for block in &article.body {
        match block {
            Block::Paragraph(p) | Block::Heading(p) | Block::Quote(p) => fold_into(p, &mut folded),
            Block::Figure { caption, .. } => {
                fold_into(caption.as_deref().unwrap_or(""), &mut folded)
            }
            Block::List { items, .. } => items.iter().for_each(|i| fold_into(i, &mut folded)),
        }
    }
    folded
}

fn titlecase(id: &str) -> String {
    let mut chars = id.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::Author;

    fn article(title: &str, body: &str, bio: Option<&str>) -> Article {
        Article {
            slug: String::new(),
            key: String::new(),
            title: title.into(),
            dek: None,
            body: vec![Block::Paragraph(body.into())],
            author: bio.map(|b| Author::own("A".into(), Some(b.into()))),
            permalink: None,
            date: None,
            updated: None,
            categories: Vec::new(),
            found_by: None,
            lines: (1, 1),
        }
    }

    fn section_of(c: &Classifier, a: &Article) -> String {
        c.sections()[c.classify(a).section].id.clone()
    }

    #[test]
    fn whole_words_plurals_and_stems() {
        let c = Classifier::new(&Config::default());
        let a = article("Rockets and vaccination", "", None);
        let v = c.classify(&a);
        let terms: Vec<&str> = v.hits.iter().map(|h| &*h.term).collect();
        assert!(
            terms.contains(&"rocket") && terms.contains(&"vaccin"),
            "{terms:?}"
        );
        let police = article("The police", "", None);
        assert!(c.classify(&police).hits.iter().all(|h| &*h.term != "ICE"));
    }

    #[test]
    fn capitalised_terms_match_case() {
        let c = Classifier::new(&Config::default());
        let v = c.classify(&article("Slipping on ice", "", None));
        assert!(v.hits.iter().all(|h| &*h.term != "ICE"));
        let v = c.classify(&article("ICE raids", "", None));
        assert!(v.hits.iter().any(|h| &*h.term == "ICE"));
    }

    #[test]
    fn beat_in_bio_is_a_strong_signal() {
        let c = Classifier::new(&Config::default());
        let a = article(
            "An update",
            "Things happened today.",
            Some("She is the senior space editor."),
        );
        assert_eq!(section_of(&c, &a), "space");
    }

    #[test]
    fn weak_evidence_goes_to_the_fallback() {
        let c = Classifier::new(&Config::default());
        assert_eq!(
            section_of(&c, &article("A quiet day", "Nothing to see.", None)),
            "other"
        );
    }

    #[test]
    fn generalises_beyond_the_sample() {
        let c = Classifier::new(&Config::default());
        let cases = [
            ("NASA delays Artemis III crew launch to the Moon", "space"),
            (
                "Ransomware gang exploits zero-day in VPN appliances",
                "security",
            ),
            (
                "Senate passes kids online safety bill after court fight",
                "policy",
            ),
            ("Measles outbreak grows as vaccination rates fall", "health"),
            (
                "Fossil of a feathered dinosaur rewrites bird evolution",
                "science",
            ),
            ("Review: the 2026 hybrid SUV gets 45 mpg", "cars"),
            (
                "Nintendo reveals the next Zelda game for Switch 2",
                "culture",
            ),
            ("Anthropic's new Claude model tops coding benchmarks", "ai"),
            (
                "Apple's new MacBook Air gets a faster chip and better battery life",
                "tech",
            ),
        ];
        for (title, want) in cases {
            assert_eq!(section_of(&c, &article(title, "", None)), want, "{title}");
        }
    }

    fn with_categories(title: &str, body: &str, categories: &[&str]) -> Article {
        let mut a = article(title, body, None);
        a.categories = categories.iter().map(|c| c.to_string()).collect();
        a
    }

    // A publisher's category naming a section (an alias, in any of the
    // built-in languages) outweighs what the words of the text suggest.
    #[test]
    fn a_category_alias_outweighs_the_text() {
        let c = Classifier::new(&Config::default());
        let words = "A new phone with a faster chip and a better camera";
        assert_eq!(section_of(&c, &article(words, "", None)), "tech");
        for category in ["Wissenschaft", "science", "SCIENCES", "科学"] {
            let a = with_categories(words, "", &[category]);
            assert_eq!(section_of(&c, &a), "science", "{category}");
        }
        let v = c.classify(&with_categories(words, "", &["Wissenschaft"]));
        assert!(
            c.explain(&v, 6)
                .contains("\"Wissenschaft\" (category) 12.0")
        );
    }

    // A category that is no alias is read for terms, above the title.
    #[test]
    fn category_terms_weigh_above_the_title() {
        let c = Classifier::new(&Config::default());
        let a = with_categories("Our weekly roundup", "", &["state-politics"]);
        assert_eq!(section_of(&c, &a), "policy");
        let v = c.classify(&a);
        assert!(
            v.hits
                .iter()
                .any(|h| h.field == Field::Category && h.points == 2.0 * CATEGORY)
        );
    }

    // Aliases from the config file join the built-in ones.
    #[test]
    fn config_aliases_map_categories() {
        let mut config = Config::default();
        config.section.push(SectionRules {
            id: "cars".into(),
            title: None,
            beats: Vec::new(),
            aliases: vec!["Bikes & Wheels".into()],
            terms: Default::default(),
            within: None,
        });
        let c = Classifier::new(&config);
        let a = with_categories("A quiet day", "Nothing to see.", &["bikes & wheels"]);
        assert_eq!(section_of(&c, &a), "cars");
        let plain = Classifier::new(&Config::default());
        assert_eq!(section_of(&plain, &a), "other");
    }

    // One weak hint files a headline, not a long text where such words
    // turn up by chance.
    #[test]
    fn the_threshold_shrinks_for_short_texts() {
        let c = Classifier::new(&Config::default());
        let short = article("Comet tails explained", "", None);
        assert_eq!(section_of(&c, &short), "space");
        assert_eq!(c.classify(&short).threshold, 3.0);
        let filler = "Nothing much happened on the quiet street that day. ".repeat(40);
        let long = article("A quiet day", &format!("{filler} A comet was seen."), None);
        assert_eq!(c.classify(&long).threshold, 6.0);
        assert_eq!(section_of(&c, &long), "other");
    }

    // With `min_score = 0`, an article with no evidence for any section
    // goes to the fallback, not to the first section.
    #[test]
    fn min_score_zero_sends_unmatched_articles_to_the_fallback() {
        let mut config = Config::default();
        config.classify.min_score = 0.0;
        let c = Classifier::new(&config);
        let a = article("Zzyzx qwerty", "Xyzzy plugh frobnicate.", None);
        assert_eq!(section_of(&c, &a), "other");
        let space = article("Comet tails explained", "", None);
        assert_eq!(section_of(&c, &space), "space");
    }

    // Chinese and Japanese terms match inside unspaced text.
    #[test]
    fn cjk_terms_match_without_spaces() {
        let c = Classifier::new(&Config::default());
        assert_eq!(
            section_of(&c, &article("新型火箭发射成功", "", None)),
            "space"
        );
        assert_eq!(
            section_of(&c, &article("人工知能の新しい研究", "", None)),
            "ai"
        );
    }

    // Sport has no section: its words keep a match report out of culture,
    // whose "game" and "season" it also uses.
    #[test]
    fn sport_words_keep_an_article_in_other() {
        let c = Classifier::new(&Config::default());
        let a = article(
            "Late goal settles the derby",
            "The striker scored in the last minute of the game, and the coach praised a squad that had struggled all season.",
            None,
        );
        assert_eq!(section_of(&c, &a), "other");
    }

    // A section within another (security within tech) wins when its own
    // words are in the headline, not when they only turn up in the body.
    #[test]
    fn a_section_within_another_adds_its_score() {
        let c = Classifier::new(&Config::default());
        let flaw = article("Linux kernel flaw lets attackers gain root", "", None);
        assert_eq!(section_of(&c, &flaw), "security");
        let v = c.classify(&flaw);
        assert!(c.explain(&v, 6).contains("\"tech\" (within)"));
        let release = article(
            "New Linux kernel release",
            "It adds drivers and fixes a security bug.",
            None,
        );
        assert_eq!(section_of(&c, &release), "tech");
        let mut config = Config::default();
        config.section.push(SectionRules {
            id: "security".into(),
            title: None,
            beats: Vec::new(),
            aliases: Vec::new(),
            terms: Default::default(),
            within: Some("nonexistent".into()),
        });
        let plain = Classifier::new(&config);
        assert_eq!(section_of(&plain, &flaw), "tech");
    }

    /// `word_count` one character at a time: the definition the
    /// eight-byte steps must agree with.
    fn word_count_reference(text: &str) -> usize {
        let (mut words, mut in_word) = (0, false);
        for c in text.chars() {
            let space = c.is_whitespace();
            words += usize::from(!space && !in_word);
            in_word = !space;
        }
        words + text.chars().filter(|&c| is_cjk(c)).count() / 2
    }

    proptest::proptest! {
        // Guards word_count's eight-byte steps: they count what reading
        // one character at a time counts, on any text.
        #[test]
        fn word_count_agrees_with_its_definition(
            text in "([a-z]{1,7}|[ \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{3000}]{1,3}|[\u{0}-\u{1f}]|[é火箭ー])*"
        ) {
            proptest::prop_assert_eq!(word_count(&text), word_count_reference(&text));
        }
    }

    // The built-in fallback section takes its title from the config.
    #[test]
    fn the_fallback_title_names_the_builtin_other() {
        let mut config = Config::default();
        config.classify.fallback_title = "Everything else".into();
        let c = Classifier::new(&config);
        assert_eq!(c.section("other").title, "Everything else");
        config.classify.fallback = "misc".into();
        let c = Classifier::new(&config);
        assert_eq!(c.section("misc").title, "Everything else");
        assert_eq!(c.section("other").title, "Other");
    }
}
