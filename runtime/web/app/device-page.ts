import { api, describeError, pathOf, ApiError } from './api.js';
import { h, replace, textTable } from './dom.js';
import { renderModulePanel } from './module-panel.js';
import { renderTelemetry } from './telemetry-view.js';

interface StatusEvent {
  deviceId: string;
  exists: boolean;
  connectionState: string;
  agentConnectionState: string;
  table: { summary: string; rows: string[][] };
  lastDesiredStatus: { code?: number; description?: string } | null;
}
interface RoutingEvent {
  routes: Array<{ name: string; priority: number; ttlSecs: number | null }> | null;
  queues: Array<{ moduleId: string; waiting: number }>;
}

/** Largest manifest the page sends: the service API's request limit (docs/service-api.md "Limits"). */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The twin identity behind a row of the status table (`edgeAgent` is the `$edgeAgent` module). */
const moduleIdOf = (name: string) => (name === 'edgeAgent' || name === 'edgeHub' ? `$${name}` : name);

/**
 * The edge device page: the modules table of `edgemu status`, live from `/web/events`; the
 * selected module's panel; telemetry; routes with queue depths; the deploy box.
 */
export function renderDevice(main: HTMLElement, deviceId: string, moduleId: string | undefined): () => void {
  const summary = h('p', { 'data-testid': 'status-summary' }, 'waiting for the device stream…');
  const tableBox = h('div', { 'data-testid': 'modules' });
  const connection = h('span', { 'data-testid': 'connection' });
  const routesBox = h('div', { 'data-testid': 'routes' }, h('p', { class: 'muted' }, 'waiting…'));
  const cleanups: Array<() => void> = [];
  const twinListeners = new Set<(moduleId: string) => void>();
  let routeTexts: Record<string, string> = {};
  let lastRouting: RoutingEvent | undefined;

  const renderStatus = (s: StatusEvent) => {
    replace(connection, 'device ', h('span', { class: `st-${s.connectionState}` }, s.connectionState), ' · $edgeAgent ', h('span', { class: `st-${s.agentConnectionState}` }, s.agentConnectionState));
    replace(summary, s.exists ? s.table.summary : `device ${deviceId} does not exist`);
    if (s.table.rows.length === 0) {
      replace(tableBox);
      return;
    }
    const header = s.table.rows[0]!;
    const runtimeColumn = header.indexOf('RUNTIME');
    replace(
      tableBox,
      textTable(
        s.table.rows,
        (row) => ({ 'data-testid': 'module-row', 'data-module': row[0]!, 'data-runtime': row[runtimeColumn] ?? '' }),
        (value, column, row) =>
          column === 0
            ? h('a', { href: `#/device/${encodeURIComponent(deviceId)}/module/${encodeURIComponent(moduleIdOf(row[0]!))}` }, value)
            : column === runtimeColumn
              ? h('span', { class: `st-${value}` }, value)
              : value,
      ),
    );
  };

  const renderRoutes = () => {
    const r = lastRouting;
    if (!r) return;
    const names = new Set([...Object.keys(routeTexts), ...(r.routes ?? []).map((x) => x.name)]);
    const inForce = new Map((r.routes ?? []).map((x) => [x.name, x]));
    const rows = [['ROUTE', 'STATUS', 'PRIORITY', 'TTL', 'TEXT'], ...[...names].sort().map((n) => [n, inForce.has(n) ? 'in force' : 'not in force', String(inForce.get(n)?.priority ?? '-'), inForce.get(n)?.ttlSecs === null || !inForce.has(n) ? '-' : `${inForce.get(n)!.ttlSecs} s`, routeTexts[n] ?? '-'])];
    replace(
      routesBox,
      r.routes === null ? h('p', { class: 'muted' }, 'No valid $edgeHub configuration is in force.') : null,
      names.size > 0 ? textTable(rows) : h('p', { class: 'muted' }, 'No routes.'),
      h('h3', {}, 'Store-and-forward queues'),
      r.queues.length === 0 ? h('p', { class: 'muted' }, 'No modules.') : textTable([['MODULE', 'WAITING'], ...r.queues.map((q) => [q.moduleId, String(q.waiting)])], (row) => ({ 'data-testid': 'queue-row', 'data-module': row[0]! })),
    );
  };

  const loadRouteTexts = async () => {
    try {
      const twin = (await api<{ properties: { desired: { routes?: Record<string, unknown> } } }>('GET', pathOf('twins', deviceId, 'modules', '$edgeHub'))).body;
      const routes = twin.properties.desired.routes ?? {};
      routeTexts = Object.fromEntries(Object.entries(routes).map(([k, v]) => [k, typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { route?: unknown }).route === 'string' ? (v as { route: string }).route : JSON.stringify(v)]));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) routeTexts = {};
    }
    renderRoutes();
  };

  // The live stream (server-sent events; EventSource reconnects by itself after a network error).
  const events = new EventSource(`/web/events?deviceId=${encodeURIComponent(deviceId)}`);
  events.addEventListener('status', (e) => renderStatus(JSON.parse((e as MessageEvent<string>).data) as StatusEvent));
  events.addEventListener('routing', (e) => {
    lastRouting = JSON.parse((e as MessageEvent<string>).data) as RoutingEvent;
    renderRoutes();
  });
  events.addEventListener('twin', (e) => {
    const { moduleId: changed } = JSON.parse((e as MessageEvent<string>).data) as { moduleId: string };
    if (changed === '$edgeHub') void loadRouteTexts();
    for (const l of twinListeners) l(changed);
  });
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) {
      replace(summary, 'The device stream was refused; checking the session…');
      // A refused stream is most often an ended session: any API call shows the sign-in then.
      void api('GET', pathOf('devices', deviceId)).catch((error: unknown) => replace(summary, describeError(error)));
    }
  });
  cleanups.push(() => events.close());

  const panel = h('div', {});
  if (moduleId) cleanups.push(renderModulePanel(panel, deviceId, moduleId, (listener) => {
    twinListeners.add(listener);
    return () => twinListeners.delete(listener);
  }));
  const telemetry = h('div', {});
  cleanups.push(renderTelemetry(telemetry, deviceId));

  replace(
    main,
    h('h1', {}, deviceId),
    h('p', {}, connection),
    h('section', { 'aria-labelledby': 'modules-h' }, h('h2', { id: 'modules-h' }, 'Modules'), summary, tableBox),
    panel,
    telemetry,
    h('section', { 'aria-labelledby': 'routes-h' }, h('h2', { id: 'routes-h' }, 'Routes ($edgeHub)'), routesBox),
    deployBox(deviceId),
  );
  void loadRouteTexts();
  return () => {
    for (const c of cleanups) c();
    twinListeners.clear();
  };
}

