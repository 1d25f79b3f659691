//! `neardup.scan`, `neardup.scan_paths`, `neardup.explain` and the result
//! types.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use neardup::explain::AlignConfig;
use neardup::{Corpus, Engine};
use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::convert::json_to_py;
use crate::errors::IntoPy;
use crate::options::{self, config_dict, Options};
use crate::texts::Texts;

/// Python's `repr` of a string.
pub fn py_repr(py: Python<'_>, s: &str) -> String {
    PyString::new(py, s)
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| format!("{s:?}"))
}

/// A verified duplicate pair: ids `a < b` and their exact scores.
#[pyclass(frozen, subclass, module = "neardup", name = "Pair")]
#[derive(Clone)]
pub struct Pair {
    /// The first document's id.
    #[pyo3(get)]
    pub a: String,
    /// The second document's id.
    #[pyo3(get)]
    pub b: String,
    /// Exact Jaccard similarity of the shingle sets (boilerplate removed).
    #[pyo3(get)]
    pub jaccard: f64,
    /// Exact containment `|A∩B| / min(|A|, |B|)`.
    #[pyo3(get)]
    pub containment: f64,
}

#[pymethods]
impl Pair {
    #[new]
    fn new(a: String, b: String, jaccard: f64, containment: f64) -> Self {
        Pair {
            a,
            b,
            jaccard,
            containment,
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let p = slf.get();
        let name = slf.get_type().name()?;
        let extra = match slf.cast::<crate::index::IndexPair>() {
            Ok(ip) => format!(
                ", b_indexed={}",
                if ip.get().b_indexed() {
                    "True"
                } else {
                    "False"
                }
            ),
            Err(_) => String::new(),
        };
        Ok(format!(
            "{name}(a={}, b={}, jaccard={:.4}, containment={:.4}{extra})",
            py_repr(slf.py(), &p.a),
            py_repr(slf.py(), &p.b),
            p.jaccard,
            p.containment
        ))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Pair>().is_ok_and(|o| {
            let o = o.get();
            (&o.a, &o.b, o.jaccard, o.containment)
                == (&self.a, &self.b, self.jaccard, self.containment)
        })
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &self.a,
            &self.b,
            self.jaccard.to_bits(),
            self.containment.to_bits(),
        )
            .hash(&mut h);
        h.finish()
    }
}

/// A cluster of copies of one story.
#[pyclass(frozen, module = "neardup", name = "Cluster")]
pub struct Cluster {
    /// Cluster number, in output order (the CLI's `cluster`).
    #[pyo3(get)]
    id: usize,
    /// Member ids, sorted.
    #[pyo3(get)]
    docs: Py<PyList>,
    /// The fullest copy's id (most words; ties to the smallest id).
    #[pyo3(get)]
    representative: String,
    /// Verified duplicate pairs inside the cluster, sorted.
    #[pyo3(get)]
    pairs: Py<PyList>,
}

#[pymethods]
impl Cluster {
    fn __len__(&self, py: Python<'_>) -> usize {
        self.docs.bind(py).len()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Cluster(id={}, docs={}, representative={}, pairs={})",
            self.id,
            self.docs
                .bind(py)
                .repr()
                .map(|r| r.to_string())
                .unwrap_or_default(),
            py_repr(py, &self.representative),
            self.pairs.bind(py).len()
        )
    }
}

/// An input that was skipped: where, why, and a message for people.
#[pyclass(frozen, module = "neardup", name = "Skip")]
pub struct Skip {
    /// `path`, `path:line`, or `<memory>`.
    #[pyo3(get)]
    location: String,
    /// Short reason: `empty`, `duplicate id`, `binary`, ...
    #[pyo3(get)]
    reason: String,
    /// Details.
    #[pyo3(get)]
    message: String,
}

impl Skip {
    /// From the library's skip.
    pub fn from_lib(s: &neardup::corpus::Skip) -> Skip {
        Skip {
            location: s.location.clone(),
            reason: s.reason.as_str().to_string(),
            message: s.message.clone(),
        }
    }
}

