//! The foundation: identities and certificates, and bad input getting a
//! clear error that changes nothing.

use std::path::Path;

use iti_node::i18n::Lang;
use iti_node::identity::pki::{self, Validity};
use iti_node::identity::{Identity, Role, tls};
use iti_proto::v1 as pb;
use iti_proto::v1::federation_client::FederationClient;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::{Federation, fixtures, p};

/// Runs itictl in-process; returns (ok, stdout or error text).
async fn itictl(args: &[&str]) -> (bool, String) {
    let mut out = Vec::new();
    let mut argv = vec!["itictl".to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    match itictl::run(argv, Lang::En, &mut out).await {
        Ok(()) => (true, String::from_utf8_lossy(&out).into_owned()),
        Err(e) => (false, e.to_string()),
    }
}

async fn trace_count(f: &mut Federation, who: &str) -> anyhow::Result<usize> {
    Ok(f.poc(who)?
        .list_traces(pb::ListTracesRequest {
            inbox: false,
            include_closed: true,
            page: None,
        })
        .await?
        .into_inner()
        .traces
        .len())
}

fn openssl(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed on the CI image");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn certificates_from_itictl_verify_with_openssl_and_carry_the_right_usages() {
    let dir = tempfile::tempdir().unwrap();
    let d = |s: &str| dir.path().join(s).display().to_string();
    let (ok, out) = itictl(&["ca", "init", "--state", "GHA", "--out", &d("ca")]).await;
    assert!(ok, "{out}");
    let (ok, out) = itictl(&[
        "cert",
        "issue",
        "node",
        "--ca",
        &d("ca"),
        "--out",
        &d("node"),
    ])
    .await;
    assert!(ok, "{out}");
    let (ok, out) = itictl(&[
        "cert",
        "issue",
        "officer",
        "akosua.mensah",
        "--role",
        "poc",
        "--ca",
        &d("ca"),
        "--out",
        &d("officer"),
    ])
    .await;
    assert!(ok, "{out}");

    for who in ["node", "officer"] {
        let (ok, text) = openssl(&[
            "verify",
            "-CAfile",
            &d("ca/cert.pem"),
            &d(&format!("{who}/cert.pem")),
        ]);
        assert!(ok && text.contains("OK"), "{who}: {text}");
    }
    let (_, node) = openssl(&[
        "x509",
        "-in",
        &d("node/cert.pem"),
        "-noout",
        "-ext",
        "extendedKeyUsage,subjectAltName,keyUsage",
    ]);
    assert!(
        node.contains("TLS Web Server Authentication")
            && node.contains("TLS Web Client Authentication"),
        "{node}"
    );
    assert!(node.contains("URI:iti://node/GHA"), "{node}");
    let (_, officer) = openssl(&[
        "x509",
        "-in",
        &d("officer/cert.pem"),
        "-noout",
        "-ext",
        "extendedKeyUsage,subjectAltName",
    ]);
    assert!(
        officer.contains("TLS Web Client Authentication")
            && !officer.contains("Server Authentication"),
        "{officer}"
    );
    assert!(
        officer.contains("URI:iti://officer/GHA/poc/akosua.mensah"),
        "{officer}"
    );
    let (_, ca) = openssl(&[
        "x509",
        "-in",
        &d("ca/cert.pem"),
        "-noout",
        "-ext",
        "basicConstraints,keyUsage",
    ]);
    assert!(
        ca.contains("CA:TRUE") && ca.contains("Certificate Sign"),
        "{ca}"
    );
    // The private keys are readable by their owner only.
    use std::os::unix::fs::PermissionsExt;
    for key in [
        "ca/key.pem",
        "node/key.pem",
        "officer/key.pem",
        "node/seal.key",
    ] {
        let mode = std::fs::metadata(dir.path().join(key))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{key}");
    }
    // Issuing over an existing key is refused.
    let (ok, err) = itictl(&[
        "cert",
        "issue",
        "node",
        "--ca",
        &d("ca"),
        "--out",
        &d("node"),
    ])
    .await;
    assert!(!ok && err.contains("already exists"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_refused_by_itictl_naming_the_file_and_line() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let identity = f.sandbox.officer_dir(&p("GHA"), Role::Poc)?;
    let node = f.sandbox.local_addr(&p("GHA"))?;
    let dir = tempfile::tempdir()?;
    let bad = dir.path().join("request.json");
    std::fs::write(
        &bad,
        "{\n  \"items\": [\n    {\"weapon\": {\"make\": \"FN\",}\n  ]\n}\n",
    )?;
    let (ok, err) = itictl(&[
        "--identity",
        &identity.display().to_string(),
        "--node",
        &node,
        "request",
        "submit",
        "--file",
        &bad.display().to_string(),
    ])
    .await;
    assert!(!ok);
    assert!(
        err.contains("request.json") && err.contains("line 3"),
        "{err}"
    );
    // An unknown field is named.
    std::fs::write(&bad, r#"{"itemz": []}"#)?;
    let (ok, err) = itictl(&[
        "--identity",
        &identity.display().to_string(),
        "--node",
        &node,
        "request",
        "submit",
        "--file",
        &bad.display().to_string(),
    ])
    .await;
    assert!(!ok && err.contains("itemz"), "{err}");
    assert_eq!(trace_count(&mut f, "GHA").await?, 0, "nothing was sent");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_the_clause_6_essentials_is_refused_and_nothing_is_stored()
-> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let mut request = fixtures::fal_request();
    if let Some(pb::recovered_item::Item::Weapon(w)) = request.items[0].item.as_mut() {
        w.serial_number.clear();
    }
    let err = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(request),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().contains("items[0].weapon.serialNumber") && err.message().contains("6.1 d"),
        "{}",
        err.message()
    );
    let mut bad_country = fixtures::fal_request();
    if let Some(pb::recovered_item::Item::Weapon(w)) = bad_country.items[0].item.as_mut() {
        w.country_of_manufacture = "BELGIUM".into();
    }
    let err = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(bad_country),
            routing_override: None,
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().contains("countryOfManufacture") && err.message().contains("ISO 3166-1"),
        "{}",
        err.message()
    );
    assert_eq!(trace_count(&mut f, "GHA").await?, 0);
    assert!(
        iti_tests::outbox_items(&mut f.poc("GHA")?)
            .await?
            .is_empty()
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_destination_is_refused_and_nothing_is_stored() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    let err = f
        .poc("GHA")?
        .submit_request(pb::SubmitRequestRequest {
            request: Some(fixtures::fal_request()),
            routing_override: Some(pb::RoutingOverride {
                requested_state: "CIV".into(),
                reason: "import marking read as CI".into(),
            }),
            on_behalf_via: String::new(),
            allow_duplicate: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    assert!(
        err.message().contains("unknown destination CIV"),
        "{}",
        err.message()
    );
    assert_eq!(trace_count(&mut f, "GHA").await?, 0);
    f.shutdown().await;
    Ok(())
}

/// A federation client presenting `cert` to `node`'s federation port.
fn federation_client(
    f: &Federation,
    who: &str,
    cert: &pki::KeyedCert,
    expect: &str,
) -> anyhow::Result<FederationClient<tonic::transport::Channel>> {
    let node = f.node(who)?;
    let addr = f.federation_addr(who)?.to_string();
    let trust = iti_node::identity::trust::TrustStore::new();
    trust.pin(&p(expect), node.trust.ca_of(&p(expect)).unwrap(), None)?;
    let config = tls::client_config(
        &iti_node::identity::Credentials::single(cert.clone()),
        trust,
        f.clock.clone(),
        Some(p(expect)),
    )?;
    Ok(FederationClient::new(
        tls::channel(&addr, config, std::time::Duration::from_secs(5))
            .map_err(anyhow::Error::msg)?,
    ))
}

fn some_envelope() -> pb::Envelope {
    pb::Envelope::default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_unpinned_certificates_are_refused_at_the_handshake() -> anyhow::Result<()> {
    use iti_node::clock::Clock;
    let f = Federation::of_states(&["GHA", "BEL"]).await?;
    let now = f.clock.now();
    let bel = f.sandbox.member(&p("BEL"))?;
    let expired = pki::issue(
        &bel.ca,
        &Identity::Node(p("BEL")),
        Validity {
            not_before: now - time::Duration::days(30),
            not_after: now - time::Duration::days(1),
        },
    )?;
    // A CA nobody pinned, claiming to be BEL.
    let rogue_ca = pki::create_ca(&p("BEL"), Validity::days_from(now, 10))?;
    let rogue = pki::issue(
        &rogue_ca,
        &Identity::Node(p("BEL")),
        Validity::days_from(now, 10),
    )?;
    for (cert, reason) in [
        (&expired, "has expired"),
        (&rogue, "does not chain to the CA pinned for BEL"),
    ] {
        let before = f.node("GHA")?.federation_refusals.snapshot().len();
        let mut client = federation_client(&f, "GHA", cert, "GHA")?;
        let err = client.deliver(some_envelope()).await.unwrap_err();
        assert_ne!(err.code(), tonic::Code::Ok);
        let refusals = f.node("GHA")?.federation_refusals.snapshot();
        assert_eq!(
            refusals.len(),
            before + 1,
            "the handshake was refused by the node"
        );
        assert!(
            refusals.last().unwrap().to_string().contains(reason),
            "{:?}",
            refusals.last()
        );
        // The client side gets an explanation, not "broken pipe".
        let explained = tls::explain_transport_error(&err).unwrap_or_default();
        assert!(
            explained.contains("refused")
                || explained.contains("certificate")
                || explained.contains("closed the connection"),
            "{explained} / {err:?}"
        );
    }
    f.shutdown().await;
    Ok(())
}

/// A node that dies during the handshake (here: a listener that reads the
/// client's hello and closes) is not reported as one that refused the
/// officer's certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_dies_mid_handshake_is_not_reported_as_refusing_the_certificate()
-> anyhow::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut f = Federation::of_states(&["GHA"]).await?;
    let officer = f.sandbox.officer_cert(&p("GHA"), Role::Poc)?;
    let ca = f.sandbox.member(&p("GHA"))?.ca.cert_pem.clone();
    for reset in [false, true] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            if let Ok((mut tcp, _)) = listener.accept().await {
                let mut hello = [0u8; 4096];
                let _ = tcp.read(&mut hello).await;
                if reset {
                    let _ = tcp.set_zero_linger();
                }
            }
        });
        let channel = tls::officer_channel(
            &addr.to_string(),
            &officer,
            &ca,
            std::time::Duration::from_secs(5),
        )?;
        let err = LocalClient::new(channel)
            .who_am_i(pb::WhoAmIRequest {})
            .await
            .expect_err("nothing answers");
        let explained = tls::explain_transport_error(&err).unwrap_or_default();
        assert!(
            explained.contains("may have stopped") && !explained.contains("certificate it trusts"),
            "{explained} / {err:?}"
        );
    }
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_certificate_is_refused_on_the_federation_port() -> anyhow::Result<()> {
    let mut f = Federation::of_states(&["GHA", "BEL"]).await?;
    // A BEL officer's certificate chains to BEL's pinned CA: the handshake
    // succeeds, the federation service refuses it.
    let officer = f.sandbox.officer_cert(&p("BEL"), Role::Poc)?;
    let mut client = federation_client(&f, "GHA", &officer, "GHA")?;
    let err = client.deliver(some_envelope()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    assert!(
        err.message().contains("officer certificates"),
        "{}",
        err.message()
    );
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_certificate_is_refused_on_the_local_port() -> anyhow::Result<()> {
    let f = Federation::of_states(&["GHA", "BEL"]).await?;
    let m = f.sandbox.member(&p("GHA"))?;
    let addr = f.sandbox.local_addr(&p("GHA"))?;
    let channel = tls::officer_channel(
        &addr,
        &m.node_cert,
        &m.ca.cert_pem,
        std::time::Duration::from_secs(5),
    )?;
    let err = LocalClient::new(channel)
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    assert!(
        err.message().contains("node certificates"),
        "{}",
        err.message()
    );
    // Another state's officer cannot even complete the handshake.
    let bel_officer = {
        let mut f = f;
        let c = f.sandbox.officer_cert(&p("BEL"), Role::Poc)?;
        let ch = tls::officer_channel(
            &addr,
            &c,
            &f.sandbox.member(&p("GHA"))?.ca.cert_pem,
            std::time::Duration::from_secs(5),
        )?;
        let r = LocalClient::new(ch).who_am_i(pb::WhoAmIRequest {}).await;
        f.shutdown().await;
        r
    };
    assert!(bel_officer.is_err());
    Ok(())
}

#[tokio::test]
async fn a_missing_or_unreadable_key_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = |s: &str| dir.path().join(s);
    // itictl: officer key missing.
    let (ok, _) = itictl(&[
        "ca",
        "init",
        "--state",
        "GHA",
        "--out",
        &d("ca").display().to_string(),
    ])
    .await;
    assert!(ok);
    let (ok, _) = itictl(&[
        "cert",
        "issue",
        "officer",
        "a",
        "--ca",
        &d("ca").display().to_string(),
        "--out",
        &d("officer").display().to_string(),
    ])
    .await;
    assert!(ok);
    std::fs::remove_file(d("officer/key.pem")).unwrap();
    let (ok, err) = itictl(&[
        "--identity",
        &d("officer").display().to_string(),
        "--node",
        "127.0.0.1:9",
        "inbox",
    ])
    .await;
    assert!(
        !ok && err.contains("key file")
            && err.contains("officer/key.pem")
            && err.contains("not found"),
        "{err}"
    );
    // A key file that is not a key.
    std::fs::write(d("officer/key.pem"), "not a key").unwrap();
    let (ok, err) = itictl(&[
        "--identity",
        &d("officer").display().to_string(),
        "--node",
        "127.0.0.1:9",
        "inbox",
    ])
    .await;
    assert!(!ok && err.contains("no PEM private key"), "{err}");
    // iti-node's configuration: the key is named by its config key.
    let (ok, _) = itictl(&[
        "cert",
        "issue",
        "node",
        "--ca",
        &d("ca").display().to_string(),
        "--out",
        &d("node").display().to_string(),
    ])
    .await;
    assert!(ok);
    std::fs::write(
        d("node.toml"),
        "participant = \"GHA\"\ndata_dir = \"data\"\n[tls]\nca_cert = \"ca/cert.pem\"\nnode_cert = \"node/cert.pem\"\nnode_key = \"node/missing.pem\"\n",
    )
    .unwrap();
    let err = iti_node::config::load(&d("node.toml"), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tls.node_key") && err.contains("missing.pem"),
        "{err}"
    );
    // Unreadable (permissions) is named as such.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d("node/key.pem"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_as_root = std::fs::read(d("node/key.pem")).is_ok();
    if !readable_as_root {
        std::fs::write(
            d("node.toml"),
            std::fs::read_to_string(d("node.toml"))
                .unwrap()
                .replace("missing.pem", "key.pem"),
        )
        .unwrap();
        let err = iti_node::config::load(&d("node.toml"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tls.node_key") && err.contains("permission denied"),
            "{err}"
        );
    }
    let _ = Path::new("");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_certificate_is_refused_on_the_next_connection() -> anyhow::Result<()> {
    use iti_node::clock::Clock;
    let f = Federation::of_states(&["GHA", "BEL"]).await?;
    let now = f.clock.now();
    let bel = f.sandbox.member(&p("BEL"))?;
    // A second BEL node certificate, say on a machine that was stolen.
    let stolen = pki::issue(
        &bel.ca,
        &Identity::Node(p("BEL")),
        Validity::days_from(now, 30),
    )?;
    let mut client = federation_client(&f, "GHA", &stolen, "GHA")?;
    let err = client.deliver(some_envelope()).await.unwrap_err();
    assert_eq!(
        err.code(),
        tonic::Code::InvalidArgument,
        "accepted at the handshake before revocation: {err:?}"
    );

    // BEL's admin revokes it and distributes the list with BEL's card.
    let crl = pki::create_crl(
        &bel.ca,
        &[pki::serial_of(&stolen.cert_der()?)?],
        1,
        now,
        now + time::Duration::days(30),
    )?;
    let mut card = f.sandbox.card(&p("BEL"), &[])?;
    card.crl_pem = crl;
    f.node("GHA")?
        .add_peer(&iti_node::service::Actor::Node, card)
        .await?;
    let before = f.node("GHA")?.federation_refusals.snapshot().len();
    let mut client = federation_client(&f, "GHA", &stolen, "GHA")?;
    let err = client.deliver(some_envelope()).await.unwrap_err();
    assert_ne!(
        err.code(),
        tonic::Code::InvalidArgument,
        "the handshake must fail now"
    );
    let refusals = f.node("GHA")?.federation_refusals.snapshot();
    assert_eq!(refusals.len(), before + 1);
    assert!(
        refusals.last().unwrap().to_string().contains("revoked"),
        "{:?}",
        refusals.last()
    );
    // BEL's real node is not affected.
    let mut real = federation_client(&f, "GHA", &bel.node_cert, "GHA")?;
    assert_eq!(
        real.deliver(some_envelope()).await.unwrap_err().code(),
        tonic::Code::InvalidArgument
    );
    f.shutdown().await;
    Ok(())
}
