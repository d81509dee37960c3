/** Prints rows as aligned columns, like kubectl. */
export function printTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  out = process.stdout,
): void {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("   ")
      .trimEnd();
  out.write(`${[line(headers), ...rows.map(line)].join("\n")}\n`);
}
