//! Text for people: how `itictl` and the demo print traces, cases, plans
//! and queues. Pure functions of what the local API returned, which the node
//! has already filtered by role and marking: nothing here decides who sees
//! what.

use std::fmt::Write as _;

use iti_proto::v1 as pb;

use crate::clock::{from_timestamp, rfc3339};
use crate::policy::marking::Marking;

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

fn short(id: &str) -> &str {
    id
}

/// "TLP:AMBER [PROPRIETARY]", or a note that the marking is unreadable.
/// A span of time as people say it: "1 day", "3 h", "45 s".
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
pub fn median_time(seconds: f64) -> String {
    match seconds {
        s if s <= 0.0 => "-".into(),
        s if s < 60.0 => format!("{s:.0} s"),
        s if s < 3600.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.1} h", s / 3600.0),
        s => format!("{:.1} days", s / 86_400.0),
    }
}

pub fn marking(m: Option<&pb::Marking>) -> String {
    match m.map(Marking::try_from) {
        Some(Ok(m)) => m.to_string(),
        Some(Err(_)) => "(unreadable marking)".into(),
        None => "(unmarked)".into(),
    }
}

/// "USE_RESTRICTION_NO_ONWARD_DISCLOSURE" → "no onward disclosure".
pub fn enum_name(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix)
        .to_lowercase()
        .replace('_', " ")
}

pub fn role(r: i32) -> String {
    pb::TraceRole::try_from(r)
        .map(|r| enum_name(r.as_str_name(), "TRACE_ROLE_"))
        .unwrap_or_default()
}

pub fn kind(k: i32) -> String {
    pb::PayloadKind::try_from(k)
        .map(|k| enum_name(k.as_str_name(), "PAYLOAD_KIND_"))
        .unwrap_or_default()
}

fn reason(r: i32) -> &'static str {
    match pb::WithholdingReason::try_from(r).unwrap_or(pb::WithholdingReason::Unspecified) {
        pb::WithholdingReason::OngoingInvestigationOrLaw => {
            "10.5.2 (a) ongoing investigation / confidentiality law"
        }
        pb::WithholdingReason::ConfidentialityNotGuaranteed => {
            "10.5.2 (b) confidentiality cannot be guaranteed"
        }
        pb::WithholdingReason::NationalSecurity => "10.5.2 (c) national security",
        pb::WithholdingReason::Unspecified => "no reason given",
    }
}

/// One line per trace, for `itictl inbox` and `itictl cases`.
pub fn trace_line(t: &pb::TraceSummary) -> String {
    let due = match (&t.ack_due, &t.response_due) {
        (Some(a), _) => format!("ack due {}", time(Some(a))),
        (None, Some(r)) => format!("response due {}", time(Some(r))),
        _ => String::new(),
    };
    let flag = if t.overdue { "  OVERDUE" } else { "" };
    let mut missing = if t.missing.is_empty() {
        String::new()
    } else {
        format!("  [{} missing (10.2)]", t.missing.len())
    };
    if !t.flags.is_empty() {
        missing.push_str(&format!("  [{} flagged]", t.flags.len()));
    }
    if !t.awaiting.is_empty() {
        missing.push_str(&format!("  [{}]", t.awaiting));
    }
    format!(
        "{}  {:<10} {:<12} {:<24} {}  {}{}{}",
        short(&t.trace_id),
        role(t.role),
        t.counterpart,
        t.state,
        t.items,
        due,
        flag,
        missing
    )
}

