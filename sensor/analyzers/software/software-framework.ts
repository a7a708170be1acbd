// Zeek's software framework (base/frameworks/software/main.zeek) with the vulnerable-version check of
// policy/frameworks/software/vulnerable.zeek: protocol analyzers report software they see (Software::found); it is
// parsed, tracked per host, and logged to software.log when the host has not been logged with that software version
// in the last day; every logged software inside a vulnerable range raises Software::Vulnerable_Version.

import { LocalNetworks, parseIPv4, parseIPv6 } from '../../flows/local-networks';
import { noticeFramework, NoticeSink } from '../notice/notice-framework';
import type { ExpiringTable, SharedState } from '../shared-state';
import { SoftwareInfo, softwareLog } from './software-log';
import { cmpVersions, formatVersion, parseSoftwareVersion, SoftwareDescription, SoftwareVersion } from './software-version';
import { parseVulnerableSoftware, VulnerableSoftwareTable } from './vulnerable-software';

/** Zeek's Software::asset_tracking choices: which hosts' software is tracked. */
export type AssetTracking = 'LOCAL_HOSTS' | 'REMOTE_HOSTS' | 'ALL_HOSTS' | 'NO_HOSTS';

export interface SoftwareSettings {
  /** Default LOCAL_HOSTS, as Zeek (local: the run's local networks, see SharedState.localNets). */
  assetTracking: AssetTracking;
  /** Default: Java up to 1.7.0_10, as the shipped conf.d/vulnerable-software.cfg. */
  vulnerable: VulnerableSoftwareTable;
  /**
   * Zeek's policy/protocols/http/software-browser-plugins.zeek (not in Zeek's local.zeek: off by default): Flash
   * versions from X-Flash-Version / X-Requested-With as HTTP::BROWSER_PLUGIN.
   */
  browserPlugins: boolean;
  /**
   * Memory the framework's tables may hold (estimated from the strings they keep). Past it, the hosts tracked
   * longest are forgotten (their software may be logged again) and the caches stop growing. Zeek has no such bound.
   */
  memoryBudgetBytes: number;
}

/** Default memory budget: 32 MiB (about 100,000 hosts with a few software each). */
export const DEFAULT_SOFTWARE_MEMORY_BUDGET = 32 * 1024 * 1024;

/** Estimated bytes of bookkeeping per table entry besides its strings. */
const ENTRY_OVERHEAD = 200;

/** The shipped table's content, for runs that load no file (library use, tests). */
export const DEFAULT_VULNERABLE_SOFTWARE: VulnerableSoftwareTable = parseVulnerableSoftware('Java max=1.7.0.10', 'built-in');

/** Zeek's Software::found_cache_interval, tracked_software's &create_expire, max_software_cache_size, parse cache. */
const FOUND_CACHE_SECONDS = 600;
const TRACKED_SECONDS = 86400;
const MAX_VERSIONS_PER_SOFTWARE = 20;
const PARSE_CACHE_SECONDS = 65;

/** What Software::found is told: the unparsed string (parsed here), or a name and version already parsed. */
export interface SoftwareFound {
  host: string;
  hostPort?: number;
  softwareType: string;
  unparsedVersion?: string;
  name?: string;
  version?: SoftwareVersion;
  /** Log even when this version is already known for the host. */
  forceLog?: boolean;
}

/** Zeek's Software::Set: the versions logged for one software on one host, and the last one. */
interface VersionSet {
  versions: Set<string>;
  last: SoftwareInfo;
}

/** Zeek's SoftwareSets of one host, with the bytes its strings hold. */
interface TrackedHost {
  sets: Map<string, VersionSet>;
  bytes: number;
}

/** Bytes a JavaScript string of byte characters holds (one per char in V8's one-byte strings, two otherwise). */
function stringBytes(s: string): number {
  return s.length;
}

