import { withApiVersion } from './api.js';
import { h, replace } from './dom.js';
import { LineChart } from './line-chart.js';
import { numericFields } from './numeric-fields.js';

interface TelemetryJson {
  seq: number;
  deviceId: string;
  moduleId?: string;
  outputName?: string;
  enqueuedTime: string;
  properties: Record<string, string>;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}
interface Kept {
  message: TelemetryJson;
  fields: Map<string, number>;
  time: number;
}

/** Messages kept in the page. */
const KEEP = 500;
/** Messages shown in the list. */
const SHOW = 100;
/** Above this many messages per second the list shows a sample (the chart still gets every point). */
const LIST_RATE = 50;

/**
 * Live telemetry of one device (`/messages/events/stream`, server-sent events): the last
 * messages with their properties, pause, a filter, and a chart of one numeric body field.
 * Rendering is batched (list every 250 ms, chart once per frame), so thousands of messages per
 * second keep the page responsive; the list then says it shows a sample.
 */
export function renderTelemetry(box: HTMLElement, deviceId: string): () => void {
  const kept: Kept[] = [];
  const fields = new Set<string>();
  const list = h('div', { class: 'messages', 'data-testid': 'messages', 'aria-live': 'off', tabindex: 0 });
  const rateLabel = h('span', { class: 'muted', 'data-testid': 'rate' });
  const pause = h('input', { type: 'checkbox', id: 'pause' });
  const filter = h('input', { id: 'filter', placeholder: 'filter: module, output or text', 'aria-label': 'filter messages' });
  const field = h('select', { id: 'field', 'aria-label': 'field to plot', 'data-testid': 'field' }, h('option', { value: '' }, '(pick a numeric field)'));
  const canvas = h('canvas', { 'data-testid': 'chart', 'data-points': '0', role: 'img', 'aria-label': 'chart of the picked field over time' });
  const chart = new LineChart(canvas);
  let received = 0;
  let windowStart = performance.now();
  let rate = 0;
  let sampleEvery = 1;
  let dirty = false;

  const matches = (k: Kept) => {
    const f = filter.value.trim().toLowerCase();
    if (f === '') return true;
    const m = k.message;
    return `${m.moduleId ?? ''} ${m.outputName ?? ''} ${m.body} ${JSON.stringify(m.properties)}`.toLowerCase().includes(f);
  };
  const replot = () => {
    chart.clear();
    const name = field.value;
    if (!name) return;
    for (const k of kept) if (matches(k) && k.fields.has(name)) chart.add(k.time, k.fields.get(name)!);
  };
  const renderList = () => {
    dirty = false;
    const shown = kept.filter(matches).slice(-SHOW).reverse();
    replace(
      list,
      shown.map((k) => {
        const m = k.message;
        const props = Object.entries(m.properties).map(([a, b]) => `${a}=${b}`).join(' ');
        return h('div', { 'data-testid': 'message' }, `${m.enqueuedTime} ${m.deviceId}${m.moduleId ? `/${m.moduleId}` : ''}${m.outputName ? ` output ${m.outputName}` : ''} ${m.body.length > 2000 ? `${m.body.slice(0, 2000)}…` : m.body}${props ? ` [${props}]` : ''}`);
      }),
    );
  };

  const events = new EventSource(withApiVersion(`/messages/events/stream?deviceId=${encodeURIComponent(deviceId)}`));
  events.addEventListener('message', (e) => {
    received++;
    if (pause.checked) return;
    const message = JSON.parse((e as MessageEvent<string>).data) as TelemetryJson;
    let parsed: unknown;
    if (message.bodyEncoding === 'utf8' && message.body.length < 65_536) {
      try {
        parsed = JSON.parse(message.body);
      } catch {
        parsed = undefined;
      }
    }
    const k: Kept = { message, fields: numericFields(parsed), time: Date.parse(message.enqueuedTime) || Date.now() };
    // At a high rate only every n-th message enters the list; every one reaches the chart.
    if (received % sampleEvery === 0) {
      kept.push(k);
      if (kept.length > KEEP) kept.splice(0, kept.length - KEEP);
      dirty = true;
    }
    let replotted = false;
    for (const name of k.fields.keys()) {
      if (!fields.has(name)) {
        fields.add(name);
        field.appendChild(h('option', { value: name }, name));
        if (field.value === '') {
          field.value = name;
          replot();
          replotted = kept.at(-1) === k;
        }
      }
    }
    if (!replotted && field.value && k.fields.has(field.value) && matches(k)) chart.add(k.time, k.fields.get(field.value)!);
  });
  const timer = window.setInterval(() => {
    const now = performance.now();
    if (now - windowStart >= 1000) {
      rate = (received * 1000) / (now - windowStart);
      received = 0;
      windowStart = now;
      sampleEvery = rate > LIST_RATE ? Math.ceil(rate / LIST_RATE) : 1;
      replace(rateLabel, `${rate.toFixed(0)} msg/s${sampleEvery > 1 ? ` — sampled view: the list keeps 1 of every ${sampleEvery} messages` : ''}${pause.checked ? ' — paused' : ''}`);
    }
    if (dirty) renderList();
  }, 250);
  filter.addEventListener('input', () => {
    renderList();
    replot();
  });
  field.addEventListener('change', replot);

  replace(
    box,
    h(
      'section',
      { 'aria-labelledby': 'telemetry-h' },
      h('h2', { id: 'telemetry-h' }, 'Telemetry'),
      h('div', { class: 'row' }, filter, pause, h('label', { for: 'pause' }, 'pause'), field, rateLabel),
      canvas,
      list,
    ),
  );
  return () => {
    events.close();
    window.clearInterval(timer);
  };
}
