import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { QueueServiceClient } from '@azure/storage-queue';

/**
 * Azurite's well-known development account and key: public, documented, accepted by nothing but the
 * emulator (https://learn.microsoft.com/azure/storage/common/storage-use-azurite#well-known-storage-account-and-key).
 */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Workspace folder (queues survive a restart on the same folder); default a temp folder removed at close. */
  dir?: string;
  /** Port to listen on; default 0, a free one the OS picks (Azurite prints the one it bound). */
  port?: number;
  /** How long to wait for it to answer (default 30 s: the first start loads many modules). */
  startTimeoutMs?: number;
}

export interface Azurite {
  /** http://127.0.0.1:PORT/devstoreaccount1: the account's queue endpoint (path-style, as Azurite serves it). */
  queueEndpoint: string;
  port: number;
  /** Connection string for the well-known development account on this endpoint. */
  connectionString: string;
  /** A queue's URL on this endpoint, the `queueUrl` an event source takes. */
  queueUrl(name: string): string;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes the temp folder it made. */
  close(): Promise<void>;
  /** Kills it at once (SIGKILL): a queue service that vanishes mid-request. The folder stays. */
  kill(): Promise<void>;
}

function azuriteQueueMain(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('azurite/package.json');
  const bin = (require(pkg) as { bin: Record<string, string> }).bin['azurite-queue'];
  if (!bin) throw new Error('the installed azurite package has no azurite-queue bin');
  return join(dirname(pkg), bin);
}

const LISTENING = /successfully listens on (https?:\/\/[^\s]+)/;

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Runs Microsoft's Azure Storage emulator (the queue service only) from node_modules, on 127.0.0.1, as a
 * child process: the real Storage Queue wire protocol, limits and error codes, for tests and the demo.
 * Telemetry is off (Azurite reports to Application Insights by default) so nothing leaves the machine.
 */
export async function startAzurite(opts: AzuriteOptions = {}): Promise<Azurite> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ors-azurite-'));
  const args = [
    azuriteQueueMain(),
    '--queueHost', '127.0.0.1',
    '--queuePort', String(opts.port ?? 0),
    '--location', dir,
    '--silent',
    '--disableTelemetry',
    // Newer SDKs send x-ms-version values this Azurite release may not know yet.
    '--skipApiVersionCheck',
  ];
  // AZURITE_ACCOUNTS in a developer's shell would replace the well-known account this module promises.
  const env = { ...process.env };
  delete env['AZURITE_ACCOUNTS'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  // A test runner that dies must not leave an emulator behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 8_000) output += chunk.toString('utf8');
  };
  child.stderr?.on('data', collect);
  const cleanup = () => {
    process.off('exit', killOnExit);
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };

  let endpoint: string;
  try {
    endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`azurite did not start within ${opts.startTimeoutMs ?? 30_000} ms`)), opts.startTimeoutMs ?? 30_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        collect(chunk);
        const m = LISTENING.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1].replace(/\/+$/, ''));
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        // EADDRINUSE on a fixed port ends up here, with Azurite's own message.
        reject(new Error(`azurite exited (${signal ?? `code ${code}`}) before listening: ${output.trim().slice(-500)}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await waitExit(child, 5_000);
    cleanup();
    throw err;
  }
  child.stdout?.removeAllListeners('data');
  // Drain its output so a chatty emulator never blocks on a full pipe.
  child.stdout?.resume();

  const port = Number(new URL(endpoint).port);
  const queueEndpoint = `${endpoint}/${AZURITE_ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};QueueEndpoint=${queueEndpoint};`;

  // Listening is not answering: one real request before anyone relies on it.
  try {
    await QueueServiceClient.fromConnectionString(connectionString, { retryOptions: { maxTries: 1 } }).getProperties();
  } catch (err) {
    child.kill('SIGKILL');
    await waitExit(child, 5_000);
    cleanup();
    throw new Error(`azurite listens on ${endpoint} but does not answer: ${(err as Error).message}`);
  }

  let closed = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (closed) return;
    closed = true;
    child.kill(signal);
    if (!(await waitExit(child, 5_000))) {
      child.kill('SIGKILL');
      await waitExit(child, 5_000);
    }
  };
  return {
    queueEndpoint,
    port,
    connectionString,
    queueUrl: (name) => `${queueEndpoint}/${name}`,
    close: async () => {
      await stop('SIGTERM');
      cleanup();
    },
    kill: async () => {
      await stop('SIGKILL');
      process.off('exit', killOnExit);
    },
  };
}
