//! ITI Exchange node.
pub mod audit;
pub mod case;
pub mod clock;
pub mod deadlines;
pub mod envelope;
pub mod identity;
pub mod ids;
pub mod store;
