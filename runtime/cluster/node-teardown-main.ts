// Entry point for the watchdog: `node --import tsx node-teardown-main.ts HOST_RECORD` tears a
// real node down after its owner died (see teardownRealNode in real-node.ts).
import { teardownRealNode } from './real-node.js';

const record = process.argv[2];
if (record === undefined || record === '') {
  process.stderr.write('usage: node-teardown-main.ts HOST_RECORD\n');
  process.exitCode = 2;
} else {
  const report = teardownRealNode(record);
  process.stdout.write(`${JSON.stringify(report ?? { found: false })}\n`);
}
