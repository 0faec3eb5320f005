/**
 * The web view (docs/web.md): a bundled browser app served by the service API on its port, its
 * session (a service-policy SAS token in an HttpOnly cookie) and the device event stream.
 */
export { createWebView, type WebViewOptions } from './web-view.js';
export { buildWebAssets, type WebAsset, type WebAssets } from './web-bundle.js';
export { deviceStatus, type DeviceStreamSource } from './device-stream.js';
export { webViewUrl, readCookie, sessionCookie, tokenExpiry, SESSION_COOKIE, SIGN_IN_TTL_SECONDS } from './web-session.js';
