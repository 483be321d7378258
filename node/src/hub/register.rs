//! The broker's register of weapons reported lost or stolen (annex A.2), and
//! the check every request passing through the broker gets. Serial numbers
//! are compared after normalisation that forgives the usual misreadings of
//! engraved characters (O/0, I/1/L, S/5, B/8, Z/2) and missing leading zeros.

use iti_proto::v1 as pb;

use crate::identity::Officer;
use crate::ids::StateCode;
use crate::service::{Actor, Node, ServiceError, ServiceResult};
use crate::store::hub::{self, LostStolenRow};
use crate::store::{audit, boxed};

/// A make as compared: upper-case letters and digits only.
pub fn make_key(make: &str) -> String {
    make.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The reading of one serial character that misreadings collapse to.
fn canonical(c: char) -> char {
    match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        'S' => '5',
        'B' => '8',
        'Z' => '2',
        other => other,
    }
}

/// A serial number as compared: alphanumerics, misreadings collapsed,
/// leading zeros dropped.
pub fn serial_key(serial: &str) -> String {
    let collapsed: String = serial
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(canonical)
        .collect();
    let trimmed = collapsed.trim_start_matches('0');
    if trimmed.is_empty() && !collapsed.is_empty() {
        "0".into()
    } else {
        trimmed.to_string()
    }
}

/// Which characters of `read` differ from `registered` though the keys
/// match ("O→0 at 3", "leading zeros 00").
pub fn differences(read: &str, registered: &str) -> Vec<String> {
    let clean = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let (a, b) = (clean(read), clean(registered));
    let lead = |v: &[char]| v.iter().take_while(|c| canonical(**c) == '0').count();
    let (la, lb) = (lead(&a), lead(&b));
    let mut out = Vec::new();
    if la != lb {
        out.push(format!("leading zeros: {} read, {} registered", la, lb));
    }
    for (i, (x, y)) in a[la..].iter().zip(b[lb..].iter()).enumerate() {
        if x != y {
            out.push(format!("{x}→{y} at {}", la + i + 1));
        }
    }
    out
}

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
        let key = serial_key(serial);
        for entry in hub::lost_stolen_for_make(node.store.pool(), &make_key(make)).await? {
            if entry.serial_key == key {
                notices.push(pb::BrokerNotice {
                    broker: node.participant().to_string(),
                    item_index: i as u32,
                    reported_by: entry.reported_by.clone(),
                    register_entry: entry.reference.clone(),
                    registered_make: entry.make.clone(),
                    registered_serial: entry.serial_number.clone(),
                    reported_on: entry.reported_on.clone(),
                    circumstances: entry.circumstances.clone(),
                    differences: differences(serial, &entry.serial_number),
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
    fn misread_serial_characters_match_the_registered_serial() {
        for (read, registered) in [
            ("FNO4512", "FN04512"),
            ("A1B2", "AI82"),
            ("5Z-17", "S217"),
            ("L0071", "10071"),
            ("0004512", "4512"),
        ] {
            assert_eq!(
                serial_key(read),
                serial_key(registered),
                "{read} vs {registered}"
            );
        }
        assert_ne!(serial_key("FN04512"), serial_key("FN04513"));
    }

    #[test]
    fn differences_name_the_characters_that_differ() {
        assert_eq!(
            differences("FNO4512", "FN04512"),
            vec!["O→0 at 3".to_string()]
        );
        assert_eq!(
            differences("4512", "004512"),
            vec!["leading zeros: 0 read, 2 registered".to_string()]
        );
    }

    #[test]
    fn makes_compare_without_case_or_punctuation() {
        assert_eq!(make_key("FN Herstal"), make_key("fn-herstal"));
    }
}
