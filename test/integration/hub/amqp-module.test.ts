import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, type ModuleClient } from 'azure-iot-device';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { amqpModuleClient } from '../../helpers/amqp.js';

let t: TestHub;
let module: ModuleClient;

beforeAll(async () => {
  t = await startTestHub({ amqpsPort: 0 });
  module = await amqpModuleClient(t, 'edge1', 'filter');
  await module.open();
});
afterAll(async () => {
  await module?.close();
  await t?.close();
});

describe('a module using the unmodified azure-iot-device-amqp transport', () => {
  it('sends an output message, stored with its module, output name and properties', async () => {
    const msg = new Message('{"t":30}');
    msg.properties.add('kind', 'reading');
    await module.sendOutputEvent('out1', msg);
    expect(t.hub.messages.read({ deviceId: 'edge1' }).at(-1)).toMatchObject({ moduleId: 'filter', outputName: 'out1', systemProperties: { on: 'out1' }, properties: { kind: 'reading' } });
  });

  it('receives an input message with its input name and completes it', async () => {
    const received = new Promise<{ input: string; message: Message }>((resolve) => module.on('inputMessage', (input: string, message: Message) => resolve({ input, message })));
    await waitFor(() => t.hub.connections().some((c) => c.clientId === 'edge1/filter' && c.listensForInputs), 10_000, 'the module listens for inputs');
    const delivered = t.hub.deliverToModuleInput({ deviceId: 'edge1', moduleId: 'filter' }, 'in1', { body: Buffer.from('routed'), systemProperties: { mid: 'r-1', cdid: 'leaf' }, properties: { p: '1' } });
    const { input, message } = await received;
    expect(input).toBe('in1');
    expect(message.data.toString()).toBe('routed');
    expect(message.messageId).toBe('r-1');
    expect(message.properties.getValue('p')).toBe('1');
    await module.complete(message);
    await delivered;
  });

  it('reads its module twin and reports properties', async () => {
    const twin = await module.getTwin();
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ ready: true }, (e?: Error) => (e ? reject(e) : resolve())));
    expect(t.hub.store.twins.get({ deviceId: 'edge1', moduleId: 'filter' })!.properties.reported).toMatchObject({ ready: true });
  });
});
