//! State files: what changes at every commit besides new segments — the
//! boilerplate set, the tombstones of removed documents, and the
//! document-frequency sketch the boilerplate set is derived from. One file
//! per generation, written whole and referenced by the metadata file.

use rayon::prelude::*;
use std::borrow::Cow;
use std::io::{self, Write};
use std::path::Path;

use super::format::{
    as_u32s, as_u64s, check_frame, corrupt, frame_version, get_varint, put_varint, u32_at, u64_at,
    Body, Data, FResult, FileKind, FramedWriter, Verify, HEADER_LEN,
};

/// Rows of the count-min sketch.
pub(crate) const DEPTH: usize = 4;
/// Size of the state trailer.
pub(crate) const TRAILER: usize = 80;
/// Size of the version 2 trailer: version 1's, then the checksum of the
/// file up to the sketch (what readers use), so that readers need not hash
/// the sketch, which only the writer reads.
pub(crate) const TRAILER_V2: usize = TRAILER + 8;

/// A count-min sketch of shingle document frequencies (counted per group of
/// near-verbatim copies; see the module docs of [`crate::index`]).
///
/// `2^bits` saturating `u32` counters per row, [`DEPTH`] rows; `bits == 0`
/// is the empty sketch of an index whose boilerplate cut is disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sketch {
    bits: u32,
    counters: Vec<u32>,
}

/// Which shingles a [`Sketch`] estimates above a limit
/// ([`Sketch::over`]).
pub(crate) struct Over {
    bits: u32,
    words_per_row: usize,
    /// Per row, one bit per counter: above the limit.
    rows: Vec<u64>,
}

impl Over {
    /// Whether the sketch's estimate of `h` is above the limit: every
    /// row's counter is.
    #[inline]
    pub fn contains(&self, h: u64) -> bool {
        self.bits != 0
            && (0..DEPTH).all(|row| {
                let c = column(row, self.bits, h);
                self.rows[row * self.words_per_row + c / 64] >> (c % 64) & 1 != 0
            })
    }
}

const MUL: [u64; DEPTH] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0xD6E8_FEB8_6659_FD93,
];

/// The counter of `h` within row `row` of a sketch of `2^bits` counters a
/// row (`bits` > 0).
#[inline]
fn column(row: usize, bits: u32, h: u64) -> usize {
    (h.wrapping_mul(MUL[row]) >> (64 - bits)) as usize
}

impl Sketch {
    pub fn new(bits: u32) -> Sketch {
        let n = if bits == 0 { 0 } else { DEPTH << bits };
        Sketch {
            bits,
            counters: vec![0; n],
        }
    }

    pub fn bits(&self) -> u32 {
        self.bits
    }

    #[cfg(test)]
    fn slot(&self, row: usize, h: u64) -> usize {
        (row << self.bits) | column(row, self.bits, h)
    }

    /// Counts each shingle of `set` once.
    #[cfg(test)]
    pub fn add_set(&mut self, set: &[u64]) {
        self.add_sets(&[set]);
    }

    /// Counts each shingle of each of `sets` once per set: the same as
    /// counting the sets one after the other (the test-only `add_set`),
    /// with the rows (each its own block of counters) counted in parallel.
    pub fn add_sets<S: AsRef<[u64]> + Sync>(&mut self, sets: &[S]) {
        if self.bits == 0 {
            return;
        }
        let bits = self.bits;
        self.counters
            .par_chunks_mut(1 << bits)
            .enumerate()
            .for_each(|(row, counters)| {
                for set in sets {
                    for &h in set.as_ref() {
                        let s = column(row, bits, h);
                        counters[s] = counters[s].saturating_add(1);
                    }
                }
            });
    }

    /// Whether the estimate of `h` is above `limit`: every row's counter
    /// is (most shingles are rare, and the first row says so in one read).
    #[cfg(test)]
    pub fn exceeds(&self, h: u64, limit: usize) -> bool {
        self.bits != 0 && (0..DEPTH).all(|row| self.counters[self.slot(row, h)] as usize > limit)
    }

