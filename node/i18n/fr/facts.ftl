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
