/** Entry point of bin/obexal-sandbox-auth-service. */
import { main } from './cli.js';
import { processOutput } from './output.js';

const exitCode = await main(process.argv.slice(2), process.env, processOutput);
// A finished subcommand leaves nothing that should keep the process alive: exit now, after output is flushed.
process.exitCode = exitCode;
process.stdout.write('', () => process.exit(exitCode));
