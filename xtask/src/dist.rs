//! Release builds: `cargo xtask dist` (into dist/, for hosting) and the `release build` step of
//! `cargo xtask test` (into target/release-dist), which also loads the built page in headless
//! Chromium: a build that succeeds can still ship a module the browser rejects (it happened
//! with Debian's wasm-opt 108), and only a browser says so.

use crate::brokers;
use crate::proc::{self, find_in_path, TempDir};
use crate::{binaryen, parse_flags, repo_root, setup, Res};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `cargo xtask dist`: a release build in dist/, checked in a browser when one is installed.
pub fn run(flags: &[String]) -> Res {
    parse_flags("dist", flags, [])?;
    setup::ensure(false)?;
    let root = repo_root();
    let dist = root.join("dist");
    build(&root, &dist)?;
    if find_in_path("chromium").is_some() {
        smoke_test(&root, &dist)?;
    }
    println!("{} is ready to host as a static site", dist.display());
    Ok(())
}

/// `trunk build --release --offline` into `dist`, with our wasm-opt; prints and returns what
/// the page weighs.
pub fn build(root: &Path, dist: &Path) -> Res<PageSize> {
    proc::run(
        Command::new("trunk")
            .args(["build", "--release", "--offline", "--dist"])
            .arg(dist)
            .env("PATH", binaryen::path_env())
            .current_dir(root),
    )?;
    externalize_loader(dist)?;
    let size = PageSize::of(dist)?;
    println!("{size}");
    Ok(size)
}

/// The page's transfer size budget, gzipped (wasm + JS + CSS): `cargo xtask test` fails above
/// it. The goal is 120 KiB (MQTT.js's browser bundle alone is ~105 KiB); the budget holds what
/// has been reached so that nothing grows back while the cuts go on (ARCHITECTURE.md, "Size").
// Raised 475 -> 479 on 3 Dec 2026 for the socket worker (driver/relay.rs, +4.5 KiB: wasm
// +4.0, JS +0.5), which took the flood from 0.87x to 1.06x the raw page (docs/bench.md).
pub const BUDGET_GZ_KIB: u64 = 479;

/// What a browser downloads for the page, gzip -9 (what a static host's compression gives).
pub struct PageSize {
    pub wasm_raw: u64,
    pub wasm_gz: u64,
    pub js_gz: u64,
    pub css_gz: u64,
}

impl PageSize {
    /// Measures the .wasm, .js and .css files in `dist`.
    pub fn of(dist: &Path) -> Res<PageSize> {
        let entries =
            std::fs::read_dir(dist).map_err(|e| format!("cannot list {}: {e}", dist.display()))?;
        let mut size = PageSize {
            wasm_raw: 0,
            wasm_gz: 0,
            js_gz: 0,
            css_gz: 0,
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let slot = match path.extension().and_then(|x| x.to_str()) {
                Some("wasm") => {
                    size.wasm_raw += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    &mut size.wasm_gz
                }
                Some("js") => &mut size.js_gz,
                Some("css") => &mut size.css_gz,
                _ => continue,
            };
            *slot += gzipped_len(&path)?;
        }
        if size.wasm_gz == 0 {
            return Err(format!(
                "trunk succeeded but left no .wasm in {}",
                dist.display()
            ));
        }
        Ok(size)
    }

    pub fn total_gz(&self) -> u64 {
        self.wasm_gz + self.js_gz + self.css_gz
    }

    /// Ok within [`BUDGET_GZ_KIB`], else the numbers.
    pub fn check_budget(&self) -> Res {
        if self.total_gz() <= BUDGET_GZ_KIB * 1024 {
            return Ok(());
        }
        Err(format!(
            "the page is over its size budget: {self}; the budget is {BUDGET_GZ_KIB} KiB \
             gzipped (xtask/src/dist.rs BUDGET_GZ_KIB). Find what grew with \
             `twiggy top` on the wasm before wasm-opt (ARCHITECTURE.md, \"Size\")"
        ))
    }
}

impl std::fmt::Display for PageSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "page transfer {} KiB gzipped (wasm {} KiB raw, {} KiB gzipped; JS {} KiB; CSS {} KiB)",
            kib(self.total_gz()),
            kib(self.wasm_raw),
            kib(self.wasm_gz),
            kib(self.js_gz),
            kib(self.css_gz)
        )
    }
}

