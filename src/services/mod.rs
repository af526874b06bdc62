//! Background services the server runs beside the API, as the reference's
//! server runs its perpetual services. Each runs on its own thread, never
//! on a read-only database, and stops when the server stops.

pub mod event_retention;
pub mod late_runs;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running service loop: dropping it stops the loop and waits for it.
pub struct Service {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Service {
    /// Runs `tick` at once and then every `every`, until stopped.
    pub fn spawn(name: &str, every: Duration, mut tick: impl FnMut() + Send + 'static) -> std::io::Result<Service> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new().name(name.to_string()).spawn(move || loop {
            tick();
            match stopped.recv_timeout(every) {
                Err(RecvTimeoutError::Timeout) => continue,
                // A message or a dropped sender: stop.
                _ => return,
            }
        })?;
        Ok(Service { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The services one server runs.
#[derive(Default)]
pub struct Services {
    pub running: Vec<Service>,
}

/// Starts the services `settings` enable over `db`; none on a read-only
/// database or server (they write).
pub fn start(db: &crate::db::Db, read_only: bool, settings: &late_runs::LateRunsSettings) -> std::io::Result<Services> {
    let mut out = Services::default();
    if read_only || db.is_read_only() {
        return Ok(out);
    }
    if settings.enabled {
        out.running.push(late_runs::start(db.clone(), settings.clone())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_service_ticks_at_once_and_stops_when_dropped() {
        let n = Arc::new(AtomicUsize::new(0));
        let seen = n.clone();
        let s = Service::spawn("test", Duration::from_secs(3600), move || {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .expect("spawns");
        // The first tick runs before the first wait; dropping joins the
        // thread, so the count is final once `drop` returns.
        drop(s);
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }
}
