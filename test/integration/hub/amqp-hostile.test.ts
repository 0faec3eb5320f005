import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tls from 'node:tls';
import rhea, { type Connection, type EventContext } from 'rhea';
import { Message, type Client } from 'azure-iot-device';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { amqpDeviceClient } from '../../helpers/amqp.js';
import { createSasToken } from '../../../runtime/hub/sas.js';
import { createLogger } from '../../../runtime/log/create-logger.js';
import { FRAMES_PER_TURN } from '../../../runtime/hub/amqp/frames-per-turn.js';
import { MAX_REFUSED_LINKS_PER_CONNECTION } from '../../../runtime/hub/amqp/amqp-connection.js';

let t: TestHub;
let device: Client;

beforeAll(async () => {
  // A short authentication deadline, so a stalled peer is closed within the test (default 30 s).
  t = await startTestHub({ amqpsPort: 0, limits: { authTimeoutMs: 3000 } });
  device = await amqpDeviceClient(t, 'dev1');
  await device.open();
});
afterAll(async () => {
  await device?.close();
  await t?.close();
});

/** Sends `bytes` over TLS and resolves once the hub closes the socket. */
function closedAfter(bytes: Buffer, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: t.hub.amqpsPort!, ca: t.hub.caCert, servername: 'localhost' }, () => socket.write(bytes));
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    setTimeout(() => reject(new Error('the hub did not close the socket')), timeoutMs).unref();
  });
}

const stillServes = async () => {
  await device.sendEvent(new Message('after the attack'));
  expect(t.hub.messages.read({ deviceId: 'dev1' }).at(-1)!.body.toString()).toBe('after the attack');
};

/** A raw rhea connection that put a token for `deviceId` on $cbs; resolves with the status code. */
async function rawConnection(deviceId: string): Promise<{ connection: Connection; status: number }> {
  const container = rhea.create_container();
  const connection = container.connect({ host: '127.0.0.1', port: t.hub.amqpsPort!, transport: 'tls', ca: t.hub.caCert, servername: 'localhost', reconnect: false } as never);
  const key = t.hub.store.identities.get({ deviceId })!.primaryKey;
  const token = createSasToken(`localhost/devices/${deviceId}`, key, Math.floor(Date.now() / 1000) + 3600);
  const status = await new Promise<number>((resolve) => {
    connection.open_receiver('$cbs').on('message', (c: EventContext) => resolve(c.message!.application_properties!['status-code'] as number));
    const sender = connection.open_sender('$cbs');
    let sent = false;
    sender.on('sendable', () => {
      if (!sent) {
        sent = true;
        sender.send({ message_id: 'put-1', reply_to: 'cbs', application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: `localhost/devices/${deviceId}` }, body: token });
      }
    });
  });
  return { connection, status };
}

