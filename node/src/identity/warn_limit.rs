//! Refusals are logged at WARN, but a client that fails on purpose, or a
//! misconfigured peer retrying in a loop, must not flood the log: at most
//! `per_second` lines per reason each second; the next line logged for that
//! reason says how many were left out in between.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lines logged per reason and second, at most.
pub const WARNINGS_PER_SECOND: u32 = 5;

#[derive(Debug)]
pub struct WarnLimiter {
    per_second: u32,
    windows: Mutex<HashMap<&'static str, Window>>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    logged: u32,
    /// Left out since the last line logged for this reason.
    suppressed: u64,
}

impl Default for WarnLimiter {
    fn default() -> Self {
        WarnLimiter::new(WARNINGS_PER_SECOND)
    }
}

impl WarnLimiter {
    pub fn new(per_second: u32) -> Self {
        WarnLimiter {
            per_second,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a line for `reason` may be logged at `now`: `Some(n)`, with
    /// `n` the lines left out since the last one, or `None` to leave it out.
    /// Reasons are a small fixed set (static strings), so the map stays small.
    pub fn admit(&self, reason: &'static str, now: Instant) -> Option<u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let w = windows.entry(reason).or_insert(Window {
            started: now,
            logged: 0,
            suppressed: 0,
        });
        if now.saturating_duration_since(w.started) >= Duration::from_secs(1) {
            w.started = now;
            w.logged = 0;
        }
        if w.logged < self.per_second {
            w.logged += 1;
            Some(std::mem::take(&mut w.suppressed))
        } else {
            w.suppressed += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_n_lines_per_reason_each_second_then_the_count_left_out() {
        let limiter = WarnLimiter::new(2);
        let t = Instant::now();
        assert_eq!(limiter.admit("revoked", t), Some(0));
        assert_eq!(limiter.admit("revoked", t), Some(0));
        assert_eq!(limiter.admit("revoked", t), None);
        assert_eq!(
            limiter.admit("revoked", t + Duration::from_millis(999)),
            None
        );
        // Another reason has its own allowance.
        assert_eq!(limiter.admit("expired", t), Some(0));
        // The next second: the first line says how many were left out.
        let later = t + Duration::from_secs(1);
        assert_eq!(limiter.admit("revoked", later), Some(2));
        assert_eq!(limiter.admit("revoked", later), Some(0));
        assert_eq!(limiter.admit("revoked", later), None);
        assert_eq!(
            limiter.admit("revoked", later + Duration::from_secs(5)),
            Some(1)
        );
    }
}
