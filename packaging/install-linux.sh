#!/usr/bin/env bash
# Adds Balance Desk to your Linux desktop for your user only (no root): the launcher in the
# applications menu, its icons, and the AppStream metadata software centres read, all under
# ${XDG_DATA_HOME:-~/.local/share}. Every file and folder it creates is recorded in a manifest so
# that `--uninstall` removes exactly those and nothing else.
#
#   packaging/install-linux.sh                 # install (or refresh an earlier install)
#   packaging/install-linux.sh --exec PATH     # launch PATH instead of the one found
#   packaging/install-linux.sh --uninstall     # remove what the install added
#
# The launcher runs, in order of preference: --exec PATH; this checkout's .venv/bin/balance-desk-gui
# (after scripts/setup); balance-desk-gui on your PATH (after `pip install balance-desk`).
set -euo pipefail

APP_ID=io.github.balancedesk.BalanceDesk
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
manifest="$data_home/balance-desk/desktop-integration.manifest"

say() { printf '%s\n' "$*"; }
die() { printf 'install-linux.sh: %s\n' "$*" >&2; exit 1; }

uninstall() {
  if [ ! -f "$manifest" ]; then
    say "Balance Desk's desktop integration is not installed under $data_home."
    return 0
  fi
  local kind path dirs=()
  while IFS=' ' read -r kind path; do
    case "$kind" in
      f) rm -f -- "$path" ;;
      d) dirs+=("$path") ;;
    esac
  done <"$manifest"
  rm -f -- "$manifest"
  # Folders we created go last and deepest first; a folder someone else has since used stays.
  local i
  for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do
    rmdir -- "${dirs[i]}" 2>/dev/null || true
  done
  rmdir -- "$(dirname "$manifest")" 2>/dev/null || true
  say "Removed Balance Desk's launcher, icons and metadata from $data_home."
}

find_launcher() {
  if [ -n "${launcher:-}" ]; then
    [ -x "$launcher" ] || die "--exec $launcher is not an executable file"
  elif [ -x "$repo/.venv/bin/balance-desk-gui" ]; then
    launcher="$repo/.venv/bin/balance-desk-gui"
  elif command -v balance-desk-gui >/dev/null 2>&1; then
    launcher=$(command -v balance-desk-gui)
  else
    die "balance-desk-gui not found: run scripts/setup in this checkout, or pip install balance-desk, or pass --exec PATH"
  fi
  launcher=$(cd "$(dirname "$launcher")" && pwd)/$(basename "$launcher")
  # Characters the desktop-entry Exec key would need escaped twice over: refuse, don't guess.
  case "$launcher" in
    *[\"\`\$\\%]* | *$'\n'*) die "cannot put this path in a launcher: $launcher" ;;
  esac
}

# The Exec value: quoted when the path has spaces (desktop-entry spec, "Exec key").
exec_value() {
  case "$launcher" in
    *[[:space:]\'\>\<\~\|\&\;\*\?\#\(\)]*) printf '"%s"' "$launcher" ;;
    *) printf '%s' "$launcher" ;;
  esac
}

created=()
record_dir() {  # mkdir -p that remembers each folder it had to create, outermost first
  local dir=$1 missing=()
  while [ ! -d "$dir" ]; do
    missing=("$dir" "${missing[@]}")
    dir=$(dirname "$dir")
  done
  if ((${#missing[@]})); then
    mkdir -p -- "${missing[-1]}"
    created+=("${missing[@]}")
  fi
}

files=()
put() {  # put SOURCE DEST [MODE]: copy a file and remember it
  record_dir "$(dirname "$2")"
  install -m "${3:-644}" -- "$1" "$2"
  files+=("$2")
}

install_all() {
  find_launcher
  [ -f "$manifest" ] && uninstall >/dev/null
  local icons="$repo/balance_desk/resources/icons/hicolor" size tmp exec_line try_line
  [ -d "$icons" ] || die "icons missing at $icons (run icons/render.py)"
  # Escaped for sed's replacement text, where & and | are special.
  exec_line=$(exec_value)
  exec_line=${exec_line//&/\\&} exec_line=${exec_line//|/\\|}
  try_line=${launcher//&/\\&} try_line=${try_line//|/\\|}
  tmp=$(mktemp)
  sed -e "s|^Exec=balance-desk-gui|Exec=$exec_line|" -e "s|^TryExec=.*|TryExec=$try_line|" \
    "$repo/resources/$APP_ID.desktop" >"$tmp"
  put "$tmp" "$data_home/applications/$APP_ID.desktop"
  rm -f -- "$tmp"
  for size in 16 22 24 32 48 64 128 256; do
    put "$icons/${size}x${size}/apps/$APP_ID.png" "$data_home/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
  done
  put "$icons/scalable/apps/$APP_ID.svg" "$data_home/icons/hicolor/scalable/apps/$APP_ID.svg"
  put "$repo/resources/$APP_ID.metainfo.xml" "$data_home/metainfo/$APP_ID.metainfo.xml"

  record_dir "$(dirname "$manifest")"
  {
    for dir in "${created[@]}"; do printf 'd %s\n' "$dir"; done
    for file in "${files[@]}"; do printf 'f %s\n' "$file"; done
  } >"$manifest"
  # Icon caches and menus notice a changed hicolor folder and applications folder by their mtime.
  touch -- "$data_home/icons/hicolor" "$data_home/applications"
  if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$data_home/applications/$APP_ID.desktop"
  fi
  say "Installed Balance Desk under $data_home; its launcher runs $launcher"
  say "Remove it again with: $0 --uninstall"
}

launcher=""
action=install
while (($#)); do
  case "$1" in
    --uninstall) action=uninstall ;;
    --exec) shift; launcher=${1:-} ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

if [ "$action" = uninstall ]; then uninstall; else install_all; fi
