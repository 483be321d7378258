//! The languages people read: Fluent message catalogs embedded in the binary
//! (`node/i18n/<lang>/console.ftl` for the web console, `render.ftl` for the
//! text `itictl` and the demo print, `facts.ftl` for what the node finds
//! and both show: routing reasons, completeness hints, item summaries, the
//! clause 12 report), the language an officer reads in (from
//! the browser, or from the POSIX locale for `itictl`), and the translation
//! of coded values (TLP levels, restrictions, roles, states, payload kinds,
//! 10.4 cases, 10.5.2 reasons, mark kinds, withheld rules), one translation
//! each for the console and `itictl`. Officers' free text is never passed
//! through here: it is shown as written.
//!
//! Adding a language (es, ar, pt): its catalogs, a `Lang` variant and its
//! `dir` (Arabic is right to left). A message missing from a catalog falls
//! back to English; the tests require every catalog to be complete.

use std::sync::{Arc, OnceLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use iti_proto::v1 as pb;

/// A language of the console and of `itictl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// The BCP 47 tag, as in `lang` attributes and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The writing direction, for the `dir` attribute ("rtl" for Arabic).
    pub fn dir(self) -> &'static str {
        match self {
            Lang::En | Lang::Fr => "ltr",
        }
    }

    /// A language we have, from its tag ("fr", "fr-BE", "FR").
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best language of an `Accept-Language` header that we have;
    /// English when none is.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for item in accept_language.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag)
                && q > 0.0
                && best.is_none_or(|(b, _)| q > b)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    /// The language of the POSIX locale that applies to messages: the first
    /// of `LC_ALL`, `LC_MESSAGES` and `LANG` that is set and not empty
    /// ("fr_FR.UTF-8", "fr_BE", "fr" → French); English for "C", "POSIX",
    /// none, or a language we do not have. `var` reads the environment.
    pub fn from_posix(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(var)
            .find(|v| !v.is_empty())
            .and_then(|locale| Lang::from_tag(locale.split(['.', '@']).next()?))
            .unwrap_or(Lang::En)
    }

    /// Each catalog of this language, by file name.
    fn sources(self) -> [(&'static str, &'static str); 3] {
        match self {
            Lang::En => [
                ("console.ftl", include_str!("../i18n/en/console.ftl")),
                ("render.ftl", include_str!("../i18n/en/render.ftl")),
                ("facts.ftl", include_str!("../i18n/en/facts.ftl")),
            ],
            Lang::Fr => [
                ("console.ftl", include_str!("../i18n/fr/console.ftl")),
                ("render.ftl", include_str!("../i18n/fr/render.ftl")),
                ("facts.ftl", include_str!("../i18n/fr/facts.ftl")),
            ],
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

fn bundle(lang: Lang) -> Arc<Bundle> {
    static BUNDLES: OnceLock<Vec<Arc<Bundle>>> = OnceLock::new();
    let all = BUNDLES.get_or_init(|| {
        Lang::ALL
            .into_iter()
            .map(|l| {
                let tag = l.code().parse().unwrap_or_default();
                let mut b = FluentBundle::new_concurrent(vec![tag]);
                // Isolation marks would land inside attributes, ids and
                // terminals; the page's `dir` sets the direction.
                b.set_use_isolating(false);
                for (_, source) in l.sources() {
                    // The catalogs are part of the binary and checked by the tests.
                    let resource =
                        FluentResource::try_new(source.to_string()).unwrap_or_else(|(r, _)| r);
                    let _ = b.add_resource(resource);
                }
                Arc::new(b)
            })
            .collect()
    });
    all[Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0)].clone()
}

/// The messages of one language, for one page or one `itictl` command.
#[derive(Clone)]
pub struct Texts {
    pub lang: Lang,
    bundle: Arc<Bundle>,
    fallback: Arc<Bundle>,
}

/// The English messages: the language of the node's own words in what it
/// sends (a request's grounds, 9.2.1 b), whoever reads the screens.
pub fn english() -> Texts {
    Texts::new(Lang::En)
}

impl Texts {
    pub fn new(lang: Lang) -> Texts {
        Texts {
            lang,
            bundle: bundle(lang),
            fallback: bundle(Lang::En),
        }
    }

    /// A message, or its id when no catalog has it (visible, never silent).
    pub fn t(&self, id: &str) -> String {
        self.format(id, None).unwrap_or_else(|| id.to_string())
    }

    /// A message with arguments (`{ $count }`).
    pub fn t_with(&self, id: &str, args: &[(&str, String)]) -> String {
        let mut fluent = FluentArgs::new();
        for (k, v) in args {
            fluent.set(*k, FluentValue::from(v.clone()));
        }
        self.format(id, Some(&fluent))
            .unwrap_or_else(|| id.to_string())
    }

    /// The translation of a coded value, if the catalogs have one.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id) || self.fallback.has_message(id)
    }

    fn format(&self, id: &str, args: Option<&FluentArgs>) -> Option<String> {
        [&self.bundle, &self.fallback].into_iter().find_map(|b| {
            let pattern = b.get_message(id)?.value()?;
            let mut errors = vec![];
            Some(b.format_pattern(pattern, args, &mut errors).into_owned())
        })
    }

    /// A protobuf enum value by its name ("TLP_AMBER_STRICT" → message
    /// `tlp-amber-strict`); the name itself when no catalog has it.
    pub fn code(&self, proto_name: &str) -> String {
        let id = proto_name.to_ascii_lowercase().replace('_', "-");
        if self.has(&id) {
            self.t(&id)
        } else {
            proto_name.to_string()
        }
    }

    /// A coded value of our own (`prefix` "state", value
    /// "returned_for_completion" → message `state-returned-for-completion`;
    /// "lastLegalPossessor" → `part-lastlegalpossessor`); the value as it is
    /// when no catalog has it.
    pub fn coded(&self, prefix: &str, value: &str) -> String {
        self.find(prefix, value)
            .unwrap_or_else(|| value.to_string())
    }

    /// What happened to a trace, by its event kind: an event of its own
    /// ("follow_up_proposed"), the state the trace reached ("acknowledged"),
    /// or a kind of message received ("response_received"); the kind as it
    /// is when the catalogs have none of these.
    pub fn event(&self, kind: &str) -> String {
        let received = || {
            let message = self.find("payload-kind", kind.strip_suffix("_received")?)?;
            Some(self.t_with("event-received", &[("message", message)]))
        };
        self.find("event", kind)
            .or_else(|| self.find("state", kind))
            .or_else(received)
            .unwrap_or_else(|| kind.to_string())
    }

    /// A fact of a trace's history (`case::fact`) in this language: each
    /// argument as written, or its facts worded and joined with ", ".
    pub fn fact(&self, fact: &pb::Fact) -> String {
        let args: Vec<(&str, String)> = fact
            .args
            .iter()
            .map(|a| (a.name.as_str(), self.fact_arg(a)))
            .collect();
        self.t_with(&fact.id, &args)
    }

    fn fact_arg(&self, arg: &pb::FactArg) -> String {
        if arg.facts.is_empty() {
            return arg.text.clone();
        }
        let worded: Vec<String> = arg.facts.iter().map(|f| self.fact(f)).collect();
        worded.join(", ")
    }

    /// An event's detail: its fact in this language, or the English the
    /// node stored when it recorded no fact (events from before facts).
    pub fn detail(&self, fact: Option<&pb::Fact>, stored: &str) -> String {
        if let Some(f) = fact {
            return self.fact(f);
        }
        match withheld_labels(stored) {
            Some(labels) => {
                let what: Vec<String> = labels.map(|l| self.withheld(l)).collect();
                self.t_with("history-withheld", &[("what", what.join("; "))])
            }
            None => stored.to_string(),
        }
    }

    /// Who did something, as the node records it ("GHA/poc.officer (poc)",
    /// "node", "BEL"), with the officer's role and the node itself worded.
    pub fn actor(&self, actor: &str) -> String {
        if actor == "node" {
            return self.t("history-actor-node");
        }
        let officer = actor
            .strip_suffix(')')
            .and_then(|a| a.rsplit_once(" ("))
            .filter(|(_, role)| self.has(&format!("role-{role}")));
        match officer {
            Some((who, role)) => format!("{who} ({})", self.coded("role", role)),
            None => actor.to_string(),
        }
    }

    /// The message `prefix-value`, the value in lower case with a hyphen
    /// for each run of other characters, if a catalog has it.
    pub fn find(&self, prefix: &str, value: &str) -> Option<String> {
        let mut id = format!("{prefix}-");
        for c in value.trim().chars() {
            match c.to_ascii_lowercase() {
                c if c.is_ascii_alphanumeric() => id.push(c),
                _ if id.ends_with('-') => {}
                _ => id.push('-'),
            }
        }
        let id = id.trim_end_matches('-');
        self.has(id).then(|| self.t(id))
    }

    /// A part the release gate withheld, as the view models name it,
    /// "individuals (personal data)" (`gate::Withheld::label`): the part and
    /// each rule are coded values. A label of another shape is shown as it is.
    pub fn withheld(&self, label: &str) -> String {
        match label.strip_suffix(')').and_then(|l| l.rsplit_once(" (")) {
            Some((part, rules)) => format!(
                "{} ({})",
                self.coded("part", part),
                self.withheld_rules(rules)
            ),
            None => label.to_string(),
        }
    }

    /// The rules that withheld something, "TLP:RED, NO-ONWARD", translated.
    pub fn withheld_rules(&self, rules: &str) -> String {
        if let Some(whole) = self.find("rule", rules) {
            return whole;
        }
        rules
            .split(", ")
            .map(|r| self.coded("rule", r))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An event's detail the release gate withheld, as the view model carries
/// it: what was withheld and by which rules, never the detail itself.
pub fn withheld_detail(labels: &[String]) -> String {
    format!("{WITHHELD_PREFIX}{}]", labels.join("; "))
}

const WITHHELD_PREFIX: &str = "[withheld: ";

/// The labels of a detail made by [`withheld_detail`].
fn withheld_labels(detail: &str) -> Option<impl Iterator<Item = &str>> {
    let labels = detail.strip_prefix(WITHHELD_PREFIX)?.strip_suffix(']')?;
    Some(labels.split("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_detail_the_gate_withheld_reads_in_the_readers_language() {
        let detail = withheld_detail(&["individuals (personal data)".to_string()]);
        assert_eq!(
            Texts::new(Lang::En).detail(None, &detail),
            "[withheld: individuals (personal data)]"
        );
        assert_eq!(
            Texts::new(Lang::Fr).detail(None, &detail),
            "[non communiqué : personnes (données personnelles)]"
        );
        // Any other stored English is shown as written.
        assert_eq!(Texts::new(Lang::Fr).detail(None, "[withheld"), "[withheld");
    }

    /// The message ids of one catalog file of `lang`, in order.
    fn ids(lang: Lang, file: &str) -> Vec<String> {
        let (_, source) = lang
            .sources()
            .into_iter()
            .find(|(name, _)| *name == file)
            .unwrap_or_else(|| panic!("{}: no {file}", lang.code()));
        if let Err((_, e)) = FluentResource::try_new(source.to_string()) {
            panic!("{} {file} does not parse: {e:?}", lang.code());
        }
        source
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.to_string()))
            .collect()
    }

    #[test]
    fn every_catalog_parses_and_has_every_message_of_the_english_one() {
        for (file, _) in Lang::En.sources() {
            let english = ids(Lang::En, file);
            assert!(english.len() > 10, "{file}");
            for lang in Lang::ALL {
                every_message_once(lang, file, &english);
            }
        }
    }

    fn every_message_once(lang: Lang, file: &str, english: &[String]) {
        let have = ids(lang, file);
        let missing: Vec<&String> = english.iter().filter(|id| !have.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "{} {file}: missing {missing:?}",
            lang.code()
        );
        let extra: Vec<&String> = have.iter().filter(|id| !english.contains(id)).collect();
        assert!(
            extra.is_empty(),
            "{} {file}: not in English {extra:?}",
            lang.code()
        );
        let mut unique = have.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            have.len(),
            "{} {file}: an id twice",
            lang.code()
        );
    }

    /// The files of a language share one bundle: an id in two of them
    /// would be translated by whichever came first.
    #[test]
    fn no_message_is_in_two_catalogs_of_a_language() {
        for lang in Lang::ALL {
            let mut all: Vec<String> = lang
                .sources()
                .into_iter()
                .flat_map(|(file, _)| ids(lang, file))
                .collect();
            let count = all.len();
            all.sort();
            all.dedup();
            assert_eq!(all.len(), count, "{}: an id in two files", lang.code());
        }
    }

    #[test]
    fn itictl_takes_the_language_of_the_posix_locale() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            Lang::from_posix(move |k| {
                vars.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.to_string())
            })
        };
        assert_eq!(env(&[("LANG", "fr_FR.UTF-8")]), Lang::Fr);
        assert_eq!(env(&[("LANG", "fr_BE")]), Lang::Fr);
        assert_eq!(env(&[("LANG", "fr")]), Lang::Fr);
        assert_eq!(env(&[("LANG", "fr_CA.UTF-8@euro")]), Lang::Fr);
        assert_eq!(
            env(&[("LC_MESSAGES", "fr_FR.UTF-8"), ("LANG", "en_GB")]),
            Lang::Fr
        );
        assert_eq!(env(&[("LC_ALL", "C"), ("LANG", "fr_FR.UTF-8")]), Lang::En);
        assert_eq!(env(&[("LC_ALL", ""), ("LANG", "fr_FR.UTF-8")]), Lang::Fr);
        assert_eq!(env(&[("LANG", "de_DE.UTF-8")]), Lang::En);
        assert_eq!(env(&[]), Lang::En);
    }

    #[test]
    fn the_browser_language_is_taken_by_quality_and_english_is_the_default() {
        assert_eq!(Lang::negotiate("fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(Lang::negotiate("de-DE,en;q=0.5,fr;q=0.7"), Lang::Fr);
        assert_eq!(Lang::negotiate("de-DE"), Lang::En);
        assert_eq!(Lang::negotiate(""), Lang::En);
        assert_eq!(Lang::negotiate("fr;q=0"), Lang::En);
    }

    #[test]
    fn coded_values_are_translated_and_unknown_ones_shown_as_they_are() {
        let fr = Texts::new(Lang::Fr);
        assert_eq!(fr.code("TLP_AMBER_STRICT"), "TLP:AMBER+STRICT");
        assert_eq!(
            fr.code("USE_RESTRICTION_NO_ONWARD_DISCLOSURE"),
            "pas de divulgation ultérieure"
        );
        assert_eq!(fr.coded("state", "acknowledged"), "accusé de réception");
        assert_eq!(fr.code("NOT_A_CODE"), "NOT_A_CODE");
    }

    #[test]
    fn a_history_event_reads_as_its_own_event_a_state_or_a_message_received() {
        let fr = Texts::new(Lang::Fr);
        assert_eq!(fr.event("follow_up_proposed"), "suite proposée");
        assert_eq!(fr.event("acknowledged"), "accusé de réception");
        assert_eq!(
            fr.event("returned for completion"),
            "renvoyé pour complément"
        );
        assert_eq!(fr.event("response_received"), "réception : réponse");
        let en = Texts::new(Lang::En);
        assert_eq!(
            en.event("clarification_request_received"),
            "clarification request received"
        );
        assert_eq!(en.event("something_new"), "something_new");
    }
}
