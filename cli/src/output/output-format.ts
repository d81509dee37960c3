import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { SentraError } from "@sentra/common";
import { stringify } from "yaml";

/** `--output`: a table for people, or the API's own JSON mapping (as JSON or YAML) for scripts. */
export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A table: header cells and one row of cells per item. */
export interface Table {
  headers: readonly string[];
  rows: readonly (readonly string[])[];
}

export function parseOutputFormat(value: string | undefined): OutputFormat {
  const format = value ?? "table";
  if ((OUTPUT_FORMATS as readonly string[]).includes(format)) return format as OutputFormat;
  throw SentraError.invalidArgument(
    "--output",
    `must be one of ${OUTPUT_FORMATS.join(", ")}, not ${JSON.stringify(format)}`,
  );
}

/**
 * The protobuf JSON mapping of a message (camelCase fields, enum names, RFC 3339 times, 64-bit
 * integers as strings): the same document whatever the CLI version, so scripts can rely on it.
 */
export function messageToJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): unknown {
  return toJson(schema, message, { alwaysEmitImplicit: true });
}

/** Writes one response: as a table, or as its JSON mapping. */
export function writeMessage<Desc extends DescMessage>(
  format: OutputFormat,
  schema: Desc,
  message: MessageShape<Desc>,
  table: () => Table | string,
  out: NodeJS.WritableStream = process.stdout,
): void {
  if (format === "table") {
    const rendered = table();
    out.write(typeof rendered === "string" ? ensureNewline(rendered) : formatTable(rendered));
    return;
  }
  out.write(formatDocument(format, messageToJson(schema, message)));
}

/**
 * One message of a stream (`watch`): JSON is one document per line (NDJSON), YAML one document
 * per `---`, so a consumer can act on each change as it arrives.
 */
export function formatStreamDocument(format: "json" | "yaml", value: unknown): string {
  return format === "json" ? `${JSON.stringify(value)}\n` : `---\n${stringify(value)}`;
}

export function formatDocument(format: "json" | "yaml", value: unknown): string {
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

/** Aligned columns, like kubectl. */
export function formatTable({ headers, rows }: Table): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("   ")
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
