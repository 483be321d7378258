//! Cases and traces, as plain domain logic: the lifecycle of one trace
//! (`machine`), the completeness check of an incoming request (`completeness`,
//! 10.2) and the chain of traces that follows the items from state to state
//! (`chain`), the follow-ups it drafts (`draft`), which requests are the
//! same (`duplicate`), the one table of payload kinds (`kinds`), and the
//! page of a large request's items a view shows (`items`). No I/O: the
//! store and the handlers call these.
pub mod chain;
pub mod completeness;
pub mod draft;
pub mod duplicate;
pub mod items;
pub mod kinds;
pub mod machine;
pub mod role;