    /// The test "is the estimate of a shingle above `limit`" for many
    /// shingles (the cut of the boilerplate step): one bit
    /// per counter (whether it is above `limit`), an eighth of a row's
    /// counters in bytes (128 KiB a row at the default width), which stays
    /// in the cache where the counters do not. Same answers as the
    /// counters (the round-trip test compares the two).
    pub fn over(&self, limit: usize) -> Over {
        let words_per_row = if self.bits == 0 {
            0
        } else {
            (1usize << self.bits).div_ceil(64)
        };
        let mut rows = vec![0u64; words_per_row * DEPTH];
        if self.bits != 0 {
            rows.par_chunks_mut(words_per_row)
                .zip(self.counters.par_chunks(1 << self.bits))
                .for_each(|(bits, counters)| {
                    for (w, chunk) in bits.iter_mut().zip(counters.chunks(64)) {
                        for (i, &c) in chunk.iter().enumerate() {
                            *w |= ((c as usize > limit) as u64) << i;
                        }
                    }
                });
        }
        Over {
            bits: self.bits,
            words_per_row,
            rows,
        }
    }

    /// Estimated number of groups containing `h` (never below the truth).
    #[cfg(test)]
    pub fn estimate(&self, h: u64) -> u32 {
        if self.bits == 0 {
            return 0;
        }
        (0..DEPTH)
            .map(|row| self.counters[self.slot(row, h)])
            .min()
            .unwrap_or(0)
    }

    fn nonzero(&self) -> u64 {
        self.counters.iter().filter(|&&c| c != 0).count() as u64
    }

    /// Sparse encoding: for each non-zero counter, in order, the varint gap
    /// from the previous one (minus one) and the varint count.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut next = 0usize;
        for (i, &c) in self.counters.iter().enumerate() {
            if c != 0 {
                put_varint(&mut out, (i - next) as u64);
                put_varint(&mut out, u64::from(c));
                next = i + 1;
            }
        }
        out
    }

    fn decode(bits: u32, nonzero: u64, bytes: &[u8]) -> FResult<Sketch> {
        if bits > 30 {
            return corrupt(format!("sketch width 2^{bits} is too large"));
        }
        let mut s = Sketch::new(bits);
        if nonzero > s.counters.len() as u64 {
            return corrupt("sketch has more non-zero counters than counters");
        }
        let mut pos = 0usize;
        let mut next = 0u64;
        for _ in 0..nonzero {
            let gap = get_varint(bytes, &mut pos)?;
            let c = get_varint(bytes, &mut pos)?;
            let i = next.saturating_add(gap);
            if i >= s.counters.len() as u64 || c == 0 || c > u64::from(u32::MAX) {
                return corrupt("sketch counter out of range");
            }
            s.counters[i as usize] = c as u32;
            next = i + 1;
        }
        if pos != bytes.len() {
            return corrupt("trailing bytes after the sketch counters");
        }
        Ok(s)
    }
}

/// Writes a state file.
pub(crate) fn write_state<W: Write>(
    out: W,
    boilerplate: &[u64],
    tombstones: &[Vec<u32>],
    sketch: &Sketch,
) -> io::Result<(W, u64)> {
    let mut w = FramedWriter::new(out, FileKind::State)?;
    let bp_off = w.pos();
    w.u64s(boilerplate)?;
    let starts_off = w.pos();
    let mut total = 0u64;
    let mut starts = vec![0u64];
    for t in tombstones {
        total += t.len() as u64;
        starts.push(total);
    }
    w.u64s(&starts)?;
    let tomb_off = w.pos();
    let mut buf = Vec::with_capacity(total as usize * 4);
    for t in tombstones {
        for d in t {
            buf.extend_from_slice(&d.to_le_bytes());
        }
    }
    w.write_all(&buf)?;
    w.align8()?;
    let sketch_off = w.pos();
    let mut head = w.hasher();
    let enc = sketch.encode();
    w.write_all(&enc)?;
    w.align8()?;
    let mut trailer = Vec::with_capacity(TRAILER);
    for v in [
        boilerplate.len() as u64,
        bp_off,
        tombstones.len() as u64,
        starts_off,
        tomb_off,
        total,
        sketch_off,
        enc.len() as u64,
    ] {
        trailer.extend_from_slice(&v.to_le_bytes());
    }
    trailer.extend_from_slice(&sketch.bits().to_le_bytes());
    trailer.extend_from_slice(&(DEPTH as u32).to_le_bytes());
    trailer.extend_from_slice(&sketch.nonzero().to_le_bytes());
    // The checksum of what readers use: the file up to the sketch, and
    // the trailer.
    head.update(&trailer);
    let head_sum = head.digest();
    w.write_all(&trailer)?;
    w.u64(head_sum)?;
    w.finish()
}

