/**
 * The Java device SDK probe for the hub's integration tests: test/helpers/sdk-programs/java
 * (a Maven project using `com.microsoft.azure.sdk.iot:iot-device-client` from Maven Central),
 * built by Maven on first use and cached by SDK version and source hash with its own local
 * Maven repository under the cache (test/helpers/sdk-cache.ts). Needs a JDK 17+ and Maven 3.8+.
 */
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cacheRoot } from '../../runtime/cluster/index.js';
import { cachedBuild, hashTree } from './sdk-cache.js';

/** 2.5.0 is the newest 2.5.x Maven Central serves (2.5.1 is not published there). */
export const JAVA_DEVICE_SDK = { artifact: 'com.microsoft.azure.sdk.iot:iot-device-client', version: '2.5.0' } as const;

const SOURCES = fileURLToPath(new URL('./sdk-programs/java/', import.meta.url));

/** `java` arguments that run the probe's main class `edgemu.DeviceProbe`. */
export async function ensureJavaProbe(): Promise<string[]> {
  const key = `iot-device-client-${JAVA_DEVICE_SDK.version}-${await hashTree(SOURCES)}`;
  const dir = await cachedBuild('java-sdk', key, async (build) => {
    await cp(SOURCES, build, { recursive: true });
    await execa('mvn', [
      '-B', '-q',
      `-Dmaven.repo.local=${path.join(cacheRoot(), 'maven-repo')}`,
      `-DiotDeviceClientVersion=${JAVA_DEVICE_SDK.version}`,
      'package', 'dependency:copy-dependencies',
    ], { cwd: build });
  });
  return ['-cp', `${path.join(dir, 'target', 'classes')}${path.delimiter}${path.join(dir, 'target', 'dependency', '*')}`, 'edgemu.DeviceProbe'];
}
