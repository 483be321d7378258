//! Time is a parameter: every deadline, retry and timestamp reads an injected
//! clock, so tests drive three weeks in milliseconds without sleeping.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    fn now(&self) -> OffsetDateTime;
}

pub type SharedClock = Arc<dyn Clock>;

/// The wall clock, in UTC.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that moves only when told to. Shared by every node of a test
/// federation so that they agree on "now".
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Arc<Self> {
        Arc::new(ManualClock(Mutex::new(start)))
    }
    /// Starts at the current wall-clock time (certificates are checked against
    /// it, so a test clock must stay inside their validity).
    pub fn starting_now() -> Arc<Self> {
        Self::new(OffsetDateTime::now_utc())
    }
    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
    pub fn set(&self, to: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Milliseconds since the Unix epoch: how times are stored.
/// The earlier of two moments, either of which may be unset.
pub fn earliest<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub fn to_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// RFC 3339, for humans and JSON.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Protocol timestamps (always UTC).
pub fn to_timestamp(t: OffsetDateTime) -> pbjson_types::Timestamp {
    pbjson_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: t.nanosecond() as i32,
    }
}

pub fn from_timestamp(ts: &pbjson_types::Timestamp) -> Option<OffsetDateTime> {
    let nanos = i128::from(ts.seconds) * 1_000_000_000 + i128::from(ts.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// The wall clock moved forward by an offset read from a file
/// (`simulated_clock_offset_file`): lets a benchmark take a federation of
/// real processes through a simulated week without waiting one. Never for
/// production: a node says at start, at WARN, that its clock is simulated.
///
/// The file holds whole seconds. The offset only grows: a smaller value is
/// refused and the clock keeps its offset, so time never runs back.
#[derive(Debug)]
pub struct SimulatedClock {
    path: std::path::PathBuf,
    offset_secs: std::sync::atomic::AtomicI64,
}

/// Why an offset file was not taken.
#[derive(Debug, thiserror::Error)]
pub enum OffsetError {
    #[error("{path}: {error}")]
    Unreadable { path: String, error: String },
    #[error("{path}: not a whole number of seconds from 0 to {MAX_OFFSET_SECS}")]
    Malformed { path: String },
    #[error("{path}: {offset} s would move the clock back from {current} s")]
    Backwards {
        path: String,
        offset: i64,
        current: i64,
    },
}

/// Ten years: far more than any simulation needs, and no overflow.
const MAX_OFFSET_SECS: i64 = 10 * 366 * 86_400;

impl SimulatedClock {
    /// Reads the offset at `path` (which must hold one).
    pub fn open(path: &std::path::Path) -> Result<Arc<Self>, OffsetError> {
        let clock = SimulatedClock {
            path: path.to_path_buf(),
            offset_secs: std::sync::atomic::AtomicI64::new(0),
        };
        clock.reload()?;
        Ok(Arc::new(clock))
    }

    /// Reads the file again; the new offset if it changed.
    pub fn reload(&self) -> Result<Option<i64>, OffsetError> {
        use std::sync::atomic::Ordering;
        let path = self.path.display().to_string();
        let text = std::fs::read_to_string(&self.path).map_err(|e| OffsetError::Unreadable {
            path: path.clone(),
            error: e.to_string(),
        })?;
        let offset = text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|s| (0..=MAX_OFFSET_SECS).contains(s))
            .ok_or(OffsetError::Malformed { path: path.clone() })?;
        let current = self.offset_secs.load(Ordering::Relaxed);
        if offset < current {
            return Err(OffsetError::Backwards {
                path,
                offset,
                current,
            });
        }
        self.offset_secs.store(offset, Ordering::Relaxed);
        Ok((offset != current).then_some(offset))
    }

    pub fn offset(&self) -> time::Duration {
        time::Duration::seconds(self.offset_secs.load(std::sync::atomic::Ordering::Relaxed))
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simulated_clock_moves_forward_with_its_file_and_never_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("offset");
        std::fs::write(&file, "0\n").unwrap();
        let clock = SimulatedClock::open(&file).unwrap();
        let before = OffsetDateTime::now_utc();
        assert!(clock.now() >= before && clock.now() < before + time::Duration::hours(1));

        let week = 7 * 86_400;
        std::fs::write(&file, format!("{week}\n")).unwrap();
        assert_eq!(clock.reload().unwrap(), Some(week));
        assert!(clock.now() >= before + time::Duration::days(7));
        assert_eq!(clock.reload().unwrap(), None, "unchanged");

        // Back, or nonsense: refused, and the clock keeps its week.
        std::fs::write(&file, "60").unwrap();
        let e = clock.reload().unwrap_err().to_string();
        assert!(e.contains("move the clock back"), "{e}");
        std::fs::write(&file, "a week").unwrap();
        let e = clock.reload().unwrap_err().to_string();
        assert!(e.contains("whole number of seconds"), "{e}");
        assert_eq!(clock.offset(), time::Duration::days(7));
    }
}
