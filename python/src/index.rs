//! `neardup.Index`: the persistent index, for daily ingest.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use neardup::index::{CreateOptions, IndexWriter, DEFAULT_SKETCH_BITS};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::convert::json_to_py;
use crate::errors::{config_error, IntoPy};
use crate::options::{self, config_dict};
use crate::scan::Pair;
use crate::texts::Texts;

/// A duplicate pair found by `Index.add`: `a` is a new document, `b` an
/// indexed one (`b_indexed`) or another new one.
#[pyclass(frozen, extends = Pair, module = "neardup", name = "IndexPair")]
pub struct IndexPair {
    /// Whether `b` was already in the index before this `add`.
    #[pyo3(get)]
    b_indexed: bool,
}

impl IndexPair {
    /// Whether `b` was indexed before.
    pub fn b_indexed(&self) -> bool {
        self.b_indexed
    }
}

#[pymethods]
impl IndexPair {
    #[new]
    fn new(
        a: String,
        b: String,
        jaccard: f64,
        containment: f64,
        b_indexed: bool,
    ) -> PyClassInitializer<Self> {
        PyClassInitializer::from(Pair {
            a,
            b,
            jaccard,
            containment,
        })
        .add_subclass(IndexPair { b_indexed })
    }
}

/// An indexed document that a query text duplicates.
#[pyclass(frozen, module = "neardup", name = "Match")]
pub struct Match {
    /// The indexed document's id.
    #[pyo3(get)]
    id: String,
    /// Exact Jaccard similarity with the query (boilerplate removed).
    #[pyo3(get)]
    jaccard: f64,
    /// Exact containment `|Q∩D| / min(|Q|, |D|)`.
    #[pyo3(get)]
    containment: f64,
}

#[pymethods]
impl Match {
    #[new]
    fn new(id: String, jaccard: f64, containment: f64) -> Self {
        Match {
            id,
            jaccard,
            containment,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Match(id={}, jaccard={:.4}, containment={:.4})",
            crate::scan::py_repr(py, &self.id),
            self.jaccard,
            self.containment
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Match>().is_ok_and(|o| {
            let o = o.get();
            (&o.id, o.jaccard, o.containment) == (&self.id, self.jaccard, self.containment)
        })
    }
}

/// An index directory: a reader of its last commit, and a writer opened
/// (taking the lock) for each change.
#[pyclass(frozen, module = "neardup", name = "Index")]
pub struct Index {
    path: PathBuf,
    reader: RwLock<Arc<neardup::index::Index>>,
}

/// Emits each skip as a `neardup.SkippedWarning`.
fn warn_skipped(py: Python<'_>, messages: &[String]) -> PyResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let category = py.import("neardup._errors")?.getattr("SkippedWarning")?;
    let warn = py.import("warnings")?.getattr("warn")?;
    for m in messages {
        let kwargs = PyDict::new(py);
        kwargs.set_item("stacklevel", 2)?;
        warn.call((m.as_str(), &category), Some(&kwargs))?;
    }
    Ok(())
}

fn limit_of(py: Python<'_>, limit: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
    match limit.filter(|v| !v.is_none()) {
        None => Ok(usize::MAX),
        Some(v) => options::size(py, "limit", v),
    }
}

fn matches(found: Vec<neardup::index::Match>, limit: usize) -> Vec<Match> {
    found
        .into_iter()
        .take(limit)
        .map(|m| Match {
            id: m.id,
            jaccard: m.jaccard,
            containment: m.containment,
        })
        .collect()
}

impl Index {
    fn reader(&self) -> Arc<neardup::index::Index> {
        self.reader
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_reader(&self, index: neardup::index::Index) {
        *self.reader.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(index);
    }
}

#[pymethods]
impl Index {
    /// Creates an empty index in `path` with this configuration.
    #[staticmethod]
    #[pyo3(signature = (path, **kwargs))]
    fn create(
        py: Python<'_>,
        path: PathBuf,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Index> {
        let o = options::parse(py, kwargs, &["sketch_bits"])?;
        let create = CreateOptions {
            sketch_bits: o.sketch_bits.unwrap_or(DEFAULT_SKETCH_BITS),
        };
        let index = py
            .detach(|| neardup::index::Index::create_with(&path, &o.config, &create))
            .py_err(py)?;
        Ok(Index {
            path,
            reader: RwLock::new(Arc::new(index)),
        })
    }

    /// Opens the index in `path`. Settings given are checked against the
    /// ones it was created with (`IndexConfigMismatchError` names the first
    /// that differs), as the CLI checks its flags.
    #[staticmethod]
    #[pyo3(signature = (path, **kwargs))]
    fn open(py: Python<'_>, path: PathBuf, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Index> {
        let given = options::parse(py, kwargs, &[])?;
        let index = py
            .detach(|| neardup::index::Index::open(&path))
            .py_err(py)?;
        if let Some(kwargs) = kwargs {
            let (ours, theirs) = (
                config_dict(py, index.config())?,
                config_dict(py, &given.config)?,
            );
            for (key, value) in kwargs.iter() {
                if value.is_none() {
                    continue;
                }
                let (stored, wanted) = (ours.get_item(&key)?, theirs.get_item(&key)?);
                if let (Some(stored), Some(wanted)) = (stored, wanted) {
                    if !stored.eq(&wanted)? {
                        let e = neardup::Error::IndexConfigMismatch {
                            path: path.clone(),
                            setting: key.extract()?,
                            index: stored.str()?.to_string(),
                            given: wanted.str()?.to_string(),
                        };
                        return Err(crate::errors::to_py(py, e));
                    }
                }
            }
        }
        Ok(Index {
            path,
            reader: RwLock::new(Arc::new(index)),
        })
    }

    /// Adds documents and commits; returns the duplicate pairs they form.
    #[pyo3(signature = (ids, texts, *, threads=None))]
    fn add<'py>(
        &self,
        py: Python<'py>,
        ids: &Bound<'py, PyAny>,
        texts: &Bound<'py, PyAny>,
        threads: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let threads = options::threads(py, threads)?;
        let (ids, texts) = (Texts::extract(ids, "ids")?, Texts::extract(texts, "texts")?);
        let (ids, texts) = (ids.strs(py, "ids")?, texts.strs(py, "texts")?);
        if ids.len() != texts.len() {
            return Err(config_error(
                py,
                format!("{} ids given for {} texts", ids.len(), texts.len()),
            ));
        }
        let docs: Vec<(&str, &str)> = ids.into_iter().zip(texts).collect();
        let path = &self.path;
        let (report, commit, reader) = options::run(py, threads, || {
            let mut w = IndexWriter::open(path)?;
            let report = w.add_texts(&docs);
            let commit = w.commit()?;
            drop(w); // the lock
            let reader = neardup::index::Index::open(path)?;
            Ok::<_, neardup::Error>((report, commit, reader))
        })?
        .py_err(py)?;
        self.set_reader(reader);
        let skipped: Vec<String> = report.skipped.iter().map(|s| s.to_string()).collect();
        let out = PyList::empty(py);
        for p in commit.pairs {
            let init = PyClassInitializer::from(Pair {
                a: p.a,
                b: p.b,
                jaccard: p.jaccard,
                containment: p.containment,
            })
            .add_subclass(IndexPair {
                b_indexed: p.b_indexed,
            });
            out.append(Bound::new(py, init)?)?;
        }
        warn_skipped(py, &skipped)?;
        Ok(out)
    }

