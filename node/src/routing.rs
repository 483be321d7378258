//! Routing (9.1, 8.1 e): which state a request goes to, and the grounds the
//! request gives for it (9.2.1 b).
//!
//! A request is addressed to the state that most recently exercised
//! jurisdiction over the items. Moving from most- to least-recent (9.1):
//! a) the state they were exported to, from domestic records;
//! b) the state that most recently imported them, from import markings;
//! c) the state of manufacture, from manufacture markings.
//!
//! Every item of the request is routed on its own best rule; a request whose
//! items point to different states must be split (or overridden by an officer
//! who gives a reason). The explanation of a decision is written for the
//! requested point of contact to read.

use iti_proto::v1 as pb;
use pb::recovered_item::Item;

use crate::ids::StateCode;

/// The state a request goes to, by which rule, and why: as facts
/// (`reasons`) and in the English words the request carries (9.2.1 b).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub state: StateCode,
    pub rule: pb::RoutingRule,
    pub reasons: Vec<Reason>,
    pub explanation: String,
}

impl Decision {
    /// The explanation is the reasons in the English catalog: the wire
    /// carries one language, the screens word the reasons in theirs.
    fn new(state: StateCode, rule: pb::RoutingRule, reasons: Vec<Reason>) -> Decision {
        let explanation = crate::render::routing_reasons(&crate::i18n::english(), &reasons);
        Decision {
            state,
            rule,
            reasons,
            explanation,
        }
    }
}

/// Why the rules chose a state (9.1), as facts the catalogs word
/// (`render::routing_reasons`). A detail not recorded is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// 9.1 a: the requester's domestic records show an export.
    Exported {
        recorded_by: String,
        state: StateCode,
        date: String,
        licence: String,
    },
    /// 9.1 b: the item's identification gives the country of last import.
    ImportCountry { item: usize, state: StateCode },
    /// 9.1 c: the item's identification gives the country of manufacture.
    ManufactureCountry { item: usize, state: StateCode },
    /// 9.1 b: an import marking names the state; the latest of `of`.
    ImportMarking {
        item: usize,
        value: String,
        location: String,
        state: StateCode,
        of: usize,
    },
    /// 9.1 c: a manufacture marking names the state.
    ManufactureMarking {
        item: usize,
        value: String,
        location: String,
        state: StateCode,
    },
    /// Other items whose identification points to the same state.
    AlsoPointTo { items: Vec<usize>, state: StateCode },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error(
        "the items point to different requested states ({}): split the request so that \
         each part goes to one state, or override the routing and give a reason",
        describe_disagreement(.0)
    )]
    ItemsDisagree(Vec<(usize, StateCode, pb::RoutingRule)>),
    #[error(
        "no export record, import marking or manufacture marking names a state (ISACS 05.31 \
         9.1): add one, or choose the requested state yourself and give a reason"
    )]
    NoGrounds,
    #[error("{field} is {value:?}, which is not an ISO 3166-1 alpha-3 country code (e.g. \"GHA\")")]
    BadCountry { field: String, value: String },
    #[error("overriding the routing rules of ISACS 05.31 9.1 needs a reason")]
    OverrideWithoutReason,
}

/// Beyond this many runs of items, the rest are counted: the error of a
/// seized cache of thousands of items stays short (a gRPC status travels
/// in a header, which has a size limit).
const MOST_RUNS_DESCRIBED: usize = 12;

/// "items[0] to items[2499]: BEL by manufacture marking, items[2500]: ...":
/// consecutive items that point to one state by one rule, as one run.
fn describe_disagreement(items: &[(usize, StateCode, pb::RoutingRule)]) -> String {
    let mut runs: Vec<(usize, usize, StateCode, pb::RoutingRule)> = Vec::new();
    for &(i, state, rule) in items {
        match runs.last_mut() {
            Some((_, last, s, r)) if *last + 1 == i && *s == state && *r == rule => *last = i,
            _ => runs.push((i, i, state, rule)),
        }
    }
    let mut parts: Vec<String> = runs
        .iter()
        .take(MOST_RUNS_DESCRIBED)
        .map(|&(first, last, state, rule)| {
            let which = match first == last {
                true => format!("items[{first}]"),
                false => format!("items[{first}] to items[{last}]"),
            };
            format!("{which}: {state} by {}", rule_name(rule))
        })
        .collect();
    let rest: usize = runs
        .iter()
        .skip(MOST_RUNS_DESCRIBED)
        .map(|(first, last, ..)| last - first + 1)
        .sum();
    if rest > 0 {
        parts.push(format!("and {rest} more items"));
    }
    parts.join(", ")
}

