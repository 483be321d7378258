//! Reading serial numbers and makes as engraved, read and typed, and matching
//! them despite misreadings. One implementation for every comparison: the
//! broker's lost/stolen register (annex A.2) and the national records
//! (clause 7) both use it.
//!
//! A serial is compared by its *key*: NFC first, then each character folded
//! to the reading that misreadings collapse to.
//! - ASCII letters and digits: upper case, then the misreadings of engraved
//!   characters (O/0, I/L/1, S/5, B/8, Z/2) collapse to the digit.
//! - Any other character goes through the UTS #39 confusable skeleton first,
//!   so a Cyrillic О or a full-width ０ typed (or pasted, or recognised) for
//!   the Latin character it imitates folds to it; what the skeleton leaves
//!   outside ASCII is kept, upper-cased.
//! - Separators (spaces, dashes, dots) are dropped, and so are leading
//!   zeros ("0004512" is "4512" stamped wider).
//!
//! ASCII is not passed through the skeleton: the engraving rules above are
//! the ones that matter for serials, and the skeleton would also turn "m"
//! into "rn", changing the length of a serial and the positions of the
//! differences an officer is shown.
//!
//! A key is an index: two readings of one serial have equal keys, so a
//! search is a lookup of the key, plus one lookup per adjacent transposition
//! of it ([`search_keys`]), never a scan.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// How well a reading matches a recorded serial, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quality {
    /// The same characters (case, separators and leading zeros aside).
    Exact,
    /// The same once misread or confusable characters are folded.
    Misread,
    /// Two adjacent characters swapped (besides any misreadings).
    Transposed,
}

impl Quality {
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Exact => "exact",
            Quality::Misread => "misread",
            Quality::Transposed => "transposed",
        }
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A match of a reading against a recorded serial: how good, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialMatch {
    pub quality: Quality,
    /// Each difference the match forgave, in words ("O→0 at 3",
    /// "Cyrillic О (U+041E) read as O at 5", "4 and 5 transposed at 4–5").
    pub reasons: Vec<String>,
}

/// One character of a serial as read: what was there, and what it folds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Unit {
    /// The character as written (for a confusable, the original).
    shown: char,
    /// Upper case, or the skeleton's prototype of a confusable.
    read: char,
    /// What misreadings collapse it to.
    key: char,
    /// Whether `read` came from the confusable skeleton.
    confusable: bool,
}

/// The reading that misreadings of an engraved character collapse to.
fn collapse(c: char) -> char {
    match c {
        'O' => '0',
        'I' | 'L' => '1',
        'S' => '5',
        'B' => '8',
        'Z' => '2',
        other => other,
    }
}

fn upper(c: char) -> char {
    let mut u = c.to_uppercase();
    match (u.next(), u.next()) {
        (Some(one), None) => one,
        _ => c,
    }
}

/// The characters of `s` that take part in comparison, folded.
fn units(s: &str) -> Vec<Unit> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.nfc() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                let read = c.to_ascii_uppercase();
                out.push(Unit {
                    shown: c,
                    read,
                    key: collapse(read),
                    confusable: false,
                });
            }
            continue;
        }
        let mut buf = [0u8; 4];
        for p in unicode_security::skeleton(c.encode_utf8(&mut buf)) {
            if !p.is_alphanumeric() {
                continue;
            }
            let read = upper(p);
            out.push(Unit {
                shown: c,
                read,
                key: collapse(read),
                confusable: p != c,
            });
        }
    }
    out
}

/// Leading units that read as zeros.
fn leading_zeros(units: &[Unit]) -> usize {
    let zeros = units.iter().take_while(|u| u.key == '0').count();
    // An all-zero serial keeps one zero.
    zeros.min(units.len().saturating_sub(1))
}

fn key_of(units: &[Unit]) -> String {
    units[leading_zeros(units)..]
        .iter()
        .map(|u| u.key)
        .collect()
}

/// The version of the rules `serial_key` and `make_key` follow. Stored keys
/// computed by older rules are computed again (the broker's register looks
/// reports up by key). 1: misreadings; 2: confusable letters of other
/// scripts folded too.
pub const KEY_RULES: i64 = 2;

/// A serial as compared: the key two readings of it share.
pub fn serial_key(serial: &str) -> String {
    key_of(&units(serial))
}

