//! Framing shared by every index file: a 16-byte header, a body, a 32-byte
//! footer with the body length and an xxh3 checksum. Numbers are
//! little-endian. See `docs/INDEX-FORMAT.md`.

use std::borrow::Cow;
use std::io::{self, Write};

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// The index format version this build writes. It reads this one and every
/// earlier one (see [`OLDEST_FORMAT_VERSION`]).
pub const FORMAT_VERSION: u32 = 3;

/// The oldest index format version this build reads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// First four bytes of every index file.
pub const HEADER_MAGIC: [u8; 4] = *b"NDUP";
/// Last eight bytes of every index file.
pub const FOOTER_MAGIC: [u8; 8] = *b"ndupEND\n";
/// Size of the header.
pub const HEADER_LEN: usize = 16;
/// Size of the footer.
pub const FOOTER_LEN: usize = 32;

/// What an index file holds (bytes 4..8 of the header, and of the footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An immutable segment of documents.
    Segment,
    /// The metadata file (JSON body).
    Meta,
    /// Per-commit state: boilerplate set, tombstones, df sketch.
    State,
}

impl FileKind {
    /// The four tag bytes.
    pub fn tag(self) -> [u8; 4] {
        match self {
            FileKind::Segment => *b"SEGM",
            FileKind::Meta => *b"META",
            FileKind::State => *b"STAT",
        }
    }

    fn name(self) -> &'static str {
        match self {
            FileKind::Segment => "segment",
            FileKind::Meta => "metadata",
            FileKind::State => "state",
        }
    }

    fn from_tag(tag: &[u8]) -> Option<FileKind> {
        [FileKind::Segment, FileKind::Meta, FileKind::State]
            .into_iter()
            .find(|k| k.tag() == tag)
    }
}

/// Why bytes are not a valid index file. Carries no path: the caller adds
/// it (see [`crate::Error::Index`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormatError {}

/// Shorthand.
pub type FResult<T> = std::result::Result<T, FormatError>;

pub(crate) fn corrupt<T>(msg: impl Into<String>) -> FResult<T> {
    Err(FormatError(msg.into()))
}

/// Checks header and footer of a whole file and returns the body (bytes
/// between header and footer). `verify_checksum` hashes the whole file.
pub fn check_frame(bytes: &[u8], kind: FileKind, verify_checksum: bool) -> FResult<&[u8]> {
    let len = bytes.len();
    if len < HEADER_LEN + FOOTER_LEN {
        return corrupt(format!(
            "truncated: {len} bytes is shorter than the smallest index file ({} bytes)",
            HEADER_LEN + FOOTER_LEN
        ));
    }
    let footer = &bytes[len - FOOTER_LEN..];
    if footer[24..32] != FOOTER_MAGIC {
        return corrupt("no footer magic: not a neardup index file, or truncated".to_string());
    }
    let version = u32::from_le_bytes(footer[4..8].try_into().expect("4 bytes"));
    if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&version) {
        return corrupt(if version > FORMAT_VERSION {
            format!(
                "format version {version} is newer than this build reads ({FORMAT_VERSION}): upgrade neardup"
            )
        } else {
            format!("unknown format version {version} (this build reads {FORMAT_VERSION})")
        });
    }
    match FileKind::from_tag(&footer[0..4]) {
        Some(k) if k == kind => {}
        Some(k) => {
            return corrupt(format!(
                "is a {} file where a {} file was expected",
                k.name(),
                kind.name()
            ))
        }
        None => return corrupt("unknown file kind in footer".to_string()),
    }
    let body_len = u64::from_le_bytes(footer[8..16].try_into().expect("8 bytes"));
    if body_len != (len - FOOTER_LEN) as u64 {
        return corrupt(format!(
            "truncated or extended: the footer records {} bytes before it, the file has {}",
            body_len,
            len - FOOTER_LEN
        ));
    }
    if verify_checksum {
        let stored = u64::from_le_bytes(footer[16..24].try_into().expect("8 bytes"));
        let actual = xxh3_64(&bytes[..len - 16]);
        if stored != actual {
            return corrupt(format!(
                "checksum mismatch (stored {stored:016x}, computed {actual:016x}): the file is corrupt"
            ));
        }
    }
    let header = &bytes[..HEADER_LEN];
    if header[0..4] != HEADER_MAGIC
        || header[4..8] != kind.tag()
        || header[8..12] != version.to_le_bytes()
    {
        return corrupt("header does not match the footer: the file is corrupt".to_string());
    }
    Ok(&bytes[HEADER_LEN..len - FOOTER_LEN])
}

