/** One CSV line (RFC 4180): a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvLine(fields: ReadonlyArray<string | number | null>): string {
  return `${fields
    .map((field) => {
      const text = field === null ? '' : String(field);
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',')}\r\n`;
}
