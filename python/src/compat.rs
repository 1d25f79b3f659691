//! `neardup.compat`: datasketch's `MinHash` and `MinHashLSH` call shapes on
//! the library's [`neardup::sketch`] (classic MinHash, LSH banding).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use neardup::sketch::{merge, LshTable, Sketcher, EMPTY_SLOT};
use neardup::Banding;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple, PyType};

use crate::errors::IntoPy;
use crate::options::type_name;

/// Sketchers by (num_perm, seed).
type Sketchers = Mutex<HashMap<(usize, u64), Arc<Sketcher>>>;

/// One sketcher per (num_perm, seed), shared by every MinHash made with it.
fn sketcher(py: Python<'_>, perms: usize, seed: u64) -> PyResult<Arc<Sketcher>> {
    static CACHE: OnceLock<Sketchers> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = cache.get(&(perms, seed)) {
        return Ok(s.clone());
    }
    let s = Arc::new(Sketcher::new(perms, seed).py_err(py)?);
    if cache.len() < 64 {
        cache.insert((perms, seed), s.clone());
    }
    Ok(s)
}

/// The bytes of an item: `bytes`, `bytearray`, or a `str` (as UTF-8).
fn item_bytes<'a>(v: &'a Bound<'_, PyAny>) -> PyResult<std::borrow::Cow<'a, [u8]>> {
    if let Ok(b) = v.cast::<PyBytes>() {
        Ok(b.as_bytes().into())
    } else if let Ok(s) = v.cast::<PyString>() {
        Ok(s.to_str()?.as_bytes().into())
    } else if let Ok(b) = v.cast::<PyByteArray>() {
        Ok(b.to_vec().into())
    } else {
        Err(PyTypeError::new_err(format!(
            "MinHash items must be bytes (or str), not {}",
            type_name(v)
        )))
    }
}

/// A MinHash sketch with datasketch's interface: `update` with bytes,
/// `jaccard` to estimate similarity, `digest` for the values.
#[pyclass(module = "neardup.compat", name = "MinHash", subclass)]
pub struct MinHash {
    sketcher: Arc<Sketcher>,
    sig: Vec<u32>,
    hashfunc: Option<Py<PyAny>>,
}

impl MinHash {
    /// The 64-bit hash of one item.
    fn hash(&self, v: &Bound<'_, PyAny>) -> PyResult<u64> {
        match &self.hashfunc {
            None => Ok(Sketcher::hash_item(&item_bytes(v)?)),
            Some(f) => {
                let h = f.bind(v.py()).call1((v,))?;
                let h: i128 = h.extract().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "hashfunc must return an int, not {}",
                        type_name(&h)
                    ))
                })?;
                Ok(h as u64)
            }
        }
    }

    fn hashes(&self, items: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
        let mut out = Vec::with_capacity(items.len().unwrap_or(0));
        for x in items.try_iter()? {
            out.push(self.hash(&x?)?);
        }
        Ok(out)
    }

    fn check_same(&self, other: &MinHash, what: &str) -> PyResult<()> {
        if self.sketcher.seed() != other.sketcher.seed() {
            return Err(PyValueError::new_err(format!(
                "cannot {what} MinHash with different seeds"
            )));
        }
        if self.sig.len() != other.sig.len() {
            return Err(PyValueError::new_err(format!(
                "cannot {what} MinHash with different numbers of permutation functions"
            )));
        }
        Ok(())
    }

    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let list = PyList::new(py, self.sig.iter().map(|&v| v as u64))?;
        match py.import("numpy") {
            Ok(np) => {
                let kwargs = PyDict::new(py);
                kwargs.set_item("dtype", np.getattr("uint64")?)?;
                np.call_method("array", (list,), Some(&kwargs))
            }
            Err(_) => Ok(list.into_any()),
        }
    }
}

