//! Commands that work on files: the participant's CA, certificates, peer
//! cards, directory entries. They never talk to a node.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use iti_node::envelope::seal::OpeningKey;
use iti_node::i18n::Texts;
use iti_node::identity::pki::{self, KeyedCert, Validity as PkiValidity};
use iti_node::identity::{Identity, Role, browser_bundle, tls};
use iti_node::ids::ParticipantId;
use iti_proto::v1 as pb;
use time::OffsetDateTime;

use crate::cli::{CaCommand, CertCommand, IssueCommand, RoleArg, Validity};

fn parse_time(field: &str, s: &str) -> anyhow::Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| anyhow!("{field}: {s:?} is not an RFC 3339 time ({e})"))
}

fn validity(v: &Validity) -> anyhow::Result<PkiValidity> {
    let now = OffsetDateTime::now_utc();
    let mut out = PkiValidity::days_from(now, v.days);
    if let Some(nb) = &v.not_before {
        out.not_before = parse_time("--not-before", nb)?;
    }
    if let Some(na) = &v.not_after {
        out.not_after = parse_time("--not-after", na)?;
    }
    if out.not_after <= out.not_before {
        bail!("--not-after must be after --not-before");
    }
    Ok(out)
}

/// The first line of a password file.
fn read_p12_password(file: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("--p12-password-file: cannot read {}", file.display()))?;
    let password = text.lines().next().unwrap_or("").to_string();
    if password.chars().count() < 12 {
        bail!(
            "--p12-password-file: the password in {} must have at least 12 characters",
            file.display()
        );
    }
    Ok(password)
}

fn refuse_overwrite(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        bail!("{} already exists: not overwriting it", path.display());
    }
    Ok(())
}

/// The participant a CA directory belongs to.
fn ca_participant(ca: &KeyedCert, dir: &Path) -> anyhow::Result<ParticipantId> {
    let der = ca.cert_der()?;
    tls::own_participant_of_ca(&der).ok_or_else(|| {
        anyhow!(
            "{}: not an ITI Exchange CA certificate",
            dir.join("cert.pem").display()
        )
    })
}

fn read_ca(dir: &Path) -> anyhow::Result<KeyedCert> {
    Ok(pki::read_keyed(
        &dir.join("cert.pem"),
        &dir.join("key.pem"),
    )?)
}

/// One line of `t`'s message `id` with `args`, indented by `indent`.
fn say(
    t: &Texts,
    out: &mut dyn Write,
    indent: &str,
    id: &str,
    args: &[(&str, String)],
) -> anyhow::Result<()> {
    writeln!(out, "{indent}{}", t.t_with(id, args))?;
    Ok(())
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

pub fn ca(cmd: CaCommand, t: &Texts, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        CaCommand::Init {
            state,
            participant,
            out: dir,
            days,
        } => {
            let participant: ParticipantId = match (state, participant) {
                (Some(s), None) => s
                    .parse::<iti_node::ids::StateCode>()
                    .map_err(|e| anyhow!("--state: {e}"))?
                    .into(),
                (None, Some(p)) => p.parse().map_err(|e| anyhow!("--participant: {e}"))?,
                _ => bail!("give --state CODE or --participant ID"),
            };
            refuse_overwrite(&dir.join("key.pem"))?;
            let ca = pki::create_ca(
                &participant,
                PkiValidity::days_from(OffsetDateTime::now_utc(), days),
            )?;
            pki::write_keyed(&dir, &ca)?;
            let created = [
                ("participant", participant.to_string()),
                ("dir", shown(&dir)),
            ];
            say(t, out, "", "ca-created", &created)?;
            let cert = [("path", shown(&dir.join("cert.pem")))];
            say(t, out, "  ", "ca-certificate", &cert)?;
            let key = [("path", shown(&dir.join("key.pem")))];
            say(t, out, "  ", "ca-private-key", &key)?;
            let fingerprint = [("fingerprint", pki::fingerprint(&ca.cert_der()?))];
            say(t, out, "  ", "ca-fingerprint", &fingerprint)
        }
    }
}

fn role(r: RoleArg) -> Role {
    match r {
        RoleArg::Poc => Role::Poc,
        RoleArg::Investigator => Role::Investigator,
        RoleArg::Analyst => Role::Analyst,
        RoleArg::Auditor => Role::Auditor,
        RoleArg::Admin => Role::Admin,
    }
}

