import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, for fault tests: point a system at the
 * proxy, then cut the network and restore it while the runtime is working.
 *
 * - `cut('refuse')`: existing connections are reset and the listening port is closed, so new
 *   connects fail with ECONNREFUSED (a server or host that is down).
 * - `cut('reset')`: existing connections are reset and new ones are accepted and reset at once
 *   (a firewall or load balancer dropping connections: ECONNRESET / "Connection terminated").
 * - `cut('blackhole')`: nothing is reset and nothing answers: open connections stop forwarding
 *   (what the client sends is read and dropped), new connections are accepted and never answered
 *   (packets silently dropped on the way: only a client-side timeout notices).
 * - `restore()`: listen again on the same port and forward as before; blackholed connections are
 *   reset then (their sessions are gone), new ones forward.
 */
export type CutMode = 'refuse' | 'reset' | 'blackhole';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Connections accepted and forwarded so far (a check that traffic really goes through). */
  readonly forwarded: number;
  /** Connections currently open through the proxy. */
  readonly open: number;
  readonly isCut: boolean;
  cut(mode?: CutMode): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, opts: { port?: number } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let mode: CutMode | null = null;
  let forwarded = 0;
  let closed = false;

  const swallow = (socket: net.Socket) => {
    socket.unpipe();
    socket.removeAllListeners('data');
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.resume();
  };
  const onConnection = (client: net.Socket) => {
    if (mode === 'blackhole') {
      sockets.add(client);
      swallow(client);
      return;
    }
    if (mode !== null) {
      client.resetAndDestroy();
      return;
    }
    forwarded++;
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      // Either side failing ends both, abruptly, as a broken network would.
      if (!client.destroyed) client.resetAndDestroy();
      if (!upstream.destroyed) upstream.resetAndDestroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server = net.createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(opts.port ?? 0);

  const resetAll = () => {
    for (const s of sockets) if (!s.destroyed) s.resetAndDestroy();
    sockets.clear();
  };
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

  return {
    host: '127.0.0.1',
    port,
    get forwarded() {
      return forwarded;
    },
    get open() {
      return sockets.size / 2;
    },
    get isCut() {
      return mode !== null;
    },
    async cut(how: CutMode = 'refuse') {
      mode = how;
      if (how === 'blackhole') {
        for (const s of sockets) swallow(s);
        return;
      }
      const closing = how === 'refuse' ? stopListening() : Promise.resolve();
      resetAll();
      await closing;
    },
    async restore() {
      if (closed) throw new Error('the proxy was closed');
      if (!server.listening) {
        server = net.createServer(onConnection);
        await listen(port);
      }
      if (mode === 'blackhole') resetAll();
      mode = null;
    },
    async close() {
      closed = true;
      mode = 'refuse';
      const closing = stopListening();
      resetAll();
      await closing;
    },
  };
}
