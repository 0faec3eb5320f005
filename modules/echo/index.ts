/**
 * Echo: the smallest useful module for checking wiring. Every message arriving on any input is
 * sent back out on output `output1` with the same body and properties plus `echoedFrom`
 * (the input name); direct method `echo` answers 200 with the request payload unchanged, and
 * `ping` answers 200 with `{ "pong": <ISO time> }`.
 */
import deviceSdk from 'azure-iot-device';
import type { Message as MessageType } from 'azure-iot-device';
import { runModule, consoleLog } from '../shared/run-module.js';

const { Message } = deviceSdk;
const OUTPUT = 'output1';
let echoed = 0;

await runModule({
  name: 'echo',
  async attach(client) {
    client.on('inputMessage', (inputName: string, message: MessageType) => {
      const out = new Message(message.getBytes());
      if (message.contentType) out.contentType = message.contentType;
      if (message.contentEncoding) out.contentEncoding = message.contentEncoding;
      for (let i = 0; i < message.properties.count(); i += 1) {
        const p = message.properties.getItem(i);
        if (p) out.properties.add(p.key, p.value);
      }
      out.properties.add('echoedFrom', inputName);
      client
        .sendOutputEvent(OUTPUT, out)
        .then(() => {
          echoed += 1;
          if (echoed === 1 || echoed % 10 === 0) consoleLog.info(`echoed ${echoed} messages`);
        })
        .catch((error: unknown) => consoleLog.warn(`echo failed: ${String(error)}`));
      void client.complete(message).catch(() => undefined);
    });
    client.onMethod('echo', (request, response) => {
      if (!response) return;
      consoleLog.info(`method echo (${request ? JSON.stringify(request.payload ?? null).length : 0} bytes)`);
      response.send(200, request?.payload ?? null).catch((error: unknown) => consoleLog.warn(`answering echo failed: ${String(error)}`));
    });
    client.onMethod('ping', (_request, response) => {
      response?.send(200, { pong: new Date().toISOString() }).catch((error: unknown) => consoleLog.warn(`answering ping failed: ${String(error)}`));
    });
  },
});
