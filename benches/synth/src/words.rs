//! Word lists (written for this project): house spellings, wire
//! abbreviations, editorial swaps, update notes, sections and months, and the
//! [`Lexicon`] built from them.

use std::collections::HashMap;

/// US and UK spellings.
pub(crate) const SPELLINGS: &[(&str, &str)] = &[
    ("program", "programme"),
    ("programs", "programmes"),
    ("labor", "labour"),
    ("center", "centre"),
    ("centers", "centres"),
    ("favor", "favour"),
    ("favorable", "favourable"),
    ("honor", "honour"),
    ("color", "colour"),
    ("behavior", "behaviour"),
    ("neighbor", "neighbour"),
    ("neighboring", "neighbouring"),
    ("harbor", "harbour"),
    ("organization", "organisation"),
    ("organizations", "organisations"),
    ("analyze", "analyse"),
    ("analyzed", "analysed"),
    ("realize", "realise"),
    ("realized", "realised"),
    ("recognize", "recognise"),
    ("recognized", "recognised"),
    ("authorize", "authorise"),
    ("authorized", "authorised"),
    ("privatization", "privatisation"),
    ("stabilize", "stabilise"),
    ("subsidize", "subsidise"),
    ("criticize", "criticise"),
    ("criticized", "criticised"),
    ("emphasize", "emphasise"),
    ("emphasized", "emphasised"),
    ("minimize", "minimise"),
    ("maximize", "maximise"),
    ("utilize", "utilise"),
    ("utilized", "utilised"),
    ("liberalization", "liberalisation"),
    ("defense", "defence"),
    ("offense", "offence"),
    ("traveled", "travelled"),
    ("fueled", "fuelled"),
    ("canceled", "cancelled"),
    ("labeled", "labelled"),
    ("modeling", "modelling"),
    ("gray", "grey"),
    ("jewelry", "jewellery"),
    ("catalog", "catalogue"),
    ("fiber", "fibre"),
    ("liter", "litre"),
    ("liters", "litres"),
    ("meter", "metre"),
    ("meters", "metres"),
    ("tonnage", "tonnage"),
];

/// Wire abbreviations and their spelled-out forms (`pct` is handled apart:
/// `percent` or `per cent` after the house spelling).
pub(crate) const EXPANSIONS: &[(&str, &str)] = &[
    ("mln", "million"),
    ("bln", "billion"),
    ("dlrs", "dollars"),
    ("dlr", "dollar"),
    ("cts", "cents"),
    ("qtr", "quarter"),
    ("yr", "year"),
    ("avg", "average"),
    ("govt", "government"),
    ("shrs", "shares"),
];

/// Light editorial swaps (one direction each).
pub(crate) const EDITS: &[(&str, &str)] = &[
    ("rose", "climbed"),
    ("climbed", "rose"),
    ("fell", "declined"),
    ("declined", "fell"),
    ("about", "around"),
    ("around", "about"),
    ("company", "firm"),
    ("firm", "company"),
    ("expects", "anticipates"),
    ("plans", "intends"),
    ("large", "big"),
    ("big", "large"),
    ("buy", "acquire"),
    ("increase", "rise"),
    ("major", "leading"),
    ("spokesman", "spokesperson"),
    ("talks", "negotiations"),
    ("officials", "authorities"),
    ("agreement", "deal"),
    ("sharply", "steeply"),
    ("total", "overall"),
    ("told", "informed"),
    ("also", "additionally"),
    ("but", "however"),
    ("begin", "start"),
    ("start", "begin"),
    ("shares", "stock"),
    ("profit", "earnings"),
];

pub(crate) const UPDATE_NOTES: &[&str] = &[
    "(Updates with analyst comment in paragraph {n})",
    "(Updates with company statement in paragraph {n})",
    "(Adds background in paragraph {n})",
    "(Updates with details from news conference in paragraph {n})",
    "(Adds quote from ministry official in paragraph {n})",
    "(Updates with closing share prices)",
    "(Adds official reaction, details on financing)",
    "(Recasts lead, adds quotes)",
];

pub(crate) const SECTIONS: &[&str] = &[
    "Business",
    "Markets",
    "World",
    "Economy",
    "Companies",
    "Commodities",
    "Energy",
    "Finance",
];

pub(crate) const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The house spelling of an outlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spelling {
    Keep,
    Us,
    Uk,
}

pub(crate) struct Lexicon {
    pub(crate) us_to_uk: HashMap<&'static str, &'static str>,
    pub(crate) uk_to_us: HashMap<&'static str, &'static str>,
    pub(crate) expansions: HashMap<&'static str, &'static str>,
    pub(crate) edits: HashMap<&'static str, &'static str>,
}

impl Lexicon {
    pub(crate) fn new() -> Lexicon {
        Lexicon {
            us_to_uk: SPELLINGS.iter().copied().collect(),
            uk_to_us: SPELLINGS.iter().map(|&(us, uk)| (uk, us)).collect(),
            expansions: EXPANSIONS.iter().copied().collect(),
            edits: EDITS.iter().copied().collect(),
        }
    }

    pub(crate) fn house_word(
        &self,
        spelling: Spelling,
        expand: bool,
        w: &str,
    ) -> Option<&'static str> {
        if expand {
            if w == "pct" {
                return Some(if spelling == Spelling::Uk {
                    "per cent"
                } else {
                    "percent"
                });
            }
            if let Some(&x) = self.expansions.get(w) {
                return Some(x);
            }
        }
        match spelling {
            Spelling::Uk => self.us_to_uk.get(w).copied(),
            Spelling::Us => self.uk_to_us.get(w).copied(),
            Spelling::Keep => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::map_words;

    #[test]
    fn house_style_keeps_case() {
        let lex = Lexicon::new();
        let f = |w: &str| lex.house_word(Spelling::Uk, true, w);
        let got = map_words("The Program cost 5 mln dlrs, up 3 pct; LABOR rose.", f);
        assert_eq!(
            got.as_deref(),
            Some("The Programme cost 5 million dollars, up 3 per cent; LABOUR rose.")
        );
        assert_eq!(map_words("nothing here", f), None);
        let us = |w: &str| lex.house_word(Spelling::Us, false, w);
        assert_eq!(
            map_words("a labour programme", us).as_deref(),
            Some("a labor program")
        );
        // Non-ASCII and alphanumeric words are left alone.
        assert_eq!(map_words("programa mln2 Zürich", f), None);
    }
}
