#!/usr/bin/env bash
# Builds a complete development PKI for the demo federation, using only
# itictl: for each participant its own CA, node certificate and sealing key,
# officer certificates (poc, admin, auditor), peer cards and a signed
# directory entry. Output (git-ignored) goes to certs-dev/out, or $1.
#
#   certs-dev/gen.sh            # then: iti-node run --config deploy/gha.toml
#
# Topology (matching deploy/*.toml): GHA and NGA are members of the regional
# hub hub:ECOWAS; BEL is a member of the broker hub:INTERPOL; the two hubs
# are peered. Cards are written twice: for loopback (deploy/*.toml) and for
# docker compose (deploy/docker/*.toml, service names as hosts).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$here/out}
if [[ -z "${ITICTL:-}" ]]; then
  (cd "$root" && cargo build -q -p itictl)
  ITICTL="$root/target/debug/itictl"
fi
itictl() { "$ITICTL" "$@"; }

if [[ -e "$out" ]]; then
  echo "certs-dev: $out already exists; remove it to regenerate" >&2
  exit 1
fi

# participant  folder        local port  docker host  serves
participants=(
  "GHA          GHA           7110        gha          -"
  "NGA          NGA           7120        nga          -"
  "BEL          BEL           7130        bel          -"
  "hub:ECOWAS   hub-ECOWAS    7140        ecowas       GHA,NGA"
  "hub:INTERPOL hub-INTERPOL  7150        interpol     BEL"
)

for line in "${participants[@]}"; do
  read -r p dir port host serves <<<"$line"
  d="$out/$dir"
  echo "== $p"
  itictl ca init --participant "$p" --out "$d/ca"
  # DNS and IP names for stock clients (grpcurl, grpcio): loopback, and the
  # compose service name.
  itictl cert issue node --ca "$d/ca" --out "$d/node" --dns localhost --dns "$host" --ip 127.0.0.1
  for role in poc admin auditor; do
    itictl cert issue officer "$role.officer" --role "$role" --ca "$d/ca" --out "$d/officers/$role"
  done
  serve_args=()
  if [[ "$serves" != "-" ]]; then serve_args=(--serves "$serves"); fi
  mkdir -p "$out/cards" "$out/cards-docker"
  itictl peer export --ca "$d/ca/cert.pem" --endpoint "127.0.0.1:$port" \
    --seal-key "$d/node/seal.key" "${serve_args[@]}" --out "$out/cards/$dir.json"
  itictl peer export --ca "$d/ca/cert.pem" --endpoint "$host:7100" \
    --seal-key "$d/node/seal.key" "${serve_args[@]}" --out "$out/cards-docker/$dir.json"
  serves_json="[]"
  if [[ "$serves" != "-" ]]; then serves_json="[\"${serves//,/\",\"}\"]"; fi
  cat >"$d/entry.json" <<JSON
{
  "endpoints": ["127.0.0.1:$port"],
  "pointsOfContact": [{
    "name": "$p national point of contact on tracing",
    "agency": "national police, firearms unit",
    "email": "iti@$dir.example",
    "phone": "+000 0000 0000",
    "authorisedRecords": ["RECORD_DOMAIN_LAW_ENFORCEMENT", "RECORD_DOMAIN_DEALERS", "RECORD_DOMAIN_MANUFACTURERS"],
    "languages": ["en", "fr"]
  }],
  "languages": ["en", "fr"],
  "serves": $serves_json
}
JSON
  itictl directory sign --ca "$d/ca" --entry "$d/entry.json" --node-cert "$d/node/cert.pem" \
    --seal-key "$d/node/seal.key" --out "$d/directory-entry.json"
done

# Who pins whom: each side gets the other's card.
pair() {
  local a=$1 b=$2
  for kind in peers peers-docker; do
    local src=cards; [[ $kind == peers-docker ]] && src=cards-docker
    mkdir -p "$out/$a/$kind" "$out/$b/$kind"
    cp "$out/$src/$b.json" "$out/$a/$kind/"
    cp "$out/$src/$a.json" "$out/$b/$kind/"
  done
}
pair GHA hub-ECOWAS
pair NGA hub-ECOWAS
pair BEL hub-INTERPOL
pair hub-ECOWAS hub-INTERPOL
# The compose federation has no broker: BEL is a member of hub:ECOWAS there.
cp "$out/cards-docker/BEL.json" "$out/hub-ECOWAS/peers-docker/"
cp "$out/cards-docker/hub-ECOWAS.json" "$out/BEL/peers-docker/"

echo
echo "development PKI written to $out"
echo "start the nodes:   cargo run -p iti-node -- run --config deploy/gha.toml   (and nga, bel, ecowas, interpol)"
echo "act as an officer: cargo run -p itictl -- --identity $out/GHA/officers/poc --node 127.0.0.1:7111 whoami"
