//! Photographs (6.2.3) a message references, by their SHA-256: fetched
//! through the node, which shows them only to an officer whose view of a
//! message references them (and fetches them from the sending state).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use iti_node::bounds::table::MAX_PHOTO_BYTES;
use iti_node::i18n::Texts;
use iti_proto::v1 as pb;

use crate::client::{Connection, failed};

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
