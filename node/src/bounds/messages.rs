//! How each message is walked. Every field is destructured, with no `..`:
//! a field added to the protocol does not compile until it is walked here
//! (and the table gives it a rule). Singular enumerations and yes/no fields
//! are named and skipped (`_`): decoding bounds them.

use iti_proto::v1 as pb;

use super::{Bounded, Walker};

macro_rules! bounded {
    ($ty:ident, |$s:ident, $w:ident| $body:block) => {
        impl Bounded for pb::$ty {
            const MESSAGE: &'static str = stringify!($ty);
            fn walk(&mut self, $w: &mut Walker) {
                let $s = self;
                $body
            }
        }
    };
}

bounded!(TraceRequest, |s, w| {
    let pb::TraceRequest {
        context,
        grounds,
        items,
        information_sought,
        purpose,
        intended_use,
        individuals,
        additional_information,
        cannot_provide_all: _,
        cannot_provide_explanation,
        restrictions_cannot_comply,
        restrictions_explanation,
        marking,
        domestic_findings,
        requester_reference,
        requested_state,
    } = s;
    w.optional("context", context);
    w.optional("grounds", grounds);
    w.messages("items", items);
    w.text("informationSought", information_sought);
    w.text("purpose", purpose);
    w.text("intendedUse", intended_use);
    w.messages("individuals", individuals);
    w.text("additionalInformation", additional_information);
    w.text("cannotProvideExplanation", cannot_provide_explanation);
    w.enums("restrictionsCannotComply", restrictions_cannot_comply);
    w.text("restrictionsExplanation", restrictions_explanation);
    w.optional("marking", marking);
    w.optional("domesticFindings", domestic_findings);
    w.text("requesterReference", requester_reference);
    w.text("requestedState", requested_state);
});

bounded!(Marking, |s, w| {
    let pb::Marking {
        tlp: _,
        restrictions,
    } = s;
    w.enums("restrictions", restrictions);
});

bounded!(RecoveryContext, |s, w| {
    let pb::RecoveryContext {
        illicit_nature,
        legal_basis,
        circumstances,
        recovered_at,
        place_of_recovery,
    } = s;
    w.text("illicitNature", illicit_nature);
    w.text("legalBasis", legal_basis);
    w.text("circumstances", circumstances);
    w.time("recoveredAt", recovered_at);
    w.text("placeOfRecovery", place_of_recovery);
});

bounded!(RoutingGrounds, |s, w| {
    let pb::RoutingGrounds {
        rule: _,
        requested_state,
        explanation,
        overridden_state,
        overridden_rule: _,
        override_reason,
    } = s;
    w.text("requestedState", requested_state);
    w.text("explanation", explanation);
    w.text("overriddenState", overridden_state);
    w.text("overrideReason", override_reason);
});

bounded!(RecoveredItem, |s, w| {
    use pb::recovered_item::Item;
    let pb::RecoveredItem {
        item_ref,
        quantity,
        item,
    } = s;
    w.text("itemRef", item_ref);
    w.number("quantity", u64::from(*quantity));
    match item {
        Some(Item::Weapon(m)) => w.message("weapon", m),
        Some(Item::Ammunition(m)) => w.message("ammunition", m),
        Some(Item::Part(m)) => w.message("part", m),
        None => {}
    }
});

bounded!(WeaponIdentification, |s, w| {
    let pb::WeaponIdentification {
        make,
        model,
        calibre,
        serial_number,
        country_of_manufacture,
        country_of_last_import,
        serial_location,
        action_type: _,
        barrel_length_mm,
        magazine_capacity,
        marks,
        manufacturer,
        photographs,
        description,
    } = s;
    w.text("make", make);
    w.text("model", model);
    w.text("calibre", calibre);
    w.text("serialNumber", serial_number);
    w.text("countryOfManufacture", country_of_manufacture);
    w.text("countryOfLastImport", country_of_last_import);
    w.text("serialLocation", serial_location);
    w.number("barrelLengthMm", u64::from(*barrel_length_mm));
    w.number("magazineCapacity", u64::from(*magazine_capacity));
    w.messages("marks", marks);
    w.text("manufacturer", manufacturer);
    w.messages("photographs", photographs);
    w.text("description", description);
});

