//! Text made from names, for ids and for people.
//!
//! * [`escape_name`]: the text of a file name (or a relative path) that may
//!   not be valid UTF-8. A valid name is its own text; in one that is not,
//!   each byte that is not part of valid UTF-8 is written `\xHH` (two
//!   uppercase hex digits) and each backslash is doubled, so two names never
//!   share a text (see the function for the one rule that makes it so).
//!   Document ids of walked files are made this way.
//! * [`escape_for_terminal`]: control characters (and the invisible
//!   characters that reorder text) written as escapes, so that a file name
//!   or id holding `ESC ]0;...` or a line break cannot retitle or clear a
//!   terminal or forge a line of output. Used wherever the command line
//!   prints ids, paths or messages for people (`--format text`, progress,
//!   summaries, errors and skips); JSON Lines, CSV and HTML have their own
//!   escaping.
//! * [`count`]: "1 document", "2 documents".

use std::borrow::Cow;
use std::path::Path;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `c` is an escape [`escape_name`] writes for a byte: `\x`, then
/// two uppercase hex digits of a byte from 0x80 to 0xFF (every byte that is
/// not part of valid UTF-8 is one of those).
fn has_byte_escape(c: &[u8]) -> bool {
    let hi = |b: u8| matches!(b, b'8'..=b'9' | b'A'..=b'F');
    let hex = |b: u8| b.is_ascii_digit() || (b'A'..=b'F').contains(&b);
    c.windows(4)
        .any(|w| w[0] == b'\\' && w[1] == b'x' && hi(w[2]) && hex(w[3]))
}

/// Whether one component (no `/`) is written with escapes.
fn needs_escapes(c: &[u8]) -> bool {
    std::str::from_utf8(c).is_err() || (memchr::memchr(b'\\', c).is_some() && has_byte_escape(c))
}

fn escape_component(c: &[u8], out: &mut String) {
    if !needs_escapes(c) {
        // Valid UTF-8, checked by `needs_escapes`.
        out.push_str(std::str::from_utf8(c).expect("valid UTF-8"));
        return;
    }
    for chunk in c.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if ch == '\\' {
                out.push('\\');
            }
            out.push(ch);
        }
        for &b in chunk.invalid() {
            out.push('\\');
            out.push('x');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// The text of a name or a `/`-separated relative path given as bytes,
/// one component (between slashes) at a time:
///
/// * a component that is valid UTF-8 is its own text, unless it holds what
///   looks like a byte escape (a backslash, `x`, and two uppercase hex
///   digits from `80` to `FF`, a name no one writes by chance);
/// * any other component is written with escapes: each byte that is not
///   part of valid UTF-8 as `\xHH` (uppercase hex), each backslash as
///   `\\`, every other character as it is.
///
/// So `bad\xff.txt` (the byte 0xFF) is `bad\xFF.txt`, `bad\xfe.txt` is
/// `bad\xFE.txt`, and a valid name that already reads `bad\xFF.txt` is
/// `bad\\xFF.txt`. No two names have one text: a component's text holds a
/// byte escape exactly when it was written with escapes, and escapes are
/// read back one way only; [`unescape_name`] gives the bytes back.
pub fn escape_name(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if memchr::memchr(b'\\', bytes).is_none() || !has_byte_escape(bytes) => {
            Cow::Borrowed(s)
        }
        _ => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for (i, c) in bytes.split(|&b| b == b'/').enumerate() {
                if i > 0 {
                    out.push('/');
                }
                escape_component(c, &mut out);
            }
            Cow::Owned(out)
        }
    }
}

/// The bytes a text of [`escape_name`] was made from; `None` when no name
/// gives this text.
pub fn unescape_name(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for (i, c) in text.as_bytes().split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        if !has_byte_escape(c) {
            out.extend_from_slice(c);
            continue;
        }
        let start = out.len();
        let mut k = 0;
        while k < c.len() {
            match (c[k], c.get(k + 1)) {
                (b'\\', Some(b'\\')) => {
                    out.push(b'\\');
                    k += 2;
                }
                (b'\\', Some(b'x')) => {
                    let hex = std::str::from_utf8(c.get(k + 2..k + 4)?).ok()?;
                    if hex.bytes().any(|b| b.is_ascii_lowercase()) {
                        return None;
                    }
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    k += 4;
                }
                (b'\\', _) => return None,
                (b, _) => {
                    out.push(b);
                    k += 1;
                }
            }
        }
        // Only the text escape_component writes for these bytes.
        let mut again = String::new();
        escape_component(&out[start..], &mut again);
        if again.as_bytes() != c {
            return None;
        }
    }
    Some(out)
}

/// [`escape_name`] of a path's bytes (on Unix; elsewhere, where paths are
/// not bytes, its lossy text).
pub fn path_text(path: &Path) -> Cow<'_, str> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        escape_name(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy()
    }
}

