# Console ITI Exchange, français. Mêmes identifiants que le catalogue
# anglais ; les valeurs codées prennent les noms des énumérations du
# protocole (TLP_AMBER_STRICT → tlp-amber-strict) ou les codes du nœud.

## Mise en page
console-title = Console ITI Exchange
nav-inbox = Corbeille
nav-compose = Nouvelle demande
nav-hub = Chiffres du hub
nav-language = Langue
signed-in-as = Connecté·e : { $officer } ({ $role }), { $participant }
skip-to-content = Aller au contenu

## Corbeille
inbox-title = Corbeille
inbox-we-owe = Ce que nous devons
inbox-owed-to-us = Ce qui nous est dû
inbox-closed = Clos
inbox-nothing = Rien ici.
col-reference = Référence
col-counterpart = Correspondant
col-role = Notre rôle
col-state = État
col-items = Objets
col-due = Échéance
col-marking = Marquage
due-overdue = en retard
due-soon = bientôt dû
due-ack = accusé de réception { $when }
due-response = réponse { $when }
missing-count = { $count } manquant(s) (10.2)

## Dossier
case-title = Dossier { $reference }
case-trace = Traçage { $reference }
case-counterpart = Correspondant
case-state = État
case-role = Notre rôle
case-on-behalf = Au nom de
case-items = Objets
case-marking = Marquage
case-due = Échéances
case-missing = Éléments manquants (10.2)
case-messages = Messages
case-history = Historique
case-timeline = Chronologie de l'arme
case-conclusion = Conclusion
case-draft = Suite proposée (brouillon)
case-draft-field = { $field } : fourni par { $provider }
case-not-found = Aucun dossier ni traçage avec cette référence.
withheld-title = Retenu pour vous
withheld-step = Une étape fournie par { $provider }, retenue pour vous : { $rules }
message-route = { $origin } → { $destination }
message-delivery = Remise
message-hops = Via
message-error = Dernière erreur
message-no-content = Aucun contenu à afficher.
timeline-provided-by = fourni par { $provider }
history-by = par { $actor }
undated = sans date

## Une demande (clauses 6, 9.2)
req-reference = Référence du demandeur
req-recovered = Récupéré le
req-place = Lieu de la récupération
req-illicit-nature = Caractère illicite (9.2.1 a)
req-legal-basis = Fondement juridique
req-circumstances = Circonstances
req-grounds = Motifs (9.2.1 b)
req-information-sought = Informations recherchées (9.2.1 d)
req-purpose = Finalité (9.2.1 e)
req-intended-use = Usage prévu
req-individuals = Personnes (9.2.2)
req-additional = Informations complémentaires
req-cannot-comply = Restrictions que le demandeur ne peut respecter (10.3)
req-incomplete = Déclarée incomplète (10.2)
item-weapon = Arme
item-ammunition = Munitions
item-part = Pièce
item-quantity = Quantité
item-ref = Référence de l'objet
item-make = Marque
item-model = Modèle
item-calibre = Calibre
item-serial = Numéro de série
item-serial-location = Emplacement du numéro de série
item-country-manufacture = Pays de fabrication
item-country-import = Pays de dernière importation
item-manufacturer = Fabricant
item-lot = Lot
item-headstamp = Marquage du culot
item-year = Année
item-description = Description
item-photos = Photographies
marks-title = Marquages (6.2.2)
mark-kind = Type
mark-value = Marquage
mark-location = Emplacement
mark-country = Pays
mark-year = Année

## Une réponse (10.1 à 10.5)
resp-restricted = Réponse restreinte
resp-finding = Constat (10.4)
resp-history = Historique
resp-llp = Dernier détenteur légal
resp-commercial = Détails commerciaux
resp-individuals = Personnes
resp-additional = Informations complémentaires
resp-details = Détails
resp-date = Date
resp-to = Vers
resp-by = Par
resp-transit = Transit
resp-final-consignee = Destinataire final
resp-licences = Licences
resp-searched = Recherché dans
finding-manufactured = 10.4.1 fabriquée dans l'État requis
finding-imported = 10.4.1 importée dans l'État requis
finding-internal-transfer = 10.4.2 transfert interne
finding-export = 10.4.3 exportée
finding-internal-diversion = 10.4.4 détournée dans l'État requis
finding-no-record = Aucun enregistrement trouvé
ack-reference = Référence
reason = Motif
explanation = Explication
new-due = Nouvelle échéance
question = Question
answer = Réponse
outcome = Résultat

