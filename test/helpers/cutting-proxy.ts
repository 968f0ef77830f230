/**
 * A TCP proxy in front of the test bucket that misbehaves on the one GetObject of a whole object (a request line
 * naming `objectName`, without a Range header), the way a network does on a long download: `cut` drops the
 * connection once `after` bytes of that answer have passed; `stall` stops forwarding there (the client sees a
 * silent peer) until `release()`. Everything else passes through untouched.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export type ProxyMode = { kind: 'pass' } | { kind: 'cut'; after: number } | { kind: 'stall'; after: number };

export interface CuttingProxy {
  endpoint: string;
  /** What the next whole-object GetObject meets (one time: the proxy passes everything once it has acted). */
  arm: (mode: ProxyMode) => void;
  /** Connections cut so far. */
  cuts: () => number;
  /** True once a stall holds an answer back. */
  stalled: () => boolean;
  stop: () => Promise<void>;
}

export async function startCuttingProxy(upstreamEndpoint: string, objectName: string): Promise<CuttingProxy> {
  const upstreamUrl = new URL(upstreamEndpoint);
  let mode: ProxyMode = { kind: 'pass' };
  let cuts = 0;
  let stalled = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(upstreamUrl.port), upstreamUrl.hostname);
    sockets.add(client).add(upstream);
    let watching: ProxyMode = { kind: 'pass' };
    let seen = 0;
    client.on('data', (data: Buffer) => {
      const head = data.toString('latin1');
      if (/^[A-Z]+ /.test(head)) {
        const whole = head.startsWith('GET ') && head.includes(objectName) && !/\r\nrange:/i.test(head);
        watching = whole ? mode : { kind: 'pass' };
        if (whole) mode = { kind: 'pass' };
        seen = 0;
      }
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      if (watching.kind === 'pass' || seen + data.length <= watching.after) {
        seen += data.length;
        client.write(data);
        return;
      }
      const keep = data.subarray(0, watching.after - seen);
      seen = watching.after;
      if (watching.kind === 'cut') {
        cuts += 1;
        client.end(keep, () => client.destroy());
        upstream.destroy();
      } else {
        client.write(keep);
        upstream.pause();
        stalled = true;
      }
    });
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', () => {
      if (!stalled) client.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    arm: (next) => {
      mode = next;
      stalled = false;
    },
    cuts: () => cuts,
    stalled: () => stalled,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
