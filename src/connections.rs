//! A bound on open connections, so a flood of idle or stalled clients
//! cannot use up the process's file descriptors. actix enforces the bound
//! per worker (further connections wait in the listen backlog); this
//! counts them across workers to say so once in the log when it is reached.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Debug)]
pub struct ConnectionCount {
    open: AtomicUsize,
    limit: usize,
    /// Set while the limit is reached, so the warning is logged once per episode.
    full: AtomicBool,
}

/// Lives as long as one connection (in its connection extensions).
pub struct Open(Arc<ConnectionCount>);

impl ConnectionCount {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(ConnectionCount { open: AtomicUsize::new(0), limit, full: AtomicBool::new(false) })
    }

    pub fn opened(self: &Arc<Self>) -> Open {
        let now = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        if now >= self.limit && !self.full.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                open = now,
                limit = self.limit,
                "connection limit reached: new connections wait until one closes (--max-connections)"
            );
        }
        Open(Arc::clone(self))
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        let now = self.0.open.fetch_sub(1, Ordering::Relaxed).saturating_sub(1);
        // Re-arm the warning once the pressure is well off.
        if now < self.0.limit * 9 / 10 {
            self.0.full.store(false, Ordering::Relaxed);
        }
    }
}

/// actix counts per worker: share the total out, at least one each.
pub fn per_worker(total: usize, workers: usize) -> usize {
    total.div_ceil(workers.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_open_connections_and_rearms_the_warning() {
        let c = ConnectionCount::new(2);
        let a = c.opened();
        let b = c.opened();
        assert_eq!(c.open(), 2);
        assert!(c.full.load(Ordering::Relaxed));
        drop(a);
        drop(b);
        assert_eq!(c.open(), 0);
        assert!(!c.full.load(Ordering::Relaxed));
    }

    #[test]
    fn shares_the_limit_among_workers() {
        assert_eq!(per_worker(768, 2), 384);
        assert_eq!(per_worker(5, 2), 3);
        assert_eq!(per_worker(1, 8), 1);
        assert_eq!(per_worker(10, 0), 10);
    }
}