/// A make as compared: letters and digits, upper case, confusables folded
/// (no misreading rules: makes are words, not engraved codes).
pub fn make_key(make: &str) -> String {
    units(make).iter().map(|u| u.read).collect()
}

/// Whether two make keys name the same maker: equal, or one the start of
/// the other ("FN" and "FN HERSTAL").
pub fn makes_agree(a: &str, b: &str) -> bool {
    !a.is_empty() && !b.is_empty() && (a.starts_with(b) || b.starts_with(a))
}

/// The keys to look up for a reading: its own, then each adjacent
/// transposition of it (distinct, without the key itself).
pub fn search_keys(serial: &str) -> Vec<String> {
    let key: Vec<char> = serial_key(serial).chars().collect();
    let mut keys = vec![key.iter().collect::<String>()];
    for i in 1..key.len() {
        if key[i - 1] == key[i] {
            continue;
        }
        let mut swapped = key.clone();
        swapped.swap(i - 1, i);
        let s: String = swapped.iter().collect();
        // A swap that moves a zero to the front changes the key's length.
        let s = s.trim_start_matches('0').to_string();
        if !s.is_empty() && !keys.contains(&s) {
            keys.push(s);
        }
    }
    keys
}

fn describe(read: &Unit, recorded: &Unit, position: usize) -> String {
    if read.confusable || recorded.confusable {
        let (odd, plain) = if read.confusable {
            (read, recorded)
        } else {
            (recorded, read)
        };
        format!(
            "{} {} (U+{:04X}) read as {} at {position}",
            script_name(odd.shown),
            odd.shown,
            odd.shown as u32,
            plain.read
        )
    } else {
        format!("{}→{} at {position}", read.read, recorded.read)
    }
}

/// A rough script name for a confusable, for officers.
fn script_name(c: char) -> &'static str {
    match c as u32 {
        0x0370..=0x03FF => "Greek",
        0x0400..=0x052F => "Cyrillic",
        0xFF00..=0xFFEF => "full-width",
        0x0600..=0x06FF => "Arabic",
        _ => "non-Latin",
    }
}

/// Matches a reading against a recorded serial: `None` when they are not
/// the same serial by any of the rules.
pub fn match_serial(read: &str, recorded: &str) -> Option<SerialMatch> {
    let a = units(read);
    let b = units(recorded);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (za, zb) = (leading_zeros(&a), leading_zeros(&b));
    let (ka, kb): (Vec<char>, Vec<char>) = (
        a[za..].iter().map(|u| u.key).collect(),
        b[zb..].iter().map(|u| u.key).collect(),
    );
    let mut reasons = Vec::new();
    if za != zb {
        reasons.push(format!("leading zeros: {za} read, {zb} recorded"));
    }
    let (ta, tb) = (&a[za..], &b[zb..]);
    if ka == kb {
        for (i, (x, y)) in ta.iter().zip(tb).enumerate() {
            if x.read != y.read || x.confusable || y.confusable {
                reasons.push(describe(x, y, za + i + 1));
            }
        }
        let quality = if reasons.is_empty() {
            Quality::Exact
        } else {
            Quality::Misread
        };
        return Some(SerialMatch { quality, reasons });
    }
    let swapped = transposition(&ka, &kb)?;
    for (i, (x, y)) in ta.iter().zip(tb).enumerate() {
        if i == swapped || i == swapped + 1 {
            continue;
        }
        if x.read != y.read || x.confusable || y.confusable {
            reasons.push(describe(x, y, za + i + 1));
        }
    }
    reasons.push(format!(
        "{} and {} transposed at {}–{}",
        ta[swapped].read,
        ta[swapped + 1].read,
        za + swapped + 1,
        za + swapped + 2
    ));
    Some(SerialMatch {
        quality: Quality::Transposed,
        reasons,
    })
}

