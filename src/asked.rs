//! What a server asks of a client's next request, from its response
//! headers: `Retry-After` on `429 Too Many Requests` and `503 Service
//! Unavailable` (delta-seconds or an HTTP-date), and on a page served
//! (`2xx`, `304`) how long it stays fresh: `Cache-Control: max-age` less
//! its `Age`, else `Expires` less its `Date` (RFC 9111 §4.2.1);
//! `no-cache` and `no-store` ask for none.
//!
//! The worker's schedule keeps a source no sooner than this, within
//! bounds of its own (`store::schedule`); one-shot builds only record it.

use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::{AGE, CACHE_CONTROL, DATE, EXPIRES, HeaderMap, RETRY_AFTER};

use crate::store::Asked;

/// What the response of `status` with `headers`, received at `now` (Unix
/// seconds), asks: none when it asks for nothing in the future.
pub fn asked(status: StatusCode, headers: &HeaderMap, now: i64) -> Option<Asked> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let (seconds, why) = if [
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::SERVICE_UNAVAILABLE,
    ]
    .contains(&status)
    {
        let value = header(RETRY_AFTER)?;
        let seconds = match value.parse::<u64>() {
            Ok(delta) => i64::try_from(delta).unwrap_or(i64::MAX),
            Err(_) => date(value)?.saturating_sub(header(DATE).and_then(date).unwrap_or(now)),
        };
        (seconds, format!("Retry-After: {value}"))
    } else if status.is_success() || status == StatusCode::NOT_MODIFIED {
        fresh_for(
            header(CACHE_CONTROL),
            header(EXPIRES),
            header(DATE),
            header(AGE),
            now,
        )?
    } else {
        return None;
    };
    (seconds > 0).then(|| Asked {
        until: now.saturating_add(seconds),
        why,
    })
}

/// How many more seconds a response stays fresh, and which header said
/// so.
fn fresh_for(
    cache_control: Option<&str>,
    expires: Option<&str>,
    date_header: Option<&str>,
    age: Option<&str>,
    now: i64,
) -> Option<(i64, String)> {
    let directives: Vec<(String, Option<&str>)> = cache_control
        .unwrap_or("")
        .split(',')
        .map(|d| {
            let (name, value) = d.split_once('=').map_or((d, None), |(n, v)| (n, Some(v)));
            (
                name.trim().to_ascii_lowercase(),
                value.map(|v| v.trim().trim_matches('"')),
            )
        })
        .collect();
    if directives
        .iter()
        .any(|(name, _)| name == "no-cache" || name == "no-store")
    {
        return None;
    }
    let max_age = directives
        .iter()
        .find(|(name, _)| name == "max-age")
        .and_then(|(_, value)| value.as_ref()?.parse::<u64>().ok());
    if let Some(max_age) = max_age {
        let age = age.and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
        let left = i64::try_from(max_age.saturating_sub(age)).unwrap_or(i64::MAX);
        return Some((left, format!("Cache-Control: max-age={max_age}")));
    }
    let expires_text = expires?;
    // An invalid date (such as "0") means already expired.
    let left = date(expires_text)?.saturating_sub(date_header.and_then(date).unwrap_or(now));
    Some((left, format!("Expires: {expires_text}")))
}

/// An HTTP-date as Unix seconds.
fn date(text: &str) -> Option<i64> {
    let at = httpdate::parse_http_date(text).ok()?;
    let secs = at.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const NOW: i64 = 1_770_000_000;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn http_date(secs: i64) -> String {
        httpdate::fmt_http_date(
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64),
        )
    }

    /// Guards Retry-After in both forms, on 429 and 503 only.
    #[test]
    fn retry_after_in_seconds_or_as_a_date_on_429_and_503() {
        let seconds = headers(&[("retry-after", "120")]);
        assert_eq!(
            asked(StatusCode::TOO_MANY_REQUESTS, &seconds, NOW),
            Some(Asked {
                until: NOW + 120,
                why: "Retry-After: 120".into()
            })
        );
        let at = http_date(NOW + 600);
        let dated = headers(&[("retry-after", &at)]);
        assert_eq!(
            asked(StatusCode::SERVICE_UNAVAILABLE, &dated, NOW).map(|a| a.until),
            Some(NOW + 600)
        );
        assert_eq!(
            asked(StatusCode::INTERNAL_SERVER_ERROR, &seconds, NOW),
            None
        );
        let past = headers(&[("retry-after", &http_date(NOW - 5))]);
        assert_eq!(asked(StatusCode::TOO_MANY_REQUESTS, &past, NOW), None);
        let junk = headers(&[("retry-after", "soon")]);
        assert_eq!(asked(StatusCode::TOO_MANY_REQUESTS, &junk, NOW), None);
    }

    /// Guards the caching headers: max-age less Age, over Expires less
    /// Date; no-cache, no-store and an invalid Expires ask for nothing.
    #[test]
    fn max_age_less_age_then_expires_less_date() {
        let fresh = headers(&[
            ("cache-control", "public, MAX-AGE=3600"),
            ("age", "600"),
            ("expires", &http_date(NOW + 99_999)),
        ]);
        assert_eq!(
            asked(StatusCode::OK, &fresh, NOW),
            Some(Asked {
                until: NOW + 3000,
                why: "Cache-Control: max-age=3600".into()
            })
        );
        let expires = headers(&[
            ("expires", &http_date(NOW + 1000)),
            ("date", &http_date(NOW - 100)),
        ]);
        assert_eq!(
            asked(StatusCode::NOT_MODIFIED, &expires, NOW).map(|a| a.until),
            Some(NOW + 1100)
        );
        for no in ["no-cache", "max-age=60, no-store"] {
            let h = headers(&[("cache-control", no), ("expires", &http_date(NOW + 60))]);
            assert_eq!(asked(StatusCode::OK, &h, NOW), None, "{no}");
        }
        assert_eq!(
            asked(StatusCode::OK, &headers(&[("expires", "0")]), NOW),
            None
        );
        assert_eq!(asked(StatusCode::OK, &headers(&[]), NOW), None);
        let cached = headers(&[("cache-control", "max-age=60")]);
        assert_eq!(asked(StatusCode::NOT_FOUND, &cached, NOW), None);
    }
}
