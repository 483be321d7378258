//! The console's languages: Fluent message catalogs embedded in the binary
//! (`node/i18n/<lang>/console.ftl`), the language an officer reads in, and
//! the translation of coded values (TLP levels, restrictions, roles, states,
//! payload kinds, 10.4 cases, 10.5.2 reasons, mark kinds). Officers' free
//! text is never passed through here: it is shown as written.
//!
//! Adding a language (es, ar, pt): a catalog, a `Lang` variant and its
//! `dir` (Arabic is right to left). A message missing from a catalog falls
//! back to English; the tests require every catalog to be complete.

use std::sync::{Arc, OnceLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language of the console.
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

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../i18n/en/console.ftl"),
            Lang::Fr => include_str!("../../i18n/fr/console.ftl"),
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
                // The catalogs are part of the binary and checked by the tests.
                let resource =
                    FluentResource::try_new(l.source().to_string()).unwrap_or_else(|(r, _)| r);
                let tag = l.code().parse().unwrap_or_default();
                let mut b = FluentBundle::new_concurrent(vec![tag]);
                // Isolation marks would land inside attributes and ids; the
                // page's `dir` sets the direction.
                b.set_use_isolating(false);
                let _ = b.add_resource(resource);
                Arc::new(b)
            })
            .collect()
    });
    all[Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0)].clone()
}

/// The messages of one language, for one page.
#[derive(Clone)]
pub struct Texts {
    pub lang: Lang,
    bundle: Arc<Bundle>,
    fallback: Arc<Bundle>,
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

    /// A coded value of our own (`prefix` "state", value "returned_for_completion").
    pub fn coded(&self, prefix: &str, value: &str) -> String {
        let id = format!("{prefix}-{}", value.replace(['_', ' '], "-"));
        if self.has(&id) {
            self.t(&id)
        } else {
            value.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(lang: Lang) -> Vec<String> {
        if let Err((_, e)) = FluentResource::try_new(lang.source().to_string()) {
            panic!("{} catalog does not parse: {e:?}", lang.code());
        }
        lang.source()
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.to_string()))
            .collect()
    }

    #[test]
    fn every_catalog_parses_and_has_every_message_of_the_english_one() {
        let english = ids(Lang::En);
        assert!(english.len() > 50);
        for lang in Lang::ALL {
            let have = ids(lang);
            let missing: Vec<&String> = english.iter().filter(|id| !have.contains(id)).collect();
            assert!(missing.is_empty(), "{}: missing {missing:?}", lang.code());
            let extra: Vec<&String> = have.iter().filter(|id| !english.contains(id)).collect();
            assert!(
                extra.is_empty(),
                "{}: not in English {extra:?}",
                lang.code()
            );
        }
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
}
