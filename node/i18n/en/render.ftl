# ITI Exchange text output (itictl, the demo), English. Sentences keep
# their arguments' names in every language; officers' free text arrives in
# arguments and is printed as written. Coded values (TLP levels,
# restrictions, roles, states, kinds of message, 10.5.2 reasons) are those
# of console.ftl, shared with the console.

## Numbers and spans of time
text-decimal-separator = .
text-seconds = { $n } s
text-minutes = { $n } min
text-hours = { $n } h
text-days = { $n } days

## Lists of traces
text-ack-due = ack due { $when }
text-response-due = response due { $when }
text-overdue = OVERDUE
text-missing-count = { $count } missing (10.2)
text-flagged-count = { $count } flagged

## Routing plans (9.1, 9.2.1 b)
text-requested-state = requested state: { $state }  (rule: { $rule })
text-grounds = grounds (9.2.1 b): { $explanation }
text-override = override: rules chose { $state } — reason: { $reason }
text-no-state = no state
text-path-direct = path: direct
text-path-via = path: via { $hubs }
# A plan to a state no route reaches (`RoutingPlan.not_reachable`).
text-not-reachable = NOT REACHABLE: { $reason }
text-may-return = the requested state may return it for completion (10.2); missing:
text-warning = warning: { $field } ({ $flag }): { $description }

## Markings
text-marking = marking: { $marking }
text-labelled = { $label }: { $value }
text-photo = photograph: sha256:{ $hash } (itictl photo get { $hash })
text-items-shown = Items { $first } to { $last } of { $total } are shown; --items { $next } shows the next.
text-items-shown-last = Items { $first } to { $last } of { $total } are shown.
text-same-request = items and context as in the request of trace …{ $trace }; what differs:
text-marking-unreadable = (unreadable marking)

## A request (9.2)
text-incomplete = declared incomplete (10.2): { $explanation }
text-cannot-comply = cannot comply with (10.3): { $restrictions }

## A response (10.4)
text-restricted = RESTRICTED response: { $reason } — { $explanation }
text-finding-manufactured = finding{ $marking }: 10.4.1 manufactured by { $by } on { $date } { $details }
text-finding-imported = finding{ $marking }: 10.4.1 imported by { $by } on { $date } { $details }
text-finding-internal-transfer = finding{ $marking }: 10.4.2 internal transfer on { $dates } to { $consignees } { $details }
text-finding-export = finding{ $marking }: 10.4.3 exported on { $date } to { $state }{ $transit }, final consignee { $consignee } { $details }
text-transit = (transit { $states })
text-licence = licence: { $licence }
text-finding-internal-diversion = finding{ $marking }: 10.4.4 diverted on { $date }: { $details } (investigation: { $investigation })
text-finding-no-record = finding{ $marking }: no record found. { $details }
text-searched = searched: { $what }
text-llp = last legal possessor{ $marking }: { $name } ({ $category }, { $state })
text-commercial = commercial{ $marking }: { $parts }
text-contract = contract { $value }
text-transport = transport { $value }
text-brokers = brokers { $value }
text-individual = individual{ $marking }: { $name } — { $role }
text-additional = additional: { $text }

## Other messages
text-acknowledged = acknowledged (10.1) { $reference }
text-returned = returned for completion (10.2):
text-returned-automatically = returned for completion (10.2), automatically:
text-resubmitted = completed request resubmitted
text-delay = delay until { $when }: { $reason } — { $explanation }
text-refusal = refusal: { $reason } — { $explanation }
text-question = question: { $text }
text-answer = answer: { $text }
text-consents = consents: { $use } { $lifts }{ $destination }{ $regarding }
text-declines = declines: { $use } { $lifts }{ $destination }{ $regarding }
text-asks-consent = asks consent: { $use } { $lifts }{ $destination }{ $regarding }
text-lifting = lifting { $what }
text-the-tlp-level = the TLP level
text-for-only = for { $destination } only
text-regarding = (message { $message })
text-note = note: { $text }
text-why = why: { $text }
text-closed = closed: { $outcome }
text-information-provided = information provided by { $provider } (case { $case })
text-broker-notice = { $broker }: item { $item } matches { $make } { $serial } reported lost/stolen by { $by } on { $on } ({ $circumstances }){ $differences }
text-read-differently = serial read differently: { $serials }
text-receipt = end-to-end receipt
text-not-delivered = envelope { $envelope } was not delivered: { $reason }
text-on-behalf-request = request to conduct a trace on the member's behalf (11.3.1)

