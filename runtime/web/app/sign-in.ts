import { api, describeError } from './api.js';
import { h, replace } from './dom.js';

/** The sign-in: a service connection string is traded for a session cookie (the key itself is not kept by the page). */
export function renderSignIn(main: HTMLElement, message: string | undefined, signedIn: () => void): void {
  const input = h('textarea', { id: 'connection-string', rows: 3, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'sign-in-help', placeholder: 'HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=…' });
  const status = h('p', { class: 'error', role: 'alert', 'data-testid': 'sign-in-error' }, message ?? '');
  const form = h(
    'form',
    {
      'data-testid': 'sign-in',
      onsubmit: (event) => {
        event.preventDefault();
        replace(status, 'signing in…');
        api('POST', '/web/session', { connectionString: input.value })
          .then(() => {
            input.value = '';
            signedIn();
          })
          .catch((error: unknown) => replace(status, describeError(error)));
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', { id: 'sign-in-help' }, 'Open the link `edgemu web` prints, or paste the service connection string (`edgemu connection-string` without --device).'),
    h('label', { for: 'connection-string' }, 'Service connection string'),
    input,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Sign in')),
    status,
  );
  replace(main, h('section', {}, form));
  input.focus();
}