#[pymethods]
impl MinHash {
    #[new]
    #[pyo3(signature = (num_perm=128, seed=1, hashfunc=None, hashobj=None, hashvalues=None, permutations=None))]
    fn new(
        py: Python<'_>,
        num_perm: usize,
        seed: u64,
        hashfunc: Option<Py<PyAny>>,
        hashobj: Option<&Bound<'_, PyAny>>,
        hashvalues: Option<&Bound<'_, PyAny>>,
        permutations: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<MinHash> {
        if hashobj.is_some_and(|h| !h.is_none()) {
            return Err(PyTypeError::new_err(
                "hashobj is not supported (deprecated in datasketch): use hashfunc",
            ));
        }
        if permutations.is_some_and(|p| !p.is_none()) {
            return Err(PyTypeError::new_err(
                "permutations cannot be given: neardup derives its hash functions from the seed",
            ));
        }
        let values: Option<Vec<u64>> = hashvalues
            .filter(|v| !v.is_none())
            .map(|v| {
                v.try_iter()?
                    .map(|x| x?.extract::<u64>())
                    .collect::<PyResult<Vec<u64>>>()
            })
            .transpose()?;
        let perms = values.as_ref().map_or(num_perm, |v| v.len());
        let sketcher = sketcher(py, perms, seed)?;
        let sig = match values {
            None => sketcher.empty(),
            Some(v) => v
                .into_iter()
                .map(|x| {
                    u32::try_from(x).map_err(|_| {
                        PyValueError::new_err(format!("hash value {x} is above 2**32 - 1"))
                    })
                })
                .collect::<PyResult<_>>()?,
        };
        Ok(MinHash {
            sketcher,
            sig,
            hashfunc,
        })
    }

    /// Adds one item (bytes, or str as UTF-8). A list or tuple of items is
    /// added as `update_batch` does (rensa's call shape).
    fn update(&mut self, py: Python<'_>, b: &Bound<'_, PyAny>) -> PyResult<()> {
        if b.is_instance_of::<PyList>() || b.is_instance_of::<PyTuple>() {
            return self.update_batch(py, b);
        }
        let h = self.hash(b)?;
        self.sketcher.update(&mut self.sig, &[h]);
        Ok(())
    }

    /// Adds many items at once (with the GIL released while signing).
    fn update_batch(&mut self, py: Python<'_>, b: &Bound<'_, PyAny>) -> PyResult<()> {
        let hashes = self.hashes(b)?;
        let sketcher = self.sketcher.clone();
        let sig = &mut self.sig;
        py.detach(|| sketcher.update(sig, &hashes));
        Ok(())
    }

    /// Estimated Jaccard similarity with `other` (same seed and num_perm).
    fn jaccard(&self, other: PyRef<'_, MinHash>) -> PyResult<f64> {
        self.check_same(&other, "compute Jaccard given")?;
        Ok(Sketcher::jaccard(&self.sig, &other.sig))
    }

    /// The hash values (a numpy uint64 array when numpy is installed, as
    /// datasketch gives; else a list of ints).
    fn digest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.values(py)
    }

