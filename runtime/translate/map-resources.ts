import type { V1ResourceRequirements } from '@kubernetes/client-node';
import { isObj, toInteger, type Obj, type Warn } from './create-options-values.js';
import { gpuLimit, NVIDIA_GPU } from './map-gpu.js';
import type { MappedCreateOptions } from './translate-types.js';

/**
 * A positive safe integer (bytes, nanoseconds, shares), else undefined with a warning; 0 means
 * unset in Docker. A decimal string (`"Memory": "10"`) is converted as edgeAgent's JSON reader does ({@link toInteger}).
 */
export function positiveInt(v: unknown, path: string, warn: Warn): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = toInteger(v);
  if (n === 0) return undefined;
  if (n !== undefined && n > 0) return n;
  warn(`${path} is not a positive integer (${JSON.stringify(v)}) and was ignored`);
  return undefined;
}

/**
 * Resources: Docker limits → container limits; reservations/shares → requests. CPU shares are
 * the inverse of the kubelet's `MilliCPUToShares` (shares = milli × 1024 / 1000).
 */
export function mapResources(hc: Obj, experimental: Obj | undefined, out: MappedCreateOptions, warn: Warn): void {
  const p = (k: string) => `createOptions.HostConfig.${k}`;
  const memory = positiveInt(hc.Memory, p('Memory'), warn);
  let memoryRequest = positiveInt(hc.MemoryReservation, p('MemoryReservation'), warn);
  const nanoCpus = positiveInt(hc.NanoCpus, p('NanoCpus'), warn);
  const cpuQuota = positiveInt(hc.CpuQuota, p('CpuQuota'), warn);
  const cpuPeriod = positiveInt(hc.CpuPeriod, p('CpuPeriod'), warn);
  const shares = positiveInt(hc.CpuShares, p('CpuShares'), warn);

  let cpuLimitMilli: number | undefined;
  if (nanoCpus !== undefined) cpuLimitMilli = Math.ceil(nanoCpus / 1e6);
  else if (cpuQuota !== undefined) cpuLimitMilli = Math.ceil((cpuQuota * 1000) / (cpuPeriod ?? 100_000));
  if (nanoCpus !== undefined && cpuQuota !== undefined) warn(`${p('CpuQuota')} is ignored because NanoCpus is set`);
  let cpuRequestMilli = shares === undefined ? undefined : Math.max(1, Math.round((shares * 1000) / 1024));
  if (cpuRequestMilli !== undefined && cpuLimitMilli !== undefined && cpuRequestMilli > cpuLimitMilli) {
    warn(`${p('CpuShares')} asks for more CPU (${cpuRequestMilli}m) than the limit (${cpuLimitMilli}m); the request is lowered to the limit`);
    cpuRequestMilli = cpuLimitMilli;
  }
  if (memoryRequest !== undefined && memory !== undefined && memoryRequest > memory) {
    warn(`${p('MemoryReservation')} is larger than Memory; the request is lowered to the limit`);
    memoryRequest = memory;
  }
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  if (cpuLimitMilli !== undefined) limits.cpu = `${cpuLimitMilli}m`;
  if (memory !== undefined) limits.memory = String(memory);
  const gpus = gpuLimit(hc, warn);
  if (gpus !== undefined) limits[NVIDIA_GPU] = String(gpus);
  if (cpuRequestMilli !== undefined) requests.cpu = `${cpuRequestMilli}m`;
  if (memoryRequest !== undefined) requests.memory = String(memoryRequest);

  let resources: Obj = {};
  if (Object.keys(limits).length > 0) resources.limits = limits;
  if (Object.keys(requests).length > 0) resources.requests = requests;
  if (experimental !== undefined) {
    // k8s-experimental.resources wins key by key over what Docker options gave.
    resources = { ...resources, ...experimental };
    for (const k of ['limits', 'requests'] as const) {
      const docker = k === 'limits' ? limits : requests;
      if (isObj(experimental[k])) resources[k] = { ...docker, ...experimental[k] };
    }
  }
  if (Object.keys(resources).length > 0) out.resources = resources as V1ResourceRequirements;
}
