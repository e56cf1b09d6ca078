//! Date text → instants: the dates listing pages show and the ones their
//! markup carries, in the conventions of the page's language and the
//! source's time zone.
//!
//! One reader, [`DateReader::read`], finds the first date written in a
//! piece of text, whether a machine value (`2018-06-18T10:30:00+02:00`, an
//! RFC 2822 `Mon, 18 Jun 2018 10:30:00 +0200`) or what people read ("Jun
//! 18, 2018", "18 June 2018", "June 18th, 2018", "13. Januar 2014", "9 de
//! março de 2023", "18 июня 2018 г.", "2018年6月18日", "18/06/2018"),
//! optionally followed by a time ("at 3:45 pm", "10h30", "10:30:00") and a
//! zone (`Z`, `+02:00`, `+0200`, `UTC`, `GMT`, the RFC 2822 US zones).
//!
//! - Month names and their abbreviations are known in English, German,
//!   French, Spanish, Italian, Portuguese, Dutch, Polish and Russian (with
//!   the genitive forms dates use); an abbreviation is any prefix of at least
//!   three letters that names one month only ("Sept.", "févr.", "dez").
//! - Numeric dates: year first (`2018-06-18`, `2018/6/18`, `2018.06.18`)
//!   is always year-month-day; a date with dots (`18.06.2018`) is
//!   day-first; with slashes or dashes, a part over 12 decides, else the
//!   page's [`Order`] (from `<html lang>`) does. Two-digit years are
//!   1970–2069.
//! - A date or time without a zone is in the reader's time zone (the
//!   source's `timezone`, UTC by default); a date without a time is noon
//!   of that day there, so that the day survives a reader's conversion to
//!   another zone and the store's moving of a taken date a second earlier.
//!
//! Dates are clamped into the years every format can write
//! ([`crate::clock`]). Which element of a page holds the published date is
//! [`crate::pubdate`]'s choice; keeping dates no later than the run's clock
//! is the store's rule.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::clock;

/// How a numeric date whose first two parts could both be months is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `03/04/2018` is 3 April (most of the world).
    DayFirst,
    /// `03/04/2018` is March 4 (US English).
    MonthFirst,
}

impl Order {
    /// The order a page in language `lang` (`<html lang>`) writes dates in:
    /// month-first for English without a region or with a US, Philippine or
    /// Canadian one, and for a page that does not say; day-first otherwise.
    pub fn for_lang(lang: Option<&str>) -> Order {
        let Some(lang) = lang.map(|l| l.trim().to_ascii_lowercase().replace('_', "-")) else {
            return Order::MonthFirst;
        };
        let mut parts = lang.split('-');
        let primary = parts.next().unwrap_or("");
        let region = parts.next();
        match (primary, region) {
            ("" | "en", None | Some("us" | "ph" | "ca")) => Order::MonthFirst,
            _ => Order::DayFirst,
        }
    }
}

/// Reads dates as one page writes them.
#[derive(Debug, Clone, Copy)]
pub struct DateReader {
    pub order: Order,
    /// The zone of dates and times written without one.
    pub zone: Tz,
}

impl Default for DateReader {
    fn default() -> Self {
        DateReader {
            order: Order::MonthFirst,
            zone: Tz::UTC,
        }
    }
}

impl DateReader {
    /// The first date (with its time and zone, when given) written in `text`.
    pub fn read(&self, text: &str) -> Option<DateTime<Utc>> {
        let tokens = tokenize(text);
        (0..tokens.len()).find_map(|start| {
            let mut at = Cursor {
                tokens: &tokens,
                pos: start,
            };
            let date = at.date(self.order)?;
            let time = at.time();
            let zone = time.and_then(|_| at.zone());
            let noon = NaiveTime::from_hms_opt(12, 0, 0)?;
            let local = date.and_time(time.unwrap_or(noon));
            let instant = match zone {
                Some(offset) => offset.from_local_datetime(&local).single()?.to_utc(),
                None => self.in_zone(local),
            };
            Some(clock::clamp(instant))
        })
    }

