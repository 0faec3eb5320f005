/**
 * Filter: reads messages on input `input1` and forwards those whose `machine.temperature`
 * exceeds `TemperatureThreshold` (module twin desired property, default 25) to output `output1`,
 * tagged `MessageType=Alert`. Direct method `reset` zeroes the counters and answers with the
 * values it cleared. Applied threshold and counters are reported as reported properties.
 */
import deviceSdk from 'azure-iot-device';
import type { ModuleClient, Twin, Message as MessageType } from 'azure-iot-device';
import { runModule, consoleLog } from '../shared/run-module.js';
import { decide, parseThreshold, DEFAULT_TEMPERATURE_THRESHOLD } from './filter-rule.js';

const { Message } = deviceSdk;
const INPUT = 'input1';
const OUTPUT = 'output1';

let threshold = DEFAULT_TEMPERATURE_THRESHOLD;
const counters = { received: 0, forwarded: 0, dropped: 0, rejected: 0 };
let lastReset: string | null = null;

function report(twin: Twin, patch: Record<string, unknown>): void {
  twin.properties.reported.update(patch, (error: unknown) => {
    if (error) consoleLog.warn(`reporting ${Object.keys(patch).join(', ')} failed: ${String(error)}`);
  });
}

function applyDesired(twin: Twin, desired: Record<string, unknown>): void {
  const parsed = parseThreshold(desired);
  if (!parsed) return;
  if (parsed.ok) {
    if (parsed.value !== threshold) consoleLog.info(`TemperatureThreshold: ${threshold} -> ${parsed.value}`);
    threshold = parsed.value;
  } else {
    consoleLog.warn(`desired ${parsed.reason}; keeping ${threshold}`);
  }
  report(twin, { TemperatureThreshold: threshold, TemperatureThresholdError: parsed.ok ? null : parsed.reason });
}

async function onInput(client: ModuleClient, inputName: string, message: MessageType): Promise<void> {
  // MQTT has no settlement: complete() is a no-op, kept for AMQP portability (docs/iot-hub-protocol.md "QoS, retain and sessions").
  const complete = () => client.complete(message).catch(() => undefined);
  if (inputName !== INPUT) {
    consoleLog.warn(`ignoring a message on unknown input ${JSON.stringify(inputName)}`);
    await complete();
    return;
  }
  const decision = decide(message.getBytes(), threshold);
  if (decision.action === 'reject') {
    counters.rejected += 1;
    consoleLog.warn(`dropping a malformed message: ${decision.reason}`);
  } else if (decision.action === 'drop') {
    counters.dropped += 1;
  } else {
    const out = new Message(message.getBytes());
    out.contentType = 'application/json';
    out.contentEncoding = 'utf-8';
    // Keep the sender's application properties, then tag the alert (FilterModule tutorial).
    for (let i = 0; i < message.properties.count(); i += 1) {
      const p = message.properties.getItem(i);
      if (p) out.properties.add(p.key, p.value);
    }
    out.properties.add('MessageType', 'Alert');
    try {
      await client.sendOutputEvent(OUTPUT, out);
      counters.forwarded += 1;
      consoleLog.info(`forwarded machine temperature ${decision.temperature} > ${threshold}`);
    } catch (error) {
      consoleLog.warn(`forwarding failed: ${String(error)}`);
    }
  }
  // Counted with its outcome, so a reset while a forward is in flight never reports a message
  // as received but neither forwarded nor dropped.
  counters.received += 1;
  await complete();
}

await runModule({
  name: 'filter',
  async attach(client) {
    const twin = await client.getTwin();
    twin.on('properties.desired', (delta: Record<string, unknown>) => applyDesired(twin, delta));
    if (twin.properties.desired.TemperatureThreshold === undefined) report(twin, { TemperatureThreshold: threshold });
    client.on('connect', () => void twin.get().catch((error: unknown) => consoleLog.warn(`twin refresh failed: ${String(error)}`)));
    client.on('inputMessage', (inputName: string, message: MessageType) => void onInput(client, inputName, message));
    client.onMethod('reset', (_request, response) => {
      if (!response) return;
      const previous = { ...counters };
      counters.received = counters.forwarded = counters.dropped = counters.rejected = 0;
      lastReset = new Date().toISOString();
      consoleLog.info(`reset (cleared ${JSON.stringify(previous)})`);
      report(twin, { counters: { ...counters }, lastReset });
      response
        .send(200, { reset: true, previous, threshold, at: lastReset })
        .catch((error: unknown) => consoleLog.warn(`answering reset failed: ${String(error)}`));
    });
  },
});