pub fn cert(cmd: CertCommand, t: &Texts, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        CertCommand::Issue(what) => {
            let mut p12_password_file = None;
            let (ca_dir, dir, v, officer, names) = match what {
                IssueCommand::Node {
                    ca,
                    out,
                    dns,
                    ip,
                    validity,
                } => {
                    let names = if dns.is_empty() && ip.is_empty() {
                        pki::EndpointNames::loopback()
                    } else {
                        pki::EndpointNames::try_new(dns, ip).map_err(|e| anyhow!("--dns: {e}"))?
                    };
                    (ca, out, validity, None, names)
                }
                IssueCommand::Officer {
                    name,
                    role: r,
                    ca,
                    out,
                    p12_password_file: password_file,
                    validity,
                } => {
                    p12_password_file = Some(password_file);
                    (
                        ca,
                        out,
                        validity,
                        Some((name, r)),
                        pki::EndpointNames::loopback(),
                    )
                }
            };
            let ca = read_ca(&ca_dir)?;
            let participant = ca_participant(&ca, &ca_dir)?;
            let identity = match &officer {
                None => Identity::Node(participant.clone()),
                Some((name, r)) => Identity::officer(participant.clone(), role(*r), name)
                    .map_err(|e| anyhow!("officer name: {e}"))?,
            };
            refuse_overwrite(&dir.join("key.pem"))?;
            // Read before anything is written: a bad password file changes nothing.
            let p12_password = match &p12_password_file {
                Some(Some(file)) => Some(read_p12_password(file)?),
                Some(None) => Some(browser_bundle::make_password()),
                None => None,
            };
            let cert = pki::issue_with_names(&ca, &identity, &names, validity(&v)?)?;
            pki::write_keyed(&dir, &cert)?;
            pki::write_public(&dir.join("ca.pem"), &ca.cert_pem)?;
            say(
                t,
                out,
                "",
                "cert-issued",
                &[("identity", identity.to_string())],
            )?;
            writeln!(out, "  {}", dir.join("cert.pem").display())?;
            writeln!(out, "  {}", dir.join("key.pem").display())?;
            if let Some(password) = &p12_password {
                let path = dir.join("officer.p12");
                browser_bundle::write(
                    &path,
                    &browser_bundle::browser_bundle(&cert, &ca, password)?,
                )?;
                say(t, out, "  ", "cert-p12", &[("path", shown(&path))])?;
                if matches!(p12_password_file, Some(None)) {
                    let args = [("password", password.clone())];
                    say(t, out, "  ", "cert-p12-password", &args)?;
                }
            }
            if officer.is_none() {
                let seal = OpeningKey::generate();
                pki::write_secret(
                    &dir.join("seal.key"),
                    &pki::SecretPem::new(seal.secret_hex()),
                )?;
                let args = [
                    ("path", shown(&dir.join("seal.key"))),
                    ("key", seal.public().to_hex()),
                ];
                say(t, out, "  ", "cert-seal-key", &args)?;
            }
            Ok(())
        }
        CertCommand::Revoke { ca: ca_dir, cert } => {
            let ca = read_ca(&ca_dir)?;
            let der = pki::read_cert_der(&cert)?;
            let serial = pki::serial_of(&der)?;
            let list_path = ca_dir.join("revoked.txt");
            let mut serials: Vec<String> = std::fs::read_to_string(&list_path)
                .unwrap_or_default()
                .lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
            let hexed = hex::encode(&serial);
            if !serials.contains(&hexed) {
                serials.push(hexed.clone());
            }
            let bytes: Vec<Vec<u8>> = serials
                .iter()
                .map(|s| {
                    hex::decode(s)
                        .with_context(|| format!("{}: bad serial {s}", list_path.display()))
                })
                .collect::<Result<_, _>>()?;
            let now = OffsetDateTime::now_utc();
            let crl = pki::create_crl(
                &ca,
                &bytes,
                serials.len() as u64,
                now,
                now + time::Duration::days(30),
            )?;
            pki::write_public(&list_path, &(serials.join("\n") + "\n"))?;
            pki::write_public(&ca_dir.join("crl.pem"), &crl)?;
            let args = [
                ("serial", hexed),
                ("crl", shown(&ca_dir.join("crl.pem"))),
                ("count", serials.len().to_string()),
            ];
            say(t, out, "", "cert-revoked", &args)
        }
        CertCommand::Show { cert } => {
            let der = pki::read_cert_der(&cert)?;
            show_cert(&der, t, out)
        }
    }
}

fn show_cert(der: &[u8], t: &Texts, out: &mut dyn Write) -> anyhow::Result<()> {
    let identity = Identity::from_certificate_der(der)
        .map(|i| i.to_string())
        .unwrap_or_else(|e| t.t_with("cert-no-identity", &[("error", e.to_string())]));
    say(t, out, "", "cert-identity", &[("identity", identity)])?;
    say(
        t,
        out,
        "",
        "cert-subject",
        &[("subject", pki::subject_of(der))],
    )?;
    let facts = pki::describe(der)?;
    say(
        t,
        out,
        "",
        "cert-issuer",
        &[("issuer", facts.issuer.clone())],
    )?;
    let valid = [
        ("from", facts.not_before.clone()),
        ("to", facts.not_after.clone()),
    ];
    say(t, out, "", "cert-valid", &valid)?;
    say(
        t,
        out,
        "",
        "cert-serial",
        &[("serial", facts.serial.clone())],
    )?;
    if !facts.names.is_empty() {
        say(
            t,
            out,
            "",
            "cert-names",
            &[("names", facts.names.join(", "))],
        )?;
    }
    if let Some(u) = facts.usages {
        say(t, out, "", "cert-usages", &[("usages", usages(t, u))])?;
    }
    if facts.ca {
        say(t, out, "", "cert-ca", &[])?;
    }
    let fingerprint = [("fingerprint", pki::fingerprint(der))];
    say(t, out, "", "ca-fingerprint", &fingerprint)
}