#[pymethods]
impl Skip {
    fn __str__(&self) -> String {
        format!(
            "{}: skipped ({}): {}",
            self.location, self.reason, self.message
        )
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Skip(location={}, reason={}, message={})",
            py_repr(py, &self.location),
            py_repr(py, &self.reason),
            py_repr(py, &self.message)
        )
    }
}

/// Where a scan's texts can be read again, for explanations.
enum Source {
    /// Texts given in memory: the sequence given (indexable by input
    /// position), and the ids given (`None`: positions are the ids).
    Memory {
        texts: Py<PyAny>,
        ids: Option<Vec<String>>,
        /// Id -> input position, made at the first explanation.
        positions: OnceLock<HashMap<String, usize>>,
    },
    /// Files and JSON Lines, reread by the library as the CLI does.
    Files,
}

/// Everything a scan found.
#[pyclass(frozen, module = "neardup", name = "ScanResult")]
pub struct ScanResult {
    inner: Arc<neardup::ScanResult>,
    source: Source,
    clusters: PyOnceLock<Py<PyList>>,
    pairs: PyOnceLock<Py<PyList>>,
}

fn ids_list<'py>(
    py: Python<'py>,
    r: &neardup::ScanResult,
    docs: &[usize],
) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, docs.iter().map(|&d| r.docs[d].id.as_str()))
}

impl ScanResult {
    fn new(inner: neardup::ScanResult, source: Source) -> Self {
        ScanResult {
            inner: Arc::new(inner),
            source,
            clusters: PyOnceLock::new(),
            pairs: PyOnceLock::new(),
        }
    }

    fn clusters_list<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyList>> {
        let list = self
            .clusters
            .get_or_try_init(py, || -> PyResult<Py<PyList>> {
                let r = &*self.inner;
                let out = PyList::empty(py);
                for c in &r.clusters {
                    let pairs = PyList::empty(py);
                    for p in &c.pairs {
                        pairs.append(Py::new(py, lib_pair(r, p))?)?;
                    }
                    out.append(Cluster {
                        id: c.id,
                        docs: ids_list(py, r, &c.docs)?.unbind(),
                        representative: r.docs[c.representative].id.clone(),
                        pairs: pairs.unbind(),
                    })?;
                }
                Ok(out.unbind())
            })?;
        Ok(list.bind(py))
    }

    /// The text of document `id`, read again.
    fn text_of(&self, py: Python<'_>, id: &str) -> PyResult<String> {
        let r = &*self.inner;
        let d = r
            .find(id)
            .ok_or_else(|| PyKeyError::new_err(format!("no document {id:?} in this scan")))?;
        match &self.source {
            Source::Files => {
                let r = self.inner.clone();
                py.detach(|| r.text(d)).py_err(py)
            }
            Source::Memory {
                texts,
                ids,
                positions,
            } => {
                let pos = match ids {
                    None => id.parse::<usize>().ok(),
                    Some(ids) => positions
                        .get_or_init(|| {
                            let mut m = HashMap::with_capacity(ids.len());
                            for (i, id) in ids.iter().enumerate() {
                                m.entry(id.clone()).or_insert(i);
                            }
                            m
                        })
                        .get(id)
                        .copied(),
                };
                let pos = pos.ok_or_else(|| {
                    PyKeyError::new_err(format!("no document {id:?} in this scan"))
                })?;
                let text = texts.bind(py).get_item(pos)?;
                text.extract::<String>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "the text of {id:?} given to scan is no longer a str"
                    ))
                })
            }
        }
    }
}

fn lib_pair(r: &neardup::ScanResult, p: &neardup::Pair) -> Pair {
    Pair {
        a: r.docs[p.a].id.clone(),
        b: r.docs[p.b].id.clone(),
        jaccard: p.jaccard,
        containment: p.containment,
    }
}

