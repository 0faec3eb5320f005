/**
 * Sets an own, enumerable property even for keys like `__proto__`: plain assignment would
 * change the object's prototype instead and silently drop the entry (JSON.parse creates
 * such keys as ordinary own properties, so a manifest can carry them).
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
