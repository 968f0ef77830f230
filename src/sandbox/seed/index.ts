export { seed, type SeedOptions, type SeedSummary, type DrillAccountSeed, type SeedPhase } from './seed.js';
export { tableRowCounts } from './row-counts.js';
export { resolveSeedSize, DEFAULT_SEED_SIZE, type SeedSize, type ResolvedSeedSize } from './size.js';
export { generateTotpSecret, base32 } from './totp-secret.js';
export { hashObexalPassword, OBEXAL_ARGON2_PARAMETERS } from './password-hashes.js';
export { DEFAULT_DRILL_EMAIL, DRILL_PROFILE } from './fixed-rows.js';
export { DRILL_TENANT, TENANTS } from './vocabulary.js';
export { AUDIT_ACTIONS } from './audit-log.js';
