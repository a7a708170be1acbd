// Proves the progress bar's text, its rate limit and that it stays silent when stderr is not a terminal.

import { expect } from 'chai';
import { Writable } from 'stream';
import { ProgressBar, renderProgress } from '../../../sensor/capture/progress-bar';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const w = new Writable({ write: (chunk, _enc, cb) => { written.push(String(chunk)); cb(); } }) as unknown as NodeJS.WriteStream;
  (w as { isTTY: boolean }).isTTY = isTTY;
  return { stream: w, written };
}

describe('progress bar', () => {
  it('renders fraction, throughput and packet rate', () => {
    expect(renderProgress(45e6, 100e6, 210000, 1000, 10)).to.equal('[====>     ] 45% 45.0 MB/s 210k pkt/s');
    expect(renderProgress(100, 100, 5, 1000, 4)).to.equal('[====] 100% 0.0 MB/s 5 pkt/s');
    expect(renderProgress(0, 0, 2500000, 1000, 4)).to.equal('[>   ] 0% 0.0 MB/s 2.5M pkt/s');
  });

  it('draws at most four times a second on a TTY and clears the line at the end', async () => {
    const { stream, written } = fakeStream(true);
    let now = 0;
    const bar = new ProgressBar({ stream, now: () => now, width: 10 });
    for (let i = 0; i < 100; i++) {
      now += 10; // 100 updates over one second
      bar.update(i, 100, i);
    }
    bar.finish();
    expect(bar.draws).to.be.within(4, 5);
    expect(written[0]).to.match(/^\r\[.*\] \d+% .* pkt\/s\x1b\[K$/);
    expect(written[written.length - 1]).to.equal('\r\x1b[K');
  });

  it('writes nothing when the stream is not a TTY', () => {
    const { stream, written } = fakeStream(false);
    const bar = new ProgressBar({ stream });
    bar.update(1, 2, 3);
    bar.finish();
    expect(written).to.deep.equal([]);
  });
});
