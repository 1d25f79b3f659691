//! The scan's stages on Arrow batches (`neardup.stages`, and through it
//! `neardup.spark`): thin calls into [`neardup::stages`]. Columns come in
//! as pyarrow buffers (read in place) or little-endian bytes, and go out
//! as little-endian bytes that `neardup/stages.py` wraps into pyarrow
//! arrays without a copy. Every call releases the GIL and runs on rayon's
//! global pool, or on a pool of `threads` built for the call.

use neardup::stages::{self, Boilerplate, BoilerplatePlan, ComponentPair, KeyCounts};
use neardup::{Config, Engine};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use rayon::prelude::*;

use crate::options;
use crate::texts::Texts;

/// Little-endian bytes of `u32` keys back to keys.
fn keys_of(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
}

/// Little-endian bytes of `i64` values.
fn i64s(what: &str, b: &[u8]) -> PyResult<Vec<i64>> {
    if !b.len().is_multiple_of(8) {
        return Err(PyValueError::new_err(format!(
            "{what}: {} bytes is not a whole number of int64 values",
            b.len()
        )));
    }
    Ok(b.chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

/// Little-endian bytes of `f64` values.
fn f64s(what: &str, b: &[u8]) -> PyResult<Vec<f64>> {
    Ok(i64s(what, b)?
        .into_iter()
        .map(|v| f64::from_bits(v as u64))
        .collect())
}

/// Values as little-endian bytes.
fn le<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * N);
    for &x in v {
        out.extend_from_slice(&f(x));
    }
    out
}

/// The byte arrays of a pyarrow binary column of sets, checked.
fn sets_arg<'a>(given: &'a Texts<'_>, what: &str) -> PyResult<Vec<&'a [u8]>> {
    let sets = given.bytes(what)?;
    if let Some(i) = sets.iter().position(|s| !s.len().is_multiple_of(4)) {
        return Err(PyValueError::new_err(format!(
            "{what}[{i}] is not a set of 32-bit keys ({} bytes)",
            sets[i].len()
        )));
    }
    Ok(sets)
}

fn bytes<'py>(py: Python<'py>, b: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, b)
}

/// Little-endian bytes of `u64` values back to values.
fn u64s_of(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

/// The byte arrays of a pyarrow binary column of figures (`u64`
/// little-endian entries), checked.
fn figures_arg<'a>(given: &'a Texts<'_>, what: &str) -> PyResult<Vec<&'a [u8]>> {
    let figs = given.bytes(what)?;
    if let Some(i) = figs.iter().position(|s| !s.len().is_multiple_of(8)) {
        return Err(PyValueError::new_err(format!(
            "{what}[{i}] is not a list of 64-bit figure entries ({} bytes)",
            figs[i].len()
        )));
    }
    Ok(figs)
}

/// Sets packed as `(offsets: i64 * (n + 1), data: u32 keys)`.
fn pack_sets(sets: &[Vec<u32>]) -> (Vec<u8>, Vec<u8>) {
    let mut offsets = Vec::with_capacity((sets.len() + 1) * 8);
    let mut data = Vec::with_capacity(sets.iter().map(|s| s.len() * 4).sum());
    offsets.extend_from_slice(&0i64.to_le_bytes());
    for s in sets {
        for k in s {
            data.extend_from_slice(&k.to_le_bytes());
        }
        offsets.extend_from_slice(&(data.len() as i64).to_le_bytes());
    }
    (offsets, data)
}

/// Signs texts: `[words i64, set offsets i64, set data u32, signatures
/// u32 (perms each), key offsets i32, band keys i64, figure offsets i64,
/// figures u64]`.
#[pyfunction]
#[pyo3(signature = (texts, **kwargs))]
pub fn stages_sign<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let opts = options::parse(py, kwargs, &["threads"])?;
    let given = Texts::extract(texts, "texts")?;
    let strs = given.strs(py, "texts")?;
    let engine = Engine::new(opts.config);
    let out = options::run(py, opts.threads, || {
        let signed: Vec<stages::Signed> =
            strs.par_iter().map(|t| stages::sign(&engine, t)).collect();
        let words: Vec<i64> = signed.iter().map(|s| s.words as i64).collect();
        let sets: Vec<Vec<u32>> = signed.iter().map(|s| s.set.clone()).collect();
        let (set_offsets, set_data) = pack_sets(&sets);
        let mut sigs = Vec::with_capacity(signed.len() * engine.config().perms() * 4);
        let mut key_offsets = vec![0u8; 4];
        let mut keys = Vec::new();
        for s in &signed {
            for v in &s.signature {
                sigs.extend_from_slice(&v.to_le_bytes());
            }
            for &k in &s.band_keys {
                keys.extend_from_slice(&(k as i64).to_le_bytes());
            }
            key_offsets.extend_from_slice(&((keys.len() / 8) as i32).to_le_bytes());
        }
        let mut fig_offsets = Vec::with_capacity((signed.len() + 1) * 8);
        let mut figs = Vec::new();
        fig_offsets.extend_from_slice(&0i64.to_le_bytes());
        for s in &signed {
            for f in &s.figures {
                figs.extend_from_slice(&f.to_le_bytes());
            }
            fig_offsets.extend_from_slice(&(figs.len() as i64).to_le_bytes());
        }
        [
            le(&words, i64::to_le_bytes),
            set_offsets,
            set_data,
            sigs,
            key_offsets,
            keys,
            fig_offsets,
            figs,
        ]
    })?;
    Ok(out.iter().map(|b| bytes(py, b)).collect())
}

