import { describe, expect, it } from 'vitest';
import { allocateServiceIps, checkServiceIpRange, formatRange, parseIpRange, type LoadBalancerService } from '../../../runtime/cluster/service-ip-range.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('--service-ips ranges', () => {
  it.each([
    ['10.89.0.10-10.89.0.30', '10.89.0.10-10.89.0.30', 21],
    ['10.89.0.10', '10.89.0.10-10.89.0.10', 1],
    [' 10.89.0.250-10.89.1.2 ', '10.89.0.250-10.89.1.2', 9],
  ])('parses %j', (text, formatted, size) => {
    const r = parseIpRange(text);
    expect(formatRange(r)).toBe(formatted);
    expect(r.last - r.first + 1).toBe(size);
  });

  it.each(['', '10.89.0.1-', '10.89.0.300-10.89.0.301', '10.89.0.30-10.89.0.10', 'a-b', '10.89.0.1-10.89.0.2-10.89.0.3', '10.0.0.0-10.1.0.0', '010.89.0.1'])('rejects %j with SERVICE_IPS_INVALID', (text) => {
    expect(codeOf(() => parseIpRange(text))).toBe('SERVICE_IPS_INVALID');
  });

  it.each([
    ['10.88.0.200-10.88.0.210', 'SERVICE_IPS_OVERLAP'],
    ['10.96.0.1-10.96.0.5', 'SERVICE_IPS_OVERLAP'],
    ['10.89.0.5-10.89.0.20', 'SERVICE_IPS_OVERLAP'],
    ['127.0.0.10-127.0.0.20', 'SERVICE_IPS_INVALID'],
    ['10.89.0.100-10.89.0.120', undefined],
  ])('range %s against the pod network, Services, another cluster and loopback: %s', (text, code) => {
    const taken = [
      { what: 'the pod network', cidr: '10.88.0.0/16' },
      { what: 'the Service network', cidr: '10.96.0.0/16' },
      { what: 'cluster "other"', range: parseIpRange('10.89.0.1-10.89.0.10') },
    ];
    expect(codeOf(() => checkServiceIpRange(parseIpRange(text), taken))).toBe(code);
  });
});

describe('allocating LoadBalancer IPs', () => {
  const range = parseIpRange('10.89.0.10-10.89.0.11');
  const svc = (key: string, createdAt: string, current: string[] = [], requested?: string): LoadBalancerService => ({ key, createdAt, current, requested });

  it('gives the oldest Services the lowest free IPs and leaves the rest pending with "no IP"', () => {
    const a = allocateServiceIps(range, [svc('iotedge/edgehub', 't1'), svc('team-a/web', 't3'), svc('team-a/api', 't2')]);
    expect([...a.assign]).toEqual([
      ['iotedge/edgehub', '10.89.0.10'],
      ['team-a/api', '10.89.0.11'],
    ]);
    expect(a.pending.get('team-a/web')).toMatch(/^no IP available: all 2 Kubernetes external service IPs \(10\.89\.0\.10-10\.89\.0\.11\) are assigned$/);
  });

  it('keeps an IP a Service already has, even when an older Service has none', () => {
    const a = allocateServiceIps(range, [svc('a/old', 't1'), svc('a/young', 't2', ['10.89.0.10'])]);
    expect(a.assign.get('a/young')).toBe('10.89.0.10');
    expect(a.assign.get('a/old')).toBe('10.89.0.11');
  });

  it('moves a Service whose IP is outside the range (the range changed) and frees IPs of deleted Services', () => {
    const a = allocateServiceIps(range, [svc('a/x', 't1', ['10.99.0.1']), svc('a/y', 't2')]);
    expect([...a.assign.values()]).toEqual(['10.89.0.10', '10.89.0.11']);
  });

  it('gives the older of two Services claiming the same IP, and the other a new one', () => {
    const a = allocateServiceIps(range, [svc('a/second', 't2', ['10.89.0.10']), svc('a/first', 't1', ['10.89.0.10'])]);
    expect(a.assign.get('a/first')).toBe('10.89.0.10');
    expect(a.assign.get('a/second')).toBe('10.89.0.11');
  });

  it('honours spec.loadBalancerIP inside the range and refuses it outside or taken', () => {
    const a = allocateServiceIps(range, [svc('a/fixed', 't3', [], '10.89.0.11'), svc('a/any', 't1'), svc('a/out', 't2', [], '10.1.1.1'), svc('a/clash', 't4', [], '10.89.0.11')]);
    expect(a.assign.get('a/fixed')).toBe('10.89.0.11');
    expect(a.assign.get('a/any')).toBe('10.89.0.10');
    expect(a.pending.get('a/out')).toMatch(/not in the Kubernetes external service IP range/);
    expect(a.pending.get('a/clash')).toMatch(/already assigned/);
  });

  it('is stable: applying its result again changes nothing', () => {
    const services = [svc('a/1', 't1'), svc('a/2', 't2'), svc('a/3', 't3')];
    const first = allocateServiceIps(range, services);
    const again = allocateServiceIps(range, services.map((s) => ({ ...s, current: first.assign.has(s.key) ? [first.assign.get(s.key)!] : [] })));
    expect(again).toEqual(first);
  });
});
