//! The `iti-node` binary as an operator runs it. (These tests also make cargo
//! build the binary, which the process harness of `iti-tests` runs.)

use std::process::Command;

#[test]
fn check_config_names_every_bad_key_and_fails() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = dir.path().join("node.toml");
    std::fs::write(
        &config,
        "participant = \"GHA\"\n\
         federation_listen = \"not an address\"\n\
         data_dir = \"data\"\n\
         durability = \"sometimes\"\n\
         pass_through_ms = 60000\n\
         \n[tls]\nca_cert = \"ca/cert.pem\"\nnode_cert = \"node/cert.pem\"\nnode_key = \"node/key.pem\"\n",
    )
    .expect("writing the config");
    let output = Command::new(env!("CARGO_BIN_EXE_iti-node"))
        .arg("check-config")
        .arg("--config")
        .arg(&config)
        .output()
        .expect("running iti-node");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for key in [
        "federation_listen",
        "durability",
        "pass_through_ms",
        "tls.ca_cert",
    ] {
        assert!(stderr.contains(key), "{key} not named in:\n{stderr}");
    }
}

#[test]
fn run_refuses_a_missing_config_file_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_iti-node"))
        .args([
            "run",
            "--config",
            "/nonexistent/iti/node.toml",
            "--ready-line",
        ])
        .output()
        .expect("running iti-node");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no ready line");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/iti/node.toml"), "{stderr}");
}

/// The README's first command: the demo runs the whole walk-through on
/// loopback and ends well, the follow-up refused, then sent once Belgium
/// consents.
#[test]
fn the_demo_runs_to_the_end() {
    let output = Command::new(env!("CARGO_BIN_EXE_iti-node"))
        .arg("demo")
        .output()
        .expect("running iti-node demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for step in [
        "refused",
        "consent granted: the follow-up went to NGA by itself",
        "sealed to Ghana's key",
        "hash chain intact",
        "demo complete",
    ] {
        assert!(stdout.contains(step), "{step:?} not in:\n{stdout}");
    }
}
