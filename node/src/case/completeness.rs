//! 10.2: an incoming request is first checked for completeness against 9.2.
//! The check lists every missing element so that a request returned for
//! completion tells the requester exactly what to add.
//!
//! What is checked: the essential information of 9.2.1 a-e, and for each
//! item the identification of clause 6.1 (weapons) or clause 13 (ammunition,
//! parts and components). Whether a value is *valid* (a country code, say) is
//! not this module's concern: a present value is not missing.
//!
//! Fields are named by their protobuf JSON path ("items[0].weapon.serialNumber"),
//! which is what officers write and what the requester's form highlights;
//! each is described by a catalog message (`message_id`), in English in
//! what is sent and in the reader's language on screens.

use iti_proto::v1 as pb;
use pb::recovered_item::Item;

/// Every element of 9.2.1 and of clauses 6.1 and 13 that `request` lacks, in
/// the order of 9.2.1.
///
/// A request that declares it cannot provide everything (10.2,
/// `cannot_provide_all`) is checked the same way: whether what it does
/// provide gives a reasonable chance of success is the point of contact's
/// call, informed by this list.
pub fn check(request: &pb::TraceRequest) -> Vec<pb::MissingElement> {
    let mut missing = Vec::new();

    // 9.2.1 a: contextual information and legal justification.
    let context = request.context.as_ref();
    if context.is_none_or(|c| blank(&c.illicit_nature)) {
        missing.push(element("9.2.1 a", "context.illicitNature"));
    }
    if context.is_none_or(|c| blank(&c.legal_basis)) {
        missing.push(element("9.2.1 a", "context.legalBasis"));
    }

    // 9.2.1 b: grounds for believing the requested state held the most
    // recent legal authority over the items.
    let grounds = request.grounds.as_ref();
    if grounds.is_none_or(|g| blank(&g.requested_state)) {
        missing.push(element("9.2.1 b", "grounds.requestedState"));
    }
    if grounds.is_none_or(|g| blank(&g.explanation)) {
        missing.push(element("9.2.1 b", "grounds.explanation"));
    }

    // 9.2.1 c
    missing.extend(identification_gaps(request));

    // 9.2.1 d
    if blank(&request.information_sought) {
        missing.push(element("9.2.1 d", "informationSought"));
    }

    // 9.2.1 e
    if blank(&request.purpose) {
        missing.push(element("9.2.1 e", "purpose"));
    }
    if blank(&request.intended_use) {
        missing.push(element("9.2.1 e", "intendedUse"));
    }

    missing
}

/// Only the gaps in the identification of the items (9.2.1 c, clauses 6.1
/// and 13): without these a trace has no chance of success, so a submission
/// lacking them is refused outright rather than sent and returned.
pub fn identification_gaps(request: &pb::TraceRequest) -> Vec<pb::MissingElement> {
    let mut missing = Vec::new();
    if request.items.is_empty() {
        missing.push(element("9.2.1 c", "items"));
    }
    for (i, item) in request.items.iter().enumerate() {
        match &item.item {
            Some(Item::Weapon(weapon)) => weapon_gaps(i, weapon, &mut missing),
            Some(Item::Ammunition(ammunition)) => ammunition_gaps(i, ammunition, &mut missing),
            Some(Item::Part(part)) => part_gaps(i, part, &mut missing),
            None => missing.push(element("9.2.1 c", &format!("items[{i}]"))),
        }
    }
    missing
}

/// 6.1 a-e.
fn weapon_gaps(i: usize, weapon: &pb::WeaponIdentification, missing: &mut Vec<pb::MissingElement>) {
    let path = |field: &str| format!("items[{i}].weapon.{field}");
    let essentials = [
        ("6.1 a", "make", &weapon.make),
        ("6.1 b", "model", &weapon.model),
        ("6.1 c", "calibre", &weapon.calibre),
        ("6.1 d", "serialNumber", &weapon.serial_number),
    ];
    for (clause, field, value) in essentials {
        if blank(value) {
            missing.push(element(clause, &path(field)));
        }
    }
    // 6.1 e: a manufacture or import marking names the country as well as a
    // field does (routing, 9.1 b-c, reads the same marks).
    let marked_country = weapon.marks.iter().any(|m| {
        let kind = pb::MarkKind::try_from(m.kind).unwrap_or(pb::MarkKind::Unspecified);
        matches!(kind, pb::MarkKind::Manufacture | pb::MarkKind::Import) && !blank(&m.country)
    });
    if blank(&weapon.country_of_manufacture)
        && blank(&weapon.country_of_last_import)
        && !marked_country
    {
        missing.push(element("6.1 e", &path("countryOfManufacture")));
    }
}

