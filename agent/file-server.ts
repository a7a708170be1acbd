// The agent's main loop: one tailer per monitored file, one delivery queue + transport per forward action, lines
// formatted and fanned out to every matching action, and each file's checkpoint advanced once ALL its actions hold a batch.

import * as path from 'path';
import { AgentConfig, ForwardAction, ForwardTemplate, MonitoredFile } from './config/agent-config';
import { effectiveRules } from './config/routing-rules';
import { FileRouting, routeFile } from './filter/rule-program';
import { preciseNow, PreciseTime } from './format/precise-clock';
import { SyslogFormatter } from './format/syslog-formatter';
import { CommitToken, DeliveryQueue } from './queue/delivery-queue';
import { CheckpointCommitter, PendingCommit } from './state/checkpoint-committer';
import { StateStore } from './state/state-store';
import { FileIdentity } from './tailer/file-identity';
import { FileTailer, LineBatch } from './tailer/file-tailer';
import { ReadGate, waitingFirst } from './tailer/read-gate';
import { createTransport } from './transport/create-transport';
import { RelpTransport } from './transport/relp-transport';
import { Transport } from './transport/transport';
import { createWatchBackend, WatchBackend } from './watch/watch-backend';
import { Logger } from '../src/core/logger';

/**
 * rsyslog sends a line longer than $MaxMessageSize as ONE message cut to that size and drops the rest, so the tailer
 * must hand over such a line whole (the formatter cuts it). Only lines longer than this bound, which keeps memory
 * bounded, are cut by the tailer into pieces; each piece then goes out as a message of its own (rsyslog: dropped).
 */
export const LONGEST_WHOLE_LINE_BYTES = 1024 * 1024;

/**
 * Bytes per read(2) of a monitored file: 256 KiB cost more peak RSS than 64 KiB (bench/agent) for a few percent of
 * CPU when catching up a backlog.
 */
const READ_CHUNK_BYTES = 64 * 1024;
/**
 * How many tailers may be between a read(2) and their batch's acceptance by the queues at once (the read gate):
 * with more busy files than this, the others wait before reading, holding neither a buffer nor lines. Four keep
 * libuv's four file-system threads busy.
 */
const CONCURRENT_READS = 4;
/** How long a graceful stop waits for the tailers before closing the queues under them. */
const TAILER_STOP_WAIT_MS = 5000;

export interface FileStatus {
  path: string;
  tag: string;
  state: string;
  /** Where the tailer has read to (lines handed to the queues). */
  readOffset: number;
  /** Offset of the last checkpoint written to the state file (everything before it is durable in every action). */
  confirmedOffset: number;
  identity?: FileIdentity;
  linesRead: number;
  lastError?: string;
}

export interface ActionStatus {
  name: string;
  queueState: string;
  memoryMessages: number;
  diskBytes: number;
  delivered: number;
  transportState: string;
  reconnects: number;
  lastError?: string;
  /** Batches handed to the transport and not yet confirmed or failed. */
  batchesInFlight: number;
  /** The most the queue keeps in flight for this transport (RELP 2, others 1). */
  maxBatchesInFlight: number;
  /** RELP actions only: the window in use and how full it is (messages sent, not yet acknowledged). */
  relp?: RelpWindowStatus;
}

export interface RelpWindowStatus {
  window: number;
  unacknowledged: number;
  /** The most ever unacknowledged at once since the agent started: equal to `window` once the window has filled. */
  mostUnacknowledged: number;
}

export interface FileServerStatus {
  files: FileStatus[];
  actions: ActionStatus[];
}

/** One forward action at run time. */
interface ActionRoute {
  action: ForwardAction;
  transport: Transport;
  queue: DeliveryQueue;
}

/** One monitored file at run time: its tailer, the actions its lines go to, and its checkpoint. */
interface FilePipeline {
  file: MonitoredFile;
  tailer: FileTailer;
  watch: WatchBackend;
  routes: ActionRoute[];
  /** Which of `routes` each line reaches (rsyslog's filters, `stop`); `perLine` undefined: all of them. */
  routing: FileRouting;
  /** One formatter per distinct template among `routes`: a line is formatted once per template, not once per action. */
  formatters: Map<ForwardTemplate, SyslogFormatter>;
  committer: CheckpointCommitter;
  linesRead: number;
  running?: Promise<void>;
}

export interface FileServerOptions {
  config: AgentConfig;
  logger: Logger;
  /** Clock for message timestamps (tests); default: the wall clock. */
  now?: () => Date;
}

