//! `cargo xtask setup [--browser]`: installs whatever is missing, one line per piece.
//!
//! Always: the wasm32 target, trunk ~0.21, wasm-bindgen-cli at the exact Cargo.lock version,
//! and binaryen 132 from npm (`wasm-opt` for release builds; see `binaryen.rs` for why not
//! Debian's). With `--browser` also what the test command needs: leptosfmt (the `view!`
//! formatter) and the Debian packages chromium, chromium-driver and mosquitto.

use crate::proc::{self, capture, find_in_path};
use crate::{cargo, parse_flags, repo_root, Res};
use std::path::Path;
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const BROWSER_PACKAGES: [&str; 3] = ["chromium", "chromium-driver", "mosquitto"];

pub fn run(flags: &[String]) -> Res {
    let [browser] = parse_flags("setup", flags, ["--browser"])?;
    ensure(browser)
}

/// Installs what is missing; `browser` adds the packages the browser tests need.
pub fn ensure(browser: bool) -> Res {
    wasm_target()?;
    trunk()?;
    wasm_bindgen(&repo_root())?;
    crate::binaryen::ensure()?;
    if browser {
        // The test command's formatting check; running the app does not need it.
        leptosfmt()?;
        debian_packages(&BROWSER_PACKAGES)
    } else {
        Ok(())
    }
}

fn wasm_target() -> Res {
    if find_in_path("rustup").is_none() {
        // Not a rustup toolchain: look in the sysroot instead.
        let sysroot = capture("rustc", ["--print", "sysroot"]).unwrap_or_default();
        let dir = Path::new(&sysroot).join("lib/rustlib").join(WASM_TARGET);
        return if dir.is_dir() {
            println!("ok: {WASM_TARGET} target");
            Ok(())
        } else {
            Err(format!(
                "the {WASM_TARGET} target is missing and rustup is not installed: \
                 add the target to your Rust toolchain"
            ))
        };
    }
    let installed = capture("rustup", ["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        println!("ok: {WASM_TARGET} target");
        return Ok(());
    }
    println!("installing: {WASM_TARGET} target");
    proc::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
        .map_err(|e| format!("could not add the {WASM_TARGET} target: {e}"))
}

/// The version printed by `<program> --version` (its second word), if it runs.
fn tool_version(program: &str) -> Option<String> {
    let out = capture(program, ["--version"])?;
    out.split_whitespace().nth(1).map(str::to_string)
}

fn trunk() -> Res {
    let is_wanted = |v: &str| v.starts_with("0.21.");
    if let Some(v) = tool_version("trunk").filter(|v| is_wanted(v)) {
        println!("ok: trunk {v}");
        return Ok(());
    }
    println!("installing: trunk ~0.21 (cargo install; about 8 minutes on 2 cores)");
    proc::run(Command::new(cargo()).args([
        "install",
        "trunk",
        "--version",
        "~0.21",
        "--locked",
        "--force",
    ]))
    .map_err(|e| format!("could not install trunk: {e}"))?;
    match tool_version("trunk") {
        Some(v) if is_wanted(&v) => {
            println!("ok: trunk {v}");
            Ok(())
        }
        found => Err(not_on_path("trunk", "0.21.x", found)),
    }
}

/// The formatter for `view!` macros (rustfmt leaves them alone), checked by the test command.
pub const LEPTOSFMT: &str = "leptosfmt";
const LEPTOSFMT_VERSION: &str = "0.1.33";

fn leptosfmt() -> Res {
    if let Some(v) = tool_version(LEPTOSFMT).filter(|v| v == LEPTOSFMT_VERSION) {
        println!("ok: leptosfmt {v}");
        return Ok(());
    }
    println!(
        "installing: leptosfmt {LEPTOSFMT_VERSION} (cargo install; about 2 minutes on 2 cores)"
    );
    proc::run(Command::new(cargo()).args([
        "install",
        LEPTOSFMT,
        "--version",
        LEPTOSFMT_VERSION,
        "--locked",
        "--force",
    ]))
    .map_err(|e| format!("could not install leptosfmt: {e}"))?;
    match tool_version(LEPTOSFMT) {
        Some(v) if v == LEPTOSFMT_VERSION => {
            println!("ok: leptosfmt {v}");
            Ok(())
        }
        found => Err(not_on_path(LEPTOSFMT, LEPTOSFMT_VERSION, found)),
    }
}

fn not_on_path(program: &str, wanted: &str, found: Option<String>) -> String {
    format!(
        "installed {program} {wanted}, but `{program} --version` now reports {}: \
         put cargo's bin directory (usually ~/.cargo/bin) first on PATH",
        found.as_deref().unwrap_or("nothing (not on PATH)")
    )
}

/// The version of the `wasm-bindgen` package recorded in the workspace's Cargo.lock.
pub fn locked_wasm_bindgen(root: &Path) -> Res<String> {
    let path = root.join("Cargo.lock");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_lock_version(&text, "wasm-bindgen").ok_or_else(|| {
        format!(
            "{} has no `wasm-bindgen` package entry; build the workspace once to create it",
            path.display()
        )
    })
}

fn parse_lock_version(lock: &str, package: &str) -> Option<String> {
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line == name_line {
            let version = lines.next()?.strip_prefix("version = \"")?;
            return version.strip_suffix('"').map(str::to_string);
        }
    }
    None
}

