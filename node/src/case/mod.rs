//! TEMPORARY
pub mod machine;
pub mod role;