/// Whether `c` is escaped for a terminal: control characters (C0, DEL, C1)
/// and the invisible characters that reorder text (bidirectional marks,
/// embeddings, overrides and isolates).
fn unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with control characters and bidirectional controls escaped, the
/// way `ls` and ripgrep show such names: `\t`, `\n`, `\r`, `\xHH` for the
/// other ASCII controls (`\x1B` for ESC), `\u{HHHH}` for the rest. Text
/// without any is returned as it is.
pub fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if unsafe_for_terminal(c) && (c as u32) < 0x80 => {
                out.push_str("\\x");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c if unsafe_for_terminal(c) => {
                out.push_str(&format!("\\u{{{:X}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path for a terminal: [`path_text`] (bytes that are not UTF-8 as
/// `\xHH`, so two paths never look alike), then [`escape_for_terminal`].
pub fn path_for_terminal(path: &Path) -> Cow<'_, str> {
    match path_text(path) {
        Cow::Borrowed(s) => escape_for_terminal(s),
        Cow::Owned(s) => Cow::Owned(escape_for_terminal(&s).into_owned()),
    }
}

/// `n` and the noun that agrees with it: `count(1, "document",
/// "documents")` is "1 document", `count(2, ...)` "2 documents".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names() {
        let t = |b: &[u8]| escape_name(b).into_owned();
        assert_eq!(t(b"plain/name.txt"), "plain/name.txt");
        assert_eq!(t(b"back\\slash\\x41"), "back\\slash\\x41");
        assert!(matches!(escape_name(b"a\\b"), Cow::Borrowed(_)));
        assert_eq!(t(b"bad\xff.txt"), "bad\\xFF.txt");
        assert_eq!(t(b"bad\xfe.txt"), "bad\\xFE.txt");
        assert_eq!(t(b"bad\\xFF.txt"), "bad\\\\xFF.txt");
        assert_eq!(t(b"a\\b\xff"), "a\\\\b\\xFF");
        assert_eq!(t(b"\\\xff"), "\\\\\\xFF");
        // Only the component that needs escapes has them.
        assert_eq!(t(b"d\\ir/x\xc3"), "d\\ir/x\\xC3");
        assert_eq!(t("é/ü".as_bytes()), "é/ü");
        assert_eq!(unescape_name("bad\\xFF.txt").unwrap(), b"bad\xff.txt");
        assert_eq!(unescape_name("bad\\\\xFF.txt").unwrap(), b"bad\\xFF.txt");
        assert_eq!(unescape_name("a\\b").unwrap(), b"a\\b");
        // Texts no name gives.
        assert_eq!(unescape_name("a\\x41\\xFF"), None);
        assert_eq!(unescape_name("\\xC3\\xA9"), None); // that is "é", valid
        assert_eq!(unescape_name("\\xF"), Some(b"\\xF".to_vec())); // a plain name
        assert_eq!(unescape_name("\\xFF\\q"), None);
        assert_eq!(unescape_name("\\xFF\\xF"), None);
    }

    #[test]
    fn terminal() {
        let t = |s: &str| escape_for_terminal(s).into_owned();
        assert_eq!(t("plain é"), "plain é");
        assert_eq!(
            t("a\x1b]0;PWNED\x07\x1b[2J\nb\tc\r\u{7f}"),
            "a\\x1B]0;PWNED\\x07\\x1B[2J\\nb\\tc\\r\\x7F"
        );
        assert_eq!(t("\u{9b}x\u{202e}y"), "\\u{9B}x\\u{202E}y");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let p = Path::new(std::ffi::OsStr::from_bytes(b"dir/bad\xff\n.txt"));
            assert_eq!(path_for_terminal(p), "dir/bad\\xFF\\n.txt");
        }
        assert_eq!(count(1, "document", "documents"), "1 document");
        assert_eq!(count(0, "document", "documents"), "0 documents");
        assert_eq!(count(2, "match", "matches"), "2 matches");
    }

    /// Bytes rich in what escaping is about: backslashes, `x`, hex digits,
    /// whole byte escapes written literally, slashes, invalid and
    /// multi-byte UTF-8.
    fn name_bytes() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            Just(b"\\".to_vec()),
            Just(b"\\x".to_vec()),
            Just(b"\\xFF".to_vec()),
            Just(b"\\x8".to_vec()),
            Just(b"\\\\".to_vec()),
            Just(b"x".to_vec()),
            Just(b"/".to_vec()),
            prop::sample::select(b"0189AFaf".to_vec()).prop_map(|b| vec![b]),
            Just(vec![0xffu8]),
            Just(vec![0xc3u8]),
            Just(vec![0xa9u8]),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        prop::collection::vec(token, 0..8).prop_map(|t| t.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// The text gives the bytes back, so different names never share a
        /// text; valid names without a byte escape are their own text; a
        /// text holds no control character that was not in the name.
        #[test]
        fn escape_name_is_injective(a in name_bytes(), b in name_bytes()) {
            let (ta, tb) = (escape_name(&a), escape_name(&b));
            prop_assert_eq!(unescape_name(&ta), Some(a.clone()));
            prop_assert_eq!(ta == tb, a == b);
            if let Ok(s) = std::str::from_utf8(&a) {
                if !has_byte_escape(&a) {
                    prop_assert_eq!(&*ta, s);
                }
            }
        }

        /// Escaped terminal text has no control character left, and text
        /// that needs none is unchanged.
        #[test]
        fn terminal_text_is_inert(s in "\\PC{0,8}|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}a\\\\]{0,12}") {
            let e = escape_for_terminal(&s);
            prop_assert!(!e.chars().any(unsafe_for_terminal));
            if !s.chars().any(unsafe_for_terminal) {
                prop_assert_eq!(&*e, &*s);
            }
        }
    }
}
