//! Text for people: how `itictl` and the demo print traces, cases, plans
//! and queues, in the reader's language (`i18n::Texts`): every label and
//! sentence comes from the catalogs (`node/i18n/<lang>/render.ftl`), each
//! coded value from the one translation the console uses too. Officers'
//! free text is printed as written. Pure functions of what the local API
//! returned, which the node has already filtered by role and marking:
//! nothing here decides who sees what.

use std::fmt::Write as _;

use iti_proto::v1 as pb;

use crate::clock::{from_timestamp, rfc3339};
use crate::i18n::Texts;
use crate::ids::StateCode;
use crate::policy::marking::Marking;
use crate::routing::Reason;

pub mod sheet;

/// A time as people read it: "2026-11-30 14:05 UTC" (also the console's).
pub fn time(ts: Option<&pbjson_types::Timestamp>) -> String {
    ts.and_then(from_timestamp)
        .map(|t| {
            let s = rfc3339(t);
            s.get(..16)
                .map(|d| format!("{} UTC", d.replace('T', " ")))
                .unwrap_or(s)
        })
        .unwrap_or_else(|| "-".into())
}

/// A span of time as people say it: "1 day", "3 h", "45 s" (in the node's
/// own messages, which are in English).
pub fn duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = match secs {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => (s / 3_600, "h"),
        s if s >= 60 && s % 60 == 0 => (s / 60, "min"),
        s => (s, "s"),
    };
    match unit {
        "day" if n != 1 => format!("{n} days"),
        _ => format!("{n} {unit}"),
    }
}

/// A median time in seconds, as `itictl hub stats` and the console show it:
/// "-" when there is none, "45 s" under a minute (not "0 min"), "12 min",
/// "3.5 h", "2.1 days".
pub fn median_time(t: &Texts, seconds: f64) -> String {
    let (id, n) = match seconds {
        s if s <= 0.0 => return "-".into(),
        s if s < 60.0 => ("text-seconds", format!("{s:.0}")),
        s if s < 3600.0 => ("text-minutes", format!("{:.0}", s / 60.0)),
        s if s < 172_800.0 => ("text-hours", format!("{:.1}", s / 3600.0)),
        s => ("text-days", format!("{:.1}", s / 86_400.0)),
    };
    let n = n.replace('.', &t.t("text-decimal-separator"));
    t.t_with(id, &[("n", n)])
}

/// A protobuf enum value in the reader's language ("" when unknown).
fn code<E: TryFrom<i32>>(t: &Texts, value: i32, name: fn(&E) -> &'static str) -> String {
    E::try_from(value)
        .map(|e| t.code(name(&e)))
        .unwrap_or_default()
}

/// "TLP:AMBER [proprietary commercial information]", or a note that the
/// marking is unreadable.
pub fn marking(t: &Texts, m: Option<&pb::Marking>) -> String {
    match m.map(Marking::try_from) {
        Some(Ok(m)) => {
            let tlp = t.code(m.tlp.to_proto().as_str_name());
            let restrictions: Vec<String> = m
                .restrictions
                .iter()
                .map(|r| t.code(r.to_proto().as_str_name()))
                .collect();
            if restrictions.is_empty() {
                tlp
            } else {
                format!("{tlp} [{}]", restrictions.join(", "))
            }
        }
        Some(Err(_)) => t.t("text-marking-unreadable"),
        None => t.code(pb::Tlp::Unspecified.as_str_name()),
    }
}

/// " [TLP:RED]" after a section's name, when it has a marking of its own.
fn section_marking(t: &Texts, m: Option<&pb::Marking>) -> String {
    m.map(|m| format!(" [{}]", marking(t, Some(m))))
        .unwrap_or_default()
}

/// "USE_RESTRICTION_NO_ONWARD_DISCLOSURE" → "no onward disclosure" (for
/// data and the node's English messages; people read `Texts::code`).
pub fn enum_name(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix)
        .to_lowercase()
        .replace('_', " ")
}

pub fn role(t: &Texts, r: i32) -> String {
    code(t, r, pb::TraceRole::as_str_name)
}

pub fn kind(t: &Texts, k: i32) -> String {
    code(t, k, pb::PayloadKind::as_str_name)
}

fn reason(t: &Texts, r: i32) -> String {
    let r = pb::WithholdingReason::try_from(r).unwrap_or(pb::WithholdingReason::Unspecified);
    t.code(r.as_str_name())
}

fn restrictions(t: &Texts, values: &[i32]) -> String {
    let names: Vec<String> = values
        .iter()
        .filter(|r| **r != pb::UseRestriction::Unspecified as i32)
        .map(|r| code(t, *r, pb::UseRestriction::as_str_name))
        .collect();
    names.join(", ")
}

/// What a summary says in place of what the officer may not see.
pub const WITHHELD: &str = "[withheld]";

/// A short description of a request's items: the first two and how many
/// more ("FN FAL 7.62x51mm s/n 1234; and 3 more").
pub fn items_summary(t: &Texts, items: &[pb::RecoveredItem]) -> String {
    items_summary_of(t, items, items.len())
}

/// [`items_summary`] of a request of `count` items, of which `first` holds
/// at least the first two (or all).
pub fn items_summary_of(t: &Texts, first: &[pb::RecoveredItem], count: usize) -> String {
    summary_of(t, &first[..first.len().min(2)], count)
}

/// A trace's items as its summary gives them, or that they are withheld.
pub fn trace_items(t: &Texts, s: &pb::TraceSummary) -> String {
    if s.items == WITHHELD {
        return t.t("summary-withheld");
    }
    summary_of(t, &s.first_items, s.item_count as usize)
}

/// A value of a summary, or that it is withheld from this officer.
pub fn withheld_or(t: &Texts, value: &str) -> String {
    match value {
        WITHHELD => t.t("summary-withheld"),
        v => v.to_string(),
    }
}

fn summary_of(t: &Texts, first: &[pb::RecoveredItem], count: usize) -> String {
    let lines: Vec<String> = first.iter().map(|i| item_summary(t, i)).collect();
    match lines.as_slice() {
        [] => t.t("summary-no-items"),
        [one] => one.clone(),
        [a, b, ..] => {
            let mut args = vec![("first", a.clone()), ("second", b.clone())];
            if count <= 2 {
                return t.t_with("summary-two", &args);
            }
            args.push(("more", (count - 2).to_string()));
            t.t_with("summary-more", &args)
        }
    }
}

fn item_summary(t: &Texts, i: &pb::RecoveredItem) -> String {
    use pb::recovered_item::Item;
    let (id, args) = match &i.item {
        Some(Item::Weapon(w)) => (
            "summary-weapon",
            vec![
                ("make", w.make.clone()),
                ("model", w.model.clone()),
                ("calibre", w.calibre.clone()),
                ("serial", w.serial_number.clone()),
            ],
        ),
        Some(Item::Ammunition(a)) => (
            "summary-ammunition",
            vec![
                ("calibre", a.calibre.clone()),
                ("lot", a.lot_number.clone()),
                ("manufacturer", a.manufacturer.clone()),
            ],
        ),
        Some(Item::Part(p)) => (
            "summary-part",
            vec![
                ("description", p.description.clone()),
                ("serial", p.serial_number.clone()),
            ],
        ),
        None => ("summary-unidentified", vec![]),
    };
    let item = t.t_with(id, &args);
    match i.quantity {
        0 | 1 => item,
        n => t.t_with("summary-quantity", &[("n", n.to_string()), ("item", item)]),
    }
}

