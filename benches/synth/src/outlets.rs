//! The invented outlets (their boilerplate is written for this project) and
//! the rendering of a copy: as a plain wire, or in an outlet's frame and
//! style.

use crate::rng::Rng;
use crate::text::{push_wrapped, sentence_case, strip_tickers, title_case, words_of};
use crate::words::{Spelling, MONTHS, SECTIONS};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Case {
    Keep,
    Title,
    Sentence,
    Upper,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Layout {
    /// The whole body on one line, as scraped from a page.
    OneLine,
    /// One line per paragraph.
    Lines,
    /// Paragraphs separated by a blank line.
    Blank,
    /// Wrapped at a width, paragraphs after the first indented.
    Wrapped(usize, usize),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Dateline {
    /// `CITY, Mon DD - `
    Wire,
    /// `CITY, Mon DD (Reuters) - `
    Agency,
    /// `[CITY] `
    Bracket,
    /// `CITY -- `
    Dash,
    /// No dateline.
    Strip,
}

/// An invented outlet; its name is the first masthead line.
pub(crate) struct Outlet {
    /// Lines before the headline; `{section}`, `{date}`, `{year}` and
    /// `{mins}` are filled in per article.
    pub(crate) masthead: &'static [&'static str],
    /// Lines between the headline and the body.
    pub(crate) byline: &'static [&'static str],
    /// Lines after the body.
    pub(crate) footer: &'static [&'static str],
    pub(crate) case: Case,
    pub(crate) layout: Layout,
    pub(crate) dateline: Dateline,
    pub(crate) spelling: Spelling,
    pub(crate) expand: bool,
}

/// Number of invented outlets.
pub const OUTLET_COUNT: usize = OUTLETS.len();