    /// The hash values (as `digest()`).
    #[getter]
    fn hashvalues<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.values(py)
    }

    /// The seed of the hash functions.
    #[getter]
    fn seed(&self) -> u64 {
        self.sketcher.seed()
    }

    /// Number of permutation functions.
    #[getter]
    fn num_perm(&self) -> usize {
        self.sig.len()
    }

    /// Folds `other` in: the sketch of the union.
    fn merge(&mut self, other: PyRef<'_, MinHash>) -> PyResult<()> {
        self.check_same(&other, "merge")?;
        merge(&mut self.sig, &other.sig);
        Ok(())
    }

    /// Estimated number of distinct items added.
    fn count(&self) -> f64 {
        let max = EMPTY_SLOT as f64;
        let k = self.sig.len() as f64;
        k / self.sig.iter().map(|&v| v as f64 / max).sum::<f64>() - 1.0
    }

    /// Whether nothing was added.
    fn is_empty(&self) -> bool {
        self.sig.iter().all(|&v| v == EMPTY_SLOT)
    }

    /// Forgets every item.
    fn clear(&mut self) {
        self.sig.fill(EMPTY_SLOT);
    }

    /// A copy.
    fn copy(&self, py: Python<'_>) -> MinHash {
        MinHash {
            sketcher: self.sketcher.clone(),
            sig: self.sig.clone(),
            hashfunc: self.hashfunc.as_ref().map(|f| f.clone_ref(py)),
        }
    }

    fn __copy__(&self, py: Python<'_>) -> MinHash {
        self.copy(py)
    }

    fn __len__(&self) -> usize {
        self.sig.len()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<MinHash>().is_ok_and(|o| {
            let o = o.borrow();
            o.sketcher.seed() == self.sketcher.seed() && o.sig == self.sig
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "MinHash(num_perm={}, seed={})",
            self.sig.len(),
            self.sketcher.seed()
        )
    }

    fn __getnewargs__(&self) -> (usize, u64) {
        (self.sig.len(), self.sketcher.seed())
    }

    fn __getstate__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyBytes>, Py<PyAny>)> {
        let bytes: Vec<u8> = self.sig.iter().flat_map(|v| v.to_le_bytes()).collect();
        let f = self
            .hashfunc
            .as_ref()
            .map_or_else(|| py.None(), |f| f.clone_ref(py));
        Ok((PyBytes::new(py, &bytes), f))
    }

    fn __setstate__(&mut self, state: (Vec<u8>, Option<Py<PyAny>>)) -> PyResult<()> {
        let (bytes, f) = state;
        if bytes.len() != self.sig.len() * 4 {
            return Err(PyValueError::new_err("pickled MinHash of another size"));
        }
        for (v, c) in self.sig.iter_mut().zip(bytes.chunks_exact(4)) {
            *v = u32::from_le_bytes(c.try_into().expect("4 bytes"));
        }
        self.hashfunc = f;
        Ok(())
    }

    /// One MinHash per set of items, signed in parallel with the GIL
    /// released (datasketch's `MinHash.bulk`).
    #[classmethod]
    #[pyo3(signature = (b, num_perm=128, seed=1, hashfunc=None))]
    fn bulk(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        b: &Bound<'_, PyAny>,
        num_perm: usize,
        seed: u64,
        hashfunc: Option<Py<PyAny>>,
    ) -> PyResult<Vec<MinHash>> {
        use rayon::prelude::*;
        let proto = MinHash::new(py, num_perm, seed, hashfunc, None, None, None)?;
        let sets: Vec<Vec<u64>> = b
            .try_iter()?
            .map(|s| proto.hashes(&s?))
            .collect::<PyResult<_>>()?;
        let sketcher = proto.sketcher.clone();
        let sigs: Vec<Vec<u32>> = py.detach(|| {
            sets.par_iter()
                .map(|items| {
                    let mut sig = sketcher.empty();
                    sketcher.update(&mut sig, items);
                    sig
                })
                .collect()
        });
        Ok(sigs
            .into_iter()
            .map(|sig| MinHash {
                sketcher: sketcher.clone(),
                sig,
                hashfunc: proto.hashfunc.as_ref().map(|f| f.clone_ref(py)),
            })
            .collect())
    }

    /// `bulk`, as an iterator (datasketch's `MinHash.generator`).
    #[classmethod]
    #[pyo3(signature = (b, num_perm=128, seed=1, hashfunc=None))]
    fn generator<'py>(
        cls: &Bound<'py, PyType>,
        py: Python<'py>,
        b: &Bound<'py, PyAny>,
        num_perm: usize,
        seed: u64,
        hashfunc: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let all = Self::bulk(cls, py, b, num_perm, seed, hashfunc)?;
        Ok(PyList::new(py, all)?.try_iter()?.into_any())
    }

    /// The sketch of the union of several MinHash.
    #[classmethod]
    #[pyo3(signature = (*mhs))]
    fn union(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        mhs: Vec<PyRef<'_, MinHash>>,
    ) -> PyResult<MinHash> {
        let Some(first) = mhs.first() else {
            return Err(PyValueError::new_err("cannot union zero MinHash"));
        };
        let mut out = first.copy(py);
        for m in &mhs[1..] {
            out.check_same(m, "union")?;
            merge(&mut out.sig, &m.sig);
        }
        Ok(out)
    }
}

/// datasketch's `MinHashLSH`: keys with their MinHash, queried for the keys
/// whose Jaccard probably exceeds the threshold.
#[pyclass(module = "neardup.compat", name = "MinHashLSH", subclass)]
pub struct MinHashLSH {
    table: LshTable,
    threshold: f64,
    /// Key -> its number in `table`.
    ids: Py<PyDict>,
    /// Number -> key.
    keys: HashMap<u64, Py<PyAny>>,
    next: u64,
}

impl MinHashLSH {
    fn do_insert(
        &mut self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        minhash: &MinHash,
        check_duplication: bool,
    ) -> PyResult<()> {
        if minhash.sig.len() != self.table.perms() {
            return Err(PyValueError::new_err(format!(
                "expecting minhash with num_perm {}, got {}",
                self.table.perms(),
                minhash.sig.len()
            )));
        }
        let ids = self.ids.bind(py);
        if let Some(old) = ids.get_item(key)? {
            if check_duplication {
                return Err(PyValueError::new_err("The given key already exists"));
            }
            let old: u64 = old.extract()?;
            self.table.remove(old);
            self.keys.remove(&old);
        }
        let id = self.next;
        self.next += 1;
        self.table.insert(id, &minhash.sig).py_err(py)?;
        ids.set_item(key, id)?;
        self.keys.insert(id, key.clone().unbind());
        Ok(())
    }
}

