//! The compose form as the officer typed it, and the request it describes.
//!
//! A plain HTML form has no nesting, so items are read in document order
//! (the order browsers send fields in): a hidden `item` field opens each
//! item block ("weapon", "ammunition" or "part"), and the fields after it
//! belong to that item until the next one; a `mark_kind` field opens a
//! mark row of the item, and a mark field already set in the row opens the
//! next row. Fields of an item sent before any `item` field describe a
//! weapon (the first version of this form had one weapon and no marker).
//! Blocks and mark rows left empty are ignored, so the form may offer
//! blank ones. A `photo` field names, by hash, a photograph uploaded for
//! the item (the handler stores each file sent and puts its hash in the
//! file's place). Everything is kept as typed, to show the form again.

use std::collections::BTreeMap;

use iti_proto::v1 as pb;

use crate::console::pages::compose::date;
use crate::service::ServiceError;

/// The fields of the request itself (9.2), by form name.
pub const REQUEST_FIELDS: [&str; 10] = [
    "requester_reference",
    "recovered_on",
    "place_of_recovery",
    "illicit_nature",
    "legal_basis",
    "circumstances",
    "information_sought",
    "purpose",
    "intended_use",
    "additional_information",
];

/// The fields of one item of each kind, by form name (`quantity` and
/// `item_ref` are every item's).
pub const WEAPON_FIELDS: [&str; 9] = [
    "make",
    "model",
    "calibre",
    "serial_number",
    "serial_location",
    "country_of_manufacture",
    "country_of_last_import",
    "manufacturer",
    "description",
];
pub const AMMUNITION_FIELDS: [&str; 7] = [
    "calibre",
    "lot_number",
    "manufacturer",
    "manufacturer_code",
    "country_of_manufacture",
    "year_of_production",
    "headstamp",
];
pub const PART_FIELDS: [&str; 5] = [
    "part_kind",
    "make",
    "serial_number",
    "country_of_manufacture",
    "description",
];
pub const COMMON_FIELDS: [&str; 2] = ["item_ref", "quantity"];
pub const MARK_FIELDS: [&str; 4] = ["mark_kind", "mark_value", "mark_location", "mark_country"];

/// The kinds of item the form offers, by their form value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Weapon,
    Ammunition,
    Part,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Weapon, Kind::Ammunition, Kind::Part];

    pub fn value(self) -> &'static str {
        match self {
            Kind::Weapon => "weapon",
            Kind::Ammunition => "ammunition",
            Kind::Part => "part",
        }
    }

    /// The item's own fields (beside `COMMON_FIELDS`).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Weapon => &WEAPON_FIELDS,
            Kind::Ammunition => &AMMUNITION_FIELDS,
            Kind::Part => &PART_FIELDS,
        }
    }

    /// Whether items of this kind carry marks (6.2.2, 13).
    pub fn has_marks(self) -> bool {
        self != Kind::Ammunition
    }
}

/// One mark row as typed, by form name.
pub type MarkForm = BTreeMap<String, String>;

/// One item block as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemForm {
    /// The block's kind as sent; checked when the request is made.
    pub kind: String,
    pub fields: BTreeMap<String, String>,
    pub marks: Vec<MarkForm>,
    /// Photographs uploaded for this item, by hash (6.2.3).
    pub photos: Vec<String>,
}

impl ItemForm {
    pub fn blank(kind: Kind) -> ItemForm {
        ItemForm {
            kind: kind.value().into(),
            fields: BTreeMap::new(),
            marks: vec![],
            photos: vec![],
        }
    }

    pub fn kind(&self) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.value() == self.kind)
    }

    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// Marks whose value was typed (a row with only a kind is blank).
    pub fn typed_marks(&self) -> impl Iterator<Item = &MarkForm> {
        self.marks
            .iter()
            .filter(|m| !mark_get(m, "mark_value").is_empty())
    }

    /// Nothing typed: no field (a choice of part kind alone is not typing),
    /// no mark.
    pub fn is_blank(&self) -> bool {
        self.fields
            .iter()
            .all(|(k, v)| v.is_empty() || k == "part_kind")
            && self.typed_marks().next().is_none()
            && self.photos.is_empty()
    }
}

pub fn mark_get<'a>(mark: &'a MarkForm, name: &str) -> &'a str {
    mark.get(name).map(String::as_str).unwrap_or("")
}

/// The whole form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeForm {
    pub fields: BTreeMap<String, String>,
    pub items: Vec<ItemForm>,
    pub tlp: String,
    pub restrictions: Vec<String>,
    /// The kind of item block asked for with an "add" button.
    pub add: Option<String>,
}

