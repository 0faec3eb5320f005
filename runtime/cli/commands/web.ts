import { UsageError } from '../../errors.js';
import { globalOptions, type RegisterCommand } from '../cli-context.js';

/**
 * `edgemu web [--open] [--ttl 8h] [--json]`: a fresh link to the running hub's web view
 * (docs/web.md). The link carries a service-policy SAS token in its fragment (never sent to a
 * server), valid for `--ttl`; the page trades it for an HttpOnly session cookie.
 */
export const registerWeb: RegisterCommand = (program, ctx) => {
  program
    .command('web')
    .description("print (and with --open, open) a link to the running hub's web view: devices, modules, twins, methods, telemetry")
    .option('--open', 'open the link in the default browser (xdg-open, open or start)')
    .option('--ttl <duration>', 'how long the link and its session stay valid, e.g. 30m, 8h, 7d', '8h')
    .option('--json', 'print {webUrl, expiresAt}')
    .action(async (opts: { open?: boolean; ttl: string; json?: boolean }, cmd) => {
      const g = globalOptions(cmd);
      const { parseDuration } = await import('../../agent/index.js');
      const ttl = parseDuration(opts.ttl);
      if (ttl === undefined || ttl < 60 || ttl > 365 * 86400) throw new UsageError(`--ttl ${opts.ttl}: give a duration from 1m to 365d, e.g. 8h`);
      const { connectToRunningHub } = await import('../../service-api/index.js');
      const { webViewUrl } = await import('../../web/index.js');
      const client = connectToRunningHub(g.stateDir);
      const { hostName, port } = client.endpoint;
      const webUrl = webViewUrl(hostName, port, client.serviceToken(Math.round(ttl)));
      const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
      if (opts.json || g.json) ctx.out(`${JSON.stringify({ webUrl, expiresAt })}\n`);
      else ctx.out(`web view  ${webUrl}\n(valid until ${expiresAt}; trust the hub's CA certificate or accept the browser's warning once)\n`);
      if (opts.open) {
        const { spawn } = await import('node:child_process');
        const opener = process.platform === 'darwin' ? ['open', webUrl] : process.platform === 'win32' ? ['cmd', '/c', 'start', '""', webUrl] : ['xdg-open', webUrl];
        await new Promise<void>((resolve) => {
          const child = spawn(opener[0]!, opener.slice(1), { stdio: 'ignore', detached: true });
          child.once('error', (error) => {
            ctx.err(`could not open a browser (${opener[0]}: ${error.message}); open the link above yourself\n`);
            resolve();
          });
          child.once('spawn', () => {
            child.unref();
            resolve();
          });
        });
      }
    });
};
