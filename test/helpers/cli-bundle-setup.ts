/**
 * vitest globalSetup of the projects whose tests start `node bin/edgemu.js` as a user does: the
 * CLI's bundle (bin/cli-bundle.js) is made current once before any test runs, so the first test
 * processes do not all compile it at once, nor print the first-build line into a checked stderr.
 */
import { cliBundle } from '../../bin/cli-bundle.js';

export default async function setup(): Promise<void> {
  await cliBundle();
}