describe('the AMQP listener against hostile or careless peers', () => {
  it('closes a peer that sends garbage, and keeps serving the others', async () => {
    await closedAfter(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await stillServes();
  });

  it('closes a peer that announces a frame larger than the max-frame-size', async () => {
    const header = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
    const hugeFrame = Buffer.alloc(8);
    hugeFrame.writeUInt32BE(50 * 1024 * 1024, 0);
    await closedAfter(Buffer.concat([header, hugeFrame]));
    await stillServes();
  });

  it('closes a peer whose frame after a valid AMQP header is garbage', async () => {
    const header = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
    const frame = Buffer.alloc(16, 0xff);
    frame.writeUInt32BE(16, 0); // size
    frame.writeUInt8(2, 4); // data offset (doff): 2 × 4 bytes
    frame.writeUInt8(0, 5); // AMQP frame
    frame.writeUInt16BE(0, 6); // channel 0; the body that follows is not a performative
    await closedAfter(Buffer.concat([header, frame]));
    await stillServes();
  });

  it('closes a peer that stops after half a frame once the authentication deadline passes', async () => {
    const header = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
    const half = Buffer.alloc(6);
    half.writeUInt32BE(512, 0);
    await closedAfter(Buffer.concat([header, half]), 10_000);
    await stillServes();
  }, 15_000);

  it("refuses a link to another device's address with amqp:unauthorized-access", async () => {
    t.createDevice('dev2');
    const { connection, status } = await rawConnection('dev2');
    expect(status).toBe(200);
    const refused = await new Promise<string | undefined>((resolve) => {
      const sender = connection.open_sender('/devices/dev1/messages/events');
      // The hub answers the attach and detaches at once with the error (AMQP 1.0 §2.6.3).
      sender.on('sender_error', (c: EventContext) => resolve((c.sender!.error as { condition?: string } | undefined)?.condition));
      sender.on('sender_close', () => resolve('closed without an error'));
    });
    expect(refused).toBe('amqp:unauthorized-access');
    connection.close();
    await stillServes();
  });

  it('rejects a message over 256 KB and keeps the connection', async () => {
    const { connection } = await rawConnection('dev2');
    const outcome = await new Promise<string>((resolve) => {
      const sender = connection.open_sender('/devices/dev2/messages/events');
      let sent = false;
      sender.on('sendable', () => {
        if (sent) return;
        sent = true;
        sender.send({ body: rhea.message.data_section(Buffer.alloc(300 * 1024, 1)) });
      });
      sender.on('rejected', (c: EventContext) => resolve(String((c.delivery!.remote_state as { error?: { condition?: string } }).error?.condition)));
      sender.on('accepted', () => resolve('accepted'));
    });
    expect(outcome).toBe('amqp:link:message-size-exceeded');
    expect(t.hub.isConnected({ deviceId: 'dev2' })).toBe(true);
    connection.close();
  });

  it('closes a connection that attaches too many links', async () => {
    const { connection } = await rawConnection('dev2');
    const closed = new Promise<string | undefined>((resolve) => {
      connection.on('connection_error', (c: EventContext) => resolve((c.connection.error as { condition?: string } | undefined)?.condition));
      connection.on('disconnected', () => resolve('disconnected'));
    });
    for (let i = 0; i < 150; i++) connection.open_sender('/devices/dev2/messages/events');
    expect(await closed).toBe('amqp:resource-limit-exceeded');
    await stillServes();
  });
});

describe('the AMQP listener against a peer that packs hundreds of frames into its reads', () => {
  it('handles at most 32 of its frames per event-loop turn, refuses every link it attaches without a token, and keeps serving others', async () => {
    expect(MAX_REFUSED_LINKS_PER_CONNECTION).toBeGreaterThan(3 * FRAMES_PER_TURN);
    // The loop's turns, counted by a setImmediate chain; each refusal the hub logs is tagged with the turn it came in.
    let turn = 0;
    let counting = true;
    const tick = () => {
      turn++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const refusedInTurn = new Map<number, number>();
    let loggedAtInfo = 0;
    const logger = createLogger({
      level: 'debug', // refusals after the first ten are logged at debug
      pretty: false,
      destination: {
        write(line: string) {
          if (!line.includes('AMQP link refused')) return true;
          refusedInTurn.set(turn, (refusedInTurn.get(turn) ?? 0) + 1);
          if (line.includes('"level":30')) loggedAtInfo++;
          return true;
        },
      } as unknown as NodeJS.WritableStream,
    });
    const hub = await startTestHub({ amqpsPort: 0, logger });
    const peer = rhea.create_container().connect({ host: '127.0.0.1', port: hub.hub.amqpsPort!, transport: 'tls', ca: hub.hub.caCert, servername: 'localhost', reconnect: false } as never);
    try {
      await new Promise((resolve) => peer.once('connection_open', resolve));
      let closed = 0;
      peer.on('receiver_close', () => closed++);
      peer.on('receiver_error', () => {});
      const LINKS = MAX_REFUSED_LINKS_PER_CONNECTION; // 100: all refused, none more (then the connection is closed)
      for (let i = 0; i < LINKS; i++) peer.open_receiver({ source: { address: `/devices/nobody${i}/messages/devicebound` } });
      const deadline = Date.now() + 20_000;
      while (closed < LINKS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(closed).toBe(LINKS);
      const refused = [...refusedInTurn.values()];
      expect(refused.reduce((a, b) => a + b, 0)).toBe(LINKS);
      // The attaches came in a few reads; no turn handled more than the limit.
      expect(Math.max(...refused)).toBeLessThanOrEqual(FRAMES_PER_TURN);
      expect(refused.length).toBeGreaterThanOrEqual(Math.ceil(LINKS / FRAMES_PER_TURN));
      // A flood of refusals does not flood the log: the first ten at info, the rest at debug.
      expect(loggedAtInfo).toBe(10);
      await stillServes();
    } finally {
      counting = false;
      peer.close();
      await hub.close();
    }
  });
});

describe('the AMQP listener against a peer that keeps attaching links it may not have', () => {
  it('closes the connection with amqp:resource-limit-exceeded after 100 refused links, and keeps serving others', async () => {
    const peer = rhea.create_container().connect({ host: '127.0.0.1', port: t.hub.amqpsPort!, transport: 'tls', ca: t.hub.caCert, servername: 'localhost', reconnect: false } as never);
    await new Promise((resolve) => peer.once('connection_open', resolve));
    let refused = 0;
    peer.on('receiver_close', () => refused++);
    peer.on('receiver_error', () => {});
    const closed = new Promise<string | undefined>((resolve) => {
      peer.on('connection_error', (c: EventContext) => resolve((c.connection.error as { condition?: string } | undefined)?.condition));
      peer.on('disconnected', () => resolve('disconnected'));
    });
    for (let i = 0; i < 150; i++) peer.open_receiver({ source: { address: `/devices/nobody${i}/messages/devicebound` } });
    expect(await closed).toBe('amqp:resource-limit-exceeded');
    expect(refused).toBe(MAX_REFUSED_LINKS_PER_CONNECTION);
    await stillServes();
  });
});
