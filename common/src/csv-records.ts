import { createReadStream } from "node:fs";
import { pipeline, type Readable, type TransformCallback } from "node:stream";
import { type CsvError, type Options, Parser } from "csv-parse";

/** One record of a CSV file. */
export interface CsvRecord {
  /** 1-based line the record ends on (the header is line 1 when it is the first line). */
  readonly line: number;
  /** The fields, unquoted; empty when {@link CsvRecord.error} is set. */
  readonly fields: readonly string[];
  /** Why csv-parse could not read this record (e.g. a quote never closed); the reader decides what to do. */
  readonly error?: string;
}

/** Bytes read from a file at a time. */
const READ_CHUNK_BYTES = 256 * 1024;

const CSV_PARSE_OPTIONS: Options = {
  bom: true,
  // Callers check the field count themselves, so the error names the file's line and the expectation.
  relax_column_count: true,
  // A quote inside an unquoted field is an ordinary character (only a leading quote opens a field).
  relax_quotes: true,
  skip_empty_lines: true,
  // A record csv-parse rejects becomes a CsvRecord with `error`, in file order, instead of ending the stream.
  skip_records_with_error: true,
};

/**
 * csv-parse's stream parser, emitting the records of each input chunk as one array, each record
 * with its line number. The number is read from the parser's public `info.lines` as the record is
 * pushed: asking csv-parse for it per record (`info` or `on_record`) builds a context object for
 * every record and makes reading the shared spot histories about 1.7× slower. Batches spare the
 * consumer an await per record.
 */
class NumberedRecordParser extends Parser {
  #batch: CsvRecord[] = [];

  constructor() {
    const self: { parser?: NumberedRecordParser } = {};
    super({
      ...CSV_PARSE_OPTIONS,
      // One batch waiting is enough: it holds a whole chunk's records.
      readableHighWaterMark: 1,
      on_skip: (error: CsvError | undefined) => {
        const parser = self.parser as NumberedRecordParser;
        const line = typeof error?.lines === "number" ? error.lines : parser.info.lines;
        parser.#batch.push({ line, fields: [], error: error?.message ?? "unreadable CSV record" });
        return undefined;
      },
    } as Options);
    self.parser = this;
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (Array.isArray(chunk)) {
      // A line of only spaces is blank too (csv-parse only skips lines that are empty).
      if (chunk.length !== 1 || (chunk[0] as string).trim() !== "") {
        this.#batch.push({ line: this.info.lines, fields: chunk as string[] });
      }
      return true;
    }
    if (chunk === null) this.#pushBatch();
    return super.push(chunk, encoding);
  }

  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    super._transform(chunk, encoding, (error?: Error | null) => {
      this.#pushBatch();
      callback(error);
    });
  }

  override _flush(callback: TransformCallback): void {
    super._flush((error?: Error | null) => {
      this.#pushBatch();
      callback(error);
    });
  }

  #pushBatch(): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    super.push(batch);
  }
}

/**
 * Streams the records of a CSV file or stream (RFC 4180: commas, double quotes, `""` for a quote;
 * BOM and CRLF accepted), parsed by csv-parse, in file order, as one array per chunk read: the
 * whole input is never loaded, memory holds about one chunk of it (256 KiB from a file) and that
 * chunk's records, plus what the consumer keeps. Blank lines are skipped. A record csv-parse cannot
 * read comes with `error` and its line rather than being thrown, so a reader can skip it or fail
 * naming the line. Errors of the input itself (a missing file) reject the iteration. Stopping the
 * iteration early closes the input.
 */
export function streamCsvRecordBatches(input: string | Readable): AsyncIterable<readonly CsvRecord[]> {
  const source = typeof input === "string" ? createReadStream(input, { highWaterMark: READ_CHUNK_BYTES }) : input;
  const parser = new NumberedRecordParser();
  // pipeline, unlike pipe, hands a source error (e.g. ENOENT) to the parser, whose iterator then rejects.
  pipeline(source, parser, () => {});
  return parser;
}