fn wasm_bindgen(root: &Path) -> Res {
    let wanted = locked_wasm_bindgen(root)?;
    let matches = || {
        tool_version("wasm-bindgen").as_deref() == Some(wanted.as_str())
            && tool_version("wasm-bindgen-test-runner").as_deref() == Some(wanted.as_str())
    };
    if matches() {
        println!("ok: wasm-bindgen-cli {wanted} (as in Cargo.lock)");
        return Ok(());
    }
    println!("installing: wasm-bindgen-cli {wanted} (cargo install; about 3 minutes)");
    // No --locked: its lockfile pins a webpki-roots release the registry may not serve.
    let version = format!("={wanted}");
    proc::run(Command::new(cargo()).args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
        "--force",
    ]))
    .map_err(|e| format!("could not install wasm-bindgen-cli {wanted}: {e}"))?;
    if matches() {
        println!("ok: wasm-bindgen-cli {wanted} (as in Cargo.lock)");
        Ok(())
    } else {
        Err(not_on_path(
            "wasm-bindgen",
            &wanted,
            tool_version("wasm-bindgen"),
        ))
    }
}

fn deb_installed(package: &str) -> Option<String> {
    let status = capture("dpkg-query", ["-W", "-f=${Status} ${Version}", package])?;
    status
        .strip_prefix("install ok installed ")
        .map(str::to_string)
}

/// Installs the Debian packages that are not installed yet, with apt-get.
pub fn debian_packages(packages: &[&str]) -> Res {
    if find_in_path("dpkg-query").is_none() || find_in_path("apt-get").is_none() {
        return Err(format!(
            "apt-get/dpkg not found: this setup step knows Debian and Ubuntu only; install \
             {} with your package manager (commands needed: chromium, chromedriver, \
             mosquitto, wasm-opt)",
            packages.join(", ")
        ));
    }
    let mut missing = Vec::new();
    for package in packages {
        match deb_installed(package) {
            Some(version) => println!("ok: {package} {version}"),
            None => missing.push(*package),
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    println!("installing: {} (apt-get)", missing.join(" "));
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let apt = |args: &[&str]| -> Res {
        let mut cmd = if root {
            Command::new("apt-get")
        } else if find_in_path("sudo").is_some() {
            let mut c = Command::new("sudo");
            c.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            c
        } else {
            return Err(format!(
                "installing {} needs root, and sudo is not available: run \
                 `apt-get install {}` as root",
                missing.join(" "),
                missing.join(" ")
            ));
        };
        // Wait for another apt/dpkg run to finish instead of failing on its lock.
        cmd.env("DEBIAN_FRONTEND", "noninteractive")
            .args(["-o", "DPkg::Lock::Timeout=900"])
            .args(args);
        proc::run(&mut cmd)
    };
    apt(&["update", "-q"]).map_err(|e| format!("apt-get update failed: {e}"))?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install).map_err(|e| format!("could not install {}: {e}", missing.join(" ")))?;
    for package in &missing {
        match deb_installed(package) {
            Some(version) => println!("ok: {package} {version}"),
            None => return Err(format!("apt-get finished but {package} is not installed")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_lock_version;

    #[test]
    fn finds_the_exact_package_not_a_prefix() {
        let lock = "[[package]]\nname = \"wasm-bindgen-shared\"\nversion = \"9.9.9\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            parse_lock_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(parse_lock_version(lock, "trunk"), None);
    }
}
