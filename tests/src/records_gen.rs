//! Synthetic national records for benchmarks and tests: every kind, each
//! weapon's records a consistent history (made or imported, held,
//! transferred, then perhaps stolen, exported or destroyed), from the
//! sources of several record domains, with the misreadings of serials
//! that real registers hold (O for 0, I for 1, S for 5, B for 8, swapped
//! neighbours) in some records of other agencies.
//!
//! Deterministic: weapon `i` of a seed is always the same weapon, so an
//! import can be generated source by source, and a search can ask for a
//! weapon the import holds.

use iti_proto::v1 as pb;

/// One source of the generated state, its domain and its kind of records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenSource {
    pub name: &'static str,
    pub domain: pb::RecordDomain,
    pub kind: pb::RecordKind,
}

/// The sources, in import order.
pub const SOURCES: &[GenSource] = &[
    GenSource {
        name: "factory-register",
        domain: pb::RecordDomain::Manufacturers,
        kind: pb::RecordKind::Manufacture,
    },
    GenSource {
        name: "import-licences",
        domain: pb::RecordDomain::TransferLicensing,
        kind: pb::RecordKind::Import,
    },
    GenSource {
        name: "police-armoury",
        domain: pb::RecordDomain::LawEnforcement,
        kind: pb::RecordKind::Holding,
    },
    GenSource {
        name: "army-inventory",
        domain: pb::RecordDomain::Military,
        kind: pb::RecordKind::Holding,
    },
    GenSource {
        name: "dealer-books",
        domain: pb::RecordDomain::Dealers,
        kind: pb::RecordKind::Holding,
    },
    GenSource {
        name: "civilian-licensing",
        domain: pb::RecordDomain::Civilians,
        kind: pb::RecordKind::Holding,
    },
    GenSource {
        name: "transfer-register",
        domain: pb::RecordDomain::TransferLicensing,
        kind: pb::RecordKind::Transfer,
    },
    GenSource {
        name: "police-reports",
        domain: pb::RecordDomain::LawEnforcement,
        kind: pb::RecordKind::Loss,
    },
    GenSource {
        name: "export-licences",
        domain: pb::RecordDomain::TransferLicensing,
        kind: pb::RecordKind::Export,
    },
    GenSource {
        name: "destruction-register",
        domain: pb::RecordDomain::LawEnforcement,
        kind: pb::RecordKind::Destruction,
    },
];

const MODELS: &[(&str, &str, &str, &str)] = &[
    ("FN Herstal", "FAL 50.00", "7.62x51mm", "BEL"),
    ("Beretta", "92FS", "9x19mm", "ITA"),
    ("Glock", "17", "9x19mm", "AUT"),
    ("Izhmash", "AK-74M", "5.45x39mm", "RUS"),
    ("Heckler & Koch", "G3A3", "7.62x51mm", "DEU"),
    ("Colt", "M4A1", "5.56x45mm", "USA"),
    ("CZ", "75 B", "9x19mm", "CZE"),
    ("SIG Sauer", "P226", "9x19mm", "CHE"),
    ("Remington", "870", "12 gauge", "USA"),
    ("Norinco", "Type 56", "7.62x39mm", "CHN"),
    ("Taurus", "PT92", "9x19mm", "BRA"),
    ("MKEK", "MPT-76", "7.62x51mm", "TUR"),
];

const ARMOURIES: &[&str] = &[
    "Central Police Armoury",
    "Northern Command armoury",
    "Southern Command armoury",
    "Harbour Police armoury",
    "Capital District armoury",
    "Border Police post armoury",
];
const UNITS: &[&str] = &[
    "1st Infantry Brigade",
    "2nd Mechanised Division",
    "Naval Base stores",
    "Air Force Regiment",
];
const DEALERS: &[&str] = &[
    "Abuja Arms Ltd",
    "Delta Sporting Guns",
    "Savannah Outfitters",
    "Coastline Firearms",
];
const GIVEN: &[&str] = &[
    "Musa", "Ada", "Chinedu", "Aisha", "Tunde", "Ngozi", "Ibrahim", "Funke",
];
const FAMILY: &[&str] = &[
    "Ibrahim", "Okafor", "Bello", "Adeyemi", "Eze", "Sani", "Okon", "Balogun",
];
const PLACES: &[&str] = &[
    "Kano",
    "Kaduna",
    "Lagos",
    "Port Harcourt",
    "Jos",
    "Maiduguri",
];
const DESTINATIONS: &[&str] = &["GHA", "CIV", "SEN", "CMR", "TGO", "BEN"];

