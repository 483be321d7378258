//! A request of a large cache (thousands of items) is read a page at a
//! time: a view keeps a window of each request's items, and says which it
//! kept, so that the console and `itictl case show` show a page and offer
//! the next. The window only ever removes: a message's payload is read
//! from the store with its page of items only (`store::partial`), before
//! the release gate, which then judges and copies a page, not 100,000
//! items; a draft's is applied after the gate, to what it released.

use std::ops::Range;

use iti_proto::v1 as pb;

/// Which of each request's items a view shows: `limit` of them from item
/// `from` (0-based), or every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemWindow {
    pub from: usize,
    pub limit: Option<usize>,
}

impl ItemWindow {
    /// Every item.
    pub const ALL: ItemWindow = ItemWindow {
        from: 0,
        limit: None,
    };

    /// The items the console and `itictl` show at once.
    pub const PAGE: usize = 100;

    /// A page of items from item `from`.
    pub fn page(from: usize) -> ItemWindow {
        ItemWindow {
            from,
            limit: Some(Self::PAGE),
        }
    }

    /// As `ShowCaseRequest` asks it (a limit of 0: every item).
    pub fn asked(from: u32, limit: u32) -> ItemWindow {
        ItemWindow {
            from: from as usize,
            limit: (limit > 0).then_some(limit as usize),
        }
    }

    /// Keeps the window of `items`; which were kept, unless all.
    pub fn keep(&self, items: &mut Vec<pb::RecoveredItem>) -> Option<pb::ItemsShown> {
        let range = self.range(items.len())?;
        let shown = shown(&range, items.len());
        items.truncate(range.end);
        items.drain(..range.start);
        Some(shown)
    }

    /// A copy of the window of `items`; which were copied, unless all.
    pub fn copy(
        &self,
        items: &[pb::RecoveredItem],
    ) -> (Vec<pb::RecoveredItem>, Option<pb::ItemsShown>) {
        match self.range(items.len()) {
            Some(range) => (
                items[range.clone()].to_vec(),
                Some(shown(&range, items.len())),
            ),
            None => (items.to_vec(), None),
        }
    }

    /// Whether the window holds the item at `index`.
    pub fn holds(&self, index: usize) -> bool {
        self.limit
            .is_none_or(|limit| index >= self.from && index - self.from < limit)
    }

    /// Which of `total` items the window shows, unless all.
    pub fn shown_of(&self, total: usize) -> Option<pb::ItemsShown> {
        self.range(total).map(|range| shown(&range, total))
    }

    /// Which of `total` items the window holds, unless all.
    fn range(&self, total: usize) -> Option<Range<usize>> {
        let limit = self.limit?;
        if self.from == 0 && total <= limit {
            return None;
        }
        let from = self.from.min(total);
        Some(from..from.saturating_add(limit).min(total))
    }
}

fn shown(range: &Range<usize>, total: usize) -> pb::ItemsShown {
    pb::ItemsShown {
        from: range.start as u32,
        total: total as u32,
        count: range.len() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<pb::RecoveredItem> {
        (0..n)
            .map(|i| pb::RecoveredItem {
                item_ref: format!("exhibit {i}"),
                ..Default::default()
            })
            .collect()
    }

    fn refs(items: &[pb::RecoveredItem]) -> Vec<&str> {
        items.iter().map(|i| i.item_ref.as_str()).collect()
    }

    #[test]
    fn a_page_keeps_its_items_and_says_which_of_how_many() {
        let mut all = items(250);
        let shown = ItemWindow::page(200).keep(&mut all);
        let (from, total, count) = (200, 250, 50);
        assert_eq!(shown, Some(pb::ItemsShown { from, total, count }));
        assert_eq!(all.len(), 50);
        assert_eq!(refs(&all)[0], "exhibit 200");
    }

    #[test]
    fn a_request_that_fits_one_page_is_shown_whole_and_all_keeps_all() {
        let mut few = items(3);
        assert_eq!(ItemWindow::page(0).keep(&mut few), None);
        assert_eq!(few.len(), 3);
        let mut many = items(300);
        assert_eq!(ItemWindow::ALL.keep(&mut many), None);
        assert_eq!(many.len(), 300);
        assert_eq!(ItemWindow::asked(0, 0), ItemWindow::ALL);
    }

    #[test]
    fn a_page_past_the_end_keeps_nothing_and_still_says_how_many() {
        let mut all = items(10);
        let shown = ItemWindow::page(50).keep(&mut all);
        let (from, total, count) = (10, 10, 0);
        assert_eq!(shown, Some(pb::ItemsShown { from, total, count }));
        assert!(all.is_empty());
    }
}
