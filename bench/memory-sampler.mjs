// A preload that writes the tool's memory every 25 ms, to see where a peak comes from (docs/perf-rss.md):
//   npm run bench -- … "--tool-node-options=--import /abs/path/bench/memory-sampler.mjs"
// One file per process in /tmp/obexal-memory-samples (MEMORY_SAMPLES_DIR when the process has it), tab-separated,
// MiB: ms since start, VmHWM, RSS, V8 heap total and used, external, ArrayBuffers, RssAnon, RssFile.
import { mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';

const dir = process.env.MEMORY_SAMPLES_DIR || '/tmp/obexal-memory-samples';
mkdirSync(dir, { recursive: true, mode: 0o700 });
const fd = openSync(`${dir}/${process.pid}.tsv`, 'w', 0o600);
const started = Date.now();
const mib = (bytes) => (bytes / 1048576).toFixed(1);
const kib = (status, field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;

writeSync(fd, `# ${process.argv.slice(1, 3).join(' ')}\n`);
writeSync(fd, 'ms\thwm\trss\theapTotal\theapUsed\texternal\tarrayBuffers\trssAnon\trssFile\n');
setInterval(() => {
  const usage = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'latin1');
  const row = [Date.now() - started, mib(kib(status, 'VmHWM')), mib(usage.rss), mib(usage.heapTotal)];
  row.push(mib(usage.heapUsed), mib(usage.external), mib(usage.arrayBuffers));
  row.push(mib(kib(status, 'RssAnon')), mib(kib(status, 'RssFile')));
  writeSync(fd, `${row.join('\t')}\n`);
}, 25).unref();
