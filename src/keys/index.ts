export * from './secret-value.js';
export * from './fingerprint.js';