## Agir sur un traçage
act-acknowledge = Accuser réception (10.1)
act-acknowledge-reference = Votre référence (facultatif)
act-refuse = Refuser (10.5.2)
act-delay = Différer la réponse (10.5.2)
act-done = Fait.
error-title = Non effectué
error-forbidden = Requête refusée : le formulaire n'a pas été envoyé depuis cette console.
error-invalid = { $field } : { $reason }
error-permission = Vous ne pouvez pas faire ceci : { $reason }
error-precondition = Impossible pour l'instant : { $reason }
error-unavailable = Le nœud ne peut pas répondre maintenant ; réessayez dans un instant.
error-internal = Erreur interne ; le journal du nœud en donne le détail.
error-not-found = Introuvable.

## Rédiger une demande
compose-title = Nouvelle demande de traçage
compose-context = Récupération (9.2.1 a, 9.2.2)
compose-purpose = Ce qui est recherché, et pourquoi (9.2.1 d, e)
compose-submit = Planifier et envoyer

## Opérateurs de hub
hub-title = Chiffres par membre
hub-member = Membre
hub-relayed = Relayés
hub-pending = En attente
hub-overdue = En retard
hub-on-behalf = Pour le compte
hub-median-ack = Délai médian d'accusé de réception
hub-median-response = Délai médian de réponse
hub-unreachable = Injoignables en ce moment
hub-all-reachable = Tous les membres sont joignables.
hub-unreachable-since = remises en échec depuis { $since } ({ $waiting } en attente)
hub-history = Les 14 derniers jours
hub-chart-title = { $member } : demandes relayées chaque jour, en attente et en retard à la fin du jour
hub-figures-by-day = Chiffres par jour
hub-day = Jour

## Ce que le filtre a retenu, et pourquoi (valeurs codées des modèles de vue)
part-request = demande
part-response = réponse
part-message = message
part-payload = contenu
part-finding = constat
part-history = historique
part-lastlegalpossessor = dernier détenteur légal
part-lastlegalpossessor-identity = identité du dernier détenteur légal
part-finding-export-finalconsignee = destinataire final
part-commercial = détails commerciaux
part-individuals = personnes
part-conclusion = conclusion
part-conclusion-lastlegalpossessor = dernier détenteur légal dans la conclusion
part-detail = détail
part-note = note
part-items = objets
rule-personal-data = données personnelles
rule-intel-only = renseignement uniquement
rule-no-onward = pas de divulgation ultérieure
rule-le-only = services répressifs uniquement
rule-proprietary = information commerciale exclusive
rule-invalid-marking = marquage illisible
rule-sealed-not-addressed-to-us = scellé, non adressé à nous

## TLP 2.0 (les étiquettes restent telles quelles ; les descriptions sont traduites)
tlp-unspecified = (sans marquage)
tlp-clear = TLP:CLEAR
tlp-green = TLP:GREEN
tlp-amber = TLP:AMBER
tlp-amber-strict = TLP:AMBER+STRICT
tlp-red = TLP:RED
tlp-clear-desc = La diffusion n'est pas limitée.
tlp-green-desc = Diffusion limitée, au sein de la communauté des destinataires.
tlp-amber-desc = Diffusion limitée, au sein de l'organisation du destinataire et de ses clients, selon le besoin d'en connaître.
tlp-amber-strict-desc = Diffusion limitée, au sein de l'organisation du destinataire uniquement.
tlp-red-desc = Réservé aux seuls destinataires individuels.
tlp-unspecified-desc = Sans marquage.