export class SoftwareFramework {
  settings: SoftwareSettings = {
    assetTracking: 'LOCAL_HOSTS', vulnerable: DEFAULT_VULNERABLE_SOFTWARE, browserPlugins: false,
    memoryBudgetBytes: DEFAULT_SOFTWARE_MEMORY_BUDGET,
  };
  private readonly foundCache: ExpiringTable<string, number>;
  private readonly parseCache: ExpiringTable<string, SoftwareDescription>;
  private readonly tracked: ExpiringTable<string, TrackedHost>;
  /** Estimated bytes held: the tracked hosts' sets, and the two caches (a quarter of the budget each at most). */
  trackedBytes = 0;
  cacheBytes = 0;
  /** Hosts forgotten early to stay within the budget. */
  evictedHosts = 0;
  private defaultLocal: LocalNetworks | undefined;

  constructor(private readonly shared: SharedState) {
    this.foundCache = shared.table('software.found_cache', FOUND_CACHE_SECONDS, (_k: string, bytes: number) => {
      this.cacheBytes -= bytes;
    });
    this.parseCache = shared.table('software.parse_cache', PARSE_CACHE_SECONDS, (k: string) => {
      this.cacheBytes -= stringBytes(k) * 2 + ENTRY_OVERHEAD;
    });
    this.tracked = shared.table('software.tracked_software', TRACKED_SECONDS, (_k: string, host: TrackedHost) => {
      this.trackedBytes -= host.bytes;
    });
  }

  /** Zeek's Software::found: true when the software was accepted for tracking (logged or already known). */
  found(sink: NoticeSink, f: SoftwareFound): boolean {
    if (f.forceLog !== true && !this.tracks(f.host)) return false;
    if (f.version === undefined && f.unparsedVersion === undefined) return false;
    if (f.version !== undefined && f.name === undefined) return false;
    const cacheKey = [f.host, f.hostPort ?? '', f.softwareType, f.name ?? '', f.unparsedVersion ?? '',
      f.version === undefined ? '' : formatVersion(f.version), f.forceLog === true ? 'F' : ''].join('\0');
    if (this.foundCache.has(cacheKey)) return true;
    const keyBytes = stringBytes(cacheKey) + ENTRY_OVERHEAD;
    if (this.cacheBytes + keyBytes <= this.settings.memoryBudgetBytes / 4) {
      this.foundCache.set(cacheKey, keyBytes);
      this.cacheBytes += keyBytes;
    }

    let name = f.name;
    let version = f.version;
    let unparsed = f.unparsedVersion;
    if (version === undefined) {
      const d = this.parse(unparsed as string);
      name = d.name;
      version = d.version;
      unparsed = d.unparsedVersion;
    }
    const info: SoftwareInfo = {
      tsMicros: sink.networkTimeMicros, host: f.host, hostPort: f.hostPort, softwareType: f.softwareType,
      name: name as string, version, unparsedVersion: unparsed as string,
    };
    this.register(sink, info, f.forceLog === true);
    return true;
  }

  private parse(unparsed: string): SoftwareDescription {
    let d = this.parseCache.get(unparsed);
    if (d === undefined) {
      d = parseSoftwareVersion(unparsed);
      const bytes = stringBytes(unparsed) * 2 + ENTRY_OVERHEAD;
      if (this.cacheBytes + bytes <= this.settings.memoryBudgetBytes / 4) {
        this.parseCache.set(unparsed, d);
        this.cacheBytes += bytes;
      }
    }
    return d;
  }