/// Screens candidate pairs: `[keep u8, copy u8]` (see
/// `neardup::stages::screen` and `is_copy_pair`).
#[pyfunction]
#[pyo3(signature = (signature_a, signature_b, set_a, set_b, **kwargs))]
pub fn stages_screen<'py>(
    py: Python<'py>,
    signature_a: &Bound<'py, PyAny>,
    signature_b: &Bound<'py, PyAny>,
    set_a: &Bound<'py, PyAny>,
    set_b: &Bound<'py, PyAny>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let opts = options::parse(py, kwargs, &["threads"])?;
    let given: Vec<Texts<'py>> = [signature_a, signature_b, set_a, set_b]
        .iter()
        .map(|t| Texts::extract(t, "screen"))
        .collect::<PyResult<_>>()?;
    let names = ["signature_a", "signature_b", "set_a", "set_b"];
    let cols: Vec<Vec<&[u8]>> = given
        .iter()
        .zip(names)
        .map(|(g, n)| sets_arg(g, n))
        .collect::<PyResult<_>>()?;
    let n = cols[0].len();
    if cols.iter().any(|c| c.len() != n) {
        return Err(PyValueError::new_err(
            "screen: columns of different lengths",
        ));
    }
    let cfg: &Config = &opts.config;
    let (keep, copy): (Vec<u8>, Vec<u8>) = options::run(py, opts.threads, || {
        (0..n)
            .into_par_iter()
            .map(|i| {
                let (sa, sb) = (keys_of(cols[0][i]), keys_of(cols[1][i]));
                if !stages::screen(cfg, &sa, &sb) {
                    return (0, 0);
                }
                let (a, b) = (keys_of(cols[2][i]), keys_of(cols[3][i]));
                (1, stages::is_copy_pair(cfg, &a, &b) as u8)
            })
            .unzip()
    })?;
    Ok(vec![bytes(py, &keep), bytes(py, &copy)])
}

/// Sets less the boilerplate (`keys`: u32 little-endian): `[offsets i64,
/// data u32]`.
#[pyfunction]
#[pyo3(signature = (sets, keys, *, threads=None))]
pub fn stages_cut<'py>(
    py: Python<'py>,
    sets: &Bound<'py, PyAny>,
    keys: &[u8],
    threads: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let given = Texts::extract(sets, "sets")?;
    let sets = sets_arg(&given, "sets")?;
    let keys = keys_of(keys);
    let (offsets, data) = options::run(py, threads.filter(|&t| t > 0), || {
        let b = Boilerplate::new(keys);
        let cut: Vec<Vec<u32>> = sets.par_iter().map(|s| b.cut(&keys_of(s))).collect();
        pack_sets(&cut)
    })?;
    Ok(vec![bytes(py, &offsets), bytes(py, &data)])
}

