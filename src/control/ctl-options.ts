// broctl's (zeekctl's) configuration options: every name it knows, with its type and default, so a broctl.cfg /
// zeekctl.cfg is read unchanged. `used` says what nsm does with the option; the others are accepted and reported as
// ignored by `nsm check`. Names, types and defaults are zeekctl's (ZeekControl/options.py), except where noted.

export type OptionType = 'bool' | 'int' | 'string';

export interface OptionSpec {
  name: string;
  type: OptionType;
  /** bool defaults are 0/1 as broctl writes them; strings may hold `${Other}` references. */
  default: string | number;
  /** 'user': set in the config file; 'auto': derived by broctl (settable all the same); 'internal': broctl's own. */
  category: 'user' | 'auto' | 'internal';
  /** The Bro-era name (broctl.cfg of Bro 2.x), accepted as this option. */
  legacy?: string;
  /** What nsm does with it; absent: accepted and ignored. */
  used?: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'Debug', type: 'bool', default: 0, category: 'user' },
  { name: 'HaveNFS', type: 'bool', default: 0, category: 'user' },
  { name: 'ClusterBackend', type: 'string', default: 'ZeroMQ', category: 'user' },
  { name: 'SaveTraces', type: 'bool', default: 0, category: 'user' },
  { name: 'StopTimeout', type: 'int', default: 60, category: 'user', used: 'seconds stop waits before SIGKILL' },
  { name: 'CommTimeout', type: 'int', default: 10, category: 'user' },
  { name: 'ControlTopic', type: 'string', default: 'zeek/control', category: 'user' },
  { name: 'CommandTimeout', type: 'int', default: 60, category: 'user' },
  { name: 'ZeekPort', type: 'int', default: 27760, category: 'user', legacy: 'BroPort' },
  { name: 'MetricsAddress', type: 'string', default: '127.0.0.1', category: 'user' },
  { name: 'MetricsPort', type: 'int', default: 9991, category: 'user' },
  { name: 'LogRotationInterval', type: 'int', default: 3600, category: 'user', used: 'rotation interval of the sensor logs, seconds (0: no rotation)' },
  { name: 'LogDir', type: 'string', default: '${ZeekBase}/logs', category: 'user', used: 'archive directory of rotated logs' },
  { name: 'MakeArchiveName', type: 'string', default: '${ZeekBase}/share/zeekctl/scripts/make-archive-name', category: 'user' },
  { name: 'CompressLogs', type: 'bool', default: 1, category: 'user', used: 'gzip archived logs' },
  { name: 'CompressLogsInFlight', type: 'int', default: 0, category: 'user' },
  { name: 'CompressCmd', type: 'string', default: 'gzip', category: 'user' },
  { name: 'CompressExtension', type: 'string', default: 'gz', category: 'user' },
  { name: 'PrivateAddressSpaceIsLocal', type: 'bool', default: 1, category: 'user', used: 'networks.cfg plus the private address space count as local' },
  { name: 'SendMail', type: 'string', default: '/usr/sbin/sendmail', category: 'user', used: 'sendmail-compatible binary for mail (empty: no mail)' },
  { name: 'MailSubjectPrefix', type: 'string', default: '[Zeek]', category: 'user', used: 'subject prefix of every mail' },
  { name: 'MailReplyTo', type: 'string', default: '', category: 'user', used: 'Reply-To of every mail' },
  { name: 'MailTo', type: 'string', default: '<user>', category: 'user', used: 'recipient of the hourly summary and crash/disk mails' },
  { name: 'MailFrom', type: 'string', default: 'Zeek <zeek@localhost>', category: 'user', used: 'sender of every mail' },
  { name: 'MailAlarmsTo', type: 'string', default: '${MailTo}', category: 'user' },
  { name: 'MailAlarmsInterval', type: 'int', default: 86400, category: 'user' },
  { name: 'MailConnectionSummary', type: 'bool', default: 1, category: 'user', used: 'mail the connection summary each rotation interval' },
  { name: 'MailHostUpDown', type: 'bool', default: 1, category: 'user' },
  { name: 'MailArchiveLogFail', type: 'bool', default: 1, category: 'user' },
  { name: 'MailReceivingPackets', type: 'bool', default: 1, category: 'user' },
  { name: 'MinDiskSpace', type: 'int', default: 5, category: 'user', used: 'percent of free disk below which cron warns (0: never)' },
  { name: 'StatsLogEnable', type: 'bool', default: 1, category: 'user', used: 'cron writes stats.log' },
  { name: 'StatsLogExpireInterval', type: 'int', default: 0, category: 'user', used: 'days stats.log entries are kept (0: forever)' },
  { name: 'CrashExpireInterval', type: 'int', default: 0, category: 'user', used: 'days crash reports are kept (0: forever)' },
  { name: 'LogExpireInterval', type: 'string', default: '0', category: 'user', used: 'how long archives are kept (0: forever; N day|hr|min)' },
  { name: 'KeepLogs', type: 'string', default: '', category: 'user', used: 'archive name patterns never expired' },
  { name: 'ZeekArgs', type: 'string', default: '', category: 'user', legacy: 'BroArgs' },
  { name: 'MemLimit', type: 'string', default: 'unlimited', category: 'user' },
  { name: 'Env_Vars', type: 'string', default: '', category: 'user', used: 'environment of the sensor and agent processes' },
  { name: 'TimeFmt', type: 'string', default: '%d %b %H:%M:%S', category: 'user', used: 'strftime format of times ctl prints' },
  { name: 'Prefixes', type: 'string', default: 'local', category: 'user' },
  { name: 'SitePolicyScripts', type: 'string', default: 'local.zeek', category: 'user' },
  { name: 'StatusCmdShowAll', type: 'bool', default: 0, category: 'user' },
  { name: 'StopWait', type: 'bool', default: 0, category: 'user' },
  { name: 'CronCmd', type: 'string', default: '', category: 'user' },
  { name: 'PFRINGClusterID', type: 'int', default: 21, category: 'user' },
  { name: 'PFRINGClusterType', type: 'string', default: '4-tuple', category: 'user' },
  { name: 'PFRINGFirstAppInstance', type: 'int', default: 0, category: 'user' },
  { name: 'PcapSnaplen', type: 'int', default: 9216, category: 'auto', used: 'capture snap length' },
  { name: 'PcapBufsize', type: 'int', default: 128, category: 'auto', used: 'capture buffer, MB' },
  { name: 'TimeMachineHost', type: 'string', default: '', category: 'user' },
  { name: 'TimeMachinePort', type: 'string', default: '47757/tcp', category: 'user' },
  { name: 'UseWebSocket', type: 'bool', default: 1, category: 'user' },
  { name: 'WebSocketHost', type: 'string', default: '127.0.0.1', category: 'user' },
  { name: 'WebSocketPort', type: 'int', default: 27759, category: 'user' },
  { name: 'WebSocketUrl', type: 'string', default: '', category: 'user' },
  { name: 'WebSocketTimeout', type: 'int', default: 10, category: 'user' },
  { name: 'ZeekBase', type: 'string', default: '', category: 'auto', legacy: 'BroBase', used: 'the nsm home' },
  { name: 'Version', type: 'string', default: '', category: 'auto', used: 'nsm version' },
  { name: 'StandAlone', type: 'bool', default: 0, category: 'auto', used: 'one node only' },
  { name: 'OS', type: 'string', default: '', category: 'auto', used: 'operating system name' },
  { name: 'Time', type: 'string', default: '', category: 'auto' },
  { name: 'LogExpireMinutes', type: 'int', default: 0, category: 'auto', used: 'LogExpireInterval in minutes' },
  { name: 'BinDir', type: 'string', default: '${ZeekBase}/bin', category: 'auto' },
  { name: 'Zeek', type: 'string', default: '${BinDir}/zeek', category: 'auto', legacy: 'Bro' },
  { name: 'ScriptsDir', type: 'string', default: '${ZeekBase}/share/zeekctl/scripts', category: 'auto' },
  { name: 'PostProcDir', type: 'string', default: '${ZeekBase}/share/zeekctl/scripts/postprocessors', category: 'auto' },
  { name: 'HelperDir', type: 'string', default: '${ZeekBase}/share/zeekctl/scripts/helpers', category: 'auto' },
  { name: 'CfgDir', type: 'string', default: '${ZeekBase}/etc', category: 'auto', used: 'configuration directory' },
  { name: 'SpoolDir', type: 'string', default: '${ZeekBase}/spool', category: 'auto', used: 'run-time directory (current logs, state)' },
  { name: 'BrokerDBDir', type: 'string', default: '${ZeekBase}/spool/brokerstore', category: 'auto' },
  { name: 'FileExtractDir', type: 'string', default: '${SpoolDir}/extract_files', category: 'auto' },
  { name: 'PolicyDir', type: 'string', default: '${ZeekScriptDir}', category: 'auto' },
  { name: 'StaticDir', type: 'string', default: '${ZeekBase}/share/zeekctl', category: 'auto' },
  { name: 'LibDir', type: 'string', default: '', category: 'auto' },
  { name: 'LibDir64', type: 'string', default: '${ZeekBase}/lib64', category: 'auto' },
  { name: 'LibDirInternal', type: 'string', default: '', category: 'auto' },
  { name: 'TmpDir', type: 'string', default: '${SpoolDir}/tmp', category: 'auto', used: 'temporary files' },
  { name: 'TmpExecDir', type: 'string', default: '${SpoolDir}/tmp', category: 'auto' },
  { name: 'StatsDir', type: 'string', default: '${LogDir}/stats', category: 'auto', used: 'statistics directory' },
  { name: 'PluginDir', type: 'string', default: '${LibDirInternal}/zeekctl/plugins', category: 'auto' },
  { name: 'PluginZeekDir', type: 'string', default: '${LibDir}/zeek/plugins', category: 'auto', legacy: 'PluginBroDir' },
  { name: 'TraceSummary', type: 'string', default: '${bindir}/trace-summary', category: 'auto' },
  { name: 'CapstatsPath', type: 'string', default: '${bindir}/capstats', category: 'auto' },
  { name: 'NodeCfg', type: 'string', default: '${CfgDir}/node.cfg', category: 'auto', used: 'node configuration' },
  { name: 'LocalNetsCfg', type: 'string', default: '${CfgDir}/networks.cfg', category: 'auto', used: 'local networks' },
  { name: 'StateFile', type: 'string', default: '${SpoolDir}/state.db', category: 'auto' },
  { name: 'LockFile', type: 'string', default: '${SpoolDir}/lock', category: 'auto' },
  { name: 'DebugLog', type: 'string', default: '${SpoolDir}/debug.log', category: 'auto' },
  { name: 'StatsLog', type: 'string', default: '${SpoolDir}/stats.log', category: 'auto', used: 'statistics log' },
  { name: 'DefaultStoreDir', type: 'string', default: '${SpoolDir}/stores', category: 'auto' },
  { name: 'SitePolicyPath', type: 'string', default: '${PolicyDir}/site', category: 'user' },
  { name: 'SitePluginPath', type: 'string', default: '', category: 'user' },
  { name: 'PolicyDirSiteInstall', type: 'string', default: '${SpoolDir}/installed-scripts-do-not-touch/site', category: 'auto' },
  { name: 'PolicyDirSiteInstallAuto', type: 'string', default: '${SpoolDir}/installed-scripts-do-not-touch/auto', category: 'auto' },
  { name: 'ZeekCtlConfigDir', type: 'string', default: '${SpoolDir}', category: 'internal', legacy: 'BroCtlConfigDir' },
  { name: 'ClusterTopicSeparator', type: 'string', default: '', category: 'internal' },
];

