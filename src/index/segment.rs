//! Segment files: an immutable batch of documents with their shingle sets,
//! metadata and LSH band table. Written once by a commit, memory-mapped by
//! readers; [`Segment::from_bytes`] validates the structure without reading
//! every document. Byte layout: `docs/INDEX-FORMAT.md`.

use std::borrow::Cow;

use rayon::prelude::*;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::format::{
    as_u32s, as_u64s, check_frame, corrupt, frame_version, u32_at, u64_at, Blocks, Body, Data,
    FResult, FileKind, FormatError, FramedWriter, Verify, BLOCKS_PER_PAGE, HEADER_LEN,
};
use crate::lsh::Banding;

/// Size of one document record.
pub(crate) const DOC_RECORD: usize = 72;
/// Size of the segment trailer (before the footer) in format version 1.
pub(crate) const TRAILER: usize = 80;
/// Size of the version 2 trailer: version 1's, then the block checksum
/// layout (covered bytes, block table offset and count, page table offset
/// and count) and the checksum of the page table and trailer.
pub(crate) const TRAILER_V2: usize = TRAILER + 48;
/// Size of the version 3 trailer: version 2's fields, then the figures
/// section's (figures version, offsets of the figure starts, the known
/// bitmap and the entries, entry count), then the checksum of the page
/// table and trailer.
pub(crate) const TRAILER_V3: usize = TRAILER_V2 + 40;
/// Size of one band directory entry.
pub(crate) const BAND_ENTRY: usize = 24;
/// Size of one document's facts (format version 2): story cluster and the
/// generation that added it.
pub(crate) const FACTS_RECORD: usize = 16;

/// Where a stored document's text can be read again (for explanations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredSource {
    /// Added from memory through the library: the text was not kept.
    Memory,
    /// A whole file (absolute path as it was when added).
    File(PathBuf),
    /// One line of a JSON Lines file.
    JsonlLine {
        /// The file (absolute path).
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Byte offset of the line in the file.
        offset: u64,
        /// Field that held the id.
        id_field: String,
        /// Field that held the text.
        text_field: String,
    },
}

impl std::fmt::Display for StoredSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredSource::Memory => f.write_str("<memory>"),
            StoredSource::File(p) => write!(f, "{}", crate::display::path_text(p)),
            StoredSource::JsonlLine { path, line, .. } => {
                write!(f, "{}:{line}", crate::display::path_text(path))
            }
        }
    }
}

/// What the index stores about a document besides its shingle set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocEntry {
    /// Its id (unique among live documents).
    pub id: String,
    /// Where to read it again.
    pub source: StoredSource,
    /// Number of words.
    pub words: u64,
    /// Size of its text in bytes.
    pub bytes: u64,
    /// `xxh3_64` of its text, to tell whether a re-read source changed.
    pub text_hash: u64,
}

fn path_bytes(p: &Path) -> Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Cow::Borrowed(p.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        match p.to_string_lossy() {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        }
    }
}

fn path_from_bytes(b: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(b))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(b).into_owned())
    }
}

/// One document handed to [`write_segment`] (its set is handed over apart):
/// its entry and its band hashes (`None` when its set is empty after the
/// boilerplate cut: such a document never becomes an LSH candidate).
pub(crate) struct SegmentDoc<'a> {
    pub entry: &'a DocEntry,
    pub bands: Option<&'a [u64]>,
    /// Its story cluster.
    pub cluster: u64,
    /// The generation (commit) that added it.
    pub generation: u64,
    /// Its figures ([`crate::figures`]; `None`: not known, as for a
    /// document first written in format version 1 or 2).
    pub figures: Option<&'a [u64]>,
}

/// Hands each document's sorted shingle set, in document order, to the
/// function it is given ([`write_segment`]; the index writer reads spilled
/// sets back a block at a time).
pub(crate) type SetsInOrder<'f> =
    &'f mut dyn FnMut(&mut dyn FnMut(&[u64]) -> io::Result<()>) -> io::Result<()>;

/// Writes one band table (its keys sorted: hash, document) and records
/// where it went in `dir`.
fn write_band<W: Write>(
    w: &mut FramedWriter<W>,
    dir: &mut Vec<(u64, u64, u64)>,
    keys: &[(u64, u32)],
) -> io::Result<()> {
    let hashes_off = w.pos();
    let hashes: Vec<u64> = keys.iter().map(|k| k.0).collect();
    w.u64s(&hashes)?;
    let docs_off = w.pos();
    let mut buf = Vec::with_capacity(keys.len() * 4);
    for k in keys {
        buf.extend_from_slice(&k.1.to_le_bytes());
    }
    w.write_all(&buf)?;
    w.align8()?;
    dir.push((keys.len() as u64, hashes_off, docs_off));
    Ok(())
}

/// Writes a segment of `docs` (which must be sorted by id, ids unique),
/// their sets handed over by `sets`. Returns the file length.
pub(crate) fn write_segment<W: Write>(
    out: W,
    docs: &[SegmentDoc<'_>],
    banding: Banding,
    sets: SetsInOrder<'_>,
) -> io::Result<(W, u64)> {
    let mut started = SegmentSets::new(out)?;
    sets(&mut |set| started.push(set))?;
    started.finish(docs, banding)
}

/// A segment being written whose first section, the documents' shingle
/// sets, is written one document at a time ([`SegmentSets::push`], in
/// document order), before anything else about the documents is known;
/// [`SegmentSets::finish`] writes the rest. [`write_segment`] is `new`,
/// `push` for each set, then `finish`: the bytes are the same whichever
/// way the sets arrive. The index writer starts its new segment this way
/// while documents are added, when they come in id order.
pub(crate) struct SegmentSets<W: Write> {
    w: FramedWriter<W>,
    sets_off: u64,
    /// Each set's first shingle, counted from the first set's (and the
    /// end of the last set).
    starts: Vec<u64>,
}

impl<W: Write> std::fmt::Debug for SegmentSets<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentSets")
            .field("sets", &self.len())
            .finish()
    }
}

