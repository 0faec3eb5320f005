import { api, describeError, pathOf } from './api.js';
import { h, replace } from './dom.js';

interface DeviceJson {
  deviceId: string;
  connectionState?: string;
  lastActivityTime?: string;
  capabilities?: { iotEdge?: boolean };
}
interface TwinJson {
  deviceId: string;
  tags?: Record<string, unknown>;
}

/** The devices list: edge/leaf, connection state, last activity, tags; create and delete. */
export function renderDevices(main: HTMLElement): () => void {
  const list = h('div', { 'data-testid': 'devices' }, h('p', { class: 'muted' }, 'loading…'));
  const status = h('p', { class: 'error', role: 'status' });
  const id = h('input', { id: 'new-device', required: true, maxlength: 128, autocomplete: 'off' });
  const edge = h('input', { id: 'new-edge', type: 'checkbox', checked: true });
  let stopped = false;

  const load = async () => {
    try {
      const [devices, twins] = await Promise.all([api<DeviceJson[]>('GET', '/devices'), api<TwinJson[]>('POST', '/devices/query', { query: 'SELECT * FROM devices' })]);
      if (stopped) return;
      const tags = new Map(twins.body.map((t) => [t.deviceId, t.tags ?? {}]));
      const rows = [...devices.body].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
      replace(
        list,
        rows.length === 0
          ? h('p', { class: 'muted' }, 'No devices yet.')
          : h(
              'div',
              { class: 'scroll' },
              h(
                'table',
                {},
                h('thead', {}, h('tr', {}, ['DEVICE', 'KIND', 'CONNECTION', 'LAST ACTIVITY', 'TAGS', ''].map((c) => h('th', { scope: 'col' }, c)))),
                h(
                  'tbody',
                  {},
                  rows.map((d) =>
                    h(
                      'tr',
                      { 'data-testid': 'device-row', 'data-device': d.deviceId },
                      h('td', {}, h('a', { href: `#/device/${encodeURIComponent(d.deviceId)}` }, d.deviceId)),
                      h('td', {}, d.capabilities?.iotEdge ? 'edge' : 'leaf'),
                      h('td', { class: `st-${d.connectionState ?? 'Disconnected'}` }, d.connectionState ?? '-'),
                      h('td', {}, d.lastActivityTime ?? '-'),
                      h('td', { class: 'wrap' }, Object.keys(tags.get(d.deviceId) ?? {}).length > 0 ? JSON.stringify(tags.get(d.deviceId)) : '-'),
                      h(
                        'td',
                        {},
                        h(
                          'button',
                          {
                            type: 'button',
                            'aria-label': `delete ${d.deviceId}`,
                            onclick: () => {
                              if (!confirm(`Delete device ${d.deviceId} and its modules?`)) return;
                              api('DELETE', pathOf('devices', d.deviceId), undefined, { 'if-match': '*' })
                                .then(load)
                                .catch((e: unknown) => replace(status, describeError(e)));
                            },
                          },
                          'delete',
                        ),
                      ),
                    ),
                  ),
                ),
              ),
            ),
      );
    } catch (error) {
      if (!stopped) replace(list, h('p', { class: 'error' }, describeError(error)));
    }
  };

  const create = h(
    'form',
    {
      onsubmit: (event) => {
        event.preventDefault();
        replace(status);
        const deviceId = id.value.trim();
        api('PUT', pathOf('devices', deviceId), { deviceId, capabilities: { iotEdge: edge.checked } })
          .then(() => {
            id.value = '';
            return load();
          })
          .catch((e: unknown) => replace(status, describeError(e)));
      },
    },
    h('h2', {}, 'New device'),
    h('div', { class: 'row' }, h('label', { for: 'new-device' }, 'id'), id, edge, h('label', { for: 'new-edge' }, 'IoT Edge device'), h('button', { type: 'submit' }, 'create')),
  );

  replace(main, h('h1', {}, 'Devices'), h('section', {}, h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => void load() }, 'refresh')), list), h('section', {}, create, status));
  void load();
  return () => {
    stopped = true;
  };
}
