//! The checks of one value against its rule. Reasons never quote the value:
//! they reach logs, audit entries and other states.

use time::OffsetDateTime;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_security::MixedScript;
use unicode_security::mixed_script::AugmentedScriptSet;

use super::table::Rule;
use crate::ids::{ParticipantId, StateCode};

/// A doubt about an accepted serial number or mark (UTS #39).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doubt {
    /// Letters of several scripts ("Cyrillic, Latin").
    MixedScript(Vec<String>),
    /// Characters that look like Latin letters or digits but are not.
    Confusable,
}

/// How far ahead of the node's clock a "past" date or time may be: a day,
/// for time zones and dates written as the end of a day.
const AHEAD_ALLOWED: time::Duration = time::Duration::days(1);

/// Checks one string against `rule`, normalising it in place. `now` is the
/// node's clock (`None`: time rules are not applied).
pub fn check(
    rule: Rule,
    value: &mut String,
    now: Option<OffsetDateTime>,
) -> Result<Option<Doubt>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    match rule {
        Rule::Line(max) | Rule::Mark(max) | Rule::FileName(max) => {
            characters(value, false)?;
            normalise(value);
            length(value, max)?;
        }
        Rule::Text(max) => {
            characters(value, true)?;
            normalise(value);
            length(value, max)?;
        }
        Rule::Country => code(value, |s| s.parse::<StateCode>().is_ok()).map_err(|_| {
            "not an ISO 3166-1 alpha-3 code of an assigned country (e.g. \"GHA\")".to_string()
        })?,
        Rule::Participant => code(value, |s| s.parse::<ParticipantId>().is_ok()).map_err(|_| {
            "not a participant: a country code (\"GHA\"), \"hub:NAME\" or \"panel:NAME\""
                .to_string()
        })?,
        Rule::Id => code(value, |s| uuid::Uuid::parse_str(s).is_ok())
            .map_err(|_| "not an id (a UUID)".to_string())?,
        Rule::PastDate => past_date(value, now)?,
        Rule::Sha256 => sha256(value)?,
        Rule::MediaType => media_type(value)?,
        Rule::Number { .. }
        | Rule::Year
        | Rule::PastTime
        | Rule::Time
        | Rule::Bytes(_)
        | Rule::Message
        | Rule::Enum => return Err("not text (a bug: the table's rule does not fit)".into()),
    }
    if let Rule::FileName(_) = rule
        && (value.contains(['/', '\\']) || value == "." || value == "..")
    {
        return Err("a file name, not a path: no / or \\".into());
    }
    Ok(match rule {
        Rule::Mark(_) => doubt(value),
        _ => None,
    })
}

/// Control characters (line breaks and tabs only in free text) and the
/// bidirectional controls that make text read otherwise than it is stored.
fn characters(value: &str, free_text: bool) -> Result<(), String> {
    for (i, c) in value.chars().enumerate() {
        let allowed = free_text && matches!(c, '\n' | '\r' | '\t');
        if c.is_control() && !allowed {
            return Err(format!(
                "contains a control character (U+{:04X}) at character {}",
                c as u32,
                i + 1
            ));
        }
        if matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            return Err(format!(
                "contains a bidirectional control character (U+{:04X}) at character {}",
                c as u32,
                i + 1
            ));
        }
    }
    Ok(())
}

fn normalise(value: &mut String) {
    if is_nfc_quick(value.chars()) != IsNormalized::Yes {
        let nfc: String = value.nfc().collect();
        if nfc != *value {
            *value = nfc;
        }
    }
}

fn length(value: &str, max: usize) -> Result<(), String> {
    if value.chars().nth(max).is_some() {
        return Err(format!("longer than {max} characters"));
    }
    Ok(())
}

/// A code is trimmed, then must satisfy `valid`.
fn code(value: &mut String, valid: impl Fn(&str) -> bool) -> Result<(), ()> {
    let trimmed = value.trim();
    if !valid(trimmed) {
        return Err(());
    }
    if trimmed.len() != value.len() {
        *value = trimmed.to_string();
    }
    Ok(())
}

/// YYYY, YYYY-MM or YYYY-MM-DD, whose first day is not after today (less
/// than a day ahead of the node's clock).
fn past_date(value: &mut String, now: Option<OffsetDateTime>) -> Result<(), String> {
    let bad = || "not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)".to_string();
    let trimmed = value.trim();
    let parts: Vec<&str> = trimmed.split('-').collect();
    let number = |s: &str, len: usize| -> Option<u16> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, day) = match parts.as_slice() {
        [y] => (number(y, 4), Some(1), Some(1)),
        [y, m] => (number(y, 4), number(m, 2), Some(1)),
        [y, m, d] => (number(y, 4), number(m, 2), number(d, 2)),
        _ => return Err(bad()),
    };
    let (Some(year), Some(month), Some(day)) = (year, month, day) else {
        return Err(bad());
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let first =
        time::Date::from_calendar_date(i32::from(year), month, u8::try_from(day).unwrap_or(0))
            .map_err(|_| bad())?;
    if let Some(now) = now
        && first > (now + AHEAD_ALLOWED).date()
    {
        return Err("is in the future".into());
    }
    if trimmed.len() != value.len() {
        *value = trimmed.to_string();
    }
    Ok(())
}

/// A time that must not be in the future (less than a day ahead).
pub fn past_time(t: OffsetDateTime, now: Option<OffsetDateTime>) -> Result<(), String> {
    match now {
        Some(now) if t > now + AHEAD_ALLOWED => Err("is in the future".into()),
        _ => Ok(()),
    }
}

fn sha256(value: &str) -> Result<(), String> {
    if value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err("not a lower-case hex SHA-256 (64 characters 0-9, a-f)".into())
    }
}

/// type "/" subtype, each a token of RFC 6838's characters.
fn media_type(value: &str) -> Result<(), String> {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match value.split_once('/') {
        Some((t, sub)) if value.len() <= 100 && token(t) && token(sub) => Ok(()),
        _ => Err("not a media type (e.g. \"image/jpeg\")".into()),
    }
}

/// UTS #39: a serial or mark that mixes scripts, or holds characters that
/// look like Latin letters or digits without being them.
fn doubt(value: &str) -> Option<Doubt> {
    if !value.is_single_script() {
        let mut scripts: Vec<String> = Vec::new();
        for c in value.chars() {
            let set = AugmentedScriptSet::for_char(c);
            let name = set.to_string();
            if !set.is_all() && !scripts.contains(&name) {
                scripts.push(name);
            }
        }
        scripts.sort();
        return Some(Doubt::MixedScript(scripts));
    }
    let looks_ascii = |c: char| {
        !c.is_ascii() && {
            let mut s = [0u8; 4];
            unicode_security::skeleton(c.encode_utf8(&mut s)).all(|k| k.is_ascii())
        }
    };
    value.chars().any(looks_ascii).then_some(Doubt::Confusable)
}
