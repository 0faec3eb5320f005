import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HubError } from './errors.js';

/** The hub's TLS material: the CA clients trust (DIR/ca.pem) and the server certificate it signed. */
export interface TlsMaterial {
  caFile: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
}

const FILES = { ca: 'ca.pem', caKey: 'ca-key.pem', cert: 'server.pem', key: 'server-key.pem' } as const;

/**
 * Creates the CA and server certificate on first start (selfsigned, EC P-256, pure JS) and
 * reuses them later. The server certificate's SANs are localhost, 127.0.0.1, ::1 and every
 * given host name; when a later start asks for a name the certificate lacks, only the server
 * certificate is re-issued, so clients keep trusting the same ca.pem.
 */
export async function ensureTlsMaterial(stateDir: string, hostNames: readonly string[]): Promise<TlsMaterial> {
  const p = (f: string) => path.join(stateDir, f);
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...hostNames.map((h) => h.replace(/:\d+$/, ''))])];
  const selfsigned = await import('selfsigned');
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 }); // startHub may be the first to touch a new state dir
    if (!existsSync(p(FILES.ca)) || !existsSync(p(FILES.caKey))) {
      const ca = await selfsigned.generate([{ name: 'commonName', value: 'edgemu hub CA' }], {
        algorithm: 'sha256',
        keyType: 'ec',
        days: 3650,
        extensions: [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ],
      } as Parameters<typeof selfsigned.generate>[1]);
      writeAtomic(p(FILES.caKey), ca.private, 0o600);
      writeAtomic(p(FILES.ca), ca.cert);
      invalidate(p(FILES.cert)); // a new CA invalidates the old server certificate
    }
    const caCert = readFileSync(p(FILES.ca), 'utf8');
    const caKey = readFileSync(p(FILES.caKey), 'utf8');
    if (!existsSync(p(FILES.cert)) || !existsSync(p(FILES.key)) || !covers(readFileSync(p(FILES.cert), 'utf8'), names, caCert)) {
      const isIp = (n: string) => /^[\d.]+$/.test(n) || n.includes(':');
      const server = await selfsigned.generate([{ name: 'commonName', value: names.find((n) => !isIp(n)) ?? 'localhost' }], {
        algorithm: 'sha256',
        keyType: 'ec',
        days: 825,
        ca: { key: caKey, cert: caCert },
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: names.map((n) => (isIp(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
        ],
      } as Parameters<typeof selfsigned.generate>[1]);
      writeAtomic(p(FILES.key), server.private, 0o600);
      writeAtomic(p(FILES.cert), server.cert);
    }
    return { caFile: path.resolve(p(FILES.ca)), caCert, serverCert: readFileSync(p(FILES.cert), 'utf8'), serverKey: readFileSync(p(FILES.key), 'utf8') };
  } catch (error) {
    throw new HubError('HUB_TLS', `cannot create or read the hub's TLS material in ${stateDir}: ${(error as Error).message}`, { cause: error });
  }
}

/** True when `certPem` was issued by `caPem`, is still valid for a while, and lists every name. */
function covers(certPem: string, names: readonly string[], caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkIssued(new X509Certificate(caPem))) return false;
    if (Date.parse(cert.validTo) < Date.now() + 7 * 24 * 3600 * 1000) return false;
    const san = cert.subjectAltName ?? '';
    return names.every((n) => san.includes(`DNS:${n}`) || san.includes(`IP Address:${n}`) || (n === '::1' && san.includes('IP Address:0:0:0:0:0:0:0:1')));
  } catch {
    return false;
  }
}

function writeAtomic(file: string, text: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

function invalidate(file: string): void {
  try {
    writeFileSync(file, '');
  } catch {
    // nothing to remove
  }
}
