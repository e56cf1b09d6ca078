//! One article however many sources show it.
//!
//! Within a run, an article is a duplicate of one found earlier when it has
//! the same key (the same slug on a page, the same publisher id from the
//! same site), or, coming from another source, the same permalink once
//! normalised ([`crate::feedsrc::link_identity`]). Items of one source that
//! share a link (a podcast whose items all link the show's page) stay
//! distinct.
//!
//! Across runs, a new article whose permalink is the id of an article the
//! store already holds (an HTML page read yesterday, its site's feed
//! today) takes that article's key, so it updates it instead of appearing
//! twice — unless its source shows that link on several articles.

use std::collections::HashMap;

use crate::article::Article;
use crate::feedsrc::link_identity;

/// Where each article of the run was first found: source name and line.
type At = (String, usize);

#[derive(Default)]
pub struct Seen {
    keys: HashMap<String, At>,
    links: HashMap<String, At>,
    /// The store's articles: every key, and keys by normalised id link.
    stored: Option<Stored>,
}

struct Stored {
    keys: std::collections::HashSet<String>,
    by_link: HashMap<String, String>,
}

impl Seen {
    /// Remembers the store's articles (key and id link), when there is a
    /// store, for [`Seen::adopt`].
    pub fn new(stored: Option<&[(String, Option<String>)]>) -> Self {
        let stored = stored.map(|ids| Stored {
            keys: ids.iter().map(|(key, _)| key.clone()).collect(),
            by_link: ids
                .iter()
                .filter_map(|(key, guid)| Some((link_identity(guid.as_deref()?)?, key.clone())))
                .collect(),
        });
        Self {
            stored,
            ..Self::default()
        }
    }

    /// Gives a source's new articles the key of the stored article their
    /// permalink is the id of; returns a note per article taken over.
    pub fn adopt(&self, articles: &mut [Article]) -> Vec<(usize, String)> {
        let Some(stored) = &self.stored else {
            return Vec::new();
        };
        let links: Vec<Option<String>> = articles
            .iter()
            .map(|a| a.permalink.as_deref().and_then(link_identity))
            .collect();
        let mut notes = Vec::new();
        for (article, link) in articles.iter_mut().zip(&links) {
            let Some(link) = link else { continue };
            if stored.keys.contains(&article.key)
                || links.iter().flatten().filter(|l| *l == link).count() > 1
            {
                continue;
            }
            if let Some(key) = stored.by_link.get(link) {
                article.key = key.clone();
                let note = format!(
                    "the same link as an article already stored ({key}); kept as that article"
                );
                notes.push((article.lines.0, note));
            }
        }
        notes
    }

    /// Records an article of source `name`; `Some(message)` when it is a
    /// duplicate of one found earlier in the run.
    pub fn check(&mut self, name: &str, article: &Article) -> Option<String> {
        let link = article.permalink.as_deref().and_then(link_identity);
        let earlier = self
            .keys
            .get(&article.key)
            .map(|at| (at, "same slug or id"))
            .or_else(|| {
                let at = self.links.get(link.as_ref()?)?;
                (at.0 != name).then_some((at, "same link"))
            });
        if let Some(((first, line), why)) = earlier {
            return Some(format!(
                "duplicate of the article at {first}:{line} ({why}); skipped"
            ));
        }
        let at = (name.to_string(), article.lines.0);
        self.keys.insert(article.key.clone(), at.clone());
        if let Some(link) = link {
            self.links.insert(link, at);
        }
        None
    }
}