bounded!(WeaponMark, |s, w| {
    let pb::WeaponMark {
        kind: _,
        value,
        location,
        country,
        year,
    } = s;
    w.text("value", value);
    w.text("location", location);
    w.text("country", country);
    w.number("year", u64::from(*year));
});

bounded!(Attachment, |s, w| {
    let pb::Attachment {
        sha256,
        media_type,
        filename,
        size_bytes,
        caption,
    } = s;
    w.text("sha256", sha256);
    w.text("mediaType", media_type);
    w.text("filename", filename);
    w.number("sizeBytes", *size_bytes);
    w.text("caption", caption);
});

bounded!(AmmunitionIdentification, |s, w| {
    let pb::AmmunitionIdentification {
        manufacturer,
        manufacturer_code,
        country_of_manufacture,
        lot_number,
        year_of_production,
        calibre,
        headstamp,
        photographs,
    } = s;
    w.text("manufacturer", manufacturer);
    w.text("manufacturerCode", manufacturer_code);
    w.text("countryOfManufacture", country_of_manufacture);
    w.text("lotNumber", lot_number);
    w.number("yearOfProduction", u64::from(*year_of_production));
    w.text("calibre", calibre);
    w.text("headstamp", headstamp);
    w.messages("photographs", photographs);
});

bounded!(PartIdentification, |s, w| {
    let pb::PartIdentification {
        kind: _,
        make,
        serial_number,
        country_of_manufacture,
        marks,
        description,
        photographs,
    } = s;
    w.text("make", make);
    w.text("serialNumber", serial_number);
    w.text("countryOfManufacture", country_of_manufacture);
    w.messages("marks", marks);
    w.text("description", description);
    w.messages("photographs", photographs);
});

bounded!(Individual, |s, w| {
    let pb::Individual {
        name,
        role,
        nationality,
        date_of_birth,
        notes,
    } = s;
    w.text("name", name);
    w.text("role", role);
    w.text("nationality", nationality);
    w.text("dateOfBirth", date_of_birth);
    w.text("notes", notes);
});

bounded!(DomesticFindings, |s, w| {
    let pb::DomesticFindings {
        export_record,
        notes,
    } = s;
    w.optional("exportRecord", export_record);
    w.text("notes", notes);
});

bounded!(ExportRecord, |s, w| {
    let pb::ExportRecord {
        importing_state,
        export_date,
        licence_number,
        recorded_by,
    } = s;
    w.text("importingState", importing_state);
    w.text("exportDate", export_date);
    w.text("licenceNumber", licence_number);
    w.text("recordedBy", recorded_by);
});

// ---------------------------------------------------------------- replies

bounded!(Acknowledgement, |s, w| {
    let pb::Acknowledgement { reference, note } = s;
    w.text("reference", reference);
    w.text("note", note);
});

bounded!(ReturnForCompletion, |s, w| {
    let pb::ReturnForCompletion {
        missing,
        note,
        automatic: _,
    } = s;
    w.messages("missing", missing);
    w.text("note", note);
});

bounded!(MissingElement, |s, w| {
    let pb::MissingElement {
        clause,
        field,
        description,
    } = s;
    w.text("clause", clause);
    w.text("field", field);
    w.text("description", description);
});

bounded!(Resubmission, |s, w| {
    let pb::Resubmission { request, note } = s;
    w.optional("request", request);
    w.text("note", note);
});

