# ITI Exchange: what the node finds, worded for people (English). Shared by
# the console and itictl; the routing reasons in English are also the
# grounds a request carries (9.2.1 b). Officers' free text (marking values,
# locations, names) arrives in arguments and is shown as written.

## Routing (9.1): why a state is chosen
routing-records = Domestic records
routing-records-of = Domestic records of { $by }
routing-on-date = on { $value }
routing-under-licence = under licence { $value }
routing-exported = { $records } show the items were exported to { $state }{ $date }{ $licence } (ISACS 05.31 9.1 a).
routing-import-country = The identification of items[{ $item }] gives { $state } as the country of most recent import (ISACS 05.31 9.1 b).
routing-manufacture-country = The identification of items[{ $item }] gives { $state } as the country of manufacture (ISACS 05.31 9.1 c).
routing-import-marking = Import marking '{ $value }' on items[{ $item }]{ $location } names { $state } as the state of most recent import (ISACS 05.31 9.1 b).
routing-latest-of = It is the most recent of { $count } import markings.
routing-manufacture-marking = Manufacture marking '{ $value }' on items[{ $item }]{ $location } names { $state } as the state of manufacture (ISACS 05.31 9.1 c).
routing-also-one = The identification of { $items } also points to { $state }.
routing-also-many = The identifications of { $items } and { $last } also point to { $state }.
routing-item-range = { $first } to { $last }
routing-also-range = The identifications of { $items } also point to { $state }.
routing-also-count = { $count } other items also point to { $state }.
# A plan to a state no peer card or directory entry names.
routing-not-in-directory = { $state } is not in the directory (no peer card or directory entry names it): a request sent now would not reach it

## Completeness (10.2): what a request lacks, by its field's JSON path
missing-context-illicitnature = the illicit nature of the items
missing-context-legalbasis = the legal justification for the request
missing-grounds-requestedstate = the requested state
missing-grounds-explanation = the grounds for believing the requested state held the most recent legal authority over the items
missing-informationsought = the information sought on the items' history under the requested state's jurisdiction
missing-purpose = the purpose of the information sought
missing-intendeduse = the intended use of the information sought
missing-items = at least one recovered item (weapon, ammunition, or part or component)
missing-items-item = the identification of the item as a weapon, ammunition, or a part or component
missing-items-item-weapon-make = the make of the weapon
missing-items-item-weapon-model = the model of the weapon
missing-items-item-weapon-calibre = the calibre of the weapon
missing-items-item-weapon-serialnumber = the serial number of the weapon
missing-items-item-weapon-countryofmanufacture = the country of manufacture or of most recent import of the weapon (a field, or the country of a manufacture or import marking)
missing-items-item-ammunition-manufacturer = the manufacturer of the ammunition, or the manufacturer's code
missing-items-item-ammunition-calibre = the calibre of the ammunition
missing-items-item-part-serialnumber = the serial number of the part or component, or at least one of its marks
# A field the requested state's officer named when returning a request.
missing-field = { $field } is missing

## Summaries of a request's items (lists of traces, the case page)
summary-weapon = { $make } { $model } { $calibre } s/n { $serial }
summary-ammunition = ammunition { $calibre } lot { $lot } ({ $manufacturer })
summary-part = part { $description } s/n { $serial }
summary-unidentified = (unidentified item)
summary-quantity = { $n } × { $item }
summary-no-items = (no items)
summary-two = { $first }; { $second }
summary-more = { $first }; { $second }; and { $more } more
# In place of what the officer's role or the marking does not let them see.
summary-withheld = [withheld]

## What a trace waits for from us, beyond its state
awaiting-consent-asked = consent asked of us (10.3)
awaiting-information-to-read = information passed on to us, to read
awaiting-consent = waiting for the provider's consent before it is sent

## The clause 12 report
report-heading =
    ITI Exchange report for { $participant } (ISACS 05.31 clause 12)
    international tracing requests sent: { $sent }
    requests received: { $received }
    answered: { $answered }, refused: { $refused }, overdue now: { $overdue }
