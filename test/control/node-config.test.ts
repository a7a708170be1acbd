// node.cfg: broctl's node keys and consistency rules, each error's file:line text, lb_procs expansion as broctl
// names the processes, the `nodes` line, and the host checks with a fake resolver.
import { expect } from 'chai';
import { DiagnosticList, formatDiagnostic } from '../../agent/config/diagnostic-list';
import { describeNode, readNodeConfig } from '../../src/control/node-config';
import { checkNodeHosts } from '../../src/control/node-hosts';

function read(text: string) {
  const diags = new DiagnosticList();
  const config = readNodeConfig(text, 'etc/node.cfg', diags);
  return { config, lines: diags.items.map(formatDiagnostic) };
}

function errorsOf(text: string): string[] {
  return read(text).lines.filter((l) => l.includes(': error: '));
}

const CLUSTER = '[manager]\ntype=manager\nhost=localhost\n\n[proxy-1]\ntype=proxy\nhost=localhost\n\n';

describe('node.cfg', () => {
  it("reads zeekctl's standalone example unchanged", () => {
    const { config, lines } = read('# Example\n[zeek]\ntype=standalone\nhost=localhost\ninterface=eth0\n\n#[logger-1]\n#type=logger\n');
    expect(lines).to.deep.equal([]);
    expect(config.nodes.map((n) => [n.name, n.settings.get('type'), n.settings.get('interface'), n.count])).to.deep.equal([['zeek', 'standalone', 'eth0', 1]]);
  });

  it('reads a cluster, lists nodes in broctl order (logger, manager, proxy, worker) with counts per type', () => {
    const { config, lines } = read(`[w2]\ntype=worker\nhost=localhost\ninterface=eth1\n${CLUSTER}[w1]\ntype=worker\nhost=localhost\ninterface=eth0\n[log]\ntype=logger\nhost=localhost\n`);
    expect(lines).to.deep.equal([]);
    expect(config.nodes.map((n) => `${n.name}:${n.count}`)).to.deep.equal(['log:1', 'manager:1', 'proxy-1:1', 'w2:1', 'w1:2']);
  });

  it('expands lb_procs into NAME-1..N with pinned CPUs round-robin, and lb_interfaces from the end as broctl does', () => {
    const { config, lines } = read(`${CLUSTER}[worker-1]\ntype=worker\nhost=localhost\nlb_method=interfaces\nlb_procs=3\nlb_interfaces=eth0, eth1,eth2\npin_cpus=2,3\n`);
    expect(lines).to.deep.equal([]);
    expect(config.nodes.filter((n) => n.settings.get('type') === 'worker').map((n) => [n.name, n.settings.get('interface'), n.settings.get('pin_cpus')]))
      .to.deep.equal([['worker-1-1', 'eth2', '2'], ['worker-1-2', 'eth1', '3'], ['worker-1-3', 'eth0', '2']]);
  });

  it('accepts the af_packet keys (with _ or .) and the other broctl keys, one "ignored" warning each', () => {
    const { config, lines } = read(`${CLUSTER}[worker-1]\ntype=worker\nhost=localhost\ninterface=eth0\nlb_method=af_packet\nlb_procs=2\naf_packet.fanout_id=23\naf_packet_buffer_size=128*1024*1024\naux_scripts=x.zeek\n`);
    expect(lines).to.deep.equal([
      "etc/node.cfg:15: warning: af_packet_fanout_id: broctl node option nsm does not use: ignored (node 'worker-1')",
      "etc/node.cfg:16: warning: af_packet_buffer_size: broctl node option nsm does not use: ignored (node 'worker-1')",
      "etc/node.cfg:17: warning: aux_scripts: broctl node option nsm does not use: ignored (node 'worker-1')",
    ]);
    expect(config.nodes.map((n) => n.name)).to.deep.equal(['manager', 'proxy-1', 'worker-1-1', 'worker-1-2']);
  });

  it('parses env_vars as broctl does and prints them sorted in the nodes line', () => {
    const { config } = read('[n]\ntype=standalone\nhost=localhost\ninterface=eth0\nenv_vars=B=2, A = one;value\n');
    const line = describeNode(config.nodes[0]);
    expect(line.startsWith('               n - addr= af_packet_block_size= ')).to.equal(true);
    expect(line).to.contain(' env_vars=A=one;value,B=2 ');
    expect(line).to.contain(' count=1 ');
    expect(line.endsWith(' type=standalone zeekbase= zone_id=')).to.equal(true);
  });

  const bad: Array<[string, string, string[]]> = [
    ['no nodes', '# nothing\n', ['etc/node.cfg: error: no nodes found in node config']],
    ['unknown key', '[n]\ntype=standalone\nhost=localhost\ninterface=eth0\nintrface=eth1\n', ["etc/node.cfg:5: error: unrecognized node config option 'intrface' given for node 'n'"]],
    ['no type', '[n]\nhost=localhost\n', ['etc/node.cfg:1: error: no type given for node n']],
    ['bad type', '[n]\ntype=sensor\nhost=localhost\n', ["etc/node.cfg:2: error: unknown node type 'sensor' given for node 'n' (standalone, manager, proxy, worker or logger)"]],
    ['no host', '[n]\ntype=standalone\ninterface=eth0\n', ["etc/node.cfg:1: error: no host given for node 'n'"]],
    ['worker without interface', `${CLUSTER}[w]\ntype=worker\nhost=localhost\n`, ["etc/node.cfg:9: error: no interface given for worker node 'w' (the sensor captures on it)"]],
    ['lb_procs not an integer', `${CLUSTER}[w]\ntype=worker\nhost=localhost\ninterface=eth0\nlb_method=custom\nlb_procs=two\n`, ["etc/node.cfg:14: error: number of load-balanced processes must be an integer for node 'w': two"]],
    ['lb_procs zero', `${CLUSTER}[w]\ntype=worker\nhost=localhost\ninterface=eth0\nlb_method=custom\nlb_procs=0\n`, ["etc/node.cfg:14: error: number of load-balanced processes must be greater than zero for node 'w': 0"]],
    ['lb_procs on a proxy', '[manager]\ntype=manager\nhost=localhost\n[p]\ntype=proxy\nhost=localhost\nlb_procs=2\n', ["etc/node.cfg:7: error: node 'p' config: load balancing node config options are only for worker nodes"]],
    ['lb_method without lb_procs', `${CLUSTER}[w]\ntype=worker\nhost=localhost\ninterface=eth0\nlb_method=pf_ring\n`, ["etc/node.cfg:13: error: number of load-balanced processes not specified for node 'w' (lb_method needs lb_procs)"]],
    ['lb_procs without lb_method', `${CLUSTER}[w]\ntype=worker\nhost=localhost\ninterface=eth0\nlb_procs=2\n`, ["etc/node.cfg:13: error: no load balancing method given for node 'w' (lb_method: af_packet, pf_ring, myricom, custom, interfaces)"]],
    ['unknown lb_method', `${CLUSTER}[w]\ntype=worker\nhost=localhost\ninterface=eth0\nlb_method=rss\nlb_procs=2\n`, ["etc/node.cfg:13: error: unknown load balancing method 'rss' given for node 'w' (af_packet, pf_ring, myricom, custom, interfaces)"]],
    ['interfaces without lb_interfaces', `${CLUSTER}[w]\ntype=worker\nhost=localhost\nlb_method=interfaces\nlb_procs=2\n`, [
      "etc/node.cfg:12: error: list of load-balanced interfaces not specified for node 'w' (lb_method=interfaces needs lb_interfaces)",
      "etc/node.cfg:9: error: no interface given for worker node 'w' (the sensor captures on it)",
    ]],
    ['lb_interfaces count', `${CLUSTER}[w]\ntype=worker\nhost=localhost\nlb_method=interfaces\nlb_procs=2\nlb_interfaces=eth0\n`, ["etc/node.cfg:14: error: number of load-balanced interfaces (1) is not same as number of load-balanced processes (2) for node 'w'"]],
    ['pin_cpus not integers', '[n]\ntype=standalone\nhost=localhost\ninterface=eth0\npin_cpus=1,x,-2\n', ["etc/node.cfg:5: error: pin cpus list must contain only non-negative integers for node 'n': 1,x,-2"]],
    ['env_vars without =', '[n]\ntype=standalone\nhost=localhost\ninterface=eth0\nenv_vars=A=1,B\n', ["etc/node.cfg:5: error: node 'n' config: missing '=' in env_vars option value: B"]],
    ['standalone with others', '[n]\ntype=standalone\nhost=localhost\ninterface=eth0\n[m]\ntype=manager\nhost=localhost\n', ["etc/node.cfg:2: error: more than one node defined in standalone node config (node 'n' is standalone: it must be the only node)"]],
    ['two managers', `${CLUSTER}[m2]\ntype=manager\nhost=localhost\n`, ["etc/node.cfg:10: error: only one manager can be defined in node config (also 'manager')"]],
    ['no manager', '[p]\ntype=proxy\nhost=localhost\n[w]\ntype=worker\nhost=localhost\ninterface=eth0\n', ['etc/node.cfg: error: no manager defined in node config']],
    ['no proxy', '[m]\ntype=manager\nhost=localhost\n[w]\ntype=worker\nhost=localhost\ninterface=eth0\n', ['etc/node.cfg: error: no proxy defined in node config']],
    ['duplicate names (case-insensitive, after expansion)', `${CLUSTER}[w]\ntype=worker\nhost=localhost\ninterface=eth0\nlb_method=custom\nlb_procs=2\n[W-2]\ntype=worker\nhost=localhost\ninterface=eth1\n`, ['etc/node.cfg:15: error: node name "W-2" is a duplicate of "w-2" (line 9)']],
  ];
  for (const [what, text, expected] of bad) {
    it(`error: ${what}`, () => {
      expect(errorsOf(text)).to.deep.equal(expected);
    });
  }

  describe('hosts (broctl resolves them; the manager or standalone node must be this machine)', () => {
    const lookup = async (host: string): Promise<string[]> => {
      const table: Record<string, string[]> = { localhost: ['::1', '127.0.0.1'], sensor2: ['10.1.2.3'], here: ['192.0.2.7'] };
      if (table[host]) return table[host];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    const local = ['127.0.0.1', '::1', '192.0.2.7'];
    async function hostLines(text: string): Promise<{ lines: string[]; addrs: string[] }> {
      const diags = new DiagnosticList();
      const config = readNodeConfig(text, 'etc/node.cfg', diags);
      await checkNodeHosts(config, diags, lookup, local);
      return { lines: diags.items.map(formatDiagnostic), addrs: config.nodes.map((n) => n.addr ?? '') };
    }

    it('takes the first IPv4 address, as broctl', async () => {
      const r = await hostLines('[n]\ntype=standalone\nhost=localhost\ninterface=eth0\n');
      expect(r).to.deep.equal({ lines: [], addrs: ['127.0.0.1'] });
    });

    it('reports a host that does not resolve, at its line', async () => {
      const r = await hostLines('[n]\ntype=standalone\nhost=nowhere.invalid\ninterface=eth0\n');
      expect(r.lines).to.deep.equal(["etc/node.cfg:3: error: hostname lookup failed for 'nowhere.invalid' in node config [ENOTFOUND]"]);
    });

    it('refuses a standalone node on another machine', async () => {
      const r = await hostLines('[n]\ntype=standalone\nhost=sensor2\ninterface=eth0\n');
      expect(r.lines).to.deep.equal(['etc/node.cfg:3: error: must run nsm on same machine as the standalone node. The standalone node has IP address 10.1.2.3 and this machine has IP addresses: 127.0.0.1, ::1, 192.0.2.7']);
    });

    it('with the manager on localhost, every node must be on localhost', async () => {
      const r = await hostLines(`${CLUSTER}[w]\ntype=worker\nhost=here\ninterface=eth0\n`);
      expect(r.lines).to.deep.equal(["etc/node.cfg:11: error: all nodes must use localhost/127.0.0.1/::1 when manager uses it (node 'w' is on 192.0.2.7)"]);
    });

    it('warns that a worker on another machine is not supported yet', async () => {
      const r = await hostLines('[manager]\ntype=manager\nhost=here\n[p]\ntype=proxy\nhost=here\n[w]\ntype=worker\nhost=sensor2\ninterface=eth0\n');
      expect(r.lines).to.deep.equal(["etc/node.cfg:9: warning: node 'w' is on sensor2 (10.1.2.3), not this machine: nsm runs every node here (remote nodes: not yet, issue 15)"]);
    });
  });
});
