import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, ApiError } from './api';
import { CODE_TOKEN_EXPOSED, onErrorCode } from './error-codes';

let server: Server | undefined;
afterEach(() => {
  server?.close();
  onErrorCode(null);
});

describe('error codes reach the app whichever call met them', () => {
  it('tells the listener that Konsole refused an exposed token', async () => {
    server = createServer((_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'an agent saw the token', code: CODE_TOKEN_EXPOSED }));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const seen: string[] = [];
    onErrorCode((c) => seen.push(c));
    const api = new Api('http://127.0.0.1:' + (server.address() as AddressInfo).port, 't');
    const err: ApiError = await api.patch<never>('/sessions/s1', { permissionMode: 'acceptEdits' }).catch((e: unknown) => e as ApiError);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe(CODE_TOKEN_EXPOSED);
    expect(seen).toEqual([CODE_TOKEN_EXPOSED]);
  });
});
