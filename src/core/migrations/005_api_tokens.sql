-- API tokens: a user creates named tokens in "Mon compte" (or with
-- `guichet token add`) for programs that call /api/v1 on their behalf
-- (an operator's CRM, a charging operator's data feed). The database holds
-- only the token's SHA-256; the token itself is shown once.
CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,                  -- "CRM de l'exploitant"
  token_hash   TEXT NOT NULL UNIQUE,           -- SHA-256 hex
  hint         TEXT NOT NULL,                  -- first 6 characters, to tell tokens apart
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
