import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { ClusterHealth, HealthSummary, Region } from "../gen/sentra/v1/estate_pb.js";

/**
 * Decodes a `HealthSummary` like `fromBinary(HealthSummarySchema, bytes)` does — the same message
 * shape (plain objects with `$typeName`), the same proto3 rules (last scalar wins, a repeated
 * sub-message merges, unknown fields skipped) — without the reflection: the coordinator decodes
 * every heartbeat of the estate, and the generic decoder cost 5–8× what this does. Throws on
 * malformed input as fromBinary does. Unknown fields are skipped rather than kept in `$unknown`
 * (the coordinator stores and relays the satellite's own bytes, never a re-encoding).
 * `health-summary-reader.test.ts` checks it against fromBinary on generated messages.
 */
export function readHealthSummary(bytes: Uint8Array): HealthSummary {
  const reader = new BinaryReader(bytes);
  const message: HealthSummary = {
    $typeName: "sentra.v1.HealthSummary",
    satelliteId: "",
    region: undefined,
    sequence: 0,
    sentAt: undefined,
    status: 0,
    clusters: [],
    heartbeatIntervalMs: 0,
    version: "",
    grpcEndpoint: "",
    startedAt: undefined,
    inventoryRevision: "",
  };
  const end = reader.len;
  while (reader.pos < end) {
    const [field, wireType] = reader.tag();
    switch (field) {
      case 1:
        expect(wireType, WireType.LengthDelimited);
        message.satelliteId = reader.string(true);
        break;
      case 2:
        expect(wireType, WireType.LengthDelimited);
        message.region = readRegion(reader, reader.uint32(), message.region);
        break;
      case 3:
        expect(wireType, WireType.Varint);
        message.sequence = reader.uint32();
        break;
      case 4:
        expect(wireType, WireType.LengthDelimited);
        message.sentAt = readTimestamp(reader, reader.uint32(), message.sentAt);
        break;
      case 5:
        expect(wireType, WireType.Varint);
        message.status = reader.int32();
        break;
      case 6:
        expect(wireType, WireType.LengthDelimited);
        message.clusters.push(readClusterHealth(reader, reader.uint32()));
        break;
      case 7:
        expect(wireType, WireType.Varint);
        message.heartbeatIntervalMs = reader.uint32();
        break;
      case 8:
        expect(wireType, WireType.LengthDelimited);
        message.version = reader.string(true);
        break;
      case 9:
        expect(wireType, WireType.LengthDelimited);
        message.grpcEndpoint = reader.string(true);
        break;
      case 10:
        expect(wireType, WireType.LengthDelimited);
        message.startedAt = readTimestamp(reader, reader.uint32(), message.startedAt);
        break;
      case 11:
        expect(wireType, WireType.LengthDelimited);
        message.inventoryRevision = reader.string(true);
        break;
      default:
        reader.skip(wireType, field);
    }
  }
  return message;
}

function readRegion(reader: BinaryReader, length: number, into: Region | undefined): Region {
  const region: Region = into ?? {
    $typeName: "sentra.v1.Region",
    cloud: "",
    name: "",
    displayName: "",
    city: "",
    latitude: 0,
    longitude: 0,
  };
  const end = limit(reader, length);
  while (reader.pos < end) {
    const [field, wireType] = reader.tag();
    switch (field) {
      case 1:
        expect(wireType, WireType.LengthDelimited);
        region.cloud = reader.string(true);
        break;
      case 2:
        expect(wireType, WireType.LengthDelimited);
        region.name = reader.string(true);
        break;
      case 3:
        expect(wireType, WireType.LengthDelimited);
        region.displayName = reader.string(true);
        break;
      case 4:
        expect(wireType, WireType.LengthDelimited);
        region.city = reader.string(true);
        break;
      case 5:
        expect(wireType, WireType.Bit64);
        region.latitude = reader.double();
        break;
      case 6:
        expect(wireType, WireType.Bit64);
        region.longitude = reader.double();
        break;
      default:
        reader.skip(wireType, field);
    }
  }
  finish(reader, end);
  return region;
}

function readClusterHealth(reader: BinaryReader, length: number): ClusterHealth {
  const cluster: ClusterHealth = {
    $typeName: "sentra.v1.ClusterHealth",
    cluster: "",
    reachable: false,
    workloads: 0,
    desiredReplicas: 0,
    readyReplicas: 0,
    error: "",
  };
  const end = limit(reader, length);
  while (reader.pos < end) {
    const [field, wireType] = reader.tag();
    switch (field) {
      case 1:
        expect(wireType, WireType.LengthDelimited);
        cluster.cluster = reader.string(true);
        break;
      case 2:
        expect(wireType, WireType.Varint);
        cluster.reachable = reader.bool();
        break;
      case 3:
        expect(wireType, WireType.Varint);
        cluster.workloads = reader.uint32();
        break;
      case 4:
        expect(wireType, WireType.Varint);
        cluster.desiredReplicas = reader.uint32();
        break;
      case 5:
        expect(wireType, WireType.Varint);
        cluster.readyReplicas = reader.uint32();
        break;
      case 6:
        expect(wireType, WireType.LengthDelimited);
        cluster.error = reader.string(true);
        break;
      default:
        reader.skip(wireType, field);
    }
  }
  finish(reader, end);
  return cluster;
}

function readTimestamp(reader: BinaryReader, length: number, into: Timestamp | undefined): Timestamp {
  const timestamp: Timestamp = into ?? { $typeName: "google.protobuf.Timestamp", seconds: 0n, nanos: 0 };
  const end = limit(reader, length);
  while (reader.pos < end) {
    const [field, wireType] = reader.tag();
    switch (field) {
      case 1:
        expect(wireType, WireType.Varint);
        timestamp.seconds = BigInt(reader.int64());
        break;
      case 2:
        expect(wireType, WireType.Varint);
        timestamp.nanos = reader.int32();
        break;
      default:
        reader.skip(wireType, field);
    }
  }
  finish(reader, end);
  return timestamp;
}

/** The end of a length-delimited sub-message, which must lie inside the buffer. */
function limit(reader: BinaryReader, length: number): number {
  const end = reader.pos + length;
  if (end > reader.len) throw new Error("premature EOF");
  return end;
}

/** A sub-message's last field must end exactly at its declared length. */
function finish(reader: BinaryReader, end: number): void {
  if (reader.pos !== end) throw new Error("invalid sub-message length");
}

function expect(actual: WireType, wanted: WireType): void {
  if (actual !== wanted) throw new Error(`invalid wire type ${actual}, expected ${wanted}`);
}
