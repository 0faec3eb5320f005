import { describe, expect, it } from 'vitest';
import { realNodeSubjectAltNames } from '../../../runtime/server/start-server.js';
import { AZURE_STACK_EDGE_LAYOUT, DEFAULT_LAYOUT } from '../../../runtime/translate/index.js';

describe('the hub certificate names on a real node', () => {
  it.each([
    [
      'default layout: the edgehub Service of every device namespace',
      DEFAULT_LAYOUT,
      ['edge-2', 'edge-1', 'edge-1'],
      [
        'edgehub',
        '10.88.0.1',
        'edgehub.edgemu-edge-1',
        'edgehub.edgemu-edge-1.svc',
        'edgehub.edgemu-edge-1.svc.cluster.local',
        'edgehub.edgemu-edge-2',
        'edgehub.edgemu-edge-2.svc',
        'edgehub.edgemu-edge-2.svc.cluster.local',
      ],
    ],
    [
      'azure-stack-edge layout: edgehub in namespace iotedge, once',
      AZURE_STACK_EDGE_LAYOUT,
      ['edge-2', 'edge-1'],
      ['edgehub', '10.88.0.1', 'edgehub.iotedge', 'edgehub.iotedge.svc', 'edgehub.iotedge.svc.cluster.local'],
    ],
    ['azure-stack-edge layout without devices yet: the short name', AZURE_STACK_EDGE_LAYOUT, [], ['edgehub', '10.88.0.1']],
  ])('%s', (_name, layout, devices, want) => {
    expect(realNodeSubjectAltNames('10.88.0.1', 'cluster.local', devices, layout)).toEqual(want);
  });

  it('defaults to the default layout', () => {
    expect(realNodeSubjectAltNames('10.88.0.1', 'cluster.local', ['edge-1'])).toEqual(realNodeSubjectAltNames('10.88.0.1', 'cluster.local', ['edge-1'], DEFAULT_LAYOUT));
  });
});
