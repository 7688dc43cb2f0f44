//! Time, passed in wherever "now" matters (ARCHITECTURE: nothing reads the system
//! time directly), so tests and `--now` run on a chosen clock. It lives here, at the
//! bottom of the layers, so the engine and the protocol front-ends share one clock.

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// [`Clock::now`] in the store's unit: milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64 {
        crate::millis(self.now())
    }
}

/// So that configurations holding an `Arc<dyn Clock>` can derive `Debug`.
impl fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock shifted by an offset that can be advanced: tests move time
/// forward (12-hour and 24-hour timers) while everything else runs for real.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: Mutex<Duration>,
}

impl OffsetClock {
    pub fn new(offset: Duration) -> Self {
        OffsetClock {
            offset: Mutex::new(offset),
        }
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut o) = self.offset.lock() {
            *o += by;
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = self.offset.lock().map(|o| *o).unwrap_or_default();
        Utc::now() + offset
    }
}
