//! JSON Lines inputs: one document per line, read in parallel batches.

use std::borrow::Cow;
use std::io::{BufRead, BufReader};
use std::path::Path;

use rayon::prelude::*;

use super::pipeline::pipelined;
use super::{CorpusOptions, DocSource, Document, Event, Skip, SkipReason, BATCH};
use crate::display::path_text;
use crate::safe_open::OpenError;

pub(crate) fn parse_json_line(
    line: &[u8],
    opts: &CorpusOptions,
) -> std::result::Result<(String, String), (SkipReason, String)> {
    let value: serde_json::Value = serde_json::from_slice(line)
        .map_err(|e| (SkipReason::BadJson, format!("not valid JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or((SkipReason::BadJson, "not a JSON object".to_string()))?;
    let id = match obj.get(&opts.id_field) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err((
                SkipReason::MissingField,
                format!("field {:?} is not a string or number", opts.id_field),
            ))
        }
        None => {
            return Err((
                SkipReason::MissingField,
                format!("no {:?} field", opts.id_field),
            ))
        }
    };
    let text = match obj.get(&opts.text_field) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => {
            return Err((
                SkipReason::MissingField,
                format!("field {:?} is not a string", opts.text_field),
            ))
        }
        None => {
            return Err((
                SkipReason::MissingField,
                format!("no {:?} field", opts.text_field),
            ))
        }
    };
    Ok((id, text))
}

pub(crate) fn read_jsonl<R: Send>(
    path: &Path,
    opts: &CorpusOptions,
    f: &(impl Fn(Document<'_>) -> R + Sync),
    sink: &mut impl FnMut(Event<R>),
    progress: &mut impl FnMut(u64),
) {
    let file = match crate::safe_open::open_regular(path, u64::MAX) {
        Ok((f, _)) => f,
        Err(e) => {
            let reason = match e {
                OpenError::NotRegular(_) => SkipReason::NotRegular,
                _ => SkipReason::Unreadable,
            };
            sink(Event::Skip(Skip {
                location: path_text(path).into_owned(),
                reason,
                message: e.to_string(),
            }));
            return;
        }
    };
    let reader = BufReader::with_capacity(1 << 20, file);
    read_jsonl_from(reader, path, opts, f, sink, progress);
}

/// Reads JSON Lines documents from any reader (`path` names it in
/// messages and in each document's [`DocSource`]). Used for files, and
/// directly by tests and the fuzz targets.
pub fn read_jsonl_from<R: Send>(
    mut reader: impl BufRead,
    path: &Path,
    opts: &CorpusOptions,
    f: &(impl Fn(Document<'_>) -> R + Sync),
    sink: &mut impl FnMut(Event<R>),
    progress: &mut impl FnMut(u64),
) {
    // (line number, offset, bytes or too-long marker)
    type Lines = Vec<(usize, u64, std::result::Result<Vec<u8>, u64>)>;
    let mut line_no = 0usize;
    let mut offset = 0u64;
    let mut done = false;
    // Batches of lines, read on this thread: the lines, their size in
    // bytes, and a read error that ended the file after them.
    let batches = std::iter::from_fn(|| {
        let (mut batch, mut batch_bytes, mut error) = (Lines::new(), 0u64, None);
        while !done && batch.len() < BATCH && batch_bytes < (64 << 20) {
            line_no += 1;
            match read_line_bounded(&mut reader, opts.max_doc_bytes) {
                Ok(None) => done = true,
                Ok(Some((line, consumed))) => {
                    batch_bytes += consumed;
                    batch.push((line_no, offset, line));
                    offset += consumed;
                }
                Err(e) => {
                    error = Some(Skip {
                        location: format!("{}:{line_no}", path_text(path)),
                        reason: SkipReason::Unreadable,
                        message: e.to_string(),
                    });
                    done = true;
                }
            }
        }
        (!batch.is_empty() || error.is_some()).then_some((batch, batch_bytes, error))
    });
    let work =
        |(batch, bytes, error): (Lines, u64, Option<Skip>)| -> (LineEvents<R>, u64, Option<Skip>) {
            let events = batch
                .par_iter()
                .map(|(line, off, bytes)| {
                    let location = format!("{}:{line}", path_text(path));
                    let skip = |reason, message| {
                        Some(vec![Event::Skip(Skip {
                            location: location.clone(),
                            reason,
                            message,
                        })])
                    };
                    let bytes = match bytes {
                        Ok(b) => b,
                        Err(len) => {
                            return skip(
                                SkipReason::TooLarge,
                                format!(
                            "line of {len} bytes is over the limit of {} bytes (--max-doc-bytes)",
                            opts.max_doc_bytes
                        ),
                            )
                        }
                    };
                    let trimmed = bytes.trim_ascii();
                    if trimmed.is_empty() {
                        return None; // blank lines are not documents
                    }
                    match parse_json_line(trimmed, opts) {
                        Ok((id, text)) => Some(vec![Event::Doc(f(Document {
                            id,
                            text: Cow::Owned(text),
                            source: DocSource::JsonlLine {
                                path: path.to_path_buf(),
                                line: *line,
                                offset: *off,
                            },
                        }))]),
                        Err((reason, message)) => skip(reason, message),
                    }
                })
                .collect();
            (events, bytes, error)
        };
    pipelined(batches, work, |(events, bytes, error)| {
        for e in events.into_iter().flatten().flatten() {
            sink(e);
        }
        if let Some(error) = error {
            sink(Event::Skip(error));
        }
        progress(bytes);
    });
}

/// The events of a batch of JSON Lines, one entry per line (`None` for a
/// blank line).
pub(crate) type LineEvents<R> = Vec<Option<Vec<Event<R>>>>;

/// Reads one line (without its newline), keeping at most `max` bytes: a
/// longer line is consumed and returned as `Err(length)`.
#[allow(clippy::type_complexity)]
pub(crate) fn read_line_bounded(
    reader: &mut impl BufRead,
    max: u64,
) -> std::io::Result<Option<(std::result::Result<Vec<u8>, u64>, u64)>> {
    let mut line = Vec::new();
    let mut total = 0u64;
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            if total == 0 {
                return Ok(None);
            }
            break;
        }
        let (chunk, found) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        total += n as u64;
        if !too_long {
            if total > max + 1 {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(n);
        if found {
            break;
        }
    }
    if too_long {
        return Ok(Some((Err(total), total)));
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(Some((Ok(line), total)))
}
