//! Serves the built web app (`--app-dir`, e.g. trunk's `dist/`) over plain HTTP/1.1 on the
//! WebSocket port; `front_door.rs` says why the same port.
//!
//! Deliberately small, for one developer's browser: GET and HEAD only, whole files read into
//! memory (the app is a few MiB), no ranges or compression. What is served is decided here:
//! only regular files that, with symlinks resolved, lie inside the app dir.

use std::path::{Path, PathBuf};

use hyper::header::{HeaderValue, ALLOW, CONTENT_SECURITY_POLICY};
use hyper::{Method, Request, Response, StatusCode};

use crate::http_server::{response, text_response, Body};
use crate::LabError;

/// The app directory, canonical so that "inside it" can be checked on canonical paths.
#[derive(Debug)]
pub(crate) struct AppDir {
    root: PathBuf,
}

impl AppDir {
    /// Checks `dir` once at start-up, so a typo fails loudly instead of as 404s in the browser.
    pub(crate) async fn open(dir: &Path) -> Result<Self, LabError> {
        let error = |reason: String| LabError::AppDir {
            dir: dir.to_owned(),
            reason,
        };
        let root = tokio::fs::canonicalize(dir)
            .await
            .map_err(|e| error(e.to_string()))?;
        let app = Self { root };
        if app
            .contained_file(&app.root.join("index.html"))
            .await
            .is_none()
        {
            return Err(error(
                "it has no index.html (build the app first: trunk build)".to_owned(),
            ));
        }
        Ok(app)
    }

    /// The file to serve for the decoded path `segments`: the file itself, a directory's
    /// index.html, or, for a path whose last segment has no extension (a client-side route of
    /// the single-page app), the app's index.html.
    async fn find(&self, segments: &[String]) -> Option<PathBuf> {
        let path = segments
            .iter()
            .fold(self.root.clone(), |path, s| path.join(s));
        if let Some(file) = self.contained_file(&path).await {
            return Some(file);
        }
        if let Some(file) = self.contained_file(&path.join("index.html")).await {
            return Some(file);
        }
        let is_route = segments
            .last()
            .is_none_or(|last| Path::new(last).extension().is_none());
        if is_route {
            self.contained_file(&self.root.join("index.html")).await
        } else {
            None
        }
    }

    /// `path` if it is a regular file that, with symlinks resolved, lies inside the app dir.
    async fn contained_file(&self, path: &Path) -> Option<PathBuf> {
        let path = tokio::fs::canonicalize(path).await.ok()?;
        let is_file = tokio::fs::metadata(&path).await.ok()?.is_file();
        (is_file && path.starts_with(&self.root)).then_some(path)
    }
}

/// Answers one request from the app dir.
pub(crate) async fn respond<B>(request: &Request<B>, app: &AppDir) -> Response<Body> {
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        let mut refusal = text_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only GET and HEAD are supported.\n",
        );
        let allow = HeaderValue::from_static("GET, HEAD");
        refusal.headers_mut().insert(ALLOW, allow);
        return refusal;
    }
    let Some(segments) = segments(request.uri().path()) else {
        let reason = "Bad request: not a path to a file of the app.\n";
        return text_response(StatusCode::BAD_REQUEST, reason);
    };
    let Some(file) = app.find(&segments).await else {
        return text_response(StatusCode::NOT_FOUND, "Not found.\n");
    };
    // hyper sends only the head (with the body's length) to a HEAD request.
    match tokio::fs::read(&file).await {
        Ok(body) => {
            let strict = content_type(&file).starts_with("text/html") && !has_inline_script(&body);
            let mut ok = response(StatusCode::OK, content_type(&file), body.into());
            if strict {
                let csp = HeaderValue::from_static(STRICT_CSP);
                ok.headers_mut().insert(CONTENT_SECURITY_POLICY, csp);
            }
            ok
        }
        Err(_) => {
            let reason = "The file could not be read.\n";
            text_response(StatusCode::INTERNAL_SERVER_ERROR, reason)
        }
    }
}