impl<W: Write> SegmentSets<W> {
    /// Starts the segment (its header) in `out`.
    pub(crate) fn new(out: W) -> io::Result<SegmentSets<W>> {
        let w = FramedWriter::with_blocks(out, FileKind::Segment)?;
        Ok(SegmentSets {
            sets_off: w.pos(),
            w,
            starts: vec![0],
        })
    }

    /// Byte offset of the first set in the file (the sets are back to back,
    /// little-endian `u64`s).
    pub(crate) fn sets_offset(&self) -> u64 {
        self.sets_off
    }

    /// Number of sets written.
    pub(crate) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Appends the next document's sorted shingle set.
    pub(crate) fn push(&mut self, set: &[u64]) -> io::Result<()> {
        self.w.u64s(set)?;
        let total = self.starts.last().copied().unwrap_or(0) + set.len() as u64;
        self.starts.push(total);
        Ok(())
    }

    /// The writer the bytes go to (to flush it, so that the sets written
    /// so far can be read back from the file).
    pub(crate) fn inner_mut(&mut self) -> &mut W {
        self.w.inner_mut()
    }

    /// Writes the rest of the segment of `docs` (one per set pushed, sorted
    /// by id, ids unique) and its footer. Returns the writer and the file
    /// length.
    pub(crate) fn finish(self, docs: &[SegmentDoc<'_>], banding: Banding) -> io::Result<(W, u64)> {
        let SegmentSets {
            mut w,
            sets_off,
            starts,
        } = self;
        if docs.len() >= u32::MAX as usize {
            return Err(io::Error::other(
                "a segment holds fewer than 2^32 documents",
            ));
        }
        let total = starts.last().copied().unwrap_or(0);
        if starts.len() != docs.len() + 1 {
            return Err(io::Error::other(format!(
                "{} shingle sets for {} documents",
                starts.len() - 1,
                docs.len()
            )));
        }
        finish_segment(&mut w, docs, banding, sets_off, starts, total)?;
        w.finish()
    }
}

/// Sections 2 onwards of a segment whose sets ([`SegmentSets`]) are
/// written.
fn finish_segment<W: Write>(
    w: &mut FramedWriter<W>,
    docs: &[SegmentDoc<'_>],
    banding: Banding,
    sets_off: u64,
    starts: Vec<u64>,
    total: u64,
) -> io::Result<()> {
    // 2. Set starts.
    let set_starts_off = w.pos();
    w.u64s(&starts)?;
    drop(starts);
    // 3. Document records; 4. strings.
    let docs_off = w.pos();
    let mut strings: Vec<u8> = Vec::new();
    let mut rec = [0u8; DOC_RECORD];
    for d in docs {
        let e = d.entry;
        let str_off = strings.len() as u64;
        strings.extend_from_slice(e.id.as_bytes());
        let (kind, path, line, offset, idf, textf): (u32, Cow<'_, [u8]>, u64, u64, &str, &str) =
            match &e.source {
                StoredSource::Memory => (0, Cow::Borrowed(&[][..]), 0, 0, "", ""),
                StoredSource::File(p) => (1, path_bytes(p), 0, 0, "", ""),
                StoredSource::JsonlLine {
                    path,
                    line,
                    offset,
                    id_field,
                    text_field,
                } => (2, path_bytes(path), *line, *offset, id_field, text_field),
            };
        strings.extend_from_slice(&path);
        strings.extend_from_slice(idf.as_bytes());
        strings.extend_from_slice(textf.as_bytes());
        let len32 = |n: usize| {
            u32::try_from(n).map_err(|_| io::Error::other("string longer than 4 GiB in a document"))
        };
        rec[0..8].copy_from_slice(&str_off.to_le_bytes());
        rec[8..12].copy_from_slice(&len32(e.id.len())?.to_le_bytes());
        rec[12..16].copy_from_slice(&len32(path.len())?.to_le_bytes());
        rec[16..20].copy_from_slice(&len32(idf.len())?.to_le_bytes());
        rec[20..24].copy_from_slice(&len32(textf.len())?.to_le_bytes());
        rec[24..28].copy_from_slice(&kind.to_le_bytes());
        rec[28..32].copy_from_slice(&0u32.to_le_bytes());
        rec[32..40].copy_from_slice(&e.words.to_le_bytes());
        rec[40..48].copy_from_slice(&e.bytes.to_le_bytes());
        rec[48..56].copy_from_slice(&line.to_le_bytes());
        rec[56..64].copy_from_slice(&offset.to_le_bytes());
        rec[64..72].copy_from_slice(&e.text_hash.to_le_bytes());
        w.write_all(&rec)?;
    }
    let strings_off = w.pos();
    w.write_all(&strings)?;
    let strings_len = strings.len() as u64;
    drop(strings);
    w.align8()?;
    // 4b. Facts (format version 2): cluster and generation, per document.
    let facts_off = w.pos();
    for d in docs {
        w.u64(d.cluster)?;
        w.u64(d.generation)?;
    }
    // 4c. Figures (format version 3): per document its sorted figure
    // entries, as offsets into the entries, a bitmap of the documents whose
    // figures are known, and the entries back to back.
    let figure_starts_off = w.pos();
    let mut figure_count = 0u64;
    let mut fstarts = Vec::with_capacity(docs.len() + 1);
    fstarts.push(0u64);
    let mut known = vec![0u64; docs.len().div_ceil(64)];
    for (i, d) in docs.iter().enumerate() {
        if let Some(f) = d.figures {
            figure_count += f.len() as u64;
            known[i / 64] |= 1 << (i % 64);
        }
        fstarts.push(figure_count);
    }
    w.u64s(&fstarts)?;
    drop(fstarts);
    let known_off = w.pos();
    w.u64s(&known)?;
    drop(known);
    let figure_entries_off = w.pos();
    for f in docs.iter().filter_map(|d| d.figures) {
        w.u64s(f)?;
    }
    // 5. Band tables, band by band: sorted hashes, then their documents.
    let mut dir = Vec::with_capacity(banding.bands);
    // A band per thread sorted at once, written in band order.
    let bands: Vec<usize> = (0..banding.bands).collect();
    let sorted_band = |band: usize| {
        let mut keys: Vec<(u64, u32)> = docs
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.bands.map(|h| (h[band], i as u32)))
            .collect();
        keys.sort_unstable();
        keys
    };
    for run in bands.chunks(rayon::current_num_threads().max(1)) {
        let sorted: Vec<Vec<(u64, u32)>> = run.par_iter().map(|&b| sorted_band(b)).collect();
        for keys in sorted {
            write_band(w, &mut dir, &keys)?;
        }
    }
    let band_dir_off = w.pos();
    for (n, h, d) in dir {
        w.u64(n)?;
        w.u64(h)?;
        w.u64(d)?;
    }
    // 6. Block checksums of everything so far, and their pages'.
    let covered = w.pos();
    let sums = w.end_blocks();
    let sums_off = w.pos();
    w.u64s(&sums)?;
    let sum_bytes: Vec<u8> = sums.iter().flat_map(|v| v.to_le_bytes()).collect();
    let pages: Vec<u64> = sum_bytes
        .chunks(8 * BLOCKS_PER_PAGE)
        .map(xxhash_rust::xxh3::xxh3_64)
        .collect();
    drop(sum_bytes);
    let pages_off = w.pos();
    // 7. Trailer. The page table and the trailer are hashed together into
    // its last field.
    let mut tail: Vec<u8> = pages.iter().flat_map(|v| v.to_le_bytes()).collect();
    tail.extend_from_slice(&(docs.len() as u64).to_le_bytes());
    tail.extend_from_slice(&total.to_le_bytes());
    tail.extend_from_slice(&(banding.bands as u32).to_le_bytes());
    tail.extend_from_slice(&(banding.rows as u32).to_le_bytes());
    for v in [
        sets_off,
        set_starts_off,
        docs_off,
        strings_off,
        strings_len,
        band_dir_off,
        facts_off,
        covered,
        sums_off,
        sums.len() as u64,
        pages_off,
        pages.len() as u64,
        u64::from(crate::figures::FIGURES_VERSION),
        figure_starts_off,
        known_off,
        figure_entries_off,
        figure_count,
    ] {
        tail.extend_from_slice(&v.to_le_bytes());
    }
    let tail_sum = xxhash_rust::xxh3::xxh3_64(&tail);
    w.write_all(&tail)?;
    w.u64(tail_sum)
}

/// Band directory entry, as byte ranges of the body.
#[derive(Debug, Clone, Copy)]
struct BandRange {
    entries: usize,
    hashes: usize,
    docs: usize,
}

/// Where a version 3 segment's figures lie (body offsets).
#[derive(Debug, Clone, Copy)]
struct FigureRanges {
    /// The `n + 1` figure starts (u64 each).
    starts: usize,
    /// The bitmap of documents whose figures are known.
    known: usize,
    /// The entries (u64 each).
    entries: usize,
    /// Number of entries.
    count: u64,
}

/// A validated, read-only segment (memory-mapped or an aligned copy).
#[derive(Debug)]
pub struct Segment {
    data: Data,
    version: u32,
    /// The block checksums still to verify as blocks are read (a version 2
    /// segment opened lazily).
    lazy: Option<Blocks>,
    /// Byte range of the facts (format version 2 and later).
    facts: Option<usize>,
    /// The figures section (format version 3, written with this build's
    /// [`crate::figures::FIGURES_VERSION`]).
    figures: Option<FigureRanges>,
    docs: usize,
    shingles: u64,
    banding: Banding,
    sets: usize,
    set_starts: usize,
    records: usize,
    strings: (usize, usize),
    bands: Vec<BandRange>,
}

/// A stored document as read from a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDoc {
    /// Its entry (id, source, counts, text hash).
    pub entry: DocEntry,
    /// Number of distinct shingles (before any boilerplate cut).
    pub shingles: u64,
}

impl Segment {
    /// Validates `bytes` as a segment file (checksum included) and keeps an
    /// aligned copy. Never panics on bad bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Segment, FormatError> {
        Segment::from_data(Data::copy_of(bytes), Verify::Full)
    }