    /// A local date and time in the reader's zone; a time that a DST change
    /// skips is read an hour later.
    fn in_zone(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let zoned = self
            .zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.zone
                    .from_local_datetime(&(local + chrono::TimeDelta::hours(1)))
                    .earliest()
            });
        zoned.map_or_else(|| local.and_utc(), |d| d.to_utc())
    }
}

/// A piece of date text, and whether it touches the one before (no space
/// between them).
struct Piece {
    token: Token,
    glued: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A run of digits: its value and how many digits it has.
    Num(u32, usize),
    /// A run of letters, lowercased.
    Word(String),
    /// Any other character but a space.
    Sym(char),
}

fn tokenize(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut chars = text.chars().map(ascii_digit).peekable();
    let mut glued = false;
    while let Some(c) = chars.next() {
        let token = if let Some(d) = c.to_digit(10) {
            let (mut value, mut digits) = (d, 1);
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                value = value.saturating_mul(10).saturating_add(d);
                digits += 1;
                chars.next();
            }
            Token::Num(value, digits)
        } else if is_letter(c) {
            let mut word: String = c.to_lowercase().collect();
            while let Some(&next) = chars.peek().filter(|&&c| is_letter(c)) {
                word.extend(next.to_lowercase());
                chars.next();
            }
            Token::Word(word)
        } else if c.is_whitespace() {
            glued = false;
            continue;
        } else {
            Token::Sym(c)
        };
        pieces.push(Piece { token, glued });
        glued = true;
    }
    pieces
}

/// Full-width digits read as ASCII ones.
fn ascii_digit(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        _ => c,
    }
}

/// Letters that make words; the CJK and Korean date marks stand alone.
fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !CJK_MARKS.contains(&c)
}

/// Year, month and day marks of Chinese, Japanese and Korean dates.
const CJK_MARKS: [char; 6] = ['年', '月', '日', '년', '월', '일'];

/// Words that may stand between a day and its month or year ("18 de junio
/// de 2018", "the 18th of June").
const JOINERS: &[&str] = &["de", "del", "of", "den"];
/// Ordinal suffixes after a day ("18th", "1er", "1º").
const ORDINALS: &[&str] = &["st", "nd", "rd", "th", "er", "re", "e", "º", "ª", "o", "a"];
/// Words between a date and its time ("at 10:30", "um 10:30", "à 10h30").
const TIME_JOINERS: &[&str] = &[
    "t", "at", "um", "à", "a", "as", "às", "alle", "ore", "om", "o", "в", "godz", "klo", "kl",
];
/// Named zones: UTC and the US zones RFC 2822 allows, in hours east of UTC.
const ZONES: &[(&str, i32)] = &[
    ("z", 0),
    ("ut", 0),
    ("utc", 0),
    ("gmt", 0),
    ("est", -5),
    ("edt", -4),
    ("cst", -6),
    ("cdt", -5),
    ("mst", -7),
    ("mdt", -6),
    ("pst", -8),
    ("pdt", -7),
];