/// Clause 13 asks for "as many as possible" of a-e; calibre and a
/// manufacturer are the least a lot of ammunition can be traced with.
fn ammunition_gaps(
    i: usize,
    ammunition: &pb::AmmunitionIdentification,
    missing: &mut Vec<pb::MissingElement>,
) {
    if blank(&ammunition.manufacturer) && blank(&ammunition.manufacturer_code) {
        missing.push(element(
            "13 a",
            &format!("items[{i}].ammunition.manufacturer"),
        ));
    }
    if blank(&ammunition.calibre) {
        missing.push(element("13 e", &format!("items[{i}].ammunition.calibre")));
    }
}

/// Clause 13 applies clause 6 to parts: a part is traced by its serial
/// number or, failing that, by its other marks.
fn part_gaps(i: usize, part: &pb::PartIdentification, missing: &mut Vec<pb::MissingElement>) {
    let marked = part.marks.iter().any(|m| !blank(&m.value));
    if blank(&part.serial_number) && !marked {
        missing.push(element("13", &format!("items[{i}].part.serialNumber")));
    }
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// A missing field, described in the English the wire carries (10.2);
/// screens describe it in their reader's language from the same catalog
/// message (`message_id`).
fn element(clause: &str, field: &str) -> pb::MissingElement {
    pb::MissingElement {
        clause: clause.to_string(),
        field: field.to_string(),
        description: crate::i18n::english().t(&message_id(field)),
    }
}

/// The catalog message describing a missing field, from its JSON path with
/// each index as `item`: "items[0].weapon.serialNumber" →
/// `missing-items-item-weapon-serialnumber`.
pub fn message_id(field: &str) -> String {
    let mut id = String::from("missing");
    for part in field.split(['.', '[']) {
        let part = match part.strip_suffix(']') {
            Some(_) => "item",
            None => part,
        };
        id.push('-');
        id.push_str(&part.to_ascii_lowercase());
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weapon() -> pb::WeaponIdentification {
        pb::WeaponIdentification {
            make: "FN Herstal".into(),
            model: "FAL".into(),
            calibre: "7.62x51mm".into(),
            serial_number: "1234567".into(),
            country_of_manufacture: "BEL".into(),
            ..Default::default()
        }
    }

    fn ammunition() -> pb::AmmunitionIdentification {
        pb::AmmunitionIdentification {
            manufacturer: "Fabrique Nationale".into(),
            calibre: "7.62x51mm".into(),
            ..Default::default()
        }
    }

    fn part() -> pb::PartIdentification {
        pb::PartIdentification {
            kind: pb::PartKind::Barrel as i32,
            serial_number: "B-991".into(),
            ..Default::default()
        }
    }

    fn item(item: Item) -> pb::RecoveredItem {
        pb::RecoveredItem {
            item_ref: "exhibit 1".into(),
            quantity: 1,
            item: Some(item),
        }
    }

    fn complete() -> pb::TraceRequest {
        pb::TraceRequest {
            context: Some(pb::RecoveryContext {
                illicit_nature: "Recovered from an armed group (clause 4 a)".into(),
                legal_basis: "Criminal Procedure Act, s. 12".into(),
                ..Default::default()
            }),
            grounds: Some(pb::RoutingGrounds {
                rule: pb::RoutingRule::ManufactureMarking as i32,
                requested_state: "BEL".into(),
                explanation: "Manufactured in BEL".into(),
                ..Default::default()
            }),
            items: vec![
                item(Item::Weapon(weapon())),
                item(Item::Ammunition(ammunition())),
                item(Item::Part(part())),
            ],
            information_sought: "History while under Belgian jurisdiction".into(),
            purpose: "Criminal investigation".into(),
            intended_use: "Evidence in proceedings".into(),
            ..Default::default()
        }
    }

    /// The (clause, field) pairs `check` reports.
    fn gaps(request: &pb::TraceRequest) -> Vec<(String, String)> {
        check(request)
            .into_iter()
            .map(|m| (m.clause, m.field))
            .collect()
    }

    fn only(clause: &str, field: &str) -> Vec<(String, String)> {
        vec![(clause.to_string(), field.to_string())]
    }

    fn with_weapon(edit: impl FnOnce(&mut pb::WeaponIdentification)) -> pb::TraceRequest {
        let mut w = weapon();
        edit(&mut w);
        let mut request = complete();
        request.items[0] = item(Item::Weapon(w));
        request
    }

    #[test]
    fn complete_request_has_no_missing_elements() {
        assert!(check(&complete()).is_empty());
        assert!(identification_gaps(&complete()).is_empty());
    }

    #[test]
    fn every_missing_element_has_a_description() {
        let everything_missing = pb::TraceRequest {
            items: vec![pb::RecoveredItem::default()],
            ..Default::default()
        };
        let missing = check(&everything_missing);
        assert_eq!(missing.len(), 8);
        assert!(missing.iter().all(|m| !m.description.is_empty()));
    }

    #[test]
    fn missing_illicit_nature_is_9_2_1_a() {
        let mut request = complete();
        if let Some(c) = request.context.as_mut() {
            c.illicit_nature = "  ".into();
        }
        assert_eq!(gaps(&request), only("9.2.1 a", "context.illicitNature"));
    }

    #[test]
    fn missing_legal_basis_is_9_2_1_a() {
        let mut request = complete();
        if let Some(c) = request.context.as_mut() {
            c.legal_basis.clear();
        }
        assert_eq!(gaps(&request), only("9.2.1 a", "context.legalBasis"));
    }

    #[test]
    fn absent_context_lacks_both_its_elements() {
        let mut request = complete();
        request.context = None;
        assert_eq!(
            gaps(&request),
            [
                only("9.2.1 a", "context.illicitNature"),
                only("9.2.1 a", "context.legalBasis")
            ]
            .concat()
        );
    }

    #[test]
    fn missing_requested_state_is_9_2_1_b() {
        let mut request = complete();
        if let Some(g) = request.grounds.as_mut() {
            g.requested_state.clear();
        }
        assert_eq!(gaps(&request), only("9.2.1 b", "grounds.requestedState"));
    }

    #[test]
    fn missing_grounds_explanation_is_9_2_1_b() {
        let mut request = complete();
        if let Some(g) = request.grounds.as_mut() {
            g.explanation.clear();
        }
        assert_eq!(gaps(&request), only("9.2.1 b", "grounds.explanation"));
    }

    #[test]
    fn absent_grounds_lack_both_their_elements() {
        let mut request = complete();
        request.grounds = None;
        assert_eq!(
            gaps(&request),
            [
                only("9.2.1 b", "grounds.requestedState"),
                only("9.2.1 b", "grounds.explanation")
            ]
            .concat()
        );
    }

    #[test]
    fn request_without_items_is_9_2_1_c() {
        let mut request = complete();
        request.items.clear();
        assert_eq!(gaps(&request), only("9.2.1 c", "items"));
    }

    #[test]
    fn item_that_is_neither_weapon_ammunition_nor_part_is_9_2_1_c() {
        let mut request = complete();
        request.items.push(pb::RecoveredItem::default());
        assert_eq!(gaps(&request), only("9.2.1 c", "items[3]"));
    }

    #[test]
    fn missing_make_is_6_1_a() {
        let request = with_weapon(|w| w.make.clear());
        assert_eq!(gaps(&request), only("6.1 a", "items[0].weapon.make"));
    }

    #[test]
    fn missing_model_is_6_1_b() {
        let request = with_weapon(|w| w.model.clear());
        assert_eq!(gaps(&request), only("6.1 b", "items[0].weapon.model"));
    }

    #[test]
    fn missing_calibre_is_6_1_c() {
        let request = with_weapon(|w| w.calibre.clear());
        assert_eq!(gaps(&request), only("6.1 c", "items[0].weapon.calibre"));
    }

    #[test]
    fn missing_serial_number_is_6_1_d() {
        let request = with_weapon(|w| w.serial_number = "\t".into());
        assert_eq!(
            gaps(&request),
            only("6.1 d", "items[0].weapon.serialNumber")
        );
    }

    #[test]
    fn missing_both_countries_is_6_1_e() {
        let request = with_weapon(|w| w.country_of_manufacture.clear());
        assert_eq!(
            gaps(&request),
            only("6.1 e", "items[0].weapon.countryOfManufacture")
        );
    }

    #[test]
    fn country_of_last_import_alone_satisfies_6_1_e() {
        let request = with_weapon(|w| {
            w.country_of_manufacture.clear();
            w.country_of_last_import = "GHA".into();
        });
        assert!(check(&request).is_empty());
    }

    #[test]
    fn a_manufacture_mark_naming_the_country_satisfies_6_1_e() {
        // A weapon whose only country is on its "U.S.A." manufacture mark.
        let request = with_weapon(|w| {
            w.country_of_manufacture.clear();
            w.marks = vec![pb::WeaponMark {
                kind: pb::MarkKind::Manufacture as i32,
                value: "U.S.A.".into(),
                location: "left side of receiver".into(),
                country: "USA".into(),
                year: 0,
            }];
        });
        assert!(check(&request).is_empty(), "{:?}", gaps(&request));
        assert!(identification_gaps(&request).is_empty());
    }

    #[test]
    fn an_import_mark_naming_the_country_satisfies_6_1_e() {
        let request = with_weapon(|w| {
            w.country_of_manufacture.clear();
            w.marks = vec![pb::WeaponMark {
                kind: pb::MarkKind::Import as i32,
                value: "GH-2011".into(),
                country: "GHA".into(),
                ..Default::default()
            }];
        });
        assert!(check(&request).is_empty(), "{:?}", gaps(&request));
    }

    #[test]
    fn a_proof_mark_or_a_mark_without_country_does_not_satisfy_6_1_e() {
        for mark in [
            pb::WeaponMark {
                kind: pb::MarkKind::Proof as i32,
                value: "crown over R".into(),
                country: "BEL".into(),
                ..Default::default()
            },
            pb::WeaponMark {
                kind: pb::MarkKind::Manufacture as i32,
                value: "U.S.A.".into(),
                country: " ".into(),
                ..Default::default()
            },
        ] {
            let request = with_weapon(|w| {
                w.country_of_manufacture.clear();
                w.marks = vec![mark];
            });
            assert_eq!(
                gaps(&request),
                only("6.1 e", "items[0].weapon.countryOfManufacture")
            );
        }
    }

    #[test]
    fn invalid_country_code_is_not_a_missing_element() {
        let request = with_weapon(|w| w.country_of_manufacture = "Belgium".into());
        assert!(check(&request).is_empty());
    }

    #[test]
    fn missing_ammunition_manufacturer_is_13_a() {
        let mut request = complete();
        request.items[1] = item(Item::Ammunition(pb::AmmunitionIdentification {
            manufacturer: String::new(),
            ..ammunition()
        }));
        assert_eq!(
            gaps(&request),
            only("13 a", "items[1].ammunition.manufacturer")
        );
    }

    #[test]
    fn manufacturer_code_satisfies_13_a() {
        let mut request = complete();
        request.items[1] = item(Item::Ammunition(pb::AmmunitionIdentification {
            manufacturer: String::new(),
            manufacturer_code: "FNB".into(),
            ..ammunition()
        }));
        assert!(check(&request).is_empty());
    }

    #[test]
    fn missing_ammunition_calibre_is_13_e() {
        let mut request = complete();
        request.items[1] = item(Item::Ammunition(pb::AmmunitionIdentification {
            calibre: String::new(),
            ..ammunition()
        }));
        assert_eq!(gaps(&request), only("13 e", "items[1].ammunition.calibre"));
    }

    #[test]
    fn part_without_serial_number_or_marks_is_13() {
        let mut request = complete();
        request.items[2] = item(Item::Part(pb::PartIdentification {
            serial_number: String::new(),
            marks: vec![pb::WeaponMark {
                kind: pb::MarkKind::Proof as i32,
                value: " ".into(),
                ..Default::default()
            }],
            ..part()
        }));
        assert_eq!(gaps(&request), only("13", "items[2].part.serialNumber"));
    }

    #[test]
    fn part_with_a_mark_but_no_serial_number_is_identified() {
        let mut request = complete();
        request.items[2] = item(Item::Part(pb::PartIdentification {
            serial_number: String::new(),
            marks: vec![pb::WeaponMark {
                kind: pb::MarkKind::Proof as i32,
                value: "crown over R".into(),
                ..Default::default()
            }],
            ..part()
        }));
        assert!(check(&request).is_empty());
    }

    #[test]
    fn missing_information_sought_is_9_2_1_d() {
        let mut request = complete();
        request.information_sought.clear();
        assert_eq!(gaps(&request), only("9.2.1 d", "informationSought"));
    }

    #[test]
    fn missing_purpose_is_9_2_1_e() {
        let mut request = complete();
        request.purpose.clear();
        assert_eq!(gaps(&request), only("9.2.1 e", "purpose"));
    }

    #[test]
    fn missing_intended_use_is_9_2_1_e() {
        let mut request = complete();
        request.intended_use.clear();
        assert_eq!(gaps(&request), only("9.2.1 e", "intendedUse"));
    }

    #[test]
    fn identification_gaps_ignore_everything_but_the_items() {
        let mut request = complete();
        request.context = None;
        request.grounds = None;
        request.purpose.clear();
        request
            .items
            .push(item(Item::Weapon(pb::WeaponIdentification {
                serial_number: String::new(),
                ..weapon()
            })));
        let fields: Vec<String> = identification_gaps(&request)
            .into_iter()
            .map(|m| m.field)
            .collect();
        assert_eq!(fields, ["items[3].weapon.serialNumber"]);
    }

    #[test]
    fn gaps_of_several_items_are_all_listed_in_item_order() {
        let mut request = complete();
        request.items = vec![
            item(Item::Weapon(pb::WeaponIdentification {
                make: String::new(),
                ..weapon()
            })),
            item(Item::Weapon(pb::WeaponIdentification {
                model: String::new(),
                serial_number: String::new(),
                ..weapon()
            })),
        ];
        let fields: Vec<String> = check(&request).into_iter().map(|m| m.field).collect();
        assert_eq!(
            fields,
            [
                "items[0].weapon.make",
                "items[1].weapon.model",
                "items[1].weapon.serialNumber"
            ]
        );
    }
}
