//! The writer lock: an advisory lock, held by the operating system, on the
//! open file `DIR/LOCK` (`flock` on Unix, `LockFileEx` on Windows, through
//! [`std::fs::File::try_lock`]).
//!
//! The writer keeps the file open for its whole life, and the system
//! releases the lock when the file is closed: when the writer is dropped,
//! and also when the process dies however it dies (exit, panic, Ctrl-C,
//! `kill -9`, out of memory). So a lock never outlives its writer, and there
//! is nothing stale to detect or break. The file itself is never deleted:
//! deleting it would let a process that opened it just before lock the old
//! file while another creates and locks a new one, two writers at once.
//!
//! What the file holds (`pid`, `host`, `since` lines) is for people and for
//! the message a second writer gets; it is never trusted. Writing it may
//! fail (a full disk): the lock is held all the same, and an empty or
//! garbled file blocks no one. Readers never look at the lock.
//!
//! One case outlives a writer for a moment: a process that forks (to start
//! a program) while a writer is open gives the child the lock's open file
//! until the child's `exec` closes it (files are opened close-on-exec). The
//! writer empties the file before it lets go, so a busy lock with an empty
//! file is waited for up to a second (`UNRECORDED_GRACE`) before a second
//! writer gives up.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::safe_open::{self, OpenError};

/// Name of the lock file.
pub const LOCK_FILE: &str = "LOCK";

/// How often a writer that waits for the lock tries again.
const POLL: Duration = Duration::from_millis(50);

/// How long a writer waits, whatever its own `wait`, for a lock whose file
/// records no holder. The file is emptied just before its holder releases
/// the lock, so a busy lock with an empty file is almost always one that
/// was just released but is still held for a moment by a child process:
/// a process that forks (to start a program) while a writer is open shares
/// the lock's open file with the child until the child's `exec` closes it.
/// It may also be a new holder that has not written its details yet, or
/// one that could not (a full disk): then the writer gives up after this.
const UNRECORDED_GRACE: Duration = Duration::from_secs(1);

/// Most bytes of the lock file read for the holder's pid.
const INFO_MAX: usize = 4096;

