//! The console's pages. Each takes what the service returned (view models
//! already released through the gate) and lays it out; maud escapes every
//! value, so free text (`<script>`, `onerror=`) shows as text.

pub mod act;
pub mod admin;
pub mod audit;
pub mod case;
pub mod compose;
pub mod hub;
pub mod inbox;
pub mod layout;
pub mod message;
pub mod overdue;
pub mod report;
// forms: acting on a case (respond, return, clarify, consent, forward,
// export, drafts).
pub mod consent;
pub mod draft;
pub mod form;
pub mod onward;
pub mod refusal;
pub mod respond;
// compose
pub mod photo;