fn gzipped_len(path: &Path) -> Res<u64> {
    Command::new("gzip")
        .arg("-9c")
        .arg(path)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| o.stdout.len() as u64)
        .ok_or_else(|| format!("gzip -9c {} failed", path.display()))
}

/// Serves `dist` from the lab (with its strict CSP) and checks in headless Chromium that the
/// app renders and that a share link connects it to the lab from its socket worker.
pub fn smoke_test(root: &Path, dist: &Path) -> Res {
    let chromium = find_in_path("chromium").ok_or("chromium is not installed")?;
    let run_dir = TempDir::new("dist")?;
    let bin = brokers::build_lab(root)?;
    let dist_arg = dist.to_string_lossy();
    let lab = brokers::start_lab(
        &bin,
        &[
            "--ws-port",
            "0",
            "--tcp-port",
            "0",
            "--no-challenge",
            "--devices",
            "0",
            "--app-dir",
            &dist_arg,
        ],
        Some(&run_dir.path().join("lab.log")),
        Duration::from_secs(120),
    )?;
    // A share link to the lab itself: the page fills the form and connects, under the
    // lab's strict CSP (README, "Host it"); its socket must run in the worker.
    let share = format!(r#"{{"url":"{}","v":1}}"#, lab.ws_url);
    let page = format!(
        "{}#client?share={}",
        lab.ws_url.replace("ws://", "http://").replace("/mqtt", "/"),
        base64url(share.as_bytes())
    );
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--no-first-run",
            "--virtual-time-budget=15000",
            "--dump-dom",
            &page,
        ])
        .output()
        .map_err(|e| format!("cannot run chromium: {e}"))?;
    drop(lab);
    let dom = String::from_utf8_lossy(&out.stdout);
    let look = format!(
        "Open {} in a browser and look at the console.",
        dist.join("index.html").display()
    );
    if !dom.contains("data-testid=\"connect-button\"") {
        return Err(format!(
            "the release build did not render in Chromium: no connect button in the page's DOM.\n{look}"
        ));
    }
    let status = dom
        .split("data-testid=\"connection-status\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap_or("");
    if !(status.contains("data-state=\"connected\"") && status.contains("data-socket=\"worker\"")) {
        return Err(format!(
            "the release build rendered but did not connect to the lab from its socket worker \
             under the strict CSP (connection status:{status}).\n{look}"
        ));
    }
    println!("ok: the release build renders in Chromium and connects from its socket worker under the strict CSP ({page})");
    Ok(())
}

/// Base64url without padding (a share link's fragment).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Moves trunk's inline `<script type="module">` loader out of `index.html` into a file
/// (`start-<hash>.js`), so the page runs under a policy without `'unsafe-inline'` (see the
/// README's "Host it"). trunk 0.21 has no option for it (trunk-rs/trunk#288).
pub fn externalize_loader(dist: &Path) -> Res {
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index)
        .map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    let open = "<script type=\"module\">";
    let Some(start) = html.find(open) else {
        return Ok(()); // already external (or trunk changed): nothing inline to move
    };
    let body_start = start + open.len();
    let end = html[body_start..]
        .find("</script>")
        .map(|i| body_start + i)
        .ok_or("index.html: an inline <script> without </script>")?;
    let script = html[body_start..end].trim();
    // A content hash in the name, like trunk's own files, so caches never serve a stale one.
    let hash = script.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let name = format!("start-{:016x}.js", hash);
    std::fs::write(dist.join(&name), format!("{script}\n"))
        .map_err(|e| format!("cannot write {name}: {e}"))?;
    let tag = format!("<script type=\"module\" src=\"/{name}\"></script>");
    let html = format!(
        "{}{tag}{}",
        &html[..start],
        &html[end + "</script>".len()..]
    );
    if html.contains("<script type=\"module\">") || html.contains(" style=\"") {
        return Err(
            "index.html still has an inline script or style after moving the loader".into(),
        );
    }
    std::fs::write(&index, html).map_err(|e| format!("cannot write {}: {e}", index.display()))?;
    Ok(())
}

fn kib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64url_has_no_padding() {
        assert_eq!(super::base64url(b"Man"), "TWFu");
        assert_eq!(super::base64url(b"Ma"), "TWE");
        assert_eq!(super::base64url(b"M"), "TQ");
        assert_eq!(super::base64url(&[0xfb, 0xff]), "-_8");
    }
}
