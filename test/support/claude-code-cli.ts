import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The pinned Claude Code CLI (test/agents/package.json), installed by scripts/ensure-test-services.sh. */
export const CLAUDE_CLI = join(__dirname, '../agents/node_modules/.bin/claude');

/** What `claude -p … --output-format json` prints. */
export interface ClaudeCodeResult {
  is_error: boolean;
  result: string;
  session_id: string;
  num_turns: number;
  total_cost_usd: number;
  usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
}

export interface ClaudeCodeRun {
  /** The gateway (or a fake) without `/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`, like ANTHROPIC_AUTH_TOKEN. */
  token: string;
  /** ANTHROPIC_MODEL: the alias. */
  model: string;
  prompt: string;
}

/**
 * Runs the real CLI once, non-interactively, with its default tools and permissions skipped, in a
 * fresh HOME and an empty project folder, and nothing from this process's environment but PATH.
 */
export async function runClaudeCode(run: ClaudeCodeRun): Promise<{ output: ClaudeCodeResult; project: string }> {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-claude-home-'));
  const project = mkdtempSync(join(tmpdir(), 'tollgate-claude-project-'));
  writeFileSync(join(project, 'README.md'), '# A project Claude Code works in\n');
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    // --dangerously-skip-permissions refuses to run as root outside a declared sandbox.
    IS_SANDBOX: '1',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    ANTHROPIC_BASE_URL: run.baseUrl,
    ANTHROPIC_AUTH_TOKEN: run.token,
    ANTHROPIC_MODEL: run.model,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: run.model,
  };
  const args = ['-p', run.prompt, '--output-format', 'json', '--dangerously-skip-permissions'];
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(CLAUDE_CLI, args, { cwd: project, env, timeout: 50_000 }, (error, out, err) => {
        // An API failure still prints its JSON result (is_error: true) with a non-zero exit.
        if (error && !out.trim().startsWith('{')) reject(new Error(`claude exited: ${error.message}\n${err}`));
        else resolve(out);
      });
    });
    return { output: JSON.parse(stdout) as ClaudeCodeResult, project };
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
  }
}
