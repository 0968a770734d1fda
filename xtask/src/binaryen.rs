//! wasm-opt for release builds: binaryen 132 from the npm registry, under `target/tools/`.
//!
//! Debian 12's binaryen (108) cannot be used: with wasm-bindgen 0.2.130's output (externref
//! tables, which rustc's default wasm32 features turn on) it writes a module the browser
//! rejects at startup ("WebAssembly.Table.set(): Argument 1 is invalid for table"), whatever
//! `--enable-*` flags it is given. Trunk.toml pins `wasm_opt = "version_132"`, so a `trunk`
//! run that finds another wasm-opt first fails loudly instead of shipping a broken app; the
//! xtask commands put this one first on PATH.

use crate::proc::capture;
use crate::{repo_root, Res};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

/// The npm package version; Trunk.toml's `[tools] wasm_opt` must name the same release.
const VERSION: &str = "132.0.0";

/// Where `npm install --prefix` puts it.
fn prefix() -> PathBuf {
    repo_root().join("target").join("tools").join("binaryen")
}

/// The directory holding `wasm-opt`, to put first on PATH.
pub fn bin_dir() -> PathBuf {
    prefix().join("node_modules").join(".bin")
}

/// Installs binaryen from npm unless the pinned version is already there.
pub fn ensure() -> Res {
    let wasm_opt = bin_dir().join("wasm-opt");
    let wanted = format!("version_{}", VERSION.split('.').next().unwrap_or(VERSION));
    if let Some(found) = capture(&wasm_opt.to_string_lossy(), ["--version"]) {
        if found.contains(&wanted) {
            println!(
                "ok: wasm-opt {wanted} (npm binaryen, {})",
                bin_dir().display()
            );
            return Ok(());
        }
    }
    println!(
        "installing: binaryen {VERSION} from npm into {}",
        prefix().display()
    );
    std::fs::create_dir_all(prefix())
        .map_err(|e| format!("cannot create {}: {e}", prefix().display()))?;
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(prefix())
        .arg(format!("binaryen@{VERSION}"))
        .status()
        .map_err(|e| format!("cannot run npm (Node.js is needed for wasm-opt): {e}"))?;
    if !status.success() {
        return Err(format!(
            "npm could not install binaryen {VERSION} ({status})"
        ));
    }
    Ok(())
}

/// PATH with our wasm-opt first, for trunk.
pub fn path_env() -> OsString {
    let mut paths = vec![bin_dir()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap_or_default()
}
