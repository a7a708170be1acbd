// The nsm home (broctl's install prefix): `--home DIR`, else $NSM_HOME, else /usr/local/nsm; and where its
// configuration files are. The control file is etc/nsmctl.cfg, or when that is absent a broctl.cfg or
// zeekctl.cfg copied there unchanged. The agent's rsyslog configs are etc/rsyslog.d/*.conf.

import * as fs from 'fs';
import * as path from 'path';

export const DEFAULT_NSM_HOME = '/usr/local/nsm';

/** Control file names in the order they are looked for: the first that exists is read. */
export const CTL_CONFIG_NAMES = ['nsmctl.cfg', 'broctl.cfg', 'zeekctl.cfg'] as const;

export interface HomePaths {
  home: string;
  etc: string;
  nodeCfg: string;
  networksCfg: string;
  /** The control file that exists, if any. */
  ctlCfg?: string;
  /** Control files that exist but are not read because an earlier name exists too. */
  shadowedCtlCfgs: string[];
  rsyslogDir: string;
}

export function resolveHome(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = option !== undefined && option !== '' ? option : env.NSM_HOME !== undefined && env.NSM_HOME !== '' ? env.NSM_HOME : DEFAULT_NSM_HOME;
  return path.resolve(chosen);
}

export function homePaths(home: string): HomePaths {
  const etc = path.join(home, 'etc');
  const existing = CTL_CONFIG_NAMES.map((n) => path.join(etc, n)).filter((p) => fs.existsSync(p));
  return {
    home,
    etc,
    nodeCfg: path.join(etc, 'node.cfg'),
    networksCfg: path.join(etc, 'networks.cfg'),
    ctlCfg: existing[0],
    shadowedCtlCfgs: existing.slice(1),
    rsyslogDir: path.join(etc, 'rsyslog.d'),
  };
}
