//! Text dumps of "Read More" listing pages → [`Article`] values.
//!
//! The parser reads lines from any [`BufRead`] and yields one article at a
//! time, so memory grows with the longest excerpt, never with the input;
//! an excerpt holds at most [`MAX_EXCERPT_LINES`] lines and
//! [`MAX_EXCERPT_BYTES`] bytes, and no line is read into memory past
//! [`MAX_LINE_BYTES`] (an excerpt over a limit is dropped with a warning,
//! and what follows it up to its boundary is skipped). It
//! decides what each line is (slug, title, dek, heading, figure, paragraph,
//! author block, boilerplate, boundary) and records what it skipped or
//! doubted as [`Diagnostic`]s with line numbers; callers drain them with
//! [`Parser::take_diagnostics`]. Sorting articles into sections and dating
//! them are left to later stages.

use std::io::{BufRead, Read as _};

use crate::article::{Article, Author, Block};
use crate::diag::Diagnostic;
use crate::text::{clean_line, fold, slug_key};

/// An excerpt that has not met its boundary after this many lines is not an
/// excerpt: it is dropped with a warning so that memory stays bounded.
pub const MAX_EXCERPT_LINES: usize = 20_000;
/// The same for its bytes: the sample's longest excerpt is under 10 KiB.
pub const MAX_EXCERPT_BYTES: usize = 16 * 1024 * 1024;
/// Longest line read: a longer one is skipped (never held whole) and the
/// excerpt it is part of dropped. The sample's longest line is under 2 KiB.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// A dek is one short sentence; a longer line after two blanks is body text.
const MAX_DEK_CHARS: usize = 300;
/// Longest line still taken for a subheading.
const MAX_HEADING_CHARS: usize = 80;
const MAX_HEADING_WORDS: usize = 12;
/// Longest credit in a "caption Credit: who" line.
const MAX_CREDIT_CHARS: usize = 150;
/// Call-to-action lines that close a newsletter box.
const NEWSLETTER_BUTTONS: &[&str] = &[
    "sign me up!",
    "sign me up",
    "sign up",
    "sign up!",
    "sign up now",
    "sign up now!",
    "subscribe",
    "subscribe!",
    "subscribe now",
    "subscribe now!",
    "get the newsletter",
    "join now",
];
/// Bytes of the longest of [`NEWSLETTER_BUTTONS`].
const LONGEST_BUTTON: usize = {
    let (mut i, mut longest) = (0, 0);
    while i < NEWSLETTER_BUTTONS.len() {
        if NEWSLETTER_BUTTONS[i].len() > longest {
            longest = NEWSLETTER_BUTTONS[i].len();
        }
        i += 1;
    }
    longest
};
/// Words that mark the paragraph before such a button as part of the box.
const NEWSLETTER_WORDS: &[&str] = &["newsletter", "sign up", "subscribe", "inbox"];
/// Openings of a syndication or copyright footer.
const FOOTER_MARKS: &[&str] = &[
    "©",
    "(c) ",
    "copyright ",
    "this story originally appeared",
    "this article originally appeared",
    "this story was originally published",
    "this article was originally published",
    "republished with permission",
];

/// A failure that stops reading a source.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("invalid UTF-8 at byte offset {offset} (use --lossy to replace it)")]
    InvalidUtf8 { line: usize, offset: u64 },
    #[error("read failed")]
    Io(#[from] std::io::Error),
}

/// How the parser treats bytes that are not UTF-8.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// Invalid UTF-8 is an error naming the byte offset.
    #[default]
    Strict,
    /// Invalid sequences become U+FFFD, with a warning per line.
    Lossy,
}

/// What one read gave.
enum Read {
    /// A line, cleaned.
    Line(String),
    /// A line over [`MAX_LINE_BYTES`], skipped.
    Overlong,
}

/// A non-blank input line with its position.
#[derive(Debug)]
struct Line {
    no: usize,
    text: String,
    /// Blank lines directly above this one.
    blanks_before: usize,
}

