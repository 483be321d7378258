//! Pages of long listings (`ListTraces`, `Outbox`): the size a caller asks
//! for, within the node's bounds, and the token that says where the next
//! page starts. Tokens are what the node gave; anything else is refused,
//! naming the field.

use iti_proto::v1 as pb;
use tonic::Status;

/// Items per page when the caller does not say.
pub const DEFAULT_SIZE: usize = 500;
/// Items per page at most, whatever the caller asks.
pub const MAX_SIZE: usize = 1000;

/// The page a caller asked for: how many items, and after which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub size: usize,
    pub after: Option<T>,
}

/// Reads `page` (absent: the first page of the default size); `after` is
/// the previous reply's token, parsed as what it was made from.
pub fn read<T: std::str::FromStr>(page: Option<&pb::PageRequest>) -> Result<Page<T>, Status> {
    let Some(page) = page else {
        return Ok(Page {
            size: DEFAULT_SIZE,
            after: None,
        });
    };
    let size = match page.size as usize {
        0 => DEFAULT_SIZE,
        n => n.min(MAX_SIZE),
    };
    let after = if page.token.is_empty() {
        None
    } else {
        Some(page.token.parse().map_err(|_| {
            Status::invalid_argument(
                "page.token: not a token this node gave (use the reply's nextPageToken)",
            )
        })?)
    };
    Ok(Page { size, after })
}

/// The token of the page after one that ended at `last`, or "" if none.
pub fn next_token(last: Option<impl std::fmt::Display>) -> String {
    last.map(|l| l.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_bounded_and_its_token_must_be_the_nodes() {
        assert_eq!(read::<i64>(None).unwrap().size, DEFAULT_SIZE);
        let page = |size, token: &str| pb::PageRequest {
            size,
            token: token.into(),
        };
        assert_eq!(
            read::<i64>(Some(&page(0, ""))).unwrap(),
            Page {
                size: DEFAULT_SIZE,
                after: None
            }
        );
        assert_eq!(
            read::<i64>(Some(&page(5000, "17"))).unwrap(),
            Page {
                size: MAX_SIZE,
                after: Some(17)
            }
        );
        let refused = read::<i64>(Some(&page(10, "seventeen"))).unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert!(refused.message().starts_with("page.token"));
        assert_eq!(next_token(Some(42)), "42");
        assert_eq!(next_token(None::<i64>), "");
    }
}
