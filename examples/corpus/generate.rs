//! A deterministic synthetic corpus for the benchmarks: article `i` of seed
//! `s` is always the same text, whatever else is generated, so an "edited"
//! corpus differs from the original in exactly the articles asked for.
//!
//! The text is made here from word lists written for this generator and
//! from the terms of the project's own `src/sections.toml`, mixed so that
//! articles spread over the sections the way a general news archive does
//! (policy, AI and tech most, security least). Lengths follow the dumps
//! readmore is made for: about 5 KB per excerpt, from a few paragraphs to
//! long features, with subheadings, captions and credits, and an author
//! block on some. The same articles are written as text dumps and as HTML
//! listing pages (an `article` per excerpt with a `Read More »` link).

use std::fmt::Write;

/// Sections and how often an article belongs to each, in percent.
const MIX: &[(&str, u32)] = &[
    ("policy", 18),
    ("ai", 15),
    ("tech", 13),
    ("culture", 12),
    ("science", 10),
    ("health", 10),
    ("space", 8),
    ("cars", 8),
    ("security", 6),
];

/// Ordinary words for the running text around the section terms.
const WORDS: &[&str] = &[
    "the",
    "the",
    "the",
    "a",
    "a",
    "of",
    "of",
    "to",
    "to",
    "and",
    "and",
    "in",
    "in",
    "that",
    "for",
    "on",
    "with",
    "as",
    "was",
    "is",
    "it",
    "it’s",
    "at",
    "by",
    "from",
    "this",
    "be",
    "have",
    "has",
    "had",
    "but",
    "not",
    "are",
    "were",
    "they",
    "their",
    "its",
    "more",
    "than",
    "which",
    "when",
    "after",
    "before",
    "about",
    "into",
    "over",
    "could",
    "would",
    "said",
    "says",
    "told",
    "people",
    "company",
    "company’s",
    "year",
    "years",
    "week",
    "month",
    "months",
    "last",
    "first",
    "new",
    "most",
    "many",
    "some",
    "other",
    "early",
    "late",
    "plan",
    "plans",
    "change",
    "changes",
    "question",
    "answer",
    "report",
    "reported",
    "according",
    "statement",
    "official",
    "officials",
    "team",
    "group",
    "users",
    "customers",
    "public",
    "private",
    "local",
    "national",
    "global",
    "data",
    "system",
    "systems",
    "service",
    "services",
    "project",
    "version",
    "release",
    "test",
    "tests",
    "result",
    "results",
    "cost",
    "costs",
    "price",
    "million",
    "billion",
    "percent",
    "growth",
    "decline",
    "market",
    "industry",
    "effort",
    "efforts",
    "decision",
    "approach",
    "problem",
    "problems",
    "issue",
    "issues",
    "risk",
    "risks",
    "case",
    "cases",
    "example",
    "experts",
    "analysts",
    "critics",
    "supporters",
    "researchers",
    "engineers",
    "leaders",
    "agency",
    "office",
    "department",
    "board",
    "council",
    "partner",
    "partners",
    "deal",
    "announced",
    "confirmed",
    "declined",
    "expected",
    "suggested",
    "argued",
    "noted",
    "added",
    "explained",
    "warned",
    "promised",
    "hoped",
    "seemed",
    "appeared",
    "became",
    "remained",
    "started",
    "ended",
    "moved",
    "showed",
    "found",
    "made",
    "took",
    "gave",
    "kept",
    "left",
    "quickly",
    "slowly",
    "recently",
    "finally",
    "already",
    "still",
    "again",
    "perhaps",
    "likely",
    "largely",
    "mostly",
    "nearly",
    "roughly",
    "widely",
    "clearly",
    "simply",
    "only",
    "also",
    "even",
    "just",
    "now",
    "then",
    "there",
    "here",
    "while",
    "because",
    "although",
    "since",
    "until",
    "during",
    "without",
    "between",
    "against",
    "across",
    "through",
    "under",
    "small",
    "large",
    "major",
    "minor",
    "long",
    "short",
    "high",
    "low",
    "better",
    "worse",
    "important",
    "difficult",
    "possible",
    "similar",
    "different",
    "current",
    "previous",
    "recent",
    "future",
    "open",
    "closed",
    "full",
    "empty",
    "familiar",
    "unusual",
    "careful",
    "detail",
    "details",
    "record",
    "history",
    "moment",
    "period",
    "stage",
    "level",
    "part",
    "parts",
    "place",
    "point",
    "points",
    "side",
    "way",
    "ways",
    "work",
    "time",
    "times",
    "day",
    "days",
    "number",
    "numbers",
    "share",
    "effect",
    "impact",
    "reason",
    "reasons",
    "idea",
    "ideas",
    "view",
    "views",
    "interview",
    "email",
    "phone",
    "website",
    "document",
    "documents",
    "letter",
    "meeting",
    "conference",
    "launch",
    "update",
    "updates",
    "feature",
    "features",
    "don’t",
    "didn’t",
    "isn’t",
    "wasn’t",
    "won’t",
    "can’t",
    "we",
    "our",
    "you",
    "your",
    "he",
    "she",
    "his",
    "her",
    "them",
    "what",
    "who",
    "how",
    "why",
    "where",
    "each",
    "every",
    "both",
    "either",
    "neither",
    "few",
    "several",
    "enough",
    "much",
    "less",
    "least",
    "another",
];