    /// Validates the structure of `bytes` as a segment file without
    /// verifying its checksum (for fuzzing the structural checks, which
    /// alone must keep every accessor from panicking).
    #[doc(hidden)]
    pub fn from_bytes_unverified(bytes: &[u8]) -> Result<Segment, FormatError> {
        Segment::from_data(Data::copy_of(bytes), Verify::No)
    }

    /// Memory-maps and validates a segment file. With [`Verify::Lazy`], a
    /// version 2 segment is checked in constant time (frame, trailer,
    /// block table pages); each block's checksum and each document's
    /// structure are checked when first read, by the `try_` accessors.
    pub(crate) fn open(path: &Path, verify: Verify) -> crate::Result<Segment> {
        let file = super::format::open_file(path)?;
        let data = Data::map(&file).map_err(|source| crate::Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if verify == Verify::Lazy {
            // A reader probes a few places (band tables, sets): no
            // read-ahead or fault-around, which would map (and count in its
            // memory) 64 KiB around every 4 KiB it reads.
            data.advise_random();
        }
        let segment = Segment::from_data(data, verify).map_err(|e| crate::Error::Index {
            path: path.to_path_buf(),
            message: e.0,
        })?;
        if matches!(verify, Verify::Full | Verify::Blocks) {
            // Every page was read to verify it; the writer (or `index
            // verify`) reads a few again at most.
            segment.data.release_pages();
        }
        Ok(segment)
    }

    fn from_data(data: Data, verify: Verify) -> FResult<Segment> {
        let bytes = data.bytes();
        let whole = match verify {
            Verify::Full => true,
            Verify::No => false,
            // A version 1 segment has no block checksums: hashed whole.
            Verify::Lazy | Verify::Blocks => bytes.len() >= 32 && frame_version(bytes) == 1,
        };
        let body = check_frame(bytes, FileKind::Segment, whole)?;
        let version = frame_version(bytes);
        let trailer = match version {
            1 => TRAILER,
            2 => TRAILER_V2,
            _ => TRAILER_V3,
        };
        if body.len() < trailer {
            return corrupt("segment too short for its trailer");
        }
        let t = &body[body.len() - trailer..];
        let n = u64_at(t, 0);
        let shingles = u64_at(t, 8);
        let (bands, rows) = (u32_at(t, 16) as usize, u32_at(t, 20) as usize);
        let off = |i: usize| u64_at(t, 24 + 8 * i);
        let (sets_off, starts_off, docs_off, strings_off, strings_len, dir_off, facts_off) =
            (off(0), off(1), off(2), off(3), off(4), off(5), off(6));
        if bands == 0 || rows == 0 || bands > 4096 || rows > 4096 {
            return corrupt(format!("impossible banding {bands} x {rows}"));
        }
        if n >= u32::MAX as u64 {
            return corrupt(format!("impossible document count {n}"));
        }
        let b = Body::new(body);
        let rel = |s: &[u8]| s.as_ptr() as usize - body.as_ptr() as usize;
        let sets = b.array(sets_off, shingles, 8, "shingle sets")?;
        let starts_b = b.array(starts_off, n + 1, 8, "set offsets")?;
        let recs = b.array(docs_off, n, DOC_RECORD as u64, "document records")?;
        let strings = b.slice(strings_off, strings_len, "strings")?;
        let dir = b.array(dir_off, bands as u64, BAND_ENTRY as u64, "band directory")?;
        let facts = match version {
            1 if facts_off != 0 => return corrupt("a version 1 segment with document facts"),
            1 => None,
            _ => Some(rel(b.array(
                facts_off,
                n,
                FACTS_RECORD as u64,
                "document facts",
            )?)),
        };
        // Figures (version 3): starts, known bitmap, entries.
        let figure_arrays = if version >= 3 {
            let (fver, starts_off, known_off, entries_off, count) =
                (off(12), off(13), off(14), off(15), off(16));
            let starts = b.array(starts_off, n + 1, 8, "figure starts")?;
            let known = b.array(known_off, n.div_ceil(64), 8, "figures known")?;
            let entries = b.array(entries_off, count, 8, "figure entries")?;
            Some((fver, starts, known, entries, count))
        } else {
            None
        };
        let trailer_at = (HEADER_LEN + body.len() - trailer) as u64;
        let blocks = if version == 1 {
            // The trailer must be the last thing in the body.
            if dir_off + (bands * BAND_ENTRY) as u64 != trailer_at {
                return corrupt("band directory does not end at the trailer");
            }
            None
        } else {
            // The band directory ends where the block checksums start,
            // and the page table ends at the trailer.
            let (covered, sums, n_blocks, pages, n_pages) =
                (off(7), off(8), off(9), off(10), off(11));
            if dir_off + (bands * BAND_ENTRY) as u64 != covered
                || n_pages
                    .checked_mul(8)
                    .and_then(|l| pages.checked_add(l))
                    .is_none_or(|e| e != trailer_at)
            {
                return corrupt("band directory or block checksums out of place");
            }
            let tail_end = bytes.len() - super::format::FOOTER_LEN - 8;
            Some(Blocks::new(
                bytes,
                [covered, sums, n_blocks, pages, n_pages],
                tail_end,
            )?)
        };
        if let Some(blocks) = &blocks {
            match verify {
                Verify::Full | Verify::Blocks => {
                    blocks.check_all(bytes, |r| data.release_range(r))?
                }
                Verify::Lazy => {
                    // What opening reads: the ends of the offsets table and
                    // the band directory.
                    let at = |s: &[u8]| s.as_ptr() as usize - bytes.as_ptr() as usize;
                    blocks.check(bytes, at(starts_b), 8)?;
                    blocks.check(bytes, at(starts_b) + 8 * n as usize, 8)?;
                    blocks.check(bytes, at(dir), dir.len())?;
                }
                Verify::No => {}
            }
        }
        let lazy = verify == Verify::Lazy && blocks.is_some();
        // Offsets table: monotone, ending at the shingle count (the ends
        // only when lazy: each document's are checked when it is read).
        let first = u64_at(starts_b, 0);
        let last = u64_at(starts_b, 8 * n as usize);
        if first != 0 || last != shingles {
            return corrupt("set offsets do not span the shingle sets");
        }
        let starts = if lazy {
            Cow::Borrowed(&[][..])
        } else {
            as_u64s(starts_b)
        };
        if starts.windows(2).any(|w| w[0] > w[1]) {
            return corrupt("set offsets are not increasing");
        }
        // Document records: string ranges and kinds.
        let all_records = if lazy { &recs[..0] } else { recs };
        for r in all_records.chunks_exact(DOC_RECORD) {
            let so = u64_at(r, 0);
            let total: u64 = (0..4).map(|i| u64::from(u32_at(r, 8 + 4 * i))).sum();
            if so.checked_add(total).is_none_or(|e| e > strings_len) {
                return corrupt("a document's strings lie outside the string table");
            }
            if u32_at(r, 24) > 2 {
                return corrupt(format!("unknown source kind {}", u32_at(r, 24)));
            }
        }
        // Figures, when not lazy: the starts span the entries, increasing,
        // empty for a document whose figures are not known, its figure
        // entries sorted and repeat-free (then its block summary, if any). Lazily, opening reads none of it: each
        // document's starts are checked when its figures are read.
        let figures = match figure_arrays {
            None => None,
            Some((fver, starts_b, known_b, entries_b, count)) => {
                if !lazy {
                    if u64_at(starts_b, 0) != 0 || u64_at(starts_b, 8 * n as usize) != count {
                        return corrupt("figure starts do not span the figure entries");
                    }
                    let starts = as_u64s(starts_b);
                    let known = as_u64s(known_b);
                    let entries = as_u64s(entries_b);
                    for (i, w) in starts.windows(2).enumerate() {
                        if w[0] > w[1] {
                            return corrupt("figure starts are not increasing");
                        }
                        let is_known = known[i / 64] & (1 << (i % 64)) != 0;
                        if !is_known && w[0] != w[1] {
                            return corrupt(format!(
                                "document {i} has figure entries but its figures are not known"
                            ));
                        }
                        // The figures sorted; a block summary after them
                        // (figures version 2) is not.
                        let f = crate::figures::split(&entries[w[0] as usize..w[1] as usize]).0;
                        if f.windows(2).any(|p| p[0] >= p[1]) {
                            return corrupt(format!(
                                "figure entries of document {i} are not sorted"
                            ));
                        }
                    }
                    if !n.is_multiple_of(64) && known.last().is_some_and(|&k| k >> (n % 64) != 0) {
                        return corrupt("figures known for documents past the last");
                    }
                }
                // Figures of another extraction are not comparable with
                // this build's: not known. Version 1 entries are version
                // 2's without a block summary.
                (u64::from(crate::figures::OLDEST_FIGURES_VERSION)
                    ..=u64::from(crate::figures::FIGURES_VERSION))
                    .contains(&fver)
                    .then(|| FigureRanges {
                        starts: rel(starts_b),
                        known: rel(known_b),
                        entries: rel(entries_b),
                        count,
                    })
            }
        };
        let mut band_ranges = Vec::with_capacity(bands);
        for e in dir.chunks_exact(BAND_ENTRY) {
            let (m, ho, dofs) = (u64_at(e, 0), u64_at(e, 8), u64_at(e, 16));
            if m > n {
                return corrupt("a band lists more entries than documents");
            }
            let h = b.array(ho, m, 8, "band hashes")?;
            let d = b.slice(dofs, m * 4, "band documents")?;
            if !dofs.is_multiple_of(4) {
                return corrupt("band documents are not aligned");
            }
            band_ranges.push(BandRange {
                entries: m as usize,
                hashes: rel(h),
                docs: rel(d),
            });
        }
        let (sets, set_starts, records, strings_r) = (
            rel(sets),
            rel(starts_b),
            rel(recs),
            (rel(strings), strings.len()),
        );
        drop(starts);
        Ok(Segment {
            version,
            facts,
            figures,
            lazy: if lazy { blocks } else { None },
            docs: n as usize,
            shingles,
            banding: Banding { bands, rows },
            sets,
            set_starts,
            records,
            strings: strings_r,
            bands: band_ranges,
            data,
        })
    }

    fn body(&self) -> &[u8] {
        let b = self.data.bytes();
        &b[HEADER_LEN..b.len() - super::format::FOOTER_LEN]
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs
    }

    /// Whether the segment holds no document.
    pub fn is_empty(&self) -> bool {
        self.docs == 0
    }

    /// Total shingles stored.
    pub fn shingles(&self) -> u64 {
        self.shingles
    }

    /// The banding its band table was built with.
    pub fn banding(&self) -> Banding {
        self.banding
    }

    /// The format version it was written in.
    pub fn format_version(&self) -> u32 {
        self.version
    }

    /// Body bytes `[off, off + len)` (body offsets), their blocks verified
    /// first when the segment was opened lazily. `off + len` must lie in
    /// the body (callers check ranges read from the file first).
    fn bytes(&self, off: usize, len: usize) -> FResult<&[u8]> {
        let body = self.body();
        if off.checked_add(len).is_none_or(|e| e > body.len()) {
            return corrupt(format!("bytes {off}+{len} lie outside the segment"));
        }
        if let Some(b) = &self.lazy {
            b.check(self.data.bytes(), HEADER_LEN + off, len)?;
        }
        Ok(&body[off..off + len])
    }

    fn damaged<T>(&self, r: FResult<T>) -> T {
        r.unwrap_or_else(|e| {
            panic!("damaged index segment: {e} (Index's queries return it as an error)")
        })
    }

    /// Story cluster of document `i` (`None` in a version 1 segment, which
    /// stores none). Panics when `i` is out of range, or when the segment
    /// was opened lazily and that part of it is damaged (see
    /// [`try_cluster`](Self::try_cluster)).
    pub fn cluster(&self, i: usize) -> Option<u64> {
        self.damaged(self.try_cluster(i))
    }

    /// [`cluster`](Self::cluster), damage as an error.
    pub fn try_cluster(&self, i: usize) -> FResult<Option<u64>> {
        assert!(i < self.docs, "document {i} of {}", self.docs);
        let Some(f) = self.facts else { return Ok(None) };
        Ok(Some(u64_at(self.bytes(f + FACTS_RECORD * i, 8)?, 0)))
    }

    /// The generation (commit) that added document `i` (`None` in a
    /// version 1 segment). Panics as [`cluster`](Self::cluster) does.
    pub fn generation(&self, i: usize) -> Option<u64> {
        self.damaged(self.try_generation(i))
    }

    /// [`generation`](Self::generation), damage as an error.
    pub fn try_generation(&self, i: usize) -> FResult<Option<u64>> {
        assert!(i < self.docs, "document {i} of {}", self.docs);
        let Some(f) = self.facts else { return Ok(None) };
        Ok(Some(u64_at(self.bytes(f + FACTS_RECORD * i + 8, 8)?, 0)))
    }

    /// The figures of document `i` ([`crate::figures`]): `None` when they
    /// are not known (a segment of format version 1 or 2, a document copied
    /// from one, or figures of another [`crate::figures::FIGURES_VERSION`]).
    /// Borrowed from the map when aligned. Panics as
    /// [`cluster`](Self::cluster) does.
    pub fn figures(&self, i: usize) -> Option<Cow<'_, [u64]>> {
        self.damaged(self.try_figures(i))
    }