/// A validated state file.
#[derive(Debug)]
pub(crate) struct State {
    data: Data,
    bp: (usize, usize),
    segments: usize,
    starts: usize,
    tombs: usize,
    sketch: (usize, usize),
    sketch_bits: u32,
    sketch_nonzero: u64,
}

impl State {
    pub fn open(path: &Path, verify: Verify) -> crate::Result<State> {
        let io_err = |source| crate::Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = super::format::open_file(path)?;
        let data = Data::map(&file).map_err(io_err)?;
        State::from_data(data, verify).map_err(|e| crate::Error::Index {
            path: path.to_path_buf(),
            message: e.0,
        })
    }

    #[cfg(test)]
    pub fn from_bytes(bytes: &[u8]) -> FResult<State> {
        State::from_data(Data::copy_of(bytes), Verify::Full)
    }

    fn from_data(data: Data, verify: Verify) -> FResult<State> {
        let bytes = data.bytes();
        let v1 = bytes.len() >= 32 && frame_version(bytes) == 1;
        let whole =
            matches!(verify, Verify::Full | Verify::Blocks) || (verify == Verify::Lazy && v1);
        let body = check_frame(bytes, FileKind::State, whole)?;
        let trailer = if v1 { TRAILER } else { TRAILER_V2 };
        if body.len() < trailer {
            return corrupt("state file too short for its trailer");
        }
        let t = &body[body.len() - trailer..];
        let v = |i: usize| u64_at(t, 8 * i);
        let (n_bp, bp_off, n_seg, starts_off, tomb_off, n_tomb, sk_off, sk_len) =
            (v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7));
        let (bits, depth, nonzero) = (u32_at(t, 64), u32_at(t, 68), u64_at(t, 72));
        if depth as usize != DEPTH || bits > 30 {
            return corrupt(format!("unsupported sketch shape {depth} x 2^{bits}"));
        }
        let b = Body::new(body);
        let rel = |s: &[u8]| s.as_ptr() as usize - body.as_ptr() as usize;
        let bp = b.array(bp_off, n_bp, 8, "boilerplate set")?;
        let starts = b.array(starts_off, n_seg.saturating_add(1), 8, "tombstone offsets")?;
        let tombs = b.array(tomb_off, n_tomb, 4, "tombstones")?;
        let sk = b.slice(sk_off, sk_len, "sketch")?;
        if sk_off + sk_len.next_multiple_of(8) != (HEADER_LEN + body.len() - trailer) as u64 {
            return corrupt("sketch does not end at the trailer");
        }
        if verify == Verify::Lazy && !v1 {
            let mut head = xxhash_rust::xxh3::Xxh3::new();
            head.update(&bytes[..sk_off as usize]);
            head.update(&t[..TRAILER]);
            let (stored, actual) = (u64_at(t, TRAILER), head.digest());
            if stored != actual {
                return corrupt(format!(
                    "checksum mismatch (stored {stored:016x}, computed {actual:016x}): the file is corrupt"
                ));
            }
        }
        let bpv = as_u64s(bp);
        if bpv.windows(2).any(|w| w[0] >= w[1]) {
            return corrupt("boilerplate set is not sorted");
        }
        let sv = as_u64s(starts);
        if sv[0] != 0 || sv[n_seg as usize] != n_tomb || sv.windows(2).any(|w| w[0] > w[1]) {
            return corrupt("tombstone offsets are inconsistent");
        }
        let tv = as_u32s(tombs);
        for w in sv.windows(2) {
            if tv[w[0] as usize..w[1] as usize]
                .windows(2)
                .any(|p| p[0] >= p[1])
            {
                return corrupt("tombstones are not sorted");
            }
        }
        let (bp_r, starts_r, tombs_r, sk_r) = (
            (rel(bp), n_bp as usize),
            rel(starts),
            rel(tombs),
            (rel(sk), sk.len()),
        );
        drop((bpv, sv, tv));
        Ok(State {
            bp: bp_r,
            segments: n_seg as usize,
            starts: starts_r,
            tombs: tombs_r,
            sketch: sk_r,
            sketch_bits: bits,
            sketch_nonzero: nonzero,
            data,
        })
    }

    fn body(&self) -> &[u8] {
        let b = self.data.bytes();
        &b[HEADER_LEN..b.len() - super::format::FOOTER_LEN]
    }

    /// Sorted boilerplate shingles.
    pub fn boilerplate(&self) -> Cow<'_, [u64]> {
        as_u64s(&self.body()[self.bp.0..self.bp.0 + 8 * self.bp.1])
    }

    /// Number of segments the tombstone lists are for.
    pub fn segments(&self) -> usize {
        self.segments
    }

    /// Sorted removed documents of segment `seg`.
    pub fn tombstones(&self, seg: usize) -> Cow<'_, [u32]> {
        let body = self.body();
        let s = u64_at(body, self.starts + 8 * seg) as usize;
        let e = u64_at(body, self.starts + 8 * (seg + 1)) as usize;
        as_u32s(&body[self.tombs + 4 * s..self.tombs + 4 * e])
    }

    /// Width of the sketch (`2^bits` counters per row).
    pub fn sketch_bits(&self) -> u32 {
        self.sketch_bits
    }

    /// Decodes the sketch (only the writer needs it).
    pub fn sketch(&self) -> FResult<Sketch> {
        let b = &self.body()[self.sketch.0..self.sketch.0 + self.sketch.1];
        Sketch::decode(self.sketch_bits, self.sketch_nonzero, b)
    }

    pub fn file_len(&self) -> u64 {
        self.data.bytes().len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut sk = Sketch::new(8);
        sk.add_set(&[1, 2, 3]);
        sk.add_set(&[2, 3]);
        assert!(sk.estimate(2) >= 2 && sk.estimate(1) >= 1);
        // Rows in parallel count as one set at a time does; `exceeds` is
        // `estimate > limit`.
        let sets: Vec<Vec<u64>> = (0..300u64)
            .map(|i| {
                (0..40)
                    .map(|j| ((i * 7 + j * 13) % 500).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                    .collect()
            })
            .collect();
        let mut one = Sketch::new(8);
        for s in &sets {
            one.add_set(s);
        }
        let mut par = Sketch::new(8);
        par.add_sets(&sets);
        assert_eq!(one, par);
        for limit in [0, 1, 20, 30, 60] {
            let over = par.over(limit);
            for h in sets.iter().flatten().copied().chain([5, 6]) {
                assert_eq!(par.exceeds(h, limit), par.estimate(h) as usize > limit);
                assert_eq!(over.contains(h), par.exceeds(h, limit));
            }
        }
        assert!(!Sketch::new(0).over(0).contains(1));
        assert!(!Sketch::new(0).exceeds(1, 0));
        let tombs = vec![vec![1, 5], vec![], vec![0]];
        let (bytes, _) = write_state(Vec::new(), &[3, 9], &tombs, &sk).unwrap();
        let st = State::from_bytes(&bytes).unwrap();
        assert_eq!(&*st.boilerplate(), &[3, 9]);
        assert_eq!(st.segments(), 3);
        assert_eq!(&*st.tombstones(0), &[1, 5]);
        assert!(st.tombstones(1).is_empty());
        assert_eq!(st.sketch().unwrap(), sk);
        for n in 0..bytes.len() {
            assert!(State::from_bytes(&bytes[..n]).is_err());
        }
        let empty = Sketch::new(0);
        let (bytes, _) = write_state(Vec::new(), &[], &[], &empty).unwrap();
        let st = State::from_bytes(&bytes).unwrap();
        assert_eq!(st.sketch().unwrap(), empty);
    }
}
