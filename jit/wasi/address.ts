// TCP listen addresses as the CLI and the embedding API take them (no ffi here: args.ts loads it on every start).

/** "127.0.0.1" -> [127, 0, 0, 1]; "localhost" is 127.0.0.1; anything else is an Error. */
export function parseIPv4(host: string): number[] {
  if (host === 'localhost') return [127, 0, 0, 1];
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new Error(`${JSON.stringify(host)} is not an IPv4 address (IPv6 and host names other than localhost are not supported)`);
  }
  return parts.map(Number);
}

/** "HOST:PORT" (PORT 0-65535; 0 picks a free port) as a listener spec; an Error for anything else. */
export function parseHostPort(spec: string): { host: string; port: number } {
  const colon = spec.lastIndexOf(':');
  const host = spec.slice(0, colon), port = spec.slice(colon + 1);
  if (colon <= 0 || !/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new Error(`expected HOST:PORT, e.g. 127.0.0.1:8080`);
  parseIPv4(host);
  return { host, port: Number(port) };
}