export class FileServer {
  private readonly config: AgentConfig;
  private readonly logger: Logger;
  private readonly now: () => PreciseTime;
  private readonly stateStore: StateStore;
  private readonly routes: ActionRoute[] = [];
  private readonly pipelines: FilePipeline[] = [];
  private readonly readGate = new ReadGate(CONCURRENT_READS, READ_CHUNK_BYTES);
  /** Token id → the batch it belongs to; an entry lives until every action confirmed it. */
  private readonly inFlight = new Map<number, { pipeline: FilePipeline; commit: PendingCommit }>();
  private nextTokenId = 1;
  private stopping: Promise<void> | undefined;

  constructor(opts: FileServerOptions) {
    this.config = opts.config;
    this.logger = opts.logger;
    const testClock = opts.now;
    this.now = testClock ? () => ({ time: testClock(), micros: 0 }) : preciseNow;
    this.stateStore = new StateStore(this.config.workDirectory, opts.logger.child('state'));
  }

  /** Builds the queues and tailers and starts reading. Returns once everything is running. */
  start(): void {
    const queueRoot = path.join(this.config.workDirectory, 'queue');
    const usedQueueNames = new Set<string>();
    for (const action of this.config.actions) {
      const transport = createTransport(action, this.logger);
      const queue = new DeliveryQueue({
        transport,
        memoryMessages: this.config.queue.memoryMessages,
        diskDirectory: path.join(queueRoot, uniqueName(queueDirectoryName(action), usedQueueNames)),
        diskMaxBytes: this.config.queue.diskMaxBytes,
        logger: this.logger.child('queue'),
        onDurable: (token) => this.onDurable(token),
      });
      this.routes.push({ action, transport, queue });
    }
    for (const file of this.config.files) this.pipelines.push(this.buildPipeline(file));
    for (const p of this.pipelines) p.running = this.runTailer(p);
    this.logger.info('agent started', { files: this.pipelines.length, actions: this.routes.length, workDirectory: this.config.workDirectory });
  }

  /** Graceful stop: tailers first (no more input), then queues spill what they hold to disk, then final state writes. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  status(): FileServerStatus {
    return {
      files: this.pipelines.map((p) => {
        const t = p.tailer.status();
        return {
          path: p.file.path, tag: p.file.tag, state: t.state, readOffset: t.offset,
          confirmedOffset: p.committer.confirmedOffset(), identity: t.identity, linesRead: p.linesRead, lastError: t.lastError,
        };
      }),
      actions: this.routes.map((r) => {
        const q = r.queue.stats();
        const t = r.transport.status();
        const relp: RelpWindowStatus | undefined = r.transport instanceof RelpTransport
          ? { window: r.transport.window, unacknowledged: r.transport.unacknowledged, mostUnacknowledged: r.transport.mostUnacknowledged }
          : undefined;
        return {
          name: r.transport.name, queueState: q.state, memoryMessages: q.memoryMessages, diskBytes: q.diskBytes,
          delivered: q.delivered, transportState: t.state, reconnects: t.reconnects, lastError: t.lastError,
          batchesInFlight: q.batchesInFlight, maxBatchesInFlight: r.queue.maxBatchesInFlight, relp,
        };
      }),
    };
  }

  private buildPipeline(file: MonitoredFile): FilePipeline {
    const routing = routeFile(effectiveRules(this.config), file, this.config.maxMessageSize);
    const routes = routing.actions.map((i) => this.routes[i]);
    if (routes.length === 0) {
      this.logger.warn('no action is reached by this file\'s lines (selectors, filters): they are read and discarded, as rsyslog does',
        { file: file.path, line: file.where.line });
    }
    const start = this.stateStore.load(file.stateFile);
    const watch = createWatchBackend(this.config.watchMode, file.pollIntervalSeconds * 1000);
    const committer = new CheckpointCommitter(this.stateStore, file.stateFile, this.logger.child('state'), start);
    const tailer = new FileTailer({
      path: file.path,
      start,
      freshStartTail: file.freshStartTail,
      reopenOnTruncate: file.reopenOnTruncate,
      maxLineBytes: Math.max(this.config.maxMessageSize, LONGEST_WHOLE_LINE_BYTES),
      maxLinesAtOnce: file.maxLinesAtOnce,
      // A file whose state file cannot be written waits before taking a permit (acceptBatch would hold it).
      readGate: waitingFirst(this.readGate, () => committer.admit()),
      watch,
      logger: this.logger.child('tailer'),
    });
    return {
      file, tailer, watch, routes, routing,
      formatters: new Map(routes.map((r) => [r.action.template, new SyslogFormatter(
        r.action.template, file.facility, file.severity, this.config.hostname, file.tag, this.config.maxMessageSize)])),
      committer,
      linesRead: 0,
    };
  }

  private async runTailer(p: FilePipeline): Promise<void> {
    try {
      await p.tailer.run((batch) => this.acceptBatch(p, batch));
    } catch (err) {
      // The tailer is built not to throw; if it does, this file stops but the rest of the agent keeps shipping.
      this.logger.error('tailer stopped on an unexpected error', { file: p.file.path, error: (err as Error).stack ?? String(err) });
    }
  }

  /** The hot path: formats the batch once per template and hands each queue the lines its filters let through. */
  private async acceptBatch(p: FilePipeline, batch: LineBatch): Promise<void> {
    // While the state file cannot be written, nothing more is read: it could not be checkpointed (see the README).
    // Stopping meanwhile, the batch is neither queued nor checkpointed, so the next start reads it again.
    const admitted = p.committer.admit();
    if (admitted !== true && !(await admitted)) return;
    p.linesRead += batch.lines.length;
    const linesPerRoute = selectLines(p, batch.lines);
    const targets = p.routes.filter((_, i) => linesPerRoute[i].length > 0);
    // A batch no action takes (all filtered out) still moves the checkpoint: pendingActions 0 commits it at once.
    const commit: PendingCommit = {
      checkpoint: { path: p.file.path, identity: batch.identity, offset: batch.endOffset },
      pendingActions: targets.length,
    };
    p.committer.add(commit);
    if (commit.pendingActions === 0) return;
    const token: CommitToken = { id: this.nextTokenId++ };
    this.inFlight.set(token.id, { pipeline: p, commit });
    const { time, micros } = this.now();
    const byTemplate = new Map<ForwardTemplate, Buffer[]>();
    const accepted: Promise<void>[] = [];
    p.routes.forEach((r, i) => {
      const lines = linesPerRoute[i];
      if (lines.length === 0) return;
      const template = r.action.template;
      if (lines === batch.lines) {
        let formatted = byTemplate.get(template);
        if (formatted === undefined) {
          formatted = formatLines(p.formatters.get(template)!, time, micros, lines);
          byTemplate.set(template, formatted);
        }
        accepted.push(r.queue.enqueue(formatted, token));
      } else {
        accepted.push(r.queue.enqueue(formatLines(p.formatters.get(template)!, time, micros, lines), token));
      }
    });
    await Promise.all(accepted);
  }

