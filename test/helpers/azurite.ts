/**
 * Azurite (the Azure Storage emulator, npm `azurite`) for a test: its blob service in a child
 * process on a free 127.0.0.1 port, with its own temp workspace, telemetry off, and an account
 * with a random key made for this run. `stop()` ends the process and removes the workspace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobServiceClient, ContainerSASPermissions, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } from '@azure/storage-blob';
import { freePort } from '../../runtime/cluster/free-port.js';

const require = createRequire(import.meta.url);

export interface Azurite {
  /** `http://127.0.0.1:<port>/<account>` */
  endpoint: string;
  service: BlobServiceClient;
  /** A container SAS URL; `key` signs it (default the account key; another key gives a bad signature). */
  containerSasUrl(container: string, options?: { permissions?: string; expiresInMs?: number; key?: string }): string;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<Azurite> {
  const account = 'edgemu';
  const key = randomBytes(32).toString('base64');
  const workspace = mkdtempSync(path.join(tmpdir(), 'edgemu-azurite-'));
  const main = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist/src/blob/main.js');
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', workspace, '--silent', '--disableTelemetry', '--skipApiVersionCheck'],
    { env: { ...process.env, AZURITE_ACCOUNTS: `${account}:${key}` }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 30 s:\n${output}`)), 30_000);
    const check = setInterval(() => {
      if (/successfully listens|listening at/i.test(output)) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}:\n${output}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}/${account}`;
  const credential = new StorageSharedKeyCredential(account, key);
  return {
    endpoint,
    service: new BlobServiceClient(endpoint, credential),
    containerSasUrl(container, options = {}) {
      const signer = options.key ? new StorageSharedKeyCredential(account, options.key) : credential;
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          permissions: ContainerSASPermissions.parse(options.permissions ?? 'rcw'),
          expiresOn: new Date(Date.now() + (options.expiresInMs ?? 3600_000)),
          protocol: SASProtocol.HttpsAndHttp,
        },
        signer,
      );
      return `${endpoint}/${container}?${sas.toString()}`;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}
