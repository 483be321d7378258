//! `GET /photo/{sha256}`: a photograph (6.2.3), for an officer whose view
//! of a message (after the release gate) references it, as `itictl photo
//! get` fetches it (`Node::photo_for`). Only the hash is in the URL.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::console::{Console, Session, error_page};

pub async fn show(
    State(console): State<Arc<Console>>,
    session: Session,
    Path(sha256): Path<String>,
) -> Response {
    match console.node.photo_for(&session.officer, &sha256).await {
        // The media type was read from the bytes: only images are stored.
        Ok(photo) => ([(header::CONTENT_TYPE, photo.media_type)], photo.content).into_response(),
        Err(e) => error_page(&session.texts, e),
    }
}
