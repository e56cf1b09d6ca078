//! The HTTP client readmore fetches and pings with: rustls (ring), no
//! system OpenSSL, timeouts, a bounded number of redirects, an honest
//! `User-Agent`; and error messages that say what went wrong in one line.

use std::error::Error as _;
use std::time::Duration;

use anyhow::{Context, Result};
use reqwest::blocking::Client;
use reqwest::redirect;

/// Limits of one client.
pub struct Limits {
    pub connect_timeout: f64,
    pub timeout: f64,
    pub redirects: usize,
}

pub fn client(user_agent: &str, limits: &Limits) -> Result<Client> {
    // One crypto provider for rustls; a second call finds it installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .user_agent(user_agent)
        .connect_timeout(Duration::from_secs_f64(limits.connect_timeout))
        .timeout(Duration::from_secs_f64(limits.timeout))
        .redirect(redirect::Policy::limited(limits.redirects))
        .gzip(true)
        .build()
        .context("cannot set up the HTTP client")
}

/// An error with its causes, as one line.
pub fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_redirect() {
        "too many redirects".to_string()
    } else {
        e.to_string()
    };
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
