/** The age module: keys, streaming encryption and decryption (age-encryption.org/v1), typed errors. */
export * from './age-errors.js';
export * from './age-keys.js';
export { AgeEncryptStream, createAgeEncryptStream } from './age-encrypt.js';
export { AgeDecryptStream, createAgeDecryptStream } from './age-decrypt.js';
export { measureAgeThroughput, type AgeThroughput } from './throughput.js';
