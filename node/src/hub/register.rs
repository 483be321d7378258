//! The broker's register of weapons reported lost or stolen (annex A.2), and
//! the check every request passing through the broker gets. Serial numbers
//! are compared after normalisation that forgives the usual misreadings of
//! engraved characters (O/0, I/1/L, S/5, B/8, Z/2) and missing leading zeros.

use futures::{Stream, StreamExt};
use iti_proto::v1 as pb;

use crate::identity::Officer;
use crate::ids::StateCode;
use crate::matching::{make_key, match_serial, search_keys, serial_key};
use crate::service::{Actor, Node, ServiceError, ServiceResult};
use crate::store::register::{self, FeedLine, LostStolenRow};
use crate::store::{audit, boxed};

/// The most notices one request can cause (each match is a notice to the
/// requester and one to the requested state): further matches are counted
/// in the broker's audit trail, not sent.
pub const MAX_NOTICES_PER_REQUEST: usize = 10;

/// Checks a request's weapons against the register; one notice per match,
/// at most [`MAX_NOTICES_PER_REQUEST`], and how many matches there were.
/// A request has at most `bounds::table::MAX_ITEMS` items, so at most that
/// many register queries.
pub async fn check_request(
    node: &Node,
    request: &pb::TraceRequest,
) -> ServiceResult<(Vec<pb::BrokerNotice>, usize)> {
    let mut notices = Vec::new();
    let mut matches = 0;
    for (i, item) in request
        .items
        .iter()
        .enumerate()
        .take(crate::bounds::table::MAX_ITEMS)
    {
        let (make, serial) = match &item.item {
            Some(pb::recovered_item::Item::Weapon(w)) => (&w.make, &w.serial_number),
            Some(pb::recovered_item::Item::Part(p)) => (&p.make, &p.serial_number),
            _ => continue,
        };
        if make.trim().is_empty() || serial.trim().is_empty() {
            continue;
        }
        let keys = search_keys(serial);
        for entry in
            register::lost_stolen_candidates(node.store.pool(), &make_key(make), &keys).await?
        {
            // The reasons are taken from the registered serial itself.
            let Some(found) = match_serial(serial, &entry.serial_number) else {
                continue;
            };
            matches += 1;
            if notices.len() < MAX_NOTICES_PER_REQUEST {
                notices.push(pb::BrokerNotice {
                    broker: node.participant().to_string(),
                    item_index: i as u32,
                    reported_by: entry.reported_by.clone(),
                    register_entry: entry.reference.clone(),
                    registered_make: entry.make.clone(),
                    registered_serial: entry.serial_number.clone(),
                    reported_on: entry.reported_on.clone(),
                    circumstances: entry.circumstances.clone(),
                    differences: found.reasons,
                });
            }
        }
    }
    Ok((notices, matches))
}

/// Checks one report for the register: every field within its bounds
/// (`bounds`: lengths, control characters, NFC, the reporting country, a
/// date not in the future), and a make and a serial number to match on.
/// Pure; the row to store, or why not.
pub fn check_record(
    mut r: pb::LostStolenRecord,
    now: time::OffsetDateTime,
) -> Result<LostStolenRow, String> {
    crate::bounds::check(&mut r, now).map_err(|e| e.to_string())?;
    if let Err(e) = r.reported_by.trim().parse::<StateCode>() {
        return Err(format!("reportedBy: {e}"));
    }
    if make_key(&r.make).is_empty() {
        return Err("make: missing".into());
    }
    if serial_key(&r.serial_number).is_empty() {
        return Err("serialNumber: missing".into());
    }
    Ok(LostStolenRow {
        reported_by: r.reported_by.trim().to_string(),
        make: r.make.trim().to_string(),
        model: r.model.trim().to_string(),
        serial_number: r.serial_number.trim().to_string(),
        calibre: r.calibre.trim().to_string(),
        make_key: make_key(&r.make),
        serial_key: serial_key(&r.serial_number),
        reported_on: r.reported_on.trim().to_string(),
        circumstances: r.circumstances.trim().to_string(),
        reference: r.reference.trim().to_string(),
    })
}

/// Reports an import stores in one write. Keys are random over the
/// register's indexes: the larger the write, the more of its pages it
/// shares (at 500, each report cost about two index pages of the WAL).
pub const IMPORT_BATCH: usize = 5_000;

