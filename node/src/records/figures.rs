//! Clause 12 figures of the national tracing system: domestic traces and
//! their outcomes, points of diversion by category, the median time to
//! answer incoming requests, and how many were answered from the records
//! rather than by hand. Counts and durations only: a report carries no
//! record content.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use super::determine::DiversionCategory;

/// One entry of the national database of recovered weapons (7.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredFact {
    pub recorded_at: OffsetDateTime,
    /// The determination's name ("diverted_domestically", ...).
    pub determination: String,
    pub category: Option<DiversionCategory>,
}

/// One incoming request that was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerFact {
    pub received_at: OffsetDateTime,
    pub answered_at: OffsetDateTime,
    /// Sent from the draft the records gave (else typed by hand).
    pub from_records: bool,
    /// The drafted outcome, when sent from the draft.
    pub category: Option<DiversionCategory>,
}

/// The figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    pub domestic_traces: usize,
    /// Per determination name.
    pub outcomes: BTreeMap<String, usize>,
    /// Per category of point of diversion (domestic traces and answers
    /// sent from records).
    pub points_of_diversion: BTreeMap<&'static str, usize>,
    pub answered: usize,
    pub median_time_to_answer: Option<Duration>,
    pub answered_from_records: usize,
    pub answered_by_hand: usize,
}

fn median(mut d: Vec<Duration>) -> Option<Duration> {
    if d.is_empty() {
        return None;
    }
    d.sort();
    let n = d.len();
    Some(if n % 2 == 1 {
        d[n / 2]
    } else {
        (d[n / 2 - 1] + d[n / 2]) / 2
    })
}

/// The figures of what happened between `from` and `to` (inclusive).
pub fn figures(
    recovered: &[RecoveredFact],
    answers: &[AnswerFact],
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) -> Figures {
    let within = |t: OffsetDateTime| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e);
    let mut f = Figures::default();
    for r in recovered.iter().filter(|r| within(r.recorded_at)) {
        f.domestic_traces += 1;
        *f.outcomes.entry(r.determination.clone()).or_default() += 1;
        if let Some(c) = r.category {
            *f.points_of_diversion.entry(c.as_str()).or_default() += 1;
        }
    }
    let answers: Vec<&AnswerFact> = answers.iter().filter(|a| within(a.answered_at)).collect();
    f.answered = answers.len();
    f.answered_from_records = answers.iter().filter(|a| a.from_records).count();
    f.answered_by_hand = f.answered - f.answered_from_records;
    for c in answers.iter().filter_map(|a| a.category) {
        *f.points_of_diversion.entry(c.as_str()).or_default() += 1;
    }
    f.median_time_to_answer = median(
        answers
            .iter()
            .map(|a| a.answered_at - a.received_at)
            .collect(),
    );
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_760_000_000).unwrap() + Duration::days(days)
    }

    #[test]
    fn outcomes_categories_median_and_how_answered_are_counted() {
        let recovered = vec![
            RecoveredFact {
                recorded_at: at(0),
                determination: "diverted_domestically".into(),
                category: Some(DiversionCategory::StateArmoury),
            },
            RecoveredFact {
                recorded_at: at(1),
                determination: "left_jurisdiction".into(),
                category: Some(DiversionCategory::AfterExport),
            },
            RecoveredFact {
                recorded_at: at(40),
                determination: "no_record".into(),
                category: None,
            },
        ];
        let answers = vec![
            AnswerFact {
                received_at: at(0),
                answered_at: at(2),
                from_records: true,
                category: Some(DiversionCategory::Civilian),
            },
            AnswerFact {
                received_at: at(0),
                answered_at: at(10),
                from_records: false,
                category: None,
            },
        ];
        let f = figures(&recovered, &answers, None, Some(at(30)));
        assert_eq!(f.domestic_traces, 2);
        assert_eq!(f.outcomes["left_jurisdiction"], 1);
        assert_eq!(f.points_of_diversion["state armoury"], 1);
        assert_eq!(f.points_of_diversion["after export"], 1);
        assert_eq!(f.points_of_diversion["civilian"], 1);
        assert_eq!(f.answered_from_records, 1);
        assert_eq!(f.answered_by_hand, 1);
        assert_eq!(f.median_time_to_answer, Some(Duration::days(6)));
        let national = crate::report::National::from(&f);
        let report = crate::report::Report {
            national_tracing_system: national,
            ..Default::default()
        };
        let text = crate::report::text(&crate::i18n::english(), &report);
        assert!(text.contains("from records 1, by hand 1"), "{text}");
    }
}
