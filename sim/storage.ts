// Storage below the tiers (DESIGN.md "Page types"): the device that page-cache misses, swap-ins and
// write-backs go to. One queue: a request starts when the device is free, takes bytes / bandwidth on
// it, and completes after the device's access latency on top; reads stall the faulting CPU until
// completion, write-back (reclaim of a dirty page) occupies the device but stalls no one.
//
// - Off by default (`storage.device` = none): swap-ins cost the flat cost.swapInNs as before and a
//   page-cache miss costs what any first touch costs.
// - nvme: a PCIe NVMe SSD. Read latency 80 µs [estimate: 4 KiB random read at queue depth 1 on TLC
//   NAND drives is ≈ 60–100 µs; Optane-class drives ≈ 10 µs; range 10–100], read bandwidth 3.5 GB/s
//   [secondary: PCIe 3.0 x4 drives' sequential read rating ≈ 3.5 GB/s; range 1–7 for Gen3–Gen4],
//   write latency 20 µs [estimate: writes land in the drive's DRAM/SLC cache; range 10–100], write
//   bandwidth 2 GB/s [estimate; range 0.5–5]. A major fault also pays the fault's fixed cost
//   (cost.firstTouchFaultNs, no zeroing).

import type { Config, Schema } from './config.ts';
import { MAX_EVENT_NS, MAX_GBPS } from './config.ts';

export const STORAGE_SCHEMA: Schema = {
  'storage.device': { default: 'none', type: 'string', choices: ['none', 'nvme'], doc: 'Storage below the tiers: none (swap-in costs cost.swapInNs, page-cache misses cost a first touch) or nvme (page-cache misses and swap-ins read from a device with the latency and bandwidth below; write-back of dirty pages occupies it).' },
  'storage.readLatencyUs': { default: 80, type: 'number', min: 0, max: MAX_EVENT_NS / 1e3, doc: 'Device latency of a 4 KiB read, in µs (TLC NVMe at queue depth 1 ≈ 60–100, Optane ≈ 10). [estimate, 10–100]' },
  'storage.readGBps': { default: 3.5, type: 'number', min: 1e-3, max: MAX_GBPS, doc: 'Device read bandwidth, in GB/s (PCIe 3.0 x4 NVMe rating ≈ 3.5). [secondary, 1–7]' },
  'storage.writeLatencyUs': { default: 20, type: 'number', min: 0, max: MAX_EVENT_NS / 1e3, doc: 'Device latency of a 4 KiB write, in µs (into the drive cache). [estimate, 10–100]' },
  'storage.writeGBps': { default: 2, type: 'number', min: 1e-3, max: MAX_GBPS, doc: 'Device write bandwidth, in GB/s. [estimate, 0.5–5]' },
};

/** Counters of the device (not part of the summary columns, so runs without storage are unchanged). */
export const ST_READS = 0;
export const ST_READ_BYTES = 1;
export const ST_READ_WAIT_NS = 2;
export const ST_WRITES = 3;
export const ST_WRITE_BYTES = 4;
export const ST_PAGE_CACHE_MISSES = 5;
export const ST_NAMES = ['reads', 'readBytes', 'readWaitNs', 'writes', 'writeBytes', 'pageCacheMisses'] as const;

export class Storage {
  readonly on: boolean;
  private readonly readLatencyNs: number;
  private readonly writeLatencyNs: number;
  /** Bytes per ns. */
  private readonly readBytesPerNs: number;
  private readonly writeBytesPerNs: number;
  /** Fixed software cost of a major fault (the minor fault's, without zeroing). */
  readonly majorFaultNs: number;
  /** Time the device finishes the requests queued so far. */
  private busyUntilNs = 0;
  readonly stats = new Float64Array(ST_NAMES.length);

  constructor(config: Config) {
    const get = (k: string): number => {
      const v = config[k];
      return typeof v === 'number' ? v : (STORAGE_SCHEMA[k].default as number);
    };
    this.on = config['storage.device'] === 'nvme';
    this.readLatencyNs = get('storage.readLatencyUs') * 1e3;
    this.writeLatencyNs = get('storage.writeLatencyUs') * 1e3;
    this.readBytesPerNs = get('storage.readGBps');
    this.writeBytesPerNs = get('storage.writeGBps');
    const ft = config['cost.firstTouchFaultNs'];
    this.majorFaultNs = typeof ft === 'number' ? ft : 1000;
  }

  /** A synchronous read of `bytes` issued at `nowNs`: returns the wait until it completes. */
  read(nowNs: number, bytes: number): number {
    const start = this.busyUntilNs > nowNs ? this.busyUntilNs : nowNs;
    this.busyUntilNs = start + bytes / this.readBytesPerNs;
    const wait = this.busyUntilNs - nowNs + this.readLatencyNs;
    this.stats[ST_READS]++;
    this.stats[ST_READ_BYTES] += bytes;
    this.stats[ST_READ_WAIT_NS] += wait;
    return wait;
  }

  /** An asynchronous write-back of `bytes` at `nowNs`: occupies the device; returns its completion time. */
  write(nowNs: number, bytes: number): number {
    const start = this.busyUntilNs > nowNs ? this.busyUntilNs : nowNs;
    this.busyUntilNs = start + bytes / this.writeBytesPerNs;
    this.stats[ST_WRITES]++;
    this.stats[ST_WRITE_BYTES] += bytes;
    return this.busyUntilNs + this.writeLatencyNs;
  }
}
