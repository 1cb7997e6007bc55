#!/usr/bin/env bash
# Installs what lgreg needs on a Debian machine (run as root): the C libraries it links, the data set it
# evaluates on, the registry its remote tests talk to, and the Python reference packages the tests use.
# Installs only what is missing, so a second run takes a second.
set -euo pipefail

apt_packages=(pkg-config libopenblas-dev libarchive-dev libsqlite3-dev zstd dataset-fashion-mnist docker-registry apache2-utils openssl skopeo librsvg2-bin)
# The browser the test of `lgreg site` opens: Debian's chromium and its WebDriver. Where they are no Debian packages
# (Ubuntu ships chromium as a snap) they are skipped with a note: that test then needs CHROMIUM and CHROMEDRIVER.
browser_packages=(chromium chromium-driver)
missing=()
for package in "${apt_packages[@]}" "${browser_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    apt-get update -q
    installable=()
    for package in "${missing[@]}"; do
        if [[ " ${browser_packages[*]} " == *" $package "* ]] && ! apt-cache show "$package" 2>/dev/null | grep -q '^Filename: .*/c/chromium/'; then
            echo "setup: no Debian package $package here; the site's browser test needs CHROMIUM and CHROMEDRIVER" >&2
            continue
        fi
        installable+=("$package")
    done
    echo "setup: installing ${installable[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${installable[@]}"
fi

# Python reference implementations used as outside checks by the tests (from PyPI).
if ! python3 -c "import safetensors, numpy, jsonschema, oras, huggingface_hub, selenium" 2>/dev/null; then
    echo "setup: installing Python test helpers" >&2
    python3 -m pip install -q -r scripts/requirements-test.txt
fi

# The Python package's tests run in a virtual environment (scripts/test.sh).
if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
    echo "setup: installing python3-venv" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv
fi

if ! command -v swift >/dev/null; then
    echo "setup: Swift 6.1 or newer must be on PATH (https://www.swift.org/install/linux/)" >&2
    exit 1
fi
