//! A serial producer overlapped with parallel work on what it produced.

/// Runs `work` on each batch that `batches` gives, in parallel on the pool,
/// and hands the outputs to `deliver` in batch order on this thread, which
/// also takes the batches: both are serial by nature (a sink in input
/// order, lines read from a stream). A few batches are kept in flight, so
/// the workers go on to the next batch while this thread delivers one, and
/// never wait at a batch's end for it to hand them the next.
pub(crate) fn pipelined<B: Send, O: Send>(
    batches: impl Iterator<Item = B>,
    work: impl Fn(B) -> O + Sync,
    mut deliver: impl FnMut(O),
) {
    use std::sync::mpsc;
    /// Batches given out beyond the one awaited. Four rather than two: the
    /// delivering thread shares the cores with the workers, and when it is
    /// not scheduled at once, two batches ahead could run out before it
    /// handed out more (100k `read` stage 10-20 ms shorter). At most five
    /// batches are in memory (of JSON Lines: 5 x 64 MiB at worst).
    const AHEAD: usize = 4;
    let work = &work;
    rayon::in_place_scope(|s| {
        let mut in_flight = std::collections::VecDeque::with_capacity(AHEAD + 1);
        for batch in batches {
            let (tx, rx) = mpsc::sync_channel(1);
            s.spawn(move |_| {
                // The receiver only goes away when a batch before this one
                // panicked: the scope then reports that panic.
                let _ = tx.send(work(batch));
            });
            in_flight.push_back(rx);
            if in_flight.len() > AHEAD {
                let rx = in_flight.pop_front().expect("more than AHEAD in flight");
                match wait(&rx) {
                    Some(out) => deliver(out),
                    None => return, // the batch panicked: the scope re-raises it
                }
            }
        }
        for rx in in_flight {
            match wait(&rx) {
                Some(out) => deliver(out),
                None => return,
            }
        }
    });
}

/// Waits for a batch's output: blocking when called from outside the pool,
/// running the pool's jobs meanwhile when called from one of its threads (a
/// blocked worker could leave the batch with no thread to run it). `None`
/// when the batch's job ended without an output (it panicked).
pub(crate) fn wait<O>(rx: &std::sync::mpsc::Receiver<O>) -> Option<O> {
    use std::sync::mpsc::TryRecvError;
    loop {
        match rx.try_recv() {
            Ok(out) => return Some(out),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => match rayon::yield_now() {
                None => return rx.recv().ok(),
                Some(rayon::Yield::Executed) => {}
                Some(rayon::Yield::Idle) => std::thread::yield_now(),
            },
        }
    }
}
