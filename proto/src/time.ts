import { type Timestamp, timestampDate, timestampFromDate, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";

export { type Timestamp, timestampDate, timestampFromDate, timestampFromMs, timestampMs };

/** Milliseconds since the epoch of an optional timestamp; 0 when unset. */
export function msOf(timestamp: Timestamp | undefined): number {
  return timestamp ? timestampMs(timestamp) : 0;
}
