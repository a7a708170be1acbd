// Software from HTTP headers, as Zeek's policy/protocols/http/software.zeek (loaded by Zeek's default local.zeek):
// the client's User-Agent (HTTP::BROWSER), the server's Server (HTTP::SERVER), X-Powered-By and
// MicrosoftSharePointTeamServices (HTTP::APPSERVER), the server ones with the server's port.

import type { ConnectionContext } from '../registry';
import { softwareFramework } from './software-framework';

/** Zeek's HTTP::ignored_user_agents default (/NO_DEFAULT/): user agents containing it are not reported. */
const IGNORED_USER_AGENTS = /NO_DEFAULT/;

/** One header (name upper-cased, as the HTTP parser hands it over). */
export function softwareFromHttpHeader(ctx: ConnectionContext, isOrig: boolean, name: string, value: string): void {
  if (isOrig) {
    if (name === 'USER-AGENT' && !IGNORED_USER_AGENTS.test(value)) {
      softwareFramework(ctx.shared).found(ctx, { unparsedVersion: value, host: ctx.origAddr, softwareType: 'HTTP::BROWSER' });
    }
    return;
  }
  let type: string | undefined;
  let unparsed = value;
  if (name === 'SERVER') type = 'HTTP::SERVER';
  else if (name === 'X-POWERED-BY') type = 'HTTP::APPSERVER';
  else if (name === 'MICROSOFTSHAREPOINTTEAMSERVICES') {
    type = 'HTTP::APPSERVER';
    unparsed = `SharePoint/${value}`;
  }
  if (type === undefined) return;
  softwareFramework(ctx.shared).found(ctx, { unparsedVersion: unparsed, host: ctx.respAddr, hostPort: ctx.respPort, softwareType: type });
}
