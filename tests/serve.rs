//! `neardup serve` end to end: the real binary on a random loopback port,
//! spoken to over real sockets with a minimal HTTP/1.1 client. Every load
//! loop is bounded in count; nothing asserts a time.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
mod common;

const BIN: &str = env!("CARGO_BIN_EXE_neardup");

/// A running server; killed if a test fails before stopping it.
struct Server {
    child: Child,
    port: u16,
    token: Option<String>,
}

impl Server {
    fn start(dir: &Path, extra: &[&str]) -> Server {
        let (child, port) = common::start_server(BIN, dir, extra);
        Server {
            child,
            port,
            token: None,
        }
    }

    fn req(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let body = body.map(Value::to_string);
        let mut headers = vec![];
        if body.is_some() {
            headers.push("Content-Type: application/json".to_string());
        }
        if let Some(t) = &self.token {
            headers.push(format!("Authorization: Bearer {t}"));
        }
        raw(
            self.port,
            method,
            path,
            &headers,
            body.as_deref().unwrap_or(""),
        )
    }

    /// SIGTERM, then the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        signal(&self.child, libc::SIGTERM);
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on the pid of a child we started and have not reaped.
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0);
}

/// One request on its own connection; the status and the JSON body.
fn raw(port: u16, method: &str, path: &str, headers: &[String], body: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
    };
    (status, value)
}