const FIRST_NAMES: &[&str] = &[
    "Alex", "Maya", "Jonas", "Priya", "Tomás", "Hana", "Samuel", "Leila", "Oskar", "Ines", "Kofi",
    "Marta", "Ravi", "Elena", "Dmitri", "Chloé", "Yusuf", "Greta", "Noah", "Amara", "Felix",
    "Sofia", "Kenji", "Nadia", "Lucas", "Zoe", "Mateo", "Ingrid", "Omar", "Clara",
];
const LAST_NAMES: &[&str] = &[
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Haddad",
    "Kowalski",
    "Brennan",
    "Fischer",
    "Castillo",
    "Nakamura",
    "Osei",
    "Petrov",
    "Duarte",
    "Whitfield",
    "Marchetti",
    "Novak",
    "Abernathy",
    "Sato",
    "Delgado",
    "Varga",
    "Holm",
    "Reyes",
    "Quinlan",
    "Mbeki",
    "Larsen",
    "Ferreira",
    "Kaplan",
    "Iverson",
    "Rahman",
    "Sorensen",
];
const ROLES: &[&str] = &[
    "senior",
    "staff",
    "contributing",
    "deputy",
    "chief",
    "freelance",
];
const OUTLETS: &[&str] = &[
    "the Example Gazette",
    "Northwind Weekly",
    "the Harbor Review",
    "Lakeside Daily",
];

/// Terms per section, from the project's own rules.
pub struct Vocabulary {
    sections: Vec<(String, Vec<String>, Vec<String>)>,
}

impl Vocabulary {
    /// The sections of `src/sections.toml` with their strong terms (weight
    /// 2 or more, no prefix patterns) and beats.
    pub fn builtin() -> Self {
        let rules: toml::Table = include_str!("../../src/sections.toml")
            .parse()
            .expect("src/sections.toml parses");
        let mut sections = Vec::new();
        for section in rules["section"].as_array().expect("sections") {
            let id = section["id"].as_str().expect("id").to_string();
            let terms: Vec<String> = section["terms"]
                .as_table()
                .expect("terms")
                .iter()
                .filter(|(t, w)| {
                    !t.ends_with('*')
                        && w.as_float().or(w.as_integer().map(|i| i as f64)) >= Some(2.0)
                })
                .map(|(t, _)| t.clone())
                .collect();
            let beats = section
                .get("beats")
                .and_then(|b| b.as_array())
                .map(|b| {
                    b.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            sections.push((id, terms, beats));
        }
        Self { sections }
    }

    fn section(&self, id: &str) -> &(String, Vec<String>, Vec<String>) {
        self.sections
            .iter()
            .find(|(s, ..)| s == id)
            .expect("a section of the mix")
    }
}

/// One generated article.
pub struct Article {
    pub slug: String,
    pub title: String,
    pub dek: Option<String>,
    pub body: Vec<Block>,
    /// Name and bio of a closing author block.
    pub author: Option<(String, String)>,
    /// Minutes before the newest article's date.
    pub age_minutes: u64,
    pub permalink: String,
}

pub enum Block {
    Paragraph(String),
    Heading(String),
    Figure { caption: String, credit: String },
}

/// Makes articles of one seed.
pub struct Generator {
    seed: u64,
    vocabulary: Vocabulary,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            vocabulary: Vocabulary::builtin(),
        }
    }

