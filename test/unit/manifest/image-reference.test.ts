import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../runtime/manifest/image-reference.js';

describe('parseImageReference', () => {
  it.each<[string, string, string | undefined, string]>([
    ['nginx', 'nginx:latest', undefined, 'nginx'],
    ['nginx:1.25', 'nginx:1.25', undefined, 'nginx'],
    ['example/sensor', 'example/sensor:latest', undefined, 'example/sensor'],
    ['mcr.microsoft.com/azureiotedge-agent:1.5', 'mcr.microsoft.com/azureiotedge-agent:1.5', 'mcr.microsoft.com', 'azureiotedge-agent'],
    ['localhost:5000/filter', 'localhost:5000/filter:latest', 'localhost:5000', 'filter'],
    ['localhost/filter', 'localhost/filter:latest', 'localhost', 'filter'],
    ['registry.io:443/a/b/c:v1.2-rc_1', 'registry.io:443/a/b/c:v1.2-rc_1', 'registry.io:443', 'a/b/c'],
    [`x/y@sha256:${'a'.repeat(64)}`, `x/y@sha256:${'a'.repeat(64)}`, undefined, 'x/y'],
    [`x/y:1@sha256:${'a'.repeat(64)}`, `x/y:1@sha256:${'a'.repeat(64)}`, undefined, 'x/y'],
    ['$upstream:443/azureiotedge-hub:1.5', '$upstream:443/azureiotedge-hub:1.5', '$upstream:443', 'azureiotedge-hub'],
    ['a__b/c.d-e', 'a__b/c.d-e:latest', undefined, 'a__b/c.d-e'],
  ])('parses %s', (image, normalized, registry, repository) => {
    const r = parseImageReference(image);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject({ normalized, registry, repository });
  });

  it.each<[string, string]>([
    ['', 'empty'],
    ['my image', 'whitespace'],
    ['Example/Sensor', 'lower-case'],
    ['example/Sensor', 'lower-case'],
    ['a//b', 'empty path component'],
    ['/a', 'empty path component'],
    ['a/', 'empty path component'],
    ['a:b:c', 'tag'],
    ['a:-bad', 'tag'],
    ['a:', 'tag'],
    ['x@sha256:abc', 'digest'],
    ['-bad.io:5000/a', 'registry'],
    ['a_/b', 'repository component'],
    ['${MODULES.filter}', 'unexpanded template variable'],
  ])('refuses %j with a message about the %s', (image, words) => {
    const r = parseImageReference(image);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(words);
  });
});