fn rule_name(rule: pb::RoutingRule) -> &'static str {
    match rule {
        pb::RoutingRule::ExportRecord => "export record",
        pb::RoutingRule::ImportMarking => "import marking",
        pb::RoutingRule::ManufactureMarking => "manufacture marking",
        pb::RoutingRule::OfficerOverride => "officer's choice",
        pb::RoutingRule::Unspecified => "no rule",
    }
}

/// Chooses the requested state for `request` by the rules of 9.1.
///
/// Every country field routing reads is validated, including those of a
/// lower-precedence rule: a mistyped country of manufacture would otherwise
/// travel in the request unnoticed.
pub fn route(request: &pb::TraceRequest) -> Result<Decision, RoutingError> {
    // 9.1 a: domestic records show an export.
    if let Some(record) = request
        .domestic_findings
        .as_ref()
        .and_then(|f| f.export_record.as_ref())
        .filter(|r| present(&r.importing_state))
    {
        let state = country(
            &record.importing_state,
            "domesticFindings.exportRecord.importingState",
        )?;
        return Ok(Decision::new(
            state,
            pb::RoutingRule::ExportRecord,
            vec![exported(record, state)],
        ));
    }

    let mut found = Vec::new();
    for (i, item) in request.items.iter().enumerate() {
        if let Some(decision) = route_item(i, item)? {
            found.push((i, decision));
        }
    }

    let Some((_, first)) = found.first() else {
        return Err(RoutingError::NoGrounds);
    };
    if found.iter().any(|(_, d)| d.state != first.state) {
        return Err(RoutingError::ItemsDisagree(
            found
                .into_iter()
                .map(|(i, d)| (i, d.state, d.rule))
                .collect(),
        ));
    }

    // All items agree. Lead with the most recent rule any of them used.
    let (best_index, best) = found
        .iter()
        .min_by_key(|(i, d)| (precedence(d.rule), *i))
        .map_or((0, first), |(i, d)| (*i, d));
    let mut reasons = best.reasons.clone();
    let others: Vec<usize> = found
        .iter()
        .map(|(i, _)| *i)
        .filter(|i| *i != best_index)
        .collect();
    if !others.is_empty() {
        reasons.push(Reason::AlsoPointTo {
            items: others,
            state: best.state,
        });
    }
    Ok(Decision::new(best.state, best.rule, reasons))
}

/// The rule, for the history of a trace: "9.1 c manufacture marking".
pub fn rule_label(rule: pb::RoutingRule) -> &'static str {
    match rule {
        pb::RoutingRule::ExportRecord => "9.1 a export record",
        pb::RoutingRule::ImportMarking => "9.1 b import marking",
        pb::RoutingRule::ManufactureMarking => "9.1 c manufacture marking",
        pb::RoutingRule::OfficerOverride => "chosen by the point of contact",
        pb::RoutingRule::Unspecified => "no routing rule",
    }
}

/// The grounds a request carries for a decision (9.2.1 b).
pub fn grounds(decision: &Decision) -> pb::RoutingGrounds {
    pb::RoutingGrounds {
        rule: decision.rule as i32,
        requested_state: decision.state.to_string(),
        explanation: decision.explanation.clone(),
        ..Default::default()
    }
}

/// The grounds of a request the officer sends to `chosen` instead of the
/// state the rules chose. The rules' choice is kept for the record.
pub fn overridden(
    decision: &Decision,
    chosen: StateCode,
    reason: &str,
) -> Result<pb::RoutingGrounds, RoutingError> {
    let mut grounds = chosen_by_officer(chosen, reason)?;
    grounds.overridden_state = decision.state.to_string();
    grounds.overridden_rule = decision.rule as i32;
    Ok(grounds)
}

