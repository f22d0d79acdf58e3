#!/usr/bin/env bash
# Debian packages podpipe needs: ffmpeg (ingest; its shared libraries serve torchcodec too) and
# espeak-ng (renders the demo episode and test speech). Installed with apt-get when running as
# root; otherwise this says what to install and stops.
set -euo pipefail
packages=(ffmpeg espeak-ng)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "podpipe needs these system packages: ${missing[*]}" >&2
  echo "install them, e.g.: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
