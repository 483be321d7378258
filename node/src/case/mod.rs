//! Cases and traces, as plain domain logic: the lifecycle of one trace
//! (`machine`), the completeness check of an incoming request (`completeness`,
//! 10.2) and the chain of traces that follows the items from state to state
//! (`chain`), the follow-ups it drafts (`draft`), which requests are the
//! same (`duplicate`), and the one table of payload kinds (`kinds`). No
//! I/O: the store and the handlers call these.
pub mod chain;
pub mod completeness;
pub mod draft;
pub mod duplicate;
pub mod kinds;
pub mod machine;
pub mod role;
