/**
 * NO_COLOR (no-color.org) and TERM=dumb: no colour or style codes at all. Ink styles through chalk, which reads
 * FORCE_COLOR once, when it is first loaded; this module is imported before Ink (interactive.tsx) so that the
 * setting is in place by then. chalk already honours TERM=dumb by itself; it is set here too for clarity.
 */
export function wantsNoColour(env: NodeJS.ProcessEnv): boolean {
  return (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb';
}

if (wantsNoColour(process.env)) process.env.FORCE_COLOR = '0';
