-- Login attempts per username ('user:NAME') and per client address ('address:IP'), shared by
-- every server: a window (on the database's clock) and the attempts counted in it.
CREATE TABLE login_limits (
    key          TEXT        PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    attempts     INTEGER     NOT NULL
);
