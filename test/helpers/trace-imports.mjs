// Records every module the process resolves (for the test that proves headless never loads Ink).
import { register } from 'node:module';
register(new URL('./trace-imports-hook.mjs', import.meta.url), { data: { file: process.env.TRACE_IMPORTS_FILE } });
