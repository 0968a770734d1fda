//! Child processes: foreground commands, background process groups, signals, temp dirs.

use crate::Res;
use std::ffi::OsStr;
use std::fs;
use std::io::ErrorKind;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on Ctrl-C, SIGTERM and SIGHUP only raise a flag (see [`interrupted`]) so that we can
/// stop our children before exiting. Foreground children still get Ctrl-C from the terminal.
pub fn catch_signals() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(signal, handler);
        }
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// `program arg1 arg2`, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

fn spawn(cmd: &mut Command) -> Res<Child> {
    cmd.spawn().map_err(|e| {
        let program = cmd.get_program().to_string_lossy().into_owned();
        if e.kind() == ErrorKind::NotFound {
            format!("cannot run `{}`: `{program}` is not on PATH", describe(cmd))
        } else {
            format!("cannot run `{}`: {e}", describe(cmd))
        }
    })
}

/// Runs a foreground command to completion; a non-zero exit is an error.
pub fn run(cmd: &mut Command) -> Res {
    let what = describe(cmd);
    println!("$ {what}");
    let mut child = spawn(cmd)?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if interrupted() => {
                // SAFETY: plain kill(2) on our own child's pid.
                unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
                if !wait_until(Duration::from_secs(5), || {
                    matches!(child.try_wait(), Ok(Some(_)))
                }) {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                return Err(format!("interrupted while running `{what}`"));
            }
            Ok(None) => sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("cannot wait for `{what}`: {e}")),
        }
    };
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{what}` failed ({status})"))
    }
}

/// Stdout of a command that succeeded, trimmed; `None` if it is missing or failed.
pub fn capture<I, S>(program: &str, args: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Polls `done` every 50 ms until it is true (returns true) or `limit` passes (returns false).
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        sleep(Duration::from_millis(50));
    }
}

/// The first executable called `name` on PATH.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A background child in its own process group. Stopping (or dropping) it sends SIGTERM to the
/// whole group, then SIGKILL after 5 s, so grandchildren (trunk's cargo) go too. On Linux the
/// child also gets SIGTERM if we die without cleaning up.
pub struct Group {
    pub name: String,
    child: Child,
    status: Option<ExitStatus>,
    stopped: bool,
}

impl Group {
    pub fn spawn(name: &str, cmd: &mut Command) -> Res<Group> {
        cmd.process_group(0);
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = spawn(cmd)?;
        Ok(Group {
            name: name.to_string(),
            child,
            status: None,
            stopped: false,
        })
    }

    /// The group leader's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// The exit status, once the group leader has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let was_running = self.exited().is_none();
        let group = -(self.child.id() as libc::pid_t);
        // SAFETY: kill(2) on the process group we created; ESRCH (group gone) is harmless.
        unsafe { libc::kill(group, libc::SIGTERM) };
        wait_until(Duration::from_secs(5), || self.exited().is_some());
        // SAFETY: as above; takes down whatever of the group ignored SIGTERM.
        unsafe { libc::kill(group, libc::SIGKILL) };
        if self.exited().is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
        if was_running {
            println!("stopped {}", self.name);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Res<TempDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("mqtt-playground-{tag}-{}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(name);
        fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create temp dir {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The last `lines` lines of a text file, indented, for error messages.
pub fn tail(path: &Path, lines: usize) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let start = all.len().saturating_sub(lines);
            let mut out = format!("\n--- last lines of {} ---", path.display());
            for line in &all[start..] {
                out.push_str("\n    ");
                out.push_str(line);
            }
            out
        }
        Err(e) => format!("\n(cannot read {}: {e})", path.display()),
    }
}
