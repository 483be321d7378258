//! Requests and responses shaped like real ones (used by the demo and the
//! integration tests): an FN FAL rifle recovered
//! in Ghana, manufactured in Belgium, exported to Nigeria, stolen there.

use iti_proto::v1 as pb;

pub fn ts(rfc3339: &str) -> pbjson_types::Timestamp {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    pbjson_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: 0,
    }
}

pub fn marking(tlp: pb::Tlp, restrictions: &[pb::UseRestriction]) -> pb::Marking {
    pb::Marking {
        tlp: tlp as i32,
        restrictions: restrictions.iter().map(|r| *r as i32).collect(),
    }
}

/// The FN FAL recovered in Accra: manufactured in Belgium (routing 9.1 c).
pub fn fal_weapon() -> pb::WeaponIdentification {
    pb::WeaponIdentification {
        make: "FN Herstal".into(),
        model: "FAL 50.00".into(),
        calibre: "7.62x51mm NATO".into(),
        serial_number: "1502347".into(),
        country_of_manufacture: "BEL".into(),
        country_of_last_import: String::new(),
        serial_location: "left side of receiver".into(),
        action_type: pb::ActionType::Automatic as i32,
        barrel_length_mm: 533,
        magazine_capacity: 20,
        marks: vec![
            pb::WeaponMark {
                kind: pb::MarkKind::Proof as i32,
                value: "perron with ELG in oval".into(),
                location: "barrel, right side".into(),
                country: "BEL".into(),
                year: 2008,
            },
            pb::WeaponMark {
                kind: pb::MarkKind::MilitaryPolice as i32,
                value: "NPF 4471".into(),
                location: "butt stock".into(),
                country: String::new(),
                year: 0,
            },
        ],
        manufacturer: String::new(),
        photographs: vec![pb::Attachment {
            sha256: "3f1c5b2a9e7d4c8b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b".into(),
            media_type: "image/jpeg".into(),
            filename: "exhibit-14-left.jpg".into(),
            size_bytes: 482_113,
            caption: "left side, serial and selector".into(),
        }],
        description: "rifle, folding stock, worn finish".into(),
    }
}

/// A complete request (9.2.1 a–e) for the FAL and 120 rounds found with it.
pub fn fal_request() -> pb::TraceRequest {
    pb::TraceRequest {
        context: Some(pb::RecoveryContext {
            illicit_nature: "Held without licence or authorisation (clause 4 a)".into(),
            legal_basis: "Arms, Ammunition and Explosives Act 1962 (Act 96), s. 4; criminal investigation GPS/CID/2026/1147".into(),
            circumstances: "Seized during a vehicle search on the Accra-Kumasi highway".into(),
            recovered_at: Some(ts("2026-10-02T09:30:00Z")),
            place_of_recovery: "Nsawam, Eastern Region".into(),
        }),
        grounds: None,
        items: vec![
            pb::RecoveredItem {
                item_ref: "exhibit 14".into(),
                quantity: 1,
                item: Some(pb::recovered_item::Item::Weapon(fal_weapon())),
            },
            pb::RecoveredItem {
                item_ref: "exhibit 15".into(),
                quantity: 120,
                item: Some(pb::recovered_item::Item::Ammunition(pb::AmmunitionIdentification {
                    manufacturer: "FN Herstal".into(),
                    manufacturer_code: "FN".into(),
                    country_of_manufacture: "BEL".into(),
                    lot_number: "FN-08-114".into(),
                    year_of_production: 2008,
                    calibre: "7.62x51mm NATO".into(),
                    headstamp: "FN 08".into(),
                    photographs: vec![],
                })),
            },
        ],
        information_sought: "The history of the rifle and ammunition while under your jurisdiction, up to the last legal possessor or export".into(),
        purpose: "Identify the point of diversion".into(),
        intended_use: "Criminal investigation and prosecution of the persons detained".into(),
        individuals: vec![pb::Individual {
            name: "Kwame A.".into(),
            role: "driver, detained".into(),
            nationality: "GHA".into(),
            date_of_birth: "1988-04-17".into(),
            notes: String::new(),
        }],
        additional_information: String::new(),
        cannot_provide_all: false,
        cannot_provide_explanation: String::new(),
        restrictions_cannot_comply: vec![],
        restrictions_explanation: String::new(),
        marking: Some(marking(pb::Tlp::Amber, &[])),
        domestic_findings: Some(pb::DomesticFindings {
            export_record: None,
            notes: "No record of legal import into Ghana".into(),
        }),
        requester_reference: "GPS/CID/2026/1147".into(),
        requested_state: String::new(),
    }
}

pub fn llp(
    name: &str,
    category: &str,
    state: &str,
    m: Option<pb::Marking>,
) -> pb::LastLegalPossessor {
    pb::LastLegalPossessor {
        marking: m,
        name: name.into(),
        category: category.into(),
        state: state.into(),
        address: String::new(),
        since: String::new(),
        ..Default::default()
    }
}

