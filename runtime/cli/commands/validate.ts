import type { Command } from 'commander';
import type { RegisterCommand } from '../cli-context.js';
import { globalOptions } from '../cli-context.js';
import { UsageError } from '../../errors.js';

/**
 * `edgemu validate FILE... [--json]`: checks deployment manifests the way IoT Edge would
 * and lists every problem with a JSON pointer to it. Exit 1 if any file is invalid.
 */
export const registerValidate: RegisterCommand = (program, ctx) => {
  program
    .command('validate')
    .description('validate IoT Edge deployment manifests; lists every problem with its JSON path')
    .argument('<file...>', 'deployment manifest files (JSON); - reads standard input')
    .option('--json', 'print one JSON array with a result per file')
    .addHelpText(
      'after',
      [
        '',
        'Status codes are those IoT Edge reports in lastDesiredStatus: 200 valid, 417 empty $edgeAgent,',
        '412 unsupported schemaVersion, 400 anything else. Exit code 1 if any file is invalid.',
        '',
        'Examples:',
        '  edgemu validate deployments/examples/*.json',
        '  edgemu validate --json my.deployment.json',
        '  az iot edge deployment show -d my-deployment -n my-hub | edgemu validate -',
      ].join('\n'),
    )
    .action(async (files: string[], _opts: unknown, command: Command) => {
      const { json } = globalOptions(command);
      const { validateManifestFile } = await import('../../manifest/index.js');
      const reports = [];
      if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be given only once');
      for (const file of files) reports.push((await validateManifestFile(file)).report);
      if (json) ctx.out(`${JSON.stringify(reports, null, 2)}\n`);
      else {
        const { formatReport } = await import('../../manifest/index.js');
        for (const report of reports) ctx.out(formatReport(report));
        if (reports.length > 1) {
          const bad = reports.filter((r) => !r.valid).length;
          ctx.out(`${reports.length} files, ${reports.length - bad} valid, ${bad} invalid\n`);
        }
      }
      if (reports.some((r) => !r.valid)) ctx.setExitCode(1);
    });
};
