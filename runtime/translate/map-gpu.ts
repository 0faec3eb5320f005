import { isEmpty, isObj, toInteger, type Obj, type Warn } from './create-options-values.js';

/** The extended resource the NVIDIA device plugin advertises (Kubernetes docs "Schedule GPUs"). */
export const NVIDIA_GPU = 'nvidia.com/gpu';

/**
 * GPU access: Docker's `HostConfig.Runtime: "nvidia"` (the NVIDIA container runtime) and
 * `HostConfig.DeviceRequests` (Docker Engine API `DeviceRequest`: `Driver`, `Count` — `-1` = all —,
 * `DeviceIDs`, `Capabilities`) → a `nvidia.com/gpu` limit (Kubernetes docs "Schedule GPUs": GPUs
 * are requested as limits of the device plugin's extended resource). Returns the GPU count, or
 * undefined; warns that the pod stays Pending on a node without the NVIDIA device plugin.
 */
export function gpuLimit(hc: Obj, warn: Warn): number | undefined {
  const p = (k: string) => `createOptions.HostConfig.${k}`;
  let count: number | undefined;
  if (Array.isArray(hc.DeviceRequests)) {
    hc.DeviceRequests.forEach((r: unknown, i) => {
      const path = `${p('DeviceRequests')}[${i}]`;
      if (!isObj(r)) return warn(`${path} is not an object and was ignored`);
      const caps = Array.isArray(r.Capabilities) ? r.Capabilities.flat() : [];
      if (r.Driver !== 'nvidia' && !caps.includes('gpu')) return warn(`${path} (driver ${JSON.stringify(r.Driver ?? '')}) is not a GPU request; ignored`);
      let n: number;
      if (Array.isArray(r.DeviceIDs) && r.DeviceIDs.length > 0) {
        n = r.DeviceIDs.length;
        warn(`${path}.DeviceIDs cannot pick particular GPUs on Kubernetes; ${n} GPU(s) of the node are requested instead`);
      } else {
        const c = toInteger(r.Count);
        if (c === -1) warn(`${path}.Count -1 ("all GPUs") has no Kubernetes equivalent; 1 GPU is requested`);
        n = c === undefined || c <= 0 ? 1 : c;
      }
      count = (count ?? 0) + n;
    });
  } else if (!isEmpty(hc.DeviceRequests)) warn(`${p('DeviceRequests')} is not a list and was ignored`);
  if (hc.Runtime === 'nvidia') count ??= 1;
  else if (!isEmpty(hc.Runtime) && hc.Runtime !== 'runc') warn(`${p('Runtime')} ${JSON.stringify(hc.Runtime)} is not supported on Kubernetes (the node's container runtime runs every pod); ignored`);
  if (count !== undefined) {
    warn(`createOptions.HostConfig: GPU access becomes a ${NVIDIA_GPU}: ${count} limit; the pod stays Pending unless a node runs the NVIDIA device plugin`);
  }
  return count;
}
