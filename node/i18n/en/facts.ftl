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