pub fn plan(p: &pb::RoutingPlan) -> String {
    let mut out = String::new();
    if let Some(g) = &p.grounds {
        let rule = pb::RoutingRule::try_from(g.rule)
            .map(|r| enum_name(r.as_str_name(), "ROUTING_RULE_"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "requested state: {}  (rule: {rule})",
            g.requested_state
        );
        let _ = writeln!(out, "grounds (9.2.1 b): {}", g.explanation);
        if !g.override_reason.is_empty() {
            let _ = writeln!(
                out,
                "override: rules chose {} — reason: {}",
                if g.overridden_state.is_empty() {
                    "no state"
                } else {
                    &g.overridden_state
                },
                g.override_reason
            );
        }
    }
    let _ = writeln!(
        out,
        "path: {}",
        if p.path.is_empty() {
            "direct".to_string()
        } else {
            format!("via {}", p.path.join(" → "))
        }
    );
    if !p.not_reachable.is_empty() {
        let _ = writeln!(out, "NOT REACHABLE: {}", p.not_reachable);
    }
    if !p.possibly_missing.is_empty() {
        let _ = writeln!(
            out,
            "the requested state may return it for completion (10.2); missing:"
        );
        for m in &p.possibly_missing {
            let _ = writeln!(out, "  - {} ({}): {}", m.field, m.clause, m.description);
        }
    }
    flags(&p.flags, &mut out, "");
    out
}

/// Fields accepted but flagged (mixed scripts, confusables): warnings.
fn flags(flags: &[pb::InputFlag], out: &mut String, indent: &str) {
    for f in flags {
        let _ = writeln!(
            out,
            "{indent}warning: {} ({}): {}",
            f.field, f.flag, f.description
        );
    }
}

fn response_lines(r: &pb::TraceResponse, out: &mut String, indent: &str) {
    let _ = writeln!(out, "{indent}marking: {}", marking(r.marking.as_ref()));
    if r.restricted {
        let _ = writeln!(
            out,
            "{indent}RESTRICTED response: {} — {}",
            reason(r.restriction_reason),
            r.restriction_explanation
        );
    }
    if let Some(f) = &r.finding {
        let m = f
            .marking
            .as_ref()
            .map(|m| format!(" [{}]", marking(Some(m))))
            .unwrap_or_default();
        match &f.case {
            Some(pb::finding::Case::ManufactureOrImport(x)) => {
                let _ = writeln!(
                    out,
                    "{indent}finding{m}: 10.4.1 {} by {} on {} {}",
                    if x.manufactured {
                        "manufactured"
                    } else {
                        "imported"
                    },
                    x.manufacturer_or_importer,
                    x.date,
                    x.details
                );
            }
            Some(pb::finding::Case::InternalTransfer(x)) => {
                let _ = writeln!(
                    out,
                    "{indent}finding{m}: 10.4.2 internal transfer on {} to {}",
                    x.transfer_dates.join(", "),
                    x.final_consignees.join(", ")
                );
            }
            Some(pb::finding::Case::Export(x)) => {
                let _ = writeln!(
                    out,
                    "{indent}finding{m}: 10.4.3 exported on {} to {}{}, final consignee {}",
                    x.export_date,
                    x.importing_state,
                    if x.transit_states.is_empty() {
                        String::new()
                    } else {
                        format!(" (transit {})", x.transit_states.join(", "))
                    },
                    x.final_consignee
                );
                for l in &x.licences {
                    let when = given(&[&l.issued_by, &l.date], ", ");
                    let _ = writeln!(
                        out,
                        "{indent}  licence: {}{}",
                        given(&[&l.kind, &l.number], " "),
                        if when.is_empty() {
                            String::new()
                        } else {
                            format!(" ({when})")
                        }
                    );
                }
            }
            Some(pb::finding::Case::InternalDiversion(x)) => {
                let inv = pb::InvestigationStatus::try_from(x.investigation)
                    .map(|s| enum_name(s.as_str_name(), "INVESTIGATION_STATUS_"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{indent}finding{m}: 10.4.4 diverted on {}: {} (investigation: {inv})",
                    x.diversion_date, x.details
                );
            }
            Some(pb::finding::Case::NoRecord(x)) => {
                let _ = writeln!(out, "{indent}finding{m}: no record found. {}", x.details);
                for searched in &x.searched {
                    let _ = writeln!(out, "{indent}  searched: {searched}");
                }
            }
            None => {}
        }
    }
    if let Some(p) = &r.last_legal_possessor {
        let m = p
            .marking
            .as_ref()
            .map(|m| format!(" [{}]", marking(Some(m))))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{indent}last legal possessor{m}: {} ({}, {})",
            p.name, p.category, p.state
        );
    }
    if let Some(c) = &r.commercial {
        let m = c
            .marking
            .as_ref()
            .map(|m| format!(" [{}]", marking(Some(m))))
            .unwrap_or_default();
        let labelled = |label: &str, v: String| {
            if v.is_empty() {
                String::new()
            } else {
                format!("{label} {v}")
            }
        };
        let parts = [
            labelled("contract", c.contract_reference.clone()),
            labelled("transport", c.transport_agents.join(", ")),
            labelled("brokers", c.brokers.join(", ")),
            c.financial_transactions.clone(),
        ];
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let _ = writeln!(out, "{indent}commercial{m}: {}", given(&parts, "; "));
    }
    if let Some(i) = &r.individuals {
        let m = i
            .marking
            .as_ref()
            .map(|m| format!(" [{}]", marking(Some(m))))
            .unwrap_or_default();
        for p in &i.individuals {
            let _ = writeln!(out, "{indent}individual{m}: {} — {}", p.name, p.role);
        }
    }
    if !r.additional_information.is_empty() {
        let _ = writeln!(out, "{indent}additional: {}", r.additional_information);
    }
}

/// What a message says, in a few lines.
pub fn payload(p: &pb::Payload, out: &mut String, indent: &str) {
    use pb::payload::Body;
    match &p.body {
        Some(Body::Request(r)) => {
            let _ = writeln!(out, "{indent}marking: {}", marking(r.marking.as_ref()));
            let _ = writeln!(
                out,
                "{indent}items: {}",
                crate::service::views::items_summary(r)
            );
            if let Some(c) = &r.context {
                let _ = writeln!(
                    out,
                    "{indent}context (9.2.1 a): {} — {}",
                    c.illicit_nature, c.legal_basis
                );
            }
            if let Some(g) = &r.grounds {
                let _ = writeln!(out, "{indent}grounds (9.2.1 b): {}", g.explanation);
            }
            let _ = writeln!(
                out,
                "{indent}purpose (9.2.1 e): {} / {}",
                r.purpose, r.intended_use
            );
            if r.cannot_provide_all {
                let _ = writeln!(
                    out,
                    "{indent}declared incomplete (10.2): {}",
                    r.cannot_provide_explanation
                );
            }
            if !r.restrictions_cannot_comply.is_empty() {
                let names: Vec<String> = r
                    .restrictions_cannot_comply
                    .iter()
                    .filter_map(|x| pb::UseRestriction::try_from(*x).ok())
                    .map(|x| enum_name(x.as_str_name(), "USE_RESTRICTION_"))
                    .collect();
                let _ = writeln!(
                    out,
                    "{indent}cannot comply with (10.3): {}",
                    names.join(", ")
                );
            }
        }
        Some(Body::Acknowledgement(a)) => {
            let _ = writeln!(out, "{indent}acknowledged (10.1) {}", a.reference);
        }
        Some(Body::ReturnForCompletion(r)) => {
            let _ = writeln!(
                out,
                "{indent}returned for completion (10.2){}:",
                if r.automatic { ", automatically" } else { "" }
            );
            for m in &r.missing {
                let _ = writeln!(
                    out,
                    "{indent}  - {} ({}): {}",
                    m.field, m.clause, m.description
                );
            }
        }
        Some(Body::Resubmission(_)) => {
            let _ = writeln!(out, "{indent}completed request resubmitted");
        }
        Some(Body::Response(r)) => response_lines(r, out, indent),
        Some(Body::Delay(d)) => {
            let _ = writeln!(
                out,
                "{indent}delay until {}: {} — {}",
                time(d.new_response_due.as_ref()),
                reason(d.reason),
                d.explanation
            );
        }
        Some(Body::Refusal(r)) => {
            let _ = writeln!(
                out,
                "{indent}refusal: {} — {}",
                reason(r.reason),
                r.explanation
            );
        }
        Some(Body::ClarificationRequest(c)) => {
            let _ = writeln!(out, "{indent}question: {}", c.question);
        }
        Some(Body::ClarificationReply(c)) => {
            let _ = writeln!(out, "{indent}answer: {}", c.answer);
        }
        Some(Body::Consent(c)) => {
            let verb = if c.declined { "declines" } else { "consents" };
            let lifts = consent_scope(c.restriction, &c.restrictions, c.lifts_tlp);
            let _ = writeln!(
                out,
                "{indent}{verb}: {} {}{}{}",
                onward_use(c.r#use),
                lifts,
                destination(&c.destination),
                regarding(&c.regarding)
            );
            if !c.note.is_empty() {
                let _ = writeln!(out, "{indent}note: {}", c.note);
            }
        }
        Some(Body::ConsentRequest(c)) => {
            let lifts = consent_scope(c.restriction, &c.restrictions, c.lift_tlp);
            let _ = writeln!(
                out,
                "{indent}asks consent: {} {}{}{}",
                onward_use(c.r#use),
                lifts,
                destination(&c.destination),
                regarding(&c.regarding)
            );
            let _ = writeln!(out, "{indent}why: {}", c.justification);
        }
        Some(Body::Closure(c)) => {
            let _ = writeln!(out, "{indent}closed: {}", c.outcome);
        }
        Some(Body::SharedInformation(s)) => {
            let _ = writeln!(
                out,
                "{indent}information provided by {} (case {})",
                s.provided_by, s.source_case
            );
            if let Some(r) = &s.response {
                response_lines(r, out, indent);
            }
        }
        Some(Body::BrokerNotice(b)) => {
            let _ = writeln!(
                out,
                "{indent}{}: item {} matches {} {} reported lost/stolen by {} on {} ({}){}",
                b.broker,
                b.item_index,
                b.registered_make,
                b.registered_serial,
                b.reported_by,
                b.reported_on,
                b.circumstances,
                if b.differences.is_empty() {
                    String::new()
                } else {
                    format!("; serial read differently: {}", b.differences.join(", "))
                }
            );
        }
        Some(Body::Receipt(_)) => {
            let _ = writeln!(out, "{indent}end-to-end receipt");
        }
        Some(Body::DeliveryFailure(d)) => {
            let _ = writeln!(
                out,
                "{indent}envelope {} was not delivered: {}",
                d.envelope_id, d.reason
            );
        }
        Some(Body::OnBehalfRequest(_)) => {
            let _ = writeln!(
                out,
                "{indent}request to conduct a trace on the member's behalf (11.3.1)"
            );
        }
        None => {}
    }
}

fn delivery(d: i32) -> String {
    pb::DeliveryState::try_from(d)
        .map(|x| enum_name(x.as_str_name(), "DELIVERY_STATE_"))
        .unwrap_or_default()
}

fn timeline_kind(k: i32) -> String {
    pb::HistoryEventKind::try_from(k)
        .map(|x| enum_name(x.as_str_name(), "HISTORY_EVENT_KIND_"))
        .unwrap_or_default()
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

fn onward_use(u: i32) -> String {
    pb::OnwardUse::try_from(u)
        .map(|x| enum_name(x.as_str_name(), "ONWARD_USE_"))
        .unwrap_or_default()
}

/// What a consent (or a request for one) lifts: "lifting no onward
/// disclosure and the TLP level".
fn consent_scope(first: i32, more: &[i32], tlp: bool) -> String {
    let mut lifted: Vec<String> = std::iter::once(first)
        .chain(more.iter().copied())
        .filter(|r| *r != pb::UseRestriction::Unspecified as i32)
        .filter_map(|r| pb::UseRestriction::try_from(r).ok())
        .map(|r| enum_name(r.as_str_name(), "USE_RESTRICTION_"))
        .collect();
    lifted.dedup();
    if tlp {
        lifted.push("the TLP level".into());
    }
    if lifted.is_empty() {
        String::new()
    } else {
        format!("lifting {}", lifted.join(", "))
    }
}

fn destination(d: &str) -> String {
    if d.is_empty() {
        String::new()
    } else {
        format!(" for {d} only")
    }
}

fn regarding(r: &str) -> String {
    if r.is_empty() {
        String::new()
    } else {
        format!(" (message {})", short(r))
    }
}

/// The chain timeline (manufacture → export → import → … → diversion).
pub fn timeline(steps: &[pb::TimelineStep]) -> String {
    let mut out = String::new();
    for s in steps {
        if !s.withheld.is_empty() {
            let _ = writeln!(
                out,
                "  {:<10}  a step provided by {} — withheld from you: {}",
                if s.date.is_empty() {
                    "undated"
                } else {
                    &s.date
                },
                s.provided_by,
                s.withheld
            );
            continue;
        }
        let _ = writeln!(
            out,
            "  {:<10}  {:<4} {:<22} {}  — {} [provided by {}]",
            if s.date.is_empty() {
                "undated"
            } else {
                &s.date
            },
            s.state,
            timeline_kind(s.kind),
            s.party,
            s.description,
            s.provided_by
        );
        if s.marking.as_ref().is_some_and(is_marked) {
            let _ = writeln!(
                out,
                "              marking: {}",
                marking(s.marking.as_ref())
            );
        }
    }
    out
}

/// Worth showing: anything but TLP:CLEAR without restrictions.
fn is_marked(m: &pb::Marking) -> bool {
    m.tlp != pb::Tlp::Clear as i32 || !m.restrictions.is_empty()
}

/// `itictl case show`.
pub fn case(c: &pb::CaseView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "case {}", c.case_id);
    for tv in &c.traces {
        let Some(t) = &tv.summary else { continue };
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "trace {}  ({} — counterpart {})  state: {}",
            t.trace_id,
            role(t.role),
            t.counterpart,
            t.state
        );
        if !t.on_behalf_of.is_empty() {
            let _ = writeln!(out, "  on behalf: {}", t.on_behalf_of);
        }
        let _ = writeln!(
            out,
            "  items: {}   marking: {}",
            t.items,
            marking(t.marking.as_ref())
        );
        if t.ack_due.is_some() || t.response_due.is_some() {
            let _ = writeln!(
                out,
                "  due: acknowledgement {}, response {}{}",
                time(t.ack_due.as_ref()),
                time(t.response_due.as_ref()),
                if t.overdue { "  — OVERDUE" } else { "" }
            );
        }
        if !t.missing.is_empty() {
            let _ = writeln!(out, "  missing (10.2):");
            for m in &t.missing {
                let _ = writeln!(out, "    - {} ({}): {}", m.field, m.clause, m.description);
            }
        }
        flags(&t.flags, &mut out, "  ");
        if !t.awaiting.is_empty() {
            let _ = writeln!(out, "  pending: {}", t.awaiting);
        }
        draft(tv, &mut out);
        if !t.restrictions_cannot_comply.is_empty() {
            let names: Vec<String> = t
                .restrictions_cannot_comply
                .iter()
                .filter_map(|x| pb::UseRestriction::try_from(*x).ok())
                .map(|x| enum_name(x.as_str_name(), "USE_RESTRICTION_"))
                .collect();
            let _ = writeln!(
                out,
                "  requester cannot comply with (10.3): {}",
                names.join(", ")
            );
        }
        let _ = writeln!(out, "  messages:");
        for m in &tv.messages {
            let _ = writeln!(
                out,
                "    {}  {} {} → {}  [{}{}]{}",
                time(m.created_at.as_ref()),
                kind(m.kind),
                m.origin,
                m.destination,
                delivery(m.delivery),
                m.receipt_at
                    .as_ref()
                    .map(|r| format!(", receipt {}", time(Some(r))))
                    .unwrap_or_default(),
                if m.hops.is_empty() {
                    String::new()
                } else {
                    format!(" via {}", m.hops.join(", "))
                }
            );
            if let Some(p) = &m.payload {
                payload(p, &mut out, "        ");
            }
            for w in &m.withheld {
                let _ = writeln!(out, "        withheld from you: {w}");
            }
            if !m.error.is_empty() {
                let _ = writeln!(out, "        last error: {}", m.error);
            }
        }
        let _ = writeln!(out, "  history:");
        for e in &tv.events {
            let _ = writeln!(
                out,
                "    {}  {:<26} {}  ({})",
                time(e.at.as_ref()),
                e.kind,
                e.detail,
                e.actor
            );
        }
    }
    if !c.timeline.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "timeline of the weapon:");
        out.push_str(&timeline(&c.timeline));
    }
    if !c.conclusion.is_empty() {
        let _ = writeln!(
            out,
            "conclusion: {}  [{}]",
            c.conclusion,
            marking(c.conclusion_marking.as_ref())
        );
    }
    for w in &c.conclusion_withheld {
        let _ = writeln!(out, "conclusion, withheld from you: {w}");
    }
    out
}

