import { api, describeError, pathOf } from './api.js';
import { h, jsonText, replace } from './dom.js';
import { mergePatchBetween } from './merge-patch.js';

interface TwinJson {
  etag?: string;
  properties: { desired: Record<string, unknown>; reported: Record<string, unknown> };
}

const withoutMeta = (section: Record<string, unknown>): Record<string, unknown> => {
  const { $metadata: _m, $version: _v, ...rest } = section;
  return rest;
};

/**
 * One module: its twin (desired editable with the ETag as precondition, reported read-only),
 * a direct method, restart (`$edgeAgent` RestartModule) and logs (`$edgeAgent` GetModuleLogs).
 */
export function renderModulePanel(box: HTMLElement, deviceId: string, moduleId: string, onTwinChanged: (listener: (moduleId: string) => void) => () => void): () => void {
  const twinPath = pathOf('twins', deviceId, 'modules', moduleId);
  const desired = h('textarea', { id: 'desired', 'aria-label': 'desired properties (JSON)', spellcheck: 'false', 'data-testid': 'desired' });
  const reported = h('pre', { 'data-testid': 'reported', tabindex: 0 });
  const etagLabel = h('span', { class: 'muted', 'data-testid': 'etag' });
  const twinStatus = h('p', { role: 'status', 'data-testid': 'twin-status' });
  let etag: string | undefined;
  let loadedDesired: Record<string, unknown> = {};
  let dirty = false;
  desired.addEventListener('input', () => (dirty = true));

  const loadTwin = async () => {
    try {
      const answer = await api<TwinJson>('GET', twinPath);
      etag = answer.body.etag ?? answer.etag ?? undefined;
      replace(etagLabel, `ETag ${etag ?? '-'} · desired $version ${String(answer.body.properties.desired.$version ?? '-')}`);
      replace(reported, jsonText(withoutMeta(answer.body.properties.reported)));
      const next = withoutMeta(answer.body.properties.desired);
      if (dirty && JSON.stringify(next) !== JSON.stringify(loadedDesired)) replace(twinStatus, 'The desired properties changed on the hub while you edit: saving will fail on the old ETag; reload to see them.');
      loadedDesired = next;
      if (!dirty) desired.value = jsonText(next);
    } catch (error) {
      replace(twinStatus, h('span', { class: 'error' }, describeError(error)));
    }
  };

  const save = () => {
    let edited: unknown;
    try {
      edited = JSON.parse(desired.value);
    } catch (error) {
      replace(twinStatus, h('span', { class: 'error' }, `Not JSON: ${(error as Error).message}`));
      return;
    }
    if (typeof edited !== 'object' || edited === null || Array.isArray(edited)) {
      replace(twinStatus, h('span', { class: 'error' }, 'The desired properties must be a JSON object.'));
      return;
    }
    const patch = mergePatchBetween(loadedDesired, edited as Record<string, unknown>);
    if (Object.keys(patch).length === 0) {
      replace(twinStatus, 'Nothing changed.');
      return;
    }
    api('PATCH', twinPath, { properties: { desired: patch } }, etag ? { 'if-match': etag } : {})
      .then(() => {
        dirty = false;
        replace(twinStatus, h('span', { class: 'ok' }, `Saved (patch ${JSON.stringify(patch).slice(0, 200)}).`));
        return loadTwin();
      })
      .catch((error: unknown) => replace(twinStatus, h('span', { class: 'error' }, describeError(error))));
  };

  // Direct method.
  const methodName = h('input', { id: 'method-name', 'aria-label': 'method name', placeholder: 'method name', 'data-testid': 'method-name' });
  const methodPayload = h('textarea', { id: 'method-payload', 'aria-label': 'method payload (JSON)', spellcheck: 'false', 'data-testid': 'method-payload' });
  methodPayload.value = '{}';
  const methodTimeout = h('input', { type: 'number', min: 5, max: 300, value: 30, 'aria-label': 'timeout in seconds' });
  const methodOut = h('pre', { 'data-testid': 'method-result', tabindex: 0 });
  const invoke = (target: string, name: string, payload: unknown) =>
    api<{ status: number; payload: unknown }>('POST', pathOf('twins', deviceId, 'modules', target, 'methods'), { methodName: name, payload, responseTimeoutInSeconds: Number(methodTimeout.value) || 30, connectTimeoutInSeconds: 0 });
  const invokeFromForm = () => {
    let payload: unknown;
    try {
      payload = methodPayload.value.trim() === '' ? null : JSON.parse(methodPayload.value);
    } catch (error) {
      replace(methodOut, `Not JSON: ${(error as Error).message}`);
      return;
    }
    replace(methodOut, 'invoking…');
    invoke(moduleId, methodName.value.trim(), payload)
      .then((a) => replace(methodOut, `status ${a.body.status}\n${jsonText(a.body.payload)}`))
      .catch((error: unknown) => replace(methodOut, describeError(error)));
  };

  // Restart and logs through $edgeAgent (docs/agent.md "Direct methods").
  const agentOut = h('p', { role: 'status', 'data-testid': 'restart-result' });
  const restart = () => {
    replace(agentOut, 'restarting…');
    invoke('$edgeAgent', 'RestartModule', { schemaVersion: '1.0', id: moduleId })
      .then((a) => replace(agentOut, a.body.status === 200 ? 'RestartModule answered 200.' : `RestartModule answered ${a.body.status}: ${jsonText(a.body.payload)}`))
      .catch((error: unknown) => replace(agentOut, describeError(error)));
  };
  const tail = h('input', { type: 'number', min: 1, max: 5000, value: 100, 'aria-label': 'log lines' });
  const follow = h('input', { type: 'checkbox', id: 'follow' });
  const logs = h('pre', { 'data-testid': 'logs', tabindex: 0 });
  let followTimer: number | undefined;
  const fetchLogs = async () => {
    try {
      const a = await invoke('$edgeAgent', 'GetModuleLogs', { schemaVersion: '1.0', items: [{ id: moduleId, filter: { tail: Number(tail.value) || 100 } }], encoding: 'none', contentType: 'text' });
      const items = Array.isArray(a.body.payload) ? (a.body.payload as Array<{ id?: string; payload?: unknown }>) : [];
      replace(logs, a.body.status === 200 ? items.map((i) => (typeof i.payload === 'string' ? i.payload : jsonText(i.payload))).join('') || '(no log lines)' : `GetModuleLogs answered ${a.body.status}: ${jsonText(a.body.payload)}`);
    } catch (error) {
      replace(logs, describeError(error));
    }
  };
  // "Follow" asks again every 2 s (GetModuleLogs answers once; docs/web.md).
  follow.addEventListener('change', () => {
    if (followTimer !== undefined) window.clearInterval(followTimer);
    followTimer = follow.checked ? window.setInterval(() => void fetchLogs(), 2000) : undefined;
    if (follow.checked) void fetchLogs();
  });

  const isSystem = moduleId.startsWith('$');
  replace(
    box,
    h(
      'section',
      { 'aria-labelledby': 'module-h', 'data-testid': 'module-panel' },
      h('h2', { id: 'module-h' }, `Module ${moduleId}`),
      h(
        'div',
        { class: 'grid2' },
        h('div', {}, h('h3', {}, 'Desired'), desired, h('div', { class: 'row' }, h('button', { type: 'button', onclick: save, 'data-testid': 'save-desired' }, 'save desired'), h('button', { type: 'button', onclick: () => ((dirty = false), void loadTwin()) }, 'reload'), etagLabel), twinStatus),
        h('div', {}, h('h3', {}, 'Reported (read-only)'), reported),
      ),
      h('h3', {}, 'Direct method'),
      h('div', { class: 'row' }, methodName, h('label', {}, 'timeout (s) ', methodTimeout), h('button', { type: 'button', onclick: invokeFromForm, 'data-testid': 'invoke' }, 'invoke')),
      methodPayload,
      methodOut,
      isSystem ? null : h('div', { class: 'row' }, h('button', { type: 'button', onclick: restart, 'data-testid': 'restart' }, 'restart module'), agentOut),
      isSystem ? null : h('h3', {}, 'Logs'),
      isSystem ? null : h('div', { class: 'row' }, h('label', {}, 'tail ', tail), h('button', { type: 'button', onclick: () => void fetchLogs() }, 'fetch logs'), follow, h('label', { for: 'follow' }, 'follow')),
      isSystem ? null : logs,
    ),
  );
  void loadTwin();
  const off = onTwinChanged((changed) => {
    if (changed === moduleId) void loadTwin();
  });
  return () => {
    off();
    if (followTimer !== undefined) window.clearInterval(followTimer);
  };
}
