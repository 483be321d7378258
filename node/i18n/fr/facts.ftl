# ITI Exchange : ce que le nœud constate, formulé pour les personnes
# (français). Partagé par la console et itictl. Le texte libre des agents
# (valeurs des marquages, emplacements, noms) arrive dans les arguments et
# s'affiche tel qu'écrit.

## Acheminement (9.1) : pourquoi un État est choisi
routing-records = Les registres nationaux
routing-records-of = Les registres nationaux de { $by }
routing-on-date = le { $value }
routing-under-licence = sous la licence { $value }
routing-exported = { $records } montrent que les objets ont été exportés vers { $state }{ $date }{ $licence } (ISACS 05.31 9.1 a).
routing-import-country = L'identification de items[{ $item }] donne { $state } comme pays de la dernière importation (ISACS 05.31 9.1 b).
routing-manufacture-country = L'identification de items[{ $item }] donne { $state } comme pays de fabrication (ISACS 05.31 9.1 c).
routing-import-marking = Le marquage d'importation « { $value } » sur items[{ $item }]{ $location } désigne { $state } comme l'État de la dernière importation (ISACS 05.31 9.1 b).
routing-latest-of = C'est le plus récent de { $count } marquages d'importation.
routing-manufacture-marking = Le marquage de fabrication « { $value } » sur items[{ $item }]{ $location } désigne { $state } comme l'État de fabrication (ISACS 05.31 9.1 c).
routing-also-one = L'identification de { $items } désigne aussi { $state }.
routing-also-many = Les identifications de { $items } et { $last } désignent aussi { $state }.
routing-item-range = { $first } à { $last }
routing-also-range = Les identifications de { $items } désignent aussi { $state }.
routing-also-count = { $count } autres objets désignent aussi { $state }.
# Un plan vers un État qu'aucune carte de pair ni entrée d'annuaire ne nomme.
routing-not-in-directory = { $state } n'est pas dans l'annuaire (aucune carte de pair ni entrée d'annuaire ne le nomme) : une demande envoyée maintenant ne lui parviendrait pas

## Complétude (10.2) : ce qui manque à une demande, par le chemin JSON du champ
missing-context-illicitnature = la nature illicite des objets
missing-context-legalbasis = la justification juridique de la demande
missing-grounds-requestedstate = l'État requis
missing-grounds-explanation = les motifs de penser que l'État requis a exercé en dernier l'autorité légale sur les objets
missing-informationsought = les informations recherchées sur l'historique des objets sous la juridiction de l'État requis
missing-purpose = la finalité des informations recherchées
missing-intendeduse = l'utilisation prévue des informations recherchées
missing-items = au moins un objet récupéré (arme, munitions, ou pièce ou composant)
missing-items-item = l'identification de l'objet comme arme, munitions, ou pièce ou composant
missing-items-item-weapon-make = la marque de l'arme
missing-items-item-weapon-model = le modèle de l'arme
missing-items-item-weapon-calibre = le calibre de l'arme
missing-items-item-weapon-serialnumber = le numéro de série de l'arme
missing-items-item-weapon-countryofmanufacture = le pays de fabrication ou de dernière importation de l'arme (un champ, ou le pays d'un marquage de fabrication ou d'importation)
missing-items-item-ammunition-manufacturer = le fabricant des munitions, ou le code du fabricant
missing-items-item-ammunition-calibre = le calibre des munitions
missing-items-item-part-serialnumber = le numéro de série de la pièce ou du composant, ou au moins un de ses marquages
# Un champ que l'agent de l'État requis a nommé en renvoyant une demande.
missing-field = { $field } manque

## Résumés des objets d'une demande (listes de traçages, page du dossier)
summary-weapon = { $make } { $model } { $calibre } n° de série { $serial }
summary-ammunition = munitions { $calibre } lot { $lot } ({ $manufacturer })
summary-part = pièce { $description } n° de série { $serial }
summary-unidentified = (objet non identifié)
summary-quantity = { $n } × { $item }
summary-no-items = (aucun objet)
summary-two = { $first } ; { $second }
summary-more = { $first } ; { $second } ; et { $more } de plus
# À la place de ce que le rôle de l'agent ou le marquage ne lui laisse pas voir.
summary-withheld = [non communiqué]

## Ce qu'un traçage attend de nous, au-delà de son état
awaiting-consent-asked = consentement demandé à nous (10.3)
awaiting-information-to-read = informations transmises à nous, à lire
awaiting-consent = en attente du consentement du fournisseur avant l'envoi

## Le rapport de la clause 12
report-heading =
    Rapport ITI Exchange pour { $participant } (ISACS 05.31 clause 12)
    demandes internationales de traçage envoyées : { $sent }
    demandes reçues : { $received }
    répondues : { $answered }, refusées : { $refused }, en retard maintenant : { $overdue }
report-responses = réponses pouvant figurer dans un rapport :
report-answered = traçage { $trace } : { $origin } a répondu ({ $finding })
report-finding-manufacture-or-import = 10.4.1 fabrication ou importation
report-finding-internal-transfer = 10.4.2 transfert interne
report-finding-export = 10.4.3 exportation
report-finding-internal-diversion = 10.4.4 détournement interne
report-finding-no-record = aucun enregistrement trouvé
report-finding-no-finding = réponse, sans constatation
report-finding-other = un autre message
report-restricted = réponse restreinte : { $reason }
report-left-out = { $count } réponse(s) écartée(s) : leurs marquages ne permettent pas de les inclure dans un rapport
report-national =
    système national de traçage (clauses 7.5, 8) :
      traçages nationaux : { $count }
report-points-of-diversion = points de détournement par catégorie :
report-answered-figures = demandes reçues répondues : { $answered } (depuis les registres { $records }, à la main { $hand }) ; délai médian de réponse : { $median }
report-none-answered = aucune réponse
# Conclusions d'un traçage national (8.1).
determination-diverted-domestically = détourné sur le territoire national
determination-left-jurisdiction = sorti de la juridiction
determination-no-record = aucun enregistrement
determination-ambiguous = ambigu
# Catégories de points de détournement.
diversion-state-armoury = arsenal de l'État
diversion-dealer = marchand
diversion-civilian = civil
diversion-after-export = après exportation
diversion-other = autre

## La conclusion d'un dossier et les étapes de la chronologie écrites par le nœud (chain.rs)
conclusion-open = Ouvert
conclusion-withheld = Retenue
conclusion-export = Exportée par { $provider } vers { $to } : suite à donner auprès de { $to }
conclusion-diversion = Point de détournement trouvé : détournée dans l'État { $state }
conclusion-diversion-on = Point de détournement trouvé : détournée dans l'État { $state } le { $date }
conclusion-possessor = { $summary } ; dernier détenteur légal : { $possessor }.
conclusion-end = { $summary }.
step-last-legal-possessor = Dernier détenteur légal.
step-last-legal-possessor-category = Dernier détenteur légal ({ $category }).

## L'historique d'un traçage : ce qui s'est passé, par des faits
## (case/fact.rs).
history-actor-node = le nœud
history-none = aucun
# Les types de message, comme un agent les nomme.
history-kind-unspecified = message vide
history-kind-request = demande de traçage (9.2)
history-kind-acknowledgement = accusé de réception (10.1)
history-kind-return-for-completion = renvoi pour complément (10.2)
history-kind-resubmission = demande complétée soumise à nouveau (10.2)
history-kind-response = réponse (10.4)
history-kind-delay = report de la réponse (10.5.2)
history-kind-refusal = refus (10.5.2)
history-kind-clarification-request = demande d'éclaircissements (10.5.2)
history-kind-clarification-reply = éclaircissements donnés
history-kind-consent = consentement de la source (10.3)
history-kind-consent-request = consentement demandé à la source (10.3)
history-kind-closure = traçage clos
history-kind-shared-information = information transmise (10.3)
history-kind-broker-notice = correspondance dans un registre d'armes perdues ou volées (annexe A.2)
history-kind-receipt = accusé de remise de bout en bout
history-kind-on-behalf-request = demande de traçage pour le compte d'un membre (11.3.1)
history-kind-delivery-failure = non remis
# Usages de l'information (10.3).
history-use-display-poc = affichage au point de contact
history-use-display-investigator = affichage à un enquêteur
history-use-display-analyst = affichage à un analyste
history-use-display-auditor = affichage à un auditeur
history-use-display-admin = affichage à un administrateur
history-use-forward-to-third-state = transmission à un État tiers
history-use-forward-to-hub = transmission à un hub
history-use-forward-to-un-panel = transmission à un groupe d'experts de l'ONU
history-use-export = exportation
history-use-export-as-evidence = exportation comme preuve
history-use-report = inclusion dans un rapport
history-use-unnamed = un usage non nommé
# Les messages, par ce qu'ils disent.
history-restricted-response = réponse restreinte : { $reason }
history-automatically = {" "}automatiquement
history-returned = renvoyé pour complément (10.2){ $automatic }, manquant : { $missing }
history-delayed = réponse reportée au { $until } : { $reason }
history-refusal = refus : { $reason }
history-consent-declined = consentement refusé (10.3)
# Ce qu'un consentement lève : $lifts vaut "restrictions", "tlp" ou "both".
history-lifts =
    { $lifts ->
        [both] { $restrictions } et le niveau TLP
        [tlp] le niveau TLP
       *[restrictions] { $restrictions }
    } pour { $use }{ $destination }
history-to = {" "}vers { $destination }
history-consent = consentement : lève { $terms }
history-consent-asked = consentement demandé : { $terms }
history-information-from = information fournie par { $provider }
history-broker-match = { $broker } : correspondance dans un registre d'armes perdues ou volées
history-not-delivered = non remis : { $reason }
# Messages reçus, envoyés, transmis.
history-received = { $message } de { $origin }{ $relayed }
history-relayed-by = {" "}(relayé par { $hub })
history-sent = demande envoyée à { $state } ({ $rule })
history-sent-via = demande pour { $state } envoyée par { $hub }, qui conduit le traçage pour notre compte (11.3.1)
history-follow-up-sent = suite : { $sent }
history-routing-overridden = acheminement modifié : { $state } au lieu de { $overridden } (le motif figure dans la demande)
history-waiting-for-consent = le brouillon part dès que ses sources consentent
history-information-closed = information lue et close
history-returned-automatically = renvoyé automatiquement pour complément (10.2) selon la politique de ce nœud
history-passed-on = transmis à { $to }
history-follow-up-proposed = { $origin } a signalé une exportation vers { $state } : demande de suivi à { $state } préparée (lisez-la dans le dossier, envoyez-la avec `itictl request send { $trace }`)
history-on-behalf = { $member } a demandé à ce hub de conduire le traçage pour son compte (11.3.1) ; demande envoyée à { $state } en tant que demandeur officiel
history-forwarded = réponse { $envelope } de { $origin } transmise à { $to } ({ $use }), marquages intacts
history-delivered = { $receiver } a signé la réception de : { $kind }, le { $at }
history-relayed = { $hub } a signé la prise en charge et la remettra
# Délais (10.1, 10.5) : $owed vaut "acknowledgement" ou "response".
history-reminder-we-owe = rappel : nous devons à { $counterpart } { $owed ->
        [response] une réponse (10.5)
       *[acknowledgement] un accusé de réception (10.1)
    } d'ici le { $due }
history-overdue-ours = en retard : { $owed ->
        [response] notre réponse (10.5) à { $counterpart } était due
       *[acknowledgement] notre accusé de réception (10.1) à { $counterpart } était dû
    } le { $due }
history-reminder-they-owe = rappel : { $by } nous doit { $owed ->
        [response] une réponse (10.5)
       *[acknowledgement] un accusé de réception (10.1)
    } d'ici le { $due }
history-overdue-theirs = en retard : { $owed ->
        [response] la réponse (10.5) de { $by } était due
       *[acknowledgement] l'accusé de réception (10.1) de { $by } était dû
    } le { $due }
# Réponses préparées à partir des registres, traçages nationaux (8.1).
history-answer-drafted = réponse préparée à partir des registres : { $outcome } ({ $domains } domaine(s) consulté(s))
history-outcome-exported = exporté
history-outcome-diverted-internally = détourné sur le territoire
history-outcome-still-held = toujours détenu
history-outcome-destroyed = détruit
history-outcome-no-record = aucun enregistrement
history-no-domain = aucun domaine
history-domestic-trace = traçage national (8.1) de items[{ $item }] dans { $domains } : { $determination }{ $investigation }{ $drafted }
history-domestic-investigation = ; enquête nationale { $case } ouverte (8.1 d)
history-domestic-drafted = ; demande { $trace } à { $state } préparée (8.1 e)

## Jusqu'où l'AC d'un participant est de confiance (identity/standing.rs)
standing-confirmed-by-admin = confirmée par un·e administrateur·rice (présentée par { $hubs })
standing-confirmed = confirmée : garantie par { $hubs }
standing-unconfirmed = NON CONFIRMÉE : garantie par { $hubs } ({ $count } hub(s) sur { $needed }) ; rien de marqué TLP:RED ou TLP:AMBER+STRICT ne lui est scellé tant qu'un·e administrateur·rice n'a pas confirmé l'empreinte de son AC (`itictl peer confirm`)
standing-frozen = GELÉE par un conflit jusqu'à la décision d'un·e administrateur·rice ; { $standing }
# An event whose detail the release gate withheld from the reader.
history-withheld = [non communiqué : { $what }]
# La conclusion d'un traçage national en mots (8.1).
determination-summary-diverted = Détourné sous la juridiction nationale (8.1 b 1) : { $how } chez un détenteur de la catégorie « { $category } » ; une enquête nationale est ouverte (8.1 d).
determination-summary-left = Sorti de la juridiction nationale par exportation vers { $to } (8.1 b 2) : une demande internationale à { $to } est préparée, l'enregistrement d'exportation pour motif (8.1 e, 9.1 a).
determination-summary-illicit-manufacture = Aucun enregistrement (8.1 c), et les marquages désignent cet État : une fabrication illicite ici est soupçonnée (8.1 c 2) ; une enquête nationale est ouverte (8.1 d).
determination-summary-no-record = Aucun enregistrement dans les registres nationaux (8.1 c) : une demande internationale à { $state } est préparée d'après les marquages (8.1 e, 9.1 { $rule }).
determination-summary-no-route = Aucun enregistrement dans les registres nationaux (8.1 c), et aucune demande ne peut être préparée : { $reason }
determination-summary-ambiguous = { $count } armes des registres correspondent également : aucune conclusion ; cherchez avec la marque, le modèle et le calibre pour en choisir une.
diversion-how-theft = vol
diversion-how-loss = perte
diversion-how-unreported = détention non déclarée
diversion-how-alleged-destruction = destruction prétendue
