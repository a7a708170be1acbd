// broctl's env_vars value (node.cfg and Env_Vars in broctl.cfg): `NAME=value` items separated by commas, each
// name and value trimmed; `VAR1=123, VAR2=456`.

/** The variables in order, or the reason the text is not a valid list (broctl's wording). */
export function parseEnvVars(text: string): Map<string, string> | string {
  const vars = new Map<string, string>();
  if (text === '') return vars;
  for (const item of text.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) return `missing '=' in env_vars option value: ${item}`;
    const name = item.slice(0, eq).trim();
    if (name === '') return `env_vars option value must contain at least one environment variable name: ${item}`;
    vars.set(name, item.slice(eq + 1).trim());
  }
  return vars;
}

/** As broctl prints them in `nodes`: `NAME=value` sorted by name, comma-separated. */
export function formatEnvVars(vars: Map<string, string>): string {
  return [...vars.keys()].sort().map((k) => `${k}=${vars.get(k)}`).join(',');
}
