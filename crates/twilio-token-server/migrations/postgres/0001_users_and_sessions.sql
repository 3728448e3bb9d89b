-- Users log in with a password (an argon2id PHC string, never the password itself).
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL DEFAULT 'user',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

-- A session is a browser that logged in; only the SHA-256 of its random id is kept, so a copy
-- of the database holds no usable session.
CREATE TABLE sessions (
    id_hash    BYTEA  PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);

-- Server secrets made on first start (the cookie signing key), the same for every server.
CREATE TABLE settings (
    key   TEXT  PRIMARY KEY,
    value BYTEA NOT NULL
);
