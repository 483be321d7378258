//! A request (9.2) as an officer reads it: every field with its label,
//! each item with every mark (kind, value, location, country, year) and
//! its photographs. One view model, laid out as HTML by the console
//! (`console/pages/message.rs`) and as text by `itictl` (`render.rs`), so
//! that neither leaves out what the other shows. Labels are catalog ids;
//! coded values are translated; what officers typed is kept as typed.

use iti_proto::v1 as pb;
use pb::recovered_item::Item;

use crate::i18n::Texts;

/// A labelled value; empty values are not shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The label's catalog id.
    pub label: &'static str,
    pub value: String,
}

/// One mark of an item (6.2.2), its kind translated.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub kind: String,
    pub value: String,
    pub location: String,
    pub country: String,
    pub year: String,
}

/// One recovered item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSheet {
    /// The heading's catalog id (weapon, ammunition, part).
    pub heading: &'static str,
    pub fields: Vec<Field>,
    pub marks: Vec<Mark>,
    pub photos: Vec<pb::Attachment>,
}

/// A whole request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSheet {
    pub fields: Vec<Field>,
    pub items: Vec<ItemSheet>,
    /// Named individuals (9.2.2): name, and role if given.
    pub individuals: Vec<(String, String)>,
}

/// Which items of a large request a page shows, as officers count them
/// (from 1), and where the pages before and after it start: the console
/// links to them, `itictl case show` names its `--items`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemsPage {
    pub first: usize,
    pub last: usize,
    pub total: usize,
    pub previous: Option<usize>,
    pub next: Option<usize>,
}

/// The page a view shows when it says `shown`.
pub fn items_page(shown: &pb::ItemsShown) -> ItemsPage {
    let (from, total) = (shown.from as usize, shown.total as usize);
    let last = (from + shown.count as usize).min(total);
    let page = crate::case::items::ItemWindow::PAGE;
    ItemsPage {
        first: (from + 1).min(last.max(1)),
        last,
        total,
        previous: (from > 0).then(|| from.saturating_sub(page) + 1),
        next: (last < total).then_some(last + 1),
    }
}

fn fields(pairs: Vec<(&'static str, String)>) -> Vec<Field> {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(label, value)| Field { label, value })
        .collect()
}

fn nonzero(n: u32) -> String {
    if n == 0 { String::new() } else { n.to_string() }
}

/// `r` as an officer reads it.
pub fn request(t: &Texts, r: &pb::TraceRequest) -> RequestSheet {
    let context = r.context.clone().unwrap_or_default();
    let restrictions: Vec<String> = r
        .restrictions_cannot_comply
        .iter()
        .filter_map(|x| pb::UseRestriction::try_from(*x).ok())
        .map(|x| t.code(x.as_str_name()))
        .collect();
    let recovered = context
        .recovered_at
        .as_ref()
        .map(|at| super::time(Some(at)))
        .unwrap_or_default();
    let grounds = if r.grounds.is_some() {
        super::request_grounds(t, r)
    } else {
        String::new()
    };
    let incomplete = if r.cannot_provide_all {
        r.cannot_provide_explanation.clone()
    } else {
        String::new()
    };
    RequestSheet {
        fields: fields(vec![
            ("req-reference", r.requester_reference.clone()),
            ("req-recovered", recovered),
            ("req-place", context.place_of_recovery),
            ("req-illicit-nature", context.illicit_nature),
            ("req-legal-basis", context.legal_basis),
            ("req-circumstances", context.circumstances),
            ("req-grounds", grounds),
            ("req-information-sought", r.information_sought.clone()),
            ("req-purpose", r.purpose.clone()),
            ("req-intended-use", r.intended_use.clone()),
            ("req-additional", r.additional_information.clone()),
            ("req-incomplete", incomplete),
            ("req-cannot-comply", restrictions.join(", ")),
        ]),
        items: r.items.iter().filter_map(|i| item(t, i)).collect(),
        individuals: r
            .individuals
            .iter()
            .map(|p| (p.name.clone(), p.role.clone()))
            .collect(),
    }
}

fn item(t: &Texts, item: &pb::RecoveredItem) -> Option<ItemSheet> {
    let quantity = if item.quantity > 1 {
        item.quantity.to_string()
    } else {
        String::new()
    };
    let common = [
        ("item-ref", item.item_ref.clone()),
        ("item-quantity", quantity),
    ];
    let sheet = match item.item.as_ref()? {
        Item::Weapon(w) => ItemSheet {
            heading: "item-weapon",
            fields: fields(
                common
                    .into_iter()
                    .chain([
                        ("item-make", w.make.clone()),
                        ("item-model", w.model.clone()),
                        ("item-calibre", w.calibre.clone()),
                        ("item-serial", w.serial_number.clone()),
                        ("item-serial-location", w.serial_location.clone()),
                        ("item-country-manufacture", w.country_of_manufacture.clone()),
                        ("item-country-import", w.country_of_last_import.clone()),
                        ("item-manufacturer", w.manufacturer.clone()),
                        ("item-description", w.description.clone()),
                    ])
                    .collect(),
            ),
            marks: marks(t, &w.marks),
            photos: w.photographs.clone(),
        },
        Item::Ammunition(a) => ItemSheet {
            heading: "item-ammunition",
            fields: fields(
                common
                    .into_iter()
                    .chain([
                        ("item-calibre", a.calibre.clone()),
                        ("item-lot", a.lot_number.clone()),
                        ("item-manufacturer", a.manufacturer.clone()),
                        ("item-country-manufacture", a.country_of_manufacture.clone()),
                        ("item-headstamp", a.headstamp.clone()),
                        ("item-year", nonzero(a.year_of_production)),
                    ])
                    .collect(),
            ),
            marks: Vec::new(),
            photos: a.photographs.clone(),
        },
        Item::Part(p) => ItemSheet {
            heading: "item-part",
            fields: fields(
                common
                    .into_iter()
                    .chain([
                        ("item-description", p.description.clone()),
                        ("item-make", p.make.clone()),
                        ("item-serial", p.serial_number.clone()),
                        ("item-country-manufacture", p.country_of_manufacture.clone()),
                    ])
                    .collect(),
            ),
            marks: marks(t, &p.marks),
            photos: p.photographs.clone(),
        },
    };
    Some(sheet)
}

fn marks(t: &Texts, marks: &[pb::WeaponMark]) -> Vec<Mark> {
    marks
        .iter()
        .map(|m| Mark {
            kind: t.code(
                pb::MarkKind::try_from(m.kind)
                    .unwrap_or(pb::MarkKind::Unspecified)
                    .as_str_name(),
            ),
            value: m.value.clone(),
            location: m.location.clone(),
            country: m.country.clone(),
            year: nonzero(m.year),
        })
        .collect()
}
