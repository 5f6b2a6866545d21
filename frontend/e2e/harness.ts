// Starts the real parts for an end-to-end test: the fake Messages API, a
// real Konsole ("konui konsole", its own process so that a test can kill it)
// running the real Claude Code CLI, a real "konui serve" in front of it, and
// Debian's Chromium driven by playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const root = resolve(import.meta.dirname, '..', '..');
export const artifacts = join(root, 'test-artifacts');
const bin = (name: string) => join(root, 'bin', name);
export const claude = process.env.KONUI_TEST_CLAUDE ?? join(root, '.tools', 'claude', 'node_modules', '.bin', 'claude');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as any).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for ' + what);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  p.stderr!.on('data', (d) => process.env.E2E_VERBOSE && process.stderr.write(d));
  return p;
}

export class Stack {
  home = mkdtempSync(join(tmpdir(), 'konui-e2e-'));
  work = join(this.home, 'work');
  data = join(this.home, 'data');
  konsoleToken = 'e2e-konsole-token';
  token = 'e2e-bridge-token';
  fakeURL = '';
  konsolePort = 0;
  servePort = 0;
  /** Extra flags and a prepared data folder (benchmarks). */
  serveArgs: string[] = [];
  /** The CLI Konsole runs; null: none given and none on PATH (a first run without Claude Code). */
  claude: string | null = claude;
  /** A folder put first on the PATH of Konsole and the CLI (stand-in tools such as gh). */
  pathPrefix = '';
  private fake?: ChildProcess;
  private konsole?: ChildProcess;
  private serve?: ChildProcess;
  browser?: Browser;
  private extras: ExtraKonsole[] = [];

  get url() {
    return `http://127.0.0.1:${this.servePort}/#token=${this.token}`;
  }

  private agentEnv(): NodeJS.ProcessEnv {
    return {
      PATH: (this.pathPrefix ? this.pathPrefix + ':' : '') + (this.claude === null ? join(this.home, 'empty-path') : process.env.PATH),
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      XDG_DATA_HOME: join(this.home, '.local', 'share'),
      ANTHROPIC_BASE_URL: this.fakeURL,
      ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-tests',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
    };
  }

  async start(): Promise<void> {
    for (const b of ['konui', 'fakeapi']) {
      if (!existsSync(bin(b))) throw new Error(`${bin(b)} is missing: run "make build" first`);
    }
    mkdirSync(this.work, { recursive: true });
    mkdirSync(artifacts, { recursive: true });
    this.fake = run(bin('fakeapi'), ['--listen', '127.0.0.1:0'], process.env);
    this.fakeURL = await new Promise<string>((res, rej) => {
      this.fake!.stdout!.once('data', (d) => res(String(d).trim()));
      this.fake!.once('exit', () => rej(new Error('fakeapi exited')));
    });
    this.konsolePort = await freePort();
    await this.startKonsole();
    this.servePort = await freePort();
    this.serve = run(
      bin('konui'),
      ['serve', '--listen', `127.0.0.1:${this.servePort}`, '--konsole', `http://127.0.0.1:${this.konsolePort}`, ...this.serveArgs],
      // Tokens go by environment, never on the command line (SECURITY.md).
      { ...this.agentEnv(), KONUI_TOKEN: this.token, KONSOLE_TOKEN: this.konsoleToken },
    );
    await waitFor(async () => (await fetch(`http://127.0.0.1:${this.servePort}/`)).ok, 'konui serve');
    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  }

  async startKonsole(): Promise<void> {
    // Run from the checkout's bin/, konui falls back to the repository's
    // .tools/claude (make run); a copy elsewhere has no Claude Code at all.
    let konui = bin('konui');
    if (this.claude === null) {
      konui = join(this.home, 'konui');
      copyFileSync(bin('konui'), konui);
      chmodSync(konui, 0o755);
    }
    this.konsole = run(
      konui,
      ['konsole', '--listen', `127.0.0.1:${this.konsolePort}`, '--data', this.data, ...(this.claude === null ? [] : ['--claude', this.claude]), '--log-level', 'warn'],
      { ...this.agentEnv(), KONSOLE_TOKEN: this.konsoleToken },
    );
    await waitFor(async () => (await fetch(`http://127.0.0.1:${this.konsolePort}/healthz`)).ok, 'konsole');
  }

  /**
   * Starts another Konsole ("konui konsole", its own process, data folder
   * and token) on a free loopback port, for a test of several Konsoles
   * behind one bridge. The caller adds it (POST /api/konsoles) and stops it.
   */
  async extraKonsole(name: string): Promise<ExtraKonsole> {
    const k = new ExtraKonsole(name, join(this.home, 'konsole-' + name), await freePort(), this.agentEnv(), this.claude);
    await k.start();
    this.extras.push(k);
    return k;
  }

  /** kill -9 of Konsole, waiting until it is gone. */
  async killKonsole(): Promise<void> {
    const k = this.konsole!;
    const gone = new Promise((r) => k.once('exit', r));
    k.kill('SIGKILL');
    await gone;
  }

  async page(): Promise<Page> {
    const ctx = await this.browser!.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(this.url);
    return page;
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => {});
    for (const k of this.extras) k.stop();
    for (const p of [this.serve, this.konsole, this.fake]) p?.kill('SIGTERM');
  }
}

/** A Konsole beside the stack's own (Stack.extraKonsole). */
export class ExtraKonsole {
  readonly token: string;
  private proc?: ChildProcess;

  constructor(
    readonly name: string,
    readonly data: string,
    readonly port: number,
    private env: NodeJS.ProcessEnv,
    private claude: string | null,
  ) {
    this.token = 'e2e-token-' + name;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = run(
      bin('konui'),
      ['konsole', '--listen', `127.0.0.1:${this.port}`, '--data', this.data, ...(this.claude === null ? [] : ['--claude', this.claude]), '--log-level', 'warn'],
      { ...this.env, KONSOLE_TOKEN: this.token },
    );
    await waitFor(async () => (await fetch(`${this.url}/healthz`)).ok, 'konsole ' + this.name);
  }

  /** kill -9, waiting until it is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  stop(): void {
    this.proc?.kill('SIGTERM');
  }
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, name + '.png') });
}

/**
 * Starts a session in the stack's work folder from the start screen (shown
 * while no session is open; "+ New session" in the sidebar opens it).
 */
export async function newSession(page: Page, stack: Stack): Promise<void> {
  if (!(await page.getByTestId('start-screen').isVisible())) await page.getByTestId('new-session').click();
  await page.getByTestId('cwd').fill(stack.work);
  await page.getByTestId('create-session').click();
  await page.getByTestId('session-status').first().filter({ hasText: 'idle' }).waitFor();
}

export async function sendPrompt(page: Page, text: string): Promise<void> {
  const box = page.getByTestId('prompt');
  await box.fill(text);
  await box.press('Enter');
}

/** A page of the stack's dashboard, connected to its bridge. */
export async function connectedPage(stack: Stack): Promise<Page> {
  const page = await stack.page();
  await page.getByTestId('conn-state').and(page.locator('[data-state="connected"]')).waitFor();
  return page;
}

/** Starts the stack and opens a connected page with a new session in its work folder. */
export async function startWithSession(stack: Stack): Promise<Page> {
  await stack.start();
  const page = await connectedPage(stack);
  await newSession(page, stack);
  return page;
}