/// The extended key usages a certificate names, in the reader's language.
fn usages(t: &Texts, u: pki::Usages) -> String {
    let named = [
        (u.server_auth, "cert-usage-server"),
        (u.client_auth, "cert-usage-client"),
    ];
    let words: Vec<String> = named
        .into_iter()
        .filter(|(yes, _)| *yes)
        .map(|(_, id)| t.t(id))
        .collect();
    words.join(", ")
}

pub fn peer_export(
    ca: &Path,
    endpoint: &str,
    seal_key: Option<&Path>,
    serves: &[String],
    crl: Option<&Path>,
    path: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let ca_pem = pki::read_cert_pem(ca)?;
    let der = pki::read_cert_der(ca)?;
    let participant = tls::own_participant_of_ca(&der)
        .ok_or_else(|| anyhow!("{}: not an ITI Exchange CA certificate", ca.display()))?;
    let authority = endpoint
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    if authority
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .is_none()
    {
        bail!("--endpoint: {endpoint:?} is not host:port");
    }
    let encryption_key_hex = match seal_key {
        Some(p) => OpeningKey::read(p)
            .map_err(|e| anyhow!("{e}"))?
            .public()
            .to_hex(),
        None => String::new(),
    };
    let crl_pem = match crl {
        Some(p) => {
            pki::read_crl_der(p)?;
            std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?
        }
        None => String::new(),
    };
    for s in serves {
        s.parse::<ParticipantId>()
            .map_err(|e| anyhow!("--serves: {e}"))?;
    }
    let card = pb::PeerCard {
        participant: participant.to_string(),
        endpoint: endpoint.to_string(),
        ca_certificate_pem: ca_pem,
        crl_pem,
        serves: serves.to_vec(),
        encryption_key_hex,
    };
    pki::write_public(path, &serde_json::to_string_pretty(&card)?)?;
    writeln!(
        out,
        "wrote the peer card of {participant} to {}\n  CA fingerprint (SHA-256): {} — the other side should confirm it out of band",
        path.display(),
        pki::fingerprint(&der)
    )?;
    Ok(())
}

/// The files a directory entry is completed from.
pub struct EntryFiles<'a> {
    pub ca_dir: &'a Path,
    pub entry: &'a Path,
    pub node_cert: Option<&'a Path>,
    pub next_cert: Option<&'a Path>,
    pub switch_over: Option<&'a str>,
    pub seal_key: Option<&'a Path>,
    pub crl: Option<&'a Path>,
}

pub fn directory_sign(
    files: &EntryFiles<'_>,
    path: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let ca_dir = files.ca_dir;
    let entry_path = files.entry;
    let ca = read_ca(ca_dir)?;
    let participant = ca_participant(&ca, ca_dir)?;
    let mut entry: pb::DirectoryEntry = crate::client::read_json(entry_path, "directory entry")?;
    if entry.participant.is_empty() {
        entry.participant = participant.to_string();
    }
    if entry.participant != participant.to_string() {
        bail!(
            "directory entry {}: participant {} is not the CA's participant {participant}",
            entry_path.display(),
            entry.participant
        );
    }
    if entry.ca_certificate.is_empty() {
        entry.ca_certificate = ca.cert_der()?.to_vec();
    }
    if let Some(p) = files.node_cert {
        entry.certificate = pki::read_cert_der(p)?.to_vec();
    }
    if let Some(p) = files.next_cert {
        entry.next_certificate = pki::read_cert_der(p)?.to_vec();
    }
    if let Some(at) = files.switch_over {
        entry.switch_over_at = Some(iti_node::clock::to_timestamp(parse_time(
            "--switch-over",
            at,
        )?));
    }
    if let Some(p) = files.crl {
        entry.revocation_list = pki::read_crl_der(p)?.to_vec();
    }
    if let Some(p) = files.seal_key {
        entry.encryption_key = OpeningKey::read(p)
            .map_err(|e| anyhow!("{e}"))?
            .public()
            .bytes()
            .to_vec();
    }
    let now = OffsetDateTime::now_utc();
    entry.published_at = Some(iti_node::clock::to_timestamp(now));
    if entry.serial == 0 {
        entry.serial = now.unix_timestamp() as u64;
    }
    let signed = iti_node::hub::directory::sign_entry(&entry, ca.key_pem.expose())
        .map_err(|e| anyhow!("{e}"))?;
    pki::write_public(path, &serde_json::to_string_pretty(&signed)?)?;
    writeln!(
        out,
        "signed the directory entry of {participant} (serial {}) into {}",
        entry.serial,
        path.display()
    )?;
    Ok(())
}
