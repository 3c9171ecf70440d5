// A test CA and server certificates made with openssl at test time, in a folder the test
// owns: for plenaryd's own TLS (tls.test.mjs, the HTTPS browser tests). Nothing here is
// trusted anywhere but by the clients a test hands it to.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';

function openssl(args) {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`openssl: ${r.error.message} (scripts/install-deps.sh test installs it)`);
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// The CA: { cert, key (paths), pem (Buffer) }.
export function makeCa(dir) {
  const cert = pathJoin(dir, 'ca.pem');
  const key = pathJoin(dir, 'ca-key.pem');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=Plenary test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { dir, cert, key, pem: readFileSync(cert) };
}

// A server certificate signed by ca for the subjectAltName san (e.g. "DNS:plenary.test"),
// with common name cn: { cert, key (paths), serial (upper-case hex, as node's
// getPeerCertificate() gives it), spki (base64 SHA-256 of its public key, as Chromium's
// --ignore-certificate-errors-spki-list takes it) }.
export function makeLeaf(ca, label, cn, san, usage = 'serverAuth') {
  const cert = pathJoin(ca.dir, `${label}-cert.pem`);
  const key = pathJoin(ca.dir, `${label}-key.pem`);
  const csr = pathJoin(ca.dir, `${label}.csr`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`,
    '-addext', `subjectAltName=${san}`, '-addext', `extendedKeyUsage=${usage}`]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
    '-copy_extensions', 'copy', '-days', '2', '-out', cert]);
  const x = new X509Certificate(readFileSync(cert));
  const spki = createHash('sha256').update(x.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  return { cert, key, serial: x.serialNumber.toUpperCase(), spki };
}