report-responses = responses that may be reported:
report-answered = trace { $trace }: { $origin } answered ({ $finding })
report-finding-manufacture-or-import = 10.4.1 manufacture or import
report-finding-internal-transfer = 10.4.2 internal transfer
report-finding-export = 10.4.3 export
report-finding-internal-diversion = 10.4.4 internal diversion
report-finding-no-record = no record found
report-finding-no-finding = response, no finding
report-finding-other = another message
report-restricted = restricted response: { $reason }
report-left-out = { $count } response(s) left out: their markings do not allow inclusion in a report
report-national =
    national tracing system (clauses 7.5, 8):
      domestic traces: { $count }
report-points-of-diversion = points of diversion by category:
report-answered-figures = incoming requests answered: { $answered } (from records { $records }, by hand { $hand }); median time to answer: { $median }
report-none-answered = none answered
# Determinations of a domestic trace (8.1).
determination-diverted-domestically = diverted_domestically
determination-left-jurisdiction = left_jurisdiction
determination-no-record = no_record
determination-ambiguous = ambiguous
# Categories of points of diversion.
diversion-state-armoury = state armoury
diversion-dealer = dealer
diversion-civilian = civilian
diversion-after-export = after export
diversion-other = other

## A case's conclusion and the node's own timeline steps (chain.rs)
conclusion-open = Open
conclusion-withheld = Withheld
conclusion-export = Exported by { $provider } to { $to }: follow-up with { $to }
conclusion-diversion = Point of diversion found: diverted in { $state }
conclusion-diversion-on = Point of diversion found: diverted in { $state } on { $date }
conclusion-possessor = { $summary }; last legal possessor: { $possessor }.
conclusion-end = { $summary }.
step-last-legal-possessor = Last legal possessor.
step-last-legal-possessor-category = Last legal possessor ({ $category }).

## A trace's history: what happened, by facts (case/fact.rs). The English
## is also the detail the node stores and audits.
history-actor-node = node
history-none = none
# The kinds of message, as an officer names them.
history-kind-unspecified = empty message
history-kind-request = trace request (9.2)
history-kind-acknowledgement = acknowledgement of receipt (10.1)
history-kind-return-for-completion = returned for completion (10.2)
history-kind-resubmission = completed request resubmitted (10.2)
history-kind-response = response (10.4)
history-kind-delay = delay of the response (10.5.2)
history-kind-refusal = refusal (10.5.2)
history-kind-clarification-request = clarification requested (10.5.2)
history-kind-clarification-reply = clarification given
history-kind-consent = consent of the provider (10.3)
history-kind-consent-request = consent asked of the provider (10.3)
history-kind-closure = trace closed
history-kind-shared-information = information passed on (10.3)
history-kind-broker-notice = lost/stolen register match (annex A.2)
history-kind-receipt = end-to-end receipt
history-kind-on-behalf-request = request to trace on a member's behalf (11.3.1)
history-kind-delivery-failure = not delivered
# Uses of information (10.3).
history-use-display-poc = display to the point of contact
history-use-display-investigator = display to an investigator
history-use-display-analyst = display to an analyst
history-use-display-auditor = display to an auditor
history-use-display-admin = display to an administrator
history-use-forward-to-third-state = forwarding to a third state
history-use-forward-to-hub = forwarding to a hub
history-use-forward-to-un-panel = forwarding to a UN panel
history-use-export = export
history-use-export-as-evidence = export as evidence
history-use-report = inclusion in a report
history-use-unnamed = an unnamed use
# Messages, by what they say.
history-restricted-response = restricted response: { $reason }
history-automatically = {" "}automatically
history-returned = returned for completion (10.2){ $automatic }, missing: { $missing }
history-delayed = response delayed until { $until }: { $reason }
history-refusal = refusal: { $reason }
history-consent-declined = consent declined (10.3)
# What a consent lifts: $lifts is "restrictions", "tlp" or "both".
history-lifts =
    { $lifts ->
        [both] { $restrictions } and the TLP level
        [tlp] the TLP level
       *[restrictions] { $restrictions }
    } for { $use }{ $destination }
