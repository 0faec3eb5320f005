import { apiErrors } from './service-api-error.js';

/**
 * The `api-version` values accepted on the service API. IoT Hub refuses a request without a
 * supported version (400 `InvalidProtocolVersion`). The set covers what the tools in
 * learn.microsoft.com/rest/api/iothub send: the azure-iothub SDK (2021-04-12), the az CLI's generated
 * client (2024-03-31) and older tools (2017-11-08-preview, 2020-05-31-preview).
 */
export const SUPPORTED_API_VERSIONS: readonly string[] = [
  '2016-11-14',
  '2017-06-30',
  '2017-11-08-preview',
  '2018-01-26',
  '2018-04-01',
  '2018-06-30',
  '2019-03-30',
  '2019-10-01',
  '2020-03-13',
  '2020-05-31-preview',
  '2020-09-30',
  '2021-04-12',
  '2021-11-30',
  '2024-03-31',
];

/** The version edgemu's own client sends (the one the azure-iothub SDK uses). */
export const DEFAULT_API_VERSION = '2021-04-12';

/** Returns the request's api-version or throws the 400 IoT Hub answers with. */
export function requireApiVersion(query: URLSearchParams): string {
  const values = query.getAll('api-version');
  if (values.length === 0) throw apiErrors.badApiVersion('The api-version query parameter is required.');
  if (values.length > 1) throw apiErrors.badApiVersion('The api-version query parameter is given more than once.');
  const value = values[0]!;
  if (!SUPPORTED_API_VERSIONS.includes(value)) {
    throw apiErrors.badApiVersion(`api-version '${value.slice(0, 40)}' is not supported; use one of ${SUPPORTED_API_VERSIONS.join(', ')}.`);
  }
  return value;
}
