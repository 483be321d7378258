//! Who takes part in a world of a given size, who peers with whom, the
//! routes each node is configured with, and the hubs a trace between two
//! states is expected to cross.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;

use super::geo::{BROKER, HUB_LINKS, NEIGHBOURS, REGIONS, Region, STATES};

/// What kind of node a participant runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    State,
    Hub,
    Broker,
}

/// One world: its states, hubs and links.
#[derive(Debug, Clone)]
pub struct Topology {
    /// The states taking part, ISO 3166-1 alpha-3.
    pub states: Vec<String>,
    /// The regional hubs taking part.
    pub regions: Vec<Region>,
    /// Each state's hubs (ids `hub:NAME`), in the order of `REGIONS`; empty
    /// for a state in none (it reaches the world through the broker).
    pub membership: BTreeMap<String, Vec<String>>,
    /// Hub-to-hub links between hubs taking part (ids).
    pub links: Vec<(String, String)>,
    /// Neighbours taking part that peer directly.
    pub neighbours: Vec<(String, String)>,
    /// Derived once: each participant's peers, what each serves, each
    /// one's explicit routes (for `path`, asked of every pair).
    derived: Derived,
}

#[derive(Debug, Clone, Default)]
struct Derived {
    peers: BTreeMap<String, Vec<String>>,
    serves: BTreeMap<String, BTreeSet<String>>,
    routes: BTreeMap<String, BTreeMap<String, String>>,
}

pub fn hub_id(name: &str) -> String {
    format!("hub:{name}")
}

pub fn broker_id() -> String {
    hub_id(BROKER)
}

