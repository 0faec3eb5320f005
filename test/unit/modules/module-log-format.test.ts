import { describe, expect, it } from 'vitest';
import { parseModuleLogLine } from '../../../runtime/agent/methods/module-log-lines.js';
import { formatModuleLogLine } from '../../../modules/shared/run-module.js';

describe("the sample modules' log lines", () => {
  const at = new Date('2026-12-02T01:02:03.456Z');
  it.each([
    ['info', '<6> 2026-12-02 01:02:03.456 +00:00 [INF] filter: connected\n', 6],
    ['warn', '<4> 2026-12-02 01:02:03.456 +00:00 [WRN] filter: connected\n', 4],
    ['error', '<3> 2026-12-02 01:02:03.456 +00:00 [ERR] filter: connected\n', 3],
  ] as const)('%s is in IoT Edge format, and edgeAgent parsing reads its level, time and text', (level, line, severity) => {
    expect(formatModuleLogLine(level, at, 'filter: connected')).toBe(line);
    expect(parseModuleLogLine(line.trimEnd())).toMatchObject({ logLevel: severity, moduleTime: at.toISOString(), text: expect.stringMatching(/^\[\w{3}\] filter: connected$/) });
  });
});
