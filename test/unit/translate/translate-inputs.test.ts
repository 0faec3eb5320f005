import { describe, expect, it } from 'vitest';
import { checkTranslateInputs } from '../../../runtime/translate/translate-inputs.js';

describe('checkTranslateInputs', () => {
  it.each([
    [{ deviceId: 'edge-1' }],
    [{ deviceId: "Edge_1.a:b@c$'(x)" }],
    [{ deviceId: 'e', gatewayHost: '172.18.0.1' }],
    [{ deviceId: 'e', gatewayHost: '172.18.0.1:30883' }],
    [{ deviceId: 'e', gatewayHost: 'my-laptop.local:8883' }],
    [{ deviceId: 'e', gatewayHost: 'host.docker.internal' }],
    [{ deviceId: 'e', gatewayHost: '[fd00::1]:8883' }],
    [{ deviceId: 'e', gatewayHost: 'fd00::1' }],
    [{ deviceId: 'e', hubHostName: 'my-hub.azure-devices.net' }],
    [{ deviceId: 'e', volumeSize: '1Gi' }],
    [{ deviceId: 'e', volumeSize: '500M' }],
    [{ deviceId: 'e', volumeSize: '0.5Gi' }],
    [{ deviceId: 'e', volumeSize: '1e9' }],
    [{ deviceId: 'e', storageClass: 'local-path' }],
    [{ deviceId: 'e', storageClass: 'fast.ssd' }],
  ])('accepts %j', (inputs) => {
    expect(checkTranslateInputs(inputs)).toBeUndefined();
  });

  it.each([
    [{ deviceId: '' }, '--device must not be empty'],
    [{ deviceId: '  ' }, '--device must not be empty'],
    [{ deviceId: 'bad/dev' }, '--device "bad/dev" is not a valid IoT Hub device id'],
    [{ deviceId: 'edge 1' }, 'is not a valid IoT Hub device id'],
    [{ deviceId: 'x'.repeat(129) }, 'is not a valid IoT Hub device id'],
    [{ deviceId: 'e', gatewayHost: 'a b' }, '--gateway-host "a b" is not a host name'],
    [{ deviceId: 'e', gatewayHost: '' }, '--gateway-host "" is not a host name'],
    [{ deviceId: 'e', gatewayHost: 'host:' }, '--gateway-host'],
    [{ deviceId: 'e', gatewayHost: 'host:0' }, '--gateway-host'],
    [{ deviceId: 'e', gatewayHost: 'host:70000' }, '--gateway-host'],
    [{ deviceId: 'e', gatewayHost: 'host;SharedAccessKey=x' }, '--gateway-host'],
    [{ deviceId: 'e', gatewayHost: 'https://host' }, '--gateway-host'],
    [{ deviceId: 'e', gatewayHost: '-host' }, '--gateway-host'],
    [{ deviceId: 'e', hubHostName: 'hub name' }, '--hub-host-name "hub name"'],
    [{ deviceId: 'e', volumeSize: 'lots' }, '--volume-size "lots" is not a positive Kubernetes quantity'],
    [{ deviceId: 'e', volumeSize: '1GB' }, '--volume-size'],
    [{ deviceId: 'e', volumeSize: '-1Gi' }, '--volume-size'],
    [{ deviceId: 'e', volumeSize: '0' }, '--volume-size'],
    [{ deviceId: 'e', volumeSize: '0Gi' }, '--volume-size'],
    [{ deviceId: 'e', storageClass: 'Fast SSD' }, '--storage-class "Fast SSD" is not a valid StorageClass name'],
    [{ deviceId: 'e', storageClass: 'UPPER' }, '--storage-class'],
  ])('refuses %j', (inputs, message) => {
    expect(checkTranslateInputs(inputs)).toContain(message);
  });
});
