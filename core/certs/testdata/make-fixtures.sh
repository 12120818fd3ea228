#!/bin/sh
# Regenerates the certificate/key fixtures of core/certs with OpenSSL (tested
# with 3.0). The tests only read the committed files; they never run openssl.
#
#   cd core/certs/testdata && sh make-fixtures.sh
set -eu
PASS='ksef-Test-123'
UTF8PASS='Zażółć-gęślą'
DAYS=7300
cd "$(dirname "$0")"
rm -f *.pem *.der *.p12 *.pfx

# Personal ECDSA P-256 certificate, shaped like MF's test generator.
openssl ecparam -name prime256v1 -genkey -noout -out ec.sec1.pem
openssl req -new -x509 -key ec.sec1.pem -days $DAYS -sha256 -out ec.crt.pem \
  -subj '/C=PL/GN=Jan/SN=Kowalski/serialNumber=TINPL-5265877635/CN=Jan Kowalski'
openssl x509 -in ec.crt.pem -outform DER -out ec.crt.der
openssl pkcs8 -topk8 -nocrypt -in ec.sec1.pem -out ec.pk8.pem
openssl pkcs8 -topk8 -nocrypt -in ec.sec1.pem -outform DER -out ec.pk8.der
openssl ec -in ec.sec1.pem -outform DER -out ec.sec1.der
# Encrypted PKCS#8 in the variants users meet (the KSeF portal: PBES2).
openssl pkcs8 -topk8 -v2 aes256 -in ec.sec1.pem -passout "pass:$PASS" -out ec.enc-aes256.pem
openssl pkcs8 -topk8 -v2 des3 -in ec.sec1.pem -passout "pass:$PASS" -out ec.enc-des3.pem
openssl pkcs8 -topk8 -v2 aes128 -v2prf hmacWithSHA512 -in ec.sec1.pem -passout "pass:$PASS" -out ec.enc-sha512.pem
openssl pkcs8 -topk8 -v2 aes192 -v2prf hmacWithSHA1 -in ec.sec1.pem -passout "pass:$PASS" -out ec.enc-sha1.pem
openssl pkcs8 -topk8 -v2 aes256 -v2prf hmacWithSHA384 -in ec.sec1.pem -passout "pass:$PASS" -out ec.enc-sha384.pem
openssl pkcs8 -topk8 -v2 aes256 -v2prf hmacWithSHA224 -in ec.sec1.pem -passout "pass:$PASS" -out ec.enc-sha224.pem
openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES -in ec.sec1.pem -passout "pass:$PASS" -out ec.enc-pbes1.pem
openssl pkcs8 -topk8 -v2 aes256 -in ec.sec1.pem -passout "pass:$PASS" -outform DER -out ec.enc.der
openssl pkcs8 -topk8 -v2 aes256 -in ec.sec1.pem -passout "pass:$UTF8PASS" -out ec.enc-utf8pass.pem
openssl pkcs8 -topk8 -scrypt -in ec.sec1.pem -passout "pass:$PASS" -out ec.enc-scrypt.pem
# Legacy Proc-Type/DEK-Info PEM (refused with unsupported_encryption).
openssl ec -in ec.sec1.pem -des3 -passout "pass:$PASS" -out ec.legacy-des3.pem
cat ec.crt.pem ec.pk8.pem > ec.bundle.pem

# Company seal, RSA-2048.
openssl genrsa -out rsa.pk8.pem 2048
openssl rsa -in rsa.pk8.pem -traditional -out rsa.pkcs1.pem
openssl rsa -in rsa.pk8.pem -traditional -outform DER -out rsa.pkcs1.der
openssl rsa -in rsa.pk8.pem -traditional -aes256 -passout "pass:$PASS" -out rsa.legacy-aes256.pem
openssl req -new -x509 -key rsa.pk8.pem -days $DAYS -sha256 -out rsa.crt.pem \
  -subj '/C=PL/O=Testowa Firma Sp. z o.o./organizationIdentifier=VATPL-5265877635/CN=Testowa Firma'

# A CA-issued ECDSA leaf and PKCS#12 files with the chain.
openssl ecparam -name secp384r1 -genkey -noout -out ca.key.pem
openssl req -new -x509 -key ca.key.pem -days $DAYS -sha384 -out ca.crt.pem -subj '/C=PL/O=Test CA/CN=Test CA Root'
openssl req -new -key ec.sec1.pem -out leaf.csr.pem \
  -subj '/C=PL/GN=Anna/SN=Nowak/serialNumber=PNOPL-44051401359/CN=Anna Nowak'
openssl x509 -req -in leaf.csr.pem -CA ca.crt.pem -CAkey ca.key.pem -CAcreateserial -days $DAYS -sha256 -out leaf.crt.pem
rm -f leaf.csr.pem ca.crt.srl
openssl pkcs12 -export -inkey ec.sec1.pem -in leaf.crt.pem -certfile ca.crt.pem -passout "pass:$PASS" -out leaf.p12
openssl pkcs12 -export -legacy -inkey ec.sec1.pem -in leaf.crt.pem -certfile ca.crt.pem -passout "pass:$PASS" -out leaf-legacy.p12
openssl pkcs12 -export -inkey rsa.pk8.pem -in rsa.crt.pem -passout "pass:" -out rsa-nopass.p12
openssl pkcs12 -export -inkey rsa.pk8.pem -in rsa.crt.pem -passout "pass:$PASS" -macalg sha512 -out rsa.p12

# Keys KSeF does not accept.
openssl genrsa -out rsa1024.key.pem 1024
openssl req -new -x509 -key rsa1024.key.pem -days $DAYS -sha256 -out rsa1024.crt.pem -subj '/C=PL/CN=Small RSA'
openssl ecparam -name secp224r1 -genkey -noout -out p224.key.pem
openssl req -new -x509 -key p224.key.pem -days $DAYS -sha256 -out p224.crt.pem -subj '/C=PL/CN=P-224'
openssl genpkey -algorithm ed25519 -out ed25519.key.pem
openssl req -new -x509 -key ed25519.key.pem -days $DAYS -out ed25519.crt.pem -subj '/C=PL/CN=Ed25519'
