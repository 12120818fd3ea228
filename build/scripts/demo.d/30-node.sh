# Node: the ksefkit npm package over ksef.wasm (step/resume; fetch does the HTTP).
echo "== Node (ksefkit over ksef.wasm)"
node --input-type=module - <<'JS'
import { Client, certs } from './bindings/node/index.mjs';
const { KSEF_SIM_URL: baseUrl, KSEF_SIM_NIP: nip, KSEF_SIM_TOKEN: token } = process.env;
const c = await Client.create({ baseUrl });
let a = await c.auth.withToken({ token, nip });
console.log(`token auth       context ${a.context.value}, reference ${a.referenceNumber}, access token valid until ${a.accessTokenValidUntil}`);
const cert = await certs.generateTestCertificate({ kind: 'seal', nip, keyType: 'rsa' });
console.log(`test certificate ${cert.info.subject} -> identity ${cert.info.identity.type} ${cert.info.identity.value}`);
a = await c.auth.withCertificate({ cert: cert.certificatePem, key: cert.keyPem, nip });
console.log(`XAdES auth       reference ${a.referenceNumber} (${a.method})`);
await c.close();
JS
