// Software from HTTP headers, as Zeek's policy/protocols/http/software.zeek (loaded by Zeek's default local.zeek):
// the client's User-Agent (HTTP::BROWSER), the server's Server (HTTP::SERVER), X-Powered-By and
// MicrosoftSharePointTeamServices (HTTP::APPSERVER), the server ones with the server's port. With the browserPlugins
// setting, also software-browser-plugins.zeek's Flash versions (HTTP::BROWSER_PLUGIN), reported when the request ends.

import type { ConnectionContext } from '../registry';
import { softwareFramework } from './software-framework';

/** Zeek's HTTP::ignored_user_agents default (/NO_DEFAULT/): user agents containing it are not reported. */
const IGNORED_USER_AGENTS = /NO_DEFAULT/;

/** The current request's user agent and Flash version (browser plugins), per connection. */
interface RequestSoftware {
  userAgent?: string;
  flashVersion?: string;
}

const requests = new WeakMap<ConnectionContext, RequestSoftware>();

/** One header (name upper-cased, as the HTTP parser hands it over). */
export function softwareFromHttpHeader(ctx: ConnectionContext, isOrig: boolean, name: string, value: string): void {
  const framework = softwareFramework(ctx.shared);
  if (isOrig) {
    if (framework.settings.browserPlugins) browserPluginHeader(ctx, name, value);
    if (name === 'USER-AGENT' && !IGNORED_USER_AGENTS.test(value)) {
      framework.found(ctx, { unparsedVersion: value, host: ctx.origAddr, softwareType: 'HTTP::BROWSER' });
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

function browserPluginHeader(ctx: ConnectionContext, name: string, value: string): void {
  let r = requests.get(ctx);
  if (name === 'USER-AGENT') {
    if (r === undefined) requests.set(ctx, (r = {}));
    r.userAgent = value;
  } else if (name === 'X-FLASH-VERSION' || (name === 'X-REQUESTED-WITH' && value.includes('Flash'))) {
    if (r === undefined) requests.set(ctx, (r = {}));
    // Flash does not send its name in X-Flash-Version: it is added to ease parsing.
    r.flashVersion = name === 'X-FLASH-VERSION' ? `Flash/${value}` : value;
  }
}

/** A message ended (the parser's messageDone): a request's Flash version is reported now, with AdobeAIR's prefix. */
export function softwareFromHttpMessageDone(ctx: ConnectionContext, isOrig: boolean): void {
  if (!isOrig) return;
  const r = requests.get(ctx);
  if (r === undefined) return;
  requests.delete(ctx);
  if (r.flashVersion === undefined || !softwareFramework(ctx.shared).settings.browserPlugins) return;
  const unparsed = r.userAgent !== undefined && r.userAgent.includes('AdobeAIR') ? `AdobeAIR-${r.flashVersion}` : r.flashVersion;
  softwareFramework(ctx.shared).found(ctx, { unparsedVersion: unparsed, host: ctx.origAddr, softwareType: 'HTTP::BROWSER_PLUGIN' });
}
