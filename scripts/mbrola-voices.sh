#!/usr/bin/env bash
# MBROLA's Dutch voices for the audio-in benchmarks (bench/render_episode.py). They live in Debian's
# contrib/non-free components: this adds those components to the Debian source (as root) and installs
# mbrola, mbrola-nl2 and mbrola-nl3. Their licence allows no redistribution: renderings are never committed.
set -euo pipefail
packages=(espeak-ng mbrola mbrola-nl2 mbrola-nl3)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "the MBROLA voices need: sudo apt-get install ${missing[*]} (Debian contrib and non-free)" >&2
  exit 1
fi
sources=/etc/apt/sources.list.d/debian.sources
if [ -f "$sources" ] && ! grep -q "non-free" "$sources"; then
  sed -i 's/^Components: main$/Components: main contrib non-free/' "$sources"
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
