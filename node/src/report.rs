//! The clause 12 report as facts: figures for every trace, the responses
//! whose markings let them into a report (by trace, origin and kind of
//! finding), and the national tracing system's figures. Serialised, it is
//! the JSON of `itictl report --json` (and what `itictl` words); `text`
//! words it in a reader's language, for `itictl report` and the console.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use iti_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::i18n::Texts;
use crate::records::figures::Figures;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub participant: String,
    pub requests_sent: usize,
    pub requests_received: usize,
    pub answered: usize,
    pub refused: usize,
    pub overdue: usize,
    pub reportable_responses: Vec<Reported>,
    pub responses_withheld_by_marking: usize,
    pub national_tracing_system: National,
}

/// A response a report may detail: what kind of finding it gave (10.4),
/// as a code ("export", "no_record", "restricted", ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reported {
    pub trace: String,
    pub origin: String,
    pub finding: String,
    /// For "restricted": the 10.5.2 reason (`WithholdingReason` name).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl Reported {
    /// What a reported response says, as a code (it went through the gate
    /// for a report).
    pub fn of(trace: String, origin: String, payload: &pb::Payload) -> Reported {
        use pb::finding::Case;
        let (finding, reason) = match &payload.body {
            Some(pb::payload::Body::Response(r)) if r.restricted => {
                let reason = pb::WithholdingReason::try_from(r.restriction_reason)
                    .unwrap_or(pb::WithholdingReason::Unspecified);
                ("restricted", reason.as_str_name().to_string())
            }
            Some(pb::payload::Body::Response(r)) => {
                let finding = match r.finding.as_ref().and_then(|f| f.case.as_ref()) {
                    Some(Case::ManufactureOrImport(_)) => "manufacture_or_import",
                    Some(Case::InternalTransfer(_)) => "internal_transfer",
                    Some(Case::Export(_)) => "export",
                    Some(Case::InternalDiversion(_)) => "internal_diversion",
                    Some(Case::NoRecord(_)) => "no_record",
                    None => "no_finding",
                };
                (finding, String::new())
            }
            _ => ("other", String::new()),
        };
        Reported {
            trace,
            origin,
            finding: finding.to_string(),
            reason,
        }
    }
}

/// The national tracing system's figures (clauses 7.5, 8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct National {
    pub domestic_traces: usize,
    /// Per determination ("diverted_domestically", ...).
    pub outcomes: BTreeMap<String, usize>,
    /// Per category of point of diversion ("state armoury", ...).
    pub points_of_diversion: BTreeMap<String, usize>,
    pub answered: usize,
    pub answered_from_records: usize,
    pub answered_by_hand: usize,
    pub median_seconds_to_answer: Option<f64>,
}

impl From<&Figures> for National {
    fn from(f: &Figures) -> National {
        National {
            domestic_traces: f.domestic_traces,
            outcomes: f.outcomes.clone(),
            points_of_diversion: f
                .points_of_diversion
                .iter()
                .map(|(c, n)| (c.to_string(), *n))
                .collect(),
            answered: f.answered,
            answered_from_records: f.answered_from_records,
            answered_by_hand: f.answered_by_hand,
            median_seconds_to_answer: f.median_time_to_answer.map(|d| d.as_seconds_f64()),
        }
    }
}

/// The report in `t`'s language.
pub fn text(t: &Texts, r: &Report) -> String {
    let mut out = String::new();
    let n = |v: usize| v.to_string();
    let args = [
        ("participant", r.participant.clone()),
        ("sent", n(r.requests_sent)),
        ("received", n(r.requests_received)),
        ("answered", n(r.answered)),
        ("refused", n(r.refused)),
        ("overdue", n(r.overdue)),
    ];
    let _ = writeln!(out, "{}", t.t_with("report-heading", &args));
    if !r.reportable_responses.is_empty() {
        let _ = writeln!(out, "{}", t.t("report-responses"));
        for d in &r.reportable_responses {
            let _ = writeln!(out, "  - {}", reported(t, d));
        }
    }
    if r.responses_withheld_by_marking > 0 {
        let count = [("count", n(r.responses_withheld_by_marking))];
        let _ = writeln!(out, "{}", t.t_with("report-left-out", &count));
    }
    national(t, &r.national_tracing_system, &mut out);
    out
}

/// "trace X: BEL answered (10.4.3 export)".
fn reported(t: &Texts, d: &Reported) -> String {
    let finding = match d.finding.as_str() {
        "restricted" => t.t_with("report-restricted", &[("reason", t.code(&d.reason))]),
        code => t.coded("report-finding", code),
    };
    let args = [
        ("trace", d.trace.clone()),
        ("origin", d.origin.clone()),
        ("finding", finding),
    ];
    t.t_with("report-answered", &args)
}

fn national(t: &Texts, f: &National, out: &mut String) {
    let count = [("count", f.domestic_traces.to_string())];
    let _ = writeln!(out, "{}", t.t_with("report-national", &count));
    for (outcome, n) in &f.outcomes {
        let _ = writeln!(out, "    {}: {n}", t.coded("determination", outcome));
    }
    if !f.points_of_diversion.is_empty() {
        let _ = writeln!(out, "  {}", t.t("report-points-of-diversion"));
        for (c, n) in &f.points_of_diversion {
            let _ = writeln!(out, "    {}: {n}", t.coded("diversion", c));
        }
    }
    let median = match f.median_seconds_to_answer {
        Some(s) => {
            let days = format!("{:.1}", s / 86_400.0).replace('.', &t.t("text-decimal-separator"));
            t.t_with("text-days", &[("n", days)])
        }
        None => t.t("report-none-answered"),
    };
    let args = [
        ("answered", f.answered.to_string()),
        ("records", f.answered_from_records.to_string()),
        ("hand", f.answered_by_hand.to_string()),
        ("median", median),
    ];
    let _ = writeln!(out, "  {}", t.t_with("report-answered-figures", &args));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn report() -> Report {
        Report {
            participant: "GHA".into(),
            requests_sent: 2,
            reportable_responses: vec![Reported {
                trace: "T1".into(),
                origin: "BEL".into(),
                finding: "export".into(),
                reason: String::new(),
            }],
            responses_withheld_by_marking: 1,
            ..Default::default()
        }
    }

    #[test]
    fn the_report_reads_in_french_and_in_the_english_the_api_gives() {
        let fr = text(&Texts::new(Lang::Fr), &report());
        for wanted in [
            "Rapport ITI Exchange pour GHA (ISACS 05.31 clause 12)",
            "demandes internationales de traçage envoyées : 2",
            "  - traçage T1 : BEL a répondu (10.4.3 exportation)",
            "1 réponse(s) écartée(s)",
            "délai médian de réponse : aucune réponse",
        ] {
            assert!(fr.contains(wanted), "{wanted:?} in {fr}");
        }
        let en = text(&crate::i18n::english(), &report());
        assert!(en.starts_with("ITI Exchange report for GHA (ISACS 05.31 clause 12)\ninternational tracing requests sent: 2\n"), "{en}");
        assert!(
            en.contains("  - trace T1: BEL answered (10.4.3 export)\n"),
            "{en}"
        );
        assert!(en.contains("\n  domestic traces: 0\n"), "{en}");
    }
}
