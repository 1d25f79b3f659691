//! Keyword arguments into a [`Config`] and the per-call settings, with the
//! CLI's names (`--lsh-threshold` is `lsh_threshold=`) and defaults.

use neardup::minhash::Scheme;
use neardup::{Config, CorpusOptions};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};

use crate::errors::{config_error, IntoPy};

/// Settings of the engine, in the order the documentation lists them.
pub const CONFIG_KEYS: [&str; 14] = [
    "threshold",
    "containment",
    "shingle",
    "perms",
    "bands",
    "lsh_threshold",
    "min_containment_shingles",
    "containment_min_jaccard",
    "boilerplate_docs",
    "boilerplate_share",
    "linkage",
    "seed",
    "scheme",
    "exact",
];

/// What a call was given.
pub struct Options {
    /// The engine configuration (validated).
    pub config: Config,
    /// Rayon threads for this call (`None`: the global pool, all cores).
    pub threads: Option<usize>,
    /// Shingle sets kept in memory, in bytes (`None`: the library default).
    pub memory_budget: Option<usize>,
    /// How inputs are read (`scan_paths`).
    pub corpus: CorpusOptions,
    /// Width of an index's df sketch (`Index.create`).
    pub sketch_bits: Option<u32>,
    /// Whether any engine setting was given.
    pub any_config: bool,
}

/// A non-negative integer argument.
fn int(py: Python<'_>, name: &str, v: &Bound<'_, PyAny>) -> PyResult<u64> {
    if v.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an int, not bool"
        )));
    }
    let i: i128 = v.extract().map_err(|_| {
        PyTypeError::new_err(format!("{name} must be an int, not {}", type_name(v)))
    })?;
    u64::try_from(i).map_err(|_| config_error(py, format!("{name} must be at least 0, got {i}")))
}

/// The `threads=` argument: `None` (or Python's `None`) for all cores, else
/// a count of at least 1.
pub fn threads(py: Python<'_>, v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<usize>> {
    match v.filter(|v| !v.is_none()) {
        None => Ok(None),
        Some(v) => match size(py, "threads", v)? {
            0 => Err(config_error(py, "threads must be at least 1")),
            n => Ok(Some(n)),
        },
    }
}

/// A `usize` argument.
pub fn size(py: Python<'_>, name: &str, v: &Bound<'_, PyAny>) -> PyResult<usize> {
    let i = int(py, name, v)?;
    usize::try_from(i).map_err(|_| config_error(py, format!("{name} is too large: {i}")))
}

/// A float argument (an int is taken too).
fn float(name: &str, v: &Bound<'_, PyAny>) -> PyResult<f64> {
    if v.is_instance_of::<PyBool>() || v.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a number, not {}",
            type_name(v)
        )));
    }
    v.extract()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a number, not {}", type_name(v))))
}

/// The Python type name of a value, for messages.
pub fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Parses keyword arguments: the engine settings plus the `extra` names
/// this call takes. `None` values mean "the default".
pub fn parse(
    py: Python<'_>,
    kwargs: Option<&Bound<'_, PyDict>>,
    extra: &[&str],
) -> PyResult<Options> {
    let mut b = Config::builder();
    let mut out = Options {
        config: Config::default(),
        threads: None,
        memory_budget: None,
        corpus: CorpusOptions::default(),
        sketch_bits: None,
        any_config: false,
    };
    if let Some(kwargs) = kwargs {
        for (k, v) in kwargs.iter() {
            let key: String = k.extract()?;
            let key = key.as_str();
            if !CONFIG_KEYS.contains(&key) && !extra.contains(&key) {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument {key:?} (engine settings: {})",
                    CONFIG_KEYS.join(", ")
                )));
            }
            if v.is_none() {
                continue;
            }
            out.any_config |= CONFIG_KEYS.contains(&key);
            b = match key {
                "threshold" => b.threshold(float(key, &v)?),
                "containment" => b.containment(float(key, &v)?),
                "shingle" => b.shingle(size(py, key, &v)?),
                "perms" => b.perms(size(py, key, &v)?),
                "bands" => b.bands(size(py, key, &v)?),
                "lsh_threshold" => b.lsh_threshold(float(key, &v)?),
                "min_containment_shingles" => b.min_containment_shingles(size(py, key, &v)?),
                "containment_min_jaccard" => b.containment_min_jaccard(float(key, &v)?),
                "boilerplate_docs" => b.boilerplate_min_docs(size(py, key, &v)?),
                "boilerplate_share" => b.boilerplate_share(float(key, &v)?),
                "linkage" => b.linkage(float(key, &v)?),
                "seed" => b.seed(int(py, key, &v)?),
                "scheme" => {
                    let s: String = v.extract().map_err(|_| {
                        PyTypeError::new_err(format!("scheme must be a str, not {}", type_name(&v)))
                    })?;
                    b.scheme(match s.replace('_', "-").as_str() {
                        "one-permutation" => Scheme::OnePermutation,
                        "classic" => Scheme::Classic,
                        _ => {
                            return Err(config_error(
                                py,
                                format!(
                                    "scheme must be \"one-permutation\" or \"classic\", got {s:?}"
                                ),
                            ))
                        }
                    })
                }
                "exact" => b.exact(v.extract::<bool>().map_err(|_| {
                    PyTypeError::new_err(format!("exact must be a bool, not {}", type_name(&v)))
                })?),
                "threads" => {
                    out.threads = threads(py, Some(&v))?;
                    b
                }
                "memory_budget" => {
                    let mb = size(py, key, &v)?;
                    out.memory_budget = Some(mb.saturating_mul(1 << 20));
                    b
                }
                "id_field" => {
                    out.corpus.id_field = v.extract()?;
                    b
                }
                "text_field" => {
                    out.corpus.text_field = v.extract()?;
                    b
                }
                "max_doc_bytes" => {
                    out.corpus.max_doc_bytes = int(py, key, &v)?;
                    b
                }
                "sketch_bits" => {
                    let bits = int(py, key, &v)?;
                    out.sketch_bits = Some(u32::try_from(bits).map_err(|_| {
                        config_error(py, format!("sketch_bits is too large: {bits}"))
                    })?);
                    b
                }
                _ => unreachable!("checked above"),
            };
        }
    }
    out.config = b.build().py_err(py)?;
    Ok(out)
}

/// Runs `f` with the GIL released: on the global rayon pool (all cores),
/// or on a pool of exactly `threads` threads built for this call.
pub fn run<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    py.detach(|| match threads {
        None => Ok(f()),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map(|pool| pool.install(f))
            .map_err(|e| e.to_string()),
    })
    .map_err(|e| PyRuntimeError::new_err(format!("cannot start the thread pool: {e}")))
}

/// The configuration as a dict (the settings' names as keyword arguments).
pub fn config_dict<'py>(py: Python<'py>, c: &Config) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("threshold", c.threshold())?;
    d.set_item("containment", c.containment())?;
    d.set_item("shingle", c.shingle())?;
    d.set_item("perms", c.perms())?;
    d.set_item("bands", c.banding().bands)?;
    d.set_item("lsh_threshold", c.lsh_threshold())?;
    d.set_item("min_containment_shingles", c.min_containment_shingles())?;
    d.set_item("containment_min_jaccard", c.containment_min_jaccard())?;
    d.set_item("boilerplate_docs", c.boilerplate_min_docs())?;
    d.set_item("boilerplate_share", c.boilerplate_share())?;
    d.set_item("linkage", c.linkage())?;
    d.set_item("seed", c.seed())?;
    d.set_item("scheme", c.scheme().as_str())?;
    d.set_item("exact", c.exact())?;
    Ok(d)
}