/// Month names (lowercase, full forms), by month. Abbreviations are read as
/// prefixes of these.
const MONTHS: [&[&str]; 12] = [
    &[
        "january",
        "januar",
        "jänner",
        "janvier",
        "enero",
        "gennaio",
        "janeiro",
        "januari",
        "stycznia",
        "styczeń",
        "styczen",
        "января",
        "январь",
    ],
    &[
        "february",
        "februar",
        "février",
        "fevrier",
        "febrero",
        "febbraio",
        "fevereiro",
        "februari",
        "lutego",
        "luty",
        "февраля",
        "февраль",
    ],
    &[
        "march",
        "märz",
        "maerz",
        "mrz",
        "mars",
        "marzo",
        "março",
        "marco",
        "maart",
        "mrt",
        "marca",
        "marzec",
        "марта",
        "март",
    ],
    &[
        "april",
        "avril",
        "abril",
        "aprile",
        "kwietnia",
        "kwiecień",
        "kwiecien",
        "апреля",
        "апрель",
    ],
    &[
        "may", "mai", "mayo", "maggio", "maio", "mei", "maja", "maj", "мая", "май",
    ],
    &[
        "june", "juni", "juin", "junio", "giugno", "junho", "czerwca", "czerwiec", "июня", "июнь",
    ],
    &[
        "july", "juli", "juillet", "julio", "luglio", "julho", "lipca", "lipiec", "июля", "июль",
    ],
    &[
        "august",
        "août",
        "aout",
        "agosto",
        "augustus",
        "sierpnia",
        "sierpień",
        "sierpien",
        "августа",
        "август",
    ],
    &[
        "september",
        "septembre",
        "septiembre",
        "setiembre",
        "settembre",
        "setembro",
        "września",
        "wrzesnia",
        "wrzesień",
        "wrzesien",
        "сентября",
        "сентябрь",
    ],
    &[
        "october",
        "oktober",
        "octobre",
        "octubre",
        "ottobre",
        "outubro",
        "października",
        "pazdziernika",
        "październik",
        "pazdziernik",
        "октября",
        "октябрь",
    ],
    &[
        "november",
        "novembre",
        "noviembre",
        "novembro",
        "listopada",
        "listopad",
        "ноября",
        "ноябрь",
    ],
    &[
        "december",
        "dezember",
        "décembre",
        "decembre",
        "diciembre",
        "dicembre",
        "dezembro",
        "grudnia",
        "grudzień",
        "grudzien",
        "декабря",
        "декабрь",
    ],
];

/// The month (1-12) a word names: a full form, or a prefix of at least
/// three letters shared by one month's forms only.
fn month(word: &str) -> Option<u32> {
    if let Some(m) = MONTHS.iter().position(|forms| forms.contains(&word)) {
        return Some(m as u32 + 1);
    }
    if word.chars().count() < 3 {
        return None;
    }
    let mut found = None;
    for (m, forms) in MONTHS.iter().enumerate() {
        if forms.iter().any(|f| f.starts_with(word)) {
            if found.is_some() {
                return None;
            }
            found = Some(m as u32 + 1);
        }
    }
    found
}

