-- The applicant's home page lists an organisation's dossiers, newest change
-- first, a page at a time: this index serves that order directly (the one
-- on (org_id, status, updated_at) serves the list filtered by status).
CREATE INDEX aid_dossiers_org_recent ON aid_dossiers(org_id, updated_at);