/// Verifies pairs on their cut sets and figures: `[duplicate u8, jaccard
/// f64, containment f64]`.
#[pyfunction]
#[pyo3(signature = (cut_a, cut_b, figures_a, figures_b, **kwargs))]
pub fn stages_verify<'py>(
    py: Python<'py>,
    cut_a: &Bound<'py, PyAny>,
    cut_b: &Bound<'py, PyAny>,
    figures_a: &Bound<'py, PyAny>,
    figures_b: &Bound<'py, PyAny>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let opts = options::parse(py, kwargs, &["threads"])?;
    let (ga, gb) = (
        Texts::extract(cut_a, "cut_a")?,
        Texts::extract(cut_b, "cut_b")?,
    );
    let (gfa, gfb) = (
        Texts::extract(figures_a, "figures_a")?,
        Texts::extract(figures_b, "figures_b")?,
    );
    let (a, b) = (sets_arg(&ga, "cut_a")?, sets_arg(&gb, "cut_b")?);
    let (fa, fb) = (
        figures_arg(&gfa, "figures_a")?,
        figures_arg(&gfb, "figures_b")?,
    );
    if a.len() != b.len() || fa.len() != a.len() || fb.len() != a.len() {
        return Err(PyValueError::new_err(
            "verify: columns of different lengths",
        ));
    }
    let cfg = &opts.config;
    let out: Vec<(u8, f64, f64)> = options::run(py, opts.threads, || {
        (0..a.len())
            .into_par_iter()
            .map(|i| {
                let (fx, fy) = (u64s_of(fa[i]), u64s_of(fb[i]));
                let (x, y) = (keys_of(a[i]), keys_of(b[i]));
                let s = stages::compare(&x, &y);
                let dup = stages::verify(cfg, (&x, &fx), (&y, &fy)).is_some();
                (dup as u8, s.jaccard, s.containment)
            })
            .collect()
    })?;
    let dup: Vec<u8> = out.iter().map(|o| o.0).collect();
    let j: Vec<f64> = out.iter().map(|o| o.1).collect();
    let c: Vec<f64> = out.iter().map(|o| o.2).collect();
    Ok(vec![
        bytes(py, &dup),
        bytes(py, &le(&j, f64::to_le_bytes)),
        bytes(py, &le(&c, f64::to_le_bytes)),
    ])
}

/// The boilerplate plan: `(cut, rate, limit)`, or `None` when the cut is
/// off.
#[pyfunction]
#[pyo3(signature = (documents, copy_groups, **kwargs))]
pub fn stages_plan(
    py: Python<'_>,
    documents: usize,
    copy_groups: usize,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Option<(usize, f64, f64)>> {
    let opts = options::parse(py, kwargs, &["threads"])?;
    Ok(BoilerplatePlan::new(&opts.config, documents, copy_groups)
        .map(|p| (p.cut(), p.rate(), p.limit())))
}

/// Whether each copy group (by its smallest id) is counted: u8 each.
#[pyfunction]
#[pyo3(signature = (first_ids, documents, copy_groups, **kwargs))]
pub fn stages_counts_group<'py>(
    py: Python<'py>,
    first_ids: &Bound<'py, PyAny>,
    documents: usize,
    copy_groups: usize,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = options::parse(py, kwargs, &["threads"])?;
    let given = Texts::extract(first_ids, "first_ids")?;
    let ids = given.strs(py, "first_ids")?;
    let plan = BoilerplatePlan::new(&opts.config, documents, copy_groups);
    let out: Vec<u8> = options::run(py, opts.threads, || {
        ids.par_iter()
            .map(|id| plan.is_some_and(|p| p.counts_group(id)) as u8)
            .collect()
    })?;
    Ok(bytes(py, &out))
}

/// Partial key counts of copy groups: `sets` are the groups' members'
/// sets, group after group (`group_offsets`: i64, one more than groups).
/// Returns `[keys i64, counts i64]`, sorted by key.
#[pyfunction]
#[pyo3(signature = (sets, group_offsets, *, threads=None))]
pub fn stages_count_keys<'py>(
    py: Python<'py>,
    sets: &Bound<'py, PyAny>,
    group_offsets: &[u8],
    threads: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let given = Texts::extract(sets, "sets")?;
    let sets = sets_arg(&given, "sets")?;
    let offsets = i64s("group_offsets", group_offsets)?;
    check_offsets("group_offsets", &offsets, sets.len())?;
    let (keys, counts) = options::run(py, threads.filter(|&t| t > 0), || {
        let mut counts = KeyCounts::new();
        for w in offsets.windows(2) {
            let group: Vec<Vec<u32>> = sets[w[0] as usize..w[1] as usize]
                .iter()
                .map(|s| keys_of(s))
                .collect();
            counts.add_group(&group);
        }
        let sorted = counts.to_sorted();
        let keys: Vec<i64> = sorted.iter().map(|&(k, _)| k as i64).collect();
        let counts: Vec<i64> = sorted.iter().map(|&(_, c)| c as i64).collect();
        (le(&keys, i64::to_le_bytes), le(&counts, i64::to_le_bytes))
    })?;
    Ok(vec![bytes(py, &keys), bytes(py, &counts)])
}