impl Topology {
    /// `states` states and the first `hubs` regional hubs. A smaller world
    /// takes states from every hub in turn and from the states in none,
    /// neighbours that peer directly first, so that every kind of route is
    /// there from a few states up.
    pub fn new(states: usize, hubs: usize) -> anyhow::Result<Topology> {
        if states < 2 || states > STATES.len() {
            bail!("--states: between 2 and {}", STATES.len());
        }
        if hubs > REGIONS.len() {
            bail!("--hubs: at most {}", REGIONS.len());
        }
        let regions: Vec<Region> = REGIONS[..hubs].to_vec();
        let in_neighbours: Vec<&str> = NEIGHBOURS.iter().flat_map(|(a, b)| [*a, *b]).collect();
        // Within a group: states of a neighbour pair first (in the pairs'
        // order), then the rest in `STATES` order.
        let order = |group: Vec<&'static str>| -> Vec<&'static str> {
            let mut first: Vec<&str> = Vec::new();
            for s in &in_neighbours {
                if group.contains(s) && !first.contains(s) {
                    first.push(s);
                }
            }
            let rest = group.iter().filter(|s| !first.contains(s)).copied();
            first.iter().copied().chain(rest).collect()
        };
        let in_a_region = |s: &str| regions.iter().any(|r| r.members.contains(&s));
        let mut groups: Vec<Vec<&str>> = regions
            .iter()
            .map(|r| {
                let members: Vec<&str> = STATES
                    .iter()
                    .copied()
                    .filter(|s| r.members.contains(s))
                    .collect();
                order(members)
            })
            .collect();
        groups.push(order(
            STATES.iter().copied().filter(|s| !in_a_region(s)).collect(),
        ));
        let mut chosen: Vec<String> = Vec::new();
        let mut cursors = vec![0usize; groups.len()];
        while chosen.len() < states {
            let mut progressed = false;
            for (g, group) in groups.iter().enumerate() {
                while cursors[g] < group.len() && chosen.iter().any(|c| c == group[cursors[g]]) {
                    cursors[g] += 1;
                }
                if cursors[g] < group.len() && chosen.len() < states {
                    chosen.push(group[cursors[g]].to_string());
                    cursors[g] += 1;
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
        let membership = chosen
            .iter()
            .map(|s| {
                let hubs = regions
                    .iter()
                    .filter(|r| r.members.contains(&s.as_str()))
                    .map(|r| hub_id(r.name))
                    .collect();
                (s.clone(), hubs)
            })
            .collect();
        let taking_part = |name: &str| regions.iter().any(|r| r.name == name);
        let links = HUB_LINKS
            .iter()
            .filter(|(a, b)| taking_part(a) && taking_part(b))
            .map(|(a, b)| (hub_id(a), hub_id(b)))
            .collect();
        let neighbours = NEIGHBOURS
            .iter()
            .filter(|(a, b)| chosen.iter().any(|c| c == a) && chosen.iter().any(|c| c == b))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let mut topology = Topology {
            states: chosen,
            regions,
            membership,
            links,
            neighbours,
            derived: Derived::default(),
        };
        let mut derived = Derived::default();
        for (a, b) in topology.peerings() {
            derived.peers.entry(a).or_default().push(b);
        }
        for (id, _) in topology.participants() {
            derived
                .serves
                .insert(id.clone(), topology.serves(&id).into_iter().collect());
            derived
                .routes
                .insert(id.clone(), topology.routes(&id).into_iter().collect());
        }
        topology.derived = derived;
        Ok(topology)
    }

    pub fn hubs(&self) -> Vec<String> {
        self.regions.iter().map(|r| hub_id(r.name)).collect()
    }

    /// Every participant: states, regional hubs, the broker.
    pub fn participants(&self) -> Vec<(String, Kind)> {
        self.states
            .iter()
            .map(|s| (s.clone(), Kind::State))
            .chain(self.hubs().into_iter().map(|h| (h, Kind::Hub)))
            .chain([(broker_id(), Kind::Broker)])
            .collect()
    }

    pub fn kind(&self, participant: &str) -> Kind {
        if participant == broker_id() {
            Kind::Broker
        } else if participant.starts_with("hub:") {
            Kind::Hub
        } else {
            Kind::State
        }
    }

    /// The states in no hub taking part: the broker serves them.
    pub fn unaffiliated(&self) -> Vec<String> {
        self.states
            .iter()
            .filter(|s| self.membership[*s].is_empty())
            .cloned()
            .collect()
    }

    /// The states a hub serves (the broker: those in no hub); empty for a
    /// state. What its peer card and directory entry say it serves.
    pub fn serves(&self, participant: &str) -> Vec<String> {
        match self.kind(participant) {
            Kind::State => vec![],
            Kind::Broker => self.unaffiliated(),
            Kind::Hub => self
                .states
                .iter()
                .filter(|s| self.membership[*s].iter().any(|h| h == participant))
                .cloned()
                .collect(),
        }
    }

    /// Where a state sends what no peer of its serves: its first hub, or
    /// the broker.
    pub fn home(&self, state: &str) -> String {
        self.membership[state]
            .first()
            .cloned()
            .unwrap_or_else(broker_id)
    }

    fn linked(&self, hub: &str) -> Vec<String> {
        self.links
            .iter()
            .filter_map(|(a, b)| {
                if a == hub {
                    Some(b.clone())
                } else if b == hub {
                    Some(a.clone())
                } else {
                    None
                }
            })
            .collect()
    }

    /// Every peering, as (who pins, whose card): both directions of each
    /// link. States pin their hubs (or the broker) and their neighbours;
    /// hubs pin their members, the hubs they link to and the broker.
    pub fn peerings(&self) -> Vec<(String, String)> {
        let mut pairs = BTreeSet::new();
        let mut both = |a: &str, b: &str| {
            pairs.insert((a.to_string(), b.to_string()));
            pairs.insert((b.to_string(), a.to_string()));
        };
        for s in &self.states {
            let hubs = &self.membership[s];
            if hubs.is_empty() {
                both(s, &broker_id());
            }
            for h in hubs {
                both(s, h);
            }
        }
        for (a, b) in &self.links {
            both(a, b);
        }
        for h in self.hubs() {
            both(&h, &broker_id());
        }
        for (a, b) in &self.neighbours {
            both(a, b);
        }
        pairs.into_iter().collect()
    }

    /// The peers a participant pins, sorted as a node lists them.
    pub fn peers_of(&self, participant: &str) -> Vec<String> {
        self.derived
            .peers
            .get(participant)
            .cloned()
            .unwrap_or_default()
    }

    /// The `routes` of a participant's configuration. A state: its home
    /// for everything (`"*"`). A regional hub: the broker for everything,
    /// named for each state no hub it links to serves, so that a route it
    /// learns from whichever hub introduced a state first never sends a
    /// trace round another region. The broker: none (it peers with every
    /// hub and every state in none).
    pub fn routes(&self, participant: &str) -> Vec<(String, String)> {
        match self.kind(participant) {
            Kind::State => vec![("*".into(), self.home(participant))],
            Kind::Broker => vec![],
            Kind::Hub => {
                let mut routes = vec![("*".to_string(), broker_id())];
                let near: Vec<String> = self
                    .linked(participant)
                    .into_iter()
                    .chain([participant.to_string()])
                    .collect();
                for s in &self.states {
                    if !self.membership[s].iter().any(|h| near.contains(h)) {
                        routes.push((s.clone(), broker_id()));
                    }
                }
                routes
            }
        }
    }

    fn are_neighbours(&self, a: &str, b: &str) -> bool {
        self.neighbours
            .iter()
            .any(|(x, y)| (x == a && y == b) || (x == b && y == a))
    }

    /// The hubs a trace from `from` to `to` is expected to cross, in order
    /// (empty: direct), by the routing rules the nodes apply: an explicit
    /// route, else a direct peer, else the first peer (by id) whose card
    /// says it serves the destination, else the default route.
    pub fn path(&self, from: &str, to: &str) -> Vec<String> {
        if self.are_neighbours(from, to) {
            return vec![];
        }
        let d = &self.derived;
        let serves = |node: &str| d.serves.get(node).is_some_and(|s| s.contains(to));
        let serving = |node: &str| -> Option<String> {
            d.peers.get(node)?.iter().find(|p| serves(p)).cloned()
        };
        let mut at = serving(from).unwrap_or_else(|| self.home(from));
        let mut path = vec![at.clone()];
        while !serves(&at) && path.len() <= self.regions.len() + 1 {
            let explicit = d.routes.get(&at).and_then(|r| r.get(to)).cloned();
            at = explicit.or_else(|| serving(&at)).unwrap_or_else(broker_id);
            path.push(at.clone());
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_states_are_the_193_members_of_the_united_nations() {
        let unique: BTreeSet<&str> = STATES.iter().copied().collect();
        assert_eq!(unique.len(), 193);
        for s in STATES {
            s.parse::<iti_node::ids::StateCode>()
                .unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        for r in REGIONS {
            for m in r.members {
                assert!(STATES.contains(m), "{} lists {m}", r.name);
            }
        }
        let sizes: Vec<usize> = REGIONS.iter().map(|r| r.members.len()).collect();
        assert_eq!(sizes, vec![15, 10, 27, 16, 8, 35]);
        for (a, b) in NEIGHBOURS {
            assert!(STATES.contains(&a) && STATES.contains(&b));
        }
    }

    #[test]
    fn the_whole_world_has_every_kind_of_route() {
        let t = Topology::new(193, 6).unwrap();
        assert_eq!(t.states.len(), 193);
        assert_eq!(t.participants().len(), 200);
        assert_eq!(t.membership["TZA"], vec!["hub:SADC", "hub:EAC"]);
        assert_eq!(t.path("GHA", "TGO"), Vec::<String>::new());
        assert_eq!(t.path("GHA", "NGA"), vec!["hub:ECOWAS"]);
        assert_eq!(t.path("GHA", "BEL"), vec!["hub:ECOWAS", "hub:EU"]);
        assert_eq!(
            t.path("GHA", "THA"),
            vec!["hub:ECOWAS", "hub:INTERPOL", "hub:ASEAN"]
        );
        assert_eq!(t.path("CHN", "IND"), vec!["hub:INTERPOL"]);
        assert_eq!(t.path("CHN", "BEL"), vec!["hub:INTERPOL", "hub:EU"]);
        assert_eq!(t.path("TZA", "ZAF"), vec!["hub:SADC"]);
        assert_eq!(t.path("TZA", "KEN"), vec!["hub:EAC"]);
        assert_eq!(t.path("ZAF", "KEN"), vec!["hub:SADC", "hub:EAC"]);
        assert!(
            t.states
                .iter()
                .all(|a| t.states.iter().all(|b| a == b || t.path(a, b).len() <= 3))
        );
    }

    #[test]
    fn a_small_world_still_has_every_kind_of_route() {
        let t = Topology::new(8, 2).unwrap();
        assert_eq!(
            t.states,
            vec!["GHA", "THA", "FRA", "TGO", "MYS", "DEU", "NGA", "BRN"]
        );
        let mut lengths: BTreeSet<usize> = BTreeSet::new();
        for a in &t.states {
            for b in &t.states {
                if a != b {
                    lengths.insert(t.path(a, b).len());
                }
            }
        }
        assert_eq!(lengths, [0, 1, 2, 3].into_iter().collect());
    }
}