/// The format version of a file that [`check_frame`] accepted.
pub(crate) fn frame_version(bytes: &[u8]) -> u32 {
    let footer = &bytes[bytes.len() - FOOTER_LEN..];
    u32::from_le_bytes(footer[4..8].try_into().expect("4 bytes"))
}

/// Writes a framed file through any writer: header first, then the body
/// with [`FramedWriter::write_all`] and friends, then [`finish`](Self::finish)
/// appends the footer. Tracks the position so that sections can be aligned.
pub struct FramedWriter<W: Write> {
    inner: W,
    hasher: Xxh3,
    pos: u64,
    kind: FileKind,
    blocks: Option<BlockSums>,
}

/// Checksums of a file's bytes block by block, as they are written.
struct BlockSums {
    hasher: Xxh3,
    len: usize,
    sums: Vec<u64>,
}

impl<W: Write> FramedWriter<W> {
    /// Starts a file of `kind`, writing its header.
    pub fn new(inner: W, kind: FileKind) -> io::Result<Self> {
        let mut w = FramedWriter {
            inner,
            hasher: Xxh3::new(),
            pos: 0,
            kind,
            blocks: None,
        };
        let mut header = [0u8; HEADER_LEN];
        header[0..4].copy_from_slice(&HEADER_MAGIC);
        header[4..8].copy_from_slice(&kind.tag());
        header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        w.write_all(&header)?;
        Ok(w)
    }

    /// Starts a file of `kind` whose bytes are also checksummed block by
    /// block ([`BLOCK`] bytes from the start of the file) until
    /// [`end_blocks`](Self::end_blocks).
    pub(crate) fn with_blocks(inner: W, kind: FileKind) -> io::Result<Self> {
        let mut w = FramedWriter {
            inner,
            hasher: Xxh3::new(),
            pos: 0,
            kind,
            blocks: Some(BlockSums {
                hasher: Xxh3::new(),
                len: 0,
                sums: Vec::new(),
            }),
        };
        let mut header = [0u8; HEADER_LEN];
        header[0..4].copy_from_slice(&HEADER_MAGIC);
        header[4..8].copy_from_slice(&kind.tag());
        header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        w.write_all(&header)?;
        Ok(w)
    }

    /// Stops the block checksums (the last block may be short) and returns
    /// them: block `k` covers file bytes `[k × BLOCK, (k + 1) × BLOCK)`.
    pub(crate) fn end_blocks(&mut self) -> Vec<u64> {
        match self.blocks.take() {
            Some(mut b) => {
                if b.len > 0 {
                    b.sums.push(b.hasher.digest());
                }
                b.sums
            }
            None => Vec::new(),
        }
    }

    /// The checksum state of the bytes written so far.
    pub(crate) fn hasher(&self) -> Xxh3 {
        self.hasher.clone()
    }

