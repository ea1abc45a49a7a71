#!/usr/bin/env bash
# Removes exactly what packaging/install-linux.sh added under ${XDG_DATA_HOME:-~/.local/share}.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/install-linux.sh" --uninstall "$@"
