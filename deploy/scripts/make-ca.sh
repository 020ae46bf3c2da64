#!/usr/bin/env bash
# A development CA, a server certificate and client certificates, for a lab or for tests.
# Use your organisation's CA in production. Keys are written mode 600; never commit them.
#   deploy/scripts/make-ca.sh OUT_DIR [SERVER_NAME...] [--client NAME]...
# Server names default to localhost and 127.0.0.1; they go in the subjectAltName.
set -euo pipefail
out=${1:?usage: make-ca.sh OUT_DIR [SERVER_NAME...] [--client NAME]...}
shift
names=()
clients=()
while [ $# -gt 0 ]; do
  if [ "$1" = --client ]; then clients+=("$2"); shift 2; else names+=("$1"); shift; fi
done
[ ${#names[@]} -gt 0 ] || names=(localhost 127.0.0.1)
mkdir -p "$out"
umask 077
days=825
san=""
for n in "${names[@]}"; do
  if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then san+="IP:$n,"; else san+="DNS:$n,"; fi
done
san=${san%,}
openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=mqplane development CA" \
  -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=${names[0]}" \
  -keyout "$out/server.key" -out "$out/server.csr" 2>/dev/null
openssl x509 -req -in "$out/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
  -CAcreateserial -days $days -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth' "$san") \
  -out "$out/server.crt" 2>/dev/null
for c in "${clients[@]}"; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$c" -keyout "$out/$c.key" \
    -out "$out/$c.csr" 2>/dev/null
  openssl x509 -req -in "$out/$c.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -days $days -extfile <(printf 'extendedKeyUsage=clientAuth') -out "$out/$c.crt" 2>/dev/null
done
rm -f "$out"/*.csr "$out"/*.srl
chmod 644 "$out"/*.crt
echo "wrote $out: ca.crt, server.crt/key (${names[*]})${clients:+, clients: ${clients[*]}}"