/// One line per trace, for `itictl inbox` and `itictl cases`.
/// How officers name a trace: the requester's file reference, and where
/// and when the items were recovered ("GPS/CID/2026/1147, Nsawam,
/// 2026-10-02"); empty when the request is withheld.
pub fn trace_reference(s: &pb::TraceSummary) -> String {
    let day = s
        .recovered_at
        .as_ref()
        .map(|at| time(Some(at)).chars().take(10).collect::<String>())
        .unwrap_or_default();
    given(&[&s.requester_reference, &s.place_of_recovery, &day], ", ")
}

pub fn trace_line(t: &Texts, s: &pb::TraceSummary) -> String {
    let due = match (&s.ack_due, &s.response_due) {
        (Some(a), _) => t.t_with("text-ack-due", &[("when", time(Some(a)))]),
        (None, Some(r)) => t.t_with("text-response-due", &[("when", time(Some(r)))]),
        _ => String::new(),
    };
    let mut notes = String::new();
    if s.overdue {
        notes.push_str(&format!("  {}", t.t("text-overdue")));
    }
    let counts = [
        ("text-missing-count", s.missing.len()),
        ("text-flagged-count", s.flags.len()),
    ];
    for (id, count) in counts.into_iter().filter(|(_, n)| *n > 0) {
        let count = t.t_with(id, &[("count", count.to_string())]);
        let _ = write!(notes, "  [{count}]");
    }
    if !s.awaiting.is_empty() {
        let _ = write!(notes, "  [{}]", awaiting(t, s));
    }
    let reference = trace_reference(s);
    let reference = if reference.is_empty() {
        String::new()
    } else {
        format!("  ({reference})")
    };
    format!(
        "{}  {:<10} {:<12} {:<24} {}{reference}  {due}{notes}",
        s.trace_id,
        role(t, s.role),
        withheld_or(t, &s.counterpart),
        t.coded("state", &s.state),
        trace_items(t, s),
    )
}

pub fn plan(t: &Texts, p: &pb::RoutingPlan) -> String {
    let mut out = String::new();
    if let Some(g) = &p.grounds {
        plan_grounds(t, g, &plan_explanation(t, p), &mut out);
    }
    let path = if p.path.is_empty() {
        t.t("text-path-direct")
    } else {
        t.t_with("text-path-via", &[("hubs", p.path.join(" → "))])
    };
    let _ = writeln!(out, "{path}");
    if !p.not_reachable.is_empty() {
        let reason = not_reachable(t, p);
        let _ = writeln!(
            out,
            "{}",
            t.t_with("text-not-reachable", &[("reason", reason)])
        );
    }
    if !p.possibly_missing.is_empty() {
        let _ = writeln!(out, "{}", t.t("text-may-return"));
        missing_fields(t, &p.possibly_missing, &mut out, "  ");
    }
    flags(t, &p.flags, &mut out, "");
    out
}

/// Why a plan's state cannot be reached, in `t`'s language when the node
/// said why as a fact (the English text otherwise).
pub fn not_reachable(t: &Texts, p: &pb::RoutingPlan) -> String {
    match p.not_in_directory.parse() {
        Ok(participant) => crate::service::submit::not_in_directory(t, &participant),
        Err(_) => p.not_reachable.clone(),
    }
}

/// A plan's grounds (9.2.1 b), from the request as it would go.
pub fn plan_explanation(t: &Texts, p: &pb::RoutingPlan) -> String {
    match &p.request {
        Some(request) => request_grounds(t, request),
        None => p.grounds.clone().unwrap_or_default().explanation,
    }
}

/// Which state the rules chose and why (9.2.1 b), and any override.
fn plan_grounds(t: &Texts, g: &pb::RoutingGrounds, explanation: &str, out: &mut String) {
    let rule = code(t, g.rule, pb::RoutingRule::as_str_name);
    let state = g.requested_state.clone();
    let _ = writeln!(
        out,
        "{}",
        t.t_with("text-requested-state", &[("state", state), ("rule", rule)])
    );
    let _ = writeln!(out, "{}", grounds(t, explanation));
    if !g.override_reason.is_empty() {
        let chosen = if g.overridden_state.is_empty() {
            t.t("text-no-state")
        } else {
            g.overridden_state.clone()
        };
        let args = [("state", chosen), ("reason", g.override_reason.clone())];
        let _ = writeln!(out, "{}", t.t_with("text-override", &args));
    }
}

fn grounds(t: &Texts, explanation: &str) -> String {
    t.t_with("text-grounds", &[("explanation", explanation.to_string())])
}

/// Why the rules chose a state (9.1), in `t`'s language, a sentence each.
pub fn routing_reasons(t: &Texts, reasons: &[Reason]) -> String {
    let sentences: Vec<String> = reasons.iter().map(|r| routing_reason(t, r)).collect();
    sentences.join(" ")
}

fn routing_reason(t: &Texts, reason: &Reason) -> String {
    let n = |i: &usize| i.to_string();
    match reason {
        Reason::Exported {
            recorded_by,
            state,
            date,
            licence,
        } => {
            let records = match recorded_by.as_str() {
                "" => t.t("routing-records"),
                by => t.t_with("routing-records-of", &[("by", by.to_string())]),
            };
            let args = [
                ("records", records),
                ("state", state.to_string()),
                ("date", detail(t, "routing-on-date", date)),
                ("licence", detail(t, "routing-under-licence", licence)),
            ];
            t.t_with("routing-exported", &args)
        }
        Reason::ImportCountry { item, state } => t.t_with(
            "routing-import-country",
            &[("item", n(item)), ("state", state.to_string())],
        ),
        Reason::ManufactureCountry { item, state } => t.t_with(
            "routing-manufacture-country",
            &[("item", n(item)), ("state", state.to_string())],
        ),
        Reason::ImportMarking {
            item,
            value,
            location,
            state,
            of,
        } => {
            let args = marking_args(*item, value, location, *state);
            let named = t.t_with("routing-import-marking", &args);
            match of {
                0 | 1 => named,
                of => {
                    let latest = t.t_with("routing-latest-of", &[("count", of.to_string())]);
                    format!("{named} {latest}")
                }
            }
        }
        Reason::ManufactureMarking {
            item,
            value,
            location,
            state,
        } => t.t_with(
            "routing-manufacture-marking",
            &marking_args(*item, value, location, *state),
        ),
        Reason::AlsoPointTo { items, state } => also_point_to(t, items, *state),
    }
}

/// " on 2012-05-14": a detail with its leading space, or nothing when it
/// was not recorded (Fluent trims a message's leading space).
fn detail(t: &Texts, id: &str, value: &str) -> String {
    match value {
        "" => String::new(),
        v => format!(" {}", t.t_with(id, &[("value", v.to_string())])),
    }
}

