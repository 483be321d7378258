#![no_main]
//! See `iti_node::fuzzing::peer_card`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iti_node::fuzzing::peer_card(data));