bounded!(TraceResponse, |s, w| {
    let pb::TraceResponse {
        marking,
        restricted: _,
        restriction_reason: _,
        restriction_explanation,
        finding,
        history,
        last_legal_possessor,
        commercial,
        individuals,
        additional_information,
    } = s;
    w.optional("marking", marking);
    w.text("restrictionExplanation", restriction_explanation);
    w.optional("finding", finding);
    w.optional("history", history);
    w.optional("lastLegalPossessor", last_legal_possessor);
    w.optional("commercial", commercial);
    w.optional("individuals", individuals);
    w.text("additionalInformation", additional_information);
});

bounded!(Finding, |s, w| {
    use pb::finding::Case;
    let pb::Finding { marking, case } = s;
    w.optional("marking", marking);
    match case {
        Some(Case::ManufactureOrImport(m)) => w.message("manufactureOrImport", m),
        Some(Case::InternalTransfer(m)) => w.message("internalTransfer", m),
        Some(Case::Export(m)) => w.message("export", m),
        Some(Case::InternalDiversion(m)) => w.message("internalDiversion", m),
        Some(Case::NoRecord(m)) => w.message("noRecord", m),
        None => {}
    }
});

bounded!(NoRecordFound, |s, w| {
    let pb::NoRecordFound { searched, details } = s;
    w.texts("searched", searched);
    w.text("details", details);
});

bounded!(ManufactureOrImport, |s, w| {
    let pb::ManufactureOrImport {
        manufactured: _,
        manufacturer_or_importer,
        date,
        details,
    } = s;
    w.text("manufacturerOrImporter", manufacturer_or_importer);
    w.text("date", date);
    w.text("details", details);
});

bounded!(InternalTransfer, |s, w| {
    let pb::InternalTransfer {
        transfer_dates,
        final_consignees,
        licences,
        details,
    } = s;
    w.texts("transferDates", transfer_dates);
    w.texts("finalConsignees", final_consignees);
    w.messages("licences", licences);
    w.text("details", details);
});

bounded!(Licence, |s, w| {
    let pb::Licence {
        kind,
        number,
        issued_by,
        date,
    } = s;
    w.text("kind", kind);
    w.text("number", number);
    w.text("issuedBy", issued_by);
    w.text("date", date);
});

bounded!(ExportFinding, |s, w| {
    let pb::ExportFinding {
        export_date,
        importing_state,
        transit_states,
        final_consignee,
        licences,
        details,
        final_consignee_natural_person: _,
    } = s;
    w.text("exportDate", export_date);
    w.text("importingState", importing_state);
    w.texts("transitStates", transit_states);
    w.text("finalConsignee", final_consignee);
    w.messages("licences", licences);
    w.text("details", details);
});

bounded!(InternalDiversion, |s, w| {
    let pb::InternalDiversion {
        diversion_date,
        details,
        investigation: _,
    } = s;
    w.text("diversionDate", diversion_date);
    w.text("details", details);
});

bounded!(History, |s, w| {
    let pb::History { marking, events } = s;
    w.optional("marking", marking);
    w.messages("events", events);
});

bounded!(HistoryEvent, |s, w| {
    let pb::HistoryEvent {
        date,
        kind: _,
        state,
        party,
        description,
    } = s;
    w.text("date", date);
    w.text("state", state);
    w.text("party", party);
    w.text("description", description);
});

bounded!(LastLegalPossessor, |s, w| {
    let pb::LastLegalPossessor {
        marking,
        name,
        category,
        state,
        address,
        since,
        natural_person: _,
        identity_document,
    } = s;
    w.optional("marking", marking);
    w.text("name", name);
    w.text("category", category);
    w.text("state", state);
    w.text("address", address);
    w.text("since", since);
    w.text("identityDocument", identity_document);
});

bounded!(CommercialDetails, |s, w| {
    let pb::CommercialDetails {
        marking,
        brokers,
        transport_agents,
        contract_reference,
        financial_transactions,
        notes,
    } = s;
    w.optional("marking", marking);
    w.texts("brokers", brokers);
    w.texts("transportAgents", transport_agents);
    w.text("contractReference", contract_reference);
    w.text("financialTransactions", financial_transactions);
    w.text("notes", notes);
});