fn event(
    date: &str,
    kind: pb::HistoryEventKind,
    state: &str,
    party: &str,
    description: &str,
) -> pb::HistoryEvent {
    pb::HistoryEvent {
        date: date.into(),
        kind: kind as i32,
        state: state.into(),
        party: party.into(),
        description: description.into(),
    }
}

/// Belgium's answer (10.4.3): manufactured in 2008, exported to Nigeria.
pub fn bel_export_response() -> pb::TraceResponse {
    pb::TraceResponse {
        marking: Some(marking(pb::Tlp::Amber, &[])),
        restricted: false,
        restriction_reason: 0,
        restriction_explanation: String::new(),
        // The export record is released (TLP:GREEN) so that the requester
        // may put it in its follow-up to the importing state; a finding
        // marked more strictly needs Belgium's consent for that (10.3).
        finding: Some(pb::Finding {
            marking: Some(marking(pb::Tlp::Green, &[])),
            case: Some(pb::finding::Case::Export(pb::ExportFinding {
                export_date: "2009-03-12".into(),
                importing_state: "NGA".into(),
                transit_states: vec!["NLD".into()],
                final_consignee: "Nigeria Police Force, Abuja".into(),
                final_consignee_natural_person: false,
                licences: vec![pb::Licence {
                    kind: "export".into(),
                    number: "BE-W-2009-0412".into(),
                    issued_by: "Walloon Region arms licensing".into(),
                    date: "2009-02-20".into(),
                }],
                details: "Part of a consignment of 400 rifles".into(),
            })),
        }),
        history: Some(pb::History {
            marking: None,
            events: vec![
                event(
                    "2008-11-04",
                    pb::HistoryEventKind::Manufacture,
                    "BEL",
                    "FN Herstal SA, Herstal",
                    "manufactured, proof-marked at Liège",
                ),
                event(
                    "2009-03-12",
                    pb::HistoryEventKind::Export,
                    "BEL",
                    "FN Herstal SA",
                    "exported to NGA via Antwerp and Rotterdam",
                ),
            ],
        }),
        last_legal_possessor: Some(llp("FN Herstal SA", "manufacturer", "BEL", None)),
        commercial: Some(pb::CommercialDetails {
            marking: Some(marking(
                pb::Tlp::Amber,
                &[pb::UseRestriction::ProprietaryCommercial],
            )),
            brokers: vec![],
            transport_agents: vec!["Antwerp Freight Services NV".into()],
            contract_reference: "NPF/PROC/2008/77".into(),
            financial_transactions: "letter of credit, Bank of Abuja".into(),
            notes: String::new(),
        }),
        individuals: None,
        additional_information: String::new(),
    }
}

/// Nigeria's answer (10.4.4): stolen from a police armoury in 2015.
pub fn nga_diversion_response() -> pb::TraceResponse {
    pb::TraceResponse {
        marking: Some(marking(
            pb::Tlp::Amber,
            &[pb::UseRestriction::LawEnforcementOnly],
        )),
        restricted: false,
        restriction_reason: 0,
        restriction_explanation: String::new(),
        finding: Some(pb::Finding {
            marking: None,
            case: Some(pb::finding::Case::InternalDiversion(
                pb::InternalDiversion {
                    diversion_date: "2015-06-02".into(),
                    details:
                        "Reported missing after a break-in at the Kaduna State Command armoury"
                            .into(),
                    investigation: pb::InvestigationStatus::Launched as i32,
                },
            )),
        }),
        history: Some(pb::History {
            marking: None,
            events: vec![
                event(
                    "2009-04-02",
                    pb::HistoryEventKind::Import,
                    "NGA",
                    "Nigeria Police Force",
                    "received at Abuja central stores",
                ),
                event(
                    "2011-08-15",
                    pb::HistoryEventKind::InternalTransfer,
                    "NGA",
                    "Kaduna State Command",
                    "issued to the state command armoury",
                ),
                event(
                    "2015-06-02",
                    pb::HistoryEventKind::Diversion,
                    "NGA",
                    "Kaduna State Command armoury",
                    "stolen in a break-in",
                ),
            ],
        }),
        last_legal_possessor: Some(llp(
            "Nigeria Police Force, Kaduna State Command armoury",
            "state armoury",
            "NGA",
            Some(marking(
                pb::Tlp::Red,
                &[pb::UseRestriction::LawEnforcementOnly],
            )),
        )),
        commercial: None,
        individuals: Some(pb::Individuals {
            marking: Some(marking(
                pb::Tlp::Red,
                &[pb::UseRestriction::IntelligenceOnly],
            )),
            individuals: vec![pb::Individual {
                name: "Sgt. Musa Bello".into(),
                role: "armourer on duty".into(),
                nationality: "NGA".into(),
                date_of_birth: String::new(),
                notes: "under investigation".into(),
            }],
        }),
        additional_information: String::new(),
    }
}
