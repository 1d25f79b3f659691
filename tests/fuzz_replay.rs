//! Replays the fuzz seeds and every saved crash input through the fuzz
//! target bodies, so the fuzzers' findings stay fixed under `cargo test`.

use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for dir in ["seeds", "regressions"] {
        let dir = root.join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for p in paths {
            if p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            let data = std::fs::read(&p).unwrap();
            body(&data);
            n += 1;
        }
    }
    assert!(n > 0, "no inputs for {target}");
}

#[test]
fn tokenize_inputs() {
    replay("tokenize", neardup::fuzzing::tokenize_bytes);
}

#[test]
fn explain_inputs() {
    replay("explain", neardup::fuzzing::explain_bytes);
}

#[test]
fn jsonl_inputs() {
    replay("jsonl", neardup::fuzzing::jsonl_bytes);
}

#[test]
fn index_inputs() {
    replay("index", neardup::fuzzing::index_bytes);
}
