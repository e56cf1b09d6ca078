//! `readmore serve`: the output directory over HTTP, for previews, for a
//! WebSub hub that fetches a topic, and for small deployments.
//!
//! GET and HEAD only. Each file is sent with its media type, a weak `ETag`
//! (size and mtime) and `Last-Modified`, and `304 Not Modified` when the
//! client's `If-None-Match` or `If-Modified-Since` still holds; gzip when the
//! client accepts it (tower-http). Feed responses carry the WebSub discovery
//! headers `Link: <hub>; rel="hub"` and `Link: <self>; rel="self"`. Nothing
//! outside the directory can be read: paths are percent-decoded and refused
//! if any segment is `..`, hidden, or holds a separator or NUL, and the
//! resolved file (symlinks followed) must lie inside the directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;

use crate::config::Config;
use crate::redact;
use crate::render::Format;

/// What the server needs to know about the site.
#[derive(Debug, Clone)]
pub struct Site {
    dir: PathBuf,
    base_url: String,
    hubs: Vec<String>,
}

impl Site {
    pub fn new(config: &Config, dir: PathBuf) -> Self {
        Self {
            dir,
            base_url: config.site.base_url.clone(),
            hubs: config
                .websub
                .hubs
                .iter()
                .map(|h| redact::url(h).into_owned())
                .collect(),
        }
    }
}

/// Serves until Ctrl-C (or SIGTERM). Prints the address it listens on.
pub fn serve(site: &Site, addr: SocketAddr) -> Result<()> {
    let root = site
        .dir
        .canonicalize()
        .with_context(|| format!("cannot serve {}", site.dir.display()))?;
    let state = Arc::new(Site {
        dir: root,
        ..site.clone()
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        eprintln!(
            "readmore: serving {} on http://{local}/ (Ctrl-C to stop)",
            state.dir.display()
        );
        let app = Router::new()
            .fallback(handle)
            .with_state(state)
            .layer(CompressionLayer::new());
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
            .context("server failed")
    })
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn handle(
    State(site): State<Arc<Site>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "method not allowed\n",
        )
            .into_response();
    }
    let Some(relative) = safe_path(uri.path()) else {
        return not_found();
    };
    let Some(file) = resolve(&site.dir, &relative) else {
        return not_found();
    };
    let Ok(meta) = tokio::fs::metadata(&file).await else {
        return not_found();
    };
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let mtime = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let etag = format!("W/\"{:x}-{:x}\"", meta.len(), mtime.as_nanos());
    let last_modified = httpdate::fmt_http_date(modified);
    let mut response = if not_modified(&headers, &etag, modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match tokio::fs::read(&file).await {
            Ok(bytes) if method == Method::HEAD => {
                let mut head = Response::new(Body::empty());
                head.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                head
            }
            Ok(bytes) => Response::new(Body::from(bytes)),
            Err(_) => return not_found(),
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_type(&file)),
    );
    insert(h, header::ETAG, &etag);
    insert(h, header::LAST_MODIFIED, &last_modified);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if is_feed(&relative) {
        for hub in &site.hubs {
            append(h, header::LINK, &format!("<{hub}>; rel=\"hub\""));
        }
        let self_url = format!("{}{}", site.base_url, relative.to_string_lossy());
        append(h, header::LINK, &format!("<{self_url}>; rel=\"self\""));
    }
    response
}

/// The request path as a relative path, or `None` if it could leave the
/// directory or name a hidden file. `/` and directories mean `index.html`.
fn safe_path(path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let mut relative = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains(['\\', '\0']) || segment.contains(':') {
            return None;
        }
        relative.push(segment);
    }
    if decoded.ends_with('/') || relative.as_os_str().is_empty() {
        relative.push("index.html");
    }
    Some(relative)
}

/// The file `relative` names inside `root` (canonical), symlinks resolved;
/// `None` if it is not a regular file inside `root`.
fn resolve(root: &Path, relative: &Path) -> Option<PathBuf> {
    let mut path = root.join(relative).canonicalize().ok()?;
    if path.is_dir() {
        path = path.join("index.html").canonicalize().ok()?;
    }
    (path.starts_with(root) && path.is_file()).then_some(path)
}

fn not_modified(headers: &HeaderMap, etag: &str, modified: SystemTime) -> bool {
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let bare = etag.trim_start_matches("W/");
        return tags
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == bare);
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok());
    since
        .and_then(|s| httpdate::parse_http_date(s).ok())
        .is_some_and(|since| {
            let secs = |t: SystemTime| {
                t.duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            };
            secs(modified) <= secs(since)
        })
}

fn is_feed(relative: &Path) -> bool {
    let top_level = relative.parent().is_some_and(|p| p.as_os_str().is_empty());
    top_level
        && Format::ALL
            .iter()
            .any(|f| relative.extension().is_some_and(|e| e == f.ext()))
}

fn media_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "atom" => "application/atom+xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        "json" => "application/feed+json; charset=utf-8",
        "opml" => "text/x-opml; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn append(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.append(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_directory_are_refused() {
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/a/%2E%2E/%2e%2e/x",
            "/.readmore-tmp",
            "/a\\..\\b",
            "/%00",
            "/%ff",
        ] {
            assert_eq!(safe_path(bad), None, "{bad}");
        }
        assert_eq!(safe_path("/"), Some(PathBuf::from("index.html")));
        assert_eq!(
            safe_path("/articles/a%20b.html"),
            Some(PathBuf::from("articles/a b.html"))
        );
        assert_eq!(
            safe_path("/articles/"),
            Some(PathBuf::from("articles/index.html"))
        );
    }

    #[test]
    fn feeds_are_the_top_level_feed_files() {
        assert!(is_feed(Path::new("space.atom")) && is_feed(Path::new("all.json")));
        assert!(!is_feed(Path::new("index.html")) && !is_feed(Path::new("articles/x.json")));
    }
}