/** Paste or upload a manifest; the hub validates it and shows every problem with its JSON path before anything is applied. */
function deployBox(deviceId: string): HTMLElement {
  const text = h('textarea', { id: 'manifest', 'aria-label': 'deployment manifest (JSON)', placeholder: '{"modulesContent": {…}}', spellcheck: 'false' });
  const file = h('input', { type: 'file', accept: '.json,application/json', 'aria-label': 'upload a manifest' });
  const out = h('div', { 'data-testid': 'deploy-result', role: 'status' });
  let uploaded: string | undefined;
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (!f) return;
    if (f.size > MAX_MANIFEST_BYTES) {
      uploaded = undefined;
      replace(out, h('p', { class: 'error' }, `${f.name} is ${f.size} bytes; the service API accepts at most ${MAX_MANIFEST_BYTES}.`));
      return;
    }
    void f.text().then((t) => {
      uploaded = t;
      text.value = t.length > 200_000 ? '' : t;
      replace(out, `${f.name}: ${t.length} characters loaded.`);
    });
  });
  text.addEventListener('input', () => (uploaded = undefined));
  const deploy = () => {
    const source = uploaded ?? text.value;
    if (new TextEncoder().encode(source).length > MAX_MANIFEST_BYTES) {
      replace(out, h('p', { class: 'error' }, `The manifest is larger than ${MAX_MANIFEST_BYTES} bytes, the service API's limit.`));
      return;
    }
    let content: unknown;
    try {
      content = JSON.parse(source);
    } catch (error) {
      replace(out, h('p', { class: 'error' }, `Not JSON: ${(error as Error).message}`));
      return;
    }
    const body = typeof content === 'object' && content !== null && 'content' in content ? (content as { content: unknown }).content : content;
    replace(out, 'deploying…');
    api('POST', pathOf('devices', deviceId, 'applyConfigurationContent'), body)
      .then(() => replace(out, h('p', { class: 'ok' }, 'Applied: the agent picks it up now.')))
      .catch((error: unknown) => {
        const details = error instanceof ApiError ? (error.body as { errors?: Array<{ path: string; message: string }>; deploymentStatus?: number } | undefined) : undefined;
        if (details?.errors) {
          replace(
            out,
            h('p', { class: 'error' }, `Refused (status ${details.deploymentStatus ?? '-'}): nothing was applied.`),
            textTable([['JSON PATH', 'PROBLEM'], ...details.errors.map((e) => [e.path || '/', e.message])], () => ({ 'data-testid': 'deploy-error' })),
          );
        } else replace(out, h('p', { class: 'error' }, describeError(error)));
      });
  };
  return h(
    'section',
    { 'aria-labelledby': 'deploy-h' },
    h('h2', { id: 'deploy-h' }, 'Deploy'),
    text,
    h('div', { class: 'row' }, file, h('button', { type: 'button', onclick: deploy }, 'validate and deploy')),
    out,
  );
}


