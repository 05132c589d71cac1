-- The instructors' work list filtered by programme and status (the usual
-- way a programme's instructors work): its page read in submission order,
-- and its count from the index alone.
CREATE INDEX aid_dossiers_programme_status ON aid_dossiers(programme_id, status, submitted_at, id, assignee_id);
