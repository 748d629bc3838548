#!/usr/bin/env bash
# Writes niri's own JSON Schema for its IPC (`Request`, `Reply`, `Event`, from the niri-ipc crate's
# `json-schema` feature) to tests/fixtures/niri-ipc-<version>.schema.json, which the niri
# conformance tests validate the fake niri, tether's requests and the codec fixtures against
# (README "Tests"). No niri package exists for Debian 12; Debian sid packages niri-ipc as Rust
# source, so this installs rustc, cargo and librust-niri-ipc-dev into the sid peer root
# (scripts/peers.sh) on demand and builds a tiny program there, offline, against Debian's crates
# in /usr/share/cargo/registry. Run it again after the root moves to a newer niri-ipc.
#
#   scripts/niri_schema.sh            TETHER_PEERS_DIR overrides /var/cache/tether-peers
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'niri-schema: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

ROOT="${TETHER_PEERS_DIR:-/var/cache/tether-peers}/sid"
[ -f "$ROOT/.tether-peers" ] || { say "no sid peer root at $ROOT: run scripts/peers.sh"; exit 1; }

PACKAGES=(rustc cargo librust-niri-ipc-dev)
installed="$(as_root chroot "$ROOT" dpkg-query -W -f='${Status}\n' "${PACKAGES[@]}" 2>/dev/null |
  grep -c "install ok installed" || true)"
if [ "$installed" -eq "${#PACKAGES[@]}" ]; then
  say "rustc, cargo and niri-ipc present in the sid root"
else
  say "installing ${PACKAGES[*]} into the sid root"
  as_root chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${PACKAGES[@]}" >/dev/null
fi
version="$(as_root chroot "$ROOT" dpkg-query -W -f='${Version}' librust-niri-ipc-dev |
  sed -E 's/[-+~].*//')"

# The crate lives in the root's /var/tmp (not shared with the host's /tmp) and goes away after.
build="/var/tmp/tether-niri-schema"
as_root rm -rf "$ROOT$build"
as_root mkdir -p "$ROOT$build/src" "$ROOT$build/.cargo"
as_root tee "$ROOT$build/.cargo/config.toml" >/dev/null <<'EOF'
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
EOF
as_root tee "$ROOT$build/Cargo.toml" >/dev/null <<EOF
[package]
name = "tether-niri-schema"
version = "0.0.0"
edition = "2021"

[dependencies]
niri-ipc = { version = "=$version", default-features = false, features = ["json-schema"] }
schemars = "1"
serde_json = "1"
EOF
as_root tee "$ROOT$build/src/main.rs" >/dev/null <<EOF
// niri's own types, as JSON Schema: what niri accepts (Request) and sends (Reply, Event).
fn main() {
    let schema = serde_json::json!({
        "niri_ipc_version": "$version",
        "Request": schemars::schema_for!(niri_ipc::Request),
        "Reply": schemars::schema_for!(niri_ipc::Reply),
        "Event": schemars::schema_for!(niri_ipc::Event),
    });
    println!("{}", serde_json::to_string_pretty(&schema).unwrap());
}
EOF
say "building against niri-ipc $version (offline, Debian's crates)"
fixture="tests/fixtures/niri-ipc-$version.schema.json"
mkdir -p tests/fixtures
as_root chroot "$ROOT" sh -c "cd $build && CARGO_HOME=$build/.cargo cargo run --quiet --release" \
  >"$fixture.new" 2>"$fixture.log" || {
  say "the build failed; its end:"
  tail -20 "$fixture.log" >&2
  rm -f "$fixture.new" "$fixture.log"
  exit 1
}
rm -f "$fixture.log"
mv "$fixture.new" "$fixture"
as_root rm -rf "$ROOT$build"
say "wrote $fixture"