/// A small fast generator (SplitMix64), seeded per weapon.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One generated weapon and its records.
#[derive(Clone, Debug)]
pub struct Weapon {
    pub index: u64,
    pub make: &'static str,
    pub model: &'static str,
    pub calibre: &'static str,
    pub country_of_manufacture: &'static str,
    /// The serial as engraved.
    pub serial: String,
    /// Each record with the index of its source in [`SOURCES`].
    pub records: Vec<(usize, pb::NationalRecord)>,
}

fn source_index(name: &str) -> usize {
    SOURCES.iter().position(|s| s.name == name).unwrap_or(0)
}

/// The serial engraved on weapon `i`: unique per make, in a make's style.
fn serial_of(i: u64, model: usize, rng: &mut Rng) -> String {
    let letters = b"ABCDEFGHJKLMNPRTUVWXY";
    let prefix: String = (0..2)
        .map(|_| letters[rng.below(letters.len() as u64) as usize] as char)
        .collect();
    match model % 3 {
        0 => format!("{prefix}{:07}", i),
        1 => format!("{:08}{}", i, &prefix[..1]),
        _ => format!("{}{:07}", &prefix[..1], i),
    }
}

/// A serial as another agency typed it: one misreading or a swap.
pub fn misread(serial: &str, rng_seed: u64) -> String {
    let mut rng = Rng(rng_seed);
    let mut chars: Vec<char> = serial.chars().collect();
    let swaps = [('0', 'O'), ('1', 'I'), ('5', 'S'), ('8', 'B'), ('2', 'Z')];
    let candidates: Vec<usize> = (0..chars.len())
        .filter(|&i| swaps.iter().any(|(a, _)| *a == chars[i]))
        .collect();
    if !candidates.is_empty() && rng.chance(70) {
        let at = candidates[rng.below(candidates.len() as u64) as usize];
        if let Some((_, b)) = swaps.iter().find(|(a, _)| *a == chars[at]) {
            chars[at] = *b;
        }
    } else if chars.len() > 4 {
        // Neighbours near the end, where the digits differ most (a swap
        // among leading zeros would change nothing).
        let n = chars.len();
        let lead = chars.iter().take_while(|c| **c == '0').count();
        let first = lead.max(n - 4);
        if first + 1 < n {
            let start = first + rng.below((n - 1 - first) as u64) as usize;
            if let Some(at) = (start..n - 1)
                .chain(first..start)
                .find(|&a| chars[a] != chars[a + 1])
            {
                chars.swap(at, at + 1);
            }
        }
    }
    chars.into_iter().collect()
}

fn date(year: u64, rng: &mut Rng) -> String {
    format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28))
}

