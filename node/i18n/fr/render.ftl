# Sortie texte d'ITI Exchange (itictl, la démonstration), français. Les
# phrases gardent les noms de leurs arguments dans toutes les langues ; le
# texte libre des agents arrive dans les arguments et s'affiche tel qu'écrit.
# Les valeurs codées (niveaux TLP, restrictions, rôles, états, types de
# message, motifs 10.5.2) sont celles de console.ftl, partagées avec la console.

## Nombres et durées
text-decimal-separator = ,
text-seconds = { $n } s
text-minutes = { $n } min
text-hours = { $n } h
text-days = { $n } jours

## Listes de traçages
text-ack-due = accusé de réception attendu le { $when }
text-response-due = réponse attendue le { $when }
text-overdue = EN RETARD
text-missing-count = { $count } manquant(s) (10.2)
text-flagged-count = { $count } signalé(s)

## Plans d'acheminement (9.1, 9.2.1 b)
text-requested-state = État requis : { $state }  (règle : { $rule })
text-grounds = motifs (9.2.1 b) : { $explanation }
text-override = choix imposé : les règles désignaient { $state } — raison : { $reason }
text-no-state = aucun État
text-path-direct = chemin : direct
text-path-via = chemin : via { $hubs }
text-not-reachable = INJOIGNABLE : { $reason }
text-may-return = l'État requis peut la renvoyer pour complément (10.2) ; manquent :
text-warning = avertissement : { $field } ({ $flag }) : { $description }

## Marquages
text-marking = marquage : { $marking }
text-labelled = { $label } : { $value }
text-photo = photographie : sha256:{ $hash } (itictl photo get { $hash })
text-items-shown = Objets { $first } à { $last } sur { $total } affichés ; --items { $next } affiche les suivants.
text-items-shown-last = Objets { $first } à { $last } sur { $total } affichés.
text-same-request = objets et contexte comme dans la demande de la trace …{ $trace } ; ce qui diffère :
text-marking-unreadable = (marquage illisible)

## Une demande (9.2)
text-incomplete = déclarée incomplète (10.2) : { $explanation }
text-cannot-comply = ne peut respecter (10.3) : { $restrictions }

## Une réponse (10.4)
text-restricted = réponse RESTREINTE : { $reason } — { $explanation }
text-finding-manufactured = constat{ $marking } : 10.4.1 fabriquée par { $by } le { $date } { $details }
text-finding-imported = constat{ $marking } : 10.4.1 importée par { $by } le { $date } { $details }
text-finding-internal-transfer = constat{ $marking } : 10.4.2 transfert interne le { $dates } à { $consignees } { $details }
text-finding-export = constat{ $marking } : 10.4.3 exportée le { $date } vers { $state }{ $transit }, destinataire final { $consignee } { $details }
text-transit = (transit par { $states })
text-licence = licence : { $licence }
text-finding-internal-diversion = constat{ $marking } : 10.4.4 détournée le { $date } : { $details } (enquête : { $investigation })
text-finding-no-record = constat{ $marking } : aucun enregistrement trouvé. { $details }
text-searched = recherché : { $what }
text-llp = dernier détenteur légal{ $marking } : { $name } ({ $category }, { $state })
text-commercial = données commerciales{ $marking } : { $parts }
text-contract = contrat { $value }
text-transport = transport { $value }
text-brokers = courtiers { $value }
text-individual = personne{ $marking } : { $name } — { $role }
text-additional = complément : { $text }

