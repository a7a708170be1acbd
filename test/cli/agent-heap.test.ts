// The heap flags a foreground agent gives itself at run time: only those the user did not set, on node's command
// line or in NODE_OPTIONS; a daemon (started with a semi-space size and an old-generation limit) gets none.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import { AGENT_RUNTIME_HEAP_GROWING, AGENT_RUNTIME_SEMI_SPACE_GROWTH, applyAgentRuntimeHeapFlags } from '../../src/cli/agent-heap';
import { agentOldSpaceMb, daemonNodeOptions } from '../../src/cli/agent-command';

describe('agent runtime heap flags', () => {
  it('sets both when nothing is given, none for the daemon, and keeps what the user gave', () => {
    const set: string[] = [];
    const record = (f: string): void => { set.push(f); };
    expect(applyAgentRuntimeHeapFlags([], '', record)).to.deep.equal([AGENT_RUNTIME_SEMI_SPACE_GROWTH, AGENT_RUNTIME_HEAP_GROWING]);
    expect(set).to.deep.equal([AGENT_RUNTIME_SEMI_SPACE_GROWTH, AGENT_RUNTIME_HEAP_GROWING]);
    expect(applyAgentRuntimeHeapFlags(daemonNodeOptions(3, []), '', record)).to.deep.equal([]);
    expect(applyAgentRuntimeHeapFlags([], '--max-semi-space-size=8', record)).to.deep.equal([AGENT_RUNTIME_HEAP_GROWING]);
    expect(applyAgentRuntimeHeapFlags(['--heap_growing_percent=70'], '', record)).to.deep.equal([AGENT_RUNTIME_SEMI_SPACE_GROWTH]);
    expect(daemonNodeOptions(100, ['--max-old-space-size=200'])).to.deep.equal(['--max-semi-space-size=2']);
    expect(agentOldSpaceMb(100)).to.equal(73);
  });

  it('V8 takes the growth factor at run time: the young generation stays at its initial size under allocation', function () {
    this.timeout(30_000);
    // In a child, so this process's heap is left alone.
    const script = `require('v8').setFlagsFromString(${JSON.stringify(AGENT_RUNTIME_SEMI_SPACE_GROWTH)});
      let keep = []; for (let i = 0; i < 1e6; i++) { keep.push(Buffer.allocUnsafe(200)); if (keep.length > 20000) keep = []; }
      const ns = require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      process.stdout.write(String(ns.space_size));`;
    const withFlag = Number(spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout);
    const without = Number(spawnSync(process.execPath, ['-e', script.replace(/^require[^;]*;/, '')], { encoding: 'utf8' }).stdout);
    expect(withFlag).to.be.greaterThan(0);
    expect(withFlag, 'new space with the flag').to.be.at.most(2 * 1024 * 1024);
    expect(without, 'new space with V8 defaults').to.be.greaterThan(4 * withFlag);
  });
});
