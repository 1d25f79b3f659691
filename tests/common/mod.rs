//! Fixtures shared by the integration tests and the benches (the benches
//! include this file with `#[path]`).

use std::path::{Path, PathBuf};

/// The Reuters-21578 wires in `../shared/data` (read, never copied).
pub fn reuters_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/reuters21578/docs")
}

/// The first `n` Reuters wires in file-name order, as `(file name, text)`.
pub fn wires(n: usize) -> Vec<(String, String)> {
    let dir = reuters_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("../shared/data/reuters21578/docs")
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
