import { describe, expect, it } from 'vitest';
import { validateLayer, validateManifest } from '../../../runtime/manifest/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table rows edit nested JSON freely
type Json = Record<string, any>;

/** A layer as IoT Edge's docs write one (learn.microsoft.com/azure/iot-edge/module-deployment-monitoring#layered-deployment). */
function layer(change: (content: Json) => void = () => undefined): Json {
  const content: Json = {
    $edgeAgent: {
      'properties.desired.modules.sensor': {
        type: 'docker',
        status: 'running',
        restartPolicy: 'always',
        version: '1.0',
        settings: { image: 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5', createOptions: '{}' },
      },
    },
    $edgeHub: { 'properties.desired.routes.upstream': 'FROM /messages/modules/sensor/* INTO $upstream' },
    sensor: { 'properties.desired': { SendData: true } },
  };
  change(content);
  return { content: { modulesContent: content } };
}

const AGENT = '/content/modulesContent/$edgeAgent';
const HUB = '/content/modulesContent/$edgeHub';

describe('validateLayer', () => {
  it('accepts layered content and lists what it adds', () => {
    const r = validateLayer(layer());
    expect(r.errors).toEqual([]);
    expect(r.value).toEqual({ modules: ['sensor'], routes: ['upstream'], moduleTwins: ['sensor'] });
    expect(r.warnings).toEqual([]);
  });

  it('accepts object routes and module twin paths (properties.desired.a.b)', () => {
    const r = validateLayer(layer((c) => ((c.$edgeHub['properties.desired.routes.r2'] = { route: 'FROM /messages/* INTO $upstream', priority: 1 }), (c.sensor = { 'properties.desired.limits.max': 5 }))));
    expect(r.errors).toEqual([]);
    expect(r.status).toBe(200);
  });

  // One rule per row: the change, where the error must point, a word of its message.
  it.each<[string, (c: Json) => void, string, string]>([
    ['a layer module with a bad status', (c) => (c.$edgeAgent['properties.desired.modules.sensor'].status = 'on'), `${AGENT}/properties.desired.modules.sensor/status`, '"running"'],
    ['a layer module without image', (c) => delete c.$edgeAgent['properties.desired.modules.sensor'].settings.image, `${AGENT}/properties.desired.modules.sensor/settings/image`, 'missing'],
    ['a layer module with createOptions that are not JSON', (c) => (c.$edgeAgent['properties.desired.modules.sensor'].settings.createOptions = '{'), `${AGENT}/properties.desired.modules.sensor/settings/createOptions`, 'not valid JSON'],
    ['a layer setting the runtime', (c) => (c.$edgeAgent['properties.desired.runtime'] = { type: 'docker' }), `${AGENT}/properties.desired.runtime`, 'base deployment'],
    ['a layer setting system modules', (c) => (c.$edgeAgent['properties.desired.modules.edgeHub'] = {}), `${AGENT}/properties.desired.modules.edgeHub`, 'base deployment'],
    ['a layer setting the whole $edgeAgent', (c) => (c.$edgeAgent['properties.desired'] = {}), `${AGENT}/properties.desired`, 'only add modules'],
    ['a layer route that does not parse', (c) => (c.$edgeHub['properties.desired.routes.upstream'] = 'FROM INTO'), `${HUB}/properties.desired.routes.upstream`, 'not valid'],
    ['a layer changing store-and-forward', (c) => (c.$edgeHub['properties.desired.storeAndForwardConfiguration'] = {}), `${HUB}/properties.desired.storeAndForwardConfiguration`, 'only add routes'],
    ['a module twin key with "$"', (c) => (c.sensor = { 'properties.desired': { $bad: 1 } }), '/content/modulesContent/sensor/properties.desired/$bad', '$'],
    ['an unknown key in a twin entry', (c) => (c.sensor = { desired: {} }), '/content/modulesContent/sensor/desired', 'unknown property'],
  ])('refuses %s', (_rule, change, path, words) => {
    const r = validateLayer(layer(change));
    expect(r.status).toBe(400);
    const issue = r.errors.find((e) => e.path === path);
    expect(issue, JSON.stringify(r.errors)).toBeDefined();
    expect(issue!.message).toContain(words);
  });

  it('is refused by validateManifest with a message saying it is a layer (deploy needs a whole deployment)', () => {
    const r = validateManifest(layer());
    expect(r.status).toBe(400);
    expect(r.errors[0]!.message).toContain('layered-deployment content');
  });
});