fn create(dir: &Path) {
    let ok = Command::new(BIN)
        .args(["index", "create"])
        .arg(dir)
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// A story of 80 words (one per seed).
fn story(seed: u64) -> String {
    common::story(seed, 80, 5000)
}

fn add(s: &Server, docs: &[(&str, &str)]) -> Value {
    let docs: Vec<Value> = docs
        .iter()
        .map(|(id, text)| json!({"id": id, "text": text}))
        .collect();
    let (status, v) = s.req("POST", "/add", Some(&json!({ "docs": docs })));
    assert_eq!(status, 200, "{v}");
    v
}

fn query(s: &Server, text: &str) -> Vec<Value> {
    let (status, v) = s.req("POST", "/query", Some(&json!({ "text": text })));
    assert_eq!(status, 200, "{v}");
    v["matches"].as_array().unwrap().clone()
}

#[test]
fn add_query_get_delete_stats_health() {
    let dir = tempfile::tempdir().unwrap();
    create(dir.path());
    let s = Server::start(dir.path(), &[]);
    assert_eq!(
        s.req("GET", "/health", None),
        (200, json!({"status": "ok"}))
    );
    let wire = story(1);
    let copy = format!("Syndicated by Outlet. {wire} Copyright.");
    let v = add(
        &s,
        &[("wire", &wire), ("copy", &copy), ("other", &story(2))],
    );
    assert_eq!(v["added"], 3);
    let pairs = v["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{v}");
    assert_eq!(
        (&pairs[0]["a"], &pairs[0]["b"]),
        (&json!("copy"), &json!("wire"))
    );
    let clusters = &v["clusters"];
    assert_eq!(clusters["wire"], clusters["copy"]);
    assert_ne!(clusters["wire"], clusters["other"]);

    let m = query(&s, &format!("{wire} More at eleven."));
    assert_eq!(m.len(), 2);
    assert_eq!(m[0]["id"], "wire");
    assert_eq!(m[0]["cluster"], clusters["wire"]);
    assert!(m[0]["containment"].as_f64().unwrap() >= 0.99);
    // The query's own id is never its own match; limit cuts.
    let (_, v) = s.req(
        "POST",
        "/query",
        Some(&json!({"text": wire, "id": "wire", "limit": 5})),
    );
    assert_eq!(v["matches"].as_array().unwrap().len(), 1);
    assert_eq!(v["matches"][0]["id"], "copy");
    let (_, v) = s.req("POST", "/query", Some(&json!({"text": wire, "limit": 1})));
    assert_eq!(v["matches"].as_array().unwrap().len(), 1);
    // Explain: a text added through the service is not kept.
    let (_, v) = s.req(
        "POST",
        "/query",
        Some(&json!({"text": wire, "explain": true, "limit": 1})),
    );
    assert!(v["matches"][0]["explain_error"]
        .as_str()
        .unwrap()
        .contains("not kept"));

    let (status, doc) = s.req("GET", "/docs/copy", None);
    assert_eq!(status, 200);
    assert_eq!(doc["cluster"], clusters["copy"]);
    assert_eq!(
        (doc["committed"].clone(), doc["words"].clone()),
        (json!(true), json!(84))
    );

    let (status, v) = s.req("DELETE", "/docs/copy", None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(s.req("GET", "/docs/copy", None).0, 404);
    assert_eq!(s.req("DELETE", "/docs/copy", None).0, 404);
    assert_eq!(query(&s, &wire).len(), 1);

    let (status, st) = s.req("GET", "/stats", None);
    assert_eq!(status, 200);
    assert_eq!(st["index"]["committed_documents"], 2);
    assert_eq!(st["index"]["pending_documents"], 0);
    // Adding an id the index has is skipped, and said so.
    let v = add(&s, &[("wire", "some other words entirely here")]);
    assert_eq!(v["added"], 0);
    assert!(v["skipped"][0]["message"]
        .as_str()
        .unwrap()
        .contains("wire"));
    assert!(s.stop().success());
}

/// Issue 26, class 4: /add and /query apply the figures rule as a scan
/// does (two Reuters wires of one template: the set rule accepts the pair,
/// their figures refuse it).
#[test]
fn template_siblings_are_not_duplicates() {
    let wire = |id: &str| std::fs::read_to_string(common::reuters_dir().join(id)).unwrap();
    let (a, b) = (wire("reut-00062.txt"), wire("reut-01308.txt"));
    let dir = tempfile::tempdir().unwrap();
    create(dir.path());
    let s = Server::start(dir.path(), &[]);
    assert_eq!(add(&s, &[("a", &a)])["added"], 1);
    let v = add(&s, &[("b", &b)]);
    assert_eq!(v["added"], 1);
    assert!(v["pairs"].as_array().unwrap().is_empty(), "{v}");
    assert_ne!(v["clusters"]["b"], json!(null));
    let ids = |m: Vec<Value>| m.iter().map(|m| m["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(query(&s, &a)), [json!("a")]);
    assert_eq!(ids(query(&s, &b)), [json!("b")]);
    // A copy of one is still its duplicate.
    let copy = format!("{a}\n\nReporting by the desk.");
    assert_eq!(ids(query(&s, &copy)), [json!("a")]);
    assert!(s.stop().success());
}

#[test]
fn restart_keeps_documents_and_cluster_ids() {
    let dir = tempfile::tempdir().unwrap();
    create(dir.path());
    let s = Server::start(dir.path(), &[]);
    let a = story(10);
    let v = add(&s, &[("a1", &a), ("b1", &story(11))]);
    let (ca, cb) = (v["clusters"]["a1"].clone(), v["clusters"]["b1"].clone());
    assert!(s.stop().success());

    let s = Server::start(dir.path(), &[]);
    assert_eq!(s.req("GET", "/docs/a1", None).1["cluster"], ca);
    assert_eq!(s.req("GET", "/docs/b1", None).1["cluster"], cb);
    // A copy added after the restart joins the first story's cluster.
    let v = add(&s, &[("a2", &format!("Reprinted: {a}"))]);
    assert_eq!(v["clusters"]["a2"], ca);
    assert_eq!(v["pairs"][0]["b"], "a1");
    assert!(s.stop().success());

    let index = neardup::index::Index::open(dir.path()).unwrap();
    assert_eq!(index.len(), 3);
    assert_eq!(index.cluster_of("a2").map(|c| json!(c)), Some(ca));
}

#[test]
fn concurrent_adds_and_queries_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    create(dir.path());
    let s = Server::start(dir.path(), &[]);
    let acked = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let (s, acked) = (&s, &acked);
            scope.spawn(move || {
                for i in 0..8u64 {
                    let ids = [format!("t{t}-{i}-0"), format!("t{t}-{i}-1")];
                    let texts = [story(100 + t * 100 + i * 2), story(101 + t * 100 + i * 2)];
                    let v = add(s, &[(&ids[0], &texts[0]), (&ids[1], &texts[1])]);
                    assert_eq!(v["added"], 2);
                    // Acknowledged: found by the next query, and on GET.
                    for (id, text) in ids.iter().zip(&texts) {
                        let m = query(s, text);
                        assert!(m.iter().any(|m| m["id"] == id.as_str()), "{id} lost");
                        assert_eq!(s.req("GET", &format!("/docs/{id}"), None).0, 200);
                    }
                    acked.lock().unwrap().extend(ids);
                }
            });
        }
        for q in 0..4u64 {
            let s = &s;
            scope.spawn(move || {
                for i in 0..25u64 {
                    let m = query(s, &story(100 + (q * 37 + i) % 800));
                    assert!(m.len() <= 1);
                }
            });
        }
    });
    let acked = acked.into_inner().unwrap();
    assert_eq!(acked.len(), 64);
    let (_, st) = s.req("GET", "/stats", None);
    assert_eq!(st["index"]["committed_documents"], 64);
    assert!(s.stop().success());
    let index = neardup::index::Index::open(dir.path()).unwrap();
    assert_eq!(index.len(), 64);
    for id in &acked {
        assert!(index.find(id).is_some(), "{id}");
    }
}