fn check_offsets(what: &str, offsets: &[i64], len: usize) -> PyResult<()> {
    let ok = offsets.first() == Some(&0)
        && offsets.last() == Some(&(len as i64))
        && offsets.windows(2).all(|w| w[0] <= w[1]);
    if ok {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "{what}: offsets must rise from 0 to {len}"
        )))
    }
}

/// The boilerplate from merged counts (`keys`, `counts`: i64 each): the
/// keys counted in more groups than the plan's limit, as u32 little-endian
/// bytes, sorted.
#[pyfunction]
#[pyo3(signature = (keys, counts, documents, copy_groups, **kwargs))]
pub fn stages_boilerplate<'py>(
    py: Python<'py>,
    keys: &[u8],
    counts: &[u8],
    documents: usize,
    copy_groups: usize,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = options::parse(py, kwargs, &["threads"])?;
    let (keys, counts) = (i64s("keys", keys)?, i64s("counts", counts)?);
    if keys.len() != counts.len() {
        return Err(PyValueError::new_err(
            "boilerplate: keys and counts differ in length",
        ));
    }
    let Some(plan) = BoilerplatePlan::new(&opts.config, documents, copy_groups) else {
        return Ok(bytes(py, &[]));
    };
    let mut total = KeyCounts::new();
    for (&k, &c) in keys.iter().zip(&counts) {
        let k = u32::try_from(k)
            .map_err(|_| PyValueError::new_err(format!("boilerplate: key {k} is not a u32")))?;
        total.add(k, c.max(0) as u64);
    }
    let b = total.boilerplate(&plan);
    Ok(bytes(py, &le(b.keys(), u32::to_le_bytes)))
}

