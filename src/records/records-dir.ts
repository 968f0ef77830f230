export { recordsDirOf } from '../core/records-dir.js';