/// A held lock: released when dropped (or when the process dies).
#[derive(Debug)]
pub(crate) struct Lock {
    file: File,
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Opens (creating it if need be) the lock file: never through a symbolic
/// link (it is written to), never blocking, and only a regular file.
fn open_lock_file(path: &Path) -> Result<File> {
    let bad = |message: String| Error::Index {
        path: path.to_path_buf(),
        message,
    };
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o644)
            .custom_flags(safe_open::NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(bad(
                "is a symbolic link; the lock file must be a regular file (remove the link: \
                 the next writer creates the file)"
                    .into(),
            ))
        }
        Err(e) => match safe_open::open_error(path, e) {
            OpenError::Io(source) => {
                return Err(Error::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
            e => return Err(bad(e.to_string())),
        },
    };
    match safe_open::check_regular(&file) {
        Ok(_) => Ok(file),
        Err(OpenError::Io(source)) => Err(Error::Io {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) => Err(bad(format!(
            "{e}; the lock file must be a regular file (remove it: the next writer creates it)"
        ))),
    }
}

/// The pid the lock file records, if it records one.
fn recorded_pid(mut file: &File) -> Option<u32> {
    use std::io::{Read, Seek};
    let mut buf = Vec::with_capacity(256);
    file.seek(std::io::SeekFrom::Start(0)).ok()?;
    file.take(INFO_MAX as u64).read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    text.lines()
        .find_map(|l| l.strip_prefix("pid "))
        .and_then(|p| p.trim().parse().ok())
}

impl Lock {
    /// Takes the lock of index directory `dir`, waiting up to `wait` for
    /// another writer to release it. `fail_record` is a test hook: the
    /// holder's details are not written, as on a full disk.
    pub fn acquire(dir: &Path, wait: Duration, fail_record: bool) -> Result<Lock> {
        let path: PathBuf = dir.join(LOCK_FILE);
        let file = open_lock_file(&path)?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let waited = started.elapsed();
                    let pid = recorded_pid(&file);
                    let patience = if pid.is_none() {
                        wait.max(UNRECORDED_GRACE)
                    } else {
                        wait
                    };
                    if waited >= patience {
                        return Err(Error::IndexLocked {
                            pid,
                            path,
                            stale: false,
                        });
                    }
                    let poll = if pid.is_none() { POLL / 5 } else { POLL };
                    std::thread::sleep(poll.min(patience - waited));
                }
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(Error::Io { path, source })
                }
            }
        }
        let lock = Lock { file };
        lock.record(fail_record);
        Ok(lock)
    }

    /// Writes who holds the lock, for people and for the message a second
    /// writer gets. Failures are ignored: the contents are informational,
    /// and the lock is held whatever they are.
    fn record(&self, fail: bool) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // A lock file that is also another name of some file: do not
            // write into that file.
            if self.file.metadata().map_or(true, |m| m.nlink() != 1) {
                return;
            }
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let text = format!(
            "pid {}\nhost {}\nsince {now}\n",
            std::process::id(),
            host_name()
        );
        if self.file.set_len(0).is_err() || fail {
            return;
        }
        use std::io::{Seek, Write};
        let mut f = &self.file;
        let _ = f
            .seek(std::io::SeekFrom::Start(0))
            .and_then(|_| f.write_all(text.as_bytes()));
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Forget the holder before releasing (closing the file releases the
        // lock): the next writer's details replace these anyway.
        let _ = self.file.set_len(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let l = Lock::acquire(dir.path(), Duration::ZERO, false).unwrap();
        let path = dir.path().join(LOCK_FILE);
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with(&format!("pid {}\n", std::process::id())));
        match Lock::acquire(dir.path(), Duration::from_millis(120), false) {
            Err(Error::IndexLocked { pid, stale, .. }) => {
                assert_eq!(pid, Some(std::process::id()));
                assert!(!stale);
            }
            other => panic!("{other:?}"),
        }
        drop(l);
        // The file stays (never deleted), empty, and locks no one out.
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        let _l = Lock::acquire(dir.path(), Duration::ZERO, false).unwrap();
    }

    #[test]
    fn contents_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        for junk in [&b""[..], b"pid 4294967000\nhost h\n", b"\xff\x00garbage"] {
            std::fs::write(&path, junk).unwrap();
            let l = Lock::acquire(dir.path(), Duration::ZERO, false).unwrap();
            drop(l);
        }
        // A record that could not be written (a full disk) leaves the file
        // empty; the lock is held all the same.
        let l = Lock::acquire(dir.path(), Duration::ZERO, true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        match Lock::acquire(dir.path(), Duration::ZERO, false) {
            Err(Error::IndexLocked { pid: None, .. }) => {}
            other => panic!("{other:?}"),
        }
        drop(l);
        Lock::acquire(dir.path(), Duration::ZERO, false).unwrap();
    }

    #[test]
    fn a_lock_released_but_still_held_by_a_forked_child_is_waited_for() {
        // The holder's file description outlives it for a moment in a child
        // forked while it was open (here: a second description of the same
        // file kept by this process, as the child would keep it, released
        // shortly after the holder is dropped).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let l = Lock::acquire(dir.path(), Duration::ZERO, false).unwrap();
        let ghost = l.file.try_clone().unwrap();
        drop(l);
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(ghost);
        });
        // No wait asked for: taken all the same once the child lets go.
        let _l = Lock::acquire(dir.path(), Duration::ZERO, false).unwrap();
        releaser.join().unwrap();
    }

    #[test]
    fn a_waiting_writer_gets_the_lock_when_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let l = Lock::acquire(dir.path(), Duration::ZERO, false).unwrap();
        let d = dir.path().to_path_buf();
        let waiter =
            std::thread::spawn(move || Lock::acquire(&d, Duration::from_secs(60), false).is_ok());
        std::thread::sleep(Duration::from_millis(100));
        drop(l);
        assert!(waiter.join().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_not_a_regular_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &path).unwrap();
        let e = Lock::acquire(dir.path(), Duration::ZERO, false).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!dir.path().join("elsewhere").exists());
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let e = Lock::acquire(dir.path(), Duration::ZERO, false).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }
}
