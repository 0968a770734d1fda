//! Release builds: `cargo xtask dist` (into dist/, for hosting) and the `release build` step of
//! `cargo xtask test` (into target/release-dist), which also loads the built page in headless
//! Chromium: a build that succeeds can still ship a module the browser rejects (it happened
//! with Debian's wasm-opt 108), and only a browser says so.

use crate::brokers;
use crate::proc::{find_in_path, TempDir};
use crate::{binaryen, parse_flags, repo_root, setup, split, Res};
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

/// The split release build into `dist` (xtask/src/split.rs); prints and returns what the page
/// weighs.
pub fn build(root: &Path, dist: &Path) -> Res<PageSize> {
    binaryen::ensure()?;
    split::build(root, dist)?;
    let size = PageSize::of(dist)?;
    println!("{size}");
    Ok(size)
}

/// The page's transfer size budget, gzipped: what a browser downloads to open the page (the
/// main wasm, every script it loads, the CSS). `cargo xtask test` fails above it. The goal is
/// 120 KiB (MQTT.js's browser bundle alone is ~105 KiB); the budget holds what has been
/// reached so that nothing grows back while the cuts go on (ARCHITECTURE.md, "Size").
// Raised 475 -> 479 on 3 Dec 2026 for the socket worker (driver/relay.rs, +4.5 KiB: wasm
// +4.0, JS +0.5), which took the flood from 0.87x to 1.06x the raw page (docs/bench.md).
// Lowered 479 -> 410 on 3 Dec 2026: the Challenge and Playground views load as chunks
// (xtask/src/split.rs); the measure now also counts the worker scripts.
pub const BUDGET_GZ_KIB: u64 = 410;

/// The views' chunks together (loaded when their view is first shown), gzipped.
pub const BUDGET_CHUNKS_GZ_KIB: u64 = 105;

/// What a browser downloads for the page, gzip -9 (what a static host's compression gives).
pub struct PageSize {
    /// The main module, loaded with the page.
    pub wasm_raw: u64,
    pub wasm_gz: u64,
    /// Every script: the bindings, the loader, the workers, the chunk loader.
    pub js_gz: u64,
    pub css_gz: u64,
    /// The views' chunks (name, gzipped bytes), loaded when their view is first shown.
    pub chunks: Vec<(String, u64)>,
}

impl PageSize {
    /// Measures the files under `dist`.
    pub fn of(dist: &Path) -> Res<PageSize> {
        let mut size = PageSize {
            wasm_raw: 0,
            wasm_gz: 0,
            js_gz: 0,
            css_gz: 0,
            chunks: Vec::new(),
        };
        for path in split::files_in(dist)? {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let slot = match path.extension().and_then(|x| x.to_str()) {
                Some("wasm") if name == split::MAIN_WASM => {
                    size.wasm_raw += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    &mut size.wasm_gz
                }
                Some("wasm") => {
                    let gz = gzipped_len(&path)?;
                    size.chunks.push((name, gz));
                    continue;
                }
                Some("js") => &mut size.js_gz,
                Some("css") => &mut size.css_gz,
                _ => continue,
            };
            *slot += gzipped_len(&path)?;
        }
        if size.wasm_gz == 0 {
            return Err(format!(
                "the release build left no {} under {}",
                split::MAIN_WASM,
                dist.display()
            ));
        }
        Ok(size)
    }

    /// What opening the page downloads.
    pub fn total_gz(&self) -> u64 {
        self.wasm_gz + self.js_gz + self.css_gz
    }

    pub fn chunks_gz(&self) -> u64 {
        self.chunks.iter().map(|(_, gz)| gz).sum()
    }

    /// Ok within [`BUDGET_GZ_KIB`] and [`BUDGET_CHUNKS_GZ_KIB`], else the numbers.
    pub fn check_budget(&self) -> Res {
        if self.total_gz() <= BUDGET_GZ_KIB * 1024
            && self.chunks_gz() <= BUDGET_CHUNKS_GZ_KIB * 1024
        {
            return Ok(());
        }
        Err(format!(
            "the page is over its size budget: {self}; the budget is {BUDGET_GZ_KIB} KiB \
             gzipped for the page and {BUDGET_CHUNKS_GZ_KIB} KiB for the views' chunks \
             (xtask/src/dist.rs). Find what grew with `twiggy top` on the wasm before wasm-opt \
             (docs/size.md)"
        ))
    }
}

impl std::fmt::Display for PageSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "page transfer {} KiB gzipped (main wasm {} KiB raw, {} KiB gzipped; JS {} KiB; \
             CSS {} KiB); views loaded when shown: {} KiB gzipped (",
            kib(self.total_gz()),
            kib(self.wasm_raw),
            kib(self.wasm_gz),
            kib(self.js_gz),
            kib(self.css_gz),
            kib(self.chunks_gz()),
        )?;
        for (i, (name, gz)) in self.chunks.iter().enumerate() {
            // split_<view>_view.wasm is a view's own code; chunk_<n>.wasm is shared.
            let short = name.strip_suffix(".wasm").unwrap_or(name);
            let short = match short.strip_prefix("split_") {
                Some(view) => view.strip_suffix("_view").unwrap_or(view),
                None => "shared",
            };
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{short} {}", kib(*gz))?;
        }
        write!(f, ")")
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
/// app renders, that a share link connects it to the lab from its socket worker, and that the
/// views split off the main module (Challenge, Playground) load and render.
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
    let origin = lab.ws_url.replace("ws://", "http://").replace("/mqtt", "/");
    let dom = dump_dom(&chromium, &page)?;
    // The views split off the main module: each must load, link and render, and work when
    // used (xtask/scripts/release-smoke.mjs: the challenge run to its end, a chunk whose
    // download fails, the playground's probe).
    let views = [
        ("challenge", "challenge-start"),
        ("playground", "scenario-auth"),
    ]
    .map(|(route, testid)| {
        (
            route,
            testid,
            dump_dom(&chromium, &format!("{origin}#{route}")),
        )
    });
    let node =
        find_in_path("node").ok_or("node is not on PATH (the release smoke test runs on it)")?;
    let used = Command::new(node)
        .arg("--experimental-websocket")
        .arg(root.join("xtask/scripts/release-smoke.mjs"))
        .arg(&chromium)
        .arg(&origin)
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    drop(lab);
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
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&used.stdout),
        String::from_utf8_lossy(&used.stderr)
            .lines()
            .filter(|l| !l.contains("ExperimentalWarning") && !l.contains("--trace-warnings"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    for (route, testid, dom) in views {
        if !dom?.contains(&format!("data-testid=\"{testid}\"")) {
            return Err(format!(
                "the release build's #{route} view did not render (no {testid}): its chunk \
                 did not load or link.\n{look}"
            ));
        }
    }
    if !used.status.success() {
        return Err(format!(
            "the release build's split-off views failed when used:\n{report}\n{look}"
        ));
    }
    print!("{report}");
    println!(
        "ok: the release build renders in Chromium, connects from its socket worker under the \
         strict CSP ({page}), and its Challenge and Playground chunks load"
    );
    Ok(())
}

/// The DOM of `page` after 15 s of virtual time in headless Chromium.
fn dump_dom(chromium: &Path, page: &str) -> Res<String> {
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
            page,
        ])
        .output()
        .map_err(|e| format!("cannot run chromium: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
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