## Autres messages
text-acknowledged = accusé de réception (10.1) { $reference }
text-returned = renvoyée pour complément (10.2) :
text-returned-automatically = renvoyée pour complément (10.2), automatiquement :
text-resubmitted = demande complétée soumise à nouveau
text-delay = report jusqu'au { $when } : { $reason } — { $explanation }
text-refusal = refus : { $reason } — { $explanation }
text-question = question : { $text }
text-answer = réponse : { $text }
text-consents = consent : { $use } { $lifts }{ $destination }{ $regarding }
text-declines = refuse : { $use } { $lifts }{ $destination }{ $regarding }
text-asks-consent = demande le consentement : { $use } { $lifts }{ $destination }{ $regarding }
text-lifting = en levant { $what }
text-the-tlp-level = le niveau TLP
text-for-only = pour { $destination } seulement
text-regarding = (message { $message })
text-note = note : { $text }
text-why = pourquoi : { $text }
text-closed = clos : { $outcome }
text-information-provided = information fournie par { $provider } (dossier { $case })
text-broker-notice = { $broker } : l'objet { $item } correspond à { $make } { $serial } déclaré perdu ou volé par { $by } le { $on } ({ $circumstances }){ $differences }
text-read-differently = numéro de série lu autrement : { $serials }
text-receipt = accusé de remise de bout en bout
text-not-delivered = l'enveloppe { $envelope } n'a pas été remise : { $reason }
text-on-behalf-request = demande de conduire un traçage pour le compte du membre (11.3.1)

## Un dossier (itictl case show)
text-case = dossier { $case }
text-trace = traçage { $trace }  ({ $role } — correspondant { $counterpart })  état : { $state }
text-on-behalf = pour le compte de : { $text }
text-items-marking = objets : { $items }   marquage : { $marking }
text-due = échéances : accusé de réception { $ack }, réponse { $response }
text-missing = manquant (10.2) :
text-pending = en attente : { $text }
text-requester-cannot-comply = le demandeur ne peut respecter (10.3) : { $restrictions }
text-messages = messages :
text-receipt-at = accusé de remise { $when }
text-via = via { $hubs }
text-withheld = retenu pour vous : { $what }
text-last-error = dernière erreur : { $text }
text-history = historique :
text-timeline = chronologie de l'arme :
text-step-withheld = une étape fournie par { $provider } — retenue pour vous : { $rules }
text-conclusion = conclusion : { $conclusion }  [{ $marking }]
text-conclusion-withheld = conclusion, retenue pour vous : { $what }
text-draft = brouillon (envoyé par `itictl request send`) :
text-draft-field = { $field } — de { $provider } sous { $marking }

## Files d'attente
text-nothing-overdue = rien n'est en retard
text-overdue-item = { $what } dû par { $owedby } (correspondant { $counterpart }) attendu le { $due }
text-outbox-empty = la file d'envoi est vide
text-outbox-item = à { $destination } via { $hop } { $state } depuis { $since }  tentatives { $attempts }  prochaine { $next }

## La piste d'audit
text-audit-intact = piste d'audit intacte : { $entries } entrées, chaîne de hachage vérifiée
text-audit-broken = PISTE D'AUDIT ROMPUE à l'entrée { $seq } : { $problem }
text-witness = témoin
text-witness-head = entrée { $seq } ({ $head }…, signée le { $when })

## Chiffres du hub (itictl hub stats)
text-hub-member = membre
text-hub-relayed = relayées
text-hub-pending = en cours
text-hub-overdue = en retard
text-hub-on-behalf = pour compte
text-hub-median-ack = médiane AR
text-hub-median-response = médiane réponse
text-hub-unreachable = injoignable en ce moment : { $member }, remises en échec depuis { $since } ({ $waiting } en attente)

## L'annuaire
text-directory-empty = l'annuaire est vide
text-entry = { $participant }  (confiance : { $trust }, numéro { $serial })
text-ca-fingerprint = empreinte de l'AC (SHA-256) : { $text }
text-standing = statut : { $text }
text-conflict = CONFLIT : { $by } a proposé le numéro { $serial } avec l'AC { $ca } le { $when }
text-endpoints = adresses : { $text }
text-languages = langues : { $text }
text-serves = dessert : { $text }
text-point-of-contact = point de contact : { $name }, { $agency } <{ $email }> { $phone } — peut consulter : { $records }
text-all-records = tous les registres nationaux
text-next-certificate = certificat suivant à partir du { $when }
text-directory-log = journal d'annuaire suivi : { $size } entrées, tête { $head }, signée le { $when }
text-log-empty-head = (vide)
text-log-empty = vide
text-equivocation = ÉQUIVOQUE ({ $through }, { $when }) : le hub a signé une tête de taille { $size } ({ $theirs }) que le journal suivi ici ({ $ours }) n'explique pas ; ses entrées sont refusées jusqu'à la décision d'un administrateur (`itictl peer confirm` du hub, une fois réglé avec son opérateur)