/// A drafted request: what came from another state, under which marking,
/// and what of it this officer may not see.
fn draft(tv: &pb::TraceView, out: &mut String) {
    if tv.draft.is_none() && tv.draft_fields.is_empty() && tv.draft_withheld.is_empty() {
        return;
    }
    let _ = writeln!(out, "  draft (sent with `itictl request send`):");
    for f in &tv.draft_fields {
        let _ = writeln!(
            out,
            "    {} — from {} under {}",
            f.field,
            f.provided_by,
            marking(f.marking.as_ref())
        );
    }
    for w in &tv.draft_withheld {
        let _ = writeln!(out, "    withheld from you: {w}");
    }
}

/// `itictl audit verify`: the chain, then what each peer witnessed of it.
pub fn audit_verify(reply: &pb::AuditVerifyReply) -> String {
    let mut out = String::new();
    if reply.ok {
        let _ = writeln!(
            out,
            "audit trail intact: {} entries, hash chain verified",
            reply.entries
        );
    } else {
        let _ = writeln!(
            out,
            "AUDIT TRAIL BROKEN at entry {}: {}",
            reply.first_bad_seq, reply.problem
        );
    }
    for w in &reply.witnesses {
        let head = if w.seq == 0 {
            String::new()
        } else {
            format!(
                " entry {} ({}…, signed {})",
                w.seq,
                w.head.get(..12).unwrap_or(&w.head),
                time(w.signed_at.as_ref())
            )
        };
        let _ = writeln!(out, "  witness {:<14} {}{}", w.peer, w.outcome, head);
        if !w.detail.is_empty() {
            let _ = writeln!(out, "      {}", w.detail);
        }
    }
    out
}