    /// [`figures`](Self::figures), damage as an error.
    pub fn try_figures(&self, i: usize) -> FResult<Option<Cow<'_, [u64]>>> {
        assert!(i < self.docs, "document {i} of {}", self.docs);
        let Some(f) = self.figures else {
            return Ok(None);
        };
        if u64_at(self.bytes(f.known + 8 * (i / 64), 8)?, 0) & (1 << (i % 64)) == 0 {
            return Ok(None);
        }
        let se = self.bytes(f.starts + 8 * i, 16)?;
        let (s, e) = (u64_at(se, 0), u64_at(se, 8));
        if s > e || e > f.count {
            return corrupt(format!("figure starts of document {i} are inconsistent"));
        }
        let (s, e) = (s as usize, e as usize);
        Ok(Some(as_u64s(self.bytes(f.entries + 8 * s, 8 * (e - s))?)))
    }

    /// How many of this segment's documents (removed ones included) have
    /// known figures: 0 for a segment without a figures section (format
    /// version 1 or 2, or figures of another
    /// [`crate::figures::FIGURES_VERSION`]). Reads only the section's
    /// bitmap (one bit a document); damage is an error.
    pub fn try_figures_known(&self) -> FResult<u64> {
        let Some(f) = self.figures else {
            return Ok(0);
        };
        let words = self.docs.div_ceil(64);
        let bitmap = self.bytes(f.known, 8 * words)?;
        Ok((0..words)
            .map(|k| u64::from(u64_at(bitmap, 8 * k).count_ones()))
            .sum())
    }

    /// Whether this segment stores its documents' figures (format version
    /// 3, written with this build's [`crate::figures::FIGURES_VERSION`]).
    pub fn has_figures(&self) -> bool {
        self.figures.is_some()
    }

    /// Size of the file in bytes.
    pub fn file_len(&self) -> u64 {
        self.data.bytes().len() as u64
    }

    fn start(&self, i: usize) -> FResult<usize> {
        let v = u64_at(self.bytes(self.set_starts + 8 * i, 8)?, 0);
        if v > self.shingles {
            return corrupt(format!("set offset {i} lies past the shingle sets"));
        }
        Ok(v as usize)
    }

    fn range(&self, i: usize) -> FResult<(usize, usize)> {
        assert!(i < self.docs, "document {i} of {}", self.docs);
        let (s, e) = (self.start(i)?, self.start(i + 1)?);
        if s > e {
            return corrupt(format!("set offsets of document {i} are not increasing"));
        }
        Ok((s, e))
    }

    /// The sorted shingle set of document `i` (`i < len()`), before any
    /// boilerplate cut. Borrowed from the map when aligned. Panics as
    /// [`cluster`](Self::cluster) does.
    pub fn set(&self, i: usize) -> Cow<'_, [u64]> {
        self.damaged(self.try_set(i))
    }

    /// [`set`](Self::set), damage as an error.
    pub fn try_set(&self, i: usize) -> FResult<Cow<'_, [u64]>> {
        let (s, e) = self.range(i)?;
        Ok(as_u64s(self.bytes(self.sets + 8 * s, 8 * (e - s))?))
    }

    fn record(&self, i: usize) -> FResult<&[u8]> {
        assert!(i < self.docs, "document {i} of {}", self.docs);
        let r = self.bytes(self.records + DOC_RECORD * i, DOC_RECORD)?;
        if u32_at(r, 24) > 2 {
            return corrupt(format!("unknown source kind {}", u32_at(r, 24)));
        }
        Ok(r)
    }

    fn strings_of(&self, i: usize) -> FResult<[&[u8]; 4]> {
        let r = self.record(i)?;
        let so = u64_at(r, 0);
        let lens: [usize; 4] = std::array::from_fn(|k| u32_at(r, 8 + 4 * k) as usize);
        let total: usize = lens.iter().sum();
        if so
            .checked_add(total as u64)
            .is_none_or(|e| e > self.strings.1 as u64)
        {
            return corrupt("a document's strings lie outside the string table");
        }
        let mut at = self.strings.0 + so as usize;
        let all = self.bytes(at, total)?;
        at = 0;
        let mut out: [&[u8]; 4] = [&[]; 4];
        for (o, len) in out.iter_mut().zip(lens) {
            *o = &all[at..at + len];
            at += len;
        }
        Ok(out)
    }

    /// The id of document `i`. Panics as [`cluster`](Self::cluster) does.
    pub fn id(&self, i: usize) -> Cow<'_, str> {
        self.damaged(self.try_id(i))
    }

    /// [`id`](Self::id), damage as an error.
    pub fn try_id(&self, i: usize) -> FResult<Cow<'_, str>> {
        Ok(String::from_utf8_lossy(self.strings_of(i)?[0]))
    }

    /// Everything stored about document `i`. Panics as
    /// [`cluster`](Self::cluster) does.
    pub fn doc(&self, i: usize) -> StoredDoc {
        self.damaged(self.try_doc(i))
    }

    /// [`doc`](Self::doc), damage as an error.
    pub fn try_doc(&self, i: usize) -> FResult<StoredDoc> {
        let r = self.record(i)?;
        let [id, path, idf, textf] = self.strings_of(i)?;
        let source = match u32_at(r, 24) {
            1 => StoredSource::File(path_from_bytes(path)),
            2 => StoredSource::JsonlLine {
                path: path_from_bytes(path),
                line: u64_at(r, 48),
                offset: u64_at(r, 56),
                id_field: String::from_utf8_lossy(idf).into_owned(),
                text_field: String::from_utf8_lossy(textf).into_owned(),
            },
            _ => StoredSource::Memory,
        };
        let (s, e) = self.range(i)?;
        Ok(StoredDoc {
            entry: DocEntry {
                id: String::from_utf8_lossy(id).into_owned(),
                source,
                words: u64_at(r, 32),
                bytes: u64_at(r, 40),
                text_hash: u64_at(r, 64),
            },
            shingles: (e - s) as u64,
        })
    }

    /// The position of the document with this id (documents are sorted by
    /// id), if any. Panics as [`cluster`](Self::cluster) does.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.damaged(self.try_find(id))
    }

    /// [`find`](Self::find), damage as an error.
    pub fn try_find(&self, id: &str) -> FResult<Option<usize>> {
        let (mut lo, mut hi) = (0, self.docs);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.strings_of(mid)?[0].cmp(id.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(mid)),
            }
        }
        Ok(None)
    }

    /// Calls `f(hash, document)` for every entry of band `band`'s table,
    /// in table order: what a compaction carries into the merged segment
    /// (the band hashes as they were computed when each document was
    /// added). Fails on an out-of-range document number (a corrupt table).
    pub(crate) fn band_entries(&self, band: usize, mut f: impl FnMut(u64, u32)) -> FResult<()> {
        let Some(r) = self.bands.get(band) else {
            return Ok(());
        };
        // A run at a time, so that a lazily opened segment verifies its
        // blocks as they are read and nothing is copied whole.
        const RUN: usize = 1 << 14;
        let mut k = 0;
        while k < r.entries {
            let n = RUN.min(r.entries - k);
            let hashes = as_u64s(self.bytes(r.hashes + 8 * k, 8 * n)?);
            let docs = as_u32s(self.bytes(r.docs + 4 * k, 4 * n)?);
            for (&h, &d) in hashes.iter().zip(docs.iter()) {
                if d as usize >= self.docs {
                    return Err(FormatError(format!(
                        "band {band} names document {d} of {}",
                        self.docs
                    )));
                }
                f(h, d);
            }
            k += n;
        }
        Ok(())
    }

    /// Appends to `out` the documents whose band `band` hashes to `hash`.
    /// Fails on an out-of-range document number (a corrupt table).
    pub(crate) fn lookup(&self, band: usize, hash: u64, out: &mut Vec<u32>) -> FResult<()> {
        let Some(r) = self.bands.get(band) else {
            return Ok(());
        };
        // Each probe read through `bytes` (so a lazily opened segment
        // verifies only the blocks the search touches).
        let at = |k: usize| -> FResult<u64> { Ok(u64_at(self.bytes(r.hashes + 8 * k, 8)?, 0)) };
        let lo = lower_bound(r.entries, hash, at)?;
        let mut end = lo;
        while end < r.entries && at(end)? == hash {
            end += 1;
        }
        if lo == end {
            return Ok(());
        }
        let docs = as_u32s(self.bytes(r.docs + 4 * lo, 4 * (end - lo))?);
        for &d in docs.iter() {
            if d as usize >= self.docs {
                return Err(FormatError(format!(
                    "band {band} names document {d} of {}",
                    self.docs
                )));
            }
            out.push(d);
        }
        Ok(())
    }
}

