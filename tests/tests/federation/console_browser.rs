//! The console end to end in a real headless Chromium (Debian's
//! `chromium`), driven by Playwright (`tests/browser/console.e2e.mjs`):
//! GHA's and BEL's officers work one case through their consoles, every
//! page is screenshotted (kept under the cargo target's `tmp/` folder) and
//! checked with axe-core.
//!
//! It needs Node.js, Chromium and `npm ci --prefix tests/browser`. Without
//! them it says so and passes, so that the README's test command works on a
//! machine with only the Rust toolchain; `.ci/run` installs them and sets
//! `ITI_BROWSER_TESTS=require`, under which their absence fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use iti_node::identity::Role;
use iti_node::sandbox::MemberOptions;
use iti_tests::{Federation, p};
use serde_json::json;

/// What the browser run needs, found on this machine.
struct Tools {
    node: PathBuf,
    chromium: PathBuf,
    script: PathBuf,
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Node.js, Chromium and the npm packages, or why not.
fn tools() -> Result<Tools, String> {
    let node = on_path("node").ok_or("Node.js (`node`) is not on the PATH")?;
    let chromium = std::env::var_os("ITI_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| on_path("chromium"))
        .or_else(|| on_path("chromium-browser"))
        .ok_or("Chromium is not on the PATH (Debian: apt-get install chromium)")?;
    if !browser_dir().join("node_modules/playwright-core").is_dir()
        || !browser_dir().join("node_modules/axe-core").is_dir()
    {
        return Err("the npm packages are not installed (npm ci --prefix tests/browser)".into());
    }
    Ok(Tools {
        node,
        chromium,
        script: browser_dir().join("console.e2e.mjs"),
    })
}

fn with_console() -> MemberOptions {
    MemberOptions {
        console: true,
        ..MemberOptions::default()
    }
}

/// The officer's certificate and key as PEM files, for Playwright's
/// `clientCertificates`.
fn officer_files(
    f: &mut Federation,
    dir: &Path,
    participant: &str,
    role: Role,
) -> anyhow::Result<serde_json::Value> {
    let cert = f.sandbox.officer_cert(&p(participant), role)?;
    let stem = format!("{participant}-{}", role.as_str());
    let cert_path = dir.join(format!("{stem}.cert.pem"));
    let key_path = dir.join(format!("{stem}.key.pem"));
    std::fs::write(&cert_path, &cert.cert_pem)?;
    std::fs::write(&key_path, cert.key_pem.expose())?;
    Ok(json!({ "cert": cert_path, "key": key_path }))
}

fn console_url(f: &Federation, participant: &str) -> anyhow::Result<String> {
    Ok(format!("https://{}/", f.console_addr(participant)?))
}

/// What BEL's officer types into a free-text field, to be shown as text.
const XSS: &str = "<script>alert('x')</script><img src=x onerror=alert(1)>";

/// What the officers type and what they expect to read.
fn scenario() -> serde_json::Value {
    json!({
        "request": {
            "requester_reference": "GH-CID-2026-0917",
            "recovered_on": "2026-10-02",
            "place_of_recovery": "Tema port, container TGHU 884512",
            "illicit_nature": "Seized in an illegal shipment",
            "legal_basis": "Arms Act 2021 (Act 1012), section 14",
            "circumstances": "Found in a container declared as machine parts",
            "information_sought": "Export licence and consignee",
            "purpose": "Criminal investigation",
            "intended_use": "Evidence for the prosecution of the importer",
        },
        // One rifle with two marks, and 120 cartridges of one lot: the
        // form's blank blocks are a weapon (item0), a lot (item1), a part.
        "items": {
            "item0_item_ref": "item-1",
            "item0_make": "FN Herstal",
            "item0_model": "FAL",
            "item0_calibre": "7.62x51mm",
            "item0_serial_number": "1387702",
            "item0_country_of_manufacture": "BEL",
            "item0_mark0_value": "FN HERSTAL BELGIUM",
            "item0_mark0_location": "receiver, right side",
            "item0_mark1_value": "crowned R (Liège proof house)",
            "item0_mark1_location": "barrel",
            "item1_item_ref": "item-2",
            "item1_quantity": "120",
            "item1_calibre": "7.62x51mm NATO",
            "item1_lot_number": "FN-08-114",
            "item1_manufacturer": "FN Herstal",
            "item1_country_of_manufacture": "BEL",
        },
        "choices": {
            "item0_mark0_kind": "MARK_KIND_MANUFACTURE",
            "item0_mark1_kind": "MARK_KIND_PROOF",
        },
        "plan": "BEL",
        "items_sent": ["120", "FN-08-114", "crowned R (Liège proof house)"],
        "acknowledge": "Acknowledge (10.1)",
        "acknowledged": "acknowledged",
        "respond": "Respond (10.4)",
        "response": {
            "export-date": "2019-03-14",
            "export-importing_state": "NGA",
            "export-consignee": "Ministry of Defence, Abuja",
            "export-licence_number": "BE-EXP-2019-00417",
            "export-llp_name": "FN Herstal SA (exporter)",
            "export-llp_state": "BEL",
            "export-individual_name-0": "Jean-Marc Delvaux",
            "export-individual_role-0": "broker",
            "export-contract_reference": "FN-NG-2019-0031",
            "export-additional_information": XSS,
        },
        "proprietary": "export-commercial-USE_RESTRICTION_PROPRIETARY_COMMERCIAL",
        "send": "Send the response",
        "responded": "responded",
        "draft": "Drafted follow-up",
        "draft_origins": ["from BEL"],
        "xss": XSS,
        "withheld": "Withheld from you",
        "withheld_rule": "personal data",
        "personal": "Jean-Marc Delvaux",
        "french": ["répondu", "TLP:AMBER"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_officers_work_a_case_in_their_browsers() -> anyhow::Result<()> {
    let tools = match tools() {
        Ok(tools) => tools,
        Err(missing) if std::env::var("ITI_BROWSER_TESTS").as_deref() == Ok("require") => {
            bail!("the browser tests are required, but {missing}")
        }
        Err(missing) => {
            eprintln!("browser tests skipped: {missing}");
            return Ok(());
        }
    };
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let files = tempfile::tempdir()?;
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let config = json!({
        "chromium": tools.chromium,
        "screenshots": screenshots,
        "consoles": {
            "GHA": {
                "url": console_url(&f, "GHA")?,
                "officers": {
                    "poc": officer_files(&mut f, files.path(), "GHA", Role::Poc)?,
                    "analyst": officer_files(&mut f, files.path(), "GHA", Role::Analyst)?,
                    "admin": officer_files(&mut f, files.path(), "GHA", Role::Admin)?,
                },
            },
            "BEL": {
                "url": console_url(&f, "BEL")?,
                "officers": { "poc": officer_files(&mut f, files.path(), "BEL", Role::Poc)? },
            },
        },
        "scenario": scenario(),
    });
    let config_path = files.path().join("config.json");
    std::fs::write(&config_path, serde_json::to_vec_pretty(&config)?)?;

    let run = tokio::process::Command::new(&tools.node)
        .arg(&tools.script)
        .arg(&config_path)
        .current_dir(browser_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .context("the browser run did not end within 5 minutes")??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    println!("screenshots in {}", screenshots.display());
    f.shutdown().await;
    if !output.status.success() {
        bail!("the browser run failed:\n{stdout}");
    }
    Ok(())
}
