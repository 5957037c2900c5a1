// Preopened listening sockets (`kwasm-jit run --tcplisten HOST:PORT`, WASIOptions.listeners), shaped
// like wasmtime's: each is a guest fd numbered after stdio and before the --dir preopens, bound
// before the program starts, non-blocking on the host (sock.ts emulates blocking for the guest).
import { parseIPv4 } from './address.js';
import { localPort, setNonBlocking, tcpListen } from './sys.js';

/** A port to listen on (host: an IPv4 address or "localhost", default 127.0.0.1), or a socket the embedder owns. */
export type ListenerSpec = { port: number; host?: string; backlog?: number } | { fd: number };

/** Pending connections the kernel queues per listener (Linux caps it at net.core.somaxconn). */
const DEFAULT_BACKLOG = 1024;

export interface OpenListener { hostFd: number; port: number; owned: boolean; }

/** Binds and listens (or adopts the embedder's socket, made non-blocking). Throws on failure (EADDRINUSE, ...). */
export function openListener(spec: ListenerSpec): OpenListener {
  if ('fd' in spec) {
    setNonBlocking(spec.fd, true);
    return { hostFd: spec.fd, port: localPort(spec.fd), owned: false };
  }
  const host = spec.host ?? '127.0.0.1';
  try {
    const fd = tcpListen(parseIPv4(host), spec.port, spec.backlog ?? DEFAULT_BACKLOG);
    return { hostFd: fd, port: localPort(fd), owned: true };
  } catch (e) {
    throw new ListenError(`cannot listen on ${host}:${spec.port}: ${(e as Error).message}`);
  }
}

/** A listener could not be opened (address in use, not an address of this host, ...). */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}