bounded!(Individuals, |s, w| {
    let pb::Individuals {
        marking,
        individuals,
    } = s;
    w.optional("marking", marking);
    w.messages("individuals", individuals);
});

bounded!(DelayNotice, |s, w| {
    let pb::DelayNotice {
        reason: _,
        explanation,
        new_response_due,
    } = s;
    w.text("explanation", explanation);
    w.time("newResponseDue", new_response_due);
});

bounded!(Refusal, |s, w| {
    let pb::Refusal {
        reason: _,
        explanation,
    } = s;
    w.text("explanation", explanation);
});

bounded!(ClarificationRequest, |s, w| {
    let pb::ClarificationRequest {
        question,
        regarding,
    } = s;
    w.text("question", question);
    w.text("regarding", regarding);
});

bounded!(ClarificationReply, |s, w| {
    let pb::ClarificationReply { answer, regarding } = s;
    w.text("answer", answer);
    w.text("regarding", regarding);
});

bounded!(Consent, |s, w| {
    let pb::Consent {
        restriction: _,
        r#use: _,
        regarding,
        note,
        destination,
        lifts_tlp: _,
        restrictions,
        declined: _,
    } = s;
    w.text("regarding", regarding);
    w.text("note", note);
    w.text("destination", destination);
    w.enums("restrictions", restrictions);
});

bounded!(ConsentRequest, |s, w| {
    let pb::ConsentRequest {
        restriction: _,
        r#use: _,
        regarding,
        justification,
        destination,
        lift_tlp: _,
        restrictions,
    } = s;
    w.text("regarding", regarding);
    w.text("justification", justification);
    w.text("destination", destination);
    w.enums("restrictions", restrictions);
});

bounded!(Closure, |s, w| {
    let pb::Closure { outcome } = s;
    w.text("outcome", outcome);
});

bounded!(SharedInformation, |s, w| {
    let pb::SharedInformation {
        provided_by,
        source_case,
        response,
        note,
        items,
        source_response,
    } = s;
    w.messages("items", items);
    w.text("sourceResponse", source_response);
    w.text("providedBy", provided_by);
    w.text("sourceCase", source_case);
    w.optional("response", response);
    w.text("note", note);
});

bounded!(BrokerNotice, |s, w| {
    let pb::BrokerNotice {
        broker,
        item_index,
        reported_by,
        register_entry,
        registered_make,
        registered_serial,
        reported_on,
        circumstances,
        differences,
    } = s;
    w.text("broker", broker);
    w.number("itemIndex", u64::from(*item_index));
    w.text("reportedBy", reported_by);
    w.text("registerEntry", register_entry);
    w.text("registeredMake", registered_make);
    w.text("registeredSerial", registered_serial);
    w.text("reportedOn", reported_on);
    w.text("circumstances", circumstances);
    w.texts("differences", differences);
});

bounded!(SignedReceipt, |s, w| {
    let pb::SignedReceipt {
        receipt,
        signature,
        signer_certificate,
        batch,
    } = s;
    w.bytes("receipt", receipt);
    w.bytes("signature", signature);
    w.bytes("signerCertificate", signer_certificate);
    w.optional("batch", batch);
});

bounded!(ReceiptInBatch, |s, w| {
    let pb::ReceiptInBatch {
        leaf_index,
        tree_size,
        audit_path,
    } = s;
    w.number("leafIndex", *leaf_index);
    w.number("treeSize", *tree_size);
    w.bytes("auditPath", audit_path);
});

bounded!(OnBehalfRequest, |s, w| {
    let pb::OnBehalfRequest { request, note } = s;
    w.optional("request", request);
    w.text("note", note);
});

bounded!(DeliveryFailure, |s, w| {
    let pb::DeliveryFailure {
        envelope_id,
        reason,
    } = s;
    w.text("envelopeId", envelope_id);
    w.text("reason", reason);
});