/// The explanation of two documents of a scan (the library's
/// [`neardup::ScanResult::explain_texts`], or with other alignment
/// settings), as the CLI's `explain --format json` object, its passages
/// carrying `boilerplate` as in `scan --explain`.
fn scan_pair_json(
    result: &neardup::ScanResult,
    (ida, ta): (&str, &str),
    (idb, tb): (&str, &str),
    align: &AlignConfig,
) -> serde_json::Value {
    use neardup::report::{explain_json, ReportDoc};
    let e = if *align == result.align_config() {
        result.explain_texts(ta, tb)
    } else {
        neardup::explain(ta, tb, align)
    };
    let mut v = explain_json(
        ReportDoc { id: ida, text: ta },
        ReportDoc { id: idb, text: tb },
        &e,
    );
    v["passages"] = serde_json::to_value(neardup::output::json::scan_passages(
        ta,
        &e,
        align.shingle,
        &result.boilerplate,
    ))
    .expect("plain data serializes");
    v
}

#[pymethods]
impl ScanResult {
    /// Clusters of two or more documents, in output order.
    #[getter]
    fn clusters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Ok(self.clusters_list(py)?.clone())
    }

    /// Every verified pair (those inside clusters), cluster by cluster.
    #[getter]
    fn pairs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = self.pairs.get_or_try_init(py, || -> PyResult<Py<PyList>> {
            let out = PyList::empty(py);
            for c in self.clusters_list(py)?.iter() {
                let c = c.cast_into::<Cluster>()?;
                for p in c.get().pairs.bind(py).iter() {
                    out.append(p)?;
                }
            }
            Ok(out.unbind())
        })?;
        Ok(list.bind(py).clone())
    }

    /// Every document read, by id, sorted.
    #[getter]
    fn docs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.inner.docs.iter().map(|d| d.id.as_str()))
    }

    /// Ids of the documents in no cluster, sorted.
    #[getter]
    fn singletons<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        ids_list(py, &self.inner, &self.inner.singletons)
    }

    /// Inputs that were skipped, in input order.
    #[getter]
    fn skipped(&self) -> Vec<Skip> {
        self.inner.skipped.iter().map(Skip::from_lib).collect()
    }

    /// Non-fatal problems (for example invalid UTF-8 replaced).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }

    /// Counters, and the wall time of the scan and of each stage (seconds).
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = &self.inner.stats;
        let mut v = serde_json::to_value(s).unwrap_or_default();
        v["elapsed"] = s.elapsed.as_secs_f64().into();
        let stages: serde_json::Map<String, serde_json::Value> = s
            .stages
            .iter()
            .map(|(name, d)| (name.to_string(), d.as_secs_f64().into()))
            .collect();
        v["stages"] = stages.into();
        json_to_py(py, &v)
    }

    /// The configuration the scan ran with (the keyword arguments' names).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        config_dict(py, self.inner.config())
    }

    /// The CLI's `scan --format jsonl` output, byte for byte (`all`: single
    /// documents too, as clusters of size 1).
    #[pyo3(signature = (all=false))]
    fn to_jsonl(&self, py: Python<'_>, all: bool) -> PyResult<String> {
        let r = self.inner.clone();
        let bytes = py.detach(move || {
            let mut out = Vec::new();
            neardup::output::write_jsonl(&r, &mut out, all, None).map(|()| out)
        })?;
        Ok(String::from_utf8(bytes).expect("JSON is UTF-8"))
    }

    /// The columns of `to_arrow`'s tables, as lists.
    fn _columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &*self.inner;
        let (cl, size, rep, docs) = (
            PyList::empty(py),
            PyList::empty(py),
            PyList::empty(py),
            PyList::empty(py),
        );
        let (pc, pa, pb, pj, pk) = (
            PyList::empty(py),
            PyList::empty(py),
            PyList::empty(py),
            PyList::empty(py),
            PyList::empty(py),
        );
        for c in &r.clusters {
            cl.append(c.id)?;
            size.append(c.docs.len())?;
            rep.append(r.docs[c.representative].id.as_str())?;
            docs.append(ids_list(py, r, &c.docs)?)?;
            for p in &c.pairs {
                pc.append(c.id)?;
                pa.append(r.docs[p.a].id.as_str())?;
                pb.append(r.docs[p.b].id.as_str())?;
                pj.append(p.jaccard)?;
                pk.append(p.containment)?;
            }
        }
        let d = PyDict::new(py);
        d.set_item("clusters", (cl, size, rep, docs))?;
        d.set_item("pairs", (pc, pa, pb, pj, pk))?;
        Ok(d)
    }

    /// The clusters and pairs as pyarrow tables.
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let columns = slf.get()._columns(py)?;
        py.import("neardup._arrow")?
            .call_method1("tables", (columns,))
    }

    /// Why two documents of this scan match: the CLI's explain JSON (scores
    /// with the scan's shingle size), each passage with its `boilerplate`
    /// share as in `scan --explain`. `pair` is a `Pair` or two ids.
    #[pyo3(signature = (pair, *, min_match=None, max_gap=None))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        pair: &Bound<'py, PyAny>,
        min_match: Count<'py>,
        max_gap: Count<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (a, b): (String, String) = if let Ok(p) = pair.cast::<Pair>() {
            (p.get().a.clone(), p.get().b.clone())
        } else {
            pair.extract()
                .map_err(|_| PyTypeError::new_err("pair must be a Pair or a tuple of two ids"))?
        };
        let align = align_config(py, self.inner.align_config(), min_match, max_gap)?;
        let (ta, tb) = (self.text_of(py, &a)?, self.text_of(py, &b)?);
        let r = self.inner.clone();
        let v = py.detach(|| scan_pair_json(&r, (&a, &ta), (&b, &tb), &align));
        json_to_py(py, &v)
    }

    fn __repr__(&self) -> String {
        let s = &self.inner.stats;
        format!(
            "ScanResult(documents={}, skipped={}, clusters={}, pairs={})",
            s.documents,
            s.skipped,
            s.clusters,
            self.inner
                .clusters
                .iter()
                .map(|c| c.pairs.len())
                .sum::<usize>()
        )
    }
}

