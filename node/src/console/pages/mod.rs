//! The console's pages. Each takes what the service returned (view models
//! already released through the gate) and lays it out; maud escapes every
//! value, so free text (`<script>`, `onerror=`) shows as text.

pub mod act;
pub mod case;
pub mod compose;
pub mod hub;
pub mod inbox;
pub mod layout;
pub mod message;
// compose
pub mod photo;