/// The Content-Security-Policy a release build of the app runs under (README, "Host it"):
/// no inline script or style, no eval except WebAssembly compilation, WebSockets to any
/// broker. `connect-src` also needs `'self'`: the page fetches its own .wasm, and fetches are
/// governed by `connect-src`, which replaces `default-src`.
pub(crate) const STRICT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     connect-src 'self' ws: wss:; style-src 'self'; img-src 'self' data:";

/// Whether an HTML page has an inline `<script>` (one without `src`): trunk's debug builds
/// load the app that way, and a strict policy would block them, so they are served without
/// it; `cargo xtask dist` loads the app from a file, and the release page gets the policy.
fn has_inline_script(html: &[u8]) -> bool {
    let html = String::from_utf8_lossy(html).to_ascii_lowercase();
    html.match_indices("<script").any(|(at, _)| {
        html[at..]
            .split('>')
            .next()
            .is_some_and(|tag| !tag.contains("src="))
    })
}

#[cfg(test)]
mod csp_tests {
    use super::has_inline_script;

    #[test]
    fn a_page_with_an_inline_script_is_told_from_one_without() {
        let debug = br#"<head><script type="module">import init from '/a.js';</script></head>"#;
        let release = br#"<head><script type="module" src="/start-1.js"></script></head>"#;
        assert!(has_inline_script(debug));
        assert!(!has_inline_script(release));
        assert!(!has_inline_script(b"<html><body>no scripts</body></html>"));
    }
}

/// The request path as decoded segments (`.` and empty ones dropped), or None (→ 400) for
/// anything that is not a plain path inside the app dir: not starting with `/`, bad
/// percent-encoding or UTF-8, a `..` segment, or one that decodes to a separator or NUL.
/// hyper leaves the path as sent: it neither decodes nor normalizes it.
fn segments(path: &str) -> Option<Vec<String>> {
    let path = path.strip_prefix('/')?;
    let mut segments = Vec::new();
    for raw in path.split('/') {
        let segment = percent_decode(raw)?;
        match segment.as_str() {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['/', '\\', '\0']) => return None,
            _ => segments.push(segment),
        }
    }
    Some(segments)
}

fn percent_decode(raw: &str) -> Option<String> {
    let mut bytes = raw.bytes();
    let mut out = Vec::with_capacity(raw.len());
    while let Some(byte) = bytes.next() {
        if byte != b'%' {
            out.push(byte);
            continue;
        }
        let high = (bytes.next()? as char).to_digit(16)?;
        let low = (bytes.next()? as char).to_digit(16)?;
        out.push((high * 16 + low) as u8);
    }
    String::from_utf8(out).ok()
}

/// Content-Type by extension. `application/wasm` matters: browsers refuse streaming
/// compilation (`WebAssembly.instantiateStreaming`, which trunk's loader uses) without it.
fn content_type(path: &Path) -> &'static str {
    let extension = path.extension().and_then(|e| e.to_str());
    match extension.map(str::to_ascii_lowercase).as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_map_to_segments() {
        let ok = |target: &str| segments(target).expect(target);
        assert!(ok("/").is_empty());
        assert_eq!(ok("/a.wasm"), ["a.wasm"]);
        assert_eq!(ok("//some/./route/"), ["some", "route"]);
        assert_eq!(ok("/with%20space/%C3%A9"), ["with space", "é"]);
    }

    #[test]
    fn escapes_and_bad_encodings_are_refused() {
        for target in [
            "/../Cargo.toml",
            "/a/../../b",
            "/%2e%2e/Cargo.toml",
            "/..%2fCargo.toml",
            "/a%5c..%5cb",
            "/a%00",
            "/bad%zz",
            "/short%2",
            "/%ff",
            "*",
            "http://example.org/",
        ] {
            assert_eq!(segments(target), None, "{target}");
        }
    }

    #[test]
    fn content_types() {
        let of = |name: &str| content_type(Path::new(name));
        assert_eq!(of("x_bg.wasm"), "application/wasm");
        assert!(of("index.HTML").starts_with("text/html"));
        assert!(of("app.js").starts_with("text/javascript"));
        assert_eq!(of("blob"), "application/octet-stream");
    }
}
