-- The operators' tools (issue #4): reminders of requests left without action,
-- e-mails to the applicant from templates, and the history of both.
-- heat_networks.operator_org_id (001) is used from now on: the members of
-- that organisation who hold the operator role see and are reminded of the
-- network's requests (HEAT_SCOPE_SQL, heat_recipients).

-- Last reminder sent to the operator about this request (unix time), NULL if
-- none: the reminder job sends one per request per heat_reminder_days without
-- action (updated_at is the last action).
ALTER TABLE heat_requests ADD COLUMN reminded_at INTEGER;
CREATE INDEX heat_requests_status ON heat_requests(status, updated_at);
CREATE INDEX heat_requests_updated ON heat_requests(updated_at, id);  -- API: changes since, cursor order

-- What a history row records: a status change ('status'), an e-mail written
-- to the applicant ('email': subject and the text sent in comment; status
-- unchanged), or a reminder sent to the operator ('reminder').
ALTER TABLE heat_request_history ADD COLUMN kind TEXT NOT NULL DEFAULT 'status'
  CHECK (kind IN ('status', 'email', 'reminder'));
ALTER TABLE heat_request_history ADD COLUMN subject TEXT NOT NULL DEFAULT '';

-- Templates of e-mails operators send to applicants. {prenom}, {nom},
-- {adresse}, {reference}, {reseau} and {territoire} are replaced when the
-- operator picks one; the operator then edits the text before sending.
CREATE TABLE heat_mail_templates (
  id        INTEGER PRIMARY KEY,
  code      TEXT NOT NULL UNIQUE,     -- stable name, "infos"
  name      TEXT NOT NULL,            -- shown in the list
  subject   TEXT NOT NULL,
  body      TEXT NOT NULL,
  position  INTEGER NOT NULL DEFAULT 0 -- order in the list
);
INSERT INTO heat_mail_templates(code, name, subject, body, position) VALUES
('infos', 'Demande d’informations complémentaires',
 'Votre demande de raccordement {reference} : informations complémentaires',
 'Bonjour {prenom} {nom},

Nous étudions votre demande de raccordement au réseau de chaleur {reseau} pour :
{adresse}

Pour avancer, pourriez-vous nous indiquer :
- la puissance et l’âge de la chaudière actuelle ;
- la consommation annuelle de chauffage (factures des deux dernières années) ;
- la date de la prochaine assemblée générale, s’il s’agit d’une copropriété.

Répondez simplement à ce message.

Bien cordialement,', 1),
('contact', 'Prise de contact',
 'Votre demande de raccordement {reference} : prise de contact',
 'Bonjour {prenom} {nom},

Nous avons bien reçu votre demande de raccordement au réseau de chaleur {reseau} pour :
{adresse}

Un chargé d’affaires va vous appeler dans les prochains jours pour convenir d’une visite et préparer une étude de faisabilité.

Bien cordialement,', 2),
('non_realisable', 'Raccordement non réalisable',
 'Votre demande de raccordement {reference}',
 'Bonjour {prenom} {nom},

Nous avons étudié votre demande de raccordement au réseau de chaleur {reseau} pour :
{adresse}

Nous sommes au regret de vous informer que le raccordement n’est pas réalisable aujourd’hui : le réseau est trop éloigné de votre bâtiment, ou sa capacité ne permet pas de nouveaux raccordements dans ce secteur.

L’espace conseil France Rénov’ de {territoire} peut vous aider à choisir une autre solution de chauffage.

Bien cordialement,', 3);