/// The grounds of a request whose state the officer chose where the rules
/// could not (no grounds, or items that disagree).
pub fn chosen_by_officer(
    chosen: StateCode,
    reason: &str,
) -> Result<pb::RoutingGrounds, RoutingError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(RoutingError::OverrideWithoutReason);
    }
    Ok(pb::RoutingGrounds {
        rule: pb::RoutingRule::OfficerOverride as i32,
        requested_state: chosen.to_string(),
        // The officer's reason is the grounds of 9.2.1 b.
        explanation: reason.to_string(),
        override_reason: reason.to_string(),
        ..Default::default()
    })
}

/// Lower is more recent (9.1 a before b before c).
fn precedence(rule: pb::RoutingRule) -> u8 {
    match rule {
        pb::RoutingRule::OfficerOverride => 0,
        pb::RoutingRule::ExportRecord => 1,
        pb::RoutingRule::ImportMarking => 2,
        pb::RoutingRule::ManufactureMarking => 3,
        pb::RoutingRule::Unspecified => 4,
    }
}

fn exported(record: &pb::ExportRecord, state: StateCode) -> Reason {
    Reason::Exported {
        recorded_by: record.recorded_by.trim().to_string(),
        state,
        date: record.export_date.trim().to_string(),
        licence: record.licence_number.trim().to_string(),
    }
}

/// The best rule one item offers: import (9.1 b) before manufacture (9.1 c).
fn route_item(i: usize, item: &pb::RecoveredItem) -> Result<Option<Decision>, RoutingError> {
    let decision = match &item.item {
        Some(Item::Weapon(w)) => {
            let base = format!("items[{i}].weapon");
            let import = latest_import_mark(i, &base, &w.marks)?;
            let last_import =
                optional_country(&w.country_of_last_import, &base, "countryOfLastImport")?;
            let manufacture =
                optional_country(&w.country_of_manufacture, &base, "countryOfManufacture")?;
            let manufacture_mark = first_manufacture_mark(i, &base, &w.marks)?;
            import
                .or_else(|| {
                    last_import.map(|state| {
                        let reason = Reason::ImportCountry { item: i, state };
                        Decision::new(state, pb::RoutingRule::ImportMarking, vec![reason])
                    })
                })
                .or_else(|| manufacture.map(|state| manufacture_from_identification(i, state)))
                .or(manufacture_mark)
        }
        Some(Item::Ammunition(a)) => {
            let base = format!("items[{i}].ammunition");
            optional_country(&a.country_of_manufacture, &base, "countryOfManufacture")?
                .map(|state| manufacture_from_identification(i, state))
        }
        Some(Item::Part(p)) => {
            let base = format!("items[{i}].part");
            let import = latest_import_mark(i, &base, &p.marks)?;
            let manufacture =
                optional_country(&p.country_of_manufacture, &base, "countryOfManufacture")?;
            let manufacture_mark = first_manufacture_mark(i, &base, &p.marks)?;
            import
                .or_else(|| manufacture.map(|state| manufacture_from_identification(i, state)))
                .or(manufacture_mark)
        }
        None => None,
    };
    Ok(decision)
}

fn manufacture_from_identification(i: usize, state: StateCode) -> Decision {
    let reason = Reason::ManufactureCountry { item: i, state };
    Decision::new(state, pb::RoutingRule::ManufactureMarking, vec![reason])
}

/// 9.1 b: of several import markings the latest names the state of most
/// recent import. Without years (or on a tie) the last one listed wins, as
/// officers list markings in the order they were applied.
fn latest_import_mark(
    i: usize,
    base: &str,
    marks: &[pb::WeaponMark],
) -> Result<Option<Decision>, RoutingError> {
    let imports = marks_naming_states(base, marks, pb::MarkKind::Import)?;
    let count = imports.len();
    let latest = imports
        .into_iter()
        .max_by_key(|(index, mark, _)| (mark.year, *index));
    Ok(latest.map(|(_, mark, state)| {
        let reason = Reason::ImportMarking {
            item: i,
            value: mark.value.trim().to_string(),
            location: mark.location.trim().to_string(),
            state,
            of: count,
        };
        Decision::new(state, pb::RoutingRule::ImportMarking, vec![reason])
    }))
}

fn first_manufacture_mark(
    i: usize,
    base: &str,
    marks: &[pb::WeaponMark],
) -> Result<Option<Decision>, RoutingError> {
    let manufacture = marks_naming_states(base, marks, pb::MarkKind::Manufacture)?;
    Ok(manufacture.into_iter().next().map(|(_, mark, state)| {
        let reason = Reason::ManufactureMarking {
            item: i,
            value: mark.value.trim().to_string(),
            location: mark.location.trim().to_string(),
            state,
        };
        Decision::new(state, pb::RoutingRule::ManufactureMarking, vec![reason])
    }))
}

