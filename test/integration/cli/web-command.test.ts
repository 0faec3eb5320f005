import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { startServer } from '../../../runtime/server/start-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function stateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-web-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const run = (argv: string[]) => runCli(argv);

/** POST /web/session with the link's token; resolves with the status, the Set-Cookie header and the body. */
function startSession(port: number, ca: Buffer, token: string): Promise<{ status: number; cookie: string | undefined; body: Record<string, unknown> }> {
  const body = JSON.stringify({ token });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/web/session', ca, servername: 'localhost', headers: { 'content-type': 'application/json', 'x-edgemu-web': '1' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie']?.[0], body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('edgemu web', () => {
  it('prints a fresh link whose token becomes a session cookie for --ttl', async () => {
    const dir = stateDir();
    const server = await startServer({ stateDir: dir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });
    cleanups.push(() => server.close());
    const r = await run(['--state-dir', dir, 'web', '--json', '--ttl', '30m']);
    expect(r.code).toBe(0);
    const { webUrl, expiresAt } = JSON.parse(r.out) as { webUrl: string; expiresAt: string };
    expect(webUrl.startsWith(`https://localhost:${server.httpsPort}/#token=SharedAccessSignature%20`)).toBe(true);
    expect(Math.abs(Date.parse(expiresAt) - (Date.now() + 30 * 60_000))).toBeLessThan(10_000);
    const token = decodeURIComponent(webUrl.split('#token=')[1]!);
    const session = await startSession(server.httpsPort!, readFileSync(server.caFile), token);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ signedIn: true, policy: 'iothubowner' });
    expect(session.cookie).toMatch(/^edgemu_session=.+; Max-Age=1[78]\d\d; Path=\/; HttpOnly; Secure; SameSite=Strict$/);

    const text = await run(['--state-dir', dir, 'web']);
    expect(text.out).toMatch(/^web view {2}https:\/\/localhost:\d+\/#token=\S+\n\(valid until /);
  });

  it('refuses a --ttl outside 1m..365d (exit 2) and says when no hub runs (exit 1)', async () => {
    const dir = stateDir();
    const short = await run(['--state-dir', dir, 'web', '--ttl', '10s']);
    expect(short.code).toBe(2);
    expect(short.err).toContain('--ttl 10s');
    const none = await run(['--state-dir', dir, 'web']);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no hub is running');
  });
});