fn marking_args(
    item: usize,
    value: &str,
    location: &str,
    state: StateCode,
) -> [(&'static str, String); 4] {
    let location = match location {
        "" => String::new(),
        l => format!(" ({l})"),
    };
    [
        ("item", item.to_string()),
        ("value", value.to_string()),
        ("location", location),
        ("state", state.to_string()),
    ]
}

/// "The identifications of items[0], items[2] and items[3] also point to GHA."
fn also_point_to(t: &Texts, items: &[usize], state: StateCode) -> String {
    let state = ("state", state.to_string());
    let runs = runs_of(items);
    if runs.len() > MOST_RUNS_NAMED {
        return t.t_with(
            "routing-also-count",
            &[("count", items.len().to_string()), state],
        );
    }
    let paths: Vec<String> = runs
        .iter()
        .map(|&(first, last)| match first == last {
            true => format!("items[{first}]"),
            false => t.t_with(
                "routing-item-range",
                &[
                    ("first", format!("items[{first}]")),
                    ("last", format!("items[{last}]")),
                ],
            ),
        })
        .collect();
    match paths.split_last() {
        Some((only, [])) if items.len() == 1 => {
            t.t_with("routing-also-one", &[("items", only.clone()), state])
        }
        Some((only, [])) => t.t_with("routing-also-range", &[("items", only.clone()), state]),
        Some((last, rest)) => {
            let args = [("items", rest.join(", ")), ("last", last.clone()), state];
            t.t_with("routing-also-many", &args)
        }
        None => String::new(),
    }
}

/// Beyond this many runs of items, the grounds give only their count: a
/// seized cache of thousands of items keeps its grounds short (9.2.1 b is
/// bounded like any text).
const MOST_RUNS_NAMED: usize = 12;

/// Ascending item numbers as runs (first, last); two in a row stay apart,
/// as the eye reads them ("items[2], items[3]").
fn runs_of(items: &[usize]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &i in items {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == i => *last = i,
            _ => runs.push((i, i)),
        }
    }
    runs.into_iter()
        .flat_map(|(first, last)| match last - first {
            1 => vec![(first, first), (last, last)],
            _ => vec![(first, last)],
        })
        .collect()
}

/// The grounds a request gives (9.2.1 b) in `t`'s language when they are
/// the rules' own words for its items: the request carries them in
/// English. An officer's reason, or grounds worded otherwise (another
/// node's, or items this officer only partly sees), are shown as written.
pub fn request_grounds(t: &Texts, request: &pb::TraceRequest) -> String {
    let Some(g) = &request.grounds else {
        return String::new();
    };
    match crate::routing::route(request) {
        Ok(d)
            if d.rule as i32 == g.rule
                && d.state.as_str() == g.requested_state
                && d.explanation == g.explanation =>
        {
            routing_reasons(t, &d.reasons)
        }
        _ => g.explanation.clone(),
    }
}

/// Fields a requested state may find missing (10.2): field, clause, why.
fn missing_fields(t: &Texts, missing: &[pb::MissingElement], out: &mut String, indent: &str) {
    for m in missing {
        let _ = writeln!(
            out,
            "{indent}- {} ({}): {}",
            m.field,
            m.clause,
            missing_description(t, m)
        );
    }
}

/// What a missing field is (10.2), in `t`'s language when the description
/// is the catalog's English for its field (a node's own check, or a field
/// an officer named); other words are shown as written.
pub fn missing_description(t: &Texts, m: &pb::MissingElement) -> String {
    let english = crate::i18n::english();
    let id = crate::case::completeness::message_id(&m.field);
    if english.has(&id) && english.t(&id) == m.description {
        return t.t(&id);
    }
    let field = [("field", m.field.clone())];
    if english.t_with("missing-field", &field) == m.description {
        return t.t_with("missing-field", &field);
    }
    m.description.clone()
}

/// Fields accepted but flagged (mixed scripts, confusables): warnings.
fn flags(t: &Texts, flags: &[pb::InputFlag], out: &mut String, indent: &str) {
    for f in flags {
        let args = [
            ("field", f.field.clone()),
            ("flag", f.flag.clone()),
            ("description", f.description.clone()),
        ];
        let _ = writeln!(out, "{indent}{}", t.t_with("text-warning", &args));
    }
}

/// Writes one line (a message with its arguments) at `indent`; an empty
/// last argument leaves no trailing space.
fn line(t: &Texts, out: &mut String, indent: &str, id: &str, args: &[(&str, String)]) {
    let _ = writeln!(out, "{indent}{}", t.t_with(id, args).trim_end());
}

/// A line whose one argument, `$text`, was given; nothing when it is empty.
fn line_if(t: &Texts, out: &mut String, indent: &str, id: &str, text: &str) {
    if !text.is_empty() {
        line(t, out, indent, id, &[("text", text.to_string())]);
    }
}

fn response_lines(t: &Texts, r: &pb::TraceResponse, out: &mut String, indent: &str) {
    let m = marking(t, r.marking.as_ref());
    line(t, out, indent, "text-marking", &[("marking", m)]);
    if r.restricted {
        let args = [
            ("reason", reason(t, r.restriction_reason)),
            ("explanation", r.restriction_explanation.clone()),
        ];
        line(t, out, indent, "text-restricted", &args);
    }
    if let Some(f) = &r.finding {
        finding(t, f, out, indent);
    }
    if let Some(p) = &r.last_legal_possessor {
        let args = [
            ("marking", section_marking(t, p.marking.as_ref())),
            ("name", p.name.clone()),
            ("category", p.category.clone()),
            ("state", p.state.clone()),
        ];
        line(t, out, indent, "text-llp", &args);
    }
    if let Some(c) = &r.commercial {
        commercial(t, c, out, indent);
    }
    if let Some(i) = &r.individuals {
        let m = section_marking(t, i.marking.as_ref());
        for p in &i.individuals {
            let args = [
                ("marking", m.clone()),
                ("name", p.name.clone()),
                ("role", p.role.clone()),
            ];
            line(t, out, indent, "text-individual", &args);
        }
    }
    line_if(t, out, indent, "text-additional", &r.additional_information);
}

/// The finding (10.4): which of the four cases, or no record.
fn finding(t: &Texts, f: &pb::Finding, out: &mut String, indent: &str) {
    use pb::finding::Case;
    let m = ("marking", section_marking(t, f.marking.as_ref()));
    match &f.case {
        Some(Case::ManufactureOrImport(x)) => {
            let id = if x.manufactured {
                "text-finding-manufactured"
            } else {
                "text-finding-imported"
            };
            let args = [
                m,
                ("by", x.manufacturer_or_importer.clone()),
                ("date", x.date.clone()),
                ("details", x.details.clone()),
            ];
            line(t, out, indent, id, &args);
        }
        Some(Case::InternalTransfer(x)) => {
            let args = [
                m,
                ("dates", x.transfer_dates.join(", ")),
                ("consignees", x.final_consignees.join(", ")),
                ("details", x.details.clone()),
            ];
            line(t, out, indent, "text-finding-internal-transfer", &args);
        }
        Some(Case::Export(x)) => export(t, x, m, out, indent),
        Some(Case::InternalDiversion(x)) => {
            let investigation = code(t, x.investigation, pb::InvestigationStatus::as_str_name);
            let args = [
                m,
                ("date", x.diversion_date.clone()),
                ("details", x.details.clone()),
                ("investigation", investigation),
            ];
            line(t, out, indent, "text-finding-internal-diversion", &args);
        }
        Some(Case::NoRecord(x)) => {
            let args = [m, ("details", x.details.clone())];
            line(t, out, indent, "text-finding-no-record", &args);
            for searched in &x.searched {
                let args = [("what", searched.clone())];
                line(t, out, &format!("{indent}  "), "text-searched", &args);
            }
        }
        None => {}
    }
}