## Les réponses d'itictl
text-acted = { $what } : enveloppe { $envelope } en file d'envoi ; le traçage est maintenant { $state }
text-note-warning = avertissement : { $text }
text-plan-only = rien n'est envoyé. Soumise, cette demande irait :
text-sent = envoyée : dossier { $case }, traçage { $trace }
text-not-sent-yet = pas encore envoyée : dossier { $case }, traçage { $trace }
text-exported-to = exporté vers { $path }
text-inbox-empty = la boîte de réception est vide
text-no-traces = aucun traçage
done-acknowledged = accusé de réception envoyé
done-response-sent = réponse envoyée
done-returned-for-completion = renvoyée pour complément
done-resubmitted = soumise à nouveau
done-delay-notified = report notifié
done-refusal-sent = refus envoyé
done-clarification-requested = précision demandée
done-clarification-sent = précision envoyée
done-consent-granted = consentement donné
done-consent-declined = consentement refusé
done-consent-requested = consentement demandé
done-closed = clos
done-forwarded = transmis

## Ce qui est arrivé à un traçage (son historique), outre les états atteints
event-received = réception : { $message }
event-request-received = demande reçue
event-information-received = information reçue
event-passed-on = transmis
event-routing-override = acheminement choisi par le point de contact
event-follow-up-proposed = suite proposée
event-on-behalf-request = traçage demandé pour le compte d'un membre
event-waiting-for-consent = en attente de consentement
event-delivery-refused = remise refusée
event-answer-drafted = réponse préparée à partir des registres
event-draft-viewed = brouillon consulté
event-forwarded = transmis
event-relayed = relayé

## Valeurs codées pas (encore) dans console.ftl, partagées avec la console
record-domain-unspecified = registres
record-domain-law-enforcement = services répressifs
record-domain-manufacturers = fabricants
record-domain-dealers = négociants
record-domain-civilians = civils
record-domain-military = armée
record-domain-transfer-licensing = autorisations de transfert

## Administration (itictl whoami, peer, directory, register)
text-whoami = { $officer } ({ $role }) sur le nœud { $kind } de { $participant }
text-node-of-hub = hub
text-node-of-state = d'État
text-peer-pinned = AC de { $participant } épinglée ({ $subject }, SHA-256 { $fingerprint }) pour { $participant } seulement ; point d'accès { $endpoint }
text-no-peers = aucun pair
text-peer-serves = dessert { $list }
text-published = publiée ; le nœud détient maintenant :
text-published-entry = { $participant } numéro { $serial } ({ $trust })
text-none = aucun
text-accepted = acceptés : { $list }
text-refused = refusé : { $what }
text-unreachable = injoignable : { $what }
text-register-added = { $accepted } enregistrement(s) ajouté(s) au registre, { $rejected } rejeté(s)
text-rejected-line = ligne { $line } : { $reason }

