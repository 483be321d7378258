//! Compiles `iti/v1/*.proto` with tonic and prost, and adds serde
//! implementations that follow the protobuf JSON mapping (pbjson), so officers
//! can write requests as JSON.
//!
//! `protoc` comes from the `protoc-bin-vendored` crate unless `$PROTOC` names
//! one: a fresh machine needs no manual install.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "iti/v1/common.proto",
    "iti/v1/identification.proto",
    "iti/v1/messages.proto",
    "iti/v1/envelope.proto",
    "iti/v1/directory.proto",
    "iti/v1/federation.proto",
    "iti/v1/local.proto",
    "iti/v1/records.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-env-changed=PROTOC");
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }

    let protoc = match std::env::var_os("PROTOC") {
        Some(explicit) => PathBuf::from(explicit),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("iti_descriptor.bin");

    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(&protoc);

    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor_path)
        .compile_well_known_types(true)
        .extern_path(".google.protobuf", "::pbjson_types")
        .compile_with_config(config, PROTOS, &["."])?;

    let descriptors = std::fs::read(&descriptor_path)?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptors)?
        .build(&[".iti.v1"])?;
    Ok(())
}
