//! Load test of `neardup serve`: starts the server on a copy of an index,
//! then drives it from N concurrent keep-alive clients for a fixed time,
//! query-only and 90/10 query/add, and prints throughput, latency
//! percentiles, errors and the server's memory as a Markdown table.
//!
//! ```text
//! cargo bench --bench serve_load                      # a small index it builds itself
//! SERVE_LOAD_INDEX=idx100k SERVE_LOAD_TEXTS=c100k/docs SERVE_LOAD_SECS=20 \
//!     cargo bench --bench serve_load                  # a real index and its texts
//! ```
//!
//! Settings (environment): `SERVE_LOAD_INDEX` (index served; copied first,
//! since adds change it), `SERVE_LOAD_TEXTS` (folder of texts to query and
//! re-add, the first 5,000 files), `SERVE_LOAD_SECS` (seconds per scenario,
//! default 10, or 2 without an index), `SERVE_LOAD_CLIENTS` (default
//! `16,64`), `SERVE_LOAD_ARGS` (more flags for `neardup serve`, e.g.
//! `--merge-tier 0`). Traffic goes to 127.0.0.1 only; every client stops at the
//! deadline.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use neardup::index::{Index, IndexWriter};
use neardup::Config;

const BIN: &str = env!("CARGO_BIN_EXE_neardup");

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[path = "../tests/common/mod.rs"]
mod common;

/// A synthetic story of 400 words (one per seed), for the self-built index.
fn story(seed: u64) -> String {
    common::story(seed, 400, 20_000)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() && e.file_name() != "LOCK" {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A keep-alive HTTP/1.1 connection.
struct Conn {
    port: u16,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    fn post(&mut self, path: &str, body: &str) -> std::io::Result<u16> {
        if self.stream.is_none() {
            let s = TcpStream::connect(("127.0.0.1", self.port))?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(60)))?;
            self.stream = Some(BufReader::new(s));
        }
        let r = self.exchange(path, body);
        if r.is_err() {
            self.stream = None;
        }
        r
    }

    fn exchange(&mut self, path: &str, body: &str) -> std::io::Result<u16> {
        let s = self.stream.as_mut().unwrap();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.get_mut().write_all(req.as_bytes())?;
        let mut line = String::new();
        s.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut len = 0usize;
        loop {
            line.clear();
            if s.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; len];
        s.read_exact(&mut body)?;
        Ok(status)
    }
}

struct Outcome {
    /// Latencies of successful queries and adds.
    queries_us: Vec<u32>,
    adds_us: Vec<u32>,
    errors: u64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn rss_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Starts the server, with the flags of `SERVE_LOAD_ARGS` (split at
/// spaces, e.g. `--merge-tier 0`).
fn start_server(dir: &Path) -> (Child, u16) {
    let extra = env("SERVE_LOAD_ARGS").unwrap_or_default();
    let extra: Vec<&str> = extra.split_whitespace().collect();
    common::start_server(BIN, dir, &extra)
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("index");
    let (texts, secs): (Vec<String>, u64) = match env("SERVE_LOAD_INDEX") {
        Some(index) => {
            copy_dir(Path::new(&index), &served);
            let folder = PathBuf::from(env("SERVE_LOAD_TEXTS").expect("SERVE_LOAD_TEXTS"));
            let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            files.truncate(5000);
            let texts = files
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap())
                .collect();
            (texts, 10)
        }
        None => {
            Index::create(&served, &Config::default()).unwrap();
            let mut w = IndexWriter::open(&served).unwrap();
            let texts: Vec<String> = (0..2000).map(story).collect();
            for (i, t) in texts.iter().enumerate() {
                w.add_text(&format!("s{i}"), t);
            }
            w.commit().unwrap();
            (texts, 2)
        }
    };
    let secs: u64 = env("SERVE_LOAD_SECS").map_or(secs, |s| s.parse().unwrap());
    let clients: Vec<usize> = env("SERVE_LOAD_CLIENTS")
        .unwrap_or_else(|| "16,64".into())
        .split(',')
        .map(|c| c.trim().parse().unwrap())
        .collect();
    let bodies: Vec<String> = texts
        .iter()
        .map(|t| serde_json::json!({ "text": t }).to_string())
        .collect();
    let start = Instant::now();
    let (mut server, port) = start_server(&served);
    let pid = server.id();
    let docs = Index::open(&served).map(|i| i.len()).unwrap_or(0);
    eprintln!(
        "serve_load: {docs} documents, server up in {:.1} s, RSS {} MB; {secs} s per scenario",
        start.elapsed().as_secs_f64(),
        rss_kb(pid, "VmRSS:") / 1024
    );
    println!("| clients | mix | requests/s | query p50 ms | query p99 ms | query p99.9 ms | adds: n / p50 / p99 ms | errors | server RSS MB (peak) |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let next_id = AtomicU64::new(0);
    for &n in &clients {
        for (mix, add_share) in [("query only", 0u64), ("90/10 query/add", 10)] {
            let deadline = Instant::now() + Duration::from_secs(secs);
            let began = Instant::now();
            let outcomes: Vec<Outcome> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..n)
                    .map(|c| {
                        let (bodies, texts, next_id) = (&bodies, &texts, &next_id);
                        s.spawn(move || {
                            let mut conn = Conn { port, stream: None };
                            let mut out = Outcome {
                                queries_us: Vec::new(),
                                adds_us: Vec::new(),
                                errors: 0,
                            };
                            let mut x = (c as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
                            while Instant::now() < deadline {
                                x ^= x << 13;
                                x ^= x >> 7;
                                x ^= x << 17;
                                let i = (x % bodies.len() as u64) as usize;
                                let t0 = Instant::now();
                                let is_add = (x >> 32) % 100 < add_share;
                                let r = if is_add {
                                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                                    let body = serde_json::json!({"docs": [{
                                        "id": format!("load-{id}"),
                                        "text": format!("Update {id}. {}", texts[i]),
                                    }]})
                                    .to_string();
                                    conn.post("/add", &body)
                                } else {
                                    conn.post("/query", &bodies[i])
                                };
                                let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
                                match r {
                                    Ok(200) if is_add => out.adds_us.push(us),
                                    Ok(200) => out.queries_us.push(us),
                                    _ => out.errors += 1,
                                }
                            }
                            out
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let elapsed = began.elapsed().as_secs_f64();
            let sorted = |f: fn(&Outcome) -> &Vec<u32>| {
                let mut v: Vec<u32> = outcomes.iter().flat_map(|o| f(o).iter().copied()).collect();
                v.sort_unstable();
                v
            };
            let (q, a) = (sorted(|o| &o.queries_us), sorted(|o| &o.adds_us));
            let errors: u64 = outcomes.iter().map(|o| o.errors).sum();
            let adds = if a.is_empty() {
                "-".to_string()
            } else {
                format!(
                    "{} / {:.0} / {:.0}",
                    a.len(),
                    percentile(&a, 50.0),
                    percentile(&a, 99.0)
                )
            };
            println!(
                "| {n} | {mix} | {:.0} | {:.2} | {:.2} | {:.2} | {adds} | {errors} | {} ({}) |",
                (q.len() + a.len()) as f64 / elapsed,
                percentile(&q, 50.0),
                percentile(&q, 99.0),
                percentile(&q, 99.9),
                rss_kb(pid, "VmRSS:") / 1024,
                rss_kb(pid, "VmHWM:") / 1024,
            );
        }
    }
    // SAFETY: kill(2) on the pid of the child started above, not reaped.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let status = server.wait().unwrap();
    eprintln!("serve_load: server stopped with {status}");
    assert!(status.success());
}
