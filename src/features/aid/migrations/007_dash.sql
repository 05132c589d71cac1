-- The admins' dashboard of the aid programmes (dashboard.c), the public
-- pages edited in the back office (site_pages.c) and the contact form
-- (contact_pages.c).

-- Indexes that let the dashboard's aggregates read an index instead of the
-- dossiers' rows (each one covers its query: every column it reads is in
-- it). At 70,000 dossiers a full rebuild of the dashboard reads them in
-- about 0.1 s; the page itself reads aid_dash_cache.
CREATE INDEX aid_dash_created ON aid_dossiers(programme_id, status, created_at, submitted_at);
CREATE INDEX aid_dash_submitted ON aid_dossiers(submitted_at, programme_id, amount_cents, replaced_by_id);
CREATE INDEX aid_dash_decided ON aid_dossiers(decided_at, programme_id, submitted_at, committed, granted_cents, points);
CREATE INDEX aid_dash_paid ON aid_dossiers(paid_at, programme_id, decided_at, paid_cents);
-- "Compléments demandés" → validation, from the history.
CREATE INDEX aid_dash_events_to ON aid_dossier_events(to_status, at, dossier_id);
CREATE INDEX aid_dash_events_dossier ON aid_dossier_events(dossier_id, to_status, at);

-- The dashboard's figures for one choice of filters (programme, period),
-- as computed from the dossiers: a JSON object (see dashboard.c), and the
-- page's body rendered from them. A row is current while `gen` equals what
-- the probe of the dossiers and programmes reads now; otherwise the next
-- visit rebuilds it. No personal data.
CREATE TABLE aid_dash_cache (
  key       TEXT PRIMARY KEY,                  -- "p=2&periode=2025"
  gen       TEXT NOT NULL,                     -- the probe's value when built
  built_at  INTEGER NOT NULL,                  -- unix seconds
  build_ms  INTEGER NOT NULL,                  -- how long the rebuild took
  html      TEXT,                              -- the page's body rendered from data (templates/dashboard_body.html);
                                               -- before data: a visit reads it without walking data's pages
  data      TEXT NOT NULL                      -- JSON
);

-- Public pages whose text the territory's admins edit: Markdown, rendered
-- by cmark in safe mode (raw HTML and javascript: links dropped).
CREATE TABLE pages (
  slug        TEXT PRIMARY KEY,                -- 'faq', 'mentions-legales': fixed in code
  title       TEXT NOT NULL,
  body_md     TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  updated_by  INTEGER REFERENCES users(id) ON DELETE SET NULL
);

