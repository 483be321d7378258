//! Photographs (6.2.3): uploaded in GHA's console with a request, stored by
//! hash, sent by hash; BEL's officer sees the photograph in the message and
//! fetches the same bytes with `itictl photo get`, BEL's node having
//! fetched them from GHA over the federation port. GHA releases them only
//! to a participant it sent a message referencing them.
//!
//! Through a hub: states that reach each other only through hub:ECOWAS
//! fetch photographs with an ask the fetcher signs; GHA decides for the
//! fetcher the ask names and answers sealed to it, so the hub relays
//! ciphertext it cannot open, keeps nothing, and cannot ask in a member's
//! name.

use anyhow::{Context, ensure};
use iti_node::clock::Clock;
use iti_node::identity::Role;
use iti_node::photo::PhotoHash;
use iti_node::sandbox::MemberOptions;
use iti_proto::v1 as pb;
use iti_tests::proxy::FaultProxy;
use iti_tests::{Federation, db_scalar, db_texts, federation_port, p};

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
    request_with_photo_of(f, PHOTO).await
}

/// The same, with the photograph `photo`.
async fn request_with_photo_of(f: &mut Federation, photo: &str) -> anyhow::Result<String> {
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
        ("photo_file", Some("rifle.gif"), photo),
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

/// An officer at the command line stores a photograph of 5 MiB, more than
/// one gRPC message carries, with `itictl photo add`, and gets the
/// attachment that names it in a request; a file that is not an image is
/// refused naming the field, and nothing of it is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn itictl_photo_add_stores_a_photograph_larger_than_one_message() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[
        ("GHA", MemberOptions::default()),
        ("BEL", MemberOptions::default()),
    ])
    .await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("rifle.jpg");
    let mut bytes = b"\xFF\xD8\xFF\xE0".to_vec();
    bytes.resize(5 << 20, 7);
    std::fs::write(&file, &bytes)?;
    let said = f
        .itictl("GHA", None, &["photo", "add", &file.display().to_string()])
        .await
        .map_err(anyhow::Error::msg)?;
    let hash = PhotoHash::of(&bytes);
    ensure!(
        said.contains(&format!("\"sha256\": \"{hash}\"")) && said.contains("image/jpeg"),
        "{said}"
    );
    let held = f
        .node("GHA")?
        .uploaded_photo(&hash)
        .await?
        .context("the photograph is not stored")?;
    ensure!(held.size_bytes == 5 << 20, "{held:?}");

    let page = dir.path().join("page.jpg");
    std::fs::write(&page, "<html><script>alert(1)</script>")?;
    let refused = f
        .itictl("GHA", None, &["photo", "add", &page.display().to_string()])
        .await
        .err()
        .context("a page was stored as a photograph")?;
    ensure!(
        refused.contains("content") && refused.contains("not a JPEG"),
        "{refused}"
    );
    let stored = db_scalar(f.node("GHA")?, "SELECT COUNT(*) FROM photos").await?;
    ensure!(stored == 1, "{stored} photographs stored");
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
        ..Default::default()
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

// ---------------------------------------------------------------- through a hub

const HUB: &str = "hub:ECOWAS";

/// GHA (with its console), BEL and NGA reach each other only through
/// hub:ECOWAS.
async fn through_hub() -> anyhow::Result<Federation> {
    iti_tests::one_hub(&["GHA", "BEL", "NGA"], &["GHA"]).await
}

/// GHA's audit entries about photographs, as `actor action subject: detail`.
async fn photo_audit(f: &Federation, who: &str) -> anyhow::Result<Vec<String>> {
    db_texts(
        f.node(who)?,
        "SELECT actor || ' ' || action || ' ' || subject || ': ' || detail FROM audit_log \
         WHERE action LIKE 'photo%' ORDER BY seq",
    )
    .await
}

