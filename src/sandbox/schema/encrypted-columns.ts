/** Where the known schema keeps encrypted values: the profile's defaults (production code owns the list). */
export { ENCRYPTED_COLUMNS, type EncryptedColumn } from '../../profile/obexal.js';
