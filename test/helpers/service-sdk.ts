// The real azure-iothub service SDK pointed at a service API on an ephemeral port.
// The SDK always dials port 443 (docs/iot-hub-protocol.md "Connect"), so we use its public constructors
// `new Registry(config, restApiClient)` / `new Client(transport, restApiClient)` with the SDK's
// own RestApiClient and an `Http` subclass that only adds the port and our CA: requests still
// go over HTTPS, through the SDK's own request, auth and error-translation code.
import { createRequire } from 'node:module';
import type * as IotHub from 'azure-iothub';
import type { Registry as RegistryType, Client as ClientType } from 'azure-iothub';

const require = createRequire(import.meta.url);
const iothub = require('azure-iothub') as typeof IotHub;
const { RestApiClient } = require('azure-iothub/dist/common-http/rest_api_client') as { RestApiClient: new (config: unknown, ua: string, http: unknown) => unknown };
const { Http } = require('azure-iothub/dist/common-http/http') as { Http: new () => HttpLike };
const { ConnectionString } = require('azure-iothub/dist/common-core/connection_string') as {
  ConnectionString: { parse(s: string): { HostName: string; SharedAccessKeyName: string; SharedAccessKey: string } };
};
const sas = require('azure-iothub/dist/shared_access_signature') as { create(host: string, policy: string, key: string, expiry: number): unknown };

interface HttpLike {
  setOptions(options: Record<string, unknown>): void;
  buildRequest(method: string, path: string, headers: unknown, host: string, options: unknown, done?: unknown): unknown;
}

function portHttp(port: number, ca: string): HttpLike {
  class PortHttp extends Http {
    override setOptions(options: Record<string, unknown>): void {
      super.setOptions({ ...options, ca });
    }
    override buildRequest(method: string, path: string, headers: unknown, host: string, options: unknown, done?: unknown): unknown {
      const callback = typeof options === 'function' ? options : done;
      // host may carry ":port" when the connection string has one; the SDK would resolve it as a DNS name.
      return super.buildRequest(method, path, headers, host.replace(/:\d+$/, ''), { port }, callback);
    }
  }
  const http = new PortHttp();
  http.setOptions({});
  return http;
}

function configOf(connectionString: string) {
  const cn = ConnectionString.parse(connectionString);
  return { host: cn.HostName, sharedAccessSignature: sas.create(cn.HostName, cn.SharedAccessKeyName, cn.SharedAccessKey, Date.now()) };
}

/** A `Registry` of the real SDK that talks HTTPS to `127.0.0.1:<port>`-style `localhost:<port>`, trusting `ca`. */
export function sdkRegistry(connectionString: string, port: number, ca: string): RegistryType {
  const config = configOf(connectionString);
  return new iothub.Registry(config as never, new RestApiClient(config, 'azure-iothub/test', portHttp(port, ca)) as never);
}

/** A service `Client` of the real SDK for `invokeDeviceMethod` (its AMQP transport is never opened). */
export function sdkClient(connectionString: string, port: number, ca: string): ClientType {
  const config = configOf(connectionString);
  const unusedTransport = { on: () => undefined } as never;
  return new iothub.Client(unusedTransport, new RestApiClient(config, 'azure-iothub/test', portHttp(port, ca)) as never);
}