/// The columns of `who`'s database (table.column) whose value holds
/// `needle`, in any table, text or bytes.
async fn columns_holding(f: &Federation, who: &str, needle: &str) -> anyhow::Result<Vec<String>> {
    let node = f.node(who)?;
    let postgres = node.store.backend() == iti_tests::iti_node::store::Backend::Postgres;
    let columns = if postgres {
        db_texts(
            node,
            "SELECT table_name || '.' || column_name || '.' || data_type \
             FROM information_schema.columns WHERE table_schema = current_schema()",
        )
        .await?
    } else {
        db_texts(
            node,
            "SELECT m.name || '.' || c.name || '.' || c.type FROM sqlite_master m \
             JOIN pragma_table_info(m.name) c WHERE m.type = 'table'",
        )
        .await?
    };
    ensure!(
        columns.iter().any(|c| c.starts_with("photos.content.")),
        "no photos table in {columns:?}"
    );
    let mut holding = Vec::new();
    for column in columns {
        let mut parts = column.splitn(3, '.');
        let (table, name, kind) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default().to_lowercase(),
        );
        let found = match (postgres, kind.as_str()) {
            (true, "bytea") => format!(
                "SELECT COUNT(*) FROM {table} WHERE position(convert_to('{needle}', 'UTF8') in \"{name}\") > 0"
            ),
            (true, _) => format!(
                "SELECT COUNT(*) FROM {table} WHERE strpos(CAST(\"{name}\" AS TEXT), '{needle}') > 0"
            ),
            (false, _) => format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE instr(CAST(\"{name}\" AS BLOB), CAST('{needle}' AS BLOB)) > 0"
            ),
        };
        if db_scalar(node, &found).await? > 0 {
            holding.push(format!("{table}.{name}"));
        }
    }
    Ok(holding)
}

