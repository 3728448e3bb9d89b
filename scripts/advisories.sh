#!/usr/bin/env bash
# `cargo deny check advisories` against the RustSec advisory database.
#
# Beside the checkout, ../shared/advisory-db may hold a snapshot of that database (data files
# only, dated in its SNAPSHOT file) for machines that cannot reach its git host: then the check
# runs offline against it. Elsewhere cargo-deny fetches the database as it normally does.
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot=../shared/advisory-db
if [ ! -d "$snapshot/crates" ]; then
    exec cargo deny check advisories
fi
date=$(grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' "$snapshot/SNAPSHOT" | head -n1)
echo "advisories: RustSec snapshot of $date ($snapshot), offline"
# cargo-deny reads the database from <db-path>/advisory-db-<hash of its URL> and wants a git
# work tree there (it dates the database by its HEAD): a one-commit repository of the snapshot,
# in a folder of this checkout's target directory. The name is cargo-deny's for the default
# https://github.com/RustSec/advisory-db.
dbs=$PWD/target/advisory-dbs
db=$dbs/advisory-db-3157b0e258782691
rm -rf "$db"
mkdir -p "$dbs"
cp -R "$snapshot" "$db"
chmod -R u+w "$db"
git -C "$db" init -q
git -C "$db" add -A
GIT_AUTHOR_DATE="${date}T00:00:00Z" GIT_COMMITTER_DATE="${date}T00:00:00Z" \
    git -C "$db" -c user.name=snapshot -c user.email=snapshot@localhost -c commit.gpgsign=false \
    commit -q -m "RustSec advisory database, snapshot of $date"
# Offline, cargo-deny reads the crate graph from the local cache: every platform's crates.
cargo fetch --locked --quiet
config=$dbs/deny.toml
sed "s|^\\[advisories\\]|[advisories]\\ndb-path = \"$dbs\"|" deny.toml >"$config"
cargo deny --offline --config "$config" check advisories