/// Streaming parser over one source; an iterator of articles.
pub struct Parser<R> {
    reader: R,
    encoding: Encoding,
    buf: Vec<u8>,
    line_no: usize,
    offset: u64,
    blanks: usize,
    page_author: Option<String>,
    excerpt: Vec<Line>,
    /// The bytes of the excerpt's lines.
    excerpt_bytes: usize,
    /// An oversized excerpt was dropped: lines up to the next boundary are
    /// its tail, not a new article.
    skipping: bool,
    diagnostics: Vec<Diagnostic>,
    finished: bool,
}

impl<R: BufRead> Parser<R> {
    pub fn new(reader: R, encoding: Encoding) -> Self {
        Self {
            reader,
            encoding,
            buf: Vec::new(),
            line_no: 0,
            offset: 0,
            blanks: 0,
            page_author: None,
            excerpt: Vec::new(),
            excerpt_bytes: 0,
            skipping: false,
            diagnostics: Vec::new(),
            finished: false,
        }
    }

    /// Everything noted since the last call.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    /// Reads the next line, cleaned; `None` at the end of the input. A line
    /// over [`MAX_LINE_BYTES`] is skipped, read but not kept: it comes back
    /// as [`Read::Overlong`].
    fn read_line(&mut self) -> Result<Option<Read>, ParseError> {
        self.buf.clear();
        let read = (&mut self.reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut self.buf)?;
        if read == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        let start = self.offset;
        self.offset += read as u64;
        if self.buf.len() > MAX_LINE_BYTES && self.buf.last() != Some(&b'\n') {
            self.offset += self.reader.skip_until(b'\n')? as u64;
            self.buf.clear();
            return Ok(Some(Read::Overlong));
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        let text = match std::str::from_utf8(&self.buf) {
            Ok(text) => clean_line(text),
            Err(e) if self.encoding == Encoding::Strict => {
                return Err(ParseError::InvalidUtf8 {
                    line: self.line_no,
                    offset: start + e.valid_up_to() as u64,
                });
            }
            Err(_) => {
                self.diagnostics.push(Diagnostic::warning(
                    self.line_no,
                    "invalid UTF-8 replaced with U+FFFD",
                ));
                clean_line(&String::from_utf8_lossy(&self.buf))
            }
        };
        Ok(Some(Read::Line(text)))
    }

    /// A line over [`MAX_LINE_BYTES`]: the excerpt it is part of is dropped.
    fn overlong(&mut self) {
        self.blanks = 0;
        let what = if self.skipping {
            "skipped with the rest of the excerpt"
        } else if self.excerpt.is_empty() {
            "skipped"
        } else {
            self.drop_excerpt();
            "skipped with the excerpt it is part of, up to the next boundary"
        };
        self.diagnostics.push(Diagnostic::warning(
            self.line_no,
            format!("line over the {MAX_LINE_BYTES} byte limit; {what}"),
        ));
    }

    /// Drops the excerpt read so far and skips up to the next boundary.
    fn drop_excerpt(&mut self) {
        self.excerpt.clear();
        self.excerpt_bytes = 0;
        self.skipping = true;
    }

    /// Takes one cleaned line; returns an article when the line completes one.
    fn feed(&mut self, text: String) -> Option<Article> {
        if text.is_empty() {
            self.blanks += 1;
            return None;
        }
        let line = Line {
            no: self.line_no,
            text,
            blanks_before: std::mem::take(&mut self.blanks),
        };
        if self.skipping {
            self.skipping = boundary_title(&line.text).is_none();
            return None;
        }
        if let Some(name) = header_author(&line.text).filter(|_| self.excerpt.is_empty()) {
            self.page_author = Some(name.to_string());
            return None;
        }
        if let Some(boundary) = boundary_title(&line.text) {
            if self.excerpt.is_empty() {
                self.diagnostics.push(Diagnostic::warning(
                    line.no,
                    "'Read More »' line with no article before it; skipped",
                ));
                return None;
            }
            let lines = std::mem::take(&mut self.excerpt);
            self.excerpt_bytes = 0;
            return self.assemble(lines, Some((line.no, boundary.to_string())));
        }
        let split = self.starts_new_article(&line.text);
        self.excerpt_bytes += line.text.len();
        self.excerpt.push(line);
        if let Some(at) = split {
            return self.close_unbounded(at);
        }
        if self.excerpt.len() > MAX_EXCERPT_LINES || self.excerpt_bytes > MAX_EXCERPT_BYTES {
            let first = self.excerpt[0].no;
            self.drop_excerpt();
            self.diagnostics.push(Diagnostic::warning(
                first,
                format!(
                    "no 'Read More »' boundary within {MAX_EXCERPT_LINES} lines or {MAX_EXCERPT_BYTES} bytes; excerpt skipped up to the next boundary"
                ),
            ));
        }
        None
    }

    /// When `title` completes a slug line + title line pair in the middle of
    /// an excerpt, the previous article lost its boundary: returns where the
    /// new article starts.
    fn starts_new_article(&self, title: &str) -> Option<usize> {
        let n = self.excerpt.len();
        let slug = &self.excerpt.get(n.checked_sub(1)?)?.text;
        let opens_excerpt = n >= 3 && is_slug_line(slug) && !is_slug_line(title);
        (opens_excerpt && slug_key(slug) == slug_key(title)).then_some(n - 1)
    }

    /// Closes the excerpt before `at`, which never met its boundary, and
    /// keeps the lines from `at` on as the start of the next one.
    fn close_unbounded(&mut self, at: usize) -> Option<Article> {
        let next = self.excerpt.split_off(at);
        self.excerpt_bytes = next.iter().map(|l| l.text.len()).sum();
        let mut lines = std::mem::replace(&mut self.excerpt, next);
        let start = lines[0].no;
        self.diagnostics.push(Diagnostic::warning(
            start,
            format!(
                "article has no 'Read More »' boundary; closed where the next one starts (line {})",
                self.excerpt[0].no
            ),
        ));
        drop_damaged_boundary(&mut lines, &mut self.diagnostics);
        self.assemble(lines, None)
    }

    /// Turns the lines of one excerpt into an article.
    fn assemble(&mut self, lines: Vec<Line>, boundary: Option<(usize, String)>) -> Option<Article> {
        let first = lines.first()?.no;
        let last = boundary
            .as_ref()
            .map_or_else(|| lines[lines.len() - 1].no, |b| b.0);
        let boundary_title = boundary.map(|(_, t)| t).filter(|t| !t.is_empty());
        let (slug, title, rest) = self.split_heading(lines, boundary_title.as_deref())?;
        let key = slug_key(&slug);
        if key.is_empty() {
            self.diagnostics.push(Diagnostic::warning(
                first,
                "article has no usable slug or title; skipped",
            ));
            return None;
        }
        if let Some(bt) = boundary_title
            .as_ref()
            .filter(|bt| fold(bt) != fold(&title))
        {
            self.diagnostics.push(Diagnostic::warning(
                last,
                format!("boundary title {bt:?} differs from the title {title:?}"),
            ));
        }
        let (dek, rest) = split_dek(rest);
        let (author, rest) = split_author(rest);
        let body = body_blocks(rest, &mut self.diagnostics);
        let author = author.or_else(|| self.page_author.clone().map(Author::of_page));
        Some(Article {
            slug,
            key,
            title,
            dek,
            body,
            author,
            permalink: None,
            date: None,
            updated: None,
            categories: Vec::new(),
            found_by: None,
            lines: (first, last),
        })
    }

    /// Finds the slug line and the title line at the top of an excerpt.
    fn split_heading(
        &mut self,
        lines: Vec<Line>,
        boundary_title: Option<&str>,
    ) -> Option<(String, String, Vec<Line>)> {
        let mut lines = lines;
        // A page header of another shape ("Category: Space", a bare section
        // name) stands above the first slug and title: not article text.
        if let [header, slug, title, ..] = lines.as_slice() {
            let below = is_slug_line(&slug.text) && !is_slug_line(&title.text);
            if !is_slug_line(&header.text) && below && slug_key(&slug.text) == slug_key(&title.text)
            {
                let header = lines.remove(0);
                self.diagnostics.push(Diagnostic::note(
                    header.no,
                    format!("page header {:?} skipped", header.text),
                ));
            }
        }
        let mut lines = lines.into_iter();
        let first = lines.next()?;
        if !is_slug_line(&first.text) {
            self.diagnostics.push(Diagnostic::note(
                first.no,
                "no slug line; slug made from the title",
            ));
            let slug = slugify(&first.text);
            return Some((slug, first.text, lines.collect()));
        }
        let mut rest: Vec<Line> = lines.collect();
        let title = if rest.first().is_some_and(|l| !is_slug_line(&l.text)) {
            rest.remove(0).text
        } else if let Some(bt) = boundary_title {
            self.diagnostics.push(Diagnostic::warning(
                first.no,
                "no title line; title taken from the boundary",
            ));
            bt.to_string()
        } else {
            self.diagnostics.push(Diagnostic::warning(
                first.no,
                "slug line with no title; skipped",
            ));
            return None;
        };
        if slug_key(&first.text) != slug_key(&title) {
            self.diagnostics.push(Diagnostic::warning(
                first.no,
                format!("slug {:?} does not match the title {title:?}", first.text),
            ));
        }
        Some((first.text, title, rest))
    }
}

impl<R: BufRead> Iterator for Parser<R> {
    type Item = Result<Article, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            match self.read_line() {
                Ok(Some(Read::Line(text))) => {
                    if let Some(article) = self.feed(text) {
                        return Some(Ok(article));
                    }
                }
                Ok(Some(Read::Overlong)) => self.overlong(),
                Ok(None) => {
                    self.finished = true;
                    if let Some(first) = self.excerpt.first() {
                        self.diagnostics.push(Diagnostic::warning(
                            first.no,
                            format!(
                                "incomplete article at the end of the input (lines {}-{}, no 'Read More »' boundary: the page was cut off); skipped",
                                first.no, self.line_no
                            ),
                        ));
                        self.excerpt.clear();
                        self.excerpt_bytes = 0;
                    }
                }
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// The author named by an `Author name:` page header.
fn header_author(text: &str) -> Option<&str> {
    let (label, name) = text.split_once(':')?;
    let label = label.trim().to_lowercase();
    let name = name.trim();
    (matches!(label.as_str(), "author name" | "author") && !name.is_empty()).then_some(name)
}

/// The title part of a boundary line `<Title> Read More »`.
fn boundary_title(text: &str) -> Option<&str> {
    let head = text
        .trim_end()
        .strip_suffix('»')
        .or_else(|| text.strip_suffix(">>"))?
        .trim_end();
    let cut = head.len().checked_sub("read more".len())?;
    let label = head.get(cut..)?;
    label
        .eq_ignore_ascii_case("read more")
        .then(|| head[..cut].trim_end())
}

/// A slug line: one lowercase token, no spaces.
fn is_slug_line(text: &str) -> bool {
    !text.contains(' ')
        && text.chars().any(char::is_alphanumeric)
        && !text.chars().any(char::is_uppercase)
        && !text.to_lowercase().starts_with("http")
}

/// A slug as the sites make them: lowercase, spaces to '-', punctuation kept.
fn slugify(title: &str) -> String {
    title
        .split(' ')
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// When the boundary itself was cut ("…chatbot productivity, Rea"), the
/// remains sit at the end of the excerpt: not article text.
fn drop_damaged_boundary(lines: &mut Vec<Line>, diagnostics: &mut Vec<Diagnostic>) {
    let [title_line, .., last] = lines.as_slice() else {
        return;
    };
    let title = lines
        .get(1)
        .filter(|_| is_slug_line(&title_line.text))
        .unwrap_or(title_line);
    let full = fold(&format!("{} Read More »", title.text));
    let tail = fold(&last.text);
    if tail.len() > full.len() / 2 && full.starts_with(&tail) && last.no != title.no {
        diagnostics.push(Diagnostic::note(
            last.no,
            "cut-off 'Read More »' line skipped",
        ));
        lines.pop();
    }
}

/// Takes the dek: the first line after the title when two blank lines precede it.
fn split_dek(mut rest: Vec<Line>) -> (Option<String>, Vec<Line>) {
    let is_dek = rest.first().is_some_and(|l| {
        l.blanks_before >= 2
            && l.text.chars().count() <= MAX_DEK_CHARS
            && credit_of(&l.text).is_none()
            && photo_of(&l.text).is_none()
    });
    if is_dek {
        (Some(rest.remove(0).text), rest)
    } else {
        (None, rest)
    }
}

/// Takes the closing "Photo of NAME" + bio block, if the excerpt ends with one.
/// A "Photo of X" line followed by a credit is a figure's caption, not an author.
fn split_author(mut rest: Vec<Line>) -> (Option<Author>, Vec<Line>) {
    let n = rest.len();
    if n >= 2
        && photo_of(&rest[n - 2].text).is_some()
        && photo_of(&rest[n - 1].text).is_none()
        && credit_of(&rest[n - 1].text).is_none()
    {
        let bio = rest.pop().map(|l| l.text);
        let name = rest
            .pop()
            .and_then(|l| photo_of(&l.text).map(str::to_string));
        return (name.map(|name| Author::own(name, bio)), rest);
    }
    if n >= 1 && photo_of(&rest[n - 1].text).is_some() {
        let name = rest
            .pop()
            .and_then(|l| photo_of(&l.text).map(str::to_string));
        return (name.map(|name| Author::own(name, None)), rest);
    }
    (None, rest)
}

/// The name in a "Photo of NAME" line: two to five capitalised words.
fn photo_of(text: &str) -> Option<&str> {
    let name = text.strip_prefix("Photo of ")?.trim();
    let words: Vec<&str> = name.split(' ').collect();
    let capitalised = words
        .iter()
        .all(|w| w.chars().next().is_some_and(|c| c.is_uppercase()));
    let plain = !name.ends_with('.') && !name.contains(':');
    ((1..=5).contains(&words.len()) && capitalised && plain).then_some(name)
}

/// The credit of a `Credit: who` line.
fn credit_of(text: &str) -> Option<&str> {
    let head = text.get(..7)?;
    head.eq_ignore_ascii_case("credit:")
        .then(|| text[7..].trim())
        .filter(|w| !w.is_empty())
}

/// Splits `caption Credit: who`.
fn caption_credit(text: &str) -> Option<(&str, &str)> {
    // `contains` first: it is vectorised, `rfind` is not, and most lines have none.
    if !text.contains(" Credit: ") {
        return None;
    }
    let at = text.rfind(" Credit: ")?;
    let (caption, who) = (text[..at].trim(), text[at + 9..].trim());
    (!who.is_empty() && who.chars().count() <= MAX_CREDIT_CHARS).then_some((caption, who))
}

/// A subheading: a short line that does not end a sentence.
fn is_heading(text: &str) -> bool {
    let stripped = text.trim_end_matches(['"', '\'', '”', '’', ')', ']']);
    let last = stripped.chars().last();
    let first = text.chars().next();
    text.chars().count() <= MAX_HEADING_CHARS
        && text.split(' ').count() <= MAX_HEADING_WORDS
        && !matches!(
            last,
            None | Some('.' | '!' | '?' | ':' | ';' | ',' | '…' | '|')
        )
        && first.is_some_and(|c| {
            c.is_uppercase() || c.is_numeric() || matches!(c, '“' | '"' | '‘' | '\'')
        })
        && !text.contains(" | ")
}

/// One line of the body, by what it looks like on its own.
enum Token<'a> {
    Text(&'a str),
    Credit(&'a str),
    CaptionCredit(&'a str, &'a str),
}

fn token(text: &str) -> Token<'_> {
    if let Some(who) = credit_of(text) {
        Token::Credit(who)
    } else if let Some((caption, who)) = caption_credit(text) {
        Token::CaptionCredit(caption, who)
    } else {
        Token::Text(text)
    }
}

/// Turns body lines into blocks: figures (with their repeated caption and
/// credit lines folded into one), headings and paragraphs; newsletter boxes
/// and a closing syndication footer are dropped with a note.
fn body_blocks(lines: Vec<Line>, diagnostics: &mut Vec<Diagnostic>) -> Vec<Block> {
    let mut blocks: Vec<(usize, Block)> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let next = lines.get(i + 1).map(|l| token(&l.text));
        i += 1;
        let bare = bare_credit(&lines[i - 1..]);
        if bare.is_some() {
            i += 2;
        }
        let figure = bare.or_else(|| match (token(&line.text), next) {
            (Token::Text(caption), Some(Token::Credit(who))) => {
                i += 1;
                Some((Some(caption), who))
            }
            (Token::Credit(who), _) => Some((None, who)),
            (Token::CaptionCredit(caption, who), _) => {
                Some((Some(caption).filter(|c| !c.is_empty()), who))
            }
            (Token::Text(text), _) => {
                if is_newsletter_button(text) {
                    drop_newsletter_box(&mut blocks, line.no, diagnostics);
                } else if is_heading(text) {
                    blocks.push((line.no, Block::Heading(text.to_string())));
                } else {
                    blocks.push((line.no, Block::Paragraph(text.to_string())));
                }
                None
            }
        });
        if let Some((mut caption, who)) = figure {
            while let Some(repeat) = lines
                .get(i)
                .and_then(|l| repeated_credit(&l.text, caption, who))
            {
                caption = caption.or(repeat);
                i += 1;
            }
            let block = Block::Figure {
                caption: caption.map(str::to_string),
                credit: Some(who.to_string()),
            };
            blocks.push((line.no, block));
        }
    }
    drop_footer(&mut blocks, diagnostics);
    blocks.into_iter().map(|(_, b)| b).collect()
}

/// A caption followed by a bare credit line ("Apple", without `Credit:`), as
/// older pages give: the short line directly after the caption is its
/// credit when the next line repeats it, alone or after the caption
/// ("Apple", "<caption> Apple" or "<caption> Credit: Apple"). Without that
/// repeat a short line after a paragraph stays a subheading.
fn bare_credit(lines: &[Line]) -> Option<(Option<&str>, &str)> {
    let [caption, who, repeat, ..] = lines else {
        return None;
    };
    let (caption, who, repeat) = (&caption.text, &who.text, &repeat.text);
    let plain = |t: &str| matches!(token(t), Token::Text(_)) && !is_newsletter_button(t);
    let short =
        who.chars().count() <= MAX_CREDIT_CHARS && who.split(' ').count() <= MAX_HEADING_WORDS;
    let repeated = repeat == who
        || repeat.strip_prefix(caption.as_str()).map(str::trim) == Some(who.as_str())
        || caption_credit(repeat) == Some((caption.as_str(), who.as_str()))
        || credit_of(repeat) == Some(who.as_str());
    (plain(caption) && plain(who) && short && caption != who && repeated)
        .then_some((Some(caption.as_str()), who.as_str()))
}

/// When `text` repeats the figure's credit (alone or after its caption),
/// returns the caption it carries.
fn repeated_credit<'a>(text: &'a str, caption: Option<&str>, who: &str) -> Option<Option<&'a str>> {
    match token(text) {
        Token::Credit(w) if w == who => Some(None),
        Token::CaptionCredit(c, w) if w == who && (caption.is_none() || caption == Some(c)) => {
            Some(Some(c))
        }
        _ => None,
    }
}

fn is_newsletter_button(text: &str) -> bool {
    // Lines are clean, and folding never shortens clean text: a line of
    // more bytes than four per character of the longest button is none,
    // and need not be folded.
    text.len() <= 4 * LONGEST_BUTTON && NEWSLETTER_BUTTONS.contains(&fold(text).as_str())
}

/// Drops a newsletter button and the pitch paragraph right above it.
fn drop_newsletter_box(
    blocks: &mut Vec<(usize, Block)>,
    button: usize,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let pitch = match blocks.last() {
        Some((no, Block::Paragraph(p))) if NEWSLETTER_WORDS.iter().any(|w| fold(p).contains(w)) => {
            Some(*no)
        }
        _ => None,
    };
    let start = match pitch {
        Some(no) => {
            blocks.pop();
            no
        }
        None => button,
    };
    diagnostics.push(Diagnostic::note(
        start,
        format!("newsletter box skipped (lines {start}-{button})"),
    ));
}

/// Drops a syndication or copyright footer closing the body.
fn drop_footer(blocks: &mut Vec<(usize, Block)>, diagnostics: &mut Vec<Diagnostic>) {
    if let Some((no, Block::Paragraph(p))) = blocks.last() {
        let footer = || {
            let folded = fold(p);
            FOOTER_MARKS.iter().any(|m| folded.starts_with(m))
        };
        if p.chars().count() <= 400 && footer() {
            diagnostics.push(Diagnostic::note(*no, "syndication footer skipped"));
            blocks.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> (Vec<Article>, Vec<Diagnostic>) {
        let mut parser = Parser::new(input.as_bytes(), Encoding::Strict);
        let articles = parser.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
        (articles, parser.take_diagnostics())
    }

    #[test]
    fn boundary_title_strips_the_label() {
        assert_eq!(boundary_title("A title Read More »"), Some("A title"));
        assert_eq!(boundary_title("A title read more»"), Some("A title"));
        assert_eq!(boundary_title("Read More »"), Some(""));
        assert_eq!(boundary_title("A title Read Mo"), None);
        assert_eq!(boundary_title("»"), None);
    }

    #[test]
    fn headings_are_short_unpunctuated_lines() {
        assert!(is_heading("Persona denies government, ICE ties"));
        assert!(is_heading("Platforms “bend over backward” to appease DHS"));
        assert!(!is_heading("Per the official logline:"));
        assert!(!is_heading("Sign Me Up!"));
        assert!(!is_heading(
            "February 12: Falcon 9 | Crew-12 | Cape Canaveral | 10: 15 UTC"
        ));
    }

    #[test]
    fn figure_lines_fold_into_one_block() {
        let input = "s\n\nT\n\nBody.\n\nCars look good.\n\nCredit: Jo\n\nCars look good. Credit: Jo\n\nCredit: Jo\n\nT Read More »\n";
        let (articles, _) = parse(input);
        assert_eq!(
            articles[0].body,
            vec![
                Block::Paragraph("Body.".into()),
                Block::Figure {
                    caption: Some("Cars look good.".into()),
                    credit: Some("Jo".into())
                }
            ]
        );
    }

    #[test]
    fn photo_of_block_becomes_the_author() {
        let input = "Author name: Page Owner\n\nt\n\nT\n\nBody.\n\nPhoto of Jane Roe\n\nJane is a senior space editor.\n\nT Read More »\n\nu\n\nU\n\nText.\n\nU Read More »";
        let (articles, _) = parse(input);
        let jane = articles[0].author.as_ref().unwrap();
        assert_eq!(
            (jane.name.as_str(), jane.bio.as_deref()),
            ("Jane Roe", Some("Jane is a senior space editor."))
        );
        assert_eq!(articles[0].body, vec![Block::Paragraph("Body.".into())]);
        assert_eq!(articles[1].author.as_ref().unwrap().name, "Page Owner");
    }

    #[test]
    // A closing "Photo of X" caption with its "Credit:" line is a figure, not the author block.
    fn closing_photo_caption_with_credit_stays_a_figure() {
        let input = "Author name: Page Owner\n\nt\n\nT\n\nBody.\n\nPhoto of Mount Hood\n\nCredit: Jo Roe\n\nT Read More »\n";
        let (articles, _) = parse(input);
        assert_eq!(articles[0].author.as_ref().unwrap().name, "Page Owner");
        assert_eq!(
            articles[0].body,
            vec![
                Block::Paragraph("Body.".into()),
                Block::Figure {
                    caption: Some("Photo of Mount Hood".into()),
                    credit: Some("Jo Roe".into())
                }
            ]
        );
    }

    #[test]
    // The tail of a dropped oversized excerpt is skipped up to its boundary, never made an article.
    fn oversized_excerpt_tail_is_not_an_article() {
        let mut input = String::from("big\n\nBig\n\n");
        for i in 0..=MAX_EXCERPT_LINES + 5 {
            input.push_str(&format!("Body line {i}.\n"));
        }
        input.push_str("Big Read More »\n\nnext\n\nNext\n\nText.\n\nNext Read More »\n");
        let (articles, diags) = parse(&input);
        let titles: Vec<_> = articles.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["Next"]);
        assert!(
            diags
                .iter()
                .any(|d| d.line == 1 && d.message.contains("excerpt skipped")),
            "{diags:?}"
        );
    }

    #[test]
    // A bare credit line after a caption, confirmed by its repeat, is the figure's credit, not a heading.
    fn bare_credit_after_a_caption_is_not_a_heading() {
        let input = "s\n\nT\n\nBody.\n\nThe new phone.\n\nApple\n\nThe new phone. Apple\n\nMore text.\n\nResults\n\nEnd.\n\nT Read More »\n";
        let (articles, _) = parse(input);
        assert_eq!(
            articles[0].body,
            vec![
                Block::Paragraph("Body.".into()),
                Block::Figure {
                    caption: Some("The new phone.".into()),
                    credit: Some("Apple".into())
                },
                Block::Paragraph("More text.".into()),
                Block::Heading("Results".into()),
                Block::Paragraph("End.".into()),
            ]
        );
    }

    #[test]
    fn a_category_page_header_is_not_an_article() {
        for header in ["Category: Space", "Space", "Section name: Space"] {
            let input = format!(
                "{header}\n\nnasa-flies\n\nNASA flies\n\nIt flew.\n\nNASA flies Read More »\n"
            );
            let (articles, diags) = parse(&input);
            assert_eq!(articles.len(), 1, "{header}");
            assert_eq!(
                (articles[0].key.as_str(), articles[0].title.as_str()),
                ("nasa-flies", "NASA flies")
            );
            assert_eq!(articles[0].body, vec![Block::Paragraph("It flew.".into())]);
            assert!(
                diags
                    .iter()
                    .any(|d| d.line == 1 && d.message.contains("page header")),
                "{diags:?}"
            );
        }
    }

    #[test]
    fn cut_off_excerpt_is_reported_not_merged() {
        let (articles, diags) = parse("a\n\nA\n\nBody.\n\nA Read More »\n\nb\n\nB\n\nHalf a sent");
        assert_eq!(articles.len(), 1);
        assert_eq!(articles[0].body, vec![Block::Paragraph("Body.".into())]);
        assert!(
            diags
                .iter()
                .any(|d| d.line == 9 && d.message.contains("incomplete")),
            "{diags:?}"
        );
    }

    #[test]
    fn missing_boundary_mid_page_closes_at_the_next_slug() {
        let input = "a-one\n\nA one\n\nBody.\n\nA one Read Mo\n\nb-two\n\nB two\n\nMore.\n\nB two Read More »\n";
        let (articles, diags) = parse(input);
        let titles: Vec<_> = articles.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["A one", "B two"]);
        assert_eq!(articles[0].body, vec![Block::Paragraph("Body.".into())]);
        assert!(
            diags
                .iter()
                .any(|d| d.line == 1 && d.message.contains("no 'Read More »' boundary"))
        );
    }

    #[test]
    fn invalid_utf8_names_the_byte_offset() {
        let mut parser = Parser::new(&b"ok\nbad \xff here\n"[..], Encoding::Strict);
        let err = parser.find_map(Result::err).unwrap();
        assert!(
            matches!(err, ParseError::InvalidUtf8 { line: 2, offset: 7 }),
            "{err:?}"
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545F4914F6CDD1Du64;
        let alphabet: Vec<&[u8]> = vec![
            b"\n",
            b"\n\n",
            b"Read More \xC2\xBB",
            b"Credit: ",
            b"Photo of A B",
            b"x-y",
            b"Title",
            b" ",
            b"\xE2\x80\x9C",
            b"Sign Me Up!",
            b"\r",
            b"\xff",
            b".",
            b"Author name: Z",
        ];
        for _ in 0..2000 {
            let mut input = Vec::new();
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                input.extend_from_slice(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            for encoding in [Encoding::Strict, Encoding::Lossy] {
                Parser::new(&input[..], encoding).for_each(drop);
            }
        }
    }
}
