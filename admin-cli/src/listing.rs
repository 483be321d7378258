//! Listings that come in pages (`cases`, `inbox`, `outbox`): fetched one
//! page at a time and written out as each arrives, so that itictl's memory
//! stays flat however long the list. `--json` writes one document, item by
//! item, as the node's reply would be if it came whole.

use std::io::Write;

use iti_node::render;
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use tonic::transport::Channel;

use crate::client::{Print, failed};

/// Writes a JSON object with one array, `{"<name>": [ ... ]}`, an item at a
/// time.
struct JsonArray {
    first: bool,
}

impl JsonArray {
    fn start(out: &mut dyn Write, name: &str) -> anyhow::Result<JsonArray> {
        write!(out, "{{\n  \"{name}\": [")?;
        Ok(JsonArray { first: true })
    }

    fn item<T: serde::Serialize>(&mut self, out: &mut dyn Write, item: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(item)?;
        let sep = if self.first { "" } else { "," };
        self.first = false;
        write!(out, "{sep}\n    {}", text.replace('\n', "\n    "))?;
        Ok(())
    }

    fn finish(self, out: &mut dyn Write) -> anyhow::Result<()> {
        let end = if self.first { "]" } else { "\n  ]" };
        writeln!(out, "{end}\n}}")?;
        Ok(())
    }
}

/// `itictl inbox` (`inbox`) and `itictl cases [--all]`.
pub async fn traces(
    client: &mut LocalClient<Channel>,
    inbox: bool,
    include_closed: bool,
    page_size: u32,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut json_out = if print.json {
        Some(JsonArray::start(out, "traces")?)
    } else {
        None
    };
    let mut token = String::new();
    let mut seen = 0usize;
    loop {
        let page = client
            .list_traces(pb::ListTracesRequest {
                inbox,
                include_closed,
                page: Some(pb::PageRequest {
                    size: page_size,
                    token,
                }),
            })
            .await
            .map_err(failed)?
            .into_inner();
        seen += page.traces.len();
        for t in &page.traces {
            match json_out.as_mut() {
                Some(j) => j.item(out, t)?,
                None => writeln!(out, "{}", render::trace_line(&print.texts, t))?,
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    match json_out {
        Some(j) => j.finish(out),
        None if seen == 0 => {
            let empty = if inbox {
                "text-inbox-empty"
            } else {
                "text-no-traces"
            };
            writeln!(out, "{}", print.texts.t(empty))?;
            Ok(())
        }
        None => Ok(()),
    }
}

/// `itictl outbox [--all]`.
pub async fn outbox(
    client: &mut LocalClient<Channel>,
    include_delivered: bool,
    page_size: u32,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut json_out = if print.json {
        Some(JsonArray::start(out, "items")?)
    } else {
        None
    };
    let mut token = String::new();
    let mut seen = 0usize;
    loop {
        let page = client
            .outbox(pb::OutboxRequest {
                include_delivered,
                page: Some(pb::PageRequest {
                    size: page_size,
                    token,
                }),
            })
            .await
            .map_err(failed)?
            .into_inner();
        seen += page.items.len();
        match json_out.as_mut() {
            Some(j) => {
                for item in &page.items {
                    j.item(out, item)?;
                }
            }
            None if !page.items.is_empty() => {
                write!(out, "{}", render::outbox(&print.texts, &page.items))?
            }
            None => {}
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    match json_out {
        Some(j) => j.finish(out),
        None if seen == 0 => {
            write!(out, "{}", render::outbox(&print.texts, &[]))?;
            Ok(())
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_list_written_item_by_item_is_one_document() {
        let mut text = Vec::new();
        let mut j = JsonArray::start(&mut text, "items").unwrap();
        j.item(&mut text, &serde_json::json!({"a": 1})).unwrap();
        j.item(&mut text, &serde_json::json!({"b": [2]})).unwrap();
        j.finish(&mut text).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(parsed, serde_json::json!({"items": [{"a": 1}, {"b": [2]}]}));
        let mut empty = Vec::new();
        JsonArray::start(&mut empty, "traces")
            .unwrap()
            .finish(&mut empty)
            .unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&empty).unwrap();
        assert_eq!(parsed, serde_json::json!({"traces": []}));
    }
}
