//! Data parallelism without a dependency: split a slice into one contiguous run per core,
//! map each run on its own thread, and put the results back in order. Each worker has its
//! own [`Diagnostics`], merged afterwards, so output never depends on scheduling.

use crate::diag::Diagnostics;

/// How many workers to use: the machine's cores, at most 8.
pub fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
}

/// Maps `items` with `f` on up to [`workers`] threads; results keep the order of `items`.
/// Runs shorter than `min_per_worker` items stay on fewer threads (spawning costs ~20 µs).
pub fn map<T: Sync, R: Send>(
    items: &[T],
    min_per_worker: usize,
    diags: &mut Diagnostics,
    f: impl Fn(&T, &mut Diagnostics) -> R + Sync,
) -> Vec<R> {
    map_with(
        items,
        min_per_worker,
        diags,
        |_| (),
        |(), item, d| f(item, d),
    )
}

/// Like [`map`], with per-worker state made by `init` on the worker's own thread (for
/// values that cannot cross threads, such as a template engine's state). Problems `init`
/// reports go to that worker's diagnostics.
pub fn map_with<T: Sync, S, R: Send>(
    items: &[T],
    min_per_worker: usize,
    diags: &mut Diagnostics,
    init: impl Fn(&mut Diagnostics) -> S + Sync,
    f: impl Fn(&mut S, &T, &mut Diagnostics) -> R + Sync,
) -> Vec<R> {
    let n = workers().min(items.len() / min_per_worker.max(1)).max(1);
    if n == 1 {
        let mut state = init(diags);
        return items.iter().map(|i| f(&mut state, i, diags)).collect();
    }
    let per = items.len().div_ceil(n);
    let (f, init) = (&f, &init);
    let parts: Vec<(Vec<R>, Diagnostics)> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|run| {
                s.spawn(move || {
                    let mut d = Diagnostics::default();
                    let mut state = init(&mut d);
                    let out: Vec<R> = run.iter().map(|i| f(&mut state, i, &mut d)).collect();
                    (out, d)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for (part, d) in parts {
        out.extend(part);
        diags.extend(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_and_diagnostics_are_merged() {
        let items: Vec<u32> = (0..1000).collect();
        let mut d = Diagnostics::default();
        let out = map(&items, 1, &mut d, |i, _| i * 2);
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(d.is_empty());
    }
}
