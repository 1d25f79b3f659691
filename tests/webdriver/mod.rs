//! A small WebDriver client for the browser tests: starts `chromedriver`
//! on a loopback port, opens a headless Chromium session, and speaks the
//! W3C WebDriver protocol over plain HTTP/1.1 (one request per connection).
//! Both programs must be installed (Debian: `apt-get install chromium
//! chromium-driver`); the tests fail with that message rather than skip.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The key of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A program on `PATH`, or at `/usr/bin/{name}`.
fn program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join(name))
        .chain(std::iter::once(PathBuf::from("/usr/bin").join(name)))
        .find(|p| p.is_file())
}

/// Chromium, or a panic saying how to install it.
pub fn chromium() -> PathBuf {
    program("chromium").unwrap_or_else(|| {
        panic!(
            "the browser tests need Chromium, found neither `chromium` on PATH nor \
             /usr/bin/chromium: install it (Debian/Ubuntu: apt-get install chromium)"
        )
    })
}

/// A browser session, ended (and chromedriver stopped) when dropped.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

/// An element of the page.
#[derive(Debug, Clone)]
pub struct Element(Value);

impl Browser {
    /// Starts chromedriver and a headless Chromium window of `width` x
    /// `height` pixels.
    pub fn start(width: u32, height: u32) -> Browser {
        Browser::start_with(width, height, true)
    }

    /// [`Browser::start`], with the pages' scripts on or off (the
    /// session's own scripts, [`Browser::run`], run either way).
    pub fn start_with(width: u32, height: u32, page_scripts: bool) -> Browser {
        let chromium = chromium();
        let chromedriver = program("chromedriver").unwrap_or_else(|| {
            panic!(
                "the browser tests need chromedriver, found neither `chromedriver` on PATH nor \
                 /usr/bin/chromedriver: install it (Debian/Ubuntu: apt-get install chromium-driver)"
            )
        });
        // A free loopback port (released just before chromedriver takes it).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while browser.http("GET", "/status", None).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                ],
                "prefs": {
                    "profile.managed_default_content_settings.javascript":
                        if page_scripts { 1 } else { 2 },
                },
            },
        }}});
        let v = browser
            .http("POST", "/session", Some(caps))
            .expect("a browser session");
        browser.session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        browser
    }

    /// One HTTP request to chromedriver; the JSON answer, or an error for a
    /// connection that failed.
    fn http(&self, method: &str, path: &str, body: Option<Value>) -> std::io::Result<Value> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        // The header, then as many bytes as it announces (chromedriver may
        // keep the connection open), or up to the end for a chunked body.
        let mut raw = Vec::new();
        let mut buf = [0u8; 65536];
        let head_end = loop {
            if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::Error::other("no HTTP header"));
            }
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        match length {
            Some(n) => {
                while raw.len() < head_end + n {
                    let got = stream.read(&mut buf)?;
                    if got == 0 {
                        break;
                    }
                    raw.extend_from_slice(&buf[..got]);
                }
            }
            None => {
                stream.read_to_end(&mut raw)?;
            }
        }
        let body = String::from_utf8_lossy(&raw[head_end..]).to_string();
        let text = if head.contains("transfer-encoding: chunked") {
            dechunk(&body)
        } else {
            body
        };
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    /// A command of the session; its `value`, panicking on a WebDriver
    /// error.
    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let v = self
            .http(method, &path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let value = v["value"].clone();
        if value.get("error").is_some() {
            panic!("{method} {path}: {value}");
        }
        value
    }

    /// Loads `url` and waits for it.
    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and
    /// returns what it returns.
    pub fn run(&self, script: &str, args: &[Value]) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The first element matching a CSS selector.
    pub fn find(&self, css: &str) -> Element {
        Element(self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        ))
    }

    fn element_cmd(&self, e: &Element, what: &str, body: Value) -> Value {
        let id = e.0[ELEMENT].as_str().expect("an element reference");
        self.cmd("POST", &format!("/element/{id}/{what}"), Some(body))
    }

    /// Clicks an element, as a user would (scrolled into view first).
    pub fn click(&self, e: &Element) {
        self.element_cmd(e, "click", json!({}));
    }

    /// Types `text` into an element, key by key.
    pub fn type_text(&self, e: &Element, text: &str) {
        self.element_cmd(e, "value", json!({ "text": text }));
    }

    /// Empties a text field.
    pub fn clear(&self, e: &Element) {
        self.element_cmd(e, "clear", json!({}));
    }

    /// Calls `check` until it returns true, for at most 10 s.
    pub fn wait_for(&self, what: &str, check: impl Fn(&Browser) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.http("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The body of a chunked HTTP answer.
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}
