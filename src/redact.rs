//! Credentials in URLs: where they may live and where they never go.
//!
//! A source or hub URL may carry user info (`https://user:secret@host/`),
//! as commercial hubs and password-protected pages need. It lives in the
//! config alone: readmore sends it (reqwest turns it into basic auth) but
//! never shows, stores or publishes it. Everything that names such a URL —
//! diagnostics, the summary, the store, `status`, the feeds' `rel="hub"`
//! links, `serve`'s `Link` headers, permalinks resolved against a fetched
//! page — goes through [`url()`] or, for free text such as an error chain,
//! [`text`].

use std::borrow::Cow;

/// `url` without its user info; unchanged when it has none or is no URL.
pub fn url(url: &str) -> Cow<'_, str> {
    match url::Url::parse(url) {
        Ok(parsed) if has_user_info(&parsed) => Cow::Owned(strip(parsed).to_string()),
        _ => Cow::Borrowed(url),
    }
}

/// `url` without its user info.
pub fn strip(mut url: url::Url) -> url::Url {
    if has_user_info(&url) {
        // Only URLs that cannot have a host refuse these, and they have
        // no user info.
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    url
}

fn has_user_info(url: &url::Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// `text` with the user info of every `scheme://user:pw@host` in it
/// removed: for messages that may quote a URL, such as an error chain.
pub fn text(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let authority_start = at + 3;
        let authority_len = rest[authority_start..]
            .find(|c: char| "/?#".contains(c) || c.is_whitespace() || "\"'<>()".contains(c))
            .unwrap_or(rest.len() - authority_start);
        let authority = &rest[authority_start..authority_start + authority_len];
        out.push_str(&rest[..authority_start]);
        match authority.rfind('@') {
            Some(user_end) => {
                out.push_str(&authority[user_end + 1..]);
                changed = true;
            }
            None => out.push_str(authority),
        }
        rest = &rest[authority_start + authority_len..];
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // User and password both go; the rest of the URL stays as written.
    #[test]
    fn urls_lose_their_user_info_only() {
        assert_eq!(
            url("https://user:secret@hub.example/p?q=1"),
            "https://hub.example/p?q=1"
        );
        assert_eq!(url("https://token@hub.example/"), "https://hub.example/");
        assert_eq!(url("https://hub.example/a@b"), "https://hub.example/a@b");
        assert_eq!(url("feeds/page.txt"), "feeds/page.txt");
    }

    // Error chains quoting a URL keep everything but the credentials.
    #[test]
    fn text_loses_every_quoted_credential() {
        let message = "error sending request for url (https://u:p@a.example/x): \
                       redirect to http://v:q@b.example failed; mail me@c.example";
        assert_eq!(
            text(message),
            "error sending request for url (https://a.example/x): \
             redirect to http://b.example failed; mail me@c.example"
        );
        assert!(matches!(text("no url here"), Cow::Borrowed(_)));
    }
}