/// The index `i` where swapping `a[i]` and `a[i + 1]` gives `b`, if that is
/// the only difference.
fn transposition(a: &[char], b: &[char]) -> Option<usize> {
    if a.len() != b.len() {
        return None;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    match diff.as_slice() {
        [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i] => Some(*i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misread_engraved_characters_share_a_key() {
        for (read, recorded) in [
            ("FNO4512", "FN04512"),
            ("A1B2", "AI82"),
            ("5Z-17", "S217"),
            ("L0071", "10071"),
            ("0004512", "4512"),
            ("fn 045.12", "FN04512"),
        ] {
            assert_eq!(
                serial_key(read),
                serial_key(recorded),
                "{read} vs {recorded}"
            );
        }
        assert_ne!(serial_key("FN04512"), serial_key("FN04513"));
    }

    #[test]
    fn confusable_characters_fold_to_the_latin_they_imitate() {
        // Cyrillic А and О, Greek Β, full-width digits.
        assert_eq!(serial_key("\u{0410}K\u{041E}47"), serial_key("AK047"));
        assert_eq!(serial_key("\u{0392}X12"), serial_key("BX12"));
        assert_eq!(serial_key("\u{FF11}\u{FF15}02347"), serial_key("1502347"));
        assert_eq!(make_key("\u{0410}\u{041A}"), "AK");
    }

    #[test]
    fn combining_sequences_are_composed_before_comparison() {
        // O + combining diaeresis is Ö either way.
        assert_eq!(serial_key("O\u{0308}12"), serial_key("\u{00D6}12"));
    }

    #[test]
    fn an_exact_match_has_no_reasons() {
        let m = match_serial("fn-0451", "FN0451").unwrap();
        assert_eq!(m.quality, Quality::Exact);
        assert!(m.reasons.is_empty());
    }

    #[test]
    fn a_misread_match_names_each_character() {
        let m = match_serial("FNO4512", "FN04512").unwrap();
        assert_eq!(m.quality, Quality::Misread);
        assert_eq!(m.reasons, ["O→0 at 3"]);
        let m = match_serial("4512", "004512").unwrap();
        assert_eq!(m.reasons, ["leading zeros: 0 read, 2 recorded"]);
        let m = match_serial("AK\u{041E}47", "AK047").unwrap();
        assert_eq!(m.quality, Quality::Misread);
        assert_eq!(m.reasons, ["Cyrillic \u{041E} (U+041E) read as 0 at 3"]);
    }

    #[test]
    fn adjacent_transpositions_match_with_lower_quality() {
        let m = match_serial("1520347", "1502347").unwrap();
        assert_eq!(m.quality, Quality::Transposed);
        assert_eq!(m.reasons, ["2 and 0 transposed at 3–4"]);
        let m = match_serial("15O3247", "1502347").unwrap();
        assert_eq!(m.quality, Quality::Transposed);
        assert_eq!(m.reasons, ["O→0 at 3", "3 and 2 transposed at 4–5"]);
        assert!(match_serial("1503427", "1502347").is_none(), "two swaps");
        assert!(match_serial("1502348", "1502347").is_none());
    }

    #[test]
    fn search_keys_cover_every_transposition_a_match_forgives() {
        let keys = search_keys("1502347");
        assert_eq!(keys[0], serial_key("1502347"));
        for recorded in ["5102347", "1052347", "1520347", "1503247", "1502374"] {
            assert!(
                keys.contains(&serial_key(recorded)),
                "{recorded} not among {keys:?}"
            );
            assert!(match_serial("1502347", recorded).is_some());
        }
    }

    #[test]
    fn makes_agree_when_one_names_the_other_shorter() {
        assert!(makes_agree(&make_key("FN"), &make_key("FN Herstal")));
        assert!(makes_agree(
            &make_key("fn-herstal"),
            &make_key("FN HERSTAL")
        ));
        assert!(!makes_agree(&make_key("Beretta"), &make_key("FN Herstal")));
        assert!(!makes_agree("", "FN"));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn a_match_is_symmetric_in_whether_it_matches(a in "[A-Z0-9]{1,10}", b in "[A-Z0-9]{1,10}") {
                prop_assert_eq!(match_serial(&a, &b).is_some(), match_serial(&b, &a).is_some());
            }

            #[test]
            fn every_adjacent_swap_is_found_by_the_search_keys(s in "[A-NP-Z1-9][A-Z0-9]{1,9}", i in 0usize..9) {
                let chars: Vec<char> = s.chars().collect();
                prop_assume!(i + 1 < chars.len());
                let mut swapped = chars.clone();
                swapped.swap(i, i + 1);
                let recorded: String = swapped.into_iter().collect();
                // A zero moved to the front is a shorter serial, not a swap.
                prop_assume!(!recorded.starts_with(['0', 'O']));
                prop_assert!(search_keys(&s).contains(&serial_key(&recorded)));
                prop_assert!(match_serial(&s, &recorded).is_some());
            }
        }
    }
}