## A case (itictl case show)
text-case = case { $case }
text-trace = trace { $trace }  ({ $role } — counterpart { $counterpart })  state: { $state }
text-on-behalf = on behalf: { $text }
text-items-marking = items: { $items }   marking: { $marking }
text-due = due: acknowledgement { $ack }, response { $response }
text-missing = missing (10.2):
text-pending = pending: { $text }
text-requester-cannot-comply = requester cannot comply with (10.3): { $restrictions }
text-messages = messages:
text-receipt-at = receipt { $when }
text-via = via { $hubs }
text-withheld = withheld from you: { $what }
text-last-error = last error: { $text }
text-history = history:
text-timeline = timeline of the weapon:
text-step-withheld = a step provided by { $provider } — withheld from you: { $rules }
text-conclusion = conclusion: { $conclusion }  [{ $marking }]
text-conclusion-withheld = conclusion, withheld from you: { $what }
text-draft = draft (sent with `itictl request send`):
text-draft-field = { $field } — from { $provider } under { $marking }

## Queues
text-nothing-overdue = nothing is overdue
text-overdue-item = { $what } owed by { $owedby } (counterpart { $counterpart }) was due { $due }
text-outbox-empty = the outbox is empty
text-outbox-item = to { $destination } via { $hop } { $state } since { $since }  attempts { $attempts }  next { $next }

## The audit trail
text-audit-intact = audit trail intact: { $entries } entries, hash chain verified
text-audit-broken = AUDIT TRAIL BROKEN at entry { $seq }: { $problem }
text-witness = witness
text-witness-head = entry { $seq } ({ $head }…, signed { $when })

## Hub figures (itictl hub stats)
text-hub-member = member
text-hub-relayed = relayed
text-hub-pending = pending
text-hub-overdue = overdue
text-hub-on-behalf = on-behalf
text-hub-median-ack = median ack
text-hub-median-response = median response
text-hub-unreachable = unreachable now: { $member }, deliveries failing since { $since } ({ $waiting } waiting)

## The directory
text-directory-empty = the directory is empty
text-entry = { $participant }  (trust: { $trust }, serial { $serial })
text-ca-fingerprint = CA fingerprint (SHA-256): { $text }
text-standing = standing: { $text }
text-conflict = CONFLICT: { $by } offered serial { $serial } with CA { $ca } on { $when }
text-endpoints = endpoints: { $text }
text-languages = languages: { $text }
text-serves = serves: { $text }
text-point-of-contact = point of contact: { $name }, { $agency } <{ $email }> { $phone } — may search: { $records }
text-all-records = all domestic records
text-next-certificate = next certificate from { $when }
text-directory-log = directory log followed: { $size } entries, head { $head }, signed { $when }
text-log-empty-head = (empty)
text-log-empty = empty
text-equivocation = EQUIVOCATION ({ $through }, { $when }): the hub signed a head of size { $size } ({ $theirs }) that the log followed here ({ $ours }) does not explain; its entries are refused until an admin decides (`itictl peer confirm` of the hub, once settled with its operator)

## itictl's own replies
text-acted = { $what }: envelope { $envelope } queued; trace is now { $state }
text-note-warning = warning: { $text }
text-plan-only = nothing sent. If submitted, this request would go:
text-sent = sent: case { $case }, trace { $trace }
text-not-sent-yet = not sent yet: case { $case }, trace { $trace }
text-exported-to = exported to { $path }
text-inbox-empty = the inbox is empty
text-no-traces = no traces
done-acknowledged = acknowledged
done-response-sent = response sent
done-returned-for-completion = returned for completion
done-resubmitted = resubmitted
done-delay-notified = delay notified
done-refusal-sent = refusal sent
done-clarification-requested = clarification requested
done-clarification-sent = clarification sent
done-consent-granted = consent granted
done-consent-declined = consent declined
done-consent-requested = consent requested
done-closed = closed
done-forwarded = forwarded

## What happened to a trace (its history), besides the states it reached
event-received = { $message } received
event-request-received = request received
event-information-received = information received
event-passed-on = passed on
event-routing-override = routing chosen by the point of contact
event-follow-up-proposed = follow-up proposed
event-on-behalf-request = trace asked for on a member's behalf
event-waiting-for-consent = waiting for consent
event-delivery-refused = delivery refused
event-answer-drafted = answer drafted from the records
event-draft-viewed = draft read
event-forwarded = forwarded
event-relayed = relayed

## Coded values not (yet) in console.ftl, shared with the console
record-domain-unspecified = records
record-domain-law-enforcement = law enforcement
record-domain-manufacturers = manufacturers
record-domain-dealers = dealers
record-domain-civilians = civilians
record-domain-military = military
record-domain-transfer-licensing = transfer licensing