  private onDurable(token: CommitToken): void {
    const entry = this.inFlight.get(token.id);
    if (!entry) return;
    if (entry.commit.pendingActions === 1) this.inFlight.delete(token.id);
    entry.pipeline.committer.confirm(entry.commit);
  }

  private async stopNow(): Promise<void> {
    this.logger.info('agent stopping');
    for (const p of this.pipelines) p.committer.stopWaiting(); // a tailer held by an unwritable state file stops now
    const tailersStopped = Promise.all(this.pipelines.map(async (p) => { await p.tailer.stop(); await p.running; }));
    // A tailer blocked in enqueue() (memory and disk queue both full) only returns once its queue closes; do not
    // wait for it forever: close the queues, which then accept the waiting batches, and collect the tailers after.
    const stoppedInTime = await Promise.race([tailersStopped.then(() => true), delay(TAILER_STOP_WAIT_MS).then(() => false)]);
    if (!stoppedInTime) this.logger.warn('tailers still waiting for queue space; closing the queues first', { waitedMs: TAILER_STOP_WAIT_MS });
    // close() spills what is still in memory to the disk queue and confirms it, so the final state covers it.
    await Promise.all(this.routes.map(async (r) => {
      try {
        await r.queue.close();
      } catch (err) {
        this.logger.error('closing the queue failed: its unconfirmed lines will be read again from the files at the next start',
          { action: r.transport.name, error: (err as Error).message });
      }
      await r.transport.close().catch(() => undefined);
    }));
    await tailersStopped;
    for (const p of this.pipelines) p.watch.close();
    await Promise.all(this.pipelines.map((p) => p.committer.flush()));
    this.logger.info('agent stopped', { pendingBatches: this.inFlight.size });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** For each of the file's routes, the lines of the batch it receives (the batch's own array when it gets them all). */
function selectLines(p: FilePipeline, lines: Buffer[]): Buffer[][] {
  const perLine = p.routing.perLine;
  if (perLine === undefined) return p.routes.map(() => lines);
  const all = p.routing.actions;
  const out: Buffer[][] = p.routes.map(() => []);
  for (const line of lines) {
    const reached = perLine(line);
    if (reached === all) for (const selected of out) selected.push(line);
    else for (const action of reached) out[all.indexOf(action)].push(line);
  }
  return out.map((selected) => (selected.length === lines.length ? lines : selected));
}

function formatLines(formatter: SyslogFormatter, time: Date, micros: number, lines: Buffer[]): Buffer[] {
  const out = new Array<Buffer>(lines.length);
  for (let i = 0; i < lines.length; i++) out[i] = formatter.format(time, lines[i], micros);
  return out;
}

/** A stable directory name per action, so a restart finds the same disk queue. */
function queueDirectoryName(action: ForwardAction): string {
  return `${action.protocol}-${action.host}-${action.port}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
  used.add(name);
  return name;
}
