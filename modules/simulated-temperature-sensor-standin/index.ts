/**
 * edgemu's stand-in for Microsoft's SimulatedTemperatureSensor
 * (`mcr.microsoft.com/azureiotedge-simulated-temperature-sensor`, which cannot be pulled here).
 * It behaves as Microsoft documents and ships the module: readings on output
 * `temperatureOutput` with properties `sequenceNumber` and `batchId`, `MessageCount` messages
 * (then it idles), `SendInterval`/`SendData` from the module twin (reported back), a direct
 * method `reset` and an input `control` (`{"command":"reset"}`) that restart the temperature
 * ramp. Not Microsoft's code: a TypeScript module on the Azure IoT device SDK (MQTT).
 */
import { randomUUID } from 'node:crypto';
import deviceSdk from 'azure-iot-device';
import type { ModuleClient, Twin, Message as MessageType } from 'azure-iot-device';
import { runModule, consoleLog } from '../shared/run-module.js';
import { desiredChanges, isResetCommand, standInSettingsFromEnv } from './standin-settings.js';
import { nextStandInReading } from './standin-reading.js';

const { Message } = deviceSdk;
const OUTPUT = 'temperatureOutput';
const BATCH_ID = randomUUID();

const { settings, warnings } = standInSettingsFromEnv(process.env);
for (const warning of warnings) consoleLog.warn(warning);
let { sendIntervalSecs, sendData } = settings;
let temperature = settings.machineTempMin;
let reset = false;
let count = 1;
let client: ModuleClient | undefined;
let timer: NodeJS.Timeout | undefined;
let stopped = false;
let started = false;

consoleLog.info(
  `SimulatedTemperatureSensor stand-in (edgemu): sending ${settings.messageCount < 0 ? 'unlimited' : settings.messageCount} messages every ${sendIntervalSecs} s; ` +
    'set MessageCount to change the number (-1 for unlimited)',
);

function report(twin: Twin): void {
  twin.properties.reported.update({ SendData: sendData, SendInterval: sendIntervalSecs }, (error: unknown) => {
    if (error) consoleLog.warn(`reporting SendData/SendInterval failed: ${String(error)}`);
  });
}

function applyDesired(twin: Twin, desired: Record<string, unknown>, reportBack: boolean): void {
  const change = desiredChanges(desired);
  for (const w of change.warnings) consoleLog.warn(w);
  if (change.sendIntervalSecs !== undefined) sendIntervalSecs = change.sendIntervalSecs;
  if (change.sendData !== undefined) {
    if (!change.sendData && sendData) consoleLog.info('Sending data disabled. Change twin configuration to start sending again.');
    sendData = change.sendData;
  }
  if (reportBack) report(twin);
}

async function tick(): Promise<void> {
  timer = undefined;
  if (stopped) return;
  if (settings.messageCount >= 0 && count > settings.messageCount) {
    consoleLog.info(`Done sending ${settings.messageCount} messages`);
    return;
  }
  if (reset) {
    temperature = settings.machineTempMin;
    reset = false;
  }
  const next = nextStandInReading(temperature, settings, Math.random, new Date());
  temperature = next.temperature;
  const current = client;
  if (sendData && current) {
    const message = new Message(JSON.stringify(next.reading));
    message.properties.add('sequenceNumber', String(count));
    message.properties.add('batchId', BATCH_ID);
    try {
      await current.sendOutputEvent(OUTPUT, message);
      if (count === 1 || count % 10 === 0) consoleLog.info(`sent message ${count} (machine temperature ${next.reading.machine.temperature.toFixed(2)})`);
      count += 1;
    } catch (error) {
      consoleLog.warn(`send failed, carrying on: ${String(error)}`);
    }
  }
  if (!stopped) timer = setTimeout(() => void tick(), sendIntervalSecs * 1000);
}

await runModule({
  name: 'SimulatedTemperatureSensor',
  async attach(newClient) {
    newClient.onMethod('reset', (_request, response) => {
      consoleLog.info('Received direct method call to reset temperature sensor...');
      reset = true;
      response?.send(200).catch((error: unknown) => consoleLog.warn(`answering reset failed: ${String(error)}`));
    });
    newClient.on('inputMessage', (inputName: string, message: MessageType) => {
      if (inputName === 'control' && isResetCommand(message.getBytes().toString('utf8'))) {
        consoleLog.info('Resetting temperature sensor..');
        reset = true;
      }
      void newClient.complete(message).catch(() => undefined);
    });
    const twin = await newClient.getTwin();
    // The first call carries the whole desired document (applied without a report, as Microsoft
    // reads it at start); later calls are patches, reported back.
    let first = true;
    twin.on('properties.desired', (delta: Record<string, unknown>) => {
      applyDesired(twin, delta, !first);
      first = false;
    });
    newClient.on('connect', () => void twin.get().catch((error: unknown) => consoleLog.warn(`twin refresh failed: ${String(error)}`)));
    client = newClient;
    if (!started) {
      started = true;
      void tick();
    }
  },
  stop() {
    stopped = true;
    if (timer) clearTimeout(timer);
    client = undefined;
  },
});