/// Reports a feed stages before they are merged into the register. A
/// merge writes the register's index in key order, so the more reports it
/// adds, the more of them share each index page written; it also holds
/// the writer while it runs (other writes wait), and its reports are not
/// found by matching until it has run.
pub const MERGE_EVERY: usize = 1_000_000;

/// Reports whose keys are computed again in one write, at start.
const REKEY_PAGE: i64 = 5_000;

impl Node {
    /// At start, on SQLite (this process its only writer): what imports the
    /// node stopped during had staged is forgotten. Their officers were
    /// never answered, and import the file again.
    pub(crate) async fn forget_unfinished_imports(&self) -> Result<(), crate::store::StoreError> {
        let forgotten = self
            .store
            .write(|conn| boxed(async move { register::forget_all_staged().execute(conn).await }))
            .await?;
        if forgotten > 0 {
            tracing::info!(forgotten, "forgot the staged reports of unfinished imports");
        }
        Ok(())
    }

    /// At start: keys stored by older rules (`matching::KEY_RULES`) are
    /// computed again, page by page, so that a lookup by key misses no
    /// report. Done once per change of the rules.
    pub(crate) async fn rekey_register(&self) -> Result<(), crate::store::StoreError> {
        let pool = self.store.pool();
        if register::register_key_rules(pool).await? >= crate::matching::KEY_RULES {
            return Ok(());
        }
        let (mut after, mut changed) = (0, 0usize);
        loop {
            let page = register::reports_after(pool, after, REKEY_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let stale: Vec<register::KeyedReport> = page
                .into_iter()
                .filter_map(|mut r| {
                    let (m, s) = (make_key(&r.make), serial_key(&r.serial_number));
                    let same = m == r.make_key && s == r.serial_key;
                    (r.make_key, r.serial_key) = (m, s);
                    (!same).then_some(r)
                })
                .collect();
            changed += stale.len();
            if !stale.is_empty() {
                self.store
                    .write(move |conn| {
                        boxed(async move {
                            let writes: Vec<_> =
                                stale.iter().flat_map(register::rekey_writes).collect();
                            crate::store::Writes::from(writes).execute(conn).await
                        })
                    })
                    .await?;
            }
        }
        let rules = crate::matching::KEY_RULES;
        self.store
            .write(move |conn| {
                boxed(async move { register::key_rules_write(rules).execute(conn).await })
            })
            .await?;
        if changed > 0 {
            tracing::info!(
                changed,
                rules,
                "register keys computed again by the current rules"
            );
        }
        Ok(())
    }
}

/// Why a feed of reports stopped: the feed itself failed, or the register
/// refused a batch. Batches written before either stay written.
#[derive(Debug)]
pub enum FeedError<E> {
    Feed(E),
    Register(ServiceError),
}

impl Node {
    /// Imports a feed of reports as it arrives, [`IMPORT_BATCH`] at a time.
    /// The next batch is read and decoded while the one before is staged,
    /// so that the feed and the database do not wait for each other. The
    /// staged reports are merged into the register every [`MERGE_EVERY`]
    /// and at the end of the feed, also when the feed fails: every full
    /// batch read before a failure is added; a partial one is not.
    pub async fn import_lost_stolen<E>(
        &self,
        officer: &Officer,
        mut feed: impl Stream<Item = Result<pb::LostStolenRecord, E>> + Unpin,
    ) -> Result<(u64, Vec<pb::RejectedLine>), FeedError<E>> {
        let (batches, mut to_write) = tokio::sync::mpsc::channel(1);
        let read = async move {
            let mut batch = Vec::with_capacity(IMPORT_BATCH);
            while let Some(record) = feed.next().await {
                batch.push(record?);
                if batch.len() == IMPORT_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(IMPORT_BATCH));
                    if batches.send(full).await.is_err() {
                        return Ok(()); // the writer stopped, and says why
                    }
                }
            }
            if !batch.is_empty() {
                let _ = batches.send(batch).await;
            }
            Ok(())
        };
        let write = async {
            let mut import = Import::start(self, officer);
            let outcome = async {
                while let Some(batch) = to_write.recv().await {
                    import.stage(batch).await?;
                }
                import.merge().await
            }
            .await;
            match outcome {
                Ok(()) => Ok(import.answer()),
                Err(e) => {
                    import.abandon().await;
                    Err(e)
                }
            }
        };
        let (read, written) = tokio::join!(read, write);
        let written = written.map_err(FeedError::Register)?;
        read.map_err(FeedError::Feed)?;
        Ok(written)
    }
}