INSERT INTO pages(slug, title, body_md, updated_at) VALUES ('faq', 'Questions fréquentes',
'Cette page répond aux questions les plus fréquentes sur les aides à l’installation de points de recharge. Elle est tenue à jour par l’équipe du territoire ; si votre question n’y figure pas, écrivez-nous par le [formulaire de contact](/contact).

## Qui peut demander une aide ?

Les aides sont demandées par l’**installateur** ou par le **porteur du projet** (copropriété, entreprise, collectivité), depuis un compte dont la rubrique « Mon compte » est complète : informations personnelles, entreprise (SIRET) et pièces justificatives.

Les conditions propres à chaque programme (cible, taux, plafond, bonus) sont décrites sur la page du [programme](/programmes).

## Comment est calculé le montant de l’aide ?

Pour chaque programme : le plus petit de *taux × coût éligible HT* et de *plafond × nombre de points*, auquel s’ajoute, le cas échéant, un bonus par point. Le simulateur de chaque page programme fait le calcul pour vous avant tout dépôt.

## Faut-il un label ?

Oui : une demande d’aide porte sur une **offre labellisée**. L’installateur demande le label de son offre commerciale ; une fois validé par l’équipe d’instruction, il peut déposer des demandes d’aide.

## Quelles sont les étapes d’une demande ?

1. Brouillon : vous renseignez l’offre, le site, le nombre de points et les coûts ; chaque étape est enregistrée.
2. Dépôt : l’aide est calculée et la demande reçoit un numéro de suivi (par exemple AV-2026-000123).
3. Instruction : l’instructeur peut vous demander des compléments.
4. Validation : vous recevez l’offre de prime ; le montant est réservé sur l’enveloppe du programme.
5. Après les travaux : vous déposez les justificatifs (facture, procès-verbal de mise en service) puis demandez le versement.

Chaque changement de statut vous est signalé par e-mail et figure dans l’historique de la demande.

## Puis-je modifier une demande déposée ?

Tant qu’elle n’est pas décidée, oui : la demande d’origine est annulée et remplacée par une nouvelle demande, pré-remplie, avec un nouveau numéro. Les deux demandes sont liées.

## Que se passe-t-il si l’enveloppe est épuisée ?

Quand l’enveloppe budgétaire d’un programme est entièrement engagée, le programme n’accepte plus de nouvelle demande ; la page du programme l’indique.

## Dans quel délai les justificatifs doivent-ils être déposés ?

Dans le délai fixé par le programme (douze mois après la validation, sauf mention contraire). Passé ce délai, la demande expire et le montant réservé est libéré.

## Comment sont utilisées mes données ?

Voir les [mentions légales](/mentions-legales).
', 0);

INSERT INTO pages(slug, title, body_md, updated_at) VALUES ('mentions-legales', 'Mentions légales',
'*Texte type, à compléter par l’administrateur du territoire.*

## Éditeur du service

Le service est édité par la collectivité qui porte les programmes d’aide du territoire (dénomination, adresse, téléphone, numéro SIREN à compléter).

**Directeur ou directrice de la publication :** à compléter.

## Hébergement

Hébergeur, adresse et téléphone : à compléter.

## Données personnelles

Les informations saisies sont nécessaires à l’instruction des demandes d’aide, de label et de matériel, ainsi qu’au versement des aides. Elles sont traitées par la collectivité éditrice, responsable de traitement, dans le cadre d’une mission d’intérêt public (article 6-1-e du RGPD).

- **Destinataires :** les agents chargés de l’instruction et de l’administration des programmes.
- **Durée de conservation :** la durée de l’instruction et du versement, puis les durées légales d’archivage des pièces comptables.
- **Vos droits :** accès, rectification, effacement, limitation et opposition. Vous pouvez télécharger vos données et supprimer votre compte depuis « Mon compte », ou nous écrire par le [formulaire de contact](/contact). Vous pouvez aussi saisir la CNIL (www.cnil.fr).

## Cookies

Le service n’utilise qu’un cookie de session, nécessaire à la connexion, et un cookie de sécurité des formulaires. Aucun cookie de mesure d’audience ni de publicité.

## Accessibilité

Le service vise la conformité au référentiel général d’amélioration de l’accessibilité (RGAA). Pour signaler un défaut d’accessibilité, utilisez le [formulaire de contact](/contact).
', 0);

-- Messages sent through the contact form: the admins' inbox
-- (/admin/contact). Each one is also e-mailed to the territory's admins.
CREATE TABLE contact_messages (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,                   -- personal
  email       TEXT NOT NULL,                   -- personal; lower-cased
  subject     TEXT NOT NULL,                   -- a code of contact_pages.c's list
  message     TEXT NOT NULL,                   -- personal
  ip          TEXT NOT NULL,                   -- personal: for throttling
  user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL, -- when sent logged in
  created_at  INTEGER NOT NULL,
  read_at     INTEGER,                         -- NULL: unread
  read_by     INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX contact_messages_time ON contact_messages(created_at);
CREATE INDEX contact_messages_unread ON contact_messages(read_at, created_at);
CREATE INDEX contact_messages_ip ON contact_messages(ip, created_at);
CREATE INDEX contact_messages_email ON contact_messages(email, created_at);
