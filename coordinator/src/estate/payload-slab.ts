/** @default 65536 — one slab; a payload above an eighth of it gets its own buffer. */
const SLAB_BYTES = 65_536;

/**
 * Copies small message payloads out of the NATS client's read buffer into shared slabs. A payload
 * the ingest keeps until its batch is applied must not stay a view of the socket chunk (it would
 * keep the whole chunk alive), but a `slice()` per message allocates an ArrayBuffer per message —
 * a backing store and a GC-tracked extension each, at 100,000 messages a second. A slab is one
 * allocation per few hundred heartbeats; it is freed once every payload copied into it is gone,
 * which for ingest is when their batch has been applied (milliseconds).
 */
export class PayloadSlab {
  private slab = new Uint8Array(SLAB_BYTES);
  private offset = 0;

  copy(bytes: Uint8Array): Uint8Array {
    const length = bytes.byteLength;
    if (length > SLAB_BYTES / 8) return bytes.slice();
    if (this.offset + length > SLAB_BYTES) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.offset = 0;
    }
    const start = this.offset;
    this.slab.set(bytes, start);
    this.offset = start + length;
    return this.slab.subarray(start, start + length);
  }
}