## itictl records : import, recherche, historique, traçage national
records-imported = { $imported } enregistrement(s) importé(s) ({ $updated } mis à jour sur place), { $rejected } ligne(s) rejetée(s)
records-dry-run = essai à blanc, rien d'écrit : { $summary }
records-rejected-line = ligne { $line } : { $reason }
records-rejected-more = ... et { $count } de plus
records-matched = { $count } enregistrement(s) correspondant(s), dans { $domains }
records-none = aucun enregistrement dans { $domains }
records-to = vers { $state }
records-key = clé { $key }
records-personal = données personnelles
records-end = fin : { $end }
records-others = { $count } autre(s) arme(s) correspondent aussi : donnez la marque, le modèle et le calibre
records-from = source : { $from }
records-from-node = le nœud
domestic-recorded = enregistrée dans la base nationale des armes récupérées (7.5) : { $id }
domestic-searched = recherché dans : { $domains }
domestic-opened = enquête nationale ouverte : dossier { $case }
domestic-drafted = demande à { $to } préparée : relisez-la avec `itictl case show { $trace }`, envoyez-la avec `itictl request send { $trace }`
photo-saved = { $path } : { $media }, { $bytes } octets, sha256 { $sha256 }
photo-added = { $path } : enregistrée, { $media }, { $bytes } octets, sha256 { $sha256 }. Citez-la dans les « photographs » d'un objet du fichier de demande :

## itictl ca et cert : l'AC du participant et ses certificats
ca-created = AC de { $participant } créée dans { $dir }
ca-certificate = certificat : { $path }
ca-private-key = clé privée : { $path } (à conserver hors ligne)
ca-fingerprint = empreinte (SHA-256) : { $fingerprint }
cert-issued = délivré : { $identity }
cert-p12 = { $path } (pour le navigateur de l'agent)
cert-p12-password = son mot de passe, affiché une seule fois (à remettre à l'agent par un autre canal) : { $password }
cert-seal-key = { $path } (clé de scellement ; sa moitié publique { $key } va dans la carte de pair)
cert-revoked = numéro de série { $serial } révoqué ; { $crl } liste maintenant { $count } certificat(s). Diffusez-la avec la carte de pair (itictl peer export --crl) ou l'annuaire.
cert-identity = identité : { $identity }
cert-no-identity = (aucune identité : { $error })
cert-subject = sujet :     { $subject }
cert-issuer = émetteur :  { $issuer }
cert-valid = validité :  du { $from } au { $to }
cert-serial = n° de série : { $serial }
cert-names = noms :      { $names }
cert-usages = usages :    { $usages }
cert-usage-server = authentification du serveur
cert-usage-client = authentification du client
cert-ca = AC :        oui

# itictl records : progression d'un import, armes récupérées, réponses préparées.
records-progress = { $percent } % lus, { $sent } fiches envoyées
records-searched-in = dans { $domains }
match-quality-exact = correspondance exacte
match-quality-misread = correspondance avec erreur de lecture
match-quality-transposed = correspondance avec inversion
record-kind-unspecified = fiche
record-kind-manufacture = fabrication
record-kind-import = importation
record-kind-export = exportation
record-kind-holding = détention
record-kind-transfer = transfert
record-kind-loss = perte ou vol
record-kind-destruction = destruction
recovered-investigation = enquête { $case }
recovered-request = demande { $trace } ({ $progress })
draft-answer = réponse préparée à partir des registres pour la trace { $trace } : { $outcome }
draft-searched = recherché : { $what }
draft-officers = (points de contact : { $officers })
draft-to-confirm = à confirmer
draft-confirmed-by = confirmé par { $who }
draft-finding = { $domain } d'après { $sources } : { $summary } ; { $state }
draft-finding-withheld = { $domain } : constatations non communiquées (vous ne pouvez pas consulter ce domaine) ; { $state }
draft-response = la réponse telle qu'elle serait envoyée :
draft-sources = l'origine de chaque valeur :
draft-not-shown = la réponse combinée contient des constatations de domaines que vous ne pouvez pas consulter : elle n'est pas affichée
draft-sent = envoyée
draft-confirmed = confirmé : { $domains }
draft-response-sent = réponse envoyée (enveloppe { $envelope })
draft-warning = avertissement : { $warning }
draft-not-sent = pas encore envoyée : { $domains } reste à confirmer par son point de contact
draft-written = réponse préparée écrite dans { $path } : modifiez-la, puis `itictl respond { $trace } --file { $path }`
