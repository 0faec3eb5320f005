import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { apiErrors, formatErrorBody, parseErrorBody, ServiceApiError } from '../../../runtime/service-api/service-api-error.js';
import { requireApiVersion } from '../../../runtime/service-api/api-version.js';
import { toServiceApiError } from '../../../runtime/service-api/start-service-api.js';
import { HubError } from '../../../runtime/hub/errors.js';

const require = createRequire(import.meta.url);
const { Http } = require('azure-iothub/dist/common-http/http') as { Http: { parseErrorBody(body: string): { code: string; message: string } | null } };

describe('IoT Hub error bodies', () => {
  it.each([
    ['DeviceNotFound', 'Device dev1 not found.'],
    ['PreconditionFailed', 'etag "x" does not match; current is "y".'],
    ['ArgumentInvalid', 'a;b;c'],
  ])('formats %s so that the azure-iothub SDK parses code and text back', (code, text) => {
    const body = formatErrorBody(code, text);
    expect(JSON.parse(body)).toMatchObject({ Message: `ErrorCode:${code};${text}` });
    expect(parseErrorBody(body)).toEqual({ code, message: text });
    // The SDK takes only the text up to the next ';' as the message, but the code always survives.
    expect(Http.parseErrorBody(body)?.code).toBe(code);
  });

  it.each([['not json'], ['[]'], ['{"Message":3}'], ['{"Message":"no code here"}'], ['null']])('reads %s as no error body', (text) => {
    expect(parseErrorBody(text)).toBeUndefined();
  });

  it('names every API error with a stable SERVICE_API_ code', () => {
    expect(apiErrors.deviceNotFound('d').code).toBe('SERVICE_API_DEVICE_NOT_FOUND');
    expect(apiErrors.preconditionFailed('x')).toMatchObject({ status: 412, errorCode: 'PreconditionFailed', code: 'SERVICE_API_PRECONDITION_FAILED' });
  });
});

describe('toServiceApiError', () => {
  it.each([
    [new HubError('HUB_DEVICE_NOT_FOUND', 'no d'), 404, 'DeviceNotFound'],
    [new HubError('HUB_MODULE_NOT_FOUND', 'no m'), 404, 'ModuleNotFound'],
    [new HubError('HUB_DEVICE_EXISTS', 'dup'), 409, 'DeviceAlreadyExists'],
    [new HubError('HUB_PRECONDITION_FAILED', 'stale'), 412, 'PreconditionFailed'],
    [new HubError('HUB_INVALID_TWIN', 'bad key'), 400, 'ArgumentInvalid'],
    [new HubError('HUB_STORE', 'disk'), 500, 'ServerError'],
    [new TypeError('boom'), 500, 'ServerError'],
    [apiErrors.timeout('late'), 504, 'GatewayTimeout'],
  ])('maps %s to %i %s', (error, status, code) => {
    const mapped = toServiceApiError(error);
    expect(mapped).toBeInstanceOf(ServiceApiError);
    expect(mapped.status).toBe(status);
    expect(mapped.errorCode).toBe(code);
  });

  it('never leaks the text of an unexpected error to the client', () => {
    expect(toServiceApiError(new Error('secret path /root/x')).message).not.toContain('secret');
  });
});

describe('requireApiVersion', () => {
  it.each([['2021-04-12'], ['2024-03-31'], ['2017-11-08-preview'], ['2020-05-31-preview']])('accepts %s', (v) => {
    expect(requireApiVersion(new URLSearchParams({ 'api-version': v }))).toBe(v);
  });

  it.each([[''], ['api-version=1999-01-01'], ['api-version=2021-04-12&api-version=2021-04-12'], ['api-version=']])('refuses ?%s with 400 InvalidProtocolVersion', (q) => {
    expect(() => requireApiVersion(new URLSearchParams(q))).toThrow(expect.objectContaining({ status: 400, errorCode: 'InvalidProtocolVersion' }));
  });
});