/// (1) BEL reaches GHA only through the hub, and its officer gets the
/// photograph GHA's request references, the same bytes; GHA's audit names
/// BEL, asking through the hub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_is_fetched_through_the_hub_with_the_same_bytes() -> anyhow::Result<()> {
    let mut f = through_hub().await?;
    request_with_photo(&mut f).await?;
    let hash = PhotoHash::of(PHOTO.as_bytes()).to_string();

    let photo = f
        .poc("BEL")?
        .get_photo(pb::FetchPhotoRequest {
            sha256: hash.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    ensure!(photo.content == PHOTO.as_bytes(), "other bytes: {photo:?}");
    ensure!(photo.media_type == "image/gif", "{photo:?}");
    ensure!(photo.sealed.is_none(), "the officer got the sealed answer");
    // Kept at BEL as fetched from GHA: asked again, it is not fetched again.
    let kept = db_scalar(
        f.node("BEL")?,
        &format!("SELECT COUNT(*) FROM photos WHERE sha256 = '{hash}' AND origin = 'GHA'"),
    )
    .await?;
    ensure!(kept == 1, "BEL keeps {kept} copies");

    let audit = photo_audit(&f, "GHA").await?;
    ensure!(
        audit.iter().any(|e| e.starts_with("BEL photo_released")
            && e.contains(&hash)
            && e.contains("sealed to BEL")
            && e.contains("asked through hub:ECOWAS")),
        "{audit:#?}"
    );
    f.shutdown().await;
    Ok(())
}

/// A photograph of 20 MB (the most a photograph may be) travels from GHA
/// to BEL through the hub in chunks of 1 MiB, each sealed to BEL. The link
/// from BEL to the hub is cut in the middle of the transfer: BEL's officer
/// is told, BEL keeps the chunks it had, and asked again it fetches only
/// the rest (the bytes that cross the link after the cut are fewer than
/// the photograph's), then holds the same bytes as GHA, checked against
/// the hash the signed request names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_photo_cut_off_in_the_middle_resumes_where_it_stopped() -> anyhow::Result<()> {
    let mut f = through_hub().await?;
    let large = format!("GIF89a{}", "rifle seen from the left; ".repeat(769_000));
    let size = large.len() as u64;
    ensure!(size == 19_994_006, "{size}");
    request_with_photo_of(&mut f, &large).await?;
    let hash = PhotoHash::of(large.as_bytes()).to_string();

    let to_hub = FaultProxy::start(f.federation_addr(HUB)?).await?;
    let mut card = f.sandbox.card(&p(HUB), &[])?;
    card.endpoint = to_hub.addr.to_string();
    f.node("BEL")?
        .add_peer(&iti_node::service::Actor::Node, card)
        .await?;
    let ask = || pb::FetchPhotoRequest {
        sha256: hash.clone(),
        ..Default::default()
    };

    to_hub.cut_after(8 << 20);
    let cut = f.poc("BEL")?.get_photo(ask()).await;
    let said = cut.err().context("the fetch went through the cut")?;
    ensure!(said.message().contains("unreachable"), "{said:?}");
    let held_sql = format!(
        "SELECT CAST(COALESCE(SUM(length(content)), 0) AS BIGINT) FROM photo_parts \
         WHERE sha256 = '{hash}'"
    );
    let held = db_scalar(f.node("BEL")?, &held_sql).await? as u64;
    ensure!(
        (4 << 20..size).contains(&held),
        "BEL holds {held} bytes of the photograph after the cut"
    );

    to_hub.heal();
    to_hub.reset_count();
    // The officer gets the photograph whole, as `itictl photo get` does.
    let bel = f.poc("BEL")?.max_decoding_message_size(32 << 20);
    let got = std::sync::Mutex::new(None);
    // Asked again until the channel to the hub has reconnected.
    f.until("BEL fetches the rest of the photograph", || {
        let (mut bel, ask, got) = (bel.clone(), ask(), &got);
        async move {
            match bel.get_photo(ask).await {
                Ok(photo) => {
                    *got.lock().unwrap() = Some(photo.into_inner());
                    Ok(true)
                }
                Err(e) if e.message().contains("unreachable") => Ok(false),
                Err(e) => Err(e.into()),
            }
        }
    })
    .await?;
    let photo = got.into_inner().unwrap().context("no photograph")?;
    ensure!(photo.content == large.as_bytes(), "other bytes");
    let resumed = to_hub.answered_bytes();
    ensure!(
        resumed < size - held + (1 << 20),
        "{resumed} bytes crossed the link after the cut, for the {} BEL lacked",
        size - held
    );
    ensure!(
        db_scalar(f.node("BEL")?, &held_sql).await? == 0,
        "chunks left behind"
    );

    let audit = photo_audit(&f, "GHA").await?;
    let from = format!("BEL photo_released photo {hash}: released bytes {held}-");
    ensure!(
        audit
            .iter()
            .any(|e| e.starts_with(&from) && e.contains("sealed to BEL")),
        "no release from byte {held}: {audit:#?}"
    );
    f.shutdown().await;
    Ok(())
}

/// BEL on a slow line: its link to the hub carries 256 kB a second each
/// way, and BEL waits 2 s for a chunk through the hub. A chunk of 1 MiB
/// would take 4 s, and the officer would be told GHA did not answer in
/// time, again and again; asked in chunks sized to the line, the
/// photograph of 1.2 MB arrives, the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_fetched_over_a_slow_line_comes_in_chunks_sized_to_it() -> anyhow::Result<()> {
    let mut f = iti_tests::one_hub_with(&["GHA", "BEL"], |m| MemberOptions {
        console: m == "GHA",
        delivery_timeout_secs: (m == "BEL").then_some(1),
        ..MemberOptions::default()
    })
    .await?;
    let photo = format!("GIF89a{}", "rifle seen from the right; ".repeat(46_000));
    ensure!(photo.len() > 1_200_000, "{}", photo.len());
    request_with_photo_of(&mut f, &photo).await?;

    let to_hub = FaultProxy::start(f.federation_addr(HUB)?).await?;
    let mut card = f.sandbox.card(&p(HUB), &[])?;
    card.endpoint = to_hub.addr.to_string();
    f.node("BEL")?
        .add_peer(&iti_node::service::Actor::Node, card)
        .await?;
    to_hub.slow_to(256_000);

    let got = f
        .poc("BEL")?
        .max_decoding_message_size(32 << 20)
        .get_photo(pb::FetchPhotoRequest {
            sha256: PhotoHash::of(photo.as_bytes()).to_string(),
            ..Default::default()
        })
        .await?
        .into_inner();
    ensure!(got.content == photo.as_bytes(), "other bytes");
    f.shutdown().await;
    Ok(())
}