/// The audit log's entry for reports added to the register (none when a
/// write added none).
async fn audit_added(
    conn: &mut sqlx::AnyConnection,
    now: time::OffsetDateTime,
    who: &str,
    merged: &register::Merged,
) -> Result<(), crate::store::StoreError> {
    if merged.added > 0 {
        let added = format!("{} added", merged.added);
        audit::append(conn, now, who, "lost_stolen_import", "register", &added).await?;
    }
    Ok(())
}

/// One feed being imported: its reports are staged (appended, unchecked
/// against the register), then merged into the register in key order.
struct Import<'a> {
    node: &'a Node,
    who: String,
    /// Names this feed's staged reports; random, since PostgreSQL replicas
    /// of a node share the staging.
    feed: i64,
    staged: usize,
    accepted: u64,
    rejected: Vec<pb::RejectedLine>,
}

impl<'a> Import<'a> {
    fn start(node: &'a Node, officer: &Officer) -> Import<'a> {
        Import {
            node,
            who: Actor::Officer(officer.clone()).to_string(),
            feed: rand::random(),
            staged: 0,
            accepted: 0,
            rejected: Vec::new(),
        }
    }

    /// Checks a batch's records and stages those that pass; each one that
    /// does not is kept with its line and the reason.
    async fn stage(&mut self, records: Vec<pb::LostStolenRecord>) -> ServiceResult<()> {
        let now = self.node.now();
        let mut lines = Vec::with_capacity(records.len());
        for r in records {
            let line = r.line;
            match check_record(r, now) {
                Ok(report) => lines.push(FeedLine { line, report }),
                Err(reason) => self.rejected.push(pb::RejectedLine { line, reason }),
            }
        }
        self.staged += lines.len();
        let (feed, who) = (self.feed, self.who.clone());
        let merged = self
            .node
            .store
            .write_bulk(move |conn| {
                boxed(async move {
                    let merged = register::stage(conn, feed, &lines).await?;
                    audit_added(conn, now, &who, &merged).await?;
                    Ok::<_, ServiceError>(merged)
                })
            })
            .await?;
        self.absorb(merged);
        if self.staged >= MERGE_EVERY {
            self.merge().await?;
        }
        Ok(())
    }

    /// Adds what is staged to the register; a line the register already
    /// held, or that repeats an earlier line, is kept as rejected.
    async fn merge(&mut self) -> ServiceResult<()> {
        if self.staged == 0 {
            return Ok(());
        }
        let (feed, now, who) = (self.feed, self.node.now(), self.who.clone());
        let merged = self
            .node
            .store
            .write_bulk(move |conn| {
                boxed(async move {
                    let merged = register::merge_staged(conn, feed).await?;
                    audit_added(conn, now, &who, &merged).await?;
                    Ok::<_, ServiceError>(merged)
                })
            })
            .await;
        // Committed, or perhaps (an unknown outcome): asked again.
        self.node.store.register_changed();
        let merged = merged?;
        self.staged = 0;
        self.absorb(merged);
        Ok(())
    }

    fn absorb(&mut self, merged: register::Merged) {
        self.accepted += merged.added;
        self.rejected
            .extend(merged.repeated.into_iter().map(|r| pb::RejectedLine {
                line: r.line,
                reason: format!(
                    "already registered: {} {} reported by {}",
                    r.make, r.serial_number, r.reported_by
                ),
            }));
    }

    /// After a failure: what this feed staged and did not merge is
    /// forgotten now (or, if that fails too, at the node's next start).
    async fn abandon(&self) {
        let feed = self.feed;
        let forgotten = self
            .node
            .store
            .write(move |conn| {
                boxed(async move { register::forget_feed(feed).execute(conn).await })
            })
            .await;
        if let Err(e) = forgotten {
            tracing::warn!(error = %e, "an abandoned import's staged reports stay until a restart");
        }
    }

    fn answer(mut self) -> (u64, Vec<pb::RejectedLine>) {
        self.rejected.sort_by_key(|r| r.line);
        (self.accepted, self.rejected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_forgives_confusables_and_transpositions() {
        // The register's own rules are `matching`'s; these are the cases
        // it gained by sharing them.
        assert!(match_serial("15\u{041E}2347", "1502347").is_some());
        assert_eq!(
            match_serial("1520347", "1502347").map(|m| m.quality),
            Some(crate::matching::Quality::Transposed)
        );
        assert_eq!(serial_key("FNO4512"), serial_key("FN04512"));
    }
}