/**
 * Options older broctl versions knew that zeekctl has since dropped: a Bro 2.x broctl.cfg may still set them.
 * Accepted, typed as strings, and ignored.
 */
export const HISTORICAL_OPTIONS: readonly string[] = [
  'SitePolicyManager', 'SitePolicyWorker', 'SitePolicyStandalone', 'IPv6Comm', 'CronEnabled',
];

/**
 * Options of broctl's bundled plugins, written `prefix.name` in broctl.cfg (lb_custom, zeek_port_warning,
 * cluster_backend_zeromq). Accepted and ignored; other dotted names are errors (no such plugin in nsm).
 */
export const PLUGIN_OPTIONS: readonly string[] = [
  'lb_custom.InterfacePrefix', 'lb_custom.InterfaceSuffix', 'zeek_port_warning.disable',
  'cluster_backend_zeromq.disable_unencrypted_warning', 'cluster_backend_zeromq.use_curve_encryption',
];

const BY_KEY = new Map<string, OptionSpec>();
for (const o of OPTIONS) {
  BY_KEY.set(o.name.toLowerCase(), o);
  if (o.legacy !== undefined) BY_KEY.set(o.legacy.toLowerCase(), o);
}

/** The option a (case-insensitive) key names, legacy Bro names included. */
export function optionForKey(key: string): OptionSpec | undefined {
  return BY_KEY.get(key.toLowerCase());
}

export function isHistoricalOption(key: string): boolean {
  return HISTORICAL_OPTIONS.some((n) => n.toLowerCase() === key.toLowerCase()) && optionForKey(key) === undefined;
}

export function isPluginOption(key: string): boolean {
  return PLUGIN_OPTIONS.some((n) => n.toLowerCase() === key.toLowerCase());
}
