import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleImageFor } from '../../../runtime/image/sample-images.js';

describe('sampleImageFor', () => {
  it.each([
    ['edgemu/filter:0.1.0', 'docker.io/edgemu/filter:0.1.0', 'filter', undefined],
    ['edgemu/simulated-temperature-sensor:0.1.0', 'docker.io/edgemu/simulated-temperature-sensor:0.1.0', 'simulated-temperature-sensor', undefined],
    ['edgemu/echo', 'docker.io/edgemu/echo:latest', 'echo', undefined],
    ['docker.io/edgemu/echo:0.1.0', 'docker.io/edgemu/echo:0.1.0', 'echo', undefined],
    ['mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.0', 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.0', 'simulated-temperature-sensor-standin', 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.0'],
    ['mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5', 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5', 'simulated-temperature-sensor-standin', 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5'],
  ])('%s is built from modules/%s', (ref, name, folder, standInFor) => {
    expect(sampleImageFor(ref, '/m')).toEqual({ name, dir: path.join('/m', folder), ...(standInFor ? { standInFor } : {}) });
  });

  it.each([
    'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:9.9',
    `edgemu/filter@sha256:${'a'.repeat(64)}`,
    'mcr.microsoft.com/azureiotedge-hub:1.5',
    'contoso.azurecr.io/filter:0.1.0',
    'not a reference',
  ])('%s is not edgemu’s to build', (ref) => {
    expect(sampleImageFor(ref, '/m')).toBeUndefined();
  });
});
