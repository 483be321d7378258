//! Facts (`pb::Fact`): a message id of the catalogs and its named
//! arguments, worded in each reader's language. The domain records a fact
//! with each event of a trace's history (`history-*` in facts.ftl), and
//! stores beside it its English ([`english`]), so the wording lives in the
//! catalogs alone. Facts only: participants, kinds, codes, dates, never a
//! message's content.

use iti_proto::v1 as pb;

use crate::identity::Role;
use crate::policy::Use;

/// A fact: message `id` with `args`.
pub fn fact<const N: usize>(id: &str, args: [pb::FactArg; N]) -> pb::Fact {
    pb::Fact {
        id: id.to_string(),
        args: args.into(),
    }
}

/// A coded value: a message without arguments.
pub fn code(id: &str) -> pb::Fact {
    fact(id, [])
}

/// A protobuf enum value by its name ("ROUTING_RULE_EXPORT_RECORD" →
/// `routing-rule-export-record`), as `Texts::code` words it.
pub fn proto_code(name: &str) -> pb::Fact {
    code(&name.to_ascii_lowercase().replace('_', "-"))
}

/// An argument shown as written: a participant, a date, an id.
pub fn text(name: &str, value: impl ToString) -> pb::FactArg {
    pb::FactArg {
        name: name.to_string(),
        text: value.to_string(),
        facts: vec![],
    }
}

/// An argument worded in the reader's language.
pub fn word(name: &str, fact: pb::Fact) -> pb::FactArg {
    words(name, vec![fact])
}

/// An argument of several facts, worded and joined with ", ".
pub fn words(name: &str, facts: Vec<pb::Fact>) -> pb::FactArg {
    pb::FactArg {
        name: name.to_string(),
        text: String::new(),
        facts,
    }
}

/// The English wording of a fact: the `detail` stored beside it, for the
/// audit trail, the API and readers of old rows.
pub fn english(fact: &pb::Fact) -> String {
    crate::i18n::english().fact(fact)
}

/// A use of information (10.3), as a coded value.
pub fn use_of(u: Use) -> pb::Fact {
    code(match u {
        Use::Display(Role::Poc) => "history-use-display-poc",
        Use::Display(Role::Investigator) => "history-use-display-investigator",
        Use::Display(Role::Analyst) => "history-use-display-analyst",
        Use::Display(Role::Auditor) => "history-use-display-auditor",
        Use::Display(Role::Admin) => "history-use-display-admin",
        Use::ForwardToThirdState => "history-use-forward-to-third-state",
        Use::ForwardToHub => "history-use-forward-to-hub",
        Use::ForwardToUnPanel => "history-use-forward-to-un-panel",
        Use::Export => "history-use-export",
        Use::ExportAsEvidence => "history-use-export-as-evidence",
        Use::Report => "history-use-report",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, Texts};

    #[test]
    fn a_fact_reads_in_each_language_with_its_arguments_worded() {
        let sent = fact(
            "history-sent",
            [
                text("state", "BEL"),
                word("rule", proto_code("ROUTING_RULE_MANUFACTURE_MARKING")),
            ],
        );
        assert_eq!(
            english(&sent),
            "request sent to BEL (9.1 c manufacture marking)"
        );
        let fr = Texts::new(Lang::Fr).fact(&sent);
        assert!(fr.starts_with("demande envoyée à BEL"), "{fr}");
    }
}
