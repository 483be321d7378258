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
use-restriction-intelligence-only-desc = Ni preuve ni usage en procédure.
use-restriction-no-onward-disclosure-desc = À ne transmettre à aucun autre État ni organisme.
use-restriction-law-enforcement-only-desc = Police, douanes et parquet, pas d'autres administrations.
use-restriction-proprietary-commercial-desc = Données d'une entreprise, tenues à l'écart de ses concurrents.
compose-photo = Photographie (JPEG, PNG, GIF ou WebP)
compose-photo-kept = Photographie jointe :
photo-alt = Photographie de l'objet
