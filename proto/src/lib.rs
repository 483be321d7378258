//! The ITI Exchange protocol, `iti.v1`: ISACS 05.31 tracing messages, the
//! federation envelope, and the two gRPC services.
//!
//! Layout:
//! - `iti/v1/common.proto`: markings (TLP 2.0, use restrictions), reasons.
//! - `iti/v1/identification.proto`: weapons (clause 6), ammunition, parts (13).
//! - `iti/v1/messages.proto`: the request (9.2) and every reply (10.x).
//! - `iti/v1/envelope.proto`: envelope, payload, receipts.
//! - `iti/v1/directory.proto`: the signed federation directory.
//! - `iti/v1/federation.proto`: node to node. `iti/v1/local.proto`: officers.
//! - `iti/v1/records.proto`: the national tracing system (clauses 5, 7, 8).
//!
//! Every message implements serde `Serialize`/`Deserialize` in the protobuf
//! JSON mapping (camelCase fields, enum names as strings, RFC 3339 times).

#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/iti.v1.rs"));
    include!(concat!(env!("OUT_DIR"), "/iti.v1.serde.rs"));

    /// The encoded file descriptor set, for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/iti_descriptor.bin"));
}

pub use pbjson_types::Timestamp;