    /// The writer the bytes go to.
    pub(crate) fn inner_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Bytes written so far (from the start of the file).
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Writes bytes.
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        self.hasher.update(bytes);
        self.pos += bytes.len() as u64;
        if let Some(b) = &mut self.blocks {
            let mut rest = bytes;
            while !rest.is_empty() {
                let take = rest.len().min(BLOCK - b.len);
                b.hasher.update(&rest[..take]);
                b.len += take;
                rest = &rest[take..];
                if b.len == BLOCK {
                    b.sums.push(b.hasher.digest());
                    b.hasher.reset();
                    b.len = 0;
                }
            }
        }
        Ok(())
    }

    /// Writes a `u64`.
    pub fn u64(&mut self, v: u64) -> io::Result<()> {
        self.write_all(&v.to_le_bytes())
    }

    /// Writes `u64`s (buffered in chunks).
    pub fn u64s(&mut self, vs: &[u64]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(vs.len().min(8192) * 8);
        for chunk in vs.chunks(8192) {
            buf.clear();
            for v in chunk {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            self.write_all(&buf)?;
        }
        Ok(())
    }

    /// Pads with zeros to a multiple of 8 bytes.
    pub fn align8(&mut self) -> io::Result<()> {
        let pad = (8 - (self.pos % 8) as usize) % 8;
        self.write_all(&[0u8; 8][..pad])
    }

    /// Appends the footer and returns the inner writer and the file length.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        let body_len = self.pos;
        let mut footer = [0u8; FOOTER_LEN];
        footer[0..4].copy_from_slice(&self.kind.tag());
        footer[4..8].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        footer[8..16].copy_from_slice(&body_len.to_le_bytes());
        self.hasher.update(&footer[0..16]);
        let sum = self.hasher.digest();
        footer[16..24].copy_from_slice(&sum.to_le_bytes());
        footer[24..32].copy_from_slice(&FOOTER_MAGIC);
        self.inner.write_all(&footer)?;
        Ok((self.inner, body_len + FOOTER_LEN as u64))
    }
}

/// Size of a checksummed block (format version 2 segments).
pub(crate) const BLOCK: usize = 4096;
/// Block checksums per page of the block table (each page has a checksum
/// of its own, in the page table).
pub(crate) const BLOCKS_PER_PAGE: usize = 512;

/// The per-block checksums of a version 2 segment, verified lazily: a
/// block is hashed the first time a reader touches it, after the page of
/// the block table that holds its checksum (the page table itself is
/// verified on open). So opening hashes a few bytes per 2 MiB of file,
/// and a query hashes only the blocks it reads.
pub(crate) struct Blocks {
    /// File bytes covered: `[0, covered)`.
    covered: usize,
    /// File offset of the block checksums (u64 each).
    sums: usize,
    n_blocks: usize,
    /// File offset of the page checksums.
    pages: usize,
    block_ok: Vec<std::sync::atomic::AtomicU64>,
    page_ok: Vec<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Blocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blocks({} of {} bytes)", self.n_blocks, self.covered)
    }
}

fn bits(n: usize) -> Vec<std::sync::atomic::AtomicU64> {
    (0..n.div_ceil(64))
        .map(|_| std::sync::atomic::AtomicU64::new(0))
        .collect()
}

fn bit_set(v: &[std::sync::atomic::AtomicU64], i: usize) -> bool {
    v[i / 64].load(std::sync::atomic::Ordering::Acquire) & (1 << (i % 64)) != 0
}

fn set_bit(v: &[std::sync::atomic::AtomicU64], i: usize) {
    v[i / 64].fetch_or(1 << (i % 64), std::sync::atomic::Ordering::Release);
}

impl Blocks {
    /// The block checksums of `file` (a whole file), from the layout its
    /// trailer records (`[covered, sums, n_blocks, pages, n_pages]`);
    /// checks the layout, and the page table and trailer (bytes `[pages,
    /// tail_end)`) against the checksum stored at `tail_end`.
    pub(crate) fn new(file: &[u8], layout: [u64; 5], tail_end: usize) -> FResult<Blocks> {
        let [covered, sums, n_blocks, pages, n_pages] = layout;
        let tail_sum = u64_at(file, tail_end);
        let fits = |off: u64, n: u64| {
            n.checked_mul(8)
                .and_then(|l| off.checked_add(l))
                .is_some_and(|e| e <= tail_end as u64)
        };
        if covered < HEADER_LEN as u64
            || n_blocks != covered.div_ceil(BLOCK as u64)
            || n_pages != n_blocks.div_ceil(BLOCKS_PER_PAGE as u64)
            || sums != covered
            || !sums.is_multiple_of(8)
            || !fits(sums, n_blocks)
            || pages != sums + 8 * n_blocks
            || !fits(pages, n_pages)
        {
            return corrupt("block checksum table is inconsistent");
        }
        let actual = xxh3_64(&file[pages as usize..tail_end]);
        if actual != tail_sum {
            return corrupt(format!(
                "checksum mismatch in the block checksum table (stored {tail_sum:016x}, \
                 computed {actual:016x}): the file is corrupt"
            ));
        }
        Ok(Blocks {
            covered: covered as usize,
            sums: sums as usize,
            n_blocks: n_blocks as usize,
            pages: pages as usize,
            block_ok: bits(n_blocks as usize),
            page_ok: bits(n_pages as usize),
        })
    }

