//! Memory the node freed, given back to the system once it is idle.
//!
//! glibc keeps what a thread freed in that thread's arena for the next
//! allocation, and gives back only the top of the main heap. After a large
//! request (a seized cache of 100,000 items is parsed, checked, stored and
//! sent as tens of millions of small allocations, all freed afterwards) a
//! node stayed hundreds of megabytes above idle, every byte of it free
//! (`malloc_trim` took a node from 292 MB back to 46 MB). `malloc_trim`
//! walks every arena and returns their free pages.

/// Returns the allocator's free pages to the system. Called when the
/// node has been idle a while (`store::SHRINK_WHEN_IDLE_FOR`): it walks
/// the whole heap, so not after every request.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn give_back_freed() {
    // SAFETY: malloc_trim only touches the allocator's own state, under
    // its locks; any thread may call it at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_freed() {}

/// Content at least this large (encoded) is given back as soon as it is
/// dropped, not once the node is idle.
pub const LARGE_CONTENT: usize = 4 << 20;

/// Gives back what content of `encoded_len` bytes (its payload, for a
/// message), just dropped, freed.
/// A request of 100,000 items decodes to 150 MB of small allocations: kept
/// by the allocator, they added to the writes that followed (each a few
/// large buffers, which it does not take from them), and GHA peaked at
/// their sum. The walk costs a few milliseconds, so only for large content.
pub fn give_back_after(encoded_len: usize) {
    if encoded_len >= LARGE_CONTENT {
        give_back_freed();
    }
}