## Restrictions d'usage (10.3)
use-restriction-unspecified = restriction non précisée
use-restriction-intelligence-only = renseignement uniquement
use-restriction-no-onward-disclosure = pas de divulgation ultérieure
use-restriction-law-enforcement-only = services répressifs uniquement
use-restriction-proprietary-commercial = information commerciale exclusive

## Motifs (10.5.2)
withholding-reason-unspecified = aucun motif donné
withholding-reason-ongoing-investigation-or-law = 10.5.2 (a) enquête en cours ou loi sur la confidentialité
withholding-reason-confidentiality-not-guaranteed = 10.5.2 (b) la confidentialité ne peut être garantie
withholding-reason-national-security = 10.5.2 (c) sécurité nationale

## Rôles des agents
role-poc = point de contact
role-investigator = enquêteur·rice
role-analyst = analyste
role-auditor = auditeur·rice
role-admin = administrateur·rice

## Notre rôle dans un traçage
trace-role-unspecified = -
trace-role-requester = demandeur
trace-role-requested = État requis
trace-role-on-behalf = pour le compte d'un membre
trace-role-informed = informé

## États d'un traçage
state-drafted = brouillon
state-sent = envoyé
state-delivered = remis
state-acknowledged = accusé de réception
state-returned-for-completion = renvoyé pour complément
state-resubmitted = soumis à nouveau
state-responded = répondu
state-responded-restricted = répondu avec restrictions
state-delayed = différé
state-refused = refusé
state-clarification-requested = précision demandée
state-clarification-answered = précision apportée
state-closed = clos

## Types de message
payload-kind-unspecified = message
payload-kind-request = demande
payload-kind-acknowledgement = accusé de réception
payload-kind-return-for-completion = renvoi pour complément
payload-kind-resubmission = nouvelle soumission
payload-kind-response = réponse
payload-kind-delay = report
payload-kind-refusal = refus
payload-kind-clarification-request = demande de précision
payload-kind-clarification-reply = précision
payload-kind-consent = consentement
payload-kind-consent-request = demande de consentement
payload-kind-closure = clôture
payload-kind-shared-information = information partagée
payload-kind-broker-notice = avis du courtier
payload-kind-receipt = accusé de remise
payload-kind-on-behalf-request = demande pour le compte d'un membre
payload-kind-delivery-failure = échec de remise

## Remise
delivery-state-unspecified = -
delivery-state-received = reçu
delivery-state-queued = en file d'attente
delivery-state-relayed = relayé
delivery-state-delivered = remis
delivery-state-rejected = rejeté

## Marquages (6.2.2)
mark-kind-unspecified = marquage
mark-kind-serial = numéro de série
mark-kind-proof = poinçon d'épreuve
mark-kind-assembly = numéro d'assemblage
mark-kind-military-police = marquage militaire ou de police
mark-kind-patent = marquage de brevet
mark-kind-import = marquage d'importation
mark-kind-manufacture = marquage de fabrication
mark-kind-other = autre marquage

## Étapes de l'histoire d'une arme
history-event-kind-unspecified = événement
history-event-kind-manufacture = fabrication
history-event-kind-import = importation
history-event-kind-export = exportation
history-event-kind-transit = transit
history-event-kind-internal-transfer = transfert interne
history-event-kind-diversion = détournement
history-event-kind-last-legal-possession = dernière détention légale
history-event-kind-other = autre

