#!/usr/bin/env bash
# Creates a mosquitto password file for the mqplane identities, with random passwords, and an
# env file holding them (mode 600) for the node and the operators. Never commit either.
#   deploy/scripts/make-passwords.sh OUT_DIR [IDENTITY...]
# Default identities: node-control node-data operator monitor site-bridge.
set -euo pipefail
out=${1:?usage: make-passwords.sh OUT_DIR [IDENTITY...]}
shift
ids=("$@")
[ ${#ids[@]} -gt 0 ] || ids=(node-control node-data operator monitor site-bridge)
mkdir -p "$out"
umask 077
: > "$out/passwd"
: > "$out/passwords.env"
for id in "${ids[@]}"; do
  pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 24)
  mosquitto_passwd -b "$out/passwd" "$id" "$pw"
  var=$(echo "$id" | tr 'a-z-' 'A-Z_')
  echo "MQTT_PASSWORD_${var}=$pw" >> "$out/passwords.env"
done
echo "wrote $out/passwd and $out/passwords.env (${#ids[@]} identities); keep them out of git"
