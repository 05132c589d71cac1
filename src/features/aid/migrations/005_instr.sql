-- The instructors' work lists (instruction_list.c). A list is one tab
-- ("queue") read in the order of one column, a page at a time, with the
-- other filters checked on the rows as the index walks: each tab and sort
-- has an index (queue, column, id), so the first page of any tab costs
-- about one page of index entries whatever the number of dossiers.
--   todo     déposée, en instruction, versement demandé: the instructors' move
--   waiting  compléments demandés: the applicant's move
--   done     validée and after, refusée, annulée, expirée
--   NULL     brouillon: instructors never see drafts
-- (A tab would otherwise be "status IN (…)", which a sorted page cannot
-- read from one index range.) The column is computed from status, so
-- nothing has to keep it up to date.
ALTER TABLE aid_dossiers ADD COLUMN queue TEXT GENERATED ALWAYS AS (CASE
  WHEN status IN ('deposee', 'en_instruction', 'versement') THEN 'todo'
  WHEN status = 'complements' THEN 'waiting'
  WHEN status = 'brouillon' THEN NULL
  ELSE 'done' END) VIRTUAL;
CREATE INDEX aid_dossiers_q_submitted ON aid_dossiers(queue, submitted_at, id);
CREATE INDEX aid_dossiers_q_amount ON aid_dossiers(queue, amount_cents, id);
CREATE INDEX aid_dossiers_q_updated ON aid_dossiers(queue, updated_at, id);
-- The département filter, and its count per tab from the index alone.
CREATE INDEX aid_dossiers_dept ON aid_dossiers(departement, status);
-- Search by the beneficiary's SIRET (the filing company's is organisations.siret).
CREATE INDEX aid_dossiers_siret ON aid_dossiers(beneficiary_siret);
