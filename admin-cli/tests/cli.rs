//! The `itictl` binary as an admin runs it. (These tests also make cargo
//! build the binary, which the process harness of `iti-tests` runs.)

use std::process::Command;

#[test]
fn issuing_a_certificate_without_a_ca_names_the_missing_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let missing_ca = dir.path().join("no-such-ca");
    let output = Command::new(env!("CARGO_BIN_EXE_itictl"))
        .arg("cert")
        .arg("issue")
        .arg("node")
        .arg("--ca")
        .arg(&missing_ca)
        .arg("--out")
        .arg(dir.path().join("node"))
        .output()
        .expect("running itictl");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = missing_ca.join("cert.pem");
    assert!(
        stderr.contains(&expected.display().to_string()),
        "{} not named in:\n{stderr}",
        expected.display()
    );
    assert!(!dir.path().join("node").exists(), "nothing was written");
}

#[test]
fn a_ca_issues_a_node_certificate_with_its_sealing_key() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let itictl = env!("CARGO_BIN_EXE_itictl");
    let ca = dir.path().join("ca");
    let init = Command::new(itictl)
        .args(["ca", "init", "--state", "GHA", "--out"])
        .arg(&ca)
        .output()
        .expect("running itictl");
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let node = dir.path().join("node");
    let issue = Command::new(itictl)
        .args(["cert", "issue", "node", "--ca"])
        .arg(&ca)
        .arg("--out")
        .arg(&node)
        .output()
        .expect("running itictl");
    assert!(
        issue.status.success(),
        "{}",
        String::from_utf8_lossy(&issue.stderr)
    );
    for file in ["cert.pem", "key.pem", "ca.pem", "seal.key"] {
        assert!(node.join(file).is_file(), "{file} missing");
    }
}

#[test]
fn an_officer_command_names_the_node_it_could_not_reach() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let itictl = env!("CARGO_BIN_EXE_itictl");
    let ca = dir.path().join("ca");
    let officer = dir.path().join("poc");
    for args in [
        vec![
            "ca",
            "init",
            "--state",
            "GHA",
            "--out",
            ca.to_str().unwrap(),
        ],
        vec![
            "cert",
            "issue",
            "officer",
            "ama",
            "--ca",
            ca.to_str().unwrap(),
            "--out",
            officer.to_str().unwrap(),
        ],
    ] {
        let done = Command::new(itictl)
            .args(&args)
            .output()
            .expect("running itictl");
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .to_string();
    let output = Command::new(itictl)
        .arg("--identity")
        .arg(&officer)
        .args(["--node", &closed, "inbox"])
        .output()
        .expect("running itictl");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("node {closed}")), "{stderr}");
    assert!(stderr.contains("nothing is listening"), "{stderr}");
}