/// Clusters components. Members come component after component
/// (`member_offsets`, i64), each with its id, words (i64), cut set and
/// figures (u64 entries);
/// verified pairs likewise (`pair_offsets`), by ids, with their scores
/// (`pair_jaccard`, `pair_containment`: f64; named apart from the
/// engine settings `threshold`, `containment`). Returns `[member u32, first u32, representative u8]` for every
/// member of a cluster of two or more (`member` and `first`, the
/// cluster's smallest id, as indices into the members given) and `[a
/// u32, b u32, jaccard f64, containment f64]` for its pairs.
#[pyfunction]
#[pyo3(signature = (member_offsets, ids, words, cut_sets, figures, pair_offsets, pair_a, pair_b, pair_jaccard, pair_containment, **kwargs))]
#[allow(clippy::too_many_arguments)]
pub fn stages_cluster<'py>(
    py: Python<'py>,
    member_offsets: &[u8],
    ids: &Bound<'py, PyAny>,
    words: &[u8],
    cut_sets: &Bound<'py, PyAny>,
    figures: &Bound<'py, PyAny>,
    pair_offsets: &[u8],
    pair_a: &Bound<'py, PyAny>,
    pair_b: &Bound<'py, PyAny>,
    pair_jaccard: &[u8],
    pair_containment: &[u8],
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let opts = options::parse(py, kwargs, &["threads"])?;
    let (gi, gs, ga, gb) = (
        Texts::extract(ids, "ids")?,
        Texts::extract(cut_sets, "cut_sets")?,
        Texts::extract(pair_a, "pair_a")?,
        Texts::extract(pair_b, "pair_b")?,
    );
    let ids = gi.strs(py, "ids")?;
    let sets = sets_arg(&gs, "cut_sets")?;
    let gf = Texts::extract(figures, "figures")?;
    let figs = figures_arg(&gf, "figures")?;
    let (pa, pb) = (ga.strs(py, "pair_a")?, gb.strs(py, "pair_b")?);
    let words = i64s("words", words)?;
    let (jac, con) = (
        f64s("pair_jaccard", pair_jaccard)?,
        f64s("pair_containment", pair_containment)?,
    );
    let (mo, po) = (
        i64s("member_offsets", member_offsets)?,
        i64s("pair_offsets", pair_offsets)?,
    );
    check_offsets("member_offsets", &mo, ids.len())?;
    check_offsets("pair_offsets", &po, pa.len())?;
    if mo.len() != po.len() {
        return Err(PyValueError::new_err(
            "cluster: member_offsets and pair_offsets count different components",
        ));
    }
    if words.len() != ids.len() || sets.len() != ids.len() || figs.len() != ids.len() {
        return Err(PyValueError::new_err(
            "cluster: member columns differ in length",
        ));
    }
    if pb.len() != pa.len() || jac.len() != pa.len() || con.len() != pa.len() {
        return Err(PyValueError::new_err(
            "cluster: pair columns differ in length",
        ));
    }
    let cfg = &opts.config;
    type Members = Vec<(u32, u32, u8)>;
    type Pairs = Vec<(u32, u32, f64, f64)>;
    let done: Vec<PyResult<(Members, Pairs)>> = options::run(py, opts.threads, || {
        (0..mo.len() - 1)
            .into_par_iter()
            .map(|c| {
                let (m0, m1) = (mo[c] as usize, mo[c + 1] as usize);
                // Members in id order.
                let mut order: Vec<usize> = (m0..m1).collect();
                order.sort_by(|&x, &y| ids[x].cmp(ids[y]));
                if order.windows(2).any(|w| ids[w[0]] == ids[w[1]]) {
                    return Err(PyValueError::new_err(format!(
                        "cluster: component {c} lists an id twice"
                    )));
                }
                let pos = |id: &str| {
                    order.binary_search_by(|&m| ids[m].cmp(id)).map_err(|_| {
                        PyValueError::new_err(format!(
                            "cluster: pair id {id:?} is not a member of its component"
                        ))
                    })
                };
                let cut: Vec<Vec<u32>> = order.iter().map(|&m| keys_of(sets[m])).collect();
                let w: Vec<u64> = order.iter().map(|&m| words[m].max(0) as u64).collect();
                let f: Vec<Vec<u64>> = order.iter().map(|&m| u64s_of(figs[m])).collect();
                let mut pairs = Vec::with_capacity((po[c + 1] - po[c]) as usize);
                for p in po[c] as usize..po[c + 1] as usize {
                    let (a, b) = (pos(pa[p])?, pos(pb[p])?);
                    let (a, b, ok) = (a.min(b), a.max(b), a != b);
                    if !ok {
                        return Err(PyValueError::new_err("cluster: a pair of one document"));
                    }
                    pairs.push(ComponentPair {
                        a,
                        b,
                        jaccard: jac[p],
                        containment: con[p],
                    });
                }
                let mut members = Vec::new();
                let mut kept = Vec::new();
                for cl in stages::cluster_component(cfg, &cut, &w, &f, &pairs) {
                    let first = order[cl.members[0]] as u32;
                    for &m in &cl.members {
                        members.push((order[m] as u32, first, (m == cl.representative) as u8));
                    }
                    for p in &cl.pairs {
                        kept.push((
                            order[p.a] as u32,
                            order[p.b] as u32,
                            p.jaccard,
                            p.containment,
                        ));
                    }
                }
                Ok((members, kept))
            })
            .collect()
    })?;
    let (mut member, mut first, mut rep) = (Vec::new(), Vec::new(), Vec::new());
    let (mut a, mut b, mut j, mut k) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for d in done {
        let (ms, ps) = d?;
        for (m, f, r) in ms {
            member.push(m);
            first.push(f);
            rep.push(r);
        }
        for (x, y, jj, kk) in ps {
            a.push(x);
            b.push(y);
            j.push(jj);
            k.push(kk);
        }
    }
    Ok(vec![
        bytes(py, &le(&member, u32::to_le_bytes)),
        bytes(py, &le(&first, u32::to_le_bytes)),
        bytes(py, &rep),
        bytes(py, &le(&a, u32::to_le_bytes)),
        bytes(py, &le(&b, u32::to_le_bytes)),
        bytes(py, &le(&j, f64::to_le_bytes)),
        bytes(py, &le(&k, f64::to_le_bytes)),
    ])
}

/// The engine's bound on giant buckets for these settings (see
/// `neardup::stages::bucket_pairs`).
#[pyfunction]
#[pyo3(signature = (**kwargs))]
pub fn stages_max_bucket(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<usize> {
    Ok(options::parse(py, kwargs, &["threads"])?
        .config
        .max_bucket())
}
