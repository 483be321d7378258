//! TEMPORARY stand-in, replaced by the domain helper's module.
use time::OffsetDateTime;
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Due { pub acknowledgement: Option<OffsetDateTime>, pub response: Option<OffsetDateTime> }