impl ComposeForm {
    /// The form as sent, fields in document order.
    pub fn parse(pairs: &[(String, String)]) -> ComposeForm {
        let mut form = ComposeForm::default();
        for (name, value) in pairs {
            form.take(name, value.trim());
        }
        form
    }

    fn take(&mut self, name: &str, value: &str) {
        match name {
            "item" => self.items.push(ItemForm {
                kind: value.into(),
                ..ItemForm::blank(Kind::Weapon)
            }),
            "tlp" => self.tlp = value.into(),
            "restriction" => self.restrictions.push(value.into()),
            "add" => self.add = Some(value.into()),
            "photo" if !value.is_empty() => self.current_item().photos.push(value.into()),
            n if REQUEST_FIELDS.contains(&n) => {
                self.fields.insert(n.into(), value.into());
            }
            n if MARK_FIELDS.contains(&n) => take_mark(self.current_item(), n, value),
            n if is_item_field(n) => {
                self.current_item().fields.insert(n.into(), value.into());
            }
            // The CSRF token, the buttons: not part of the request.
            _ => {}
        }
    }

    fn current_item(&mut self) -> &mut ItemForm {
        if self.items.is_empty() {
            self.items.push(ItemForm::blank(Kind::Weapon));
        }
        let last = self.items.len() - 1;
        &mut self.items[last]
    }

    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// The items typed, in order: their index is the request's.
    pub fn typed_items(&self) -> impl Iterator<Item = &ItemForm> {
        self.items.iter().filter(|i| !i.is_blank())
    }

    /// Every photograph's hash the form names.
    pub fn photo_hashes(&self) -> impl Iterator<Item = &str> {
        self.items
            .iter()
            .flat_map(|i| &i.photos)
            .map(String::as_str)
    }

    /// The request the form describes, its photographs' attachments from
    /// `photos`. A value that is not one of the
    /// form's choices, or not a number or date where one is asked, is
    /// refused naming its field in the protobuf JSON names `itictl` and the
    /// bounds use; the service checks the rest.
    pub fn request(&self, photos: &Photos) -> Result<pb::TraceRequest, ServiceError> {
        let s = |name: &str| self.get(name).to_string();
        let items = self
            .typed_items()
            .enumerate()
            .map(|(i, item)| recovered_item(i, item, photos))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(pb::TraceRequest {
            context: Some(pb::RecoveryContext {
                illicit_nature: s("illicit_nature"),
                legal_basis: s("legal_basis"),
                circumstances: s("circumstances"),
                recovered_at: date(self.get("recovered_on"), "context.recoveredAt")?,
                place_of_recovery: s("place_of_recovery"),
            }),
            items,
            information_sought: s("information_sought"),
            purpose: s("purpose"),
            intended_use: s("intended_use"),
            additional_information: s("additional_information"),
            requester_reference: s("requester_reference"),
            marking: Some(self.marking()?),
            ..Default::default()
        })
    }

