// software.log: one row each time a host is seen running a software version not logged for it yet (Zeek's
// Software::Info, base/frameworks/software/main.zeek, at the Zeek commit of test/fixtures/zeek-cases).

import { columnsOf, defineLog } from '../../logs/log-schema';
import type { SoftwareVersion } from './software-version';

/** One software.log row. */
export interface SoftwareInfo {
  tsMicros: number;
  host: string;
  /** Only for server software. */
  hostPort?: number;
  /** Zeek's Software::Type, e.g. `HTTP::BROWSER`. */
  softwareType: string;
  name: string;
  version: SoftwareVersion;
  unparsedVersion: string;
}

const column = columnsOf<SoftwareInfo>();

export const softwareLog = defineLog<SoftwareInfo>({
  path: 'software',
  doc: 'Software (browsers, servers) seen on hosts, with versions as Zeek parses them; once per host and version a day.',
  columns: [
    column('ts', 'time', 'When the software was seen.', (r) => r.tsMicros),
    column('host', 'addr', 'The host running the software.', (r) => r.host),
    column('host_p', 'port', 'The port it serves on (server software only).', (r) => r.hostPort),
    column('software_type', 'enum', 'What kind of software (HTTP::BROWSER, HTTP::SERVER, HTTP::APPSERVER).', (r) => r.softwareType),
    column('name', 'string', 'Software name.', (r) => r.name),
    column('version.major', 'count', 'Major version.', (r) => r.version.major),
    column('version.minor', 'count', 'Minor version.', (r) => r.version.minor),
    column('version.minor2', 'count', 'Minor subversion.', (r) => r.version.minor2),
    column('version.minor3', 'count', 'Minor update number.', (r) => r.version.minor3),
    column('version.addl', 'string', 'Additional version text (e.g. "beta42").', (r) => r.version.addl),
    column('unparsed_version', 'string', 'The string the version was parsed from.', (r) => r.unparsedVersion),
  ],
  profiles: {
    // ELSA's bro_software rule (test/fixtures/elsa/PATTERNS.md) reads Bro 2.1's layout, which had no minor3, and its
    // last slot (s2, the product) takes the rest of the line: any column after unparsed_version would land in it, so
    // this profile writes Bro 2.1's ten columns and leaves minor3 out (unparsed_version still carries it).
    elsa: [
      'ts', 'host', 'host_p', 'software_type', 'name', 'version.major', 'version.minor', 'version.minor2', 'version.addl',
      'unparsed_version',
    ],
  },
});
