//! Library errors as Python exceptions.
//!
//! The exception classes are defined in Python (`neardup/_errors.py`), where
//! multiple bases are plain (`ConfigError` is both a `NeardupError` and a
//! `ValueError`); this module instantiates them with the library's message.

use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyKeyError, PyNotADirectoryError, PyOSError,
    PyPermissionError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

/// An instance of `neardup._errors.<name>(message)`, with `attrs` set on
/// it. Falls back to `RuntimeError` if the class cannot be had (a broken
/// installation), so that an error is never lost.
fn raise(py: Python<'_>, name: &str, message: String, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let class = py.import("neardup._errors")?.getattr(name)?;
        let exc = class.call1((message.clone(),))?;
        for (k, v) in attrs {
            exc.setattr(*k, v)?;
        }
        Ok(PyErr::from_value(exc))
    })();
    made.unwrap_or_else(|_| PyRuntimeError::new_err(message))
}

/// A `ConfigError` (a `ValueError`) with this message.
pub fn config_error(py: Python<'_>, message: impl Into<String>) -> PyErr {
    raise(py, "ConfigError", message.into(), &[])
}

/// An `OSError` of the subclass matching the I/O error's kind, with the
/// library's message (which names the file) and `errno`.
fn os_error(message: String, source: &std::io::Error) -> PyErr {
    use std::io::ErrorKind as K;
    // `OSError(errno, message)`: `errno` set, `str()` the library's
    // message (which names the file) after `[Errno N]`.
    fn make<E: pyo3::PyTypeInfo>(code: Option<i32>, message: String) -> PyErr {
        match code {
            Some(code) => PyErr::new::<E, _>((code, message)),
            None => PyErr::new::<E, _>(message),
        }
    }
    let code = source.raw_os_error();
    match source.kind() {
        K::NotFound => make::<PyFileNotFoundError>(code, message),
        K::PermissionDenied => make::<PyPermissionError>(code, message),
        K::NotADirectory => make::<PyNotADirectoryError>(code, message),
        K::IsADirectory => make::<PyIsADirectoryError>(code, message),
        _ => make::<PyOSError>(code, message),
    }
}

/// The Python exception for a library error.
pub fn to_py(py: Python<'_>, e: neardup::Error) -> PyErr {
    use neardup::Error as E;
    let message = e.to_string();
    let obj = |v: &dyn Fn(Python<'_>) -> PyResult<Py<PyAny>>| v(py).unwrap_or_else(|_| py.None());
    let text = |v: &str| obj(&|py| v.into_py_any(py));
    match &e {
        E::Config(_) => config_error(py, message),
        E::Input { source, .. } | E::Io { source, .. } => os_error(message, source),
        E::Truth { .. } => PyValueError::new_err(message),
        E::UnknownDocument(_) => PyKeyError::new_err(message),
        E::Index { path, .. } => {
            let attrs = [("path", text(&path.to_string_lossy()))];
            raise(py, "InvalidIndexError", message, &attrs)
        }
        E::IndexLocked { path, pid, stale } => {
            let attrs = [
                ("path", text(&path.to_string_lossy())),
                ("pid", obj(&|py| pid.into_py_any(py))),
                ("stale", obj(&|py| stale.into_py_any(py))),
            ];
            raise(py, "IndexLockedError", message, &attrs)
        }
        E::IndexConfigMismatch {
            setting,
            index,
            given,
            ..
        } => {
            let attrs = [
                ("setting", text(setting)),
                ("index_value", text(index)),
                ("given", text(given)),
            ];
            raise(py, "IndexConfigMismatchError", message, &attrs)
        }
        _ => raise(py, "NeardupError", message, &[]),
    }
}

/// `Result<T, neardup::Error>` into `PyResult<T>`.
pub trait IntoPy<T> {
    /// Converts the error, if any.
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, neardup::Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}
