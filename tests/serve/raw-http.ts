// A raw HTTP/1.1 client over TCP: fetch() and http.request normalise or re-encode paths (`/../` disappears before
// it is sent), so traversal tests must put the exact bytes on the wire.
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Send `head` (and `body`) as is; resolve with the parsed response once the server closes or answers in full. */
export function rawRequest(port: number, head: string, body?: Buffer | string, host = '127.0.0.1'): Promise<RawResponse> {
  return new Promise((ok, fail) => {
    const sock = connect({ port, host });
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e: NodeJS.ErrnoException) => (chunks.length ? finish() : fail(e)));
    const finish = (): void => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return fail(new Error(`no complete response: ${JSON.stringify(all.toString('latin1').slice(0, 200))}`));
      const lines = all.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      ok({ status, headers, body: all.subarray(split + 4) });
    };
    sock.on('end', finish);
    sock.write(head);
    if (body !== undefined) sock.write(body);
  });
}

export const get = (port: number, target: string, method = 'GET', extra = ''): Promise<RawResponse> =>
  rawRequest(port, `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${extra}\r\n`);
