# ITI Exchange console, English. Message ids are shared by every language;
# coded values take their ids from the protocol's enum names
# (TLP_AMBER_STRICT → tlp-amber-strict) or from the node's own codes
# (state-acknowledged).

## Layout
console-title = ITI Exchange console
nav-inbox = Inbox
nav-compose = New request
nav-hub = Hub figures
nav-language = Language
signed-in-as = Signed in as { $officer } ({ $role }), { $participant }
skip-to-content = Skip to content

## Inbox
inbox-title = Inbox
inbox-we-owe = What we owe
inbox-owed-to-us = What is owed to us
inbox-closed = Closed
inbox-nothing = Nothing here.
col-reference = Reference
col-counterpart = Counterpart
col-role = Our role
col-state = State
col-items = Items
col-due = Due
col-marking = Marking
due-overdue = overdue
due-soon = due soon
due-ack = acknowledgement { $when }
due-response = response { $when }
missing-count = { $count } missing (10.2)

## Case
case-title = Case { $reference }
case-trace = Trace { $reference }
case-counterpart = Counterpart
case-state = State
case-role = Our role
case-on-behalf = On behalf of
case-items = Items
case-marking = Marking
case-due = Due
case-missing = Missing (10.2)
case-messages = Messages
case-history = History
case-timeline = Timeline of the weapon
case-conclusion = Conclusion
case-draft = Drafted follow-up
case-draft-field = { $field }: from { $provider }
case-not-found = No case or trace with this reference.
withheld-title = Withheld from you
withheld-step = A step provided by { $provider }, withheld from you: { $rules }
message-route = { $origin } → { $destination }
message-delivery = Delivery
message-hops = Via
message-error = Last error
message-no-content = No content to show.
timeline-provided-by = provided by { $provider }
history-by = by { $actor }
undated = undated

## A request (clause 6, 9.2)
req-reference = Requester's reference
req-recovered = Recovered
req-place = Place of recovery
req-illicit-nature = Illicit nature (9.2.1 a)
req-legal-basis = Legal basis
req-circumstances = Circumstances
req-grounds = Grounds (9.2.1 b)
req-information-sought = Information sought (9.2.1 d)
req-purpose = Purpose (9.2.1 e)
req-intended-use = Intended use
req-individuals = Individuals (9.2.2)
req-additional = Additional information
req-cannot-comply = Restrictions the requester cannot comply with (10.3)
req-incomplete = Declared incomplete (10.2)
item-weapon = Weapon
item-ammunition = Ammunition
item-part = Part
item-quantity = Quantity
item-ref = Item reference
item-make = Make
item-model = Model
item-calibre = Calibre
item-serial = Serial number
item-serial-location = Serial number location
item-country-manufacture = Country of manufacture
item-country-import = Country of last import
item-manufacturer = Manufacturer
item-lot = Lot
item-headstamp = Headstamp
item-year = Year
item-description = Description
item-photos = Photographs
marks-title = Marks (6.2.2)
mark-kind = Kind
mark-value = Mark
mark-location = Location
mark-country = Country
mark-year = Year

## A reply (10.1 to 10.5)
resp-restricted = Restricted response
resp-finding = Finding (10.4)
resp-history = History
resp-llp = Last legal possessor
resp-commercial = Commercial details
resp-individuals = Individuals
resp-additional = Additional information
resp-details = Details
resp-date = Date
resp-to = To
resp-by = By
resp-transit = Transit
resp-final-consignee = Final consignee
resp-licences = Licences
resp-searched = Searched
finding-manufactured = 10.4.1 manufactured in the requested state
finding-imported = 10.4.1 imported into the requested state
finding-internal-transfer = 10.4.2 internal transfer
finding-export = 10.4.3 exported
finding-internal-diversion = 10.4.4 diverted within the requested state
finding-no-record = No record found
ack-reference = Reference
reason = Reason
explanation = Explanation
new-due = New due date
question = Question
answer = Answer
outcome = Outcome

## Acting on a trace
act-acknowledge = Acknowledge (10.1)
act-acknowledge-reference = Your reference (optional)
act-refuse = Refuse (10.5.2)
act-delay = Delay the response (10.5.2)
act-done = Done.
error-title = Not done
error-forbidden = This request was refused: the form was not sent from this console.
error-invalid = { $field }: { $reason }
error-permission = You may not do this: { $reason }
error-precondition = Not possible now: { $reason }
error-unavailable = The node cannot answer now; try again shortly.
error-internal = Internal error; the node's log has the details.
error-not-found = Not found.