history-to = {" "}to { $destination }
history-consent = consent: lifts { $terms }
history-consent-asked = consent asked: { $terms }
history-information-from = information provided by { $provider }
history-broker-match = { $broker }: lost/stolen register match
history-not-delivered = not delivered: { $reason }
# Messages received, sent, passed on.
history-received = { $message } from { $origin }{ $relayed }
history-relayed-by = {" "}(relayed by { $hub })
history-sent = request sent to { $state } ({ $rule })
history-sent-via = request for { $state } sent via { $hub }, which conducts the trace on our behalf (11.3.1)
history-follow-up-sent = follow-up { $sent }
history-routing-overridden = routing overridden: { $state } instead of { $overridden } (the reason is in the request)
history-waiting-for-consent = the draft goes once its providers consent
history-information-closed = information read and closed
history-returned-automatically = returned automatically for completion (10.2) by this node's policy
history-passed-on = passed on to { $to }
history-follow-up-proposed = { $origin } reported an export to { $state }: follow-up request to { $state } drafted (read it in the case, send it with `itictl request send { $trace }`)
history-on-behalf = { $member } asked this hub to conduct the trace on its behalf (11.3.1); request sent to { $state } as requester of record
history-forwarded = response { $envelope } from { $origin } forwarded to { $to } ({ $use }), markings intact
history-delivered = { $receiver } signed receipt of { $kind } at { $at }
history-relayed = { $hub } signed for custody and will deliver it
# Deadlines (10.1, 10.5): $owed is "acknowledgement" or "response".
history-reminder-we-owe = reminder: we owe { $counterpart } { $owed ->
        [response] a response (10.5)
       *[acknowledgement] an acknowledgement of receipt (10.1)
    } by { $due }
history-overdue-ours = overdue: our { $owed ->
        [response] response (10.5)
       *[acknowledgement] acknowledgement of receipt (10.1)
    } to { $counterpart } was due { $due }
history-reminder-they-owe = reminder: { $by } owes us { $owed ->
        [response] a response (10.5)
       *[acknowledgement] an acknowledgement of receipt (10.1)
    } by { $due }
history-overdue-theirs = overdue: { $by }'s { $owed ->
        [response] response (10.5)
       *[acknowledgement] acknowledgement of receipt (10.1)
    } was due { $due }
# Answers drafted from the records, domestic traces (8.1).
history-answer-drafted = answer drafted from records: { $outcome } ({ $domains } domain(s) searched)
history-outcome-exported = exported
history-outcome-diverted-internally = diverted internally
history-outcome-still-held = still held
history-outcome-destroyed = destroyed
history-outcome-no-record = no record
history-no-domain = no domain
history-domestic-trace = domestic trace (8.1) of items[{ $item }] in { $domains }: { $determination }{ $investigation }{ $drafted }
history-domestic-investigation = ; domestic investigation { $case } opened (8.1 d)
history-domestic-drafted = ; request { $trace } to { $state } drafted (8.1 e)

## How far a participant's CA is trusted (identity/standing.rs)
standing-confirmed-by-admin = confirmed by an admin (introduced by { $hubs })
standing-confirmed = confirmed: vouched for by { $hubs }
standing-unconfirmed = UNCONFIRMED: vouched for by { $hubs } ({ $count } of { $needed } hubs); nothing marked TLP:RED or TLP:AMBER+STRICT is sealed to it until an admin confirms its CA fingerprint (`itictl peer confirm`)
standing-frozen = FROZEN by a conflict until an admin decides; { $standing }
# An event whose detail the release gate withheld from the reader.
history-withheld = [withheld: { $what }]
# A domestic trace's determination in words (8.1).
determination-summary-diverted = Diverted while under national jurisdiction (8.1 b 1): { $how } from a { $category } holder; a domestic investigation is opened (8.1 d).
determination-summary-left = Left national jurisdiction by export to { $to } (8.1 b 2): an international request to { $to } is drafted, the export record as grounds (8.1 e, 9.1 a).
determination-summary-illicit-manufacture = No record (8.1 c), and the markings name this state: illicit manufacture here is suspected (8.1 c 2); a domestic investigation is opened (8.1 d).
determination-summary-no-record = No record in the domestic records (8.1 c): an international request to { $state } is drafted from the markings (8.1 e, 9.1 { $rule }).
determination-summary-no-route = No record in the domestic records (8.1 c), and no request can be drafted: { $reason }
determination-summary-ambiguous = { $count } weapons in the records match equally well: no determination; search with the make, model and calibre to choose one.
diversion-how-theft = theft
diversion-how-loss = loss
diversion-how-unreported = unreported
diversion-how-alleged-destruction = alleged destruction
