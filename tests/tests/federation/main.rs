//! The federation tests: real nodes, in this process or as processes, each
//! file one area. They are one test binary, not one per file, because each
//! binary links the whole node: thirty binaries took gigabytes of disk and
//! minutes of linking. Run one area with a filter, as in
//! `cargo test -p iti-tests --test federation release_gate::`.
//!
//! Tests that capture every log event of the process (`canary`,
//! `console_logs`, `no_red_in_logs`) stay in binaries of their own: the
//! subscriber is global, and other tests' events would mix with theirs.

mod bounds;
mod console;
mod console_act;
mod console_browser;
mod console_compose;
mod console_french;
mod crash;
mod directory_learning;
mod equivocation;
mod exchange;
mod failover;
mod faults;
mod foundation;
mod hardening;
mod hub_members;
mod hub_trust;
mod hubs;
mod integrity;
mod itictl_language;
mod large_requests;
mod lifecycle;
mod listings;
mod operations;
mod photos;
mod processes;
mod readme_federation;
mod records;
mod release_gate;
mod replicas;
mod restrictions;
mod sealing;
mod soak;
mod world;
