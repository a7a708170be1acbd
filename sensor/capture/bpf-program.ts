// A classic BPF interpreter (the instruction set libpcap compiles filters to), run on each packet of a file:
// loads outside the captured bytes reject the packet, as the kernel and libpcap's bpf_filter do.

export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const CLS_LD = 0x00, CLS_LDX = 0x01, CLS_ST = 0x02, CLS_STX = 0x03, CLS_ALU = 0x04, CLS_JMP = 0x05, CLS_RET = 0x06;
const SZ_W = 0x00, SZ_H = 0x08, SZ_B = 0x10;
const MODE_IMM = 0x00, MODE_ABS = 0x20, MODE_IND = 0x40, MODE_MEM = 0x60, MODE_LEN = 0x80, MODE_MSH = 0xa0;
const SRC_X = 0x08;
const MEM_WORDS = 16;
/**
 * libpcap's userland filters may jump backwards (`protochain` loops over IPv6 headers), so a crafted packet could
 * loop long: past this many instructions the packet is rejected.
 */
const MAX_STEPS = 100000;

export class BpfProgram {
  /** Flattened instructions (code, jt, jf, k) for cache-friendly interpretation. */
  private readonly code: Uint32Array;
  private readonly mem = new Uint32Array(MEM_WORDS);

  constructor(instructions: BpfInstruction[]) {
    if (instructions.length === 0) throw new Error('empty BPF program');
    this.code = new Uint32Array(instructions.length * 4);
    instructions.forEach((ins, i) => {
      this.code.set([ins.code, ins.jt, ins.jf, ins.k >>> 0], i * 4);
    });
    this.validate();
  }

  /** Parses `tcpdump -ddd` output: a count line, then `code jt jf k` per line. */
  static fromDecimal(text: string): BpfProgram {
    const lines = text.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const count = Number(lines[0]);
    if (!Number.isInteger(count) || count !== lines.length - 1) throw new Error(`malformed BPF listing (count ${lines[0]})`);
    return new BpfProgram(lines.slice(1).map((l) => {
      const [code, jt, jf, k] = l.split(/\s+/).map(Number);
      return { code, jt, jf, k };
    }));
  }

  /** Jumps must stay inside the program and it must end in a return: checked once so run() needs no bounds checks. */
  private validate(): void {
    const n = this.code.length / 4;
    for (let pc = 0; pc < n; pc++) {
      const code = this.code[pc * 4];
      if ((code & 0x07) === CLS_JMP) {
        const ja = (code & 0xf0) === 0;
        // `ja` takes a signed 32-bit displacement (backward in protochain code); conditional jumps go forward.
        const targets = ja ? [pc + 1 + (this.code[pc * 4 + 3] | 0)] : [pc + 1 + this.code[pc * 4 + 1], pc + 1 + this.code[pc * 4 + 2]];
        if (targets.some((t) => t < 0 || t >= n)) throw new Error(`BPF jump out of range at instruction ${pc}`);
      }
      if (((code & 0x07) === CLS_ST || (code & 0x07) === CLS_STX || (code & 0xe0) === MODE_MEM) && this.code[pc * 4 + 3] >= MEM_WORDS) {
        throw new Error(`BPF scratch memory index out of range at instruction ${pc}`);
      }
    }
    if ((this.code[(n - 1) * 4] & 0x07) !== CLS_RET) throw new Error('BPF program does not end in a return');
  }

  /** Returns the filter's verdict: 0 rejects, anything else accepts (the snap length libpcap would keep). */
  run(pkt: Buffer, offset: number, capLength: number, wireLength: number): number {
    const c = this.code;
    const mem = this.mem;
    let a = 0;
    let x = 0;
    let pc = 0;
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      const i = pc * 4;
      const code = c[i];
      const k = c[i + 3];
      pc++;
      switch (code & 0x07) {
        case CLS_LD:
        case CLS_LDX: {
          const isX = (code & 0x07) === CLS_LDX;
          const mode = code & 0xe0;
          let v: number;
          if (mode === MODE_IMM) v = k;
          else if (mode === MODE_LEN) v = wireLength;
          else if (mode === MODE_MEM) v = mem[k];
          else if (mode === MODE_MSH) {
            if (k >= capLength) return 0;
            v = (pkt[offset + k] & 0x0f) * 4;
          } else if (mode === MODE_ABS || mode === MODE_IND) {
            const at = mode === MODE_ABS ? k : (x + k) >>> 0;
            const size = code & 0x18;
            const width = size === SZ_W ? 4 : size === SZ_H ? 2 : size === SZ_B ? 1 : 0;
            if (width === 0 || at + width > capLength) return 0;
            v = width === 4 ? pkt.readUInt32BE(offset + at) : width === 2 ? pkt.readUInt16BE(offset + at) : pkt[offset + at];
          } else return 0;
          if (isX) x = v >>> 0;
          else a = v >>> 0;
          break;
        }
        case CLS_ST:
          mem[k] = a;
          break;
        case CLS_STX:
          mem[k] = x;
          break;
        case CLS_ALU: {
          const src = code & SRC_X ? x : k;
          switch (code & 0xf0) {
            case 0x00: a = (a + src) >>> 0; break;
            case 0x10: a = (a - src) >>> 0; break;
            case 0x20: a = Math.imul(a, src) >>> 0; break;
            case 0x30: if (src === 0) return 0; a = Math.floor(a / src) >>> 0; break;
            case 0x40: a = (a | src) >>> 0; break;
            case 0x50: a = (a & src) >>> 0; break;
            case 0x60: a = src >= 32 ? 0 : (a << src) >>> 0; break;
            case 0x70: a = src >= 32 ? 0 : a >>> src; break;
            case 0x80: a = -a >>> 0; break;
            case 0x90: if (src === 0) return 0; a = (a % src) >>> 0; break;
            case 0xa0: a = (a ^ src) >>> 0; break;
            default: return 0;
          }
          break;
        }
        case CLS_JMP: {
          const src = code & SRC_X ? x : k;
          let taken: boolean;
          switch (code & 0xf0) {
            case 0x00: pc += k | 0; continue;
            case 0x10: taken = a === src; break;
            case 0x20: taken = a > src; break;
            case 0x30: taken = a >= src; break;
            case 0x40: taken = (a & src) !== 0; break;
            default: return 0;
          }
          pc += taken ? c[i + 1] : c[i + 2];
          break;
        }
        case CLS_RET: {
          const rv = code & 0x18;
          return rv === 0x10 ? a : rv === SRC_X ? x : k;
        }
        default: // MISC: TAX / TXA
          if ((code & 0xf8) === 0x80) a = x;
          else x = a;
          break;
      }
    }
    return 0;
  }
}
