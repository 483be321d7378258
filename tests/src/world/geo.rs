//! The world the benchmark runs: the 193 member states of the United
//! Nations by their ISO 3166-1 alpha-3 codes, six regional organisations
//! with their real members (some states belong to two), the links their
//! hubs keep with each other, an INTERPOL-style broker that every hub links
//! to and that serves the states in no hub, and a few neighbours that peer
//! directly.

/// The 193 member states of the United Nations.
pub const STATES: [&str; 193] = [
    "AFG", "ALB", "DZA", "AND", "AGO", "ATG", "ARG", "ARM", "AUS", "AUT", "AZE", "BHS", "BHR",
    "BGD", "BRB", "BLR", "BEL", "BLZ", "BEN", "BTN", "BOL", "BIH", "BWA", "BRA", "BRN", "BGR",
    "BFA", "BDI", "CPV", "KHM", "CMR", "CAN", "CAF", "TCD", "CHL", "CHN", "COL", "COM", "COG",
    "CRI", "CIV", "HRV", "CUB", "CYP", "CZE", "PRK", "COD", "DNK", "DJI", "DMA", "DOM", "ECU",
    "EGY", "SLV", "GNQ", "ERI", "EST", "SWZ", "ETH", "FJI", "FIN", "FRA", "GAB", "GMB", "GEO",
    "DEU", "GHA", "GRC", "GRD", "GTM", "GIN", "GNB", "GUY", "HTI", "HND", "HUN", "ISL", "IND",
    "IDN", "IRN", "IRQ", "IRL", "ISR", "ITA", "JAM", "JPN", "JOR", "KAZ", "KEN", "KIR", "KWT",
    "KGZ", "LAO", "LVA", "LBN", "LSO", "LBR", "LBY", "LIE", "LTU", "LUX", "MDG", "MWI", "MYS",
    "MDV", "MLI", "MLT", "MHL", "MRT", "MUS", "MEX", "FSM", "MDA", "MCO", "MNG", "MNE", "MAR",
    "MOZ", "MMR", "NAM", "NRU", "NPL", "NLD", "NZL", "NIC", "NER", "NGA", "MKD", "NOR", "OMN",
    "PAK", "PLW", "PAN", "PNG", "PRY", "PER", "PHL", "POL", "PRT", "QAT", "KOR", "ROU", "RUS",
    "RWA", "KNA", "LCA", "VCT", "WSM", "SMR", "STP", "SAU", "SEN", "SRB", "SYC", "SLE", "SGP",
    "SVK", "SVN", "SLB", "SOM", "ZAF", "SSD", "ESP", "LKA", "SDN", "SUR", "SWE", "CHE", "SYR",
    "TJK", "THA", "TLS", "TGO", "TON", "TTO", "TUN", "TUR", "TKM", "TUV", "UGA", "UKR", "ARE",
    "GBR", "TZA", "USA", "URY", "UZB", "VUT", "VEN", "VNM", "YEM", "ZMB", "ZWE",
];

/// A regional organisation whose hub relays for its members.
#[derive(Debug, Clone, Copy)]
pub struct Region {
    /// The hub's name: its participant id is `hub:NAME`.
    pub name: &'static str,
    pub members: &'static [&'static str],
}

/// The six regional hubs, in the order `--hubs N` takes them (the first two
/// are not linked to each other, so that a small world still has traces
/// across three hubs).
pub const REGIONS: [Region; 6] = [
    Region {
        name: "ECOWAS",
        members: &[
            "BEN", "BFA", "CPV", "CIV", "GMB", "GHA", "GIN", "GNB", "LBR", "MLI", "NER", "NGA",
            "SEN", "SLE", "TGO",
        ],
    },
    Region {
        name: "ASEAN",
        members: &[
            "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM",
        ],
    },
    Region {
        name: "EU",
        members: &[
            "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
            "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
            "SVN", "ESP", "SWE",
        ],
    },
    Region {
        name: "SADC",
        members: &[
            "AGO", "BWA", "COM", "COD", "SWZ", "LSO", "MDG", "MWI", "MUS", "MOZ", "NAM", "SYC",
            "ZAF", "TZA", "ZMB", "ZWE",
        ],
    },
    Region {
        name: "EAC",
        members: &["BDI", "KEN", "RWA", "SSD", "TZA", "UGA", "COD", "SOM"],
    },
    Region {
        name: "OAS",
        members: &[
            "ATG", "ARG", "BHS", "BRB", "BLZ", "BOL", "BRA", "CAN", "CHL", "COL", "CRI", "CUB",
            "DMA", "DOM", "ECU", "SLV", "GRD", "GTM", "GUY", "HTI", "HND", "JAM", "MEX", "NIC",
            "PAN", "PRY", "PER", "KNA", "LCA", "VCT", "SUR", "TTO", "USA", "URY", "VEN",
        ],
    },
];

/// Hubs that peer with each other directly (hub-to-hub); every hub also
/// peers with the broker.
pub const HUB_LINKS: [(&str, &str); 3] = [("ECOWAS", "EU"), ("EU", "OAS"), ("SADC", "EAC")];

/// The broker's name (`hub:INTERPOL`).
pub const BROKER: &str = "INTERPOL";

/// Neighbours that also peer directly with each other (bilateral
/// agreements), whatever hubs they belong to.
pub const NEIGHBOURS: [(&str, &str); 22] = [
    ("GHA", "TGO"),
    ("THA", "MYS"),
    ("FRA", "DEU"),
    ("NGA", "BEN"),
    ("ZAF", "NAM"),
    ("KEN", "UGA"),
    ("USA", "CAN"),
    ("CHN", "RUS"),
    ("SEN", "GMB"),
    ("BEL", "NLD"),
    ("BRA", "ARG"),
    ("IND", "NPL"),
    ("JPN", "KOR"),
    ("AUS", "NZL"),
    ("EGY", "SDN"),
    ("NOR", "SWE"),
    ("GBR", "IRL"),
    ("TUR", "GRC"),
    ("CHE", "ITA"),
    ("MAR", "ESP"),
    ("SAU", "ARE"),
    ("MOZ", "TZA"),
];
