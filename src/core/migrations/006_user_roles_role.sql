-- Who has a role ("the instructors", "the territory admins"): read by the
-- back offices' assignment lists and the admins' warnings, without reading
-- every account.
CREATE INDEX user_roles_role ON user_roles(role, user_id);