    /// Article `i` (0 is the newest); `edited` gives it one more paragraph
    /// and a changed sentence, as a correction would.
    pub fn article(&self, i: u64, edited: bool) -> Article {
        let mut rng = fastrand::Rng::with_seed(self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i);
        let section = pick_section(&mut rng);
        let (_, terms, beats) = self.vocabulary.section(section);
        let mut w = Writer {
            rng: &mut rng,
            terms,
            all: &self.vocabulary,
        };
        let title = w.title(i);
        let dek = w.rng.bool().then(|| w.sentence(8, 18));
        let mut body = Vec::new();
        let paragraphs = 3 + w.rng.usize(0..8) + w.rng.usize(0..8) + w.rng.usize(0..6);
        for p in 0..paragraphs {
            if p > 1 && w.rng.u32(0..100) < 14 {
                body.push(Block::Heading(w.heading()));
            }
            if w.rng.u32(0..100) < 8 {
                body.push(Block::Figure {
                    caption: w.sentence(5, 14),
                    credit: w.name(),
                });
            }
            body.push(Block::Paragraph(w.paragraph()));
        }
        let author = (w.rng.u32(0..100) < 40).then(|| {
            let name = w.name();
            let beat = w
                .rng
                .choice(beats.iter())
                .map_or("reporter", |b| b.as_str());
            let bio = format!(
                "{} is a {} {beat} at {}, covering {} and {} for {} years. {}",
                name.split(' ').next().unwrap_or(&name),
                w.rng.choice(ROLES).unwrap(),
                w.rng.choice(OUTLETS).unwrap(),
                w.term(),
                w.term(),
                w.rng.u32(2..25),
                w.sentence(8, 16)
            );
            (name, bio)
        });
        if edited {
            body.push(Block::Paragraph(format!(
                "Update: this story was corrected after publication. {}",
                w.sentence(10, 20)
            )));
        }
        let age_minutes = i * 37 + w.rng.u64(0..30);
        let slug = title.to_lowercase().replace(' ', "-");
        let permalink = format!(
            "https://news.example.org/{section}/{}/",
            slug.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        );
        Article {
            slug,
            title,
            dek,
            body,
            author,
            age_minutes,
            permalink,
        }
    }
}

fn pick_section(rng: &mut fastrand::Rng) -> &'static str {
    let mut roll = rng.u32(0..MIX.iter().map(|(_, p)| p).sum());
    for (id, percent) in MIX {
        if roll < *percent {
            return id;
        }
        roll -= percent;
    }
    MIX[0].0
}

struct Writer<'a> {
    rng: &'a mut fastrand::Rng,
    terms: &'a [String],
    all: &'a Vocabulary,
}