/// The first position `k < n` whose value `at(k)` is at least `target`
/// (`n` when there is none), in a sorted run of `n` values. Band keys are
/// hashes, spread evenly over `u64`, so the search first guesses where
/// `target` lies from the values seen so far (interpolation: about
/// `log log n` probes, each in its own 4 KiB block of a lazily verified
/// segment, instead of the `log n` of a binary search), then finishes by
/// halving once the range fits in a few blocks or a guess did not pay.
fn lower_bound<E>(
    n: usize,
    target: u64,
    mut at: impl FnMut(usize) -> Result<u64, E>,
) -> Result<usize, E> {
    // Invariant: every k < lo has at(k) < target <= at(k') for k' >= hi;
    // `below` and `above` bound the values inside [lo, hi).
    let (mut lo, mut hi) = (0usize, n);
    let (mut below, mut above) = (0u64, u64::MAX);
    let mut rounds = 0;
    while hi - lo > 64 && rounds < 4 {
        rounds += 1;
        // The guess, then one step past it (about the guess's expected
        // error, the square root of the range) to close the range from
        // the other side as well.
        let step = ((hi - lo) as f64).sqrt() as usize + 1;
        let span = u128::from(above - below) + 1;
        let off = u128::from(target.saturating_sub(below)) * (hi - lo) as u128 / span;
        let k = lo + (off as usize).min(hi - lo - 1);
        let v = at(k)?;
        let j = if v < target {
            (lo, below) = (k + 1, v);
            k + step
        } else {
            (hi, above) = (k, v);
            k.saturating_sub(step)
        };
        if (lo..hi).contains(&j) {
            let w = at(j)?;
            if w < target {
                (lo, below) = (j + 1, w);
            } else {
                (hi, above) = (j, w);
            }
        }
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at(mid)? < target {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bound_probes_few_places_in_hashes() {
        // 200,000 evenly spread keys (as band keys are): a binary search
        // probes 18 places; the guesses need far fewer.
        let mut v: Vec<u64> = (0..200_000u64)
            .map(|i| xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes()))
            .collect();
        v.sort_unstable();
        // What a lazily verified segment pays for is blocks: 512 keys each.
        let (mut worst, mut total) = (0, 0);
        for t in (0..500u64).map(|i| xxhash_rust::xxh3::xxh3_64(&(i * 7 + 1).to_le_bytes())) {
            let mut blocks = std::collections::BTreeSet::new();
            let got = lower_bound(v.len(), t, |k| {
                blocks.insert(k / 512);
                Ok::<u64, ()>(v[k])
            })
            .unwrap();
            assert_eq!(got, v.partition_point(|&x| x < t));
            worst = blocks.len().max(worst);
            total += blocks.len();
        }
        eprintln!(
            "blocks per search: worst {worst}, mean {}",
            total as f64 / 500.0
        );
        assert!(
            worst <= 5 && total <= 3 * 500,
            "{worst} worst, {total} in all"
        );
    }

    proptest::proptest! {
        #[test]
        fn lower_bound_is_the_first_position_not_below(
            mut values in proptest::collection::vec(proptest::num::u64::ANY, 0..600),
            small in proptest::collection::vec(0u64..40, 0..600),
            target in proptest::num::u64::ANY,
            pick in 0usize..1000,
        ) {
            values.sort_unstable();
            let mut small = small;
            small.sort_unstable();
            for (v, t) in [
                (&values, target),
                (&values, values.get(pick % values.len().max(1)).copied().unwrap_or(0)),
                (&small, pick as u64 % 41),
            ] {
                let want = v.partition_point(|&x| x < t);
                let got = lower_bound(v.len(), t, |k| Ok::<u64, ()>(v[k])).unwrap();
                proptest::prop_assert_eq!(got, want);
            }
        }
    }

    fn entry(id: &str, source: StoredSource) -> DocEntry {
        DocEntry {
            id: id.into(),
            source,
            words: 10,
            bytes: 60,
            text_hash: 7,
        }
    }

    pub(crate) fn sample() -> Vec<u8> {
        let e = [
            entry("a", StoredSource::Memory),
            entry("b", StoredSource::File("/x/b.txt".into())),
            entry(
                "c",
                StoredSource::JsonlLine {
                    path: "/x/c.jsonl".into(),
                    line: 3,
                    offset: 99,
                    id_field: "id".into(),
                    text_field: "body".into(),
                },
            ),
        ];
        let sets: [Vec<u64>; 3] = [vec![1, 2, 3], vec![], vec![2, 3, 4, 5]];
        let bands: [Vec<u64>; 3] = [vec![10, 20], vec![], vec![10, 21]];
        let figures: [Option<&[u64]>; 3] = [Some(&[3, 9]), None, Some(&[])];
        let docs: Vec<SegmentDoc<'_>> = (0..3)
            .map(|i| SegmentDoc {
                entry: &e[i],
                bands: (!bands[i].is_empty()).then_some(&bands[i][..]),
                cluster: 40 + i as u64,
                generation: 7,
                figures: figures[i],
            })
            .collect();
        written(&docs, &sets)
    }

    /// The bytes of a segment of `docs` (banding 2 x 1) with these sets.
    fn written(docs: &[SegmentDoc<'_>], sets: &[Vec<u64>]) -> Vec<u8> {
        let mut in_order =
            |each: &mut dyn FnMut(&[u64]) -> io::Result<()>| sets.iter().try_for_each(|s| each(s));
        write_segment(
            Vec::new(),
            docs,
            Banding { bands: 2, rows: 1 },
            &mut in_order,
        )
        .unwrap()
        .0
    }

    #[test]
    fn round_trip() {
        let s = Segment::from_bytes(&sample()).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.format_version(), super::super::FORMAT_VERSION);
        assert_eq!(s.cluster(2), Some(42));
        assert_eq!(s.generation(0), Some(7));
        assert_eq!(&*s.set(2), &[2, 3, 4, 5]);
        assert!(s.has_figures());
        assert_eq!(s.figures(0).as_deref(), Some(&[3, 9][..]));
        assert_eq!(s.figures(1), None);
        assert_eq!(s.figures(2).as_deref(), Some(&[][..]));
        assert!(s.set(1).is_empty());
        assert_eq!(s.find("b"), Some(1));
        assert_eq!(s.find("bb"), None);
        let d = s.doc(2);
        assert_eq!(d.shingles, 4);
        assert!(
            matches!(d.entry.source, StoredSource::JsonlLine { line: 3, offset: 99, ref text_field, .. } if text_field == "body")
        );
        assert_eq!(s.doc(1).entry.source, StoredSource::File("/x/b.txt".into()));
        let mut out = vec![];
        s.lookup(0, 10, &mut out).unwrap();
        assert_eq!(out, [0, 2]);
        out.clear();
        s.lookup(1, 21, &mut out).unwrap();
        assert_eq!(out, [2]);
        out.clear();
        s.lookup(1, 22, &mut out).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn figures_are_checked_by_a_full_verification() {
        let e = entry("a", StoredSource::Memory);
        let write = |figures: Option<&[u64]>| {
            let docs = [SegmentDoc {
                entry: &e,
                bands: None,
                cluster: 1,
                generation: 1,
                figures,
            }];
            written(&docs, &[vec![1, 2]])
        };
        // Entries out of order: structure, not checksums, refuses them.
        let bad = Segment::from_bytes_unverified(&write(Some(&[9, 3]))).unwrap_err();
        assert!(bad.0.contains("not sorted"), "{bad}");
        let s = Segment::from_bytes(&write(None)).unwrap();
        assert_eq!(s.figures(0), None);
        let s = Segment::from_bytes(&write(Some(&[3, 9]))).unwrap();
        assert_eq!(s.figures(0).as_deref(), Some(&[3, 9][..]));
    }

    #[test]
    fn every_truncation_and_flip_is_an_error() {
        let bytes = sample();
        for n in 0..bytes.len() {
            assert!(
                Segment::from_bytes(&bytes[..n]).is_err(),
                "truncated to {n}"
            );
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(Segment::from_bytes(&b).is_err(), "flip at {i}");
        }
    }
}