  /** Zeek's Software::register: log unless this host already has this version of this software. */
  private register(sink: NoticeSink, info: SoftwareInfo, forceLog: boolean): void {
    let host = this.tracked.get(info.host);
    if (host === undefined) {
      host = { sets: new Map(), bytes: stringBytes(info.host) + ENTRY_OVERHEAD };
      this.trackedBytes += host.bytes;
      // Set once: the entry expires a day after it was created (&create_expire), however often it is used.
      this.tracked.set(info.host, host);
    }
    const sets = host.sets;
    const key = info.unparsedVersion ?? formatVersion(info.version);
    const set = sets.get(info.name);
    if (set !== undefined && set.versions.has(key)) {
      if (!forceLog) return;
    } else {
      const added = stringBytes(key) + ENTRY_OVERHEAD + (set === undefined ? stringBytes(info.name) + ENTRY_OVERHEAD : 0);
      if (set === undefined) {
        sets.set(info.name, { versions: new Set([key]), last: info });
      } else {
        set.versions.add(key);
        set.last = info;
        if (set.versions.size > MAX_VERSIONS_PER_SOFTWARE) {
          let dropped = 0;
          for (const v of set.versions) if (v !== key) dropped += stringBytes(v) + ENTRY_OVERHEAD;
          set.versions = new Set([key]);
          host.bytes -= dropped;
          this.trackedBytes -= dropped;
        }
      }
      host.bytes += added;
      this.trackedBytes += added;
      this.enforceBudget(info.host);
    }
    sink.log(softwareLog, info);
    this.checkVulnerable(sink, info);
  }

  /** Forgets the hosts tracked longest until the tracked sets fit in half the budget (never `current`'s). */
  private enforceBudget(current: string): void {
    const limit = this.settings.memoryBudgetBytes / 2;
    let tries = this.tracked.size;
    while (this.trackedBytes > limit && tries-- > 0) {
      const oldest = this.tracked.shift();
      if (oldest === undefined) return;
      if (oldest[0] === current) {
        this.tracked.set(oldest[0], oldest[1]);
        continue;
      }
      this.trackedBytes -= oldest[1].bytes;
      this.evictedHosts++;
    }
  }

  /** vulnerable.zeek's log_software handler: a notice for each vulnerable range the logged version is in. */
  private checkVulnerable(sink: NoticeSink, info: SoftwareInfo): void {
    const ranges = this.settings.vulnerable.get(info.name);
    if (ranges === undefined) return;
    for (const range of ranges) {
      if (cmpVersions(info.version, range.max) <= 0 && (range.min === undefined || cmpVersions(info.version, range.min) >= 0)) {
        const described = `${info.name} ${formatVersion(info.version)}`;
        noticeFramework(this.shared).raise(sink, {
          note: 'Software::Vulnerable_Version',
          src: info.host,
          msg: `${info.host} is running ${described} which is vulnerable.`,
          sub: described,
        });
      }
    }
  }

  /** Zeek's addr_matches_host(host, asset_tracking). */
  private tracks(host: string): boolean {
    const mode = this.settings.assetTracking;
    if (mode === 'ALL_HOSTS') return true;
    if (mode === 'NO_HOSTS') return false;
    const local = this.isLocal(host);
    return mode === 'LOCAL_HOSTS' ? local : !local;
  }

  private isLocal(host: string): boolean {
    const nets = this.shared.localNets ?? (this.defaultLocal ??= LocalNetworks.zeekDefault());
    const v4 = parseIPv4(host);
    if (v4 !== undefined) return nets.isLocal(v4, 0, 4);
    const v6 = parseIPv6(host);
    return v6 !== undefined && nets.isLocal(v6, 0, 6);
  }
}

const frameworks = new WeakMap<SharedState, SoftwareFramework>();

/** The software framework of the run `shared` belongs to. */
export function softwareFramework(shared: SharedState): SoftwareFramework {
  let f = frameworks.get(shared);
  if (f === undefined) {
    f = new SoftwareFramework(shared);
    frameworks.set(shared, f);
  }
  return f;
}

/** Sets the run's software settings (`nsm sensor` loads the vulnerable table from conf.d/ or --vulnerable-software). */
export function configureSoftware(shared: SharedState, settings: Partial<SoftwareSettings>): void {
  const f = softwareFramework(shared);
  f.settings = {
    assetTracking: settings.assetTracking ?? f.settings.assetTracking,
    vulnerable: settings.vulnerable ?? f.settings.vulnerable,
    browserPlugins: settings.browserPlugins ?? f.settings.browserPlugins,
    memoryBudgetBytes: settings.memoryBudgetBytes ?? f.settings.memoryBudgetBytes,
  };
}
