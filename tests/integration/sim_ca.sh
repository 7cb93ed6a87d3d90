#!/bin/sh
# sim_ca.sh DIR: a throwaway test CA and a server certificate for 127.0.0.1
# and localhost, signed by it, for exchange_sim.py --tls-cert/--tls-key and
# the clients that verify it (FEED_CA_FILE, Python's ssl, curl --cacert).
# Writes into DIR (created if missing):
#   ca.pem ca.key            the CA (CA:TRUE, keyCertSign), valid 2 days
#   server.pem server.key    CN=localhost, subjectAltName IP:127.0.0.1,
#                            DNS:localhost, serverAuth, valid 2 days
# EC P-256 keys (fast to make).  Needs the openssl command.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
command -v openssl >/dev/null || { echo "sim_ca.sh: openssl command not installed" >&2; exit 77; }
mkdir -p "$dir"
cd "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=CryptoPulse exchange_sim test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout ca.key -out ca.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
cat >server.ext <<EXT
basicConstraints=CA:FALSE
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem server.pem
openssl verify -CAfile ca.pem server.pem >/dev/null