bounded!(Payload, |s, w| {
    use pb::payload::Body;
    let pb::Payload { body } = s;
    match body {
        Some(Body::Request(m)) => w.message("request", m),
        Some(Body::Acknowledgement(m)) => w.message("acknowledgement", m),
        Some(Body::ReturnForCompletion(m)) => w.message("returnForCompletion", m),
        Some(Body::Resubmission(m)) => w.message("resubmission", m),
        Some(Body::Response(m)) => w.message("response", m),
        Some(Body::Delay(m)) => w.message("delay", m),
        Some(Body::Refusal(m)) => w.message("refusal", m),
        Some(Body::ClarificationRequest(m)) => w.message("clarificationRequest", m),
        Some(Body::ClarificationReply(m)) => w.message("clarificationReply", m),
        Some(Body::Consent(m)) => w.message("consent", m),
        Some(Body::ConsentRequest(m)) => w.message("consentRequest", m),
        Some(Body::Closure(m)) => w.message("closure", m),
        Some(Body::SharedInformation(m)) => w.message("sharedInformation", m),
        Some(Body::BrokerNotice(m)) => w.message("brokerNotice", m),
        Some(Body::Receipt(m)) => w.message("receipt", m),
        Some(Body::OnBehalfRequest(m)) => w.message("onBehalfRequest", m),
        Some(Body::DeliveryFailure(m)) => w.message("deliveryFailure", m),
        None => {}
    }
});

// ---------------------------------------------------------------- directory

bounded!(DirectoryEntry, |s, w| {
    let pb::DirectoryEntry {
        participant,
        endpoints,
        points_of_contact,
        languages,
        ca_certificate,
        certificate,
        next_certificate,
        switch_over_at,
        encryption_key,
        serves,
        published_at,
        revocation_list,
        serial,
    } = s;
    w.text("participant", participant);
    w.texts("endpoints", endpoints);
    w.messages("pointsOfContact", points_of_contact);
    w.texts("languages", languages);
    w.bytes("caCertificate", ca_certificate);
    w.bytes("certificate", certificate);
    w.bytes("nextCertificate", next_certificate);
    w.time("switchOverAt", switch_over_at);
    w.bytes("encryptionKey", encryption_key);
    w.texts("serves", serves);
    w.time("publishedAt", published_at);
    w.bytes("revocationList", revocation_list);
    w.number("serial", *serial);
});

bounded!(PointOfContact, |s, w| {
    let pb::PointOfContact {
        name,
        agency,
        email,
        phone,
        authorised_records,
        languages,
        officer,
    } = s;
    w.text("officer", officer);
    w.text("name", name);
    w.text("agency", agency);
    w.text("email", email);
    w.text("phone", phone);
    w.enums("authorisedRecords", authorised_records);
    w.texts("languages", languages);
});

bounded!(PeerCard, |s, w| {
    let pb::PeerCard {
        participant,
        endpoint,
        ca_certificate_pem,
        crl_pem,
        serves,
        encryption_key_hex,
    } = s;
    w.text("participant", participant);
    w.text("endpoint", endpoint);
    w.text("caCertificatePem", ca_certificate_pem);
    w.text("crlPem", crl_pem);
    w.texts("serves", serves);
    w.text("encryptionKeyHex", encryption_key_hex);
});

// ---------------------------------------------------------------- register

bounded!(LostStolenRecord, |s, w| {
    let pb::LostStolenRecord {
        line,
        reported_by,
        make,
        model,
        serial_number,
        calibre,
        reported_on,
        circumstances,
        reference,
    } = s;
    w.number("line", *line);
    w.text("reportedBy", reported_by);
    w.text("make", make);
    w.text("model", model);
    w.text("serialNumber", serial_number);
    w.text("calibre", calibre);
    w.text("reportedOn", reported_on);
    w.text("circumstances", circumstances);
    w.text("reference", reference);
});
