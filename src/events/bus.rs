//! The live feed behind `GET /api/events/out`: events stored by a write are
//! staged on the writer thread and published to a bounded broadcast channel
//! only once the COMMIT holding them has succeeded (a write that rolls back
//! publishes nothing). A subscriber that falls more than [`CAPACITY`] events
//! behind loses the oldest ones (`RecvError::Lagged`) instead of growing
//! memory; the reference's subscriber queue likewise drops what does not fit.

use std::cell::RefCell;
use std::sync::Arc;

use tokio::sync::broadcast;

use super::schema::Doc;

pub type Published = Arc<Doc>;

/// Events a subscriber may fall behind before it loses the oldest.
pub const CAPACITY: usize = 1024;

thread_local! {
    static BUS: RefCell<Option<broadcast::Sender<Published>>> = const { RefCell::new(None) };
    static PENDING: RefCell<Vec<Published>> = const { RefCell::new(Vec::new()) };
}

pub fn channel() -> broadcast::Sender<Published> {
    broadcast::channel(CAPACITY).0
}

/// Makes `tx` the feed of events committed on this (the writer) thread.
pub fn install(tx: broadcast::Sender<Published>) {
    BUS.with(|b| *b.borrow_mut() = Some(tx));
}

/// Holds a stored event until its transaction commits. Only the writer
/// thread (which has a feed and publishes after each COMMIT) holds any, so
/// nothing piles up on a thread that never commits through the writer.
pub fn stage(event: Doc) {
    if BUS.with(|b| b.borrow().is_none()) {
        return;
    }
    PENDING.with(|p| p.borrow_mut().push(Arc::new(event)));
}

/// How many events are staged; a write that fails is undone back to it.
pub fn mark() -> usize {
    PENDING.with(|p| p.borrow().len())
}

pub fn rollback_to(mark: usize) {
    PENDING.with(|p| p.borrow_mut().truncate(mark));
}

/// After a group's COMMIT: publishes what it held, or drops it.
pub fn after_commit(committed: bool) {
    let staged = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    if !committed || staged.is_empty() {
        return;
    }
    BUS.with(|b| {
        if let Some(tx) = b.borrow().as_ref() {
            for e in staged {
                // No subscriber is not an error.
                let _ = tx.send(e);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishes_only_committed_events() {
        let tx = channel();
        let mut rx = tx.subscribe();
        install(tx);
        let ev = |n: i64| {
            let mut d = Doc::new();
            d.insert("n".into(), n.into());
            d
        };
        stage(ev(1));
        let m = mark();
        stage(ev(2));
        rollback_to(m);
        after_commit(true);
        assert_eq!(rx.try_recv().unwrap()["n"], 1);
        assert!(rx.try_recv().is_err());
        stage(ev(3));
        after_commit(false);
        assert!(rx.try_recv().is_err());
        assert_eq!(mark(), 0);
    }
}
