/**
 * Process warnings are handled deliberately: on Node 20 the AWS SDK warns on every run that later releases
 * need Node 22, which would fill every operator screen and cron log. Warnings are collected and shown once
 * each with --verbose, otherwise kept out.
 */
const seen = new Set<string>();
let verbose = false;

export function captureProcessWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => note(`${warning.name}: ${warning.message}`));
  // The SDK's Node-version notice is printed with console.warn rather than emitWarning in some releases.
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (/NodeVersion|node\.js version|Node\.js (?:v)?\d|end of support|AWS SDK for JavaScript/i.test(text)) note(text);
    else original(...args);
  };
}

function note(text: string): void {
  if (seen.has(text)) return;
  seen.add(text);
  if (verbose) process.stderr.write(`warning: ${text}\n`);
}

export function setVerboseWarnings(on: boolean): void {
  verbose = on;
}