/// Officers at BEL open the same photograph of 5 MB at once (a page may
/// show one photograph twice): each gets the bytes, though the fetches of
/// its chunks race, and BEL keeps one copy and no chunks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_opened_several_times_at_once_is_fetched_for_each() -> anyhow::Result<()> {
    let mut f = Federation::of_members(&[("GHA", with_console()), ("BEL", with_console())]).await?;
    let photo = format!("GIF89a{}", "stock, left side; ".repeat(290_000));
    request_with_photo_of(&mut f, &photo).await?;
    let hash = PhotoHash::of(photo.as_bytes()).to_string();
    let bel = f.poc("BEL")?.max_decoding_message_size(32 << 20);
    let opened = (0..4).map(|_| {
        let (mut bel, hash) = (bel.clone(), hash.clone());
        async move {
            bel.get_photo(pb::FetchPhotoRequest {
                sha256: hash,
                ..Default::default()
            })
            .await
        }
    });
    for got in futures::future::join_all(opened).await {
        let got = got.map_err(|e| anyhow::anyhow!("{e:?}"))?.into_inner();
        ensure!(got.content == photo.as_bytes(), "other bytes");
    }
    let node = f.node("BEL")?;
    ensure!(db_scalar(node, "SELECT COUNT(*) FROM photos").await? == 1);
    ensure!(db_scalar(node, "SELECT COUNT(*) FROM photo_parts").await? == 0);
    f.shutdown().await;
    Ok(())
}

/// (2) The hub relays only ciphertext: its database holds the photograph
/// nowhere (no row in its photos table, the bytes in no column of any
/// table), its audit names the hash, the fetcher, the origin and the
/// outcome, never the content; an answer it obtains by replaying BEL's ask
/// is sealed to BEL and does not open with the hub's key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_relays_ciphertext_and_keeps_no_photo() -> anyhow::Result<()> {
    let mut f = through_hub().await?;
    request_with_photo(&mut f).await?;
    let hash = PhotoHash::of(PHOTO.as_bytes());
    let photo = f
        .poc("BEL")?
        .get_photo(pb::FetchPhotoRequest {
            sha256: hash.to_string(),
            ..Default::default()
        })
        .await?
        .into_inner();
    ensure!(photo.content == PHOTO.as_bytes(), "other bytes");

    let hub = f.node(HUB)?;
    ensure!(db_scalar(hub, "SELECT COUNT(*) FROM photos").await? == 0);
    let content = "painted inventory";
    let holding = columns_holding(&f, HUB, content).await?;
    ensure!(holding.is_empty(), "the hub holds the bytes in {holding:?}");
    // The check finds them where they are.
    let at_bel = columns_holding(&f, "BEL", content).await?;
    ensure!(at_bel == ["photos.content"], "{at_bel:?}");

    let audit = photo_audit(&f, HUB).await?;
    ensure!(
        audit.iter().any(|e| e.starts_with("BEL photo_relayed")
            && e.contains(hash.as_str())
            && e.contains("BEL asked GHA, via GHA: sealed answer relayed")),
        "{audit:#?}"
    );
    ensure!(
        !audit
            .iter()
            .any(|e| e.contains(content) || e.contains("GIF89a")),
        "{audit:#?}"
    );

    // What the hub could get for itself with a copy of BEL's ask: sealed
    // to BEL, which the hub's key does not open.
    let ask = f
        .node("BEL")?
        .photo_ask(&p("GHA"), &hash, Default::default());
    let answer = federation_port(&f, HUB, "GHA")?
        .fetch_photo(ask.clone())
        .await?
        .into_inner();
    ensure!(answer.content.is_empty() && answer.media_type.is_empty());
    let sealed = answer.sealed.context("no sealed answer")?;
    ensure!(
        !String::from_utf8_lossy(&sealed.ciphertext).contains(content),
        "the answer is in clear"
    );
    let signed = ask.signed.context("no signed ask")?;
    let hub_key = &f.sandbox.member(&p(HUB))?.sealing;
    ensure!(hub_key.open_photo(&sealed, &signed.ask).is_err());
    let bel_key = &f.sandbox.member(&p("BEL"))?.sealing;
    let opened = bel_key.open_photo(&sealed, &signed.ask)?;
    ensure!(String::from_utf8_lossy(&opened).contains(content));
    f.shutdown().await;
    Ok(())
}