## Composing a request
compose-title = New tracing request
compose-context = Recovery (9.2.1 a, 9.2.2)
compose-purpose = What is sought, and why (9.2.1 d, e)
compose-submit = Plan and send

## Hub operators
hub-title = Figures per member
hub-member = Member
hub-relayed = Relayed
hub-pending = Pending
hub-overdue = Overdue
hub-on-behalf = On behalf
hub-median-ack = Median time to acknowledgement
hub-median-response = Median time to response
hub-unreachable = Unreachable now
hub-all-reachable = Every member is reachable.
hub-unreachable-since = deliveries failing since { $since } ({ $waiting } waiting)
hub-history = The last 14 days
hub-chart-title = { $member }: requests relayed each day, pending and overdue at its end
hub-figures-by-day = Figures by day
hub-day = Day

## What the gate withheld, and why (coded values of the view models)
part-request = request
part-response = response
part-message = message
part-payload = content
part-finding = finding
part-history = history
part-lastlegalpossessor = last legal possessor
part-lastlegalpossessor-identity = identity of the last legal possessor
part-finding-export-finalconsignee = final consignee
part-commercial = commercial details
part-individuals = individuals
part-conclusion = conclusion
part-conclusion-lastlegalpossessor = last legal possessor in the conclusion
part-detail = detail
part-note = note
part-items = items
rule-personal-data = personal data
rule-intel-only = intelligence only
rule-no-onward = no onward disclosure
rule-le-only = law enforcement only
rule-proprietary = proprietary commercial information
rule-invalid-marking = unreadable marking
rule-sealed-not-addressed-to-us = sealed, not addressed to us

## TLP 2.0 (labels stay as written; the descriptions are translated)
tlp-unspecified = (unmarked)
tlp-clear = TLP:CLEAR
tlp-green = TLP:GREEN
tlp-amber = TLP:AMBER
tlp-amber-strict = TLP:AMBER+STRICT
tlp-red = TLP:RED
tlp-clear-desc = Disclosure is not limited.
tlp-green-desc = Limited disclosure, within the recipients' community.
tlp-amber-desc = Limited disclosure, within the recipient's organisation and its clients, on a need-to-know basis.
tlp-amber-strict-desc = Limited disclosure, within the recipient's organisation only.
tlp-red-desc = For the eyes and ears of individual recipients only.
tlp-unspecified-desc = No marking.

## Use restrictions (10.3)
use-restriction-unspecified = unspecified restriction
use-restriction-intelligence-only = intelligence only
use-restriction-no-onward-disclosure = no onward disclosure
use-restriction-law-enforcement-only = law enforcement only
use-restriction-proprietary-commercial = proprietary commercial information

## Reasons (10.5.2)
withholding-reason-unspecified = no reason given
withholding-reason-ongoing-investigation-or-law = 10.5.2 (a) ongoing investigation or confidentiality law
withholding-reason-confidentiality-not-guaranteed = 10.5.2 (b) confidentiality cannot be guaranteed
withholding-reason-national-security = 10.5.2 (c) national security

## Officers' roles
role-poc = point of contact
role-investigator = investigator
role-analyst = analyst
role-auditor = auditor
role-admin = administrator

## Our role in a trace
trace-role-unspecified = -
trace-role-requester = requester
trace-role-requested = requested state
trace-role-on-behalf = on behalf
trace-role-informed = informed

## States of a trace
state-drafted = drafted
state-sent = sent
state-delivered = delivered
state-acknowledged = acknowledged
state-returned-for-completion = returned for completion
state-resubmitted = resubmitted
state-responded = responded
state-responded-restricted = responded with restrictions
state-delayed = delayed
state-refused = refused
state-clarification-requested = clarification requested
state-clarification-answered = clarification answered
state-closed = closed

## Kinds of message
payload-kind-unspecified = message
payload-kind-request = request
payload-kind-acknowledgement = acknowledgement
payload-kind-return-for-completion = return for completion
payload-kind-resubmission = resubmission
payload-kind-response = response
payload-kind-delay = delay
payload-kind-refusal = refusal
payload-kind-clarification-request = clarification request
payload-kind-clarification-reply = clarification reply
payload-kind-consent = consent
payload-kind-consent-request = consent request
payload-kind-closure = closure
payload-kind-shared-information = shared information
payload-kind-broker-notice = broker notice
payload-kind-receipt = receipt
payload-kind-on-behalf-request = on-behalf request
payload-kind-delivery-failure = delivery failure