    /// Verifies (once) every block that file bytes `[off, off + len)`
    /// touch.
    pub(crate) fn check(&self, file: &[u8], off: usize, len: usize) -> FResult<()> {
        let end = (off + len).min(self.covered);
        if off >= end {
            return Ok(());
        }
        for k in off / BLOCK..=(end - 1) / BLOCK {
            self.block(file, k)?;
        }
        Ok(())
    }

    /// Verifies every block (for a full verification), handing each run
    /// of verified bytes (8 MiB) to `done`, which may release their pages:
    /// a verification then never holds the whole file in memory.
    pub(crate) fn check_all(
        &self,
        file: &[u8],
        done: impl Fn(std::ops::Range<usize>),
    ) -> FResult<()> {
        const RUN: usize = (8 << 20) / BLOCK;
        for first in (0..self.n_blocks).step_by(RUN) {
            let last = (first + RUN).min(self.n_blocks);
            (first..last).try_for_each(|k| self.block(file, k))?;
            done(first * BLOCK..(last * BLOCK).min(self.covered));
        }
        Ok(())
    }

    fn block(&self, file: &[u8], k: usize) -> FResult<()> {
        if bit_set(&self.block_ok, k) {
            return Ok(());
        }
        let p = k / BLOCKS_PER_PAGE;
        if !bit_set(&self.page_ok, p) {
            let s = self.sums + 8 * BLOCKS_PER_PAGE * p;
            let e = (s + 8 * BLOCKS_PER_PAGE).min(self.sums + 8 * self.n_blocks);
            if xxh3_64(&file[s..e]) != u64_at(file, self.pages + 8 * p) {
                return corrupt(format!(
                    "checksum mismatch in page {p} of the block checksum table: the file is corrupt"
                ));
            }
            set_bit(&self.page_ok, p);
        }
        let s = k * BLOCK;
        let e = (s + BLOCK).min(self.covered);
        let actual = xxh3_64(&file[s..e]);
        let stored = u64_at(file, self.sums + 8 * k);
        if actual != stored {
            return corrupt(format!(
                "checksum mismatch in bytes {s}..{e} (stored {stored:016x}, computed \
                 {actual:016x}): the file is corrupt"
            ));
        }
        set_bit(&self.block_ok, k);
        Ok(())
    }
}

/// How much of each file's checksum opening verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verify {
    /// None (structure only).
    No,
    /// Version 2 segments block by block as they are read, the parts of
    /// state files that readers use, every other file whole.
    Lazy,
    /// Every byte of every file, on open.
    Full,
    /// Every byte once, on open: a version 2 segment through its block,
    /// page and trailer checksums only (they cover every byte but the
    /// footer, whose fields are checked), not its footer's whole-file
    /// checksum too; other files as [`Verify::Full`]. What the writer
    /// uses.
    Blocks,
}

/// Bounds-checked little-endian reads from a body. Offsets are relative to
/// the start of the *file* (the header is 16 bytes, so body offset
/// `o` is file offset `o + 16`) to keep the documented offsets simple.
#[derive(Clone, Copy)]
pub(crate) struct Body<'a> {
    pub bytes: &'a [u8],
}