pub fn overdue(items: &[pb::OverdueItem]) -> String {
    let mut out = String::new();
    if items.is_empty() {
        out.push_str("nothing is overdue\n");
    }
    for i in items {
        let _ = writeln!(
            out,
            "{}  {:<12} {} owed by {:<6} (counterpart {}) was due {}",
            i.trace_id,
            role(i.role),
            i.what,
            i.owed_by,
            i.counterpart,
            time(i.due.as_ref())
        );
    }
    out
}

pub fn outbox(items: &[pb::OutboxItem]) -> String {
    let mut out = String::new();
    if items.is_empty() {
        out.push_str("the outbox is empty\n");
    }
    for i in items {
        let _ = writeln!(
            out,
            "{}  {:<22} to {:<12} via {:<12} {:<9} since {}  attempts {}  next {}{}",
            i.envelope_id,
            kind(i.kind),
            i.destination,
            if i.next_hop.is_empty() {
                "-"
            } else {
                &i.next_hop
            },
            delivery(i.state),
            time(i.enqueued_at.as_ref()),
            i.attempts,
            time(i.next_attempt_at.as_ref()),
            if i.last_error.is_empty() {
                String::new()
            } else {
                format!("\n      last error: {}", i.last_error)
            }
        );
    }
    out
}

/// `itictl directory`: every entry, with the CA held for it and how far
/// it is trusted, and any conflicting entry beside it.
pub fn directory(view: &pb::DirectoryView) -> String {
    let mut out = String::new();
    if view.entries.is_empty() {
        out.push_str("the directory is empty\n");
    }
    for e in &view.entries {
        let Some(entry) = &e.entry else { continue };
        let _ = writeln!(
            out,
            "{}  (trust: {}, serial {})",
            entry.participant, e.trust, entry.serial
        );
        if !e.ca_fingerprint.is_empty() {
            let _ = writeln!(out, "  CA fingerprint (SHA-256): {}", e.ca_fingerprint);
        }
        if !e.standing.is_empty() {
            let _ = writeln!(out, "  standing: {}", e.standing);
        }
        for c in &e.conflicts {
            let _ = writeln!(
                out,
                "  CONFLICT: {} offered serial {} with CA {} on {}",
                c.offered_by,
                c.serial,
                c.ca_fingerprint,
                time(c.seen_at.as_ref())
            );
        }
        if let Some(log) = &e.log {
            directory_log(&mut out, log);
        }
        let _ = writeln!(out, "  endpoints: {}", entry.endpoints.join(", "));
        if !entry.languages.is_empty() {
            let _ = writeln!(out, "  languages: {}", entry.languages.join(", "));
        }
        if !entry.serves.is_empty() {
            let _ = writeln!(out, "  serves: {}", entry.serves.join(", "));
        }
        for poc in &entry.points_of_contact {
            let records: Vec<String> = poc
                .authorised_records
                .iter()
                .filter_map(|r| pb::RecordDomain::try_from(*r).ok())
                .map(|r| enum_name(r.as_str_name(), "RECORD_DOMAIN_"))
                .collect();
            let _ = writeln!(
                out,
                "  point of contact: {}, {} <{}> {} — may search: {}",
                poc.name,
                poc.agency,
                poc.email,
                poc.phone,
                if records.is_empty() {
                    "all domestic records".into()
                } else {
                    records.join(", ")
                }
            );
        }
        if let Some(t) = &entry.switch_over_at {
            let _ = writeln!(out, "  next certificate from {}", time(Some(t)));
        }
    }
    out
}

