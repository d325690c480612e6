#!/usr/bin/env bash
# Regenerates the DirectLink demo PKI into this directory (Fixtures/pki/).
# Idempotent: wipes every generated file first. Uses only the openssl CLI (tested with 3.0.x).
# Demo material only: every private key here is public. Never use it outside tests and demos.
set -euo pipefail

OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

DAYS_CA=10960      # ~30 years (untrusted root)
DAYS_LEAF=10950    # ~30 years from today
CA_START=20190101000000Z
CA_END="$(date -u -d '+30 years' +%Y%m%d%H%M%SZ)"
CORPA_NAME="华东精密机械有限公司"
CORPB_NAME="青山村股份经济合作社"
FUND_NAME="阳光花园小区专项维修资金"
BANK_NAME="DirectLink Demo Bank"

# Wipe what a previous run produced (keep the script and README).
rm -rf "$OUT"/*.pem "$OUT"/*.key "$OUT"/crl
mkdir -p "$OUT/crl"

cat > "$WORK/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
prompt = no
[dn]
CN = placeholder

[root_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[intermediate_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[signing_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[operator_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = clientAuth, emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[wrong_ku_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

# `openssl ca` sections: CRLs for both CAs, and the back-dated expired certificate.
[ca]
default_ca = intermediate_db
[intermediate_db]
database = $ENV::WORK/intermediate.index
crlnumber = $ENV::WORK/intermediate.crlnumber
certificate = $ENV::WORK/intermediate-ca.pem
private_key = $ENV::WORK/intermediate-ca.key
default_md = sha256
default_crl_days = 10950
unique_subject = no
[root_db]
database = $ENV::WORK/root.index
crlnumber = $ENV::WORK/root.crlnumber
serial = $ENV::WORK/root.serial
new_certs_dir = $ENV::WORK
policy = policy_any
certificate = $ENV::WORK/root-ca.pem
private_key = $ENV::WORK/root-ca.key
default_md = sha256
default_crl_days = 10950
unique_subject = no
[expired_db]
database = $ENV::WORK/expired.index
serial = $ENV::WORK/expired.serial
new_certs_dir = $ENV::WORK
certificate = $ENV::WORK/intermediate-ca.pem
private_key = $ENV::WORK/intermediate-ca.key
default_md = sha256
policy = policy_any
unique_subject = no
[policy_any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
CNF
export WORK
CNF="$WORK/openssl.cnf"
: > "$WORK/intermediate.index"; echo 1000 > "$WORK/intermediate.crlnumber"
: > "$WORK/root.index";         echo 1000 > "$WORK/root.crlnumber"; echo "40$(openssl rand -hex 15)" > "$WORK/root.serial"
: > "$WORK/expired.index";      openssl rand -hex 16 > "$WORK/expired.serial"

serial() { echo "0x7$(openssl rand -hex 15)"; }   # positive 128-bit random serial

# genkey NAME TYPE  -> $OUT/NAME.key (unencrypted PKCS#8)
genkey() {
  local name="$1" type="$2" file="$OUT/$1.key"
  case "$type" in
    rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$file" ;;
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$file" ;;
    rsa3072) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$file" ;;
    p256)    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$file" ;;
    p384)    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out "$file" ;;
    sm2)     openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -pkeyopt ec_param_enc:named_curve -out "$file" ;;
    *) echo "unknown key type $type" >&2; exit 1 ;;
  esac
}

# issue NAME TYPE SUBJECT EXTENSIONS [CA_NAME]  -> key + certificate signed by CA_NAME (default intermediate-ca)
issue() {
  local name="$1" type="$2" subject="$3" ext="$4" ca="${5:-intermediate-ca}"
  genkey "$name" "$type"
  local csr="$WORK/$name.csr" pubopt=()
  if [ "$type" = sm2 ]; then
    # OpenSSL 3.0 cannot self-sign a CSR with SM2 reliably: sign the CSR with a throwaway
    # P-256 key and force the SM2 public key into the certificate.
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/$name.tmp.key"
    openssl req -new -config "$CNF" -utf8 -key "$WORK/$name.tmp.key" -subj "$subject" -out "$csr"
    openssl pkey -in "$OUT/$name.key" -pubout -out "$WORK/$name.pub.pem"
    pubopt=(-force_pubkey "$WORK/$name.pub.pem")
  else
    openssl req -new -config "$CNF" -utf8 -key "$OUT/$name.key" -subj "$subject" -out "$csr"
  fi
  openssl x509 -req -in "$csr" "${pubopt[@]}" -CA "$OUT/$ca.pem" -CAkey "$OUT/$ca.key" \
    -set_serial "$(serial)" -days "$DAYS_LEAF" -sha256 \
    -extfile "$CNF" -extensions "$ext" -out "$OUT/$name.pem" 2>/dev/null
}

operator() { echo "/C=CN/O=$1/OU=$2/CN=$3"; }
corpa() { operator "$CORPA_NAME" CORPA001 "$1"; }
corpb() { operator "$CORPB_NAME" CORPB001 "$1"; }
fund() { operator "$FUND_NAME" FUND0001 "$1"; }

# --- CAs -------------------------------------------------------------------------------
# The CAs are back-dated to 2019 with `openssl ca` (x509/req in 3.0 cannot set notBefore), so that the
# 2020–2021 `expired.pem` lies inside its issuers' validity and expiry is its only defect.
genkey root-ca rsa3072
openssl req -new -config "$CNF" -utf8 -key "$OUT/root-ca.key" -subj "/C=CN/O=$BANK_NAME/CN=DirectLink Demo Root CA" -out "$WORK/root-ca.csr"
openssl ca -config "$CNF" -name root_db -selfsign -keyfile "$OUT/root-ca.key" -batch -notext -utf8 -preserveDN \
  -startdate "$CA_START" -enddate "$CA_END" -extfile "$CNF" -extensions root_ext \
  -in "$WORK/root-ca.csr" -out "$OUT/root-ca.pem" 2>/dev/null
cp "$OUT/root-ca.pem" "$OUT/root-ca.key" "$WORK/"
genkey intermediate-ca p256
openssl req -new -config "$CNF" -utf8 -key "$OUT/intermediate-ca.key" -subj "/C=CN/O=$BANK_NAME/CN=DirectLink Demo Issuing CA" -out "$WORK/intermediate-ca.csr"
openssl ca -config "$CNF" -name root_db -batch -notext -utf8 -preserveDN \
  -startdate "$CA_START" -enddate "$CA_END" -extfile "$CNF" -extensions intermediate_ext \
  -in "$WORK/intermediate-ca.csr" -out "$OUT/intermediate-ca.pem" 2>/dev/null
cat "$OUT/root-ca.pem" "$OUT/intermediate-ca.pem" > "$OUT/ca-bundle.pem"
cp "$OUT/intermediate-ca.pem" "$OUT/intermediate-ca.key" "$WORK/"

# --- Bank -------------------------------------------------------------------------------
issue bank-server     p256    "/C=CN/O=$BANK_NAME/OU=DirectLink/CN=localhost"        server_ext
issue bank-signing    rsa2048 "/C=CN/O=$BANK_NAME/OU=DirectLink/CN=bank-signing"     signing_ext
issue bank-signing-ec p256    "/C=CN/O=$BANK_NAME/OU=DirectLink/CN=bank-signing-ec"  signing_ext
issue bank-signing-sm2 sm2    "/C=CN/O=$BANK_NAME/OU=DirectLink/CN=bank-signing-sm2" signing_ext
issue bank-audit      p256    "/C=CN/O=$BANK_NAME/OU=DirectLink/CN=bank-audit"       signing_ext

# --- Corporation A: 华东精密机械有限公司 (CORPA001) ----------------------------------------
issue corpa-maker-rsa rsa2048 "$(corpa MAKER01)" operator_ext
issue corpa-maker-ec  p256    "$(corpa MAKER01)" operator_ext
issue corpa-maker-sm2 sm2     "$(corpa MAKER01)" operator_ext
issue corpa-approver1 p256    "$(corpa APPR01)"  operator_ext
issue corpa-approver2 p256    "$(corpa APPR02)"  operator_ext
issue corpa-approver3 p256    "$(corpa APPR03)"  operator_ext
issue corpa-admin     p256    "$(corpa ADMIN01)" operator_ext
issue corpa-client    p256    "$(corpa CORPA001-ERP)" client_ext

# --- Corporation B: 青山村股份经济合作社 (CORPB001) ----------------------------------------
issue corpb-maker-ec  p256 "$(corpb MAKER01)" operator_ext
issue corpb-member1   p256 "$(corpb MEMB01)"  operator_ext
issue corpb-member2   p256 "$(corpb MEMB02)"  operator_ext
issue corpb-member3   p256 "$(corpb MEMB03)"  operator_ext
issue corpb-client    p256 "$(corpb CORPB001-ERP)" client_ext
# The maintenance-fund platform's connection certificate (its operators' keys live with its replay scenario).
issue fund-client     p256 "$(fund FUND0001-PLATFORM)" client_ext

# --- Bad certificates (corporation A operator MAKER01 unless noted) ------------------------
issue revoked      p256    "$(corpa MAKER01)" operator_ext
issue wrong-ku     p256    "$(corpa MAKER01)" wrong_ku_ext
issue weak-rsa1024 rsa1024 "$(corpa MAKER01)" operator_ext
issue p384         p384    "$(corpa MAKER01)" operator_ext

# Expired: back-dated with `openssl ca` and its own throwaway database.
genkey expired p256
openssl req -new -config "$CNF" -utf8 -key "$OUT/expired.key" -subj "$(corpa MAKER01)" -out "$WORK/expired.csr"
openssl ca -config "$CNF" -name expired_db -batch -notext -utf8 -preserveDN \
  -startdate 20200101000000Z -enddate 20210101000000Z \
  -extfile "$CNF" -extensions operator_ext -in "$WORK/expired.csr" -out "$OUT/expired.pem" 2>/dev/null

# Untrusted: a separate self-signed root that is NOT in ca-bundle.pem, and an operator cert under it.
genkey untrusted-ca p256
openssl req -x509 -new -config "$CNF" -utf8 -key "$OUT/untrusted-ca.key" -sha256 -days "$DAYS_CA" \
  -set_serial "$(serial)" -subj "/C=CN/O=Untrusted Demo CA/CN=Untrusted Demo Root CA" \
  -extensions root_ext -out "$OUT/untrusted-ca.pem"
issue untrusted p256 "$(corpa MAKER01)" operator_ext untrusted-ca

# --- CRLs ---------------------------------------------------------------------------------
openssl ca -config "$CNF" -name intermediate_db -revoke "$OUT/revoked.pem" -crl_reason keyCompromise 2>/dev/null
openssl ca -config "$CNF" -name intermediate_db -gencrl -crldays 10950 -out "$OUT/crl/intermediate.crl.pem" 2>/dev/null
openssl ca -config "$CNF" -name root_db -gencrl -crldays 10950 -out "$OUT/crl/root.crl.pem" 2>/dev/null
cat "$OUT/crl/root.crl.pem" "$OUT/crl/intermediate.crl.pem" > "$OUT/crls.pem"

# --- Self-check -----------------------------------------------------------------------------
check() {  # check NAME EXPECTED(ok|fail) [PATTERN]
  local out rc=0
  out="$(openssl verify -CAfile "$OUT/ca-bundle.pem" -crl_check_all -CRLfile "$OUT/crls.pem" "$OUT/$1.pem" 2>&1)" || rc=$?
  if [ "$2" = ok ] && [ $rc -ne 0 ]; then echo "FAIL: $1 should verify: $out" >&2; exit 1; fi
  if [ "$2" = fail ]; then
    if [ $rc -eq 0 ] || ! grep -q "$3" <<<"$out"; then echo "FAIL: $1 should fail with '$3': $out" >&2; exit 1; fi
  fi
}
for good in intermediate-ca bank-server bank-signing bank-signing-ec bank-signing-sm2 bank-audit \
            corpa-maker-rsa corpa-maker-ec corpa-maker-sm2 corpa-approver1 corpa-approver2 corpa-approver3 \
            corpa-admin corpa-client corpb-maker-ec corpb-member1 corpb-member2 corpb-member3 corpb-client fund-client \
            wrong-ku weak-rsa1024 p384; do
  check "$good" ok
done
check revoked fail "certificate revoked"
check expired fail "certificate has expired"
check untrusted fail "unable to get local issuer certificate"
echo "demo PKI regenerated in $OUT"
