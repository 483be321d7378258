//! Hub mode (clause 11): relaying for members on headers alone, conducting
//! traces on a member's behalf (11.3.1), the broker's lost/stolen checks
//! (annex A.2), and the signed federation directory and how nodes learn it
//! (`learning`), photograph asks relayed sealed (`photos`), with the hub's append-only directory log that members
//! follow to catch a hub that equivocates (`log`, `equivocation`).

pub mod directory;
pub mod equivocation;
pub mod introductions;
pub mod learning;
pub mod log;
pub mod photos;
pub mod register;
pub mod relay;
pub mod reports_file;
pub mod stats;
