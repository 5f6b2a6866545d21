// REST calls to the bridge (which proxies them to Konsole).

import { reportErrorCode } from './error-codes';
import type { Agent, Error as ContractError } from './generated/contract';

/** An error answer: {error, code} and, for some, more: the files and
 * commits of a worktree's refusal, the CLI of PUT /agent's 422. */
export type ErrorAnswer = Partial<ContractError> & {
  files?: string[];
  commits?: { sha: string; subject: string }[];
  agent?: Agent;
  [key: string]: unknown;
};

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    /** The whole error answer: some carry more than the sentence (files, commits). */
    readonly data?: ErrorAnswer,
  ) {
    super(message);
  }
}

export class Api {
  constructor(
    private base: string,
    private token: string,
  ) {}

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let resp: Response;
    try {
      resp = await fetch(this.base + '/api' + path, {
        method,
        headers: {
          Authorization: 'Bearer ' + this.token,
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new ApiError('Konui is unreachable; check that it is still running.', 0, 'network');
    }
    if (resp.status === 204) return undefined as T;
    let data: unknown = null;
    try {
      data = await resp.json();
    } catch {
      /* not JSON */
    }
    if (!resp.ok) {
      const e: ErrorAnswer = data && typeof data === 'object' ? (data as ErrorAnswer) : {};
      reportErrorCode(e.code);
      throw new ApiError(e.error ?? `HTTP ${resp.status}`, resp.status, e.code ?? 'http', e);
    }
    return data as T;
  }

  get = <T = unknown>(p: string) => this.call<T>('GET', p);
  post = <T = unknown>(p: string, b?: unknown) => this.call<T>('POST', p, b ?? {});
  patch = <T = unknown>(p: string, b: unknown) => this.call<T>('PATCH', p, b);
  put = <T = unknown>(p: string, b: unknown) => this.call<T>('PUT', p, b);
  del = (p: string) => this.call('DELETE', p);
}
