/** How keys and identities are obtained: environment, vault commands, masked prompts; kept in ctx.secrets. */
export * from './context.js';
export * from './secret-command.js';
export * from './age-identity.js';
export * from './encryption-keys.js';
