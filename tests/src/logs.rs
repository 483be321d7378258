//! Every tracing event of the process, captured in memory: for tests that
//! check what the nodes log (nothing marked, nothing of a message's content).
//! The subscriber is global to the process, so a test that captures runs in
//! a test binary of its own.

use std::io;
use std::sync::{Arc, Mutex};

use anyhow::anyhow;

/// An in-memory log, shared with the subscriber.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Every event of every crate, at TRACE, including `log` records (sqlx,
/// rustls), written to memory.
pub fn capture_all() -> anyhow::Result<Captured> {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .map_err(|e| anyhow!("installing the log capture: {e}"))?;
    Ok(captured)
}
