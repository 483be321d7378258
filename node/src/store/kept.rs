//! What a read found, kept in memory where this process alone writes it
//! (SQLite): read on every delivery, changed rarely. Each change bumps the
//! generation once its write has returned, committed or not; a read is
//! kept only if no change was made while it ran.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::StoreError;

pub struct Kept<T> {
    generation: AtomicU64,
    kept: Mutex<Option<(u64, Arc<T>)>>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept {
            generation: AtomicU64::new(0),
            kept: Mutex::new(None),
        }
    }
}

impl<T> Kept<T> {
    /// The value kept, or what `read` finds (kept, unless a change came
    /// while it ran).
    pub async fn get<F>(&self, read: F) -> Result<Arc<T>, StoreError>
    where
        F: Future<Output = Result<T, StoreError>>,
    {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some((kept_at, kept)) = &*self.lock()
            && *kept_at == generation
        {
            return Ok(kept.clone());
        }
        let read = Arc::new(read.await?);
        let mut kept = self.lock();
        if self.generation.load(Ordering::Acquire) == generation {
            *kept = Some((generation, read.clone()));
        }
        Ok(read)
    }

    /// After a write that may change the value returned: read it again
    /// next time.
    pub fn changed(&self) {
        let mut kept = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        *kept = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(u64, Arc<T>)>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_during_a_read_keeps_that_read_from_being_kept() {
        let kept = Kept::<u32>::default();
        assert_eq!(*kept.get(async { Ok(1) }).await.unwrap(), 1);
        assert_eq!(*kept.get(async { Ok(2) }).await.unwrap(), 1, "kept");
        kept.changed();
        // A change committed while this read runs: its result is not kept.
        let read = kept.get(async {
            kept.changed();
            Ok(3)
        });
        assert_eq!(*read.await.unwrap(), 3);
        assert_eq!(*kept.get(async { Ok(4) }).await.unwrap(), 4);
        assert_eq!(*kept.get(async { Ok(5) }).await.unwrap(), 4);
    }
}
