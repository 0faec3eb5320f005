import { isValidId } from '../hub/index.js';
import { LAYOUT_NAMES } from './layout.js';

/** What a user typed on `edgemu translate`, before it reaches the pure mapping. */
export interface TranslateInputs {
  deviceId: string;
  gatewayHost?: string | undefined;
  hubHostName?: string | undefined;
  storageClass?: string | undefined;
  volumeSize?: string | undefined;
  layout?: string | undefined;
  hubIp?: string | undefined;
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, 253 chars at most.
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// Loose IPv6 shape (hex groups and colons, optional embedded IPv4); it only has to keep junk out.
const IPV6 = /^(?=.*:)[0-9A-Fa-f:.]{2,45}$/;
// Kubernetes resource.Quantity (apimachinery quantity.go): decimal number, then a binary-SI,
// decimal-SI or exponent suffix. Storage requests are positive, so no sign.
const QUANTITY = /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
// StorageClass names are DNS-1123 subdomains (lower case, at most 253 characters).
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Checks the user-supplied parts of a translation before anything is read or printed, so a typo
 * is a usage error naming the flag rather than objects `kubectl` refuses later or, worse, accepts
 * (a gateway `a b` would land in every module's connection string and the pods could never
 * connect). Returns the first problem, or undefined when everything is usable.
 * Rules: device ids as IoT Hub allows them (the namespace and labels are derived from them);
 * `host[:port]` as a module's `GatewayHostName` (RFC 1123 name, IPv4, or IPv6 in brackets when a
 * port follows; port 1–65535); PVC sizes as Kubernetes quantities; storage classes as DNS-1123
 * subdomains.
 */
export function checkTranslateInputs(inputs: TranslateInputs): string | undefined {
  if (inputs.deviceId.trim() === '') return '--device must not be empty';
  if (!isValidId(inputs.deviceId)) {
    return `--device ${JSON.stringify(inputs.deviceId)} is not a valid IoT Hub device id (1-128 characters from A-Z a-z 0-9 -.%_*?!(),:=@$')`;
  }
  for (const [flag, value] of [['--gateway-host', inputs.gatewayHost], ['--hub-host-name', inputs.hubHostName]] as const) {
    if (value !== undefined && !isHostWithOptionalPort(value)) {
      return `${flag} ${JSON.stringify(value)} is not a host name or IP address with an optional :port (e.g. 172.18.0.1 or my-laptop:8883)`;
    }
  }
  if (inputs.volumeSize !== undefined && (!QUANTITY.test(inputs.volumeSize) || /^[0.]+[A-Za-z]*$/.test(inputs.volumeSize))) {
    return `--volume-size ${JSON.stringify(inputs.volumeSize)} is not a positive Kubernetes quantity (e.g. 1Gi, 500Mi, 2G)`;
  }
  if (inputs.layout !== undefined && !(LAYOUT_NAMES as readonly string[]).includes(inputs.layout)) {
    return `--layout ${JSON.stringify(inputs.layout)} is not a layout (${LAYOUT_NAMES.join(', ')})`;
  }
  if (inputs.hubIp !== undefined && !IPV4.test(inputs.hubIp)) {
    return `--hub-ip ${JSON.stringify(inputs.hubIp)} is not an IPv4 address (the host address pods reach the hub on, e.g. 10.88.0.1)`;
  }
  if (inputs.storageClass !== undefined && !DNS_SUBDOMAIN.test(inputs.storageClass)) {
    return `--storage-class ${JSON.stringify(inputs.storageClass)} is not a valid StorageClass name (lower-case DNS subdomain, e.g. standard or local-path)`;
  }
  return undefined;
}

/** `name`, `name:port`, `1.2.3.4[:port]`, `[::1]:port` or a bare IPv6 address. */
function isHostWithOptionalPort(value: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) return IPV6.test(bracketed[1]!) && validPort(bracketed[2]);
  if (IPV6.test(value) && value.split(':').length > 2) return true;
  const m = /^([^:]+)(?::(\d+))?$/.exec(value);
  if (!m) return false;
  return (HOST_NAME.test(m[1]!) || IPV4.test(m[1]!)) && validPort(m[2]);
}

const validPort = (port: string | undefined): boolean => port === undefined || (/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535);