/// An optional count argument (`None`: the default).
type Count<'py> = Option<Bound<'py, PyAny>>;

fn align_config(
    py: Python<'_>,
    mut align: AlignConfig,
    min_match: Count<'_>,
    max_gap: Count<'_>,
) -> PyResult<AlignConfig> {
    if let Some(m) = min_match.filter(|v| !v.is_none()) {
        align.min_match = options::size(py, "min_match", &m)?;
    }
    if let Some(g) = max_gap.filter(|v| !v.is_none()) {
        align.max_gap = options::size(py, "max_gap", &g)?;
    }
    align.validate().py_err(py)?;
    Ok(align)
}

/// Scans texts in memory (see `neardup.scan`).
#[pyfunction]
#[pyo3(signature = (texts, ids=None, **kwargs))]
pub fn scan(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    ids: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<ScanResult> {
    let Options {
        config,
        threads,
        memory_budget,
        ..
    } = options::parse(py, kwargs, &["threads", "memory_budget"])?;
    let given = Texts::extract(texts, "texts")?;
    let strs = given.strs(py, "texts")?;
    let given_ids = ids
        .filter(|i| !i.is_none())
        .map(|i| Texts::extract(i, "ids"))
        .transpose()?;
    let id_strs: Option<Vec<&str>> = given_ids.as_ref().map(|i| i.strs(py, "ids")).transpose()?;
    let default_ids: Vec<String>;
    let docs: Vec<(&str, &str)> = match &id_strs {
        Some(ids) => {
            if ids.len() != strs.len() {
                return Err(crate::errors::config_error(
                    py,
                    format!("{} ids given for {} texts", ids.len(), strs.len()),
                ));
            }
            ids.iter().copied().zip(strs.iter().copied()).collect()
        }
        None => {
            default_ids = (0..strs.len()).map(|i| i.to_string()).collect();
            default_ids
                .iter()
                .map(|s| s.as_str())
                .zip(strs.iter().copied())
                .collect()
        }
    };
    let engine = Engine::new(config);
    let result = options::run(py, threads, || {
        let mut scan = engine.scan();
        if let Some(b) = memory_budget {
            scan.set_memory_budget(b);
        }
        scan.add_texts(&docs);
        scan.finish()
    })?;
    // Kept to reread texts for explanations: the sequence itself when it
    // can be indexed, else a list of the strings read.
    let keep: Py<PyAny> = match &given {
        Texts::Str(items)
            if !(texts.is_instance_of::<PyList>() || texts.is_instance_of::<PyTuple>()) =>
        {
            PyList::new(py, items)?.into_any().unbind()
        }
        _ => texts.clone().unbind(),
    };
    let ids = id_strs.map(|v| v.iter().map(|s| s.to_string()).collect());
    Ok(ScanResult::new(
        result,
        Source::Memory {
            texts: keep,
            ids,
            positions: OnceLock::new(),
        },
    ))
}

/// Scans directories, files and JSON Lines files (see `neardup.scan_paths`).
#[pyfunction]
#[pyo3(signature = (paths, **kwargs))]
pub fn scan_paths(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<ScanResult> {
    let Options {
        config,
        threads,
        memory_budget,
        corpus,
        ..
    } = options::parse(
        py,
        kwargs,
        &[
            "threads",
            "memory_budget",
            "id_field",
            "text_field",
            "max_doc_bytes",
        ],
    )?;
    let paths: Vec<PathBuf> =
        if paths.is_instance_of::<PyString>() || paths.hasattr("__fspath__")? {
            vec![paths.extract()?]
        } else {
            paths
                .try_iter()
                .map_err(|_| PyTypeError::new_err("paths must be a list of paths"))?
                .map(|p| p?.extract::<PathBuf>())
                .collect::<PyResult<_>>()?
        };
    if paths.is_empty() {
        return Err(crate::errors::config_error(py, "no paths given"));
    }
    let engine = Engine::new(config);
    let options = corpus.clone();
    let result = options::run(py, threads, || {
        let corpus = Corpus::open(&paths, options)?;
        let mut scan = engine.scan();
        if let Some(b) = memory_budget {
            scan.set_memory_budget(b);
        }
        scan.add_corpus(&corpus, |_| {});
        Ok(scan.finish())
    })?
    .py_err(py)?;
    Ok(ScanResult::new(result, Source::Files))
}

/// Explains two texts (see `neardup.explain`).
#[pyfunction]
#[pyo3(signature = (text_a, text_b, *, id_a="a", id_b="b", shingle=None, min_match=None, max_gap=None))]
#[allow(clippy::too_many_arguments)]
pub fn explain<'py>(
    py: Python<'py>,
    text_a: &Bound<'py, PyString>,
    text_b: &Bound<'py, PyString>,
    id_a: &str,
    id_b: &str,
    shingle: Count<'py>,
    min_match: Count<'py>,
    max_gap: Count<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    use neardup::report::{explain_json, ReportDoc};
    let mut base = AlignConfig::default();
    if let Some(k) = shingle.filter(|v| !v.is_none()) {
        base.shingle = options::size(py, "shingle", &k)?;
    }
    let align = align_config(py, base, min_match, max_gap)?;
    let (ta, tb) = (text_a.to_str()?, text_b.to_str()?);
    let v = py.detach(|| {
        let e = neardup::explain::explain(ta, tb, &align);
        explain_json(
            ReportDoc { id: id_a, text: ta },
            ReportDoc { id: id_b, text: tb },
            &e,
        )
    });
    json_to_py(py, &v)
}
