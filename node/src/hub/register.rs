//! The broker's register of weapons reported lost or stolen (annex A.2), and
//! the check every request passing through the broker gets. Serial numbers
//! are compared after normalisation that forgives the usual misreadings of
//! engraved characters (O/0, I/1/L, S/5, B/8, Z/2) and missing leading zeros.

use iti_proto::v1 as pb;

use crate::identity::Officer;
use crate::ids::StateCode;
use crate::matching::{make_key, match_serial, serial_key};
use crate::service::{Actor, Node, ServiceError, ServiceResult};
use crate::store::hub::{self, LostStolenRow};
use crate::store::{audit, boxed};

/// Checks a request's weapons against the register; one notice per match.
pub async fn check_request(
    node: &Node,
    request: &pb::TraceRequest,
) -> ServiceResult<Vec<pb::BrokerNotice>> {
    let mut notices = Vec::new();
    for (i, item) in request.items.iter().enumerate() {
        let (make, serial) = match &item.item {
            Some(pb::recovered_item::Item::Weapon(w)) => (&w.make, &w.serial_number),
            Some(pb::recovered_item::Item::Part(p)) => (&p.make, &p.serial_number),
            _ => continue,
        };
        if make.trim().is_empty() || serial.trim().is_empty() {
            continue;
        }
        for entry in hub::lost_stolen_for_make(node.store.pool(), &make_key(make)).await? {
            // Compared from the registered serial itself, not its stored
            // key: a key stored by an older rule cannot hide a match.
            if let Some(found) = match_serial(serial, &entry.serial_number) {
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
    Ok(notices)
}

impl Node {
    /// Adds lost/stolen reports; every rejected record is returned with its
    /// line number and the reason.
    pub async fn register_lost_stolen(
        &self,
        officer: &Officer,
        records: Vec<pb::LostStolenRecord>,
    ) -> ServiceResult<(u64, Vec<pb::RejectedLine>)> {
        let mut rows = Vec::new();
        let mut rejected = Vec::new();
        for r in records {
            let reject = |reason: &str| pb::RejectedLine {
                line: r.line,
                reason: reason.to_string(),
            };
            if let Err(e) = r.reported_by.trim().parse::<StateCode>() {
                rejected.push(reject(&format!("reported_by: {e}")));
                continue;
            }
            if make_key(&r.make).is_empty() {
                rejected.push(reject("make: missing"));
                continue;
            }
            if serial_key(&r.serial_number).is_empty() {
                rejected.push(reject("serial_number: missing"));
                continue;
            }
            rows.push((
                r.line,
                LostStolenRow {
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
                },
            ));
        }
        let now = self.now();
        let who = Actor::Officer(officer.clone()).to_string();
        let (accepted, duplicates) = self
            .store
            .write(move |conn| {
                boxed(async move {
                    let mut accepted = 0u64;
                    let mut duplicates = Vec::new();
                    for (line, row) in &rows {
                        if hub::add_lost_stolen(conn, row).await? {
                            accepted += 1;
                        } else {
                            duplicates.push(pb::RejectedLine {
                                line: *line,
                                reason: format!(
                                    "already registered: {} {} reported by {}",
                                    row.make, row.serial_number, row.reported_by
                                ),
                            });
                        }
                    }
                    audit::append(
                        conn,
                        now,
                        &who,
                        "lost_stolen_import",
                        "register",
                        &format!("{accepted} added"),
                    )
                    .await?;
                    Ok::<_, ServiceError>((accepted, duplicates))
                })
            })
            .await?;
        rejected.extend(duplicates);
        rejected.sort_by_key(|r| r.line);
        Ok((accepted, rejected))
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
