//! Texts and ids handed in from Python, read where they are: `str` objects
//! through their UTF-8 form, pyarrow string arrays through their buffers.
//! Nothing is copied; the objects are held until the call returns.

use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use rayon::prelude::*;

use crate::options::type_name;

/// One chunk of a pyarrow `string` or `large_string` array.
pub struct ArrowChunk {
    offsets: PyUntypedBuffer,
    data: Option<PyUntypedBuffer>,
    /// The array's offset into its buffers, in elements.
    offset: usize,
    len: usize,
    /// 64-bit offsets (`large_string`).
    large: bool,
}

/// A sequence of texts from Python.
pub enum Texts<'py> {
    /// `str` objects.
    Str(Vec<Bound<'py, PyString>>),
    /// pyarrow chunks (see `neardup/_arrow.py`).
    Arrow(Vec<ArrowChunk>),
}

impl<'py> Texts<'py> {
    /// Reads `obj`: a list, tuple or other iterable of `str` (not a `str`
    /// itself), or the chunks `neardup._arrow` made of a pyarrow array.
    /// `what` names the argument in messages.
    pub fn extract(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Texts<'py>> {
        if let Ok(chunks) = obj.getattr("_neardup_arrow_chunks") {
            let mut out = Vec::new();
            for c in chunks.try_iter()? {
                let (offsets, data, offset, len, large): (
                    Bound<'py, PyAny>,
                    Bound<'py, PyAny>,
                    usize,
                    usize,
                    bool,
                ) = c?.extract()?;
                out.push(ArrowChunk {
                    offsets: PyUntypedBuffer::get(&offsets)?,
                    data: if data.is_none() {
                        None
                    } else {
                        Some(PyUntypedBuffer::get(&data)?)
                    },
                    offset,
                    len,
                    large,
                });
            }
            return Ok(Texts::Arrow(out));
        }
        if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err(format!(
                "{what} must be a list of str (or a pyarrow string array), not a single {}",
                type_name(obj)
            )));
        }
        let item = |i: usize, x: Bound<'py, PyAny>| -> PyResult<Bound<'py, PyString>> {
            x.cast_into::<PyString>().map_err(|e| {
                PyTypeError::new_err(format!(
                    "{what}[{i}] must be a str, not {}",
                    type_name(e.into_inner().as_any())
                ))
            })
        };
        let items: Vec<Bound<'py, PyString>> = if let Ok(list) = obj.cast::<PyList>() {
            list.iter()
                .enumerate()
                .map(|(i, x)| item(i, x))
                .collect::<PyResult<_>>()?
        } else if let Ok(tuple) = obj.cast::<PyTuple>() {
            tuple
                .iter()
                .enumerate()
                .map(|(i, x)| item(i, x))
                .collect::<PyResult<_>>()?
        } else {
            let iter = obj.try_iter().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{what} must be a list of str (or a pyarrow string array), not {}",
                    type_name(obj)
                ))
            })?;
            let mut v = Vec::new();
            for (i, x) in iter.enumerate() {
                v.push(item(i, x?)?);
            }
            v
        };
        Ok(Texts::Str(items))
    }

    /// Number of texts.
    pub fn len(&self) -> usize {
        match self {
            Texts::Str(v) => v.len(),
            Texts::Arrow(chunks) => chunks.iter().map(|c| c.len).sum(),
        }
    }

    /// The elements' bytes, unchecked (pyarrow `binary` arrays).
    pub fn bytes(&self, what: &str) -> PyResult<Vec<&[u8]>> {
        match self {
            Texts::Str(_) => Err(PyTypeError::new_err(format!(
                "{what} must be a pyarrow binary array"
            ))),
            Texts::Arrow(chunks) => {
                let mut bytes: Vec<&[u8]> = Vec::with_capacity(self.len());
                for c in chunks {
                    c.slices(what, bytes.len(), &mut bytes)?;
                }
                Ok(bytes)
            }
        }
    }

    /// The texts as string slices (valid while `self` lives). Arrow
    /// offsets are checked here and the bytes validated as UTF-8 in
    /// parallel with the GIL released.
    pub fn strs(&self, py: Python<'_>, what: &str) -> PyResult<Vec<&str>> {
        match self {
            Texts::Str(v) => v
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    s.to_str().map_err(|e| {
                        PyValueError::new_err(format!("{what}[{i}] is not valid Unicode: {e}"))
                    })
                })
                .collect(),
            Texts::Arrow(chunks) => {
                let mut bytes: Vec<&[u8]> = Vec::with_capacity(self.len());
                for c in chunks {
                    c.slices(what, bytes.len(), &mut bytes)?;
                }
                let checked: Result<Vec<&str>, usize> = py.detach(|| {
                    bytes
                        .par_iter()
                        .enumerate()
                        .map(|(i, b)| std::str::from_utf8(b).map_err(|_| i))
                        .collect()
                });
                checked
                    .map_err(|i| PyValueError::new_err(format!("{what}[{i}] is not valid UTF-8")))
            }
        }
    }
}

/// The bytes of a buffer (empty for none).
fn buffer_bytes(b: Option<&PyUntypedBuffer>) -> &[u8] {
    match b {
        // SAFETY: a buffer of `len_bytes` bytes at `buf_ptr`, kept
        // alive (and, pyarrow buffers being immutable, unchanged) by the
        // `PyBuffer` this borrows from.
        Some(b) if b.len_bytes() > 0 && b.is_c_contiguous() => unsafe {
            std::slice::from_raw_parts(b.buf_ptr() as *const u8, b.len_bytes())
        },
        _ => &[],
    }
}

impl ArrowChunk {
    /// Appends each element's bytes to `out`; `first` is the index of the
    /// chunk's first element in the whole array (for messages).
    fn slices<'a>(&'a self, what: &str, first: usize, out: &mut Vec<&'a [u8]>) -> PyResult<()> {
        let bad = |m: String| PyValueError::new_err(format!("{what}: malformed arrow array: {m}"));
        let offsets = buffer_bytes(Some(&self.offsets));
        let data = buffer_bytes(self.data.as_ref());
        let width = if self.large { 8 } else { 4 };
        let need = (self.offset + self.len + 1) * width;
        if self.len > 0 && offsets.len() < need {
            return Err(bad(format!(
                "{} bytes of offsets, {need} needed",
                offsets.len()
            )));
        }
        let at = |i: usize| -> i64 {
            let o = &offsets[i * width..(i + 1) * width];
            if self.large {
                i64::from_le_bytes(o.try_into().expect("8 bytes"))
            } else {
                i32::from_le_bytes(o.try_into().expect("4 bytes")) as i64
            }
        };
        for i in 0..self.len {
            let (s, e) = (at(self.offset + i), at(self.offset + i + 1));
            if s < 0 || e < s || e as u64 > data.len() as u64 {
                return Err(bad(format!(
                    "element {} spans bytes {s}..{e} of {}",
                    first + i,
                    data.len()
                )));
            }
            out.push(&data[s as usize..e as usize]);
        }
        Ok(())
    }
}