pub(crate) const OUTLETS: &[Outlet] = &[
    Outlet {
        masthead: &["The Harbour Ledger", "Business | Markets | Shipping | Energy | Opinion | Subscribe"],
        byline: &["{section} | {date}"],
        footer: &[
            "Sign up for our newsletter: The Ledger Morning Brief arrives in your inbox before the markets open.",
            "(c) {year} The Harbour Ledger. All rights reserved. This article was published from a news agency feed and was not edited by Ledger staff.",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Bracket,
        spelling: Spelling::Uk,
        expand: true,
    },
    Outlet {
        masthead: &["NORTHGATE BUSINESS DAILY", "Home > {section} > Latest News"],
        byline: &["Last updated: {date}"],
        footer: &[
            "(Only the headline and picture of this report may have been reworked by the Northgate Business Daily staff; the rest of the content is auto-generated from a syndicated feed.)",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Wire,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["Meridian Markets Review", "Menu  Search  Sign in  Subscribe"],
        byline: &["By Meridian staff and wire reports", "{date} - {mins} min read"],
        footer: &[
            "Related coverage",
            "Share this article: Email | Print | Copy link",
            "Meridian Markets Review is supported by readers like you. Become a member for unlimited access to our reporting.",
        ],
        case: Case::Title,
        layout: Layout::Lines,
        dateline: Dateline::Agency,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &["Pinecrest Gazette", "News  Sport  Business  Weather  Obituaries  Classifieds"],
        byline: &["Posted {date}"],
        footer: &[
            "Copyright {year} Pinecrest Gazette. This material may not be published, broadcast, rewritten or redistributed without permission.",
            "Get breaking news alerts from the Pinecrest Gazette: download our free app.",
        ],
        case: Case::Sentence,
        layout: Layout::Blank,
        dateline: Dateline::Strip,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &["Eastbank Herald - serving the east bank since 1911"],
        byline: &["{section}", "{date}"],
        footer: &[
            "Advertisement",
            "Most read: Council delays vote on the ring road budget | Rail works to close the eastern line for a week | Your photographs of the autumn fair",
            "Eastbank Herald, 14 Quay Road. (c) Eastbank Herald Media {year}",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Dash,
        spelling: Spelling::Uk,
        expand: false,
    },
    Outlet {
        masthead: &["TIDEWATER JOURNAL OF COMMERCE", "Trade | Ports | Logistics | Commodities | Finance"],
        byline: &["Wire story | {date}"],
        footer: &["This story has been published from a wire agency feed without modifications to the text."],
        case: Case::Upper,
        layout: Layout::Wrapped(72, 2),
        dateline: Dateline::Wire,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["Summit Street Wire"],
        byline: &[],
        footer: &[
            "Tags: {section}, markets, companies",
            "Never miss a story. Sign up for the Summit Street daily newsletter.",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Agency,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &[
            "Lakeshore Tribune",
            "Subscribe now and get your first month for one dollar",
            "Home / {section}",
        ],
        byline: &["By the Tribune business desk", "Published {date}"],
        footer: &[
            "Comments are closed for this article.",
            "The Lakeshore Tribune welcomes letters to the editor. Write to us at letters@lakeshore-tribune.example.",
            "Copyright {year} Lakeshore Tribune Publishing Co.",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Wire,
        spelling: Spelling::Us,
        expand: true,
    },
    Outlet {
        masthead: &["Granite Exchange Report | Data | Analysis | Newsletters"],
        byline: &["{date}"],
        footer: &[
            "Disclaimer: Granite Exchange Report republishes agency news for information only. Nothing in this article is investment advice.",
        ],
        case: Case::Keep,
        layout: Layout::Lines,
        dateline: Dateline::Bracket,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["The Coastline Morning Star", "Today's paper | E-edition | Puzzles"],
        byline: &["{section} desk", "{date}"],
        footer: &[
            "Want more stories like this? Follow the Morning Star on social media and sign up for our evening briefing.",
            "(c) {year} Coastline Media Group",
        ],
        case: Case::Sentence,
        layout: Layout::Blank,
        dateline: Dateline::Strip,
        spelling: Spelling::Uk,
        expand: false,
    },
    Outlet {
        masthead: &["Westfield Observer"],
        byline: &["Story from our wire partners - {date}"],
        footer: &[
            "Westfield Observer may earn a commission from links on this page.",
            "More from Westfield Observer: Weather | Traffic | Schools | Local sport",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Agency,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &["BRIGHTWATER BUSINESS JOURNAL", "Companies  Markets  Economy  Property  Careers"],
        byline: &["{mins}-minute read"],
        footer: &[
            "Sign up for our newsletter",
            "Enter your email address to receive the Brightwater morning briefing. You can unsubscribe at any time.",
            "(c) Brightwater Business Journal {year}. All rights reserved.",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Wire,
        spelling: Spelling::Uk,
        expand: false,
    },
    Outlet {
        masthead: &["Redstone Press"],
        byline: &[],
        footer: &["-- Redstone Press wire desk"],
        case: Case::Upper,
        layout: Layout::Wrapped(66, 4),
        dateline: Dateline::Wire,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["Oakhurst Daily Digest", "Your morning roundup of money and markets"],
        byline: &["{date}"],
        footer: &[
            "You are reading the free edition of the Oakhurst Daily Digest. Paid subscribers get every story a day early, plus our weekly markets letter.",
            "Forward this email to a friend. Unsubscribe | Manage preferences",
        ],
        case: Case::Title,
        layout: Layout::Lines,
        dateline: Dateline::Dash,
        spelling: Spelling::Us,
        expand: true,
    },
    Outlet {
        masthead: &["Silverline Finance", "Stocks  Bonds  Currencies  Commodities  Personal finance"],
        byline: &["Wire | {date}"],
        footer: &[
            "Quotes delayed at least 15 minutes. Market data provided by third parties.",
            "Error loading data. Sign in to access your watchlist. Error loading data.",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Agency,
        spelling: Spelling::Us,
        expand: true,
    },
    Outlet {
        masthead: &["CROSSROADS REGIONAL NEWS"],
        byline: &["{section} | {date}"],
        footer: &[
            "Report a typo or a correction: corrections@crossroads-news.example",
            "Crossroads Regional News is part of the Crossroads Community Media network.",
        ],
        case: Case::Sentence,
        layout: Layout::Blank,
        dateline: Dateline::Bracket,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &["Fenwick Trade Bulletin - members' edition"],
        byline: &["Circulated {date}"],
        footer: &[
            "Members may forward this bulletin within their own organisation. Any other circulation needs the written consent of the Fenwick Trade Association.",
        ],
        case: Case::Upper,
        layout: Layout::Wrapped(70, 4),
        dateline: Dateline::Wire,
        spelling: Spelling::Uk,
        expand: false,
    },
    Outlet {
        masthead: &["Marlow Valley Courier", "Local news you can trust"],
        byline: &["Published: {date}"],
        footer: &[
            "Sign up for our newsletter",
            "Support local journalism: subscribe to the Marlow Valley Courier from just a few pence a day.",
            "(c) {year} Marlow Valley Courier Ltd.",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Strip,
        spelling: Spelling::Uk,
        expand: true,
    },
    Outlet {
        masthead: &["Atlas Newsroom", "Top stories | For you | Following | Local"],
        byline: &["via wire services - {mins} min read"],
        footer: &[
            "Atlas Newsroom gathers stories from hundreds of publishers. Download the Atlas app for headlines picked for you.",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Agency,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["The Kestrel Point Times"],
        byline: &["{section}", "By Times staff | {date}"],
        footer: &[
            "This article originally appeared on a wire service and is republished here under licence.",
            "Follow us: Facebook | Instagram | Email alerts",
        ],
        case: Case::Title,
        layout: Layout::Lines,
        dateline: Dateline::Dash,
        spelling: Spelling::Uk,
        expand: false,
    },
];

pub(crate) fn render_wire(
    title: &str,
    dateline: Option<&str>,
    paras: &[String],
    note: Option<&(String, bool)>,
    out: &mut String,
) {
    out.push_str(&title.to_uppercase());
    out.push_str("\n\n");
    if let Some((n, true)) = note {
        out.push_str(n);
        out.push('\n');
    }
    for (i, p) in paras.iter().enumerate() {
        if i == 0 {
            let lead = match dateline {
                Some(d) => format!("{d} - {p}"),
                None => p.clone(),
            };
            push_wrapped(&lead, 70, 0, out);
        } else {
            push_wrapped(p, 70, 4, out);
        }
    }
    if let Some((n, false)) = note {
        out.push_str("    ");
        out.push_str(n);
        out.push('\n');
    }
    out.push_str(" Reuter\n");
}

pub(crate) fn render_outlet(
    o: &Outlet,
    title: &str,
    dateline: Option<&str>,
    paras: &[String],
    note: Option<&(String, bool)>,
    rng: &mut Rng,
    out: &mut String,
) {
    let year = 2023 + rng.below(3);
    let (month, day) = (rng.pick(MONTHS), rng.range(1, 28));
    let date = if o.spelling == Spelling::Uk {
        format!("{day} {month} {year}")
    } else {
        format!("{month} {day}, {year}")
    };
    let section = rng.pick(SECTIONS);
    let mins = (words_of(paras) / 200 + 1).to_string();
    let fill = |t: &str, out: &mut String| {
        out.push_str(
            &t.replace("{date}", &date)
                .replace("{year}", &year.to_string())
                .replace("{section}", section)
                .replace("{mins}", &mins),
        );
        out.push('\n');
    };
    for line in o.masthead {
        fill(line, out);
    }
    out.push('\n');
    let headline = match o.case {
        Case::Keep => title.to_string(),
        Case::Title => title_case(&strip_tickers(title)),
        Case::Sentence => sentence_case(&strip_tickers(title)),
        Case::Upper => title.to_uppercase(),
    };
    out.push_str(&headline);
    out.push('\n');
    for line in o.byline {
        fill(line, out);
    }
    out.push('\n');

    let mut body: Vec<String> = Vec::with_capacity(paras.len() + 1);
    if let Some((n, true)) = note {
        body.push(n.clone());
    }
    for (i, p) in paras.iter().enumerate() {
        match (i, dateline) {
            (0, Some(d)) => {
                let city = d.split(',').next().unwrap_or(d).trim();
                body.push(match o.dateline {
                    Dateline::Wire => format!("{d} - {p}"),
                    Dateline::Agency => format!("{d} (Reuters) - {p}"),
                    Dateline::Bracket => format!("[{city}] {p}"),
                    Dateline::Dash => format!("{city} -- {p}"),
                    Dateline::Strip => p.clone(),
                });
            }
            _ => body.push(p.clone()),
        }
    }
    if let Some((n, false)) = note {
        body.push(n.clone());
    }
    match o.layout {
        Layout::OneLine => {
            out.push_str(&body.join(" "));
            out.push('\n');
        }
        Layout::Lines => {
            for p in &body {
                out.push_str(p);
                out.push('\n');
            }
        }
        Layout::Blank => {
            for (i, p) in body.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(p);
                out.push('\n');
            }
        }
        Layout::Wrapped(width, indent) => {
            for (i, p) in body.iter().enumerate() {
                push_wrapped(p, width, if i == 0 { 0 } else { indent }, out);
            }
        }
    }
    out.push('\n');
    for line in o.footer {
        fill(line, out);
    }
}
