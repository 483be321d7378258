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

/// `iti-node demo --serve` leaves the federation running for a browser:
/// each console listens, each printed PKCS#12 file opens with its printed
/// password, and Ctrl-C stops every node cleanly.
#[test]
fn the_demo_serves_consoles_until_ctrl_c() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_iti-node"))
        .args(["demo", "--serve"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("running iti-node demo --serve");
    let pid = child.id().to_string();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut served = Vec::new();
    let (mut console, mut bundle) = (None, None);
    for line in lines.by_ref() {
        let line = line.expect("a line of output");
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["console", url] => console = Some(url.to_string()),
            ["PKCS#12", file] => bundle = Some(file.to_string()),
            ["password", password] => served.push((
                console.take().expect("a console before its password"),
                bundle.take().expect("a file before its password"),
                password.to_string(),
            )),
            _ if line.starts_with("Ctrl-C stops every node") => break,
            _ => {}
        }
    }
    assert_eq!(served.len(), 4, "three states and the hub's operator");
    for (url, file, password) in &served {
        let addr = url
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string();
        std::net::TcpStream::connect(&addr).unwrap_or_else(|e| panic!("{url}: {e}"));
        let bytes = std::fs::read(file).expect("the PKCS#12 file");
        let store = p12_keystore::KeyStore::from_pkcs12(
            &bytes,
            password,
            p12_keystore::Pkcs12ImportPolicy::Strict,
        )
        .expect("the PKCS#12 file opens with its password");
        assert!(store.private_key_chain().is_some(), "{file}: no key");
    }
    Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(child.wait().expect("exit").success());
    assert!(rest.iter().any(|l| l == "demo complete"), "{rest:?}");
    for (_, file, _) in &served {
        assert!(
            !std::path::Path::new(file).exists(),
            "{file} left behind without --keep"
        );
    }
}
