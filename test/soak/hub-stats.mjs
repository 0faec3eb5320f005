// Preloaded into the soak's hub process (`node --import ./test/soak/hub-stats.mjs`): every
// 250 ms it appends one JSON line to $SOAK_HUB_STATS with the hub's event-loop delay since the
// previous line (nodejs.org/api/perf_hooks.html#perf_hooksmonitoreventloopdelayoptions) and
// its memory split (nodejs.org/api/process.html#processmemoryusage): V8 heap vs the rest.
// The soak reads it to tell a blocked hub event loop from a hub the OS did not schedule. Each
// line also counts the hub's open TCP sockets (`TCPSocketWrap` handles in
// nodejs.org/api/process.html#processgetactiveresourcesinfo: every accepted connection, TLS or
// not, until it is closed). On SIGUSR2 it runs a full garbage collection first and marks that
// line `afterGc`: what the V8 heap and Buffers still hold then is live, not garbage not yet
// collected (V8's `gc()`, from a context made after `--expose-gc` is set:
// nodejs.org/api/v8.html#v8setflagsfromstringflags).
import { appendFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

const GC_KINDS = { [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks' };

const file = process.env.SOAK_HUB_STATS;
if (file) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let lastCpu = process.cpuUsage();
  // GC pauses (nodejs.org/api/perf_hooks.html#class-performanceobserver, entry type 'gc').
  // The longest pause's kind (entry.detail.kind): a scavenge of the young generation ('minor')
  // or the final pause of a mark-compact of the whole heap ('major').
  let gcMaxMs = 0;
  let gcMaxKind = '';
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration > gcMaxMs) {
        gcMaxMs = e.duration;
        gcMaxKind = GC_KINDS[e.detail?.kind] ?? String(e.detail?.kind);
      }
      gcMs += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  /** Memory and open sockets, the part of a line the SIGUSR2 line shares. */
  const memory = () => {
    const m = process.memoryUsage();
    const sockets = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, sockets };
  };
  setInterval(() => {
    const cpu = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    const line = { t: Date.now(), delayMaxMs: h.max / 1e6, delayP99Ms: h.percentile(99) / 1e6, cpuMs: (cpu.user + cpu.system) / 1000, gcMaxMs, gcMaxKind, gcMs, ...memory() };
    h.reset();
    gcMaxMs = 0;
    gcMaxKind = '';
    gcMs = 0;
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 250).unref();
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  // Two collections half a second apart: V8 frees the backing stores of dead ArrayBuffers
  // (Buffers) on a background thread after a collection, so `external` read at once would
  // still count some of them.
  process.on('SIGUSR2', () => {
    gc();
    setTimeout(() => {
      gc();
      appendFileSync(file, `${JSON.stringify({ t: Date.now(), afterGc: true, ...memory() })}\n`);
    }, 500);
  });
}