/// (3) NGA, a member GHA sent no message referencing the photograph, asks
/// through the hub with its own signed ask: GHA's policy refuses NGA (not
/// the hub), and GHA's audit names NGA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_not_sent_the_reference_is_refused_through_the_hub() -> anyhow::Result<()> {
    let mut f = through_hub().await?;
    request_with_photo(&mut f).await?;
    let hash = PhotoHash::of(PHOTO.as_bytes());

    let ask = f
        .node("NGA")?
        .photo_ask(&p("GHA"), &hash, Default::default());
    let refused = federation_port(&f, "NGA", HUB)?
        .fetch_photo(ask)
        .await
        .err()
        .context("GHA released the photograph to NGA through the hub")?;
    ensure!(
        refused.code() == tonic::Code::PermissionDenied
            && refused
                .message()
                .contains("no message referencing it was sent to NGA"),
        "{refused:?}"
    );
    let audit = photo_audit(&f, "GHA").await?;
    ensure!(
        audit.iter().any(|e| e.starts_with("NGA photo_refused")
            && e.contains(hash.as_str())
            && e.contains("no message referencing it was sent to NGA")
            && e.contains("asked through hub:ECOWAS")),
        "{audit:#?}"
    );
    ensure!(
        !audit.iter().any(|e| e.contains("photo_released")),
        "{audit:#?}"
    );
    let hub_audit = photo_audit(&f, HUB).await?;
    ensure!(
        hub_audit
            .iter()
            .any(|e| e.starts_with("NGA photo_relay_failed") && e.contains("NGA asked GHA")),
        "{hub_audit:#?}"
    );
    f.shutdown().await;
    Ok(())
}