    /// Indexed documents that `text` duplicates, best first.
    #[pyo3(signature = (text, limit=None))]
    fn query(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Match>> {
        let limit = limit_of(py, limit)?;
        let reader = self.reader();
        let text = text.to_str()?;
        let found = py.detach(|| reader.query(text)).py_err(py)?;
        Ok(matches(found, limit))
    }

    /// `query` for each text, in parallel.
    #[pyo3(signature = (texts, limit=None, *, threads=None))]
    fn query_many(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        threads: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Vec<Match>>> {
        use rayon::prelude::*;
        let limit = limit_of(py, limit)?;
        let threads = options::threads(py, threads)?;
        let texts = Texts::extract(texts, "texts")?;
        let strs = texts.strs(py, "texts")?;
        let reader = self.reader();
        let found = options::run(py, threads, || {
            strs.par_iter()
                .map(|t| reader.query(t))
                .collect::<Result<Vec<_>, _>>()
        })?
        .py_err(py)?;
        Ok(found.into_iter().map(|f| matches(f, limit)).collect())
    }

    /// Removes documents by id and commits; returns how many were removed.
    fn remove(&self, py: Python<'_>, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        let ids = Texts::extract(ids, "ids")?;
        let ids = ids.strs(py, "ids")?;
        let path = &self.path;
        let (removed, missing, reader) = py
            .detach(|| {
                let mut w = IndexWriter::open(path)?;
                let missing: Vec<String> = ids
                    .iter()
                    .filter(|id| !w.remove(id))
                    .map(|id| format!("no document with id {id:?} in the index"))
                    .collect();
                let report = w.commit()?;
                drop(w);
                let reader = neardup::index::Index::open(path)?;
                Ok::<_, neardup::Error>((report.removed, missing, reader))
            })
            .py_err(py)?;
        self.set_reader(reader);
        warn_skipped(py, &missing)?;
        Ok(removed)
    }

    /// Merges all segments into one, dropping removed documents.
    fn optimize<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let path = &self.path;
        let (r, reader) = py
            .detach(|| {
                let mut w = IndexWriter::open(path)?;
                let r = w.optimize()?;
                drop(w);
                Ok::<_, neardup::Error>((r, neardup::index::Index::open(path)?))
            })
            .py_err(py)?;
        self.set_reader(reader);
        let d = PyDict::new(py);
        d.set_item("generation", r.generation)?;
        d.set_item("documents", r.documents)?;
        d.set_item("dropped", r.dropped)?;
        d.set_item("segments_before", r.segments_before)?;
        d.set_item("bytes_before", r.bytes_before)?;
        d.set_item("bytes_after", r.bytes_after)?;
        Ok(d)
    }

    /// Sees the commits other writers made since this object read the index.
    fn reload(&self, py: Python<'_>) -> PyResult<()> {
        let path = &self.path;
        let index = py.detach(|| neardup::index::Index::open(path)).py_err(py)?;
        self.set_reader(index);
        Ok(())
    }

    /// Counts, segments, configuration and size on disk (`neardup index
    /// info --format json`).
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let reader = self.reader();
        let info = py.detach(|| reader.info());
        let v = serde_json::to_value(&info).unwrap_or_default();
        json_to_py(py, &v)
    }

    /// The configuration the index was created with.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        config_dict(py, self.reader().config())
    }

    /// The index directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    fn __len__(&self) -> usize {
        self.reader().len()
    }

    fn __contains__(&self, py: Python<'_>, id: &str) -> PyResult<bool> {
        Ok(self.reader().try_find(id).py_err(py)?.is_some())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Index({}, documents={})",
            crate::scan::py_repr(py, &self.path.display().to_string()),
            self.reader().len()
        )
    }
}
