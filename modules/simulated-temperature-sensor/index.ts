/**
 * Simulated temperature sensor: sends a reading on output `temperatureOutput` every
 * `sendInterval` seconds. The interval comes from the module twin's desired property
 * `sendInterval` (falling back to env `SEND_INTERVAL`, then 5 s) and the applied value is
 * reported back as reported property `sendInterval`.
 */
import deviceSdk from 'azure-iot-device';
import type { ModuleClient, Twin } from 'azure-iot-device';
import { runModule, consoleLog } from '../shared/run-module.js';
import { parseSendInterval, sensorSettingsFromEnv } from './sensor-settings.js';
import { nextReading } from './sensor-reading.js';

const { Message } = deviceSdk;
const OUTPUT = 'temperatureOutput';

const { settings, warnings } = sensorSettingsFromEnv(process.env);
for (const warning of warnings) consoleLog.warn(warning);

let intervalSecs = settings.sendIntervalSecs;
let machineTemperature = settings.machineTemperatureMin - settings.temperatureStep;
let sent = 0;
let client: ModuleClient | undefined;
let timer: NodeJS.Timeout | undefined;
let stopped = false;

/** Applies a desired `sendInterval` and reports what is in effect (accepted or not). */
async function applyDesired(twin: Twin, desired: Record<string, unknown>): Promise<void> {
  if (!('sendInterval' in desired)) return;
  const parsed = parseSendInterval(desired.sendInterval);
  if (parsed.ok) {
    if (parsed.value !== intervalSecs) consoleLog.info(`sendInterval: ${intervalSecs} s -> ${parsed.value} s`);
    intervalSecs = parsed.value;
    reschedule();
  } else {
    consoleLog.warn(`desired ${parsed.reason}; keeping ${intervalSecs} s`);
  }
  await report(twin, { sendInterval: intervalSecs, sendIntervalError: parsed.ok ? null : parsed.reason });
}

function report(twin: Twin, patch: Record<string, unknown>): Promise<void> {
  return new Promise<void>((resolve) =>
    twin.properties.reported.update(patch, (error: unknown) => {
      if (error) consoleLog.warn(`reporting ${Object.keys(patch).join(', ')} failed: ${String(error)}`);
      resolve();
    }),
  );
}

async function sendOne(): Promise<void> {
  const current = client;
  if (!current) return;
  const next = nextReading(machineTemperature, settings, Math.random, new Date());
  machineTemperature = next.machineTemperature;
  const message = new Message(JSON.stringify(next.reading));
  // contentType/contentEncoding make `$body.…` route conditions work (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-routing-query-syntax, "Query based on message body").
  message.contentType = 'application/json';
  message.contentEncoding = 'utf-8';
  message.properties.add('sequenceNumber', String(sent + 1));
  try {
    await current.sendOutputEvent(OUTPUT, message);
    sent += 1;
    if (sent === 1 || sent % 10 === 0) consoleLog.info(`sent ${sent} messages (machine temperature ${next.reading.machine.temperature})`);
  } catch (error) {
    consoleLog.warn(`send failed, carrying on: ${String(error)}`);
  }
}

/** (Re)arms the send timer `delayMs` from now (default: one full interval, used when the interval changes). */
function reschedule(delayMs = intervalSecs * 1000): void {
  if (timer) clearTimeout(timer);
  if (stopped) return;
  timer = setTimeout(() => void tick(), delayMs);
}

async function tick(): Promise<void> {
  timer = undefined;
  const startedAt = Date.now();
  await sendOne();
  // Keep the rate at one message per interval: the time the send took counts towards the next wait.
  if (!timer) reschedule(Math.max(0, intervalSecs * 1000 - (Date.now() - startedAt)));
}

await runModule({
  name: 'simulated-temperature-sensor',
  async attach(newClient) {
    const twin = await newClient.getTwin();
    // Registering the listener fires it once with the whole desired document (SDK rule
    // SRS_NODE_DEVICE_TWIN_18_045); later it gets each desired patch.
    twin.on('properties.desired', (delta: Record<string, unknown>) => void applyDesired(twin, delta));
    if (twin.properties.desired.sendInterval === undefined) await report(twin, { sendInterval: intervalSecs, sendIntervalError: null });
    // After the SDK reconnects on its own, re-read the twin: desired patches sent while the
    // module was offline are not replayed (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub, "Receiving desired properties update notifications").
    newClient.on('connect', () => void twin.get().catch((error: unknown) => consoleLog.warn(`twin refresh failed: ${String(error)}`)));
    client = newClient;
    if (!timer) reschedule();
  },
  stop() {
    stopped = true;
    if (timer) clearTimeout(timer);
    client = undefined;
  },
});