/// (4) An ask claiming to be BEL's but signed with the hub's key (the hub
/// forging it), or NGA's signature under an ask altered to name BEL, is
/// refused, and audited as forged in the name of who handed it over; BEL's
/// own ask is taken only within minutes of its signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ask_not_signed_by_the_fetcher_it_names_is_refused() -> anyhow::Result<()> {
    let mut f = through_hub().await?;
    request_with_photo(&mut f).await?;
    let hash = PhotoHash::of(PHOTO.as_bytes());

    let as_bel = pb::PhotoAsk {
        sha256: hash.to_string(),
        fetcher: "BEL".into(),
        origin: "GHA".into(),
        asked_at: Some(iti_tests::iti_node::clock::to_timestamp(f.clock.now())),
        offset: 0,
        length: 0,
    };
    let hub = f.node(HUB)?;
    let forged = pb::FetchPhotoRequest {
        sha256: hash.to_string(),
        signed: Some(iti_tests::iti_node::envelope::sign_photo_ask(
            hub.signer(),
            &as_bel,
        )),
        via: vec![HUB.into()],
        offset: 0,
        length: 0,
    };
    let refused = federation_port(&f, HUB, "GHA")?
        .fetch_photo(forged)
        .await
        .err()
        .context("GHA answered an ask the hub forged in BEL's name")?;
    ensure!(
        refused.code() == tonic::Code::PermissionDenied
            && refused.message().contains("signed.signer_certificate")
            && refused
                .message()
                .contains("names BEL as the fetcher but is signed by hub:ECOWAS"),
        "{refused:?}"
    );

    // NGA's signature, under an ask altered to name BEL: the hub does not
    // take it from NGA, and GHA does not take it from the hub.
    let mut altered = f
        .node("NGA")?
        .photo_ask(&p("GHA"), &hash, Default::default());
    if let Some(signed) = altered.signed.as_mut() {
        use prost::Message;
        signed.ask = as_bel.encode_to_vec();
    }
    let refused = federation_port(&f, "NGA", HUB)?
        .fetch_photo(altered.clone())
        .await
        .err()
        .context("the hub relayed an ask NGA handed over in BEL's name")?;
    ensure!(
        refused.code() == tonic::Code::PermissionDenied
            && refused
                .message()
                .contains("NGA hands over an ask naming BEL"),
        "{refused:?}"
    );
    let refused = federation_port(&f, HUB, "GHA")?
        .fetch_photo(altered)
        .await
        .err()
        .context("GHA answered NGA's signature under BEL's name")?;
    ensure!(
        refused.code() == tonic::Code::PermissionDenied
            && refused.message().contains("signed by NGA"),
        "{refused:?}"
    );

    let audit = photo_audit(&f, "GHA").await?;
    let forgeries: Vec<_> = audit
        .iter()
        .filter(|e| e.contains("photo_refused") && e.contains("not signed by BEL's key"))
        .collect();
    ensure!(
        forgeries.len() == 2
            && forgeries[0].starts_with("hub:ECOWAS ")
            && forgeries[1].starts_with("hub:ECOWAS "),
        "{audit:#?}"
    );
    ensure!(
        !audit.iter().any(|e| e.contains("photo_released")),
        "{audit:#?}"
    );

    // BEL's own ask, copied by the hub and replayed later, has expired.
    let ask = f
        .node("BEL")?
        .photo_ask(&p("GHA"), &hash, Default::default());
    f.advance(time::Duration::minutes(10));
    let expired = federation_port(&f, HUB, "GHA")?
        .fetch_photo(ask)
        .await
        .err()
        .context("GHA answered an expired ask")?;
    ensure!(
        expired.code() == tonic::Code::InvalidArgument
            && expired.message().starts_with("signed.ask.asked_at:")
            && expired.message().contains("expired"),
        "{expired:?}"
    );
    f.shutdown().await;
    Ok(())
}

/// The hub says so when it cannot reach the origin: BEL's officer reads
/// that GHA is unreachable from hub:ECOWAS, and the hub audits the failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_the_hub_cannot_reach_is_named_unreachable() -> anyhow::Result<()> {
    let mut f = through_hub().await?;
    request_with_photo(&mut f).await?;
    let hash = PhotoHash::of(PHOTO.as_bytes()).to_string();
    f.sandbox.stop(&p("GHA")).await?;

    let failed = f
        .poc("BEL")?
        .get_photo(pb::FetchPhotoRequest {
            sha256: hash.clone(),
            ..Default::default()
        })
        .await
        .err()
        .context("a photograph came from a stopped GHA")?;
    ensure!(
        failed.code() == tonic::Code::Unavailable
            && failed
                .message()
                .contains("the origin GHA is unreachable from hub:ECOWAS"),
        "{failed:?}"
    );
    let audit = photo_audit(&f, HUB).await?;
    ensure!(
        audit.iter().any(|e| e.starts_with("BEL photo_relay_failed")
            && e.contains(&hash)
            && e.contains("unreachable")),
        "{audit:#?}"
    );
    f.shutdown().await;
    Ok(())
}
