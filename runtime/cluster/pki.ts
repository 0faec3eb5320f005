import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { ClusterError } from './cluster-errors.js';

export interface PkiPaths {
  caCert: string;
  caKey: string;
  adminCert: string;
  adminKey: string;
}

/**
 * One CA and one admin certificate (CN edgemu-admin, O system:masters) with serverAuth and
 * clientAuth and loopback SANs: kwokctl's single-cert scheme (sigs.k8s.io/kwok, kwokctl). The apiserver
 * serves it, every component and client presents it, and its key signs service-account tokens.
 */
export async function generatePki(paths: PkiPaths, options: { days?: number } = {}): Promise<void> {
  const days = String(options.days ?? 365);
  const dir = dirname(paths.caCert);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const csr = join(dir, 'admin.csr');
  const ext = join(dir, 'admin.ext');
  await writeFile(
    ext,
    [
      'subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:::1,IP:10.96.0.1',
      'extendedKeyUsage=serverAuth,clientAuth',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      '',
    ].join('\n'),
  );
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', days, '-subj', '/CN=edgemu-local-ca', '-keyout', paths.caKey, '-out', paths.caCert]);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/O=system:masters/CN=edgemu-admin', '-keyout', paths.adminKey, '-out', csr]);
  await openssl(['x509', '-req', '-in', csr, '-CA', paths.caCert, '-CAkey', paths.caKey, '-CAcreateserial', '-days', days, '-extfile', ext, '-out', paths.adminCert]);
}

async function openssl(args: string[]): Promise<void> {
  const result = await execa('openssl', args, { reject: false, all: true });
  if (result.exitCode !== 0) {
    const missing = (result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(result.message ?? '');
    throw new ClusterError(missing ? 'TOOL_MISSING' : 'CLUSTER_START_FAILED', missing ? 'openssl is needed to create the local cluster certificates; install it (apt-get install openssl)' : `openssl ${args[0] ?? ''} failed: ${result.all ?? result.message}`);
  }
}