#[test]
fn kill_9_during_group_commits_keeps_every_acknowledged_add() {
    let dir = tempfile::tempdir().unwrap();
    create(dir.path());
    let s = Server::start(dir.path(), &[]);
    let acked = Mutex::new(Vec::new());
    let port = s.port;
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let acked = &acked;
            scope.spawn(move || {
                for i in 0..200u64 {
                    let id = format!("k{t}-{i}");
                    let body = json!({"docs": [{"id": id, "text": story(7000 + t * 1000 + i)}]})
                        .to_string();
                    let headers = ["Content-Type: application/json".to_string()];
                    // The server dies under us: a refused or cut connection
                    // is an add not acknowledged.
                    let Ok(answer) =
                        std::panic::catch_unwind(|| raw(port, "POST", "/add", &headers, &body))
                    else {
                        return;
                    };
                    if answer.0 == 200 {
                        acked.lock().unwrap().push(id);
                    }
                }
            });
        }
        // Kill once adds are being committed back to back.
        for _ in 0..20_000 {
            if acked.lock().unwrap().len() >= 40 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        signal(&s.child, libc::SIGKILL);
    });
    drop(s);
    let acked = acked.into_inner().unwrap();
    assert!(acked.len() >= 40);
    // The lock died with the process: a new server opens the index, and
    // every acknowledged add is there.
    let s = Server::start(dir.path(), &[]);
    for id in &acked {
        let (status, v) = s.req("GET", &format!("/docs/{id}"), None);
        assert_eq!(status, 200, "{id} was acknowledged: {v}");
    }
    assert!(s.stop().success());
    let index = neardup::index::Index::open(dir.path()).unwrap();
    assert!(index.len() >= acked.len());
}

#[test]
fn bad_requests_get_clear_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    create(dir.path());
    let s = Server::start(
        dir.path(),
        &["--max-text-bytes", "2000", "--max-body-bytes", "10000"],
    );
    let json_h = ["Content-Type: application/json".to_string()];
    // (method, path, headers, body, status, what the message says)
    type Case<'a> = (&'a str, &'a str, &'a [String], String, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("POST", "/query", &json_h, "{bad".into(), 400, "parse"),
        (
            "POST",
            "/query",
            &json_h,
            "{}".into(),
            422,
            "missing field `text`",
        ),
        (
            "POST",
            "/query",
            &json_h,
            r#"{"text": 5}"#.into(),
            422,
            "invalid type",
        ),
        (
            "POST",
            "/query",
            &json_h,
            r#"{"text": "a", "limit": -1}"#.into(),
            422,
            "limit",
        ),
        (
            "POST",
            "/query",
            &json_h,
            r#"{"text": "a", "lmit": 1}"#.into(),
            422,
            "unknown field",
        ),
        (
            "POST",
            "/query",
            &[],
            r#"{"text": "a"}"#.into(),
            415,
            "Content-Type",
        ),
        (
            "POST",
            "/query",
            &json_h,
            json!({"text": "w ".repeat(1500)}).to_string(),
            413,
            "over the limit",
        ),
        (
            "POST",
            "/query",
            &json_h,
            json!({"text": "w ".repeat(6000)}).to_string(),
            413,
            "size limit",
        ),
        (
            "POST",
            "/add",
            &json_h,
            r#"{"docs": []}"#.into(),
            400,
            "empty",
        ),
        (
            "POST",
            "/add",
            &json_h,
            r#"{"docs": [{"id": "x"}]}"#.into(),
            422,
            "missing field `text`",
        ),
        (
            "POST",
            "/add",
            &json_h,
            r#"{"docs": [{"id": "", "text": "a b c"}]}"#.into(),
            400,
            "docs[0]",
        ),
        (
            "POST",
            "/add",
            &json_h,
            json!({"docs": [{"id": "x", "text": "w ".repeat(1500)}]}).to_string(),
            413,
            "docs[0].text",
        ),
        ("GET", "/nowhere", &[], String::new(), 404, "no such route"),
        ("GET", "/add", &[], String::new(), 405, "not allowed"),
        ("GET", "/docs/missing", &[], String::new(), 404, "missing"),
    ];
    for (method, path, headers, body, status, says) in cases {
        let (got, v) = raw(s.port, method, path, headers, &body);
        assert_eq!(got, status, "{method} {path} {body:.80}: {v}");
        let message = v["error"].as_str().unwrap_or_else(|| panic!("{v}"));
        assert!(message.contains(says), "{method} {path}: {message}");
    }
    // Still serving, and nothing was added.
    assert_eq!(s.req("GET", "/health", None).0, 200);
    assert_eq!(
        s.req("GET", "/stats", None).1["index"]["committed_documents"],
        0
    );
    assert!(s.stop().success());
}

#[test]
fn token_is_required_when_given_and_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    create(dir.path());
    // Elsewhere than loopback without a token: refused before binding.
    let out = Command::new(BIN)
        .arg("serve")
        .arg(dir.path())
        .args(["--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token-file"));

    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    let mut s = Server::start(dir.path(), &["--token-file", token_file.to_str().unwrap()]);
    let (status, v) = s.req("POST", "/query", Some(&json!({"text": "a b c d e"})));
    assert_eq!(status, 401);
    assert!(v["error"].as_str().unwrap().contains("bearer token"));
    s.token = Some("wrong".into());
    assert_eq!(s.req("GET", "/stats", None).0, 401);
    assert_eq!(s.req("GET", "/docs/x", None).0, 401);
    s.token = None;
    assert_eq!(s.req("GET", "/health", None).0, 200);
    s.token = Some("s3cret-token".into());
    assert_eq!(s.req("GET", "/stats", None).0, 200);
    add(&s, &[("x", &story(3))]);
    assert!(s.stop().success());
}
