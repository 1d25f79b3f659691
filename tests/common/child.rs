//! Running the binary where it could hang, and making the special files
//! that could hang it (shared by the integration tests that include this
//! file with `#[path]`).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `neardup ARGS` in a child process; fails the test (killing the
/// child) if it has not ended within `deadline`, so that a hang fails CI
/// instead of stalling it.
pub fn run_with_deadline(args: &[&str], deadline: Duration) -> Output {
    let out = tempfile::tempdir().unwrap();
    let (so, se) = (out.path().join("out"), out.path().join("err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_neardup"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&so).unwrap())
        .stderr(std::fs::File::create(&se).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("neardup {args:?} still running after {deadline:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: std::fs::read(&so).unwrap(),
        stderr: std::fs::read(&se).unwrap(),
    }
}

/// Makes a FIFO (named pipe) at `path`.
pub fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}