impl<'a> Body<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        Body { bytes: body }
    }

    /// The bytes at file offset `off`, `len` long.
    pub fn slice(&self, off: u64, len: u64, what: &str) -> FResult<&'a [u8]> {
        let start = off.checked_sub(HEADER_LEN as u64);
        let end = start.and_then(|s| s.checked_add(len));
        match (start, end) {
            (Some(s), Some(e)) if e <= self.bytes.len() as u64 => {
                Ok(&self.bytes[s as usize..e as usize])
            }
            _ => corrupt(format!(
                "{what} (offset {off}, {len} bytes) lies outside the file"
            )),
        }
    }

    /// An 8-aligned array of `n` items of `size` bytes at file offset `off`.
    pub fn array(&self, off: u64, n: u64, size: u64, what: &str) -> FResult<&'a [u8]> {
        if !off.is_multiple_of(8) {
            return corrupt(format!("{what} at offset {off} is not 8-byte aligned"));
        }
        let len = n
            .checked_mul(size)
            .ok_or_else(|| FormatError(format!("{what}: size overflows")))?;
        self.slice(off, len, what)
    }
}

pub(crate) fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"))
}

pub(crate) fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
}

/// Little-endian `u64`s of a byte slice whose length is a multiple of 8:
/// borrowed without a copy when the bytes are 8-aligned on a little-endian
/// machine (always the case for memory-mapped index files), decoded
/// otherwise.
pub(crate) fn as_u64s(b: &[u8]) -> Cow<'_, [u64]> {
    debug_assert!(b.len().is_multiple_of(8));
    #[cfg(target_endian = "little")]
    {
        // SAFETY: every bit pattern is a valid u64, and align_to only
        // returns a middle part that is correctly aligned; we use it only
        // when it covers the whole slice.
        let (pre, mid, post) = unsafe { b.align_to::<u64>() };
        if pre.is_empty() && post.is_empty() {
            return Cow::Borrowed(mid);
        }
    }
    Cow::Owned(
        b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect(),
    )
}

/// Same as [`as_u64s`] for `u32`s.
pub(crate) fn as_u32s(b: &[u8]) -> Cow<'_, [u32]> {
    debug_assert!(b.len().is_multiple_of(4));
    #[cfg(target_endian = "little")]
    {
        // SAFETY: as in `as_u64s`: any bit pattern is a valid u32.
        let (pre, mid, post) = unsafe { b.align_to::<u32>() };
        if pre.is_empty() && post.is_empty() {
            return Cow::Borrowed(mid);
        }
    }
    Cow::Owned(
        b.chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect(),
    )
}

/// Appends `v` as a LEB128 varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a LEB128 varint at `*pos`, advancing it.
pub(crate) fn get_varint(b: &[u8], pos: &mut usize) -> FResult<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let Some(&byte) = b.get(*pos) else {
            return corrupt("varint runs past the end of its section");
        };
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            if shift == 63 && byte > 1 {
                return corrupt("varint overflows 64 bits");
            }
            return Ok(v);
        }
    }
    corrupt("varint longer than 10 bytes")
}

/// Opens an index file for reading: without blocking, and only a regular
/// file (a FIFO, device or directory in its place is an error naming it).
pub(crate) fn open_file(path: &std::path::Path) -> crate::Result<std::fs::File> {
    crate::safe_open::open_regular(path, u64::MAX)
        .map(|(file, _)| file)
        .map_err(|e| open_error(path, e))
}

