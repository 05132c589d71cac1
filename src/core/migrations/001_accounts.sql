-- Core accounts, roles and sessions. Personal data columns are marked
-- "-- personal" so that export and erasure can find them.
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,          -- personal; stored lower-cased
  password_hash TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'pending' -- pending (email not confirmed), active, disabled
                CHECK (status IN ('pending', 'active', 'disabled')),
  civility      TEXT,                          -- personal: 'M.' or 'Mme'
  last_name     TEXT,                          -- personal
  first_name    TEXT,                          -- personal
  phone         TEXT,                          -- personal
  qualification TEXT,                          -- personal: job title
  totp_secret   TEXT,                          -- base32; NULL = 2FA off
  totp_pending  TEXT,                          -- secret being enrolled
  totp_last_step INTEGER NOT NULL DEFAULT 0,   -- last accepted step (no replay)
  created_at    INTEGER NOT NULL,
  confirmed_at  INTEGER,
  last_login_at INTEGER
);

CREATE TABLE user_roles (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role    TEXT NOT NULL,                       -- see core/auth.c role table
  PRIMARY KEY (user_id, role)
);

CREATE TABLE recovery_codes (
  user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,                     -- SHA-256 hex of the normalised code
  used_at   INTEGER,
  PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,            -- SHA-256 hex of the cookie token
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf        TEXT NOT NULL,                   -- synchroniser token for forms
  mfa_ok      INTEGER NOT NULL DEFAULT 0,      -- 0: password ok, TOTP still due
  created_at  INTEGER NOT NULL,
  seen_at     INTEGER NOT NULL,
  ip          TEXT,                            -- personal
  user_agent  TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Single-use tokens sent by email: confirmation and password reset.
CREATE TABLE user_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  purpose    TEXT NOT NULL CHECK (purpose IN ('confirm', 'reset')),
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);

-- Failed login attempts, for throttling by account and by IP.
CREATE TABLE login_failures (
  id      INTEGER PRIMARY KEY,
  email   TEXT NOT NULL,
  ip      TEXT NOT NULL,
  at      INTEGER NOT NULL
);
CREATE INDEX login_failures_email ON login_failures(email, at);
CREATE INDEX login_failures_ip ON login_failures(ip, at);
