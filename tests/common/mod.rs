//! Fixtures shared by the integration tests and the benches (the benches
//! include this file with `#[path]`). Each includer uses some of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `rel` inside `../shared` (the third-party evaluation data and examples
/// beside the project, never copied into it). Panics with a message that
/// says where the fixtures are expected when it is missing.
pub fn shared(rel: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let path = base.join(rel);
    assert!(
        path.exists(),
        "fixture missing: {} (the tests and benches read their fixtures from ../shared \
         beside the project: {} must hold data/ and examples/)",
        path.display(),
        base.display()
    );
    path
}

/// The Reuters-21578 wires in `../shared/data` (read, never copied).
pub fn reuters_dir() -> PathBuf {
    shared("data/reuters21578/docs")
}

/// The first `n` Reuters wires in file-name order, as `(file name, text)`.
pub fn wires(n: usize) -> Vec<(String, String)> {
    let dir = reuters_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
        .into_iter()
        .take(n)
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            (name, text)
        })
        .collect()
}

/// A made-up story of `words` words drawn from a vocabulary of `vocab`
/// (`w0`, `w1`, ...), one per seed (xorshift): texts that share nothing
/// by chance, for the index, service and load tests.
pub fn story(seed: u64, words: usize, vocab: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..words)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            format!("w{}", x % vocab)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Starts `neardup serve DIR --addr 127.0.0.1:0 EXTRA...` (the binary
/// `bin`) and returns the child and the port it says it listens on; its
/// stderr is drained from then on, so it never blocks on a full pipe.
pub fn start_server(bin: &str, dir: &Path, extra: &[&str]) -> (std::process::Child, u16) {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin)
        .arg("serve")
        .arg(dir)
        .args(["--addr", "127.0.0.1:0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("the server exited before listening")
            .unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.rsplit(':').next().unwrap().trim().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

/// The `neardup` binary built for the integration tests.
pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_neardup"))
}

/// Runs the `neardup` binary with `args` and waits for it.
pub fn run(args: &[&str]) -> std::process::Output {
    bin().args(args).output().expect("binary runs")
}

/// The standard output of a run that must have succeeded (its standard
/// error in the panic message otherwise).
pub fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}