    fn marking(&self) -> Result<pb::Marking, ServiceError> {
        let tlp = pb::Tlp::from_str_name(&self.tlp)
            .filter(|t| *t != pb::Tlp::Unspecified)
            .ok_or_else(|| ServiceError::invalid("marking.tlp", "choose a TLP level"))?;
        let restrictions = self
            .restrictions
            .iter()
            .map(|r| {
                pb::UseRestriction::from_str_name(r)
                    .filter(|r| *r != pb::UseRestriction::Unspecified)
                    .map(|r| r as i32)
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "marking.restrictions",
                            format!("{r:?} is not a restriction"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(pb::Marking {
            tlp: tlp as i32,
            restrictions,
        })
    }
}

fn is_item_field(name: &str) -> bool {
    COMMON_FIELDS.contains(&name) || Kind::ALL.iter().any(|k| k.fields().contains(&name))
}

fn take_mark(item: &mut ItemForm, name: &str, value: &str) {
    let opens_row = name == "mark_kind" || item.marks.last().is_none_or(|m| m.contains_key(name));
    if opens_row {
        item.marks.push(MarkForm::new());
    }
    if let Some(mark) = item.marks.last_mut() {
        mark.insert(name.into(), value.into());
    }
}

/// Photographs uploaded here, by hash: the only ones a request may name.
pub type Photos = BTreeMap<String, pb::Attachment>;

fn recovered_item(
    i: usize,
    item: &ItemForm,
    photos: &Photos,
) -> Result<pb::RecoveredItem, ServiceError> {
    use pb::recovered_item::Item;
    let kind = item.kind().ok_or_else(|| {
        ServiceError::invalid(
            format!("items[{i}]"),
            "choose a weapon, ammunition or a part",
        )
    })?;
    let at = |field: &str| format!("items[{i}].{}.{field}", kind.value());
    let s = |name: &str| item.get(name).to_string();
    let content = match kind {
        Kind::Weapon => Item::Weapon(pb::WeaponIdentification {
            make: s("make"),
            model: s("model"),
            calibre: s("calibre"),
            serial_number: s("serial_number"),
            serial_location: s("serial_location"),
            country_of_manufacture: s("country_of_manufacture"),
            country_of_last_import: s("country_of_last_import"),
            manufacturer: s("manufacturer"),
            description: s("description"),
            marks: marks(item, &at("marks"))?,
            photographs: attachments(item, photos, &at("photographs"))?,
            ..Default::default()
        }),
        Kind::Ammunition => Item::Ammunition(pb::AmmunitionIdentification {
            calibre: s("calibre"),
            lot_number: s("lot_number"),
            manufacturer: s("manufacturer"),
            manufacturer_code: s("manufacturer_code"),
            country_of_manufacture: s("country_of_manufacture"),
            year_of_production: number(item.get("year_of_production"), &at("yearOfProduction"))?,
            headstamp: s("headstamp"),
            photographs: attachments(item, photos, &at("photographs"))?,
        }),
        Kind::Part => Item::Part(pb::PartIdentification {
            kind: part_kind(item.get("part_kind"), &at("kind"))? as i32,
            make: s("make"),
            serial_number: s("serial_number"),
            country_of_manufacture: s("country_of_manufacture"),
            description: s("description"),
            marks: marks(item, &at("marks"))?,
            photographs: attachments(item, photos, &at("photographs"))?,
        }),
    };
    Ok(pb::RecoveredItem {
        item_ref: s("item_ref"),
        quantity: number(item.get("quantity"), &format!("items[{i}].quantity"))?,
        item: Some(content),
    })
}

/// The item's photographs, each one uploaded here.
fn attachments(
    item: &ItemForm,
    photos: &Photos,
    field: &str,
) -> Result<Vec<pb::Attachment>, ServiceError> {
    item.photos
        .iter()
        .enumerate()
        .map(|(k, hash)| {
            photos.get(hash).cloned().ok_or_else(|| {
                ServiceError::invalid(
                    format!("{field}[{k}]"),
                    "not a photograph uploaded on this node",
                )
            })
        })
        .collect()
}

/// A whole number typed in a form; 0 when left empty.
fn number(typed: &str, field: &str) -> Result<u32, ServiceError> {
    if typed.is_empty() {
        return Ok(0);
    }
    typed
        .parse()
        .map_err(|_| ServiceError::invalid(field, format!("{typed:?} is not a whole number")))
}

fn part_kind(typed: &str, field: &str) -> Result<pb::PartKind, ServiceError> {
    if typed.is_empty() {
        return Ok(pb::PartKind::Unspecified);
    }
    pb::PartKind::from_str_name(typed)
        .ok_or_else(|| ServiceError::invalid(field, format!("{typed:?} is not a kind of part")))
}

/// The item's marks whose value was typed, each with its kind (6.2.2).
fn marks(item: &ItemForm, field: &str) -> Result<Vec<pb::WeaponMark>, ServiceError> {
    item.typed_marks()
        .enumerate()
        .map(|(j, m)| {
            let kind = pb::MarkKind::from_str_name(mark_get(m, "mark_kind"))
                .filter(|k| *k != pb::MarkKind::Unspecified)
                .ok_or_else(|| {
                    ServiceError::invalid(format!("{field}[{j}].kind"), "choose the kind of mark")
                })?;
            Ok(pb::WeaponMark {
                kind: kind as i32,
                value: mark_get(m, "mark_value").into(),
                location: mark_get(m, "mark_location").into(),
                country: mark_get(m, "mark_country").into(),
                ..Default::default()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> ComposeForm {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ComposeForm::parse(&pairs)
    }

    fn field_of(pairs: &[(&str, &str)]) -> String {
        match form(pairs).request(&Photos::new()) {
            Err(ServiceError::InvalidArgument { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_form_becomes_a_request_with_every_mark_its_kind_and_location() {
        let r = form(&[
            ("make", "FN Herstal"),
            ("serial_number", "1502347"),
            ("mark_kind", "MARK_KIND_PROOF"),
            ("mark_value", "perron"),
            ("mark_location", "barrel"),
            ("mark_kind", "MARK_KIND_SERIAL"),
            ("mark_value", ""),
            ("mark_location", ""),
            ("mark_kind", "MARK_KIND_IMPORT"),
            ("mark_value", "GHA 09"),
            ("mark_location", "receiver"),
            ("mark_country", "GHA"),
            ("recovered_on", "2026-10-02"),
            ("tlp", "TLP_AMBER_STRICT"),
            ("restriction", "USE_RESTRICTION_NO_ONWARD_DISCLOSURE"),
        ])
        .request(&Photos::new())
        .unwrap();
        let Some(pb::recovered_item::Item::Weapon(w)) = &r.items[0].item else {
            panic!("no weapon")
        };
        let marks: Vec<(i32, &str, &str, &str)> = w
            .marks
            .iter()
            .map(|m| {
                (
                    m.kind,
                    m.value.as_str(),
                    m.location.as_str(),
                    m.country.as_str(),
                )
            })
            .collect();
        assert_eq!(
            marks,
            [
                (pb::MarkKind::Proof as i32, "perron", "barrel", ""),
                (pb::MarkKind::Import as i32, "GHA 09", "receiver", "GHA")
            ]
        );
        let m = r.marking.unwrap();
        assert_eq!(m.tlp, pb::Tlp::AmberStrict as i32);
        assert_eq!(
            m.restrictions,
            [pb::UseRestriction::NoOnwardDisclosure as i32]
        );
        assert!(r.context.unwrap().recovered_at.is_some());
    }

    #[test]
    fn items_of_every_kind_are_read_in_order_and_blank_blocks_are_ignored() {
        let r = form(&[
            ("item", "weapon"),
            ("make", "AK"),
            ("mark_kind", "MARK_KIND_PROOF"),
            ("mark_value", "star"),
            ("item", "ammunition"),
            ("quantity", "120"),
            ("lot_number", "LOT-7"),
            ("year_of_production", "2019"),
            ("item", "part"),
            ("part_kind", "PART_KIND_BARREL"),
            ("mark_kind", "MARK_KIND_SERIAL"),
            ("mark_value", ""),
            ("item", "weapon"),
            ("make", ""),
            ("item", "part"),
            ("part_kind", "PART_KIND_SLIDE"),
            ("serial_number", "S-1"),
            ("mark_kind", "MARK_KIND_ASSEMBLY"),
            ("mark_value", "A1"),
            ("mark_location", "inside"),
            ("tlp", "TLP_GREEN"),
        ])
        .request(&Photos::new())
        .unwrap();
        use pb::recovered_item::Item;
        assert_eq!(r.items.len(), 3, "{:?}", r.items);
        assert!(matches!(&r.items[0].item, Some(Item::Weapon(w)) if w.marks.len() == 1));
        assert!(matches!(&r.items[1].item,
            Some(Item::Ammunition(a)) if a.lot_number == "LOT-7" && a.year_of_production == 2019));
        assert_eq!(r.items[1].quantity, 120);
        let Some(Item::Part(p)) = &r.items[2].item else {
            panic!("no part")
        };
        assert_eq!(p.kind, pb::PartKind::Slide as i32);
        assert_eq!(p.marks[0].location, "inside");
    }

    #[test]
    fn a_value_outside_the_choices_is_refused_naming_its_field() {
        assert_eq!(field_of(&[("tlp", "TLP_PURPLE")]), "marking.tlp");
        assert_eq!(
            field_of(&[("tlp", "TLP_RED"), ("recovered_on", "2 Oct")]),
            "context.recoveredAt"
        );
        assert_eq!(
            field_of(&[("tlp", "TLP_RED"), ("restriction", "SECRET")]),
            "marking.restrictions"
        );
        assert_eq!(
            field_of(&[("tlp", "TLP_RED"), ("mark_kind", "X"), ("mark_value", "v")]),
            "items[0].weapon.marks[0].kind"
        );
        assert_eq!(
            field_of(&[
                ("tlp", "TLP_RED"),
                ("item", "weapon"),
                ("item", "ammunition"),
                ("lot_number", "L"),
                ("quantity", "a dozen"),
            ]),
            "items[0].quantity"
        );
        assert_eq!(
            field_of(&[
                ("tlp", "TLP_RED"),
                ("item", "part"),
                ("part_kind", "SPRING"),
                ("make", "x")
            ]),
            "items[0].part.kind"
        );
        assert_eq!(
            field_of(&[("tlp", "TLP_RED"), ("item", "grenade"), ("make", "x")]),
            "items[0]"
        );
        // A photograph not uploaded here (another state's, say).
        assert_eq!(
            field_of(&[("tlp", "TLP_RED"), ("item", "part"), ("photo", "ab12")]),
            "items[0].part.photographs[0]"
        );
    }
}
