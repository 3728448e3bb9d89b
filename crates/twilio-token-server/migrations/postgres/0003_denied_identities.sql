-- Identities refused a token whatever their credentials (`twilio-token deny add`): a banned
-- user, or an identity that arrives by token exchange and has no user row to disable. Every
-- server of a fleet reads this table.
CREATE TABLE denied_identities (
    identity TEXT   PRIMARY KEY,
    added_at BIGINT NOT NULL
);
