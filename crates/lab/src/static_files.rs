//! Serves the built web app (`--app-dir`, e.g. trunk's `dist/`) over plain HTTP/1.1 on the
//! WebSocket port; `front_door.rs` says why the same port.
//!
//! Deliberately small, for one developer's browser: GET and HEAD only, one response per
//! connection (`Connection: close`), whole files read into memory (the app is a few MiB), no
//! ranges or compression. `Cache-Control: no-cache` so a rebuilt app is picked up on reload.

use std::io;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::http::RequestHead;
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

/// Answers one request from the app dir; returns the status sent.
pub(crate) async fn respond<W: AsyncWrite + Unpin>(
    out: &mut W,
    request: &RequestHead,
    app: &AppDir,
) -> io::Result<u16> {
    let head_only = match request.method.as_str() {
        "GET" => false,
        "HEAD" => true,
        _ => return refuse(out, 405, false).await,
    };
    let Some(segments) = segments(&request.target) else {
        return refuse(out, 400, head_only).await;
    };
    let Some(file) = app.find(&segments).await else {
        return refuse(out, 404, head_only).await;
    };
    match tokio::fs::read(&file).await {
        Ok(body) => send(out, 200, content_type(&file), &body, head_only).await,
        Err(_) => refuse(out, 500, head_only).await,
    }
}

/// Sends an error status with a short text body; returns `status`.
pub(crate) async fn refuse<W: AsyncWrite + Unpin>(
    out: &mut W,
    status: u16,
    head_only: bool,
) -> io::Result<u16> {
    let body = match status {
        400 => "Bad request: not a path to a file of the app.\n",
        404 => "Not found.\n",
        405 => "Only GET and HEAD are supported.\n",
        431 => "Request head too large.\n",
        _ => "The file could not be read.\n",
    };
    let content_type = "text/plain; charset=utf-8";
    send(out, status, content_type, body.as_bytes(), head_only).await
}

async fn send<W: AsyncWrite + Unpin>(
    out: &mut W,
    status: u16,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> io::Result<u16> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    };
    let allow = if status == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n{allow}\
         Connection: close\r\n\r\n",
        body.len()
    );
    out.write_all(head.as_bytes()).await?;
    if !head_only {
        out.write_all(body).await?;
    }
    out.shutdown().await?;
    Ok(status)
}

/// The request target's path as decoded segments (`.` and empty ones dropped), or None (→ 400)
/// for anything that is not a plain path inside the app dir: not starting with `/`, bad
/// percent-encoding or UTF-8, a `..` segment, or one that decodes to a separator or NUL.
fn segments(target: &str) -> Option<Vec<String>> {
    let path = target.split(['?', '#']).next()?.strip_prefix('/')?;
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
        assert_eq!(ok("/a.wasm?v=1#top"), ["a.wasm"]);
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
