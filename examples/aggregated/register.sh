#!/bin/sh
# Prints the Service, Endpoints and APIService that register a kubewire-server
# backend with a front (kubewire-server or kube-apiserver), its CA bundle
# filled in:
#   examples/aggregated/register.sh BACKEND_DATA_DIR BACKEND_IP BACKEND_PORT | kubectl apply -f -
set -eu
[ $# -eq 3 ] || { echo "usage: $0 BACKEND_DATA_DIR BACKEND_IP BACKEND_PORT" >&2; exit 2; }
here=$(dirname "$0")
CA_BUNDLE=$(base64 -w0 < "$1/pki/ca.crt")
BACKEND_IP=$2
BACKEND_PORT=$3
for f in service.yaml apiservice.yaml; do
  sed -e "s|\${CA_BUNDLE}|$CA_BUNDLE|g" -e "s|\${BACKEND_IP}|$BACKEND_IP|g" \
      -e "s|\${BACKEND_PORT}|$BACKEND_PORT|g" "$here/$f"
  echo ---
done
