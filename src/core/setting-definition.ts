/** How a setting is declared (its own file so that the profile's settings can be declared without a cycle). */
export interface SettingDefinition {
  name: string;
  description: string;
  default?: string;
  /** Secret: environment only, never persisted, shown as set/unset. */
  secret?: boolean;
  /** Holds a connection string whose password is secret (the rest may be shown, redacted). */
  connectionString?: boolean;
}
