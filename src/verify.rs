//! Verification of candidate pairs against the real shingle sets.

/// Exact set similarity of two documents.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Similarity {
    /// `|A ∩ B| / |A ∪ B|`.
    pub jaccard: f64,
    /// `|A ∩ B| / min(|A|, |B|)`: 1 when the smaller set is inside the larger.
    pub containment: f64,
    /// `|A ∩ B|`.
    pub intersection: usize,
    /// `|A|`.
    pub size_a: usize,
    /// `|B|`.
    pub size_b: usize,
}

/// Size of the intersection of two sorted, repeat-free slices.
pub fn intersection_size<T: Ord + Copy>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += (x == y) as usize;
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
    n
}

/// Exact Jaccard and containment of two sorted, repeat-free shingle sets.
///
/// ```
/// use neardup::verify::similarity;
/// let s = similarity(&[1, 2, 3, 4], &[3, 4]);
/// assert_eq!(s.jaccard, 0.5);
/// assert_eq!(s.containment, 1.0);
/// ```
pub fn similarity<T: Ord + Copy>(a: &[T], b: &[T]) -> Similarity {
    let inter = intersection_size(a, b);
    let union = a.len() + b.len() - inter;
    let small = a.len().min(b.len());
    Similarity {
        jaccard: if union == 0 {
            0.0
        } else {
            inter as f64 / union as f64
        },
        containment: if small == 0 {
            0.0
        } else {
            inter as f64 / small as f64
        },
        intersection: inter,
        size_a: a.len(),
        size_b: b.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive() {
        let a: Vec<u64> = (0..100).map(|x| x * 3).collect();
        let b: Vec<u64> = (0..100).map(|x| x * 5).collect();
        let naive = a.iter().filter(|x| b.contains(x)).count();
        assert_eq!(intersection_size(&a, &b), naive);
        let s = similarity(&a, &b);
        assert!((s.jaccard - naive as f64 / (200 - naive) as f64).abs() < 1e-12);
    }

    #[test]
    fn empty_sets() {
        let s = similarity::<u64>(&[], &[]);
        assert_eq!((s.jaccard, s.containment), (0.0, 0.0));
    }
}