impl Writer<'_> {
    /// A term of the article's section, now and then one of another.
    fn term(&mut self) -> String {
        if self.rng.u32(0..100) < 15 {
            let other = &self.all.sections[self.rng.usize(0..self.all.sections.len())].1;
            return self.rng.choice(other.iter()).cloned().unwrap_or_default();
        }
        self.rng
            .choice(self.terms.iter())
            .cloned()
            .unwrap_or_default()
    }

    fn name(&mut self) -> String {
        format!(
            "{} {}",
            self.rng.choice(FIRST_NAMES).unwrap(),
            self.rng.choice(LAST_NAMES).unwrap()
        )
    }

    fn words(&mut self, n: usize, term_percent: u32) -> Vec<String> {
        (0..n)
            .map(|_| match self.rng.u32(0..100) {
                r if r < term_percent => self.term(),
                r if r < term_percent + 2 => self.rng.u32(2..2000).to_string(),
                r if r < term_percent + 4 => self.name(),
                _ => self.rng.choice(WORDS).unwrap().to_string(),
            })
            .collect()
    }

    fn title(&mut self, i: u64) -> String {
        let n = self.rng.usize(5..13);
        let mut words = self.words(n, 25);
        words.insert(self.rng.usize(0..=words.len()), self.term());
        let mut title = capitalize(&words.join(" "));
        if self.rng.u32(0..100) < 12 {
            title = format!("{}: {}", capitalize(&self.term()), title);
        }
        // The article number keeps slugs unique in any corpus size.
        format!("{title} {i}")
    }

    fn heading(&mut self) -> String {
        let n = self.rng.usize(2..6);
        capitalize(&self.words(n, 30).join(" "))
    }

    fn sentence(&mut self, min: usize, max: usize) -> String {
        let n = self.rng.usize(min..=max);
        let mut words = self.words(n, 6);
        if n > 10 && self.rng.bool() {
            let at = self.rng.usize(3..n - 3);
            words[at].push(',');
        }
        format!("{}.", capitalize(&words.join(" ")))
    }

    fn paragraph(&mut self) -> String {
        let n = self.rng.usize(1..7);
        let mut sentences: Vec<String> = (0..n).map(|_| self.sentence(8, 28)).collect();
        if self.rng.u32(0..100) < 15 {
            let quote = self.sentence(6, 18);
            let quote = quote.trim_end_matches('.');
            let who = self.name();
            sentences.push(format!("“{quote},” {who} said."));
        }
        sentences.join(" ")
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `articles` as one text dump page.
pub fn dump(author: &str, articles: &[Article]) -> String {
    let mut out = format!("Author name: {author}\n\n");
    for a in articles {
        let _ = write!(out, "{}\n\n{}\n\n", a.slug, a.title);
        if let Some(dek) = &a.dek {
            let _ = write!(out, "\n{dek}\n\n");
        }
        for block in &a.body {
            match block {
                Block::Paragraph(p) | Block::Heading(p) => {
                    let _ = write!(out, "{p}\n\n");
                }
                Block::Figure { caption, credit } => {
                    let _ = write!(out, "{caption}\n\nCredit: {credit}\n\n");
                }
            }
        }
        if let Some((name, bio)) = &a.author {
            let _ = write!(out, "Photo of {name}\n\n{bio}\n\n");
        }
        let _ = write!(out, "{} Read More »\n\n", a.title);
    }
    out
}

/// `articles` as one HTML archive page; `newest` dates the first article.
pub fn html(author: &str, articles: &[Article], newest: chrono::DateTime<chrono::Utc>) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{0}, Author at Example News</title>\n</head>\n\
         <body class=\"archive author\">\n<header class=\"site-header\"><a href=\"/\">Example News</a>\n\
         <nav class=\"main-navigation\"><ul><li><a href=\"/policy/\">Policy</a></li>\
         <li><a href=\"/science/\">Science</a></li><li><a href=\"/tech/\">Tech</a></li></ul></nav></header>\n\
         <main id=\"main\">\n<header class=\"page-header\"><h1 class=\"page-title\">Author: {0}</h1></header>\n",
        escape(author)
    );
    for a in articles {
        let date = newest - chrono::Duration::minutes(a.age_minutes as i64);
        let (title, link) = (escape(&a.title), escape(&a.permalink));
        let _ = write!(
            out,
            "<article class=\"post type-post\">\n<header class=\"entry-header\">\n\
             <h2 class=\"entry-title\"><a href=\"{link}\" rel=\"bookmark\">{title}</a></h2>\n"
        );
        if let Some(dek) = &a.dek {
            let _ = writeln!(out, "<p class=\"dek\">{}</p>", escape(dek));
        }
        let _ = write!(
            out,
            "<div class=\"entry-meta\"><time class=\"entry-date published\" datetime=\"{}\">{}</time></div>\n\
             </header>\n<div class=\"entry-content\">\n",
            date.format("%Y-%m-%dT%H:%M:%S+00:00"),
            date.format("%b %-d, %Y")
        );
        for block in &a.body {
            let _ = match block {
                Block::Paragraph(p) => writeln!(out, "<p>{}</p>", escape(p)),
                Block::Heading(h) => writeln!(out, "<h2>{}</h2>", escape(h)),
                Block::Figure { caption, credit } => writeln!(
                    out,
                    "<figure><img src=\"/img/{}.jpg\" alt=\"\"><figcaption><span class=\"caption\">{}</span> \
                     <span class=\"credit\">Credit: {}</span></figcaption></figure>",
                    a.age_minutes,
                    escape(caption),
                    escape(credit)
                ),
            };
        }
        if let Some((name, bio)) = &a.author {
            let _ = writeln!(
                out,
                "<div class=\"author-bio\"><img src=\"/authors/{}.jpg\" alt=\"Photo of {}\"><p>{}</p></div>",
                a.age_minutes,
                escape(name),
                escape(bio)
            );
        }
        let _ = write!(
            out,
            "</div>\n<p class=\"read-more\"><a href=\"{link}\" class=\"more-link\">\
             <span class=\"screen-reader-text\">{title}</span> Read More »</a></p>\n</article>\n"
        );
    }
    out.push_str(
        "</main>\n<footer class=\"site-footer\"><p>Example News</p></footer>\n</body>\n</html>\n",
    );
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
