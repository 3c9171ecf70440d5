// NATS decentralised accounts for tests (docs/scale.md "Securing NATS"): an operator, its
// system account, an account for plenaryd with JetStream, and users, made here with
// node:crypto rather than NATS's own tools (nsc is not in Debian), so that plenaryd's
// `.creds` support is tested against the formats as NATS defines them:
//
// - an nkey is an Ed25519 key: its public form is base32 (RFC 4648, no padding) of a
//   prefix byte for its kind, the 32-byte key and a CRC-16/XMODEM of both, little-endian;
//   its seed the same with two prefix bytes ('S' and the kind) before the 32-byte seed;
// - a JWT's header is {"typ":"JWT","alg":"ed25519-nkey"}, its signature Ed25519 over
//   header.payload (base64url), by the issuer's key: the operator signs accounts, an
//   account its users;
// - a .creds file holds the user's JWT and its seed between NATS's markers.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const KIND = { seed: 18 << 3, operator: 14 << 3, account: 0, user: 20 << 3 };

function base32(buf) {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of buf) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

function crc16(buf) {
  let crc = 0;
  for (const b of buf) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function encode(prefix, key) {
  const raw = Buffer.concat([Buffer.from(prefix), key]);
  const c = crc16(raw);
  return base32(Buffer.concat([raw, Buffer.from([c & 0xff, c >> 8])]));
}

// A new key pair of kind operator, account or user: {public, seed, privateKey}.
export function nkey(kind) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const k = KIND[kind];
  return {
    public: encode([k], pub),
    seed: encode([KIND.seed | (k >> 5), (k & 31) << 3], seed),
    privateKey,
  };
}

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// A JWT about subject (an nkey), with nats claims, signed by issuer (an nkey).
export function natsJwt(issuer, subject, name, nats) {
  const claims = { iat: Math.floor(Date.now() / 1000), iss: issuer.public, name, sub: subject.public, nats: { ...nats, version: 2 } };
  claims.jti = base32(createHash('sha256').update(JSON.stringify(claims)).digest());
  const signed = `${b64url({ typ: 'JWT', alg: 'ed25519-nkey' })}.${b64url(claims)}`;
  return `${signed}.${sign(null, Buffer.from(signed), issuer.privateKey).toString('base64url')}`;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

// An operator with a system account and an account "PLENARY" that may use JetStream: the
// nats-server configuration lines that trust them, and users of the account as .creds.
export function natsOperator() {
  const op = nkey('operator');
  const sys = nkey('account');
  const acc = nkey('account');
  const opJwt = natsJwt(op, op, 'plenary-test', { type: 'operator', system_account: sys.public });
  const sysJwt = natsJwt(op, sys, 'SYS', { type: 'account', limits: UNLIMITED });
  const accLimits = { ...UNLIMITED, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
  const accJwt = natsJwt(op, acc, 'PLENARY', { type: 'account', limits: accLimits });
  return {
    config: [
      `operator: ${opJwt}`,
      `system_account: ${sys.public}`,
      'resolver: MEMORY',
      `resolver_preload: { ${sys.public}: ${sysJwt}, ${acc.public}: ${accJwt} }`,
    ],
    // A user of the account (or, with account, of another: one the servers do not know),
    // written as dir/name.creds; returns its path.
    creds(dir, name, account = acc) {
      const user = nkey('user');
      const jwt = natsJwt(account, user, name, { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
      const path = pathJoin(dir, `${name}.creds`);
      writeFileSync(
        path,
        `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
          `************************* IMPORTANT *************************\n` +
          `NKEY Seed printed below can be used to sign and prove identity.\n\n` +
          `-----BEGIN USER NKEY SEED-----\n${user.seed}\n------END USER NKEY SEED------\n`,
        { mode: 0o600 },
      );
      return path;
    },
    newAccount: () => nkey('account'),
  };
}