## The lead: overdue, audit, report and admin pages
nav-overdue = En retard
nav-report = Rapport
nav-audit = Audit
nav-admin = Administration
overdue-title = En retard
overdue-nothing = Rien n'est en retard.
overdue-what = Ce qui est dû
overdue-owed-by = Dû par
overdue-acknowledgement = accusé de réception (10.1)
overdue-response = réponse (10.4)
audit-title = Journal d'audit
audit-verify = Vérifier la chaîne auprès des têtes attestées par les pairs
audit-verification = Vérification
audit-intact = La chaîne de hachage est intacte : { $entries } entrées.
audit-broken = La chaîne de hachage est rompue à l'entrée { $seq } :
audit-newest = Les { $count } entrées les plus récentes, la plus récente d'abord
audit-at = Quand
audit-actor = Qui
audit-action = Action
audit-subject = Objet
audit-detail = Détail
witness-consistent = cohérente
witness-truncated = TRONQUÉE
witness-rewritten = RÉÉCRITE
witness-none-held = ne détient aucune de nos têtes
witness-unreachable = injoignable
report-title = Rapport (article 12)
report-from = Du
report-to = Au
report-make = Établir le rapport
admin-title = Administration (lecture seule)
admin-peers = Pairs épinglés
admin-directory = Annuaire
admin-participant = Participant
admin-endpoint = Point d'accès
admin-fingerprint = Empreinte de l'AC (SHA-256)
admin-ca-expires = Expiration de l'AC
admin-serves = Dessert
admin-expired = expirée
admin-expires-soon = expire dans moins de 30 jours
admin-trust = Confiance
admin-standing = Statut
admin-confirmed = Confirmée
admin-conflict = conflit : voir itictl directory
admin-yes = oui
admin-no = non
## forms
## Agir sur un dossier : répondre (10.4), renvoyer, clarifier, consentement,
## transmettre, exporter, projets.
marking-message = Marquage de la réponse
marking-section = Marquage de cette section
marking-same = Celui de la réponse
use-restriction-intelligence-only-desc = Ne pas utiliser comme preuve dans une procédure judiciaire sans le consentement de la source.
use-restriction-no-onward-disclosure-desc = Ne pas transmettre à un État tiers ou à une organisation sans le consentement de la source.
use-restriction-law-enforcement-only-desc = Réservé aux services répressifs, pas à un usage administratif, politique ou public.
use-restriction-proprietary-commercial-desc = Détails d'une transaction commerciale : restent aux autorités de traçage, jamais publiés ni transmis.
use-restriction-unspecified-desc = Aucune restriction.
act-respond = Répondre (10.4)
respond-title = Répondre au traçage { $reference }
respond-back = Retour au dossier
respond-send = Envoyer la réponse
respond-case-manufacture-or-import = 10.4.1 Fabriquée dans notre État ou importée
respond-case-internal-transfer = 10.4.2 Transférée dans notre État
respond-case-export = 10.4.3 Exportée vers un autre État
respond-case-internal-diversion = 10.4.4 Détournée dans notre État
respond-origin = Fabriquée ou importée
respond-by = Fabricant ou importateur
respond-dates = Dates des transferts (une par ligne ou virgule)
respond-consignees = Destinataires finaux (un par ligne ou virgule)
respond-export-date = Date d'exportation
respond-importing-state = État importateur (ISO 3166-1 alpha-3)
respond-transit = États de transit (séparés par des virgules)
respond-natural-person = Une personne privée (données personnelles)
respond-diversion-date = Date du détournement
respond-investigation = Enquête
respond-licence-kind = Type de licence (exportation, importation, transit, transfert)
respond-licence-number = Numéro de licence
respond-licence-issued-by = Licence délivrée par
respond-licence-date = Date de la licence
respond-llp-name = Nom
respond-llp-category = Catégorie (arsenal de l'État, armurier agréé, ...)
respond-llp-state = État
respond-llp-address = Adresse
respond-llp-since = Depuis
respond-llp-identity = Pièce d'identité
respond-event-kind = Type d'événement
respond-event-state = État
respond-event-party = Partie
respond-contract = Référence du contrat
respond-transport-agents = Transporteurs (séparés par des virgules)
respond-brokers = Courtiers (séparés par des virgules)
respond-financial = Transactions financières
respond-notes = Notes
respond-individual-name = Nom d'une personne
respond-individual-role = Rôle
respond-restricted = Réponse restreinte (10.5.2)
respond-restricted-check = Cette réponse est restreinte
respond-confirm-declared = Envoyer même si le demandeur a déclaré ne pas pouvoir respecter une restriction utilisée ici (10.3)
investigation-status-unspecified = non précisé
investigation-status-none = aucune
investigation-status-envisaged = envisagée
investigation-status-launched = ouverte
investigation-status-concluded = close
act-note = Note
act-return = Renvoyer pour complément (10.2)
act-return-missing = Éléments manquants (un par ligne ; vide : ceux que le contrôle a trouvés)
act-clarify-ask = Demander une clarification (10.5.2)
act-clarify-answer = Répondre à la demande de clarification (10.5.2)
consent-use = Usage
consent-restrictions = Restrictions à lever
consent-to = Pour le destinataire (un État, hub:NOM ou panel:NOM)
consent-lift-tlp = Lever aussi le niveau TLP, pour ce destinataire seulement
consent-regarding = Réponse (identifiant d'enveloppe ; vide : tout ce que la source a fourni sur ce traçage)
consent-justification = Justification
act-consent-request = Demander le consentement de la source (10.3)
act-consent-grant = Donner son consentement (10.3)
act-consent-decline = Refuser le consentement
onward-use-unspecified = usage
onward-use-forward-to-third-state = transmission à un État tiers
onward-use-forward-to-hub = transmission à un hub
onward-use-forward-to-un-panel = transmission à un groupe d'experts de l'ONU (11.4)
onward-use-export = exportation
onward-use-export-as-evidence = exportation comme preuve
onward-use-report = inclusion dans un rapport
forward-to = Transmettre à (un État, hub:NOM ou panel:NOM)
act-forward = Transmettre
export-format = Format
export-format-unspecified = JSON
export-format-json = JSON
export-format-csv = CSV
export-evidence = Comme preuve dans une procédure judiciaire
act-export = Exporter
act-send-draft = Envoyer cette demande de suivi
draft-refused = La demande de suivi n'a pas été envoyée
draft-alternatives = D'autres façons de l'envoyer
act-send-ask-consent = Demander le consentement des sources ; envoyer une fois accordé
act-send-without-restricted = Envoyer sans les champs refusés
refusal-title = { $use } : refusée
refusal-title-to = { $title } (vers { $to })
refusal-part = { $part }, fourni par { $providers } :
refusal-rule-tlp = { $marking } ({ $meaning }) ne permet pas : { $use }
refusal-rule-restriction = { $marking } ({ $meaning }) interdit : { $use }
refusal-rule-personal-data = données personnelles : retenues pour les analystes, auditeurs, administrateurs et rapports
refusal-rule-invalid-marking = son marquage est illisible ; il est donc retenu
part-domesticfindings-exportrecord = registre d'exportation
part-grounds-explanation = motifs de l'acheminement
## compose
compose-field = Champ
compose-check = Vérifier l'acheminement et la complétude
compose-add-weapon = Ajouter une arme
compose-add-ammunition = Ajouter un lot de munitions
compose-add-part = Ajouter une pièce
compose-manufacturer-code = Code du fabricant
compose-part-kind = Type de pièce
compose-plan-title = Acheminement (9.1)
compose-requested-state = État requis
compose-rule = Règle
compose-path = Chemin
compose-path-direct = direct
compose-path-via = par { $hubs }
compose-not-reachable = Injoignable :
compose-hints-title = Ce que l'État requis pourrait trouver manquant (10.2)
compose-nothing-missing = Rien ne manque.
routing-rule-unspecified = aucune règle
routing-rule-export-record = 9.1 a registre d'exportation
routing-rule-import-marking = 9.1 b marquage d'importation
routing-rule-manufacture-marking = 9.1 c marquage de fabrication
routing-rule-officer-override = choisi par le point de contact
part-kind-unspecified = pièce (type non précisé)
part-kind-barrel = canon
part-kind-frame-or-receiver = carcasse ou boîte de culasse
part-kind-slide = glissière
part-kind-bolt-or-breech-block = culasse ou bloc de culasse
part-kind-cylinder = barillet
part-kind-other = autre pièce
