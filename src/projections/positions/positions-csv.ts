// GET /positions as CSV (Accept: text/csv): one row per actor × issue stance cell, for a
// spreadsheet. RFC 4180: a header row, CRLF line ends, a field with a comma, a quote or a line
// break quoted and its quotes doubled. A cell a spreadsheet would take for a formula (it starts
// with =, +, -, @, a tab or a carriage return) is prefixed with a single quote, so a summary
// quoted from the news cannot run as one (OWASP, "CSV injection").
import type { ActorPosition } from './positions.view.js';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

export const CSV_COLUMNS = ['actor', 'issue', 'stance', 'since', 'confidence', 'evidenceCount', 'summary'] as const;

/** One CSV field: neutralised if it looks like a formula, quoted when it must be. */
export function csvField(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows of GET /positions (its JSON answer's `actors`), header first. */
export function positionsCsv(actors: readonly ActorPosition[]): string {
  let out = `${CSV_COLUMNS.join(',')}\r\n`;
  for (const a of actors) {
    for (const [issue, cell] of Object.entries(a.stances)) {
      const row = [a.actor, issue, cell.stance, cell.since, cell.confidence, cell.evidenceTotal ?? cell.evidence.length, cell.summary];
      out += `${row.map(csvField).join(',')}\r\n`;
    }
  }
  return out;
}
