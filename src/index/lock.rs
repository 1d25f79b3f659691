//! The writer lock: `DIR/LOCK`, created with `create_new` so that exactly
//! one process can hold it, holding the holder's pid and host name.
//!
//! A writer that dies without running its destructor (killed, power loss)
//! leaves the file behind: the lock is *stale*. It is never broken
//! silently. When the holder ran on this host and no process with its pid
//! exists (checked through `/proc` on Linux), [`crate::Error::IndexLocked`]
//! says the lock is stale; the user (or `--break-stale-lock`, or
//! [`super::WriterOptions::break_stale_lock`]) then removes it. Readers never
//! look at the lock: a stale lock only blocks writers.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Name of the lock file.
pub const LOCK_FILE: &str = "LOCK";

/// A held lock; dropping it removes the file.
#[derive(Debug)]
pub(crate) struct Lock {
    path: PathBuf,
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Whether a process with this pid runs on this machine, when we can tell.
fn pid_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        Some(Path::new(&format!("/proc/{pid}")).exists())
    } else {
        None
    }
}

/// What a lock file says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    pub pid: Option<u32>,
    pub stale: bool,
}

pub(crate) fn holder(path: &Path) -> Holder {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    let pid = field("pid ").and_then(|p| p.parse::<u32>().ok());
    let same_host = field("host ").is_some_and(|h| h == host_name());
    let stale = match pid {
        Some(p) if same_host => pid_alive(p) == Some(false),
        _ => false,
    };
    Holder { pid, stale }
}

impl Lock {
    /// Takes the lock of index directory `dir`.
    pub fn acquire(dir: &Path, break_stale: bool) -> Result<Lock> {
        let path = dir.join(LOCK_FILE);
        for attempt in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    let text = format!(
                        "pid {}\nhost {}\nsince {now}\n",
                        std::process::id(),
                        host_name()
                    );
                    let io = |source| Error::Io {
                        path: path.clone(),
                        source,
                    };
                    f.write_all(text.as_bytes()).map_err(io)?;
                    f.sync_all().map_err(io)?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let h = holder(&path);
                    if h.stale && break_stale && attempt == 0 {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    return Err(Error::IndexLocked {
                        path,
                        pid: h.pid,
                        stale: h.stale,
                    });
                }
                Err(source) => return Err(Error::Io { path, source }),
            }
        }
        let h = holder(&path);
        Err(Error::IndexLocked {
            path,
            pid: h.pid,
            stale: h.stale,
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_and_stale_detection() {
        let dir = tempfile::tempdir().unwrap();
        let l = Lock::acquire(dir.path(), false).unwrap();
        match Lock::acquire(dir.path(), true) {
            Err(Error::IndexLocked { pid, stale, .. }) => {
                assert_eq!(pid, Some(std::process::id()));
                assert!(!stale);
            }
            other => panic!("{other:?}"),
        }
        drop(l);
        assert!(!dir.path().join(LOCK_FILE).exists());
        if pid_alive(1).is_some() {
            // A pid that cannot exist (above the kernel's pid_max).
            std::fs::write(
                dir.path().join(LOCK_FILE),
                format!("pid 4294967000\nhost {}\n", host_name()),
            )
            .unwrap();
            let e = Lock::acquire(dir.path(), false).unwrap_err();
            assert!(e.to_string().contains("stale"), "{e}");
            let _l = Lock::acquire(dir.path(), true).unwrap();
        }
    }
}
