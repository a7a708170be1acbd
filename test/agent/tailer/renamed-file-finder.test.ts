// Which names count as rotated generations of a log: the only files the restart search may ship besides the path.

import { expect } from 'chai';
import { isGenerationName } from '../../../agent/tailer/renamed-file-finder';

describe('isGenerationName', () => {
  const generations = ['conn.log.1', 'conn.log.12', 'conn.log-20240101', 'conn.log.1.gz', 'conn.2024-01-01-00-00-00.log', 'conn.00:00:00-01:00:00.log'];
  const others = ['conn.log', 'conn.state', 'conn.pid', 'dns.log', 'dns.log.1', 'connections.log', 'conn-x.log', 'conn.log'.toUpperCase()];
  for (const name of generations) {
    it(`${name} is a generation of conn.log`, () => expect(isGenerationName(name, 'conn.log')).to.equal(true));
  }
  for (const name of others) {
    it(`${name} is not a generation of conn.log`, () => expect(isGenerationName(name, 'conn.log')).to.equal(false));
  }
  it('a name without an extension only has generations that start with the whole name', () => {
    expect(isGenerationName('messages.1', 'messages')).to.equal(true);
    expect(isGenerationName('messages-20240101', 'messages')).to.equal(true);
    expect(isGenerationName('other.1', 'messages')).to.equal(false);
  });
});