/// 10.4.3: exported, to whom, through where, under which licences.
fn export(
    t: &Texts,
    x: &pb::ExportFinding,
    marking: (&str, String),
    out: &mut String,
    indent: &str,
) {
    let transit = x.transit_states.join(", ");
    let transit = optional(t, " ", "text-transit", "states", &transit);
    let args = [
        marking,
        ("date", x.export_date.clone()),
        ("state", x.importing_state.clone()),
        ("transit", transit),
        ("consignee", x.final_consignee.clone()),
        ("details", x.details.clone()),
    ];
    line(t, out, indent, "text-finding-export", &args);
    for l in &x.licences {
        let when = given(&[&l.issued_by, &l.date], ", ");
        let mut licence = given(&[&l.kind, &l.number], " ");
        if !when.is_empty() {
            let _ = write!(licence, " ({when})");
        }
        line(
            t,
            out,
            &format!("{indent}  "),
            "text-licence",
            &[("licence", licence)],
        );
    }
}

/// Commercial details (10.4): contract, transport, brokers, payments.
fn commercial(t: &Texts, c: &pb::CommercialDetails, out: &mut String, indent: &str) {
    let labelled = |id: &str, v: String| {
        if v.is_empty() {
            String::new()
        } else {
            t.t_with(id, &[("value", v)])
        }
    };
    let parts = [
        labelled("text-contract", c.contract_reference.clone()),
        labelled("text-transport", c.transport_agents.join(", ")),
        labelled("text-brokers", c.brokers.join(", ")),
        c.financial_transactions.clone(),
    ];
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let args = [
        ("marking", section_marking(t, c.marking.as_ref())),
        ("parts", given(&parts, "; ")),
    ];
    line(t, out, indent, "text-commercial", &args);
}

/// A request (9.2): marking, items, context, grounds, purpose; and which
/// items are shown, when only some (`shown`).
fn request_lines(
    t: &Texts,
    r: &pb::TraceRequest,
    shown: Option<&pb::ItemsShown>,
    out: &mut String,
    indent: &str,
) {
    let m = marking(t, r.marking.as_ref());
    line(t, out, indent, "text-marking", &[("marking", m)]);
    sheet_lines(t, &sheet::request(t, r), out, indent);
    if let Some(shown) = shown {
        items_page_line(t, &sheet::items_page(shown), out, indent);
    }
}

/// "Items 101 to 200 of 100000 are shown; --items 201 shows the next."
fn items_page_line(t: &Texts, page: &sheet::ItemsPage, out: &mut String, indent: &str) {
    let mut args = vec![
        ("first", page.first.to_string()),
        ("last", page.last.to_string()),
        ("total", page.total.to_string()),
    ];
    let key = match page.next {
        Some(next) => {
            args.push(("next", next.to_string()));
            "text-items-shown"
        }
        None => "text-items-shown-last",
    };
    line(t, out, indent, key, &args);
}

/// A request's sheet: every field, then each item with its marks and
/// photographs, then the individuals named.
fn sheet_lines(t: &Texts, sheet: &sheet::RequestSheet, out: &mut String, indent: &str) {
    labelled(t, &sheet.fields, out, indent);
    for item in &sheet.items {
        let fields: Vec<String> = item
            .fields
            .iter()
            .map(|f| labelled_value(t, f.label, &f.value))
            .collect();
        let _ = writeln!(out, "{indent}{} — {}", t.t(item.heading), fields.join("; "));
        for m in &item.marks {
            let at = given(&[&m.value, &m.location, &m.country, &m.year], ", ");
            let _ = writeln!(out, "{indent}  {}", labelled_value_text(t, &m.kind, &at));
        }
        for p in &item.photos {
            let args = [("hash", p.sha256.clone())];
            line(t, out, &format!("{indent}  "), "text-photo", &args);
        }
    }
    if !sheet.individuals.is_empty() {
        let named: Vec<String> = sheet
            .individuals
            .iter()
            .map(|(name, role)| given(&[name, role], " — "))
            .collect();
        let _ = writeln!(
            out,
            "{indent}{}",
            labelled_value(t, "req-individuals", &named.join("; "))
        );
    }
}

fn labelled(t: &Texts, fields: &[sheet::Field], out: &mut String, indent: &str) {
    for f in fields {
        let _ = writeln!(out, "{indent}{}", labelled_value(t, f.label, &f.value));
    }
}

/// "Label: value", as the reader's language writes it.
fn labelled_value(t: &Texts, label: &str, value: &str) -> String {
    labelled_value_text(t, &t.t(label), value)
}

fn labelled_value_text(t: &Texts, label: &str, value: &str) -> String {
    t.t_with(
        "text-labelled",
        &[("label", label.to_string()), ("value", value.to_string())],
    )
}

/// A request that repeats one shown earlier in the case (a follow-up sends
/// the same items and context on): only what differs, and where the rest is.
fn repeated_request_lines(
    t: &Texts,
    r: &pb::TraceRequest,
    earlier: &Shown,
    out: &mut String,
    indent: &str,
) -> bool {
    let now = sheet::request(t, r);
    let Some((trace, before)) = earlier.iter().find(|(_, s)| s.items == now.items) else {
        return false;
    };
    let m = marking(t, r.marking.as_ref());
    line(t, out, indent, "text-marking", &[("marking", m)]);
    let short = trace[trace.len().saturating_sub(8)..].to_string();
    line(t, out, indent, "text-same-request", &[("trace", short)]);
    let differ: Vec<sheet::Field> = now
        .fields
        .iter()
        .filter(|f| !before.fields.contains(f))
        .cloned()
        .collect();
    labelled(t, &differ, out, indent);
    true
}

/// The requests shown so far in a case, by trace.
type Shown = Vec<(String, sheet::RequestSheet)>;

/// What a message says, in a few lines.
pub fn payload(t: &Texts, p: &pb::Payload, out: &mut String, indent: &str) {
    use pb::payload::Body;
    let Some(body) = &p.body else { return };
    match body {
        Body::Request(r) => request_lines(t, r, None, out, indent),
        Body::Response(r) => response_lines(t, r, out, indent),
        Body::Consent(_) | Body::ConsentRequest(_) => consent_lines(t, body, out, indent),
        Body::SharedInformation(s) => {
            let args = [
                ("provider", s.provided_by.clone()),
                ("case", s.source_case.clone()),
            ];
            line(t, out, indent, "text-information-provided", &args);
            if let Some(r) = &s.response {
                response_lines(t, r, out, indent);
            }
        }
        Body::BrokerNotice(b) => broker_notice(t, b, out, indent),
        _ => reply_lines(t, body, out, indent),
    }
}

/// The short replies: a line or two each.
fn reply_lines(t: &Texts, body: &pb::payload::Body, out: &mut String, indent: &str) {
    use pb::payload::Body;
    let (id, args): (&str, Vec<(&str, String)>) = match body {
        Body::Acknowledgement(a) => (
            "text-acknowledged",
            vec![("reference", a.reference.clone())],
        ),
        Body::ReturnForCompletion(r) => {
            let id = if r.automatic {
                "text-returned-automatically"
            } else {
                "text-returned"
            };
            line(t, out, indent, id, &[]);
            missing_fields(t, &r.missing, out, &format!("{indent}  "));
            return;
        }
        Body::Resubmission(_) => ("text-resubmitted", vec![]),
        Body::Delay(d) => (
            "text-delay",
            vec![
                ("when", time(d.new_response_due.as_ref())),
                ("reason", reason(t, d.reason)),
                ("explanation", d.explanation.clone()),
            ],
        ),
        Body::Refusal(r) => (
            "text-refusal",
            vec![
                ("reason", reason(t, r.reason)),
                ("explanation", r.explanation.clone()),
            ],
        ),
        Body::ClarificationRequest(c) => ("text-question", vec![("text", c.question.clone())]),
        Body::ClarificationReply(c) => ("text-answer", vec![("text", c.answer.clone())]),
        Body::Closure(c) => ("text-closed", vec![("outcome", c.outcome.clone())]),
        Body::Receipt(_) => ("text-receipt", vec![]),
        Body::DeliveryFailure(d) => (
            "text-not-delivered",
            vec![
                ("envelope", d.envelope_id.clone()),
                ("reason", d.reason.clone()),
            ],
        ),
        Body::OnBehalfRequest(_) => ("text-on-behalf-request", vec![]),
        _ => return,
    };
    line(t, out, indent, id, &args);
}

