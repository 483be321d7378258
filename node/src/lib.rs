//! ITI Exchange node.
pub mod clock;
pub mod envelope;
pub mod identity;
pub mod ids;
