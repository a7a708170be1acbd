// The state file name nsm uses for a monitored file when the config names none.
// Format (the one rsyslog 8 used before it switched to inode-based names): `imfile-state:` followed by the
// monitored path with every `/` replaced by `-`, e.g. /var/log/a.log -> `imfile-state:-var-log-a.log`,
// relative to the work directory. Stable across restarts because it depends on the configured path only.

export function defaultStateFileName(monitoredPath: string): string {
  return `imfile-state:${monitoredPath.replace(/\//g, '-')}`;
}