/// The marks of `kind` that name a country, each with its index and the
/// validated state.
fn marks_naming_states<'a>(
    base: &str,
    marks: &'a [pb::WeaponMark],
    kind: pb::MarkKind,
) -> Result<Vec<(usize, &'a pb::WeaponMark, StateCode)>, RoutingError> {
    let mut found = Vec::new();
    for (index, mark) in marks.iter().enumerate() {
        if pb::MarkKind::try_from(mark.kind) != Ok(kind) || !present(&mark.country) {
            continue;
        }
        let state = country(&mark.country, &format!("{base}.marks[{index}].country"))?;
        found.push((index, mark, state));
    }
    Ok(found)
}

fn optional_country(
    value: &str,
    base: &str,
    field: &str,
) -> Result<Option<StateCode>, RoutingError> {
    if present(value) {
        country(value, &format!("{base}.{field}")).map(Some)
    } else {
        Ok(None)
    }
}

fn country(value: &str, field: &str) -> Result<StateCode, RoutingError> {
    value.trim().parse().map_err(|_| RoutingError::BadCountry {
        field: field.to_string(),
        value: value.to_string(),
    })
}

fn present(s: &str) -> bool {
    !s.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(code: &str) -> StateCode {
        code.parse().expect("valid test state code")
    }

    fn mark(kind: pb::MarkKind, value: &str, country: &str, year: u32) -> pb::WeaponMark {
        pb::WeaponMark {
            kind: kind as i32,
            value: value.into(),
            location: "frame, left side".into(),
            country: country.into(),
            year,
        }
    }

    fn weapon_item(weapon: pb::WeaponIdentification) -> pb::RecoveredItem {
        pb::RecoveredItem {
            item_ref: "exhibit 1".into(),
            quantity: 1,
            item: Some(Item::Weapon(weapon)),
        }
    }

    fn weapon() -> pb::WeaponIdentification {
        pb::WeaponIdentification {
            make: "FN Herstal".into(),
            model: "FAL".into(),
            calibre: "7.62x51mm".into(),
            serial_number: "1234567".into(),
            ..Default::default()
        }
    }

    fn request(items: Vec<pb::RecoveredItem>) -> pb::TraceRequest {
        pb::TraceRequest {
            items,
            ..Default::default()
        }
    }

    fn with_export_record(
        mut request: pb::TraceRequest,
        importing_state: &str,
    ) -> pb::TraceRequest {
        request.domestic_findings = Some(pb::DomesticFindings {
            export_record: Some(pb::ExportRecord {
                importing_state: importing_state.into(),
                export_date: "2012-05-14".into(),
                licence_number: "EX-2012-881".into(),
                recorded_by: "BEL".into(),
            }),
            notes: String::new(),
        });
        request
    }

    #[test]
    fn export_record_routes_to_the_importing_state_under_9_1_a() {
        let r = with_export_record(request(vec![]), "NGA");
        let d = route(&r).expect("routes");
        assert_eq!(d.state, state("NGA"));
        assert_eq!(d.rule, pb::RoutingRule::ExportRecord);
        assert_eq!(
            d.explanation,
            "Domestic records of BEL show the items were exported to NGA on 2012-05-14 \
             under licence EX-2012-881 (ISACS 05.31 9.1 a)."
        );
    }

    #[test]
    fn export_record_explanation_omits_what_is_not_recorded() {
        let mut r = request(vec![]);
        r.domestic_findings = Some(pb::DomesticFindings {
            export_record: Some(pb::ExportRecord {
                importing_state: "NGA".into(),
                ..Default::default()
            }),
            notes: String::new(),
        });
        assert_eq!(
            route(&r).expect("routes").explanation,
            "Domestic records show the items were exported to NGA (ISACS 05.31 9.1 a)."
        );
    }

    #[test]
    fn import_marking_routes_to_the_importing_state_under_9_1_b() {
        let r = request(vec![weapon_item(pb::WeaponIdentification {
            marks: vec![mark(pb::MarkKind::Import, "GH-2011", "GHA", 2011)],
            country_of_manufacture: "BEL".into(),
            ..weapon()
        })]);
        let d = route(&r).expect("routes");
        assert_eq!(d.state, state("GHA"));
        assert_eq!(d.rule, pb::RoutingRule::ImportMarking);
        assert_eq!(
            d.explanation,
            "Import marking 'GH-2011' on items[0] (frame, left side) names GHA as the state \
             of most recent import (ISACS 05.31 9.1 b)."
        );
    }

    #[test]
    fn country_of_last_import_routes_under_9_1_b_without_a_marking() {
        let r = request(vec![weapon_item(pb::WeaponIdentification {
            country_of_last_import: "GHA".into(),
            country_of_manufacture: "BEL".into(),
            ..weapon()
        })]);
        let d = route(&r).expect("routes");
        assert_eq!(
            (d.state, d.rule),
            (state("GHA"), pb::RoutingRule::ImportMarking)
        );
        assert!(
            d.explanation.contains("most recent import"),
            "{}",
            d.explanation
        );
    }

    #[test]
    fn import_marking_on_a_part_routes_under_9_1_b() {
        let r = request(vec![pb::RecoveredItem {
            item: Some(Item::Part(pb::PartIdentification {
                kind: pb::PartKind::Slide as i32,
                serial_number: "S-1".into(),
                country_of_manufacture: "AUT".into(),
                marks: vec![mark(pb::MarkKind::Import, "KE-09", "KEN", 2009)],
                ..Default::default()
            })),
            ..Default::default()
        }]);
        let d = route(&r).expect("routes");
        assert_eq!(
            (d.state, d.rule),
            (state("KEN"), pb::RoutingRule::ImportMarking)
        );
    }

    #[test]
    fn country_of_manufacture_routes_under_9_1_c() {
        let r = request(vec![weapon_item(pb::WeaponIdentification {
            country_of_manufacture: "BEL".into(),
            ..weapon()
        })]);
        let d = route(&r).expect("routes");
        assert_eq!(d.state, state("BEL"));
        assert_eq!(d.rule, pb::RoutingRule::ManufactureMarking);
        assert_eq!(
            d.explanation,
            "The identification of items[0] gives BEL as the country of manufacture \
             (ISACS 05.31 9.1 c)."
        );
    }

    #[test]
    fn manufacture_marking_routes_under_9_1_c_when_no_country_is_given() {
        let r = request(vec![weapon_item(pb::WeaponIdentification {
            marks: vec![
                mark(pb::MarkKind::Proof, "crown", "BEL", 0),
                mark(pb::MarkKind::Manufacture, "FN HERSTAL BELGIUM", "BEL", 0),
            ],
            ..weapon()
        })]);
        let d = route(&r).expect("routes");
        assert_eq!(d.rule, pb::RoutingRule::ManufactureMarking);
        assert_eq!(
            d.explanation,
            "Manufacture marking 'FN HERSTAL BELGIUM' on items[0] (frame, left side) names BEL \
             as the state of manufacture (ISACS 05.31 9.1 c)."
        );
    }

    #[test]
    fn ammunition_routes_to_its_country_of_manufacture() {
        let r = request(vec![pb::RecoveredItem {
            item: Some(Item::Ammunition(pb::AmmunitionIdentification {
                calibre: "7.62x39mm".into(),
                manufacturer_code: "711".into(),
                country_of_manufacture: "BGR".into(),
                ..Default::default()
            })),
            ..Default::default()
        }]);
        let d = route(&r).expect("routes");
        assert_eq!(
            (d.state, d.rule),
            (state("BGR"), pb::RoutingRule::ManufactureMarking)
        );
    }

    #[test]
    fn export_record_beats_import_marking_which_beats_manufacture() {
        let marked = request(vec![weapon_item(pb::WeaponIdentification {
            marks: vec![mark(pb::MarkKind::Import, "GH-2011", "GHA", 2011)],
            country_of_manufacture: "BEL".into(),
            ..weapon()
        })]);
        assert_eq!(route(&marked).expect("routes").state, state("GHA"));
        let exported = with_export_record(marked, "NGA");
        let d = route(&exported).expect("routes");
        assert_eq!(
            (d.state, d.rule),
            (state("NGA"), pb::RoutingRule::ExportRecord)
        );
    }

    #[test]
    fn blank_export_record_falls_through_to_the_markings() {
        let r = with_export_record(
            request(vec![weapon_item(pb::WeaponIdentification {
                country_of_manufacture: "BEL".into(),
                ..weapon()
            })]),
            "  ",
        );
        assert_eq!(route(&r).expect("routes").state, state("BEL"));
    }

    #[test]
    fn latest_import_mark_wins() {
        let r = request(vec![weapon_item(pb::WeaponIdentification {
            marks: vec![
                mark(pb::MarkKind::Import, "CI-2015", "CIV", 2015),
                mark(pb::MarkKind::Import, "GH-2011", "GHA", 2011),
            ],
            ..weapon()
        })]);
        let d = route(&r).expect("routes");
        assert_eq!(d.state, state("CIV"));
        assert!(
            d.explanation
                .ends_with("It is the most recent of 2 import markings."),
            "{}",
            d.explanation
        );
    }

    #[test]
    fn last_listed_import_mark_wins_without_years_or_on_a_tie() {
        let undated = request(vec![weapon_item(pb::WeaponIdentification {
            marks: vec![
                mark(pb::MarkKind::Import, "GH", "GHA", 0),
                mark(pb::MarkKind::Import, "CI", "CIV", 0),
            ],
            ..weapon()
        })]);
        assert_eq!(route(&undated).expect("routes").state, state("CIV"));
        let tied = request(vec![weapon_item(pb::WeaponIdentification {
            marks: vec![
                mark(pb::MarkKind::Import, "CI-2011", "CIV", 2011),
                mark(pb::MarkKind::Import, "GH-2011", "GHA", 2011),
            ],
            ..weapon()
        })]);
        assert_eq!(route(&tied).expect("routes").state, state("GHA"));
    }

    #[test]
    fn items_agreeing_on_a_state_route_together() {
        let r = request(vec![
            weapon_item(pb::WeaponIdentification {
                country_of_manufacture: "GHA".into(),
                ..weapon()
            }),
            weapon_item(pb::WeaponIdentification {
                marks: vec![mark(pb::MarkKind::Import, "GH-2011", "GHA", 2011)],
                ..weapon()
            }),
            pb::RecoveredItem::default(),
        ]);
        let d = route(&r).expect("routes");
        assert_eq!(
            (d.state, d.rule),
            (state("GHA"), pb::RoutingRule::ImportMarking)
        );
        assert!(
            d.explanation
                .starts_with("Import marking 'GH-2011' on items[1]")
        );
        assert!(
            d.explanation
                .ends_with("The identification of items[0] also points to GHA."),
            "{}",
            d.explanation
        );
    }

    #[test]
    fn disagreeing_items_are_refused_with_each_items_state_and_rule() {
        let r = request(vec![
            weapon_item(pb::WeaponIdentification {
                marks: vec![mark(pb::MarkKind::Import, "GH-2011", "GHA", 2011)],
                ..weapon()
            }),
            weapon_item(pb::WeaponIdentification {
                country_of_manufacture: "BEL".into(),
                ..weapon()
            }),
        ]);
        let err = route(&r).expect_err("items disagree");
        assert_eq!(
            err,
            RoutingError::ItemsDisagree(vec![
                (0, state("GHA"), pb::RoutingRule::ImportMarking),
                (1, state("BEL"), pb::RoutingRule::ManufactureMarking),
            ])
        );
        let message = err.to_string();
        assert!(
            message.contains("items[0]: GHA by import marking"),
            "{message}"
        );
        assert!(message.contains("split the request"), "{message}");
        assert!(message.contains("override"), "{message}");
    }

    #[test]
    fn a_large_cache_that_disagrees_is_described_in_runs_and_stays_short() {
        let (bel, usa) = (state("BEL"), state("USA"));
        let (m, i) = (
            pb::RoutingRule::ManufactureMarking,
            pb::RoutingRule::ImportMarking,
        );
        let halves: Vec<_> = (0..5000)
            .map(|n| if n < 2500 { (n, bel, m) } else { (n, usa, i) })
            .collect();
        assert_eq!(
            describe_disagreement(&halves),
            "items[0] to items[2499]: BEL by manufacture marking, items[2500] to items[4999]: \
             USA by import marking"
        );
        let alternating: Vec<_> = (0..100_000)
            .map(|n| if n % 2 == 0 { (n, bel, m) } else { (n, usa, i) })
            .collect();
        let described = describe_disagreement(&alternating);
        assert!(described.ends_with(", and 99988 more items"), "{described}");
        assert!(described.len() < 500, "{} characters", described.len());
    }

    #[test]
    fn request_naming_no_state_has_no_grounds() {
        assert_eq!(route(&request(vec![])), Err(RoutingError::NoGrounds));
        let unmarked = request(vec![weapon_item(pb::WeaponIdentification {
            marks: vec![mark(pb::MarkKind::Import, "illegible", "", 0)],
            ..weapon()
        })]);
        assert_eq!(route(&unmarked), Err(RoutingError::NoGrounds));
    }

    #[test]
    fn invalid_country_is_reported_with_its_json_path() {
        let r = request(vec![weapon_item(pb::WeaponIdentification {
            marks: vec![
                mark(pb::MarkKind::Proof, "crown", "not checked", 0),
                mark(pb::MarkKind::Import, "GH-2011", "Ghana", 2011),
            ],
            ..weapon()
        })]);
        assert_eq!(
            route(&r),
            Err(RoutingError::BadCountry {
                field: "items[0].weapon.marks[1].country".into(),
                value: "Ghana".into(),
            })
        );
        let r = with_export_record(request(vec![]), "ng");
        assert_eq!(
            route(&r),
            Err(RoutingError::BadCountry {
                field: "domesticFindings.exportRecord.importingState".into(),
                value: "ng".into(),
            })
        );
    }

    #[test]
    fn invalid_lower_precedence_country_is_still_reported() {
        let r = request(vec![weapon_item(pb::WeaponIdentification {
            country_of_last_import: "GHA".into(),
            country_of_manufacture: "BE".into(),
            ..weapon()
        })]);
        assert_eq!(
            route(&r),
            Err(RoutingError::BadCountry {
                field: "items[0].weapon.countryOfManufacture".into(),
                value: "BE".into(),
            })
        );
    }

    #[test]
    fn grounds_carry_the_decision() {
        let d = Decision {
            state: state("GHA"),
            rule: pb::RoutingRule::ImportMarking,
            reasons: vec![],
            explanation: "Because.".into(),
        };
        let g = grounds(&d);
        assert_eq!(g.rule, pb::RoutingRule::ImportMarking as i32);
        assert_eq!(g.requested_state, "GHA");
        assert_eq!(g.explanation, "Because.");
        assert!(g.overridden_state.is_empty() && g.override_reason.is_empty());
    }

    #[test]
    fn override_with_a_reason_records_what_the_rules_chose() {
        let d = Decision {
            state: state("BEL"),
            rule: pb::RoutingRule::ManufactureMarking,
            reasons: vec![],
            explanation: "Manufactured in BEL.".into(),
        };
        let g = overridden(
            &d,
            state("CIV"),
            " Seized in transit from CIV; see file 12. ",
        )
        .expect("has a reason");
        assert_eq!(g.rule, pb::RoutingRule::OfficerOverride as i32);
        assert_eq!(g.requested_state, "CIV");
        assert_eq!(g.overridden_state, "BEL");
        assert_eq!(
            g.overridden_rule,
            pb::RoutingRule::ManufactureMarking as i32
        );
        assert_eq!(
            g.override_reason,
            "Seized in transit from CIV; see file 12."
        );
        assert_eq!(g.explanation, g.override_reason);
    }

    #[test]
    fn override_without_a_reason_is_refused() {
        let d = Decision {
            state: state("BEL"),
            rule: pb::RoutingRule::ManufactureMarking,
            reasons: vec![],
            explanation: String::new(),
        };
        assert_eq!(
            overridden(&d, state("CIV"), "   "),
            Err(RoutingError::OverrideWithoutReason)
        );
        assert_eq!(
            chosen_by_officer(state("CIV"), ""),
            Err(RoutingError::OverrideWithoutReason)
        );
    }

    #[test]
    fn officer_may_choose_a_state_where_the_rules_found_none() {
        let g = chosen_by_officer(state("GHA"), "Intelligence report 7").expect("has a reason");
        assert_eq!(g.rule, pb::RoutingRule::OfficerOverride as i32);
        assert_eq!(g.requested_state, "GHA");
        assert!(g.overridden_state.is_empty());
        assert_eq!(g.overridden_rule, pb::RoutingRule::Unspecified as i32);
    }
}
