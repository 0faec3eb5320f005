/**
 * The edgemu web view (docs/web.md): a hash router over the sign-in, the devices list and the
 * edge device page. Started by the bundle esbuild builds from this file (runtime/web/web-bundle.ts).
 */
import { api, describeError, setUnauthorizedHandler } from './api.js';
import { h, replace } from './dom.js';
import { renderSignIn } from './sign-in.js';
import { renderDevices } from './devices-page.js';
import { renderDevice } from './device-page.js';

const main = document.getElementById('main')!;
const crumbs = document.getElementById('crumbs')!;
const sessionLabel = document.getElementById('session')!;
let cleanup: (() => void) | undefined;
let signedIn = false;

function stopPage(): void {
  cleanup?.();
  cleanup = undefined;
}

function showSignIn(message?: string): void {
  stopPage();
  signedIn = false;
  replace(crumbs);
  replace(sessionLabel);
  renderSignIn(main, message, () => void start());
}

async function route(): Promise<void> {
  stopPage();
  const hash = location.hash.replace(/^#\/?/, '');
  const parts = hash.split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] === 'device' && parts[1]) {
    replace(crumbs, h('a', { href: '#/' }, 'devices'), h('span', {}, parts[1]));
    cleanup = renderDevice(main, parts[1], parts[2] === 'module' ? parts[3] : undefined);
  } else {
    replace(crumbs, h('span', {}, 'devices'));
    cleanup = renderDevices(main);
  }
  main.focus({ preventScroll: true });
}

/** A `#token=…` link becomes the session cookie (and leaves the address bar); then the page asks whether it is signed in. */
async function start(): Promise<void> {
  const m = /^#token=(.+)$/.exec(location.hash);
  if (m) {
    history.replaceState(null, '', `${location.pathname}#/`);
    try {
      await api('POST', '/web/session', { token: decodeURIComponent(m[1]!) });
    } catch (error) {
      showSignIn(`The link's token was not accepted (${describeError(error)}). Ask \`edgemu web\` for a fresh link, or sign in below.`);
      return;
    }
  }
  const session = (await api<{ signedIn: boolean; policy?: string; expiresAt?: string; reason?: string }>('GET', '/web/session')).body;
  if (!session.signedIn) {
    showSignIn(m ? undefined : session.reason);
    return;
  }
  signedIn = true;
  replace(
    sessionLabel,
    `${session.policy} until ${session.expiresAt?.replace('T', ' ').slice(0, 16)} UTC `,
    h('button', { type: 'button', onclick: () => void api('DELETE', '/web/session').then(() => showSignIn('Signed out.')) }, 'sign out'),
  );
  await route();
}

setUnauthorizedHandler((message) => {
  if (signedIn) showSignIn(`The session ended: ${message}`);
});
window.addEventListener('hashchange', () => {
  if (signedIn) void route();
  else if (location.hash.startsWith('#token=')) void start();
});
void start().catch((error: unknown) => replace(main, h('p', { class: 'error' }, describeError(error))));