#[pymethods]
impl MinHashLSH {
    #[new]
    #[pyo3(signature = (threshold=0.9, num_perm=128, weights=(0.5, 0.5), params=None, storage_config=None, prepickle=None, hashfunc=None, *, num_bands=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        threshold: f64,
        num_perm: usize,
        weights: (f64, f64),
        params: Option<(usize, usize)>,
        storage_config: Option<&Bound<'_, PyAny>>,
        prepickle: Option<&Bound<'_, PyAny>>,
        hashfunc: Option<&Bound<'_, PyAny>>,
        num_bands: Option<usize>,
    ) -> PyResult<MinHashLSH> {
        if storage_config.is_some_and(|s| !s.is_none()) {
            return Err(PyTypeError::new_err(
                "storage_config is not supported: neardup.compat keeps the table in memory \
                 (see neardup.Index for a persistent index)",
            ));
        }
        let _ = (prepickle, hashfunc); // keys are kept as given
        let params = match (params, num_bands) {
            (Some(p), _) => Some(p),
            (None, Some(b)) if b > 0 => Some((b, num_perm / b)),
            (None, Some(_)) => {
                return Err(crate::errors::config_error(
                    py,
                    "num_bands must be at least 1",
                ))
            }
            (None, None) => None,
        };
        let table = match params {
            Some((bands, rows)) => LshTable::with_banding(num_perm, Banding { bands, rows }),
            None => LshTable::new(threshold, num_perm, weights),
        }
        .py_err(py)?;
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(crate::errors::config_error(
                py,
                format!("threshold must be in (0, 1], got {threshold}"),
            ));
        }
        Ok(MinHashLSH {
            table,
            threshold,
            ids: PyDict::new(py).unbind(),
            keys: HashMap::new(),
            next: 0,
        })
    }

    /// Adds `key` with its MinHash. With `check_duplication`, a key already
    /// there is a `ValueError`; without, it is replaced.
    #[pyo3(signature = (key, minhash, check_duplication=true))]
    fn insert(
        &mut self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        minhash: PyRef<'_, MinHash>,
        check_duplication: bool,
    ) -> PyResult<()> {
        self.do_insert(py, key, &minhash, check_duplication)
    }

    /// Keys whose MinHash shares a band with `minhash`, in insertion order.
    fn query<'py>(
        &self,
        py: Python<'py>,
        minhash: PyRef<'_, MinHash>,
    ) -> PyResult<Bound<'py, PyList>> {
        if minhash.sig.len() != self.table.perms() {
            return Err(PyValueError::new_err(format!(
                "expecting minhash with num_perm {}, got {}",
                self.table.perms(),
                minhash.sig.len()
            )));
        }
        let found = self.table.query(&minhash.sig).py_err(py)?;
        PyList::new(py, found.iter().map(|id| self.keys[id].bind(py)))
    }

    /// Removes `key` (a `ValueError` when it is not there).
    fn remove(&mut self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<()> {
        let ids = self.ids.bind(py);
        let Some(id) = ids.get_item(key)? else {
            return Err(PyValueError::new_err("The given key does not exist"));
        };
        let id: u64 = id.extract()?;
        ids.del_item(key)?;
        self.table.remove(id);
        self.keys.remove(&id);
        Ok(())
    }

    /// A context in which to insert many keys (datasketch's call shape;
    /// keys are inserted at once).
    #[pyo3(signature = (buffer_size=50000))]
    fn insertion_session(slf: Py<Self>, buffer_size: usize) -> InsertionSession {
        let _ = buffer_size;
        InsertionSession { lsh: slf }
    }

    /// Whether no key was inserted.
    fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The threshold given.
    #[getter]
    fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Bands and rows per band, as datasketch's `b` and `r`.
    #[getter]
    fn b(&self) -> usize {
        self.table.banding().bands
    }

    /// Rows per band.
    #[getter]
    fn r(&self) -> usize {
        self.table.banding().rows
    }

    fn __contains__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.ids.bind(py).contains(key)
    }

    fn __len__(&self) -> usize {
        self.table.len()
    }
}

/// What `MinHashLSH.insertion_session()` gives.
#[pyclass(module = "neardup.compat", name = "MinHashLSHInsertionSession")]
pub struct InsertionSession {
    lsh: Py<MinHashLSH>,
}

#[pymethods]
impl InsertionSession {
    /// Adds `key` with its MinHash (see `MinHashLSH.insert`).
    #[pyo3(signature = (key, minhash, check_duplication=true))]
    fn insert(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        minhash: PyRef<'_, MinHash>,
        check_duplication: bool,
    ) -> PyResult<()> {
        self.lsh
            .bind(py)
            .borrow_mut()
            .do_insert(py, key, &minhash, check_duplication)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> bool {
        false
    }
}