/// The library error for an index file that could not be opened: an I/O
/// error as it is (a missing file stays `NotFound`, see `Index::open`),
/// anything else as a damaged index naming the file.
pub(crate) fn open_error(path: &std::path::Path, e: crate::safe_open::OpenError) -> crate::Error {
    match e {
        crate::safe_open::OpenError::Io(source) => crate::Error::Io {
            path: path.to_path_buf(),
            source,
        },
        e => crate::Error::Index {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
    }
}

/// Memory for index files: a read-only memory map of a file, or an owned
/// copy kept 8-byte aligned (for bytes given in memory).
pub(crate) enum Data {
    Map(memmap2::Mmap),
    Owned { words: Vec<u64>, len: usize },
}

impl Data {
    /// An aligned copy of `bytes`.
    pub fn copy_of(bytes: &[u8]) -> Data {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        for (w, c) in words.iter_mut().zip(bytes.chunks(8)) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            *w = u64::from_ne_bytes(b);
        }
        Data::Owned {
            words,
            len: bytes.len(),
        }
    }

    /// Maps a file read-only.
    pub fn map(file: &std::fs::File) -> io::Result<Data> {
        // SAFETY: index files are immutable once written (new data always
        // goes to new files, renamed into place), so the mapping does not
        // change under us; a file truncated by a third party can fault,
        // the documented memmap2 caveat.
        let map = unsafe { memmap2::Mmap::map(file)? };
        Ok(Data::Map(map))
    }

    /// Tells the kernel that a mapping is read at random (no read-ahead,
    /// no fault-around); does nothing for an owned copy or off Unix.
    pub fn advise_random(&self) {
        #[cfg(unix)]
        if let Data::Map(m) = self {
            let _ = m.advise(memmap2::Advice::Random);
        }
    }

    /// Hands the pages of a mapping that has been read whole (verified)
    /// back to the kernel: they stay in the page cache and are faulted in
    /// again when read, but no longer count in the process's memory. Does
    /// nothing for an owned copy or off Unix.
    pub fn release_pages(&self) {
        #[cfg(unix)]
        if let Data::Map(m) = self {
            // SAFETY: the map is a read-only shared mapping of a file, for
            // which MADV_DONTNEED only drops the process's page table
            // entries: later reads fault the same file contents back in.
            let _ = unsafe { m.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }

    /// [`release_pages`](Self::release_pages) of the bytes `range` only.
    pub fn release_range(&self, range: std::ops::Range<usize>) {
        #[cfg(unix)]
        if let Data::Map(m) = self {
            if range.start < range.end && range.end <= m.len() {
                // SAFETY: as in `release_pages`.
                let _ = unsafe {
                    m.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        range.start,
                        range.len(),
                    )
                };
            }
        }
        #[cfg(not(unix))]
        let _ = range;
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Data::Map(m) => m,
            Data::Owned { words, len } => {
                // SAFETY: `words` holds at least `len` initialized bytes
                // (len <= 8 * words.len()), u8 has alignment 1, and the
                // slice borrows `words` immutably.
                unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), *len) }
            }
        }
    }
}

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Data::Map(m) => write!(f, "Mmap({} bytes)", m.len()),
            Data::Owned { len, .. } => write!(f, "Owned({len} bytes)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut w = FramedWriter::new(Vec::new(), FileKind::State).unwrap();
        w.write_all(body).unwrap();
        w.finish().unwrap().0
    }

    #[test]
    fn round_trip_and_damage() {
        let f = framed(b"hello body");
        assert_eq!(
            check_frame(&f, FileKind::State, true).unwrap(),
            b"hello body"
        );
        assert!(check_frame(&f, FileKind::Segment, true)
            .unwrap_err()
            .0
            .contains("state file"));
        assert!(check_frame(&f[..f.len() - 1], FileKind::State, true).is_err());
        for i in 0..f.len() {
            let mut g = f.clone();
            g[i] ^= 0x10;
            assert!(check_frame(&g, FileKind::State, true).is_err(), "byte {i}");
        }
        let mut v2 = f.clone();
        let n = v2.len();
        v2[n - 28..n - 24].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert!(check_frame(&v2, FileKind::State, true)
            .unwrap_err()
            .0
            .contains("newer"));
    }

    #[test]
    fn varints() {
        let mut out = Vec::new();
        let vals = [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX];
        for v in vals {
            put_varint(&mut out, v);
        }
        let mut pos = 0;
        for v in vals {
            assert_eq!(get_varint(&out, &mut pos).unwrap(), v);
        }
        assert_eq!(pos, out.len());
        assert!(get_varint(&[0x80], &mut 0).is_err());
        assert!(get_varint(&[0xff; 11], &mut 0).is_err());
    }

    #[test]
    fn unaligned_views_decode() {
        let bytes: Vec<u8> = (0..17u8).collect();
        let v = as_u64s(&bytes[1..17]);
        assert_eq!(v[0], u64::from_le_bytes(bytes[1..9].try_into().unwrap()));
        let d = Data::copy_of(&bytes);
        assert_eq!(d.bytes(), &bytes[..]);
    }
}
