// The one declaration of a log's columns (like a Zeek `Info` record with `&log` fields): name, Zeek type, doc line and
// value getter per column. The ASCII writer, the JSON writer and the column profiles all derive from it.

/** The Zeek types our logs use, spelled as Zeek prints them in `#types`. */
export type ZeekType =
  | 'time'
  | 'interval'
  | 'double'
  | 'count'
  | 'int'
  | 'port'
  | 'addr'
  | 'subnet'
  | 'string'
  | 'enum'
  | 'bool'
  | 'set[string]'
  | 'set[enum]'
  | 'set[addr]'
  | 'vector[string]'
  | 'vector[interval]';

/**
 * The JavaScript value a getter returns for each Zeek type. `time` is integer microseconds since the epoch (exact:
 * below 2^53 until the year 2255), so ASCII logs print exactly the captured 6 decimals; `interval`/`double` are seconds.
 */
export interface ZeekValueOf {
  time: number;
  interval: number;
  double: number;
  count: number;
  int: number;
  port: number;
  addr: string;
  subnet: string;
  string: string;
  enum: string;
  bool: boolean;
  'set[string]': readonly string[];
  'set[enum]': readonly string[];
  'set[addr]': readonly string[];
  'vector[string]': readonly string[];
  /** Seconds, each rendered as an `interval`. */
  'vector[interval]': readonly number[];
}

export type ZeekValue = ZeekValueOf[ZeekType];

/** One column: `undefined` from the getter means unset (`-` in ASCII, omitted in JSON). */
export type Column<R> = {
  [T in ZeekType]: {
    readonly name: string;
    readonly type: T;
    readonly doc: string;
    /** True for columns Zeek only logs when a policy script adds them (e.g. vlan): left out of the `zeek` profile. */
    readonly policy: boolean;
    readonly get: (rec: R) => ZeekValueOf[T] | undefined;
  };
}[ZeekType];

/** The profiles a sensor can write: see log-profile.ts for what each one means. */
export type ProfileName = 'zeek' | 'elsa';

export interface LogSchema<R> {
  /** Zeek's log path: the file is `<path>.log`. */
  readonly path: string;
  readonly doc: string;
  readonly columns: readonly Column<R>[];
  /**
   * Column names per profile, in output order, when a profile differs from "every non-policy column in declaration
   * order" (the `zeek` default). Names only select and order: each column is declared once, above.
   */
  readonly profiles: Partial<Record<ProfileName, readonly string[]>>;
}

/**
 * Returns the column declarer for records of type R (`const column = columnsOf<ConnRecord>()`); the type parameter
 * ties each getter's return type to its Zeek type.
 */
export function columnsOf<R>() {
  return function column<T extends ZeekType>(
    name: string,
    type: T,
    doc: string,
    get: (rec: R) => ZeekValueOf[T] | undefined,
    opts: { policy?: boolean } = {},
  ): Column<R> {
    // The mapped union cannot be built from a generic T without a cast; the signature above keeps it sound.
    return { name, type, doc, get, policy: opts.policy ?? false } as unknown as Column<R>;
  };
}

/** Declares a log; checks at module load that column names are unique and every profile names declared columns once. */
export function defineLog<R>(schema: LogSchema<R>): LogSchema<R> {
  const names = new Set<string>();
  for (const c of schema.columns) {
    if (names.has(c.name)) throw new Error(`${schema.path}.log: column ${c.name} declared twice`);
    names.add(c.name);
  }
  for (const [profile, list] of Object.entries(schema.profiles)) {
    const seen = new Set<string>();
    for (const n of list ?? []) {
      if (!names.has(n)) throw new Error(`${schema.path}.log: profile ${profile} names undeclared column ${n}`);
      if (seen.has(n)) throw new Error(`${schema.path}.log: profile ${profile} lists column ${n} twice`);
      seen.add(n);
    }
  }
  return schema;
}
