#!/bin/sh
# Generates a development signing key pair for RAUC bundles into DIR, once.
# Development only: the key is made on the build machine and never committed;
# a release is signed with a key kept offline. Usage: mkdevkey.sh DIR
set -eu

dir=$1
if [ -s "$dir/dev.key.pem" ] && [ -s "$dir/dev.cert.pem" ]; then
	exit 0
fi
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 3650 \
	-keyout "$dir/dev.key.pem" -out "$dir/dev.cert.pem" \
	-subj "/O=Hookswitch development/CN=hookswitch-dev-$(hostname)-$$" 2>/dev/null
chmod 0644 "$dir/dev.cert.pem"