/// A position in the tokens; each reader advances it only on success.
struct Cursor<'a> {
    tokens: &'a [Piece],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|p| &p.token)
    }

    /// Whether the next token touches the one before it.
    fn glued(&self) -> bool {
        self.tokens.get(self.pos).is_some_and(|p| p.glued)
    }

    /// Runs `read` from here; keeps its advance only when it succeeds.
    fn attempt<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let start = self.pos;
        let found = read(self);
        if found.is_none() {
            self.pos = start;
        }
        found
    }

    fn num(&mut self, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
        match self.peek()? {
            Token::Num(value, n) if digits.contains(n) => {
                let value = *value;
                self.pos += 1;
                Some(value)
            }
            _ => None,
        }
    }

    fn sym(&mut self, accept: &[char]) -> Option<char> {
        match self.peek()? {
            Token::Sym(c) if accept.contains(c) => {
                let c = *c;
                self.pos += 1;
                Some(c)
            }
            _ => None,
        }
    }

    fn word(&mut self, accept: &[&str]) -> Option<()> {
        match self.peek()? {
            Token::Word(w) if accept.contains(&w.as_str()) => {
                self.pos += 1;
                Some(())
            }
            _ => None,
        }
    }

    fn month(&mut self) -> Option<u32> {
        match self.peek()? {
            Token::Word(w) => {
                let m = month(w)?;
                self.pos += 1;
                self.sym(&['.']);
                Some(m)
            }
            _ => None,
        }
    }

    /// Skips what may stand between the parts of a written date.
    fn filler(&mut self) {
        self.sym(&['.', ',', '-', '/']);
        self.word(JOINERS);
    }

    fn year(&mut self) -> Option<i32> {
        self.num(4..=4).map(|y| y as i32)
    }

    fn date(&mut self, order: Order) -> Option<NaiveDate> {
        self.attempt(Self::year_first)
            .or_else(|| self.attempt(|c| c.numeric(order)))
            .or_else(|| self.attempt(Self::day_month_year))
            .or_else(|| self.attempt(Self::month_day_year))
    }

    /// `2018-06-18`, `2018/6/18`, `2018.06.18`, `2018年6月18日`.
    fn year_first(&mut self) -> Option<NaiveDate> {
        let year = self.year()?;
        if self.sym(&['年', '년']).is_some() {
            let month = self.num(1..=2)?;
            self.sym(&['月', '월'])?;
            let day = self.num(1..=2)?;
            self.sym(&['日', '일'])?;
            return NaiveDate::from_ymd_opt(year, month, day);
        }
        let sep = self.sym(&['-', '/', '.'])?;
        let month = self.num(1..=2)?;
        self.sym(&[sep])?;
        let day = self.num(1..=2)?;
        NaiveDate::from_ymd_opt(year, month, day)
    }

    /// `18/06/2018`, `06/18/2018`, `18.06.2018`, `18-06-18`.
    fn numeric(&mut self, order: Order) -> Option<NaiveDate> {
        let first = self.num(1..=2)?;
        let sep = self.sym(&['/', '.', '-'])?;
        let second = self.num(1..=2)?;
        self.sym(&[sep])?;
        let year = match self.peek()? {
            Token::Num(y, 4) => *y as i32,
            Token::Num(y, 2) if *y < 70 => 2000 + *y as i32,
            Token::Num(y, 2) => 1900 + *y as i32,
            _ => return None,
        };
        self.pos += 1;
        let day_first = match (first > 12, second > 12) {
            (true, _) => true,
            (false, true) => false,
            _ => sep == '.' || order == Order::DayFirst,
        };
        let (day, month) = if day_first {
            (first, second)
        } else {
            (second, first)
        };
        NaiveDate::from_ymd_opt(year, month, day)
    }

    /// `18 June 2018`, `13. Januar 2014`, `9 de março de 2023`, `1er juin 2018`.
    fn day_month_year(&mut self) -> Option<NaiveDate> {
        let day = self.num(1..=2)?;
        self.word(ORDINALS);
        self.filler();
        let month = self.month()?;
        self.filler();
        let year = self.year()?;
        NaiveDate::from_ymd_opt(year, month, day)
    }

    /// `Jun 18, 2018`, `June 18th, 2018`.
    fn month_day_year(&mut self) -> Option<NaiveDate> {
        let month = self.month()?;
        self.filler();
        let day = self.num(1..=2)?;
        self.word(ORDINALS);
        self.filler();
        let year = self.year()?;
        NaiveDate::from_ymd_opt(year, month, day)
    }

    /// A time after a date: `10:30`, `10:30:15.250`, `3:45 pm`, `10h30`.
    fn time(&mut self) -> Option<NaiveTime> {
        self.attempt(|c| {
            c.sym(&[',', '-', '|', '@']);
            c.word(TIME_JOINERS);
            let hour = c.num(1..=2)?;
            if c.sym(&[':']).is_none() {
                c.word(&["h"])?;
            }
            let minute = c.num(2..=2)?;
            let second = c
                .attempt(|c| {
                    c.sym(&[':'])?;
                    c.num(2..=2)
                })
                .unwrap_or(0);
            c.attempt(|c| {
                c.sym(&['.', ','])?;
                c.num(1..=9)
            });
            let hour = match c.attempt(Self::meridiem) {
                Some(pm) if hour <= 12 => hour % 12 + if pm { 12 } else { 0 },
                Some(_) => return None,
                None => hour,
            };
            NaiveTime::from_hms_opt(hour, minute, second)
        })
    }

    /// `am`/`pm` (also `a.m.`): whether it is afternoon.
    fn meridiem(&mut self) -> Option<bool> {
        let pm = match self.peek()? {
            Token::Word(w) if w == "am" || w == "a" => false,
            Token::Word(w) if w == "pm" || w == "p" => true,
            _ => return None,
        };
        self.pos += 1;
        if self.sym(&['.']).is_some() {
            self.word(&["m"]);
            self.sym(&['.']);
        }
        Some(pm)
    }

    /// A zone after a time: `Z`, `+02:00`, `+0200`, `-05`, `UTC`, `GMT+1`, `EST`.
    fn zone(&mut self) -> Option<FixedOffset> {
        let named = self.attempt(|c| match c.peek()? {
            Token::Word(w) => {
                let hours = ZONES.iter().find(|(name, _)| name == w)?.1;
                c.pos += 1;
                Some(hours * 3600)
            }
            _ => None,
        });
        let offset = self.attempt(Self::offset);
        if named.is_none() && offset.is_none() {
            return None;
        }
        FixedOffset::east_opt(named.unwrap_or(0) + offset.unwrap_or(0))
    }

    /// `+02:00`, `+0200`, `-5`: seconds east of UTC. The digits must touch
    /// the sign, so "10:30 - 5 comments" has no zone.
    fn offset(&mut self) -> Option<i32> {
        let sign = match self.sym(&['+', '-', '\u{2212}'])? {
            '+' => 1,
            _ => -1,
        };
        if !self.glued() {
            return None;
        }
        let (hours, minutes) = match self.num(4..=4) {
            Some(hhmm) => (hhmm / 100, hhmm % 100),
            None => {
                let hours = self.num(1..=2)?;
                let minutes = self
                    .attempt(|c| {
                        c.sym(&[':'])?;
                        c.num(2..=2)
                    })
                    .unwrap_or(0);
                (hours, minutes)
            }
        };
        (hours < 24 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60) as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> String {
        DateReader::default()
            .read(text)
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "none".into())
    }

    fn day(reader: &DateReader, text: &str) -> String {
        reader
            .read(text)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn iso_8601_with_and_without_zone() {
        assert_eq!(utc("2018-06-18T10:30:00Z"), "2018-06-18T10:30:00+00:00");
        assert_eq!(
            utc("2018-06-18T10:30:00+02:00"),
            "2018-06-18T08:30:00+00:00"
        );
        assert_eq!(utc("2018-06-18T10:30:00-0500"), "2018-06-18T15:30:00+00:00");
        assert_eq!(
            utc("2018-06-18T10:30:00.123+05:30"),
            "2018-06-18T05:00:00+00:00"
        );
        assert_eq!(utc("2018-06-18T10:30+01"), "2018-06-18T09:30:00+00:00");
        assert_eq!(utc("2018-06-18 10:30:00"), "2018-06-18T10:30:00+00:00");
        assert_eq!(utc("2018-06-18T10:30:00"), "2018-06-18T10:30:00+00:00");
        assert_eq!(utc("2018-06-18"), "2018-06-18T12:00:00+00:00");
        assert_eq!(utc(" 2018-6-8 "), "2018-06-08T12:00:00+00:00");
    }

    #[test]
    fn rfc_2822_and_named_zones() {
        assert_eq!(
            utc("Mon, 18 Jun 2018 10:30:00 +0200"),
            "2018-06-18T08:30:00+00:00"
        );
        assert_eq!(utc("18 Jun 2018 10:30:00 GMT"), "2018-06-18T10:30:00+00:00");
        assert_eq!(
            utc("Mon, 18 Jun 2018 10:30:00 EST"),
            "2018-06-18T15:30:00+00:00"
        );
        assert_eq!(utc("18 Jun 2018 22:00 UTC+1"), "2018-06-18T21:00:00+00:00");
        // A dash after a time is not a zone unless its digits touch it.
        assert_eq!(
            utc("18 Jun 2018 22:00 - 5 comments"),
            "2018-06-18T22:00:00+00:00"
        );
    }

    #[test]
    fn english_written_dates() {
        let r = DateReader::default();
        for text in [
            "Jun 18, 2018",
            "June 18, 2018",
            "June 18th, 2018",
            "Posted on June 18th 2018 by Jane",
            "Monday, 18 June 2018",
            "18th of June, 2018",
            "18-Jun-2018",
            "Sept. 18, 2018",
        ] {
            let want = if text.starts_with("Sept") {
                "2018-09-18"
            } else {
                "2018-06-18"
            };
            assert_eq!(day(&r, text), want, "{text}");
        }
    }

    #[test]
    fn times_after_written_dates() {
        assert_eq!(utc("June 18, 2018 at 3:45 pm"), "2018-06-18T15:45:00+00:00");
        assert_eq!(
            utc("June 18, 2018 at 12:05 a.m."),
            "2018-06-18T00:05:00+00:00"
        );
        assert_eq!(utc("18/06/2018 à 10h30"), "2018-06-18T10:30:00+00:00");
        assert_eq!(utc("18.06.2018, 22:15"), "2018-06-18T22:15:00+00:00");
    }

    #[test]
    fn month_names_in_every_language() {
        let r = DateReader::default();
        let cases = [
            ("13. Januar 2014", "2014-01-13"),
            ("3. März 2014", "2014-03-03"),
            ("1. Dez. 2019", "2019-12-01"),
            ("1er février 2020", "2020-02-01"),
            ("14 juillet 2021", "2021-07-14"),
            ("3 août 2021", "2021-08-03"),
            ("18 de junio de 2018", "2018-06-18"),
            ("5 de septiembre, 2017", "2017-09-05"),
            ("12 giugno 2015", "2015-06-12"),
            ("7 ott 2015", "2015-10-07"),
            ("9 de março de 2023", "2023-03-09"),
            ("25 de dezembro de 2020", "2020-12-25"),
            ("18 juni 2018", "2018-06-18"),
            ("2 mrt 2018", "2018-03-02"),
            ("18 czerwca 2018", "2018-06-18"),
            ("3 października 2019", "2019-10-03"),
            ("1 maja 2020", "2020-05-01"),
            ("18 июня 2018 г.", "2018-06-18"),
            ("1 сентября 2016", "2016-09-01"),
            ("Декабрь 5, 2016", "2016-12-05"),
            ("2018年6月18日", "2018-06-18"),
            ("２０１８年６月１８日", "2018-06-18"),
            ("2018년 6월 18일", "2018-06-18"),
        ];
        for (text, want) in cases {
            assert_eq!(day(&r, text), want, "{text}");
        }
    }

    #[test]
    fn numeric_dates_follow_the_page_language() {
        let us = DateReader {
            order: Order::for_lang(Some("en-US")),
            ..DateReader::default()
        };
        let fr = DateReader {
            order: Order::for_lang(Some("fr-FR")),
            ..DateReader::default()
        };
        assert_eq!(day(&us, "03/04/2018"), "2018-03-04");
        assert_eq!(day(&fr, "03/04/2018"), "2018-04-03");
        // A part over 12 decides whatever the language says.
        assert_eq!(day(&us, "29/09/2009"), "2009-09-29");
        assert_eq!(day(&fr, "09/29/2009"), "2009-09-29");
        // Dots are day-first everywhere; year-first is year-month-day everywhere.
        assert_eq!(day(&us, "03.04.2018"), "2018-04-03");
        assert_eq!(day(&fr, "2018/04/03"), "2018-04-03");
        assert_eq!(day(&fr, "03-04-18"), "2018-04-03");
        assert_eq!(day(&us, "12/31/99"), "1999-12-31");
    }

    #[test]
    fn languages_map_to_orders() {
        assert_eq!(Order::for_lang(None), Order::MonthFirst);
        assert_eq!(Order::for_lang(Some("en")), Order::MonthFirst);
        assert_eq!(Order::for_lang(Some("en_US")), Order::MonthFirst);
        assert_eq!(Order::for_lang(Some("en-GB")), Order::DayFirst);
        assert_eq!(Order::for_lang(Some("de")), Order::DayFirst);
        assert_eq!(Order::for_lang(Some("pt-BR")), Order::DayFirst);
    }

    #[test]
    fn dates_without_zone_are_in_the_source_zone() {
        let berlin = DateReader {
            zone: "Europe/Berlin".parse().unwrap(),
            ..DateReader::default()
        };
        let ny = DateReader {
            zone: "America/New_York".parse().unwrap(),
            ..DateReader::default()
        };
        let at = |r: &DateReader, t: &str| r.read(t).unwrap().to_rfc3339();
        assert_eq!(
            at(&berlin, "2018-06-18T10:30:00"),
            "2018-06-18T08:30:00+00:00"
        );
        assert_eq!(at(&berlin, "18. Januar 2018"), "2018-01-18T11:00:00+00:00");
        assert_eq!(
            at(&ny, "June 18, 2018 at 9:00 pm"),
            "2018-06-19T01:00:00+00:00"
        );
        // A written zone wins over the source's.
        assert_eq!(at(&ny, "2018-06-18T10:30:00Z"), "2018-06-18T10:30:00+00:00");
        // 02:30 does not exist on the night clocks go forward: read an hour later.
        assert_eq!(at(&berlin, "2018-03-25 02:30"), "2018-03-25T01:30:00+00:00");
    }

    #[test]
    fn abbreviations_name_one_month_only() {
        assert_eq!(month("sept"), Some(9));
        assert_eq!(month("févr"), Some(2));
        assert_eq!(month("dez"), Some(12));
        assert_eq!(month("янв"), Some(1));
        assert_eq!(month("paź"), Some(10));
        // Too short, or not a month.
        assert_eq!(month("ju"), None);
        assert_eq!(month("ago"), Some(8));
        assert_eq!(month("the"), None);
        // A three-letter prefix names its own month, or none when two
        // months share it ("jui": juin, juillet); never another month.
        for (m, forms) in MONTHS.iter().enumerate() {
            for form in forms.iter() {
                let prefix: String = form.chars().take(3).collect();
                let read = month(&prefix);
                assert!(
                    read.is_none() || read == Some(m as u32 + 1),
                    "{prefix} of {form}"
                );
            }
        }
        assert_eq!(month("jui"), None);
    }

    #[test]
    fn dates_outside_the_writable_years_are_clamped() {
        assert_eq!(
            utc("0000-01-01T00:00:00+23:59"),
            "0001-01-01T00:00:00+00:00"
        );
        assert_eq!(
            utc("9999-12-31T23:00:00-05:00"),
            "9999-12-31T23:59:59+00:00"
        );
    }

    #[test]
    fn text_without_a_full_date_gives_none() {
        for text in [
            "",
            "February 19",
            "2 days ago",
            "June 2018",
            "version 1.2.3",
            "2018-13-45",
            "31/02/2018",
            "Read more",
            "12:30",
        ] {
            assert_eq!(utc(text), "none", "{text}");
        }
    }

    #[test]
    fn first_date_in_a_byline_wins() {
        assert_eq!(
            utc("By Jane Doe | 18 June 2018 | updated 20 June 2018"),
            "2018-06-18T12:00:00+00:00"
        );
        assert_eq!(
            utc("Published: 2018-06-18. Comments: 3"),
            "2018-06-18T12:00:00+00:00"
        );
    }
}
