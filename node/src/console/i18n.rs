//! The console's languages are the node's (`crate::i18n`): one set of
//! catalogs and one translation of each coded value for the console and
//! `itictl`.

pub use crate::i18n::{Lang, Texts};
