/**
 * Reading what `npx convex env list --include-values` printed: the deployment's variables, which
 * convex/auth.config.ts and the functions read on Convex's side. Pure, so tests run it without
 * spawning the Convex CLI (scripts/doctor.ts does that).
 */

/** The command scripts/doctor.ts runs; `--no` so npx never downloads a package to answer it. */
export const ENV_LIST_COMMAND = ["npx", "--no", "convex", "env", "list", "--include-values"] as const;

const ASSIGNMENT = /^([A-Z_][A-Z0-9_]*)=(.*)$/;
const NAME_ONLY = /^[A-Z_][A-Z0-9_]*$/;

/**
 * The `NAME=value` lines, one pair of surrounding quotes stripped (the CLI quotes values the way a
 * .env file needs them). Other lines — "No environment variables set", warnings — are not
 * variables and are skipped.
 */
export function parseEnvList(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = ASSIGNMENT.exec(line.replace(/\r$/, ""));
    if (!match?.[1] || match[2] === undefined) continue;
    const value = match[2];
    const quoted = value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0];
    vars[match[1]] = quoted ? value.slice(1, -1) : value;
  }
  return vars;
}

/**
 * The variables in a successful listing, or why they are not there: a listing of bare names (the
 * CLI prints names only when it thinks an agent runs it) would make every variable look missing.
 */
export function fromEnvList(stdout: string): { vars: Record<string, string> } | { why: string } {
  const lines = stdout.split("\n").map((line) => line.replace(/\r$/, ""));
  if (lines.some((line) => NAME_ONLY.test(line))) {
    return { why: "`npx convex env list` printed names without values" };
  }
  return { vars: parseEnvList(stdout) };
}

/** The last line the command wrote to stderr, without colours: the CLI's own reason for failing. */
export function lastErrorLine(stderr: string): string | null {
  const lines = stderr
    .replace(/\u001b\[[0-9;]*[A-Za-z]/g, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  return lines.at(-1) ?? null;
}