/// A followed hub's directory log, and the proofs that it equivocated.
fn directory_log(out: &mut String, log: &pb::DirectoryLogView) {
    let _ = writeln!(
        out,
        "  directory log followed: {} entries, head {}, signed {}",
        log.size,
        if log.chain.is_empty() {
            "(empty)"
        } else {
            &log.chain
        },
        time(log.signed_at.as_ref())
    );
    for e in &log.equivocations {
        let _ = writeln!(
            out,
            "  EQUIVOCATION ({}, {}): the hub signed a head of size {} ({}) that the log \
             followed here ({}) does not explain; its entries are refused until an admin \
             decides (`itictl peer confirm` of the hub, once settled with its operator)",
            e.seen_through,
            time(e.seen_at.as_ref()),
            e.size,
            e.theirs,
            if e.ours.is_empty() { "empty" } else { &e.ours }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb::payload::Body;

    #[test]
    fn a_median_under_a_minute_is_in_seconds_not_zero_minutes() {
        assert_eq!(median_time(0.0), "-");
        assert_eq!(median_time(42.4), "42 s");
        assert_eq!(median_time(600.0), "10 min");
        assert_eq!(median_time(7200.0), "2.0 h");
        assert_eq!(median_time(259_200.0), "3.0 days");
    }

    #[test]
    fn a_consent_says_what_it_lifts_for_whom() {
        let consent = pb::Payload {
            body: Some(Body::Consent(pb::Consent {
                r#use: pb::OnwardUse::ForwardToThirdState as i32,
                restrictions: vec![pb::UseRestriction::NoOnwardDisclosure as i32],
                destination: "NGA".into(),
                lifts_tlp: true,
                ..Default::default()
            })),
        };
        let mut out = String::new();
        payload(&consent, &mut out, "");
        assert!(
            out.contains("consents: forward to third state lifting no onward disclosure, the TLP level for NGA only"),
            "{out}"
        );
        assert!(!out.contains("unspecified"), "{out}");
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
        let out = timeline(&steps);
        assert!(!out.contains("EX-1"), "{out}");
        assert!(out.contains("withheld from you: TLP:RED"), "{out}");
    }
}
