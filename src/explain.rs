//! Passage alignment between two documents (work in progress).
