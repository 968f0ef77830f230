/**
 * yaml's parser, for the dynamic import of a file that needs it only sometimes (an answers file): imported
 * dynamically as a package, yaml's CommonJS build would give the bundle a default export alone.
 */
export { parse as parseYaml } from 'yaml';
