import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../runtime/clock.js';
import { HubError, type DesiredChange, type TwinStore } from '../../../runtime/hub/index.js';

/** What the hub, routing and the service API need from a twin store (the SQLite one: hub.db). */
export type Twins = Pick<TwinStore, 'get' | 'getDeviceView' | 'getDeviceViewJson' | 'patchReported' | 'patchDesired' | 'replaceDesired' | 'update' | 'onDesiredChanged'>;

export interface TwinStoreSubject {
  twins: Twins;
  /** Creates a device identity and its twin. */
  createDevice(deviceId: string): void;
  /** Runs `fn` in one transaction; change events fire after the commit. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** The `code` of the typed error `fn` throws, undefined when it does not throw. */
export const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as HubError).code;
  }
  return undefined;
};

/** The twin store contract (IoT Hub twin semantics: learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins). */
export function twinStoreContract(name: string, open: (clock: Clock) => TwinStoreSubject): void {
  describe(`${name}: the twin store contract`, () => {
    let now = Date.parse('2026-11-28T00:00:00.000Z');
    const clock: Clock = { now: () => now, sleep: async () => {} };
    const ref = { deviceId: 'd1' };
    let s: TwinStoreSubject;
    beforeEach(() => {
      now = Date.parse('2026-11-28T00:00:00.000Z');
      s = open(clock);
      s.createDevice('d1');
    });
    afterEach(() => s.close());

    it('merges reported patches, bumps $version and keeps $metadata', () => {
      expect(s.twins.patchReported(ref, { status: 'ok', nested: { a: 1, b: 2 } })).toEqual({ version: 2 });
      now += 1000;
      expect(s.twins.patchReported(ref, { nested: { b: null } })).toEqual({ version: 3 });
      const twin = s.twins.get(ref)!;
      expect(twin.properties.reported).toMatchObject({ status: 'ok', nested: { a: 1 }, $version: 3 });
      expect(twin.properties.reported.$metadata.$lastUpdated).toBe('2026-11-28T00:00:01.000Z');
      expect(s.twins.getDeviceView(ref)).toEqual({ desired: { $version: 1 }, reported: { status: 'ok', nested: { a: 1 }, $version: 3 } });
    });

    it('serialises the device view once per twin state and again after every write', () => {
      const first = s.twins.getDeviceViewJson(ref);
      expect(first).toBe(JSON.stringify(s.twins.getDeviceView(ref)));
      expect(s.twins.getDeviceViewJson(ref)).toBe(first);
      s.twins.patchReported(ref, { status: 'ok' });
      expect(JSON.parse(s.twins.getDeviceViewJson(ref)!)).toEqual({ desired: { $version: 1 }, reported: { status: 'ok', $version: 2 } });
      expect(s.twins.getDeviceViewJson({ deviceId: 'nobody' })).toBeUndefined();
    });

    it('refuses reported patches that break the rules and leaves the twin untouched', () => {
      expect(code(() => s.twins.patchReported(ref, { 'bad.key': 1 }))).toBe('HUB_INVALID_TWIN');
      expect(code(() => s.twins.patchReported(ref, 'not an object'))).toBe('HUB_INVALID_TWIN');
      s.twins.patchReported(ref, { a: 'x'.repeat(4000) });
      for (let i = 0; i < 7; i++) s.twins.patchReported(ref, { [`k${i}`]: 'y'.repeat(4000) });
      expect(code(() => s.twins.patchReported(ref, { big: 'z'.repeat(4000) }))).toBe('HUB_INVALID_TWIN');
      expect(s.twins.getDeviceView(ref)!.reported.big).toBeUndefined();
    });

    it('announces desired changes after commit with the new $version, and honours If-Match', () => {
      const seen: DesiredChange[] = [];
      s.twins.onDesiredChanged((c) => seen.push(c));
      const t1 = s.twins.patchDesired(ref, { foo: 1 });
      expect(seen).toEqual([{ ref, patch: { foo: 1 }, version: 2 }]);
      expect(code(() => s.twins.patchDesired(ref, { foo: 2 }, { ifMatch: '"AAAAAAAAAAE="' }))).toBe('HUB_PRECONDITION_FAILED');
      s.twins.patchDesired(ref, { foo: 3 }, { ifMatch: `"${t1.etag}"` });
      expect(s.twins.get(ref)!.properties.desired).toMatchObject({ foo: 3, $version: 3 });
    });

    it('replaces desired with a patch that removes what is gone', () => {
      s.twins.patchDesired(ref, { a: 1, b: { c: 1, d: 2 } });
      const seen: DesiredChange[] = [];
      s.twins.onDesiredChanged((c) => seen.push(c));
      s.twins.replaceDesired(ref, { b: { c: 1 }, e: 5 });
      expect(seen[0]!.patch).toEqual({ a: null, b: { d: null }, e: 5 });
      expect(s.twins.getDeviceView(ref)!.desired).toEqual({ b: { c: 1 }, e: 5, $version: 3 });
    });

    it('fires no event when a multi-twin transaction rolls back', () => {
      s.createDevice('d2');
      const seen: DesiredChange[] = [];
      s.twins.onDesiredChanged((c) => seen.push(c));
      expect(() =>
        s.transaction(() => {
          s.twins.patchDesired(ref, { x: 1 });
          s.twins.patchDesired({ deviceId: 'd2' }, { 'bad.key': 1 });
        }),
      ).toThrow(HubError);
      expect(seen).toEqual([]);
      expect(s.twins.getDeviceView(ref)!.desired).toEqual({ $version: 1 });
    });

    it('merges tags and leaves the desired version alone', () => {
      const t = s.twins.update(ref, { tags: { site: 'a', floor: 1 } });
      expect(t.tags).toEqual({ site: 'a', floor: 1 });
      expect(t.properties.desired.$version).toBe(1);
    });
  });
}