## Administration (itictl whoami, peer, directory, register)
text-whoami = { $officer } ({ $role }) on the { $kind } node of { $participant }
text-node-of-hub = hub
text-node-of-state = state
text-peer-pinned = pinned the CA of { $participant } ({ $subject }, SHA-256 { $fingerprint }) for { $participant } only; endpoint { $endpoint }
text-no-peers = no peers
text-peer-serves = serves { $list }
text-published = published; the node now holds:
text-published-entry = { $participant } serial { $serial } ({ $trust })
text-none = none
text-accepted = accepted: { $list }
text-refused = refused: { $what }
text-unreachable = unreachable: { $what }
text-register-added = { $accepted } record(s) added to the register, { $rejected } rejected
text-rejected-line = line { $line }: { $reason }

## itictl records: import, search, history, trace domestic
records-imported = { $imported } record(s) imported ({ $updated } updated in place), { $rejected } line(s) rejected
records-dry-run = dry run, nothing written: { $summary }
records-rejected-line = line { $line }: { $reason }
records-rejected-more = ... and { $count } more
records-matched = { $count } record(s) matched, in { $domains }
records-none = no record in { $domains }
records-to = to { $state }
records-key = key { $key }
records-personal = personal data
records-end = end: { $end }
records-others = { $count } other weapon(s) matched too: give the make, model and calibre
records-from = from { $from }
records-from-node = the node
domestic-recorded = recorded in the national database of recovered weapons (7.5): { $id }
domestic-searched = searched: { $domains }
domestic-opened = domestic investigation opened: case { $case }
domestic-drafted = request to { $to } drafted: review it with `itictl case show { $trace }`, send it with `itictl request send { $trace }`
photo-saved = { $path }: { $media }, { $bytes } bytes, sha256 { $sha256 }
photo-added = { $path }: stored, { $media }, { $bytes } bytes, sha256 { $sha256 }. Name it in an item's "photographs" in the request file:

## itictl ca and cert: the participant's CA and certificates
ca-created = created the CA of { $participant } in { $dir }
ca-certificate = certificate: { $path }
ca-private-key = private key: { $path } (keep it offline)
ca-fingerprint = fingerprint (SHA-256): { $fingerprint }
cert-issued = issued { $identity }
cert-p12 = { $path } (for the officer's browser)
cert-p12-password = its password, shown once (give it to the officer by another channel): { $password }
cert-seal-key = { $path } (sealing key; public half { $key }, goes in the peer card)
cert-revoked = revoked serial { $serial }; { $crl } now lists { $count } certificate(s). Distribute it with the peer card (itictl peer export --crl) or the directory.
cert-identity = identity: { $identity }
cert-no-identity = (no identity: { $error })
cert-subject = subject:  { $subject }
cert-issuer = issuer:   { $issuer }
cert-valid = valid:    { $from } to { $to }
cert-serial = serial:   { $serial }
cert-names = names:    { $names }
cert-usages = usages:   { $usages }
cert-usage-server = server authentication
cert-usage-client = client authentication
cert-ca = CA:       yes

# itictl records: import progress, recovered weapons, drafted answers.
records-progress = { $percent }% read, { $sent } records sent
records-searched-in = from { $domains }
match-quality-exact = exact match
match-quality-misread = misread match
match-quality-transposed = transposed match
record-kind-unspecified = record
record-kind-manufacture = manufacture
record-kind-import = import
record-kind-export = export
record-kind-holding = holding
record-kind-transfer = transfer
record-kind-loss = loss or theft
record-kind-destruction = destruction
recovered-investigation = investigation { $case }
recovered-request = request { $trace } ({ $progress })
draft-answer = answer drafted from records for trace { $trace }: { $outcome }
draft-searched = searched { $what }
draft-officers = (points of contact: { $officers })
draft-to-confirm = to confirm
draft-confirmed-by = confirmed by { $who }
draft-finding = { $domain } from { $sources }: { $summary }; { $state }
draft-finding-withheld = { $domain }: findings withheld (you may not search this domain); { $state }
draft-response = the response as it would be sent:
draft-sources = where each value comes from:
draft-not-shown = the combined response holds findings of domains you may not search: it is not shown
draft-sent = sent
draft-confirmed = confirmed: { $domains }
draft-response-sent = response sent (envelope { $envelope })
draft-warning = warning: { $warning }
draft-not-sent = not sent yet: { $domains } still to be confirmed by their point of contact
draft-written = drafted response written to { $path }: edit it, then `itictl respond { $trace } --file { $path }`