/// Weapon `i` of the state with `seed`, with its whole history.
pub fn weapon(seed: u64, i: u64) -> Weapon {
    let mut rng = Rng(seed ^ i.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let m = rng.below(MODELS.len() as u64) as usize;
    let (make, model, calibre, country) = MODELS[m];
    let serial = serial_of(i, m, &mut rng);
    let mut w = Weapon {
        index: i,
        make,
        model,
        calibre,
        country_of_manufacture: country,
        serial: serial.clone(),
        records: Vec::new(),
    };
    let base = |key: &str, serial: &str| pb::NationalRecord {
        source_key: key.to_string(),
        make: make.into(),
        model: model.into(),
        calibre: calibre.into(),
        serial: serial.to_string(),
        ..Default::default()
    };
    // Other agencies misread the serial in a few of their records.
    let typed = |rng: &mut Rng, n: u64| {
        if rng.chance(3) {
            misread(&serial, seed ^ i ^ n)
        } else {
            serial.clone()
        }
    };
    let mut year = 1995 + rng.below(20);
    let domestic = rng.chance(25);
    if domestic {
        w.records.push((
            source_index("factory-register"),
            pb::NationalRecord {
                manufacturer: format!("{make} (licensed production)"),
                date: date(year, &mut rng),
                ..base(&format!("M-{i}"), &serial)
            },
        ));
    } else {
        let s = typed(&mut rng, 1);
        w.records.push((
            source_index("import-licences"),
            pb::NationalRecord {
                importer: rng.pick(DEALERS).into(),
                origin_state: country.into(),
                licence: format!("IM-{year}-{}", i % 100_000),
                import_marking: format!("NGA {}", year % 100),
                date: date(year, &mut rng),
                ..base(&format!("I-{i}"), &s)
            },
        ));
    }
    year += 1 + rng.below(3);
    // First holder.
    let (source, holder, category) = match rng.below(100) {
        0..=39 => (
            "police-armoury",
            rng.pick(ARMOURIES).to_string(),
            "state_armoury",
        ),
        40..=59 => ("army-inventory", rng.pick(UNITS).to_string(), "military"),
        60..=79 => ("dealer-books", rng.pick(DEALERS).to_string(), "dealer"),
        _ => (
            "civilian-licensing",
            format!("{} {}", rng.pick(GIVEN), rng.pick(FAMILY)),
            "civilian",
        ),
    };
    let s = typed(&mut rng, 2);
    w.records.push((
        source_index(source),
        pb::NationalRecord {
            holder: holder.clone(),
            holder_category: category.into(),
            licence: if category == "civilian" {
                format!("CIV-{}", i % 1_000_000)
            } else {
                String::new()
            },
            date: date(year, &mut rng),
            ..base(&format!("H-{i}"), &s)
        },
    ));
    let mut holder = (holder, category);
    // Transfers within the state.
    for t in 0..rng.below(3) {
        year += 1 + rng.below(4);
        let to = if holder.1 == "dealer" {
            (
                format!("{} {}", rng.pick(GIVEN), rng.pick(FAMILY)),
                "civilian",
            )
        } else if holder.1 == "civilian" {
            (rng.pick(DEALERS).to_string(), "dealer")
        } else {
            (rng.pick(ARMOURIES).to_string(), "state_armoury")
        };
        let s = typed(&mut rng, 10 + t);
        w.records.push((
            source_index("transfer-register"),
            pb::NationalRecord {
                from_holder: holder.0.clone(),
                holder: to.0.clone(),
                holder_category: to.1.into(),
                licence: format!("TR-{year}-{}-{t}", i % 100_000),
                date: date(year, &mut rng),
                ..base(&format!("T-{i}-{t}"), &s)
            },
        ));
        holder = to;
    }
    year += 1 + rng.below(5);
    match rng.below(100) {
        0..=5 => {
            let s = typed(&mut rng, 20);
            w.records.push((
                source_index("police-reports"),
                pb::NationalRecord {
                    holder: holder.0.clone(),
                    holder_category: holder.1.into(),
                    circumstances: if rng.chance(80) { "theft" } else { "loss" }.into(),
                    place: rng.pick(PLACES).into(),
                    report_reference: format!("NPF/{year}/{:06}", i % 1_000_000),
                    date: date(year, &mut rng),
                    ..base(&format!("L-{i}"), &s)
                },
            ));
        }
        6..=8 => {
            let s = typed(&mut rng, 21);
            w.records.push((
                source_index("export-licences"),
                pb::NationalRecord {
                    exporter: holder.0.clone(),
                    importing_state: rng.pick(DESTINATIONS).into(),
                    consignee: "Ministry of Interior".into(),
                    licence: format!("EX-{year}-{}", i % 100_000),
                    carrier: "West Africa Freight".into(),
                    financial: "letter of credit".into(),
                    date: date(year, &mut rng),
                    ..base(&format!("E-{i}"), &s)
                },
            ));
        }
        9..=10 => {
            w.records.push((
                source_index("destruction-register"),
                pb::NationalRecord {
                    holder: holder.0.clone(),
                    holder_category: holder.1.into(),
                    place: "Central Police Armoury".into(),
                    method: "cutting".into(),
                    certificate: format!("DC-{year}-{}", i % 100_000),
                    date: date(year, &mut rng),
                    ..base(&format!("D-{i}"), &serial)
                },
            ));
        }
        _ => {}
    }
    w
}

/// The records of `source` among weapons `from..to`, in order.
pub fn records_of(
    seed: u64,
    source: usize,
    from: u64,
    to: u64,
) -> impl Iterator<Item = pb::NationalRecord> {
    (from..to).flat_map(move |i| {
        weapon(seed, i)
            .records
            .into_iter()
            .filter(move |(s, _)| *s == source)
            .map(|(_, r)| r)
    })
}

/// About how many records `weapons` weapons give (for sizing a run).
pub fn records_per_weapon(seed: u64) -> f64 {
    let n = 2_000;
    let total: usize = (0..n).map(|i| weapon(seed, i).records.len()).sum();
    total as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weapon_is_the_same_weapon_every_time_and_its_records_agree() {
        let a = weapon(7, 42);
        let b = weapon(7, 42);
        assert_eq!(a.serial, b.serial);
        assert_eq!(a.records, b.records);
        for (source, r) in &a.records {
            assert_eq!(r.make, a.make);
            let kind = iti_node::records::Kind::from_proto(SOURCES[*source].kind as i32).unwrap();
            iti_node::records::Record::try_from_line(kind, r)
                .expect("every generated record is valid");
            assert_eq!(
                iti_node::matching::serial_key(&r.serial).len(),
                iti_node::matching::serial_key(&a.serial).len(),
                "a misreading keeps the serial's length"
            );
        }
    }

    #[test]
    fn misreadings_are_forgiven_by_the_matching_rules() {
        for i in 0..500 {
            let w = weapon(3, i);
            let read = misread(&w.serial, i);
            assert!(
                iti_node::matching::match_serial(&read, &w.serial).is_some(),
                "{read} vs {}",
                w.serial
            );
        }
    }
}
