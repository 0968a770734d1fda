//! The release build, split: the app's wasm becomes a main module (the shell and the Client
//! view) and chunks that load when their view is first shown (the Challenge and Playground
//! views, `#[leptos::lazy]` under `cfg(mqtt_split)` in src/app.rs). trunk 0.21 cannot split
//! (trunk-rs/trunk#1022), so this builds what trunk would, in five steps:
//!
//! 1. `cargo build --release` with `--cfg mqtt_split` and `--emit-relocs` (the splitter reads
//!    the linker's relocations to know which function and data each function uses), in
//!    `target/split` so the flags do not evict the other builds' caches;
//! 2. split it (`wasm_split_cli_support`, the splitter of Leptos's `cargo leptos --split`):
//!    main module, chunk modules and `__wasm_split.js`, which fetches and links a chunk
//!    against the main module's memory and function table;
//! 3. `wasm-bindgen --target web --keep-lld-exports` on the main module (the chunks import
//!    the function table under its linker name);
//! 4. `wasm-opt -Oz` on every module;
//! 5. `dist/app-<hash>/` holds all of it with the CSS and a loader script, and
//!    `dist/index.html` points there: one content hash for the directory, so a cache never
//!    mixes the files of two builds, and relative URLs, so `dist/` can be hosted under any path.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{binaryen, cargo, proc, Res};

/// The flags of the split build (they replace `.cargo/config.toml`'s `rustflags`).
const RUSTFLAGS: &str = "--cfg erase_components --cfg mqtt_split -Clink-args=--emit-relocs";

/// What wasm-opt must be told rustc emits for wasm32 (as index.html tells trunk).
const WASM_FEATURES: [&str; 6] = [
    "--enable-reference-types",
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-mutable-globals",
    "--enable-multivalue",
];

/// The main module's file, in `dist/app-<hash>/`.
pub const MAIN_WASM: &str = "mqtt-playground_bg.wasm";

/// The main module as wasm-bindgen wrote it, before wasm-opt: it keeps its function names
/// (the benchmark's profiles load it in place of the optimized one).
pub fn named_main_wasm(root: &Path) -> PathBuf {
    bindgen_dir(root).join(MAIN_WASM)
}

/// Where wasm-bindgen writes the main module and its scripts.
fn bindgen_dir(root: &Path) -> PathBuf {
    root.join("target/split/split-out/bindgen")
}

/// Builds the split release page into `dist` (emptied first).
pub fn build(root: &Path, dist: &Path) -> Res {
    let target = root.join("target").join("split");
    proc::run(
        Command::new(cargo())
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "--bin",
                "mqtt-playground",
            ])
            .env("RUSTFLAGS", RUSTFLAGS)
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(root),
    )?;
    let linked = target.join("wasm32-unknown-unknown/release/mqtt-playground.wasm");
    let work = target.join("split-out");
    let raw = work.join("raw");
    let bindgen = bindgen_dir(root);
    let stage = work.join("app");
    for dir in [&raw, &bindgen, &stage] {
        let _ = fs::remove_dir_all(dir);
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }

    let input = read(&linked)?;
    let main_raw = raw.join("mqtt-playground.wasm");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = &raw;
    options.main_out_path = &main_raw;
    options.main_module = "./mqtt-playground.js";
    let split = wasm_split_cli_support::transform(options)
        .map_err(|e| format!("splitting {} failed: {e:?}", linked.display()))?;
    if split.split_modules.is_empty() {
        return Err(
            "the split build has no chunks: is `#[leptos::lazy]` still in src/app.rs \
             under cfg(mqtt_split)?"
                .into(),
        );
    }

    proc::run(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--keep-lld-exports", "--out-dir"])
            .arg(&bindgen)
            .arg(&main_raw),
    )?;

    wasm_opt(&bindgen.join(MAIN_WASM), &stage.join(MAIN_WASM))?;
    for chunk in &split.split_modules {
        let name = chunk.file_name().ok_or("a chunk without a file name")?;
        wasm_opt(chunk, &stage.join(name))?;
    }
    copy(
        &bindgen.join("mqtt-playground.js"),
        &stage.join("mqtt-playground.js"),
    )?;
    copy(&raw.join("__wasm_split.js"), &stage.join("__wasm_split.js"))?;
    copy_dir(&bindgen.join("snippets"), &stage.join("snippets"))?;
    copy(&root.join("style/main.css"), &stage.join("main.css"))?;
    // wasm-bindgen's `init()` finds the .wasm next to its own script.
    fs::write(
        stage.join("start.js"),
        "import init from \"./mqtt-playground.js\";\nawait init();\n",
    )
    .map_err(|e| format!("cannot write start.js: {e}"))?;

    let app = format!("app-{:016x}", hash_dir(&stage)?);
    let _ = fs::remove_dir_all(dist);
    fs::create_dir_all(dist).map_err(|e| format!("cannot create {}: {e}", dist.display()))?;
    fs::rename(&stage, dist.join(&app))
        .or_else(|_| copy_dir(&stage, &dist.join(&app)))
        .map_err(|e| format!("cannot move the build into {}: {e}", dist.display()))?;
    let html = fs::read_to_string(root.join("index.html"))
        .map_err(|e| format!("cannot read index.html: {e}"))?;
    fs::write(dist.join("index.html"), page_html(&html, &app)?)
        .map_err(|e| format!("cannot write {}/index.html: {e}", dist.display()))?;
    Ok(())
}

