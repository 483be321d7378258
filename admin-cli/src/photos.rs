//! Photographs (6.2.3) a message references, by their SHA-256: fetched
//! through the node, which shows them only to an officer whose view of a
//! message references them (and fetches them from the sending state).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use iti_node::bounds::table::MAX_PHOTO_BYTES;
use iti_node::i18n::Texts;
use iti_node::photo::CHUNK_BYTES;
use iti_proto::v1 as pb;

use crate::client::{Connection, Print, failed, print_json};

/// `photo get HASH [-o FILE]`: the bytes to FILE, or to standard output.
pub async fn get(
    conn: &Connection,
    hash: &str,
    file: Option<&Path>,
    texts: &Texts,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let photo = conn
        .client()?
        .max_decoding_message_size(MAX_PHOTO_BYTES as usize + 1024)
        .get_photo(pb::FetchPhotoRequest {
            sha256: hash.trim().to_string(),
            ..Default::default()
        })
        .await
        .map_err(failed)?
        .into_inner();
    let Some(path) = file else {
        return Ok(out.write_all(&photo.content)?);
    };
    std::fs::write(path, &photo.content).with_context(|| format!("writing {}", path.display()))?;
    let args = [
        ("path", path.display().to_string()),
        ("media", photo.media_type.clone()),
        ("bytes", photo.content.len().to_string()),
        ("sha256", photo.sha256.clone()),
    ];
    writeln!(out, "{}", texts.t_with("photo-saved", &args))?;
    Ok(())
}

/// `photo add FILE`: the photograph stored on the node, sent in parts (it
/// may be larger than one message); prints the attachment a request's item
/// names it by.
pub async fn add(
    conn: &Connection,
    file: &Path,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if bytes.len() as u64 > MAX_PHOTO_BYTES {
        anyhow::bail!(
            "{}: {} bytes; a photograph has at most {MAX_PHOTO_BYTES} bytes (20 MiB)",
            file.display(),
            bytes.len()
        );
    }
    let parts: Vec<pb::PhotoPart> = bytes
        .chunks(CHUNK_BYTES as usize)
        .map(|c| pb::PhotoPart {
            content: c.to_vec(),
        })
        .collect();
    drop(bytes);
    let attachment = conn
        .client()?
        .upload_photo(tokio_stream::iter(parts))
        .await
        .map_err(failed)?
        .into_inner();
    if !print.json {
        let args = [
            ("path", file.display().to_string()),
            ("media", attachment.media_type.clone()),
            ("bytes", attachment.size_bytes.to_string()),
            ("sha256", attachment.sha256.clone()),
        ];
        writeln!(out, "{}", print.texts.t_with("photo-added", &args))?;
    }
    print_json(out, &attachment)
}
