/** How dates read in the restore's messages (sizes, durations and ages: src/core/format.ts). */

/** `2026-11-24 18:35:01Z` */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return 'unknown time';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}