/// index.html with trunk's directives replaced by the built files in `app/`.
fn page_html(source: &str, app: &str) -> Res<String> {
    let css = "<link data-trunk rel=\"css\" href=\"style/main.css\" />";
    if !source.contains(css) {
        return Err(format!(
            "index.html no longer has `{css}`: update xtask/src/split.rs"
        ));
    }
    let html = source.replace(
        css,
        &format!("<link rel=\"stylesheet\" href=\"{app}/main.css\" />"),
    );
    let rust = html
        .find("<link data-trunk rel=\"rust\"")
        .ok_or("index.html no longer has trunk's rust link: update xtask/src/split.rs")?;
    let end = html[rust..]
        .find("/>")
        .map(|i| rust + i + 2)
        .ok_or("index.html: trunk's rust link is not closed")?;
    let scripts = format!(
        "<script type=\"module\" src=\"{app}/start.js\"></script>\n    \
         <link rel=\"modulepreload\" href=\"{app}/mqtt-playground.js\" />\n    \
         <link rel=\"preload\" href=\"{app}/{MAIN_WASM}\" as=\"fetch\" type=\"application/wasm\" crossorigin />"
    );
    let mut html = format!("{}{scripts}{}", &html[..rust], &html[end..]);
    // Comments for trunk's configuration mean nothing in the built page.
    while let Some(start) = html.find("<!--") {
        let stop = html[start..]
            .find("-->")
            .map(|i| start + i + 3)
            .ok_or("index.html: an unclosed comment")?;
        let line_start = html[..start].rfind('\n').map_or(start, |i| i + 1);
        let cut_from = if html[line_start..start].trim().is_empty() {
            line_start
        } else {
            start
        };
        let cut_to = if html[stop..].starts_with('\n') {
            stop + 1
        } else {
            stop
        };
        html.replace_range(cut_from..cut_to, "");
    }
    if html.contains("data-trunk") || html.contains("<script type=\"module\">") {
        return Err("the built index.html still has a trunk directive or an inline script".into());
    }
    Ok(html)
}

fn wasm_opt(input: &Path, output: &Path) -> Res {
    proc::run(
        Command::new(binaryen::bin_dir().join("wasm-opt"))
            .arg("-Oz")
            .args(WASM_FEATURES)
            .arg(input)
            .arg("-o")
            .arg(output),
    )
}

fn read(path: &Path) -> Res<Vec<u8>> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Res {
    fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Res {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    for path in files_in(from)? {
        let target = to.join(path.strip_prefix(from).map_err(|e| e.to_string())?);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        copy(&path, &target)?;
    }
    Ok(())
}

/// Every file under `dir`, sorted.
pub fn files_in(dir: &Path) -> Res<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).map_err(|e| format!("cannot list {}: {e}", d.display()))? {
            let path = entry
                .map_err(|e| format!("cannot list {}: {e}", d.display()))?
                .path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// FNV-1a over the names and contents of the files under `dir`.
fn hash_dir(dir: &Path) -> Res<u64> {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    };
    for path in files_in(dir)? {
        eat(path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .as_bytes());
        eat(&read(&path)?);
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::page_html;

    #[test]
    fn the_page_loads_the_built_files_and_keeps_the_rest() {
        let source = "<head>\n    <title>t</title>\n    <link data-trunk rel=\"css\" href=\"style/main.css\" />\n    <!-- about wasm-opt\n         more -->\n    <link data-trunk rel=\"rust\" data-bin=\"x\"\n      data-wasm-opt=\"z\" />\n  </head>";
        let html = page_html(source, "app-1").expect("rewritten");
        assert!(html.contains("<title>t</title>"));
        assert!(html.contains("<link rel=\"stylesheet\" href=\"app-1/main.css\" />"));
        assert!(html.contains("<script type=\"module\" src=\"app-1/start.js\"></script>"));
        assert!(html.contains("href=\"app-1/mqtt-playground_bg.wasm\""));
        assert!(
            !html.contains("data-trunk") && !html.contains("<!--"),
            "{html}"
        );
    }

    #[test]
    fn a_changed_index_html_is_an_error_not_a_broken_page() {
        assert!(page_html("<head></head>", "app-1").is_err());
    }
}
