#!/usr/bin/env bash
# Builds tether and installs it for one user, without the test rig (no sway, kitty, Xvfb, test
# user or root): only the pinned deno and bun from the npm registry, which need npm once.
#
#   scripts/install.sh [--prefix DIR]      (default ~/.local)
#
# Installs DIR/bin/tether, DIR/share/bash-completion/completions/tether,
# DIR/share/zsh/site-functions/_tether, DIR/share/fish/vendor_completions.d/tether.fish and
# DIR/share/man/man1/tether.1. Every file is written to a temporary name in its own directory
# first and renamed into place only once all five exist, so a failure installs nothing, and a
# running `tether focus` keeps its (old) binary until it restarts. A second run over the first
# replaces the same files with the same content.
# Exit codes: 0 installed, 1 something missing or failed (one line says what), 2 usage.
set -euo pipefail

say() { printf 'install: %s\n' "$*" >&2; }
fail() {
  say "$*"
  exit 1
}
usage() {
  say "$1 (usage: scripts/install.sh [--prefix DIR])"
  exit 2
}

prefix="${HOME:?HOME is not set}/.local"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --prefix)
      [ "$#" -ge 2 ] || usage "--prefix needs a directory"
      prefix="$2"
      shift 2
      ;;
    --prefix=*)
      prefix="${1#--prefix=}"
      shift
      ;;
    -h | --help)
      sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) usage "unknown argument '$1'" ;;
  esac
done
[ -n "$prefix" ] || usage "--prefix must not be empty"
case "$prefix" in
  /*) ;;
  *) prefix="$PWD/$prefix" ;;
esac
case "$prefix" in
  *$'\n'* | *$'\t'*) usage "--prefix must not contain tabs or newlines" ;;
esac

cd "$(dirname "$0")/.."
[ "$(uname -s) $(uname -m)" = "Linux x86_64" ] ||
  fail "the pinned toolchain (tools/package-lock.json) is installed for Linux x86-64 only; this is $(uname -s) $(uname -m)"

# Where each file goes (target) and the temporary name it is staged under.
targets=(
  "$prefix/bin/tether"
  "$prefix/share/bash-completion/completions/tether"
  "$prefix/share/zsh/site-functions/_tether"
  "$prefix/share/fish/vendor_completions.d/tether.fish"
  "$prefix/share/man/man1/tether.1"
)
staged=()
cleanup() { [ "${#staged[@]}" -eq 0 ] || rm -f -- "${staged[@]}"; }
trap cleanup EXIT

# 1. The prefix: every directory must be creatable and writable (checked by writing a file:
#    root ignores permission bits, not a read-only file system), and no target a directory.
for target in "${targets[@]}"; do
  dir="$(dirname "$target")"
  mkdir -p -- "$dir" 2>/dev/null || fail "cannot create $dir; choose a writable --prefix"
  probe="$(mktemp "$dir/.tether-install.XXXXXX" 2>/dev/null)" ||
    fail "cannot write to $dir; choose a writable --prefix"
  rm -f -- "$probe"
  if [ -d "$target" ] && [ ! -L "$target" ]; then
    fail "$target is a directory; remove it or choose another --prefix"
  fi
done

# 2. The pinned toolchain (tools/) and the npm dependencies pinned in deno.lock (node_modules/).
deno_bin=tools/node_modules/@deno/linux-x64-glibc/deno
bun_bin=tools/node_modules/@oven/bun-linux-x64/bin/bun
if [ ! -x "$deno_bin" ] || [ ! -x "$bun_bin" ]; then
  command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 ||
    fail "npm and Node.js are needed once, to fetch the pinned deno and bun (Debian: apt install npm); then run this again"
  say "fetching the pinned deno and bun (npm ci --prefix tools)"
  npm ci --prefix tools --ignore-scripts --no-audit --no-fund --loglevel=error >&2 ||
    fail "npm ci --prefix tools failed (see above); is the npm registry reachable?"
fi
# shellcheck source=scripts/env.sh
. scripts/env.sh
if [ ! -d node_modules/commander ]; then
  say "installing the npm dependencies pinned in deno.lock (deno install --frozen)"
  "$DENO" install --frozen --quiet || fail "deno install --frozen failed (see above)"
fi

# 3. Build dist/tether, then stage every file next to its target.
say "building dist/tether"
NO_COLOR=1 bash scripts/build.sh compile || fail "scripts/build.sh compile failed (see above)"
for target in "${targets[@]}"; do
  staged+=("$(mktemp "$(dirname "$target")/.$(basename "$target").XXXXXX")")
done
cp -- dist/tether "${staged[0]}"
chmod 0755 "${staged[0]}"
# The staged binary itself prints its completions: this also proves it runs here.
for index in 1 2 3; do
  shell=(bash zsh fish)
  "${staged[0]}" completions "${shell[index - 1]}" >"${staged[index]}" ||
    fail "the built binary could not print its ${shell[index - 1]} completions"
done
NO_COLOR=1 "$DENO" run --quiet --no-check --allow-read --allow-env scripts/man.ts >"${staged[4]}" ||
  fail "generating the man page failed (see above)"
chmod 0644 "${staged[@]:1}"

# 4. Everything is staged: rename into place (atomic per file; a running binary keeps its inode).
for index in "${!targets[@]}"; do
  mv -f -T -- "${staged[index]}" "${targets[index]}"
done
staged=()

version="$("${targets[0]}" --version)" || fail "the installed ${targets[0]} does not run"
say "installed $version into $prefix"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) say "note: $prefix/bin is not on PATH; add it (man also finds the page through PATH)" ;;
esac
say "zsh: fpath+=($prefix/share/zsh/site-functions) before compinit, if it is not there yet"
say "next: tether systemd install   (or run tether focus)"
