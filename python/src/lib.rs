//! `neardup._neardup`: the extension module of the `neardup` Python package.
//!
//! A thin layer over the library's public API: arguments are turned into a
//! [`neardup::Config`] and documents, the work runs with the GIL released
//! (on rayon's global pool, or on a pool of `threads` built for the call),
//! and results become Python objects. The package's Python side
//! (`neardup/__init__.py`) gives the public functions their signatures and
//! documentation and calls in here.

use pyo3::prelude::*;

mod compat;
mod convert;
mod errors;
mod index;
mod options;
mod scan;
mod stages;
mod texts;

/// The extension module.
#[pymodule]
fn _neardup(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(scan::scan, m)?)?;
    m.add_function(wrap_pyfunction!(scan::scan_paths, m)?)?;
    m.add_function(wrap_pyfunction!(scan::explain, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_sign, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_screen, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_cut, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_verify, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_plan, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_counts_group, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_count_keys, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_boilerplate, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_cluster, m)?)?;
    m.add_function(wrap_pyfunction!(stages::stages_max_bucket, m)?)?;
    m.add_class::<scan::ScanResult>()?;
    m.add_class::<scan::Cluster>()?;
    m.add_class::<scan::Pair>()?;
    m.add_class::<scan::Skip>()?;
    m.add_class::<index::Index>()?;
    m.add_class::<index::IndexPair>()?;
    m.add_class::<index::Match>()?;
    m.add_class::<compat::MinHash>()?;
    m.add_class::<compat::MinHashLSH>()?;
    m.add_class::<compat::InsertionSession>()?;
    Ok(())
}