## Delivery
delivery-state-unspecified = -
delivery-state-received = received
delivery-state-queued = queued
delivery-state-relayed = relayed
delivery-state-delivered = delivered
delivery-state-rejected = rejected

## Marks (6.2.2)
mark-kind-unspecified = mark
mark-kind-serial = serial number
mark-kind-proof = proof mark
mark-kind-assembly = assembly number
mark-kind-military-police = military or police mark
mark-kind-patent = patent mark
mark-kind-import = import marking
mark-kind-manufacture = manufacture marking
mark-kind-other = other mark

## Steps of a weapon's history
history-event-kind-unspecified = event
history-event-kind-manufacture = manufacture
history-event-kind-import = import
history-event-kind-export = export
history-event-kind-transit = transit
history-event-kind-internal-transfer = internal transfer
history-event-kind-diversion = diversion
history-event-kind-last-legal-possession = last legal possession
history-event-kind-other = other

## The lead: overdue, audit, report and admin pages
nav-overdue = Overdue
nav-report = Report
nav-audit = Audit
nav-admin = Administration
overdue-title = Overdue
overdue-nothing = Nothing is overdue.
overdue-what = What is due
overdue-owed-by = Owed by
overdue-acknowledgement = acknowledgement (10.1)
overdue-response = response (10.4)
audit-title = Audit trail
audit-verify = Verify the chain against the peers' witnessed heads
audit-verification = Verification
audit-intact = The hash chain is intact: { $entries } entries.
audit-broken = The hash chain is broken at entry { $seq }:
audit-newest = The newest { $count } entries, newest first
audit-at = When
audit-actor = Who
audit-action = Action
audit-subject = Subject
audit-detail = Detail
witness-consistent = consistent
witness-truncated = TRUNCATED
witness-rewritten = REWRITTEN
witness-none-held = holds no head of ours
witness-unreachable = unreachable
report-title = Report (clause 12)
report-from = From
report-to = To
report-make = Make the report
admin-title = Administration (read-only)
admin-peers = Pinned peers
admin-directory = Directory
admin-participant = Participant
admin-endpoint = Endpoint
admin-fingerprint = CA fingerprint (SHA-256)
admin-ca-expires = CA expires
admin-serves = Serves
admin-expired = expired
admin-expires-soon = expires within 30 days
admin-trust = Trust
admin-standing = Standing
admin-confirmed = Confirmed
admin-conflict = conflict: see itictl directory
admin-yes = yes
admin-no = no
## forms
## Acting on a case: respond (10.4), return, clarify, consent, forward,
## export, drafts.
marking-message = Marking of the response
marking-section = Marking of this section
marking-same = Same as the response
use-restriction-intelligence-only-desc = Not to be used as evidence in judicial proceedings without the provider's consent.
use-restriction-no-onward-disclosure-desc = Not to be passed to a third state or organisation without the provider's consent.
use-restriction-law-enforcement-only-desc = Only for law-enforcement officers, not for administrative, policy or public use.
use-restriction-proprietary-commercial-desc = Commercial transaction details: stays with the tracing authorities, never published or passed on.
use-restriction-unspecified-desc = No restriction.
act-respond = Respond (10.4)
respond-title = Respond to trace { $reference }
respond-back = Back to the case
respond-send = Send the response
respond-case-manufacture-or-import = 10.4.1 Manufactured in or imported into our state
respond-case-internal-transfer = 10.4.2 Transferred within our state
respond-case-export = 10.4.3 Exported to another state
respond-case-internal-diversion = 10.4.4 Diverted within our state
respond-origin = Manufactured or imported
respond-by = Manufacturer or importer
respond-dates = Transfer dates (one per line or comma)
respond-consignees = Final consignees (one per line or comma)
respond-export-date = Export date
respond-importing-state = Importing state (ISO 3166-1 alpha-3)
respond-transit = Transit states (comma separated)
respond-natural-person = A private person (personal data)
respond-diversion-date = Date of diversion
respond-investigation = Investigation
respond-licence-kind = Licence kind (export, import, transit, transfer)
respond-licence-number = Licence number
respond-licence-issued-by = Licence issued by
respond-licence-date = Licence date
respond-llp-name = Name
respond-llp-category = Category (state armoury, licensed dealer, ...)
respond-llp-state = State
respond-llp-address = Address
respond-llp-since = Since
respond-llp-identity = Identity document
respond-event-kind = Kind of event
respond-event-state = State
respond-event-party = Party
respond-contract = Contract reference
respond-transport-agents = Transport agents (comma separated)
respond-brokers = Brokers (comma separated)
respond-financial = Financial transactions
respond-notes = Notes
respond-individual-name = Name of an individual
respond-individual-role = Role
respond-restricted = Restricted response (10.5.2)
respond-restricted-check = This response is restricted
respond-confirm-declared = Send even if the requester declared it cannot comply with a restriction used here (10.3)
investigation-status-unspecified = not said
investigation-status-none = none
investigation-status-envisaged = envisaged
investigation-status-launched = launched
investigation-status-concluded = concluded
act-note = Note
act-return = Return for completion (10.2)
act-return-missing = Missing elements (one per line; empty: those the completeness check found)
act-clarify-ask = Ask for clarification (10.5.2)
act-clarify-answer = Answer the clarification (10.5.2)
consent-use = Use
consent-restrictions = Restrictions to lift
consent-to = For the destination (a state, hub:NAME or panel:NAME)
consent-lift-tlp = Also lift the TLP level, for this destination only
consent-regarding = Response (envelope id; empty: all the provider gave on the trace)
consent-justification = Justification
act-consent-request = Ask the provider's consent (10.3)
act-consent-grant = Grant consent (10.3)
act-consent-decline = Decline consent
onward-use-unspecified = use
onward-use-forward-to-third-state = forwarding to a third state
onward-use-forward-to-hub = forwarding to a hub
onward-use-forward-to-un-panel = forwarding to a UN panel (11.4)
onward-use-export = export
onward-use-export-as-evidence = export as evidence
onward-use-report = inclusion in a report
forward-to = Forward to (a state, hub:NAME or panel:NAME)
act-forward = Forward
export-format = Format
export-format-unspecified = JSON
export-format-json = JSON
export-format-csv = CSV
export-evidence = As evidence for judicial proceedings
act-export = Export
act-send-draft = Send this follow-up
draft-refused = The follow-up was not sent
draft-alternatives = Other ways to send it
act-send-ask-consent = Ask the providers' consent; send once granted
act-send-without-restricted = Send without the refused fields
refusal-title = { $use }: refused
refusal-title-to = { $title } (to { $to })
refusal-part = { $part }, provided by { $providers }:
refusal-rule-tlp = { $marking } ({ $meaning }) does not allow { $use }
refusal-rule-restriction = { $marking } ({ $meaning }) forbids { $use }
refusal-rule-personal-data = personal data: withheld from analysts, auditors, administrators and reports
refusal-rule-invalid-marking = its marking cannot be read, so it is kept in
part-domesticfindings-exportrecord = export record
part-grounds-explanation = routing grounds
## compose
compose-field = Field
compose-check = Check the plan and completeness
compose-add-weapon = Add a weapon
compose-add-ammunition = Add an ammunition lot
compose-add-part = Add a part
compose-manufacturer-code = Manufacturer's code
compose-part-kind = Kind of part
compose-plan-title = Routing plan (9.1)
compose-requested-state = Requested state
compose-rule = Rule
compose-path = Path
compose-path-direct = direct
compose-path-via = via { $hubs }
compose-not-reachable = Not reachable:
compose-hints-title = What the requested state may find missing (10.2)
compose-nothing-missing = Nothing missing.
routing-rule-unspecified = no rule
routing-rule-export-record = 9.1 a export record
routing-rule-import-marking = 9.1 b import marking
routing-rule-manufacture-marking = 9.1 c manufacture marking
routing-rule-officer-override = chosen by the point of contact
part-kind-unspecified = part (kind not given)
part-kind-barrel = barrel
part-kind-frame-or-receiver = frame or receiver
part-kind-slide = slide
part-kind-bolt-or-breech-block = bolt or breech block
part-kind-cylinder = cylinder
part-kind-other = other part
compose-photo = Photograph (JPEG, PNG, GIF or WebP)
compose-photo-kept = Photograph attached:
photo-alt = Photograph of the item
