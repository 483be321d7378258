//! Photographs (6.2.3): uploaded in GHA's console with a request, stored by
//! hash, sent by hash; BEL's officer sees the photograph in the message and
//! fetches the same bytes with `itictl photo get`, BEL's node having
//! fetched them from GHA over the federation port. GHA releases them only
//! to a participant it sent a message referencing them.

use anyhow::{Context, ensure};
use iti_node::identity::Role;
use iti_node::photo::PhotoHash;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::{Federation, federation_port};

/// A GIF as far as the node can tell (it reads the first bytes); ASCII, so
/// that the test's HTTP client can carry it as text.
const PHOTO: &str = "GIF89a: a painted inventory number, NPF 4471, on the butt stock";

fn with_console() -> MemberOptions {
    MemberOptions {
        console: true,
        ..MemberOptions::default()
    }
}

/// GHA's request, composed in its console with a photograph of the rifle;
/// returns the trace id once BEL has it.
async fn request_with_photo(f: &mut Federation) -> anyhow::Result<String> {
    let gha = f.browser("GHA", Role::Poc)?;
    let page = gha.get("/compose", &[]).await?;
    ensure!(
        page.body.contains("enctype=\"multipart/form-data\"")
            && page.body.contains("id=\"item0_photo_file\""),
        "no photograph in the form: {}",
        page.body
    );
    let token = page.hidden("csrf").context("no token")?;
    let parts: Vec<(&str, Option<&str>, &str)> = vec![
        ("csrf", None, &token),
        ("requester_reference", None, "GPS/CID/2026/4001"),
        ("recovered_on", None, "2026-10-02"),
        ("place_of_recovery", None, "Nsawam"),
        ("circumstances", None, "Vehicle search"),
        ("illicit_nature", None, "Held without licence"),
        ("legal_basis", None, "Act 96, s. 4"),
        ("item", None, "weapon"),
        ("make", None, "FN Herstal"),
        ("model", None, "FAL 50.00"),
        ("calibre", None, "7.62x51mm NATO"),
        ("serial_number", None, "1502347"),
        ("country_of_manufacture", None, "BEL"),
        ("photo_file", Some("rifle.gif"), PHOTO),
        ("item", None, "ammunition"),
        ("photo_file", Some(""), ""),
        ("information_sought", None, "History"),
        ("purpose", None, "Identify the point of diversion"),
        ("intended_use", None, "Criminal investigation"),
        ("tlp", None, "TLP_AMBER"),
    ];
    let sent = gha.post_multipart("/compose", &parts).await?;
    ensure!(sent.status == 303, "{sent:?}");
    let trace = sent
        .header("location")
        .context("no location")?
        .trim_start_matches("/case/")
        .to_string();
    f.until_state("BEL", &trace, "delivered").await?;
    Ok(trace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_uploaded_at_gha_is_shown_at_bel_and_fetched_with_the_same_bytes()
-> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let trace = request_with_photo(&mut f).await?;
    let hash = PhotoHash::of(PHOTO.as_bytes()).to_string();

    // The request carries the reference, not the bytes.
    let view = iti_tests::trace_view(&mut f.poc("BEL")?, &trace).await?;
    let shown = format!("{view:?}");
    ensure!(shown.contains(&hash), "no reference at BEL: {shown}");
    ensure!(
        !shown.contains("painted inventory"),
        "the bytes travelled in the message"
    );

    let bel = f.browser("BEL", Role::Poc)?;
    let case = bel.get(&format!("/case/{trace}"), &[]).await?;
    ensure!(
        case.body.contains(&format!("src=\"/photo/{hash}\"")),
        "no photograph in BEL's view: {}",
        case.body
    );
    let photo = bel.get(&format!("/photo/{hash}"), &[]).await?;
    ensure!(photo.status == 200, "{photo:?}");
    ensure!(
        photo.header("content-type") == Some("image/gif"),
        "{photo:?}"
    );
    ensure!(photo.body == PHOTO, "other bytes: {:?}", photo.body);

    // An auditor's view of the request (TLP:AMBER) withholds it, and the
    // photograph with it.
    let auditor = f.browser("BEL", Role::Auditor)?;
    let withheld = auditor.get(&format!("/photo/{hash}"), &[]).await?;
    ensure!(withheld.status == 404, "{withheld:?}");

    let dir = tempfile::tempdir()?;
    let file = dir.path().join("rifle.gif");
    let said = f
        .itictl(
            "BEL",
            None,
            &["photo", "get", &hash, "-o", &file.display().to_string()],
        )
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(said.contains("image/gif"), "{said}");
    ensure!(std::fs::read(&file)? == PHOTO.as_bytes(), "other bytes");

    // A hash no message BEL's officer may read references.
    let other = PhotoHash::of(b"GIF89a another").to_string();
    let refused = f
        .itictl("BEL", None, &["photo", "get", &other])
        .await
        .err()
        .context("an unreferenced photograph was served")?;
    ensure!(refused.contains("no message you may read"), "{refused}");
    f.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_sent_no_message_referencing_a_photo_is_refused_it() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[
        ("GHA", with_console()),
        ("BEL", with_console()),
        ("NGA", MemberOptions::default()),
    ])
    .await?;
    request_with_photo(&mut f).await?;
    let hash = PhotoHash::of(PHOTO.as_bytes()).to_string();
    let ask = || pb::FetchPhotoRequest {
        sha256: hash.clone(),
    };

    let refused = federation_port(&f, "NGA", "GHA")?
        .fetch_photo(ask())
        .await
        .err()
        .context("GHA released the photograph to NGA")?;
    ensure!(
        refused.code() == tonic::Code::PermissionDenied
            && refused
                .message()
                .contains("no message referencing it was sent to NGA"),
        "{refused:?}"
    );
    let released = federation_port(&f, "BEL", "GHA")?
        .fetch_photo(ask())
        .await?
        .into_inner();
    ensure!(released.content == PHOTO.as_bytes());

    // BEL, which holds it now, does not pass GHA's photograph on.
    let photo = f
        .browser("BEL", Role::Poc)?
        .get(&format!("/photo/{hash}"), &[])
        .await?;
    ensure!(photo.status == 200, "{photo:?}");
    let passed_on = federation_port(&f, "NGA", "BEL")?
        .fetch_photo(ask())
        .await
        .err()
        .context("BEL passed GHA's photograph on")?;
    ensure!(
        passed_on.code() == tonic::Code::PermissionDenied,
        "{passed_on:?}"
    );

    // The decisions are in GHA's audit trail: facts, not the bytes.
    let audit = f
        .itictl("GHA", None, &["audit", "log"])
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(
        audit.contains("photo_refused") && audit.contains("photo_released"),
        "{audit}"
    );
    ensure!(!audit.contains("painted inventory"), "{audit}");
    f.shutdown().await;
    Ok(())
}
