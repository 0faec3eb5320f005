import { describe, expect, it } from 'vitest';
import { readCookie, sessionCookie, tokenExpiry, webViewUrl, SESSION_COOKIE } from '../../../runtime/web/index.js';
import { createSasToken } from '../../../runtime/hub/index.js';

describe('the web session cookie', () => {
  it.each([
    ['a; edgemu_session=abc%20d; b=2', 'abc d'],
    ['edgemu_session=x', 'x'],
    ['other=1', undefined],
    ['edgemu_session=%E0%A4%A', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %s as %s', (header, expected) => {
    expect(readCookie(header, SESSION_COOKIE)).toBe(expected);
  });

  it('is HttpOnly, Secure, SameSite=Strict and lives as long as the token', () => {
    const cookie = sessionCookie('SharedAccessSignature sr=localhost&sig=a%2Bb&se=10', 3600.7);
    expect(cookie).toBe('edgemu_session=SharedAccessSignature%20sr%3Dlocalhost%26sig%3Da%252Bb%26se%3D10; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Strict');
    expect(readCookie(cookie.split(';')[0], SESSION_COOKIE)).toBe('SharedAccessSignature sr=localhost&sig=a%2Bb&se=10');
    expect(sessionCookie('t', -5)).toContain('Max-Age=0');
  });

  it('reads the expiry of a SAS token', () => {
    expect(tokenExpiry(createSasToken('localhost', Buffer.alloc(32).toString('base64'), 1796221854, 'iothubowner'))).toBe(1796221854);
    expect(tokenExpiry('SharedAccessSignature sr=x&sig=y')).toBeUndefined();
  });

  it('puts the token in the fragment of the link, percent-encoded', () => {
    const url = webViewUrl('localhost', 8443, 'SharedAccessSignature sr=localhost&sig=a%2B&se=1&skn=iothubowner');
    expect(url).toBe('https://localhost:8443/#token=SharedAccessSignature%20sr%3Dlocalhost%26sig%3Da%252B%26se%3D1%26skn%3Diothubowner');
    expect(decodeURIComponent(new URL(url).hash.slice('#token='.length))).toBe('SharedAccessSignature sr=localhost&sig=a%2B&se=1&skn=iothubowner');
  });
});
