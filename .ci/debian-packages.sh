#!/usr/bin/env bash
# Install the Debian packages given as arguments where they are missing.
# As root (CI, the development machines) it installs them; as anyone else it names what is
# missing and carries on, and the tests that need a missing tool skip with that reason.
set -euo pipefail
missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages (install them as root): ${missing[*]}"
    exit 0
fi
echo "installing Debian packages: ${missing[*]}"
log=$(mktemp)
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } > "$log" 2>&1; then
    cat "$log"
    exit 1
fi
rm -f "$log"