/// A consent (10.3), or a request for one: which use, what it lifts, for
/// whom, regarding which message.
fn consent_lines(t: &Texts, body: &pb::payload::Body, out: &mut String, indent: &str) {
    use pb::payload::Body;
    let (id, r#use, scope, dest, regarding, note) = match body {
        Body::Consent(c) => (
            if c.declined {
                "text-declines"
            } else {
                "text-consents"
            },
            c.r#use,
            consent_scope(t, c.restriction, &c.restrictions, c.lifts_tlp),
            &c.destination,
            &c.regarding,
            ("text-note", &c.note),
        ),
        Body::ConsentRequest(c) => (
            "text-asks-consent",
            c.r#use,
            consent_scope(t, c.restriction, &c.restrictions, c.lift_tlp),
            &c.destination,
            &c.regarding,
            ("text-why", &c.justification),
        ),
        _ => return,
    };
    let args = [
        ("use", code(t, r#use, pb::OnwardUse::as_str_name)),
        ("lifts", scope),
        (
            "destination",
            optional(t, " ", "text-for-only", "destination", dest),
        ),
        (
            "regarding",
            optional(t, " ", "text-regarding", "message", regarding),
        ),
    ];
    line(t, out, indent, id, &args);
    line_if(t, out, indent, note.0, note.1);
}

/// " for NGA only", " (message …)": the separator and the message with
/// its one argument, or nothing when the argument is empty.
fn optional(t: &Texts, separator: &str, id: &str, name: &str, value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        format!("{separator}{}", t.t_with(id, &[(name, value.to_string())]))
    }
}

fn broker_notice(t: &Texts, b: &pb::BrokerNotice, out: &mut String, indent: &str) {
    let serials = b.differences.join(", ");
    let differences = optional(t, "; ", "text-read-differently", "serials", &serials);
    let args = [
        ("broker", b.broker.clone()),
        ("item", b.item_index.to_string()),
        ("make", b.registered_make.clone()),
        ("serial", b.registered_serial.clone()),
        ("by", b.reported_by.clone()),
        ("on", b.reported_on.clone()),
        ("circumstances", b.circumstances.clone()),
        ("differences", differences),
    ];
    line(t, out, indent, "text-broker-notice", &args);
}

/// The parts that were given, joined: no empty slots in a line.
fn given(parts: &[&str], separator: &str) -> String {
    let parts: Vec<&str> = parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    parts.join(separator)
}

/// What a consent (or a request for one) lifts: "lifting no onward
/// disclosure and the TLP level".
fn consent_scope(t: &Texts, first: i32, more: &[i32], tlp: bool) -> String {
    let mut values: Vec<i32> = std::iter::once(first).chain(more.iter().copied()).collect();
    values.dedup();
    let mut lifted = restrictions(t, &values);
    if tlp {
        if !lifted.is_empty() {
            lifted.push_str(", ");
        }
        lifted.push_str(&t.t("text-the-tlp-level"));
    }
    if lifted.is_empty() {
        lifted
    } else {
        t.t_with("text-lifting", &[("what", lifted)])
    }
}

/// The chain timeline (manufacture → export → import → … → diversion).
pub fn timeline(t: &Texts, steps: &[pb::TimelineStep]) -> String {
    let mut out = String::new();
    for s in steps {
        let date = if s.date.is_empty() {
            t.t("undated")
        } else {
            s.date.clone()
        };
        if !s.withheld.is_empty() {
            let args = [
                ("provider", s.provided_by.clone()),
                ("rules", t.withheld_rules(&s.withheld)),
            ];
            let _ = writeln!(
                out,
                "  {date:<10}  {}",
                t.t_with("text-step-withheld", &args)
            );
            continue;
        }
        let _ = writeln!(
            out,
            "  {date:<10}  {:<4} {:<22} {}  — {} [{}]",
            s.state,
            code(t, s.kind, pb::HistoryEventKind::as_str_name),
            s.party,
            step_description(t, s),
            t.t_with(
                "timeline-provided-by",
                &[("provider", s.provided_by.clone())]
            )
        );
        if s.marking.as_ref().is_some_and(is_marked) {
            let m = marking(t, s.marking.as_ref());
            line(
                t,
                &mut out,
                "              ",
                "text-marking",
                &[("marking", m)],
            );
        }
    }
    out
}

/// A step's description in `t`'s language when the node wrote it (the
/// last legal possessor's step, `chain`); an officer's words as written.
pub fn step_description(t: &Texts, s: &pb::TimelineStep) -> String {
    let own = s.kind == pb::HistoryEventKind::LastLegalPossession as i32;
    let text = s.description.as_str();
    let translated = match text.strip_prefix("Last legal possessor") {
        Some(".") if own => Some(t.t("step-last-legal-possessor")),
        Some(rest) if own => rest
            .strip_prefix(" (")
            .and_then(|r| r.strip_suffix(")."))
            .map(|category| {
                t.t_with(
                    "step-last-legal-possessor-category",
                    &[("category", category.to_string())],
                )
            }),
        _ => None,
    };
    translated.unwrap_or_else(|| text.to_string())
}

/// A case's conclusion (`chain::Conclusion::text`, which the view carries
/// in English) in `t`'s language when it has one of the node's shapes;
/// anything else as written.
pub fn conclusion(t: &Texts, text: &str) -> String {
    let translated = match text {
        "Open" => Some(t.t("conclusion-open")),
        "Withheld" => Some(t.t("conclusion-withheld")),
        _ => conclusion_export(t, text).or_else(|| conclusion_diversion(t, text)),
    };
    translated.unwrap_or_else(|| text.to_string())
}

/// "Exported by BEL to NGA: follow-up with NGA".
fn conclusion_export(t: &Texts, text: &str) -> Option<String> {
    let (provider, rest) = text.strip_prefix("Exported by ")?.split_once(" to ")?;
    let (to, again) = rest.split_once(": follow-up with ")?;
    let args = [("provider", provider.to_string()), ("to", to.to_string())];
    (to == again).then(|| t.t_with("conclusion-export", &args))
}

/// "Point of diversion found: diverted in GHA[ on D][; last legal
/// possessor: P]." (the date and the possessor as the response gave them).
fn conclusion_diversion(t: &Texts, text: &str) -> Option<String> {
    let rest = text.strip_prefix("Point of diversion found: diverted in ")?;
    let (found, possessor) = match rest.split_once("; last legal possessor: ") {
        Some((found, p)) => (found, Some(p.strip_suffix('.')?)),
        None => (rest.strip_suffix('.')?, None),
    };
    let summary = match found.split_once(" on ") {
        Some((state, date)) => t.t_with(
            "conclusion-diversion-on",
            &[("state", state.to_string()), ("date", date.to_string())],
        ),
        None => t.t_with("conclusion-diversion", &[("state", found.to_string())]),
    };
    Some(match possessor {
        Some(p) => t.t_with(
            "conclusion-possessor",
            &[("summary", summary), ("possessor", p.to_string())],
        ),
        None => t.t_with("conclusion-end", &[("summary", summary)]),
    })
}

/// Worth showing: anything but TLP:CLEAR without restrictions.
fn is_marked(m: &pb::Marking) -> bool {
    m.tlp != pb::Tlp::Clear as i32 || !m.restrictions.is_empty()
}

/// `itictl case show`.
pub fn case(t: &Texts, c: &pb::CaseView) -> String {
    let mut out = String::new();
    line(t, &mut out, "", "text-case", &[("case", c.case_id.clone())]);
    let mut shown = Shown::new();
    for tv in &c.traces {
        trace(t, tv, &mut out, &mut shown);
    }
    if !c.timeline.is_empty() {
        let _ = writeln!(out);
        line(t, &mut out, "", "text-timeline", &[]);
        out.push_str(&timeline(t, &c.timeline));
    }
    if !c.conclusion.is_empty() {
        let args = [
            ("conclusion", conclusion(t, &c.conclusion)),
            ("marking", marking(t, c.conclusion_marking.as_ref())),
        ];
        line(t, &mut out, "", "text-conclusion", &args);
    }
    for w in &c.conclusion_withheld {
        let args = [("what", t.withheld(w))];
        line(t, &mut out, "", "text-conclusion-withheld", &args);
    }
    out
}

/// One trace of a case: its summary, draft, messages and history.
fn trace(t: &Texts, tv: &pb::TraceView, out: &mut String, shown: &mut Shown) {
    let Some(s) = &tv.summary else { return };
    let _ = writeln!(out);
    trace_summary(t, s, out);
    draft(t, tv, out);
    if !s.restrictions_cannot_comply.is_empty() {
        let args = [(
            "restrictions",
            restrictions(t, &s.restrictions_cannot_comply),
        )];
        line(t, out, "  ", "text-requester-cannot-comply", &args);
    }
    line(t, out, "  ", "text-messages", &[]);
    for m in &tv.messages {
        message(t, m, out, shown, &s.trace_id);
    }
    line(t, out, "  ", "text-history", &[]);
    for e in &tv.events {
        let _ = writeln!(
            out,
            "    {}  {:<26} {}  ({})",
            time(e.at.as_ref()),
            t.event(&e.kind),
            t.detail(e.fact.as_ref(), &e.detail),
            t.actor(&e.actor)
        );
    }
}

/// What a trace waits for from us, by its code (the node's English when
/// the catalogs lack it).
pub fn awaiting(t: &Texts, s: &pb::TraceSummary) -> String {
    match s.awaiting_code.as_str() {
        "" => s.awaiting.clone(),
        code => t.coded("awaiting", code),
    }
}

fn trace_summary(t: &Texts, s: &pb::TraceSummary, out: &mut String) {
    let args = [
        ("trace", s.trace_id.clone()),
        ("role", role(t, s.role)),
        ("counterpart", s.counterpart.clone()),
        ("state", t.coded("state", &s.state)),
    ];
    line(t, out, "", "text-trace", &args);
    line_if(t, out, "  ", "text-on-behalf", &s.on_behalf_of);
    let args = [
        ("items", trace_items(t, s)),
        ("marking", marking(t, s.marking.as_ref())),
    ];
    line(t, out, "  ", "text-items-marking", &args);
    if s.ack_due.is_some() || s.response_due.is_some() {
        let args = [
            ("ack", time(s.ack_due.as_ref())),
            ("response", time(s.response_due.as_ref())),
        ];
        let overdue = if s.overdue {
            format!("  — {}", t.t("text-overdue"))
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {}{overdue}", t.t_with("text-due", &args));
    }
    if !s.missing.is_empty() {
        line(t, out, "  ", "text-missing", &[]);
        missing_fields(t, &s.missing, out, "    ");
    }
    flags(t, &s.flags, out, "  ");
    line_if(t, out, "  ", "text-pending", &awaiting(t, s));
}

/// One message of a trace: when, what, route, delivery, content, and what
/// was withheld from this officer.
fn message(t: &Texts, m: &pb::MessageView, out: &mut String, shown: &mut Shown, trace: &str) {
    let receipt = m
        .receipt_at
        .as_ref()
        .map(|r| {
            format!(
                ", {}",
                t.t_with("text-receipt-at", &[("when", time(Some(r)))])
            )
        })
        .unwrap_or_default();
    let hops = if m.hops.is_empty() {
        String::new()
    } else {
        format!(" {}", t.t_with("text-via", &[("hubs", m.hops.join(", "))]))
    };
    let _ = writeln!(
        out,
        "    {}  {} {} → {}  [{}{receipt}]{hops}",
        time(m.created_at.as_ref()),
        kind(t, m.kind),
        m.origin,
        m.destination,
        code(t, m.delivery, pb::DeliveryState::as_str_name),
    );
    let indent = "        ";
    match m.payload.as_ref().and_then(|p| p.body.as_ref()) {
        // A follow-up's request is shown only where it differs.
        Some(pb::payload::Body::Request(r))
            if !repeated_request_lines(t, r, shown, out, indent) =>
        {
            request_lines(t, r, m.items_shown.as_ref(), out, indent);
            shown.push((trace.to_string(), sheet::request(t, r)));
        }
        Some(pb::payload::Body::Request(_)) => {}
        Some(_) => payload(
            t,
            m.payload.as_ref().unwrap_or(&pb::Payload::default()),
            out,
            indent,
        ),
        None => {}
    }
    for w in &m.withheld {
        line(t, out, indent, "text-withheld", &[("what", t.withheld(w))]);
    }
    line_if(t, out, indent, "text-last-error", &m.error);
}

/// A drafted request: what came from another state, under which marking,
/// and what of it this officer may not see.
fn draft(t: &Texts, tv: &pb::TraceView, out: &mut String) {
    if tv.draft.is_none() && tv.draft_fields.is_empty() && tv.draft_withheld.is_empty() {
        return;
    }
    line(t, out, "  ", "text-draft", &[]);
    for f in &tv.draft_fields {
        let args = [
            ("field", t.coded("part", &f.field)),
            ("provider", f.provided_by.clone()),
            ("marking", marking(t, f.marking.as_ref())),
        ];
        line(t, out, "    ", "text-draft-field", &args);
    }
    for w in &tv.draft_withheld {
        line(t, out, "    ", "text-withheld", &[("what", t.withheld(w))]);
    }
    // The request itself, as it would go: read before it is sent.
    if let Some(request) = &tv.draft {
        request_lines(t, request, tv.draft_items_shown.as_ref(), out, "    ");
    }
}

/// `itictl audit verify`: the chain, then what each peer witnessed of it.
pub fn audit_verify(t: &Texts, reply: &pb::AuditVerifyReply) -> String {
    let mut out = String::new();
    if reply.ok {
        let args = [("entries", reply.entries.to_string())];
        line(t, &mut out, "", "text-audit-intact", &args);
    } else {
        let args = [
            ("seq", reply.first_bad_seq.to_string()),
            ("problem", reply.problem.clone()),
        ];
        line(t, &mut out, "", "text-audit-broken", &args);
    }
    for w in &reply.witnesses {
        let head = if w.seq == 0 {
            String::new()
        } else {
            let args = [
                ("seq", w.seq.to_string()),
                ("head", w.head.get(..12).unwrap_or(&w.head).to_string()),
                ("when", time(w.signed_at.as_ref())),
            ];
            format!(" {}", t.t_with("text-witness-head", &args))
        };
        let _ = writeln!(
            out,
            "  {} {:<14} {}{head}",
            t.t("text-witness"),
            w.peer,
            w.outcome
        );
        if !w.detail.is_empty() {
            let _ = writeln!(out, "      {}", w.detail);
        }
    }
    out
}

pub fn overdue(t: &Texts, items: &[pb::OverdueItem]) -> String {
    let mut out = String::new();
    if items.is_empty() {
        line(t, &mut out, "", "text-nothing-overdue", &[]);
    }
    for i in items {
        let args = [
            ("what", i.what.clone()),
            ("owedby", format!("{:<6}", i.owed_by)),
            ("counterpart", i.counterpart.clone()),
            ("due", time(i.due.as_ref())),
        ];
        let _ = writeln!(
            out,
            "{}  {:<12} {}",
            i.trace_id,
            role(t, i.role),
            t.t_with("text-overdue-item", &args)
        );
    }
    out
}

pub fn outbox(t: &Texts, items: &[pb::OutboxItem]) -> String {
    let mut out = String::new();
    if items.is_empty() {
        line(t, &mut out, "", "text-outbox-empty", &[]);
    }
    for i in items {
        let hop = if i.next_hop.is_empty() {
            "-"
        } else {
            &i.next_hop
        };
        let args = [
            ("destination", format!("{:<12}", i.destination)),
            ("hop", format!("{hop:<12}")),
            (
                "state",
                format!("{:<9}", code(t, i.state, pb::DeliveryState::as_str_name)),
            ),
            ("since", time(i.enqueued_at.as_ref())),
            ("attempts", i.attempts.to_string()),
            ("next", time(i.next_attempt_at.as_ref())),
        ];
        let _ = writeln!(
            out,
            "{}  {:<22} {}",
            i.envelope_id,
            kind(t, i.kind),
            t.t_with("text-outbox-item", &args)
        );
        line_if(t, &mut out, "      ", "text-last-error", &i.last_error);
    }
    out
}

/// `itictl hub stats`: a row per member the hub serves.
pub fn hub_stats(t: &Texts, members: &[pb::MemberStats]) -> String {
    let mut out = String::new();
    let head = [
        "text-hub-member",
        "text-hub-relayed",
        "text-hub-pending",
        "text-hub-overdue",
        "text-hub-on-behalf",
        "text-hub-median-ack",
        "text-hub-median-response",
    ]
    .map(|id| t.t(id));
    hub_row(&mut out, &head);
    for m in members {
        let row = [
            m.member.clone(),
            m.relayed.to_string(),
            m.pending.to_string(),
            m.overdue.to_string(),
            m.on_behalf.to_string(),
            median_time(t, m.median_ack_seconds),
            median_time(t, m.median_response_seconds),
        ];
        hub_row(&mut out, &row);
    }
    for m in members.iter().filter(|m| m.unreachable_since.is_some()) {
        let since = time(m.unreachable_since.as_ref());
        let args = [
            ("member", m.member.clone()),
            ("since", since),
            ("waiting", m.waiting.to_string()),
        ];
        let _ = writeln!(out, "{}", t.t_with("text-hub-unreachable", &args));
    }
    out
}

fn hub_row(out: &mut String, c: &[String; 7]) {
    let _ = writeln!(
        out,
        "{:<8} {:>8} {:>8} {:>8} {:>10} {:>14} {:>15}",
        c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    );
}

/// `itictl directory`: every entry, with the CA held for it and how far
/// it is trusted, and any conflicting entry beside it.
pub fn directory(t: &Texts, view: &pb::DirectoryView) -> String {
    let mut out = String::new();
    if view.entries.is_empty() {
        line(t, &mut out, "", "text-directory-empty", &[]);
    }
    for e in &view.entries {
        directory_entry(t, e, &mut out);
    }
    out
}

fn directory_entry(t: &Texts, e: &pb::DirectoryEntryView, out: &mut String) {
    let Some(entry) = &e.entry else { return };
    let args = [
        ("participant", entry.participant.clone()),
        ("trust", e.trust.clone()),
        ("serial", entry.serial.to_string()),
    ];
    line(t, out, "", "text-entry", &args);
    line_if(t, out, "  ", "text-ca-fingerprint", &e.ca_fingerprint);
    let standing = t.detail(e.standing_fact.as_ref(), &e.standing);
    line_if(t, out, "  ", "text-standing", &standing);
    for c in &e.conflicts {
        let args = [
            ("by", c.offered_by.clone()),
            ("serial", c.serial.to_string()),
            ("ca", c.ca_fingerprint.clone()),
            ("when", time(c.seen_at.as_ref())),
        ];
        line(t, out, "  ", "text-conflict", &args);
    }
    if let Some(log) = &e.log {
        directory_log(t, out, log);
    }
    let args = [("text", entry.endpoints.join(", "))];
    line(t, out, "  ", "text-endpoints", &args);
    line_if(t, out, "  ", "text-languages", &entry.languages.join(", "));
    line_if(t, out, "  ", "text-serves", &entry.serves.join(", "));
    for poc in &entry.points_of_contact {
        point_of_contact(t, poc, out);
    }
    if let Some(at) = &entry.switch_over_at {
        let args = [("when", time(Some(at)))];
        line(t, out, "  ", "text-next-certificate", &args);
    }
}

fn point_of_contact(t: &Texts, poc: &pb::PointOfContact, out: &mut String) {
    let records: Vec<String> = poc
        .authorised_records
        .iter()
        .map(|r| code(t, *r, pb::RecordDomain::as_str_name))
        .filter(|r| !r.is_empty())
        .collect();
    let records = if records.is_empty() {
        t.t("text-all-records")
    } else {
        records.join(", ")
    };
    let args = [
        ("name", poc.name.clone()),
        ("agency", poc.agency.clone()),
        ("email", poc.email.clone()),
        ("phone", poc.phone.clone()),
        ("records", records),
    ];
    line(t, out, "  ", "text-point-of-contact", &args);
}

/// A followed hub's directory log, and the proofs that it equivocated.
fn directory_log(t: &Texts, out: &mut String, log: &pb::DirectoryLogView) {
    let or_empty = |id: &str, v: &str| {
        if v.is_empty() { t.t(id) } else { v.to_string() }
    };
    let args = [
        ("size", log.size.to_string()),
        ("head", or_empty("text-log-empty-head", &log.chain)),
        ("when", time(log.signed_at.as_ref())),
    ];
    line(t, out, "  ", "text-directory-log", &args);
    for e in &log.equivocations {
        let args = [
            ("through", e.seen_through.clone()),
            ("when", time(e.seen_at.as_ref())),
            ("size", e.size.to_string()),
            ("theirs", e.theirs.clone()),
            ("ours", or_empty("text-log-empty", &e.ours)),
        ];
        line(t, out, "  ", "text-equivocation", &args);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use pb::payload::Body;

    fn en() -> Texts {
        Texts::new(Lang::En)
    }

    #[test]
    fn a_median_under_a_minute_is_in_seconds_not_zero_minutes() {
        let en = en();
        assert_eq!(median_time(&en, 0.0), "-");
        assert_eq!(median_time(&en, 42.4), "42 s");
        assert_eq!(median_time(&en, 600.0), "10 min");
        assert_eq!(median_time(&en, 7200.0), "2.0 h");
        assert_eq!(median_time(&en, 259_200.0), "3.0 days");
        assert_eq!(median_time(&Texts::new(Lang::Fr), 259_200.0), "3,0 jours");
    }

    /// A request with one rifle, its marks and photograph, as a case holds it.
    fn rifle_request(grounds: &str) -> pb::TraceRequest {
        pb::TraceRequest {
            requester_reference: "GPS/CID/2026/1147".into(),
            context: Some(pb::RecoveryContext {
                place_of_recovery: "Nsawam, Eastern Region".into(),
                illicit_nature: "Held without licence".into(),
                ..Default::default()
            }),
            grounds: Some(pb::RoutingGrounds {
                explanation: grounds.into(),
                ..Default::default()
            }),
            additional_information: "Do not contact the importer".into(),
            items: vec![pb::RecoveredItem {
                item: Some(pb::recovered_item::Item::Weapon(pb::WeaponIdentification {
                    make: "FN Herstal".into(),
                    serial_number: "1502347".into(),
                    marks: vec![pb::WeaponMark {
                        kind: pb::MarkKind::MilitaryPolice as i32,
                        value: "NPF 4471".into(),
                        location: "butt stock".into(),
                        ..Default::default()
                    }],
                    photographs: vec![pb::Attachment {
                        sha256: "ab".repeat(32),
                        ..Default::default()
                    }],
                    ..Default::default()
                })),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn trace_with(id: &str, request: pb::TraceRequest) -> pb::TraceView {
        pb::TraceView {
            summary: Some(pb::TraceSummary {
                trace_id: id.into(),
                ..Default::default()
            }),
            messages: vec![pb::MessageView {
                kind: pb::PayloadKind::Request as i32,
                payload: Some(pb::Payload {
                    body: Some(Body::Request(request)),
                }),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_case_shows_every_mark_and_photograph_once_and_a_follow_up_only_what_differs() {
        let view = pb::CaseView {
            case_id: "case".into(),
            traces: vec![
                trace_with(
                    "01a22fb2-0000-0000-0000-000000000001",
                    rifle_request("9.1 c"),
                ),
                trace_with(
                    "01a22fb2-0000-0000-0000-000000000002",
                    rifle_request("9.1 a"),
                ),
            ],
            ..Default::default()
        };
        let text = case(&en(), &view);
        for evidence in [
            "military or police mark: NPF 4471, butt stock",
            "Place of recovery: Nsawam, Eastern Region",
            "Requester's reference: GPS/CID/2026/1147",
            "Additional information: Do not contact the importer",
            &format!("itictl photo get {}", "ab".repeat(32)),
        ] {
            assert_eq!(
                text.matches(evidence).count(),
                1,
                "{evidence} once:\n{text}"
            );
        }
        assert!(
            text.contains("as in the request of trace …00000001")
                && text.contains("Grounds (9.2.1 b): 9.1 a"),
            "{text}"
        );
        let french = case(&Texts::new(Lang::Fr), &view);
        assert!(
            french.contains("Lieu de la récupération : Nsawam, Eastern Region"),
            "{french}"
        );
    }

    fn consent() -> pb::Payload {
        pb::Payload {
            body: Some(Body::Consent(pb::Consent {
                r#use: pb::OnwardUse::ForwardToThirdState as i32,
                restrictions: vec![pb::UseRestriction::NoOnwardDisclosure as i32],
                destination: "NGA".into(),
                lifts_tlp: true,
                note: "for the joint investigation".into(),
                ..Default::default()
            })),
        }
    }

    #[test]
    fn a_consent_says_what_it_lifts_for_whom() {
        let mut out = String::new();
        payload(&en(), &consent(), &mut out, "");
        assert!(
            out.contains("consents: forwarding to a third state lifting no onward disclosure, the TLP level for NGA only"),
            "{out}"
        );
        assert!(!out.contains("unspecified"), "{out}");
    }

    #[test]
    fn a_consent_reads_in_french_with_the_officers_note_as_written() {
        let mut out = String::new();
        payload(&Texts::new(Lang::Fr), &consent(), &mut out, "");
        assert!(
            out.contains("consent : transmission à un État tiers en levant pas de divulgation ultérieure, le niveau TLP pour NGA seulement"),
            "{out}"
        );
        assert!(out.contains("note : for the joint investigation"), "{out}");
    }

    #[test]
    fn a_withheld_timeline_step_shows_the_rule_not_the_step() {
        let steps = [pb::TimelineStep {
            date: "2012-05-02".into(),
            description: "exported under licence EX-1".into(),
            provided_by: "BEL".into(),
            withheld: "TLP:RED is for the point of contact only".into(),
            ..Default::default()
        }];
        let out = timeline(&en(), &steps);
        assert!(!out.contains("EX-1"), "{out}");
        assert!(out.contains("withheld from you: TLP:RED"), "{out}");
    }

    #[test]
    fn the_grounds_of_a_large_cache_name_runs_of_items_and_stay_short() {
        let gha = "GHA".parse().unwrap();
        let also = |items: Vec<usize>| {
            routing_reasons(&en(), &[Reason::AlsoPointTo { items, state: gha }])
        };
        assert_eq!(
            also((1..5000).collect()),
            "The identifications of items[1] to items[4999] also point to GHA."
        );
        assert_eq!(
            also(vec![0, 2, 3, 5, 6, 7]),
            "The identifications of items[0], items[2], items[3] and items[5] to items[7] \
             also point to GHA."
        );
        let scattered: Vec<usize> = (0..5000).step_by(2).collect();
        assert_eq!(also(scattered), "2500 other items also point to GHA.");
    }

    #[test]
    fn routing_reasons_read_in_french_with_the_marking_as_written() {
        let reasons = [
            Reason::ImportMarking {
                item: 1,
                value: "GH-2011".into(),
                location: "frame, left side".into(),
                state: "GHA".parse().unwrap(),
                of: 2,
            },
            Reason::AlsoPointTo {
                items: vec![0, 2, 3],
                state: "GHA".parse().unwrap(),
            },
        ];
        assert_eq!(
            routing_reasons(&Texts::new(Lang::Fr), &reasons),
            "Le marquage d'importation « GH-2011 » sur items[1] (frame, left side) désigne GHA \
             comme l'État de la dernière importation (ISACS 05.31 9.1 b). C'est le plus récent \
             de 2 marquages d'importation. Les identifications de items[0], items[2] et \
             items[3] désignent aussi GHA."
        );
    }

    #[test]
    fn a_missing_field_reads_in_french_and_other_words_as_written() {
        let fr = Texts::new(Lang::Fr);
        let ours = crate::case::completeness::check(&pb::TraceRequest::default());
        let legal = ours
            .iter()
            .find(|m| m.field == "context.legalBasis")
            .unwrap();
        assert_eq!(legal.description, "the legal justification for the request");
        assert_eq!(
            missing_description(&fr, legal),
            "la justification juridique de la demande"
        );
        let theirs = pb::MissingElement {
            field: "items[0].weapon.make".into(),
            description: "la marque, svp".into(),
            ..Default::default()
        };
        assert_eq!(missing_description(&fr, &theirs), "la marque, svp");
    }

    #[test]
    fn an_items_summary_reads_in_french_with_what_was_typed_as_typed() {
        let items = crate::demo::fixtures::fal_request().items;
        let fr = items_summary(&Texts::new(Lang::Fr), &items);
        assert!(
            fr.ends_with("; 120 × munitions 7.62x51mm NATO lot FN-08-114 (FN Herstal)"),
            "{fr}"
        );
        assert!(fr.contains(" n° de série "), "{fr}");
        let en = items_summary(
            &en(),
            &[items[0].clone(), items[1].clone(), items[0].clone()],
        );
        assert!(en.ends_with("; and 1 more"), "{en}");
    }
}
