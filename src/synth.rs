//! Synthetic labeled syndication corpora (work in progress).
