import type { V1Probe } from '@kubernetes/client-node';
import { isEmpty, isObj, type Warn } from './create-options-values.js';

/**
 * Docker `Healthcheck` → a liveness probe, so `restartPolicy: on-unhealthy` has teeth (IoT
 * Edge never probed: learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub). Durations are nanoseconds; Docker's defaults apply when absent
 * (interval 30 s, timeout 30 s, retries 3, start period 0).
 */
export function mapHealthcheck(hcheck: unknown, warn: Warn): V1Probe | undefined {
  if (isEmpty(hcheck)) return undefined;
  const path = 'createOptions.Healthcheck';
  if (!isObj(hcheck)) {
    warn(`${path} is not an object and was ignored`);
    return undefined;
  }
  const { Test: test, Interval, Timeout, StartPeriod, Retries, ...rest } = hcheck;
  for (const [k, v] of Object.entries(rest)) if (!isEmpty(v)) warn(`${path}.${k} is not supported on Kubernetes and was ignored`);
  let command: string[] | undefined;
  if (typeof test === 'string' && test !== '') command = ['/bin/sh', '-c', test];
  else if (Array.isArray(test) && test.every((t) => typeof t === 'string') && test.length > 0) {
    const [kind, ...rest2] = test as string[];
    if (kind === 'NONE') return undefined; // disables the image's healthcheck
    if (kind === 'CMD' && rest2.length > 0) command = rest2;
    else if (kind === 'CMD-SHELL' && rest2.length === 1) command = ['/bin/sh', '-c', rest2[0]!];
  }
  if (command === undefined) {
    warn(`${path}.Test must be ["CMD", …], ["CMD-SHELL", "…"] or ["NONE"]; no liveness probe was made`);
    return undefined;
  }
  const seconds = (v: unknown, name: string, fallback: number): number => {
    if (v === undefined || v === null || v === 0) return fallback;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.max(1, Math.ceil(v / 1e9));
    warn(`${path}.${name} is not a positive duration in nanoseconds; Docker's default is used`);
    return fallback;
  };
  const retries = Retries === undefined || Retries === null || Retries === 0 ? 3 : typeof Retries === 'number' && Number.isInteger(Retries) && Retries > 0 ? Retries : (warn(`${path}.Retries is not a positive integer; Docker's default 3 is used`), 3);
  const probe: V1Probe = {
    exec: { command },
    periodSeconds: seconds(Interval, 'Interval', 30),
    timeoutSeconds: seconds(Timeout, 'Timeout', 30),
    failureThreshold: retries,
  };
  const start = StartPeriod === undefined || StartPeriod === null || StartPeriod === 0 ? 0 : seconds(StartPeriod, 'StartPeriod', 0);
  if (start > 0) probe.initialDelaySeconds = start;
  return probe;
}
