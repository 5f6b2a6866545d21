// REST calls to the bridge (which proxies them to Konsole).

import { reportErrorCode } from './error-codes';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    /** The whole error answer: some carry more than the sentence (files, commits). */
    readonly data?: any,
  ) {
    super(message);
  }
}

export class Api {
  constructor(
    private base: string,
    private token: string,
  ) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
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
    let data: any = null;
    try {
      data = await resp.json();
    } catch {
      /* not JSON */
    }
    if (!resp.ok) {
      reportErrorCode(data?.code);
      throw new ApiError(data?.error ?? `HTTP ${resp.status}`, resp.status, data?.code ?? 'http', data);
    }
    return data as T;
  }

  get = <T = any>(p: string) => this.call<T>('GET', p);
  post = <T = any>(p: string, b?: unknown) => this.call<T>('POST', p, b ?? {});
  patch = <T = any>(p: string, b: unknown) => this.call<T>('PATCH', p, b);
  put = <T = any>(p: string, b: unknown) => this.call<T>('PUT', p, b);
  del = (p: string) => this.call('DELETE', p);
}
