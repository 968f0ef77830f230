/**
 * drill.start-auth-service: DRILL_AUTH_SERVICE_START against the drill database on a free loopback port, with
 * the database URL and the current ENCRYPTION_KEY in its environment only. By default it gets no older key:
 * a service that starts (it refuses when a secret does not decrypt) then proves that every secret of the
 * restored data reads under the current key, as production needs after reencrypt-secrets. `oldKeys: held`
 * also hands it the older keys the key-era step accepted, as ENCRYPTION_KEY_OLD.
 */
import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';
import { defineAction } from '../../engine/action.js';

const DISCOVERY = '/.well-known/openid-configuration';

export const drillStartServiceAction = defineAction({
  name: 'drill.start-auth-service',
  description: 'start the auth-service against the drill database and wait until it is ready',
  params: z
    .object({
      database: z.string().min(1),
      readyPath: z.string().startsWith('/').default('/.well-known/openid-configuration'),
      readyLine: z.string().optional(),
      readyTimeout: z.string().default('2m'),
      oldKeys: z.enum(['never', 'held']).default('never'),
    })
    .strict(),
  describe: (p) =>
    `start DRILL_AUTH_SERVICE_START on a free loopback port; ready ` +
    `when ${p.readyLine ? `a line matches /${p.readyLine}/` : `GET ${p.readyPath ?? DISCOVERY} answers`} ` +
    `(within ${p.readyTimeout ?? '2m'})`,
  async run(params, ctx) {
    const [
      { freeLoopbackPort, serviceEnvironment, startDrillService },
      { drillState },
      { obtainCurrentKey },
      { SECRET_NAMES },
      { describeCommand },
    ] = await Promise.all([
      import('../auth-service.js'),
      import('../session.js'),
      import('../../keysource/encryption-keys.js'),
      import('../../keysource/context.js'),
      import('../../core/exec.js'),
    ]);
    const state = drillState(ctx.runId);
    state.sink = (line, stream) => ctx.output(line, stream);
    const key = await obtainCurrentKey(ctx, undefined);
    const oldKeys = params.oldKeys === 'held' ? ctx.secrets.get(SECRET_NAMES.oldKeys) : undefined;
    const port = await freeLoopbackPort();
    const env = serviceEnvironment(ctx.settings.env, {
      databaseUrl: params.database,
      encryptionKey: key.text,
      ...(oldKeys ? { encryptionKeyOld: oldKeys } : {}),
      port,
    });
    const started = Date.now();
    const drill = await startDrillService({
      template: ctx.settings.require('DRILL_AUTH_SERVICE_START'),
      env,
      port,
      readyPath: params.readyPath,
      ...(params.readyLine ? { readyLine: new RegExp(params.readyLine) } : {}),
      timeoutMs: parseDuration(params.readyTimeout, 'readyTimeout'),
      signal: ctx.signal,
      onLine: (line, stream) => state.sink?.(line, stream),
    });
    state.service = drill;
    ctx.onCleanup(async () => {
      await state.service?.service.stop();
    }, 'stop the drill auth-service');
    const readyMs = Date.now() - started;
    const command = describeCommand(drill.command[0] as string, drill.command.slice(1));
    return {
      message: `auth-service ready at ${drill.baseUrl} in ${(readyMs / 1000).toFixed(1)}s (pid ${drill.service.pid})`,
      data: {
        url: drill.baseUrl,
        port,
        pid: drill.service.pid,
        readyMs,
        record: {
          authService: {
            command,
            port,
            readyMs,
            keys: oldKeys ? 'ENCRYPTION_KEY and ENCRYPTION_KEY_OLD' : 'ENCRYPTION_KEY only',
          },
        },
      },
    };
  },
});
